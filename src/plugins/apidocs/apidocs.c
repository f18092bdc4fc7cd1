/* SPDX-License-Identifier: MIT */
/* API definitions rendered as HTML: the entry point, schemas and local $ref resolution. */
#include "plugins/apidocs/apidocs.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/common/js_json.h"
#include "host/yaml/yaml.h"
#include "plugins/apidocs/apidocs_internal.h"
#include "plugins/ui/template/template.h"

/** Hops followed for a `$ref` that points at another `$ref`. */
#define MAX_REF_HOPS 8

void gr_apidocs__text(gr_apidocs__ctx *ctx, const char *text)
{
    if (text != NULL)
        gr_buf_put_html(ctx->out, text);
}

void gr_apidocs__description(gr_apidocs__ctx *ctx, const json_t *value)
{
    const char *text = json_string_value(value);

    if (text == NULL || text[0] == '\0')
        return;
    gr_buf_puts(ctx->out, "<div class=\"apidoc-description\"><p>");
    for (const char *p = text; *p != '\0'; p++) {
        if (p[0] == '\n' && p[1] == '\n') {
            gr_buf_puts(ctx->out, "</p><p>");
            while (p[1] == '\n')
                p++;
            continue;
        }
        if (*p == '\n') {
            gr_buf_puts(ctx->out, "<br>");
            continue;
        }
        {
            char one[2] = {*p, '\0'};

            gr_buf_put_html(ctx->out, one);
        }
    }
    gr_buf_puts(ctx->out, "</p></div>");
}

/* Decodes one JSON pointer token (~1 is '/', ~0 is '~', %XX as in URIs). */
static char *pointer_token(const char *start, size_t len)
{
    gr_buf token = GR_BUF_INIT;

    for (size_t i = 0; i < len; i++) {
        if (start[i] == '~' && i + 1 < len && (start[i + 1] == '0' || start[i + 1] == '1')) {
            gr_buf_putc(&token, start[i + 1] == '0' ? '~' : '/');
            i++;
        } else if (start[i] == '%' && i + 2 < len) {
            char hex[3] = {start[i + 1], start[i + 2], '\0'};

            gr_buf_putc(&token, (char)strtol(hex, NULL, 16));
            i += 2;
        } else {
            gr_buf_putc(&token, start[i]);
        }
    }
    gr_buf_puts(&token, "");
    return gr_buf_detach(&token);
}

const json_t *gr_apidocs__resolve(const gr_apidocs__ctx *ctx, const char *ref)
{
    const json_t *node = ctx->root;
    const char *p;

    if (ref == NULL || strncmp(ref, "#/", 2) != 0)
        return NULL;
    p = ref + 2;
    while (node != NULL && *p != '\0') {
        size_t len = strcspn(p, "/");
        char *token = pointer_token(p, len);

        if (json_is_object(node)) {
            node = json_object_get(node, token);
        } else if (json_is_array(node)) {
            char *end;
            unsigned long index = strtoul(token, &end, 10);

            node = *end == '\0' && token[0] != '\0' ? json_array_get(node, index) : NULL;
        } else {
            node = NULL;
        }
        free(token);
        p += len;
        if (*p == '/')
            p++;
    }
    return node;
}

const json_t *gr_apidocs__deref(const gr_apidocs__ctx *ctx, const json_t *value)
{
    for (int hop = 0; hop < MAX_REF_HOPS; hop++) {
        const char *ref = json_string_value(json_object_get(value, "$ref"));
        const json_t *target;

        if (ref == NULL || (target = gr_apidocs__resolve(ctx, ref)) == NULL)
            return value;
        value = target;
    }
    return value;
}

bool gr_apidocs__ref_too_long(const gr_apidocs__ctx *ctx, const json_t *value)
{
    const char *ref = json_string_value(json_object_get(value, "$ref"));

    return ref != NULL && gr_apidocs__resolve(ctx, ref) != NULL;
}

void gr_apidocs__ref_note(gr_apidocs__ctx *ctx, const json_t *value)
{
    gr_buf_printf(ctx->out,
                  "<span class=\"muted\">(not shown: the $ref chain is longer than %d hops at ",
                  MAX_REF_HOPS);
    gr_apidocs__text(ctx, json_string_value(json_object_get(value, "$ref")));
    gr_buf_puts(ctx->out, ")</span>");
}

