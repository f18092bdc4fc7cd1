/* SPDX-License-Identifier: MIT */
/* The search plugin, set up through the plugin ABI: config keys, the collators and search services,
 * the scheduled rebuild and the stitch hook. */
#include "plugins/search/plugin.h"

#include <stdlib.h>

#include "gr_sql.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/log/log.h"
#include "host/plugin/plugin.h"
#include "plugins/search/access.h"
#include "plugins/search/api.h"
#include "plugins/search/collator_catalog.h"
#include "plugins/search/collator_techdocs.h"
#include "plugins/search/internal.h"
#include "plugins/search/schedule.h"
#include "plugins/techdocs/plugin.h"

/** Rebuild interval without a configured schedule, in ms (Backstage's collators run every 10
 * minutes). */
#define REINDEX_DEFAULT_MS (10LL * 60 * 1000)
/** Time a scheduled rebuild may take before it loses its lease, in ms. */
#define REINDEX_TIMEOUT_MS (30LL * 60 * 1000)
/** Delay of the first rebuild when the index has never been built, in ms. */
#define REINDEX_FIRST_DELAY_MS 1000

static const gr_plugin_config_key config_keys[] = {
    {.path = "search.maxPageLimit",
     .types = GR_PLUGIN_CONFIG_INTEGER,
     .default_json = "100",
     .description = "Maximum pageLimit of a search query; larger ones are rejected with 400."},
    {.path = "search.maxTermLength",
     .types = GR_PLUGIN_CONFIG_INTEGER,
     .default_json = "100",
     .description = "Maximum length of a search term, in characters; longer ones are rejected "
                    "with 400."},
    {.path = "search.pg.highlightOptions.useHighlight",
     .types = GR_PLUGIN_CONFIG_BOOLEAN,
     .default_json = "true",
     .description = "Whether results carry highlighted title and text (both engines)."},
    {.path = "search.pg.highlightOptions.maxWords",
     .types = GR_PLUGIN_CONFIG_INTEGER,
     .default_json = "35",
     .description = "Maximum length of a highlighted text fragment, in words (on SQLite at "
                    "most 64)."},
    {.path = "search.pg.highlightOptions.minWords",
     .types = GR_PLUGIN_CONFIG_INTEGER,
     .default_json = "15",
     .description = "Minimum length of a highlighted text fragment on PostgreSQL, in words. "
                    "It must be below maxWords."},
    {.path = "search.pg.highlightOptions.shortWord",
     .types = GR_PLUGIN_CONFIG_INTEGER,
     .default_json = "3",
     .description = "On PostgreSQL, words of this length or less are dropped at the ends of a "
                    "fragment unless they match."},
    {.path = "search.pg.highlightOptions.highlightAll",
     .types = GR_PLUGIN_CONFIG_BOOLEAN,
     .default_json = "false",
     .description = "On PostgreSQL, highlight the whole text instead of a fragment."},
    {.path = "search.pg.highlightOptions.maxFragments",
     .types = GR_PLUGIN_CONFIG_INTEGER,
     .default_json = "0",
     .description = "On PostgreSQL, the number of text fragments; 0 makes one fragment without "
                    "fragment-based selection."},
    {.path = "search.pg.highlightOptions.fragmentDelimiter",
     .types = GR_PLUGIN_CONFIG_STRING,
     .default_json = "\" ... \"",
     .description = "Text put between fragments, and where SQLite's snippet cuts the text."},
    {.path = "search.collators.catalog.locationTemplate",
     .types = GR_PLUGIN_CONFIG_STRING,
     .default_json = "\"" GR_SEARCH_CATALOG_LOCATION "\"",
     .description = "Location of an entity's search result; :namespace, :kind and :name are "
                    "replaced."},
    {.path = "search.collators.catalog.schedule",
     .types = GR_PLUGIN_CONFIG_OBJECT,
     .description = "How often the whole index is rebuilt: {frequency: {minutes: 10}} or an "
                    "ISO 8601 duration, with optional timeout and initialDelay. Changes reach "
                    "the index within a second anyway; the rebuild repairs what was missed. "
                    "The shortest frequency of all collators is used."},
    {.path = "search.collators.techdocs.locationTemplate",
     .types = GR_PLUGIN_CONFIG_STRING,
     .default_json = "\"" GR_SEARCH_TECHDOCS_LOCATION "\"",
     .description = "Location of a TechDocs search result; :namespace, :kind, :name and :path "
                    "are replaced."},
    {.path = "search.collators.techdocs.schedule",
     .types = GR_PLUGIN_CONFIG_OBJECT,
     .description = "Rebuild schedule, as search.collators.catalog.schedule."},
    {.path = "techdocs.legacyUseCaseSensitiveTripletPaths",
     .types = GR_PLUGIN_CONFIG_BOOLEAN,
     .default_json = "false",
     .description = "Keep the case of namespace, kind and name in the locations of TechDocs "
                    "search results instead of lower-casing them."},
    {.path = NULL},
};

