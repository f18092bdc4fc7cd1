/* SPDX-License-Identifier: MIT */
/* The catalog plugin definition: engine life cycle, REST routes, CLI and config keys. */
#ifndef GR_PLUGINS_CATALOG_PLUGIN_H
#define GR_PLUGINS_CATALOG_PLUGIN_H

#include "host/registry/registry.h"

/** Name under which the catalog plugin publishes its gr_catalog (host.h, gr_host_lookup()). */
#define GR_CATALOG_SERVICE "catalog"

/** The catalog plugin, for the table of built-in plugins. */
extern const gr_plugin_def gr_catalog_plugin;

#endif
