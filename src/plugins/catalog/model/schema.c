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
#include "host/common/regex_check.h"
#include "plugins/catalog/model/pointer.h"
#include "plugins/catalog/model/spelling.h"

/* Maximum nesting of schemas ($ref chains included) while compiling or validating. */
#define SCHEMA_DEPTH_MAX 64

enum {
    TYPE_STRING = 1 << 0,
    TYPE_NUMBER = 1 << 1,
    TYPE_INTEGER = 1 << 2,
    TYPE_BOOLEAN = 1 << 3,
    TYPE_OBJECT = 1 << 4,
    TYPE_ARRAY = 1 << 5,
    TYPE_NULL = 1 << 6,
};

/*
 * A regular expression of a "pattern" or "patternProperties" keyword. The
 * pattern "^.+$" (any non-empty string without a line break) is common
 * enough in entity schemas to be matched without the regex engine.
 */
typedef struct {
    char *source;
    regex_t regex;
    int non_empty_line;
} compiled_pattern;

typedef struct {
    const char *key;
    gr_schema *node;
} named_schema;

typedef struct {
    const compiled_pattern *pattern;
    gr_schema *node;
} pattern_schema;

typedef struct {
    gr_schema **items;
    size_t count;
} schema_list;

/* One schema object (or boolean schema) with its keywords looked up once. */
struct gr_schema {
    int is_boolean;
    int boolean_value;
    char *ref;                /* absolute id, or NULL */
    const gr_schema *target;  /* `ref` resolved once every schema is known */
    const json_t *type;       /* the "type" value, kept for messages */
    unsigned types;           /* TYPE_ bits; 0 when there is no "type" */
    const json_t *enum_values;
    const json_t *const_value;
    long long min_length, max_length, min_items, max_items; /* -1 when absent */
    int has_minimum, has_maximum;
    double minimum, maximum;
    const compiled_pattern *pattern;
    gr_schema *items;
    const char **required;
    size_t required_count;
    named_schema *properties;
    size_t property_count;
    pattern_schema *pattern_properties;
    size_t pattern_property_count;
    int additional_false;
    gr_schema *additional;
    schema_list all_of, any_of, one_of;
    gr_schema *not_schema, *if_schema, *then_schema, *else_schema;
};

typedef struct {
    char *id;
    gr_schema *node;
} schema_id;

struct gr_schema_set {
    json_t *documents; /* array of every added schema text, parsed (owned) */
    gr_schema **nodes; /* every compiled node, for freeing and resolving */
    size_t node_count;
    schema_id *ids;
    size_t id_count;
    compiled_pattern **patterns;
    size_t pattern_count;
};

typedef struct {
    const gr_schema_set *set;
    const char *skip_ref;
    gr_buf pointer;
    gr_model_problems *problems;
    size_t added;
    int depth;
} validation;

gr_schema_set *gr_schema_set_new(void)
{
    gr_schema_set *set = gr_xcalloc(1, sizeof(*set));

    set->documents = json_array();
    return set;
}

static void free_node(gr_schema *node)
{
    free(node->ref);
    free(node->required);
    free(node->properties);
    free(node->pattern_properties);
    free(node->all_of.items);
    free(node->any_of.items);
    free(node->one_of.items);
    free(node);
}

void gr_schema_set_free(gr_schema_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->node_count; i++)
        free_node(set->nodes[i]);
    free(set->nodes);
    for (size_t i = 0; i < set->id_count; i++)
        free(set->ids[i].id);
    free(set->ids);
    for (size_t i = 0; i < set->pattern_count; i++) {
        if (!set->patterns[i]->non_empty_line)
            regfree(&set->patterns[i]->regex);
        free(set->patterns[i]->source);
        free(set->patterns[i]);
    }
    free(set->patterns);
    json_decref(set->documents);
    free(set);
}

