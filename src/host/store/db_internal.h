/* SPDX-License-Identifier: MIT */
/* Shared structures of the database layer and the table each engine fills in. */
#ifndef GR_HOST_STORE_DB_INTERNAL_H
#define GR_HOST_STORE_DB_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "host/common/error.h"
#include "host/store/db.h"

/* Transaction state of a connection as the engine reports it. */
enum {
    GR_DB__TX_NONE = 0,
    GR_DB__TX_ACTIVE = 1,
    GR_DB__TX_FAILED = 2, /* PostgreSQL: an error aborted it; only ROLLBACK works */
};

/* Operations one engine provides. The generic layer (db.c) does pooling,
 * locking, transactions bookkeeping and the statement cache around them. */
typedef struct {
    const char *name;
    int (*conn_open)(gr_db *db, bool writer, gr_db_conn *conn);
    void (*conn_close)(gr_db_conn *conn);
    /* Called on acquire: reconnects a broken connection. May be NULL. */
    int (*conn_check)(gr_db_conn *conn);
    int (*tx_state)(gr_db_conn *conn);
    int (*exec)(gr_db_conn *conn, const char *sql);
    /* Allocates the engine's statement (a struct starting with gr_db_stmt). */
    int (*prepare)(gr_db_conn *conn, const char *sql, gr_db_stmt **out);
    void (*stmt_free)(gr_db_stmt *stmt);
    void (*reset)(gr_db_stmt *stmt);
    int (*bind_text)(gr_db_stmt *stmt, int index, const char *text, size_t len);
    /* Binds text that stays valid until the next reset, without a copy. May be NULL. */
    int (*bind_text_borrowed)(gr_db_stmt *stmt, int index, const char *text, size_t len);
    int (*bind_int64)(gr_db_stmt *stmt, int index, int64_t value);
    int (*bind_double)(gr_db_stmt *stmt, int index, double value);
    int (*bind_null)(gr_db_stmt *stmt, int index);
    int (*bind_blob)(gr_db_stmt *stmt, int index, const void *data, size_t len);
    int (*step)(gr_db_stmt *stmt);
    int (*column_count)(gr_db_stmt *stmt);
    const char *(*column_name)(gr_db_stmt *stmt, int column);
    int (*column_is_null)(gr_db_stmt *stmt, int column);
    const char *(*column_text)(gr_db_stmt *stmt, int column);
    int64_t (*column_int64)(gr_db_stmt *stmt, int column);
    double (*column_double)(gr_db_stmt *stmt, int column);
    const void *(*column_blob)(gr_db_stmt *stmt, int column, size_t *len);
} gr_db__ops;

extern const gr_db__ops gr_db__sqlite_ops;
extern const gr_db__ops gr_db__pg_ops;

struct gr_db {
    const gr_db__ops *ops;
    gr_db_engine engine;
    char *target; /* SQLite path or PostgreSQL connection string; never logged */
    bool memory;  /* SQLite ":memory:": the writer also serves reads */
    int busy_timeout_ms;
    int acquire_timeout_ms;

    pthread_mutex_t lock;
    pthread_cond_t available; /* signalled when a connection is released */

    /* SQLite only: the one connection that writes, and how long it was held: the sum over
     * released acquisitions, and when the current one began. */
    gr_db_conn *writer;
    int64_t writer_held_ns;
    int64_t writer_acquisitions;
    struct timespec writer_since;

    /* SQLite readers, or every PostgreSQL connection. `pool_len` are open,
     * and PostgreSQL opens more on demand up to `pool_max`. */
    gr_db_conn **pool;
    int pool_len;
    int pool_max;
    int pool_opening; /* connections being opened outside the lock */
};

struct gr_db_conn {
    gr_db *db;
    void *handle; /* sqlite3 * or PGconn * */
    bool writer;
    bool in_use;
    bool in_tx;
    pthread_t holder; /* valid while in_use */
    bool broken;      /* PostgreSQL: the server connection was lost */
    bool aborted;     /* PostgreSQL: the last transaction was aborted as a deadlock victim or
                       * a serialization failure, and may succeed if it runs again */

    gr_db_stmt *cache[GR_DB_STMT_CACHE_SIZE];
    int cache_len;
    uint64_t clock;          /* ticks on every prepare, for least-recently-used eviction */
    uint64_t next_stmt_name; /* PostgreSQL prepared statement names */
};

/* The engine-independent head of every statement. */
struct gr_db_stmt {
    gr_db_conn *conn;
    char *sql;
    uint64_t hash;
    uint64_t last_used;
    bool cached;
    bool in_use;
    int param_count;
    int64_t changes;
};

/* Frees every cached statement of a connection (none may be in use). */
void gr_db__drop_cache(gr_db_conn *conn);

/* Resets statements the caller did not finalize, so the connection can be reused. */
void gr_db__reset_open_stmts(gr_db_conn *conn);

/* The calling thread's error, kept while cleanup code runs that may replace it. */
typedef struct {
    int code;
    char message[GR_ERROR_MAX];
} gr_db__saved_error;

void gr_db__error_save(gr_db__saved_error *saved);
void gr_db__error_restore(const gr_db__saved_error *saved);

/* Sets the thread's error for an engine failure: GR_ECONFLICT when
 * `unique_violation`, else GR_EBACKEND, with the engine's message and the
 * start of the statement text. Returns the code. */
int gr_db__fail(bool unique_violation, const char *message, const char *sql);

/* Checks a bind index against the statement's parameter count. */
int gr_db__check_index(const gr_db_stmt *stmt, int index);

/* Rewrites `?` placeholders outside quotes and comments as $1, $2, ...
 * Returns the new text (caller frees) and the count in *count. */
char *gr_db__number_placeholders(const char *sql, int *count);

#endif
