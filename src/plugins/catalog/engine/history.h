/* SPDX-License-Identifier: MIT */
/* The history of final entities: JSON diffs between versions, stored with their cause. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_HISTORY_H
#define GR_PLUGINS_CATALOG_ENGINE_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/store/db.h"

/**
 * Compares two versions of an entity and returns an array of
 * {path, old, new}, one per changed value; `path` is a JSON pointer.
 * Objects are compared member by member and arrays of the same length item
 * by item; other changes are reported whole. metadata.etag is left out
 * because it follows from the rest. Caller releases.
 */
json_t *gr_catalog__diff(const json_t *old_entity, const json_t *new_entity);

/**
 * Turns *version, the entity after a change, into the entity before it by
 * applying `diff` (an array from gr_catalog__diff()) backwards: each value at
 * `path` must equal `new`, and becomes `old`. A path of "" replaces the whole
 * entity, and *version is NULL while the entity does not exist. The diff
 * stores a missing member as null, so a member whose `old` is null was
 * either missing or null: `null_members` picks null, otherwise the member is
 * removed. Returns 0, or GR_EINVALID when a change does not fit *version,
 * which is then partly reverted and unusable (the caller still frees it).
 */
int gr_catalog__diff_revert(json_t **version, const json_t *diff, bool null_members);

/**
 * Appends one row to catalog_history on `conn`. `change` is "created",
 * "updated" or "deleted"; `diff` is borrowed. Returns 0 or a database error.
 */
int gr_catalog__history_add(gr_db_conn *conn, const char *entity_ref, const char *entity_id,
                            int64_t changed_at, const char *cause, const char *change,
                            const json_t *diff);

/** Like gr_catalog__history_add() with the diff given as JSON text (borrowed). */
int gr_catalog__history_add_text(gr_db_conn *conn, const char *entity_ref, const char *entity_id,
                                 int64_t changed_at, const char *cause, const char *change,
                                 const char *diff);

#endif
