/* SPDX-License-Identifier: MIT */
/* Template entities (scaffolder.backstage.io/v1beta3): parameters, values and task specs. */
#ifndef GR_SCAFFOLDER_SPEC_H
#define GR_SCAFFOLDER_SPEC_H

#include <jansson.h>

/** The apiVersion of the templates the scaffolder runs. */
#define GR_SCAFFOLDER_API_VERSION "scaffolder.backstage.io/v1beta3"

/** Annotation naming where an entity was read from ("file:/x.yaml", "url:https://..."). */
#define GR_SCAFFOLDER_LOCATION_ANNOTATION "backstage.io/managed-by-location"

/** Maximum size of a template file, in bytes. */
#define GR_SCAFFOLDER_MAX_TEMPLATE_BYTES (4u * 1024 * 1024)

/**
 * Checks the parts of a Template entity the scaffolder relies on: kind
 * Template, apiVersion v1beta3, spec.steps a list of objects each with an
 * `action` string, at most GR_SCAFFOLDER_MAX_STEPS steps, unique step ids,
 * parameters an object or a list of objects. Returns 0, or GR_EINVALID
 * naming the field.
 */
int gr_scaffolder_template_check(const json_t *entity);

/** Returns spec.parameters as a list of step schemas (new reference; [] when none). */
json_t *gr_scaffolder_parameter_steps(const json_t *entity);

/**
 * Returns the parameter schema as GET .../parameter-schema does:
 * {title, description, steps: [{title, description, schema}]}. New reference.
 */
json_t *gr_scaffolder_parameter_schema(const json_t *entity);

/**
 * Validates `values` against every parameter step, as Backstage does before
 * it creates a task. Returns 0 when valid; GR_EINVALID with *errors_out (a
 * new array of validation errors, see jsonschema.h) and a message listing
 * them. *errors_out may be NULL when the caller needs no details.
 */
int gr_scaffolder_validate_values(const json_t *entity, const json_t *values, json_t **errors_out);

/**
 * Returns the folder or URL that relative `url` inputs of the template
 * resolve against, from its managed-by-location annotation: "file:///a/b/
 * template.yaml" for "file:/a/b/template.yaml", the URL for "url:". NULL
 * when the entity has no usable location. Caller frees.
 */
char *gr_scaffolder_template_base_url(const json_t *entity);

/**
 * Builds the task spec (Backstage's TaskSpecV1beta3) from a template and its
 * values: {apiVersion, steps, output, parameters, templateInfo: {entityRef,
 * baseUrl, entity: {metadata}}, user: {ref, entity?}}. Steps get the id
 * "step-N" and the name of their action when they have none. `user` may
 * be NULL. Returns a new reference.
 */
json_t *gr_scaffolder_task_spec(const json_t *entity, const json_t *values, const json_t *user);

/**
 * Reads the first Template entity of the YAML file `path`, with the
 * managed-by-location annotation set to the file's absolute path. Returns 0
 * and a new reference in *out; GR_ENOTFOUND when the file holds no
 * Template; GR_EINVALID for bad YAML or a template that
 * gr_scaffolder_template_check() rejects; GR_EBACKEND when it cannot be read.
 */
int gr_scaffolder_template_load(const char *path, json_t **out);

/** Returns "template:namespace/name" in lower case for a template entity. Caller frees. */
char *gr_scaffolder_template_ref(const json_t *entity);

#endif
