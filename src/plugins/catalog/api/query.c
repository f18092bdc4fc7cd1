/* SPDX-License-Identifier: MIT */
/* Running entity queries: keyset pages, counts and cursors. */
#include "plugins/catalog/api/query.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/api/filter_sql.h"
#include "plugins/catalog/permission/access.h"

void gr_catalog_query_first(gr_catalog_query *query, json_t *filter, json_t *order_fields,
                            json_t *full_text)
{
    json_t *cursor = json_object();

    json_object_set_new(cursor, "orderFields", order_fields ? order_fields : json_array());
    json_object_set_new(cursor, "isPrevious", json_false());
    if (filter != NULL)
        json_object_set_new(cursor, "query", filter);
    if (full_text != NULL)
        json_object_set_new(cursor, "fullTextFilter", full_text);
    query->cursor = cursor;
    query->limit = GR_CATALOG_QUERY_DEFAULT_LIMIT;
    query->offset = 0;
    query->count = 1;
}

void gr_catalog_query_continue(gr_catalog_query *query, json_t *cursor)
{
    query->cursor = cursor;
    query->limit = GR_CATALOG_QUERY_DEFAULT_LIMIT;
    query->offset = 0;
    query->count = 1;
}

void gr_catalog_query_free(gr_catalog_query *query)
{
    if (query == NULL)
        return;
    json_decref(query->cursor);
    query->cursor = NULL;
}

void gr_catalog_page_free(gr_catalog_page *page)
{
    if (page == NULL)
        return;
    gr_buf_free(&page->items);
    json_decref(page->next);
    json_decref(page->prev);
    page->next = NULL;
    page->prev = NULL;
}

/* What a query needs, read out of its cursor state. */
typedef struct {
    json_t *filter;       /* the cursor's query ANDed with the access predicate (owned) */
    char *sort_key;       /* lower-case order field, or NULL for entity id order */
    int descending;       /* the order field sorts descending */
    int backwards;        /* fetching the page before orderFieldValues */
    char *term;           /* trimmed full-text term in lower case, or NULL */
    json_t *text_fields;  /* lower-case keys the term is searched in (owned) */
    const json_t *after;  /* orderFieldValues, or NULL */
    char *driver_key;     /* a key = value condition every match has (see gr_catalog_filter_split) */
    char *driver_value;
    json_t *rest;         /* the filter without the driver condition (owned, may be NULL) */
} plan;

static void plan_free(plan *p)
{
    json_decref(p->filter);
    free(p->driver_key);
    free(p->driver_value);
    json_decref(p->rest);
    free(p->sort_key);
    free(p->term);
    json_decref(p->text_fields);
}

static char *trim_lower(const char *text)
{
    char *trimmed, *lower;
    size_t len;

    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
        text++;
    len = strlen(text);
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' ||
                       text[len - 1] == '\r'))
        len--;
    trimmed = gr_xstrndup(text, len);
    lower = gr_catalog_lower_search(trimmed);
    free(trimmed);
    return lower;
}

static void plan_init(plan *p, const json_t *cursor, const json_t *access)
{
    const json_t *sort = json_array_get(json_object_get(cursor, "orderFields"), 0);
    const json_t *full_text = json_object_get(cursor, "fullTextFilter");
    const json_t *fields = json_object_get(full_text, "fields");
    const char *term = json_string_value(json_object_get(full_text, "term"));

    memset(p, 0, sizeof(*p));
    p->filter = gr_catalog_access_and(json_object_get(cursor, "query"), access);
    if (sort != NULL) {
        p->sort_key = gr_catalog_lower_search(json_string_value(json_object_get(sort, "field")));
        p->descending = strcmp(json_string_value(json_object_get(sort, "order")), "desc") == 0;
    }
    p->backwards = json_is_true(json_object_get(cursor, "isPrevious"));
    p->after = json_object_get(cursor, "orderFieldValues");
    if (p->filter != NULL)
        gr_catalog_filter_split(p->filter, &p->driver_key, &p->driver_value, &p->rest);

    if (term != NULL)
        p->term = trim_lower(term);
    if (p->term != NULL && p->term[0] == '\0') {
        free(p->term);
        p->term = NULL;
    }
    p->text_fields = json_array();
    if (json_is_array(fields)) {
        size_t index;
        json_t *item;

        json_array_foreach(fields, index, item)
        {
            char *key = gr_catalog_lower_search(json_string_value(item));

            json_array_append_new(p->text_fields, json_string(key));
            free(key);
        }
    } else {
        json_array_append_new(p->text_fields,
                              json_string(p->sort_key ? p->sort_key : "metadata.uid"));
    }
}

