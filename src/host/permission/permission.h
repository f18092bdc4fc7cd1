/* SPDX-License-Identifier: MIT */
/* Permissions: the declarative policy from `permission.rules` and its evaluation for an identity. */
#ifndef GR_HOST_PERMISSION_PERMISSION_H
#define GR_HOST_PERMISSION_PERMISSION_H

#include <jansson.h>
#include <stdbool.h>

#include "host/auth/identity.h"
#include "host/common/buf.h"

typedef struct gr_config gr_config;
typedef struct gr_permission_policy gr_permission_policy;

/** Maximum number of rules in `permission.rules`. */
#define GR_PERMISSION_MAX_RULES 512
/** Maximum nesting of allOf / anyOf / not in one rule's `when`. */
#define GR_PERMISSION_MAX_DEPTH 8

/** Resource type of permissions about catalog entities, as Backstage names it. */
#define GR_PERMISSION_CATALOG_ENTITY "catalog-entity"
/** Resource type of scaffolder.task.read and scaffolder.task.cancel, as Backstage names it. */
#define GR_PERMISSION_SCAFFOLDER_TASK "scaffolder-task"

/** A permission that greenroom checks. */
typedef struct gr_permission_def {
    const char *name;          /* "catalog.entity.read" */
    const char *resource_type; /* "catalog-entity", ..., or NULL for a basic permission */
    const char *action;        /* "read", "create", "update", "delete", or NULL */
} gr_permission_def;

/** The outcome of an evaluation. */
typedef enum {
    GR_PERMISSION_ALLOW,
    GR_PERMISSION_DENY,
    /* Allowed for the resources that match `conditions` only. */
    GR_PERMISSION_CONDITIONAL,
} gr_permission_result;

/*
 * Conditions use Backstage's PermissionCriteria form, so a catalog that
 * already speaks it can translate them into its filter SQL:
 *   {"rule": "IS_ENTITY_OWNER", "resourceType": "catalog-entity",
 *    "params": {"claims": ["user:default/jane", "group:default/team-a"]}}
 *   {"allOf": [criteria, ...]}   {"anyOf": [criteria, ...]}   {"not": criteria}
 * Rules (catalog-entity): IS_ENTITY_KIND {kinds}, IS_ENTITY_OWNER {claims},
 * HAS_ANNOTATION {annotation, value?}, HAS_LABEL {label},
 * HAS_METADATA {key, value?}, HAS_SPEC {key, value?}.
 * Rules (scaffolder-task): IS_TASK_OWNER {createdBy}, the user refs whose
 * tasks match (a task's `createdBy`, compared exactly).
 */
typedef struct {
    gr_permission_result result;
    json_t *conditions;        /* CONDITIONAL only: the criteria tree; owned */
    const char *resource_type; /* CONDITIONAL only: the permission's resource type (static) */
} gr_permission_decision;

/**
 * Reads `permission.enabled` and `permission.rules`. Returns 0 and *out
 * (caller frees with gr_permission_policy_free()), or GR_EINVALID naming the
 * rule and key at fault: an unknown permission or condition, a resource
 * condition on a rule whose permissions are all basic, isTaskOwner on a rule
 * without a scaffolder-task permission, nesting deeper than
 * GR_PERMISSION_MAX_DEPTH, more than GR_PERMISSION_MAX_RULES rules.
 */
int gr_permission_policy_new(gr_permission_policy **out, const gr_config *cfg);

/** Builds a sealed policy from the JSON value of `permission` (for tests and tools). */
int gr_permission_policy_from_json(gr_permission_policy **out, const json_t *permission);

/**
 * Builds a policy from the JSON value of `permission`. With `open`, a rule
 * may name a permission that is not known yet, because a plugin loaded later
 * may declare it with gr_permission_policy_declare().
 * gr_permission_policy_seal() then checks that rule. Without `open`, the
 * policy is sealed at once. gr_permission_policy_new() opens it when
 * `plugins:` lists libraries.
 */
int gr_permission_policy_parse(gr_permission_policy **out, const json_t *permission, bool open);

/**
 * Adds a permission a plugin declared (strings copied). GR_ECONFLICT when
 * the name exists, GR_EINVALID once the policy is sealed. Start-up only:
 * not thread-safe.
 */
