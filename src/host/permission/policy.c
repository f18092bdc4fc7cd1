/* SPDX-License-Identifier: MIT */
/* The permission policy: rules read from `permission.rules` and evaluated for an identity. */
#include "host/permission/permission.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "greenroom/plugin.h"
#include "host/auth/restriction.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"
#include "host/permission/criteria.h"
#include "host/registry/registry.h"

const char *gr_permission_result_name(gr_permission_result result)
{
    switch (result) {
    case GR_PERMISSION_ALLOW:
        return "ALLOW";
    case GR_PERMISSION_CONDITIONAL:
        return "CONDITIONAL";
    default:
        return "DENY";
    }
}

typedef enum {
    NODE_ALL,
    NODE_ANY,
    NODE_NOT,
    NODE_IS_USER,
    NODE_IS_GROUP_MEMBER,
    NODE_IS_SERVICE,
    NODE_IS_OWNER,  /* filled with the identity's ownership refs at evaluation */
    NODE_IS_TASK_OWNER, /* filled with the identity's user ref at evaluation */
    NODE_RESOURCE,  /* a fixed catalog-entity criteria */
} node_kind;

typedef struct node {
    node_kind kind;
    struct node **children;
    size_t count;
    json_t *values;   /* IS_USER, IS_GROUP_MEMBER, IS_SERVICE: refs (empty: any service) */
    json_t *criteria; /* RESOURCE */
} node;

typedef struct {
    int allow;
    json_t *permissions; /* array of names and wildcards */
    node *when;          /* NULL: always applies */
    int has_resource_condition;
    int has_task_condition;
    int pending; /* names a permission no one had declared when it was read */
} rule;

struct gr_permission_policy {
    bool enabled;
    bool sealed; /* no more declarations: every permission a rule names must be known */
    bool lenient; /* an optional plugin was skipped: unknown names only warn at sealing */
    rule *rules;
    size_t count;
    gr_permission_def *declared; /* permissions of built-in features and plugins; owned */
    size_t declared_count;
};

static void node_free(node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->count; i++)
        node_free(n->children[i]);
    free(n->children);
    json_decref(n->values);
    json_decref(n->criteria);
    free(n);
}

void gr_permission_policy_free(gr_permission_policy *policy)
{
    if (policy == NULL)
        return;
    for (size_t i = 0; i < policy->count; i++) {
        json_decref(policy->rules[i].permissions);
        node_free(policy->rules[i].when);
    }
    free(policy->rules);
    for (size_t i = 0; i < policy->declared_count; i++) {
        free((char *)policy->declared[i].name);
        free((char *)policy->declared[i].resource_type);
        free((char *)policy->declared[i].action);
    }
    free(policy->declared);
    free(policy);
}

/* Finds a declared permission, or returns NULL. */
static const gr_permission_def *find_def(const gr_permission_policy *policy, const char *name)
{
    for (size_t i = 0; i < policy->declared_count; i++) {
        if (strcmp(policy->declared[i].name, name) == 0)
            return &policy->declared[i];
    }
    return NULL;
}

bool gr_permission_enabled(const gr_permission_policy *policy)
{
    return policy->enabled;
}

bool gr_permission_allows_all(const gr_permission_policy *policy, const gr_identity *identity)
{
    if (policy == NULL)
        return true;
    return !policy->enabled && (identity == NULL || identity->restrictions == NULL);
}

bool gr_permission_policy_denies_all(const gr_permission_policy *policy, gr_buf *problem,
                                     gr_buf *fix)
{
    if (!policy->enabled || policy->count > 0)
        return false;
    gr_buf_puts(problem, "permission.enabled is true but permission.rules lists no rule, so every "
                         "permission check is denied and the catalog looks empty");
    gr_buf_puts(fix, "To allow everything, as Backstage's allow-all policy does, write the rule "
                     "'- allow: \"*\"' under permission.rules, or set permission.enabled: false");
    return true;
}

/* Parsing. `where` is the key path of the value being read, for messages. */

typedef struct {
    const char *where;
    int resource_conditions; /* set when a resource condition is read */
    int task_conditions;     /* set when isTaskOwner is read */
} parse_ctx;