const gr_schema *gr_schema_set_find(const gr_schema_set *set, const char *id)
{
    for (size_t i = 0; i < set->id_count; i++) {
        if (strcmp(set->ids[i].id, id) == 0)
            return set->ids[i].node;
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

static int compile_pattern(gr_schema_set *set, const char *source, const char *source_name,
                           const compiled_pattern **out)
{
    compiled_pattern *pattern;
    char *translated;
    int status = 0;

    for (size_t i = 0; i < set->pattern_count; i++) {
        if (strcmp(set->patterns[i]->source, source) == 0) {
            *out = set->patterns[i];
            return GR_OK;
        }
    }
    pattern = gr_xcalloc(1, sizeof(*pattern));
    pattern->non_empty_line = strcmp(source, "^.+$") == 0;
    if (!pattern->non_empty_line) {
        translated = translate_pattern(source);
        if (gr_regex_check(translated) != GR_OK) {
            int rc = gr_error_set(GR_EINVALID, "%s: %s", source_name, gr_error_last());

            free(translated);
            free(pattern);
            return rc;
        }
        status = regcomp(&pattern->regex, translated, REG_EXTENDED | REG_NOSUB);
        free(translated);
    }
    if (status != 0) {
        free(pattern);
        return gr_error_set(GR_EINVALID, "%s: pattern \"%s\" does not compile", source_name,
                            source);
    }
    pattern->source = gr_xstrdup(source);
    set->patterns = gr_xrealloc(set->patterns, (set->pattern_count + 1) * sizeof(*set->patterns));
    set->patterns[set->pattern_count++] = pattern;
    *out = pattern;
    return GR_OK;
}

static int pattern_matches(const compiled_pattern *pattern, const char *text)
{
    if (pattern->non_empty_line)
        return text[0] != '\0' && strpbrk(text, "\n\r") == NULL;
    return regexec(&pattern->regex, text, 0, NULL, 0) == 0;
}

/* Makes "#name" absolute against `base`; other references are already absolute. */
static char *absolute_id(const char *base, const char *id)
{
    if (id[0] == '#')
        return gr_xasprintf("%s%s", base, id);
    return gr_xstrdup(id);
}

static unsigned type_bit(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"string", TYPE_STRING}, {"number", TYPE_NUMBER}, {"integer", TYPE_INTEGER},
                 {"boolean", TYPE_BOOLEAN}, {"object", TYPE_OBJECT}, {"array", TYPE_ARRAY},
                 {"null", TYPE_NULL}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i].name, name) == 0)
            return names[i].bit;
    }
    return 0;
}

static long long integer_keyword(const json_t *schema, const char *key)
{
    const json_t *value = json_object_get(schema, key);

    return json_is_integer(value) ? json_integer_value(value) : -1;
}

typedef struct {
    gr_schema_set *set;
    const char *source_name;
} compiler;

static int compile_node(compiler *c, const json_t *json, const char *base, int depth,
                        gr_schema **out);

static int compile_list(compiler *c, const json_t *array, const char *base, int depth,
                        schema_list *out)
{
    size_t i;
    json_t *item;
    int rc;

    if (!json_is_array(array))
        return GR_OK;
    out->items = gr_xcalloc(json_array_size(array) + 1, sizeof(*out->items));
    json_array_foreach(array, i, item)
    {
        if ((rc = compile_node(c, item, base, depth + 1, &out->items[out->count])) != GR_OK)
            return rc;
        out->count++;
    }
    return GR_OK;
}

static int compile_optional(compiler *c, const json_t *json, const char *base, int depth,
                            gr_schema **out)
{
    if (json == NULL)
        return GR_OK;
    return compile_node(c, json, base, depth + 1, out);
}

static void compile_types(gr_schema *node, const json_t *type)
{
    size_t i;
    json_t *item;

    node->type = type;
    if (json_is_string(type))
        node->types = type_bit(json_string_value(type));
    json_array_foreach(type, i, item)
    {
        if (json_is_string(item))
            node->types |= type_bit(json_string_value(item));
    }
    /* An unknown type name matches nothing, as in Ajv's strict type check. */
    if (type != NULL && node->types == 0)
        node->types = 1u << 30;
}

