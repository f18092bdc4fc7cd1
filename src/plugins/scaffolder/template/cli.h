/* SPDX-License-Identifier: MIT */
/* The `greenroom template` command: renders templates from the command line. */
#ifndef GR_SCAFFOLDER_TEMPLATE_CLI_H
#define GR_SCAFFOLDER_TEMPLATE_CLI_H

#include "host/registry/registry.h"

/** The template commands, ended by an entry with a NULL name (static). */
extern const gr_cli_command gr_tmpl_cli_commands[];

#endif
