/* SPDX-License-Identifier: MIT */
/* AsyncAPI 2.x and 3.x as a reference page: channels, their operations and messages. */
#include <string.h>

#include "host/common/error.h"
#include "plugins/apidocs/apidocs_internal.h"

static void message(gr_apidocs__ctx *ctx, const char *fallback_name, const json_t *raw)
{
    const json_t *msg = gr_apidocs__deref(ctx, raw);
    const char *name = json_string_value(json_object_get(msg, "name"));
    const char *title = json_string_value(json_object_get(msg, "title"));

    if (!json_is_object(msg))
        return;
    /* AsyncAPI 2 allows oneOf a list of messages. */
    if (json_is_array(json_object_get(msg, "oneOf"))) {
        size_t i;
        json_t *item;

        json_array_foreach(json_object_get(msg, "oneOf"), i, item)
            message(ctx, fallback_name, item);
        return;
    }
    gr_buf_puts(ctx->out, "<div class=\"apidoc-message\"><h5>Message ");
    gr_apidocs__text(ctx, title != NULL ? title : name != NULL ? name : fallback_name);
    gr_buf_puts(ctx->out, "</h5>");
    gr_apidocs__description(ctx, json_object_get(msg, "summary"));
    gr_apidocs__description(ctx, json_object_get(msg, "description"));
    if (json_object_get(msg, "contentType") != NULL) {
        gr_buf_puts(ctx->out, "<p class=\"muted\">Content type <code>");
        gr_apidocs__text(ctx, json_string_value(json_object_get(msg, "contentType")));
        gr_buf_puts(ctx->out, "</code></p>");
    }
    if (json_object_get(msg, "headers") != NULL) {
        gr_buf_puts(ctx->out, "<strong>Headers</strong>");
        gr_apidocs__schema(ctx, json_object_get(msg, "headers"), 1);
    }
    gr_buf_puts(ctx->out, "<div><strong>Payload</strong> ");
    gr_apidocs__schema(ctx, json_object_get(msg, "payload"), 1);
    gr_buf_puts(ctx->out, "</div>");
    gr_apidocs__example(ctx, "Examples", json_object_get(msg, "examples"));
    gr_buf_puts(ctx->out, "</div>");
}

static void operation_v2(gr_apidocs__ctx *ctx, const char *action, const json_t *operation)
{
    if (!json_is_object(operation))
        return;
    gr_buf_puts(ctx->out, "<div class=\"apidoc-operation\"><span class=\"method method-");
    gr_buf_puts(ctx->out, strcmp(action, "publish") == 0 ? "post" : "get");
    gr_buf_puts(ctx->out, "\">");
    gr_buf_puts(ctx->out, action);
    gr_buf_puts(ctx->out, "</span> ");
    gr_apidocs__text(ctx, json_string_value(json_object_get(operation, "summary")));
    gr_apidocs__description(ctx, json_object_get(operation, "description"));
    message(ctx, "", json_object_get(operation, "message"));
    gr_buf_puts(ctx->out, "</div>");
}

static void channel_parameters(gr_apidocs__ctx *ctx, const json_t *channel)
{
    const json_t *params = json_object_get(channel, "parameters");
    const char *name;
    json_t *raw;

    if (!json_is_object(params) || json_object_size(params) == 0)
        return;
    gr_buf_puts(ctx->out, "<h5>Parameters</h5><ul class=\"schema\">");
    json_object_foreach((json_t *)params, name, raw)
    {
        const json_t *param = gr_apidocs__deref(ctx, raw);

        gr_buf_puts(ctx->out, "<li><code>");
        gr_apidocs__text(ctx, name);
        gr_buf_puts(ctx->out, "</code> ");
        gr_apidocs__description(ctx, json_object_get(param, "description"));
        if (json_object_get(param, "schema") != NULL)
            gr_apidocs__schema(ctx, json_object_get(param, "schema"), 1);
        gr_buf_puts(ctx->out, "</li>");
    }
    gr_buf_puts(ctx->out, "</ul>");
}

