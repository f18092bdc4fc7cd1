/* SPDX-License-Identifier: MIT */
/* Unit tests for the database layer on SQLite and on a real PostgreSQL server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "db_fixture.h"
#include "host/log/log.h"
#include "host/store/db.h"

#define assert_ok(expr) assert_int_equal((expr), GR_OK)

static const char *blob_type(gr_db *db)
{
    return gr_db_sql_blob_type(db);
}

static void create_values_table(gr_db *db)
{
    char *sql = gr_xasprintf("CREATE TABLE vals (id BIGINT PRIMARY KEY, txt TEXT, num BIGINT,"
                             " dbl DOUBLE PRECISION, bin %s)",
                             blob_type(db));

    db_fixture_exec(db, sql);
    free(sql);
}

typedef struct {
    const char *name;
    const char *text; /* NULL binds NULL */
    int64_t num;
    double dbl;
    const char *bin;
    size_t bin_len;
    int nulls; /* nonzero: bind NULL to num, dbl and bin */
} value_case;

static const value_case value_cases[] = {
    {"plain", "hello", 42, 2.5, "ab", 2, 0},
    {"empty", "", 0, 0.0, "", 0, 0},
    {"extremes", "x", INT64_MAX, -1e300, "\x00\xff\x00", 3, 0},
    {"negative", "ünïcödé ✓", INT64_MIN, 1e-300, "\\x00", 4, 0},
    {"quotes", "it's a '?' \"q\" -- not a comment", -1, 0.1, "?", 1, 0},
    {"nulls", NULL, 0, 0.0, NULL, 0, 1},
};

static void insert_case(gr_db_conn *conn, int64_t id, const value_case *c)
{
    gr_db_stmt *stmt = NULL;

    assert_ok(gr_db_prepare(conn, "INSERT INTO vals (id, txt, num, dbl, bin) VALUES (?, ?, ?, ?, ?)",
                            &stmt));
    assert_ok(gr_db_bind_int64(stmt, 1, id));
    assert_ok(gr_db_bind_text(stmt, 2, c->text));
    if (c->nulls) {
        assert_ok(gr_db_bind_null(stmt, 3));
        assert_ok(gr_db_bind_null(stmt, 4));
        assert_ok(gr_db_bind_null(stmt, 5));
    } else {
        assert_ok(gr_db_bind_int64(stmt, 3, c->num));
        assert_ok(gr_db_bind_double(stmt, 4, c->dbl));
        assert_ok(gr_db_bind_blob(stmt, 5, c->bin, c->bin_len));
    }
    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    assert_int_equal(gr_db_changes(stmt), 1);
    gr_db_finalize(stmt);
}

static void check_case(gr_db_conn *conn, int64_t id, const value_case *c)
{
    gr_db_stmt *stmt = NULL;
    const void *bin;
    size_t len = 99;

    print_message("case %s\n", c->name);
    assert_ok(gr_db_prepare(conn, "SELECT txt, num, dbl, bin FROM vals WHERE id = ?", &stmt));
    assert_ok(gr_db_bind_int64(stmt, 1, id));
    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    assert_int_equal(gr_db_column_count(stmt), 4);
    assert_string_equal(gr_db_column_name(stmt, 2), "dbl");

    if (c->text == NULL) {
        assert_null(gr_db_column_text(stmt, 0));
        assert_true(gr_db_column_is_null(stmt, 0));
    } else {
        assert_string_equal(gr_db_column_text(stmt, 0), c->text);
        assert_false(gr_db_column_is_null(stmt, 0));
    }
    bin = gr_db_column_blob(stmt, 3, &len);
    if (c->nulls) {
        assert_true(gr_db_column_is_null(stmt, 1));
        assert_true(gr_db_column_is_null(stmt, 2));
        assert_null(bin);
        assert_int_equal(len, 0);
        assert_int_equal(gr_db_column_int64(stmt, 1), 0);
    } else {
        assert_int_equal(gr_db_column_int64(stmt, 1), c->num);
        assert_true(gr_db_column_double(stmt, 2) == c->dbl);
        assert_non_null(bin);
        assert_int_equal(len, c->bin_len);
        assert_memory_equal(bin, c->bin, c->bin_len);
    }
    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    gr_db_finalize(stmt);
}

