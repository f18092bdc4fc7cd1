/* SPDX-License-Identifier: MIT */
/* Test fixture: a search service over a fresh database with catalog tables, on SQLite or PostgreSQL. */
#ifndef GR_TEST_SEARCH_FIXTURE_H
#define GR_TEST_SEARCH_FIXTURE_H

/*
 * Header-only, like db_fixture.h, because each .c under tests/unit/search/
 * is its own program. Include it after cmocka.h.
 *
 * The catalog tables are made here with the catalog's layout
 * (catalog_final_entities, catalog_search, catalog_history). Entities are
 * written the way stitching leaves them: the final entity as JSON with its
 * ref in lower case, plus lower-case key/value rows for annotations,
 * spec.owner and relations ("relations.ownedby" = the target ref), and a
 * catalog_history row for each write and delete.
 */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit/store/db_fixture.h"
#include "host/config/config.h"
#include "plugins/search/collator_techdocs.h"
#include "plugins/search/entities.h"
#include "plugins/search/plugin.h"
#include "plugins/search/search.h"
#include "plugins/techdocs/plugin.h"
#include "plugins/techdocs/service.h"

typedef struct {
    db_fixture *db;
    char *dir;          /* contains the config file and the built sites */
    gr_config *config;
    gr_techdocs_service *techdocs; /* stores the sites in the database, not started */
    gr_search *search;
    int site_count;
} search_fixture;

static const char catalog_tables_sql[] =
    "CREATE TABLE IF NOT EXISTS catalog_final_entities (entity_id TEXT PRIMARY KEY,"
    " entity_ref TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, final_entity TEXT,"
    " last_updated_at BIGINT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL,"
    " name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS catalog_search (entity_id TEXT NOT NULL, key TEXT NOT NULL,"
    " original_value TEXT, value TEXT);"
    "CREATE INDEX IF NOT EXISTS catalog_search_key_value_entity_original"
    " ON catalog_search (key, value, entity_id, original_value);"
    "CREATE INDEX IF NOT EXISTS catalog_search_entity_key_value"
    " ON catalog_search (entity_id, key, value)";

static inline int64_t fixture_now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Runs one statement with text parameters on the writer; fails the test on error. */
static inline void fixture_run(gr_db *db, const char *sql, const char *const *params, int count)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_acquire(db, GR_DB_WRITE, &conn);

    if (rc == 0)
        rc = gr_db_prepare(conn, sql, &stmt);
    for (int i = 0; rc == 0 && i < count; i++)
        rc = gr_db_bind_text(stmt, i + 1, params[i]);
    if (rc == 0 && gr_db_step(stmt) < 0)
        rc = -1;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (rc != 0)
        fail_msg("%s: %s", sql, gr_error_last());
}

static inline void catalog_search_row(gr_db *db, const char *id, const char *key,
                                      const char *value)
{
    char *lower_key = gr_search_ascii_lower(gr_xstrdup(key));
    char *lower_value = gr_search_ascii_lower(gr_xstrdup(value));
    /* As the engine stores it: no original value where it equals the lower-cased one. */
    const char *original = strcmp(value, lower_value) == 0 ? NULL : value;
    const char *params[] = {id, lower_key, original, lower_value};

    fixture_run(db,
                "INSERT INTO catalog_search (entity_id, key, original_value, value) "
                "VALUES (?, ?, ?, ?)",
                params, 4);
    free(lower_key);
    free(lower_value);
}

/* Creates catalog_history as the catalog's migration does. */
static inline void catalog_history_table(gr_db *db)
{
    char *sql = gr_xasprintf("CREATE TABLE IF NOT EXISTS catalog_history (id %s, entity_ref TEXT "
                             "NOT NULL, entity_id TEXT NOT NULL, changed_at BIGINT NOT NULL, "
                             "cause TEXT NOT NULL, change TEXT NOT NULL, diff TEXT NOT NULL)",
                             gr_db_sql_auto_id(db));

    db_fixture_exec(db, sql);
    free(sql);
}

/* Records a change of `ref` in catalog_history, as stitching and deleting do. */
static inline void history_row(gr_db *db, const char *ref, const char *change)
{
    const char *params[] = {ref, ref, change};

    fixture_run(db,
                "INSERT INTO catalog_history (entity_ref, entity_id, changed_at, cause, change, "
                "diff) VALUES (?, ?, 0, 'test', ?, '[]')",
                params, 3);
}

