/* SPDX-License-Identifier: MIT */
/* Catalog services for plugins: permission-checked reads, change hooks and entity providers. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/permission/permission.h"
#include "host/plugin/ctx.h"
#include "host/plugin/plugin.h"
#include "host/plugin/services.h"
#include "host/sched/sched.h"
#include "plugins/catalog/api/predicate.h"
#include "plugins/catalog/api/read.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/engine/store.h"
#include "plugins/catalog/model/model.h"
#include "plugins/catalog/permission/access.h"
#include "plugins/catalog/plugin.h"

/** Maximum number of entities one provider run may supply. */
#define PROVIDER_MAX_ENTITIES 200000
/** Permission that catalog reads through the ABI are checked against. */
#define READ_PERMISSION "catalog.entity.read"

/* Returns the engine the catalog plugin published, or NULL when it does not run. */
static gr_catalog *catalog_of(const gr_plugin_ctx *ctx)
{
    return ctx->host != NULL ? gr_host_lookup(ctx->host, GR_CATALOG_SERVICE) : NULL;
}

/* ---- Reads ---- */

/*
 * Stores in *out the catalog.entity.read access predicate of the caller of
 * `req` (plugins/catalog/permission/access.h), applied inside the SQL of
 * each read. Reads with no request (the plugin reading for itself) are
 * allowed everything. Returns 0 or GR_EINVALID.
 */
static int read_access(const gr_plugin_ctx *ctx, gr_request *req, json_t **out)
{
    *out = NULL;
    if (req == NULL || ctx->host == NULL)
        return GR_OK;
    return gr_catalog_access_get(ctx->host->permissions, gr_req_identity(req), READ_PERMISSION,
                                 out);
}

static char *lower_ref(const char *ref)
{
    char *copy = gr_xstrdup(ref);

    for (char *p = copy; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

int gr_plugin__catalog_get(gr_plugin_ctx *ctx, gr_request *req, const char *ref, char **out_json)
{
    gr_buf text = GR_BUF_INIT;
    json_t *access = NULL;
    char *key;
    int rc;

    *out_json = NULL;
    if (ctx->host == NULL || ctx->host->db == NULL || ref == NULL)
        return gr_error_set(GR_EINVALID, "catalog reads need a running server and a ref");
    if ((rc = read_access(ctx, req, &access)) < 0)
        return rc;
    key = lower_ref(ref);
    rc = gr_catalog_read_by_ref(ctx->host->db, key, access, &text);
    free(key);
    /* A hidden entity reads as missing, as the catalog API responds. */
    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "No entity named '%s' found", ref);
    if (rc == GR_OK)
        *out_json = gr_buf_detach(&text);
    json_decref(access);
    gr_buf_free(&text);
    return rc;
}

int gr_plugin__catalog_query(gr_plugin_ctx *ctx, gr_request *req, const char *filter,
                             size_t limit, char **out_json)
{
    gr_catalog_list list = {.filter = NULL, .order = NULL, .limit = -1, .offset = 0};
    gr_buf text = GR_BUF_INIT;
    json_t *predicate = NULL;
    json_t *access = NULL;
    json_t *readable = NULL;
    int more = 0;
    int rc;

    *out_json = NULL;
    if (ctx->host == NULL || ctx->host->db == NULL)
        return gr_error_set(GR_EINVALID, "catalog reads need a running server");
    if ((rc = read_access(ctx, req, &access)) < 0)
        return rc;
    if (filter != NULL && filter[0] != '\0' &&
        (rc = gr_catalog_filter_parse(&filter, 1, &predicate)) < 0)
        goto done;
    readable = gr_catalog_access_and(predicate, access);
    list.filter = readable;
    if (limit > 0)
        list.limit = (int64_t)limit;
    gr_buf_putc(&text, '[');
    rc = gr_catalog_read_list(ctx->host->db, &list, NULL, &text, &more);
    gr_buf_putc(&text, ']');
    if (rc == GR_OK)
        *out_json = gr_buf_detach(&text);
done:
    json_decref(readable);
    json_decref(access);
    json_decref(predicate);
    gr_buf_free(&text);
    return rc;
}

/* ---- Change hooks ---- */

/* Runs on a catalog worker thread after each stitched change. */
static void on_stitched(const char *entity_ref, int deleted, void *payload)
{
    const gr_plugin__hook *hook = payload;

    if (hook->ctx->set_up)
        hook->fn(entity_ref, deleted, hook->payload);
}

int gr_plugin__catalog_on_change(gr_plugin_ctx *ctx, gr_plugin_entity_changed_fn fn,
                                 void *payload)
{
    gr_catalog *catalog = catalog_of(ctx);
    gr_plugin__hook *hook;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "catalog_on_change")) < 0)
        return rc;
    if (fn == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: catalog_on_change needs a function", ctx->id);
    if (catalog == NULL)
        return gr_error_set(GR_EBACKEND,
                            "plugin %s: the catalog engine is not running, so entity changes "
                            "cannot be followed",
                            ctx->id);
    hook = gr_xcalloc(1, sizeof(*hook));
    hook->ctx = ctx;
    hook->fn = fn;
    hook->payload = payload;
    if ((rc = gr_plugin__list_push(&ctx->hooks, hook)) < 0) {
        free(hook);
        return rc;
    }
    return gr_catalog_on_stitched(catalog, on_stitched, hook);
}

