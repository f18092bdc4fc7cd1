/* SPDX-License-Identifier: MIT */
/* Markdown pages to HTML fragments as MkDocs renders them with Python-Markdown. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_MARKDOWN_H
#define GR_PLUGINS_TECHDOCS_BUILD_MARKDOWN_H

#include <stddef.h>

#include "plugins/techdocs/build/urls.h"

/** Maximum nesting of admonitions, details blocks and definitions in one page. */
#define GR_TECHDOCS_MAX_BLOCK_DEPTH 32

/** The Markdown extensions a site turns on (mkdocs.yml `markdown_extensions`). */
typedef struct {
    int toc_permalink;          /* add a permalink anchor to each heading */
    const char *permalink_text; /* its text, HTML; NULL means "&para;" */
    int admonition;             /* !!! note "Title" */
    int details;                /* ??? note and ???+ note (pymdownx.details) */
    int footnotes;              /* [^1] and [^1]: text */
    int def_list;               /* Term / :   Definition */
    int attr_list;              /* {: #id .class } after a heading */
    int magiclink;              /* bare URLs become links (pymdownx.magiclink) */
} gr_techdocs_markdown_options;

/** A heading of a rendered page, in document order. */
typedef struct {
    int level;
    char *id;
    char *title; /* the heading's text as HTML, as the toc extension names it */
} gr_techdocs_heading;

/** A link or image of a rendered page, in document order. */
typedef struct {
    char *url;     /* as written in the Markdown */
    char *written; /* as written to the HTML */
    char *target;  /* the source path it resolves to, or NULL */
    gr_techdocs_link_status status;
    int is_image;
    int line;
} gr_techdocs_link;

/** A rendered page; free with gr_techdocs_page_html_free(). */
typedef struct {
    char *html;
    gr_techdocs_heading *headings;
    size_t heading_count;
    gr_techdocs_link *links;
    size_t link_count;
} gr_techdocs_page_html;

/** How to resolve links: the page's source path and a lookup of site files. */
typedef struct {
    const char *src_uri;
    gr_techdocs_file_exists exists;
    void *payload;
} gr_techdocs_link_context;

/**
 * Renders the Markdown `text` (UTF-8, `len` bytes, front matter already
 * removed) of one page. `first_line` is the line number of text[0] in the
 * file, so reported lines match the file. Links to source files are
 * rewritten as gr_techdocs_rewrite_link() does. Raw HTML is sanitized.
 * Fills `out` (caller frees with gr_techdocs_page_html_free()). Returns
 * GR_OK, or GR_ELIMIT when blocks nest deeper than GR_TECHDOCS_MAX_BLOCK_DEPTH
 * or md4c fails (message set). Thread-safe.
 */
int gr_techdocs_render_markdown(const char *text, size_t len, int first_line,
                                const gr_techdocs_markdown_options *options,
                                const gr_techdocs_link_context *links, gr_techdocs_page_html *out);

/** Frees what a render stored. NULL-safe; leaves `page` zeroed. */
void gr_techdocs_page_html_free(gr_techdocs_page_html *page);

#endif
