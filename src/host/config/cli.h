/* SPDX-License-Identifier: MIT */
/* The `greenroom config` command: check a config, print the key reference. */
#ifndef GR_HOST_CONFIG_CLI_H
#define GR_HOST_CONFIG_CLI_H

#include "host/registry/registry.h"

/** `greenroom config check|schema ...` (static). */
extern const gr_cli_command gr_config_cli_command;

#endif
