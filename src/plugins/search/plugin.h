/* SPDX-License-Identifier: MIT */
/* The search plugin's definition parts: hooks for `greenroom serve`, config keys and commands. */
#ifndef GR_PLUGINS_SEARCH_PLUGIN_H
#define GR_PLUGINS_SEARCH_PLUGIN_H

#include "host/config/config.h"
#include "host/registry/registry.h"
#include "plugins/search/search.h"

/** Name under which the search plugin publishes its gr_search (gr_host_lookup()). */
#define GR_SEARCH_SERVICE "search"

/** Every config key the search plugin reads, ended by an entry with a NULL path (static). */
extern const struct gr_config_key gr_search_config_keys[];

/** The `greenroom search` command, ended by an entry with a NULL name (static). */
extern const gr_cli_command gr_search_commands[];

/* Plugin hooks (see gr_plugin_def): the service, the built-in collators,
 * GET /api/search/query and the scheduled rebuild. */
int gr_search_plugin_init(gr_host *host, void **state_out);
int gr_search_plugin_start(void *state);
void gr_search_plugin_stop(void *state);
void gr_search_plugin_destroy(void *state);

/**
 * Creates a search service over `db` with the built-in collators
 * (software-catalog and techdocs) registered. Returns 0 and *out (caller
 * frees with gr_search_free()) or the error of gr_search_new().
 */
int gr_search_new_builtin(gr_search **out, gr_db *db, const gr_config *config,
                          const char *instance_id);

/** Returns the rebuild interval from the collators' schedules, in ms (10 minutes by default). */
int64_t gr_search_reindex_interval_ms(const gr_config *config);

#endif
