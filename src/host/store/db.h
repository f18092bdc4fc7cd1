/* SPDX-License-Identifier: MIT */
/* One database interface over SQLite and PostgreSQL, used by every store. */
#ifndef GR_HOST_STORE_DB_H
#define GR_HOST_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Callers write SQL once, with `?` placeholders, and run it on either engine.
 * No sqlite3_stmt or PGresult leaves this module.
 *
 * Portable subset (what every store's SQL keeps to):
 * - Types: TEXT, BIGINT (also for booleans as 0/1 and for times as
 *   milliseconds since the Unix epoch), DOUBLE PRECISION, and the binary type
 *   from gr_db_sql_blob_type(). Avoid BOOLEAN, because binding an integer to
 *   it fails on PostgreSQL.
 * - Auto-increment keys: gr_db_sql_auto_id() in CREATE TABLE, and
 *   `INSERT ... RETURNING id` to read the new key.
 * - Upsert: INSERT ... ON CONFLICT (cols) DO UPDATE SET c = excluded.c
 *   [WHERE ...] / DO NOTHING. RETURNING works on both engines.
 * - LIMIT n OFFSET m, COALESCE, CAST(x AS BIGINT), `||` for concatenation,
 *   lower(), EXISTS, IN (subquery), common table expressions.
 * - Where PostgreSQL cannot infer a parameter's type (`? IS NULL`, a bare
 *   `SELECT ?`), write CAST(? AS TEXT) or CAST(? AS BIGINT).
 * - `?` inside quotes or comments is not a placeholder. PostgreSQL's `?`
 *   JSON operators and `?` inside dollar-quoted bodies cannot be used in
 *   prepared statements.
 * - Different per engine, with a helper each: the current time
 *   (gr_db_sql_now_ms), row locks for work queues (gr_db_sql_skip_locked),
 *   row locks that wait (gr_db_sql_lock_rows), case-insensitive LIKE
 *   (gr_db_sql_ilike). DDL that differs more goes into
 *   the per-engine variants of a migration (see migrate.h).
 *
 * Threads: a gr_db is shared by every thread. A connection, and the
 * statements prepared on it, belong to the one thread that acquired it until
 * it is released.
 */

typedef struct gr_db gr_db;
typedef struct gr_db_conn gr_db_conn;
typedef struct gr_db_stmt gr_db_stmt;

/** The database engine behind a gr_db. */
typedef enum {
    GR_DB_SQLITE = 1,
    GR_DB_POSTGRES = 2,
} gr_db_engine;

/** Default number of SQLite reader connections (besides the one writer). */
#define GR_DB_SQLITE_READERS_DEFAULT 4
/** Default maximum number of PostgreSQL connections. */
#define GR_DB_PG_POOL_DEFAULT 10
/** Maximum pool size accepted in gr_db_options. */
#define GR_DB_POOL_MAX 256
/** Default time SQLite waits for a lock held by another process, in ms. */
#define GR_DB_BUSY_TIMEOUT_DEFAULT_MS 5000
/** Default time gr_db_acquire() waits for a free connection, in ms. */
#define GR_DB_ACQUIRE_TIMEOUT_DEFAULT_MS 30000
/** Prepared statements cached per connection. When full, the least recently used is evicted. */
#define GR_DB_STMT_CACHE_SIZE 64

/** How to open a database. Zero values mean the defaults above. */
typedef struct {
    /* "sqlite" (also Backstage's "better-sqlite3" and "sqlite3"), or "pg". NULL is SQLite. */
    const char *client;
    /* SQLite: file path (parent folders are created) or ":memory:". A
     * ":memory:" database has only the writer connection, so reads wait for
     * writes. */
    const char *path;
    /* PostgreSQL: libpq connection string, URI or key=value form. */
    const char *connection;
    /* Reader connections on SQLite, maximum connections on PostgreSQL. */
    int pool_size;
    int busy_timeout_ms;
    int acquire_timeout_ms;
} gr_db_options;

/** Kind of connection requested from gr_db_acquire(). */
typedef enum {
    GR_DB_READ = 1,
    GR_DB_WRITE = 2,
} gr_db_access;

/** Results of gr_db_step() besides negative error codes. */
enum {
    GR_DB_ROW = 1,  /* a row is ready for the column accessors */
    GR_DB_DONE = 2, /* the statement has finished */
};

