/* SPDX-License-Identifier: MIT */
/* Types and helpers shared by the files of the config module, not used outside it. */
#ifndef GR_HOST_CONFIG_INTERNAL_H
#define GR_HOST_CONFIG_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "host/common/buf.h"
#include "host/config/config.h"

/*
 * The origin tree has the shape of the value tree. Each of its nodes is a
 * JSON array [file, line, column, children]. `file` indexes gr_config.files,
 * or is GR_CONFIG__FILE_DEFAULT for a filled-in default. `line` and `column`
 * are 1-based, and 0 when the source has no lines. `children` is an object
 * of member origins for an object value, an array of item origins for an
 * array value, and null for a scalar.
 */
#define GR_CONFIG__FILE_DEFAULT (-1)

struct gr_config {
    json_t *root;    /* the merged, validated tree; always an object */
    json_t *origins; /* origin tree of root */
    char **files;    /* names that origins refer to: paths and environment variables */
    size_t file_count;
    size_t files_read; /* files read so far, checked against GR_CONFIG_MAX_FILES */
    json_t *secrets;   /* object whose keys are the paths of values declared secret */
    json_t *undefined; /* path -> name of the unset environment variable that removed it */
};

/** Problems found while loading, kept as text lines `file:line: path: message`. */
typedef struct {
    gr_buf text;
    int count;
    int code; /* error code of the first problem */
} gr_config__errors;

/** Adds `name` (copied) to cfg->files unless present; returns its index. */
int gr_config__add_file(gr_config *cfg, const char *name);

/** Returns the file name an origin file index stands for (borrowed). */
const char *gr_config__file_name(const gr_config *cfg, int file);

/** Appends "file:line" (or "file" when the origin has no line) to `out`. */
void gr_config__where(const gr_config *cfg, const json_t *origin, gr_buf *out);

/**
 * Records a problem: `code` is a GR_E* code, `origin` names the file and line
 * (NULL when the problem has no place), `path` is the dotted key path or "".
 * Lines past GR_CONFIG_MAX_ERRORS are counted only.
 */
void gr_config__error(gr_config__errors *errors, const gr_config *cfg, int code,
                      const json_t *origin, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/** Sets the thread's error message from `errors` and returns their code. */
int gr_config__errors_report(gr_config__errors *errors);

void gr_config__errors_free(gr_config__errors *errors);

/* Origin tree nodes (see above). */
json_t *gr_config__origin_new(int file, int line, int column);
void gr_config__origin_get(const json_t *origin, int *file, int *line, int *column);
/** Returns the children of `origin` (borrowed), made as an object or array when missing. */
json_t *gr_config__origin_children(json_t *origin, bool object);
/** Returns the origin of member `key` or item `index`, or NULL (borrowed). */
const json_t *gr_config__origin_member(const json_t *origin, const char *key);
const json_t *gr_config__origin_item(const json_t *origin, size_t index);
/** Makes an origin tree of `value`'s shape whose every node is at file:line:column. */
json_t *gr_config__origin_fill(const json_t *value, int file, int line, int column);

/**
 * Merges object `src` into object `dst` as Backstage does: objects merge key
 * by key, other values replace. Origins follow their values. Borrows src.
 */
void gr_config__merge(json_t *dst, json_t *dst_origin, json_t *src, json_t *src_origin);

/** Appends `.key` (or `key` at the start) and `[index]` to a dotted key path. */
void gr_config__path_key(gr_buf *path, const char *key);
void gr_config__path_index(gr_buf *path, size_t index);
/** Cuts a path back to `len` bytes. */
void gr_config__path_cut(gr_buf *path, size_t len);

/** Returns true when a key is named like a credential: password, token, secret, apiKey... */
bool gr_config__secret_name(const char *name);

/** Copies text[0..len) without leading and trailing whitespace; caller frees. */
char *gr_config__trimmed(const char *text, size_t len);

/**
 * Replaces `${VAR}`, `${VAR:-fallback}` and `$${` in text[0..len) into `out`.
 * Returns true, or false when a variable is unset (the whole string is then
 * undefined) after storing its name in *missing (caller frees).
 */
bool gr_config__substitute(const char *text, size_t len, gr_buf *out, char **missing);

/**
 * Reads config file `path` with its substitutions and includes resolved.
 * Stores the value tree (an object; empty for an empty file) and its origin
 * tree, new references. Problems go to `errors`; returns 0 or their code.
 */
int gr_config__read_file(gr_config *cfg, gr_config__errors *errors, const char *path,
                         json_t **value, json_t **origin);

/**
 * Builds the tree set by APP_CONFIG_* variables of `env` (a NULL-ended
 * environ-style array) and merges it over cfg->root.
 */
void gr_config__apply_env(gr_config *cfg, gr_config__errors *errors, char *const *env);

/**
 * Checks cfg->root against `schema`: coerces numeric and boolean strings,
 * fills defaults, records secret paths, warns about unknown keys, and
 * reports wrong types, values outside the allowed set and missing keys.
 */
void gr_config__validate(gr_config *cfg, const gr_config_schema *schema, gr_config__errors *errors);

/** Looks up the value and origin at a dotted path; either output may be NULL. */
const json_t *gr_config__lookup(const gr_config *cfg, const char *path, const json_t **origin);

/* Schema tree: one node per path segment ("name", "*" or "[]"). */
typedef struct gr_config__schema_node gr_config__schema_node;
struct gr_config__schema_node {
    char *segment;
    const gr_config_key *key; /* NULL for an undeclared parent */
    const char *owner;
    gr_config__schema_node **children;
    size_t child_count;
};

const gr_config__schema_node *gr_config__schema_root(const gr_config_schema *schema);
/** Returns the child that matches object member `name` (exact before `*`), or NULL. */
const gr_config__schema_node *gr_config__schema_member(const gr_config__schema_node *node,
                                                       const char *name);
/** Returns the `[]` child, or NULL. */
const gr_config__schema_node *gr_config__schema_items(const gr_config__schema_node *node);

/** Calls `fn` for every declared key in the order of declaration. */
void gr_config__schema_each(const gr_config_schema *schema,
                            void (*fn)(const char *owner, const gr_config_key *key, void *payload),
                            void *payload);

/** Returns the types `key` accepts as words: "string or array". */
void gr_config__type_words(unsigned types, gr_buf *out);

#endif