static void stmt_values_round_trip(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    size_t count = sizeof(value_cases) / sizeof(value_cases[0]);

    create_values_table(fixture->db);
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));
    for (size_t i = 0; i < count; i++)
        insert_case(conn, (int64_t)i, &value_cases[i]);
    gr_db_release(conn);

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    for (size_t i = 0; i < count; i++)
        check_case(conn, (int64_t)i, &value_cases[i]);
    gr_db_release(conn);
}

static void stmt_placeholders_skip_quotes(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn,
                            "SELECT '?' || CAST(? AS TEXT) /* ? */ || \"v\".\"?\" || ?"
                            " FROM (SELECT 'a''?' AS \"?\") AS \"v\" -- ?\n",
                            &stmt));
    assert_ok(gr_db_bind_text(stmt, 1, "x"));
    assert_ok(gr_db_bind_text(stmt, 2, "y"));
    assert_int_equal(gr_db_bind_text(stmt, 3, "z"), GR_EINVALID);
    assert_int_equal(gr_db_bind_int64(stmt, 0, 1), GR_EINVALID);
    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    assert_string_equal(gr_db_column_text(stmt, 0), "?xa'?y");
    gr_db_finalize(stmt);
    gr_db_release(conn);
}

static void stmt_reset_runs_again(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;

    db_fixture_exec(fixture->db, "CREATE TABLE items (name TEXT PRIMARY KEY, n BIGINT)");
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));
    assert_ok(gr_db_prepare(conn, "INSERT INTO items (name, n) VALUES (?, ?)", &stmt));
    for (int i = 0; i < 5; i++) {
        char name[16];

        snprintf(name, sizeof(name), "item-%d", i);
        assert_ok(gr_db_bind_text(stmt, 1, name));
        assert_ok(gr_db_bind_int64(stmt, 2, i));
        assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
        assert_ok(gr_db_reset(stmt));
    }
    gr_db_finalize(stmt);

    assert_ok(gr_db_prepare(conn, "UPDATE items SET n = n + 10 WHERE n >= ?", &stmt));
    assert_ok(gr_db_bind_int64(stmt, 1, 2));
    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    assert_int_equal(gr_db_changes(stmt), 3);
    gr_db_finalize(stmt);

    assert_ok(gr_db_prepare(conn, "DELETE FROM items WHERE n > ?", &stmt));
    assert_ok(gr_db_bind_int64(stmt, 1, 12));
    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    assert_int_equal(gr_db_changes(stmt), 2);
    gr_db_finalize(stmt);
    gr_db_release(conn);

    assert_int_equal(db_fixture_int64(fixture->db, "SELECT SUM(n) FROM items"), 0 + 1 + 12);
}

/* Borrowed text is stored as it was at the step, and the buffer may change after the reset. */
static void stmt_borrowed_text_stored(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char name[16];

    db_fixture_exec(fixture->db, "CREATE TABLE items (name TEXT, note TEXT)");
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));
    assert_ok(gr_db_prepare(conn, "INSERT INTO items (name, note) VALUES (?, ?)", &stmt));
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "item-%d", i);
        assert_ok(gr_db_bind_text_borrowed(stmt, 1, name));
        assert_ok(gr_db_bind_text_borrowed(stmt, 2, i == 1 ? NULL : "kept"));
        assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
        assert_ok(gr_db_reset(stmt));
        memset(name, 'x', sizeof(name) - 1);
    }
    assert_int_equal(gr_db_bind_text_borrowed(stmt, 3, "out of range"), GR_EINVALID);
    gr_db_finalize(stmt);
    gr_db_release(conn);

    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM items WHERE name IN "
                                                   "('item-0', 'item-1', 'item-2')"),
                     3);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM items WHERE note IS NULL"),
                     1);
}

