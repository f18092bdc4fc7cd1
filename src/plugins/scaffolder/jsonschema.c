/* SPDX-License-Identifier: MIT */
/* JSON Schema validation of template values and action inputs, reported as Backstage reports it. */
#include "plugins/scaffolder/jsonschema.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/common/regex_check.h"

typedef struct {
    const json_t *root;
    json_t *errors; /* NULL while probing a branch of anyOf, oneOf, not or if */
    size_t count;
    json_t *path; /* keys and indexes from the root to the current value */
    int depth;
} check;

static void validate(check *c, const json_t *schema, const json_t *instance);

static void put_property(gr_buf *out, const json_t *path)
{
    size_t index;
    json_t *item;

    gr_buf_puts(out, "instance");
    json_array_foreach(path, index, item)
    {
        if (json_is_integer(item)) {
            gr_buf_printf(out, "[%lld]", (long long)json_integer_value(item));
            continue;
        }
        const char *key = json_string_value(item);
        bool plain = key[0] != '\0' && !isdigit((unsigned char)key[0]);

        for (const char *p = key; *p && plain; p++)
            plain = isalnum((unsigned char)*p) || *p == '_' || *p == '$';
        if (plain) {
            gr_buf_printf(out, ".%s", key);
        } else {
            char *quoted = json_dumps(item, JSON_ENCODE_ANY);

            gr_buf_printf(out, "[%s]", quoted ? quoted : "\"\"");
            free(quoted);
        }
    }
}

static void add_error(check *c, const char *name, json_t *argument, const json_t *instance,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Records one error; steals `argument` (may be NULL). */
static void add_error(check *c, const char *name, json_t *argument, const json_t *instance,
                      const char *fmt, ...)
{
    gr_buf property = GR_BUF_INIT;
    gr_buf message = GR_BUF_INIT;
    json_t *error;
    va_list args;

    c->count++;
    if (c->errors == NULL || json_array_size(c->errors) >= GR_JSONSCHEMA_MAX_ERRORS) {
        json_decref(argument);
        return;
    }
    va_start(args, fmt);
    gr_buf_vprintf(&message, fmt, args);
    va_end(args);
    put_property(&property, c->path);

    error = json_object();
    json_object_set_new(error, "path", json_deep_copy(c->path));
    json_object_set_new(error, "property", json_string(gr_buf_cstr(&property)));
    json_object_set_new(error, "message", json_string(gr_buf_cstr(&message)));
    json_object_set_new(error, "name", json_string(name));
    json_object_set_new(error, "argument", argument ? argument : json_null());
    if (instance != NULL)
        json_object_set_new(error, "instance", json_deep_copy(instance));
    gr_buf_printf(&property, " %s", gr_buf_cstr(&message));
    json_object_set_new(error, "stack", json_string(gr_buf_cstr(&property)));
    json_array_append_new(c->errors, error);
    gr_buf_free(&property);
    gr_buf_free(&message);
}

/* Runs `schema` on `instance` without recording errors; returns the number found. */
static size_t probe(check *c, const json_t *schema, const json_t *instance)
{
    check sub = {.root = c->root, .errors = NULL, .path = c->path, .depth = c->depth};

    validate(&sub, schema, instance);
    return sub.count;
}

static void descend(check *c, json_t *key, const json_t *schema, const json_t *instance)
{
    json_array_append_new(c->path, key);
    validate(c, schema, instance);
    json_array_remove(c->path, json_array_size(c->path) - 1);
}

static bool is_integral(const json_t *value)
{
    double number;

    if (json_is_integer(value))
        return true;
    if (!json_is_real(value))
        return false;
    number = json_real_value(value);
    return isfinite(number) && floor(number) == number;
}

static bool type_matches(const char *type, const json_t *value)
{
    if (strcmp(type, "string") == 0)
        return json_is_string(value);
    if (strcmp(type, "number") == 0)
        return json_is_number(value);
    if (strcmp(type, "integer") == 0)
        return is_integral(value);
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(value);
    if (strcmp(type, "object") == 0)
        return json_is_object(value);
    if (strcmp(type, "array") == 0)
        return json_is_array(value);
    if (strcmp(type, "null") == 0)
        return json_is_null(value);
    return strcmp(type, "any") == 0;
}

/* Prints a value the way JavaScript's String() does inside an enum message. */
static void put_js_string(gr_buf *out, const json_t *value)
{
    if (json_is_string(value)) {
        gr_buf_puts(out, json_string_value(value));
    } else if (json_is_object(value)) {
        gr_buf_puts(out, "[object Object]");
    } else {
        char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);

        gr_buf_puts(out, text ? text : "");
        free(text);
    }
}

