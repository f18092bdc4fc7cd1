/* SPDX-License-Identifier: MIT */
/* The table of contents of a built page, read from the headings of its HTML fragment. */
#ifndef GR_PLUGINS_TECHDOCS_TOC_H
#define GR_PLUGINS_TECHDOCS_TOC_H

#include <stddef.h>

/** Deepest heading level listed in a page's table of contents. */
#define GR_TECHDOCS_TOC_MAX_LEVEL 3
/** Maximum number of entries in one table of contents. */
#define GR_TECHDOCS_TOC_MAX_ENTRIES 200

/** One heading. */
typedef struct {
    int level;
    char *id;   /* as in the id attribute, still HTML-escaped */
    char *text; /* the heading's text as HTML without tags (entities kept) */
} gr_techdocs_toc_entry;

typedef struct {
    gr_techdocs_toc_entry *entries;
    size_t count;
} gr_techdocs_toc;

/**
 * Lists the headings of levels 2 to GR_TECHDOCS_TOC_MAX_LEVEL that have an
 * id attribute in the fragment `html` (as the builder writes them:
 * `<h2 id="x">Text<a class="headerlink" ...>...</a></h2>`), leaving out the
 * permalink anchor. Fills `out` (free with gr_techdocs_toc_free()).
 */
void gr_techdocs_toc_read(const char *html, size_t len, gr_techdocs_toc *out);

/** Frees the entries. NULL-safe. */
void gr_techdocs_toc_free(gr_techdocs_toc *toc);

#endif
