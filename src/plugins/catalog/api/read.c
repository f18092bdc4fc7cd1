/* SPDX-License-Identifier: MIT */
/* Single entities, batches by ref, facet counts and the paginated legacy list in SQL. */
#include "plugins/catalog/api/read.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/api/filter_sql.h"

/* Looks up final_entity where `column` equals `value` and `filter` matches, and appends it. */
static int read_one(gr_db *db, const char *column, const char *value, const json_t *filter,
                    gr_buf *out)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    gr_buf_printf(&sql.text,
                  "SELECT fe.final_entity FROM catalog_final_entities fe WHERE fe.%s = ", column);
    gr_catalog_sql_param(&sql, value);
    gr_catalog_sql_puts(&sql, " AND fe.final_entity IS NOT NULL AND ");
    rc = gr_catalog_filter_to_sql(filter, "fe.entity_id", &sql);
    if (rc == GR_OK)
        rc = gr_db_acquire(db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, gr_buf_cstr(&sql.text), &stmt);
    if (rc == GR_OK)
        rc = gr_catalog_sql_bind(&sql, stmt, 1);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        gr_buf_puts(out, gr_db_column_text(stmt, 0));
        rc = GR_OK;
    } else if (rc == GR_DB_DONE) {
        rc = GR_ENOTFOUND;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_catalog_sql_free(&sql);
    return rc;
}

int gr_catalog_read_by_ref(gr_db *db, const char *entity_ref, const json_t *filter, gr_buf *out)
{
    return read_one(db, "entity_ref", entity_ref, filter, out);
}

int gr_catalog_read_by_uid(gr_db *db, const char *uid, const json_t *filter, gr_buf *out)
{
    return read_one(db, "entity_id", uid, filter, out);
}

/* Refs are looked up in chunks, so one statement has a bounded number of parameters. */
#define REFS_PER_STATEMENT 200

/* Looks up refs[from..to) and stores each found text at its slots in `texts`. */
static int refs_chunk(gr_db_conn *conn, char **lower, size_t from, size_t to, size_t total,
                      const json_t *filter, char **texts)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;
    gr_db_stmt *stmt = NULL;
    int rc;

    gr_catalog_sql_puts(&sql, "SELECT fe.entity_ref, fe.final_entity FROM catalog_final_entities fe"
                              " WHERE fe.final_entity IS NOT NULL AND fe.entity_ref IN (");
    for (size_t i = from; i < to; i++) {
        if (i > from)
            gr_catalog_sql_puts(&sql, ", ");
        gr_catalog_sql_param(&sql, lower[i]);
    }
    gr_catalog_sql_puts(&sql, ") AND ");
    rc = gr_catalog_filter_to_sql(filter, "fe.entity_id", &sql);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, gr_buf_cstr(&sql.text), &stmt);
    if (rc == GR_OK)
        rc = gr_catalog_sql_bind(&sql, stmt, 1);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *ref = gr_db_column_text(stmt, 0);

        /* A ref may be requested several times; every slot gets the entity. */
        for (size_t i = 0; i < total; i++) {
            if (texts[i] == NULL && strcmp(lower[i], ref) == 0)
                texts[i] = gr_xstrdup(gr_db_column_text(stmt, 1));
        }
        rc = GR_OK;
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    gr_db_finalize(stmt);
    gr_catalog_sql_free(&sql);
    return rc;
}

