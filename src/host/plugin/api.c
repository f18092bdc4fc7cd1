/* SPDX-License-Identifier: MIT */
/* The table of host services handed to plugins: memory, errors, logging, database and HTTP. */
#include <assert.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/plugin/ctx.h"
#include "host/plugin/migrate.h"
#include "host/plugin/plugin.h"
#include "host/plugin/services.h"
#include "host/store/db.h"
#include "host/store/migrate.h"

/* The ABI fixes these numbers; the host's own must stay equal to them. */
static_assert((int)GR_PLUGIN_OK == (int)GR_OK && (int)GR_PLUGIN_ERROR == (int)GR_ERROR,
              "error codes");
static_assert((int)GR_PLUGIN_ENOTFOUND == (int)GR_ENOTFOUND &&
                  (int)GR_PLUGIN_EINVALID == (int)GR_EINVALID,
              "error codes");
static_assert((int)GR_PLUGIN_EDENIED == (int)GR_EDENIED &&
                  (int)GR_PLUGIN_EBACKEND == (int)GR_EBACKEND,
              "error codes");
static_assert((int)GR_PLUGIN_ECONFLICT == (int)GR_ECONFLICT &&
                  (int)GR_PLUGIN_ELIMIT == (int)GR_ELIMIT &&
                  (int)GR_PLUGIN_EUNAUTH == (int)GR_EUNAUTH,
              "error codes");
static_assert((int)GR_PLUGIN_DB_ROW == (int)GR_DB_ROW && (int)GR_PLUGIN_DB_DONE == (int)GR_DB_DONE,
              "step results");
static_assert((int)GR_PLUGIN_DB_SQLITE == (int)GR_DB_SQLITE &&
                  (int)GR_PLUGIN_DB_POSTGRES == (int)GR_DB_POSTGRES,
              "engines");
static_assert((int)GR_PLUGIN_LOG_DEBUG == (int)GR_LOG_DEBUG &&
                  (int)GR_PLUGIN_LOG_ERROR == (int)GR_LOG_ERROR,
              "log levels");

static void *api_alloc(size_t size)
{
    return gr_xmalloc(size == 0 ? 1 : size);
}

static void api_free(void *ptr)
{
    free(ptr);
}

static void *api_req_alloc(gr_request *req, size_t size)
{
    return gr_arena_alloc(gr_req_arena(req), size == 0 ? 1 : size);
}

