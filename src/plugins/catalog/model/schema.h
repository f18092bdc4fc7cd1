/* SPDX-License-Identifier: MIT */
/* A JSON Schema (draft-07 subset) evaluator for entity schemas. */
#ifndef GR_PLUGINS_CATALOG_MODEL_SCHEMA_H
#define GR_PLUGINS_CATALOG_MODEL_SCHEMA_H

#include <jansson.h>

#include "plugins/catalog/model/problems.h"

/*
 * Supported keywords: $id and $ref, type, enum, const, required,
 * properties, patternProperties, additionalProperties, items (one schema),
 * minItems, maxItems, minLength, maxLength (counted in code points), pattern,
 * minimum, maximum, allOf, anyOf, oneOf, not, if/then/else. Other keywords
 * (title, description, default, examples, deprecated, UI hints) are
 * ignored, as Ajv ignores annotations. A "$ref" names another schema's
 * "$id", or "#name" for a definition whose "$id" is "#name". Error messages follow Ajv 8's wording
 * so that they read like Backstage's.
 */
typedef struct gr_schema_set gr_schema_set;

/** A compiled schema node; owned by its set. */
typedef struct gr_schema gr_schema;

/** Creates an empty set; caller frees with gr_schema_set_free(). */
gr_schema_set *gr_schema_set_new(void);

/** Frees the set and every schema in it. NULL-safe. */
void gr_schema_set_free(gr_schema_set *set);

/**
 * Parses `text` (a JSON schema with a top-level "$id") and adds it to the set.
 * `source_name` names the text in errors. Returns GR_OK, or GR_EINVALID when
 * the text is not JSON, has no "$id", reuses an "$id" or contains a pattern that
 * does not compile. Not thread-safe: add every schema before validating.
 */
int gr_schema_set_add(gr_schema_set *set, const char *text, const char *source_name);

/**
 * Like gr_schema_set_add(), but registers the schema under `id` and ignores
 * its own "$id", because plugin schemas may reuse ids.
 */
int gr_schema_set_add_as(gr_schema_set *set, const char *text, const char *id,
                         const char *source_name);

/** Finds the schema whose "$id" is `id`; borrowed, or NULL. */
const gr_schema *gr_schema_set_find(const gr_schema_set *set, const char *id);

/**
 * Validates `instance` against `schema` (a schema of `set`) and appends one
 * problem per failed keyword, with the keyword as the rule. A "$ref" to
 * `skip_ref` (may be NULL) is not followed, so that a caller that already
 * validated the Entity schema can skip it inside a kind's schema. Returns
 * the number of problems added. Thread-safe once every schema was added.
 */
size_t gr_schema_validate(const gr_schema_set *set, const gr_schema *schema,
                          const json_t *instance, const char *skip_ref,
                          gr_model_problems *problems);

#endif
