/* SPDX-License-Identifier: MIT */
/* Parsing the `filter` query parameter and checking filter predicates. */
#include "plugins/catalog/api/predicate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/common/js_number.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Returns a copy of text[0..len) without leading and trailing white space. */
static char *trimmed_copy(const char *text, size_t len)
{
    while (len > 0 && is_space(*text)) {
        text++;
        len--;
    }
    while (len > 0 && is_space(text[len - 1]))
        len--;
    return gr_xstrndup(text, len);
}

/* Adds one `key[=value]` statement to `conditions`: key -> null or array of values. */
static int add_statement(json_t *conditions, const char *statement)
{
    const char *equals = strchr(statement, '=');
    char *key = trimmed_copy(statement, equals ? (size_t)(equals - statement) : strlen(statement));
    json_t *values;
    int rc = GR_OK;

    if (key[0] == '\0') {
        rc = gr_error_set(GR_EINVALID,
                          "Invalid filter, '%s' is not a valid statement (expected a string on "
                          "the form a=b or a= or a)",
                          statement);
        goto done;
    }
    /* gr_catalog_predicate_check() rejects such keys ('$' starts an operator there), so the
     * cursor of the next page would fail to decode. */
    if (strpbrk(key, "\r\n") != NULL || key[0] == '$') {
        rc = gr_error_set(GR_EINVALID,
                          "Invalid filter, the key '%s' must not start with '$' or contain line "
                          "breaks",
                          key);
        goto done;
    }
    values = json_object_get(conditions, key);
    if (values == NULL) {
        values = json_null();
        json_object_set_new(conditions, key, values);
    }
    if (equals != NULL) {
        char *value = trimmed_copy(equals + 1, strlen(equals + 1));

        if (!json_is_array(values)) {
            values = json_array();
            json_object_set_new(conditions, key, values);
        }
        json_array_append_new(values, json_string(value));
        free(value);
    }
done:
    free(key);
    return rc;
}

/* Turns the conditions of one set into its predicate. */
static json_t *set_predicate(json_t *conditions)
{
    json_t *all = json_array();
    const char *key;
    json_t *values;

    json_object_foreach(conditions, key, values)
    {
        json_t *leaf = json_object();

        if (json_is_null(values))
            json_object_set_new(leaf, key, json_pack("{s:b}", "$exists", 1));
        else if (json_array_size(values) == 1)
            json_object_set(leaf, key, json_array_get(values, 0));
        else
            json_object_set_new(leaf, key, json_pack("{s:O}", "$in", values));
        json_array_append_new(all, leaf);
    }
    if (json_array_size(all) == 1) {
        json_t *only = json_incref(json_array_get(all, 0));

        json_decref(all);
        return only;
    }
    return json_pack("{s:o}", "$all", all);
}

/* Parses one filter set; *out is NULL when it has no condition. */
static int parse_set(const char *filter, json_t **out)
{
    json_t *conditions = json_object();
    const char *start = filter;
    int rc = GR_OK;

    *out = NULL;
    for (;;) {
        const char *comma = strchr(start, ',');
        size_t len = comma ? (size_t)(comma - start) : strlen(start);
        char *statement = trimmed_copy(start, len);

        if (statement[0] != '\0')
            rc = add_statement(conditions, statement);
        free(statement);
        if (rc != GR_OK || comma == NULL)
            break;
        start = comma + 1;
    }
    if (rc == GR_OK && json_object_size(conditions) > 0)
        *out = set_predicate(conditions);
    json_decref(conditions);
    return rc;
}

int gr_catalog_filter_parse(const char *const *filters, size_t count, json_t **out)
{
    json_t *sets = json_array();
    int rc = GR_OK;

    *out = NULL;
    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        json_t *set = NULL;

        rc = parse_set(filters[i], &set);
        if (set != NULL)
            json_array_append_new(sets, set);
    }
    if (rc == GR_OK && json_array_size(sets) == 1)
        *out = json_incref(json_array_get(sets, 0));
    else if (rc == GR_OK && json_array_size(sets) > 1)
        *out = json_pack("{s:O}", "$any", sets);
    json_decref(sets);
    return rc;
}

/* Walk state of gr_catalog_predicate_check(): the limits and the path for messages. */
typedef struct {
    size_t values;
    gr_buf path;
} check_state;

static int check_fail(check_state *st, const char *problem)
{
    return gr_error_set(GR_EINVALID, "Invalid query: %s at \"%s\"", problem,
                        st->path.len ? gr_buf_cstr(&st->path) : "query");
}