int gr_permission_policy_declare(gr_permission_policy *policy, const char *name,
                                 const char *resource_type, const char *action);

/**
 * Ends the declarations and checks the rules that named unknown permissions:
 * GR_EINVALID naming the rule when a permission is still unknown or does not
 * fit the rule's conditions. Start-up only: not thread-safe.
 */
int gr_permission_policy_seal(gr_permission_policy *policy);

/**
 * Makes gr_permission_policy_seal() warn about, instead of reject, the
 * permissions no plugin declared, because an optional plugin that might
 * have declared them was skipped. Start-up only: not thread-safe.
 */
void gr_permission_policy_tolerate_missing(gr_permission_policy *policy);

/** Appends the unknown permissions the rules name to `out`, comma-separated; returns how many. */
size_t gr_permission_policy_pending(const gr_permission_policy *policy, gr_buf *out);

/**
 * Detects a policy that denies every permission check because it is enabled
 * without rules. Backstage's create-app config has this shape and relies on
 * an allow-all policy module, which greenroom does not have. For such a
 * policy, appends what is wrong to `problem` and what to write instead to
 * `fix`, each without a final period, and returns true. Thread-safe.
 */
bool gr_permission_policy_denies_all(const gr_permission_policy *policy, gr_buf *problem,
                                     gr_buf *fix);

/** Frees a policy. NULL-safe. */
void gr_permission_policy_free(gr_permission_policy *policy);

/** Returns whether `permission.enabled` is true. */
bool gr_permission_enabled(const gr_permission_policy *policy);

/**
 * Returns whether every permission is allowed to `identity` without an
 * evaluation: when `policy` is NULL, or when it is disabled and `identity`
 * (may be NULL) has no accessRestrictions. A restricted identity is always
 * evaluated, because its restrictions apply under a disabled policy too.
 */
bool gr_permission_allows_all(const gr_permission_policy *policy, const gr_identity *identity);

/**
 * Evaluates `permission` for `identity`. Rules are read in order and the
 * first rule that applies decides, so for each resource the result is that
 * of the first rule whose permissions match and whose `when` holds; when no
 * rule applies the result is DENY. Identity conditions (isUser,
 * isGroupMember, isService) are decided here; resource conditions make the
 * result CONDITIONAL: entity conditions for catalog-entity permissions,
 * isTaskOwner for scaffolder-task ones (for a user: IS_TASK_OWNER with the
 * user's ref; any other identity owns no task). A condition about another
 * resource type never holds. With the policy disabled every identity is allowed
 * everything, as Backstage's allow-all policy does. Before any rule, a
 * service identity with accessRestrictions is denied every permission that
 * its restriction does not list (gr_auth_restrictions_permit()).
 * `identity` NULL is always denied. Returns 0 and fills *out (clear with
 * gr_permission_decision_clear()), or GR_EINVALID for an unknown permission.
 * Thread-safe.
 */
int gr_permission_evaluate(const gr_permission_policy *policy, const gr_identity *identity,
                           const char *permission, gr_permission_decision *out);

/** Releases the conditions of a decision. Safe to call twice. */
void gr_permission_decision_clear(gr_permission_decision *decision);

/**
 * Applies a criteria tree to one catalog entity (JSON as the catalog API
 * returns it) or one scaffolder task (JSON as gr_task_get() returns it, for
 * IS_TASK_OWNER). Returns 1 when it matches, 0 when not; an unknown rule
 * never matches.
 */
int gr_permission_criteria_match(const json_t *criteria, const json_t *entity);

/**
 * Checks one permission for one resource: evaluates it and, when the result
 * is CONDITIONAL, applies the conditions to `entity` (NULL for basic
 * permissions, which then count as denied). A denial is written to the audit
 * log with `resource_ref` and `path` (both may be NULL). Returns 0 when
 * allowed, GR_EDENIED with a message naming the permission, or GR_EINVALID.
 */
int gr_permission_authorize(const gr_permission_policy *policy, const gr_identity *identity,
                            const char *permission, const json_t *entity,
                            const char *resource_ref, const char *path);

/** Returns "ALLOW", "DENY" or "CONDITIONAL". */
const char *gr_permission_result_name(gr_permission_result result);

#endif