/* Writes (or replaces) a final entity given as JSON text without a history row; returns its
 * ref (caller frees). */
static inline char *write_entity(gr_db *db, const char *json_text)
{
    json_error_t error;
    json_t *entity = json_loads(json_text, 0, &error);
    const char *kind;
    const char *name;
    const char *namespace_;
    const char *owner;
    const json_t *annotations;
    const json_t *relation;
    const char *key;
    json_t *value;
    size_t index;
    char *ref;

    if (entity == NULL)
        fail_msg("invalid test entity: %s", error.text);
    kind = gr_search_entity_string(entity, "kind");
    name = gr_search_entity_string(entity, "metadata.name");
    namespace_ = gr_search_entity_string(entity, "metadata.namespace");
    if (namespace_ == NULL)
        namespace_ = "default";
    ref = gr_search_ascii_lower(gr_xasprintf("%s:%s/%s", kind, namespace_, name));
    {
        char *lower_kind = gr_search_ascii_lower(gr_xstrdup(kind));
        const char *params[] = {ref, ref, json_text, lower_kind, namespace_, name};

        fixture_run(db, "DELETE FROM catalog_search WHERE entity_id = ?", params, 1);
        fixture_run(db,
                    "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash, "
                    "final_entity, last_updated_at, kind, namespace, name) "
                    "VALUES (?, ?, 'h', ?, 0, ?, ?, ?) ON CONFLICT (entity_id) DO UPDATE SET "
                    "final_entity = excluded.final_entity",
                    params, 6);
        free(lower_kind);
    }
    owner = gr_search_entity_string(entity, "spec.owner");
    if (owner != NULL)
        catalog_search_row(db, ref, "spec.owner", owner);
    annotations = json_object_get(json_object_get(entity, "metadata"), "annotations");
    json_object_foreach((json_t *)annotations, key, value) {
        char *full = gr_xasprintf("metadata.annotations.%s", key);

        catalog_search_row(db, ref, full, json_string_value(value));
        free(full);
    }
    json_array_foreach(json_object_get(entity, "relations"), index, relation) {
        const char *type = json_string_value(json_object_get(relation, "type"));
        const char *target = json_string_value(json_object_get(relation, "targetRef"));
        char *full;

        if (type == NULL || target == NULL)
            continue;
        full = gr_xasprintf("relations.%s", type);
        catalog_search_row(db, ref, full, target);
        free(full);
    }
    json_decref(entity);
    return ref;
}

/* Writes (or replaces) a final entity and records the change in catalog_history; returns its
 * ref (caller frees). */
static inline char *put_entity(gr_db *db, const char *json_text)
{
    char *ref = write_entity(db, json_text);

    history_row(db, ref, "updated");
    return ref;
}

static inline void delete_entity(gr_db *db, const char *ref)
{
    const char *params[] = {ref};

    fixture_run(db, "DELETE FROM catalog_search WHERE entity_id = ?", params, 1);
    fixture_run(db, "DELETE FROM catalog_final_entities WHERE entity_id = ?", params, 1);
    history_row(db, ref, "deleted");
}

/* Publishes a TechDocs site of default/<kind>/<name> with `index_json` as its search
 * index, through the TechDocs store as `greenroom techdocs publish` does. */
static inline void put_site(search_fixture *fixture, const char *kind, const char *name,
                            const char *index_json)
{
    char *site = gr_xasprintf("%s/site-%d", fixture->dir, fixture->site_count++);
    gr_techdocs_triplet triplet;

    gr_test_write_file(site, "index.html", "<h1>Docs</h1>");
    gr_test_write_file(site, "search/search_index.json", index_json);
    if (gr_techdocs_triplet_init(&triplet, "default", kind, name) != 0)
        fail_msg("invalid triplet: %s", gr_error_last());
    if (gr_techdocs_store_publish(gr_techdocs_service_store(fixture->techdocs), &triplet, site,
                                  "publish", NULL, NULL) != 0)
        fail_msg("publishing the site failed: %s", gr_error_last());
    gr_techdocs_triplet_free(&triplet);
    free(site);
}

