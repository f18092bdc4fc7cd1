/* SPDX-License-Identifier: MIT */
/* Test fixture for the TechDocs service: a docs source on disk and its entity in the catalog. */
#ifndef GR_TEST_TECHDOCS_FIXTURE_H
#define GR_TEST_TECHDOCS_FIXTURE_H

/*
 * Header-only, included after cmocka.h and db_fixture.h. The catalog
 * tables are created here with the columns the catalog engine's migration
 * gives them, so the service's lookups run real SQL on both engines.
 */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "plugins/techdocs/service.h"

/* Generous bounds: the tests run under sanitizers on small machines. */
#define TECHDOCS_WAIT_MS 20000

static const char techdocs_catalog_sql[] =
    "CREATE TABLE IF NOT EXISTS catalog_final_entities ("
    " entity_id TEXT PRIMARY KEY, entity_ref TEXT NOT NULL UNIQUE, hash TEXT NOT NULL,"
    " final_entity TEXT, last_updated_at BIGINT NOT NULL, kind TEXT NOT NULL,"
    " namespace TEXT NOT NULL, name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS catalog_search ("
    " entity_id TEXT NOT NULL, key TEXT NOT NULL, original_value TEXT, value TEXT)";

/* Writes a small docs source (catalog-info.yaml, mkdocs.yml, two pages) into `dir`. */
static inline void techdocs_write_source(const char *dir, const char *home_text)
{
    char *index = gr_xasprintf("# Home\n\n%s\n\n## Setup\n\nSee [the guide](guide.md).\n",
                               home_text);

    gr_test_write_file(dir, "catalog-info.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata:\n  name: shop\n  annotations:\n"
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

/* Inserts an entity whose docs are at `dir` (`ref` is the techdocs-ref value). */
static inline void techdocs_add_entity(gr_db *db, const char *kind, const char *name,
                                       const char *dir, const char *ref)
{
    char *location = gr_xasprintf("file:%s/catalog-info.yaml", dir);
    char *entity_ref = gr_xasprintf("%s:default/%s", kind, name);
    json_t *entity = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:s, s:s}}", "apiVersion",
        "backstage.io/v1alpha1", "kind", kind, "metadata", "name", name, "namespace", "default",
        "uid", name, "annotations", "backstage.io/managed-by-location", location,
        "backstage.io/techdocs-ref", ref, "spec", "type", "service", "lifecycle", "production",
        "owner", "group:default/team-a");
    char *text = json_dumps(entity, JSON_COMPACT);
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *lower_kind = gr_xstrdup(kind);

    for (char *p = lower_kind; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    for (char *p = entity_ref; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    db_fixture_exec(db, techdocs_catalog_sql);
    assert_int_equal(gr_db_acquire(db, GR_DB_WRITE, &conn), GR_OK);
    assert_int_equal(gr_db_prepare(conn,
                                   "INSERT INTO catalog_final_entities (entity_id, entity_ref,"
                                   " hash, final_entity, last_updated_at, kind, namespace, name)"
                                   " VALUES (?, ?, 'h', ?, 0, ?, 'default', ?)",
                                   &stmt),
                     GR_OK);
    gr_db_bind_text(stmt, 1, entity_ref);
    gr_db_bind_text(stmt, 2, entity_ref);
    gr_db_bind_text(stmt, 3, text);
    gr_db_bind_text(stmt, 4, lower_kind);
    gr_db_bind_text(stmt, 5, name);
    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(lower_kind);
    free(text);
    json_decref(entity);
    free(entity_ref);
    free(location);
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
    gr_techdocs_service_options options = {db, NULL, settings, instance_id};
    gr_techdocs_service *service = NULL;

    if (gr_techdocs_service_new(&service, &options) != GR_OK)
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
