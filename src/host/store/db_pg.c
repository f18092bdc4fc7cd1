/* SPDX-License-Identifier: MIT */
/* The PostgreSQL engine of the database layer, on libpq. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db_internal.h"

/* Type OIDs from PostgreSQL's pg_type catalog; they are fixed across versions. */
#define PG_BOOL_OID 16
#define PG_BYTEA_OID 17
/* PostgreSQL stores at most 1 GiB in one field. */
#define PG_FIELD_MAX ((size_t)1 << 30)

/*
 * A statement runs with PQexecPrepared and keeps the whole result, so the
 * caller may run other statements on the same connection while it reads
 * rows, as SQLite allows.
 * NOTE: a large result is held in memory at once; page big reads with LIMIT.
 */
typedef struct {
    gr_db_stmt base;
    char name[32];
    char **values; /* parameter values, owned; NULL for SQL NULL */
    int *lengths;
    int *formats; /* 0 text, 1 binary (blobs) */
    PGresult *result;
    int row; /* current row; -1 before the first step */
    unsigned char *blob; /* unescaped bytea of the last gr_db_column_blob() */
} pg_stmt;

static PGconn *handle_of(gr_db_conn *conn)
{
    return conn->handle;
}

static pg_stmt *as_pg(gr_db_stmt *stmt)
{
    return (pg_stmt *)stmt;
}

static void log_notice(void *payload, const char *message)
{
    (void)payload;
    gr_debug("db", "PostgreSQL notice: %s", message);
}

/* Sets the error for a failed result (`result` may be NULL). */
static int fail(gr_db_conn *conn, const PGresult *result, const char *sql)
{
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    const char *message = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    /* 23505 is unique_violation, 23P01 exclusion_violation. */
    bool unique = state != NULL && (strcmp(state, "23505") == 0 || strcmp(state, "23P01") == 0);

    /* 40P01 is deadlock_detected, 40001 serialization_failure. */
    if (state != NULL && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0))
        conn->aborted = true;
    if (PQstatus(handle_of(conn)) != CONNECTION_OK)
        conn->broken = true;
    if (message == NULL)
        message = PQerrorMessage(handle_of(conn));
    return gr_db__fail(unique, message, sql);
}

static int pg_conn_open(gr_db *db, bool writer, gr_db_conn *conn)
{
    const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *const values[] = {db->target, "greenroom", NULL};
    PGconn *handle;
    int rc;

    (void)writer;
    handle = PQconnectdbParams(keys, values, 1);
    if (PQstatus(handle) != CONNECTION_OK) {
        char message[GR_ERROR_MAX];

        snprintf(message, sizeof(message), "connecting to PostgreSQL failed: %s",
                 PQerrorMessage(handle));
        rc = gr_db__fail(false, message, NULL);
        PQfinish(handle);
        return rc;
    }
    PQsetNoticeProcessor(handle, log_notice, NULL);
    conn->handle = handle;
    return GR_OK;
}

static void pg_conn_close(gr_db_conn *conn)
{
    PQfinish(handle_of(conn));
    conn->handle = NULL;
}

/* Reconnects a lost server connection. Its prepared statements died with it, so the cache is
 * emptied first. */
static int pg_conn_check(gr_db_conn *conn)
{
    if (!conn->broken && PQstatus(handle_of(conn)) == CONNECTION_OK)
        return GR_OK;
    conn->broken = true;
    gr_db__drop_cache(conn);
    gr_warn("db", "PostgreSQL connection lost; reconnecting");
    PQreset(handle_of(conn));
    if (PQstatus(handle_of(conn)) != CONNECTION_OK)
        return fail(conn, NULL, NULL);
    conn->broken = false;
    conn->in_tx = false;
    return GR_OK;
}

static int pg_tx_state(gr_db_conn *conn)
{
    switch (PQtransactionStatus(handle_of(conn))) {
    case PQTRANS_IDLE:
        return GR_DB__TX_NONE;
    case PQTRANS_INTRANS:
    case PQTRANS_ACTIVE:
        return GR_DB__TX_ACTIVE;
    default:
        return GR_DB__TX_FAILED;
    }
}