void gr_apidocs__schema_anchor(gr_apidocs__ctx *ctx, const char *name)
{
    gr_buf_puts(ctx->out, "schema-");
    gr_template_put_uri(ctx->out, name);
}

void gr_apidocs__example(gr_apidocs__ctx *ctx, const char *label, const json_t *value)
{
    gr_buf text = GR_BUF_INIT;

    if (value == NULL)
        return;
    /* As Backstage's API docs print examples, so that 51.4406 is not 51.440600000000003. */
    gr_js_json_write(&text, value, 2);
    gr_buf_puts(ctx->out, "<div class=\"apidoc-example\"><strong>");
    gr_apidocs__text(ctx, label);
    gr_buf_puts(ctx->out, "</strong><pre><code>");
    gr_apidocs__text(ctx, gr_buf_cstr(&text));
    gr_buf_puts(ctx->out, "</code></pre></div>");
    gr_buf_free(&text);
}

/* ---- schemas ---- */

static int ref_in_progress(const gr_apidocs__ctx *ctx, const char *ref)
{
    for (size_t i = 0; i < ctx->ref_depth; i++) {
        if (strcmp(ctx->refs[i], ref) == 0)
            return 1;
    }
    return 0;
}

static const char *ref_name(const char *ref)
{
    const char *slash = strrchr(ref, '/');

    return slash != NULL ? slash + 1 : ref;
}

static void schema_type(gr_apidocs__ctx *ctx, const json_t *schema)
{
    const json_t *type = json_object_get(schema, "type");
    const char *format = json_string_value(json_object_get(schema, "format"));
    const json_t *items = json_object_get(schema, "items");

    gr_buf_puts(ctx->out, "<span class=\"schema-type\">");
    if (json_is_string(type)) {
        gr_apidocs__text(ctx, json_string_value(type));
    } else if (json_is_array(type)) {
        size_t i;
        json_t *item;

        json_array_foreach(type, i, item)
        {
            if (i > 0)
                gr_buf_puts(ctx->out, " | ");
            gr_apidocs__text(ctx, json_string_value(item));
        }
    } else if (json_object_get(schema, "properties") != NULL) {
        gr_buf_puts(ctx->out, "object");
    } else {
        gr_buf_puts(ctx->out, "any");
    }
    if (json_is_object(items)) {
        const char *ref = json_string_value(json_object_get(items, "$ref"));

        gr_buf_puts(ctx->out, " of ");
        if (ref != NULL)
            gr_apidocs__text(ctx, ref_name(ref));
        else
            gr_apidocs__text(ctx, json_string_value(json_object_get(items, "type")));
    }
    if (format != NULL) {
        gr_buf_puts(ctx->out, " (");
        gr_apidocs__text(ctx, format);
        gr_buf_putc(ctx->out, ')');
    }
    gr_buf_puts(ctx->out, "</span>");
}

static void schema_enum(gr_apidocs__ctx *ctx, const json_t *values)
{
    size_t i;
    json_t *value;

    if (!json_is_array(values))
        return;
    gr_buf_puts(ctx->out, " <span class=\"muted\">one of:</span> ");
    json_array_foreach(values, i, value)
    {
        gr_buf text = GR_BUF_INIT;

        gr_js_json_write(&text, value, 0);
        if (i > 0)
            gr_buf_puts(ctx->out, ", ");
        gr_buf_puts(ctx->out, "<code>");
        gr_apidocs__text(ctx, gr_buf_cstr(&text));
        gr_buf_puts(ctx->out, "</code>");
        gr_buf_free(&text);
    }
}

static int is_required(const json_t *schema, const char *name)
{
    size_t i;
    json_t *item;

    json_array_foreach(json_object_get(schema, "required"), i, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), name) == 0)
            return 1;
    }
    return 0;
}

static void schema_body(gr_apidocs__ctx *ctx, const json_t *schema, int depth);

