/* SPDX-License-Identifier: MIT */
/* A JSON Schema (draft-07 subset) evaluator for entity schemas. */
#include "plugins/catalog/model/schema.h"

#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/model/pointer.h"

/* Maximum nesting of schemas ($ref chains included) while validating one value. */
#define SCHEMA_DEPTH_MAX 64

typedef struct {
    char *source;  /* the pattern as written in the schema */
    regex_t regex; /* compiled POSIX extended form */
} compiled_pattern;

struct gr_schema_set {
    json_t *schemas; /* array of every added schema (owned) */
    json_t *ids;     /* object: absolute $id -> schema node */
    compiled_pattern *patterns;
    size_t pattern_count;
};

typedef struct {
    const gr_schema_set *set;
    gr_buf pointer;
    gr_model_problems *problems;
    size_t added;
    int depth;
} validation;

gr_schema_set *gr_schema_set_new(void)
{
    gr_schema_set *set = gr_xcalloc(1, sizeof(*set));

    set->schemas = json_array();
    set->ids = json_object();
    return set;
}

void gr_schema_set_free(gr_schema_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->pattern_count; i++) {
        regfree(&set->patterns[i].regex);
        free(set->patterns[i].source);
    }
    free(set->patterns);
    json_decref(set->ids);
    json_decref(set->schemas);
    free(set);
}

const json_t *gr_schema_set_find(const gr_schema_set *set, const char *id)
{
    return json_object_get(set->ids, id);
}

static const regex_t *find_pattern(const gr_schema_set *set, const char *source)
{
    for (size_t i = 0; i < set->pattern_count; i++) {
        if (strcmp(set->patterns[i].source, source) == 0)
            return &set->patterns[i].regex;
    }
    return NULL;
}

/*
 * Translates the ECMAScript escapes that schemas use (\w, \d, \s) into POSIX
 * bracket expressions. Other escapes pass through unchanged.
 */
static char *translate_pattern(const char *source)
{
    gr_buf out = GR_BUF_INIT;

    for (const char *c = source; *c != '\0'; c++) {
        if (c[0] == '\\' && c[1] == 'w') {
            gr_buf_puts(&out, "[A-Za-z0-9_]");
            c++;
        } else if (c[0] == '\\' && c[1] == 'd') {
            gr_buf_puts(&out, "[0-9]");
            c++;
        } else if (c[0] == '\\' && c[1] == 's') {
            gr_buf_puts(&out, "[[:space:]]");
            c++;
        } else {
            gr_buf_putc(&out, *c);
        }
    }
    return gr_buf_detach(&out);
}

static int add_pattern(gr_schema_set *set, const char *source, const char *source_name)
{
    char *translated;
    int status;

    if (find_pattern(set, source) != NULL)
        return GR_OK;
    set->patterns = gr_xrealloc(set->patterns, (set->pattern_count + 1) * sizeof(*set->patterns));
    translated = translate_pattern(source);
    status = regcomp(&set->patterns[set->pattern_count].regex, translated, REG_EXTENDED | REG_NOSUB);
    free(translated);
    if (status != 0)
        return gr_error_set(GR_EINVALID, "%s: pattern \"%s\" does not compile", source_name, source);
    set->patterns[set->pattern_count].source = gr_xstrdup(source);
    set->pattern_count++;
    return GR_OK;
}

/* Makes "#name" absolute against `base`; other references are already absolute. */
static char *absolute_id(const char *base, const char *id)
{
    if (id[0] == '#')
        return gr_xasprintf("%s%s", base, id);
    return gr_xstrdup(id);
}

/*
 * Walks one schema: registers every "$id", rewrites every "$ref" to an
 * absolute id and compiles every pattern.
 */
