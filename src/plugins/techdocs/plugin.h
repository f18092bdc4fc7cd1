/* SPDX-License-Identifier: MIT */
/* The techdocs plugin's entry point and the service it publishes through the plugin ABI. */
#ifndef GR_PLUGINS_TECHDOCS_PLUGIN_H
#define GR_PLUGINS_TECHDOCS_PLUGIN_H

#include "greenroom/plugin.h"
#include "host/host.h"
#include "host/registry/registry.h"
#include "plugins/techdocs/service.h"

/** Name under which the techdocs plugin publishes its service (host->service_lookup()). */
#define GR_TECHDOCS_SERVICE "techdocs"

/** The TechDocs service as published through the ABI, which search reads the sites through. */
typedef struct {
    gr_plugin_service header;
    gr_techdocs_service *service; /* owned by the techdocs plugin, thread-safe */
} gr_techdocs_plugin_service;

/**
 * The plugin's entry point, as a shared-library plugin's gr_plugin_init().
 * Its info declares the TechDocs tables' migrations, which the host applies
 * before setup. Its setup creates the TechDocs service on the host's
 * database, registers the /api/techdocs routes and the /docs pages (as
 * pages of the portal UI when the UI plugin is there), publishes the service
 * as GR_TECHDOCS_SERVICE and reports the sites its builds publish to the
 * search service (GR_SEARCH_SERVICE) when search runs.
 */
int gr_techdocs_plugin_entry(const gr_host_api *host, const gr_plugin_info **out);

/**
 * The init hook of the built-in definition: runs the entry's setup through
 * the adapter (host/plugin/plugin.h), whose start (the build workers), stop
 * and destroy the definition uses too. Returns GR_OK or the setup's error.
 */
int gr_techdocs_plugin_init(gr_host *host, void **state_out);

/**
 * Applies the migrations that the plugin's info declares to `db`
 * (borrowed), as the host does before setup: history recorded under the
 * old component "techdocs" is adopted first, so nothing applied runs again.
 * For commands and tests that use TechDocs without `greenroom serve`.
 * Returns GR_OK or the error of the rename or of a migration.
 */
int gr_techdocs_migrate(gr_db *db);

#endif
