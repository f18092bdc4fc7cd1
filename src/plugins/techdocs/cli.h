/* SPDX-License-Identifier: MIT */
/* The `greenroom techdocs` command: `build` a site, `publish` a built site for serving. */
#ifndef GR_PLUGINS_TECHDOCS_CLI_H
#define GR_PLUGINS_TECHDOCS_CLI_H

#include "host/registry/registry.h"

/** The commands of the techdocs plugin, ended by an entry with a NULL name (static). */
extern const gr_cli_command gr_techdocs_commands[];

#endif
