/* SPDX-License-Identifier: MIT */
/* The catalog plugin definition: engine life cycle, REST routes, CLI and config keys. */
#include "plugins/catalog/plugin.h"

#include <stddef.h>
#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/log/log.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/cli.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/permission/list.h"

/* The plugin's state: the engine and the shared state of its REST routes. */
typedef struct {
    gr_catalog *catalog;
    gr_catalog_api *api;
} catalog_plugin;

static const char *const orphan_strategies[] = {"keep", "delete", NULL};

static const gr_config_key catalog_config_keys[] = {
    {.path = "catalog.locations", .types = GR_CONFIG_ARRAY,
     .description = "Locations read at start: file paths, URLs or git targets."},
    {.path = "catalog.locations[].type", .types = GR_CONFIG_STRING, .required = true,
     .description = "Location type: file, url or git."},
    {.path = "catalog.locations[].target", .types = GR_CONFIG_STRING, .required = true,
     .description = "Path (relative to the working folder; `*` and `**` globs allowed), URL, or "
                    "git target such as /srv/repo.git?ref=main&path=catalog-info.yaml."},
    {.path = "catalog.locations[].rules", .types = GR_CONFIG_ARRAY,
     .description = "Kinds this location may emit besides those of catalog.rules."},
    {.path = "catalog.locations[].rules[].allow", .types = GR_CONFIG_ARRAY,
     .description = "Entity kinds, such as [User, Group]."},
    {.path = "catalog.rules", .types = GR_CONFIG_ARRAY,
     .description = "Kinds every location may emit; Backstage's default allows Component, API "
                    "and Location."},
    {.path = "catalog.rules[].allow", .types = GR_CONFIG_ARRAY,
     .description = "Kinds, or {kind, spec.type} objects."},
    {.path = "catalog.rules[].locations", .types = GR_CONFIG_ARRAY,
     .description = "Locations the rule applies to: {type, exact} or {type, pattern}."},
    {.path = "catalog.processingInterval", .types = GR_CONFIG_OBJECT | GR_CONFIG_STRING |
                                                     GR_CONFIG_BOOLEAN,
     .description = "Time between two refreshes of an entity, such as {seconds: 100}; each "
                    "refresh waits a random time between this and 1.5 times this. false turns "
                    "processing off. Default: 100 to 150 seconds."},
    {.path = "catalog.processingWorkers", .types = GR_CONFIG_INTEGER,
     .description = "Processing threads per instance (1-64). Default: the number of processors, "
                    "at least 2 and at most 4."},
    {.path = "catalog.orphanStrategy", .types = GR_CONFIG_STRING, .default_json = "\"keep\"",
     .allowed = orphan_strategies,
     .description = "What happens to entities no location emits any more: keep them with the "
                    "backstage.io/orphan annotation, or delete them."},
    {.path = "catalog.allowedLocationTypes", .types = GR_CONFIG_ARRAY,
     .description = "Location types users may register through the API. Default: [url]."},
    {.path = "integrations.github", .types = GR_CONFIG_ARRAY,
     .description = "GitHub hosts that url locations may read from."},
    {.path = "integrations.github[].host", .types = GR_CONFIG_STRING,
     .description = "Host name, default github.com."},
    {.path = "integrations.github[].token", .types = GR_CONFIG_STRING, .secret = true,
     .description = "Token sent as an Authorization header to this host and its API."},
    {.path = "integrations.github[].apiBaseUrl", .types = GR_CONFIG_STRING,
     .description = "REST API base URL, such as https://api.github.com."},
    {.path = "integrations.github[].rawBaseUrl", .types = GR_CONFIG_STRING,
     .description = "Raw content base URL, such as https://raw.githubusercontent.com."},
    {.path = "integrations.gitlab", .types = GR_CONFIG_ARRAY,
     .description = "GitLab hosts that url locations may read from."},
    {.path = "integrations.gitlab[].host", .types = GR_CONFIG_STRING,
     .description = "Host name, default gitlab.com."},
    {.path = "integrations.gitlab[].token", .types = GR_CONFIG_STRING, .secret = true,
     .description = "Token sent as an Authorization header to this host."},
    {.path = "integrations.gitlab[].apiBaseUrl", .types = GR_CONFIG_STRING,
     .description = "REST API base URL, default https://HOST/api/v4."},
    {.path = "integrations.gitlab[].baseUrl", .types = GR_CONFIG_STRING,
     .description = "Web base URL of the host."},
    {.path = NULL},
};

static int catalog_init(gr_host *host, void **state_out)
{
    gr_catalog_options options = {
        .db = host->db,
        .config = gr_config_node(host->config, ""),
        .instance_id = host->instance_id,
    };
    catalog_plugin *plugin = gr_xcalloc(1, sizeof(*plugin));
    int rc = gr_catalog_new(&plugin->catalog, &options);

    if (rc == GR_OK)
        rc = gr_catalog_api_register(plugin->catalog, host->http, host->permissions,
                                     &plugin->api);
    if (rc == GR_OK)
        rc = gr_host_provide(host, GR_CATALOG_SERVICE, plugin->catalog);
    if (rc != GR_OK) {
        gr_catalog_api_free(plugin->api);
        gr_catalog_free(plugin->catalog);
        free(plugin);
        return rc;
    }
    *state_out = plugin;
    return GR_OK;
}

static int catalog_start(void *state)
{
    catalog_plugin *plugin = state;

    return gr_catalog_start(plugin->catalog);
}

static void catalog_stop(void *state)
{
    catalog_plugin *plugin = state;

    gr_catalog_stop(plugin->catalog);
}

static void catalog_destroy(void *state)
{
    catalog_plugin *plugin = state;

    gr_catalog_api_free(plugin->api);
    gr_catalog_free(plugin->catalog);
    free(plugin);
}

/* Applies the engine's and the API's migrations without reading catalog.locations. */
static int catalog_migrate(gr_host *host)
{
    int rc = gr_catalog_migrate(host->db);

    return rc < 0 ? rc : gr_catalog_api_migrate(host->db);
}

const gr_plugin_def gr_catalog_plugin = {
    .id = "catalog",
    .description = "software catalog: locations, processing, entities, relations and validation",
    .init = catalog_init,
    .start = catalog_start,
    .stop = catalog_stop,
    .destroy = catalog_destroy,
    .commands = gr_catalog_cli_commands,
    .config_keys = catalog_config_keys,
    .migrate = catalog_migrate,
    .permissions = gr_catalog_permissions,
    .permission_count = GR_CATALOG_PERMISSION_COUNT,
};
