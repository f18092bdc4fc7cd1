/* SPDX-License-Identifier: MIT */
/* The `greenroom search` command: rebuild the index, or run a query from the shell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/serve/db_options.h"
#include "plugins/search/collator_techdocs.h"
#include "plugins/search/plugin.h"
#include "plugins/techdocs/plugin.h"
#include "plugins/techdocs/service.h"

static const char search_usage[] =
    "usage: greenroom search reindex [--config FILE]...\n"
    "       greenroom search query [TERM] [--type TYPE]... [--filter KEY=VALUE]...\n"
    "                              [--limit N] [--cursor CURSOR] [--config FILE]...\n"
    "\n"
    "reindex  rebuilds the search index from every collator (software-catalog,\n"
    "         techdocs) into a new generation and switches to it when it is\n"
    "         complete. A running server keeps answering from the old index until\n"
    "         then, and changes made meanwhile are carried over.\n"
    "query    prints the result set of a query as JSON, as GET /api/search/query\n"
    "         returns it, without permission checks.\n"
    "\n"
    "The database is the one `backend.database` names in the --config files.\n"
    "\n"
    "Exit status: 0 done, 1 failed (also when another reindex is running),\n"
    "2 usage or configuration error.\n";

typedef struct {
    gr_config *config;
    gr_db *db;
    gr_techdocs_service *techdocs; /* reads the published docs sites, not started */
    gr_search *search;
} cli_context;

static int open_context(cli_context *context, int argc, char **argv)
{
    gr_config_schema *schema = NULL;
    gr_db_options options;
    gr_serve_db_storage storage;
    int rc;

    memset(context, 0, sizeof(*context));
    if ((rc = gr_config_schema_builtin(&schema)) < 0 ||
        (rc = gr_config_load_args(&context->config, argc, argv, schema)) < 0) {
        fprintf(stderr, "greenroom search: %s\n", gr_error_last());
        gr_config_schema_free(schema);
        return 2;
    }
    gr_config_schema_free(schema);
    gr_config_apply_log_level(context->config);
    if ((rc = gr_serve_db_options(context->config, &options, &storage)) < 0 ||
        (rc = gr_serve_db_check_shared(&options)) < 0) {
        fprintf(stderr, "greenroom search: %s\n", gr_error_last());
        gr_serve_db_storage_free(&storage);
        return 2;
    }
    rc = gr_db_open(&context->db, &options);
    gr_serve_db_storage_free(&storage);
    /* The commands apply the migrations that serve would, so they work on a new database. */
    if (rc == 0 && (rc = gr_techdocs_migrate(context->db)) == 0)
        rc = gr_search_migrate(context->db);
    if (rc == 0) {
        gr_techdocs_service_options techdocs = {0};

        techdocs.db = context->db;
        techdocs.config = context->config;
        techdocs.instance_id = "search-cli";

        rc = gr_techdocs_service_new(&context->techdocs, &techdocs);
    }
    if (rc == 0)
        rc = gr_search_new_builtin(&context->search, context->db, context->config, NULL);
    if (rc == 0)
        gr_search_attach_techdocs(context->search, context->techdocs);
    if (rc < 0) {
        fprintf(stderr, "greenroom search: %s\n", gr_error_last());
        return 1;
    }
    return 0;
}

static void close_context(cli_context *context)
{
    gr_search_free(context->search);
    gr_techdocs_service_free(context->techdocs);
    gr_db_close(context->db);
    gr_config_free(context->config);
}

static int run_reindex(int argc, char **argv)
{
    cli_context context;
    gr_search_reindex_stats stats;
    int status = open_context(&context, argc, argv);

    if (status != 0) {
        close_context(&context);
        return status;
    }
    if (gr_search_reindex(context.search, &stats) < 0) {
        fprintf(stderr, "greenroom search reindex: %s\n", gr_error_last());
        status = 1;
    } else {
        printf("indexed %zu documents into generation %lld in %.3f s (%zu changed meanwhile)\n",
               stats.documents, (long long)stats.generation, stats.seconds, stats.catch_up);
    }
    close_context(&context);
    return status;
}

/* Options of `search query`; the strings point into argv. */
typedef struct {
    gr_search_request request;
    const char *types[GR_SEARCH_MAX_QUERY_TYPES];
    gr_search_filter filters[GR_SEARCH_MAX_FILTERS];
    const char *values[GR_SEARCH_MAX_FILTERS];
    char *keys[GR_SEARCH_MAX_FILTERS];
} query_options;

static int parse_query(query_options *options, int argc, char **argv)
{
    memset(options, 0, sizeof(*options));
    options->request.types = options->types;
    options->request.filters = options->filters;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(arg, "--config") == 0 && value != NULL) {
            i++;
        } else if (strncmp(arg, "--config=", 9) == 0) {
            continue;
        } else if (strcmp(arg, "--type") == 0 && value != NULL &&
                   options->request.type_count < GR_SEARCH_MAX_QUERY_TYPES) {
            options->types[options->request.type_count++] = value;
            i++;
        } else if (strcmp(arg, "--filter") == 0 && value != NULL && strchr(value, '=') &&
                   options->request.filter_count < GR_SEARCH_MAX_FILTERS) {
            size_t n = options->request.filter_count++;

            options->keys[n] = gr_xstrndup(value, (size_t)(strchr(value, '=') - value));
            options->values[n] = strchr(value, '=') + 1;
            options->filters[n].key = options->keys[n];
            options->filters[n].values = &options->values[n];
            options->filters[n].count = 1;
            i++;
        } else if (strcmp(arg, "--limit") == 0 && value != NULL) {
            options->request.page_limit = atoi(value);
            i++;
        } else if (strcmp(arg, "--cursor") == 0 && value != NULL) {
            options->request.page_cursor = value;
            i++;
        } else if (arg[0] != '-' && options->request.term == NULL) {
            options->request.term = arg;
        } else {
            fprintf(stderr, "greenroom search query: unexpected argument '%s'\n%s", arg,
                    search_usage);
            return 2;
        }
    }
    return 0;
}

static int run_query(int argc, char **argv)
{
    query_options options;
    cli_context context;
    json_t *result = NULL;
    int status = parse_query(&options, argc, argv);

    if (status == 0 && (status = open_context(&context, argc, argv)) != 0)
        close_context(&context);
    if (status == 0) {
        if (gr_search_query(context.search, &options.request, NULL, &result) < 0) {
            fprintf(stderr, "greenroom search query: %s\n", gr_error_last());
            status = gr_error_last_code() == GR_EINVALID ? 2 : 1;
        } else {
            json_dumpf(result, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
        }
        json_decref(result);
        close_context(&context);
    }
    for (size_t i = 0; i < options.request.filter_count; i++)
        free(options.keys[i]);
    return status;
}

static int run_search(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "reindex") == 0)
        return run_reindex(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "query") == 0)
        return run_query(argc - 1, argv + 1);
    fputs(search_usage, stderr);
    return 2;
}

const gr_plugin_command gr_search_commands[] = {
    {
        .name = "search",
        .summary = "rebuild the search index or run a search query",
        .usage = search_usage,
        .run = run_search,
    },
    {.name = NULL},
};
