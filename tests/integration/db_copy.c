/* SPDX-License-Identifier: MIT */
/* Tests of the table copy behind `greenroom db copy`, from SQLite into PostgreSQL and SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/dbcli/copy.h"
#include "host/store/migrate.h"
#include "unit/store/db_fixture.h"

/*
 * The tables of a made-up component, so that the copy is tested on every
 * column type, on foreign keys whose names sort against the copy order, on
 * a table that references itself, and on an FTS5 index that only SQLite has.
 */
#define PARENT_SQL(auto_id, blob)                                                                  \
    "CREATE TABLE copy_z_parent (id " auto_id ", name TEXT NOT NULL, "                            \
    "score DOUBLE PRECISION, payload " blob ", amount BIGINT, note TEXT);"                         \
    "CREATE TABLE copy_a_child (id BIGINT PRIMARY KEY, "                                           \
    "parent_id BIGINT NOT NULL REFERENCES copy_z_parent (id) ON DELETE CASCADE, label TEXT);"      \
    "CREATE TABLE copy_tree (id BIGINT PRIMARY KEY, "                                              \
    "parent_id BIGINT REFERENCES copy_tree (id), name TEXT NOT NULL);"

static const gr_db_migration copy_migrations[] = {
    {
        .version = 1,
        .description = "create the copy test tables",
        .sql_sqlite = PARENT_SQL("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB")
            "CREATE VIRTUAL TABLE copy_fts USING fts5(body);",
        .sql_pg = PARENT_SQL("BIGSERIAL PRIMARY KEY", "BYTEA"),
    },
    {
        .version = 2,
        .description = "add a column",
        .sql = "ALTER TABLE copy_tree ADD COLUMN extra TEXT",
    },
};

typedef struct {
    db_fixture *source; /* always SQLite */
    db_fixture *target; /* the engine under test */
    char *progress;
    size_t progress_len;
    FILE *progress_file;
} copy_fixture;

static int migrate_to(gr_db *db, size_t versions)
{
    return gr_db_migrate(db, "copytest", copy_migrations, versions);
}

static int setup(void **state)
{
    copy_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));
    void *source_state = (void *)&db_fixture_sqlite;
    void *target_state = *state;

    if (db_fixture_setup(&source_state) != 0 || db_fixture_setup(&target_state) != 0)
        return -1;
    fixture->source = source_state;
    fixture->target = target_state;
    fixture->progress_file = open_memstream(&fixture->progress, &fixture->progress_len);
    if (migrate_to(fixture->source->db, 2) != GR_OK || migrate_to(fixture->target->db, 2) != GR_OK) {
        fprintf(stderr, "migrating the copy test tables failed: %s\n", gr_error_last());
        return -1;
    }
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    copy_fixture *fixture = *state;
    void *source_state = fixture->source;
    void *target_state = fixture->target;

    db_fixture_teardown(&source_state);
    db_fixture_teardown(&target_state);
    fclose(fixture->progress_file);
    free(fixture->progress);
    free(fixture);
    return 0;
}

/* Runs one statement with text parameters (NULL binds SQL NULL) on a write connection. */
static void run_sql(gr_db *db, const char *sql, int count, ...)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    va_list args;

    assert_int_equal(gr_db_acquire(db, GR_DB_WRITE, &conn), GR_OK);
    assert_int_equal(gr_db_prepare(conn, sql, &stmt), GR_OK);
    va_start(args, count);
    for (int i = 1; i <= count; i++)
        assert_int_equal(gr_db_bind_text(stmt, i, va_arg(args, const char *)), GR_OK);
    va_end(args);
    if (gr_db_step(stmt) != GR_DB_DONE)
        fail_msg("%s: %s", sql, gr_error_last());
    gr_db_finalize(stmt);
    gr_db_release(conn);
}

static const unsigned char payload_bytes[] = {0x00, 0x01, 0xff, 0x00, 0x7f};
/* UTF-8 "ünïcödé ✓" with quotes, a backslash and placeholder look-alikes. */
static const char odd_text[] = "\xc3\xbc" "n" "\xc3\xaf" "c" "\xc3\xb6" "d" "\xc3\xa9" " "
                               "\xe2\x9c\x93" " 'single' \"double\" back\\slash ? $1";

