/* SPDX-License-Identifier: MIT */
/* Search within one docs site, over its search/search_index.json. */
#ifndef GR_PLUGINS_TECHDOCS_SITE_SEARCH_H
#define GR_PLUGINS_TECHDOCS_SITE_SEARCH_H

#include <jansson.h>
#include <stddef.h>

/** Maximum number of terms of a query; later ones are ignored. */
#define GR_TECHDOCS_SEARCH_MAX_TERMS 8
/** Length of the text shown around the first match, in bytes. */
#define GR_TECHDOCS_SNIPPET_BYTES 200

/** One result; `location` is relative to the site root ("guide/#setup"). */
typedef struct {
    char *location;
    char *title;
    char *snippet; /* plain text, not escaped */
    int score;
} gr_techdocs_hit;

/**
 * Finds the entries of `index` (the parsed search_index.json, borrowed)
 * whose title or text contains every term of `query` (ASCII case is
 * ignored), best first: a term in the title counts ten times one in the
 * text. Stores at most `max` hits in *hits (free with
 * gr_techdocs_hits_free()) and their number in *count.
 */
void gr_techdocs_site_search(const json_t *index, const char *query, size_t max,
                             gr_techdocs_hit **hits, size_t *count);

/** Frees `count` hits. NULL-safe. */
void gr_techdocs_hits_free(gr_techdocs_hit *hits, size_t count);

#endif