static void stmt_rows_in_order(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int64_t expected = 1;

    db_fixture_exec(fixture->db, "CREATE TABLE nums (n BIGINT NOT NULL);"
                                 "INSERT INTO nums (n) VALUES (3), (1), (2)");
    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn, "SELECT n FROM nums ORDER BY n", &stmt));
    while (gr_db_step(stmt) == GR_DB_ROW)
        assert_int_equal(gr_db_column_int64(stmt, 0), expected++);
    assert_int_equal(expected, 4);
    gr_db_finalize(stmt);
    gr_db_release(conn);
}

static void stmt_returning_auto_id(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    char *sql = gr_xasprintf("CREATE TABLE things (id %s, name TEXT NOT NULL)",
                             gr_db_sql_auto_id(fixture->db));

    db_fixture_exec(fixture->db, sql);
    free(sql);
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));
    for (int64_t i = 1; i <= 3; i++) {
        gr_db_stmt *stmt = NULL;

        assert_ok(gr_db_prepare(conn, "INSERT INTO things (name) VALUES (?) RETURNING id", &stmt));
        assert_ok(gr_db_bind_text(stmt, 1, "thing"));
        assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
        assert_int_equal(gr_db_column_int64(stmt, 0), i);
        gr_db_finalize(stmt);
    }
    gr_db_release(conn);
}

static void stmt_upsert_on_conflict(void **state)
{
    db_fixture *fixture = *state;
    const char *upsert = "INSERT INTO kv (k, v) VALUES (?, ?)"
                         " ON CONFLICT (k) DO UPDATE SET v = excluded.v";
    gr_db_conn *conn = NULL;

    db_fixture_exec(fixture->db, "CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)");
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));
    for (int64_t v = 1; v <= 3; v++) {
        gr_db_stmt *stmt = NULL;

        assert_ok(gr_db_prepare(conn, upsert, &stmt));
        assert_ok(gr_db_bind_text(stmt, 1, "key"));
        assert_ok(gr_db_bind_int64(stmt, 2, v));
        assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
        gr_db_finalize(stmt);
    }
    gr_db_release(conn);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM kv"), 1);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT v FROM kv"), 3);
}

/* The last "statement failed" log line, kept by statement_sink. */
static char failed_statement_line[1024];

static void statement_sink(gr_log_level level, const char *line, void *payload)
{
    (void)payload;
    if (level == GR_LOG_WARN && strstr(line, "msg=\"statement failed\"") != NULL)
        snprintf(failed_statement_line, sizeof(failed_statement_line), "%s", line);
}

static void stmt_unique_violation_conflicts(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;

    db_fixture_exec(fixture->db, "CREATE TABLE users (name TEXT PRIMARY KEY, email TEXT UNIQUE)");
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));
    assert_ok(gr_db_exec(conn, "INSERT INTO users (name, email) VALUES ('a', 'a@x')"));

    assert_ok(gr_db_prepare(conn, "INSERT INTO users (name, email) VALUES (?, ?)", &stmt));
    assert_ok(gr_db_bind_text(stmt, 1, "a"));
    assert_ok(gr_db_bind_text(stmt, 2, "other@x"));
    assert_int_equal(gr_db_step(stmt), GR_ECONFLICT);
    assert_non_null(strcasestr(gr_error_last(), "unique"));
    /* Error messages can reach HTTP clients, so they leave the SQL text out. */
    assert_null(strstr(gr_error_last(), "INSERT INTO users"));
    gr_db_finalize(stmt);

    assert_int_equal(gr_db_exec(conn, "INSERT INTO users (name, email) VALUES ('b', 'a@x')"),
                     GR_ECONFLICT);
    failed_statement_line[0] = '\0';
    gr_log_set_sink(statement_sink, NULL);
    assert_int_equal(gr_db_exec(conn, "INSERT INTO nowhere VALUES (1)"), GR_EBACKEND);
    gr_log_set_sink(NULL, NULL);
    assert_non_null(strstr(gr_error_last(), "nowhere"));
    assert_null(strstr(gr_error_last(), "INSERT INTO nowhere"));
    /* The log has the statement instead. */
    assert_non_null(strstr(failed_statement_line, "INSERT INTO nowhere VALUES (1)"));
    assert_int_equal(gr_db_prepare(conn, "SELEKT 1", &stmt), GR_EBACKEND);
    assert_null(stmt);
    gr_db_release(conn);
}