static int api_error_set(int code, const char *fmt, ...)
{
    char message[GR_ERROR_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    return gr_error_set(code, "%s", message);
}

static const char *api_plugin_id(const gr_plugin_ctx *ctx)
{
    return ctx->id;
}

static const char *api_base_url(const gr_plugin_ctx *ctx)
{
    return ctx->host != NULL && ctx->host->base_url != NULL ? ctx->host->base_url : "";
}

static void api_log(const gr_plugin_ctx *ctx, int level, const char *fmt, ...)
{
    char message[2048];
    va_list args;

    if (level < GR_LOG_DEBUG || level > GR_LOG_ERROR)
        level = GR_LOG_ERROR;
    if (!gr_log_enabled((gr_log_level)level))
        return;
    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    gr_log((gr_log_level)level, ctx->id, "%s", message);
}

static int api_log_enabled(int level)
{
    return gr_log_enabled((gr_log_level)level);
}

static gr_db *ctx_db(const gr_plugin_ctx *ctx)
{
    return ctx->host != NULL ? ctx->host->db : NULL;
}

static int api_db_migrate(gr_plugin_ctx *ctx, const gr_plugin_migration *migrations, size_t count)
{
    return gr_plugin__migrate(ctx->id, ctx_db(ctx), migrations, count);
}

static int api_db_engine(const gr_plugin_ctx *ctx)
{
    return ctx_db(ctx) != NULL ? (int)gr_db_dialect(ctx_db(ctx)) : 0;
}

static const char *api_db_sql(const gr_plugin_ctx *ctx, int fragment)
{
    const gr_db *db = ctx_db(ctx);

    if (db == NULL)
        return "";
    switch (fragment) {
    case GR_PLUGIN_SQL_NOW_MS:
        return gr_db_sql_now_ms(db);
    case GR_PLUGIN_SQL_AUTO_ID:
        return gr_db_sql_auto_id(db);
    case GR_PLUGIN_SQL_ILIKE:
        return gr_db_sql_ilike(db);
    case GR_PLUGIN_SQL_BLOB:
        return gr_db_sql_blob_type(db);
    default:
        return "";
    }
}

static int api_db_acquire(gr_plugin_ctx *ctx, int write, gr_db_conn **out)
{
    *out = NULL;
    if (ctx_db(ctx) == NULL)
        return gr_error_set(GR_EBACKEND, "plugin %s: no database is open", ctx->id);
    return gr_db_acquire(ctx_db(ctx), write ? GR_DB_WRITE : GR_DB_READ, out);
}

/* Wraps every plugin route: maps GR_PLUGIN_DECLINED to 404. */
static int api_route_handler(gr_request *req, gr_response *res, void *payload)
{
    const gr_plugin__route *route = payload;
    int rc;

    if (!route->ctx->set_up)
        return gr_error_set(GR_ENOTFOUND, "plugin %s is not running", route->ctx->id);
    rc = route->handler(req, res, route->payload);

    if (rc == GR_PLUGIN_DECLINED)
        return gr_error_set(GR_ENOTFOUND, "No route for %s %s", gr_req_method(req),
                            gr_req_path(req));
    if (rc > 0)
        return gr_error_set(GR_ERROR, "plugin %s: handler returned %d", route->ctx->id, rc);
    return rc;
}

bool gr_plugin_route_running(gr_http_handler handler, const void *payload)
{
    const gr_plugin__route *route = payload;

    return handler != api_route_handler || route->ctx->set_up;
}

static int api_route(gr_plugin_ctx *ctx, const char *method, const char *pattern, unsigned flags,
                     gr_plugin_handler handler, void *payload)
{
    gr_plugin__route *route;
    char *full;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "route")) < 0)
        return rc;
    if (ctx->host == NULL || ctx->host->http == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: routes need a running server", ctx->id);
    if (handler == NULL || pattern == NULL || (pattern[0] != '\0' && pattern[0] != '/'))
        return gr_error_set(GR_EINVALID,
                            "plugin %s: route pattern '%s' must start with '/' and have a handler",
                            ctx->id, pattern ? pattern : "(null)");
    route = gr_xcalloc(1, sizeof(*route));
    route->ctx = ctx;
    route->handler = handler;
    route->payload = payload;
    if ((rc = gr_plugin__list_push(&ctx->routes, route)) < 0) {
        free(route);
        return rc;
    }
    full = gr_xasprintf("/api/%s%s", ctx->id, pattern);
    rc = gr_http_route(ctx->host->http, method, full,
                       (flags & GR_PLUGIN_ROUTE_PUBLIC) ? GR_ROUTE_PUBLIC : 0, api_route_handler,
                       route);
    free(full);
    return rc;
}

static const char *api_req_user(const gr_request *req)
{
    const gr_identity *identity = gr_req_identity(req);

    return identity != NULL ? identity->subject : NULL;
}

static int api_res_body(gr_response *res, int status, const char *content_type, const char *data,
                        size_t len)
{
    if (status < 100 || status > 599 || content_type == NULL)
        return gr_error_set(GR_EINVALID, "response status %d or content type is invalid", status);
    gr_res_body(res, status, content_type, data != NULL ? data : "", data != NULL ? len : 0);
    return GR_OK;
}

static int api_res_json(gr_response *res, int status, const char *json)
{
    json_error_t error;
    json_t *body = json != NULL ? json_loads(json, JSON_DECODE_ANY, &error) : NULL;

    if (body == NULL)
        return gr_error_set(GR_EINVALID, "response JSON is invalid at line %d: %s",
                            json != NULL ? error.line : 0, json != NULL ? error.text : "NULL");
    return gr_res_json(res, status, body);
}

