/* SPDX-License-Identifier: MIT */
/* Catalog filters: the `filter` query parameter and the filter predicate JSON form. */
#ifndef GR_PLUGINS_CATALOG_API_PREDICATE_H
#define GR_PLUGINS_CATALOG_API_PREDICATE_H

#include <jansson.h>
#include <stddef.h>

/*
 * Both forms of a catalog filter end up as one filter predicate, the JSON
 * form of Backstage's catalog (@backstage/filter-predicates):
 *
 *   {"kind": "component"}                       key equals value (any case)
 *   {"spec.type": {"$in": ["service", "website"]}}
 *   {"metadata.tags.java": {"$exists": true}}
 *   {"metadata.name": {"$hasPrefix": "pay"}}
 *   {"metadata.tags": {"$contains": "java"}}
 *   {"relations": {"$contains": {"type": "ownedBy", "targetRef": "group:default/a"}}}
 *   {"$all": [...]}, {"$any": [...]}, {"$not": {...}}
 *
 * An object with several keys asserts all of them. Keys are dotted paths
 * into the entity; values are strings, numbers or booleans.
 */

/** Maximum nesting of $all, $any, $not and $contains in one predicate. */
#define GR_CATALOG_PREDICATE_MAX_DEPTH 32

/** Maximum number of values (leaf values and $in items) in one predicate. */
#define GR_CATALOG_PREDICATE_MAX_VALUES 10000

/**
 * Parses the values of the `filter` query parameter the way Backstage does:
 * each value is a filter set of comma-separated conditions `key`, `key=` or
 * `key=value` (keys and values trimmed, the first '=' splits, so a value may
 * contain '='). Conditions of one set are ANDed, except that repeating a key
 * inside a set ORs its values ($in). Several sets are ORed ($any). Empty
 * sets are skipped. `key` alone means the key exists.
 * On success *out is the predicate (caller frees) or NULL when no set had a
 * condition. Returns 0, or GR_EINVALID naming the statement without a key or
 * the key that starts with '$' or contains a line break.
 */
int gr_catalog_filter_parse(const char *const *filters, size_t count, json_t **out);

/**
 * Checks a filter predicate received as JSON (a POST body's `query`, a
 * cursor's `query`) and returns its normalized copy in *out (caller frees):
 * members of value operators that Backstage ignores are dropped. Returns 0,
 * GR_EINVALID with a message naming the offending part, or GR_ELIMIT past
 * the limits above.
 */
int gr_catalog_predicate_check(const json_t *predicate, json_t **out);

/**
 * Converts the older filter form that cursors may carry ({key, values},
 * {not}, {anyOf}, {allOf}) into a predicate. Returns 0 with *out (caller
 * frees), or GR_EINVALID.
 */
int gr_catalog_predicate_from_legacy(const json_t *filter, json_t **out);

/**
 * Formats a predicate leaf value as text the way JavaScript's String() does
 * for strings, numbers and booleans. Returns a new string (caller frees), or
 * NULL for other JSON types.
 */
char *gr_catalog_predicate_value_text(const json_t *value);

#endif
