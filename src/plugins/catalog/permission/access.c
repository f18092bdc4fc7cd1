/* SPDX-License-Identifier: MIT */
/* Catalog permissions as filter predicates, and checks of one entity in SQL. */
#include "plugins/catalog/permission/access.h"

#include <stdlib.h>
#include <string.h>

#include "host/auth/audit.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/api/read.h"

/* The predicate that matches no entity. */
static json_t *match_none(void)
{
    return json_pack("{s:[]}", "$any");
}

/* {"<prefix><name>": value} or {"<prefix><name>": {"$exists": true}} without a value. */
static json_t *keyed(const char *prefix, const json_t *name, const json_t *value)
{
    json_t *predicate;
    char *key;

    if (!json_is_string(name) || json_string_length(name) == 0 ||
        (value != NULL && !json_is_string(value)))
        return match_none();
    key = gr_xasprintf("%s%s", prefix, json_string_value(name));
    if (value != NULL)
        predicate = json_pack("{s:O}", key, value);
    else
        predicate = json_pack("{s:{s:b}}", key, "$exists", 1);
    free(key);
    return predicate;
}

/* {"<key>": {"$in": strings of list}}; a list without strings matches nothing. */
static json_t *one_of(const char *key, const json_t *list)
{
    json_t *values = json_array();
    const json_t *item;
    size_t i;

    json_array_foreach(list, i, item)
    {
        if (json_is_string(item))
            json_array_append(values, (json_t *)item);
    }
    if (json_array_size(values) == 0) {
        json_decref(values);
        return match_none();
    }
    return json_pack("{s:{s:o}}", key, "$in", values);
}

static json_t *rule_predicate(const char *rule, const json_t *params)
{
    const json_t *value = json_object_get(params, "value");

    if (strcmp(rule, "IS_ENTITY_KIND") == 0)
        return one_of("kind", json_object_get(params, "kinds"));
    if (strcmp(rule, "IS_ENTITY_OWNER") == 0)
        return one_of("relations.ownedBy", json_object_get(params, "claims"));
    if (strcmp(rule, "HAS_ANNOTATION") == 0)
        return keyed("metadata.annotations.", json_object_get(params, "annotation"), value);
    if (strcmp(rule, "HAS_LABEL") == 0)
        return keyed("metadata.labels.", json_object_get(params, "label"), value);
    if (strcmp(rule, "HAS_METADATA") == 0)
        return keyed("metadata.", json_object_get(params, "key"), value);
    if (strcmp(rule, "HAS_SPEC") == 0)
        return keyed("spec.", json_object_get(params, "key"), value);
    return match_none();
}

static json_t *criteria_predicate(const json_t *criteria, int depth);

static json_t *list_predicate(const char *op, const json_t *list, int depth)
{
    json_t *members = json_array();
    const json_t *item;
    size_t i;

    json_array_foreach(list, i, item)
        json_array_append_new(members, criteria_predicate(item, depth + 1));
    return json_pack("{s:o}", op, members);
}

static json_t *criteria_predicate(const json_t *criteria, int depth)
{
    const char *rule = json_string_value(json_object_get(criteria, "rule"));
    const json_t *inner;

    if (depth > GR_PERMISSION_MAX_DEPTH || !json_is_object(criteria))
        return match_none();
    if (rule != NULL)
        return rule_predicate(rule, json_object_get(criteria, "params"));
    if (json_is_array(inner = json_object_get(criteria, "allOf")))
        return list_predicate("$all", inner, depth);
    if (json_is_array(inner = json_object_get(criteria, "anyOf")))
        return list_predicate("$any", inner, depth);
    if ((inner = json_object_get(criteria, "not")) != NULL)
        return json_pack("{s:o}", "$not", criteria_predicate(inner, depth + 1));
    return match_none();
}

json_t *gr_catalog_criteria_predicate(const json_t *criteria)
{
    return criteria_predicate(criteria, 0);
}

int gr_catalog_access_get(const gr_permission_policy *policy, const gr_identity *identity,
                          const char *permission, json_t **out)
{
    gr_permission_decision decision;
    int rc;

    *out = NULL;
    if (gr_permission_allows_all(policy, identity))
        return GR_OK;
    if ((rc = gr_permission_evaluate(policy, identity, permission, &decision)) < 0)
        return rc;
    if (decision.result == GR_PERMISSION_DENY)
        *out = match_none();
    else if (decision.result == GR_PERMISSION_CONDITIONAL)
        *out = gr_catalog_criteria_predicate(decision.conditions);
    gr_permission_decision_clear(&decision);
    return GR_OK;
}

json_t *gr_catalog_access_and(const json_t *filter, const json_t *access)
{
    if (access == NULL)
        return json_incref((json_t *)filter);
    if (filter == NULL)
        return json_incref((json_t *)access);
    return json_pack("{s:[O,O]}", "$all", filter, access);
}

int gr_catalog_permission_require(const gr_permission_policy *policy, const gr_identity *identity,
                                  const char *permission, const char *path)
{
    if (policy == NULL)
        return GR_OK;
    return gr_permission_authorize(policy, identity, permission, NULL, NULL, path);
}

int gr_catalog_access_matches(gr_db *db, const json_t *access, gr_catalog_entity_key key,
                              const char *value)
{
    gr_buf entity = GR_BUF_INIT;
    int rc = key == GR_CATALOG_BY_UID ? gr_catalog_read_by_uid(db, value, access, &entity)
                                      : gr_catalog_read_by_ref(db, value, access, &entity);

    gr_buf_free(&entity);
    if (rc == GR_ENOTFOUND)
        return 0;
    return rc == GR_OK ? 1 : rc;
}

int gr_catalog_permission_check(gr_db *db, const gr_permission_policy *policy,
                                const gr_identity *identity, const char *permission,
                                gr_catalog_entity_key key, const char *value, const char *path)
{
    json_t *read = NULL;
    json_t *wanted = NULL;
    int rc;

    if (gr_permission_allows_all(policy, identity))
        return GR_OK;
    rc = gr_catalog_access_get(policy, identity, "catalog.entity.read", &read);
    if (rc == GR_OK)
        rc = gr_catalog_access_get(policy, identity, permission, &wanted);
    if (rc == GR_OK && read == NULL && wanted == NULL)
        return GR_OK; /* both allowed without conditions: the caller's lookup decides */
    if (rc == GR_OK)
        rc = gr_catalog_access_matches(db, read, key, value);
    if (rc == 0) {
        rc = GR_ENOTFOUND;
        gr_error_clear();
    } else if (rc == 1) {
        rc = wanted == NULL ? 1 : gr_catalog_access_matches(db, wanted, key, value);
    }
    if (rc == 0) {
        gr_audit_permission_denied(identity && identity->subject ? identity->subject : "",
                                   permission, value, path);
        rc = gr_error_set(GR_EDENIED, "You are not allowed to %s on %s", permission, value);
    } else if (rc == 1) {
        rc = GR_OK;
    }
    json_decref(read);
    json_decref(wanted);
    return rc;
}
