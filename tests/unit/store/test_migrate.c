/* SPDX-License-Identifier: MIT */
/* Unit tests for schema migrations on SQLite and on a real PostgreSQL server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "db_fixture.h"
#include "host/store/db.h"
#include "host/store/migrate.h"

#define assert_ok(expr) assert_int_equal((expr), GR_OK)

/* Version 2 changes what version 1 made and version 3 relies on both. */
static const gr_db_migration three[] = {
    {1, "create notes", "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL)", NULL,
     NULL},
    {2, "add notes.author",
     "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'nobody';"
     "CREATE INDEX notes_author ON notes (author)",
     NULL, NULL},
    {3, "seed welcome note", "INSERT INTO notes (id, body, author) VALUES (0, 'welcome', 'greenroom')",
     NULL, NULL},
};

static int64_t schema_version(gr_db *db, const char *component)
{
    int64_t version = -1;

    assert_ok(gr_db_schema_version(db, component, &version));
    return version;
}

static void migrate_applies_in_order(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int row = 0;

    assert_int_equal(schema_version(fixture->db, "notes"), 0);
    assert_ok(gr_db_migrate(fixture->db, "notes", three, 3));
    assert_int_equal(schema_version(fixture->db, "notes"), 3);
    assert_int_equal(db_fixture_int64(fixture->db,
                                      "SELECT COUNT(*) FROM notes WHERE author = 'greenroom'"),
                     1);

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn,
                            "SELECT version, description, applied_at FROM schema_migrations"
                            " WHERE component = ? ORDER BY version",
                            &stmt));
    assert_ok(gr_db_bind_text(stmt, 1, "notes"));
    while (gr_db_step(stmt) == GR_DB_ROW) {
        assert_int_equal(gr_db_column_int64(stmt, 0), three[row].version);
        assert_string_equal(gr_db_column_text(stmt, 1), three[row].description);
        assert_int_equal(strlen(gr_db_column_text(stmt, 2)), strlen("2024-01-02T03:04:05.678Z"));
        row++;
    }
    assert_int_equal(row, 3);
    gr_db_finalize(stmt);
    gr_db_release(conn);
}

static void migrate_twice_is_idempotent(void **state)
{
    db_fixture *fixture = *state;
    gr_db *again = NULL;

    assert_ok(gr_db_migrate(fixture->db, "notes", three, 3));
    assert_ok(db_fixture_open(fixture, 0, &again));
    assert_ok(gr_db_migrate(again, "notes", three, 3));
    assert_ok(gr_db_migrate(again, "notes", three, 3));
    assert_int_equal(schema_version(again, "notes"), 3);
    assert_int_equal(db_fixture_int64(again, "SELECT COUNT(*) FROM notes"), 1);
    assert_int_equal(db_fixture_int64(again, "SELECT COUNT(*) FROM schema_migrations"), 3);
    gr_db_close(again);
}

static void migrate_rejects_newer_database(void **state)
{
    db_fixture *fixture = *state;

    assert_ok(gr_db_migrate(fixture->db, "notes", three, 3));
    assert_int_equal(gr_db_migrate(fixture->db, "notes", three, 2), GR_EINVALID);
    assert_string_equal(gr_error_last(), "database schema for notes is at version 3, this "
                                         "greenroom knows up to 2; upgrade greenroom");
    assert_int_equal(schema_version(fixture->db, "notes"), 3);
}

static void migrate_upgrades_from_version_1(void **state)
{
    db_fixture *fixture = *state;

    assert_ok(gr_db_migrate(fixture->db, "notes", three, 1));
    assert_int_equal(schema_version(fixture->db, "notes"), 1);
    db_fixture_exec(fixture->db, "INSERT INTO notes (id, body) VALUES (7, 'kept')");

    assert_ok(gr_db_migrate(fixture->db, "notes", three, 3));
    assert_int_equal(schema_version(fixture->db, "notes"), 3);
    assert_int_equal(db_fixture_int64(fixture->db,
                                      "SELECT COUNT(*) FROM notes WHERE id = 7 AND body = 'kept'"
                                      " AND author = 'nobody'"),
                     1);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM notes"), 2);
}

