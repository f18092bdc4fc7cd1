/* SPDX-License-Identifier: MIT */
/* OpenAPI 3.x and Swagger 2.0 as a reference page: operations by tag, parameters, bodies, schemas. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/apidocs/apidocs_internal.h"
#include "plugins/ui/template/template.h"

static const char *const methods[] = {"get", "put", "post", "delete", "options", "head",
                                      "patch", "trace"};

static int is_swagger(const gr_apidocs__ctx *ctx)
{
    return json_object_get(ctx->root, "swagger") != NULL;
}

static void info(gr_apidocs__ctx *ctx)
{
    const json_t *block = json_object_get(ctx->root, "info");
    const char *version = json_string_value(json_object_get(block, "version"));
    const char *spec = json_string_value(json_object_get(ctx->root, "openapi"));

    if (spec == NULL)
        spec = json_string_value(json_object_get(ctx->root, "swagger"));
    gr_buf_puts(ctx->out, "<header class=\"apidoc-info\"><h2>");
    gr_apidocs__text(ctx, json_string_value(json_object_get(block, "title")));
    gr_buf_puts(ctx->out, "</h2><p class=\"muted\">");
    if (version != NULL) {
        gr_buf_puts(ctx->out, "Version ");
        gr_apidocs__text(ctx, version);
        gr_buf_puts(ctx->out, " · ");
    }
    gr_buf_puts(ctx->out, is_swagger(ctx) ? "Swagger " : "OpenAPI ");
    gr_apidocs__text(ctx, spec);
    gr_buf_puts(ctx->out, "</p>");
    gr_apidocs__description(ctx, json_object_get(block, "description"));
    gr_buf_puts(ctx->out, "</header>");
}

static void server_link(gr_apidocs__ctx *ctx, const char *url)
{
    gr_buf_puts(ctx->out, "<li><code>");
    gr_apidocs__text(ctx, url);
    gr_buf_puts(ctx->out, "</code></li>");
}

static void servers(gr_apidocs__ctx *ctx)
{
    const json_t *list = json_object_get(ctx->root, "servers");
    size_t i;
    json_t *server;

    if (is_swagger(ctx)) {
        const char *host = json_string_value(json_object_get(ctx->root, "host"));
        const char *base = json_string_value(json_object_get(ctx->root, "basePath"));
        char *url;

        if (host == NULL)
            return;
        url = gr_xasprintf("%s%s", host, base != NULL ? base : "");
        gr_buf_puts(ctx->out, "<h3>Servers</h3><ul>");
        server_link(ctx, url);
        gr_buf_puts(ctx->out, "</ul>");
        free(url);
        return;
    }
    if (!json_is_array(list) || json_array_size(list) == 0)
        return;
    gr_buf_puts(ctx->out, "<h3>Servers</h3><ul>");
    json_array_foreach(list, i, server)
        server_link(ctx, json_string_value(json_object_get(server, "url")));
    gr_buf_puts(ctx->out, "</ul>");
}

/* Parameters of the path and the operation; the operation's win by name and location. */
static void parameters(gr_apidocs__ctx *ctx, const json_t *path_item, const json_t *operation)
{
    const json_t *lists[2] = {json_object_get(operation, "parameters"),
                              json_object_get(path_item, "parameters")};
    int header = 0;

    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *raw;

        json_array_foreach(lists[l], i, raw)
        {
            const json_t *param = gr_apidocs__deref(ctx, raw);
            const char *in = json_string_value(json_object_get(param, "in"));
            const json_t *schema = json_object_get(param, "schema");

            if (in != NULL && strcmp(in, "body") == 0)
                continue; /* Swagger 2.0 bodies are shown as the request body */
            if (!header) {
                gr_buf_puts(ctx->out, "<h4>Parameters</h4><div class=\"table-wrap\"><table>"
                                      "<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">"
                                      "In</th><th scope=\"col\">Type</th><th scope=\"col\">"
                                      "Description</th></tr></thead><tbody>");
                header = 1;
            }
            if (gr_apidocs__ref_too_long(ctx, param)) {
                gr_buf_puts(ctx->out, "<tr><td colspan=\"4\">");
                gr_apidocs__ref_note(ctx, param);
                gr_buf_puts(ctx->out, "</td></tr>");
                continue;
            }
            gr_buf_puts(ctx->out, "<tr><td><code>");
            gr_apidocs__text(ctx, json_string_value(json_object_get(param, "name")));
            gr_buf_puts(ctx->out, "</code>");
            if (json_is_true(json_object_get(param, "required")))
                gr_buf_puts(ctx->out, " <span class=\"required\">required</span>");
            gr_buf_puts(ctx->out, "</td><td>");
            gr_apidocs__text(ctx, in);
            gr_buf_puts(ctx->out, "</td><td>");
            gr_apidocs__schema(ctx, schema != NULL ? schema : param, 1);
            gr_buf_puts(ctx->out, "</td><td>");
            gr_apidocs__description(ctx, json_object_get(param, "description"));
            gr_buf_puts(ctx->out, "</td></tr>");
        }
    }
    if (header)
        gr_buf_puts(ctx->out, "</tbody></table></div>");
}

