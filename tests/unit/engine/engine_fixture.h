/* SPDX-License-Identifier: MIT */
/* Test fixture of the catalog engine: a database, a folder of catalog files, an engine. */
#ifndef GR_TEST_ENGINE_FIXTURE_H
#define GR_TEST_ENGINE_FIXTURE_H

/*
 * Header-only because every .c under tests/unit/<module>/ is its own test
 * program. Include it after cmocka.h. The database comes from the store
 * fixture, so tests run on SQLite and, through DB_TEST_BOTH, on PostgreSQL.
 */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/catalog.h"
#include "support/gr_test.h"
#include "unit/store/db_fixture.h"

/* Time a test waits for the engine to become idle, in ms. A sanitizer build needed 61 s for the
 * file of 32 Mi alias copies in limits_cleanup.c while other test programs shared the 2
 * processors, so the wait leaves room for three times that. */
#define ENGINE_IDLE_TIMEOUT_MS 180000

typedef struct {
    db_fixture *db;
    char *dir; /* catalog files of the test */
    gr_catalog *catalog;
} engine_fixture;

static inline int engine_setup(void **state)
{
    engine_fixture *fixture;

    if (db_fixture_setup(state) != 0)
        return -1;
    fixture = gr_xcalloc(1, sizeof(*fixture));
    fixture->db = *state;
    fixture->dir = gr_test_tmpdir("engine");
    *state = fixture;
    return 0;
}

static inline int engine_teardown(void **state)
{
    engine_fixture *fixture = *state;
    void *db_state = fixture->db;

    gr_catalog_free(fixture->catalog);
    gr_test_rmtree(fixture->dir);
    free(fixture->dir);
    free(fixture);
    return db_fixture_teardown(&db_state);
}

/* Replaces "@DIR@" in `text` by the fixture's folder. Caller frees. */
static inline char *engine_expand(const engine_fixture *fixture, const char *text)
{
    size_t dir_len = strlen(fixture->dir);
    char *out = gr_xmalloc(strlen(text) * (dir_len + 1) + 1);
    char *p = out;

    while (*text != '\0') {
        if (strncmp(text, "@DIR@", 5) == 0) {
            memcpy(p, fixture->dir, dir_len);
            p += dir_len;
            text += 5;
        } else {
            *p++ = *text++;
        }
    }
    *p = '\0';
    return out;
}

/* Writes a file under the fixture's folder, with "@DIR@" expanded. */
static inline void engine_write(const engine_fixture *fixture, const char *name, const char *text)
{
    char *expanded = engine_expand(fixture, text);

    gr_test_write_file(fixture->dir, name, expanded);
    free(expanded);
}

/* Starts (or restarts) the engine with a config given as JSON text ("@DIR@" expanded). */
static inline gr_catalog *engine_open(engine_fixture *fixture, const char *config_json,
                                      const char *instance_id)
{
    char *expanded = engine_expand(fixture, config_json ? config_json : "{}");
    json_error_t error;
    json_t *config = json_loads(expanded, 0, &error);
    gr_catalog_options options = {.db = fixture->db->db, .config = config,
                                  .instance_id = instance_id};
    gr_catalog *catalog = NULL;

    if (config == NULL)
        fail_msg("bad test config: %s: %s", error.text, expanded);
    if (gr_catalog_new(&catalog, &options) != GR_OK)
        fail_msg("gr_catalog_new failed: %s", gr_error_last());
    json_decref(config);
    free(expanded);
    return catalog;
}

static inline void engine_start(engine_fixture *fixture, const char *config_json)
{
    gr_catalog_free(fixture->catalog);
    fixture->catalog = NULL;
    fixture->catalog = engine_open(fixture, config_json, "test-instance");
}

/* Prints the processing errors and table counts, to explain a failing check. */
static inline void engine_dump(engine_fixture *fixture)
{
    json_t *errors = NULL;
    gr_catalog_counts counts;

    if (gr_catalog_processing_errors(fixture->catalog, &errors) == GR_OK) {
        char *text = json_dumps(errors, JSON_INDENT(1));

        fprintf(stderr, "processing errors: %s\n", text);
        free(text);
        json_decref(errors);
    }
    if (gr_catalog_counts_read(fixture->catalog, &counts) == GR_OK)
        fprintf(stderr, "entities %lld final %lld due %lld stitching %lld errors %lld\n",
                (long long)counts.entities, (long long)counts.final, (long long)counts.due,
                (long long)counts.stitching, (long long)counts.errors);
}

