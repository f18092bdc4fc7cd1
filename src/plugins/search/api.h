/* SPDX-License-Identifier: MIT */
/* The search REST API: GET /api/search/query with Backstage's parameters. */
#ifndef GR_PLUGINS_SEARCH_API_H
#define GR_PLUGINS_SEARCH_API_H

#include "greenroom/plugin.h"
#include "plugins/search/search.h"

/** The query route's payload: the host services and the index, in the search plugin's state. */
typedef struct {
    const gr_host_api *api;
    gr_search *search; /* borrowed */
} gr_search_api;

/**
 * Registers GET /api/search/query through `api->route()`. Parameters: term,
 * types (types[], types[0], ...), filters[key]=value (also filters[key][]
 * and filters[key][0] for several values), pageCursor and pageLimit.
 * Unknown parameters are ignored. `state` is borrowed until the plugin's
 * destroy hook. Setup only. Returns the code of api->route().
 */
int gr_search_api_register(gr_plugin_ctx *ctx, gr_search_api *state);

/**
 * Serves GET /api/search/query: the route handler that
 * gr_search_api_register() adds, for programs that serve search on a
 * server of their own. `payload` is a gr_search_api (borrowed).
 */
int gr_search_api_handle(gr_request *req, gr_response *res, void *payload);

#endif