static int count_value(check_state *st)
{
    if (++st->values > GR_CATALOG_PREDICATE_MAX_VALUES)
        return gr_error_set(GR_ELIMIT, "Invalid query: more than %d values",
                            GR_CATALOG_PREDICATE_MAX_VALUES);
    return GR_OK;
}

static int is_primitive(const json_t *value)
{
    return json_is_string(value) || json_is_number(value) || json_is_boolean(value);
}

static int check_node(check_state *st, const json_t *node, int depth, int any, json_t **out);

/* Checks the array operand of $all or $any. */
static int check_list(check_state *st, const json_t *list, int depth, int any, json_t **out)
{
    size_t mark = st->path.len;
    json_t *copy = json_array();
    size_t index;
    json_t *item;
    int rc = GR_OK;

    json_array_foreach(list, index, item)
    {
        json_t *checked = NULL;

        gr_buf_printf(&st->path, "[%zu]", index);
        rc = check_node(st, item, depth + 1, any, &checked);
        st->path.len = mark;
        st->path.data[mark] = '\0';
        if (rc != GR_OK)
            break;
        json_array_append_new(copy, checked);
    }
    if (rc != GR_OK) {
        json_decref(copy);
        return rc;
    }
    *out = copy;
    return GR_OK;
}

/* Checks the value side of `key: value` in an expression. */
static int check_value(check_state *st, const json_t *value, int depth, json_t **out)
{
    const json_t *operand;

    if (is_primitive(value)) {
        *out = json_deep_copy(value);
        return count_value(st);
    }
    if (!json_is_object(value))
        return check_fail(st, "expected a string, number, boolean or value operator");

    operand = json_object_get(value, "$exists");
    if (json_is_boolean(operand)) {
        *out = json_pack("{s:O}", "$exists", (json_t *)operand);
        return GR_OK;
    }
    operand = json_object_get(value, "$in");
    if (json_is_array(operand)) {
        size_t index;
        json_t *item;

        json_array_foreach(operand, index, item)
        {
            if (!is_primitive(item))
                return check_fail(st, "$in expects an array of strings, numbers or booleans");
            if (count_value(st) != GR_OK)
                return GR_ELIMIT;
        }
        *out = json_pack("{s:O}", "$in", (json_t *)operand);
        return GR_OK;
    }
    operand = json_object_get(value, "$contains");
    if (operand != NULL) {
        json_t *checked = NULL;
        int rc;

        gr_buf_puts(&st->path, ".$contains");
        rc = check_node(st, operand, depth + 1, 1, &checked);
        if (rc != GR_OK)
            return rc;
        *out = json_pack("{s:o}", "$contains", checked);
        return GR_OK;
    }
    operand = json_object_get(value, "$hasPrefix");
    if (json_is_string(operand)) {
        *out = json_pack("{s:O}", "$hasPrefix", (json_t *)operand);
        return count_value(st);
    }
    return check_fail(st, "expected a primitive value, $exists, $in, $hasPrefix or $contains");
}

/* Checks an object of `key: value` conditions. */
static int check_expression(check_state *st, const json_t *node, int depth, json_t **out)
{
    size_t mark = st->path.len;
    json_t *copy = json_object();
    const char *key;
    json_t *value;
    int rc = GR_OK;

    json_object_foreach((json_t *)node, key, value)
    {
        json_t *checked = NULL;

        gr_buf_printf(&st->path, "%s%s", st->path.len ? "." : "", key);
        if (strpbrk(key, "\r\n") != NULL)
            rc = check_fail(st, "a key must not contain line breaks");
        else
            rc = check_value(st, value, depth, &checked);
        st->path.len = mark;
        if (st->path.data != NULL)
            st->path.data[mark] = '\0';
        if (rc != GR_OK)
            break;
        json_object_set_new(copy, key, checked);
    }
    if (rc != GR_OK) {
        json_decref(copy);
        return rc;
    }
    *out = copy;
    return GR_OK;
}

