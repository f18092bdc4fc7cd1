/* SPDX-License-Identifier: MIT */
/* Translating filter predicates into SQL subqueries over catalog_search. */
#include "plugins/catalog/api/filter_sql.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/api/predicate.h"
#include "plugins/catalog/engine/search.h"

void gr_catalog_sql_param(gr_catalog_sql *sql, const char *value)
{
    if (sql->count == sql->cap) {
        sql->cap = sql->cap ? sql->cap * 2 : 16;
        sql->params = gr_xrealloc(sql->params, sql->cap * sizeof(*sql->params));
    }
    sql->params[sql->count++] = gr_xstrdup(value);
    gr_buf_putc(&sql->text, '?');
}

void gr_catalog_sql_puts(gr_catalog_sql *sql, const char *text)
{
    gr_buf_puts(&sql->text, text);
}

int gr_catalog_sql_bind(const gr_catalog_sql *sql, gr_db_stmt *stmt, int first)
{
    for (size_t i = 0; i < sql->count; i++) {
        int rc = gr_db_bind_text(stmt, first + (int)i, sql->params[i]);

        if (rc != GR_OK)
            return rc;
    }
    return GR_OK;
}

void gr_catalog_sql_free(gr_catalog_sql *sql)
{
    if (sql == NULL)
        return;
    for (size_t i = 0; i < sql->count; i++)
        free(sql->params[i]);
    free(sql->params);
    gr_buf_free(&sql->text);
    sql->params = NULL;
    sql->count = 0;
    sql->cap = 0;
    sql->conditions = 0;
}

