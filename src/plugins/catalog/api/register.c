/* SPDX-License-Identifier: MIT */
/* Registering the catalog API's routes, on an HTTP server or through the plugin ABI. */
#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/api/routes.h"
#include "plugins/catalog/engine/catalog.h"

/* The routes' mount point on a server of their own. */
#define API_PREFIX "/api/catalog"

static int server_add(void *target, const char *method, const char *pattern,
                      gr_http_handler handler, void *payload)
{
    char *full = gr_xasprintf(API_PREFIX "%s", pattern);
    int rc = gr_http_route(target, method, full, 0, handler, payload);

    free(full);
    return rc;
}

/* The plugin's route() mounts every pattern under /api/<plugin-id>, which is /api/catalog. */
typedef struct {
    const gr_host_api *host;
    gr_plugin_ctx *ctx;
} plugin_target;

static int plugin_add(void *target, const char *method, const char *pattern,
                      gr_http_handler handler, void *payload)
{
    const plugin_target *plugin = target;

    return plugin->host->route(plugin->ctx, method, pattern, 0, handler, payload);
}

void gr_catalog_api_free(gr_catalog_api *api)
{
    free(api);
}

/* Applies the API's migrations and registers the read routes, and with `catalog` the others. */
static int register_routes(gr_db *db, gr_catalog *catalog, const gr_catalog_api_router *router,
                           const gr_permission_policy *policy, gr_catalog_api **out)
{
    gr_catalog_api *api;
    int rc = gr_catalog_api_migrate(db);

    *out = NULL;
    if (rc != GR_OK)
        return rc;
    api = gr_xcalloc(1, sizeof(*api));
    api->db = db;
    api->catalog = catalog;
    api->policy = policy;
    rc = gr_catalog_api__routes_read(router, api);
    if (rc == GR_OK)
        rc = gr_catalog_api__routes_unprocessed(router, api);
    if (rc == GR_OK && catalog != NULL)
        rc = gr_catalog_api__routes_engine(router, api);
    if (rc != GR_OK) {
        gr_catalog_api_free(api);
        return rc;
    }
    *out = api;
    return GR_OK;
}

int gr_catalog_api_register_reads(gr_db *db, gr_http_server *server,
                                  const gr_permission_policy *policy, gr_catalog_api **out)
{
    gr_catalog_api_router router = {.add = server_add, .target = server};

    return register_routes(db, NULL, &router, policy, out);
}

int gr_catalog_api_register(gr_catalog *catalog, gr_http_server *server,
                            const gr_permission_policy *policy, gr_catalog_api **out)
{
    gr_catalog_api_router router = {.add = server_add, .target = server};

    return register_routes(gr_catalog_db(catalog), catalog, &router, policy, out);
}

int gr_catalog_api_register_plugin(gr_catalog *catalog, const gr_host_api *host,
                                   gr_plugin_ctx *ctx, const gr_permission_policy *policy,
                                   gr_catalog_api **out)
{
    plugin_target target = {.host = host, .ctx = ctx};
    gr_catalog_api_router router = {.add = plugin_add, .target = &target};

    return register_routes(gr_catalog_db(catalog), catalog, &router, policy, out);
}
