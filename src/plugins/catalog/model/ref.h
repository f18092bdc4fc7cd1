/* SPDX-License-Identifier: MIT */
/* Entity references: "[kind:][namespace/]name" parsing, formatting and comparison. */
#ifndef GR_PLUGINS_CATALOG_MODEL_REF_H
#define GR_PLUGINS_CATALOG_MODEL_REF_H

#include <jansson.h>

/** A parsed reference; the strings are owned and keep the case they were written in. */
typedef struct {
    char *kind;
    char *namespace;
    char *name;
} gr_entity_ref;

#define GR_ENTITY_REF_INIT {NULL, NULL, NULL}

/** The namespace of entities that name none. */
#define GR_MODEL_DEFAULT_NAMESPACE "default"

/**
 * Parses `text` the way Backstage's parseEntityRef does: the kind ends at the
 * first ':' unless a '/' comes before it, the namespace ends at the first '/',
 * the rest is the name (so "a:b/c/d" names "c/d"). A missing kind becomes
 * `default_kind` (may be NULL), a missing namespace `default_namespace`
 * (NULL means "default"). Returns GR_OK and fills `out` (free with
 * gr_entity_ref_free), or GR_EINVALID with a message naming the reference
 * when it is empty, has an empty part, or has no kind and no default.
 */
int gr_model_ref_parse(const char *text, const char *default_kind, const char *default_namespace,
                       gr_entity_ref *out);

/**
 * Parses a reference given as JSON: a string as gr_model_ref_parse(), or an
 * object with "kind", "namespace" and "name" members (each optional, with
 * the same defaults). null, false, 0 and "" are empty references.
 * Returns GR_OK or GR_EINVALID as gr_model_ref_parse().
 */
int gr_model_ref_parse_json(const json_t *value, const char *default_kind,
                            const char *default_namespace, gr_entity_ref *out);

/** Formats "kind:namespace/name" in lower case, as Backstage's stringifyEntityRef. Caller frees. */
char *gr_model_ref_format(const gr_entity_ref *ref);

/** Compares two references ignoring ASCII case; returns <0, 0 or >0. */
int gr_model_ref_compare(const gr_entity_ref *a, const gr_entity_ref *b);

/** Copies `ref` into `out` (caller frees with gr_entity_ref_free). */
void gr_entity_ref_copy(gr_entity_ref *out, const gr_entity_ref *ref);

/** Frees the strings of `ref` and resets it. NULL-safe. */
void gr_entity_ref_free(gr_entity_ref *ref);

/**
 * Returns the kind assumed for a reference in spec field `field` when the
 * reference names none: owner and parent and children and memberOf -> Group,
 * system -> System, domain and subdomainOf -> Domain, providesApis and
 * consumesApis -> API, subcomponentOf -> Component, members -> User. Returns
 * NULL for dependsOn, dependencyOf and unknown fields, whose references must
 * name their kind. Borrowed static string.
 */
const char *gr_model_ref_default_kind(const char *field);

#endif