static node *node_new(node_kind kind)
{
    node *n = gr_xcalloc(1, sizeof(*n));

    n->kind = kind;
    return n;
}

/* Reads a string or an array of strings into a new array, or NULL when it is neither. */
static json_t *string_list(const json_t *value)
{
    size_t i;
    const json_t *item;

    if (json_is_string(value))
        return json_pack("[O]", value);
    if (!json_is_array(value) || json_array_size(value) == 0)
        return NULL;
    json_array_foreach(value, i, item)
    {
        if (!json_is_string(item))
            return NULL;
    }
    return json_deep_copy(value);
}

static node *resource_node(const char *rule_name, json_t *params, parse_ctx *ctx)
{
    node *n = node_new(NODE_RESOURCE);

    n->criteria = json_pack("{s:s, s:s, s:o}", "rule", rule_name, "resourceType",
                            GR_PERMISSION_CATALOG_ENTITY, "params", params);
    ctx->resource_conditions = 1;
    return n;
}

/* hasAnnotation / hasLabel: "name" or {<name_key>: "name", value: "v"}. */
static node *keyed_node(const char *rule_name, const char *name_key, const json_t *value,
                        parse_ctx *ctx)
{
    const json_t *name = json_is_string(value) ? value : json_object_get(value, name_key);
    const json_t *expected = json_object_get(value, "value");
    json_t *params;

    if (!json_is_string(name) || (expected != NULL && !json_is_string(expected))) {
        gr_error_set(GR_EINVALID, "%s: expected a string or an object with string %s and "
                                  "optional string value",
                     ctx->where, name_key);
        return NULL;
    }
    params = json_pack("{s:O}", name_key, name);
    if (expected != NULL)
        json_object_set_new(params, "value", json_string(json_string_value(expected)));
    return resource_node(rule_name, params, ctx);
}

static node *parse_when(const json_t *when, parse_ctx *ctx, int depth);

static node *parse_list(node_kind kind, const json_t *list, parse_ctx *ctx, int depth)
{
    node *n;
    size_t i;
    const json_t *item;

    if (!json_is_array(list) || json_array_size(list) == 0) {
        gr_error_set(GR_EINVALID, "%s: expected a non-empty list of conditions", ctx->where);
        return NULL;
    }
    n = node_new(kind);
    n->children = gr_xcalloc(json_array_size(list), sizeof(node *));
    json_array_foreach(list, i, item)
    {
        node *child = parse_when(item, ctx, depth + 1);

        if (child == NULL) {
            node_free(n);
            return NULL;
        }
        n->children[n->count++] = child;
    }
    return n;
}

static node *parse_identity_list(node_kind kind, const json_t *value, parse_ctx *ctx)
{
    node *n = node_new(kind);

    if (kind == NODE_IS_SERVICE && json_is_true(value)) {
        n->values = json_array();
        return n;
    }
    n->values = string_list(value);
    if (n->values == NULL) {
        node_free(n);
        gr_error_set(GR_EINVALID, "%s: expected an entity ref or a list of them%s", ctx->where,
                     kind == NODE_IS_SERVICE ? " (or true for any service)" : "");
        return NULL;
    }
    return n;
}

static node *parse_spec_or_metadata(const char *rule_name, const json_t *value, parse_ctx *ctx)
{
    const json_t *key = json_object_get(value, "key");
    const json_t *expected = json_object_get(value, "value");
    json_t *params;

    if (!json_is_string(key) || (expected != NULL && !json_is_string(expected))) {
        gr_error_set(GR_EINVALID, "%s: expected an object with string key and optional string "
                                  "value",
                     ctx->where);
        return NULL;
    }
    params = json_pack("{s:O}", "key", key);
    if (expected != NULL)
        json_object_set_new(params, "value", json_string(json_string_value(expected)));
    return resource_node(rule_name, params, ctx);
}

/* isEntityOwner / isTaskOwner: true, or false for its negation. */
static node *owner_node(node_kind kind, const json_t *value, parse_ctx *ctx)
{
    node *n;

    if (!json_is_boolean(value)) {
        gr_error_set(GR_EINVALID, "%s: expected true or false", ctx->where);
        return NULL;
    }
    ctx->resource_conditions = 1;
    if (json_is_true(value))
        return node_new(kind);
    n = node_new(NODE_NOT);
    n->children = gr_xcalloc(1, sizeof(node *));
    n->children[n->count++] = node_new(kind);
    return n;
}

