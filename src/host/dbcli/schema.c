/* SPDX-License-Identifier: MIT */
/* Reading the tables, columns and foreign keys of a database, on either engine. */
#include "host/dbcli/schema.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

/* Ordinary tables only: pragma_table_list (SQLite 3.37 and later) marks FTS5
 * indexes "virtual" and their storage "shadow". The search plugin's tables
 * (search_*) hold a derived index in an engine-specific layout, so they are
 * not copied; `greenroom search reindex` rebuilds them on the target. */
#define SQLITE_TABLES_SQL                                                                          \
    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "                 \
    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'search\\_%' ESCAPE '\\' "  \
    "ORDER BY name"
#define PG_TABLES_SQL                                                                              \
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "      \
    "AND table_type = 'BASE TABLE' ORDER BY table_name"

/* `hidden` is 1 for virtual-table columns, 2 and 3 for generated columns. */
#define SQLITE_COLUMNS_SQL "SELECT name, hidden FROM pragma_table_xinfo(?) ORDER BY cid"
#define PG_COLUMNS_SQL                                                                             \
    "SELECT column_name, is_generated, identity_generation, "                                      \
    "pg_get_serial_sequence(quote_ident(table_schema) || '.' || quote_ident(table_name), "         \
    "column_name) FROM information_schema.columns "                                                \
    "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"

void gr_dbcli__names_push(gr_dbcli__names *names, const char *text)
{
    names->items = gr_xrealloc(names->items, (names->count + 1) * sizeof(char *));
    names->items[names->count++] = gr_xstrdup(text);
}

int gr_dbcli__names_has(const gr_dbcli__names *names, const char *text)
{
    for (size_t i = 0; i < names->count; i++) {
        if (strcmp(names->items[i], text) == 0)
            return 1;
    }
    return 0;
}

void gr_dbcli__names_free(gr_dbcli__names *names)
{
    for (size_t i = 0; i < names->count; i++)
        free(names->items[i]);
    free(names->items);
    names->items = NULL;
    names->count = 0;
}

void gr_dbcli__columns_free(gr_dbcli__columns *columns)
{
    for (size_t i = 0; i < columns->count; i++) {
        free(columns->items[i].name);
        free(columns->items[i].sequence);
    }
    free(columns->items);
    columns->items = NULL;
    columns->count = 0;
}

void gr_dbcli__put_ident(gr_buf *out, const char *name)
{
    gr_buf_putc(out, '"');
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '"')
            gr_buf_putc(out, '"');
        gr_buf_putc(out, *p);
    }
    gr_buf_putc(out, '"');
}

/* Runs `sql` with an optional text parameter and collects the first column of every row. */
static int query_names(gr_db_conn *conn, const char *sql, const char *param, gr_dbcli__names *out)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, sql, &stmt);

    if (rc == GR_OK && param != NULL)
        rc = gr_db_bind_text(stmt, 1, param);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        if (!gr_db_column_is_null(stmt, 0))
            gr_dbcli__names_push(out, gr_db_column_text(stmt, 0));
        rc = GR_OK;
    }
    gr_db_finalize(stmt);
    if (rc == GR_DB_DONE)
        return GR_OK;
    gr_dbcli__names_free(out);
    return rc;
}

int gr_dbcli__list_tables(gr_db_conn *conn, gr_dbcli__names *out)
{
    int pg = gr_db_dialect(gr_db_conn_db(conn)) == GR_DB_POSTGRES;

    memset(out, 0, sizeof(*out));
    return query_names(conn, pg ? PG_TABLES_SQL : SQLITE_TABLES_SQL, NULL, out);
}

int gr_dbcli__table_exists(gr_db_conn *conn, const char *name, int *exists)
{
    gr_dbcli__names tables;
    int rc = gr_dbcli__list_tables(conn, &tables);

    *exists = rc == GR_OK && gr_dbcli__names_has(&tables, name);
    gr_dbcli__names_free(&tables);
    return rc;
}

static void read_column(gr_db_stmt *stmt, int pg, gr_dbcli__column *column)
{
    memset(column, 0, sizeof(*column));
    column->name = gr_xstrdup(gr_db_column_text(stmt, 0));
    if (!pg) {
        column->generated = gr_db_column_int64(stmt, 1) != 0;
        return;
    }
    column->generated = strcmp(gr_db_column_text(stmt, 1), "NEVER") != 0;
    column->identity_always = !gr_db_column_is_null(stmt, 2) &&
                              strcmp(gr_db_column_text(stmt, 2), "ALWAYS") == 0;
    if (!gr_db_column_is_null(stmt, 3))
        column->sequence = gr_xstrdup(gr_db_column_text(stmt, 3));
}

int gr_dbcli__list_columns(gr_db_conn *conn, const char *table, gr_dbcli__columns *out)
{
    int pg = gr_db_dialect(gr_db_conn_db(conn)) == GR_DB_POSTGRES;
    gr_db_stmt *stmt = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = gr_db_prepare(conn, pg ? PG_COLUMNS_SQL : SQLITE_COLUMNS_SQL, &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, table);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        out->items = gr_xrealloc(out->items, (out->count + 1) * sizeof(*out->items));
        read_column(stmt, pg, &out->items[out->count++]);
        rc = GR_OK;
    }
    gr_db_finalize(stmt);
    if (rc == GR_DB_DONE)
        return GR_OK;
    gr_dbcli__columns_free(out);
    return rc;
}

int gr_dbcli__foreign_tables(gr_db_conn *conn, const char *table, gr_dbcli__names *out)
{
    memset(out, 0, sizeof(*out));
    if (gr_db_dialect(gr_db_conn_db(conn)) != GR_DB_SQLITE)
        return gr_error_set(GR_EINVALID, "foreign keys are read from SQLite databases only");
    return query_names(conn,
                       "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?) ORDER BY 1",
                       table, out);
}

int gr_dbcli__count_rows(gr_db_conn *conn, const char *table, int64_t *out)
{
    gr_buf sql = GR_BUF_INIT;
    int rc;

    gr_buf_puts(&sql, "SELECT COUNT(*) FROM ");
    gr_dbcli__put_ident(&sql, table);
    rc = gr_db_query_int64(conn, sql.data, NULL, 0, out);
    gr_buf_free(&sql);
    return rc;
}