static void media_content(gr_apidocs__ctx *ctx, const json_t *content)
{
    const char *media;
    json_t *entry;

    json_object_foreach((json_t *)content, media, entry)
    {
        const json_t *examples = json_object_get(entry, "examples");

        gr_buf_puts(ctx->out, "<div><code>");
        gr_apidocs__text(ctx, media);
        gr_buf_puts(ctx->out, "</code> ");
        gr_apidocs__schema(ctx, json_object_get(entry, "schema"), 1);
        gr_apidocs__example(ctx, "Example", json_object_get(entry, "example"));
        if (json_is_object(examples)) {
            const char *name;
            json_t *example;

            json_object_foreach((json_t *)examples, name, example)
            {
                const json_t *resolved = gr_apidocs__deref(ctx, example);

                gr_apidocs__example(ctx, name, json_object_get(resolved, "value"));
            }
        }
        gr_buf_puts(ctx->out, "</div>");
    }
}

static void request_body(gr_apidocs__ctx *ctx, const json_t *operation)
{
    const json_t *body = gr_apidocs__deref(ctx, json_object_get(operation, "requestBody"));
    size_t i;
    json_t *raw;

    if (json_is_object(body)) {
        gr_buf_puts(ctx->out, "<h4>Request body");
        if (json_is_true(json_object_get(body, "required")))
            gr_buf_puts(ctx->out, " <span class=\"required\">required</span>");
        gr_buf_puts(ctx->out, "</h4>");
        gr_apidocs__description(ctx, json_object_get(body, "description"));
        media_content(ctx, json_object_get(body, "content"));
        return;
    }
    json_array_foreach(json_object_get(operation, "parameters"), i, raw)
    {
        const json_t *param = gr_apidocs__deref(ctx, raw);
        const char *in = json_string_value(json_object_get(param, "in"));

        if (in == NULL || strcmp(in, "body") != 0)
            continue;
        gr_buf_puts(ctx->out, "<h4>Request body</h4>");
        gr_apidocs__description(ctx, json_object_get(param, "description"));
        gr_apidocs__schema(ctx, json_object_get(param, "schema"), 1);
    }
}

static void responses(gr_apidocs__ctx *ctx, const json_t *operation)
{
    const json_t *list = json_object_get(operation, "responses");
    const char *code;
    json_t *raw;

    if (!json_is_object(list))
        return;
    gr_buf_puts(ctx->out, "<h4>Responses</h4><ul class=\"apidoc-responses\">");
    json_object_foreach((json_t *)list, code, raw)
    {
        const json_t *response = gr_apidocs__deref(ctx, raw);

        gr_buf_puts(ctx->out, "<li><strong>");
        gr_apidocs__text(ctx, code);
        gr_buf_puts(ctx->out, "</strong> ");
        gr_apidocs__description(ctx, json_object_get(response, "description"));
        if (json_object_get(response, "content") != NULL)
            media_content(ctx, json_object_get(response, "content"));
        else if (json_object_get(response, "schema") != NULL)
            gr_apidocs__schema(ctx, json_object_get(response, "schema"), 1);
        gr_apidocs__example(ctx, "Examples", json_object_get(response, "examples"));
        gr_buf_puts(ctx->out, "</li>");
    }
    gr_buf_puts(ctx->out, "</ul>");
}

