/* SPDX-License-Identifier: MIT */
/* Opening databases, the connection pool and transactions, over either engine. */
#include "host/store/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db_internal.h"

static int parse_client(const char *client, gr_db_engine *out)
{
    if (client == NULL || strcmp(client, "sqlite") == 0 || strcmp(client, "sqlite3") == 0 ||
        strcmp(client, "better-sqlite3") == 0) {
        *out = GR_DB_SQLITE;
        return GR_OK;
    }
    if (strcmp(client, "pg") == 0) {
        *out = GR_DB_POSTGRES;
        return GR_OK;
    }
    return gr_error_set(GR_EINVALID,
                        "unknown database client \"%s\"; use \"better-sqlite3\", \"sqlite3\" "
                        "or \"pg\"",
                        client);
}

/* Creates the folders above `path`, like mkdir -p on its dirname. */
static int make_parent_dirs(const char *path)
{
    char *copy = gr_xstrdup(path);
    int rc = GR_OK;

    for (char *p = copy + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            rc = gr_error_set(GR_EBACKEND, "creating folder %s for the database failed: %s", copy,
                              strerror(errno));
            break;
        }
        *p = '/';
    }
    free(copy);
    return rc;
}

static int check_options(const gr_db_options *opts, gr_db_engine engine)
{
    if (opts->pool_size < 0 || opts->pool_size > GR_DB_POOL_MAX)
        return gr_error_set(GR_EINVALID, "database pool size %d is out of range 0..%d",
                            opts->pool_size, GR_DB_POOL_MAX);
    if (opts->busy_timeout_ms < 0 || opts->acquire_timeout_ms < 0)
        return gr_error_set(GR_EINVALID, "database timeouts must not be negative");
    if (engine == GR_DB_SQLITE && (opts->path == NULL || opts->path[0] == '\0'))
        return gr_error_set(GR_EINVALID,
                            "the SQLite database needs a file path (or \":memory:\")");
    if (engine == GR_DB_POSTGRES && (opts->connection == NULL || opts->connection[0] == '\0'))
        return gr_error_set(GR_EINVALID, "the PostgreSQL database needs a connection string");
    return GR_OK;
}

static int open_conn(gr_db *db, bool writer, gr_db_conn **out)
{
    gr_db_conn *conn = gr_xcalloc(1, sizeof(*conn));
    int rc;

    conn->db = db;
    conn->writer = writer;
    rc = db->ops->conn_open(db, writer, conn);
    if (rc != GR_OK) {
        free(conn);
        return rc;
    }
    *out = conn;
    return GR_OK;
}

static void close_conn(gr_db_conn *conn)
{
    if (conn == NULL)
        return;
    if (conn->in_use)
        gr_warn("db", "closing a database connection that was not released");
    gr_db__drop_cache(conn);
    conn->db->ops->conn_close(conn);
    free(conn);
}

static void init_sync(gr_db *db)
{
    pthread_condattr_t attr;

    pthread_mutex_init(&db->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&db->available, &attr);
    pthread_condattr_destroy(&attr);
}

static int open_sqlite(gr_db *db, int pool_size)
{
    int rc;

    db->memory = strcmp(db->target, ":memory:") == 0;
    if (!db->memory) {
        rc = make_parent_dirs(db->target);
        if (rc != GR_OK)
            return rc;
    }
    rc = open_conn(db, true, &db->writer);
    if (rc != GR_OK)
        return rc;

    db->pool_max = db->memory ? 0 : (pool_size > 0 ? pool_size : GR_DB_SQLITE_READERS_DEFAULT);
    db->pool = gr_xcalloc((size_t)db->pool_max + 1, sizeof(*db->pool));
    for (int i = 0; i < db->pool_max; i++) {
        rc = open_conn(db, false, &db->pool[i]);
        if (rc != GR_OK)
            return rc;
        db->pool_len++;
    }
    return GR_OK;
}

static int open_pg(gr_db *db, int pool_size)
{
    int rc;

    db->pool_max = pool_size > 0 ? pool_size : GR_DB_PG_POOL_DEFAULT;
    db->pool = gr_xcalloc((size_t)db->pool_max, sizeof(*db->pool));
    rc = open_conn(db, false, &db->pool[0]);
    if (rc != GR_OK)
        return rc;
    db->pool_len = 1;
    return GR_OK;
}