/* Fills the source with rows of every type. */
static void fill_source(gr_db *db)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;

    assert_int_equal(gr_db_acquire(db, GR_DB_WRITE, &conn), GR_OK);
    assert_int_equal(gr_db_prepare(conn, "INSERT INTO copy_z_parent (id, name, score, payload, "
                                   "amount, note) VALUES (?, ?, ?, ?, ?, ?)", &stmt), GR_OK);

    gr_db_bind_int64(stmt, 1, 1);
    gr_db_bind_text(stmt, 2, "plain");
    gr_db_bind_double(stmt, 3, 1.5);
    gr_db_bind_blob(stmt, 4, payload_bytes, sizeof(payload_bytes));
    gr_db_bind_int64(stmt, 5, INT64_MAX);
    gr_db_bind_null(stmt, 6);
    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    gr_db_reset(stmt);

    gr_db_bind_int64(stmt, 1, 2);
    gr_db_bind_text(stmt, 2, odd_text);
    gr_db_bind_double(stmt, 3, -0.0001234);
    gr_db_bind_null(stmt, 4);
    gr_db_bind_int64(stmt, 5, INT64_MIN);
    gr_db_bind_text(stmt, 6, "two\nlines");
    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    gr_db_reset(stmt);

    gr_db_bind_int64(stmt, 1, 7);
    gr_db_bind_text(stmt, 2, "");
    gr_db_bind_double(stmt, 3, 1e300);
    gr_db_bind_blob(stmt, 4, "", 0);
    gr_db_bind_int64(stmt, 5, 0);
    gr_db_bind_text(stmt, 6, "");
    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    gr_db_finalize(stmt);
    gr_db_release(conn);

    run_sql(db, "INSERT INTO copy_a_child (id, parent_id, label) VALUES (1, 1, 'a'), (2, 1, 'b'), "
            "(3, 7, NULL)", 0);
    run_sql(db, "INSERT INTO copy_tree (id, parent_id, name) VALUES (10, NULL, 'root'), "
            "(11, 10, 'kid'), (12, 11, 'grandkid')", 0);
    run_sql(db, "INSERT INTO copy_fts (body) VALUES ('full text only SQLite has')", 0);
}

static int copy(copy_fixture *fixture, int batch_rows, gr_dbcli_copy_stats *stats)
{
    gr_dbcli_copy_options opts = {.batch_rows = batch_rows, .progress = fixture->progress_file};
    int rc = gr_dbcli_copy(fixture->source->db, fixture->target->db, &opts, stats);

    fflush(fixture->progress_file);
    if (rc != GR_OK)
        fprintf(stderr, "copy: %s\n", gr_error_last());
    return rc;
}

