/* SPDX-License-Identifier: MIT */
/* Short forms for running one statement with typed parameters. */
#include "plugins/catalog/engine/sql.h"

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/engine.h"

int gr_catalog__bind(gr_db_stmt *stmt, const char *types, va_list args)
{
    int rc = GR_OK;

    for (int i = 0; types != NULL && types[i] != '\0' && rc == GR_OK; i++) {
        if (types[i] == 's')
            rc = gr_db_bind_text(stmt, i + 1, va_arg(args, const char *));
        else
            rc = gr_db_bind_int64(stmt, i + 1, va_arg(args, int64_t));
    }
    return rc;
}

int gr_catalog__prepare(gr_db_conn *conn, const char *sql, gr_db_stmt **out, const char *types, ...)
{
    va_list args;
    int rc = gr_db_prepare(conn, sql, out);

    if (rc != GR_OK)
        return rc;
    va_start(args, types);
    rc = gr_catalog__bind(*out, types, args);
    va_end(args);
    if (rc != GR_OK) {
        gr_db_finalize(*out);
        *out = NULL;
    }
    return rc;
}

int64_t gr_catalog__exec(gr_db_conn *conn, const char *sql, const char *types, ...)
{
    gr_db_stmt *stmt = NULL;
    va_list args;
    int64_t rc = gr_db_prepare(conn, sql, &stmt);

    if (rc != GR_OK)
        return rc;
    va_start(args, types);
    rc = gr_catalog__bind(stmt, types, args);
    va_end(args);
    if (rc == GR_OK) {
        int step = gr_db_step(stmt);

        while (step == GR_DB_ROW)
            step = gr_db_step(stmt);
        rc = step == GR_DB_DONE ? gr_db_changes(stmt) : step;
    }
    gr_db_finalize(stmt);
    return rc;
}

static int query_first(gr_db_conn *conn, char **text_out, int64_t *int_out, const char *sql,
                       const char *types, va_list args)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, sql, &stmt);

    if (rc != GR_OK)
        return rc;
    rc = gr_catalog__bind(stmt, types, args);
    if (rc == GR_OK) {
        int step = gr_db_step(stmt);

        if (step == GR_DB_ROW) {
            if (text_out)
                *text_out = gr_catalog__column_dup(stmt, 0);
            if (int_out)
                *int_out = gr_db_column_int64(stmt, 0);
        } else {
            rc = step == GR_DB_DONE ? GR_ENOTFOUND : step;
        }
    }
    gr_db_finalize(stmt);
    return rc;
}

int gr_catalog__query_text(gr_db_conn *conn, char **out, const char *sql, const char *types, ...)
{
    va_list args;
    int rc;

    *out = NULL;
    va_start(args, types);
    rc = query_first(conn, out, NULL, sql, types, args);
    va_end(args);
    return rc;
}

int gr_catalog__query_int(gr_db_conn *conn, int64_t *out, const char *sql, const char *types, ...)
{
    va_list args;
    int rc;

    va_start(args, types);
    rc = query_first(conn, NULL, out, sql, types, args);
    va_end(args);
    return rc;
}

void gr_catalog__append_placeholders(gr_buf *sql, size_t count)
{
    for (size_t i = 0; i < count; i++)
        gr_buf_puts(sql, i == 0 ? "?" : ", ?");
}

int gr_catalog__prepare_in(gr_db_conn *conn, const char *head, size_t count, gr_db_stmt **out)
{
    gr_buf sql = GR_BUF_INIT;
    int rc;

    gr_buf_puts(&sql, head);
    gr_catalog__append_placeholders(&sql, count);
    gr_buf_putc(&sql, ')');
    rc = gr_db_prepare(conn, sql.data, out);
    gr_buf_free(&sql);
    return rc;
}

/* Runs `head`, `per_statement` rows and `tail` per statement over the whole groups of rows in
 * [from, to); returns the first row left over in *next. */
static int insert_groups(gr_db_conn *conn, const char *head, const char *tail, int columns,
                         size_t per_statement, size_t from, size_t to, size_t *next,
                         gr_catalog_row_binder bind, void *payload)
{
    gr_buf sql = GR_BUF_INIT;
    gr_db_stmt *stmt = NULL;
    size_t row = from;
    int rc;

    *next = from;
    if (to - from < per_statement)
        return GR_OK;
    gr_buf_puts(&sql, head);
    for (size_t i = 0; i < per_statement; i++) {
        gr_buf_puts(&sql, i ? ", (" : "(");
        gr_catalog__append_placeholders(&sql, (size_t)columns);
        gr_buf_putc(&sql, ')');
    }
    gr_buf_puts(&sql, tail);
    rc = gr_db_prepare(conn, sql.data, &stmt);
    gr_buf_free(&sql);
    for (; row + per_statement <= to && rc == GR_OK; row += per_statement) {
        for (size_t i = 0; i < per_statement && rc == GR_OK; i++)
            rc = bind(stmt, (int)i * columns + 1, row + i, payload);
        if (rc == GR_OK) {
            int step = gr_db_step(stmt);

            rc = step == GR_DB_DONE ? GR_OK : step;
        }
        gr_db_reset(stmt);
    }
    gr_db_finalize(stmt);
    *next = row;
    return rc;
}

int gr_catalog__upsert_rows(gr_db_conn *conn, const char *head, const char *tail, int columns,
                            size_t count, gr_catalog_row_binder bind, void *payload)
{
    static const size_t sizes[] = {GR_CATALOG_INSERT_ROWS, GR_CATALOG_INSERT_ROWS_REST, 1};
    size_t row = 0;
    int rc = GR_OK;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && rc == GR_OK; i++)
        rc = insert_groups(conn, head, tail, columns, sizes[i], row, count, &row, bind, payload);
    return rc;
}

int gr_catalog__insert_rows(gr_db_conn *conn, const char *head, int columns, size_t count,
                            gr_catalog_row_binder bind, void *payload)
{
    return gr_catalog__upsert_rows(conn, head, "", columns, count, bind, payload);
}

char *gr_catalog__column_dup(gr_db_stmt *stmt, int column)
{
    const char *text = gr_db_column_text(stmt, column);

    return text ? gr_xstrdup(text) : NULL;
}

bool gr_catalog__retry_aborted(const gr_db_conn *conn, int rc, int attempt, const char *action_fmt,
                               ...)
{
    va_list args;
    char *text;

    if (rc == GR_OK || !gr_db_conn_aborted(conn) || attempt >= GR_CATALOG_ABORTED_ATTEMPTS)
        return false;

    va_start(args, action_fmt);
    text = gr_xvasprintf(action_fmt, args);
    va_end(args);
    gr_warn("catalog", "%s was aborted (attempt %d of %d), retrying: %s", text, attempt,
            GR_CATALOG_ABORTED_ATTEMPTS, gr_error_last());
    free(text);
    return true;
}