static int64_t count_rows(gr_db_conn *conn, const char *table)
{
    char *sql = gr_xasprintf("SELECT COUNT(*) FROM %s", table);
    int64_t count = -1;

    assert_ok(gr_db_query_int64(conn, sql, NULL, 0, &count));
    free(sql);
    return count;
}

static void tx_commit_and_rollback(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;

    db_fixture_exec(fixture->db, "CREATE TABLE t (n BIGINT PRIMARY KEY)");
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));

    assert_ok(gr_db_begin(conn));
    assert_ok(gr_db_exec(conn, "INSERT INTO t (n) VALUES (1)"));
    assert_int_equal(count_rows(conn, "t"), 1);
    assert_ok(gr_db_rollback(conn));
    assert_int_equal(count_rows(conn, "t"), 0);

    assert_ok(gr_db_begin(conn));
    assert_int_equal(gr_db_begin(conn), GR_EINVALID);
    assert_ok(gr_db_exec(conn, "INSERT INTO t (n) VALUES (2)"));
    assert_ok(gr_db_commit(conn));
    assert_int_equal(gr_db_commit(conn), GR_EINVALID);
    assert_ok(gr_db_rollback(conn));
    assert_int_equal(count_rows(conn, "t"), 1);

    /* Releasing inside a transaction rolls it back. */
    assert_ok(gr_db_begin(conn));
    assert_ok(gr_db_exec(conn, "INSERT INTO t (n) VALUES (3)"));
    gr_db_release(conn);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM t"), 1);

    /* Error paths may roll back a connection that was never acquired. */
    assert_ok(gr_db_rollback(NULL));
}

static void tx_rollback_after_error(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;

    db_fixture_exec(fixture->db, "CREATE TABLE t (n BIGINT PRIMARY KEY)");
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));
    assert_ok(gr_db_begin(conn));
    assert_ok(gr_db_exec(conn, "INSERT INTO t (n) VALUES (1)"));
    assert_int_equal(gr_db_exec(conn, "INSERT INTO t (n) VALUES (1)"), GR_ECONFLICT);
    assert_ok(gr_db_rollback(conn));
    /* The rollback keeps the error of the failed statement for the caller. */
    assert_int_equal(gr_error_last_code(), GR_ECONFLICT);
    assert_int_equal(count_rows(conn, "t"), 0);
    assert_ok(gr_db_exec(conn, "INSERT INTO t (n) VALUES (5)"));
    gr_db_release(conn);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT n FROM t"), 5);
}

static void query_int64_found_and_missing(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    int64_t params[] = {2, 20};
    int64_t value = 0;

    db_fixture_exec(fixture->db, "CREATE TABLE t (a BIGINT, b BIGINT);"
                                 "INSERT INTO t (a, b) VALUES (1, 10), (2, 20), (3, NULL)");
    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_query_int64(conn, "SELECT a * 100 FROM t WHERE a = ? AND b = ?", params, 2,
                                &value));
    assert_int_equal(value, 200);
    assert_int_equal(gr_db_query_int64(conn, "SELECT a FROM t WHERE a = ?", (int64_t[]){9}, 1,
                                       &value),
                     GR_ENOTFOUND);
    assert_int_equal(gr_db_query_int64(conn, "SELECT b FROM t WHERE a = 3", NULL, 0, &value),
                     GR_ENOTFOUND);
    gr_db_release(conn);
}

