/* SPDX-License-Identifier: MIT */
/* Processing of one entity in memory: placeholders, policies, validation, relations, children. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_PROCESS_H
#define GR_PLUGINS_CATALOG_ENGINE_PROCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/engine/util.h"

/**
 * Maximum bytes of children's JSON a result keeps in memory. Beyond it, the
 * JSON of further children goes to a temporary file, so a Location that
 * emits 100,000 entities keeps their refs and hashes in memory but not their
 * text.
 */
#define GR_CATALOG_DEFERRED_MEMORY ((size_t)8 << 20)

/** A child entity a Location emitted. */
typedef struct {
    char *ref;          /* lower-case kind:namespace/name */
    char *json;         /* the unprocessed entity, compact JSON, or NULL when spilled */
    long offset;        /* where the JSON starts in the result's spill file */
    size_t len;         /* length of the JSON in bytes */
    char hash[GR_CATALOG_HASH_SIZE];
    const char *location_key; /* "type:target" of the file it came from (owned by the result) */
} gr_catalog_deferred;

/** A relation emitted from an entity's spec; `type` is static. */
typedef struct {
    char *source;
    const char *type;
    char *target;
} gr_catalog_relation;

/** What processing one entity produced. */
typedef struct {
    bool ok;        /* false: keep the last good version and store only the errors */
    json_t *errors; /* array of {name, message[, cause]}, as Backstage serializes errors */
    json_t *entity; /* the processed entity when ok */
    gr_catalog_deferred *deferred;
    size_t deferred_count;
    size_t deferred_cap;
    size_t deferred_held;   /* bytes of children's JSON in memory */
    FILE *spill;            /* children's JSON beyond GR_CATALOG_DEFERRED_MEMORY, or NULL */
    long spill_end;         /* bytes written to `spill`, where the next child's JSON starts */
    bool spill_failed;      /* a write to `spill` failed: further children stay in memory */
    char *spill_buffer;     /* the JSON last read back from `spill` */
    size_t spill_buffer_cap;
    char **location_keys;   /* the distinct location keys of the children */
    size_t location_key_count;
    gr_catalog_relation *relations;
    size_t relation_count;
    size_t relation_cap;
    char **refresh_keys;
    size_t refresh_key_count;
    size_t refresh_key_cap;
} gr_catalog_result;

/**
 * Processes an unprocessed entity (borrowed) the way Backstage's
 * orchestrator does: envelope check, placeholders, sorted spec lists,
 * location annotations, default namespace, validation, Location targets
 * read and parsed into children, relations from the spec, and the catalog
 * rules on every child. Failures become errors in `out`; the function
 * itself only fails on programming errors. Thread-safe.
 */
void gr_catalog__process(gr_catalog *catalog, const json_t *unprocessed, gr_catalog_result *out);

/**
 * Does what gr_catalog__process() does with an entity it takes over: the
 * steps change `unprocessed` in place instead of a copy, and the function
 * releases the caller's reference.
 */
void gr_catalog__process_owned(gr_catalog *catalog, json_t *unprocessed, gr_catalog_result *out);

/** Frees a result. NULL-safe. */
void gr_catalog__result_free(gr_catalog_result *result);

/**
 * Returns the JSON of child `index` (borrowed: valid until the next call
 * for this result or its release), or NULL when reading it back from the
 * spill file failed (message set).
 */
const char *gr_catalog__deferred_json(gr_catalog_result *result, size_t index);

/** Drops the children from `count` on. */
void gr_catalog__deferred_truncate(gr_catalog_result *result, size_t count);

/** Frees what one child owns; its location key stays with the result. */
void gr_catalog__deferred_free(gr_catalog_deferred *child);

/**
 * Appends a serialized error {name, message} to `errors`; with a cause, the
 * message ends in "; caused by <cause name>: <cause message>" and the cause
 * is kept, as @backstage/errors does.
 */
void gr_catalog__error_push(json_t *errors, const char *name, const char *message,
                            const char *cause_name, const char *cause_message);

/**
 * Builds the Location entity Backstage makes for a registered location:
 * name "generated-<sha1>", annotations pointing at the location itself.
 * Caller releases.
 */
json_t *gr_catalog__location_entity(const char *type, const char *target);

/**
 * Validates an entity without reading anything (POST /validate-entity):
 * stores errors in *errors_out (caller releases). Returns 0 or GR_EINVALID.
 */
int gr_catalog__validate(gr_catalog *catalog, const json_t *entity, const char *location,
                         json_t **errors_out);

#endif