const gr_config_key gr_search_config_checks[] = {
    {.path = "search.collators.catalog.schedule", .check = gr_search_schedule_check},
    {.path = "search.collators.techdocs.schedule", .check = gr_search_schedule_check},
    {.path = NULL},
};

/* The search tables' migrations. Earlier releases recorded them under the
 * component "search", which the info names as its legacy id. */
static const gr_plugin_migration migrations[] = {
    {.version = 1,
     .description = "search state and pending changes",
     .sql = gr_sql_plugins_search_sql_001_state},
    {.version = 2,
     .description = "search position in the catalog history",
     .sql = gr_sql_plugins_search_sql_002_history_cursor},
};

/* The plugin's state. The collators service comes first, so that its
 * header is where the state starts. */
typedef struct {
    gr_plugin_collator_service collators;
    gr_search_plugin_service published;
    gr_search_api query_route;
    const gr_host_api *api;
    gr_plugin_ctx *ctx;
    gr_search *search;
} plugin_state;

/* One run of a collator that a plugin added through host->collator_add(). */
struct gr_collator_run {
    gr_search_sink *sink;
};

int gr_search_new_builtin(gr_search **out, gr_db *db, const gr_config *config,
                          const char *instance_id)
{
    gr_search_options options = {.db = db, .config = config, .instance_id = instance_id};
    int rc = gr_search_new(out, &options);

    if (rc == 0 && (rc = gr_search_register_catalog(*out)) == 0)
        rc = gr_search_register_techdocs(*out);
    if (rc < 0) {
        gr_search_free(*out);
        *out = NULL;
    }
    return rc;
}

int64_t gr_search_reindex_interval_ms(const gr_config *config)
{
    static const char *const paths[] = {"search.collators.catalog.schedule.frequency",
                                        "search.collators.techdocs.schedule.frequency"};
    int64_t interval = 0;

    for (size_t i = 0; config != NULL && i < 2; i++) {
        const json_t *frequency = gr_config_node(config, paths[i]);
        int64_t ms;

        if (frequency != NULL && gr_search_duration_ms(frequency, &ms, NULL) == 0 &&
            (interval == 0 || ms < interval))
            interval = ms;
    }
    return interval > 0 ? interval : REINDEX_DEFAULT_MS;
}

static int run_reindex(gr_sched_run *run, void *payload)
{
    plugin_state *state = payload;
    int rc;

    (void)run;
    rc = gr_search_reindex(state->search, NULL);
    if (rc == GR_ECONFLICT) {
        gr_info("search", "scheduled rebuild skipped: %s", gr_error_last());
        return 0;
    }
    return rc;
}

/* Returns 1 when the active generation was never filled by a rebuild. */
static int never_built(gr_db *db)
{
    gr_db_conn *conn = NULL;
    int64_t count = 0;
    int rc = gr_db_acquire(db, GR_DB_READ, &conn);

    if (rc == 0)
        rc = gr_db_query_int64(conn,
                               "SELECT count(*) FROM search_state WHERE id = 1 AND "
                               "switched_at IS NULL",
                               NULL, 0, &count);
    gr_db_release(conn);
    return rc == 0 && count > 0;
}

/* Runs a plugin's collator on the search worker. The payload is a copy of its descriptor. */
static int collate_plugin(void *payload, gr_search_sink *sink)
{
    const gr_plugin_collator *collator = payload;
    gr_collator_run run = {.sink = sink};

    return collator->run(&run, collator->payload);
}

static int collators_add(const gr_plugin_service *self, const gr_plugin_collator *collator)
{
    const plugin_state *state = (const plugin_state *)self;
    gr_plugin_collator *copy = gr_xmalloc(sizeof(*copy));
    gr_search_collator added = {
        .type = collator->type,
        .collate_all = collate_plugin,
        .payload = copy,
        .free_payload = free,
    };

    /* NOTE: search rebuilds every type on its own schedule, so
     * collator->interval_ms is not used. */
    *copy = *collator;
    return gr_search_register_collator(state->search, &added);
}

static int collators_document(gr_collator_run *run, const char *title, const char *text,
                              const char *location)
{
    gr_search_doc doc = {
        .source = location,
        .title = title,
        .text = text,
        .location = location,
    };

    return gr_search_sink_add(run->sink, &doc);
}

