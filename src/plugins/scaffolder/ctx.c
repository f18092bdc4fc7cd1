/* SPDX-License-Identifier: MIT */
/* The context an action runs in: input, workspace, log, outputs. */
#include "plugins/scaffolder/ctx.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/workspace.h"

json_t *gr_scaffolder_ctx_input(gr_scaffolder_ctx *ctx)
{
    return ctx->input;
}

const char *gr_scaffolder_ctx_string(gr_scaffolder_ctx *ctx, const char *name, const char *fallback)
{
    const char *value = json_string_value(json_object_get(ctx->input, name));

    return value ? value : fallback;
}

bool gr_scaffolder_ctx_bool(gr_scaffolder_ctx *ctx, const char *name, bool fallback)
{
    json_t *value = json_object_get(ctx->input, name);

    return json_is_boolean(value) ? json_is_true(value) : fallback;
}

const char *gr_scaffolder_ctx_workspace(const gr_scaffolder_ctx *ctx)
{
    return ctx->run->workspace;
}

const char *gr_scaffolder_ctx_task_id(const gr_scaffolder_ctx *ctx)
{
    return ctx->run->params->task_id ? ctx->run->params->task_id : "";
}

const char *gr_scaffolder_ctx_step_id(const gr_scaffolder_ctx *ctx)
{
    return ctx->step_id;
}

bool gr_scaffolder_ctx_dry_run(const gr_scaffolder_ctx *ctx)
{
    return ctx->run->params->dry_run;
}

const json_t *gr_scaffolder_ctx_secrets(const gr_scaffolder_ctx *ctx)
{
    return json_object_get(ctx->run->context, "secrets");
}

const json_t *gr_scaffolder_ctx_template_info(const gr_scaffolder_ctx *ctx)
{
    return json_object_get(ctx->run->context, "templateInfo");
}

const json_t *gr_scaffolder_ctx_user(const gr_scaffolder_ctx *ctx)
{
    return json_object_get(ctx->run->context, "user");
}

const gr_identity *gr_scaffolder_ctx_creator(const gr_scaffolder_ctx *ctx)
{
    return ctx->run->params->creator;
}

const gr_scaffolder *gr_scaffolder_ctx_services(const gr_scaffolder_ctx *ctx)
{
    return ctx->run->services;
}

gr_tmpl_budget *gr_scaffolder_ctx_budget(gr_scaffolder_ctx *ctx)
{
    return &ctx->run->budget;
}

void gr_scaffolder_ctx_log(gr_scaffolder_ctx *ctx, const char *fmt, ...)
{
    gr_buf message = GR_BUF_INIT;
    va_list args;

    va_start(args, fmt);
    gr_buf_vprintf(&message, fmt, args);
    va_end(args);
    gr_scaffolder__log(ctx->run, ctx->step_id, NULL, "%s", gr_buf_cstr(&message));
    gr_buf_free(&message);
}

int gr_scaffolder_ctx_output(gr_scaffolder_ctx *ctx, const char *name, json_t *value)
{
    char *text;
    size_t size;

    if (value == NULL)
        value = json_null();
    if (ctx->each) {
        json_t *list = json_object_get(ctx->output, name);

        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new(ctx->output, name, list);
        }
        json_array_append_new(list, value);
    } else {
        json_object_set_new(ctx->output, name, value);
    }
    text = json_dumps(ctx->output, JSON_COMPACT | JSON_ENCODE_ANY);
    size = text ? strlen(text) : 0;
    free(text);
    if (size > GR_SCAFFOLDER_MAX_OUTPUT_BYTES) {
        json_object_del(ctx->output, name);
        return gr_error_set(GR_ELIMIT, "output %s makes the step output larger than %d bytes", name,
                            GR_SCAFFOLDER_MAX_OUTPUT_BYTES);
    }
    return 0;
}

void gr_scaffolder_ctx_add_secret(gr_scaffolder_ctx *ctx, const char *value)
{
    gr_scaffolder_mask_add(ctx->run->mask, value);
}

int gr_scaffolder_ctx_charge(gr_scaffolder_ctx *ctx, size_t bytes)
{
    gr_run_state *run = ctx->run;

    run->workspace_used += (int64_t)bytes;
    if (run->workspace_used > run->services->workspace_bytes)
        return gr_error_set(GR_ELIMIT,
                            "the workspace would grow past the limit of %lld bytes "
                            "(scaffolder.limits.workspaceBytes)",
                            (long long)run->services->workspace_bytes);
    return 0;
}

bool gr_scaffolder_ctx_stopping(gr_scaffolder_ctx *ctx)
{
    return gr_scaffolder__stopping(ctx->run);
}

int gr_scaffolder_ctx_path(gr_scaffolder_ctx *ctx, const char *relative, char **out)
{
    return gr_scaffolder_path_resolve(ctx->run->workspace, relative, out);
}