/* Reads one condition key of a `when` object. */
static node *parse_condition(const char *key, const json_t *value, parse_ctx *ctx, int depth)
{
    json_t *kinds;

    if (strcmp(key, "allOf") == 0)
        return parse_list(NODE_ALL, value, ctx, depth);
    if (strcmp(key, "anyOf") == 0)
        return parse_list(NODE_ANY, value, ctx, depth);
    if (strcmp(key, "not") == 0) {
        node *inner = parse_when(value, ctx, depth + 1);
        node *n;

        if (inner == NULL)
            return NULL;
        n = node_new(NODE_NOT);
        n->children = gr_xcalloc(1, sizeof(node *));
        n->children[n->count++] = inner;
        return n;
    }
    if (strcmp(key, "isUser") == 0)
        return parse_identity_list(NODE_IS_USER, value, ctx);
    if (strcmp(key, "isGroupMember") == 0)
        return parse_identity_list(NODE_IS_GROUP_MEMBER, value, ctx);
    if (strcmp(key, "isService") == 0)
        return parse_identity_list(NODE_IS_SERVICE, value, ctx);
    if (strcmp(key, "isEntityOwner") == 0)
        return owner_node(NODE_IS_OWNER, value, ctx);
    if (strcmp(key, "isTaskOwner") == 0) {
        ctx->task_conditions = 1;
        return owner_node(NODE_IS_TASK_OWNER, value, ctx);
    }
    if (strcmp(key, "kindIs") == 0) {
        if ((kinds = string_list(value)) == NULL) {
            gr_error_set(GR_EINVALID, "%s: expected a kind or a list of kinds", ctx->where);
            return NULL;
        }
        return resource_node("IS_ENTITY_KIND", json_pack("{s:o}", "kinds", kinds), ctx);
    }
    if (strcmp(key, "hasAnnotation") == 0)
        return keyed_node("HAS_ANNOTATION", "annotation", value, ctx);
    if (strcmp(key, "hasLabel") == 0)
        return keyed_node("HAS_LABEL", "label", value, ctx);
    if (strcmp(key, "hasMetadata") == 0)
        return parse_spec_or_metadata("HAS_METADATA", value, ctx);
    if (strcmp(key, "hasSpec") == 0)
        return parse_spec_or_metadata("HAS_SPEC", value, ctx);
    gr_error_set(GR_EINVALID,
                 "%s: unknown condition; use isUser, isGroupMember, isService, isEntityOwner, "
                 "isTaskOwner, kindIs, hasAnnotation, hasLabel, hasMetadata, hasSpec, allOf, "
                 "anyOf or not",
                 ctx->where);
    return NULL;
}

static node *parse_when(const json_t *when, parse_ctx *ctx, int depth)
{
    const char *outer = ctx->where;
    const char *key;
    json_t *value;
    node *all;

    if (depth > GR_PERMISSION_MAX_DEPTH) {
        gr_error_set(GR_EINVALID, "%s: conditions are nested deeper than %d levels", outer,
                     GR_PERMISSION_MAX_DEPTH);
        return NULL;
    }
    if (!json_is_object(when) || json_object_size(when) == 0) {
        gr_error_set(GR_EINVALID, "%s: expected an object of conditions", outer);
        return NULL;
    }
    all = node_new(NODE_ALL);
    all->children = gr_xcalloc(json_object_size(when), sizeof(node *));
    json_object_foreach((json_t *)when, key, value)
    {
        char *where = gr_xasprintf("%s.%s", outer, key);
        node *child;

        ctx->where = where;
        child = parse_condition(key, value, ctx, depth);
        ctx->where = outer;
        if (child == NULL) {
            free(where);
            node_free(all);
            return NULL;
        }
        free(where);
        all->children[all->count++] = child;
    }
    return all;
}

static int is_wildcard(const char *name)
{
    size_t len = strlen(name);

    return strcmp(name, "*") == 0 || (len > 2 && strcmp(name + len - 2, ".*") == 0);
}