static int compile_object_keywords(compiler *c, gr_schema *node, const json_t *json,
                                   const char *base, int depth)
{
    const json_t *value;
    const char *key;
    json_t *child;
    size_t i;
    int rc;

    value = json_object_get(json, "required");
    node->required = gr_xcalloc(json_array_size(value) + 1, sizeof(*node->required));
    json_array_foreach(value, i, child)
    {
        if (json_is_string(child))
            node->required[node->required_count++] = json_string_value(child);
    }
    value = json_object_get(json, "properties");
    node->properties = gr_xcalloc(json_object_size(value) + 1, sizeof(*node->properties));
    json_object_foreach((json_t *)value, key, child)
    {
        named_schema *named = &node->properties[node->property_count];

        named->key = key;
        if ((rc = compile_node(c, child, base, depth + 1, &named->node)) != GR_OK)
            return rc;
        node->property_count++;
    }
    value = json_object_get(json, "patternProperties");
    node->pattern_properties =
        gr_xcalloc(json_object_size(value) + 1, sizeof(*node->pattern_properties));
    json_object_foreach((json_t *)value, key, child)
    {
        pattern_schema *entry = &node->pattern_properties[node->pattern_property_count];

        if ((rc = compile_pattern(c->set, key, c->source_name, &entry->pattern)) != GR_OK)
            return rc;
        if ((rc = compile_node(c, child, base, depth + 1, &entry->node)) != GR_OK)
            return rc;
        node->pattern_property_count++;
    }
    value = json_object_get(json, "additionalProperties");
    node->additional_false = json_is_false(value);
    if (json_is_object(value))
        return compile_node(c, value, base, depth + 1, &node->additional);
    return GR_OK;
}

static int register_id(compiler *c, const char *id, gr_schema *node)
{
    gr_schema_set *set = c->set;

    if (gr_schema_set_find(set, id) != NULL)
        return gr_error_set(GR_EINVALID, "%s: schema id \"%s\" is defined twice", c->source_name,
                            id);
    set->ids = gr_xrealloc(set->ids, (set->id_count + 1) * sizeof(*set->ids));
    set->ids[set->id_count].id = gr_xstrdup(id);
    set->ids[set->id_count].node = node;
    set->id_count++;
    return GR_OK;
}

/*
 * Compiles one schema node and everything below it: registers each "$id"
 * (definitions with "$id": "#name" become "<base>#name"), makes each "$ref"
 * absolute and compiles each pattern.
 */
static int compile_node(compiler *c, const json_t *json, const char *base, int depth,
                        gr_schema **out)
{
    gr_schema *node = gr_xcalloc(1, sizeof(*node));
    gr_schema_set *set = c->set;
    char *own_base = NULL;
    const json_t *value;
    const char *key;
    json_t *child;
    int rc = GR_OK;

    set->nodes = gr_xrealloc(set->nodes, (set->node_count + 1) * sizeof(*set->nodes));
    set->nodes[set->node_count++] = node;
    *out = node;
    node->min_length = node->max_length = node->min_items = node->max_items = -1;
    if (depth > SCHEMA_DEPTH_MAX)
        return gr_error_set(GR_ELIMIT, "%s: schema nested deeper than %d", c->source_name,
                            SCHEMA_DEPTH_MAX);
    if (json_is_boolean(json)) {
        node->is_boolean = 1;
        node->boolean_value = json_is_true(json);
        return GR_OK;
    }
    if (!json_is_object(json)) {
        node->is_boolean = 1;
        node->boolean_value = 1;
        return GR_OK;
    }

    value = json_object_get(json, "$id");
    if (json_is_string(value)) {
        own_base = absolute_id(base, json_string_value(value));
        if ((rc = register_id(c, own_base, node)) != GR_OK)
            goto done;
        if (strchr(own_base, '#') == NULL)
            base = own_base;
    }
    value = json_object_get(json, "$ref");
    if (json_is_string(value))
        node->ref = absolute_id(base, json_string_value(value));
    compile_types(node, json_object_get(json, "type"));
    node->enum_values = json_is_array(json_object_get(json, "enum")) ? json_object_get(json, "enum")
                                                                     : NULL;
    node->const_value = json_object_get(json, "const");
    node->min_length = integer_keyword(json, "minLength");
    node->max_length = integer_keyword(json, "maxLength");
    node->min_items = integer_keyword(json, "minItems");
    node->max_items = integer_keyword(json, "maxItems");
    value = json_object_get(json, "minimum");
    node->has_minimum = json_is_number(value);
    node->minimum = json_number_value(value);
    value = json_object_get(json, "maximum");
    node->has_maximum = json_is_number(value);
    node->maximum = json_number_value(value);
    value = json_object_get(json, "pattern");
    if (json_is_string(value) &&
        (rc = compile_pattern(set, json_string_value(value), c->source_name, &node->pattern)) !=
            GR_OK)
        goto done;

    if ((rc = compile_optional(c, json_object_get(json, "items"), base, depth, &node->items)) ||
        (rc = compile_object_keywords(c, node, json, base, depth)) ||
        (rc = compile_list(c, json_object_get(json, "allOf"), base, depth, &node->all_of)) ||
        (rc = compile_list(c, json_object_get(json, "anyOf"), base, depth, &node->any_of)) ||
        (rc = compile_list(c, json_object_get(json, "oneOf"), base, depth, &node->one_of)) ||
        (rc = compile_optional(c, json_object_get(json, "not"), base, depth, &node->not_schema)) ||
        (rc = compile_optional(c, json_object_get(json, "if"), base, depth, &node->if_schema)) ||
        (rc = compile_optional(c, json_object_get(json, "then"), base, depth, &node->then_schema)) ||
        (rc = compile_optional(c, json_object_get(json, "else"), base, depth, &node->else_schema)))
        goto done;

    /* Definitions are compiled for their "$id"; they are reached only through "$ref". */
    json_object_foreach((json_t *)json_object_get(json, "definitions"), key, child)
    {
        gr_schema *unused;

        if ((rc = compile_node(c, child, base, depth + 1, &unused)) != GR_OK)
            goto done;
    }

done:
    free(own_base);
    return rc;
}

