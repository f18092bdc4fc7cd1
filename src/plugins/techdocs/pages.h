/* SPDX-License-Identifier: MIT */
/* The docs pages of the portal: /docs lists documented entities, /docs/... shows their sites. */
#ifndef GR_PLUGINS_TECHDOCS_PAGES_H
#define GR_PLUGINS_TECHDOCS_PAGES_H

#include "host/http/http.h"
#include "plugins/techdocs/service.h"
#include "plugins/ui/ui.h"

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

/**
 * Registers the routes: the pages through `ui` (borrowed; NULL serves them
 * in a plain layout of their own) and the stylesheet on `server`.
 * `service` is borrowed for the server's life. Returns GR_OK or an error.
 */
int gr_techdocs_pages_register(gr_http_server *server, gr_ui *ui, gr_techdocs_service *service);

#endif