int gr_catalog_read_by_refs(gr_db *db, const json_t *refs, const json_t *filter,
                            const gr_catalog_fields *fields, gr_buf *out)
{
    size_t total = json_array_size(refs);
    char **lower = NULL;
    char **texts = NULL;
    gr_db_conn *conn = NULL;
    int rc = GR_OK;

    if (total > GR_CATALOG_BY_REFS_MAX)
        return gr_error_set(GR_ELIMIT, "Too many entityRefs; at most %d per request",
                            GR_CATALOG_BY_REFS_MAX);
    lower = gr_xcalloc(total + 1, sizeof(*lower));
    texts = gr_xcalloc(total + 1, sizeof(*texts));
    for (size_t i = 0; i < total; i++)
        lower[i] = gr_catalog_lower(gr_xstrdup(json_string_value(json_array_get(refs, i))));

    if (total > 0)
        rc = gr_db_acquire(db, GR_DB_READ, &conn);
    for (size_t from = 0; rc == GR_OK && from < total; from += REFS_PER_STATEMENT) {
        size_t to = from + REFS_PER_STATEMENT < total ? from + REFS_PER_STATEMENT : total;

        rc = refs_chunk(conn, lower, from, to, total, filter, texts);
    }
    gr_db_release(conn);

    gr_buf_putc(out, '[');
    for (size_t i = 0; rc == GR_OK && i < total; i++) {
        if (i > 0)
            gr_buf_putc(out, ',');
        if (texts[i] == NULL)
            gr_buf_puts(out, "null");
        else
            rc = gr_catalog_fields_write(fields, texts[i], out);
    }
    gr_buf_putc(out, ']');

    for (size_t i = 0; i < total; i++) {
        free(lower[i]);
        free(texts[i]);
    }
    free(lower);
    free(texts);
    return rc;
}

/* A search row's value as written, which is stored only where it differs from the lower-cased
 * value. */
#define ORIGINAL_VALUE "COALESCE(s.original_value, s.value)"

/*
 * Builds a facet statement over `keys`, with rows of (key, smallest original
 * value, largest original value, count). By value, the rows of one
 * lower-cased value form a group, which the index on (key, value, entity_id,
 * original_value) yields in order, so no sort runs. By original value, each
 * original spelling forms its own group, which needs a sort.
 */
static int facets_sql(char *const *keys, size_t count, const json_t *filter, bool by_value,
                      gr_catalog_sql *sql)
{
    int rc = GR_OK;

    gr_catalog_sql_puts(sql, by_value ? "SELECT s.key, MIN(" ORIGINAL_VALUE "), "
                                        "MAX(" ORIGINAL_VALUE "), COUNT(*)"
                                      : "SELECT s.key, " ORIGINAL_VALUE ", " ORIGINAL_VALUE ", "
                                        "COUNT(*)");
    gr_catalog_sql_puts(sql, " FROM catalog_search s WHERE s.key IN (");
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            gr_catalog_sql_puts(sql, ", ");
        gr_catalog_sql_param(sql, keys[i]);
    }
    gr_catalog_sql_puts(sql, ") AND s.value IS NOT NULL");
    if (filter != NULL) {
        /* Search rows exist only for stitched entities, so no entity is read. */
        gr_catalog_sql_puts(sql, " AND ");
        rc = gr_catalog_filter_to_sql(filter, "s.entity_id", sql);
    }
    gr_catalog_sql_puts(sql,
                        by_value ? " GROUP BY s.key, s.value" : " GROUP BY s.key, " ORIGINAL_VALUE);
    return rc;
}

/*
 * Runs one facet statement and appends {value, count} to the list of each
 * row's key in `lists`. A group whose original values differ (Service and
 * service) is not appended: its key goes to `mixed` instead, once.
 */
static int facets_run(gr_db_conn *conn, char *const *keys, size_t count, const json_t *filter,
                      bool by_value, json_t *lists, json_t *mixed)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;
    gr_db_stmt *stmt = NULL;
    int rc = facets_sql(keys, count, filter, by_value, &sql);

    if (rc == GR_OK)
        rc = gr_db_prepare(conn, gr_buf_cstr(&sql.text), &stmt);
    if (rc == GR_OK)
        rc = gr_catalog_sql_bind(&sql, stmt, 1);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *key = gr_db_column_text(stmt, 0);
        const char *lowest = gr_db_column_text(stmt, 1);
        const char *highest = gr_db_column_text(stmt, 2);

        rc = GR_OK;
        if (strcmp(lowest, highest) != 0) {
            json_object_set_new(mixed, key, json_true());
            continue;
        }
        json_array_append_new(json_object_get(lists, key),
                              json_pack("{s:s,s:I}", "value", lowest, "count",
                                        (json_int_t)gr_db_column_int64(stmt, 3)));
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    gr_db_finalize(stmt);
    gr_catalog_sql_free(&sql);
    return rc;
}

