/* SPDX-License-Identifier: MIT */
/* Catalog rules for `greenroom catalog validate --config FILE`: the kinds each file may hold. */
#ifndef GR_PLUGINS_CATALOG_CLI_VALIDATE_RULES_H
#define GR_PLUGINS_CATALOG_CLI_VALIDATE_RULES_H

#include <jansson.h>
#include <stddef.h>

#include "plugins/catalog/model/problems.h"

typedef struct gr_catalog_validate_rules gr_catalog_validate_rules;

/**
 * A location that the engine would read a checked file from, and whose
 * rules therefore apply to the file's entities: an entry of
 * catalog.locations, or the file itself when no entry names it.
 */
typedef struct {
    char *target;      /* absolute path or glob of the file location */
    long config_index; /* index in catalog.locations, or -1 for the file itself */
} gr_catalog_validate_origin;

/** The origins of one checked file. Start it with GR_CATALOG_VALIDATE_ORIGINS_INIT. */
typedef struct {
    gr_catalog_validate_origin *items;
    size_t count;
} gr_catalog_validate_origins;

#define GR_CATALOG_VALIDATE_ORIGINS_INIT {NULL, 0}

/**
 * Loads the app config from `files` (borrowed, `count` of them, at least one)
 * with the loader of `greenroom serve`, so that merging, ${VAR} substitution,
 * includes and APP_CONFIG_ overrides work the same, and reads its catalog
 * rules and locations as the engine does. Relative file targets of
 * catalog.locations are resolved against the current folder, as the server
 * resolves them. Returns 0 and a caller-owned value in *out (free with
 * gr_catalog_validate_rules_free()), or an error code with gr_error_last()
 * naming the file and the key.
 */
int gr_catalog_validate_rules_load(gr_catalog_validate_rules **out, const char *const *files,
                                   size_t count);

/** Frees what gr_catalog_validate_rules_load() made. NULL-safe. */
void gr_catalog_validate_rules_free(gr_catalog_validate_rules *rules);

/**
 * Finds the origins of the file whose real path (symbolic links resolved) is
 * `real_path`: every file entry of catalog.locations whose target is that
 * file or a glob that matches it, in config order, or else the file itself.
 * Appends them to `out`, which the caller frees with
 * gr_catalog_validate_origins_free().
 */
void gr_catalog_validate_rules_origins(const gr_catalog_validate_rules *rules,
                                       const char *real_path, gr_catalog_validate_origins *out);

/** Frees the origins and empties the list. NULL-safe. */
void gr_catalog_validate_origins_free(gr_catalog_validate_origins *origins);

/**
 * Checks the kind (and spec.type) of `entity`, whose envelope is valid, against the
 * rules of each origin, as the engine checks entities that a location emits.
 * Adds one problem with the rule "catalog-rules" at "/kind" for each origin
 * whose rules do not allow the kind. The message names the kind, the config keys the
 * rules come from, the kinds they allow and where to add the kind.
 */
void gr_catalog_validate_rules_check(const gr_catalog_validate_rules *rules,
                                     const gr_catalog_validate_origins *origins,
                                     const json_t *entity, gr_model_problems *problems);

#endif