/* Resolves every "$ref" that names a known id; the others are reported when validating. */
static void resolve_refs(gr_schema_set *set)
{
    for (size_t i = 0; i < set->node_count; i++) {
        gr_schema *node = set->nodes[i];

        if (node->ref != NULL && node->target == NULL)
            node->target = gr_schema_set_find(set, node->ref);
    }
}

static int add_schema(gr_schema_set *set, const char *text, const char *forced_id,
                      const char *source_name)
{
    json_error_t error;
    json_t *schema = json_loads(text, 0, &error);
    compiler c = {set, source_name};
    gr_schema *root;
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
    /* The parsed text stays alive: compiled nodes borrow its strings and values. */
    json_array_append_new(set->documents, schema);
    rc = compile_node(&c, schema, "", 0, &root);
    resolve_refs(set);
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

static unsigned value_types(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_STRING:
        return TYPE_STRING;
    case JSON_INTEGER:
        return TYPE_NUMBER | TYPE_INTEGER;
    case JSON_REAL: {
        double number = json_real_value(value);

        /* JavaScript has one number type: 2.0 is an integer there. */
        if (isfinite(number) && floor(number) == number)
            return TYPE_NUMBER | TYPE_INTEGER;
        return TYPE_NUMBER;
    }
    case JSON_TRUE:
    case JSON_FALSE:
        return TYPE_BOOLEAN;
    case JSON_OBJECT:
        return TYPE_OBJECT;
    case JSON_ARRAY:
        return TYPE_ARRAY;
    default:
        return TYPE_NULL;
    }
}

static void report_type(validation *state, const gr_schema *node, const json_t *value)
{
    gr_buf names = GR_BUF_INIT;
    size_t i;
    json_t *item;

    if (json_is_string(node->type))
        gr_buf_puts(&names, json_string_value(node->type));
    json_array_foreach(node->type, i, item)
    {
        if (i > 0)
            gr_buf_putc(&names, ',');
        gr_buf_puts(&names, json_string_value(item) ? json_string_value(item) : "?");
    }
    report(state, "type", value, "must be %s", gr_buf_cstr(&names));
    gr_buf_free(&names);
}

/* JSON equality where 1 and 1.0 are equal, as in JavaScript. */
static int values_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal((json_t *)a, (json_t *)b);
}

static void check_node(validation *state, const gr_schema *node, const json_t *value);

