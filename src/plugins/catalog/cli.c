/* SPDX-License-Identifier: MIT */
/* `greenroom catalog`: dispatches to the validate, import and export subcommands. */
#include "plugins/catalog/cli.h"

#include <stdio.h>
#include <string.h>

#include "host/common/error.h"
#include "host/config/config.h"
#include "host/serve/db_options.h"
#include "host/store/db.h"
#include "plugins/catalog/cli_validate.h"

static const char catalog_usage[] =
    "usage: greenroom catalog <subcommand> [options]\n"
    "\n"
    "Subcommands:\n"
    "  validate PATH...             check catalog files as Backstage's catalog would\n"
    "  import PATH|URL [--config FILE]...\n"
    "                               register a location and ingest it into the database\n"
    "  export [--config FILE]... [-o FILE]\n"
    "                               write every entity of the catalog as YAML\n"
    "\n"
    "Run 'greenroom catalog <subcommand> --help' for the options of one subcommand.\n";

/* Returns the help text of a subcommand, or NULL for an unknown one. */
static const char *catalog_subcommand_usage(const char *sub)
{
    if (strcmp(sub, "validate") == 0)
        return gr_catalog_validate_usage;
    if (strcmp(sub, "import") == 0)
        return gr_catalog_import_usage;
    if (strcmp(sub, "export") == 0)
        return gr_catalog_export_usage;
    return NULL;
}

static int catalog_run(int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : NULL;

    if (sub == NULL) {
        fputs(catalog_usage, stderr);
        return 2;
    }
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(catalog_usage, stdout);
        return 0;
    }
    if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        const char *usage = catalog_subcommand_usage(sub);

        if (usage != NULL) {
            fputs(usage, stdout);
            return 0;
        }
    }
    if (strcmp(sub, "validate") == 0)
        return gr_catalog_validate_run(argc - 1, argv + 1);
    if (strcmp(sub, "import") == 0)
        return gr_catalog_cli_import(argc - 1, argv + 1);
    if (strcmp(sub, "export") == 0)
        return gr_catalog_cli_export(argc - 1, argv + 1);
    fprintf(stderr, "greenroom catalog: unknown subcommand '%s'; use validate, import or export\n",
            sub);
    return 2;
}

const gr_plugin_command gr_catalog_cli_commands[] = {
    {
        .name = "catalog",
        .summary = "check, import and export catalog entities",
        .usage = catalog_usage,
        .run = catalog_run,
    },
    {.name = NULL},
};

int gr_catalog_cli_open(const char *command, int argc, char **argv, gr_config **config_out,
                        gr_db **db_out)
{
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    gr_db_options options = {0};
    gr_serve_db_storage storage = {0};
    gr_db *db = NULL;
    int status = 2;

    *config_out = NULL;
    *db_out = NULL;
    if (gr_config_schema_builtin(&schema) != GR_OK) {
        fprintf(stderr, "greenroom catalog %s: %s\n", command, gr_error_last());
        goto done;
    }
    if (gr_config_load_args(&config, argc, argv, schema) != GR_OK) {
        fprintf(stderr, "%s\ngreenroom catalog %s: the configuration is invalid\n", gr_error_last(),
                command);
        goto done;
    }
    if (gr_serve_db_options(config, &options, &storage) != GR_OK ||
        gr_serve_db_check_shared(&options) != GR_OK) {
        fprintf(stderr, "greenroom catalog %s: %s\n", command, gr_error_last());
        goto done;
    }
    if (gr_db_open(&db, &options) != GR_OK) {
        fprintf(stderr, "greenroom catalog %s: opening the database failed: %s\n", command,
                gr_error_last());
        goto done;
    }
    /* Without --config this is the default database, not the configured server's. A
     * PostgreSQL connection string may contain a password, so only SQLite paths are printed. */
    if (gr_db_dialect(db) == GR_DB_SQLITE)
        fprintf(stderr, "greenroom catalog %s: SQLite database %s\n", command, options.path);
    *config_out = config;
    *db_out = db;
    config = NULL;
    status = 0;
done:
    gr_serve_db_storage_free(&storage);
    gr_config_free(config);
    gr_config_schema_free(schema);
    return status;
}
