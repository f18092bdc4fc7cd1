/* SPDX-License-Identifier: MIT */
/* The techdocs.* settings greenroom reads, and their declarations for the config schema. */
#ifndef GR_PLUGINS_TECHDOCS_SETTINGS_H
#define GR_PLUGINS_TECHDOCS_SETTINGS_H

#include <stdint.h>

#include "greenroom/plugin.h"
#include "host/config/config.h"
#include "plugins/techdocs/store.h"

/** Default number of build worker threads per instance. */
#define GR_TECHDOCS_WORKERS_DEFAULT 2
/** Maximum number of build worker threads. */
#define GR_TECHDOCS_WORKERS_MAX 16
/** Default time a page request waits for a first build before showing a notice, in ms. */
#define GR_TECHDOCS_WAIT_DEFAULT_MS 3000
/** Maximum of techdocs.build.waitMs: request threads are never held longer. */
#define GR_TECHDOCS_WAIT_MAX_MS 30000
/** Default lease of one build, in ms; a builder that dies frees the site after it. */
#define GR_TECHDOCS_LEASE_DEFAULT_MS 600000
/** Default minimum time between two checks of a site's source, in ms. */
#define GR_TECHDOCS_CHECK_DEFAULT_MS 60000

/** The settings of the techdocs plugin. */
typedef struct {
    int external;                    /* techdocs.builder: external */
    gr_techdocs_store_kind store;    /* techdocs.publisher.type */
    const char *publish_directory;   /* borrowed from the config */
    int workers;
    int64_t wait_ms;
    int64_t lease_ms;
    int64_t check_interval_ms;
    int64_t cache_ttl_ms; /* 0: no cache of served files */
    int prebuild;         /* techdocs.build.prebuild */
} gr_techdocs_settings;

/**
 * The top-level techdocs.* keys, ended by an entry with a NULL path
 * (static): the top_config_keys of the plugin's info, with the allowed
 * values of the builder, runIn and publisher type.
 */
extern const gr_plugin_config_key gr_techdocs_top_config_keys[];

/**
 * The further checks of the keys above (durations and ranges, which the
 * ABI's keys cannot declare), ended by an entry with a NULL path (static):
 * gr_plugin_builtin.checks. Only `path` and `check` are set.
 */
extern const gr_config_key gr_techdocs_config_checks[];

/**
 * Fills `out` from `cfg` (NULL gives the defaults). Strings are borrowed
 * from `cfg`. Logs once that techdocs.generator.runIn: docker is served by
 * the in-process builder. Returns GR_OK (the schema checked every value).
 */
int gr_techdocs_settings_read(const gr_config *cfg, gr_techdocs_settings *out);

#endif