/* Appends `AND <id> IN (entities whose text fields contain the term)`. */
static void full_text_condition(const plan *p, const char *id_column, gr_catalog_sql *sql)
{
    char *pattern;
    size_t index;
    json_t *item;

    if (json_array_size(p->text_fields) == 0) {
        /* With no field to search in, nothing matches. PostgreSQL rejects an empty IN list. */
        gr_catalog_sql_puts(sql, " AND 1 = 0");
        return;
    }
    pattern = gr_xasprintf("%%%s%%", p->term);
    gr_buf_printf(&sql->text,
                  " AND %s IN (SELECT st.entity_id FROM catalog_search st WHERE st.key IN (",
                  id_column);
    json_array_foreach(p->text_fields, index, item)
    {
        if (index > 0)
            gr_catalog_sql_puts(sql, ", ");
        gr_catalog_sql_param(sql, json_string_value(item));
    }
    gr_catalog_sql_puts(sql, ") AND st.value LIKE ");
    gr_catalog_sql_param(sql, pattern);
    gr_catalog_sql_puts(sql, ")");
    free(pattern);
}

/* Whether the term is searched only in the order field, so the sort rows can be tested directly. */
static int term_in_sort_rows(const plan *p)
{
    return p->sort_key != NULL && json_array_size(p->text_fields) == 1 &&
           strcmp(json_string_value(json_array_get(p->text_fields, 0)), p->sort_key) == 0;
}

/* Appends the keyset condition that starts the page after (or before) orderFieldValues. */
static void keyset_condition(const plan *p, const char *id_column, gr_catalog_sql *sql)
{
    const char *op;

    if (p->sort_key != NULL && json_array_size(p->after) == 2) {
        const char *value = json_string_value(json_array_get(p->after, 0));
        const char *id = json_string_value(json_array_get(p->after, 1));

        op = p->backwards != p->descending ? "<" : ">";
        gr_buf_printf(&sql->text, " AND (s.value %s ", op);
        gr_catalog_sql_param(sql, value ? value : "");
        gr_catalog_sql_puts(sql, " OR (s.value = ");
        gr_catalog_sql_param(sql, value ? value : "");
        gr_buf_printf(&sql->text, " AND s.entity_id %s ", op);
        gr_catalog_sql_param(sql, id ? id : "");
        gr_catalog_sql_puts(sql, "))");
    } else if (json_array_size(p->after) == 1) {
        const char *id = json_string_value(json_array_get(p->after, 0));

        gr_buf_printf(&sql->text, " AND %s %s ", id_column, p->backwards ? "<" : ">");
        gr_catalog_sql_param(sql, id ? id : "");
    }
}

/*
 * Appends the condition on the order field's search rows `s` that match the
 * query: one row per value, so an entity with several values has several.
 */
static int valued_rows_condition(const plan *p, gr_catalog_sql *sql)
{
    int rc;

    gr_catalog_sql_puts(sql, "s.key = ");
    gr_catalog_sql_param(sql, p->sort_key);
    gr_catalog_sql_puts(sql, " AND s.value IS NOT NULL AND ");
    rc = gr_catalog_filter_to_sql(p->filter, "s.entity_id", sql);
    if (rc != GR_OK)
        return rc;
    if (p->term != NULL && term_in_sort_rows(p)) {
        char *pattern = gr_xasprintf("%%%s%%", p->term);

        gr_catalog_sql_puts(sql, " AND s.value LIKE ");
        gr_catalog_sql_param(sql, pattern);
        free(pattern);
    } else if (p->term != NULL) {
        full_text_condition(p, "s.entity_id", sql);
    }
    return GR_OK;
}

/*
 * Builds the statement that selects one page: (entity_id, sort value, final_entity). With an
 * order field, it reads only the entities that have a value for it; null_page_sql() reads the
 * others, which come after them. `keyset` false starts at the first row in page order.
 */