static void operation_html(gr_apidocs__ctx *ctx, const char *path, const char *method,
                           const json_t *path_item, const json_t *operation)
{
    const char *summary = json_string_value(json_object_get(operation, "summary"));
    const char *id = json_string_value(json_object_get(operation, "operationId"));
    int deprecated = json_is_true(json_object_get(operation, "deprecated"));

    gr_buf_puts(ctx->out, "<details class=\"operation\"><summary><span class=\"method method-");
    gr_buf_puts(ctx->out, method);
    gr_buf_puts(ctx->out, "\">");
    gr_buf_puts(ctx->out, method);
    gr_buf_puts(ctx->out, "</span> <span class=\"path");
    gr_buf_puts(ctx->out, deprecated ? " deprecated\">" : "\">");
    gr_apidocs__text(ctx, path);
    gr_buf_puts(ctx->out, "</span> <span>");
    gr_apidocs__text(ctx, summary);
    gr_buf_puts(ctx->out, "</span></summary><div>");
    if (id != NULL) {
        gr_buf_puts(ctx->out, "<p class=\"muted\">Operation <code>");
        gr_apidocs__text(ctx, id);
        gr_buf_puts(ctx->out, "</code></p>");
    }
    if (deprecated)
        gr_buf_puts(ctx->out, "<p><strong>Deprecated.</strong></p>");
    gr_apidocs__description(ctx, json_object_get(operation, "description"));
    parameters(ctx, path_item, operation);
    request_body(ctx, operation);
    responses(ctx, operation);
    gr_buf_puts(ctx->out, "</div></details>");
}

static int has_tag(const json_t *operation, const char *tag)
{
    const json_t *tags = json_object_get(operation, "tags");
    size_t i;
    json_t *item;

    if (tag == NULL)
        return !json_is_array(tags) || json_array_size(tags) == 0;
    json_array_foreach(tags, i, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), tag) == 0)
            return 1;
    }
    return 0;
}

/* Renders the operations carrying `tag` (NULL: the untagged ones). Returns how many. */
static size_t operations_of(gr_apidocs__ctx *ctx, const char *tag)
{
    const json_t *paths = json_object_get(ctx->root, "paths");
    const char *path;
    json_t *raw;
    size_t count = 0;

    json_object_foreach((json_t *)paths, path, raw)
    {
        const json_t *item = gr_apidocs__deref(ctx, raw);

        for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
            const json_t *operation = json_object_get(item, methods[m]);

            if (!json_is_object(operation) || !has_tag(operation, tag))
                continue;
            operation_html(ctx, path, methods[m], item, operation);
            count++;
        }
    }
    return count;
}

/* Tags in the order of the top-level `tags` list, then those only used on operations. */
static json_t *tag_order(const gr_apidocs__ctx *ctx)
{
    json_t *order = json_array();
    json_t *seen = json_object();
    const json_t *paths = json_object_get(ctx->root, "paths");
    const char *path;
    json_t *item;
    size_t i;
    json_t *tag;

    json_array_foreach(json_object_get(ctx->root, "tags"), i, tag)
    {
        const char *name = json_string_value(json_object_get(tag, "name"));

        if (name != NULL && json_object_get(seen, name) == NULL) {
            json_object_set_new(seen, name, json_true());
            json_array_append_new(order, json_pack("{s:s, s:O?}", "name", name, "description",
                                                   json_object_get(tag, "description")));
        }
    }
    json_object_foreach((json_t *)paths, path, item)
    {
        for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
            json_array_foreach(json_object_get(json_object_get(item, methods[m]), "tags"), i, tag)
            {
                const char *name = json_string_value(tag);

                if (name != NULL && json_object_get(seen, name) == NULL) {
                    json_object_set_new(seen, name, json_true());
                    json_array_append_new(order, json_pack("{s:s}", "name", name));
                }
            }
        }
    }
    json_decref(seen);
    return order;
}