static void copy_keeps_values(void **state)
{
    copy_fixture *fixture = *state;
    gr_dbcli_copy_stats stats = {0};
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    const void *blob;
    size_t len = 99;

    fill_source(fixture->source->db);
    assert_int_equal(copy(fixture, 0, &stats), GR_OK);
    assert_int_equal(stats.tables, 3);
    assert_int_equal(stats.rows, 9);

    assert_int_equal(gr_db_acquire(fixture->target->db, GR_DB_READ, &conn), GR_OK);
    assert_int_equal(gr_db_prepare(conn, "SELECT id, name, score, payload, amount, note "
                                   "FROM copy_z_parent ORDER BY id", &stmt), GR_OK);

    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    assert_int_equal(gr_db_column_int64(stmt, 0), 1);
    assert_string_equal(gr_db_column_text(stmt, 1), "plain");
    assert_true(gr_db_column_double(stmt, 2) == 1.5);
    blob = gr_db_column_blob(stmt, 3, &len);
    assert_int_equal(len, sizeof(payload_bytes));
    assert_memory_equal(blob, payload_bytes, sizeof(payload_bytes));
    assert_true(gr_db_column_int64(stmt, 4) == INT64_MAX);
    assert_true(gr_db_column_is_null(stmt, 5));

    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    assert_int_equal(gr_db_column_int64(stmt, 0), 2);
    assert_string_equal(gr_db_column_text(stmt, 1), odd_text);
    assert_true(gr_db_column_double(stmt, 2) == -0.0001234);
    assert_true(gr_db_column_is_null(stmt, 3));
    assert_true(gr_db_column_int64(stmt, 4) == INT64_MIN);
    assert_string_equal(gr_db_column_text(stmt, 5), "two\nlines");

    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    assert_int_equal(gr_db_column_int64(stmt, 0), 7);
    assert_string_equal(gr_db_column_text(stmt, 1), "");
    assert_true(gr_db_column_double(stmt, 2) == 1e300);
    assert_false(gr_db_column_is_null(stmt, 3));
    gr_db_column_blob(stmt, 3, &len);
    assert_int_equal(len, 0);
    assert_int_equal(gr_db_column_int64(stmt, 4), 0);
    assert_false(gr_db_column_is_null(stmt, 5));
    assert_string_equal(gr_db_column_text(stmt, 5), "");

    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    gr_db_finalize(stmt);
    gr_db_release(conn);

    assert_int_equal(db_fixture_int64(fixture->target->db,
                                      "SELECT COUNT(*) FROM copy_a_child WHERE label IS NULL"), 1);
    assert_int_equal(db_fixture_int64(fixture->target->db,
                                      "SELECT parent_id FROM copy_tree WHERE id = 12"), 11);
}

/* Referenced tables are copied first, whatever their names. */
static void copy_follows_foreign_keys(void **state)
{
    copy_fixture *fixture = *state;
    const char *parent;
    const char *child;

    fill_source(fixture->source->db);
    assert_int_equal(copy(fixture, 0, NULL), GR_OK);
    parent = strstr(fixture->progress, "copied copy_z_parent: 3 rows");
    child = strstr(fixture->progress, "copied copy_a_child: 3 rows");
    assert_non_null(parent);
    assert_non_null(child);
    assert_true(parent < child);
    assert_non_null(strstr(fixture->progress, "copied copy_tree: 3 rows"));
}

/* New rows on the target get keys after the copied ones. */
static void copy_moves_sequences(void **state)
{
    copy_fixture *fixture = *state;

    fill_source(fixture->source->db);
    assert_int_equal(copy(fixture, 0, NULL), GR_OK);
    run_sql(fixture->target->db, "INSERT INTO copy_z_parent (name) VALUES ('new')", 0);
    assert_int_equal(db_fixture_int64(fixture->target->db,
                                      "SELECT id FROM copy_z_parent WHERE name = 'new'"), 8);
}

static void copy_skips_virtual_tables(void **state)
{
    copy_fixture *fixture = *state;

    fill_source(fixture->source->db);
    assert_int_equal(copy(fixture, 0, NULL), GR_OK);
    assert_null(strstr(fixture->progress, "copy_fts"));
    assert_null(strstr(fixture->progress, "schema_migrations"));
}

/* Many rows in small batches, with progress lines and verified counts. */
static void copy_splits_batches(void **state)
{
    enum { ROWS = 45000 };
    copy_fixture *fixture = *state;
    gr_dbcli_copy_stats stats = {0};
    char *sql = gr_xasprintf("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                             "WHERE i < %d) INSERT INTO copy_tree (id, name) "
                             "SELECT i, 'node ' || i FROM n", ROWS);

    db_fixture_exec(fixture->source->db, sql);
    free(sql);
    assert_int_equal(copy(fixture, 7, &stats), GR_OK);
    assert_int_equal(stats.rows, ROWS);
    assert_int_equal(db_fixture_int64(fixture->target->db, "SELECT COUNT(*) FROM copy_tree"), ROWS);
    assert_int_equal(db_fixture_int64(fixture->target->db,
                                      "SELECT COUNT(DISTINCT name) FROM copy_tree"), ROWS);
    assert_non_null(strstr(fixture->progress, "copy_tree: 20006 of 45000 rows"));
    assert_non_null(strstr(fixture->progress, "copied copy_tree: 45000 rows"));
}

