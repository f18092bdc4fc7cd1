/* SPDX-License-Identifier: MIT */
/* State shared by the block pass and the md4c renderer while one page renders. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_PAGE_H
#define GR_PLUGINS_TECHDOCS_BUILD_PAGE_H

#include <stddef.h>

#include "host/common/buf.h"
#include "plugins/techdocs/build/markdown.h"
#include "plugins/techdocs/build/slug.h"

/** A footnote definition `[^label]: body`, numbered in definition order. */
typedef struct {
    char *label;
    char *body; /* Markdown, continuation lines dedented */
    int line;
    int references; /* how many `[^label]` were rendered so far */
} gr_techdocs__footnote;

/** One page being rendered. */
typedef struct {
    const gr_techdocs_markdown_options *options;
    const gr_techdocs_link_context *links;
    char *page_url; /* gr_techdocs_file_url() of links->src_uri, for rewriting links */
    gr_techdocs_idset *ids;
    gr_buf reference_definitions; /* every `[label]: url` line, appended to each md4c run */
    gr_techdocs__footnote *footnotes;
    size_t footnote_count;
    size_t footnote_cap;
    gr_techdocs_heading *headings;
    size_t heading_count;
    size_t heading_cap;
    gr_techdocs_link *link_list;
    size_t link_count;
    size_t link_cap;
    const char *document; /* the whole page, for finding the line of a link */
    size_t document_len;
    int document_line;
    int depth;
    int definitions_collected;
} gr_techdocs__page;

/** Renders plain Markdown (no admonitions or other block extensions) with md4c into `out`. */
int gr_techdocs__render_md4c(gr_techdocs__page *page, const char *text, size_t len, int first_line,
                             gr_buf *out);

/** Renders Markdown with the block extensions the page's options turn on into `out`. */
int gr_techdocs__render_blocks(gr_techdocs__page *page, const char *text, size_t len,
                               int first_line, gr_buf *out);

/** Returns the footnote whose label is `label` (`len` bytes), or NULL. */
gr_techdocs__footnote *gr_techdocs__find_footnote(gr_techdocs__page *page, const char *label,
                                                  size_t len);

#endif
