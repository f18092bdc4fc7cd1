/* SPDX-License-Identifier: MIT */
/* The `greenroom techdocs` command: `build` a site, `publish` a built site for serving. */
#ifndef GR_PLUGINS_TECHDOCS_CLI_H
#define GR_PLUGINS_TECHDOCS_CLI_H

#include "greenroom/plugin.h"

/** The commands of the techdocs plugin, ended by an entry with a NULL name (static): the info's commands. */
extern const gr_plugin_command gr_techdocs_commands[];

#endif
