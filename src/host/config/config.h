/* SPDX-License-Identifier: MIT */
/* Configuration: app-config.yaml files merged, substituted, validated and read by key path. */
#ifndef GR_HOST_CONFIG_CONFIG_H
#define GR_HOST_CONFIG_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/common/buf.h"

/*
 * Loading follows Backstage's config loader:
 *   - files are read in order and deep-merged: later files win, objects merge
 *     key by key, arrays and scalars replace the earlier value whole;
 *   - `${VAR}` in a string is replaced by the environment variable (trimmed),
 *     `${VAR:-text}` falls back to `text` when VAR is unset or empty, and
 *     `$${` writes a literal `${`. When a variable is unset, the whole string
 *     is undefined, so its key is left out;
 *   - `{$env: VAR}`, `{$file: path}` (the file's text, trailing whitespace
 *     removed) and `{$include: path.yaml#a.b}` (a YAML or JSON file, or the
 *     value at the dotted path after `#`) replace the object they are in;
 *     paths are relative to the file that names them;
 *   - `APP_CONFIG_a_b=value` environment variables set `a.b` on top of every
 *     file, the value parsed as JSON when it is valid JSON, else a string.
 * Every value keeps the file, line and column it came from, so errors read
 * `file:line: key.path: message`.
 */

/** Maximum size of a config file, a `$file` or an `$include`, in bytes. */
#define GR_CONFIG_MAX_FILE_BYTES ((size_t)4 << 20)
/** Maximum nesting of `$include` inside included files (the files given are depth 0). */
#define GR_CONFIG_MAX_INCLUDE_DEPTH 16
/** Maximum number of files read for one load: config files, includes and `$file`s together. */
#define GR_CONFIG_MAX_FILES 256
/** Maximum number of errors listed in the message of a failed load. */
#define GR_CONFIG_MAX_ERRORS 20

/** The type a key accepts; a key may accept several (bitwise or). */
typedef enum {
    GR_CONFIG_STRING = 1u << 0,
    GR_CONFIG_INTEGER = 1u << 1,
    GR_CONFIG_NUMBER = 1u << 2, /* any number, integers included */
    GR_CONFIG_BOOLEAN = 1u << 3,
    GR_CONFIG_OBJECT = 1u << 4,
    GR_CONFIG_ARRAY = 1u << 5,
} gr_config_type;

#define GR_CONFIG_STRING_OR_ARRAY (GR_CONFIG_STRING | GR_CONFIG_ARRAY)
#define GR_CONFIG_ANY                                                                              \
    (GR_CONFIG_STRING | GR_CONFIG_INTEGER | GR_CONFIG_NUMBER | GR_CONFIG_BOOLEAN |                 \
     GR_CONFIG_OBJECT | GR_CONFIG_ARRAY)

typedef struct gr_config gr_config;
typedef struct gr_config_schema gr_config_schema;

/**
 * Checks a value further after its type was checked, and may rewrite it:
 * to replace it, store a new reference in *value (the borrowed old one is
 * released by the caller). Returns 0, or nonzero after appending to
 * `message` why the value is invalid (one phrase, no key path).
 */
typedef int (*gr_config_check_fn)(json_t **value, gr_buf *message);

/**
 * Computes the default of a key from other values of `cfg` (read it with the
 * accessors), after every static default was filled in. Returns a new
 * reference, or NULL to leave the key unset.
 */
typedef json_t *(*gr_config_derive_fn)(const gr_config *cfg);

/*
 * One key greenroom reads. Declarations are static data: a feature declares
 * an array of them ended by an entry whose path is NULL. Parents need no
 * declaration of their own; a declared object or array without declared
 * children is free-form and its content is not checked.
 */
typedef struct gr_config_key {
    /* Dotted path; `*` matches any object key, `[]` any array item:
     * "catalog.locations[].type", "auth.providers.*.clientId". */
    const char *path;
    unsigned types;           /* gr_config_type bits */
    const char *default_json; /* default as JSON text ("7007", "\"x\"", "[]"), or NULL */
    bool required;
    bool secret;                /* `config check` shows the value as <secret> */
    const char *const *allowed; /* allowed strings, ended by NULL; NULL allows any */
    const char *description;    /* one or more sentences for docs/configuration.md */
    gr_config_check_fn check;   /* NULL, or a further check */
    gr_config_derive_fn derive; /* NULL, or a computed default */
    const char *derived_text;   /* how the reference shows the computed default */
} gr_config_key;

/** Makes an empty schema; caller frees with gr_config_schema_free(). */
gr_config_schema *gr_config_schema_new(void);

/** Frees a schema. NULL-safe. */
void gr_config_schema_free(gr_config_schema *schema);

/**
 * Adds the keys of one owner ("host", a plugin id) to `schema`. `owner` and
 * `keys` are borrowed and must outlive the schema (static data). Returns 0;
 * GR_EINVALID when a declaration is malformed (path syntax, no type, a
 * default that is not JSON or not of the key's type); GR_ECONFLICT when a
 * path is declared twice. On error the schema is unchanged.
 */
