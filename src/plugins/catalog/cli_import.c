/* SPDX-License-Identifier: MIT */
/* `greenroom catalog import`: registers a location and ingests it until the catalog is idle. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/store/db.h"
#include "plugins/catalog/cli.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/engine/read.h"

/* Default time import waits for the catalog to become idle, in seconds. */
#define IMPORT_TIMEOUT_DEFAULT_S 600
/* Time between two progress updates, in ms. */
#define IMPORT_PROGRESS_MS 200
/* Width of the progress bar, in characters. */
#define IMPORT_BAR_WIDTH 30

const char gr_catalog_import_usage[] =
    "usage: greenroom catalog import PATH|URL [--config FILE]... [--timeout SECONDS]\n"
    "\n"
    "Registers a location in the catalog of the configured database and processes it,\n"
    "with everything it leads to, until the catalog is idle. Prints the number of\n"
    "entities and every processing error of this location's entities.\n"
    "\n"
    "PATH is a catalog file, a folder (its catalog-info.yaml) or a glob such as\n"
    "'repos/*/catalog-info.yaml'; URL is an http(s) URL on a host allowed by\n"
    "integrations or backend.reading.allow; 'git:/srv/repo.git?ref=main&path=catalog-info.yaml'\n"
    "reads a file of a git repository. The kinds a location may emit follow\n"
    "catalog.rules, as in Backstage.\n"
    "\n"
    "Options:\n"
    "  --config FILE      app-config file; several are merged in order\n"
    "  --timeout SECONDS  time to wait for the catalog to become idle (default 600)\n"
    "\n"
    "Exit status: 0 imported without errors, 1 some entity of this location has\n"
    "processing errors or the timeout passed, 2 usage or configuration error, or\n"
    "catalog.readonly is true.\n";

/* Turns the argument into a location type and target. */
static int location_of(const char *argument, char **type, char **target)
{
    char absolute[PATH_MAX];
    struct stat st;

    if (strncmp(argument, "http://", 7) == 0 || strncmp(argument, "https://", 8) == 0) {
        *type = gr_xstrdup("url");
        *target = gr_xstrdup(argument);
        return GR_OK;
    }
    if (strncmp(argument, "git:", 4) == 0) {
        *type = gr_xstrdup("git");
        *target = gr_xstrdup(argument + 4);
        return GR_OK;
    }
    *type = gr_xstrdup("file");
    if (argument[0] == '/')
        *target = gr_xstrdup(argument);
    else if (getcwd(absolute, sizeof(absolute)) != NULL)
        *target = gr_xasprintf("%s/%s", absolute, argument);
    else
        return gr_error_set(GR_EBACKEND, "the current folder cannot be read");
    gr_catalog__normalize_path(*target);
    if (stat(*target, &st) == 0 && S_ISDIR(st.st_mode)) {
        char *file = gr_xasprintf("%s/catalog-info.yaml", *target);

        free(*target);
        *target = file;
    }
    return GR_OK;
}

static void print_progress(const gr_catalog_counts *counts, int final_line)
{
    int64_t total = counts->entities > 0 ? counts->entities : 1;
    int64_t done_count = counts->final + counts->errors;
    int filled = (int)(done_count * IMPORT_BAR_WIDTH / total);

    if (filled > IMPORT_BAR_WIDTH)
        filled = IMPORT_BAR_WIDTH;
    fprintf(stderr, "\r[%.*s%*s] %lld entities, %lld stitched, %lld errors, %lld pending ",
            filled, "##############################", IMPORT_BAR_WIDTH - filled, "",
            (long long)counts->entities, (long long)counts->final, (long long)counts->errors,
            (long long)(counts->due + counts->stitching));
    if (final_line)
        fputc('\n', stderr);
    fflush(stderr);
}

static void print_errors(const json_t *errors)
{
    size_t index;
    json_t *item;

    json_array_foreach (errors, index, item) {
        size_t k;
        json_t *error;

        json_array_foreach (json_object_get(item, "errors"), k, error) {
            const char *location = json_string_value(json_object_get(item, "location"));

            printf("%s: %s: %s: %s\n", location ? location : "-",
                   json_string_value(json_object_get(item, "entityRef")),
                   json_string_value(json_object_get(error, "name")),
                   json_string_value(json_object_get(error, "message")));
        }
    }
}

