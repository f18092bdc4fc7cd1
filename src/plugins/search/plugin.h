/* SPDX-License-Identifier: MIT */
/* The search plugin's definition parts: hooks for `greenroom serve`, config keys and commands. */
#ifndef GR_PLUGINS_SEARCH_PLUGIN_H
#define GR_PLUGINS_SEARCH_PLUGIN_H

#include "greenroom/plugin.h"
#include "host/config/config.h"
#include "host/registry/registry.h"
#include "plugins/search/search.h"

/**
 * Name under which the search plugin publishes its service through the ABI
 * (host->service_lookup(), a gr_search_plugin_service).
 */
#define GR_SEARCH_SERVICE "search"

/** The search service as published through the ABI. */
typedef struct {
    gr_plugin_service header;
    gr_search *search; /* owned by the search plugin, thread-safe */
} gr_search_plugin_service;

/**
 * The checks of the search keys that take a schedule, ended by an entry with
 * a NULL path (static): gr_plugin_builtin.checks for the keys the plugin
 * declares in its info's top_config_keys.
 */
extern const struct gr_config_key gr_search_config_checks[];

/** The `greenroom search` command, ended by an entry with a NULL name (static): the info's commands. */
extern const gr_plugin_command gr_search_commands[];

/** The plugin's entry point, as a shared-library plugin's gr_plugin_init() (greenroom/plugin.h). */
int gr_search_plugin_entry(const gr_host_api *host, const gr_plugin_info **out);

/**
 * The init hook of the built-in definition: runs the entry's setup through
 * the adapter (host/plugin/plugin.h), whose start, stop and destroy the
 * definition uses too. Returns 0 or the setup's error.
 */
int gr_search_plugin_init(gr_host *host, void **state_out);

/**
 * Applies the migrations that the plugin's info declares to `db`
 * (borrowed), as the host does before setup: history recorded under the
 * old component "search" is adopted first, so nothing applied runs again.
 * For commands and tests that use search without `greenroom serve`.
 * Returns 0 or the error of the rename or of a migration.
 */
int gr_search_migrate(gr_db *db);

/**
 * Creates a search service over `db` with the built-in collators
 * (software-catalog and techdocs) registered. The migrations must have run
 * (gr_search_migrate()). Returns 0 and *out (caller frees with
 * gr_search_free()) or the error of gr_search_new().
 */
int gr_search_new_builtin(gr_search **out, gr_db *db, const gr_config *config,
                          const char *instance_id);

/** Returns the rebuild interval from the collators' schedules, in ms (10 minutes by default). */
int64_t gr_search_reindex_interval_ms(const gr_config *config);

#endif
