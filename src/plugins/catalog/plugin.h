/* SPDX-License-Identifier: MIT */
/* The catalog plugin's hooks for `greenroom serve`: the engine, its workers and the read API. */
#ifndef GR_PLUGINS_CATALOG_PLUGIN_H
#define GR_PLUGINS_CATALOG_PLUGIN_H

#include "host/host.h"
#include "host/registry/registry.h"

/**
 * Creates the catalog engine on the host's database and configuration and
 * registers the read routes of /api/catalog. Returns 0 and the state in
 * *state_out, or the engine's or the router's error.
 */
int gr_catalog_plugin_init(gr_host *host, void **state_out);

/** Starts the engine's worker threads. Returns 0 or GR_EINVALID. */
int gr_catalog_plugin_start(void *state);

/** Stops the worker threads after their current batch. */
void gr_catalog_plugin_stop(void *state);

/** Frees the engine. NULL-safe. */
void gr_catalog_plugin_destroy(void *state);

#endif