int gr_db_open(gr_db **out, const gr_db_options *opts)
{
    gr_db_engine engine = GR_DB_SQLITE;
    gr_db *db = NULL;
    int rc;

    *out = NULL;
    rc = parse_client(opts->client, &engine);
    if (rc != GR_OK)
        return rc;
    rc = check_options(opts, engine);
    if (rc != GR_OK)
        return rc;

    db = gr_xcalloc(1, sizeof(*db));
    init_sync(db);
    db->engine = engine;
    db->busy_timeout_ms = opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms
                                                    : GR_DB_BUSY_TIMEOUT_DEFAULT_MS;
    db->acquire_timeout_ms = opts->acquire_timeout_ms > 0 ? opts->acquire_timeout_ms
                                                          : GR_DB_ACQUIRE_TIMEOUT_DEFAULT_MS;
    if (engine == GR_DB_SQLITE) {
        db->ops = &gr_db__sqlite_ops;
        db->target = gr_xstrdup(opts->path);
        rc = open_sqlite(db, opts->pool_size);
    } else {
        db->ops = &gr_db__pg_ops;
        db->target = gr_xstrdup(opts->connection);
        rc = open_pg(db, opts->pool_size);
    }
    if (rc != GR_OK) {
        gr_db_close(db);
        return rc;
    }
    *out = db;
    return GR_OK;
}

void gr_db_close(gr_db *db)
{
    if (db == NULL)
        return;
    close_conn(db->writer);
    for (int i = 0; i < db->pool_len; i++)
        close_conn(db->pool[i]);
    free(db->pool);
    free(db->target);
    pthread_cond_destroy(&db->available);
    pthread_mutex_destroy(&db->lock);
    free(db);
}

gr_db_engine gr_db_dialect(const gr_db *db)
{
    return db->engine;
}

void gr_db_writer_usage(gr_db *db, gr_db_writer_stats *out)
{
    pthread_mutex_lock(&db->lock);
    out->held_ms = db->writer_held_ns / 1000000;
    out->acquisitions = db->writer_acquisitions;
    pthread_mutex_unlock(&db->lock);
}

gr_db *gr_db_conn_db(const gr_db_conn *conn)
{
    return conn->db;
}