static void stmt_cache_reuses_statements(void **state)
{
    db_fixture *fixture = *state;
    const char *sql = "SELECT CAST(? AS BIGINT) + 1";
    gr_db_conn *conn = NULL;
    gr_db_stmt *first = NULL;
    gr_db_stmt *again = NULL;
    gr_db_stmt *nested = NULL;

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn, sql, &first));
    gr_db_finalize(first);
    assert_ok(gr_db_prepare(conn, sql, &again));
    assert_ptr_equal(first, again);

    /* The same text while the first is in use gets a second statement. */
    assert_ok(gr_db_prepare(conn, sql, &nested));
    assert_ptr_not_equal(again, nested);
    assert_ok(gr_db_bind_int64(again, 1, 1));
    assert_ok(gr_db_bind_int64(nested, 1, 10));
    assert_int_equal(gr_db_step(again), GR_DB_ROW);
    assert_int_equal(gr_db_step(nested), GR_DB_ROW);
    assert_int_equal(gr_db_column_int64(again, 0), 2);
    assert_int_equal(gr_db_column_int64(nested, 0), 11);
    gr_db_finalize(nested);
    gr_db_finalize(again);

    /* More distinct statements than the cache holds: old ones are evicted. */
    for (int i = 0; i < 3 * GR_DB_STMT_CACHE_SIZE; i++) {
        char *text = gr_xasprintf("SELECT CAST(? AS BIGINT) + %d", i);
        int64_t value = 0;

        assert_ok(gr_db_query_int64(conn, text, (int64_t[]){1}, 1, &value));
        assert_int_equal(value, i + 1);
        free(text);
    }
    gr_db_release(conn);
}

static void dialect_helpers_run(void **state)
{
    db_fixture *fixture = *state;
    gr_db *db = fixture->db;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int64_t now = 0;
    char *sql;

    assert_int_equal(gr_db_dialect(db), fixture->engine);
    assert_ok(gr_db_acquire(db, GR_DB_WRITE, &conn));

    sql = gr_xasprintf("SELECT %s", gr_db_sql_now_ms(db));
    assert_ok(gr_db_query_int64(conn, sql, NULL, 0, &now));
    free(sql);
    assert_true(llabs(now - (int64_t)time(NULL) * 1000) < 60000);

    sql = gr_xasprintf("SELECT %s", gr_db_sql_now_text(db));
    assert_ok(gr_db_prepare(conn, sql, &stmt));
    free(sql);
    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    assert_int_equal(strlen(gr_db_column_text(stmt, 0)), strlen("2024-01-02T03:04:05.678Z"));
    assert_int_equal(gr_db_column_text(stmt, 0)[10], 'T');
    assert_int_equal(gr_db_column_text(stmt, 0)[23], 'Z');
    gr_db_finalize(stmt);

    assert_ok(gr_db_exec(conn, "CREATE TABLE q (id BIGINT PRIMARY KEY, name TEXT);"
                               "INSERT INTO q VALUES (1, 'Alpha'), (2, 'beta')"));
    assert_ok(gr_db_begin(conn));
    sql = gr_xasprintf("SELECT id FROM q WHERE name %s ? ORDER BY id LIMIT 1%s",
                       gr_db_sql_ilike(db), gr_db_sql_skip_locked(db));
    assert_ok(gr_db_prepare(conn, sql, &stmt));
    free(sql);
    assert_ok(gr_db_bind_text(stmt, 1, "ALPHA"));
    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    assert_int_equal(gr_db_column_int64(stmt, 0), 1);
    gr_db_finalize(stmt);
    assert_ok(gr_db_commit(conn));
    gr_db_release(conn);
}

typedef struct {
    gr_db *db;
    atomic_bool done;
    atomic_int failures;
    atomic_int reads;
} concurrency;

#define WRITER_TXS 60
#define ROWS_PER_TX 10

