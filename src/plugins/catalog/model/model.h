/* SPDX-License-Identifier: MIT */
/* The catalog entity model: known kinds, their schemas, and entity validation. */
#ifndef GR_PLUGINS_CATALOG_MODEL_MODEL_H
#define GR_PLUGINS_CATALOG_MODEL_MODEL_H

#include <jansson.h>

#include "plugins/catalog/model/problems.h"

/*
 * A gr_model holds the schemas of the entity envelope, metadata and every
 * known kind. The built-in kinds are Component, API, Resource, System,
 * Domain, Group, User and Location (backstage.io/v1alpha1 and v1beta1) and
 * Template (scaffolder.backstage.io/v1beta3). Plugins add kinds with
 * gr_model_register_kind() before the model is shared; after that the model
 * is read-only and every function below is thread-safe.
 */
typedef struct gr_model gr_model;

/**
 * Creates a model with the built-in kinds; caller frees with gr_model_free().
 * Returns GR_OK, or GR_EINVALID when an embedded schema is broken (the
 * message names it).
 */
int gr_model_new(gr_model **out);

/** Frees the model. NULL-safe. */
void gr_model_free(gr_model *model);

/**
 * Registers `kind` at `api_version` (both copied). `schema_json` is a JSON
 * schema for the whole entity (it may "$ref" the ids "Entity" and
 * "EntityMeta"), or NULL to accept any spec object. Returns GR_OK, GR_EINVALID for a malformed kind, apiVersion or
 * schema, or GR_ECONFLICT when the pair is already registered.
 */
int gr_model_register_kind(gr_model *model, const char *kind, const char *api_version,
                           const char *schema_json);

/** Returns true when `kind` at `api_version` is built in or registered. */
int gr_model_knows_kind(const gr_model *model, const char *kind, const char *api_version);

/**
 * Checks only the envelope (Backstage's EntityEnvelope schema): an object with
 * string apiVersion and kind and a metadata object with a string name and, if
 * present, a string namespace, none of them empty. Backstage checks this
 * before it resolves placeholders. It also rejects a NUL character in any
 * string or key, because refs and names are used as C strings. Appends
 * problems; returns GR_OK or GR_EINVALID.
 */
int gr_model_check_envelope(const gr_model *model, const json_t *entity,
                            gr_model_problems *problems);

/**
 * Validates one entity the way Backstage's catalog does before it stores
 * it: the envelope, the Entity schema, the root fields, the field formats
 * of metadata (name, namespace, labels, annotations, tags, links) and the
 * schema of its kind. Appends one problem per broken rule to `problems`.
 * When the envelope is broken (not an object, or no apiVersion, kind or
 * metadata.name) only the envelope problems are reported.
 * Returns GR_OK when nothing was added, GR_EINVALID otherwise.
 * `entity` is borrowed and not changed.
 */
int gr_model_validate(const gr_model *model, const json_t *entity, gr_model_problems *problems);

/**
 * Formats the reference of `entity` as Backstage's stringifyEntityRef does:
 * "kind:namespace/name" in lower case, namespace "default" when missing.
 * Missing or non-string kind or name become "<unknown>". Caller frees.
 */
char *gr_model_entity_ref(const json_t *entity);

#endif
