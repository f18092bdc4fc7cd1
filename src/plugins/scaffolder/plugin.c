/* SPDX-License-Identifier: MIT */
/* The scaffolder plugin, set up through the plugin ABI: its info, life cycle and registrations,
 * and where templates come from. */
#include "plugins/scaffolder/plugin.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/permission/permission.h"
#include "host/plugin/plugin.h"
#include "host/sched/sched.h"
#include "plugins/catalog/api/read.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/permission/access.h"
#include "plugins/scaffolder/cli_run.h"
#include "plugins/scaffolder/permissions.h"
#include "plugins/scaffolder/store.h"

/* Time between two looks for tasks whose instance died, in milliseconds. */
#define RECOVER_INTERVAL_MS 30000
/* Catalog permission that decides which templates a caller may see and use. */
#define READ_PERMISSION "catalog.entity.read"

static char *lower_copy(const char *text)
{
    char *copy = gr_xstrdup(text);

    for (char *p = copy; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

/* Reads final_entity JSON rows of catalog_final_entities. */
static int query_entities(gr_db *db, const char *sql, const char *param, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *list = json_array();
    int rc;

    *out = NULL;
    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0) {
        json_decref(list);
        return rc;
    }
    if ((rc = gr_db_prepare(conn, sql, &stmt)) == 0) {
        if (param != NULL)
            gr_db_bind_text(stmt, 1, param);
        while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
            json_t *entity = json_loads(gr_db_column_text(stmt, 0) ?: "null", 0, NULL);

            if (json_is_object(entity))
                json_array_append_new(list, entity);
            else
                json_decref(entity);
        }
        rc = rc == GR_DB_DONE ? 0 : rc;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (rc < 0) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return 0;
}

static int find_entity(gr_db *db, const char *ref, json_t **out)
{
    char *lower = lower_copy(ref);
    json_t *list = NULL;
    int rc = query_entities(
        db, "SELECT final_entity FROM catalog_final_entities WHERE entity_ref = ?", lower, &list);

    *out = NULL;
    if (rc == 0 && json_array_size(list) == 0)
        rc = gr_error_set(GR_ENOTFOUND, "No entity named '%s' found", ref);
    if (rc == 0)
        *out = json_incref(json_array_get(list, 0));
    json_decref(list);
    free(lower);
    return rc;
}

/*
 * Reads the entity `ref` when `reader` may read it: catalog.entity.read and
 * its conditions become part of the SQL lookup, as in the catalog API, so
 * an entity the reader may not read gives GR_ENOTFOUND like a missing one.
 */
static int read_entity(gr_scaffolder_plugin *plugin, const gr_identity *reader, const char *ref,
                       json_t **out)
{
    char *lower = lower_copy(ref);
    json_t *access = NULL;
    gr_buf text = GR_BUF_INIT;
    int rc;

    *out = NULL;
    rc = gr_catalog_access_get(plugin->host->permissions, reader, READ_PERMISSION, &access);
    if (rc == 0)
        rc = gr_catalog_read_by_ref(plugin->host->db, lower, access, &text);
    if (rc == 0) {
        *out = json_loads(gr_buf_cstr(&text), 0, NULL);
        if (!json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            rc = gr_error_set(GR_EBACKEND, "the stored entity %s is not a JSON object", ref);
        }
    }
    gr_buf_free(&text);
    json_decref(access);
    free(lower);
    return rc;
}

int gr_scaffolder_find_template(gr_scaffolder_plugin *plugin, gr_request *req, const char *ref,
                                json_t **out)
{
    int rc = read_entity(plugin, req != NULL ? gr_req_identity(req) : NULL, ref, out);

    /* A hidden entity reads as missing, so the response never shows that it exists. */
    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "No template named '%s' found", ref);
    return rc;
}

int gr_scaffolder_list_templates(gr_scaffolder_plugin *plugin, gr_request *req, json_t **out)
{
    const gr_identity *identity = req != NULL ? gr_req_identity(req) : NULL;
    json_t *kind = json_pack("{s:s}", "kind", "template");
    json_t *access = NULL;
    json_t *filter = NULL;
    gr_buf text = GR_BUF_INIT;
    int more = 0;
    int rc;

    *out = NULL;
    rc = gr_catalog_access_get(plugin->host->permissions, identity, READ_PERMISSION, &access);
    if (rc == 0) {
        gr_catalog_list list = {.filter = NULL, .order = NULL, .limit = -1, .offset = 0};

        filter = gr_catalog_access_and(kind, access);
        list.filter = filter;
        gr_buf_putc(&text, '[');
        rc = gr_catalog_read_list(plugin->host->db, &list, NULL, &text, &more);
        gr_buf_putc(&text, ']');
    }
    if (rc == 0) {
        *out = json_loads(gr_buf_cstr(&text), 0, NULL);
        if (!json_is_array(*out)) {
            json_decref(*out);
            *out = NULL;
            rc = gr_error_set(GR_EBACKEND, "the stored Template entities are not valid JSON");
        }
    }
    gr_buf_free(&text);
    json_decref(filter);
    json_decref(access);
    json_decref(kind);
    return rc;
}