static void copy_rejects_filled_target(void **state)
{
    copy_fixture *fixture = *state;

    run_sql(fixture->target->db, "INSERT INTO copy_tree (id, name) VALUES (1, 'there before')", 0);
    assert_int_equal(gr_dbcli_copy_check_target(fixture->target->db, 0, NULL), GR_ECONFLICT);
    assert_non_null(strstr(gr_error_last(), "copy_tree (1 row)"));
    assert_non_null(strstr(gr_error_last(), "--force"));
}

/* With --force the check passes and the copy replaces the target's rows. */
static void copy_force_replaces_rows(void **state)
{
    copy_fixture *fixture = *state;

    fill_source(fixture->source->db);
    run_sql(fixture->target->db, "INSERT INTO copy_tree (id, name) VALUES (99, 'stale')", 0);
    assert_int_equal(gr_dbcli_copy_check_target(fixture->target->db, 1, fixture->progress_file),
                     GR_OK);
    assert_int_equal(copy(fixture, 0, NULL), GR_OK);
    assert_non_null(strstr(fixture->progress, "replacing the rows"));
    assert_int_equal(db_fixture_int64(fixture->target->db,
                                      "SELECT COUNT(*) FROM copy_tree WHERE id = 99"), 0);
    assert_int_equal(db_fixture_int64(fixture->target->db, "SELECT COUNT(*) FROM copy_tree"), 3);
}

/* An empty target passes the check even though its migrations are recorded. */
static void copy_accepts_migrated_target(void **state)
{
    copy_fixture *fixture = *state;

    assert_int_equal(gr_dbcli_copy_check_target(fixture->target->db, 0, NULL), GR_OK);
}

static void copy_rejects_other_versions(void **state)
{
    copy_fixture *fixture = *state;
    void *other_state = fixture->target->engine == GR_DB_SQLITE
                            ? (void *)&db_fixture_sqlite
                            : (void *)&db_fixture_pg;
    db_fixture *older;
    gr_dbcli_copy_options opts = {0};

    assert_int_equal(db_fixture_setup(&other_state), 0);
    older = other_state;
    assert_int_equal(migrate_to(older->db, 1), GR_OK);
    assert_int_equal(gr_dbcli_copy(fixture->source->db, older->db, &opts, NULL), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "copytest"));
    assert_non_null(strstr(gr_error_last(), "version 2 in the source but 1 in the target"));
    db_fixture_teardown(&other_state);
}

/* The source must be SQLite, because its tables are read from SQLite's schema. */
static void copy_rejects_pg_source(void **state)
{
    copy_fixture *fixture = *state;
    gr_dbcli_copy_options opts = {0};

    assert_int_equal(gr_dbcli_copy(fixture->target->db, fixture->source->db, &opts, NULL),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "must be a SQLite database"));
}

static void copy_rejects_bad_batch(void **state)
{
    copy_fixture *fixture = *state;

    assert_int_equal(copy(fixture, GR_DBCLI_COPY_BATCH_MAX + 1, NULL), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "rows per batch"));
}

#define COPY_TEST(fn, engine)                                                                      \
    {#engine ": " #fn, fn, setup, teardown, (void *)&db_fixture_##engine}
#define COPY_TEST_BOTH(fn) COPY_TEST(fn, pg), COPY_TEST(fn, sqlite)

int main(void)
{
    const struct CMUnitTest tests[] = {
        COPY_TEST_BOTH(copy_keeps_values),
        COPY_TEST_BOTH(copy_follows_foreign_keys),
        COPY_TEST_BOTH(copy_moves_sequences),
        COPY_TEST_BOTH(copy_skips_virtual_tables),
        COPY_TEST(copy_splits_batches, pg),
        COPY_TEST_BOTH(copy_rejects_filled_target),
        COPY_TEST_BOTH(copy_force_replaces_rows),
        COPY_TEST_BOTH(copy_accepts_migrated_target),
        COPY_TEST_BOTH(copy_rejects_other_versions),
        COPY_TEST(copy_rejects_pg_source, pg),
        COPY_TEST(copy_rejects_bad_batch, pg),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