static int index_node(gr_schema_set *set, json_t *node, const char *base, const char *source_name,
                      int depth)
{
    const char *key;
    json_t *child;
    char *own_base = NULL;
    int rc = GR_OK;

    if (depth > SCHEMA_DEPTH_MAX)
        return gr_error_set(GR_ELIMIT, "%s: schema nested deeper than %d", source_name,
                            SCHEMA_DEPTH_MAX);
    if (json_is_array(node)) {
        size_t i;

        json_array_foreach(node, i, child)
        {
            if ((rc = index_node(set, child, base, source_name, depth + 1)) != GR_OK)
                return rc;
        }
        return GR_OK;
    }
    if (!json_is_object(node))
        return GR_OK;

    if (json_is_string(json_object_get(node, "$id"))) {
        own_base = absolute_id(base, json_string_value(json_object_get(node, "$id")));
        if (json_object_get(set->ids, own_base) != NULL) {
            rc = gr_error_set(GR_EINVALID, "%s: schema id \"%s\" is defined twice", source_name,
                              own_base);
            goto done;
        }
        json_object_set(set->ids, own_base, node);
        if (own_base[0] != '\0' && strchr(own_base, '#') == NULL)
            base = own_base;
    }
    if (json_is_string(json_object_get(node, "$ref"))) {
        char *target = absolute_id(base, json_string_value(json_object_get(node, "$ref")));

        json_object_set_new(node, "$ref", json_string(target));
        free(target);
    }
    if (json_is_string(json_object_get(node, "pattern")) &&
        (rc = add_pattern(set, json_string_value(json_object_get(node, "pattern")),
                          source_name)) != GR_OK)
        goto done;

    json_object_foreach(node, key, child)
    {
        if (strcmp(key, "patternProperties") == 0 && json_is_object(child)) {
            const char *pattern;
            json_t *sub;

            json_object_foreach(child, pattern, sub)
            {
                if ((rc = add_pattern(set, pattern, source_name)) != GR_OK)
                    goto done;
            }
        }
        if (strcmp(key, "enum") == 0 || strcmp(key, "const") == 0 ||
            strcmp(key, "examples") == 0 || strcmp(key, "default") == 0)
            continue;
        if ((rc = index_node(set, child, base, source_name, depth + 1)) != GR_OK)
            goto done;
    }

done:
    free(own_base);
    return rc;
}

static int add_schema(gr_schema_set *set, const char *text, const char *forced_id,
                      const char *source_name)
{
    json_error_t error;
    json_t *schema = json_loads(text, 0, &error);
    int rc;

    if (schema == NULL)
        return gr_error_set(GR_EINVALID, "%s:%d:%d: invalid JSON schema: %s", source_name,
                            error.line, error.column, error.text);
    if (!json_is_object(schema)) {
        json_decref(schema);
        return gr_error_set(GR_EINVALID, "%s: the schema is not a JSON object", source_name);
    }
    if (forced_id != NULL)
        json_object_set_new(schema, "$id", json_string(forced_id));
    if (!json_is_string(json_object_get(schema, "$id"))) {
        json_decref(schema);
        return gr_error_set(GR_EINVALID, "%s: the schema has no \"$id\"", source_name);
    }
    rc = index_node(set, schema, "", source_name, 0);
    json_array_append_new(set->schemas, schema);
    return rc;
}

int gr_schema_set_add(gr_schema_set *set, const char *text, const char *source_name)
{
    return add_schema(set, text, NULL, source_name);
}

int gr_schema_set_add_as(gr_schema_set *set, const char *text, const char *id,
                         const char *source_name)
{
    return add_schema(set, text, id, source_name);
}

static void report(validation *state, const char *keyword, const json_t *value, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static void report(validation *state, const char *keyword, const json_t *value, const char *fmt,
                   ...)
{
    char *message;
    char *value_text = value ? gr_model_value_text(value) : NULL;
    va_list args;

    va_start(args, fmt);
    message = gr_xvasprintf(fmt, args);
    va_end(args);
    gr_model_problems_add(state->problems, gr_buf_cstr(&state->pointer), keyword, value_text,
                          "%s", message);
    state->added++;
    free(message);
    free(value_text);
}

static size_t count_code_points(const char *text)
{
    size_t count = 0;

    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
        if ((*c & 0xC0) != 0x80)
            count++;
    }
    return count;
}

static int is_integer_value(const json_t *value)
{
    if (json_is_integer(value))
        return 1;
    if (json_is_real(value)) {
        double number = json_real_value(value);

        return isfinite(number) && floor(number) == number;
    }
    return 0;
}

static int has_type(const json_t *value, const char *type)
{
    if (strcmp(type, "string") == 0)
        return json_is_string(value);
    if (strcmp(type, "object") == 0)
        return json_is_object(value);
    if (strcmp(type, "array") == 0)
        return json_is_array(value);
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(value);
    if (strcmp(type, "null") == 0)
        return json_is_null(value);
    if (strcmp(type, "number") == 0)
        return json_is_number(value);
    if (strcmp(type, "integer") == 0)
        return is_integer_value(value);
    return 0;
}

