/* SPDX-License-Identifier: MIT */
/* `greenroom catalog validate`: checks catalog files the way Backstage's catalog would. */
#ifndef GR_PLUGINS_CATALOG_CLI_VALIDATE_H
#define GR_PLUGINS_CATALOG_CLI_VALIDATE_H

#include "host/registry/registry.h"

/** Help text of `greenroom catalog validate`. */
extern const char gr_catalog_validate_usage[];

/**
 * Runs `catalog validate` with argv[0] = "validate". Prints problems on
 * stdout (text or JSON) and a summary on stderr in text mode. Returns 0 when
 * everything is valid, 1 when a problem was found, 2 for a usage error.
 */
int gr_catalog_validate_run(int argc, char **argv);

#endif
