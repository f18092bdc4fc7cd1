/* SPDX-License-Identifier: MIT */
/* The navigation of a served docs page, from the site's techdocs_nav.json. */
#ifndef GR_PLUGINS_TECHDOCS_SITE_NAV_H
#define GR_PLUGINS_TECHDOCS_SITE_NAV_H

#include <jansson.h>

#include "host/common/buf.h"

/*
 * techdocs_nav.json contains {"site_name", "items"}. Each item is a page
 * {"type":"page","title","url","source","edit_url"}, a link
 * {"type":"link","title","url"} or a section {"type":"section","title",
 * "children"}. Page URLs are relative to the site root ("./", "guide/").
 */

/** Pages of a site in navigation order, with the current one's neighbours. */
typedef struct {
    const json_t *current;  /* the page item whose url is the current page, or NULL */
    const json_t *previous; /* the page before it, or NULL */
    const json_t *next;     /* the page after it, or NULL */
} gr_techdocs_sitenav_position;

/**
 * Finds the page item whose url is `page_url` and its neighbours in the
 * depth-first order of `items` (borrowed; results point into it).
 */
void gr_techdocs_sitenav_find(const json_t *items, const char *page_url,
                              gr_techdocs_sitenav_position *out);

/**
 * Appends the navigation as nested <ul> lists to `out`. Links are made
 * absolute with `base_url` (the site root, ending in '/'). Only sections
 * on the way to the current page are expanded; other sections show as one
 * link to their first page, so a page of a 5,000-page site carries only
 * the part of the nav it needs.
 */
void gr_techdocs_sitenav_render(gr_buf *out, const json_t *items, const char *base_url,
                                const char *page_url);

/** Appends `base_url` joined with a site-relative page URL ("./" is the root). */
void gr_techdocs_sitenav_href(gr_buf *out, const char *base_url, const char *url);

#endif
