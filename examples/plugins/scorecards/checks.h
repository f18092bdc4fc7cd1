/* SPDX-License-Identifier: MIT */
/* Scorecard checks: what each configured check requires of an entity, and the evaluation. */
#ifndef SCORECARDS_CHECKS_H
#define SCORECARDS_CHECKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/** Maximum number of checks in the config. */
#define SCORECARDS_MAX_CHECKS 64

/** The kinds of check. */
typedef enum {
    CHECK_OWNER_EXISTS = 1, /* spec.owner is set and names an entity of the catalog */
    CHECK_ANNOTATION,       /* metadata.annotations has a non-empty `annotation` */
    CHECK_FIELD,            /* the dotted `field` is present and not empty */
    CHECK_API_DEFINITION,   /* an API's spec.definition is present and parses */
} check_type;

/** One configured check; strings are borrowed from the plugin's config. */
typedef struct {
    const char *id;
    const char *title;
    check_type type;
    const char *argument; /* the annotation key or field path */
    const char *kinds;    /* comma-separated kinds it applies to, or NULL for all scored kinds */
    int weight;
} check_def;

/** Looks up whether an entity ref exists; returns true when it does. */
typedef bool (*check_exists_fn)(const char *ref, void *payload);

/**
 * Parses a check type name ("owner-exists", "annotation", "field",
 * "api-definition"). Returns 0 when the name is unknown.
 */
check_type check_type_parse(const char *name);

/** Returns whether `check` applies to `entity` (its kinds filter). */
bool check_applies(const check_def *check, const json_t *entity);

/**
 * Runs one check on `entity`. `exists` looks up owners. Returns true
 * when the entity passes.
 */
bool check_run(const check_def *check, const json_t *entity, check_exists_fn exists,
               void *payload);

/** Returns whether `list` (comma-separated, any case) contains `value`. */
bool check_in_list(const char *list, const char *value);

/**
 * Builds the full ref of spec.owner ("team-a" is "group:<namespace>/team-a")
 * into `out` in lower case. Returns false when the entity has no owner.
 */
bool check_owner_ref(const json_t *entity, char *out, size_t size);

#endif