static void check_type(check *c, const json_t *type, const json_t *instance)
{
    gr_buf names = GR_BUF_INIT;
    size_t index;
    json_t *item;

    if (json_is_string(type)) {
        if (type_matches(json_string_value(type), instance))
            return;
        add_error(c, "type", json_pack("[O]", type), instance, "is not of a type(s) %s",
                  json_string_value(type));
        return;
    }
    if (!json_is_array(type))
        return;
    json_array_foreach(type, index, item)
    {
        if (json_is_string(item) && type_matches(json_string_value(item), instance)) {
            gr_buf_free(&names);
            return;
        }
        if (index > 0)
            gr_buf_putc(&names, ',');
        put_js_string(&names, item);
    }
    add_error(c, "type", json_deep_copy(type), instance, "is not of a type(s) %s",
              gr_buf_cstr(&names));
    gr_buf_free(&names);
}

static void check_enum(check *c, const json_t *values, const json_t *instance)
{
    gr_buf list = GR_BUF_INIT;
    size_t index;
    json_t *item;

    if (!json_is_array(values))
        return;
    json_array_foreach(values, index, item) if (json_equal(item, instance)) return;
    json_array_foreach(values, index, item)
    {
        if (index > 0)
            gr_buf_putc(&list, ',');
        put_js_string(&list, item);
    }
    add_error(c, "enum", json_deep_copy(values), instance, "is not one of enum values: %s",
              gr_buf_cstr(&list));
    gr_buf_free(&list);
}

/* Appends a bracket expression's body, moving ']' first and '-' last as POSIX needs. */
static const char *translate_bracket(const char *p, gr_buf *out)
{
    gr_buf body = GR_BUF_INIT;
    bool negate = false;
    bool bracket = false;
    bool dash = false;

    p++; /* '[' */
    if (*p == '^') {
        negate = true;
        p++;
    }
    for (; *p != '\0' && *p != ']'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
            switch (*p) {
            case 'd':
                gr_buf_puts(&body, "0-9");
                break;
            case 'w':
                gr_buf_puts(&body, "A-Za-z0-9_");
                break;
            case 's':
                gr_buf_puts(&body, "[:space:]");
                break;
            case 'n':
                gr_buf_putc(&body, '\n');
                break;
            case 't':
                gr_buf_putc(&body, '\t');
                break;
            case ']':
                bracket = true;
                break;
            case '-':
                dash = true;
                break;
            default:
                gr_buf_putc(&body, *p);
                break;
            }
        } else if (*p == '-' && (p[1] == ']' || body.len == 0)) {
            dash = true;
        } else {
            gr_buf_putc(&body, *p);
        }
    }
    gr_buf_putc(out, '[');
    if (negate)
        gr_buf_putc(out, '^');
    if (bracket)
        gr_buf_putc(out, ']');
    gr_buf_puts(out, gr_buf_cstr(&body));
    if (dash)
        gr_buf_putc(out, '-');
    gr_buf_putc(out, ']');
    gr_buf_free(&body);
    return *p == ']' ? p : p - 1;
}

