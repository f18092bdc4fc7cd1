/* SPDX-License-Identifier: MIT */
/* SQL text built piece by piece, with its placeholder values. */
#include <stdarg.h>
#include <stdlib.h>

#include "host/common/alloc.h"
#include "plugins/search/internal.h"

void gr_search__sql_puts(gr_search__sql *sql, const char *text)
{
    gr_buf_puts(&sql->text, text);
}

void gr_search__sql_printf(gr_search__sql *sql, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    gr_buf_vprintf(&sql->text, fmt, args);
    va_end(args);
}

static void sql_add_value(gr_search__sql *sql, const char *value)
{
    if (sql->count == sql->cap) {
        sql->cap = sql->cap ? sql->cap * 2 : 8;
        sql->params = gr_xrealloc(sql->params, sql->cap * sizeof(char *));
    }
    sql->params[sql->count++] = gr_xstrdup(value);
}

void gr_search__sql_param(gr_search__sql *sql, const char *value)
{
    gr_buf_putc(&sql->text, '?');
    sql_add_value(sql, value);
}

void gr_search__sql_append(gr_search__sql *sql, const char *text, char *const *params,
                           size_t count)
{
    gr_buf_puts(&sql->text, text);
    for (size_t i = 0; i < count; i++)
        sql_add_value(sql, params[i]);
}

int gr_search__sql_bind(const gr_search__sql *sql, gr_db_stmt *stmt, int first)
{
    for (size_t i = 0; i < sql->count; i++) {
        int rc = gr_db_bind_text(stmt, first + (int)i, sql->params[i]);

        if (rc < 0)
            return rc;
    }
    return 0;
}

void gr_search__sql_free(gr_search__sql *sql)
{
    if (sql == NULL)
        return;
    for (size_t i = 0; i < sql->count; i++)
        free(sql->params[i]);
    free(sql->params);
    gr_buf_free(&sql->text);
    sql->params = NULL;
    sql->count = 0;
    sql->cap = 0;
}

void gr_search_access_param(gr_search_access *access, const char *value)
{
    access->params = gr_xrealloc(access->params, (access->param_count + 1) * sizeof(char *));
    access->params[access->param_count++] = gr_xstrdup(value);
}

void gr_search_access_free(gr_search_access *access)
{
    if (access == NULL)
        return;
    for (size_t i = 0; i < access->param_count; i++)
        free(access->params[i]);
    free(access->params);
    gr_buf_free(&access->sql);
    access->params = NULL;
    access->param_count = 0;
}