/**
 * Opens a database. SQLite: WAL mode, one writer connection and
 * `pool_size` reader connections, each with foreign keys on,
 * synchronous=NORMAL and a busy timeout. PostgreSQL: a pool that connects
 * on demand. The first connection is made here, so a bad connection string
 * fails at once.
 * Returns 0 and a handle in *out (caller frees with gr_db_close()),
 * GR_EINVALID for bad options, or GR_EBACKEND when the engine fails.
 */
int gr_db_open(gr_db **out, const gr_db_options *opts);

/**
 * Closes every connection and frees the handle. NULL-safe. Every acquired
 * connection must have been released before.
 */
void gr_db_close(gr_db *db);

/** Returns the engine of `db`. Thread-safe. */
gr_db_engine gr_db_dialect(const gr_db *db);

/** Use of the SQLite write connection since the database was opened. */
typedef struct {
    int64_t held_ms;      /* time between acquiring and releasing it, summed */
    int64_t acquisitions; /* releases counted in held_ms */
} gr_db_writer_stats;

/**
 * Reads the use of the SQLite write connection, counting released
 * acquisitions. Every SQLite write waits for that connection, so the time
 * it is held is a lower bound of a write-heavy load's time. An in-memory
 * database also reads through it. On PostgreSQL both figures are 0.
 * Thread-safe.
 */
void gr_db_writer_usage(gr_db *db, gr_db_writer_stats *out);

/**
 * Takes a connection from the pool. SQLite: GR_DB_WRITE waits for the one
 * writer connection, GR_DB_READ for a reader (reader connections refuse to
 * write). PostgreSQL: both take any pooled connection.
 * Waits at most acquire_timeout_ms. Returns 0, GR_EBACKEND on timeout or a
 * failed reconnect, or GR_EINVALID when this thread has the SQLite writer
 * already and requests it again. Thread-safe.
 */
int gr_db_acquire(gr_db *db, gr_db_access access, gr_db_conn **out);

/**
 * Returns a connection to its pool. An open transaction is rolled back and
 * statements not finalized are reset, each with a warning. NULL-safe.
 */
void gr_db_release(gr_db_conn *conn);

/** Returns the database a connection belongs to (borrowed). */
gr_db *gr_db_conn_db(const gr_db_conn *conn);

/**
 * Starts a transaction (on the SQLite writer: BEGIN IMMEDIATE, so that the
 * write lock is taken at once). Returns 0, GR_EINVALID when one is open
 * already, or GR_EBACKEND.
 */
int gr_db_begin(gr_db_conn *conn);

/** Commits the open transaction. Returns 0, GR_EINVALID when none is open, or an error. */
int gr_db_commit(gr_db_conn *conn);

/**
 * Returns whether the database aborted the current or last transaction of
 * `conn` to break a deadlock or because of a serialization failure
 * (PostgreSQL SQLSTATE 40P01 or 40001). Such a transaction did nothing, and
 * running it again from gr_db_begin() after gr_db_rollback() may succeed.
 * gr_db_begin() clears it. Only the PostgreSQL driver sets it. On SQLite the
 * one writer takes the write lock at BEGIN IMMEDIATE, so a second writer
 * waits for it (up to the busy timeout) instead of forming a deadlock.
 */
bool gr_db_conn_aborted(const gr_db_conn *conn);

/**
 * Rolls back the open transaction, or does nothing without one or with a NULL
 * `conn` (a connection that was never acquired). The thread's error message is
 * kept, so error paths can call it. Returns 0 or GR_EBACKEND.
 * After a failed statement inside a transaction, roll back: PostgreSQL
 * rejects every other statement until then.
 */
int gr_db_rollback(gr_db_conn *conn);

/**
 * Runs SQL without parameters. The text may contain several statements
 * separated by semicolons. Rows it returns are discarded. Returns 0, GR_ECONFLICT on a
 * unique violation, or GR_EBACKEND.
 */
int gr_db_exec(gr_db_conn *conn, const char *sql);

/**
 * Prepares one statement with `?` placeholders. Statements are cached per
 * connection by SQL text, so preparing the same text again is cheap.
 * Returns 0 and *out (finalize with gr_db_finalize() before the connection
 * is released), or GR_EBACKEND with the engine's message.
 */
int gr_db_prepare(gr_db_conn *conn, const char *sql, gr_db_stmt **out);

/*
 * Binding. `index` is 1-based. Values are copied, so the caller's buffers
 * may be freed at once. Each returns 0, or GR_EINVALID for an index out of
 * range. `text` NULL binds SQL NULL.
 */
int gr_db_bind_text(gr_db_stmt *stmt, int index, const char *text);
int gr_db_bind_text_len(gr_db_stmt *stmt, int index, const char *text, size_t len);