static int catalog_fetch_entity(void *payload, const gr_identity *reader, const char *ref,
                                json_t **out)
{
    int rc = read_entity(payload, reader, ref, out);

    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "No entity named '%s' found", ref);
    return rc;
}

static int catalog_register_location(void *payload, const char *type, const char *target,
                                     json_t **entities_out)
{
    gr_scaffolder_plugin *plugin = payload;
    json_t *location = NULL;
    json_t *exists = NULL;
    int rc;

    *entities_out = NULL;
    if (plugin->catalog == NULL)
        return gr_error_set(GR_EBACKEND, "the catalog is not running on this instance");
    rc = gr_catalog_add_location(plugin->catalog, type, target, 0, &location, NULL, NULL);
    json_decref(location);
    if (rc == GR_ECONFLICT)
        rc = 0; /* registered before: the entities below still tell the entity ref */
    if (rc == 0)
        rc = gr_catalog_add_location(plugin->catalog, type, target, 1, NULL, entities_out, &exists);
    json_decref(exists);
    return rc;
}

/* The CLI and tests use this with their own engine handle and database, without a permission
 * policy, so every entity is readable there. */
typedef struct {
    gr_db *db;
    gr_catalog *catalog;
} direct_catalog;

static int direct_fetch(void *payload, const gr_identity *reader, const char *ref, json_t **out)
{
    (void)reader;
    return find_entity(((direct_catalog *)payload)->db, ref, out);
}

static int direct_register(void *payload, const char *type, const char *target,
                           json_t **entities_out)
{
    direct_catalog *direct = payload;
    gr_scaffolder_plugin plugin = {.catalog = direct->catalog};

    return catalog_register_location(&plugin, type, target, entities_out);
}

void gr_scaffolder_use_catalog(gr_scaffolder *scaffolder, gr_db *db, void *catalog)
{
    direct_catalog *direct = gr_xcalloc(1, sizeof(*direct));

    direct->db = db;
    direct->catalog = catalog;
    free(scaffolder->catalog_owned);
    scaffolder->catalog_owned = direct;
    scaffolder->catalog.fetch_entity = direct_fetch;
    scaffolder->catalog.register_location = direct_register;
    scaffolder->catalog.payload = direct;
}

static int recover_job(gr_sched_run *run, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    int64_t count = 0;
    int rc;

    (void)run;
    rc = gr_task_recover_expired(plugin->host->db, &count);
    if (rc == 0 && count > 0)
        gr_warn("scaffolder",
                "marked %lld task(s) as failed: their instance stopped sending "
                "heartbeats",
                (long long)count);
    return rc;
}

/* Opens an engine handle without workers: locations it stores are processed by the catalog. */
static void open_catalog(gr_scaffolder_plugin *plugin)
{
    gr_catalog_options options = {
        .db = plugin->host->db,
        .config = gr_config_node(plugin->host->config, ""),
        .instance_id = plugin->host->instance_id,
        .registers_only = true,
    };
    gr_catalog *catalog = NULL;

    if (gr_catalog_new(&catalog, &options) < 0) {
        gr_warn("scaffolder", "catalog:register is not available: %s", gr_error_last());
        return;
    }
    plugin->catalog = catalog;
}

/*
 * Chooses how many dry runs may run at once. Each runs on one of the HTTP server's
 * GR_HTTP_MAX_DEFERRED_JOBS job threads, which catalog dry runs and location analyses share,
 * so the default takes at most half of them, and one less than the CPUs, at least 1.
 */
static int dry_run_limit(const gr_scaffolder *scaffolder)
{
    long cpus;
    long limit;

    if (scaffolder->dry_run_limit > 0)
        return scaffolder->dry_run_limit;
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
    limit = cpus > 2 ? cpus - 1 : 1;
    return limit < GR_HTTP_MAX_DEFERRED_JOBS / 2 ? (int)limit : GR_HTTP_MAX_DEFERRED_JOBS / 2;
}

/* Loads task `resource_ref` for a scaffolder-task condition (isTaskOwner): the task as
 * gr_task_get() returns it, whose createdBy IS_TASK_OWNER reads. */
static int load_task(const char *resource_ref, char **out_json, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    json_t *task = NULL;
    int rc = gr_task_get(plugin->host->db, resource_ref, &task);

    *out_json = NULL;
    if (rc == GR_OK) {
        *out_json = json_dumps(task, JSON_COMPACT);
        if (*out_json == NULL)
            rc = gr_error_set(GR_EBACKEND, "task %s cannot be written as JSON", resource_ref);
    }
    json_decref(task);
    return rc;
}

