/* SPDX-License-Identifier: MIT */
/* The list of documented entities shown at /docs, filtered in SQL over the catalog tables. */
#ifndef GR_PLUGINS_TECHDOCS_DOCS_LIST_H
#define GR_PLUGINS_TECHDOCS_DOCS_LIST_H

#include "host/common/buf.h"
#include "host/store/db.h"

/** Filters of the list; NULL or "" leaves a filter out. Strings are borrowed. */
typedef struct {
    const char *owner; /* "team-a", "group:team-a" or "group:default/team-a" */
    const char *kind;  /* case-insensitive */
    const char *text;  /* part of the name, title or description */
    long offset;
    long limit;
} gr_techdocs_list_query;

/**
 * Appends the list page body (filter form, table, next and previous links)
 * for the entities with a backstage.io/techdocs-ref annotation that match
 * `query`, with whether each one's docs are built. Entities are found
 * through catalog_search rows, so no entity outside the result is loaded.
 * Returns GR_OK or a database error.
 */
int gr_techdocs_list_render(gr_db *db, const gr_techdocs_list_query *query, gr_buf *out);

#endif