static int permission_matches(const char *pattern, const char *name)
{
    size_t len = strlen(pattern);

    if (strcmp(pattern, "*") == 0)
        return 1;
    if (len > 2 && strcmp(pattern + len - 2, ".*") == 0)
        return strncmp(pattern, name, len - 1) == 0;
    return strcmp(pattern, name) == 0;
}

static int is_task_def(const gr_permission_def *def, const char *pattern)
{
    return def->resource_type != NULL &&
           strcmp(def->resource_type, GR_PERMISSION_SCAFFOLDER_TASK) == 0 &&
           permission_matches(pattern, def->name);
}

/* Returns nonzero when the wildcard `pattern` covers a scaffolder-task permission. */
static int covers_task_permission(const gr_permission_policy *policy, const char *pattern)
{
    for (size_t i = 0; i < policy->declared_count; i++) {
        if (is_task_def(&policy->declared[i], pattern))
            return 1;
    }
    return 0;
}

/* What check_permissions() found in the permission list of a rule. */
typedef struct {
    int all_basic; /* every entry is a basic permission */
    int has_task;  /* an entry is or covers a scaffolder-task permission */
    int pending;   /* an entry is unknown while plugins may still declare it */
} rule_scope;

/*
 * Checks the permission list of a rule and fills *scope. An unknown name is
 * an error once the policy is sealed; before, it is left for
 * gr_permission_policy_seal().
 */
static int check_permissions(const gr_permission_policy *policy, const json_t *list,
                             const char *where, rule_scope *scope)
{
    size_t i;
    const json_t *item;

    memset(scope, 0, sizeof(*scope));
    scope->all_basic = 1;
    json_array_foreach(list, i, item)
    {
        const char *name = json_string_value(item);
        const gr_permission_def *def;

        if (is_wildcard(name)) {
            scope->all_basic = 0;
            scope->has_task = scope->has_task || covers_task_permission(policy, name);
            continue;
        }
        def = find_def(policy, name);
        if (def == NULL && (!policy->sealed || policy->lenient)) {
            scope->pending = 1;
            continue;
        }
        if (def == NULL)
            return gr_error_set(GR_EINVALID,
                                "%s[%zu]: '%s' is not a known permission: neither greenroom nor "
                                "a loaded plugin declares it; see docs/security.md for the list, "
                                "or use a wildcard such as catalog.*",
                                where, i, name);
        if (def->resource_type != NULL)
            scope->all_basic = 0;
        if (def->resource_type != NULL &&
            strcmp(def->resource_type, GR_PERMISSION_SCAFFOLDER_TASK) == 0)
            scope->has_task = 1;
    }
    return GR_OK;
}

/* Checks that the conditions of rule `index` fit the permissions it names. */
static int check_conditions(const rule *r, size_t index, const rule_scope *scope)
{
    if (r->has_resource_condition && scope->all_basic)
        return gr_error_set(GR_EINVALID,
                            "permission.rules[%zu].when: resource conditions (isEntityOwner, "
                            "isTaskOwner, kindIs, has...) need a permission about a resource, "
                            "but every permission of this rule is basic",
                            index);
    if (r->has_task_condition && !scope->has_task)
        return gr_error_set(GR_EINVALID,
                            "permission.rules[%zu].when: isTaskOwner is about tasks, so the rule "
                            "needs scaffolder.task.read or scaffolder.task.cancel (or a wildcard "
                            "such as scaffolder.*) among its permissions",
                            index);
    return GR_OK;
}