static void *write_batches(void *arg)
{
    concurrency *shared = arg;

    for (int tx = 0; tx < WRITER_TXS; tx++) {
        gr_db_conn *conn = NULL;
        gr_db_stmt *stmt = NULL;
        int ok = gr_db_acquire(shared->db, GR_DB_WRITE, &conn) == GR_OK &&
                 gr_db_begin(conn) == GR_OK &&
                 gr_db_prepare(conn, "INSERT INTO log (n) VALUES (?)", &stmt) == GR_OK;

        for (int i = 0; ok && i < ROWS_PER_TX; i++) {
            ok = gr_db_bind_int64(stmt, 1, tx * ROWS_PER_TX + i) == GR_OK &&
                 gr_db_step(stmt) == GR_DB_DONE && gr_db_reset(stmt) == GR_OK;
        }
        gr_db_finalize(stmt);
        if (ok)
            ok = gr_db_commit(conn) == GR_OK;
        if (!ok) {
            fprintf(stderr, "writer: %s\n", gr_error_last());
            atomic_fetch_add(&shared->failures, 1);
        }
        gr_db_release(conn);
    }
    atomic_store(&shared->done, true);
    return NULL;
}

/* Readers must see whole transactions only: counts grow in steps of ROWS_PER_TX. */
static void *read_counts(void *arg)
{
    concurrency *shared = arg;
    int64_t last = 0;

    while (!atomic_load(&shared->done)) {
        gr_db_conn *conn = NULL;
        int64_t count = -1;

        if (gr_db_acquire(shared->db, GR_DB_READ, &conn) != GR_OK ||
            gr_db_query_int64(conn, "SELECT COUNT(*) FROM log", NULL, 0, &count) != GR_OK ||
            count < last || count % ROWS_PER_TX != 0) {
            fprintf(stderr, "reader: count %lld after %lld: %s\n", (long long)count,
                    (long long)last, gr_error_last());
            atomic_fetch_add(&shared->failures, 1);
        }
        gr_db_release(conn);
        last = count;
        atomic_fetch_add(&shared->reads, 1);
    }
    return NULL;
}

static void readers_run_while_writing(void **state)
{
    db_fixture *fixture = *state;
    concurrency shared = {.db = fixture->db};
    pthread_t writer;
    pthread_t readers[3];

    db_fixture_exec(fixture->db, "CREATE TABLE log (n BIGINT PRIMARY KEY)");
    for (int i = 0; i < 3; i++)
        pthread_create(&readers[i], NULL, read_counts, &shared);
    pthread_create(&writer, NULL, write_batches, &shared);
    pthread_join(writer, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(readers[i], NULL);

    assert_int_equal(atomic_load(&shared.failures), 0);
    assert_true(atomic_load(&shared.reads) > 0);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM log"),
                     WRITER_TXS * ROWS_PER_TX);
}

static void release_resets_open_statement(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int64_t value = 0;

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn, "SELECT 7", &stmt));
    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    gr_db_release(conn); /* the statement was not finalized */

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_query_int64(conn, "SELECT 7", NULL, 0, &value));
    assert_int_equal(value, 7);
    gr_db_release(conn);
}

static void sqlite_reader_rejects_writes(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;

    db_fixture_exec(fixture->db, "CREATE TABLE t (n BIGINT)");
    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_int_equal(gr_db_exec(conn, "INSERT INTO t (n) VALUES (1)"), GR_EBACKEND);
    gr_db_release(conn);
}

static void sqlite_writer_twice_rejected(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *first = NULL;
    gr_db_conn *second = NULL;

    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &first));
    assert_int_equal(gr_db_acquire(fixture->db, GR_DB_WRITE, &second), GR_EINVALID);
    assert_null(second);
    gr_db_release(first);
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &second));
    gr_db_release(second);
}

