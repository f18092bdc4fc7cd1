/* SPDX-License-Identifier: MIT */
/* The list of documented entities shown at /docs, filtered in SQL over the catalog tables. */
#ifndef GR_PLUGINS_TECHDOCS_DOCS_LIST_H
#define GR_PLUGINS_TECHDOCS_DOCS_LIST_H

#include <jansson.h>

#include "host/common/buf.h"
#include "host/store/db.h"

/** Filters of the list; NULL or "" leaves a filter out. Strings are borrowed. */
typedef struct {
    const char *owner; /* "team-a", "group:team-a" or "group:default/team-a" */
    const char *kind;  /* case-insensitive */
    const char *text;  /* part of the name, title or description */
    /* The entities the caller may see, as a catalog filter predicate
     * (gr_catalog_access_get()); NULL lists every one. */
    const json_t *access;
    long offset;
    long limit;
} gr_techdocs_list_query;

/**
 * Appends the list page body (filter form, table, next and previous links)
 * for the entities with a backstage.io/techdocs-ref annotation that match
 * `query`, with whether each one's docs are built. Entities are found
 * through catalog_search rows, so no entity outside the result is loaded,
 * and `query->access` applies inside the statement, so an entity the caller
 * may not see is neither shown nor counted. Returns GR_OK, GR_EINVALID for
 * an access predicate the catalog cannot match, or a database error.
 */
int gr_techdocs_list_render(gr_db *db, const gr_techdocs_list_query *query, gr_buf *out);

#endif