char *gr_catalog_lower(char *text)
{
    for (char *p = text; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return text;
}

char *gr_catalog_lower_search(const char *text)
{
    locale_t ctype;
    char *lower;
    const unsigned char *p = (const unsigned char *)text;

    while (*p != '\0' && *p < 0x80)
        p++;
    if (*p == '\0')
        return gr_catalog_lower(gr_xstrdup(text));

    /* Text beyond ASCII is rare in filters, so the locale is made per call. */
    ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    lower = gr_catalog__lower(text, ctype);
    if (ctype != (locale_t)0)
        freelocale(ctype);
    return lower;
}

/* Appends a lower-cased parameter. */
static void param_lower(gr_catalog_sql *sql, const char *value)
{
    char *lower = gr_catalog_lower_search(value);

    gr_catalog_sql_param(sql, lower);
    free(lower);
}

/* Appends a lower-cased primitive value as a parameter. */
static void param_value(gr_catalog_sql *sql, const json_t *value)
{
    char *text = gr_catalog_predicate_value_text(value);

    param_lower(sql, text ? text : "");
    free(text);
}

/*
 * Keys that most entities have, as in Backstage's catalog. A condition on
 * them matches a large share of the catalog, so it is tested per candidate
 * row (EXISTS), which lets an ordered scan stop after one page. Conditions
 * on other keys usually match few entities and are collected once (IN).
 */
static int is_broad_key(const char *key)
{
    static const char *const broad[] = {"kind", "metadata.namespace", "spec.type",
                                        "spec.lifecycle"};

    for (size_t i = 0; i < sizeof(broad) / sizeof(broad[0]); i++) {
        if (strcasecmp(key, broad[i]) == 0)
            return 1;
    }
    return 0;
}

/*
 * Opens the subquery that finds the entities with a search row for `key`;
 * the caller adds the value condition and closes it with close_subquery().
 */
static void open_subquery(gr_catalog_sql *sql, const char *id_column, const char *key)
{
    sql->conditions++;
    if (is_broad_key(key))
        gr_buf_printf(&sql->text,
                      "EXISTS (SELECT 1 FROM catalog_search sf WHERE sf.entity_id = %s AND"
                      " sf.key = ",
                      id_column);
    else
        gr_buf_printf(&sql->text,
                      "%s IN (SELECT sf.entity_id FROM catalog_search sf WHERE sf.key = ",
                      id_column);
    param_lower(sql, key);
}

static void close_subquery(gr_catalog_sql *sql)
{
    gr_buf_putc(&sql->text, ')');
}

/* Appends ` AND sf.value IN (?, ...)`, or a false condition for no values. */
static void value_in(gr_catalog_sql *sql, const json_t *values)
{
    size_t index;
    json_t *item;

    if (json_array_size(values) == 0) {
        gr_catalog_sql_puts(sql, " AND 1 = 0");
        return;
    }
    gr_catalog_sql_puts(sql, " AND sf.value IN (");
    json_array_foreach(values, index, item)
    {
        if (index > 0)
            gr_catalog_sql_puts(sql, ", ");
        param_value(sql, item);
    }
    gr_catalog_sql_puts(sql, ")");
}

/* Appends a LIKE pattern condition for a prefix, with %, _ and \ escaped. */
static void value_prefix(gr_catalog_sql *sql, const char *prefix)
{
    gr_buf pattern = GR_BUF_INIT;

    for (const char *p = prefix; *p != '\0'; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            gr_buf_putc(&pattern, '\\');
        gr_buf_putc(&pattern, *p);
    }
    gr_buf_putc(&pattern, '%');
    gr_catalog_sql_puts(sql, " AND sf.value LIKE ");
    param_lower(sql, gr_buf_cstr(&pattern));
    gr_catalog_sql_puts(sql, " ESCAPE '\\'");
    gr_buf_free(&pattern);
}

/* Appends the condition for {"relations": {"$contains": {type, targetRef}}}. */
static int contains_relation(gr_catalog_sql *sql, const char *id_column, const json_t *target)
{
    const char *type = NULL;
    const json_t *refs = NULL;
    const char *key;
    json_t *value;
    char *relation_key;

    json_object_foreach((json_t *)target, key, value)
    {
        if (strcasecmp(key, "type") == 0) {
            if (type != NULL)
                return gr_error_set(GR_EINVALID,
                                    "Duplicate key \"%s\" in $contains for \"relations\"", key);
            if (!json_is_string(value))
                break;
            type = json_string_value(value);
        } else if (strcasecmp(key, "targetref") == 0) {
            if (refs != NULL)
                return gr_error_set(GR_EINVALID,
                                    "Duplicate key \"%s\" in $contains for \"relations\"", key);
            refs = value;
        } else {
            return gr_error_set(GR_EINVALID,
                                "Unsupported key \"%s\" in $contains for \"relations\". Only "
                                "\"type\" and \"targetRef\" are supported",
                                key);
        }
    }
    if (type == NULL || type[0] == '\0')
        return gr_error_set(GR_EINVALID, "The $contains operator for \"relations\" requires a "
                                         "\"type\" string property");

    relation_key = gr_xasprintf("relations.%s", type);
    open_subquery(sql, id_column, relation_key);
    free(relation_key);
    if (json_is_string(refs)) {
        gr_catalog_sql_puts(sql, " AND sf.value = ");
        param_value(sql, refs);
    } else if (refs != NULL) {
        const json_t *in = json_object_get(refs, "$in");
        size_t index;
        json_t *item;

        if (json_object_size(refs) != 1 || !json_is_array(in))
            goto bad_refs;
        json_array_foreach(in, index, item)
        {
            if (!json_is_string(item))
                goto bad_refs;
        }
        if (json_array_size(in) == 0)
            return gr_error_set(GR_EINVALID,
                                "Empty \"$in\" array for $contains on \"relations\" is not allowed");
        value_in(sql, in);
    }
    close_subquery(sql);
    return GR_OK;

bad_refs:
    return gr_error_set(GR_EINVALID, "Unsupported value in $contains for \"relations\": expected "
                                     "a string or { \"$in\": [strings] }");
}

/* Appends the condition for one `key: value` pair of an expression. */
static int field_condition(gr_catalog_sql *sql, const char *id_column, const char *key,
                           const json_t *value)
{
    const json_t *operand;

    if (!json_is_object(value)) {
        open_subquery(sql, id_column, key);
        gr_catalog_sql_puts(sql, " AND sf.value = ");
        param_value(sql, value);
        close_subquery(sql);
        return GR_OK;
    }
    if ((operand = json_object_get(value, "$exists")) != NULL) {
        if (!json_is_true(operand))
            gr_catalog_sql_puts(sql, "NOT ");
        open_subquery(sql, id_column, key);
        close_subquery(sql);
        return GR_OK;
    }
    if ((operand = json_object_get(value, "$in")) != NULL) {
        open_subquery(sql, id_column, key);
        value_in(sql, operand);
        close_subquery(sql);
        return GR_OK;
    }
    if ((operand = json_object_get(value, "$hasPrefix")) != NULL) {
        open_subquery(sql, id_column, key);
        value_prefix(sql, json_string_value(operand));
        close_subquery(sql);
        return GR_OK;
    }
    if ((operand = json_object_get(value, "$contains")) != NULL) {
        if (json_is_object(operand) && strcasecmp(key, "relations") == 0)
            return contains_relation(sql, id_column, operand);
        if (json_is_object(operand))
            return gr_error_set(GR_EINVALID,
                                "Object form of $contains is not supported for field \"%s\"", key);
        open_subquery(sql, id_column, key);
        gr_catalog_sql_puts(sql, " AND sf.value = ");
        param_value(sql, operand);
        close_subquery(sql);
        return GR_OK;
    }
    return gr_error_set(GR_EINVALID, "Invalid filter predicate value for field \"%s\"", key);
}

static int node_sql(const json_t *node, const char *id_column, gr_catalog_sql *sql);

/* A function that appends member `index` (of an $all or $any list, or of an expression) as SQL. */
typedef int (*member_sql)(const void *members, size_t index, const char *id_column,
                          gr_catalog_sql *sql);

static int list_member_sql(const void *list, size_t index, const char *id_column,
                           gr_catalog_sql *sql)
{
    return node_sql(json_array_get(list, index), id_column, sql);
}

/* The keys of an expression object in iteration order, so that they can be joined by index. */
typedef struct {
    const json_t *node;
    const char **keys;
} expression_keys;

static int expression_member_sql(const void *members, size_t index, const char *id_column,
                                 gr_catalog_sql *sql)
{
    const expression_keys *expression = members;
    const char *key = expression->keys[index];

    return field_condition(sql, id_column, key, json_object_get(expression->node, key));
}

/*
 * Appends members [from, to) joined by `op`, nested in halves: "(a op b) op
 * (c op d)" rather than "a op b op c op d". SQLite parses a flat chain into a
 * tree as deep as the chain is long and rejects trees deeper than 1000
 * (SQLITE_MAX_EXPR_DEPTH), while halves keep the depth near log2 of the count.
 */
static int join_sql(const void *members, member_sql append, size_t from, size_t to, const char *op,
                    const char *id_column, gr_catalog_sql *sql)
{
    size_t middle = from + (to - from) / 2;
    int rc;

    if (to - from == 1)
        return append(members, from, id_column, sql);
    gr_catalog_sql_puts(sql, "(");
    rc = join_sql(members, append, from, middle, op, id_column, sql);
    if (rc == GR_OK) {
        gr_catalog_sql_puts(sql, op);
        rc = join_sql(members, append, middle, to, op, id_column, sql);
    }
    gr_catalog_sql_puts(sql, ")");
    return rc;
}

/* Appends the members of $all or $any joined by `op`; `empty` is used for none. */
static int list_sql(const json_t *list, const char *op, const char *empty, const char *id_column,
                    gr_catalog_sql *sql)
{
    size_t count = json_array_size(list);

    if (count == 0) {
        gr_catalog_sql_puts(sql, empty);
        return GR_OK;
    }
    return join_sql(list, list_member_sql, 0, count, op, id_column, sql);
}

/* Appends the `key: value` conditions of an expression object, ANDed. */
static int expression_sql(const json_t *node, const char *id_column, gr_catalog_sql *sql)
{
    expression_keys expression = {node, NULL};
    size_t count = 0;
    const char *key;
    json_t *value;
    int rc;

    expression.keys = gr_xcalloc(json_object_size(node), sizeof(*expression.keys));
    json_object_foreach((json_t *)node, key, value)
    {
        expression.keys[count++] = key;
    }
    rc = join_sql(&expression, expression_member_sql, 0, count, " AND ", id_column, sql);
    free(expression.keys);
    return rc;
}

static int node_sql(const json_t *node, const char *id_column, gr_catalog_sql *sql)
{
    const json_t *operand;

    if (!json_is_object(node))
        return gr_error_set(GR_EINVALID, "Invalid filter predicate: top-level primitive values "
                                         "are not supported");
    if ((operand = json_object_get(node, "$not")) != NULL) {
        int rc;

        gr_catalog_sql_puts(sql, "NOT (");
        rc = node_sql(operand, id_column, sql);
        gr_catalog_sql_puts(sql, ")");
        return rc;
    }
    if ((operand = json_object_get(node, "$all")) != NULL)
        return list_sql(operand, " AND ", "1 = 1", id_column, sql);
    if ((operand = json_object_get(node, "$any")) != NULL)
        return list_sql(operand, " OR ", "1 = 0", id_column, sql);
    if (json_object_size(node) == 0) {
        gr_catalog_sql_puts(sql, "1 = 1");
        return GR_OK;
    }
    return expression_sql(node, id_column, sql);
}

int gr_catalog_filter_to_sql(const json_t *predicate, const char *id_column, gr_catalog_sql *sql)
{
    int rc;

    if (predicate == NULL) {
        gr_catalog_sql_puts(sql, "1 = 1");
        return GR_OK;
    }
    rc = node_sql(predicate, id_column, sql);
    if (rc == GR_OK && sql->conditions > GR_CATALOG_FILTER_MAX_CONDITIONS)
        rc = gr_error_set(GR_ELIMIT,
                          "Invalid query: more than %d filter conditions; use one key with "
                          "several values ($in, or key=a,key=b) instead of many conditions",
                          GR_CATALOG_FILTER_MAX_CONDITIONS);
    return rc;
}

int gr_catalog_filter_split(const json_t *predicate, char **key, char **value, json_t **rest)
{
    const json_t *members = json_object_get(predicate, "$all");
    const char *name;
    json_t *item;

    *key = NULL;
    *value = NULL;
    *rest = NULL;
    if (!json_is_object(predicate) || json_object_get(predicate, "$not") != NULL ||
        json_object_get(predicate, "$any") != NULL)
        return 0;

    if (members != NULL) {
        size_t index;
        json_t *member;

        json_array_foreach(members, index, member)
        {
            json_t *member_rest = NULL;

            if (!gr_catalog_filter_split(member, key, value, &member_rest))
                continue;
            *rest = json_deep_copy(predicate);
            if (member_rest != NULL)
                json_array_set_new(json_object_get(*rest, "$all"), index, member_rest);
            else
                json_array_remove(json_object_get(*rest, "$all"), index);
            return 1;
        }
        return 0;
    }

    json_object_foreach((json_t *)predicate, name, item)
    {
        char *text;

        if (name[0] == '$' || json_is_object(item))
            continue;
        text = gr_catalog_predicate_value_text(item);
        if (text == NULL)
            continue; /* not a scalar: no key=value condition */
        *key = gr_catalog_lower_search(name);
        *value = gr_catalog_lower_search(text);
        free(text);
        if (json_object_size(predicate) > 1) {
            *rest = json_deep_copy(predicate);
            json_object_del(*rest, name);
        }
        return 1;
    }
    return 0;
}
