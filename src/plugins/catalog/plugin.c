/* SPDX-License-Identifier: MIT */
/* The catalog plugin, set up through the plugin ABI: engine life cycle, REST routes, the services
 * behind the ABI's catalog functions, commands and config keys. */
#include "plugins/catalog/plugin.h"

#include <stddef.h>
#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/plugin/plugin.h"
#include "plugins/catalog/abi_services.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/cli.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/engine/settings.h"
#include "plugins/catalog/permission/list.h"

/* The plugin's state: the engine, its REST routes and the provider it publishes. */
typedef struct {
    gr_catalog_abi_services provider;
    gr_catalog *catalog;
    gr_catalog_api *routes;
} plugin_state;

static const char *const orphan_strategies[] = {"keep", "delete", NULL};
/* The types that gr_catalog__read_location() reads. */
static const char *const location_types[] = {"file", "url", "git", NULL};

static const gr_plugin_config_key config_keys[] = {
    {.path = "catalog.locations",
     .types = GR_PLUGIN_CONFIG_ARRAY,
     .description = "Locations read at start: file paths, URLs or git targets."},
    {.path = "catalog.locations[].type",
     .types = GR_PLUGIN_CONFIG_STRING,
     .required = 1,
     .allowed = location_types,
     .description = "Location type: file, url or git."},
    {.path = "catalog.locations[].target",
     .types = GR_PLUGIN_CONFIG_STRING,
     .required = 1,
     .description = "Path (relative to the working folder; `*` and `**` globs allowed, which "
                    "skip names that begin with '.', as in Backstage), URL, or git target such "
                    "as /srv/repo.git?ref=main&path=catalog-info.yaml."},
    {.path = "catalog.locations[].rules",
     .types = GR_PLUGIN_CONFIG_ARRAY,
     .description = "Kinds this location may emit besides those of catalog.rules."},
    {.path = "catalog.locations[].rules[].allow",
     .types = GR_PLUGIN_CONFIG_ARRAY,
     .description = "Entity kinds, such as [User, Group]."},
    {.path = "catalog.rules",
     .types = GR_PLUGIN_CONFIG_ARRAY,
     .description = "Rules of the kinds that locations may emit, each for every location or "
                    "for those its `locations` names. Backstage's default allows Component, "
                    "API and Location."},
    {.path = "catalog.rules[].allow",
     .types = GR_PLUGIN_CONFIG_ARRAY,
     .description = "Kinds, or {kind, spec.type} objects."},
    {.path = "catalog.rules[].locations",
     .types = GR_PLUGIN_CONFIG_ARRAY,
     .description = "Locations the rule applies to: {type, exact} or {type, pattern}."},
    {.path = "catalog.processingInterval",
     .types = GR_PLUGIN_CONFIG_OBJECT | GR_PLUGIN_CONFIG_STRING | GR_PLUGIN_CONFIG_BOOLEAN,
     .description = "Time between two refreshes of an entity, such as {seconds: 100}, at most "
                    "a year; each refresh waits a random time between this and 1.5 times this, "
                    "drawn once for the entities claimed together in one batch. false turns "
                    "processing off. Default: 100 to 150 seconds."},
    {.path = "catalog.processingWorkers",
     .types = GR_PLUGIN_CONFIG_INTEGER,
     .description = "Processing threads per instance (1-64). Default: one more than the number "
                    "of processors, at least 2 and at most 4."},
    {.path = "catalog.orphanStrategy",
     .types = GR_PLUGIN_CONFIG_STRING,
     .default_json = "\"keep\"",
     .allowed = orphan_strategies,
     .description = "What happens to entities no location emits any more: keep them with the "
                    "backstage.io/orphan annotation, or delete them."},
    {.path = "catalog.readonly",
     .types = GR_PLUGIN_CONFIG_BOOLEAN,
     .default_json = "false",
     .description = "When true, the API rejects POST /locations (except dry runs), PUT and "
                    "DELETE /locations/:id with 403, and so do the portal's import and "
                    "unregister pages and greenroom catalog import, so that only "
                    "catalog.locations and plugin providers feed the catalog."},
    {.path = "catalog.allowedLocationTypes",
     .types = GR_PLUGIN_CONFIG_ARRAY,
     .description = "Location types users may register through the API. Default: [url]."},
    {.path = "integrations.github",
     .types = GR_PLUGIN_CONFIG_ARRAY,
     .description = "GitHub hosts that url locations may read from."},
    {.path = "integrations.github[].host",
     .types = GR_PLUGIN_CONFIG_STRING,
     .description = "Host name, default github.com."},
    {.path = "integrations.github[].token",
     .types = GR_PLUGIN_CONFIG_STRING,
     .secret = 1,
     .description = "Token sent as an Authorization header to this host and its API."},
    {.path = "integrations.github[].apiBaseUrl",
     .types = GR_PLUGIN_CONFIG_STRING,
     .description = "REST API base URL, such as https://api.github.com."},
    {.path = "integrations.github[].rawBaseUrl",
     .types = GR_PLUGIN_CONFIG_STRING,
     .description = "Raw content base URL, such as https://raw.githubusercontent.com."},
    {.path = "integrations.gitlab",
     .types = GR_PLUGIN_CONFIG_ARRAY,
     .description = "GitLab hosts that url locations may read from."},
    {.path = "integrations.gitlab[].host",
     .types = GR_PLUGIN_CONFIG_STRING,
     .description = "Host name, default gitlab.com."},
    {.path = "integrations.gitlab[].token",
     .types = GR_PLUGIN_CONFIG_STRING,
     .secret = 1,
     .description = "Token sent as an Authorization header to this host."},
    {.path = "integrations.gitlab[].apiBaseUrl",
     .types = GR_PLUGIN_CONFIG_STRING,
     .description = "REST API base URL, default https://HOST/api/v4."},
    {.path = "integrations.gitlab[].baseUrl",
     .types = GR_PLUGIN_CONFIG_STRING,
     .description = "Web base URL of the host."},
    {.path = NULL},
};

