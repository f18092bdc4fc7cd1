/* SPDX-License-Identifier: MIT */
/* Catalog permissions as filter predicates, so that every entity query applies them in SQL. */
#ifndef GR_PLUGINS_CATALOG_PERMISSION_ACCESS_H
#define GR_PLUGINS_CATALOG_PERMISSION_ACCESS_H

#include <jansson.h>

#include "host/auth/identity.h"
#include "host/permission/permission.h"
#include "host/store/db.h"

/*
 * A permission decision about catalog entities becomes an "access
 * predicate" in the filter predicate form of predicate.h: NULL when every
 * entity is allowed, {"$any": []} (matches nothing) when none is, or the
 * translation of the policy's conditions. ANDing it into the filter of a
 * query makes gr_catalog_filter_to_sql() apply it inside the statement, so
 * lists, counts, facets and batches never include an entity the caller may
 * not see, and no entity is loaded to decide.
 */

/**
 * Translates a PermissionCriteria tree of catalog-entity rules into a
 * filter predicate that matches the same entities, as Backstage's catalog
 * turns its permission rules into queries:
 *   IS_ENTITY_KIND {kinds}               kind in kinds
 *   IS_ENTITY_OWNER {claims}             relations.ownedBy in claims
 *   HAS_ANNOTATION {annotation, value?}  metadata.annotations.<annotation> exists (= value)
 *   HAS_LABEL {label, value?}            metadata.labels.<label> exists (= value)
 *   HAS_METADATA {key, value?}           metadata.<key> exists (= value)
 *   HAS_SPEC {key, value?}               spec.<key> exists (= value)
 *   allOf, anyOf, not                    $all, $any, $not
 * Values compare case-insensitively, as every catalog filter does. An
 * unknown rule, malformed parameters or nesting deeper than
 * GR_PERMISSION_MAX_DEPTH match nothing. Returns a new predicate (caller
 * frees). Thread-safe.
 */
json_t *gr_catalog_criteria_predicate(const json_t *criteria);

/**
 * Evaluates the catalog-entity permission `permission` (such as
 * "catalog.entity.read") for `identity` and stores the access predicate in
 * *out (caller frees; NULL when every entity is allowed). A NULL policy
 * allows everything, and so does a disabled one unless `identity` has
 * accessRestrictions, which then decide as under an enabled policy.
 * Returns 0, or GR_EINVALID for an unknown permission. Thread-safe.
 */
int gr_catalog_access_get(const gr_permission_policy *policy, const gr_identity *identity,
                          const char *permission, json_t **out);

/**
 * Returns `filter` ANDed with `access` as a new reference (caller frees):
 * either one alone when the other is NULL, NULL when both are.
 */
json_t *gr_catalog_access_and(const json_t *filter, const json_t *access);

/**
 * Checks a basic permission (one that names no resource, such as
 * "catalog.location.create") for `identity`. A NULL policy allows
 * everything, and a disabled one everything that the accessRestrictions of
 * `identity` permit. A denial is written to the audit log with `path`.
 * Returns 0, GR_EDENIED with a message naming the permission, or
 * GR_EINVALID for an unknown permission. Thread-safe.
 */
int gr_catalog_permission_require(const gr_permission_policy *policy, const gr_identity *identity,
                                  const char *permission, const char *path);

/** The column that names the entity in gr_catalog_permission_check(). */
typedef enum {
    GR_CATALOG_BY_REF, /* catalog_final_entities.entity_ref, "kind:namespace/name" in lower case */
    GR_CATALOG_BY_UID, /* catalog_final_entities.entity_id, the entity's metadata.uid */
} gr_catalog_entity_key;

/**
 * Checks that `identity` may apply `permission` (a catalog-entity
 * permission) to one entity. An entity that does not exist and one the
 * caller may not read (catalog.entity.read) both give GR_ENOTFOUND without
 * a message, so that the response never shows that an unreadable entity
 * exists. A readable entity that the conditions of `permission` do not
 * cover gives GR_EDENIED, written to the audit log with `path`. Both
 * conditions run as SQL on a read connection of `db`. A NULL policy, a
 * disabled one for an identity without accessRestrictions, and decisions
 * that allow both permissions without conditions pass every check without
 * reading `db`, so the caller's own lookup reports a missing entity. That
 * lookup may find rows without a final entity, such as one whose first
 * processing failed.
 * A disabled policy checks a restricted identity as an enabled one does.
 * Returns 0, GR_ENOTFOUND, GR_EDENIED,
 * GR_EINVALID or a database error. Thread-safe.
 */
int gr_catalog_permission_check(gr_db *db, const gr_permission_policy *policy,
                                const gr_identity *identity, const char *permission,
                                gr_catalog_entity_key key, const char *value, const char *path);

/**
 * Returns 1 when the entity whose `key` column equals `value` exists and
 * `access` (may be NULL) matches it, 0 when not, or a negative database
 * error. Thread-safe.
 */
int gr_catalog_access_matches(gr_db *db, const json_t *access, gr_catalog_entity_key key,
                              const char *value);

#endif