static int pg_exec(gr_db_conn *conn, const char *sql)
{
    PGresult *result = PQexec(handle_of(conn), sql);
    ExecStatusType status = PQresultStatus(result);
    int rc = GR_OK;

    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        rc = fail(conn, result, sql);
    PQclear(result);
    return rc;
}

static int pg_prepare(gr_db_conn *conn, const char *sql, gr_db_stmt **out)
{
    int count = 0;
    char *numbered = gr_db__number_placeholders(sql, &count);
    PGresult *result = NULL;
    pg_stmt *stmt = gr_xcalloc(1, sizeof(*stmt));
    int rc = GR_OK;

    snprintf(stmt->name, sizeof(stmt->name), "gr_%" PRIu64, conn->next_stmt_name++);
    result = PQprepare(handle_of(conn), stmt->name, numbered, count, NULL);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
        rc = fail(conn, result, sql);
        free(stmt);
        goto done;
    }
    stmt->base.param_count = count;
    stmt->values = gr_xcalloc((size_t)count + 1, sizeof(*stmt->values));
    stmt->lengths = gr_xcalloc((size_t)count + 1, sizeof(*stmt->lengths));
    stmt->formats = gr_xcalloc((size_t)count + 1, sizeof(*stmt->formats));
    stmt->row = -1;
    *out = &stmt->base;
done:
    PQclear(result);
    free(numbered);
    return rc;
}

static void pg_reset(gr_db_stmt *base)
{
    pg_stmt *stmt = as_pg(base);

    PQclear(stmt->result);
    stmt->result = NULL;
    stmt->row = -1;
    PQfreemem(stmt->blob);
    stmt->blob = NULL;
    for (int i = 0; i < base->param_count; i++) {
        free(stmt->values[i]);
        stmt->values[i] = NULL;
        stmt->lengths[i] = 0;
        stmt->formats[i] = 0;
    }
}

static void pg_stmt_free(gr_db_stmt *base)
{
    pg_stmt *stmt = as_pg(base);
    gr_db_conn *conn = base->conn;

    pg_reset(base);
    /* Server-side statements die with their connection; inside a failed
     * transaction DEALLOCATE fails and the name stays until then. */
    if (!conn->broken && pg_tx_state(conn) != GR_DB__TX_FAILED) {
        char sql[64];

        snprintf(sql, sizeof(sql), "DEALLOCATE %s", stmt->name);
        PQclear(PQexec(handle_of(conn), sql));
    }
    free(stmt->values);
    free(stmt->lengths);
    free(stmt->formats);
    free(stmt);
}

static void set_param(pg_stmt *stmt, int index, char *value, int length, int format)
{
    free(stmt->values[index - 1]);
    stmt->values[index - 1] = value;
    stmt->lengths[index - 1] = length;
    stmt->formats[index - 1] = format;
}

static int pg_bind_text(gr_db_stmt *stmt, int index, const char *text, size_t len)
{
    set_param(as_pg(stmt), index, gr_xstrndup(text, len), 0, 0);
    return GR_OK;
}

static int pg_bind_int64(gr_db_stmt *stmt, int index, int64_t value)
{
    set_param(as_pg(stmt), index, gr_xasprintf("%" PRId64, value), 0, 0);
    return GR_OK;
}

static int pg_bind_double(gr_db_stmt *stmt, int index, double value)
{
    char *text;

    if (isnan(value))
        text = gr_xstrdup("NaN");
    else if (isinf(value))
        text = gr_xstrdup(value > 0 ? "Infinity" : "-Infinity");
    else
        text = gr_xasprintf("%.17g", value);
    set_param(as_pg(stmt), index, text, 0, 0);
    return GR_OK;
}

static int pg_bind_null(gr_db_stmt *stmt, int index)
{
    set_param(as_pg(stmt), index, NULL, 0, 0);
    return GR_OK;
}

static int pg_bind_blob(gr_db_stmt *stmt, int index, const void *data, size_t len)
{
    char *copy;

    if (len > PG_FIELD_MAX)
        return gr_error_set(GR_ELIMIT,
                            "a bound value of %zu bytes is larger than the 1 GiB PostgreSQL "
                            "stores in one field",
                            len);
    copy = gr_xmalloc(len + 1);
    if (len > 0)
        memcpy(copy, data, len);
    set_param(as_pg(stmt), index, copy, (int)len, 1);
    return GR_OK;
}