static int api_res_error(gr_response *res, int code, const char *fmt, ...)
{
    char message[GR_ERROR_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    if (code >= 0)
        code = GR_ERROR;
    return gr_res_error(res, code, "%s", message);
}

static const gr_host_api host_api = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_host_api),
    .host_version = GR_VERSION,

    .alloc = api_alloc,
    .free = api_free,
    .req_alloc = api_req_alloc,
    .error_set = api_error_set,
    .error_last = gr_error_last,

    .plugin_id = api_plugin_id,
    .base_url = api_base_url,
    .config_string = gr_plugin__config_string,
    .config_int = gr_plugin__config_int,
    .config_bool = gr_plugin__config_bool,
    .config_double = gr_plugin__config_double,
    .config_count = gr_plugin__config_count,
    .config_json = gr_plugin__config_json,

    .log = api_log,
    .log_enabled = api_log_enabled,

    .db_migrate = api_db_migrate,
    .db_engine = api_db_engine,
    .db_sql = api_db_sql,
    .db_acquire = api_db_acquire,
    .db_release = gr_db_release,
    .db_begin = gr_db_begin,
    .db_commit = gr_db_commit,
    .db_rollback = gr_db_rollback,
    .db_exec = gr_db_exec,
    .db_prepare = gr_db_prepare,
    .db_bind_text = gr_db_bind_text,
    .db_bind_int64 = gr_db_bind_int64,
    .db_bind_double = gr_db_bind_double,
    .db_step = gr_db_step,
    .db_column_is_null = gr_db_column_is_null,
    .db_column_text = gr_db_column_text,
    .db_column_int64 = gr_db_column_int64,
    .db_column_double = gr_db_column_double,
    .db_changes = gr_db_changes,
    .db_reset = gr_db_reset,
    .db_finalize = gr_db_finalize,

    .route = api_route,
    .req_method = gr_req_method,
    .req_path = gr_req_path,
    .req_param = gr_req_param,
    .req_query = gr_req_query,
    .req_header = gr_req_header,
    .req_body = gr_req_body,
    .req_user = api_req_user,
    .res_header = gr_res_header,
    .res_body = api_res_body,
    .res_json = api_res_json,
    .res_error = api_res_error,

    .http_fetch = gr_plugin__http_fetch,

    .catalog_get = gr_plugin__catalog_get,
    .catalog_query = gr_plugin__catalog_query,
    .catalog_on_change = gr_plugin__catalog_on_change,
    .provider_add = gr_plugin__provider_add,
    .provider_apply_full = gr_plugin__provider_apply_full,
    .provider_apply_delta = gr_plugin__provider_apply_delta,
    .provider_stopping = gr_plugin__provider_stopping,
    .processor_add = gr_plugin__processor_add,

    .collator_add = gr_plugin__collator_add,
    .collator_document = gr_plugin__collator_document,

    .job_add = gr_plugin__job_add,
    .job_trigger = gr_plugin__job_trigger,
    .job_stopping = gr_plugin__job_stopping,

    .permission_add = gr_plugin__permission_add,
    .authorize = gr_plugin__authorize,

    .page_add = gr_plugin__page_add,
    .nav_add = gr_plugin__nav_add,
    .entity_tab_add = gr_plugin__entity_tab_add,
    .entity_card_add = gr_plugin__entity_card_add,
    .html_text = gr_plugin__html_text,
    .html_raw = gr_plugin__html_raw,
    .html_url = gr_plugin__html_url,
    .html_entity_link = gr_plugin__html_entity_link,

    .action_add = gr_plugin__action_add,

    .service_publish = gr_plugin__service_publish,
    .service_lookup = gr_plugin__service_lookup,

    .page_frame = gr_plugin__page_frame,
    .page_response = gr_plugin__page_response,

    .req_query_count = gr_req_query_count,
    .req_query_at = gr_req_query_at,

    .form_page_add = gr_plugin__form_page_add,
    .req_form_count = gr_plugin__req_form_count,
    .req_form_at = gr_plugin__req_form_at,
    .req_form = gr_plugin__req_form,
    .req_csrf_token = gr_plugin__req_csrf_token,
    .html_csrf_field = gr_plugin__html_csrf_field,

    .resource_loader_add = gr_plugin__resource_loader_add,

    .signin_provider_add = gr_plugin__signin_provider_add,
};

const gr_host_api *gr_plugin__api(void)
{
    return &host_api;
}

const gr_host_api *gr_plugin_host_api(void)
{
    return &host_api;
}