/* Translates an ECMAScript pattern to POSIX ERE; returns NULL when it cannot. */
static char *translate_pattern(const char *source)
{
    gr_buf out = GR_BUF_INIT;

    gr_buf_puts(&out, "");
    for (const char *p = source; *p != '\0'; p++) {
        if (*p == '[') {
            p = translate_bracket(p, &out);
        } else if (*p == '\\' && p[1] != '\0') {
            p++;
            switch (*p) {
            case 'd':
                gr_buf_puts(&out, "[0-9]");
                break;
            case 'D':
                gr_buf_puts(&out, "[^0-9]");
                break;
            case 'w':
                gr_buf_puts(&out, "[A-Za-z0-9_]");
                break;
            case 'W':
                gr_buf_puts(&out, "[^A-Za-z0-9_]");
                break;
            case 's':
                gr_buf_puts(&out, "[[:space:]]");
                break;
            case 'S':
                gr_buf_puts(&out, "[^[:space:]]");
                break;
            case 'n':
                gr_buf_putc(&out, '\n');
                break;
            case 't':
                gr_buf_putc(&out, '\t');
                break;
            case 'b':
            case 'B':
                gr_buf_free(&out);
                return NULL;
            default:
                if (isdigit((unsigned char)*p)) {
                    gr_buf_free(&out);
                    return NULL; /* back-references */
                }
                if (isalnum((unsigned char)*p))
                    gr_buf_putc(&out, *p);
                else
                    gr_buf_printf(&out, "\\%c", *p);
                break;
            }
        } else if (*p == '(' && p[1] == '?') {
            if (p[2] != ':') {
                gr_buf_free(&out);
                return NULL; /* look-around */
            }
            gr_buf_putc(&out, '(');
            p += 2;
        } else if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '?') {
            gr_buf_putc(&out, *p); /* a lazy quantifier matches the same strings */
            p++;
        } else {
            gr_buf_putc(&out, *p);
        }
    }
    return gr_buf_detach(&out);
}

static void check_pattern(check *c, const json_t *pattern, const char *text, const json_t *instance)
{
    const char *source = json_string_value(pattern);
    char *translated;
    regex_t regex;

    if (source == NULL)
        return;
    translated = translate_pattern(source);
    if (translated == NULL || gr_regex_check(translated) != GR_OK ||
        regcomp(&regex, translated, REG_EXTENDED | REG_NOSUB) != 0) {
        add_error(c, "pattern", json_incref((json_t *)pattern), instance,
                  "cannot be checked: the pattern \"%s\" is not supported", source);
        free(translated);
        return;
    }
    if (regexec(&regex, text, 0, NULL, 0) != 0)
        add_error(c, "pattern", json_incref((json_t *)pattern), instance,
                  "does not match pattern \"%s\"", source);
    regfree(&regex);
    free(translated);
}

static size_t code_points(const char *text)
{
    size_t count = 0;

    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p & 0xc0) != 0x80)
            count++;
    return count;
}

static bool format_ok(const char *format, const char *text)
{
    if (strcmp(format, "email") == 0) {
        const char *at = strchr(text, '@');

        return at != NULL && at != text && strchr(at + 1, '.') != NULL &&
               strchr(text, ' ') == NULL && at[1] != '.';
    }
    if (strcmp(format, "uri") == 0 || strcmp(format, "url") == 0) {
        const char *colon = strchr(text, ':');

        if (colon == NULL || colon == text || !isalpha((unsigned char)text[0]))
            return false;
        for (const char *p = text; p < colon; p++)
            if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
                return false;
        return strchr(text, ' ') == NULL;
    }
    if (strcmp(format, "date") == 0) {
        int y, m, d;
        char end;

        return sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &end) == 3 && strlen(text) == 10 &&
               m >= 1 && m <= 12 && d >= 1 && d <= 31;
    }
    if (strcmp(format, "date-time") == 0) {
        int y, mo, d, h, mi, s;

        return sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) == 6 && mo >= 1 &&
               mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s <= 60;
    }
    return true; /* unknown formats are annotations */
}

static void check_string(check *c, const json_t *schema, const json_t *instance)
{
    const char *text = json_string_value(instance);
    json_t *value;

    if ((value = json_object_get(schema, "minLength")) && json_is_number(value) &&
        (double)code_points(text) < json_number_value(value))
        add_error(c, "minLength", json_incref(value), instance,
                  "does not meet minimum length of %g", json_number_value(value));
    if ((value = json_object_get(schema, "maxLength")) && json_is_number(value) &&
        (double)code_points(text) > json_number_value(value))
        add_error(c, "maxLength", json_incref(value), instance,
                  "does not meet maximum length of %g", json_number_value(value));
    if ((value = json_object_get(schema, "pattern")))
        check_pattern(c, value, text, instance);
    if ((value = json_object_get(schema, "format")) && json_is_string(value) &&
        !format_ok(json_string_value(value), text))
        add_error(c, "format", json_incref(value), instance,
                  "does not conform to the \"%s\" format", json_string_value(value));
}

