/* SPDX-License-Identifier: MIT */
/* Three-valued conditions, and criteria trees applied to catalog entities. */
#include "host/permission/criteria.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/permission/permission.h"

gr_permission__cond gr_permission__const(int value)
{
    gr_permission__cond c = {1, value != 0, NULL};

    return c;
}

gr_permission__cond gr_permission__criteria(json_t *criteria)
{
    gr_permission__cond c = {0, 0, criteria};

    return c;
}

gr_permission__cond gr_permission__not(gr_permission__cond c)
{
    if (c.decided)
        return gr_permission__const(!c.value);
    /* not(not(x)) is x */
    if (json_object_size(c.criteria) == 1 && json_object_get(c.criteria, "not") != NULL) {
        json_t *inner = json_incref(json_object_get(c.criteria, "not"));

        json_decref(c.criteria);
        return gr_permission__criteria(inner);
    }
    return gr_permission__criteria(json_pack("{s:o}", "not", c.criteria));
}

gr_permission__cond gr_permission__join(gr_permission__cond *items, size_t count, int all)
{
    json_t *list = json_array();
    int short_circuit = 0;

    for (size_t i = 0; i < count; i++) {
        if (items[i].decided) {
            /* false decides an AND and true decides an OR, while the other value drops out */
            if (items[i].value != all)
                short_circuit = 1;
            continue;
        }
        if (short_circuit) {
            json_decref(items[i].criteria);
            continue;
        }
        json_array_append_new(list, items[i].criteria);
    }
    if (short_circuit) {
        json_decref(list);
        return gr_permission__const(!all);
    }
    if (json_array_size(list) == 0) {
        json_decref(list);
        return gr_permission__const(all);
    }
    if (json_array_size(list) == 1) {
        json_t *only = json_incref(json_array_get(list, 0));

        json_decref(list);
        return gr_permission__criteria(only);
    }
    return gr_permission__criteria(json_pack("{s:o}", all ? "allOf" : "anyOf", list));
}

static int string_in(const json_t *list, const char *value)
{
    size_t i;
    const json_t *item;

    if (value == NULL)
        return 0;
    json_array_foreach(list, i, item)
    {
        if (json_is_string(item) && strcasecmp(json_string_value(item), value) == 0)
            return 1;
    }
    return 0;
}

/* Returns nonzero when `container[key]` exists and, if `value` is a string, equals it. */
static int has_key(const json_t *container, const char *key, const json_t *value)
{
    const json_t *found = json_object_get(container, key);

    if (found == NULL)
        return 0;
    if (!json_is_string(value))
        return 1;
    return json_is_string(found) && strcmp(json_string_value(found), json_string_value(value)) == 0;
}

/* The entity's owner ref from spec.owner, for entities without relations. */
static int owner_from_spec(const json_t *entity, const json_t *claims)
{
    const char *owner = json_string_value(json_object_get(json_object_get(entity, "spec"), "owner"));
    const char *ns = json_string_value(json_object_get(json_object_get(entity, "metadata"),
                                                       "namespace"));
    char *ref;
    int found;

    if (owner == NULL)
        return 0;
    if (strchr(owner, ':') != NULL && strchr(owner, '/') != NULL)
        ref = gr_xstrdup(owner);
    else if (strchr(owner, ':') != NULL)
        ref = gr_xasprintf("%.*s:%s/%s", (int)(strchr(owner, ':') - owner), owner,
                           ns ? ns : "default", strchr(owner, ':') + 1);
    else if (strchr(owner, '/') != NULL)
        ref = gr_xasprintf("group:%s", owner);
    else
        ref = gr_xasprintf("group:%s/%s", ns ? ns : "default", owner);
    found = string_in(claims, ref);
    free(ref);
    return found;
}

static int is_owner(const json_t *entity, const json_t *claims)
{
    const json_t *relations = json_object_get(entity, "relations");
    const json_t *relation;
    size_t i;

    if (json_array_size(relations) == 0)
        return owner_from_spec(entity, claims);
    json_array_foreach(relations, i, relation)
    {
        const char *type = json_string_value(json_object_get(relation, "type"));

        if (type != NULL && strcmp(type, "ownedBy") == 0 &&
            string_in(claims, json_string_value(json_object_get(relation, "targetRef"))))
            return 1;
    }
    return 0;
}

/* IS_TASK_OWNER: the task's createdBy is one of `created_by`, compared exactly as in SQL. */
static int task_owner(const json_t *task, const json_t *created_by)
{
    const char *creator = json_string_value(json_object_get(task, "createdBy"));
    size_t i;
    const json_t *item;

    if (creator == NULL)
        return 0;
    json_array_foreach(created_by, i, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), creator) == 0)
            return 1;
    }
    return 0;
}

static int rule_match(const char *rule, const json_t *params, const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");

    if (strcmp(rule, "IS_TASK_OWNER") == 0)
        return task_owner(entity, json_object_get(params, "createdBy"));
    if (strcmp(rule, "IS_ENTITY_KIND") == 0)
        return string_in(json_object_get(params, "kinds"),
                         json_string_value(json_object_get(entity, "kind")));
    if (strcmp(rule, "IS_ENTITY_OWNER") == 0)
        return is_owner(entity, json_object_get(params, "claims"));
    if (strcmp(rule, "HAS_ANNOTATION") == 0)
        return has_key(json_object_get(metadata, "annotations"),
                       json_string_value(json_object_get(params, "annotation")),
                       json_object_get(params, "value"));
    if (strcmp(rule, "HAS_LABEL") == 0)
        return has_key(json_object_get(metadata, "labels"),
                       json_string_value(json_object_get(params, "label")),
                       json_object_get(params, "value"));
    if (strcmp(rule, "HAS_METADATA") == 0)
        return has_key(metadata, json_string_value(json_object_get(params, "key")),
                       json_object_get(params, "value"));
    if (strcmp(rule, "HAS_SPEC") == 0)
        return has_key(json_object_get(entity, "spec"),
                       json_string_value(json_object_get(params, "key")),
                       json_object_get(params, "value"));
    return 0;
}

int gr_permission_criteria_match(const json_t *criteria, const json_t *entity)
{
    const json_t *list;
    const json_t *item;
    const char *rule = json_string_value(json_object_get(criteria, "rule"));
    size_t i;

    if ((list = json_object_get(criteria, "allOf")) != NULL) {
        json_array_foreach(list, i, item)
        {
            if (!gr_permission_criteria_match(item, entity))
                return 0;
        }
        return 1;
    }
    if ((list = json_object_get(criteria, "anyOf")) != NULL) {
        json_array_foreach(list, i, item)
        {
            if (gr_permission_criteria_match(item, entity))
                return 1;
        }
        return 0;
    }
    if ((item = json_object_get(criteria, "not")) != NULL)
        return !gr_permission_criteria_match(item, entity);
    if (rule == NULL)
        return 0;
    return rule_match(rule, json_object_get(criteria, "params"), entity);
}
