/* SPDX-License-Identifier: MIT */
/* Reading catalog entities for the collators: final entities from the catalog tables. */
#ifndef GR_PLUGINS_SEARCH_ENTITIES_H
#define GR_PLUGINS_SEARCH_ENTITIES_H

#include <jansson.h>

#include "host/store/db.h"

/* Final entities read per query while collating everything. */
#define GR_SEARCH_ENTITY_PAGE 500

/** Called with each entity: its ref (lower case, borrowed) and the parsed final entity (borrowed). */
typedef int (*gr_search_entity_fn)(void *payload, const char *entity_ref, const json_t *entity);

/**
 * Calls `fn` for every final entity in catalog_final_entities, in pages of
 * GR_SEARCH_ENTITY_PAGE read on a reader connection that is released
 * before `fn` runs. With `annotation`, only entities that have that
 * annotation (looked up in catalog_search) are read. When the catalog
 * tables do not exist, calls nothing and returns 0. Stops at the first
 * error `fn` returns and returns it; returns a database error otherwise.
 */
int gr_search_entities_each(gr_db *db, const char *annotation, gr_search_entity_fn fn,
                            void *payload);

/**
 * Reads the final entity whose ref is `entity_ref` (any case) into *out
 * (caller releases). Returns 0, GR_ENOTFOUND when there is none or the
 * catalog tables do not exist, or a database error.
 */
int gr_search_entity_get(gr_db *db, const char *entity_ref, json_t **out);

/** Returns the string at a dotted path of object keys ("metadata.name"), or NULL. */
const char *gr_search_entity_string(const json_t *entity, const char *path);

/**
 * Sets *exists to whether the catalog's table `table` exists (the catalog
 * plugin creates it, and search runs without it). Returns 0 or a database error.
 */
int gr_search_catalog_table_exists(gr_db_conn *conn, const char *table, int *exists);

/** Lower-cases ASCII letters in place and returns `text`. */
char *gr_search_ascii_lower(char *text);

#endif