int gr_config_schema_add(gr_config_schema *schema, const char *owner, const gr_config_key *keys);

/**
 * Makes the schema of this binary: the host's keys and those of every
 * built-in plugin. Returns 0 or the code of gr_config_schema_add().
 * Caller frees *out.
 */
int gr_config_schema_builtin(gr_config_schema **out);

/**
 * Appends the reference of every key of `schema` as Markdown to `out`
 * (docs/configuration.md is this output).
 */
void gr_config_schema_markdown(const gr_config_schema *schema, gr_buf *out);

/**
 * Loads `count` config files (paths borrowed; none gives the defaults),
 * applies APP_CONFIG_ and GREENROOM_LOG_LEVEL environment overrides,
 * validates the result against `schema` and fills in defaults. Unknown keys
 * are logged as one warning each (module "config"). Writes nothing.
 *
 * Returns 0 and a caller-owned config in *out (free with gr_config_free()).
 * On error *out is NULL and gr_error_last() lists the problems, one per line,
 * as `file:line: key.path: message`. The code is that of the first problem:
 * GR_ENOTFOUND when a named file does not exist, GR_EINVALID for invalid
 * YAML or values, GR_ELIMIT when a size or depth limit is crossed, and
 * GR_EBACKEND when a file cannot be read.
 * Reads the environment, so it must not run while another thread sets it.
 */
int gr_config_load(gr_config **out, const char *const *files, size_t count,
                   const gr_config_schema *schema);

/**
 * Loads the files as gr_config_load() does, but keeps only their top-level
 * key `section` (such as "catalog") before the environment overrides and the
 * validation. The other sections are neither validated nor returned, so the
 * environment variables they name need not be set. For commands that read
 * one section, such as `greenroom catalog validate --config`.
 */
int gr_config_load_section(gr_config **out, const char *const *files, size_t count,
                           const gr_config_schema *schema, const char *section);

/**
 * Loads the config named by the `--config FILE` and `--config=FILE`
 * arguments in argv[0..argc) (other arguments are ignored), as
 * gr_config_load() does. GR_EINVALID when `--config` has no value.
 * Without any `--config`, it loads ./app-config.yaml and then
 * ./app-config.local.yaml, each when it exists, as Backstage's backend does,
 * and names them on stderr. With neither, the config is the defaults.
 */
int gr_config_load_args(gr_config **out, int argc, char *const *argv,
                        const gr_config_schema *schema);

/** Frees a config. NULL-safe. */
void gr_config_free(gr_config *cfg);

/*
 * Accessors take a dotted key path with optional array indexes,
 * "catalog.locations[0].target". A key that contains '.' or '[' cannot be
 * named in a path, so read its parent with gr_config_node(). Accessors
 * return the fallback when the path is absent, null or of another type. Configs are read-only after
 * loading, so every accessor is thread-safe.
 */

/** Returns the string at `path` (borrowed, lives as long as cfg) or `fallback`. */
const char *gr_config_string(const gr_config *cfg, const char *path, const char *fallback);

/** Returns the integer at `path` or `fallback`. */
int64_t gr_config_int(const gr_config *cfg, const char *path, int64_t fallback);

/** Returns the boolean at `path` or `fallback`. */
bool gr_config_bool(const gr_config *cfg, const char *path, bool fallback);

/** Returns the number (integer or real) at `path` or `fallback`. */
double gr_config_double(const gr_config *cfg, const char *path, double fallback);

/** Returns the value at `path` (borrowed, lives as long as cfg; "" is the root), or NULL. */
const json_t *gr_config_node(const gr_config *cfg, const char *path);

/**
 * Finds where the value at `path` was written. Stores the file name
 * (borrowed) and the 1-based line. A filled-in default has the file
 * "default", an override the environment variable's name, and both have
 * line 0. Either output may be NULL. Returns 0, or GR_ENOTFOUND when the
 * path is absent.
 */
int gr_config_origin(const gr_config *cfg, const char *path, const char **file, int *line);

/**
 * Returns a copy of the whole tree with secrets replaced by "<secret>":
 * keys declared secret, keys named like password, token, secret,
 * privateKey or apiKey, and the password in `scheme://user:password@` URLs.
 * Caller releases it with json_decref().
 */
json_t *gr_config_masked(const gr_config *cfg);

/**
 * Compares the origins (scheme, host and port) of app.baseUrl and
 * backend.baseUrl, because greenroom serves the web UI and the backend from
 * one server. When they differ, appends what is wrong to `problem` and what
 * to write instead to `fix`, each without a final period, and returns true.
 * Returns false when either URL does not start with scheme://host.
 */
bool gr_config_base_urls_differ(const gr_config *cfg, gr_buf *problem, gr_buf *fix);

/** Sets the log level from backend.log.level. Returns 0 or GR_EINVALID. */
int gr_config_apply_log_level(const gr_config *cfg);

#endif
