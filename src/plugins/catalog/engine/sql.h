/* SPDX-License-Identifier: MIT */
/* Short forms for running one statement with typed parameters. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_SQL_H
#define GR_PLUGINS_CATALOG_ENGINE_SQL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/common/buf.h"
#include "host/store/db.h"

/*
 * `types` has one letter per parameter: 's' a string (NULL binds SQL NULL),
 * 'i' an int64_t. Example:
 *   gr_catalog__exec(conn, "UPDATE t SET a = ? WHERE id = ?", "is", (int64_t)1, id);
 */

/** Prepares `sql` and binds the parameters. Returns 0 or an error; finalize *out. */
int gr_catalog__prepare(gr_db_conn *conn, const char *sql, gr_db_stmt **out, const char *types,
                        ...);

/** Binds parameters from `args` starting at index 1. */
int gr_catalog__bind(gr_db_stmt *stmt, const char *types, va_list args);

/** Runs a statement without rows. Returns the number of changed rows (>= 0) or an error. */
int64_t gr_catalog__exec(gr_db_conn *conn, const char *sql, const char *types, ...);

/**
 * Runs a query and stores a copy of the first column of the first row in
 * *out (caller frees; NULL for SQL NULL). Returns 0, GR_ENOTFOUND without a
 * row, or an error.
 */
int gr_catalog__query_text(gr_db_conn *conn, char **out, const char *sql, const char *types, ...);

/** Like gr_catalog__query_text() for an integer column. */
int gr_catalog__query_int(gr_db_conn *conn, int64_t *out, const char *sql, const char *types, ...);

/**
 * Returns whether a write transaction that ended with `rc` on `conn` runs
 * again: the database aborted it (gr_db_conn_aborted()) and `attempt`, from
 * 1, is below GR_CATALOG_ABORTED_ATTEMPTS. When it does, logs a warning that
 * begins with the action that `action_fmt` formats, such as "deleting entity UID".
 */
bool gr_catalog__retry_aborted(const gr_db_conn *conn, int rc, int attempt, const char *action_fmt,
                               ...)
    __attribute__((format(printf, 4, 5)));

/* Rows per statement of gr_catalog__insert_rows(), and of the statements for the rest. */
#define GR_CATALOG_INSERT_ROWS 100
#define GR_CATALOG_INSERT_ROWS_REST 10

/* Binds the values of row `row` to the parameters from index `first` on. */
typedef int (*gr_catalog_row_binder)(gr_db_stmt *stmt, int first, size_t row, void *payload);

/**
 * Inserts `count` rows of `columns` values each with `head` ("INSERT INTO t (a, b) VALUES "):
 * GR_CATALOG_INSERT_ROWS rows per statement, then GR_CATALOG_INSERT_ROWS_REST rows, then one
 * per statement, so that the connection's statement cache keeps three statement texts only.
 * `bind` fills the parameters of one row, and may bind borrowed text
 * (gr_db_bind_text_borrowed()) that lives until this call returns, because
 * each statement is reset after its step.
 * Returns 0 or the first error. Runs inside the caller's transaction.
 */
int gr_catalog__insert_rows(gr_db_conn *conn, const char *head, int columns, size_t count,
                            gr_catalog_row_binder bind, void *payload);

/**
 * Inserts rows as gr_catalog__insert_rows() does, with `tail` (an ON CONFLICT clause) after the
 * rows of each statement. The rows must not conflict with each other, because PostgreSQL
 * rejects a statement that updates one row twice.
 */
int gr_catalog__upsert_rows(gr_db_conn *conn, const char *head, const char *tail, int columns,
                            size_t count, gr_catalog_row_binder bind, void *payload);

/** Appends `count` parameters separated by commas ("?, ?, ?") to `sql`. */
void gr_catalog__append_placeholders(gr_buf *sql, size_t count);

/** Prepares `head`, which ends with "IN (", followed by `count` parameters and ")". */
int gr_catalog__prepare_in(gr_db_conn *conn, const char *head, size_t count, gr_db_stmt **out);

/** Returns a copy of a text column (caller frees), or NULL for SQL NULL. */
char *gr_catalog__column_dup(gr_db_stmt *stmt, int column);

#endif