static void check_number(check *c, const json_t *schema, const json_t *instance)
{
    double number = json_number_value(instance);
    json_t *value;
    json_t *exclusive;

    if ((value = json_object_get(schema, "minimum")) && json_is_number(value)) {
        exclusive = json_object_get(schema, "exclusiveMinimum");
        if (json_is_true(exclusive) && number <= json_number_value(value))
            add_error(c, "minimum", json_incref(value), instance, "must be greater than %g",
                      json_number_value(value));
        else if (number < json_number_value(value))
            add_error(c, "minimum", json_incref(value), instance,
                      "must be greater than or equal to %g", json_number_value(value));
    }
    if ((value = json_object_get(schema, "maximum")) && json_is_number(value)) {
        exclusive = json_object_get(schema, "exclusiveMaximum");
        if (json_is_true(exclusive) && number >= json_number_value(value))
            add_error(c, "maximum", json_incref(value), instance, "must be less than %g",
                      json_number_value(value));
        else if (number > json_number_value(value))
            add_error(c, "maximum", json_incref(value), instance,
                      "must be less than or equal to %g", json_number_value(value));
    }
    if ((value = json_object_get(schema, "exclusiveMinimum")) && json_is_number(value) &&
        number <= json_number_value(value))
        add_error(c, "exclusiveMinimum", json_incref(value), instance, "must be greater than %g",
                  json_number_value(value));
    if ((value = json_object_get(schema, "exclusiveMaximum")) && json_is_number(value) &&
        number >= json_number_value(value))
        add_error(c, "exclusiveMaximum", json_incref(value), instance, "must be less than %g",
                  json_number_value(value));
    if ((value = json_object_get(schema, "multipleOf")) && json_is_number(value) &&
        json_number_value(value) > 0) {
        double quotient = number / json_number_value(value);

        if (fabs(quotient - round(quotient)) > 1e-9)
            add_error(c, "multipleOf", json_incref(value), instance, "is not a multiple of %g",
                      json_number_value(value));
    }
}

static void check_array(check *c, const json_t *schema, const json_t *instance)
{
    size_t size = json_array_size(instance);
    json_t *items = json_object_get(schema, "items");
    json_t *value;
    json_t *item;
    size_t index;

    if (json_is_object(items) || json_is_boolean(items)) {
        json_array_foreach(instance, index, item)
            descend(c, json_integer((json_int_t)index), items, item);
    } else if (json_is_array(items)) {
        json_t *additional = json_object_get(schema, "additionalItems");

        json_array_foreach(instance, index, item)
        {
            if (index < json_array_size(items))
                descend(c, json_integer((json_int_t)index), json_array_get(items, index), item);
            else if (json_is_false(additional))
                add_error(c, "additionalItems", NULL, instance, "additionalItems not permitted");
            else if (json_is_object(additional))
                descend(c, json_integer((json_int_t)index), additional, item);
        }
    }
    if ((value = json_object_get(schema, "minItems")) && json_is_number(value) &&
        (double)size < json_number_value(value))
        add_error(c, "minItems", json_incref(value), instance, "does not meet minimum length of %g",
                  json_number_value(value));
    if ((value = json_object_get(schema, "maxItems")) && json_is_number(value) &&
        (double)size > json_number_value(value))
        add_error(c, "maxItems", json_incref(value), instance, "does not meet maximum length of %g",
                  json_number_value(value));
    if (json_is_true(json_object_get(schema, "uniqueItems"))) {
        for (size_t i = 0; i < size; i++)
            for (size_t k = i + 1; k < size; k++)
                if (json_equal(json_array_get(instance, i), json_array_get(instance, k))) {
                    add_error(c, "uniqueItems", NULL, instance, "contains duplicate item");
                    i = k = size;
                }
    }
    if ((value = json_object_get(schema, "contains")) != NULL) {
        bool found = false;

        json_array_foreach(instance, index, item) if (!found && probe(c, value, item) == 0) found =
            true;
        if (!found)
            add_error(c, "contains", NULL, instance, "must contain an item matching the schema");
    }
}

