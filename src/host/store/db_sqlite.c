/* SPDX-License-Identifier: MIT */
/* The SQLite engine of the database layer. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db_internal.h"

/* Page size of a database that this connection creates, in bytes. */
#define GR_DB_SQLITE_PAGE_SIZE "16384"

typedef struct {
    gr_db_stmt base;
    sqlite3_stmt *handle;
} sqlite_stmt;

static sqlite3 *handle_of(gr_db_conn *conn)
{
    return conn->handle;
}

static sqlite3_stmt *stmt_handle(gr_db_stmt *stmt)
{
    return ((sqlite_stmt *)stmt)->handle;
}

static int fail(sqlite3 *handle, const char *sql)
{
    int code = sqlite3_extended_errcode(handle);
    bool unique = code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;

    return gr_db__fail(unique, sqlite3_errmsg(handle), sql);
}

static int sqlite_exec(gr_db_conn *conn, const char *sql)
{
    if (sqlite3_exec(handle_of(conn), sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(handle_of(conn), sql);
    return GR_OK;
}

/* Switches the database file to write-ahead logging, so readers do not wait
 * for the writer. Some file systems, such as network mounts, cannot do WAL. */
static int enable_wal(gr_db_conn *conn)
{
    sqlite3_stmt *stmt = NULL;
    const char *mode;
    int rc = GR_OK;

    if (sqlite3_prepare_v2(handle_of(conn), "PRAGMA journal_mode=WAL", -1, &stmt, NULL) !=
            SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW) {
        rc = fail(handle_of(conn), "PRAGMA journal_mode=WAL");
        goto done;
    }
    mode = (const char *)sqlite3_column_text(stmt, 0);
    if (!conn->db->memory && (mode == NULL || strcmp(mode, "wal") != 0))
        gr_warn("db",
                "SQLite could not switch to WAL mode (journal mode is %s); readers will "
                "wait for writers",
                mode ? mode : "unknown");
done:
    sqlite3_finalize(stmt);
    return rc;
}

static int sqlite_conn_open(gr_db *db, bool writer, gr_db_conn *conn)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    sqlite3 *handle = NULL;
    int rc;

    rc = sqlite3_open_v2(db->target, &handle, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = gr_error_set(GR_EBACKEND, "opening SQLite database %s failed: %s", db->target,
                          handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
        sqlite3_close_v2(handle);
        return rc;
    }
    conn->handle = handle;
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, db->busy_timeout_ms);

    /* A new database gets 16 KiB pages, because rows of catalog entities contain a few KiB
     * of JSON each. The first load of 100,000 entities in bench/catalog took about a tenth
     * less time and CPU than with 4 KiB pages. An existing database keeps its page size. */
    rc = writer ? sqlite_exec(conn, "PRAGMA page_size=" GR_DB_SQLITE_PAGE_SIZE) : GR_OK;
    if (rc == GR_OK && writer)
        rc = enable_wal(conn);
    if (rc == GR_OK)
        rc = sqlite_exec(conn, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL");
    if (rc == GR_OK && !writer)
        rc = sqlite_exec(conn, "PRAGMA query_only=ON");
    if (rc != GR_OK) {
        gr_error_wrap(rc, "setting up SQLite database %s", db->target);
        sqlite3_close_v2(handle);
        conn->handle = NULL;
    }
    return rc;
}

static void sqlite_conn_close(gr_db_conn *conn)
{
    sqlite3_close_v2(handle_of(conn));
    conn->handle = NULL;
}

static int sqlite_tx_state(gr_db_conn *conn)
{
    return sqlite3_get_autocommit(handle_of(conn)) ? GR_DB__TX_NONE : GR_DB__TX_ACTIVE;
}

static bool only_space(const char *text)
{
    for (; *text != '\0'; text++) {
        if (*text != ' ' && *text != '\n' && *text != '\t' && *text != '\r' && *text != ';')
            return false;
    }
    return true;
}

static int sqlite_prepare(gr_db_conn *conn, const char *sql, gr_db_stmt **out)
{
    sqlite3_stmt *handle = NULL;
    const char *tail = NULL;
    sqlite_stmt *stmt;

    if (sqlite3_prepare_v3(handle_of(conn), sql, -1, SQLITE_PREPARE_PERSISTENT, &handle, &tail) !=
        SQLITE_OK)
        return fail(handle_of(conn), sql);
    if (handle == NULL)
        return gr_error_set(GR_EINVALID, "empty SQL statement");
    if (tail != NULL && !only_space(tail)) {
        sqlite3_finalize(handle);
        return gr_error_set(GR_EINVALID,
                            "a prepared statement must hold one SQL statement; use gr_db_exec() "
                            "for several (statement: %.160s)",
                            sql);
    }
    stmt = gr_xcalloc(1, sizeof(*stmt));
    stmt->handle = handle;
    stmt->base.param_count = sqlite3_bind_parameter_count(handle);
    *out = &stmt->base;
    return GR_OK;
}

static void sqlite_stmt_free(gr_db_stmt *stmt)
{
    sqlite3_finalize(stmt_handle(stmt));
    free(stmt);
}

static void sqlite_reset(gr_db_stmt *stmt)
{
    sqlite3_reset(stmt_handle(stmt));
    sqlite3_clear_bindings(stmt_handle(stmt));
}

static int bind_result(gr_db_stmt *stmt, int rc)
{
    if (rc != SQLITE_OK)
        return fail(handle_of(stmt->conn), stmt->sql);
    return GR_OK;
}

static int sqlite_bind_text(gr_db_stmt *stmt, int index, const char *text, size_t len)
{
    return bind_result(stmt, sqlite3_bind_text64(stmt_handle(stmt), index, text, len,
                                                 SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int sqlite_bind_text_borrowed(gr_db_stmt *stmt, int index, const char *text, size_t len)
{
    return bind_result(
        stmt, sqlite3_bind_text64(stmt_handle(stmt), index, text, len, SQLITE_STATIC, SQLITE_UTF8));
}

static int sqlite_bind_int64(gr_db_stmt *stmt, int index, int64_t value)
{
    return bind_result(stmt, sqlite3_bind_int64(stmt_handle(stmt), index, value));
}

static int sqlite_bind_double(gr_db_stmt *stmt, int index, double value)
{
    return bind_result(stmt, sqlite3_bind_double(stmt_handle(stmt), index, value));
}

static int sqlite_bind_null(gr_db_stmt *stmt, int index)
{
    return bind_result(stmt, sqlite3_bind_null(stmt_handle(stmt), index));
}

static int sqlite_bind_blob(gr_db_stmt *stmt, int index, const void *data, size_t len)
{
    /* A NULL pointer would bind SQL NULL, so an empty value binds a zero-length blob. */
    if (len == 0)
        return bind_result(stmt, sqlite3_bind_zeroblob(stmt_handle(stmt), index, 0));
    return bind_result(stmt,
                       sqlite3_bind_blob64(stmt_handle(stmt), index, data, len, SQLITE_TRANSIENT));
}

static int sqlite_step(gr_db_stmt *stmt)
{
    int rc = sqlite3_step(stmt_handle(stmt));

    if (rc == SQLITE_ROW)
        return GR_DB_ROW;
    if (rc == SQLITE_DONE) {
        stmt->changes = sqlite3_changes64(handle_of(stmt->conn));
        return GR_DB_DONE;
    }
    return fail(handle_of(stmt->conn), stmt->sql);
}

static int sqlite_column_count(gr_db_stmt *stmt)
{
    return sqlite3_column_count(stmt_handle(stmt));
}

static const char *sqlite_column_name(gr_db_stmt *stmt, int column)
{
    return sqlite3_column_name(stmt_handle(stmt), column);
}

static int sqlite_column_is_null(gr_db_stmt *stmt, int column)
{
    return sqlite3_column_type(stmt_handle(stmt), column) == SQLITE_NULL;
}

static const char *sqlite_column_text(gr_db_stmt *stmt, int column)
{
    return (const char *)sqlite3_column_text(stmt_handle(stmt), column);
}

static int64_t sqlite_column_int64(gr_db_stmt *stmt, int column)
{
    return sqlite3_column_int64(stmt_handle(stmt), column);
}

static double sqlite_column_double(gr_db_stmt *stmt, int column)
{
    return sqlite3_column_double(stmt_handle(stmt), column);
}

static const void *sqlite_column_blob(gr_db_stmt *stmt, int column, size_t *len)
{
    const void *data;

    if (sqlite3_column_type(stmt_handle(stmt), column) == SQLITE_NULL)
        return NULL;
    data = sqlite3_column_blob(stmt_handle(stmt), column);
    *len = (size_t)sqlite3_column_bytes(stmt_handle(stmt), column);
    /* SQLite returns NULL for an empty blob; callers tell it from SQL NULL by the pointer. */
    return data != NULL ? data : "";
}

const gr_db__ops gr_db__sqlite_ops = {
    .name = "sqlite",
    .conn_open = sqlite_conn_open,
    .conn_close = sqlite_conn_close,
    .conn_check = NULL,
    .tx_state = sqlite_tx_state,
    .exec = sqlite_exec,
    .prepare = sqlite_prepare,
    .stmt_free = sqlite_stmt_free,
    .reset = sqlite_reset,
    .bind_text = sqlite_bind_text,
    .bind_text_borrowed = sqlite_bind_text_borrowed,
    .bind_int64 = sqlite_bind_int64,
    .bind_double = sqlite_bind_double,
    .bind_null = sqlite_bind_null,
    .bind_blob = sqlite_bind_blob,
    .step = sqlite_step,
    .column_count = sqlite_column_count,
    .column_name = sqlite_column_name,
    .column_is_null = sqlite_column_is_null,
    .column_text = sqlite_column_text,
    .column_int64 = sqlite_column_int64,
    .column_double = sqlite_column_double,
    .column_blob = sqlite_column_blob,
};