static inline int search_fixture_setup(void **state)
{
    search_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));
    gr_config_schema *schema = NULL;
    char *config_path;
    char *config_text;
    const char *files[1];

    /* The PostgreSQL engine creates the unaccent extension, which belongs to
     * a whole database, so two test programs sharing one database (the
     * schemas of $GR_TEST_PG_URL) would drop it under each other. Each search
     * test program therefore starts its own server. */
    unsetenv("GR_TEST_PG_URL");
    if (db_fixture_setup(state) != 0) {
        free(fixture);
        return -1;
    }
    fixture->db = *state;
    db_fixture_exec(fixture->db->db, catalog_tables_sql);
    catalog_history_table(fixture->db->db);

    fixture->dir = gr_test_tmpdir("search");
    config_text = gr_xasprintf("techdocs:\n  publisher:\n    type: database\n");
    gr_test_write_file(fixture->dir, "app-config.yaml", config_text);
    free(config_text);
    config_path = gr_xasprintf("%s/app-config.yaml", fixture->dir);
    files[0] = config_path;
    if (gr_config_schema_builtin(&schema) != 0 ||
        gr_config_load(&fixture->config, files, 1, schema) != 0) {
        fprintf(stderr, "loading the test config failed: %s\n", gr_error_last());
        gr_config_schema_free(schema);
        free(config_path);
        return -1;
    }
    gr_config_schema_free(schema);
    free(config_path);

    {
        gr_techdocs_service_options techdocs = {fixture->db->db, fixture->config, NULL, "test", NULL};

        if (gr_techdocs_migrate(fixture->db->db) != 0 || gr_search_migrate(fixture->db->db) != 0 ||
            gr_techdocs_service_new(&fixture->techdocs, &techdocs) != 0) {
            fprintf(stderr, "creating the techdocs service failed: %s\n", gr_error_last());
            return -1;
        }
    }
    if (gr_search_new_builtin(&fixture->search, fixture->db->db, fixture->config, "test") != 0) {
        fprintf(stderr, "creating the search service failed: %s\n", gr_error_last());
        return -1;
    }
    gr_search_attach_techdocs(fixture->search, fixture->techdocs);
    *state = fixture;
    return 0;
}

static inline int search_fixture_teardown(void **state)
{
    search_fixture *fixture = *state;
    void *db_state = fixture->db;

    gr_search_free(fixture->search);
    gr_techdocs_service_free(fixture->techdocs);
    gr_config_free(fixture->config);
    gr_test_rmtree(fixture->dir);
    free(fixture->dir);
    free(fixture);
    return db_fixture_teardown(&db_state);
}

/* Runs a query and fails the test on error; caller releases the result. */
static inline json_t *query_ok(gr_search *search, const gr_search_request *request)
{
    json_t *result = NULL;

    if (gr_search_query(search, request, NULL, &result) != 0)
        fail_msg("query failed: %s", gr_error_last());
    return result;
}

static inline json_t *query_term(gr_search *search, const char *term)
{
    gr_search_request request = {.term = term};

    return query_ok(search, &request);
}

static inline int64_t result_count(const json_t *result)
{
    return json_integer_value(json_object_get(result, "numberOfResults"));
}

/* Returns document field `field` of result `index` (borrowed), or NULL. */
static inline const char *result_field(const json_t *result, size_t index, const char *field)
{
    const json_t *item = json_array_get(json_object_get(result, "results"), index);

    return json_string_value(json_object_get(json_object_get(item, "document"), field));
}

/* Returns 1 when some result of `term` has `location`. */
static inline int has_location(gr_search *search, const char *term, const char *location)
{
    json_t *result = query_term(search, term);
    const json_t *results = json_object_get(result, "results");
    int found = 0;

    for (size_t i = 0; i < json_array_size(results); i++)
        if (strcmp(result_field(result, i, "location"), location) == 0)
            found = 1;
    json_decref(result);
    return found;
}

#define SEARCH_TEST_BOTH(fn)                                                                       \
    {"sqlite: " #fn, fn, search_fixture_setup, search_fixture_teardown,                            \
     (void *)&db_fixture_sqlite},                                                                  \
    {                                                                                              \
        "pg: " #fn, fn, search_fixture_setup, search_fixture_teardown, (void *)&db_fixture_pg      \
    }

#endif