static int parse_rule(const gr_permission_policy *policy, const json_t *entry, size_t index,
                      rule *out)
{
    const json_t *allow = json_object_get(entry, "allow");
    const json_t *deny = json_object_get(entry, "deny");
    const json_t *when = json_object_get(entry, "when");
    char *where = gr_xasprintf("permission.rules[%zu]", index);
    char *list_where = gr_xasprintf("%s.%s", where, allow ? "allow" : "deny");
    parse_ctx ctx = {NULL, 0, 0};
    rule_scope scope;
    int rc = GR_OK;
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)entry, key, value)
    {
        if (strcmp(key, "allow") != 0 && strcmp(key, "deny") != 0 && strcmp(key, "when") != 0) {
            rc = gr_error_set(GR_EINVALID, "%s.%s: unknown key; a rule has allow or deny, and "
                                           "when",
                              where, key);
            goto done;
        }
    }
    if ((allow == NULL) == (deny == NULL)) {
        rc = gr_error_set(GR_EINVALID, "%s: a rule needs exactly one of allow or deny, with the "
                                       "permissions it covers",
                          where);
        goto done;
    }
    out->allow = allow != NULL;
    out->permissions = string_list(allow ? allow : deny);
    if (out->permissions == NULL) {
        rc = gr_error_set(GR_EINVALID, "%s: expected a permission name or a list of them",
                          list_where);
        goto done;
    }
    if ((rc = check_permissions(policy, out->permissions, list_where, &scope)) < 0)
        goto done;

    if (when != NULL) {
        char *when_where = gr_xasprintf("%s.when", where);

        ctx.where = when_where;
        out->when = parse_when(when, &ctx, 1);
        free(when_where);
        if (out->when == NULL) {
            rc = GR_EINVALID;
            goto done;
        }
    }
    out->has_resource_condition = ctx.resource_conditions;
    out->has_task_condition = ctx.task_conditions;
    out->pending = scope.pending;
    /* A rule that names undeclared permissions is checked when the policy is sealed. */
    if (!out->pending)
        rc = check_conditions(out, index, &scope);

done:
    free(where);
    free(list_where);
    return rc;
}

/* Declares the permissions of the built-in features. Their names start with their own ids, so they never collide. */
static void declare_builtins(gr_permission_policy *policy)
{
    for (const gr_plugin_def *const *entry = gr_builtin_plugins(); *entry != NULL; entry++) {
        const gr_plugin_def *def = *entry;
        const unsigned char *at = (const unsigned char *)def->permissions;
        size_t stride = def->permission_count > 0 ? def->permissions[0].struct_size : 0;

        for (size_t i = 0; i < def->permission_count; i++) {
            const gr_plugin_permission *item =
                (const gr_plugin_permission *)(const void *)(at + i * stride);

            if (gr_permission_policy_declare(policy, item->name, item->resource_type,
                                             item->action) < 0)
                gr_log(GR_LOG_ERROR, "permission", "%s", gr_error_last());
        }
    }
}

int gr_permission_policy_parse(gr_permission_policy **out, const json_t *permission, bool open)
{
    gr_permission_policy *policy = gr_xcalloc(1, sizeof(*policy));
    const json_t *rules = json_object_get(permission, "rules");
    const json_t *entry;
    size_t index;
    int rc = GR_OK;

    policy->enabled = json_is_true(json_object_get(permission, "enabled"));
    declare_builtins(policy);
    policy->sealed = !open;
    if (rules != NULL && !json_is_array(rules))
        rc = gr_error_set(GR_EINVALID, "permission.rules: expected a list of rules");
    else if (json_array_size(rules) > GR_PERMISSION_MAX_RULES)
        rc = gr_error_set(GR_EINVALID, "permission.rules: at most %d rules are allowed",
                          GR_PERMISSION_MAX_RULES);
    if (rc == GR_OK)
        policy->rules = gr_xcalloc(json_array_size(rules) + 1, sizeof(rule));
    json_array_foreach(rules, index, entry)
    {
        if (rc < 0)
            break;
        if (!json_is_object(entry)) {
            rc = gr_error_set(GR_EINVALID, "permission.rules[%zu]: expected an object with allow "
                                           "or deny",
                              index);
            break;
        }
        rc = parse_rule(policy, entry, index, &policy->rules[policy->count]);
        policy->count++;
    }
    if (rc < 0) {
        gr_permission_policy_free(policy);
        return rc;
    }
    *out = policy;
    return GR_OK;
}

int gr_permission_policy_from_json(gr_permission_policy **out, const json_t *permission)
{
    return gr_permission_policy_parse(out, permission, false);
}

int gr_permission_policy_new(gr_permission_policy **out, const gr_config *cfg)
{
    const json_t *permission = gr_config_node(cfg, "permission");
    json_t *empty = json_object();
    /* Shared-library plugins declare their permissions after the policy is read. */
    bool open = json_array_size(gr_config_node(cfg, "plugins")) > 0;
    int rc = gr_permission_policy_parse(out, permission ? permission : empty, open);

    json_decref(empty);
    return rc;
}

