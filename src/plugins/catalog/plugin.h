/* SPDX-License-Identifier: MIT */
/* The catalog plugin, set up through the plugin ABI: its entry point, services and commands. */
#ifndef GR_PLUGINS_CATALOG_PLUGIN_H
#define GR_PLUGINS_CATALOG_PLUGIN_H

#include "greenroom/plugin.h"
#include "host/config/config.h"
#include "host/registry/registry.h"

/** The plugin's entry point, as a shared-library plugin's gr_plugin_init() (greenroom/plugin.h). */
int gr_catalog_plugin_entry(const gr_host_api *host, const gr_plugin_info **out);

/**
 * The init hook of the built-in definition: runs the entry's setup through
 * the adapter (host/plugin/plugin.h), whose start, stop and destroy the
 * definition uses too. Returns 0 or the setup's error.
 */
int gr_catalog_plugin_init(gr_host *host, void **state_out);

/**
 * Applies the migrations of the engine (component "catalog") and of the REST
 * API (component "catalog_api") to host->db without reading
 * catalog.locations: the migrate hook for `greenroom db migrate`.
 */
int gr_catalog_plugin_migrate(gr_host *host);

/**
 * The range checks of catalog.processingWorkers and catalog.processingInterval,
 * ended by an entry with a NULL path (static): gr_plugin_builtin.checks, so
 * that `greenroom config check` rejects what the engine rejects at start.
 */
extern const struct gr_config_key gr_catalog_config_checks[];

#endif
