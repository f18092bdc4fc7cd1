/* SPDX-License-Identifier: MIT */
/* The catalog plugin's hooks for `greenroom serve`: the engine, its workers and the read API. */
#include "plugins/catalog/plugin.h"

#include "host/config/config.h"
#include "host/http/http.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/engine/catalog.h"

int gr_catalog_plugin_init(gr_host *host, void **state_out)
{
    gr_catalog_options options = {
        .db = host->db,
        .config = gr_config_node(host->config, ""),
        .instance_id = host->instance_id,
    };
    gr_catalog *catalog = NULL;
    int error;

    if ((error = gr_catalog_new(&catalog, &options)) < 0)
        return error;
    /* TODO: register the write routes (locations, refresh, delete) once the
     * API part provides gr_catalog_api_register(). */
    if ((error = gr_catalog_api_register_reads(host->db, host->http)) < 0) {
        gr_catalog_free(catalog);
        return error;
    }
    *state_out = catalog;
    return 0;
}

int gr_catalog_plugin_start(void *state)
{
    return gr_catalog_start(state);
}

void gr_catalog_plugin_stop(void *state)
{
    gr_catalog_stop(state);
}

void gr_catalog_plugin_destroy(void *state)
{
    gr_catalog_free(state);
}