int gr_permission_policy_declare(gr_permission_policy *policy, const char *name,
                                 const char *resource_type, const char *action)
{
    gr_permission_def *def;

    if (policy->sealed)
        return gr_error_set(GR_EINVALID, "permission %s: permissions are declared during start-up "
                                         "only",
                            name);
    if (find_def(policy, name) != NULL)
        return gr_error_set(GR_ECONFLICT, "permission %s exists already", name);
    policy->declared =
        gr_xrealloc(policy->declared, (policy->declared_count + 1) * sizeof(*policy->declared));
    def = &policy->declared[policy->declared_count++];
    def->name = gr_xstrdup(name);
    def->resource_type = resource_type != NULL ? gr_xstrdup(resource_type) : NULL;
    def->action = action != NULL ? gr_xstrdup(action) : NULL;
    return GR_OK;
}

int gr_permission_policy_seal(gr_permission_policy *policy)
{
    policy->sealed = true;
    for (size_t i = 0; i < policy->count; i++) {
        rule *r = &policy->rules[i];
        char *where;
        rule_scope scope;
        int rc;

        if (!r->pending)
            continue;
        where = gr_xasprintf("permission.rules[%zu].%s", i, r->allow ? "allow" : "deny");
        rc = check_permissions(policy, r->permissions, where, &scope);
        free(where);
        if (rc == GR_OK && scope.pending) {
            /* Only when lenient: the rule keeps applying to the names that are known. */
            gr_log(GR_LOG_WARN, "permission",
                   "permission.rules[%zu] names permissions that no loaded plugin declares; "
                   "an optional plugin was skipped, so those names never match",
                   i);
            continue;
        }
        if (rc == GR_OK)
            rc = check_conditions(r, i, &scope);
        if (rc < 0)
            return rc;
        r->pending = 0;
    }
    return GR_OK;
}

void gr_permission_policy_tolerate_missing(gr_permission_policy *policy)
{
    policy->lenient = true;
}

size_t gr_permission_policy_pending(const gr_permission_policy *policy, gr_buf *out)
{
    size_t count = 0;

    for (size_t i = 0; i < policy->count; i++) {
        size_t k;
        const json_t *item;

        json_array_foreach(policy->rules[i].permissions, k, item)
        {
            const char *name = json_string_value(item);

            if (is_wildcard(name) || find_def(policy, name) != NULL)
                continue;
            gr_buf_printf(out, "%s%s", count > 0 ? ", " : "", name);
            count++;
        }
    }
    return count;
}

/* Evaluation. */

static int identity_has(const gr_identity *identity, const json_t *refs, int ownership)
{
    size_t i;
    const json_t *ref;

    json_array_foreach(refs, i, ref)
    {
        const char *wanted = json_string_value(ref);

        if (!ownership && strcasecmp(identity->subject, wanted) == 0)
            return 1;
        for (size_t k = 0; ownership && k < identity->ownership_count; k++) {
            if (strcasecmp(identity->ownership[k], wanted) == 0)
                return 1;
        }
    }
    return 0;
}

static gr_permission__cond owner_condition(const gr_identity *identity)
{
    json_t *claims = json_array();

    if (identity->ownership_count == 0) {
        json_decref(claims);
        return gr_permission__const(0);
    }
    for (size_t i = 0; i < identity->ownership_count; i++)
        json_array_append_new(claims, json_string(identity->ownership[i]));
    return gr_permission__criteria(json_pack("{s:s, s:s, s:{s:o}}", "rule", "IS_ENTITY_OWNER",
                                             "resourceType", GR_PERMISSION_CATALOG_ENTITY,
                                             "params", "claims", claims));
}

/* IS_TASK_OWNER with the user's ref; a service or anonymous caller owns no task. */
static gr_permission__cond task_owner_condition(const gr_identity *identity)
{
    if (strcmp(identity->type, "user") != 0 || identity->subject == NULL)
        return gr_permission__const(0);
    return gr_permission__criteria(json_pack("{s:s, s:s, s:{s:[s]}}", "rule", "IS_TASK_OWNER",
                                             "resourceType", GR_PERMISSION_SCAFFOLDER_TASK,
                                             "params", "createdBy", identity->subject));
}

