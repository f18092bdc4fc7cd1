/* SPDX-License-Identifier: MIT */
/* Test fixture: a fresh database per test, on SQLite or on a real PostgreSQL server. */
#ifndef GR_TEST_DB_FIXTURE_H
#define GR_TEST_DB_FIXTURE_H

/*
 * Header-only because every .c under tests/unit/<module>/ is its own test
 * program. Include it after cmocka.h.
 *
 * PostgreSQL: the server named by $GR_TEST_PG_URL, or else one that
 * scripts/pg-start.sh starts for this test program (stopped by
 * db_fixture_group_teardown, or by the script's watcher if the program
 * crashes). Each test gets its own schema on it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/store/db.h"

typedef struct {
    gr_db_engine engine;
    char *dir;    /* SQLite: folder holding the database file */
    char *path;   /* SQLite: database file */
    char *url;    /* PostgreSQL: connection string selecting this test's schema */
    char *schema; /* PostgreSQL: this test's schema */
    gr_db *db;
} db_fixture;

__attribute__((unused)) static const gr_db_engine db_fixture_sqlite = GR_DB_SQLITE;
__attribute__((unused)) static const gr_db_engine db_fixture_pg = GR_DB_POSTGRES;

static char *pg_server_dir;
static char *pg_server_url;
static int pg_schema_count;

static inline char *source_path(const char *relative)
{
    const char *root = getenv("GR_SOURCE_DIR");

    return gr_xasprintf("%s/%s", root ? root : ".", relative);
}

/* Returns the server's connection string, starting a server on first use. */
static inline const char *db_fixture_pg_url(void)
{
    const char *env = getenv("GR_TEST_PG_URL");
    char line[512] = "";
    char *script;
    char *command;
    FILE *pipe;
    int status;

    if (pg_server_url != NULL)
        return pg_server_url;
    if (env != NULL && env[0] != '\0') {
        pg_server_url = gr_xstrdup(env);
        return pg_server_url;
    }

    pg_server_dir = gr_test_tmpdir("pg");
    script = source_path("scripts/pg-start.sh");
    command = gr_xasprintf("'%s' --stop-with %d '%s'", script, (int)getpid(), pg_server_dir);
    pipe = popen(command, "r");
    if (pipe != NULL && fgets(line, sizeof(line), pipe) == NULL)
        line[0] = '\0';
    status = pipe ? pclose(pipe) : -1;
    free(command);
    free(script);
    line[strcspn(line, "\n")] = '\0';
    if (status != 0 || line[0] == '\0') {
        fprintf(stderr, "starting PostgreSQL with scripts/pg-start.sh failed (status %d)\n",
                status);
        return NULL;
    }
    pg_server_url = gr_xstrdup(line);
    return pg_server_url;
}

/* Stops the server this program started, if any. */
static inline int db_fixture_group_teardown(void **state)
{
    (void)state;
    if (pg_server_dir != NULL) {
        char *script = source_path("scripts/pg-stop.sh");
        char *command = gr_xasprintf("'%s' '%s'", script, pg_server_dir);

        if (system(command) != 0)
            fprintf(stderr, "stopping PostgreSQL in %s failed\n", pg_server_dir);
        gr_test_rmtree(pg_server_dir);
        free(command);
        free(script);
        free(pg_server_dir);
        pg_server_dir = NULL;
    }
    free(pg_server_url);
    pg_server_url = NULL;
    return 0;
}

/* Appends a search_path option to a URI or key=value connection string. */
static inline char *url_with_schema(const char *base, const char *schema)
{
    if (strncmp(base, "postgres://", 11) == 0 || strncmp(base, "postgresql://", 13) == 0)
        return gr_xasprintf("%s%coptions=-csearch_path%%3D%s", base,
                            strchr(base, '?') ? '&' : '?', schema);
    return gr_xasprintf("%s options='-csearch_path=%s'", base, schema);
}