/* Only releases of the writer count, with the time it was held. Readers add nothing. */
static void sqlite_writer_usage_counted(void **state)
{
    db_fixture *fixture = *state;
    gr_db_writer_stats before = {0};
    gr_db_writer_stats after = {0};
    struct timespec write_pause = {0, 30 * 1000000L};
    struct timespec read_pause = {0, 200 * 1000000L};
    gr_db_conn *conn = NULL;

    gr_db_writer_usage(fixture->db, &before);
    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));
    nanosleep(&write_pause, NULL);
    gr_db_release(conn);
    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    nanosleep(&read_pause, NULL);
    gr_db_release(conn);
    gr_db_writer_usage(fixture->db, &after);

    assert_int_equal(after.acquisitions, before.acquisitions + 1);
    assert_true(after.held_ms >= before.held_ms + 30);
    assert_true(after.held_ms < before.held_ms + 200);
}

/* PostgreSQL has no single writer: its figures stay 0. */
static void pg_writer_usage_zero(void **state)
{
    db_fixture *fixture = *state;
    gr_db_writer_stats usage = {-1, -1};
    gr_db_conn *conn = NULL;

    assert_ok(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn));
    gr_db_release(conn);
    gr_db_writer_usage(fixture->db, &usage);

    assert_int_equal(usage.held_ms, 0);
    assert_int_equal(usage.acquisitions, 0);
}

static void sqlite_file_settings(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int64_t value = -1;
    struct stat st;

    /* The fixture's path lies in a folder that did not exist before. */
    assert_int_equal(stat(fixture->path, &st), 0);
    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn, "PRAGMA journal_mode", &stmt));
    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    assert_string_equal(gr_db_column_text(stmt, 0), "wal");
    gr_db_finalize(stmt);
    assert_ok(gr_db_query_int64(conn, "PRAGMA foreign_keys", NULL, 0, &value));
    assert_int_equal(value, 1);
    assert_ok(gr_db_query_int64(conn, "PRAGMA synchronous", NULL, 0, &value));
    assert_int_equal(value, 1); /* NORMAL */
    assert_ok(gr_db_query_int64(conn, "PRAGMA busy_timeout", NULL, 0, &value));
    assert_int_equal(value, GR_DB_BUSY_TIMEOUT_DEFAULT_MS);
    gr_db_release(conn);
}

static void sqlite_memory_database(void **state)
{
    gr_db_options opts = {.client = "sqlite3", .path = ":memory:"};
    gr_db *db = NULL;
    gr_db_conn *conn = NULL;
    int64_t value = 0;

    (void)state;
    assert_ok(gr_db_open(&db, &opts));
    assert_ok(gr_db_acquire(db, GR_DB_WRITE, &conn));
    assert_ok(gr_db_exec(conn, "CREATE TABLE t (n BIGINT); INSERT INTO t VALUES (41)"));
    gr_db_release(conn);
    assert_ok(gr_db_acquire(db, GR_DB_READ, &conn));
    assert_ok(gr_db_query_int64(conn, "SELECT n + 1 FROM t", NULL, 0, &value));
    assert_int_equal(value, 42);
    gr_db_release(conn);
    gr_db_close(db);
}

typedef struct {
    const char *name;
    gr_db_options opts;
    int code;
    const char *message_part;
} open_case;

