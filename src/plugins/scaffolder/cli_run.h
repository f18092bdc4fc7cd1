/* SPDX-License-Identifier: MIT */
/* `greenroom template run`: runs a template from a file, without a server. */
#ifndef GR_SCAFFOLDER_CLI_RUN_H
#define GR_SCAFFOLDER_CLI_RUN_H

#include "greenroom/plugin.h"

/**
 * Runs `greenroom template run ...` (argv[0] is "template", argv[1] "run").
 * Returns the exit status: 0 completed, 1 invalid values or a failed task,
 * 2 usage, configuration or file error.
 */
int gr_scaffolder_cli_run(int argc, char **argv);

/** The `template` command with its `run` and `render` subcommands (static). */
extern const gr_plugin_command gr_scaffolder_commands[];

#endif
