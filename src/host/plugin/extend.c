/* SPDX-License-Identifier: MIT */
/* Scheduler, permission, collator and scaffolder services for plugins. */
#include <stddef.h>
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
#include "plugins/scaffolder/action.h"
#include "plugins/scaffolder/plugin.h"

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

/* Declares one permission of `ctx` to the host's policy and keeps a record of it. */
static int permission_declare(gr_plugin_ctx *ctx, const gr_plugin_permission *def)
{
    permission_record *record;
    int rc;

    if (def == NULL || def->struct_size < sizeof(gr_plugin_permission) || def->name == NULL ||
        strncmp(def->name, ctx->id, strlen(ctx->id)) != 0 || def->name[strlen(ctx->id)] != '.')
        return gr_error_set(GR_EINVALID, "plugin %s: a permission's name must start with '%s.'",
                            ctx->id, ctx->id);
    if (ctx->host != NULL && ctx->host->permissions != NULL &&
        (rc = gr_permission_policy_declare(ctx->host->permissions, def->name, def->resource_type,
                                           def->action)) < 0)
        return gr_error_wrap(rc, "plugin %s", ctx->id);
    record = gr_xcalloc(1, sizeof(*record));
    record->name = gr_xstrdup(def->name);
    record->resource_type = def->resource_type ? gr_xstrdup(def->resource_type) : NULL;
    record->action = def->action ? gr_xstrdup(def->action) : NULL;
    if ((rc = gr_plugin__list_push(&ctx->permissions, record)) < 0)
        gr_plugin__permission_free(record);
    return rc;
}

int gr_plugin__permission_add(gr_plugin_ctx *ctx, const gr_plugin_permission *def)
{
    int rc = gr_plugin__check_setup(ctx, "permission_add");

    return rc < 0 ? rc : permission_declare(ctx, def);
}

int gr_plugin__permissions_declare(gr_plugin_ctx *ctx)
{
    const gr_plugin_info *info = ctx->info;
    const unsigned char *at;
    size_t stride;
    int rc = GR_OK;

    if (info->struct_size < offsetof(gr_plugin_info, permission_count) + sizeof(size_t) ||
        info->permissions == NULL || info->permission_count == 0)
        return GR_OK;
    /* The element size is the struct_size of the header the plugin was built with. */
    stride = info->permissions[0].struct_size;
    if (stride < sizeof(gr_plugin_permission))
        return gr_error_set(GR_EINVALID, "plugin %s: its permissions need their struct_size",
                            ctx->id);
    at = (const unsigned char *)info->permissions;
    for (size_t i = 0; rc == GR_OK && i < info->permission_count; i++)
        rc = permission_declare(ctx, (const gr_plugin_permission *)(const void *)(at + i * stride));
    return rc;
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
    if (resource_ref != NULL && gr_plugin__catalog_get(ctx, NULL, resource_ref, &text) == GR_OK)
        entity = json_loads(text, 0, NULL);
    rc = gr_permission_authorize(policy, identity, permission, entity, resource_ref,
                                 gr_req_path(req));
    json_decref(entity);
    free(text);
    return rc;
}

/* ---- Collators, handed to the plugin that publishes GR_PLUGIN_SERVICE_COLLATORS ---- */

typedef struct {
    char *name; /* the document type */
    gr_plugin_ctx *ctx;
    gr_plugin_collator def;
} collator_record;

/* Returns the collators service, or NULL with the error set. */
static const gr_plugin_collator_service *collator_service(gr_plugin_ctx *ctx)
{
    const gr_plugin_service *service = NULL;

    if (gr_plugin__service_lookup(ctx, GR_PLUGIN_SERVICE_COLLATORS,
                                  sizeof(gr_plugin_collator_service), &service) < 0)
        return NULL;
    return (const gr_plugin_collator_service *)service;
}

/* Runs on the index's thread. A plugin whose setup failed adds nothing. */
static int collate_all(gr_collator_run *run, void *payload)
{
    collator_record *record = payload;

    if (!record->ctx->set_up)
        return GR_OK;
    return record->def.run(run, record->def.payload);
}