/* ---- Entity providers ---- */

struct gr_provider_run {
    gr_plugin__provider *provider;
    gr_sched_run *sched_run;
};

/* Fills in the location annotations a provided entity needs when the plugin left them out. */
static void annotate(json_t *entity, const char *source_key)
{
    json_t *metadata = json_object_get(entity, "metadata");
    json_t *annotations = json_object_get(metadata, "annotations");
    char *location = gr_xasprintf("plugin:%s", source_key);

    if (!json_is_object(annotations)) {
        annotations = json_object();
        json_object_set_new(metadata, "annotations", annotations);
    }
    if (json_object_get(annotations, "backstage.io/managed-by-location") == NULL)
        json_object_set_new(annotations, "backstage.io/managed-by-location", json_string(location));
    if (json_object_get(annotations, "backstage.io/managed-by-origin-location") == NULL)
        json_object_set_new(annotations, "backstage.io/managed-by-origin-location",
                            json_string(location));
    free(location);
}

/*
 * Parses a JSON array of entities into provided items. Returns 0 with
 * *items (free each with gr_catalog__provided_free() and the array), or
 * GR_EINVALID naming the first bad item.
 */
static int parse_entities(const gr_plugin__provider *provider, const char *text,
                          gr_catalog_provided **items, size_t *count)
{
    json_error_t error;
    json_t *array = json_loads(text != NULL ? text : "", 0, &error);
    size_t index;
    json_t *entity;
    int rc = GR_OK;

    *items = NULL;
    *count = 0;
    if (!json_is_array(array)) {
        json_decref(array);
        return gr_error_set(GR_EINVALID, "provider %s: expected a JSON array of entities (%s)",
                            provider->source_key, array == NULL ? error.text : "not an array");
    }
    if (json_array_size(array) > PROVIDER_MAX_ENTITIES) {
        json_decref(array);
        return gr_error_set(GR_ELIMIT, "provider %s: more than %d entities in one run",
                            provider->source_key, PROVIDER_MAX_ENTITIES);
    }
    *items = gr_xcalloc(json_array_size(array) + 1, sizeof(**items));
    json_array_foreach (array, index, entity) {
        const json_t *metadata = json_object_get(entity, "metadata");

        if (!json_is_string(json_object_get(entity, "kind")) || !json_is_object(metadata) ||
            !json_is_string(json_object_get(metadata, "name"))) {
            rc = gr_error_set(GR_EINVALID,
                              "provider %s: entity %zu has no kind or metadata.name",
                              provider->source_key, index);
            break;
        }
        annotate(entity, provider->source_key);
        gr_catalog__provided_init(&(*items)[index], entity, provider->source_key);
        (*count)++;
    }
    json_decref(array);
    return rc;
}