static int page_sql(const plan *p, const gr_catalog_query *query, int64_t rows, bool keyset,
                    gr_catalog_sql *sql)
{
    int descending = p->descending != p->backwards;
    const char *dir = descending ? "DESC" : "ASC";
    int rc;

    if (p->sort_key != NULL) {
        gr_catalog_sql_puts(sql, "WITH page AS (SELECT s.entity_id AS entity_id, s.value AS "
                                 "sort_value FROM catalog_search s WHERE ");
        rc = valued_rows_condition(p, sql);
        if (rc != GR_OK)
            return rc;
        if (keyset)
            keyset_condition(p, "s.entity_id", sql);
        gr_buf_printf(&sql->text, " ORDER BY s.value %s, s.entity_id %s", dir, dir);
    } else if (p->driver_key != NULL) {
        /* The index on (key, value, entity_id) yields the driver's rows in id order. */
        gr_catalog_sql_puts(sql, "WITH page AS (SELECT d.entity_id AS entity_id, NULL AS "
                                 "sort_value FROM catalog_search d WHERE d.key = ");
        gr_catalog_sql_param(sql, p->driver_key);
        gr_catalog_sql_puts(sql, " AND d.value = ");
        gr_catalog_sql_param(sql, p->driver_value);
        gr_catalog_sql_puts(sql, " AND ");
        rc = gr_catalog_filter_to_sql(p->rest, "d.entity_id", sql);
        if (rc != GR_OK)
            return rc;
        if (p->term != NULL)
            full_text_condition(p, "d.entity_id", sql);
        if (keyset)
            keyset_condition(p, "d.entity_id", sql);
        gr_buf_printf(&sql->text, " ORDER BY d.entity_id %s", dir);
    } else {
        gr_catalog_sql_puts(sql, "WITH page AS (SELECT fe.entity_id AS entity_id, NULL AS "
                                 "sort_value FROM catalog_final_entities fe WHERE ");
        rc = gr_catalog_filter_to_sql(p->filter, "fe.entity_id", sql);
        if (rc != GR_OK)
            return rc;
        if (p->term != NULL)
            full_text_condition(p, "fe.entity_id", sql);
        if (keyset)
            keyset_condition(p, "fe.entity_id", sql);
        gr_buf_printf(&sql->text, " ORDER BY fe.entity_id %s", dir);
    }
    gr_buf_printf(&sql->text, " LIMIT %lld", (long long)rows);
    if (keyset && query->offset > 0 && json_object_get(query->cursor, "orderFieldValues") == NULL)
        gr_buf_printf(&sql->text, " OFFSET %lld", (long long)query->offset);
    gr_buf_printf(&sql->text,
                  ") SELECT page.entity_id, page.sort_value, fe.final_entity FROM page"
                  " JOIN catalog_final_entities fe ON fe.entity_id = page.entity_id"
                  " WHERE fe.final_entity IS NOT NULL"
                  " ORDER BY page.sort_value %s, page.entity_id %s",
                  dir, dir);
    return GR_OK;
}

/* Whether every stitched entity has a search value for `key`, so ordering by it drops none. */
static int always_present(const char *key)
{
    return strcmp(key, "metadata.name") == 0 || strcmp(key, "metadata.namespace") == 0 ||
           strcmp(key, "metadata.uid") == 0 || strcmp(key, "kind") == 0;
}

/* Appends the condition that an entity has a value for the order field. */
static void has_sort_value(const plan *p, const char *id_column, gr_catalog_sql *sql)
{
    if (p->sort_key == NULL || always_present(p->sort_key))
        return;
    gr_buf_printf(&sql->text,
                  " AND EXISTS (SELECT 1 FROM catalog_search so WHERE so.entity_id = %s AND"
                  " so.key = ",
                  id_column);
    gr_catalog_sql_param(sql, p->sort_key);
    gr_catalog_sql_puts(sql, " AND so.value IS NOT NULL)");
}

/*
 * Whether some matches may lack a value for the order field. Backstage lists
 * them after the others, as if their value were NULL, ordered by entity id.
 * A term searched only in the order field never matches them.
 */
static bool nulls_possible(const plan *p)
{
    return p->sort_key != NULL && !always_present(p->sort_key) &&
           !(p->term != NULL && term_in_sort_rows(p));
}

/* Whether the cursor points into the entities without a value: [null, id]. */
static bool in_null_region(const plan *p)
{
    return p->sort_key != NULL && json_array_size(p->after) == 2 &&
           json_is_null(json_array_get(p->after, 0));
}

/*
 * Builds the statement that selects the matches without a value for the
 * order field, in entity id order (descending for a descending order field,
 * reversed when paging backwards). With `keyset`, it starts after the id of
 * a [null, id] cursor.
 */