static int compare_facet_values(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a;
    const json_t *y = *(const json_t *const *)b;

    return strcmp(json_string_value(json_object_get(x, "value")),
                  json_string_value(json_object_get(y, "value")));
}

/*
 * Returns a copy of `list` ordered by value, byte by byte, as SQLite orders
 * text, with one item per value. Rows that C libraries of different
 * Unicode versions lower-cased, or that were lower-cased in ASCII only
 * without a C.UTF-8 locale, can put one original value in two groups. So
 * equal values are merged and their counts added.
 */
static json_t *facets_sorted(const json_t *list)
{
    size_t count = json_array_size(list);
    json_t **items = gr_xcalloc(count + 1, sizeof(*items));
    json_t *sorted = json_array();
    json_t *last = NULL;

    for (size_t i = 0; i < count; i++)
        items[i] = json_array_get(list, i);
    qsort(items, count, sizeof(*items), compare_facet_values);
    for (size_t i = 0; i < count; i++) {
        if (last != NULL && compare_facet_values(&last, &items[i]) == 0) {
            json_int_t sum = json_integer_value(json_object_get(last, "count")) +
                             json_integer_value(json_object_get(items[i], "count"));

            json_object_set_new(last, "count", json_integer(sum));
            continue;
        }
        last = json_deep_copy(items[i]);
        json_array_append_new(sorted, last);
    }
    free(items);
    return sorted;
}

/*
 * Counts the facets by lower-cased value first, which reads the index in
 * order. Keys with a value spelled in several ways (Service and service)
 * are counted again by original value, the way Backstage counts them.
 */
static int facets_count(gr_db *db, char *const *keys, size_t count, const json_t *filter,
                        json_t *lists)
{
    gr_db_conn *conn = NULL;
    json_t *mixed = json_object();
    int rc = gr_db_acquire(db, GR_DB_READ, &conn);

    if (rc == GR_OK)
        rc = facets_run(conn, keys, count, filter, true, lists, mixed);
    if (rc == GR_OK && json_object_size(mixed) > 0) {
        char **mixed_keys = gr_xcalloc(json_object_size(mixed) + 1, sizeof(*mixed_keys));
        size_t mixed_count = 0;
        const char *key;
        json_t *value;

        json_object_foreach(mixed, key, value)
        {
            json_array_clear(json_object_get(lists, key));
            mixed_keys[mixed_count++] = (char *)key;
        }
        rc = facets_run(conn, mixed_keys, mixed_count, filter, false, lists, mixed);
        free(mixed_keys);
    }
    gr_db_release(conn);
    json_decref(mixed);
    return rc;
}

int gr_catalog_read_facets(gr_db *db, const char *const *facets, size_t count, const json_t *filter,
                           json_t **out)
{
    char **keys = NULL;
    json_t *lists = NULL;
    json_t *result = json_object();
    int rc;

    *out = NULL;
    if (count > GR_CATALOG_FACETS_MAX) {
        json_decref(result);
        return gr_error_set(GR_ELIMIT, "Too many facets; at most %d per request",
                            GR_CATALOG_FACETS_MAX);
    }
    keys = gr_xcalloc(count + 1, sizeof(*keys));
    lists = json_object();
    for (size_t i = 0; i < count; i++) {
        keys[i] = gr_catalog_lower_search(facets[i]);
        if (json_object_get(lists, keys[i]) == NULL)
            json_object_set_new(lists, keys[i], json_array());
    }

    rc = facets_count(db, keys, count, filter, lists);
    for (size_t i = 0; rc == GR_OK && i < count; i++)
        json_object_set_new(result, facets[i], facets_sorted(json_object_get(lists, keys[i])));
    if (rc == GR_OK)
        *out = json_pack("{s:o}", "facets", result);
    else
        json_decref(result);

    for (size_t i = 0; i < count; i++)
        free(keys[i]);
    free(keys);
    json_decref(lists);
    return rc;
}