/* Runs one SQL text on a short-lived handle to `url`. Returns 0 or an error. */
static inline int run_admin_sql(const char *url, const char *sql)
{
    gr_db_options opts = {.client = "pg", .connection = url, .pool_size = 1};
    gr_db *db = NULL;
    gr_db_conn *conn = NULL;
    int rc;

    rc = gr_db_open(&db, &opts);
    if (rc == GR_OK)
        rc = gr_db_acquire(db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_exec(conn, sql);
    gr_db_release(conn);
    gr_db_close(db);
    return rc;
}

/* Opens another handle on the fixture's database. */
static inline int db_fixture_open(const db_fixture *fixture, int pool_size, gr_db **out)
{
    gr_db_options opts = {.pool_size = pool_size};

    if (fixture->engine == GR_DB_SQLITE) {
        opts.client = "better-sqlite3";
        opts.path = fixture->path;
    } else {
        opts.client = "pg";
        opts.connection = fixture->url;
    }
    return gr_db_open(out, &opts);
}

/* Prepares the database of a test. On entry `*state` points to the engine to use. */
static inline int db_fixture_setup(void **state)
{
    db_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));

    fixture->engine = *(const gr_db_engine *)*state;
    if (fixture->engine == GR_DB_SQLITE) {
        fixture->dir = gr_test_tmpdir("db");
        fixture->path = gr_xasprintf("%s/data/greenroom.sqlite", fixture->dir);
    } else {
        const char *base = db_fixture_pg_url();
        char *sql;

        if (base == NULL)
            goto fail;
        fixture->schema = gr_xasprintf("gr_test_%d_%d", (int)getpid(), ++pg_schema_count);
        sql = gr_xasprintf("CREATE SCHEMA %s", fixture->schema);
        if (run_admin_sql(base, sql) != GR_OK) {
            fprintf(stderr, "creating schema failed: %s\n", gr_error_last());
            free(sql);
            goto fail;
        }
        free(sql);
        fixture->url = url_with_schema(base, fixture->schema);
    }
    if (db_fixture_open(fixture, 0, &fixture->db) != GR_OK) {
        fprintf(stderr, "opening the test database failed: %s\n", gr_error_last());
        goto fail;
    }
    *state = fixture;
    return 0;
fail:
    free(fixture->schema);
    free(fixture);
    return -1;
}

static inline int db_fixture_teardown(void **state)
{
    db_fixture *fixture = *state;

    gr_db_close(fixture->db);
    if (fixture->engine == GR_DB_SQLITE) {
        gr_test_rmtree(fixture->dir);
    } else {
        char *sql = gr_xasprintf("DROP SCHEMA %s CASCADE", fixture->schema);

        if (run_admin_sql(pg_server_url, sql) != GR_OK)
            fprintf(stderr, "dropping schema failed: %s\n", gr_error_last());
        free(sql);
    }
    free(fixture->dir);
    free(fixture->path);
    free(fixture->url);
    free(fixture->schema);
    free(fixture);
    return 0;
}

/* Executes SQL on a write connection of the fixture's database; fails the test on error. */
static inline void db_fixture_exec(gr_db *db, const char *sql)
{
    gr_db_conn *conn = NULL;

    if (gr_db_acquire(db, GR_DB_WRITE, &conn) != GR_OK || gr_db_exec(conn, sql) != GR_OK)
        fail_msg("%s: %s", sql, gr_error_last());
    gr_db_release(conn);
}

/* Reads one integer with a read connection; fails the test on error. */
static inline int64_t db_fixture_int64(gr_db *db, const char *sql)
{
    gr_db_conn *conn = NULL;
    int64_t value = -1;

    if (gr_db_acquire(db, GR_DB_READ, &conn) != GR_OK ||
        gr_db_query_int64(conn, sql, NULL, 0, &value) != GR_OK)
        fail_msg("%s: %s", sql, gr_error_last());
    gr_db_release(conn);
    return value;
}

/* One test on both engines, named "<engine>: <function>". */
#define DB_TEST_BOTH(fn)                                                                           \
    {"sqlite: " #fn, fn, db_fixture_setup, db_fixture_teardown, (void *)&db_fixture_sqlite},       \
    {                                                                                              \
        "pg: " #fn, fn, db_fixture_setup, db_fixture_teardown, (void *)&db_fixture_pg              \
    }

#define DB_TEST_SQLITE(fn)                                                                         \
    {                                                                                              \
        "sqlite: " #fn, fn, db_fixture_setup, db_fixture_teardown, (void *)&db_fixture_sqlite      \
    }

#define DB_TEST_PG(fn)                                                                             \
    {                                                                                              \
        "pg: " #fn, fn, db_fixture_setup, db_fixture_teardown, (void *)&db_fixture_pg              \
    }

#endif
