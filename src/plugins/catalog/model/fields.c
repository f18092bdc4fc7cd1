/* SPDX-License-Identifier: MIT */
/* Field-format rules for apiVersion, kind and metadata (Backstage's FieldFormatEntityPolicy). */
#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "plugins/catalog/model/model_internal.h"
#include "plugins/catalog/model/names.h"
#include "plugins/catalog/model/pointer.h"

/* One format rule: its id, its predicate and what a valid value looks like. */
typedef struct {
    const char *rule;
    bool (*valid)(const char *value);
    const char *expectation;
} format_rule;

static const format_rule api_version_rule = {
    "api-version-format", gr_model_is_valid_api_version,
    "an optional DNS-subdomain prefix and '/', then 1-63 of [a-zA-Z0-9], e.g. backstage.io/v1alpha1"};
static const format_rule kind_rule = {
    "kind-format", gr_model_is_valid_kind,
    "a letter followed by letters and digits, at most 63 characters"};
static const format_rule name_rule = {
    "name-format", gr_model_is_valid_object_name,
    "1-63 characters of [a-zA-Z0-9] separated by any of [-_.], with [a-zA-Z0-9] at both ends"};
static const format_rule namespace_rule = {
    "namespace-format", gr_model_is_valid_dns_label,
    "1-63 characters of [a-z0-9] separated by [-], with [a-z0-9] at both ends"};
static const format_rule label_key_rule = {
    "label-key-format", gr_model_is_valid_label_key,
    "an optional DNS-subdomain prefix and '/', then a name of 1-63 characters of [a-zA-Z0-9] "
    "separated by any of [-_.]"};
static const format_rule label_value_rule = {
    "label-value-format", gr_model_is_valid_label_value,
    "an empty string or 1-63 characters of [a-zA-Z0-9] separated by any of [-_.]"};
static const format_rule annotation_key_rule = {
    "annotation-key-format", gr_model_is_valid_label_key,
    "an optional DNS-subdomain prefix and '/', then a name of 1-63 characters of [a-zA-Z0-9] "
    "separated by any of [-_.]"};
static const format_rule tag_rule = {
    "tag-format", gr_model_is_valid_tag,
    "1-63 characters of [a-z0-9:+#] in groups separated by single '-'"};
static const format_rule url_rule = {"url-format", gr_model_is_valid_url, "an absolute URL"};
static const format_rule text_rule = {"non-empty-string", gr_model_is_non_empty_string,
                                      "a string with at least one non-space character"};

static bool passes(const json_t *value, const format_rule *rule)
{
    return json_is_string(value) && rule->valid(json_string_value(value));
}

/* Reports `value` at `pointer` unless it is a string that passes `rule`. */
static void require_format(gr_model_problems *problems, const char *pointer, const char *field,
                           const json_t *value, const format_rule *rule)
{
    char *text;

    if (value == NULL || json_is_null(value)) {
        gr_model_problems_add(problems, pointer, "required", NULL, "%s must have a value", field);
        return;
    }
    if (json_is_string(value) && rule->valid(json_string_value(value)))
        return;
    text = gr_model_value_text(value);
    gr_model_problems_add(problems, pointer, rule->rule, text, "invalid %s %s: expected %s", field,
                          text, rule->expectation);
    free(text);
}

static void optional_format(gr_model_problems *problems, const char *pointer, const char *field,
                            const json_t *value, const format_rule *rule)
{
    if (value != NULL)
        require_format(problems, pointer, field, value, rule);
}

