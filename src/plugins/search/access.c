/* SPDX-License-Identifier: MIT */
/* Permission criteria translated into SQL over catalog_search, for search's read filter. */
#include "plugins/search/access.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/permission/permission.h"
#include "plugins/search/entities.h"

/* Appends "EXISTS (row with `key`)" and, when given, a condition on its value. */
static void exists_key(gr_search_access *out, const char *id_column, const char *key,
                       const char *original_value)
{
    char *lower_key = gr_search_ascii_lower(gr_xstrdup(key));

    gr_buf_printf(&out->sql,
                  "EXISTS (SELECT 1 FROM catalog_search s WHERE s.entity_id = %s AND s.key = ?",
                  id_column);
    gr_search_access_param(out, lower_key);
    if (original_value != NULL) {
        gr_buf_puts(&out->sql, " AND COALESCE(s.original_value, s.value) = ?");
        gr_search_access_param(out, original_value);
    }
    gr_buf_puts(&out->sql, ")");
    free(lower_key);
}

/* Appends "EXISTS (row with `key` and a lower-case value in `list`)". */
static void exists_value_in(gr_search_access *out, const char *id_column, const char *key,
                            const json_t *list)
{
    size_t i;
    const json_t *item;
    int values = 0;

    gr_buf_printf(&out->sql,
                  "EXISTS (SELECT 1 FROM catalog_search s WHERE s.entity_id = %s AND s.key = ?"
                  " AND s.value IN (",
                  id_column);
    gr_search_access_param(out, key);
    json_array_foreach(list, i, item) {
        char *lower;

        if (!json_is_string(item))
            continue;
        lower = gr_search_ascii_lower(gr_xstrdup(json_string_value(item)));
        gr_buf_puts(&out->sql, values++ ? ", ?" : "?");
        gr_search_access_param(out, lower);
        free(lower);
    }
    if (values == 0)
        gr_buf_puts(&out->sql, "NULL");
    gr_buf_puts(&out->sql, "))");
}

static void rule_sql(const char *rule, const json_t *params, const char *id_column,
                     gr_search_access *out)
{
    const char *value = json_string_value(json_object_get(params, "value"));
    const char *prefix = NULL;
    const char *name = NULL;
    char *key;

    if (strcmp(rule, "IS_ENTITY_KIND") == 0) {
        exists_value_in(out, id_column, "kind", json_object_get(params, "kinds"));
        return;
    }
    if (strcmp(rule, "IS_ENTITY_OWNER") == 0) {
        exists_value_in(out, id_column, "relations.ownedby", json_object_get(params, "claims"));
        return;
    }
    if (strcmp(rule, "HAS_ANNOTATION") == 0) {
        prefix = "metadata.annotations.";
        name = json_string_value(json_object_get(params, "annotation"));
    } else if (strcmp(rule, "HAS_LABEL") == 0) {
        prefix = "metadata.labels.";
        name = json_string_value(json_object_get(params, "label"));
    } else if (strcmp(rule, "HAS_METADATA") == 0) {
        prefix = "metadata.";
        name = json_string_value(json_object_get(params, "key"));
    } else if (strcmp(rule, "HAS_SPEC") == 0) {
        prefix = "spec.";
        name = json_string_value(json_object_get(params, "key"));
    }
    if (prefix == NULL || name == NULL) {
        gr_buf_puts(&out->sql, "1 = 0");
        return;
    }
    key = gr_xasprintf("%s%s", prefix, name);
    exists_key(out, id_column, key, value);
    free(key);
}

static void list_sql(const json_t *list, const char *joiner, const char *empty,
                     const char *id_column, gr_search_access *out)
{
    size_t i;
    const json_t *item;

    if (json_array_size(list) == 0) {
        gr_buf_puts(&out->sql, empty);
        return;
    }
    gr_buf_puts(&out->sql, "(");
    json_array_foreach(list, i, item) {
        if (i > 0)
            gr_buf_puts(&out->sql, joiner);
        gr_search_criteria_sql(item, id_column, out);
    }
    gr_buf_puts(&out->sql, ")");
}

void gr_search_criteria_sql(const json_t *criteria, const char *id_column,
                            gr_search_access *out)
{
    const char *rule = json_string_value(json_object_get(criteria, "rule"));
    const json_t *list;

    if (rule != NULL) {
        rule_sql(rule, json_object_get(criteria, "params"), id_column, out);
    } else if ((list = json_object_get(criteria, "allOf")) != NULL) {
        list_sql(list, " AND ", "1 = 1", id_column, out);
    } else if ((list = json_object_get(criteria, "anyOf")) != NULL) {
        list_sql(list, " OR ", "1 = 0", id_column, out);
    } else if ((list = json_object_get(criteria, "not")) != NULL) {
        gr_buf_puts(&out->sql, "NOT (");
        gr_search_criteria_sql(list, id_column, out);
        gr_buf_puts(&out->sql, ")");
    } else {
        gr_buf_puts(&out->sql, "1 = 0");
    }
}

int gr_search_permission_access(void *payload, const void *caller, const char *id_column,
                                gr_search_access *out)
{
    const gr_permission_policy *policy = payload;
    gr_permission_decision decision;
    int rc;

    if (gr_permission_allows_all(policy, caller)) {
        out->decision = GR_SEARCH_ALLOW;
        return 0;
    }
    /* search.query decides whether the caller may search at all; then each
     * document follows its entity's catalog.entity.read. */
    if ((rc = gr_permission_authorize(policy, caller, "search.query", NULL, NULL, NULL)) < 0)
        return rc;
    memset(&decision, 0, sizeof(decision));
    if ((rc = gr_permission_evaluate(policy, caller, "catalog.entity.read", &decision)) < 0)
        return rc;
    if (decision.result == GR_PERMISSION_ALLOW) {
        out->decision = GR_SEARCH_ALLOW;
    } else if (decision.result == GR_PERMISSION_DENY) {
        out->decision = GR_SEARCH_DENY;
    } else {
        out->decision = GR_SEARCH_CONDITIONAL;
        gr_search_criteria_sql(decision.conditions, id_column, out);
    }
    gr_permission_decision_clear(&decision);
    return 0;
}
