/* SPDX-License-Identifier: MIT */
/* The search index MkDocs' search plugin writes: search/search_index.json. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_SEARCH_H
#define GR_PLUGINS_TECHDOCS_BUILD_SEARCH_H

#include <jansson.h>

#include "plugins/techdocs/build/markdown.h"

/**
 * Appends the entries of one page to `docs` (a JSON array, borrowed) as
 * MkDocs 1.4's search plugin does with `indexing: full`: one entry for the
 * page (location `page_url`, its title, all its text) and one per heading
 * with an id in `page->headings` (location "page_url#id", the heading's
 * title, the text up to the next heading). Text comes from `page->html`
 * with tags removed, character references decoded and whitespace collapsed.
 */
void gr_techdocs_search_add_page(json_t *docs, const char *page_url, const char *title,
                                 const gr_techdocs_page_html *page);

/** Returns a new search index object {"config": ..., "docs": docs} (docs reference is taken). */
json_t *gr_techdocs_search_index(json_t *docs);

#endif
