/* SPDX-License-Identifier: MIT */
/* HTML of the docs pages: the page layout and the parts inside it. */
#ifndef GR_PLUGINS_TECHDOCS_RENDER_H
#define GR_PLUGINS_TECHDOCS_RENDER_H

#include <jansson.h>
#include <stddef.h>

#include "host/common/buf.h"
#include "plugins/techdocs/site_search.h"

/*
 * Every value is HTML-escaped here except the page fragment, which the
 * builder produced and sanitized. The parts are rendered first and then
 * framed by the portal layout of the UI plugin, or by
 * gr_techdocs_render_layout() when no UI is there.
 */

/** Path of the stylesheet the layout links to (served by the plugin). */
#define GR_TECHDOCS_STYLESHEET_URL "/docs/techdocs.css"

/** The Content-Security-Policy of docs pages: no script at all, images from anywhere. */
#define GR_TECHDOCS_PAGE_CSP                                                                       \
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data: https: http:; " \
    "media-src 'self' https:; frame-src https:; object-src 'none'; base-uri 'self'; "              \
    "form-action 'self'; frame-ancestors 'none'"

/**
 * Wraps `body` (HTML, borrowed) in a plain page for servers without the
 * portal UI: document head with `title` (text), a header with the main
 * links, and `body` in <main>.
 * `refresh_seconds` > 0 adds a meta refresh, for notices that wait for a
 * build.
 */
void gr_techdocs_render_layout(gr_buf *out, const char *title, const char *body,
                               int refresh_seconds);

/** The parts of one docs page. Every pointer is borrowed. */
typedef struct {
    const char *site_name;
    const char *entity_title; /* the entity's title or name */
    const char *entity_ref;   /* "component:default/shop" */
    const char *base_url;     /* the site root, "/docs/default/component/shop/" */
    const char *page_url;     /* the page relative to the site root, "./" or "guide/" */
    const json_t *nav_items;  /* techdocs_nav.json "items", or NULL */
    const char *fragment;     /* the page's HTML from the builder, or NULL for no page */
    size_t fragment_len;
    const char *notice;       /* text shown above the page, or NULL */
    const char *query;        /* the site search query when showing results, or NULL */
    const gr_techdocs_hit *hits;
    size_t hit_count;
} gr_techdocs_page_parts;

/** Appends the inside of a docs page: site nav, content, table of contents. */
void gr_techdocs_render_docs(gr_buf *out, const gr_techdocs_page_parts *parts);

/** Appends a notice page body: a heading and a paragraph (both text). */
void gr_techdocs_render_notice(gr_buf *out, const char *heading, const char *message);

#endif