static void schema_properties(gr_apidocs__ctx *ctx, const json_t *schema, int depth)
{
    const json_t *properties = json_object_get(schema, "properties");
    const char *name;
    json_t *property;

    if (!json_is_object(properties) || json_object_size(properties) == 0)
        return;
    gr_buf_puts(ctx->out, "<ul class=\"schema\">");
    json_object_foreach((json_t *)properties, name, property)
    {
        gr_buf_puts(ctx->out, "<li><code>");
        gr_apidocs__text(ctx, name);
        gr_buf_puts(ctx->out, "</code> ");
        if (is_required(schema, name))
            gr_buf_puts(ctx->out, "<span class=\"required\">required</span> ");
        gr_apidocs__schema(ctx, property, depth + 1);
        gr_buf_puts(ctx->out, "</li>");
    }
    gr_buf_puts(ctx->out, "</ul>");
}

static void schema_combination(gr_apidocs__ctx *ctx, const json_t *schema, const char *key,
                               int depth)
{
    const json_t *list = json_object_get(schema, key);
    size_t i;
    json_t *item;

    if (!json_is_array(list))
        return;
    gr_buf_puts(ctx->out, "<div class=\"schema\"><span class=\"muted\">");
    gr_apidocs__text(ctx, key);
    gr_buf_puts(ctx->out, ":</span><ol>");
    json_array_foreach(list, i, item)
    {
        gr_buf_puts(ctx->out, "<li>");
        gr_apidocs__schema(ctx, item, depth + 1);
        gr_buf_puts(ctx->out, "</li>");
    }
    gr_buf_puts(ctx->out, "</ol></div>");
}

static void schema_body(gr_apidocs__ctx *ctx, const json_t *schema, int depth)
{
    const json_t *items = json_object_get(schema, "items");
    const json_t *additional = json_object_get(schema, "additionalProperties");

    schema_type(ctx, schema);
    if (json_is_true(json_object_get(schema, "deprecated")))
        gr_buf_puts(ctx->out, " <span class=\"deprecated\">deprecated</span>");
    schema_enum(ctx, json_object_get(schema, "enum"));
    if (json_object_get(schema, "description") != NULL)
        gr_apidocs__description(ctx, json_object_get(schema, "description"));
    schema_properties(ctx, schema, depth);
    if (json_is_object(items) && json_object_get(items, "properties") != NULL) {
        gr_buf_puts(ctx->out, "<div class=\"schema\">");
        gr_apidocs__schema(ctx, items, depth + 1);
        gr_buf_puts(ctx->out, "</div>");
    } else if (json_is_object(items) && json_object_get(items, "$ref") != NULL) {
        gr_buf_puts(ctx->out, "<div class=\"schema\">");
        gr_apidocs__schema(ctx, items, depth + 1);
        gr_buf_puts(ctx->out, "</div>");
    }
    if (json_is_object(additional)) {
        gr_buf_puts(ctx->out, "<div class=\"schema\"><span class=\"muted\">additional "
                              "properties:</span> ");
        gr_apidocs__schema(ctx, additional, depth + 1);
        gr_buf_puts(ctx->out, "</div>");
    }
    schema_combination(ctx, schema, "allOf", depth);
    schema_combination(ctx, schema, "oneOf", depth);
    schema_combination(ctx, schema, "anyOf", depth);
    if (json_object_get(schema, "example") != NULL)
        gr_apidocs__example(ctx, "Example", json_object_get(schema, "example"));
}

