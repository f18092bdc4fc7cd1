/* SPDX-License-Identifier: MIT */
/* Search access from the permission policy: catalog.entity.read conditions as SQL. */
#ifndef GR_PLUGINS_SEARCH_ACCESS_H
#define GR_PLUGINS_SEARCH_ACCESS_H

#include <jansson.h>

#include "plugins/search/search.h"

/**
 * A gr_search_access_fn whose payload is a gr_permission_policy (borrowed).
 * It evaluates catalog.entity.read for the caller (a gr_identity, or NULL):
 * ALLOW and DENY map to the same decisions, and CONDITIONAL becomes SQL
 * over catalog_search through gr_search_criteria_sql(). A disabled policy
 * allows everything. Returns 0, or the error of gr_permission_evaluate().
 */
int gr_search_permission_access(void *payload, const void *caller, const char *id_column,
                                gr_search_access *out);

/**
 * Appends to out->sql a boolean expression that is true for the entities
 * whose id is in `id_column` and that `criteria` (Backstage's
 * PermissionCriteria: allOf, anyOf, not, and the rules IS_ENTITY_KIND,
 * IS_ENTITY_OWNER, HAS_ANNOTATION, HAS_LABEL, HAS_METADATA, HAS_SPEC)
 * matches, as subqueries on catalog_search's lower-case keys. Kinds and
 * owner refs compare case-insensitively and other values exactly, as
 * gr_permission_criteria_match() does; an unknown rule matches nothing.
 */
void gr_search_criteria_sql(const json_t *criteria, const char *id_column,
                            gr_search_access *out);

#endif