static void free_items(gr_catalog_provided *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        gr_catalog__provided_free(&items[i]);
    free(items);
}

static int apply(gr_provider_run *run, const char *added_json, bool full)
{
    gr_catalog *catalog = catalog_of(run->provider->ctx);
    gr_catalog_provided *items = NULL;
    size_t count = 0;
    char *cause;
    int rc;

    if (catalog == NULL)
        return gr_error_set(GR_EBACKEND,
                            "provider %s: the catalog engine is not running, so entities cannot "
                            "be stored",
                            run->provider->source_key);
    if ((rc = parse_entities(run->provider, added_json, &items, &count)) < 0) {
        free_items(items, count);
        return rc;
    }
    cause = gr_xasprintf("provider %s", run->provider->source_key);
    if (full)
        rc = gr_catalog__provider_full(catalog, run->provider->source_key, items, count, cause);
    else
        rc = gr_catalog__provider_add(catalog, run->provider->source_key, items, count);
    free(cause);
    free_items(items, count);
    return rc;
}

int gr_plugin__provider_apply_full(gr_provider_run *run, const char *entities_json)
{
    return apply(run, entities_json, true);
}

int gr_plugin__provider_apply_delta(gr_provider_run *run, const char *added_json,
                                    const char *removed_json)
{
    int rc = GR_OK;

    /* TODO: removals in a delta need the engine's provider_remove inside its
     * own transaction, which the engine does not expose yet. Until it does, a
     * provider that must remove entities applies a full mutation. */
    if (removed_json != NULL && strcmp(removed_json, "[]") != 0)
        return gr_error_set(GR_EINVALID,
                            "provider %s: removals in a delta are not supported yet; apply a "
                            "full mutation instead",
                            run->provider->source_key);
    if (added_json != NULL)
        rc = apply(run, added_json, false);
    return rc;
}

int gr_plugin__provider_stopping(gr_provider_run *run)
{
    return run->sched_run != NULL && gr_sched_run_stopping(run->sched_run);
}

static int provider_job(gr_sched_run *sched_run, void *payload)
{
    gr_plugin__provider *provider = payload;
    gr_provider_run run = {.provider = provider, .sched_run = sched_run};
    int rc;

    if (!provider->ctx->set_up)
        return GR_OK;
    gr_error_clear();
    rc = provider->def.run(&run, provider->def.payload);
    if (rc < 0)
        gr_log_fields(GR_LOG_ERROR, provider->ctx->id, "entity provider failed", "provider",
                      provider->source_key, "error", gr_error_last(), NULL);
    return rc < 0 ? rc : GR_OK;
}

int gr_plugin__provider_add(gr_plugin_ctx *ctx, const gr_plugin_provider *def)
{
    gr_plugin__provider *provider;
    char *job_id;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "provider_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_provider) || def->name == NULL ||
        def->name[0] == '\0' || def->run == NULL || def->interval_ms <= 0)
        return gr_error_set(GR_EINVALID,
                            "plugin %s: a provider needs struct_size, a name, a run function "
                            "and a positive interval",
                            ctx->id);
    if (ctx->host == NULL || ctx->host->sched == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: providers need the scheduler", ctx->id);
    provider = gr_xcalloc(1, sizeof(*provider));
    provider->ctx = ctx;
    provider->def = *def;
    provider->name = gr_xstrdup(def->name);
    provider->source_key = gr_xasprintf("%s:%s", ctx->id, def->name);
    provider->def.name = provider->name;
    if ((rc = gr_plugin__list_push(&ctx->providers, provider)) < 0) {
        free(provider->name);
        free(provider->source_key);
        free(provider);
        return rc;
    }
    job_id = gr_xasprintf("plugin:%s:provider:%s", ctx->id, def->name);
    rc = gr_sched_add(ctx->host->sched, job_id, def->interval_ms, 0,
                      def->timeout_ms > 0 ? def->timeout_ms : def->interval_ms, provider_job,
                      provider);
    free(job_id);
    return rc;
}