/* Builds the legacy list statement. */
static int list_sql(const gr_catalog_list *list, gr_catalog_sql *sql)
{
    size_t orders = json_array_size(list->order);
    int rc;

    gr_catalog_sql_puts(sql, "WITH page AS (SELECT fe.entity_id AS entity_id, fe.entity_ref AS"
                             " entity_ref");
    for (size_t i = 0; i < orders; i++)
        gr_buf_printf(&sql->text, ", o%zu.value AS v%zu", i, i);
    gr_catalog_sql_puts(sql, " FROM catalog_final_entities fe");
    for (size_t i = 0; i < orders; i++) {
        char *key = gr_catalog_lower_search(
            json_string_value(json_object_get(json_array_get(list->order, i), "field")));

        gr_buf_printf(&sql->text,
                      " LEFT JOIN catalog_search o%zu ON o%zu.entity_id = fe.entity_id AND"
                      " o%zu.value IS NOT NULL AND o%zu.key = ",
                      i, i, i, i);
        gr_catalog_sql_param(sql, key);
        free(key);
    }
    gr_catalog_sql_puts(sql, " WHERE ");
    rc = gr_catalog_filter_to_sql(list->filter, "fe.entity_id", sql);
    if (rc != GR_OK)
        return rc;

    gr_catalog_sql_puts(sql, " ORDER BY ");
    for (size_t i = 0; i < orders; i++) {
        const char *order =
            json_string_value(json_object_get(json_array_get(list->order, i), "order"));

        gr_buf_printf(&sql->text, "(o%zu.value IS NULL), o%zu.value %s, ", i, i,
                      strcmp(order, "desc") == 0 ? "DESC" : "ASC");
    }
    gr_catalog_sql_puts(sql, orders ? "fe.entity_id" : "fe.entity_ref");
    /* One row more than the page shows whether another page follows. INT64_MAX rows
     * cannot be exceeded, so that limit is read as no limit rather than overflow. */
    if (list->limit >= 0 && list->limit < INT64_MAX)
        gr_buf_printf(&sql->text, " LIMIT %lld", (long long)list->limit + 1);
    else if (list->limit == INT64_MAX)
        gr_catalog_sql_puts(sql, " LIMIT 9223372036854775807");
    else if (list->offset > 0)
        gr_catalog_sql_puts(sql, " LIMIT 9223372036854775807");
    if (list->offset > 0)
        gr_buf_printf(&sql->text, " OFFSET %lld", (long long)list->offset);

    gr_catalog_sql_puts(sql, ") SELECT fe.final_entity FROM page JOIN catalog_final_entities fe"
                             " ON fe.entity_id = page.entity_id"
                             " WHERE fe.final_entity IS NOT NULL ORDER BY ");
    for (size_t i = 0; i < orders; i++) {
        const char *order =
            json_string_value(json_object_get(json_array_get(list->order, i), "order"));

        gr_buf_printf(&sql->text, "(page.v%zu IS NULL), page.v%zu %s, ", i, i,
                      strcmp(order, "desc") == 0 ? "DESC" : "ASC");
    }
    gr_catalog_sql_puts(sql, orders ? "page.entity_id" : "page.entity_ref");
    return GR_OK;
}

int gr_catalog_read_list(gr_db *db, const gr_catalog_list *list, const gr_catalog_fields *fields,
                         gr_buf *out, int *more)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int64_t rows = 0;
    int rc;

    *more = 0;
    if (json_array_size(list->order) > GR_CATALOG_ORDER_MAX)
        return gr_error_set(GR_ELIMIT, "Too many order parameters; at most %d",
                            GR_CATALOG_ORDER_MAX);
    rc = list_sql(list, &sql);
    if (rc == GR_OK)
        rc = gr_db_acquire(db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, gr_buf_cstr(&sql.text), &stmt);
    if (rc == GR_OK)
        rc = gr_catalog_sql_bind(&sql, stmt, 1);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        rc = GR_OK;
        if (list->limit >= 0 && rows == list->limit) {
            *more = 1;
            break;
        }
        if (rows++ > 0)
            gr_buf_putc(out, ',');
        rc = gr_catalog_fields_write(fields, gr_db_column_text(stmt, 0), out);
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_catalog_sql_free(&sql);
    return rc;
}
