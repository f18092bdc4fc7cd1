/* SPDX-License-Identifier: MIT */
/* The techdocs plugin, set up through the plugin ABI: the service, its routes, pages and jobs. */
#include "plugins/techdocs/plugin.h"

#include <stdlib.h>

#include "gr_sql.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/permission/permission.h"
#include "host/plugin/plugin.h"
#include "plugins/search/collator_techdocs.h"
#include "plugins/search/plugin.h"
#include "plugins/techdocs/api.h"
#include "plugins/techdocs/cli.h"
#include "plugins/techdocs/pages.h"
#include "plugins/techdocs/prebuild.h"
#include "plugins/techdocs/service.h"
#include "plugins/techdocs/settings.h"

/* The TechDocs tables' migrations. Earlier releases recorded them under the
 * component "techdocs", which the info names as its legacy id. */
static const gr_plugin_migration migrations[] = {
    {.version = 1,
     .description = "create techdocs_sites, techdocs_files and techdocs_builds",
     .sql_sqlite = gr_sql_plugins_techdocs_sql_001_sites_sqlite,
     .sql_pg = gr_sql_plugins_techdocs_sql_001_sites_pg},
    {.version = 2,
     .description = "index techdocs_sites by publish time",
     .sql = gr_sql_plugins_techdocs_sql_002_published_at},
};

/* The plugin's state. The published service comes first, so that its header
 * is where the state starts. */
typedef struct {
    gr_techdocs_plugin_service published;
    gr_techdocs_service *service;
    gr_techdocs_api routes;
    gr_techdocs_pages pages;
} plugin_state;

static int run_prebuild(gr_sched_run *run, void *payload)
{
    plugin_state *state = payload;

    (void)run;
    return gr_techdocs_prebuild(state->service, NULL);
}

/* Queues the search update of a site that a build just published, so that
 * it is searchable within a second. */
static void notify_search(const char *entity_ref, void *search)
{
    gr_search_notify(search, GR_SEARCH_TYPE_TECHDOCS, entity_ref);
}

/* Reports published sites to search when search runs: it sets up before TechDocs. */
static void follow_search(const gr_host_api *api, gr_plugin_ctx *ctx, gr_techdocs_service *service)
{
    const gr_plugin_service *found = NULL;

    if (api->service_lookup(ctx, GR_SEARCH_SERVICE, sizeof(gr_search_plugin_service), &found) ==
        GR_PLUGIN_OK)
        gr_techdocs_service_on_published(service, notify_search,
                                         ((const gr_search_plugin_service *)found)->search);
}

/* Returns whether a layout provider frames the pages (the web UI sets up before TechDocs). */
static int layout_runs(const gr_host_api *api, gr_plugin_ctx *ctx)
{
    const gr_plugin_service *found = NULL;

    if (api->service_lookup(ctx, GR_PLUGIN_SERVICE_LAYOUT, sizeof(gr_plugin_service), &found) ==
        GR_PLUGIN_OK)
        return 1;
    gr_error_clear();
    return 0;
}

static int techdocs_setup(const gr_host_api *api, gr_plugin_ctx *ctx, void **out)
{
    gr_host *host = gr_plugin_builtin_host(ctx);
    plugin_state *state = gr_xcalloc(1, sizeof(*state));
    gr_techdocs_service_options options = {0};
    const gr_techdocs_settings *settings;
    int rc;

    *out = state;
    if (host == NULL)
        return api->error_set(GR_PLUGIN_EINVALID, "techdocs runs only compiled into greenroom");
    options = (gr_techdocs_service_options){host->db, host->config, NULL, host->instance_id,
                                            host->permissions};
    if ((rc = gr_techdocs_service_new(&state->service, &options)) < 0)
        return rc;
    follow_search(api, ctx, state->service);
    state->routes = (gr_techdocs_api){api, state->service};
    state->pages = (gr_techdocs_pages){api, state->service, layout_runs(api, ctx)};
    if ((rc = gr_techdocs_api_register(ctx, &state->routes)) < 0 ||
        (rc = gr_techdocs_pages_register(ctx, host->http, &state->pages)) < 0)
        return rc;
    state->published.header.struct_size = sizeof(state->published);
    state->published.header.version = 1;
    state->published.service = state->service;
    if ((rc = api->service_publish(ctx, GR_TECHDOCS_SERVICE, &state->published.header)) < 0)
        return rc;
    settings = gr_techdocs_service_settings(state->service);
    if (host->sched == NULL || !settings->prebuild || settings->external)
        return GR_OK;
    return api->job_add(ctx, "prebuild", GR_TECHDOCS_PREBUILD_INTERVAL_MS,
                        GR_TECHDOCS_PREBUILD_DELAY_MS, GR_TECHDOCS_PREBUILD_INTERVAL_MS,
                        run_prebuild, state);
}

static int techdocs_start(void *payload)
{
    plugin_state *state = payload;

    return gr_techdocs_service_start(state->service);
}

static void techdocs_stop(void *payload)
{
    plugin_state *state = payload;

    gr_techdocs_service_stop(state->service);
}

static void techdocs_destroy(void *payload)
{
    plugin_state *state = payload;

    if (state == NULL)
        return;
    gr_techdocs_service_free(state->service);
    free(state);
}

/* Backstage's permission for reading an entity's docs. */
static const gr_plugin_permission permissions[] = {
    {.struct_size = sizeof(gr_plugin_permission),
     .name = "techdocs.read",
     .resource_type = GR_PERMISSION_CATALOG_ENTITY,
     .action = "read"},
};

static const gr_plugin_info techdocs_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "techdocs",
    .version = GR_VERSION,
    .description = "TechDocs: builds, stores and serves docs sites from mkdocs.yml and Markdown",
    .setup = techdocs_setup,
    .start = techdocs_start,
    .stop = techdocs_stop,
    .destroy = techdocs_destroy,
    .commands = gr_techdocs_commands,
    .migrations = migrations,
    .migration_count = sizeof(migrations) / sizeof(migrations[0]),
    .migration_legacy_id = "techdocs",
    .top_config_keys = gr_techdocs_top_config_keys,
    .permissions = permissions,
    .permission_count = sizeof(permissions) / sizeof(permissions[0]),
};

int gr_techdocs_plugin_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &techdocs_info;
    return GR_PLUGIN_OK;
}

int gr_techdocs_plugin_init(gr_host *host, void **state_out)
{
    return gr_plugin_adapter_init(host, gr_techdocs_plugin_entry, state_out);
}

int gr_techdocs_migrate(gr_db *db)
{
    gr_host host = {.db = db};

    return gr_plugin_adapter_migrate(&host, gr_techdocs_plugin_entry);
}
