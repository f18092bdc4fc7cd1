/* SPDX-License-Identifier: MIT */
/* Fuzz fixture: a catalog engine on an in-memory SQLite database, filled from one file location. */
#ifndef GR_FUZZ_CATALOG_H
#define GR_FUZZ_CATALOG_H

/*
 * Header-only because each fuzz target is one program. The catalog is made
 * once per process on first use and lives until exit, so every input runs
 * against the same entities. The catalog file sits in a folder under
 * $TMPDIR that is removed at exit.
 */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/engine/catalog.h"

/* Entities of every kind, with relations that resolve, so facets and relation filters match. */
static const char fuzz_catalog_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Group\n"
    "metadata: {name: team-a, description: The A team}\n"
    "spec: {type: team, children: []}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: User\n"
    "metadata: {name: ada, namespace: default}\n"
    "spec: {memberOf: [team-a], profile: {displayName: Ada, email: ada@example.com}}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: System\n"
    "metadata: {name: shop}\n"
    "spec: {owner: team-a}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: payments\n"
    "  title: Payments\n"
    "  tags: [java, payments]\n"
    "  labels: {tier: gold}\n"
    "  annotations: {backstage.io/techdocs-ref: 'dir:.'}\n"
    "spec: {type: service, lifecycle: production, owner: team-a, system: shop,"
    " providesApis: [payments-api]}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata: {name: storefront, tags: [web]}\n"
    "spec: {type: website, lifecycle: experimental, owner: user:ada, system: shop,"
    " consumesApis: [payments-api]}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: API\n"
    "metadata: {name: payments-api}\n"
    "spec: {type: openapi, lifecycle: production, owner: team-a, definition: 'openapi: 3.0.0'}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Resource\n"
    "metadata: {name: payments-db, namespace: data}\n"
    "spec: {type: database, owner: team-a, dependencyOf: ['component:default/payments']}\n";

static char *fuzz_catalog_dir;

/* Files a target may write into the fixture's folder; they are removed at exit. */
static const char *const fuzz_catalog_files[] = {"catalog-info.yaml", "app-config.yaml"};

static void fuzz_catalog_cleanup(void)
{
    if (fuzz_catalog_dir == NULL)
        return;
    for (size_t i = 0; i < sizeof(fuzz_catalog_files) / sizeof(fuzz_catalog_files[0]); i++) {
        char *path = gr_xasprintf("%s/%s", fuzz_catalog_dir, fuzz_catalog_files[i]);

        unlink(path);
        free(path);
    }
    rmdir(fuzz_catalog_dir);
    free(fuzz_catalog_dir);
    fuzz_catalog_dir = NULL;
}

static void fuzz_catalog_fail(const char *what)
{
    fprintf(stderr, "fuzz catalog fixture: %s: %s\n", what, gr_error_last());
    abort();
}

/*
 * Writes `text` to `name` (one of fuzz_catalog_files) in the fixture's
 * folder, made on first use. Returns the file's path; caller frees.
 */
static char *fuzz_catalog_write_file(const char *name, const char *text)
{
    const char *tmp = getenv("TMPDIR");
    size_t len = strlen(text);
    char *path;
    FILE *file;

    if (fuzz_catalog_dir == NULL) {
        fuzz_catalog_dir = gr_xasprintf("%s/gr-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (mkdtemp(fuzz_catalog_dir) == NULL)
            fuzz_catalog_fail("mkdtemp");
        atexit(fuzz_catalog_cleanup);
    }
    path = gr_xasprintf("%s/%s", fuzz_catalog_dir, name);
    file = fopen(path, "w");
    if (file == NULL || fwrite(text, 1, len, file) != len)
        fuzz_catalog_fail(path);
    fclose(file);
    return path;
}

/*
 * Returns the engine, made on first call: an in-memory database, the
 * engine's and the API's migrations, and the catalog file ingested and
 * stitched on the calling thread. Aborts when any step fails.
 */
static gr_catalog *fuzz_catalog_get(void)
{
    static gr_catalog *catalog;
    gr_db_options db_options = {.client = "sqlite", .path = ":memory:"};
    gr_catalog_options options = {0};
    gr_db *db = NULL;
    char *path;
    json_t *config;

    if (catalog != NULL)
        return catalog;
    gr_log_set_level(GR_LOG_ERROR);
    path = fuzz_catalog_write_file("catalog-info.yaml", fuzz_catalog_yaml);
    /* Users may register only URL locations, and no host is allowed for reading, so
     * no input can make the engine read other files or reach the network. */
    config = json_pack("{s:{s:[{s:[s,s,s,s,s,s,s]}], s:[{s:s,s:s}], s:[s]}}", "catalog",
                       "rules", "allow", "Component", "API", "Location", "Group", "User",
                       "System", "Resource", "locations", "type", "file", "target", path,
                       "allowedLocationTypes", "url");
    if (gr_db_open(&db, &db_options) != GR_OK)
        fuzz_catalog_fail("opening the database");
    options.db = db;
    options.config = config;
    options.instance_id = "fuzz";
    if (gr_catalog_new(&catalog, &options) != GR_OK)
        fuzz_catalog_fail("creating the engine");
    if (gr_catalog_wait_idle(catalog, 60000) != GR_OK)
        fuzz_catalog_fail("ingesting the catalog file");
    if (gr_catalog_api_migrate(db) != GR_OK)
        fuzz_catalog_fail("applying the API migrations");
    json_decref(config);
    free(path);
    return catalog;
}

#endif
