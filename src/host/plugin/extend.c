/* SPDX-License-Identifier: MIT */
/* Scheduler, permission, search and scaffolder services for plugins. */
#include <stdlib.h>
#include <string.h>

#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/permission/permission.h"
#include "host/plugin/ctx.h"
#include "host/plugin/services.h"
#include "host/sched/sched.h"

/* ---- Jobs ---- */

static int job_run(gr_sched_run *run, void *payload)
{
    gr_plugin__job *job = payload;

    if (!job->ctx->set_up)
        return GR_OK;
    return job->fn(run, job->payload);
}

int gr_plugin__job_add(gr_plugin_ctx *ctx, const char *name, int64_t interval_ms,
                       int64_t initial_delay_ms, int64_t timeout_ms, gr_plugin_job_fn fn,
                       void *payload)
{
    gr_plugin__job *job;
    char *job_id;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "job_add")) < 0)
        return rc;
    if (name == NULL || name[0] == '\0' || fn == NULL || interval_ms <= 0)
        return gr_error_set(GR_EINVALID,
                            "plugin %s: a job needs a name, a function and a positive interval",
                            ctx->id);
    if (ctx->host == NULL || ctx->host->sched == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: jobs need the scheduler", ctx->id);
    job = gr_xcalloc(1, sizeof(*job));
    job->name = gr_xstrdup(name);
    job->ctx = ctx;
    job->fn = fn;
    job->payload = payload;
    if ((rc = gr_plugin__list_push(&ctx->jobs, job)) < 0) {
        free(job->name);
        free(job);
        return rc;
    }
    job_id = gr_xasprintf("plugin:%s:%s", ctx->id, name);
    rc = gr_sched_add(ctx->host->sched, job_id, interval_ms, initial_delay_ms,
                      timeout_ms > 0 ? timeout_ms : interval_ms, job_run, job);
    free(job_id);
    return rc;
}

int gr_plugin__job_trigger(gr_plugin_ctx *ctx, const char *name)
{
    char *job_id;
    int rc;

    if (ctx->host == NULL || ctx->host->sched == NULL || name == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: no scheduler or job name", ctx->id);
    job_id = gr_xasprintf("plugin:%s:%s", ctx->id, name);
    rc = gr_sched_trigger(ctx->host->sched, job_id);
    free(job_id);
    return rc;
}

int gr_plugin__job_stopping(gr_sched_run *run)
{
    return gr_sched_run_stopping(run);
}

/* ---- Permissions ---- */

typedef struct {
    char *name;
    char *resource_type;
    char *action;
} permission_record;

void gr_plugin__permission_free(void *item)
{
    permission_record *record = item;

    free(record->name);
    free(record->resource_type);
    free(record->action);
    free(record);
}

int gr_plugin__permission_add(gr_plugin_ctx *ctx, const gr_plugin_permission *def)
{
    permission_record *record;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "permission_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_permission) || def->name == NULL ||
        strncmp(def->name, ctx->id, strlen(ctx->id)) != 0 || def->name[strlen(ctx->id)] != '.')
        return gr_error_set(GR_EINVALID,
                            "plugin %s: a permission's name must start with '%s.'", ctx->id,
                            ctx->id);
    if (gr_permission_find(def->name) != NULL)
        return gr_error_set(GR_ECONFLICT, "plugin %s: permission %s exists already", ctx->id,
                            def->name);
    record = gr_xcalloc(1, sizeof(*record));
    record->name = gr_xstrdup(def->name);
    record->resource_type = def->resource_type ? gr_xstrdup(def->resource_type) : NULL;
    record->action = def->action ? gr_xstrdup(def->action) : NULL;
    if ((rc = gr_plugin__list_push(&ctx->permissions, record)) < 0)
        gr_plugin__permission_free(record);
    return rc;
}

