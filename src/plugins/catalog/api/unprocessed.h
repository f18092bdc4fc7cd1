/* SPDX-License-Identifier: MIT */
/* Refresh-state rows without a final entity: listing them as failed or pending, deleting one. */
#ifndef GR_PLUGINS_CATALOG_API_UNPROCESSED_H
#define GR_PLUGINS_CATALOG_API_UNPROCESSED_H

#include <jansson.h>
#include <stdbool.h>

#include "host/store/db.h"

/*
 * An unprocessed entity is a catalog_refresh_state row that has no final
 * entity: no catalog_final_entities row with a non-NULL final_entity for its
 * entity_id. Each such row is in exactly one of two sets:
 *   failed   processed_entity is NULL and errors is a non-empty JSON array
 *            (any value but NULL and "[]"): processing never succeeded, and
 *            its last run stored why.
 *   pending  every other row without a final entity: one that waits for its
 *            first processing, one that was processed and waits for
 *            stitching, and an orphan, whose errors the engine clears once no
 *            source emits it.
 */

/** Maximum number of rows one list returns; a longer list is cut and marked truncated. */
#define GR_CATALOG_UNPROCESSED_MAX 10000

/**
 * Rows read per statement while listing, so a PostgreSQL result never
 * contains the whole table. With an owner filter these are matching rows.
 */
#define GR_CATALOG_UNPROCESSED_PAGE 500

/** A set of unprocessed entities, as defined above. */
typedef enum {
    GR_CATALOG_UNPROCESSED_FAILED,
    GR_CATALOG_UNPROCESSED_PENDING,
} gr_catalog_unprocessed_set;

/**
 * Lists the rows of `set` ordered by entity_ref, each as an object with
 * entity_id, entity_ref, unprocessed_entity, unprocessed_hash,
 * processed_entity, result_hash, errors, next_update_at, last_discovery_at
 * and location_key. JSON columns are parsed, and one whose text is not
 * JSON is null (with a warning in the log); times are ISO 8601 UTC text
 * with milliseconds; a NULL column is null. With `owner` (may be NULL), only
 * rows whose unprocessed entity has spec.owner equal to it, compared
 * exactly, are kept, and the database skips the other rows. A row whose
 * unprocessed entity is not JSON matches no owner. At most `max` rows are
 * returned, and *truncated is set when more rows matched. Stores a new
 * array in *out (caller frees). Returns 0 or a database error. Thread-safe.
 */
int gr_catalog_unprocessed_list(gr_db *db, gr_catalog_unprocessed_set set, const char *owner,
                                size_t max, json_t **out, bool *truncated);

/**
 * Returns the statement that reads one page of `set` on `engine`. Its
 * parameters are the entity_ref after which the page starts ("" for the
 * first), with `by_owner` the owner, and the number of rows. Public so that
 * a test can check which indexes the statements read.
 */
const char *gr_catalog_unprocessed_page_sql(gr_db_engine engine, gr_catalog_unprocessed_set set,
                                            bool by_owner);

/** The set of one entity_ref, as gr_catalog_unprocessed_find() finds it. */
typedef enum {
    GR_CATALOG_UNPROCESSED_NONE,    /* no refresh-state row, or its row has a final entity */
    GR_CATALOG_UNPROCESSED_IN_FAILED,
    GR_CATALOG_UNPROCESSED_IN_PENDING,
} gr_catalog_unprocessed_membership;

/**
 * Finds whether the refresh-state row of `entity_ref` (lowercase
 * kind:namespace/name) is an unprocessed entity and in which set, and
 * stores that in *out. Returns 0 or a database error. Thread-safe.
 */
int gr_catalog_unprocessed_find(gr_db *db, const char *entity_ref,
                                gr_catalog_unprocessed_membership *out);

/** The outcome of gr_catalog_unprocessed_delete() besides database errors. */
typedef enum {
    GR_CATALOG_UNPROCESSED_DELETED,  /* the row was deleted */
    GR_CATALOG_UNPROCESSED_MISSING,  /* no refresh-state row has this entity_id */
    GR_CATALOG_UNPROCESSED_STITCHED, /* the row has a final entity */
    GR_CATALOG_UNPROCESSED_LINKED,   /* processing gave it child entities or relations */
} gr_catalog_unprocessed_outcome;

/**
 * Deletes the refresh-state row `entity_id` when it has no final entity and
 * processing has not linked it to other entities (no catalog_refs rows from
 * it, no catalog_relations it originated), with the refs that point to it.
 * Its refresh keys go by cascade. Its parent entities are made due at once
 * and write their next result even if it is unchanged, so a parent that
 * still emits the entity inserts it again for processing. The check, the
 * delete and that change run in one transaction that first locks the row,
 * so processing that writes the row meanwhile finishes first and the check
 * reads its result (LINKED when it gave the row children or relations).
 * The row's stitch queue entry is removed before the check, so a stitch
 * that runs meanwhile either finishes first (then the outcome is STITCHED)
 * or writes nothing. Stores the outcome in *outcome and, when the row
 * exists, its entity_ref in *entity_ref (caller frees; NULL otherwise).
 * Returns 0 or a database error. Thread-safe.
 */
int gr_catalog_unprocessed_delete(gr_db *db, const char *entity_id,
                                  gr_catalog_unprocessed_outcome *outcome, char **entity_ref);

#endif