static bool property_matches_pattern(const char *pattern, const char *key)
{
    char *translated = translate_pattern(pattern);
    regex_t regex;
    bool matched = false;

    if (translated != NULL && gr_regex_check(translated) == GR_OK &&
        regcomp(&regex, translated, REG_EXTENDED | REG_NOSUB) == 0) {
        matched = regexec(&regex, key, 0, NULL, 0) == 0;
        regfree(&regex);
    }
    free(translated);
    return matched;
}

static void check_dependencies(check *c, const json_t *dependencies, const json_t *instance)
{
    const char *key;
    json_t *dependency;

    json_object_foreach((json_t *)dependencies, key, dependency)
    {
        if (json_object_get(instance, key) == NULL)
            continue;
        if (json_is_array(dependency)) {
            size_t index;
            json_t *name;

            json_array_foreach(dependency, index,
                               name) if (json_is_string(name) &&
                                         json_object_get(instance, json_string_value(name)) == NULL)
                add_error(c, "dependencies", json_incref(dependency), instance,
                          "property %s not found, required by %s", json_string_value(name), key);
        } else if (json_is_object(dependency)) {
            validate(c, dependency, instance);
        }
    }
}

static void check_object(check *c, const json_t *schema, const json_t *instance)
{
    json_t *properties = json_object_get(schema, "properties");
    json_t *patterns = json_object_get(schema, "patternProperties");
    json_t *additional = json_object_get(schema, "additionalProperties");
    json_t *value;
    const char *key;
    size_t index;
    json_t *required = json_object_get(schema, "required");
    json_t *name;

    json_array_foreach(required, index, name)
    {
        if (json_is_string(name) && json_object_get(instance, json_string_value(name)) == NULL)
            add_error(c, "required", json_incref(name), instance, "requires property \"%s\"",
                      json_string_value(name));
    }
    json_object_foreach((json_t *)instance, key, value)
    {
        json_t *property = json_object_get(properties, key);
        bool known = property != NULL;
        const char *pattern;
        json_t *pattern_schema;

        if (property != NULL)
            descend(c, json_string(key), property, value);
        json_object_foreach(patterns, pattern, pattern_schema)
        {
            if (property_matches_pattern(pattern, key)) {
                known = true;
                descend(c, json_string(key), pattern_schema, value);
            }
        }
        if (known)
            continue;
        if (json_is_false(additional))
            add_error(c, "additionalProperties", json_string(key), instance,
                      "is not allowed to have the additional property \"%s\"", key);
        else if (json_is_object(additional))
            descend(c, json_string(key), additional, value);
    }
    if ((value = json_object_get(schema, "minProperties")) && json_is_number(value) &&
        (double)json_object_size(instance) < json_number_value(value))
        add_error(c, "minProperties", json_incref(value), instance,
                  "does not meet minimum property length of %g", json_number_value(value));
    if ((value = json_object_get(schema, "maxProperties")) && json_is_number(value) &&
        (double)json_object_size(instance) > json_number_value(value))
        add_error(c, "maxProperties", json_incref(value), instance,
                  "does not meet maximum property length of %g", json_number_value(value));
    if ((value = json_object_get(schema, "dependencies")) && json_is_object(value))
        check_dependencies(c, value, instance);
}

static json_t *subschema_names(size_t count)
{
    json_t *names = json_array();

    for (size_t i = 0; i < count; i++) {
        char name[48];

        snprintf(name, sizeof(name), "[subschema %zu]", i);
        json_array_append_new(names, json_string(name));
    }
    return names;
}

static void put_subschema_list(gr_buf *out, size_t count)
{
    for (size_t i = 0; i < count; i++)
        gr_buf_printf(out, "%s[subschema %zu]", i ? "," : "", i);
}