/* Registers what the scaffolder serves and offers: routes, pages, the actions service, the task
 * loader for permission checks and the recovery job. */
static int register_all(gr_scaffolder_plugin *plugin)
{
    const gr_host_api *api = plugin->api;
    gr_plugin_resource_loader loader = {
        .struct_size = sizeof(loader),
        .resource_type = GR_PERMISSION_SCAFFOLDER_TASK,
        .load = load_task,
        .payload = plugin,
    };
    int64_t recover_ms;
    int rc;

    gr_scaffolder_action_service_init(&plugin->action_service, plugin->scaffolder->actions);
    if ((rc = api->service_publish(plugin->ctx, GR_PLUGIN_SERVICE_ACTIONS,
                                   &plugin->action_service.published.header)) < 0 ||
        (rc = gr_scaffolder_api_register(plugin)) < 0 ||
        (rc = gr_scaffolder_ui_register(plugin)) < 0 ||
        (rc = api->resource_loader_add(plugin->ctx, &loader)) < 0)
        return rc;
    if (plugin->host->sched == NULL)
        return GR_OK;
    /* Looks at least twice per lease, so a dead instance's task fails soon after its claim. */
    recover_ms = plugin->scaffolder->lease_ms / 2;
    if (recover_ms > RECOVER_INTERVAL_MS)
        recover_ms = RECOVER_INTERVAL_MS;
    return api->job_add(plugin->ctx, "recover", recover_ms, recover_ms, recover_ms, recover_job,
                        plugin);
}

static int scaffolder_setup(const gr_host_api *api, gr_plugin_ctx *ctx, void **out)
{
    gr_host *host = gr_plugin_builtin_host(ctx);
    gr_scaffolder_plugin *plugin = gr_xcalloc(1, sizeof(*plugin));
    int rc;

    *out = plugin;
    plugin->api = api;
    plugin->ctx = ctx;
    plugin->host = host;
    if (host == NULL)
        return api->error_set(GR_PLUGIN_EINVALID, "scaffolder runs only compiled into greenroom");
    if ((rc = gr_scaffolder_new(&plugin->scaffolder, host->config, host->db)) < 0)
        return rc;
    open_catalog(plugin);
    plugin->dry_run_limit = dry_run_limit(plugin->scaffolder);
    atomic_init(&plugin->dry_runs, 0);
    plugin->scaffolder->catalog.fetch_entity = catalog_fetch_entity;
    plugin->scaffolder->catalog.register_location = catalog_register_location;
    plugin->scaffolder->catalog.payload = plugin;
    if ((rc = gr_scaffolder_workers_new(&plugin->workers, plugin->scaffolder, host->instance_id,
                                        plugin->scaffolder->concurrency)) < 0)
        return rc;
    return register_all(plugin);
}

static int scaffolder_start(void *state)
{
    gr_scaffolder_plugin *plugin = state;

    return gr_scaffolder_workers_start(plugin->workers);
}

static void scaffolder_stop(void *state)
{
    gr_scaffolder_plugin *plugin = state;

    gr_scaffolder_workers_stop(plugin->workers);
}

static void scaffolder_destroy(void *state)
{
    gr_scaffolder_plugin *plugin = state;

    if (plugin == NULL)
        return;
    gr_scaffolder_workers_free(plugin->workers);
    gr_scaffolder_action_service_clear(&plugin->action_service);
    gr_catalog_free(plugin->catalog);
    gr_scaffolder_free(plugin->scaffolder);
    free(plugin);
}

static const gr_plugin_info scaffolder_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "scaffolder",
    .version = GR_VERSION,
    .description = "software templates: forms, the task queue, actions and the template engine",
    .commands = gr_scaffolder_commands,
    .setup = scaffolder_setup,
    .start = scaffolder_start,
    .stop = scaffolder_stop,
    .destroy = scaffolder_destroy,
    .migrations = gr_task_store_migrations,
    .migration_count = GR_TASK_STORE_MIGRATION_COUNT,
    .migration_legacy_id = "scaffolder",
    .top_config_keys = gr_scaffolder_config_keys,
    .permissions = gr_scaffolder_permissions,
    .permission_count = GR_SCAFFOLDER_PERMISSION_COUNT,
};

int gr_scaffolder_plugin_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &scaffolder_info;
    return GR_PLUGIN_OK;
}

int gr_scaffolder_plugin_init(gr_host *host, void **state_out)
{
    return gr_plugin_adapter_init(host, gr_scaffolder_plugin_entry, state_out);
}

int gr_scaffolder_plugin_migrate(gr_host *host)
{
    return gr_plugin_adapter_migrate(host, gr_scaffolder_plugin_entry);
}

int gr_task_store_migrate(gr_db *db)
{
    gr_host host = {.db = db};

    return gr_scaffolder_plugin_migrate(&host);
}