static bool declared_by(const gr_plugin_ctx *ctx, const char *permission)
{
    for (size_t i = 0; i < ctx->permissions.count; i++) {
        const permission_record *record = ctx->permissions.items[i];

        if (strcmp(record->name, permission) == 0)
            return true;
    }
    return false;
}

int gr_plugin__authorize(gr_plugin_ctx *ctx, gr_request *req, const char *permission,
                         const char *resource_ref)
{
    const gr_permission_policy *policy = ctx->host != NULL ? ctx->host->permissions : NULL;
    const gr_identity *identity = req != NULL ? gr_req_identity(req) : NULL;
    json_t *entity = NULL;
    char *text = NULL;
    int rc;

    if (permission == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: authorize needs a permission", ctx->id);
    if (req == NULL || policy == NULL || !gr_permission_enabled(policy))
        return GR_OK;
    if (declared_by(ctx, permission)) {
        /* TODO: permission.rules is checked against the host's list of
         * permissions when the config loads, before plugins are open, so a
         * rule cannot name a plugin permission yet; with the policy enabled,
         * plugin permissions are denied (secure by default) until it can. */
        return gr_error_set(GR_EDENIED,
                            "permission %s is denied: permission.rules cannot grant plugin "
                            "permissions yet",
                            permission);
    }
    if (resource_ref != NULL && gr_plugin__catalog_get(ctx, NULL, resource_ref, &text) == GR_OK)
        entity = json_loads(text, 0, NULL);
    rc = gr_permission_authorize(policy, identity, permission, entity, resource_ref,
                                 gr_req_path(req));
    json_decref(entity);
    free(text);
    return rc;
}

/* ---- Search collators ---- */

typedef struct {
    char *name; /* the document type */
    gr_plugin_collator def;
} collator_record;

struct gr_collator_run {
    collator_record *collator;
};

int gr_plugin__collator_add(gr_plugin_ctx *ctx, const gr_plugin_collator *def)
{
    collator_record *record;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "collator_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_collator) || def->type == NULL ||
        def->run == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: a collator needs a type and a function",
                            ctx->id);
    record = gr_xcalloc(1, sizeof(*record));
    record->name = gr_xstrdup(def->type);
    record->def = *def;
    record->def.type = record->name;
    /* TODO: hand the collator to the search plugin's gr_search_register_collator()
     * once search runs in `serve`; until then it is kept here and never run. */
    gr_log_fields(GR_LOG_WARN, ctx->id,
                  "search collator registered, but no search engine runs in this build",
                  "type", def->type, NULL);
    if ((rc = gr_plugin__list_push(&ctx->collators, record)) < 0) {
        free(record->name);
        free(record);
    }
    return rc;
}

int gr_plugin__collator_document(gr_collator_run *run, const char *title, const char *text,
                                 const char *location)
{
    if (run == NULL || title == NULL || text == NULL || location == NULL)
        return gr_error_set(GR_EINVALID, "a search document needs a title, text and location");
    return gr_error_set(GR_EBACKEND, "collator %s: no search engine runs in this build",
                        run->collator->name);
}

/* ---- Scaffolder actions ---- */

typedef struct {
    char *name; /* the action id */
    gr_plugin_action def;
} action_record;

int gr_plugin__action_add(gr_plugin_ctx *ctx, const gr_plugin_action *def)
{
    action_record *record;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "action_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_action) || def->id == NULL ||
        def->run == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: an action needs an id and a function",
                            ctx->id);
    record = gr_xcalloc(1, sizeof(*record));
    record->name = gr_xstrdup(def->id);
    record->def = *def;
    record->def.id = record->name;
    /* TODO: register with the scaffolder's action registry once the
     * scaffolder runs in `serve`; until then templates cannot use it. */
    gr_log_fields(GR_LOG_WARN, ctx->id,
                  "scaffolder action registered, but no scaffolder runs in this build", "action",
                  def->id, NULL);
    if ((rc = gr_plugin__list_push(&ctx->actions, record)) < 0) {
        free(record->name);
        free(record);
    }
    return rc;
}
