/* SPDX-License-Identifier: MIT */
/* Entity reads besides by-query: single entities, batches, facets, the legacy list. */
#ifndef GR_PLUGINS_CATALOG_API_READ_H
#define GR_PLUGINS_CATALOG_API_READ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "host/common/buf.h"
#include "host/store/db.h"
#include "plugins/catalog/api/fields.h"

/** Maximum number of refs in one by-refs request. */
#define GR_CATALOG_BY_REFS_MAX 10000

/** Maximum number of facets in one request. */
#define GR_CATALOG_FACETS_MAX 50

/** Maximum number of order directives of the legacy list. */
#define GR_CATALOG_ORDER_MAX 8

/**
 * Appends the stored JSON text of the entity with `entity_ref` (lower-case
 * "kind:namespace/name") to `out`, when `filter` (may be NULL) matches it.
 * Returns 0, GR_ENOTFOUND without a message (the caller words it), or
 * GR_EBACKEND. Thread-safe.
 */
int gr_catalog_read_by_ref(gr_db *db, const char *entity_ref, const json_t *filter, gr_buf *out);

/** Like gr_catalog_read_by_ref() but by uid (the entity id). */
int gr_catalog_read_by_uid(gr_db *db, const char *uid, const json_t *filter, gr_buf *out);

/**
 * Appends `[entity|null, ...]` for `refs` (an array of strings, compared in
 * lower case) in request order; an entity that does not match `filter`
 * (may be NULL) is null. Returns 0, GR_EINVALID, GR_ELIMIT past
 * GR_CATALOG_BY_REFS_MAX, or GR_EBACKEND.
 */
int gr_catalog_read_by_refs(gr_db *db, const json_t *refs, const json_t *filter,
                            const gr_catalog_fields *fields, gr_buf *out);

/**
 * Counts the values of each facet (a field path such as "kind" or
 * "spec.type") over the entities that match `filter` (may be NULL), as
 * Backstage's entity-facets: values in their original case, sorted, counted
 * once per search row. Returns {"facets": {facet: [{value, count}]}} in
 * *out (caller frees), or an error as above.
 */
int gr_catalog_read_facets(gr_db *db, const char *const *facets, size_t count,
                           const json_t *filter, json_t **out);

/** Parameters of the legacy GET /entities list. */
typedef struct {
    const json_t *filter; /* predicate or NULL */
    const json_t *order;  /* array of {field, order} or NULL */
    int64_t limit;        /* -1 for none */
    int64_t offset;       /* 0 for none */
} gr_catalog_list;

/**
 * Appends the entities of one legacy page joined by ',' to `out` and sets
 * *more when entities follow. Order as Backstage's entities(): by the order
 * fields (entities without a value last, by entity id), else by entity ref.
 * Returns 0 or an error as above.
 */
int gr_catalog_read_list(gr_db *db, const gr_catalog_list *list, const gr_catalog_fields *fields,
                         gr_buf *out, int *more);

#endif
