/* SPDX-License-Identifier: MIT */
/* Measures point-lookup queries/s with two reader threads and inserts/s in one transaction. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/store/db.h"

/*
 * Usage: bench_db [ROWS [SECONDS]]
 * Writes a SQLite file under $TMPDIR (removed at the end). When
 * GR_BENCH_PG_URL is set, runs the same on that PostgreSQL database too
 * (it creates and drops the table bench_entities there).
 * Prints one line per measurement: engine, what, count, seconds, rate.
 */

#define READER_THREADS 2
#define DEFAULT_ROWS 50000
#define DEFAULT_SECONDS 2.0

static const char *const lookup_sql = "SELECT id, body FROM bench_entities WHERE name = ?";

typedef struct {
    gr_db *db;
    int rows;
    double seconds;
    unsigned seed;
    int64_t queries;
    int failed;
} reader;

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int insert_rows(gr_db *db, int rows)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    rc = gr_db_acquire(db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_begin(conn);
    for (int i = 0; rc == GR_OK && i < rows; i++) {
        char name[48];

        snprintf(name, sizeof(name), "component:default/svc-%d", i);
        rc = gr_db_prepare(conn, "INSERT INTO bench_entities (id, name, body) VALUES (?, ?, ?)",
                           &stmt);
        if (rc == GR_OK)
            rc = gr_db_bind_int64(stmt, 1, i);
        if (rc == GR_OK)
            rc = gr_db_bind_text(stmt, 2, name);
        if (rc == GR_OK)
            rc = gr_db_bind_text(stmt, 3, "{\"kind\":\"Component\",\"spec\":{\"type\":\"service\"}}");
        if (rc == GR_OK)
            rc = gr_db_step(stmt) == GR_DB_DONE ? GR_OK : GR_EBACKEND;
        gr_db_finalize(stmt);
        stmt = NULL;
    }
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    gr_db_release(conn);
    return rc;
}

/* Looks up random names, acquiring a connection per query as a request handler does. */
static void *lookup_loop(void *arg)
{
    reader *self = arg;
    double end = now_seconds() + self->seconds;

    while (now_seconds() < end) {
        for (int batch = 0; batch < 256; batch++) {
            gr_db_conn *conn = NULL;
            gr_db_stmt *stmt = NULL;
            char name[48];

            snprintf(name, sizeof(name), "component:default/svc-%d",
                     (int)(rand_r(&self->seed) % (unsigned)self->rows));
            if (gr_db_acquire(self->db, GR_DB_READ, &conn) != GR_OK ||
                gr_db_prepare(conn, lookup_sql, &stmt) != GR_OK ||
                gr_db_bind_text(stmt, 1, name) != GR_OK || gr_db_step(stmt) != GR_DB_ROW ||
                gr_db_column_text(stmt, 1) == NULL) {
                fprintf(stderr, "lookup failed: %s\n", gr_error_last());
                self->failed = 1;
            }
            gr_db_finalize(stmt);
            gr_db_release(conn);
            self->queries++;
        }
        if (self->failed)
            break;
    }
    return NULL;
}

static int run_engine(const char *engine, const gr_db_options *opts, int rows, double seconds)
{
    reader readers[READER_THREADS];
    pthread_t threads[READER_THREADS];
    gr_db *db = NULL;
    gr_db_conn *conn = NULL;
    int64_t queries = 0;
    double start;
    double elapsed;
    int rc;

    rc = gr_db_open(&db, opts);
    if (rc == GR_OK)
        rc = gr_db_acquire(db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_exec(conn, "DROP TABLE IF EXISTS bench_entities;"
                              "CREATE TABLE bench_entities (id BIGINT PRIMARY KEY,"
                              " name TEXT NOT NULL UNIQUE, body TEXT NOT NULL)");
    gr_db_release(conn);
    conn = NULL;
    if (rc != GR_OK)
        goto done;

    start = now_seconds();
    rc = insert_rows(db, rows);
    elapsed = now_seconds() - start;
    if (rc != GR_OK)
        goto done;
    printf("%-7s inserts-in-one-transaction count=%d seconds=%.3f per_second=%.0f\n", engine, rows,
           elapsed, rows / elapsed);

    start = now_seconds();
    for (int i = 0; i < READER_THREADS; i++) {
        readers[i] = (reader){.db = db, .rows = rows, .seconds = seconds, .seed = 7u + (unsigned)i};
        pthread_create(&threads[i], NULL, lookup_loop, &readers[i]);
    }
    for (int i = 0; i < READER_THREADS; i++) {
        pthread_join(threads[i], NULL);
        queries += readers[i].queries;
        if (readers[i].failed)
            rc = GR_EBACKEND;
    }
    elapsed = now_seconds() - start;
    printf("%-7s point-lookups-%d-threads count=%" PRId64 " seconds=%.3f per_second=%.0f\n",
           engine, READER_THREADS, queries, elapsed, (double)queries / elapsed);

    if (gr_db_acquire(db, GR_DB_WRITE, &conn) == GR_OK)
        gr_db_exec(conn, "DROP TABLE bench_entities");
    gr_db_release(conn);
done:
    if (rc != GR_OK)
        fprintf(stderr, "%s benchmark failed: %s\n", engine, gr_error_last());
    gr_db_close(db);
    return rc;
}

int main(int argc, char **argv)
{
    int rows = argc > 1 ? atoi(argv[1]) : DEFAULT_ROWS;
    double seconds = argc > 2 ? atof(argv[2]) : DEFAULT_SECONDS;
    const char *tmp = getenv("TMPDIR");
    const char *pg_url = getenv("GR_BENCH_PG_URL");
    char *dir = gr_xasprintf("%s/gr-bench-db-XXXXXX", tmp ? tmp : "/tmp");
    char *path = NULL;
    char *wal = NULL;
    char *shm = NULL;
    int failed = 0;

    if (rows <= 0 || seconds <= 0) {
        fprintf(stderr, "usage: %s [ROWS [SECONDS]] (both positive)\n", argv[0]);
        return 2;
    }
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    path = gr_xasprintf("%s/bench.sqlite", dir);
    wal = gr_xasprintf("%s-wal", path);
    shm = gr_xasprintf("%s-shm", path);

    failed |= run_engine("sqlite", &(gr_db_options){.client = "better-sqlite3", .path = path},
                         rows, seconds) != GR_OK;
    if (pg_url != NULL && pg_url[0] != '\0')
        failed |= run_engine("pg", &(gr_db_options){.client = "pg", .connection = pg_url}, rows,
                             seconds) != GR_OK;

    unlink(path);
    unlink(wal);
    unlink(shm);
    rmdir(dir);
    free(shm);
    free(wal);
    free(path);
    free(dir);
    return failed ? 1 : 0;
}
