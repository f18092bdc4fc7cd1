/* SPDX-License-Identifier: MIT */
/* The api-docs built-in, written against the plugin ABI: the Definition tab of API entities. */
#ifndef GR_PLUGINS_APIDOCS_PLUGIN_H
#define GR_PLUGINS_APIDOCS_PLUGIN_H

#include "greenroom/plugin.h"
#include "host/registry/registry.h"

/**
 * The plugin's gr_plugin_init(), under a name of its own because it is
 * compiled into the binary: returns the static info of "api-docs". Its
 * setup adds the Definition tab (id "api") to API entities.
 */
int gr_apidocs_plugin_entry(const gr_host_api *host, const gr_plugin_info **out);

/**
 * The built-in definition: the ABI plugin above, run through the adapter of
 * host/plugin/plugin.h. It must come after the UI, whose entity pages show
 * the tab.
 */
extern const gr_plugin_def gr_apidocs_plugin;

#endif