void gr_apidocs__schema(gr_apidocs__ctx *ctx, const json_t *schema, int depth)
{
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    const json_t *target;

    if (!json_is_object(schema))
        return;
    if (++ctx->nodes > GR_APIDOCS_MAX_SCHEMA_NODES) {
        gr_buf_printf(ctx->out,
                      "<span class=\"muted\">(not shown: the definition has more than %d "
                      "schema nodes)</span>",
                      GR_APIDOCS_MAX_SCHEMA_NODES);
        return;
    }
    if (depth > GR_APIDOCS_MAX_SCHEMA_DEPTH) {
        gr_buf_puts(ctx->out, "<span class=\"muted\">(nested too deeply to show)</span>");
        return;
    }
    if (ref == NULL) {
        schema_body(ctx, schema, depth);
        return;
    }

    target = gr_apidocs__resolve(ctx, ref);
    if (target == NULL) {
        gr_buf_puts(ctx->out, "<span class=\"schema-type\">");
        gr_apidocs__text(ctx, ref);
        gr_buf_puts(ctx->out, "</span> <span class=\"muted\">(reference not resolved: only "
                              "references inside this definition are followed)</span>");
        return;
    }
    /* A reference that is being expanded already is a cycle: link to it. */
    if (ref_in_progress(ctx, ref) ||
        ctx->ref_depth == sizeof(ctx->refs) / sizeof(ctx->refs[0])) {
        gr_buf_puts(ctx->out, "<a class=\"schema-type\" href=\"#");
        gr_apidocs__schema_anchor(ctx, ref_name(ref));
        gr_buf_puts(ctx->out, "\">");
        gr_apidocs__text(ctx, ref_name(ref));
        gr_buf_puts(ctx->out, "</a> <span class=\"muted\">(recursive)</span>");
        return;
    }
    gr_buf_puts(ctx->out, "<a class=\"schema-type\" href=\"#");
    gr_apidocs__schema_anchor(ctx, ref_name(ref));
    gr_buf_puts(ctx->out, "\">");
    gr_apidocs__text(ctx, ref_name(ref));
    gr_buf_puts(ctx->out, "</a> ");
    ctx->refs[ctx->ref_depth++] = ref;
    schema_body(ctx, target, depth);
    ctx->ref_depth--;
}

/* ---- entry point ---- */

static void error_banner(gr_buf *out, const char *message, const char *definition)
{
    gr_buf_puts(out, "<div class=\"banner banner-error\" role=\"alert\"><h2>The API definition "
                     "could not be read</h2><p>");
    gr_buf_put_html(out, message);
    gr_buf_puts(out, "</p></div>");
    if (definition != NULL && definition[0] != '\0') {
        gr_buf_puts(out, "<pre tabindex=\"0\"><code>");
        gr_buf_put_html(out, definition);
        gr_buf_puts(out, "</code></pre>");
    }
}

static int render_structured(const char *type, const char *definition, gr_buf *out)
{
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    gr_apidocs__ctx ctx;
    const json_t *root;
    int error;

    if ((error = gr_yaml_parse("definition", definition, strlen(definition), NULL, &docs,
                               &count)) < 0) {
        error_banner(out, gr_error_last(), definition);
        return error;
    }
    root = count > 0 ? gr_yaml_doc_root(docs[0]) : NULL;
    if (!json_is_object(root)) {
        gr_yaml_docs_free(docs, count);
        error_banner(out, "The definition is not a YAML or JSON object.", definition);
        return gr_error_set(GR_EINVALID, "the definition is not an object");
    }

    memset(&ctx, 0, sizeof(ctx));
    ctx.root = root;
    ctx.out = out;
    if (strcasecmp(type, "asyncapi") == 0)
        error = gr_apidocs__asyncapi(&ctx);
    else
        error = gr_apidocs__openapi(&ctx);
    gr_yaml_docs_free(docs, count);
    return error;
}

int gr_apidocs_render(const char *type, const char *definition, gr_buf *out)
{
    if (definition == NULL || definition[0] == '\0') {
        error_banner(out, "The entity has no definition (spec.definition is empty).", NULL);
        return gr_error_set(GR_EINVALID, "the API has no definition");
    }
    if (strlen(definition) > GR_APIDOCS_MAX_BYTES) {
        error_banner(out, "The definition is larger than 4 MiB, so it is not rendered.", NULL);
        return gr_error_set(GR_ELIMIT, "the definition is larger than %zu bytes",
                            GR_APIDOCS_MAX_BYTES);
    }
    if (strcasecmp(type, "openapi") == 0 || strcasecmp(type, "asyncapi") == 0)
        return render_structured(type, definition, out);

    gr_buf_puts(out, "<pre tabindex=\"0\" class=\"apidoc-source\"><code>");
    if (strcasecmp(type, "graphql") == 0 || strcasecmp(type, "grpc") == 0)
        gr_apidocs__highlight(out, definition, strcasecmp(type, "grpc") == 0);
    else
        gr_buf_put_html(out, definition);
    gr_buf_puts(out, "</code></pre>");
    return 0;
}