static void check_combinators(check *c, const json_t *schema, const json_t *instance)
{
    json_t *list;
    json_t *item;
    size_t index;

    if ((list = json_object_get(schema, "allOf")) && json_is_array(list))
        json_array_foreach(list, index, item) validate(c, item, instance);
    if ((list = json_object_get(schema, "anyOf")) && json_is_array(list)) {
        bool any = false;

        json_array_foreach(list, index, item) if (!any && probe(c, item, instance) == 0) any = true;
        if (!any) {
            gr_buf names = GR_BUF_INIT;

            put_subschema_list(&names, json_array_size(list));
            add_error(c, "anyOf", subschema_names(json_array_size(list)), instance,
                      "is not any of %s", gr_buf_cstr(&names));
            gr_buf_free(&names);
        }
    }
    if ((list = json_object_get(schema, "oneOf")) && json_is_array(list)) {
        size_t matches = 0;

        json_array_foreach(list, index, item) if (probe(c, item, instance) == 0) matches++;
        if (matches != 1) {
            gr_buf names = GR_BUF_INIT;

            put_subschema_list(&names, json_array_size(list));
            add_error(c, "oneOf", subschema_names(json_array_size(list)), instance,
                      "is not exactly one from %s", gr_buf_cstr(&names));
            gr_buf_free(&names);
        }
    }
    if ((item = json_object_get(schema, "not")) != NULL && probe(c, item, instance) == 0)
        add_error(c, "not", NULL, instance, "is of prohibited type");
    if ((item = json_object_get(schema, "if")) != NULL) {
        json_t *branch = json_object_get(schema, probe(c, item, instance) == 0 ? "then" : "else");

        if (branch != NULL)
            validate(c, branch, instance);
    }
}

/* Follows a local "$ref" such as "#/definitions/name"; returns NULL when it leads nowhere. */
static const json_t *resolve_ref(const json_t *root, const char *ref)
{
    const json_t *node = root;
    char *copy;
    char *segment;
    char *save = NULL;

    if (ref[0] != '#')
        return NULL;
    if (ref[1] == '\0')
        return root;
    if (ref[1] != '/')
        return NULL;
    copy = gr_xstrdup(ref + 2);
    for (segment = strtok_r(copy, "/", &save); segment && node;
         segment = strtok_r(NULL, "/", &save))
        node = json_object_get(node, segment);
    free(copy);
    return node;
}

static void validate(check *c, const json_t *schema, const json_t *instance)
{
    json_t *value;

    if (instance == NULL || json_is_true(schema) || !json_is_object(schema))
        return;
    if (json_is_false(schema)) {
        add_error(c, "not", NULL, instance, "is not allowed");
        return;
    }
    if (c->depth >= GR_JSONSCHEMA_MAX_DEPTH) {
        add_error(c, "depth", NULL, NULL, "is nested deeper than %d levels",
                  GR_JSONSCHEMA_MAX_DEPTH);
        return;
    }
    c->depth++;

    if ((value = json_object_get(schema, "$ref")) && json_is_string(value)) {
        const json_t *target = resolve_ref(c->root, json_string_value(value));

        if (target == NULL)
            add_error(c, "$ref", json_incref(value), instance, "refers to unknown schema %s",
                      json_string_value(value));
        else
            validate(c, target, instance);
        c->depth--;
        return;
    }
    if ((value = json_object_get(schema, "type")) != NULL)
        check_type(c, value, instance);
    if ((value = json_object_get(schema, "enum")) != NULL)
        check_enum(c, value, instance);
    if ((value = json_object_get(schema, "const")) != NULL && !json_equal(value, instance)) {
        gr_buf text = GR_BUF_INIT;

        put_js_string(&text, value);
        add_error(c, "const", json_incref(value), instance,
                  "does not exactly match expected constant: %s", gr_buf_cstr(&text));
        gr_buf_free(&text);
    }
    if (json_is_string(instance))
        check_string(c, schema, instance);
    else if (json_is_number(instance))
        check_number(c, schema, instance);
    else if (json_is_array(instance))
        check_array(c, schema, instance);
    else if (json_is_object(instance))
        check_object(c, schema, instance);
    check_combinators(c, schema, instance);
    c->depth--;
}

size_t gr_jsonschema_validate(const json_t *schema, const json_t *instance, json_t *errors)
{
    check c = {.root = schema, .errors = errors, .path = json_array()};

    validate(&c, schema, instance);
    json_decref(c.path);
    return c.count;
}

char *gr_jsonschema_errors_text(const json_t *errors)
{
    gr_buf out = GR_BUF_INIT;
    size_t index;
    json_t *error;

    json_array_foreach(errors, index, error)
    {
        if (index > 0)
            gr_buf_puts(&out, "; ");
        gr_buf_puts(&out, json_string_value(json_object_get(error, "stack")) ?: "invalid value");
    }
    return out.data ? gr_buf_detach(&out) : gr_xstrdup("");
}