static int null_page_sql(const plan *p, int64_t rows, int64_t offset, bool keyset,
                         gr_catalog_sql *sql)
{
    int descending = p->descending != p->backwards;
    int rc;

    gr_catalog_sql_puts(sql, "SELECT fe.entity_id, NULL, fe.final_entity FROM "
                             "catalog_final_entities fe WHERE fe.final_entity IS NOT NULL AND ");
    rc = gr_catalog_filter_to_sql(p->filter, "fe.entity_id", sql);
    if (rc != GR_OK)
        return rc;
    gr_catalog_sql_puts(sql, " AND NOT EXISTS (SELECT 1 FROM catalog_search so WHERE "
                             "so.entity_id = fe.entity_id AND so.key = ");
    gr_catalog_sql_param(sql, p->sort_key);
    gr_catalog_sql_puts(sql, " AND so.value IS NOT NULL)");
    if (p->term != NULL)
        full_text_condition(p, "fe.entity_id", sql);
    if (keyset) {
        const char *id = json_string_value(json_array_get(p->after, 1));

        gr_buf_printf(&sql->text, " AND fe.entity_id %s ", descending ? "<" : ">");
        gr_catalog_sql_param(sql, id ? id : "");
    }
    gr_buf_printf(&sql->text, " ORDER BY fe.entity_id %s LIMIT %lld", descending ? "DESC" : "ASC",
                  (long long)rows);
    if (offset > 0)
        gr_buf_printf(&sql->text, " OFFSET %lld", (long long)offset);
    return GR_OK;
}

/*
 * Builds the statement that counts every match of the query. Search rows
 * exist only for stitched entities, so the count never reads an entity.
 */
static int count_sql(const plan *p, gr_catalog_sql *sql)
{
    const char *id_column = p->driver_key ? "d.entity_id" : "fe.entity_id";
    int rc;

    if (p->driver_key != NULL) {
        /* One row per (entity, key, value), so the driver's rows count entities. */
        gr_catalog_sql_puts(sql, "SELECT COUNT(*) FROM catalog_search d WHERE d.key = ");
        gr_catalog_sql_param(sql, p->driver_key);
        gr_catalog_sql_puts(sql, " AND d.value = ");
        gr_catalog_sql_param(sql, p->driver_value);
        gr_catalog_sql_puts(sql, " AND ");
        rc = gr_catalog_filter_to_sql(p->rest, id_column, sql);
    } else {
        gr_catalog_sql_puts(sql, "SELECT COUNT(*) FROM catalog_final_entities fe WHERE ");
        rc = gr_catalog_filter_to_sql(p->filter, id_column, sql);
    }
    if (rc != GR_OK)
        return rc;
    if (!nulls_possible(p))
        has_sort_value(p, id_column, sql);
    if (p->term != NULL)
        full_text_condition(p, id_column, sql);
    return GR_OK;
}

/* A row kept for building cursors: its sort value and entity id. */
typedef struct {
    char *value;
    char *id;
} row_key;

static void row_key_free(row_key *key)
{
    free(key->value);
    free(key->id);
    key->value = NULL;
    key->id = NULL;
}

/* Returns the JSON sort key of a row: [value, id] with an order field, else [id]. */
static json_t *sort_values(const plan *p, const row_key *key)
{
    json_t *id = key->id ? json_string(key->id) : json_null();

    if (p->sort_key == NULL)
        return json_pack("[o]", id);
    return json_pack("[o,o]", key->value ? json_string(key->value) : json_null(), id);
}

/* Runs a page statement and appends its rows: entity texts to `texts`, in page order, and their
 * keys to `keys`. */
static int read_rows(gr_db_conn *conn, const gr_catalog_sql *sql, char ***texts, row_key **keys,
                     size_t *count)
{
    gr_db_stmt *stmt = NULL;
    size_t cap = 0;
    int rc;

    rc = gr_db_prepare(conn, gr_buf_cstr(&sql->text), &stmt);
    if (rc == GR_OK)
        rc = gr_catalog_sql_bind(sql, stmt, 1);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *value = gr_db_column_text(stmt, 1);

        if (*count >= cap) {
            /* The arrays may hold rows of an earlier statement of the same page. */
            cap = cap ? cap * 2 : *count + 64;
            *texts = gr_xrealloc(*texts, cap * sizeof(**texts));
            *keys = gr_xrealloc(*keys, cap * sizeof(**keys));
        }
        (*keys)[*count].id = gr_xstrdup(gr_db_column_text(stmt, 0));
        (*keys)[*count].value = value ? gr_xstrdup(value) : NULL;
        (*texts)[*count] = gr_xstrdup(gr_db_column_text(stmt, 2));
        (*count)++;
        rc = GR_OK;
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    gr_db_finalize(stmt);
    return rc;
}

