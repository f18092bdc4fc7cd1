/* SPDX-License-Identifier: MIT */
/* Prepared statements: the per-connection cache, binding, stepping and columns. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db.h"
#include "host/store/db_internal.h"

/* FNV-1a: cheap, and the cache compares the full text after a hash match. */
static uint64_t hash_sql(const char *sql)
{
    uint64_t hash = 14695981039346656037ULL;

    for (const unsigned char *p = (const unsigned char *)sql; *p != '\0'; p++) {
        hash ^= *p;
        hash *= 1099511628211ULL;
    }
    return hash;
}

static void free_stmt(gr_db_stmt *stmt)
{
    char *sql = stmt->sql;

    stmt->conn->db->ops->stmt_free(stmt);
    free(sql);
}

static gr_db_stmt *find_cached(gr_db_conn *conn, const char *sql, uint64_t hash)
{
    for (int i = 0; i < conn->cache_len; i++) {
        gr_db_stmt *stmt = conn->cache[i];

        if (!stmt->in_use && stmt->hash == hash && strcmp(stmt->sql, sql) == 0)
            return stmt;
    }
    return NULL;
}

/* Puts a new statement into the cache, evicting the least recently used idle
 * one when full. When every cached statement is in use, the new one stays
 * outside the cache and gr_db_finalize() frees it. */
static void cache_insert(gr_db_conn *conn, gr_db_stmt *stmt)
{
    int victim = -1;

    if (conn->cache_len < GR_DB_STMT_CACHE_SIZE) {
        conn->cache[conn->cache_len++] = stmt;
        stmt->cached = true;
        return;
    }
    for (int i = 0; i < conn->cache_len; i++) {
        if (conn->cache[i]->in_use)
            continue;
        if (victim < 0 || conn->cache[i]->last_used < conn->cache[victim]->last_used)
            victim = i;
    }
    if (victim < 0)
        return;
    free_stmt(conn->cache[victim]);
    conn->cache[victim] = stmt;
    stmt->cached = true;
}

int gr_db_prepare(gr_db_conn *conn, const char *sql, gr_db_stmt **out)
{
    uint64_t hash = hash_sql(sql);
    gr_db_stmt *stmt;
    int rc;

    *out = NULL;
    conn->clock++;
    stmt = find_cached(conn, sql, hash);
    if (stmt == NULL) {
        rc = conn->db->ops->prepare(conn, sql, &stmt);
        if (rc != GR_OK)
            return rc;
        stmt->conn = conn;
        stmt->sql = gr_xstrdup(sql);
        stmt->hash = hash;
        cache_insert(conn, stmt);
    }
    stmt->in_use = true;
    stmt->last_used = conn->clock;
    stmt->changes = 0;
    *out = stmt;
    return GR_OK;
}

int gr_db_reset(gr_db_stmt *stmt)
{
    stmt->conn->db->ops->reset(stmt);
    return GR_OK;
}

void gr_db_finalize(gr_db_stmt *stmt)
{
    if (stmt == NULL)
        return;
    stmt->conn->db->ops->reset(stmt);
    stmt->in_use = false;
    if (!stmt->cached)
        free_stmt(stmt);
}

void gr_db__drop_cache(gr_db_conn *conn)
{
    for (int i = 0; i < conn->cache_len; i++)
        free_stmt(conn->cache[i]);
    conn->cache_len = 0;
}

void gr_db__reset_open_stmts(gr_db_conn *conn)
{
    for (int i = 0; i < conn->cache_len; i++) {
        gr_db_stmt *stmt = conn->cache[i];

        if (!stmt->in_use)
            continue;
        gr_warn("db", "statement not finalized before its connection was released: %.80s",
                stmt->sql);
        gr_db_finalize(stmt);
    }
}

int gr_db__check_index(const gr_db_stmt *stmt, int index)
{
    if (index < 1 || index > stmt->param_count)
        return gr_error_set(GR_EINVALID,
                            "parameter index %d is out of range 1..%d (statement: %.160s)", index,
                            stmt->param_count, stmt->sql);
    return GR_OK;
}

int gr_db_bind_text(gr_db_stmt *stmt, int index, const char *text)
{
    if (text == NULL)
        return gr_db_bind_null(stmt, index);
    return gr_db_bind_text_len(stmt, index, text, strlen(text));
}