static int check_type(validation *state, const json_t *type, const json_t *value)
{
    gr_buf names = GR_BUF_INIT;
    size_t i;
    json_t *item;
    int ok = 0;

    if (json_is_string(type)) {
        if (has_type(value, json_string_value(type)))
            return 1;
        report(state, "type", value, "must be %s", json_string_value(type));
        return 0;
    }
    json_array_foreach(type, i, item)
    {
        if (json_is_string(item) && has_type(value, json_string_value(item)))
            ok = 1;
        if (i > 0)
            gr_buf_putc(&names, ',');
        gr_buf_puts(&names, json_string_value(item) ? json_string_value(item) : "?");
    }
    if (!ok)
        report(state, "type", value, "must be %s", gr_buf_cstr(&names));
    gr_buf_free(&names);
    return ok;
}

/* JSON equality where 1 and 1.0 are equal, as in JavaScript. */
static int values_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal((json_t *)a, (json_t *)b);
}

static void check_node(validation *state, const json_t *schema, const json_t *value);

/* Runs `schema` on `value` without reporting; returns true when it holds. */
static int holds(validation *state, const json_t *schema, const json_t *value)
{
    gr_model_problems scratch = GR_MODEL_PROBLEMS_INIT;
    validation probe = {state->set, GR_BUF_INIT, &scratch, 0, state->depth};

    gr_buf_puts(&probe.pointer, gr_buf_cstr(&state->pointer));
    check_node(&probe, schema, value);
    gr_buf_free(&probe.pointer);
    gr_model_problems_free(&scratch);
    return probe.added == 0;
}

static void check_string(validation *state, const json_t *schema, const json_t *value)
{
    const char *text = json_string_value(value);
    json_t *limit;

    limit = json_object_get(schema, "minLength");
    if (json_is_integer(limit) && (json_int_t)count_code_points(text) < json_integer_value(limit))
        report(state, "minLength", value, "must NOT have fewer than %lld characters",
               (long long)json_integer_value(limit));
    limit = json_object_get(schema, "maxLength");
    if (json_is_integer(limit) && (json_int_t)count_code_points(text) > json_integer_value(limit))
        report(state, "maxLength", value, "must NOT have more than %lld characters",
               (long long)json_integer_value(limit));
    limit = json_object_get(schema, "pattern");
    if (json_is_string(limit)) {
        const regex_t *regex = find_pattern(state->set, json_string_value(limit));

        if (regex != NULL && regexec(regex, text, 0, NULL, 0) != 0)
            report(state, "pattern", value, "must match pattern \"%s\"", json_string_value(limit));
    }
}

static void check_number(validation *state, const json_t *schema, const json_t *value)
{
    double number = json_number_value(value);
    json_t *limit;

    limit = json_object_get(schema, "minimum");
    if (json_is_number(limit) && number < json_number_value(limit))
        report(state, "minimum", value, "must be >= %g", json_number_value(limit));
    limit = json_object_get(schema, "maximum");
    if (json_is_number(limit) && number > json_number_value(limit))
        report(state, "maximum", value, "must be <= %g", json_number_value(limit));
}

static void check_array(validation *state, const json_t *schema, const json_t *value)
{
    json_t *items = json_object_get(schema, "items");
    json_t *limit;
    size_t i;
    json_t *item;

    limit = json_object_get(schema, "minItems");
    if (json_is_integer(limit) && (json_int_t)json_array_size(value) < json_integer_value(limit))
        report(state, "minItems", value, "must NOT have fewer than %lld items",
               (long long)json_integer_value(limit));
    limit = json_object_get(schema, "maxItems");
    if (json_is_integer(limit) && (json_int_t)json_array_size(value) > json_integer_value(limit))
        report(state, "maxItems", value, "must NOT have more than %lld items",
               (long long)json_integer_value(limit));
    if (!json_is_object(items) && !json_is_boolean(items))
        return;
    json_array_foreach(value, i, item)
    {
        size_t mark = state->pointer.len;

        gr_model_pointer_push_index(&state->pointer, i);
        check_node(state, items, item);
        gr_model_pointer_pop(&state->pointer, mark);
    }
}

static int matches_pattern_property(validation *state, const json_t *patterns, const char *key,
                                    const json_t *child)
{
    const char *pattern;
    json_t *sub;
    int matched = 0;

    json_object_foreach((json_t *)patterns, pattern, sub)
    {
        const regex_t *regex = find_pattern(state->set, pattern);

        if (regex == NULL || regexec(regex, key, 0, NULL, 0) != 0)
            continue;
        matched = 1;
        check_node(state, sub, child);
    }
    return matched;
}