/* Publishes the collators and search services. */
static int publish(plugin_state *state)
{
    int rc;

    state->collators.header.struct_size = sizeof(state->collators);
    state->collators.header.version = 1;
    state->collators.add = collators_add;
    state->collators.document = collators_document;
    state->published.header.struct_size = sizeof(state->published);
    state->published.header.version = 1;
    state->published.search = state->search;
    rc = state->api->service_publish(state->ctx, GR_PLUGIN_SERVICE_COLLATORS,
                                     &state->collators.header);
    if (rc < 0)
        return rc;
    return state->api->service_publish(state->ctx, GR_SEARCH_SERVICE, &state->published.header);
}

static int search_setup(const gr_host_api *api, gr_plugin_ctx *ctx, void **out)
{
    gr_host *host = gr_plugin_builtin_host(ctx);
    plugin_state *state = gr_xcalloc(1, sizeof(*state));
    int64_t interval;
    int rc;

    *out = state;
    state->api = api;
    state->ctx = ctx;
    if (host == NULL)
        return api->error_set(GR_PLUGIN_EINVALID, "search runs only compiled into greenroom");
    interval = gr_search_reindex_interval_ms(host->config);
    if ((rc = gr_search_new_builtin(&state->search, host->db, host->config, host->instance_id)) < 0)
        return rc;
    state->query_route.api = api;
    state->query_route.search = state->search;
    if ((rc = gr_search_api_register(ctx, &state->query_route)) < 0 ||
        (rc = publish(state)) < 0)
        return rc;
    /* The worker finds entity changes in catalog_history; the stitch hook of
     * this process wakes it at once. The scheduled rebuild repairs what was
     * missed. */
    rc = api->catalog_on_change(ctx, gr_search_on_entity_stitched, state->search);
    if (rc == GR_PLUGIN_EBACKEND)
        gr_info("search", "the catalog plugin is not running; entity changes that other "
                          "processes stitch reach the index through the catalog history");
    else if (rc < 0)
        return rc;
    gr_search_set_access(state->search, gr_search_permission_access, (void *)host->permissions);
    return api->job_add(ctx, "reindex", interval,
                        never_built(host->db) ? REINDEX_FIRST_DELAY_MS : interval,
                        REINDEX_TIMEOUT_MS, run_reindex, state);
}

static int search_start(void *payload)
{
    plugin_state *state = payload;
    const gr_plugin_service *found = NULL;
    gr_techdocs_service *techdocs = NULL;

    /* TechDocs sets up after search, so its service is found only now. */
    if (state->api->service_lookup(state->ctx, GR_TECHDOCS_SERVICE,
                                   sizeof(gr_techdocs_plugin_service), &found) == GR_PLUGIN_OK)
        techdocs = ((const gr_techdocs_plugin_service *)found)->service;
    else
        gr_info("search", "the techdocs plugin is not running; docs pages are not indexed");
    gr_search_attach_techdocs(state->search, techdocs);
    return gr_search_start(state->search);
}

static void search_stop(void *payload)
{
    plugin_state *state = payload;

    if (state->search != NULL)
        gr_search_stop(state->search);
}

static void search_destroy(void *payload)
{
    plugin_state *state = payload;

    if (state == NULL)
        return;
    gr_search_free(state->search);
    free(state);
}

/* Backstage's permission for search queries. */
static const gr_plugin_permission permissions[] = {
    {.struct_size = sizeof(gr_plugin_permission), .name = "search.query", .action = "read"},
};

static const gr_plugin_info search_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "search",
    .version = GR_VERSION,
    .description = "search: catalog and TechDocs documents in SQLite FTS5 or PostgreSQL "
                   "full-text search",
    .setup = search_setup,
    .start = search_start,
    .stop = search_stop,
    .destroy = search_destroy,
    .commands = gr_search_commands,
    .migrations = migrations,
    .migration_count = sizeof(migrations) / sizeof(migrations[0]),
    .migration_legacy_id = "search",
    .top_config_keys = config_keys,
    .permissions = permissions,
    .permission_count = sizeof(permissions) / sizeof(permissions[0]),
};

int gr_search_plugin_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &search_info;
    return GR_PLUGIN_OK;
}

int gr_search_plugin_init(gr_host *host, void **state_out)
{
    return gr_plugin_adapter_init(host, gr_search_plugin_entry, state_out);
}

int gr_search_migrate(gr_db *db)
{
    gr_host host = {.db = db};

    return gr_plugin_adapter_migrate(&host, gr_search_plugin_entry);
}
