/* SPDX-License-Identifier: MIT */
/* The TechDocs REST API under /api/techdocs, as Backstage's techdocs-backend serves it. */
#ifndef GR_PLUGINS_TECHDOCS_API_H
#define GR_PLUGINS_TECHDOCS_API_H

#include "greenroom/plugin.h"
#include "host/http/http.h"
#include "plugins/techdocs/service.h"

/*
 * Routes (every one returns 404 NotFoundError when the catalog has no
 * entity of that namespace, kind and name):
 *   GET /api/techdocs/metadata/techdocs/:namespace/:kind/:name
 *       the site's techdocs_metadata.json
 *   GET /api/techdocs/metadata/entity/:namespace/:kind/:name
 *       the entity with locationMetadata {type, target} of its docs source
 *   GET /api/techdocs/static/docs/:namespace/:kind/:name/<path>
 *       a file of the published site, with its content type and ETag; a
 *       triplet not in lower case is redirected (301) to its lower-case form
 *   GET /api/techdocs/sync/:namespace/:kind/:name
 *       an event stream: `log` events while a build runs, then `finish`
 *       with {"updated":bool}, or `error` with the message
 */

/** The routes' payload: the host services and the docs service, in the TechDocs plugin's state. */
typedef struct {
    const gr_host_api *api;
    gr_techdocs_service *service; /* borrowed */
} gr_techdocs_api;

/**
 * Registers the routes through `state->api->route()`. `state` is borrowed
 * until the plugin's destroy hook. Setup only. Returns GR_OK or the error
 * of route().
 */
int gr_techdocs_api_register(gr_plugin_ctx *ctx, gr_techdocs_api *state);

/**
 * Serves the site file `path` (normalized) of `triplet` on `res`, with its
 * content type, ETag (304 when If-None-Match names it) and
 * Cache-Control: no-cache. Returns GR_OK, or GR_ENOTFOUND / a store error
 * without touching the response. Shared by the API and the docs pages.
 */
int gr_techdocs_api_send_file(gr_request *req, gr_response *res, gr_techdocs_service *service,
                              const gr_techdocs_triplet *triplet, const char *path);

/**
 * Reads the triplet from the request's :namespace, :kind and :name
 * parameters and loads its entity (caller releases *entity). Returns GR_OK,
 * GR_EINVALID for a malformed part, GR_ENOTFOUND when the catalog has no
 * such entity (message as Backstage's), or a database error.
 */
int gr_techdocs_api_load_entity(gr_request *req, gr_techdocs_service *service,
                                gr_techdocs_triplet *triplet, json_t **entity);

/**
 * Returns the decoded wildcard of the request with a '/' added when the
 * request path ended in one (the router drops it), allocated from the
 * request arena.
 */
const char *gr_techdocs_api_wildcard(gr_request *req);

#endif