static struct timespec deadline_after(int ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Called with db->lock held. */
static void mark_taken(gr_db_conn *conn)
{
    conn->in_use = true;
    conn->holder = pthread_self();
    if (conn->writer)
        clock_gettime(CLOCK_MONOTONIC, &conn->db->writer_since);
}

/* Called with db->lock held. */
static int wait_writer(gr_db *db, const struct timespec *deadline, gr_db_conn **out)
{
    gr_db_conn *writer = db->writer;

    while (writer->in_use) {
        if (pthread_equal(writer->holder, pthread_self()))
            return gr_error_set(GR_EINVALID, "this thread holds the SQLite write connection "
                                             "already; release it before acquiring another");
        if (pthread_cond_timedwait(&db->available, &db->lock, deadline) == ETIMEDOUT &&
            writer->in_use)
            return gr_error_set(GR_EBACKEND,
                                "timed out after %d ms waiting for the database write connection",
                                db->acquire_timeout_ms);
    }
    mark_taken(writer);
    *out = writer;
    return GR_OK;
}

/* Called with db->lock held. The lock is released while a new connection opens. */
static int take_pooled(gr_db *db, const struct timespec *deadline, gr_db_conn **out)
{
    for (;;) {
        for (int i = 0; i < db->pool_len; i++) {
            if (!db->pool[i]->in_use) {
                mark_taken(db->pool[i]);
                *out = db->pool[i];
                return GR_OK;
            }
        }
        if (db->pool_len + db->pool_opening < db->pool_max) {
            gr_db_conn *conn = NULL;
            int rc;

            db->pool_opening++;
            pthread_mutex_unlock(&db->lock);
            rc = open_conn(db, false, &conn);
            pthread_mutex_lock(&db->lock);
            db->pool_opening--;
            if (rc != GR_OK) {
                pthread_cond_broadcast(&db->available);
                return rc;
            }
            db->pool[db->pool_len++] = conn;
            mark_taken(conn);
            *out = conn;
            return GR_OK;
        }
        if (pthread_cond_timedwait(&db->available, &db->lock, deadline) == ETIMEDOUT)
            return gr_error_set(GR_EBACKEND,
                                "timed out after %d ms waiting for a free database connection "
                                "(pool size %d)",
                                db->acquire_timeout_ms, db->pool_max);
    }
}

static void give_back(gr_db_conn *conn)
{
    gr_db *db = conn->db;

    pthread_mutex_lock(&db->lock);
    if (conn->writer) {
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        db->writer_held_ns += (int64_t)(now.tv_sec - db->writer_since.tv_sec) * 1000000000 +
                              (now.tv_nsec - db->writer_since.tv_nsec);
        db->writer_acquisitions++;
    }
    conn->in_use = false;
    pthread_cond_broadcast(&db->available);
    pthread_mutex_unlock(&db->lock);
}

int gr_db_acquire(gr_db *db, gr_db_access access, gr_db_conn **out)
{
    struct timespec deadline = deadline_after(db->acquire_timeout_ms);
    gr_db_conn *conn = NULL;
    int rc;

    *out = NULL;
    pthread_mutex_lock(&db->lock);
    if (db->writer != NULL && (access == GR_DB_WRITE || db->pool_max == 0))
        rc = wait_writer(db, &deadline, &conn);
    else
        rc = take_pooled(db, &deadline, &conn);
    pthread_mutex_unlock(&db->lock);
    if (rc != GR_OK)
        return rc;

    if (db->ops->conn_check != NULL) {
        rc = db->ops->conn_check(conn);
        if (rc != GR_OK) {
            give_back(conn);
            return rc;
        }
    }
    *out = conn;
    return GR_OK;
}

void gr_db_release(gr_db_conn *conn)
{
    gr_db__saved_error saved;

    if (conn == NULL)
        return;
    /* Cleaning up must not replace the error the caller is about to report. */
    gr_db__error_save(&saved);

    if (conn->in_tx) {
        gr_warn("db", "database connection released inside a transaction; rolling it back");
        gr_db_rollback(conn);
    }
    gr_db__reset_open_stmts(conn);
    give_back(conn);
    gr_db__error_restore(&saved);
}

int gr_db_begin(gr_db_conn *conn)
{
    const char *sql = conn->writer ? "BEGIN IMMEDIATE" : "BEGIN";
    int rc;

    if (conn->in_tx)
        return gr_error_set(GR_EINVALID, "a transaction is open already on this connection");
    conn->aborted = false;
    rc = conn->db->ops->exec(conn, sql);
    if (rc != GR_OK)
        return rc;
    conn->in_tx = true;
    return GR_OK;
}

bool gr_db_conn_aborted(const gr_db_conn *conn)
{
    return conn->aborted;
}

int gr_db_commit(gr_db_conn *conn)
{
    const gr_db__ops *ops = conn->db->ops;
    int rc;

    if (!conn->in_tx)
        return gr_error_set(GR_EINVALID, "commit without an open transaction");
    if (ops->tx_state(conn) != GR_DB__TX_ACTIVE) {
        gr_db_rollback(conn);
        return gr_error_set(GR_EBACKEND, "commit failed: the database rolled the transaction "
                                         "back after an earlier error");
    }
    rc = ops->exec(conn, "COMMIT");
    if (rc != GR_OK) {
        gr_db_rollback(conn);
        return rc;
    }
    conn->in_tx = false;
    return GR_OK;
}

int gr_db_rollback(gr_db_conn *conn)
{
    gr_db__saved_error saved;
    int rc;

    if (conn == NULL || !conn->in_tx)
        return GR_OK;
    conn->in_tx = false;
    /* SQLite rolls back by itself after some errors (SQLITE_FULL, SQLITE_IOERR). */
    if (conn->db->ops->tx_state(conn) == GR_DB__TX_NONE)
        return GR_OK;

    gr_db__error_save(&saved);
    rc = conn->db->ops->exec(conn, "ROLLBACK");
    if (rc == GR_OK)
        gr_db__error_restore(&saved);
    return rc;
}

int gr_db_exec(gr_db_conn *conn, const char *sql)
{
    return conn->db->ops->exec(conn, sql);
}

void gr_db__error_save(gr_db__saved_error *saved)
{
    saved->code = gr_error_last_code();
    snprintf(saved->message, sizeof(saved->message), "%s", gr_error_last());
}

void gr_db__error_restore(const gr_db__saved_error *saved)
{
    if (saved->message[0] == '\0' && saved->code == GR_OK)
        gr_error_clear();
    else
        gr_error_set(saved->code, "%s", saved->message);
}

int gr_db__fail(bool unique_violation, const char *message, const char *sql)
{
    int code = unique_violation ? GR_ECONFLICT : GR_EBACKEND;
    char flat[GR_ERROR_MAX];
    size_t len = 0;

    /* PostgreSQL messages end in a newline and may span lines. */
    for (const char *p = message; *p != '\0' && len + 1 < sizeof(flat); p++)
        flat[len++] = (*p == '\n') ? ' ' : *p;
    while (len > 0 && flat[len - 1] == ' ')
        len--;
    flat[len] = '\0';

    /* The statement goes to the log only, because error messages reach HTTP clients (503)
     * and the SQL text would reveal the schema and the query built from their input. */
    if (sql != NULL && code == GR_EBACKEND) {
        char statement[161];

        snprintf(statement, sizeof(statement), "%s", sql);
        gr_log_fields(GR_LOG_WARN, "db", "statement failed", "error", flat, "statement",
                      statement, NULL);
    }
    return gr_error_set(code, "database error: %s", flat);
}