static inline void engine_idle(engine_fixture *fixture)
{
    if (gr_catalog_wait_idle(fixture->catalog, ENGINE_IDLE_TIMEOUT_MS) != GR_OK)
        fail_msg("wait_idle: %s", gr_error_last());
    if (getenv("GR_TEST_ENGINE_DUMP") != NULL)
        engine_dump(fixture);
}

/* Reads the final entity of `ref`, or NULL. Caller releases. */
static inline json_t *engine_final(const engine_fixture *fixture, const char *ref)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *entity = NULL;

    if (gr_db_acquire(fixture->db->db, GR_DB_READ, &conn) != GR_OK ||
        gr_db_prepare(conn, "SELECT final_entity FROM catalog_final_entities WHERE entity_ref = ?",
                      &stmt) != GR_OK)
        fail_msg("reading %s: %s", ref, gr_error_last());
    gr_db_bind_text(stmt, 1, ref);
    if (gr_db_step(stmt) == GR_DB_ROW)
        entity = json_loads(gr_db_column_text(stmt, 0), 0, NULL);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return entity;
}

/* Returns whether the final entity `ref` exists. */
static inline int engine_exists(const engine_fixture *fixture, const char *ref)
{
    json_t *entity = engine_final(fixture, ref);
    int exists = entity != NULL;

    json_decref(entity);
    return exists;
}

/* Reads one text value with one text parameter; caller frees; NULL when no row. */
static inline char *engine_text(const engine_fixture *fixture, const char *sql, const char *param)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *text = NULL;

    if (gr_db_acquire(fixture->db->db, GR_DB_READ, &conn) != GR_OK ||
        gr_db_prepare(conn, sql, &stmt) != GR_OK)
        fail_msg("%s: %s", sql, gr_error_last());
    if (param != NULL)
        gr_db_bind_text(stmt, 1, param);
    if (gr_db_step(stmt) == GR_DB_ROW && gr_db_column_text(stmt, 0) != NULL)
        text = gr_xstrdup(gr_db_column_text(stmt, 0));
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return text;
}

/* Joins the first column of every row of a query with ',' (portable group_concat). Caller frees. */
static inline char *engine_join(const engine_fixture *fixture, const char *sql)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    gr_buf out = GR_BUF_INIT;

    if (gr_db_acquire(fixture->db->db, GR_DB_READ, &conn) != GR_OK ||
        gr_db_prepare(conn, sql, &stmt) != GR_OK)
        fail_msg("%s: %s", sql, gr_error_last());
    while (gr_db_step(stmt) == GR_DB_ROW)
        gr_buf_printf(&out, "%s,", gr_db_column_text(stmt, 0) ? gr_db_column_text(stmt, 0) : "");
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return out.data ? gr_buf_detach(&out) : gr_xstrdup("");
}

/* Counts rows of a query with one optional text parameter. */
static inline int64_t engine_count(const engine_fixture *fixture, const char *sql,
                                   const char *param)
{
    char *text = engine_text(fixture, sql, param);
    int64_t value = text ? strtoll(text, NULL, 10) : -1;

    free(text);
    return value;
}

/* Returns whether the final entity `ref` has a relation of `type` to `target`. */
static inline int engine_has_relation(const json_t *entity, const char *type, const char *target)
{
    size_t index;
    json_t *relation;

    json_array_foreach (json_object_get(entity, "relations"), index, relation) {
        if (strcmp(json_string_value(json_object_get(relation, "type")), type) == 0 &&
            strcmp(json_string_value(json_object_get(relation, "targetRef")), target) == 0)
            return 1;
    }
    return 0;
}

static inline const char *engine_annotation(const json_t *entity, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(entity, "metadata"), "annotations"), key));
}

/* One engine test on both database engines. */
#define ENGINE_TEST_BOTH(fn)                                                                       \
    {"sqlite: " #fn, fn, engine_setup, engine_teardown, (void *)&db_fixture_sqlite},               \
    {                                                                                              \
        "pg: " #fn, fn, engine_setup, engine_teardown, (void *)&db_fixture_pg                      \
    }

#define ENGINE_TEST_SQLITE(fn)                                                                     \
    {                                                                                              \
        "sqlite: " #fn, fn, engine_setup, engine_teardown, (void *)&db_fixture_sqlite              \
    }

#endif
