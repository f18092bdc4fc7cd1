/* SPDX-License-Identifier: MIT */
/* The docs pages of the portal: /docs lists documented entities, /docs/... shows their sites. */
#ifndef GR_PLUGINS_TECHDOCS_PAGES_H
#define GR_PLUGINS_TECHDOCS_PAGES_H

#include "greenroom/plugin.h"
#include "host/http/http.h"
#include "plugins/techdocs/service.h"

/*
 * Routes:
 *   GET /docs                  entities with a techdocs-ref annotation; query
 *                              parameters owner, kind and text filter the list,
 *                              offset pages through it
 *   GET /docs/techdocs.css     the stylesheet of the docs pages
 *   GET /docs/:namespace/:kind/:name/<path>
 *                              a page of the entity's site inside the portal
 *                              layout, with the site nav, the page's table of
 *                              contents, the edit link, previous and next links
 *                              and a search box; `?q=` searches the site; files
 *                              other than pages (images) are served as they are
 * With the portal UI, /docs and the site pages are UI pages: the portal
 * layout (sidebar, header, theme) frames them, and breadcrumbs lead back to
 * /docs. They keep GR_TECHDOCS_PAGE_CSP, so no script runs on them.
 */

/** Entities listed per page of /docs. */
#define GR_TECHDOCS_LIST_PAGE_SIZE 100
/** Results shown for a search within a site. */
#define GR_TECHDOCS_SEARCH_RESULTS 50
/** Seconds between reloads of the "building" notice. */
#define GR_TECHDOCS_REFRESH_SECONDS 3

/** The pages' payload: the host services and the docs service, in the TechDocs plugin's state. */
typedef struct {
    const gr_host_api *api;
    gr_techdocs_service *service; /* borrowed */
    /* Nonzero when the portal layout frames the pages. Without it they are
     * sent whole, in the plain layout of gr_techdocs_render_layout(). */
    int framed;
} gr_techdocs_pages;

/**
 * Registers the pages through `state->api->page_add()` and the stylesheet
 * on `server`. `state` is borrowed until the plugin's destroy hook. Setup
 * only. Returns GR_OK or an error.
 */
int gr_techdocs_pages_register(gr_plugin_ctx *ctx, gr_http_server *server,
                               gr_techdocs_pages *state);

#endif
