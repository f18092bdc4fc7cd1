/* SPDX-License-Identifier: MIT */
/* The `greenroom db` command: migrate, status and copy. */
#include "host/dbcli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/common/error.h"
#include "host/config/config.h"
#include "host/dbcli/copy.h"
#include "host/dbcli/migrate.h"
#include "host/serve/db_options.h"
#include "host/store/db.h"

static const char db_usage[] =
    "usage: greenroom db migrate [--config FILE]...\n"
    "       greenroom db status [--config FILE]...\n"
    "       greenroom db copy --from sqlite:FILE --to DATABASE [--force]\n"
    "                         [--batch-rows N] [--config FILE]...\n"
    "\n"
    "Subcommands:\n"
    "  migrate   apply the schema migrations of the host and of every plugin to\n"
    "            the database of backend.database, then exit without serving;\n"
    "            run it before starting a new version on several instances.\n"
    "            Give it the config files the servers use: plugins without a\n"
    "            migration hook are initialised, which applies their config\n"
    "            (such as catalog.locations) as a server start would\n"
    "  status    print each component's schema version in that database\n"
    "  copy      copy every table of a SQLite database into another database,\n"
    "            such as a new PostgreSQL database when moving to several\n"
    "            instances; stop the servers that use the source first\n"
    "\n"
    "Options:\n"
    "  --config FILE     config file to load; repeat it to merge several files,\n"
    "                    later files win; without it, ./app-config.yaml and\n"
    "                    ./app-config.local.yaml when they exist\n"
    "  --from sqlite:FILE\n"
    "                    copy: the SQLite database to read\n"
    "  --to DATABASE     copy: pg:CONNECTION (a libpq key=value string or URI),\n"
    "                    a postgresql:// URI, or sqlite:FILE\n"
    "  --force           copy: replace the rows of a target that holds data\n"
    "  --batch-rows N    copy: rows per INSERT statement (1-10000, default 500)\n"
    "  --help            print this help and exit\n"
    "\n"
    "copy checks that the target holds no data (unless --force), migrates it to\n"
    "this version, checks that the source has the same schema versions, empties\n"
    "the target's copies of the tables, then copies each table in its own\n"
    "transaction and checks its row count. The source is only read: a source\n"
    "from an older version must be migrated first, with `db migrate` and the\n"
    "config it was served with. Tables come from SQLite's schema, in foreign-key\n"
    "order. SQLite's full-text indexes are not copied: rebuild the search index\n"
    "on the target.\n"
    "\n"
    "Exit status: 0 on success, 1 when the database work failed, 2 for wrong\n"
    "arguments or an invalid configuration.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list args;

    fputs("greenroom db: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputs("; run 'greenroom db --help' for usage\n", stderr);
    return 2;
}

static int fail(const char *step)
{
    fprintf(stderr, "greenroom db: %s: %s\n", step, gr_error_last());
    return 1;
}

/* Loads the config of the --config arguments. Returns 0, or 2 after printing the error. */
static int load_config(int argc, char **argv, gr_config **out)
{
    gr_config_schema *schema = NULL;
    int rc = gr_config_schema_builtin(&schema);

    if (rc == GR_OK)
        rc = gr_config_load_args(out, argc, argv, schema);
    gr_config_schema_free(schema);
    if (rc != GR_OK) {
        fprintf(stderr, "%s\ngreenroom db: the configuration is invalid\n", gr_error_last());
        return 2;
    }
    gr_config_apply_log_level(*out);
    return 0;
}

/* Rejects every argument but --config FILE and --config=FILE. */
static int check_config_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            i++;
        else if (strncmp(argv[i], "--config=", 9) != 0)
            return usage_error("unexpected argument '%s'", argv[i]);
    }
    return 0;
}

/* Opens the database that backend.database names. Returns 0, or 1 or 2 after printing. */
static int open_configured(const gr_config *cfg, gr_db **out)
{
    gr_db_options opts;
    gr_serve_db_storage storage;
    int rc = gr_serve_db_options(cfg, &opts, &storage);

    if (rc == GR_OK)
        rc = gr_serve_db_check_shared(&opts);
    if (rc == GR_OK)
        rc = gr_db_open(out, &opts);
    gr_serve_db_storage_free(&storage);
    if (rc == GR_EINVALID)
        return usage_error("%s", gr_error_last());
    return rc == GR_OK ? 0 : fail("opening the database");
}

static int run_migrate(int argc, char **argv)
{
    gr_config *cfg = NULL;
    gr_db *db = NULL;
    int status;

    if ((status = check_config_args(argc, argv)) != 0 ||
        (status = load_config(argc, argv, &cfg)) != 0)
        return status;
    if ((status = open_configured(cfg, &db)) == 0) {
        if (gr_dbcli_migrate_all(db, cfg, stdout) != GR_OK)
            status = fail("migrating");
        else if (gr_dbcli_print_versions(db, stdout) != GR_OK)
            status = fail("reading the schema versions");
    }
    gr_db_close(db);
    gr_config_free(cfg);
    return status;
}

static int run_status(int argc, char **argv)
{
    gr_config *cfg = NULL;
    gr_db *db = NULL;
    int status;

    if ((status = check_config_args(argc, argv)) != 0 ||
        (status = load_config(argc, argv, &cfg)) != 0)
        return status;
    if ((status = open_configured(cfg, &db)) == 0 && gr_dbcli_print_versions(db, stdout) != GR_OK)
        status = fail("reading the schema versions");
    gr_db_close(db);
    gr_config_free(cfg);
    return status;
}