static int read_count(gr_db_conn *conn, const gr_catalog_sql *sql, int64_t *out)
{
    gr_db_stmt *stmt = NULL;
    int rc;

    rc = gr_db_prepare(conn, gr_buf_cstr(&sql->text), &stmt);
    if (rc == GR_OK)
        rc = gr_catalog_sql_bind(sql, stmt, 1);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        *out = gr_db_column_int64(stmt, 0);
        rc = GR_OK;
    } else if (rc == GR_DB_DONE) {
        *out = 0;
        rc = GR_OK;
    }
    gr_db_finalize(stmt);
    return rc;
}

/* Runs `sql` when building it returned GR_OK in `built`, appends its rows and frees it. */
static int read_built(gr_db_conn *conn, gr_catalog_sql *sql, int built, char ***texts,
                      row_key **keys, size_t *count)
{
    int rc = built == GR_OK ? read_rows(conn, sql, texts, keys, count) : built;

    gr_catalog_sql_free(sql);
    return rc;
}

/* Reads the valued matches before the entities without a value, as the first part of a page. */
static int read_valued(gr_db_conn *conn, const plan *p, const gr_catalog_query *query,
                       int64_t wanted, bool keyset, char ***texts, row_key **keys, size_t *count)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;

    return read_built(conn, &sql, page_sql(p, query, wanted, keyset, &sql), texts, keys, count);
}

/* Reads up to `wanted` matches without a value for the order field. */
static int read_nulls(gr_db_conn *conn, const plan *p, int64_t wanted, int64_t offset,
                      bool keyset, char ***texts, row_key **keys, size_t *count)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;

    return read_built(conn, &sql, null_page_sql(p, wanted, offset, keyset, &sql), texts, keys,
                      count);
}

/* The offset of an initial request within the entities without a value: what the rows with a
 * value did not use up. */
static int null_offset(gr_db_conn *conn, const plan *p, const gr_catalog_query *query, int64_t *out)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;
    int64_t valued = 0;
    int rc;

    *out = 0;
    if (query->offset <= 0 || json_object_get(query->cursor, "orderFieldValues") != NULL)
        return GR_OK;
    /* The valued part of the list has a row per value, so rows are counted, not entities. */
    gr_catalog_sql_puts(&sql, "SELECT COUNT(*) FROM catalog_search s WHERE ");
    rc = valued_rows_condition(p, &sql);
    if (rc == GR_OK)
        rc = read_count(conn, &sql, &valued);
    gr_catalog_sql_free(&sql);
    if (rc == GR_OK && query->offset > valued)
        *out = query->offset - valued;
    return rc;
}

/*
 * Reads up to `wanted` rows of a page. With an order field that some matches
 * lack, the matches with a value come first and the others after them, so a
 * page can take rows from both. Paging backwards reads them the other way
 * round, and the caller reverses the page.
 */
static int read_page(gr_db_conn *conn, const plan *p, const gr_catalog_query *query, int64_t wanted,
                     char ***texts, row_key **keys, size_t *count)
{
    int64_t offset = 0;
    int rc;

    if (!nulls_possible(p))
        return read_valued(conn, p, query, wanted, true, texts, keys, count);
    if (!p->backwards) {
        if (in_null_region(p))
            return read_nulls(conn, p, wanted, 0, true, texts, keys, count);
        rc = read_valued(conn, p, query, wanted, true, texts, keys, count);
        if (rc == GR_OK && (int64_t)*count < wanted)
            rc = null_offset(conn, p, query, &offset);
        if (rc == GR_OK && (int64_t)*count < wanted)
            rc = read_nulls(conn, p, wanted - (int64_t)*count, offset, false, texts, keys, count);
        return rc;
    }
    if (!in_null_region(p))
        return read_valued(conn, p, query, wanted, true, texts, keys, count);
    rc = read_nulls(conn, p, wanted, 0, true, texts, keys, count);
    if (rc == GR_OK && (int64_t)*count < wanted)
        rc = read_valued(conn, p, query, wanted - (int64_t)*count, false, texts, keys, count);
    return rc;
}