/* Checks a predicate; `any` also allows a primitive (the operand of $contains). */
static int check_node(check_state *st, const json_t *node, int depth, int any, json_t **out)
{
    const char *key;
    json_t *value;
    void *iter;
    int operators = 0;
    int rc;

    if (depth > GR_CATALOG_PREDICATE_MAX_DEPTH)
        return gr_error_set(GR_ELIMIT, "Invalid query: nested deeper than %d levels",
                            GR_CATALOG_PREDICATE_MAX_DEPTH);
    if (any && is_primitive(node)) {
        *out = json_deep_copy(node);
        return count_value(st);
    }
    if (!json_is_object(node))
        return check_fail(st, "expected an object");

    json_object_foreach((json_t *)node, key, value)
    {
        if (key[0] == '$')
            operators++;
    }
    if (operators == 0)
        return check_expression(st, node, depth, out);

    iter = json_object_iter((json_t *)node);
    key = json_object_iter_key(iter);
    value = json_object_iter_value(iter);
    if (json_object_size(node) == 1 && strcmp(key, "$not") == 0) {
        json_t *checked = NULL;

        gr_buf_puts(&st->path, ".$not");
        rc = check_node(st, value, depth + 1, any, &checked);
        if (rc == GR_OK)
            *out = json_pack("{s:o}", "$not", checked);
        return rc;
    }
    if (json_object_size(node) == 1 && (strcmp(key, "$all") == 0 || strcmp(key, "$any") == 0) &&
        json_is_array(value)) {
        json_t *checked = NULL;

        gr_buf_printf(&st->path, ".%s", key);
        rc = check_list(st, value, depth, any, &checked);
        if (rc == GR_OK)
            *out = json_pack("{s:o}", key, checked);
        return rc;
    }
    return check_fail(st, "operators must be a single $all or $any with an array, or $not");
}

int gr_catalog_predicate_check(const json_t *predicate, json_t **out)
{
    check_state st = {0, GR_BUF_INIT};
    int rc;

    *out = NULL;
    gr_buf_puts(&st.path, "query");
    rc = check_node(&st, predicate, 0, 0, out);
    gr_buf_free(&st.path);
    return rc;
}

static int legacy_list(const json_t *list, const char *op, json_t **out)
{
    json_t *converted = json_array();
    size_t index;
    json_t *item;

    json_array_foreach(list, index, item)
    {
        json_t *one = NULL;

        if (gr_catalog_predicate_from_legacy(item, &one) != GR_OK) {
            json_decref(converted);
            return GR_EINVALID;
        }
        json_array_append_new(converted, one);
    }
    *out = json_pack("{s:o}", op, converted);
    return GR_OK;
}

int gr_catalog_predicate_from_legacy(const json_t *filter, json_t **out)
{
    const json_t *key = json_object_get(filter, "key");
    const json_t *values = json_object_get(filter, "values");
    const json_t *inner;

    *out = NULL;
    if (json_is_string(key)) {
        json_t *leaf = json_object();

        if (values == NULL)
            json_object_set_new(leaf, json_string_value(key), json_pack("{s:b}", "$exists", 1));
        else if (json_is_array(values) && json_array_size(values) == 1)
            json_object_set(leaf, json_string_value(key), json_array_get(values, 0));
        else if (json_is_array(values))
            json_object_set_new(leaf, json_string_value(key),
                                json_pack("{s:O}", "$in", (json_t *)values));
        *out = leaf;
        return GR_OK;
    }
    inner = json_object_get(filter, "not");
    if (json_is_object(inner)) {
        json_t *negated = NULL;

        if (gr_catalog_predicate_from_legacy(inner, &negated) != GR_OK)
            return GR_EINVALID;
        *out = json_pack("{s:o}", "$not", negated);
        return GR_OK;
    }
    inner = json_object_get(filter, "anyOf");
    if (json_is_array(inner))
        return legacy_list(inner, "$any", out);
    inner = json_object_get(filter, "allOf");
    if (json_is_array(inner))
        return legacy_list(inner, "$all", out);
    return gr_error_set(GR_EINVALID, "Malformed cursor: unknown filter form");
}

/* Formats a double as JavaScript's Number#toString does. */
static char *number_text(double value)
{
    char text[GR_JS_NUMBER_MAX];

    gr_js_number_format(value, text);
    return gr_xstrdup(text);
}

char *gr_catalog_predicate_value_text(const json_t *value)
{
    if (json_is_string(value))
        return gr_xstrdup(json_string_value(value));
    if (json_is_integer(value))
        return gr_xasprintf("%lld", (long long)json_integer_value(value));
    if (json_is_real(value))
        return number_text(json_real_value(value));
    if (json_is_boolean(value))
        return gr_xstrdup(json_is_true(value) ? "true" : "false");
    return NULL;
}
