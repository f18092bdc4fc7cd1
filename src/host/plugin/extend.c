/* SPDX-License-Identifier: MIT */
/* Scheduler, permission, collator and scaffolder action services for plugins. */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/permission/permission.h"
#include "host/permission/resource.h"
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

/* Returns whether `name` is "<id>." followed by letters, digits, '.', '-' and '_'. */
static bool permission_name_valid(const char *id, const char *name)
{
    size_t id_len = strlen(id);

    if (strncmp(name, id, id_len) != 0 || name[id_len] != '.' || name[id_len + 1] == '\0')
        return false;
    for (const char *p = name + id_len + 1; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
            return false;
    }
    return true;
}

/* Declares one permission of `ctx` to the host's policy and keeps a record of it. */
static int permission_declare(gr_plugin_ctx *ctx, const gr_plugin_permission *def)
{
    permission_record *record;
    int rc;

    if (def == NULL || def->struct_size < sizeof(gr_plugin_permission) || def->name == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: a permission needs its struct_size (at "
                                         "least %zu) and a name",
                            ctx->id, sizeof(gr_plugin_permission));
    if (!permission_name_valid(ctx->id, def->name))
        return gr_error_set(GR_EINVALID,
                            "plugin %s: permission '%s' is invalid; its name must start with "
                            "'%s.' and use letters, digits, '.', '-' and '_' only",
                            ctx->id, def->name, ctx->id);
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

/* Loads the resource a check names: with the loader of the resource type of the permission's
 * conditional decision, or else as a catalog entity read by the plugin. Returns a new reference,
 * or NULL when it is not found or the decision needs no resource. */
static json_t *load_resource(gr_plugin_ctx *ctx, const gr_permission_policy *policy,
                             const gr_identity *identity, const char *permission,
                             const char *resource_ref)
{
    gr_permission_decision decision = {0};
    json_t *resource = NULL;
    char *text = NULL;

    if (gr_permission_evaluate(policy, identity, permission, &decision) == GR_OK &&
        decision.result == GR_PERMISSION_CONDITIONAL &&
        gr_permission_resource_known(decision.resource_type)) {
        gr_permission_resource_load(decision.resource_type, resource_ref, &resource);
    } else if (gr_plugin__catalog_get(ctx, NULL, resource_ref, &text) == GR_OK) {
        resource = json_loads(text, 0, NULL);
    }
    gr_permission_decision_clear(&decision);
    free(text);
    gr_error_clear();
    return resource;
}

/* Checks one permission on `resource` (owned) and frees it. */
static int authorize_resource(const gr_permission_policy *policy, const gr_identity *identity,
                              const char *permission, json_t *resource, const char *resource_ref,
                              const char *path)
{
    int rc = gr_permission_authorize(policy, identity, permission, resource, resource_ref, path);

    json_decref(resource);
    return rc;
}

int gr_plugin__authorize(gr_plugin_ctx *ctx, gr_request *req, const char *permission,
                         const char *resource_ref)
{
    const gr_permission_policy *policy = ctx->host != NULL ? ctx->host->permissions : NULL;
    const gr_identity *identity = req != NULL ? gr_req_identity(req) : NULL;
    json_t *resource = NULL;

    if (permission == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: authorize needs a permission", ctx->id);
    if (req == NULL || gr_permission_allows_all(policy, identity))
        return GR_OK;
    if (resource_ref != NULL)
        resource = load_resource(ctx, policy, identity, permission, resource_ref);
    return authorize_resource(policy, identity, permission, resource, resource_ref,
                              gr_req_path(req));
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

/* ---- Scaffolder actions, handed to the plugin that publishes GR_PLUGIN_SERVICE_ACTIONS ---- */

typedef struct {
    char *name; /* the action id */
    gr_plugin_ctx *ctx;
    gr_plugin_action def;
} action_record;

void gr_plugin__action_free(void *item)
{
    action_record *record = item;

    free(record->name);
    free(record);
}

/* Runs on the service's worker. A plugin whose setup failed runs nothing. */
static int action_run(const char *input_json, char **output_json, void *payload)
{
    action_record *record = payload;

    *output_json = NULL;
    if (!record->ctx->set_up)
        return gr_error_set(GR_EBACKEND, "plugin %s is not running", record->ctx->id);
    return record->def.run(input_json, output_json, record->def.payload);
}

int gr_plugin__action_add(gr_plugin_ctx *ctx, const gr_plugin_action *def)
{
    const gr_plugin_service *found = NULL;
    const gr_plugin_action_service *service;
    gr_plugin_action wrapped;
    action_record *record;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "action_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_action) || def->id == NULL ||
        def->run == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: an action needs an id and a function",
                            ctx->id);
    if (gr_plugin__service_lookup(ctx, GR_PLUGIN_SERVICE_ACTIONS, sizeof(*service), &found) < 0)
        return gr_error_set(GR_EBACKEND,
                            "plugin %s: the scaffolder does not run (no plugin published the "
                            "service %s), so action %s cannot be added",
                            ctx->id, GR_PLUGIN_SERVICE_ACTIONS, def->id);
    service = (const gr_plugin_action_service *)found;
    record = gr_xcalloc(1, sizeof(*record));
    record->name = gr_xstrdup(def->id);
    record->ctx = ctx;
    record->def = *def;
    if ((rc = gr_plugin__list_push(&ctx->actions, record)) < 0) {
        gr_plugin__action_free(record);
        return rc;
    }
    /* The record stays owned by the context. The service stops running actions before any
     * plugin is destroyed, so it never reads a freed one. */
    wrapped = *def;
    wrapped.struct_size = sizeof(wrapped);
    wrapped.run = action_run;
    wrapped.payload = record;
    return service->add(&service->header, &wrapped);
}
