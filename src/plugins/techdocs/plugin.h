/* SPDX-License-Identifier: MIT */
/* The techdocs plugin's hooks: the service, its API routes and pages, its lifecycle. */
#ifndef GR_PLUGINS_TECHDOCS_PLUGIN_H
#define GR_PLUGINS_TECHDOCS_PLUGIN_H

#include "host/host.h"
#include "host/registry/registry.h"

/**
 * Name under which the techdocs plugin publishes its gr_techdocs_service
 * (host.h, gr_host_lookup()); search reads the sites through it.
 */
#define GR_TECHDOCS_SERVICE "techdocs"

/**
 * Creates the TechDocs service on the host's database (migrations
 * included), registers the /api/techdocs routes and the /docs pages (as
 * pages of the portal UI when the UI plugin is there), and publishes the
 * service as GR_TECHDOCS_SERVICE. Sites its builds publish are reported to
 * the search service (GR_SEARCH_SERVICE) when search runs. Returns GR_OK and the plugin state in
 * *state_out, or an error.
 */
int gr_techdocs_plugin_init(gr_host *host, void **state_out);

/** Starts the build workers. Returns GR_OK or an error. */
int gr_techdocs_plugin_start(void *state);

/** Stops the build workers after their current build. */
void gr_techdocs_plugin_stop(void *state);

/** Frees the plugin state. NULL-safe. */
void gr_techdocs_plugin_destroy(void *state);

#endif