static void open_rejects_bad_options(void **state)
{
    const open_case cases[] = {
        {"unknown client", {.client = "mysql", .path = "x"}, GR_EINVALID, "\"mysql\""},
        {"sqlite without path", {.client = "better-sqlite3"}, GR_EINVALID, "file path"},
        {"pg without connection", {.client = "pg"}, GR_EINVALID, "connection string"},
        {"negative pool", {.client = "sqlite", .path = ":memory:", .pool_size = -1},
         GR_EINVALID, "pool size"},
        {"pg refused",
         {.client = "pg", .connection = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=5"},
         GR_EBACKEND, "connecting to PostgreSQL failed"},
        {"sqlite folder is a file", {.client = "sqlite", .path = "/dev/null/x.db"}, GR_EBACKEND,
         "/dev/null"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gr_db *db = (gr_db *)&cases; /* must be reset to NULL */

        print_message("case %s\n", cases[i].name);
        assert_int_equal(gr_db_open(&db, &cases[i].opts), cases[i].code);
        assert_null(db);
        assert_non_null(strstr(gr_error_last(), cases[i].message_part));
    }
}

static void pg_reconnects_after_lost_connection(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *victim = NULL;
    gr_db_conn *killer = NULL;
    int64_t pid = 0;
    int64_t value = 0;
    int64_t ok = 0;

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &victim));
    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &killer));
    assert_ok(gr_db_query_int64(victim, "SELECT pg_backend_pid()", NULL, 0, &pid));
    assert_ok(gr_db_query_int64(killer, "SELECT CASE WHEN pg_terminate_backend(?) THEN 1 ELSE 0 END",
                                (int64_t[]){pid}, 1, &ok));
    assert_int_equal(ok, 1);
    gr_db_release(killer);

    /* The first statement learns that the server is gone ... */
    assert_int_equal(gr_db_query_int64(victim, "SELECT 1", NULL, 0, &value), GR_EBACKEND);
    gr_db_release(victim);

    /* ... and the next acquire reconnects. */
    for (int i = 0; i < 2; i++) {
        gr_db_conn *conn = NULL;

        assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
        assert_ok(gr_db_query_int64(conn, "SELECT 1", NULL, 0, &value));
        assert_int_equal(value, 1);
        gr_db_release(conn);
    }
}

static void pg_pool_waits_for_free_connection(void **state)
{
    db_fixture *fixture = *state;
    gr_db_options opts = {.client = "pg", .connection = fixture->url, .pool_size = 1,
                          .acquire_timeout_ms = 200};
    gr_db *db = NULL;
    gr_db_conn *held = NULL;
    gr_db_conn *other = NULL;

    assert_ok(gr_db_open(&db, &opts));
    assert_ok(gr_db_acquire(db, GR_DB_WRITE, &held));
    assert_int_equal(gr_db_acquire(db, GR_DB_READ, &other), GR_EBACKEND);
    assert_non_null(strstr(gr_error_last(), "timed out"));
    gr_db_release(held);
    assert_ok(gr_db_acquire(db, GR_DB_READ, &other));
    gr_db_release(other);
    gr_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(stmt_values_round_trip),
        DB_TEST_BOTH(stmt_placeholders_skip_quotes),
        DB_TEST_BOTH(stmt_reset_runs_again),
        DB_TEST_BOTH(stmt_borrowed_text_stored),
        DB_TEST_BOTH(stmt_rows_in_order),
        DB_TEST_BOTH(stmt_returning_auto_id),
        DB_TEST_BOTH(stmt_upsert_on_conflict),
        DB_TEST_BOTH(stmt_unique_violation_conflicts),
        DB_TEST_BOTH(tx_commit_and_rollback),
        DB_TEST_BOTH(tx_rollback_after_error),
        DB_TEST_BOTH(query_int64_found_and_missing),
        DB_TEST_BOTH(stmt_cache_reuses_statements),
        DB_TEST_BOTH(dialect_helpers_run),
        DB_TEST_BOTH(readers_run_while_writing),
        DB_TEST_BOTH(release_resets_open_statement),
        DB_TEST_SQLITE(sqlite_reader_rejects_writes),
        DB_TEST_SQLITE(sqlite_writer_twice_rejected),
        DB_TEST_SQLITE(sqlite_writer_usage_counted),
        DB_TEST_SQLITE(sqlite_file_settings),
        cmocka_unit_test(sqlite_memory_database),
        cmocka_unit_test(open_rejects_bad_options),
        DB_TEST_PG(pg_reconnects_after_lost_connection),
        DB_TEST_PG(pg_pool_waits_for_free_connection),
        DB_TEST_PG(pg_writer_usage_zero),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
