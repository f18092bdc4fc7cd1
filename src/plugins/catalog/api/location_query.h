/* SPDX-License-Identifier: MIT */
/* The filter predicate of POST /locations/by-query, matched against registered locations. */
#ifndef GR_PLUGINS_CATALOG_API_LOCATION_QUERY_H
#define GR_PLUGINS_CATALOG_API_LOCATION_QUERY_H

#include <jansson.h>
#include <stdbool.h>

/**
 * Matches one location ({id, type, target, entityRef}) against a filter predicate, as
 * @backstage/plugin-catalog-backend 4.0.5 does for POST /locations/by-query: the keys are id, type,
 * target and entityRef in any case. A string, number or boolean equals the field in any case.
 * {"$in": [...]} matches any of its values (exactly for id), {"$hasPrefix": "..."} a prefix in
 * any case, {"$exists": bool} whether the field is set, and {"$contains": ...} matches nothing.
 * {"$all": [...]}, {"$any": [...]} and {"$not": {...}} combine predicates.
 * Returns 1 on a match, 0 otherwise, or GR_EINVALID (message set) for an invalid predicate or
 * one nested deeper than GR_CATALOG_PREDICATE_MAX_DEPTH. Thread-safe; borrows both arguments.
 */
int gr_catalog_location_matches(const json_t *predicate, const json_t *location);

#endif
