/* SPDX-License-Identifier: MIT */
/* The search REST API: GET /api/search/query with Backstage's parameters. */
#ifndef GR_PLUGINS_SEARCH_API_H
#define GR_PLUGINS_SEARCH_API_H

#include "plugins/search/search.h"

typedef struct gr_http_server gr_http_server;

/**
 * Registers GET /api/search/query on `server`. Parameters: term,
 * types (types[], types[0], ...), filters[key]=value (also filters[key][]
 * and filters[key][0] for several values), pageCursor and pageLimit.
 * Unknown parameters are ignored. `search` is borrowed for the server's
 * life. Returns the code of gr_http_route().
 */
int gr_search_api_register(gr_http_server *server, gr_search *search);

#endif
