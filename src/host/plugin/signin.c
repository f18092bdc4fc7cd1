/* SPDX-License-Identifier: MIT */
/* Sign-in providers that plugins register with host->signin_provider_add(). */
#include <stdlib.h>

#include "host/auth/auth.h"
#include "host/auth/signin.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/plugin/ctx.h"
#include "host/plugin/services.h"

/* A plugin's provider as the host registers it: the callbacks run only while the plugin is
 * set up, as its routes do. */
typedef struct {
    const gr_plugin_ctx *ctx;
    gr_plugin_signin_fn start;
    gr_plugin_signin_fn frame;
    gr_plugin_signin_fn refresh;
    void *payload;
} plugin_signin;

static int call_plugin(const plugin_signin *signin, gr_plugin_signin_fn fn, gr_request *req,
                       gr_response *res, gr_plugin_signin_result *result)
{
    int rc;

    if (!signin->ctx->set_up)
        return gr_error_set(GR_ENOTFOUND, "plugin %s is not running", signin->ctx->id);
    rc = fn(req, res, result, signin->payload);
    if (rc > 0)
        return gr_error_set(GR_ERROR, "plugin %s: sign-in callback returned %d", signin->ctx->id,
                            rc);
    return rc;
}

static int plugin_start(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                        void *payload)
{
    const plugin_signin *signin = payload;

    return call_plugin(signin, signin->start, req, res, result);
}

static int plugin_frame(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                        void *payload)
{
    const plugin_signin *signin = payload;

    return call_plugin(signin, signin->frame, req, res, result);
}

static int plugin_refresh(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                          void *payload)
{
    const plugin_signin *signin = payload;

    return call_plugin(signin, signin->refresh, req, res, result);
}

int gr_plugin__signin_provider_add(gr_plugin_ctx *ctx, const gr_plugin_signin_provider *provider)
{
    plugin_signin *signin;
    gr_auth_signin_provider added;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "signin_provider_add")) < 0)
        return rc;
    if (provider == NULL || provider->struct_size < sizeof(gr_plugin_signin_provider))
        return gr_error_set(GR_EINVALID, "plugin %s: the sign-in provider's struct_size is "
                                         "smaller than gr_plugin_signin_provider",
                            ctx->id);
    if (ctx->host == NULL || ctx->host->auth == NULL)
        return gr_error_set(GR_EBACKEND, "plugin %s: the host serves without sign-in", ctx->id);

    signin = gr_xcalloc(1, sizeof(*signin));
    *signin = (plugin_signin){ctx, provider->start, provider->frame, provider->refresh,
                              provider->payload};
    added = (gr_auth_signin_provider){
        .id = provider->id,
        .label = provider->label,
        .order = provider->order,
        .start = provider->start != NULL ? plugin_start : NULL,
        .frame = provider->frame != NULL ? plugin_frame : NULL,
        .refresh = provider->refresh != NULL ? plugin_refresh : NULL,
        .payload = signin,
        .free_payload = free,
        .owner = ctx,
    };
    if ((rc = gr_auth_signin_add(ctx->host->auth, &added)) < 0)
        return gr_error_wrap(rc, "plugin %s", ctx->id);
    return GR_OK;
}

void gr_plugin__signins_remove(const gr_plugin_ctx *ctx)
{
    if (ctx->host != NULL && ctx->host->auth != NULL)
        gr_auth_signin_remove(ctx->host->auth, ctx);
}