int gr_db_bind_text_len(gr_db_stmt *stmt, int index, const char *text, size_t len)
{
    int rc = gr_db__check_index(stmt, index);

    if (rc != GR_OK)
        return rc;
    if (text == NULL)
        return stmt->conn->db->ops->bind_null(stmt, index);
    return stmt->conn->db->ops->bind_text(stmt, index, text, len);
}

int gr_db_bind_text_borrowed(gr_db_stmt *stmt, int index, const char *text)
{
    const gr_db__ops *ops = stmt->conn->db->ops;
    int rc = gr_db__check_index(stmt, index);

    if (rc != GR_OK)
        return rc;
    if (text == NULL)
        return ops->bind_null(stmt, index);
    if (ops->bind_text_borrowed == NULL)
        return ops->bind_text(stmt, index, text, strlen(text));
    return ops->bind_text_borrowed(stmt, index, text, strlen(text));
}

int gr_db_bind_int64(gr_db_stmt *stmt, int index, int64_t value)
{
    int rc = gr_db__check_index(stmt, index);

    if (rc != GR_OK)
        return rc;
    return stmt->conn->db->ops->bind_int64(stmt, index, value);
}

int gr_db_bind_double(gr_db_stmt *stmt, int index, double value)
{
    int rc = gr_db__check_index(stmt, index);

    if (rc != GR_OK)
        return rc;
    return stmt->conn->db->ops->bind_double(stmt, index, value);
}

int gr_db_bind_null(gr_db_stmt *stmt, int index)
{
    int rc = gr_db__check_index(stmt, index);

    if (rc != GR_OK)
        return rc;
    return stmt->conn->db->ops->bind_null(stmt, index);
}

int gr_db_bind_blob(gr_db_stmt *stmt, int index, const void *data, size_t len)
{
    int rc = gr_db__check_index(stmt, index);

    if (rc != GR_OK)
        return rc;
    return stmt->conn->db->ops->bind_blob(stmt, index, data, len);
}

int gr_db_step(gr_db_stmt *stmt)
{
    return stmt->conn->db->ops->step(stmt);
}

int gr_db_column_count(gr_db_stmt *stmt)
{
    return stmt->conn->db->ops->column_count(stmt);
}

static bool column_in_range(gr_db_stmt *stmt, int column)
{
    return column >= 0 && column < stmt->conn->db->ops->column_count(stmt);
}

const char *gr_db_column_name(gr_db_stmt *stmt, int column)
{
    if (!column_in_range(stmt, column))
        return NULL;
    return stmt->conn->db->ops->column_name(stmt, column);
}

int gr_db_column_is_null(gr_db_stmt *stmt, int column)
{
    if (!column_in_range(stmt, column))
        return 1;
    return stmt->conn->db->ops->column_is_null(stmt, column);
}

const char *gr_db_column_text(gr_db_stmt *stmt, int column)
{
    if (!column_in_range(stmt, column))
        return NULL;
    return stmt->conn->db->ops->column_text(stmt, column);
}

int64_t gr_db_column_int64(gr_db_stmt *stmt, int column)
{
    if (!column_in_range(stmt, column))
        return 0;
    return stmt->conn->db->ops->column_int64(stmt, column);
}

double gr_db_column_double(gr_db_stmt *stmt, int column)
{
    if (!column_in_range(stmt, column))
        return 0.0;
    return stmt->conn->db->ops->column_double(stmt, column);
}

const void *gr_db_column_blob(gr_db_stmt *stmt, int column, size_t *len)
{
    *len = 0;
    if (!column_in_range(stmt, column))
        return NULL;
    return stmt->conn->db->ops->column_blob(stmt, column, len);
}

int64_t gr_db_changes(gr_db_stmt *stmt)
{
    return stmt->changes;
}

int gr_db_query_int64(gr_db_conn *conn, const char *sql, const int64_t *params, size_t count,
                      int64_t *out)
{
    gr_db_stmt *stmt = NULL;
    int rc;

    rc = gr_db_prepare(conn, sql, &stmt);
    if (rc != GR_OK)
        goto done;
    for (size_t i = 0; i < count; i++) {
        rc = gr_db_bind_int64(stmt, (int)i + 1, params[i]);
        if (rc != GR_OK)
            goto done;
    }

    rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW && !gr_db_column_is_null(stmt, 0)) {
        *out = gr_db_column_int64(stmt, 0);
        rc = GR_OK;
    } else if (rc == GR_DB_ROW || rc == GR_DB_DONE) {
        rc = gr_error_set(GR_ENOTFOUND, "query returned no value (statement: %.160s)", sql);
    }

done:
    gr_db_finalize(stmt);
    return rc;
}