static gr_permission__cond evaluate_node(const node *n, const gr_identity *identity,
                                        const char *resource_type)
{
    int is_user = strcmp(identity->type, "user") == 0;
    int entity_resource =
        resource_type != NULL && strcmp(resource_type, GR_PERMISSION_CATALOG_ENTITY) == 0;
    int task_resource =
        resource_type != NULL && strcmp(resource_type, GR_PERMISSION_SCAFFOLDER_TASK) == 0;

    switch (n->kind) {
    case NODE_ALL:
    case NODE_ANY: {
        gr_permission__cond *items = gr_xcalloc(n->count, sizeof(*items));
        gr_permission__cond joined;

        for (size_t i = 0; i < n->count; i++)
            items[i] = evaluate_node(n->children[i], identity, resource_type);
        joined = gr_permission__join(items, n->count, n->kind == NODE_ALL);
        free(items);
        return joined;
    }
    case NODE_NOT:
        return gr_permission__not(evaluate_node(n->children[0], identity, resource_type));
    case NODE_IS_USER:
        return gr_permission__const(is_user && identity_has(identity, n->values, 0));
    case NODE_IS_GROUP_MEMBER:
        return gr_permission__const(is_user && identity_has(identity, n->values, 1));
    case NODE_IS_SERVICE:
        return gr_permission__const(strcmp(identity->type, "service") == 0 &&
                                    (json_array_size(n->values) == 0 ||
                                     identity_has(identity, n->values, 0)));
    case NODE_IS_OWNER:
        return entity_resource ? owner_condition(identity) : gr_permission__const(0);
    case NODE_IS_TASK_OWNER:
        return task_resource ? task_owner_condition(identity) : gr_permission__const(0);
    case NODE_RESOURCE:
        return entity_resource ? gr_permission__criteria(json_deep_copy(n->criteria))
                               : gr_permission__const(0);
    }
    return gr_permission__const(0);
}

static int rule_covers(const rule *r, const char *permission)
{
    size_t i;
    const json_t *item;

    json_array_foreach(r->permissions, i, item)
    {
        if (permission_matches(json_string_value(item), permission))
            return 1;
    }
    return 0;
}

void gr_permission_decision_clear(gr_permission_decision *decision)
{
    json_decref(decision->conditions);
    decision->conditions = NULL;
}

int gr_permission_evaluate(const gr_permission_policy *policy, const gr_identity *identity,
                           const char *permission, gr_permission_decision *out)
{
    const gr_permission_def *def = find_def(policy, permission);
    gr_permission__cond result = gr_permission__const(0);

    memset(out, 0, sizeof(*out));
    out->result = GR_PERMISSION_DENY;
    if (def == NULL)
        return gr_error_set(GR_EINVALID, "'%s' is not a known permission", permission);
    if (identity == NULL || identity->type == NULL)
        return GR_OK;
    /* accessRestrictions of external access limit the caller before any
     * policy, the allow-all one included, as in Backstage. */
    if (!gr_auth_restrictions_permit(identity, def->name, def->action))
        return GR_OK;
    if (!policy->enabled) {
        out->result = GR_PERMISSION_ALLOW;
        return GR_OK;
    }

    /* First match wins: folding from the last rule, an allow rule with
     * condition c gives (c OR rest) and a deny rule gives (NOT c AND rest). */
    for (size_t i = policy->count; i-- > 0;) {
        const rule *r = &policy->rules[i];
        gr_permission__cond c;
        gr_permission__cond pair[2];

        if (!rule_covers(r, permission))
            continue;
        c = r->when ? evaluate_node(r->when, identity, def->resource_type)
                    : gr_permission__const(1);
        pair[0] = r->allow ? c : gr_permission__not(c);
        pair[1] = result;
        result = gr_permission__join(pair, 2, !r->allow);
    }

    if (result.decided) {
        out->result = result.value ? GR_PERMISSION_ALLOW : GR_PERMISSION_DENY;
    } else {
        out->result = GR_PERMISSION_CONDITIONAL;
        out->conditions = result.criteria;
        out->resource_type = def->resource_type;
    }
    return GR_OK;
}
