/* SPDX-License-Identifier: MIT */
/* The techdocs plugin's entry point in the plugin ABI. */
#ifndef GR_PLUGINS_TECHDOCS_PLUGIN_H
#define GR_PLUGINS_TECHDOCS_PLUGIN_H

#include "greenroom/plugin.h"

/**
 * Returns the techdocs plugin's info (static) in *out, as a shared-library
 * plugin's gr_plugin_init() does. builtin.c turns it into a gr_plugin_def
 * through the adapter of host/plugin/plugin.h. Returns 0.
 */
int gr_techdocs_plugin_init(const gr_host_api *host, const gr_plugin_info **out);

#endif
