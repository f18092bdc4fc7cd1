/* SPDX-License-Identifier: MIT */
/* `greenroom catalog`: dispatches to the validate, import and export subcommands. */
#ifndef GR_PLUGINS_CATALOG_CLI_H
#define GR_PLUGINS_CATALOG_CLI_H

#include "greenroom/plugin.h"

/** The CLI commands of the catalog plugin ("catalog"), ended by an entry with a NULL name: the info's commands. */
extern const gr_plugin_command gr_catalog_cli_commands[];

/**
 * Runs `catalog import` with argv[0] = "import": registers a location and
 * ingests until idle. Returns 0 when nothing failed, 1 when entities have
 * processing errors, 2 for a usage or configuration error.
 */
int gr_catalog_cli_import(int argc, char **argv);

/**
 * Runs `catalog export` with argv[0] = "export": writes every final entity
 * as multi-document YAML. Returns 0, 1 on failure, 2 for a usage error.
 */
int gr_catalog_cli_export(int argc, char **argv);

/** Help texts of the subcommands. */
extern const char gr_catalog_import_usage[];
extern const char gr_catalog_export_usage[];

/**
 * Loads the config named by --config arguments and opens its database
 * (backend.database). Returns 0, or 2 after printing the error for `command`.
 * The caller frees both with gr_config_free() and gr_db_close().
 */
struct gr_config;
struct gr_db;
int gr_catalog_cli_open(const char *command, int argc, char **argv, struct gr_config **config_out,
                        struct gr_db **db_out);

#endif
