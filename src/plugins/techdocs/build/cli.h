/* SPDX-License-Identifier: MIT */
/* The `greenroom techdocs` command: builds a docs site like techdocs-cli generate. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_CLI_H
#define GR_PLUGINS_TECHDOCS_BUILD_CLI_H

#include "host/registry/registry.h"

/** The commands of the techdocs plugin, ended by an entry with a NULL name (static). */
extern const gr_cli_command gr_techdocs_commands[];

#endif