static void operations(gr_apidocs__ctx *ctx)
{
    json_t *tags = tag_order(ctx);
    size_t i;
    json_t *tag;

    json_array_foreach(tags, i, tag)
    {
        gr_buf_puts(ctx->out, "<section class=\"apidoc-tag\"><h3>");
        gr_apidocs__text(ctx, json_string_value(json_object_get(tag, "name")));
        gr_buf_puts(ctx->out, "</h3>");
        gr_apidocs__description(ctx, json_object_get(tag, "description"));
        operations_of(ctx, json_string_value(json_object_get(tag, "name")));
        gr_buf_puts(ctx->out, "</section>");
    }
    json_decref(tags);

    /* Untagged operations come last, under "default" as in Swagger UI. */
    {
        gr_buf *page = ctx->out;
        gr_buf section = GR_BUF_INIT;
        size_t count;

        ctx->out = &section;
        count = operations_of(ctx, NULL);
        ctx->out = page;
        if (count > 0) {
            gr_buf_puts(ctx->out, "<section class=\"apidoc-tag\"><h3>default</h3>");
            gr_buf_append(ctx->out, section.data, section.len);
            gr_buf_puts(ctx->out, "</section>");
        }
        gr_buf_free(&section);
    }
}

static void schemas(gr_apidocs__ctx *ctx)
{
    const json_t *list = is_swagger(ctx)
                             ? json_object_get(ctx->root, "definitions")
                             : json_object_get(json_object_get(ctx->root, "components"),
                                               "schemas");
    const char *prefix = is_swagger(ctx) ? "#/definitions/" : "#/components/schemas/";
    const char *name;
    json_t *schema;

    if (!json_is_object(list) || json_object_size(list) == 0)
        return;
    gr_buf_puts(ctx->out, "<section class=\"apidoc-schemas\"><h3>Schemas</h3>");
    json_object_foreach((json_t *)list, name, schema)
    {
        char *ref = gr_xasprintf("%s%s", prefix, name);

        gr_buf_puts(ctx->out, "<details class=\"operation\" id=\"");
        gr_apidocs__schema_anchor(ctx, name);
        gr_buf_puts(ctx->out, "\"><summary><strong>");
        gr_apidocs__text(ctx, name);
        gr_buf_puts(ctx->out, "</strong></summary><div>");
        /* Expanding a schema counts as expanding its own $ref, so a schema
         * that refers to itself links back instead of repeating. */
        ctx->refs[ctx->ref_depth++] = ref;
        gr_apidocs__schema(ctx, schema, 1);
        ctx->ref_depth--;
        gr_buf_puts(ctx->out, "</div></details>");
        free(ref);
    }
    gr_buf_puts(ctx->out, "</section>");
}

int gr_apidocs__openapi(gr_apidocs__ctx *ctx)
{
    const char *version = json_string_value(json_object_get(ctx->root, "openapi"));
    const char *swagger = json_string_value(json_object_get(ctx->root, "swagger"));

    if ((version == NULL || strncmp(version, "3.", 2) != 0) &&
        (swagger == NULL || strcmp(swagger, "2.0") != 0)) {
        gr_buf_puts(ctx->out, "<div class=\"banner banner-error\" role=\"alert\"><h2>The API "
                              "definition could not be read</h2><p>It declares neither "
                              "<code>openapi: 3.x</code> nor <code>swagger: \"2.0\"</code>."
                              "</p></div>");
        return gr_error_set(GR_EINVALID, "the definition is neither OpenAPI 3 nor Swagger 2.0");
    }
    if (!json_is_object(json_object_get(ctx->root, "paths")) &&
        json_object_get(ctx->root, "webhooks") == NULL) {
        gr_buf_puts(ctx->out, "<div class=\"banner banner-warning\" role=\"status\">The "
                              "definition has no <code>paths</code>.</div>");
    }
    info(ctx);
    servers(ctx);
    operations(ctx);
    schemas(ctx);
    return 0;
}
