/* SPDX-License-Identifier: MIT */
/* `greenroom catalog export`: writes every final entity of the catalog as multi-document YAML. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/store/db.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/cli.h"

const char gr_catalog_export_usage[] =
    "usage: greenroom catalog export [--config FILE]... [-o FILE]\n"
    "\n"
    "Writes every entity of the catalog in the configured database, as served by the\n"
    "API (with relations, status, uid and etag), as one YAML document each, ordered\n"
    "by entity reference.\n"
    "\n"
    "Options:\n"
    "  --config FILE     app-config file; several are merged in order\n"
    "  -o, --output FILE file to write (default: standard output)\n"
    "\n"
    "Exit status: 0 written, 1 failure, 2 usage or configuration error.\n";

/* Returns a copy of `entity` that starts with apiVersion, kind, metadata and spec, in the order
 * of catalog files, followed by its other members. */
static json_t *in_file_order(json_t *entity)
{
    static const char *const first[] = {"apiVersion", "kind", "metadata", "spec"};
    json_t *ordered = json_object();
    const char *key;
    json_t *value;

    for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
        if (json_object_get(entity, first[i]) != NULL)
            json_object_set(ordered, first[i], json_object_get(entity, first[i]));
    }
    json_object_foreach(entity, key, value)
    {
        if (json_object_get(ordered, key) == NULL)
            json_object_set(ordered, key, value);
    }
    return ordered;
}

static int write_entities(gr_db *db, FILE *out, long *count)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    gr_buf yaml = GR_BUF_INIT;
    int rc = gr_db_acquire(db, GR_DB_READ, &conn);

    if (rc == GR_OK)
        rc = gr_db_prepare(conn,
                           "SELECT entity_ref, final_entity FROM catalog_final_entities "
                           "ORDER BY entity_ref",
                           &stmt);
    while (stmt != NULL && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        json_t *stored = json_loads(gr_db_column_text(stmt, 1), 0, NULL);
        json_t *entity = json_is_object(stored) ? in_file_order(stored) : NULL;

        json_decref(stored);
        gr_buf_reset(&yaml);
        if (entity == NULL || gr_yaml_emit(entity, &yaml) != GR_OK) {
            rc = gr_error_set(GR_EINVALID, "entity %s cannot be written as YAML: %s",
                              gr_db_column_text(stmt, 0), entity ? gr_error_last() : "bad JSON");
            json_decref(entity);
            break;
        }
        json_decref(entity);
        fputs("---\n", out);
        fwrite(yaml.data, 1, yaml.len, out);
        (*count)++;
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_buf_free(&yaml);
    return rc;
}

int gr_catalog_cli_export(int argc, char **argv)
{
    const char *output = NULL;
    gr_config *config = NULL;
    gr_db *db = NULL;
    FILE *out = stdout;
    long count = 0;
    int status = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(gr_catalog_export_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--config") == 0) {
            i++; /* read by gr_config_load_args() */
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            continue;
        } else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
                   i + 1 < argc) {
            output = argv[++i];
        } else {
            fprintf(stderr, "greenroom catalog export: unexpected argument '%s'\n%s", argv[i],
                    gr_catalog_export_usage);
            return 2;
        }
    }
    if (gr_catalog_cli_open("export", argc, argv, &config, &db) != 0)
        return 2;
    if (output != NULL) {
        out = fopen(output, "w");
        if (out == NULL) {
            perror(output);
            goto done;
        }
    }
    if (write_entities(db, out, &count) != GR_OK) {
        fprintf(stderr, "greenroom catalog export: %s (has 'greenroom catalog import' or the "
                        "server created the catalog in this database?)\n",
                gr_error_last());
        goto done;
    }
    if (fflush(out) != 0) {
        perror(output ? output : "stdout");
        goto done;
    }
    if (output != NULL)
        fprintf(stderr, "wrote %ld entities to %s\n", count, output);
    status = 0;
done:
    if (out != NULL && out != stdout)
        fclose(out);
    gr_db_close(db);
    gr_config_free(config);
    return status;
}