/* Checks the keys and values of metadata.labels or metadata.annotations. */
static void check_map(gr_model_problems *problems, const json_t *map, const char *member,
                      const format_rule *key_rule, const format_rule *value_rule)
{
    gr_buf pointer = GR_BUF_INIT;
    gr_buf field = GR_BUF_INIT;
    const char *key;
    json_t *value;
    json_t *key_value;

    if (!json_is_object(map))
        return;
    json_object_foreach((json_t *)map, key, value)
    {
        /* Most keys and values are valid: build pointers only for problems. */
        if (key_rule->valid(key) &&
            (value_rule ? passes(value, value_rule) : json_is_string(value)))
            continue;
        gr_buf_reset(&pointer);
        gr_buf_reset(&field);
        gr_buf_printf(&pointer, "/metadata/%s", member);
        gr_model_pointer_push(&pointer, key);
        gr_buf_printf(&field, "%s key", member);
        key_value = json_string(key);
        if (key_value != NULL)
            require_format(problems, gr_buf_cstr(&pointer), gr_buf_cstr(&field), key_value,
                           key_rule);
        json_decref(key_value);
        gr_buf_reset(&field);
        gr_buf_printf(&field, "%s.%s", member, key);
        if (value_rule != NULL) {
            require_format(problems, gr_buf_cstr(&pointer), gr_buf_cstr(&field), value, value_rule);
        } else if (!json_is_string(value)) {
            char *text = gr_model_value_text(value);

            gr_model_problems_add(problems, gr_buf_cstr(&pointer), "annotation-value-type", text,
                                  "invalid %s %s: expected a string", gr_buf_cstr(&field), text);
            free(text);
        }
    }
    gr_buf_free(&pointer);
    gr_buf_free(&field);
}

static void check_tags(gr_model_problems *problems, const json_t *tags)
{
    size_t i;
    json_t *tag;

    json_array_foreach(tags, i, tag)
    {
        if (passes(tag, &tag_rule))
            continue;
        char *pointer = gr_xasprintf("/metadata/tags/%zu", i);
        char *field = gr_xasprintf("tag %zu", i);

        require_format(problems, pointer, field, tag, &tag_rule);
        free(pointer);
        free(field);
    }
}

static void check_links(gr_model_problems *problems, const json_t *links)
{
    static const char *const text_fields[] = {"title", "icon"};
    size_t i;
    json_t *link;

    json_array_foreach(links, i, link)
    {
        const json_t *title = json_object_get(link, "title");
        const json_t *icon = json_object_get(link, "icon");
        char *pointer;
        char *field;

        if (passes(json_object_get(link, "url"), &url_rule) &&
            (title == NULL || passes(title, &text_rule)) && (icon == NULL || passes(icon, &text_rule)))
            continue;
        pointer = gr_xasprintf("/metadata/links/%zu/url", i);
        field = gr_xasprintf("links.%zu.url", i);
        require_format(problems, pointer, field, json_object_get(link, "url"), &url_rule);
        free(pointer);
        free(field);
        for (size_t f = 0; f < 2; f++) {
            pointer = gr_xasprintf("/metadata/links/%zu/%s", i, text_fields[f]);
            field = gr_xasprintf("links.%zu.%s", i, text_fields[f]);
            optional_format(problems, pointer, field, json_object_get(link, text_fields[f]),
                            &text_rule);
            free(pointer);
            free(field);
        }
    }
}

void gr_model__check_fields(const json_t *entity, gr_model_problems *problems)
{
    const json_t *metadata = json_object_get(entity, "metadata");

    require_format(problems, "/apiVersion", "apiVersion", json_object_get(entity, "apiVersion"),
                   &api_version_rule);
    require_format(problems, "/kind", "kind", json_object_get(entity, "kind"), &kind_rule);
    require_format(problems, "/metadata/name", "metadata.name", json_object_get(metadata, "name"),
                   &name_rule);
    optional_format(problems, "/metadata/namespace", "metadata.namespace",
                    json_object_get(metadata, "namespace"), &namespace_rule);
    check_map(problems, json_object_get(metadata, "labels"), "labels", &label_key_rule,
              &label_value_rule);
    check_map(problems, json_object_get(metadata, "annotations"), "annotations",
              &annotation_key_rule, NULL);
    check_tags(problems, json_object_get(metadata, "tags"));
    check_links(problems, json_object_get(metadata, "links"));
}
