/* SPDX-License-Identifier: MIT */
/* Test fixture for the TechDocs service: a docs source on disk and its entity in the catalog. */
#ifndef GR_TEST_TECHDOCS_FIXTURE_H
#define GR_TEST_TECHDOCS_FIXTURE_H

/*
 * Header-only, included after cmocka.h and db_fixture.h. Entities reach
 * the catalog through the real catalog engine, reading a file location.
 */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/techdocs/plugin.h"
#include "plugins/techdocs/service.h"

/* Generous bounds: the tests run under sanitizers on small machines. */
#define TECHDOCS_WAIT_MS 20000

/* Writes a small docs source (catalog-info.yaml, mkdocs.yml, two pages) into `dir`. */
static inline void techdocs_write_source(const char *dir, const char *home_text)
{
    char *index = gr_xasprintf("# Home\n\n%s\n\n## Setup\n\nSee [the guide](guide.md).\n",
                               home_text);

    gr_test_write_file(dir, "catalog-info.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata:\n  name: shop\n  title: Shop service\n  annotations:\n"
                       "    backstage.io/techdocs-ref: dir:.\n"
                       "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n");
    gr_test_write_file(dir, "mkdocs.yml",
                       "site_name: Shop docs\nrepo_url: https://github.com/example/shop\n"
                       "edit_uri: edit/main/docs/\nnav:\n  - Home: index.md\n"
                       "  - Guide: guide.md\n");
    gr_test_write_file(dir, "docs/index.md", index);
    gr_test_write_file(dir, "docs/guide.md", "# Guide\n\nStep one.\n\n## Details\n\nMore.\n");
    free(index);
}

/* Registers `dir`/catalog-info.yaml as a file location and lets the catalog
 * engine ingest it, so the entity carries the annotations the engine sets. */
static inline void techdocs_add_entity(gr_db *db, const char *dir)
{
    gr_catalog_options options = {.db = db, .instance_id = "techdocs-test"};
    gr_catalog *catalog = NULL;
    char *target = gr_xasprintf("%s/catalog-info.yaml", dir);

    if (gr_catalog_new(&catalog, &options) != GR_OK)
        fail_msg("gr_catalog_new: %s", gr_error_last());
    if (gr_catalog_import_location(catalog, "file", target, NULL) != GR_OK)
        fail_msg("registering %s: %s", target, gr_error_last());
    if (gr_catalog_wait_idle(catalog, TECHDOCS_WAIT_MS) != GR_OK)
        fail_msg("the catalog did not ingest %s: %s", target, gr_error_last());
    gr_catalog_free(catalog);
    free(target);
}

/* Settings for tests: one worker, a long first-view wait, checks on every view. */
static inline gr_techdocs_settings techdocs_test_settings(const char *publish_dir)
{
    gr_techdocs_settings settings;

    gr_techdocs_settings_read(NULL, &settings);
    settings.workers = 2;
    settings.wait_ms = TECHDOCS_WAIT_MS;
    settings.check_interval_ms = 0;
    if (publish_dir != NULL) {
        settings.store = GR_TECHDOCS_STORE_FOLDER;
        settings.publish_directory = publish_dir;
    }
    return settings;
}

/* Creates and starts a service on `db`. */
static inline gr_techdocs_service *techdocs_start(gr_db *db, const gr_techdocs_settings *settings,
                                                  const char *instance_id)
{
    gr_techdocs_service_options options = {db, NULL, settings, instance_id, NULL};
    gr_techdocs_service *service = NULL;

    if (gr_techdocs_migrate(db) != GR_OK || gr_techdocs_service_new(&service, &options) != GR_OK)
        fail_msg("gr_techdocs_service_new: %s", gr_error_last());
    assert_int_equal(gr_techdocs_service_start(service), GR_OK);
    return service;
}

/* Reads a site file as text; fails the test when it is missing. Caller frees. */
static inline char *techdocs_read_text(gr_techdocs_service *service,
                                       const gr_techdocs_triplet *triplet, const char *path)
{
    gr_techdocs_blob blob;
    char *text;

    if (gr_techdocs_service_read(service, triplet, path, 1, &blob) != GR_OK)
        fail_msg("reading %s: %s", path, gr_error_last());
    text = (char *)blob.data;
    blob.data = NULL;
    gr_techdocs_blob_free(&blob);
    return text;
}

#endif
