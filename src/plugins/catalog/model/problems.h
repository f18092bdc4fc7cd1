/* SPDX-License-Identifier: MIT */
/* A list of validation problems, each tied to a field of one entity. */
#ifndef GR_PLUGINS_CATALOG_MODEL_PROBLEMS_H
#define GR_PLUGINS_CATALOG_MODEL_PROBLEMS_H

#include <jansson.h>
#include <stddef.h>

/** One broken rule: where (JSON pointer into the entity), which rule, and why. */
typedef struct {
    char *pointer; /* e.g. "/spec/owner"; "" for the whole entity */
    char *rule;    /* short rule id, e.g. "required", "type", "name-format" */
    char *message; /* one sentence for people */
    char *value;   /* the offending value as compact JSON, or NULL */
} gr_model_problem;

/** A growable list of problems; start with GR_MODEL_PROBLEMS_INIT. */
typedef struct {
    gr_model_problem *items;
    size_t count;
    size_t cap;
} gr_model_problems;

#define GR_MODEL_PROBLEMS_INIT {NULL, 0, 0}

/**
 * Appends a problem. `pointer`, `rule` and `value` are copied (value may be
 * NULL); the message is formatted. Never fails (allocation aborts).
 */
void gr_model_problems_add(gr_model_problems *list, const char *pointer, const char *rule,
                           const char *value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Returns true when a problem with the same pointer and message is listed. */
int gr_model_problems_contains(const gr_model_problems *list, const char *pointer,
                               const char *message);

/** Maximum length of a value quoted in a problem, in bytes; longer ones end in "...". */
#define GR_MODEL_VALUE_MAX 120

/** Formats `value` as compact JSON for a problem, cut at GR_MODEL_VALUE_MAX; caller frees. */
char *gr_model_value_text(const json_t *value);

/** Returns true for the values JavaScript treats as false: missing, null, false, 0 and "". */
int gr_model_is_falsy(const json_t *value);

/** Frees every problem and empties the list; the list itself stays usable. NULL-safe. */
void gr_model_problems_free(gr_model_problems *list);

#endif