int gr_plugin__collator_add(gr_plugin_ctx *ctx, const gr_plugin_collator *def)
{
    const gr_plugin_collator_service *service;
    gr_plugin_collator wrapped = {.struct_size = sizeof(wrapped), .run = collate_all};
    collator_record *record;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "collator_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_collator) || def->type == NULL ||
        def->run == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: a collator needs a type and a function",
                            ctx->id);
    if ((service = collator_service(ctx)) == NULL)
        return gr_error_set(GR_EBACKEND,
                            "plugin %s: no plugin keeps an index (service %s), so collator %s "
                            "cannot be added",
                            ctx->id, GR_PLUGIN_SERVICE_COLLATORS, def->type);
    record = gr_xcalloc(1, sizeof(*record));
    record->name = gr_xstrdup(def->type);
    record->ctx = ctx;
    record->def = *def;
    record->def.type = record->name;
    if ((rc = gr_plugin__list_push(&ctx->collators, record)) < 0) {
        free(record->name);
        free(record);
        return rc;
    }
    /* The record stays owned by the context. The index stops before any
     * plugin is destroyed, so it never reads a freed one. */
    wrapped.type = record->name;
    wrapped.interval_ms = def->interval_ms;
    wrapped.payload = record;
    return service->add(&service->header, &wrapped);
}

int gr_plugin__collator_document(gr_collator_run *run, const char *title, const char *text,
                                 const char *location)
{
    const gr_plugin_collator_service *service;

    if (run == NULL || title == NULL || location == NULL)
        return gr_error_set(GR_EINVALID, "a collated document needs a title and a location");
    if ((service = collator_service(NULL)) == NULL)
        return GR_EBACKEND;
    return service->document(run, title, text, location);
}

/* ---- Scaffolder actions ---- */

typedef struct {
    char *name; /* the action id */
    gr_plugin_ctx *ctx;
    char *description;
    char *input_schema;
    gr_plugin_action def;
} action_record;

void gr_plugin__action_free(void *item)
{
    action_record *record = item;

    free(record->name);
    free(record->description);
    free(record->input_schema);
    free(record);
}

/* Runs on a scaffolder worker: the input goes out as JSON text, each member
 * of the output object becomes a step output. */
static int action_run(gr_scaffolder_ctx *task, void *payload)
{
    action_record *record = payload;
    char *input = json_dumps(gr_scaffolder_ctx_input(task), JSON_COMPACT);
    char *output_text = NULL;
    json_t *output = NULL;
    const char *key;
    json_t *value;
    int rc;

    if (!record->ctx->set_up) {
        free(input);
        return gr_error_set(GR_EBACKEND, "plugin %s is not running", record->ctx->id);
    }
    gr_error_clear();
    rc = record->def.run(input, &output_text, record->def.payload);
    if (rc == GR_OK && output_text != NULL)
        output = json_loads(output_text, 0, NULL);
    /* json_is_object() is a macro that reads its argument twice, so the value is loaded first. */
    if (rc == GR_OK && output_text != NULL && !json_is_object(output))
        rc = gr_error_set(GR_EINVALID, "action %s returned output that is not a JSON object",
                          record->name);
    json_object_foreach(rc == GR_OK ? output : NULL, key, value)
    {
        if ((rc = gr_scaffolder_ctx_output(task, key, json_incref(value))) < 0)
            break;
    }
    json_decref(output);
    free(output_text);
    free(input);
    return rc;
}

int gr_plugin__action_add(gr_plugin_ctx *ctx, const gr_plugin_action *def)
{
    gr_scaffolder_actions *actions =
        ctx->host != NULL ? gr_host_lookup(ctx->host, GR_SCAFFOLDER_ACTIONS_SERVICE) : NULL;
    gr_scaffolder_action action = {.run = action_run};
    action_record *record;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "action_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_action) || def->id == NULL ||
        def->run == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: an action needs an id and a function",
                            ctx->id);
    if (actions == NULL)
        return gr_error_set(GR_EBACKEND,
                            "plugin %s: the scaffolder does not run, so action %s cannot be added",
                            ctx->id, def->id);
    record = gr_xcalloc(1, sizeof(*record));
    record->name = gr_xstrdup(def->id);
    record->ctx = ctx;
    record->description = gr_xstrdup(def->description != NULL ? def->description : "");
    record->input_schema = def->input_schema != NULL ? gr_xstrdup(def->input_schema) : NULL;
    record->def = *def;
    if ((rc = gr_plugin__list_push(&ctx->actions, record)) < 0) {
        gr_plugin__action_free(record);
        return rc;
    }
    /* The scaffolder's workers stop before any plugin is destroyed, so the
     * registry never reads a freed record. */
    action.id = record->name;
    action.description = record->description;
    action.input_schema = record->input_schema;
    action.payload = record;
    action.supports_dry_run = def->supports_dry_run != 0;
    return gr_scaffolder_actions_add(actions, &action);
}