/* Runs `node` on `value` without reporting; returns true when it holds. */
static int holds(validation *state, const gr_schema *node, const json_t *value)
{
    gr_model_problems scratch = GR_MODEL_PROBLEMS_INIT;
    validation probe = {state->set, state->skip_ref, GR_BUF_INIT, &scratch, 0, state->depth};

    gr_buf_puts(&probe.pointer, gr_buf_cstr(&state->pointer));
    check_node(&probe, node, value);
    gr_buf_free(&probe.pointer);
    gr_model_problems_free(&scratch);
    return probe.added == 0;
}

static void check_string(validation *state, const gr_schema *node, const json_t *value)
{
    const char *text = json_string_value(value);
    long long length;

    if (node->min_length >= 0 || node->max_length >= 0) {
        length = (long long)count_code_points(text);
        if (node->min_length >= 0 && length < node->min_length)
            report(state, "minLength", value, "must NOT have fewer than %lld characters",
                   node->min_length);
        if (node->max_length >= 0 && length > node->max_length)
            report(state, "maxLength", value, "must NOT have more than %lld characters",
                   node->max_length);
    }
    if (node->pattern != NULL && !pattern_matches(node->pattern, text))
        report(state, "pattern", value, "must match pattern \"%s\"", node->pattern->source);
}

static void check_number(validation *state, const gr_schema *node, const json_t *value)
{
    double number = json_number_value(value);

    if (node->has_minimum && number < node->minimum)
        report(state, "minimum", value, "must be >= %g", node->minimum);
    if (node->has_maximum && number > node->maximum)
        report(state, "maximum", value, "must be <= %g", node->maximum);
}

static void check_array(validation *state, const gr_schema *node, const json_t *value)
{
    long long size = (long long)json_array_size(value);
    size_t i;
    json_t *item;

    if (node->min_items >= 0 && size < node->min_items)
        report(state, "minItems", value, "must NOT have fewer than %lld items", node->min_items);
    if (node->max_items >= 0 && size > node->max_items)
        report(state, "maxItems", value, "must NOT have more than %lld items", node->max_items);
    if (node->items == NULL)
        return;
    json_array_foreach(value, i, item)
    {
        size_t mark = state->pointer.len;

        gr_model_pointer_push_index(&state->pointer, i);
        check_node(state, node->items, item);
        gr_model_pointer_pop(&state->pointer, mark);
    }
}

static const gr_schema *find_property(const gr_schema *node, const char *key)
{
    for (size_t i = 0; i < node->property_count; i++) {
        if (strcmp(node->properties[i].key, key) == 0)
            return node->properties[i].node;
    }
    return NULL;
}

static int is_known_key(const gr_schema *node, const char *key)
{
    if (find_property(node, key) != NULL)
        return 1;
    for (size_t i = 0; i < node->pattern_property_count; i++) {
        if (pattern_matches(node->pattern_properties[i].pattern, key))
            return 1;
    }
    for (size_t i = 0; i < node->required_count; i++) {
        if (strcmp(node->required[i], key) == 0)
            return 1;
    }
    return 0;
}

/*
 * Reports a missing required property. When the object has a key that this
 * schema does not declare and that looks like a misspelling of the missing
 * name, the message names it, so that a typo reads as one.
 */
static void report_missing(validation *state, const gr_schema *node, const json_t *value,
                           const char *missing)
{
    const char **unknown = gr_xcalloc(json_object_size(value) + 1, sizeof(*unknown));
    size_t unknown_count = 0;
    size_t closest;
    const char *key;
    json_t *child;

    json_object_foreach((json_t *)value, key, child)
    {
        if (!is_known_key(node, key))
            unknown[unknown_count++] = key;
    }
    closest = gr_model_spelling_closest(missing, unknown, unknown_count);
    if (closest == GR_MODEL_SPELLING_NONE)
        report(state, "required", NULL, "must have required property '%s'", missing);
    else
        report(state, "required", NULL,
               "must have required property '%s'. Did you mean '%s' instead of '%s'?", missing,
               missing, unknown[closest]);
    free(unknown);
}

