/* SPDX-License-Identifier: MIT */
/* Catalog services for plugins, handed to the catalog plugin's provider: reads, change hooks and
 * entity providers. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/plugin/catalog_provider.h"
#include "host/plugin/ctx.h"
#include "host/plugin/plugin.h"
#include "host/plugin/services.h"
#include "host/sched/sched.h"

const gr_plugin_catalog_provider *gr_plugin__catalog_provider(const char *owner, const char *name,
                                                              const char *consequence)
{
    const gr_plugin_service *service = NULL;

    if (gr_plugin__service_lookup(NULL, GR_PLUGIN_CATALOG_PROVIDER,
                                  sizeof(gr_plugin_catalog_provider), &service) < 0) {
        gr_error_set(GR_EBACKEND, "%s %s: no catalog plugin is running, so %s", owner, name,
                     consequence);
        return NULL;
    }
    return (const gr_plugin_catalog_provider *)service;
}

/* ---- Reads ---- */

int gr_plugin__catalog_get(gr_plugin_ctx *ctx, gr_request *req, const char *ref, char **out_json)
{
    const gr_plugin_catalog_provider *catalog;

    *out_json = NULL;
    if (ref == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: catalog_get needs an entity ref", ctx->id);
    catalog = gr_plugin__catalog_provider("plugin", ctx->id, "entities cannot be read");
    if (catalog == NULL)
        return GR_EBACKEND;
    return catalog->get(catalog, req, ref, out_json);
}

int gr_plugin__catalog_query(gr_plugin_ctx *ctx, gr_request *req, const char *filter,
                             size_t limit, char **out_json)
{
    const gr_plugin_catalog_provider *catalog;

    *out_json = NULL;
    catalog = gr_plugin__catalog_provider("plugin", ctx->id, "entities cannot be listed");
    if (catalog == NULL)
        return GR_EBACKEND;
    return catalog->query(catalog, req, filter, limit, out_json);
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
    const gr_plugin_catalog_provider *catalog;
    gr_plugin__hook *hook;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "catalog_on_change")) < 0)
        return rc;
    if (fn == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: catalog_on_change needs a function", ctx->id);
    catalog = gr_plugin__catalog_provider("plugin", ctx->id, "entity changes cannot be followed");
    if (catalog == NULL)
        return GR_EBACKEND;
    hook = gr_xcalloc(1, sizeof(*hook));
    hook->ctx = ctx;
    hook->fn = fn;
    hook->payload = payload;
    if ((rc = gr_plugin__list_push(&ctx->hooks, hook)) < 0) {
        free(hook);
        return rc;
    }
    /* The hook stays owned by the context. The catalog's workers stop
     * before any plugin is destroyed, so they never call a freed one. */
    return catalog->on_change(catalog, on_stitched, hook);
}

/* ---- Entity providers ---- */

struct gr_provider_run {
    gr_plugin__provider *provider;
    gr_sched_run *sched_run;
};

static int apply(gr_provider_run *run, const char *entities_json, const char *removed_json,
                 bool full)
{
    const gr_plugin_catalog_provider *catalog =
        gr_plugin__catalog_provider("provider", run->provider->source_key,
                                    "entities cannot be stored");

    if (catalog == NULL)
        return GR_EBACKEND;
    return catalog->provide(catalog, run->provider->source_key, entities_json, removed_json, full);
}

int gr_plugin__provider_apply_full(gr_provider_run *run, const char *entities_json)
{
    return apply(run, entities_json, NULL, true);
}

int gr_plugin__provider_apply_delta(gr_provider_run *run, const char *added_json,
                                    const char *removed_json)
{
    if (added_json == NULL && removed_json == NULL)
        return GR_OK;
    return apply(run, added_json != NULL ? added_json : "[]", removed_json, false);
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
    if (gr_plugin__catalog_provider("plugin", ctx->id, "entity providers cannot be added") == NULL)
        return GR_EBACKEND;
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