int gr_catalog_cli_import(int argc, char **argv)
{
    const char *argument = NULL;
    long timeout_s = IMPORT_TIMEOUT_DEFAULT_S;
    gr_config *config = NULL;
    gr_db *db = NULL;
    gr_catalog *catalog = NULL;
    json_t *location = NULL, *errors = NULL;
    char *type = NULL, *target = NULL;
    gr_catalog_counts counts;
    int tty = isatty(STDERR_FILENO);
    int64_t waited = 0;
    int status = 2;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(gr_catalog_import_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--config") == 0) {
            i++; /* read by gr_config_load_args() */
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            continue;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout_s = strtol(argv[++i], NULL, 10);
        } else if (argv[i][0] == '-' || argument != NULL) {
            fprintf(stderr, "greenroom catalog import: unexpected argument '%s'\n%s", argv[i],
                    gr_catalog_import_usage);
            return 2;
        } else {
            argument = argv[i];
        }
    }
    if (argument == NULL || timeout_s <= 0) {
        fputs(gr_catalog_import_usage, stderr);
        return 2;
    }
    if (gr_catalog_cli_open("import", argc, argv, &config, &db) != 0)
        return 2;
    if (location_of(argument, &type, &target) != GR_OK) {
        fprintf(stderr, "greenroom catalog import: %s\n", gr_error_last());
        goto done;
    }
    {
        gr_catalog_options options = {.db = db, .config = gr_config_node(config, "")};

        if (gr_catalog_new(&catalog, &options) != GR_OK) {
            fprintf(stderr, "greenroom catalog import: %s\n", gr_error_last());
            goto done;
        }
    }
    /* Readonly mode rejects registering locations, as POST /api/catalog/locations does. */
    if (gr_catalog_readonly(catalog)) {
        fprintf(stderr,
                "greenroom catalog import: the catalog is in readonly mode "
                "(catalog.readonly: true), so no location was registered. Set "
                "catalog.readonly to false, or add the location to catalog.locations "
                "with type: %s and target: %s\n",
                type, target);
        goto done;
    }
    if (gr_catalog_import_location(catalog, type, target, &location) != GR_OK) {
        fprintf(stderr, "greenroom catalog import: %s:%s: %s\n", type, target, gr_error_last());
        goto done;
    }
    printf("location %s %s:%s\n", json_string_value(json_object_get(location, "id")), type,
           target);
    status = 1;
    if (gr_catalog_start(catalog) != GR_OK) {
        fprintf(stderr, "greenroom catalog import: %s\n", gr_error_last());
        goto done;
    }
    for (;;) {
        rc = gr_catalog_wait_idle(catalog, IMPORT_PROGRESS_MS);
        waited += IMPORT_PROGRESS_MS;
        if (tty && gr_catalog_counts_read(catalog, &counts) == GR_OK)
            print_progress(&counts, rc == GR_OK);
        if (rc == GR_OK)
            break;
        if (rc != GR_ELIMIT || waited >= timeout_s * 1000) {
            fprintf(stderr, "greenroom catalog import: %s\n", gr_error_last());
            goto done;
        }
    }
    gr_catalog_stop(catalog);
    /* Only the errors of this location's entities count: others were there before. */
    if (gr_catalog_counts_read(catalog, &counts) != GR_OK ||
        gr_catalog_processing_errors_under(
            catalog, json_string_value(json_object_get(location, "entityRef")), &errors) != GR_OK) {
        fprintf(stderr, "greenroom catalog import: %s\n", gr_error_last());
        goto done;
    }
    print_errors(errors);
    printf("this location: %zu %s with processing errors; whole catalog: %lld entities "
           "read, %lld of them stitched\n",
           json_array_size(errors), json_array_size(errors) == 1 ? "entity" : "entities",
           (long long)counts.entities, (long long)counts.final);
    status = json_array_size(errors) > 0 ? 1 : 0;
    if (status != 0)
        fprintf(stderr,
                "greenroom catalog import: the location stays registered; fix the files and "
                "import again, or remove it with DELETE /api/catalog/locations/%s\n",
                json_string_value(json_object_get(location, "id")));
done:
    json_decref(location);
    json_decref(errors);
    gr_catalog_free(catalog);
    gr_db_close(db);
    gr_config_free(config);
    free(type);
    free(target);
    return status;
}
