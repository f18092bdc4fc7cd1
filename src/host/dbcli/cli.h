/* SPDX-License-Identifier: MIT */
/* The `greenroom db` command: migrate, status and copy. */
#ifndef GR_HOST_DBCLI_CLI_H
#define GR_HOST_DBCLI_CLI_H

#include "host/registry/registry.h"

/** `greenroom db migrate|status|copy ...` (static). */
extern const gr_cli_command gr_dbcli_command;

#endif