const gr_config_key gr_catalog_config_checks[] = {
    {.path = "catalog.processingWorkers", .check = gr_catalog__workers_check},
    {.path = "catalog.processingInterval", .check = gr_catalog__interval_check},
    {.path = NULL},
};

static int catalog_setup(const gr_host_api *api, gr_plugin_ctx *ctx, void **out)
{
    gr_host *host = gr_plugin_builtin_host(ctx);
    plugin_state *state = gr_xcalloc(1, sizeof(*state));
    gr_catalog_options options = {0};
    int rc;

    *out = state;
    /* TODO: the engine reads the whole config tree, the database pool and
     * the permission policy, which the ABI does not hand out, so the
     * catalog runs only compiled in. */
    if (host == NULL)
        return api->error_set(GR_PLUGIN_EINVALID, "the catalog runs only compiled into greenroom");
    options.db = host->db;
    options.config = gr_config_node(host->config, "");
    options.instance_id = host->instance_id;
    /* The API's migrations run before gr_catalog_new(), which drops the search indexes that
     * a first load builds at its end. */
    if ((rc = gr_catalog_plugin_migrate(host)) < 0 ||
        (rc = gr_catalog_new(&state->catalog, &options)) < 0 ||
        (rc = gr_catalog_api_register_plugin(state->catalog, api, ctx, host->permissions,
                                             &state->routes)) < 0)
        return rc;
    gr_catalog_abi_services_init(&state->provider, state->catalog, host->permissions);
    return api->service_publish(ctx, GR_PLUGIN_CATALOG_PROVIDER, &state->provider.provider.header);
}

static int catalog_start(void *payload)
{
    plugin_state *state = payload;

    return gr_catalog_start(state->catalog);
}

static void catalog_stop(void *payload)
{
    plugin_state *state = payload;

    gr_catalog_stop(state->catalog);
}

static void catalog_destroy(void *payload)
{
    plugin_state *state = payload;

    if (state == NULL)
        return;
    gr_catalog_api_free(state->routes);
    gr_catalog_free(state->catalog);
    free(state);
}

/*
 * TODO: the migrations stay out of the info. They are recorded under two
 * components, "catalog" (the engine) and "catalog_api" (the REST API's
 * indexes), while migration_legacy_id adopts the history of one. Their SQL
 * is also an embedded asset found at run time, and gr_catalog_new() applies
 * them itself, as the tests that run the engine alone need.
 */
static const gr_plugin_info catalog_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "catalog",
    .version = GR_VERSION,
    .description = "software catalog: locations, processing, entities, relations and validation",
    .setup = catalog_setup,
    .start = catalog_start,
    .stop = catalog_stop,
    .destroy = catalog_destroy,
    .commands = gr_catalog_cli_commands,
    .top_config_keys = config_keys,
    .permissions = gr_catalog_permissions,
    .permission_count = GR_CATALOG_PERMISSION_COUNT,
};

int gr_catalog_plugin_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &catalog_info;
    return GR_PLUGIN_OK;
}

int gr_catalog_plugin_init(gr_host *host, void **state_out)
{
    return gr_plugin_adapter_init(host, gr_catalog_plugin_entry, state_out);
}

int gr_catalog_plugin_migrate(gr_host *host)
{
    int rc = gr_catalog_migrate(host->db);

    return rc < 0 ? rc : gr_catalog_api_migrate(host->db);
}