/**
 * Binds `text` like gr_db_bind_text() without copying it where the engine
 * allows (SQLite), for statements that run many rows. The caller keeps
 * `text` unchanged until gr_db_reset() or gr_db_finalize() of `stmt`.
 */
int gr_db_bind_text_borrowed(gr_db_stmt *stmt, int index, const char *text);
int gr_db_bind_int64(gr_db_stmt *stmt, int index, int64_t value);
int gr_db_bind_double(gr_db_stmt *stmt, int index, double value);
int gr_db_bind_null(gr_db_stmt *stmt, int index);
int gr_db_bind_blob(gr_db_stmt *stmt, int index, const void *data, size_t len);

/**
 * Runs the statement or moves to its next row. Returns GR_DB_ROW,
 * GR_DB_DONE, GR_ECONFLICT on a unique violation, or GR_EBACKEND.
 * To run it again after GR_DB_DONE or an error, call gr_db_reset() first,
 * because the engines differ in what another step does.
 */
int gr_db_step(gr_db_stmt *stmt);

/*
 * Column accessors for the current row, with a 0-based `column`. Pointers
 * are borrowed and valid until the next step, reset or finalize. Text is
 * NULL for SQL NULL, and numbers read 0. On PostgreSQL the column count and
 * names are known only after the first gr_db_step(). Binary columns are
 * read with gr_db_column_blob(), because PostgreSQL returns them as hex text.
 */
int gr_db_column_count(gr_db_stmt *stmt);
const char *gr_db_column_name(gr_db_stmt *stmt, int column);
int gr_db_column_is_null(gr_db_stmt *stmt, int column);
const char *gr_db_column_text(gr_db_stmt *stmt, int column);
int64_t gr_db_column_int64(gr_db_stmt *stmt, int column);
double gr_db_column_double(gr_db_stmt *stmt, int column);
/** Returns the bytes of a binary column and their count in *len (NULL, 0 for NULL). */
const void *gr_db_column_blob(gr_db_stmt *stmt, int column, size_t *len);

/** Returns the number of rows the last finished INSERT, UPDATE or DELETE changed. */
int64_t gr_db_changes(gr_db_stmt *stmt);

/** Clears bindings and results, so the statement can run again. Returns 0. */
int gr_db_reset(gr_db_stmt *stmt);

/** Gives the statement back to its connection's cache. NULL-safe. */
void gr_db_finalize(gr_db_stmt *stmt);

/**
 * Runs `sql` with the int64 parameters `params[0..count)` and stores the
 * first column of the first row in *out. Returns 0, GR_ENOTFOUND when there
 * is no row (or the value is NULL), or an error from gr_db_step().
 */
int gr_db_query_int64(gr_db_conn *conn, const char *sql, const int64_t *params, size_t count,
                      int64_t *out);

/*
 * Dialect helpers: SQL fragments that differ between the engines. Each
 * returns a static string (borrowed) to paste into SQL text.
 */

/** Returns an expression for the current time as BIGINT milliseconds since the epoch. */
const char *gr_db_sql_now_ms(const gr_db *db);
/** Returns an expression for the current UTC time as ISO 8601 text with milliseconds. */
const char *gr_db_sql_now_text(const gr_db *db);
/** Returns the column definition of an auto-increment integer primary key. */
const char *gr_db_sql_auto_id(const gr_db *db);
/** Returns the column type for binary data (BLOB or BYTEA). */
const char *gr_db_sql_blob_type(const gr_db *db);
/**
 * Returns the suffix that locks selected rows and skips rows locked by
 * others (" FOR UPDATE SKIP LOCKED" on PostgreSQL). On SQLite it is "",
 * because the single writer connection serializes claims.
 */
const char *gr_db_sql_skip_locked(const gr_db *db);
/**
 * Returns the suffix that locks the selected rows until the transaction ends
 * and waits for writers that hold them (" FOR NO KEY UPDATE" on PostgreSQL),
 * so later statements of a READ COMMITTED transaction see what those writers
 * committed. Inserts of rows that reference the locked rows by foreign key
 * do not wait. On SQLite it is "", because BEGIN IMMEDIATE on the single
 * writer connection serializes write transactions.
 */
const char *gr_db_sql_lock_rows(const gr_db *db);
/** Returns the case-insensitive LIKE operator (LIKE on SQLite, which ignores ASCII case). */
const char *gr_db_sql_ilike(const gr_db *db);

#endif
