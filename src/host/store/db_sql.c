/* SPDX-License-Identifier: MIT */
/* SQL text that differs between SQLite and PostgreSQL. */
#include <stdlib.h>

#include "host/common/buf.h"
#include "host/store/db.h"
#include "host/store/db_internal.h"

/* Copies a quoted string or identifier starting at `p` (the opening quote);
 * a doubled quote inside is an escaped quote. Returns the end. */
static const char *copy_quoted(gr_buf *out, const char *p)
{
    char quote = *p;

    gr_buf_putc(out, *p++);
    while (*p != '\0') {
        gr_buf_putc(out, *p);
        if (*p++ == quote) {
            if (*p != quote)
                return p;
            gr_buf_putc(out, *p++);
        }
    }
    return p;
}

static const char *copy_line_comment(gr_buf *out, const char *p)
{
    while (*p != '\0' && *p != '\n')
        gr_buf_putc(out, *p++);
    return p;
}

static const char *copy_block_comment(gr_buf *out, const char *p)
{
    gr_buf_puts(out, "/*");
    p += 2;
    while (*p != '\0') {
        if (p[0] == '*' && p[1] == '/') {
            gr_buf_puts(out, "*/");
            return p + 2;
        }
        gr_buf_putc(out, *p++);
    }
    return p;
}

char *gr_db__number_placeholders(const char *sql, int *count)
{
    gr_buf out = GR_BUF_INIT;
    const char *p = sql;

    *count = 0;
    while (*p != '\0') {
        if (*p == '\'' || *p == '"') {
            p = copy_quoted(&out, p);
        } else if (p[0] == '-' && p[1] == '-') {
            p = copy_line_comment(&out, p);
        } else if (p[0] == '/' && p[1] == '*') {
            p = copy_block_comment(&out, p);
        } else if (*p == '?') {
            gr_buf_printf(&out, "$%d", ++*count);
            p++;
        } else {
            gr_buf_putc(&out, *p++);
        }
    }
    return gr_buf_detach(&out);
}

const char *gr_db_sql_now_ms(const gr_db *db)
{
    if (db->engine == GR_DB_POSTGRES)
        return "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)";
    return "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";
}

const char *gr_db_sql_now_text(const gr_db *db)
{
    if (db->engine == GR_DB_POSTGRES)
        return "to_char(statement_timestamp() AT TIME ZONE 'UTC', "
               "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
    return "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
}

const char *gr_db_sql_auto_id(const gr_db *db)
{
    if (db->engine == GR_DB_POSTGRES)
        return "BIGSERIAL PRIMARY KEY";
    return "INTEGER PRIMARY KEY AUTOINCREMENT";
}

const char *gr_db_sql_blob_type(const gr_db *db)
{
    return db->engine == GR_DB_POSTGRES ? "BYTEA" : "BLOB";
}

const char *gr_db_sql_skip_locked(const gr_db *db)
{
    return db->engine == GR_DB_POSTGRES ? " FOR UPDATE SKIP LOCKED" : "";
}

const char *gr_db_sql_lock_rows(const gr_db *db)
{
    return db->engine == GR_DB_POSTGRES ? " FOR NO KEY UPDATE" : "";
}

const char *gr_db_sql_ilike(const gr_db *db)
{
    return db->engine == GR_DB_POSTGRES ? "ILIKE" : "LIKE";
}