/*
 * Turns a --from or --to value into open options. `text` stays borrowed by
 * `opts`. Returns 0, or 2 after printing the error.
 */
static int parse_database(const char *option, const char *text, gr_db_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    if (strncmp(text, "sqlite:", 7) == 0 && text[7] != '\0') {
        opts->client = "better-sqlite3";
        opts->path = text + 7;
    } else if (strncmp(text, "pg:", 3) == 0 && text[3] != '\0') {
        opts->client = "pg";
        opts->connection = text + 3;
    } else if (strncmp(text, "postgresql://", 13) == 0 || strncmp(text, "postgres://", 11) == 0) {
        opts->client = "pg";
        opts->connection = text;
    } else {
        return usage_error("%s '%s': use sqlite:FILE, pg:CONNECTION or a postgresql:// URI",
                           option, text);
    }
    return 0;
}

typedef struct {
    const char *from;
    const char *to;
    int force;
    int batch_rows;
} copy_args;

static int parse_copy_args(int argc, char **argv, copy_args *args)
{
    memset(args, 0, sizeof(*args));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char *end = NULL;
        long rows;

        if (strcmp(arg, "--force") == 0) {
            args->force = 1;
        } else if (strcmp(arg, "--config") == 0 && i + 1 < argc) {
            i++;
        } else if (strncmp(arg, "--config=", 9) == 0) {
            continue;
        } else if ((strcmp(arg, "--from") == 0 || strcmp(arg, "--to") == 0 ||
                    strcmp(arg, "--batch-rows") == 0) && i + 1 < argc) {
            const char *value = argv[++i];

            if (strcmp(arg, "--from") == 0) {
                args->from = value;
            } else if (strcmp(arg, "--to") == 0) {
                args->to = value;
            } else {
                errno = 0;
                rows = strtol(value, &end, 10);

                if (errno != 0 || *end != '\0' || rows < 1 || rows > GR_DBCLI_COPY_BATCH_MAX)
                    return usage_error("--batch-rows '%s': expected a number from 1 to %d",
                                       value, GR_DBCLI_COPY_BATCH_MAX);
                args->batch_rows = (int)rows;
            }
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
    }
    if (args->from == NULL || args->to == NULL)
        return usage_error("copy needs --from sqlite:FILE and --to DATABASE");
    return 0;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Migrates the target, then copies. Returns the exit status. */
static int copy_databases(gr_db *source, gr_db *target, const gr_config *cfg,
                          const copy_args *args)
{
    gr_dbcli_copy_options opts = {.batch_rows = args->batch_rows, .progress = stdout};
    gr_dbcli_copy_stats stats = {0};
    struct timespec start;

    clock_gettime(CLOCK_MONOTONIC, &start);
    if (gr_dbcli_copy_check_target(target, args->force, stdout) != GR_OK)
        return fail("checking the target");
    /* The source is only read: migrating it would run plugin init hooks on
     * it, and those apply the config (such as catalog.locations) to its data. */
    printf("migrating the target database\n");
    if (gr_dbcli_migrate_all(target, cfg, stdout) != GR_OK)
        return fail("migrating the target");
    if (gr_dbcli_copy(source, target, &opts, &stats) != GR_OK)
        return fail("copying");
    printf("copied %zu tables, %lld rows in %.1f s\n", stats.tables, stats.rows,
           seconds_since(&start));
    return 0;
}

static int run_copy(int argc, char **argv)
{
    copy_args args;
    gr_db_options from_opts;
    gr_db_options to_opts;
    gr_config *cfg = NULL;
    gr_db *source = NULL;
    gr_db *target = NULL;
    int status;

    if ((status = parse_copy_args(argc, argv, &args)) != 0 ||
        (status = parse_database("--from", args.from, &from_opts)) != 0 ||
        (status = parse_database("--to", args.to, &to_opts)) != 0)
        return status;
    if (from_opts.path == NULL)
        return usage_error("--from must name a SQLite database (sqlite:FILE)");
    if (access(from_opts.path, R_OK) != 0)
        return usage_error("--from %s: %s", from_opts.path, strerror(errno));
    if ((status = load_config(argc, argv, &cfg)) != 0)
        return status;

    if (gr_db_open(&source, &from_opts) != GR_OK)
        status = fail("opening the source");
    else if (gr_db_open(&target, &to_opts) != GR_OK)
        status = fail("opening the target");
    else
        status = copy_databases(source, target, cfg, &args);

    gr_db_close(target);
    gr_db_close(source);
    gr_config_free(cfg);
    return status;
}

static int db_run(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("a subcommand is needed: migrate, status or copy");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(db_usage, stdout);
            return 0;
        }
    }
    if (strcmp(argv[1], "migrate") == 0)
        return run_migrate(argc - 1, argv + 1);
    if (strcmp(argv[1], "status") == 0)
        return run_status(argc - 1, argv + 1);
    if (strcmp(argv[1], "copy") == 0)
        return run_copy(argc - 1, argv + 1);
    return usage_error("unknown subcommand '%s'; use migrate, status or copy", argv[1]);
}

const gr_cli_command gr_dbcli_command = {
    .name = "db",
    .summary = "migrate the database, show its schema versions, copy SQLite to PostgreSQL",
    .usage = db_usage,
    .run = db_run,
};
