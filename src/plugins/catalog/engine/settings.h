/* SPDX-License-Identifier: MIT */
/* Catalog engine settings read from the app config: locations, rules, integrations, limits. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_SETTINGS_H
#define GR_PLUGINS_CATALOG_ENGINE_SETTINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/common/buf.h"

/** Default refresh interval bounds, in ms: Backstage picks a random time between 100 and 150 s. */
#define GR_CATALOG_INTERVAL_MIN_DEFAULT_MS 100000
#define GR_CATALOG_INTERVAL_MAX_DEFAULT_MS 150000
/** Maximum number of processing worker threads. */
#define GR_CATALOG_WORKERS_MAX 64
/** Maximum size of one file or HTTP response read from a location, in bytes. */
#define GR_CATALOG_READ_MAX_BYTES ((size_t)128 << 20)
/** Time limit of one URL read, in ms, redirects included. */
#define GR_CATALOG_READ_TIMEOUT_MS 60000
/** Maximum number of HTTP redirects followed by one URL read. */
#define GR_CATALOG_MAX_REDIRECTS 5
/** Maximum number of files one glob location may match. */
#define GR_CATALOG_MAX_GLOB_FILES 10000
/** Default maximum of files and folders one glob looks at, matching or not. A pattern with
 * `**` right after the root would otherwise walk the whole file system. */
#define GR_CATALOG_GLOB_MAX_ENTRIES 1000000

/** One kind a rule allows, with an optional spec.type. */
typedef struct {
    char *kind;
    char *spec_type; /* NULL for any */
} gr_catalog_rule_kind;

/** The locations a rule applies to: a type and an exact target or a glob pattern. */
typedef struct {
    char *type;
    char *exact;   /* NULL unless exact */
    char *pattern; /* NULL unless pattern */
} gr_catalog_rule_location;

/** One `allow` rule of catalog.rules, or of one entry of catalog.locations. */
typedef struct {
    gr_catalog_rule_kind *allow;
    size_t allow_count;
    gr_catalog_rule_location *locations; /* NULL: the rule applies to every location */
    size_t location_count;
} gr_catalog_rule;

/** A location listed in catalog.locations. */
typedef struct {
    char *type;
    char *target; /* file targets are made absolute */
} gr_catalog_config_location;

/** A source code host from integrations.github or integrations.gitlab. */
typedef struct {
    char *host;         /* "github.com", "ghe.example.com:8443" */
    char *token;        /* NULL without one */
    char *api_base_url; /* without a trailing slash, NULL when unknown */
    char *raw_base_url; /* GitHub only, NULL when unknown */
} gr_catalog_integration;

/** An entry of backend.reading.allow. */
typedef struct {
    char *host;   /* "example.com", "*.example.com" or "example.com:8080" */
    char **paths; /* allowed path prefixes, NULL for any */
    size_t path_count;
} gr_catalog_read_allow;

typedef struct {
    int workers;
    bool processing_disabled;  /* catalog.processingInterval: false */
    int64_t interval_min_ms;
    int64_t interval_max_ms;
    bool orphan_delete;        /* catalog.orphanStrategy: delete */
    bool readonly;             /* catalog.readonly: true */
    gr_catalog_rule *rules;
    size_t rule_count;
    gr_catalog_config_location *locations;
    size_t location_count;
    gr_catalog_integration *github;
    size_t github_count;
    gr_catalog_integration *gitlab;
    size_t gitlab_count;
    gr_catalog_read_allow *read_allow;
    size_t read_allow_count;
    char **allowed_types;      /* catalog.allowedLocationTypes; default ["url"] as Backstage */
    size_t allowed_type_count;
    size_t read_max_bytes;
    long read_timeout_ms;
    size_t glob_max_entries; /* GR_CATALOG_GLOB_MAX_ENTRIES; tests lower it */
} gr_catalog_settings;

/**
 * Reads the settings from the config root `config` (borrowed; NULL gives
 * the defaults). `cwd` resolves relative file targets (NULL: the current
 * directory). Returns 0, or GR_EINVALID naming the bad key.
 */
int gr_catalog__settings_read(gr_catalog_settings *out, const json_t *config);

/**
 * Checks a value of catalog.processingWorkers as gr_catalog__settings_read()
 * does, for `greenroom config check` (gr_config_check_fn). Returns 0, or
 * GR_EINVALID after appending the reason to `message`.
 */
int gr_catalog__workers_check(json_t **value, gr_buf *message);

/** Checks a value of catalog.processingInterval as gr_catalog__workers_check() does. */
int gr_catalog__interval_check(json_t **value, gr_buf *message);

/** Frees what the settings own. NULL-safe. */
void gr_catalog__settings_free(gr_catalog_settings *settings);

/**
 * Returns whether `kind` (with `spec_type`, may be NULL) may be emitted from
 * a location whose origin is `type`:`target`, by Backstage's
 * DefaultCatalogRulesEnforcer: any rule that applies to the location and
 * lists the kind allows it.
 */
bool gr_catalog__rules_allow(const gr_catalog_settings *settings, const char *kind,
                             const char *spec_type, const char *type, const char *target);

/** Maximum number of kinds that gr_catalog__rules_allowed_text() lists. */
#define GR_CATALOG_ALLOWED_TEXT_MAX_KINDS 32

/**
 * Lists the kinds that the rules applying to a location whose origin is
 * `type`:`target` allow, matched as gr_catalog__rules_allow() matches them:
 * "Component, API (spec.type openapi), Location", in rule order without
 * repeats, or "" when no rule applies. After GR_CATALOG_ALLOWED_TEXT_MAX_KINDS
 * kinds, the text ends in " and other kinds". Caller frees.
 */
char *gr_catalog__rules_allowed_text(const gr_catalog_settings *settings, const char *type,
                                     const char *target);

/** Returns whether users may register locations of `type` (catalog.allowedLocationTypes). */
bool gr_catalog__type_allowed(const gr_catalog_settings *settings, const char *type);

/** Formats the allowed location types as a JSON array text, as Backstage's message shows them. */
char *gr_catalog__allowed_types_text(const gr_catalog_settings *settings);

/** Finds the integration of `host` (with port) in `list`, or NULL. */
const gr_catalog_integration *gr_catalog__integration_find(const gr_catalog_integration *list,
                                                           size_t count, const char *host);

#endif
