/* SPDX-License-Identifier: MIT */
/* JSON Schema validation of template values and action inputs, reported as Backstage reports it. */
#ifndef GR_SCAFFOLDER_JSONSCHEMA_H
#define GR_SCAFFOLDER_JSONSCHEMA_H

#include <jansson.h>

/*
 * Backstage's scaffolder validates task values with the `jsonschema` npm
 * package, once per parameter step, and returns its errors in a 400 body.
 * This validator covers the draft-07 keywords that template parameters
 * use: type, enum, const, required, properties, additionalProperties,
 * patternProperties, dependencies (property lists and schemas, the form
 * behind conditional fields), items (one schema or a tuple),
 * additionalItems, minItems, maxItems, uniqueItems, contains, minLength,
 * maxLength (in code points), pattern, format (email, uri, date,
 * date-time), minimum, maximum, exclusiveMinimum, exclusiveMaximum (number
 * and boolean forms), multipleOf, minProperties, maxProperties, allOf,
 * anyOf, oneOf, not, if/then/else, and local "$ref" ("#/definitions/x").
 * Keywords starting with "ui:" and annotations are ignored.
 *
 * Each error is an object shaped like the package's ValidationError:
 *   {"path": ["owner"], "property": "instance.owner", "message": "is not of a type(s) string",
 *    "name": "type", "argument": ["string"], "stack": "instance.owner is not of a type(s) string"}
 *
 * Patterns are ECMAScript regular expressions; they are translated to POSIX
 * extended expressions (\d \w \s and their negations, (?: groups, lazy
 * quantifiers). Look-around and back-references cannot be translated and
 * make the pattern invalid.
 */

/** Maximum nesting of schemas and values that validation descends into. */
#define GR_JSONSCHEMA_MAX_DEPTH 64
/** Maximum number of errors reported for one validation. */
#define GR_JSONSCHEMA_MAX_ERRORS 100

/**
 * Validates `instance` (borrowed; NULL means absent, as `undefined` in
 * JavaScript) against `schema` (borrowed). Appends every error to `errors`
 * (a JSON array). Returns the number of errors added; a schema that cannot
 * be used (a pattern that does not compile) counts as an error that names it.
 * Thread-safe.
 */
size_t gr_jsonschema_validate(const json_t *schema, const json_t *instance, json_t *errors);

/**
 * Joins the "stack" texts of `errors` with "; " into one message for logs
 * and error responses. Caller frees.
 */
char *gr_jsonschema_errors_text(const json_t *errors);

#endif
