/* SPDX-License-Identifier: MIT */
/* Entity queries with cursors: the engine behind GET and POST /entities/by-query. */
#ifndef GR_PLUGINS_CATALOG_API_QUERY_H
#define GR_PLUGINS_CATALOG_API_QUERY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "host/common/buf.h"
#include "host/store/db.h"
#include "plugins/catalog/api/fields.h"

/*
 * The layout that the queries rely on (tables of the catalog engine):
 *   catalog_final_entities(entity_id PK, entity_ref UNIQUE, final_entity, ...)
 *   catalog_search(entity_id, key, original_value, value), lower-case key and
 *   value, one row per (entity, key, value), written in the same transaction
 *   as the entity's final_entities row.
 * Order: by the order field's search value and then the entity id, or by
 * the entity id alone. As in Backstage, entities without a value for the
 * order field come after the others, by entity id (descending for a
 * descending order), and an entity with several values for it (an array)
 * appears once per value.
 */

/** Page size when the request names none, as in Backstage. */
#define GR_CATALOG_QUERY_DEFAULT_LIMIT 200

/** Largest page served; a larger limit is lowered to it and the rest follows by cursor. */
#define GR_CATALOG_QUERY_MAX_LIMIT 10000

/** A query: its cursor state and this request's page parameters. */
typedef struct {
    /* The cursor state (owned): orderFields, isPrevious and optionally query,
     * fullTextFilter, orderFieldValues, firstSortFieldValues, totalItems. */
    json_t *cursor;
    int64_t limit;  /* rows per page, 0..GR_CATALOG_QUERY_MAX_LIMIT */
    int64_t offset; /* rows skipped; first requests only */
    int count;      /* compute totalItems (unless the cursor carries it) */
    /* An access predicate (permission/access.h) ANDed with the cursor's
     * query, or NULL; borrowed. It never goes into a cursor, so a client
     * cannot drop it by editing one. */
    const json_t *access;
} gr_catalog_query;

/** One page of results. */
typedef struct {
    gr_buf items;       /* the entities as JSON texts joined by ',' */
    size_t count;       /* number of entities in `items` */
    int64_t total;      /* totalItems */
    json_t *next;       /* cursor of the next page, or NULL (owned) */
    json_t *prev;       /* cursor of the previous page, or NULL (owned) */
} gr_catalog_page;

#define GR_CATALOG_PAGE_INIT {GR_BUF_INIT, 0, 0, NULL, NULL}

/**
 * Starts a first request. `filter` (a checked predicate), `order_fields`
 * (array of {field, order}) and `full_text` ({term, fields?}) are stolen and
 * may be NULL. Fills `query` with limit GR_CATALOG_QUERY_DEFAULT_LIMIT, no
 * offset and counting on.
 */
void gr_catalog_query_first(gr_catalog_query *query, json_t *filter, json_t *order_fields,
                            json_t *full_text);

/**
 * Continues from a decoded cursor (stolen). The total is the one the cursor
 * carries, and is counted, as Backstage counts it, only for a cursor without
 * totalItems.
 */
void gr_catalog_query_continue(gr_catalog_query *query, json_t *cursor);

/**
 * Runs the query on a read connection and fills `page` (free with
 * gr_catalog_page_free()). Entities are written as stored unless `fields`
 * selects parts. Returns 0, GR_EINVALID for a filter the catalog cannot
 * match, or GR_EBACKEND. Thread-safe.
 */
int gr_catalog_query_run(gr_db *db, const gr_catalog_query *query, const gr_catalog_fields *fields,
                         gr_catalog_page *page);

/** Frees the cursor state. NULL-safe. */
void gr_catalog_query_free(gr_catalog_query *query);

/** Frees a page's items and cursors. NULL-safe. */
void gr_catalog_page_free(gr_catalog_page *page);

#endif