static void check_object(validation *state, const json_t *schema, const json_t *value)
{
    json_t *required = json_object_get(schema, "required");
    json_t *properties = json_object_get(schema, "properties");
    json_t *patterns = json_object_get(schema, "patternProperties");
    json_t *additional = json_object_get(schema, "additionalProperties");
    const char *key;
    json_t *child;
    size_t i;
    json_t *name;

    json_array_foreach(required, i, name)
    {
        if (json_is_string(name) && json_object_get(value, json_string_value(name)) == NULL)
            report(state, "required", NULL, "must have required property '%s'",
                   json_string_value(name));
    }
    json_object_foreach((json_t *)value, key, child)
    {
        json_t *property = json_object_get(properties, key);
        size_t mark = state->pointer.len;
        int known = property != NULL;

        gr_model_pointer_push(&state->pointer, key);
        if (property != NULL)
            check_node(state, property, child);
        if (json_is_object(patterns) && matches_pattern_property(state, patterns, key, child))
            known = 1;
        if (!known && json_is_object(additional))
            check_node(state, additional, child);
        gr_model_pointer_pop(&state->pointer, mark);
        if (!known && json_is_false(additional))
            report(state, "additionalProperties", NULL,
                   "must NOT have additional properties (found '%s')", key);
    }
}

static void check_combinators(validation *state, const json_t *schema, const json_t *value)
{
    json_t *list;
    json_t *sub;
    size_t i;

    json_array_foreach(json_object_get(schema, "allOf"), i, sub) check_node(state, sub, value);

    list = json_object_get(schema, "anyOf");
    if (json_is_array(list)) {
        int any = 0;

        json_array_foreach(list, i, sub) any = any || holds(state, sub, value);
        if (!any)
            report(state, "anyOf", value, "must match a schema in anyOf");
    }
    list = json_object_get(schema, "oneOf");
    if (json_is_array(list)) {
        int passing = 0;

        json_array_foreach(list, i, sub) passing += holds(state, sub, value);
        if (passing != 1)
            report(state, "oneOf", value, "must match exactly one schema in oneOf");
    }
    sub = json_object_get(schema, "not");
    if (sub != NULL && holds(state, sub, value))
        report(state, "not", value, "must NOT be valid");
    sub = json_object_get(schema, "if");
    if (sub != NULL) {
        json_t *branch = json_object_get(schema, holds(state, sub, value) ? "then" : "else");

        if (branch != NULL)
            check_node(state, branch, value);
    }
}

static void check_node(validation *state, const json_t *schema, const json_t *value)
{
    json_t *keyword;

    if (json_is_true(schema))
        return;
    if (json_is_false(schema)) {
        report(state, "false schema", value, "boolean schema is false");
        return;
    }
    if (!json_is_object(schema))
        return;
    if (state->depth >= SCHEMA_DEPTH_MAX) {
        report(state, "depth", NULL, "schema nesting deeper than %d", SCHEMA_DEPTH_MAX);
        return;
    }
    state->depth++;

    keyword = json_object_get(schema, "$ref");
    if (json_is_string(keyword)) {
        const json_t *target = gr_schema_set_find(state->set, json_string_value(keyword));

        if (target != NULL)
            check_node(state, target, value);
        else
            report(state, "$ref", NULL, "can't resolve reference %s", json_string_value(keyword));
    }
    keyword = json_object_get(schema, "type");
    if (keyword != NULL)
        check_type(state, keyword, value);
    keyword = json_object_get(schema, "enum");
    if (json_is_array(keyword)) {
        size_t i;
        json_t *allowed;
        int found = 0;

        json_array_foreach(keyword, i, allowed) found = found || values_equal(allowed, value);
        if (!found)
            report(state, "enum", value, "must be equal to one of the allowed values");
    }
    keyword = json_object_get(schema, "const");
    if (keyword != NULL && !values_equal(keyword, value))
        report(state, "const", value, "must be equal to constant");

    if (json_is_string(value))
        check_string(state, schema, value);
    else if (json_is_number(value))
        check_number(state, schema, value);
    else if (json_is_array(value))
        check_array(state, schema, value);
    else if (json_is_object(value))
        check_object(state, schema, value);
    check_combinators(state, schema, value);
    state->depth--;
}

size_t gr_schema_validate(const gr_schema_set *set, const json_t *schema, const json_t *instance,
                          const char *base_pointer, gr_model_problems *problems)
{
    validation state = {set, GR_BUF_INIT, problems, 0, 0};

    gr_buf_puts(&state.pointer, base_pointer ? base_pointer : "");
    check_node(&state, schema, instance);
    gr_buf_free(&state.pointer);
    return state.added;
}