/* AsyncAPI 3 operations name their channel with a $ref; list those of `ref`. */
static void operations_v3(gr_apidocs__ctx *ctx, const char *ref)
{
    const json_t *operations = json_object_get(ctx->root, "operations");
    const char *id;
    json_t *operation;

    json_object_foreach((json_t *)operations, id, operation)
    {
        const char *channel = json_string_value(
            json_object_get(json_object_get(operation, "channel"), "$ref"));
        const char *action = json_string_value(json_object_get(operation, "action"));
        size_t i;
        json_t *msg;

        if (channel == NULL || strcmp(channel, ref) != 0)
            continue;
        gr_buf_puts(ctx->out, "<div class=\"apidoc-operation\"><span class=\"method method-");
        gr_buf_puts(ctx->out, action != NULL && strcmp(action, "send") == 0 ? "post" : "get");
        gr_buf_puts(ctx->out, "\">");
        gr_apidocs__text(ctx, action);
        gr_buf_puts(ctx->out, "</span> <code>");
        gr_apidocs__text(ctx, id);
        gr_buf_puts(ctx->out, "</code> ");
        gr_apidocs__text(ctx, json_string_value(json_object_get(operation, "summary")));
        gr_apidocs__description(ctx, json_object_get(operation, "description"));
        json_array_foreach(json_object_get(operation, "messages"), i, msg)
            message(ctx, "", msg);
        gr_buf_puts(ctx->out, "</div>");
    }
}

static void channels(gr_apidocs__ctx *ctx, int v3)
{
    const json_t *list = json_object_get(ctx->root, "channels");
    const char *name;
    json_t *raw;

    gr_buf_puts(ctx->out, "<section class=\"apidoc-tag\"><h3>Channels</h3>");
    json_object_foreach((json_t *)list, name, raw)
    {
        const json_t *channel = gr_apidocs__deref(ctx, raw);
        const char *address = json_string_value(json_object_get(channel, "address"));

        gr_buf_puts(ctx->out, "<details class=\"operation\" open><summary><span class=\"path\">");
        gr_apidocs__text(ctx, v3 && address != NULL ? address : name);
        gr_buf_puts(ctx->out, "</span></summary><div>");
        gr_apidocs__description(ctx, json_object_get(channel, "description"));
        channel_parameters(ctx, channel);
        if (v3) {
            const json_t *messages = json_object_get(channel, "messages");
            const char *key;
            json_t *msg;
            gr_buf ref = GR_BUF_INIT;

            gr_buf_puts(&ref, "#/channels/");
            for (const char *p = name; *p != '\0'; p++) {
                if (*p == '/')
                    gr_buf_puts(&ref, "~1");
                else if (*p == '~')
                    gr_buf_puts(&ref, "~0");
                else
                    gr_buf_putc(&ref, *p);
            }
            operations_v3(ctx, gr_buf_cstr(&ref));
            gr_buf_free(&ref);
            json_object_foreach((json_t *)messages, key, msg)
                message(ctx, key, msg);
        } else {
            operation_v2(ctx, "publish", json_object_get(channel, "publish"));
            operation_v2(ctx, "subscribe", json_object_get(channel, "subscribe"));
        }
        gr_buf_puts(ctx->out, "</div></details>");
    }
    gr_buf_puts(ctx->out, "</section>");
}

int gr_apidocs__asyncapi(gr_apidocs__ctx *ctx)
{
    const char *version = json_string_value(json_object_get(ctx->root, "asyncapi"));
    const json_t *info = json_object_get(ctx->root, "info");
    int v3;

    if (version == NULL || (version[0] != '2' && version[0] != '3') || version[1] != '.') {
        gr_buf_puts(ctx->out, "<div class=\"banner banner-error\" role=\"alert\"><h2>The API "
                              "definition could not be read</h2><p>It does not declare "
                              "<code>asyncapi: 2.x</code> or <code>asyncapi: 3.x</code>."
                              "</p></div>");
        return gr_error_set(GR_EINVALID, "the definition is not AsyncAPI 2 or 3");
    }
    v3 = version[0] == '3';
    gr_buf_puts(ctx->out, "<header class=\"apidoc-info\"><h2>");
    gr_apidocs__text(ctx, json_string_value(json_object_get(info, "title")));
    gr_buf_puts(ctx->out, "</h2><p class=\"muted\">Version ");
    gr_apidocs__text(ctx, json_string_value(json_object_get(info, "version")));
    gr_buf_puts(ctx->out, " · AsyncAPI ");
    gr_apidocs__text(ctx, version);
    gr_buf_puts(ctx->out, "</p>");
    gr_apidocs__description(ctx, json_object_get(info, "description"));
    gr_buf_puts(ctx->out, "</header>");
    channels(ctx, v3);
    return 0;
}