static void check_object(validation *state, const gr_schema *node, const json_t *value)
{
    const char *key;
    json_t *child;

    for (size_t i = 0; i < node->required_count; i++) {
        if (json_object_get(value, node->required[i]) == NULL)
            report_missing(state, node, value, node->required[i]);
    }
    if (node->property_count == 0 && node->pattern_property_count == 0 &&
        node->additional == NULL && !node->additional_false)
        return;
    json_object_foreach((json_t *)value, key, child)
    {
        const gr_schema *property = find_property(node, key);
        size_t mark = state->pointer.len;
        int known = property != NULL;

        gr_model_pointer_push(&state->pointer, key);
        if (property != NULL)
            check_node(state, property, child);
        for (size_t i = 0; i < node->pattern_property_count; i++) {
            if (!pattern_matches(node->pattern_properties[i].pattern, key))
                continue;
            known = 1;
            check_node(state, node->pattern_properties[i].node, child);
        }
        if (!known && node->additional != NULL)
            check_node(state, node->additional, child);
        gr_model_pointer_pop(&state->pointer, mark);
        if (!known && node->additional_false)
            report(state, "additionalProperties", NULL,
                   "must NOT have additional properties (found '%s')", key);
    }
}

static void check_combinators(validation *state, const gr_schema *node, const json_t *value)
{
    for (size_t i = 0; i < node->all_of.count; i++)
        check_node(state, node->all_of.items[i], value);
    if (node->any_of.count > 0) {
        int any = 0;

        for (size_t i = 0; i < node->any_of.count && !any; i++)
            any = holds(state, node->any_of.items[i], value);
        if (!any)
            report(state, "anyOf", value, "must match a schema in anyOf");
    }
    if (node->one_of.count > 0) {
        int passing = 0;

        for (size_t i = 0; i < node->one_of.count; i++)
            passing += holds(state, node->one_of.items[i], value);
        if (passing != 1)
            report(state, "oneOf", value, "must match exactly one schema in oneOf");
    }
    if (node->not_schema != NULL && holds(state, node->not_schema, value))
        report(state, "not", value, "must NOT be valid");
    if (node->if_schema != NULL) {
        const gr_schema *branch =
            holds(state, node->if_schema, value) ? node->then_schema : node->else_schema;

        if (branch != NULL)
            check_node(state, branch, value);
    }
}

static void check_ref(validation *state, const gr_schema *node, const json_t *value)
{
    const gr_schema *target = node->target;

    if (state->skip_ref != NULL && strcmp(node->ref, state->skip_ref) == 0)
        return;
    if (target == NULL)
        target = gr_schema_set_find(state->set, node->ref);
    if (target != NULL)
        check_node(state, target, value);
    else
        report(state, "$ref", NULL, "can't resolve reference %s", node->ref);
}

static void check_node(validation *state, const gr_schema *node, const json_t *value)
{
    unsigned types;

    if (node->is_boolean) {
        if (!node->boolean_value)
            report(state, "false schema", value, "boolean schema is false");
        return;
    }
    if (state->depth >= SCHEMA_DEPTH_MAX) {
        report(state, "depth", NULL, "schema nesting deeper than %d", SCHEMA_DEPTH_MAX);
        return;
    }
    state->depth++;

    if (node->ref != NULL)
        check_ref(state, node, value);
    types = value_types(value);
    if (node->types != 0 && (node->types & types) == 0)
        report_type(state, node, value);
    if (node->enum_values != NULL) {
        size_t i;
        json_t *allowed;
        int found = 0;

        json_array_foreach(node->enum_values, i, allowed) found =
            found || values_equal(allowed, value);
        if (!found)
            report(state, "enum", value, "must be equal to one of the allowed values");
    }
    if (node->const_value != NULL && !values_equal(node->const_value, value))
        report(state, "const", value, "must be equal to constant");

    if (types & TYPE_STRING)
        check_string(state, node, value);
    else if (types & TYPE_NUMBER)
        check_number(state, node, value);
    else if (types & TYPE_ARRAY)
        check_array(state, node, value);
    else if (types & TYPE_OBJECT)
        check_object(state, node, value);
    check_combinators(state, node, value);
    state->depth--;
}

size_t gr_schema_validate(const gr_schema_set *set, const gr_schema *schema,
                          const json_t *instance, const char *skip_ref,
                          gr_model_problems *problems)
{
    validation state = {set, skip_ref, GR_BUF_INIT, problems, 0, 0};

    gr_buf_puts(&state.pointer, "");
    check_node(&state, schema, instance);
    gr_buf_free(&state.pointer);
    return state.added;
}