static void migrate_failure_rolls_back(void **state)
{
    db_fixture *fixture = *state;
    const gr_db_migration broken[] = {
        three[0],
        {2, "add tags", "CREATE TABLE tags (name TEXT PRIMARY KEY);"
                        "INSERT INTO tags (name) VALUES ('a');"
                        "INSERT INTO no_such_table VALUES (1)",
         NULL, NULL},
        three[2],
    };

    assert_int_equal(gr_db_migrate(fixture->db, "notes", broken, 3), GR_EBACKEND);
    assert_non_null(strstr(gr_error_last(), "migration notes version 2 (add tags) failed: "));
    assert_non_null(strstr(gr_error_last(), "no_such_table"));
    assert_int_equal(schema_version(fixture->db, "notes"), 1);
    /* The table made by the failed migration is gone with it. */
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM notes"), 0);
    db_fixture_exec(fixture->db, "CREATE TABLE tags (name TEXT PRIMARY KEY)");
}

static void migrate_rejects_bad_lists(void **state)
{
    db_fixture *fixture = *state;
    const gr_db_migration unordered[] = {three[1], three[0]};
    const gr_db_migration zero[] = {{0, "zero", "SELECT 1", NULL, NULL}};
    const gr_db_migration no_sql[] = {{1, "nothing", NULL, NULL, NULL}};

    assert_int_equal(gr_db_migrate(fixture->db, "notes", unordered, 2), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "increase strictly"));
    assert_int_equal(gr_db_migrate(fixture->db, "notes", zero, 1), GR_EINVALID);
    assert_int_equal(gr_db_migrate(fixture->db, "notes", no_sql, 1), GR_EINVALID);
    assert_int_equal(gr_db_migrate(fixture->db, "", three, 3), GR_EINVALID);
    assert_int_equal(schema_version(fixture->db, "notes"), 0);
}

static void migrate_uses_engine_variant(void **state)
{
    db_fixture *fixture = *state;
    const gr_db_migration variants[] = {
        {1, "engine marker", "CREATE TABLE marker (engine TEXT)",
         "CREATE TABLE marker (engine TEXT); INSERT INTO marker VALUES ('sqlite')",
         "CREATE TABLE marker (engine TEXT); INSERT INTO marker VALUES ('pg')"},
    };
    int64_t expected = fixture->engine == GR_DB_SQLITE ? 1 : 2;

    assert_ok(gr_db_migrate(fixture->db, "marker", variants, 1));
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT CASE engine WHEN 'sqlite' THEN 1"
                                                   " WHEN 'pg' THEN 2 ELSE 0 END FROM marker"),
                     expected);
}

static void migrate_components_are_separate(void **state)
{
    db_fixture *fixture = *state;
    const gr_db_migration other[] = {{1, "create other", "CREATE TABLE other (x TEXT)", NULL, NULL}};

    assert_ok(gr_db_migrate(fixture->db, "notes", three, 3));
    assert_ok(gr_db_migrate(fixture->db, "other", other, 1));
    assert_int_equal(schema_version(fixture->db, "notes"), 3);
    assert_int_equal(schema_version(fixture->db, "other"), 1);
}

typedef struct {
    const db_fixture *fixture;
    int rc;
    char message[GR_ERROR_MAX];
} migrate_thread;

static void *migrate_from_thread(void *arg)
{
    migrate_thread *thread = arg;
    gr_db *db = NULL;

    thread->rc = db_fixture_open(thread->fixture, 0, &db);
    if (thread->rc == GR_OK)
        thread->rc = gr_db_migrate(db, "notes", three, 3);
    snprintf(thread->message, sizeof(thread->message), "%s", gr_error_last());
    gr_db_close(db);
    return NULL;
}

/* Two instances starting together apply each migration once. */
static void migrate_concurrent_instances(void **state)
{
    db_fixture *fixture = *state;
    migrate_thread threads[3];
    pthread_t ids[3];

    for (int i = 0; i < 3; i++) {
        threads[i] = (migrate_thread){.fixture = fixture};
        pthread_create(&ids[i], NULL, migrate_from_thread, &threads[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(ids[i], NULL);
        if (threads[i].rc != GR_OK)
            print_error("thread %d: %s\n", i, threads[i].message);
        assert_int_equal(threads[i].rc, GR_OK);
    }
    assert_int_equal(schema_version(fixture->db, "notes"), 3);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM notes"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(migrate_applies_in_order),
        DB_TEST_BOTH(migrate_twice_is_idempotent),
        DB_TEST_BOTH(migrate_rejects_newer_database),
        DB_TEST_BOTH(migrate_upgrades_from_version_1),
        DB_TEST_BOTH(migrate_failure_rolls_back),
        DB_TEST_BOTH(migrate_rejects_bad_lists),
        DB_TEST_BOTH(migrate_uses_engine_variant),
        DB_TEST_BOTH(migrate_components_are_separate),
        DB_TEST_BOTH(migrate_concurrent_instances),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