static int run(gr_db_stmt *base)
{
    pg_stmt *stmt = as_pg(base);
    gr_db_conn *conn = base->conn;
    ExecStatusType status;

    stmt->result = PQexecPrepared(handle_of(conn), stmt->name, base->param_count,
                                  (const char *const *)stmt->values, stmt->lengths, stmt->formats,
                                  0);
    status = PQresultStatus(stmt->result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        int rc = fail(conn, stmt->result, base->sql);

        PQclear(stmt->result);
        stmt->result = NULL;
        return rc;
    }
    base->changes = strtoll(PQcmdTuples(stmt->result), NULL, 10);
    return GR_OK;
}

static int pg_step(gr_db_stmt *base)
{
    pg_stmt *stmt = as_pg(base);

    if (stmt->result == NULL) {
        int rc = run(base);

        if (rc != GR_OK)
            return rc;
    }
    PQfreemem(stmt->blob);
    stmt->blob = NULL;
    if (stmt->row < PQntuples(stmt->result))
        stmt->row++;
    return stmt->row < PQntuples(stmt->result) ? GR_DB_ROW : GR_DB_DONE;
}

static int pg_column_count(gr_db_stmt *base)
{
    pg_stmt *stmt = as_pg(base);

    return stmt->result ? PQnfields(stmt->result) : 0;
}

static const char *pg_column_name(gr_db_stmt *base, int column)
{
    return PQfname(as_pg(base)->result, column);
}

static bool on_row(const pg_stmt *stmt)
{
    return stmt->row >= 0 && stmt->row < PQntuples(stmt->result);
}

static int pg_column_is_null(gr_db_stmt *base, int column)
{
    pg_stmt *stmt = as_pg(base);

    return !on_row(stmt) || PQgetisnull(stmt->result, stmt->row, column);
}

static const char *pg_column_text(gr_db_stmt *base, int column)
{
    pg_stmt *stmt = as_pg(base);

    if (pg_column_is_null(base, column))
        return NULL;
    return PQgetvalue(stmt->result, stmt->row, column);
}

static int64_t pg_column_int64(gr_db_stmt *base, int column)
{
    pg_stmt *stmt = as_pg(base);
    const char *text = pg_column_text(base, column);
    char *end = NULL;
    int64_t value;

    if (text == NULL)
        return 0;
    if (PQftype(stmt->result, column) == PG_BOOL_OID)
        return text[0] == 't';
    value = strtoll(text, &end, 10);
    /* numeric and floating-point columns: truncate like SQLite does */
    if (*end == '.' || *end == 'e' || *end == 'E')
        value = (int64_t)strtod(text, NULL);
    return value;
}

static double pg_column_double(gr_db_stmt *base, int column)
{
    const char *text = pg_column_text(base, column);

    return text ? strtod(text, NULL) : 0.0;
}

static const void *pg_column_blob(gr_db_stmt *base, int column, size_t *len)
{
    pg_stmt *stmt = as_pg(base);
    const char *text = pg_column_text(base, column);

    if (text == NULL)
        return NULL;
    if (PQftype(stmt->result, column) != PG_BYTEA_OID) {
        *len = (size_t)PQgetlength(stmt->result, stmt->row, column);
        return text;
    }
    PQfreemem(stmt->blob);
    stmt->blob = PQunescapeBytea((const unsigned char *)text, len);
    if (stmt->blob == NULL) {
        *len = 0;
        return NULL;
    }
    return stmt->blob;
}

const gr_db__ops gr_db__pg_ops = {
    .name = "pg",
    .conn_open = pg_conn_open,
    .conn_close = pg_conn_close,
    .conn_check = pg_conn_check,
    .tx_state = pg_tx_state,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .stmt_free = pg_stmt_free,
    .reset = pg_reset,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .column_count = pg_column_count,
    .column_name = pg_column_name,
    .column_is_null = pg_column_is_null,
    .column_text = pg_column_text,
    .column_int64 = pg_column_int64,
    .column_double = pg_column_double,
    .column_blob = pg_column_blob,
};
