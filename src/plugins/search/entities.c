/* SPDX-License-Identifier: MIT */
/* Final catalog entities read for collation, page by page. */
#include "plugins/search/entities.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"

char *gr_search_ascii_lower(char *text)
{
    for (char *p = text; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return text;
}

const char *gr_search_entity_string(const json_t *entity, const char *path)
{
    const json_t *value = entity;
    const char *start = path;

    while (value != NULL && *start != '\0') {
        const char *dot = strchr(start, '.');
        size_t len = dot ? (size_t)(dot - start) : strlen(start);

        value = json_is_object(value) ? json_object_getn(value, start, len) : NULL;
        start += len + (dot ? 1 : 0);
    }
    return json_is_string(value) ? json_string_value(value) : NULL;
}

int gr_search_catalog_table_exists(gr_db_conn *conn, const char *table, int *exists)
{
    gr_db_stmt *stmt = NULL;
    const char *sql = gr_db_dialect(gr_db_conn_db(conn)) == GR_DB_POSTGRES
                          ? "SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relname = ? "
                            "AND pg_catalog.pg_table_is_visible(c.oid)"
                          : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?";
    int rc = gr_db_prepare(conn, sql, &stmt);

    *exists = 0;
    if (rc == 0)
        rc = gr_db_bind_text(stmt, 1, table);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        *exists = gr_db_column_int64(stmt, 0) > 0;
        rc = 0;
    }
    gr_db_finalize(stmt);
    return rc;
}

/* The catalog plugin owns the tables; search runs without them (no
 * documents) when it is not installed or has not migrated yet. */
static int catalog_available(gr_db_conn *conn)
{
    int exists = 0;

    if (gr_search_catalog_table_exists(conn, "catalog_final_entities", &exists) < 0)
        return 0;
    return exists;
}

typedef struct {
    char *id;
    char *ref;
    char *json;
} entity_row;

static void rows_free(entity_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(rows[i].id);
        free(rows[i].ref);
        free(rows[i].json);
    }
    free(rows);
}

/* Reads the next page of entities after `after` (an entity id, "" first). */
static int read_page(gr_db *db, const char *annotation, const char *after, entity_row **rows,
                     size_t *count, int *available)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *sql;
    int rc;

    *rows = gr_xcalloc(GR_SEARCH_ENTITY_PAGE, sizeof(**rows));
    *count = 0;
    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0)
        return rc;
    if (!(*available = catalog_available(conn))) {
        gr_db_release(conn);
        return 0;
    }
    sql = gr_xasprintf("SELECT fe.entity_id, fe.entity_ref, fe.final_entity "
                       "FROM catalog_final_entities fe WHERE fe.final_entity IS NOT NULL "
                       "AND fe.entity_id > ?%s ORDER BY fe.entity_id LIMIT %d",
                       annotation ? " AND EXISTS (SELECT 1 FROM catalog_search s WHERE "
                                    "s.entity_id = fe.entity_id AND s.key = ?)"
                                  : "",
                       GR_SEARCH_ENTITY_PAGE);
    rc = gr_db_prepare(conn, sql, &stmt);
    free(sql);
    if (rc == 0)
        rc = gr_db_bind_text(stmt, 1, after);
    if (rc == 0 && annotation != NULL) {
        char *key = gr_xasprintf("metadata.annotations.%s", annotation);

        rc = gr_db_bind_text(stmt, 2, gr_search_ascii_lower(key));
        free(key);
    }
    while (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        entity_row *row = &(*rows)[*count];

        rc = 0;
        if (*count >= GR_SEARCH_ENTITY_PAGE)
            continue;
        row->id = gr_xstrdup(gr_db_column_text(stmt, 0));
        row->ref = gr_xstrdup(gr_db_column_text(stmt, 1));
        row->json = gr_xstrdup(gr_db_column_text(stmt, 2));
        (*count)++;
    }
    if (rc == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

static int call_each(entity_row *rows, size_t count, gr_search_entity_fn fn, void *payload)
{
    for (size_t i = 0; i < count; i++) {
        json_error_t error;
        json_t *entity = json_loads(rows[i].json, 0, &error);
        int rc;

        if (entity == NULL) {
            gr_warn("search", "skipping entity %s: its stored JSON is invalid: %s", rows[i].ref,
                    error.text);
            continue;
        }
        gr_search_ascii_lower(rows[i].ref);
        rc = fn(payload, rows[i].ref, entity);
        json_decref(entity);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int gr_search_entities_each(gr_db *db, const char *annotation, gr_search_entity_fn fn,
                            void *payload)
{
    char *after = gr_xstrdup("");
    int rc = 0;

    for (;;) {
        entity_row *rows = NULL;
        size_t count = 0;
        int available = 0;

        rc = read_page(db, annotation, after, &rows, &count, &available);
        if (rc == 0 && count > 0) {
            free(after);
            after = gr_xstrdup(rows[count - 1].id);
            rc = call_each(rows, count, fn, payload);
        }
        rows_free(rows, count);
        if (rc < 0 || count < GR_SEARCH_ENTITY_PAGE)
            break;
    }
    free(after);
    return rc;
}

int gr_search_entity_get(gr_db *db, const char *entity_ref, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *ref = gr_search_ascii_lower(gr_xstrdup(entity_ref));
    int rc;

    *out = NULL;
    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0)
        goto done;
    if (!catalog_available(conn)) {
        rc = gr_error_set(GR_ENOTFOUND, "the catalog tables do not exist");
        goto done;
    }
    rc = gr_db_prepare(conn,
                       "SELECT final_entity FROM catalog_final_entities WHERE entity_ref = ? "
                       "AND final_entity IS NOT NULL",
                       &stmt);
    if (rc == 0)
        rc = gr_db_bind_text(stmt, 1, ref);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        *out = json_loads(gr_db_column_text(stmt, 0), 0, NULL);
        rc = *out ? 0 : gr_error_set(GR_EINVALID, "the stored JSON of entity %s is invalid", ref);
    } else if (rc == GR_DB_DONE) {
        rc = gr_error_set(GR_ENOTFOUND, "no entity %s", ref);
    }
    gr_db_finalize(stmt);
done:
    gr_db_release(conn);
    free(ref);
    return rc;
}