/* Returns a copy of the cursor state moved to `values`, as Backstage builds next and previous
 * cursors. */
static json_t *derive_cursor(const json_t *cursor, json_t *values, json_t *first, int previous,
                             int64_t total)
{
    json_t *derived = json_deep_copy(cursor);

    json_object_set_new(derived, "orderFieldValues", values);
    json_object_set_new(derived, "firstSortFieldValues", first);
    json_object_set_new(derived, "isPrevious", json_boolean(previous));
    json_object_set_new(derived, "totalItems", json_integer(total));
    return derived;
}

/* Sets the page's cursors from its first and last row keys. */
static void build_cursors(const plan *p, const gr_catalog_query *query, const row_key *keys,
                          size_t count, int more, gr_catalog_page *page)
{
    const json_t *cursor_first = json_object_get(query->cursor, "firstSortFieldValues");
    row_key none = {NULL, NULL};
    const row_key *first_key = count ? &keys[0] : &none;
    const row_key *last_key = count ? &keys[count - 1] : &none;
    json_t *first_values = cursor_first ? json_incref((json_t *)cursor_first)
                                        : sort_values(p, first_key);

    if (more)
        page->next = derive_cursor(query->cursor, sort_values(p, last_key),
                                   json_incref(first_values), 0, page->total);
    if (cursor_first != NULL && count > 0) {
        json_t *row_first = sort_values(p, first_key);

        if (!json_equal(row_first, (json_t *)cursor_first))
            page->prev = derive_cursor(query->cursor, row_first, json_incref(first_values), 1,
                                       page->total);
        else
            json_decref(row_first);
    }
    json_decref(first_values);
}

/* Reverses the first `count` items of both arrays. */
static void reverse_rows(char **texts, row_key *keys, size_t count)
{
    for (size_t i = 0; i < count / 2; i++) {
        char *text = texts[i];
        row_key key = keys[i];

        texts[i] = texts[count - 1 - i];
        keys[i] = keys[count - 1 - i];
        texts[count - 1 - i] = text;
        keys[count - 1 - i] = key;
    }
}

int gr_catalog_query_run(gr_db *db, const gr_catalog_query *query, const gr_catalog_fields *fields,
                         gr_catalog_page *page)
{
    const json_t *carried_total = json_object_get(query->cursor, "totalItems");
    gr_catalog_sql count_stmt = GR_CATALOG_SQL_INIT;
    gr_db_conn *conn = NULL;
    char **texts = NULL;
    row_key *keys = NULL;
    size_t count = 0;
    plan p;
    int more;
    int rc;

    plan_init(&p, query->cursor, query->access);
    if (query->count && carried_total == NULL)
        rc = count_sql(&p, &count_stmt);
    else
        rc = GR_OK;
    if (rc == GR_OK)
        rc = gr_db_acquire(db, GR_DB_READ, &conn);
    if (rc == GR_OK && query->limit > 0)
        rc = read_page(conn, &p, query, p.backwards ? query->limit : query->limit + 1, &texts,
                       &keys, &count);
    if (rc == GR_OK && count_stmt.text.len > 0)
        rc = read_count(conn, &count_stmt, &page->total);
    else if (carried_total != NULL)
        page->total = (int64_t)json_number_value(carried_total);
    if (rc != GR_OK)
        goto done;

    if (p.backwards)
        reverse_rows(texts, keys, count);
    more = query->limit > 0 && (p.backwards || (int64_t)count > query->limit);
    if ((int64_t)count > query->limit) {
        count--;
        /* The extra row is the last in page order: drop it. */
        free(texts[count]);
        row_key_free(&keys[count]);
    }
    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        if (i > 0)
            gr_buf_putc(&page->items, ',');
        rc = gr_catalog_fields_write(fields, texts[i], &page->items);
    }
    page->count = count;
    if (rc == GR_OK)
        build_cursors(&p, query, keys, count, more, page);

done:
    for (size_t i = 0; i < count; i++) {
        free(texts[i]);
        row_key_free(&keys[i]);
    }
    free(texts);
    free(keys);
    gr_db_release(conn);
    gr_catalog_sql_free(&count_stmt);
    plan_free(&p);
    return rc;
}
