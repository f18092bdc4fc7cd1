/* SPDX-License-Identifier: MIT */
/* The search index MkDocs' search plugin writes: search/search_index.json. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_SEARCH_H
#define GR_PLUGINS_TECHDOCS_BUILD_SEARCH_H

#include <stddef.h>

#include "host/common/buf.h"
#include "plugins/techdocs/build/markdown.h"

/**
 * Appends the entries of one page to `docs` as JSON text, each entry
 * preceded by ',', as MkDocs 1.4's search plugin makes them with
 * `indexing: full`: one entry for the page (location `page_url`, its title,
 * all its text) and one per heading with an id in `page->headings`
 * (location "page_url#id", the heading's title, the text up to the next
 * heading). Text comes from `page->html` with tags removed, character
 * references decoded and whitespace collapsed. Strings are written as
 * jansson writes them with JSON_ENSURE_ASCII. Thread-safe.
 */
void gr_techdocs_search_add_page(gr_buf *docs, const char *page_url, const char *title,
                                 const gr_techdocs_page_html *page);

/** Appends the start of search_index.json up to the opening '[' of "docs". */
void gr_techdocs_search_start(gr_buf *out);

/**
 * Appends the end of search_index.json. The caller drops the ',' before the
 * first entry.
 */
void gr_techdocs_search_finish(gr_buf *out);

#endif
