/* SPDX-License-Identifier: MIT */
/* Catalog reads for the pages: entities by reference, filtered lists, facets, history. */
#include "plugins/ui/entities.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/store/db.h"
#include "plugins/catalog/api/filter_sql.h"
#include "plugins/catalog/permission/access.h"
#include "plugins/ui/ui_internal.h"

/* SQL text with `?` placeholders and their text values in order. */
typedef struct {
    gr_buf text;
    json_t *params;
} sql_builder;

static void sql_init(sql_builder *sql)
{
    memset(sql, 0, sizeof(*sql));
    sql->params = json_array();
}

static void sql_free(sql_builder *sql)
{
    gr_buf_free(&sql->text);
    json_decref(sql->params);
}

static char *lower_copy(const char *text)
{
    char *copy = gr_xstrdup(text);

    for (char *p = copy; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

/* Appends a placeholder for `value`, lower-cased when `lower` is set. */
static void sql_param(sql_builder *sql, const char *value, int lower)
{
    char *copy = lower ? lower_copy(value) : gr_xstrdup(value);

    gr_buf_putc(&sql->text, '?');
    json_array_append_new(sql->params, json_string(copy));
    free(copy);
}

static int sql_bind(const sql_builder *sql, gr_db_stmt *stmt)
{
    for (size_t i = 0; i < json_array_size(sql->params); i++) {
        int error = gr_db_bind_text(stmt, (int)i + 1,
                                    json_string_value(json_array_get(sql->params, i)));

        if (error < 0)
            return error;
    }
    return 0;
}

/* Runs `sql` on a read connection and calls `row` for every row. */
static int sql_each(gr_ui *ui, const sql_builder *sql, int (*row)(gr_db_stmt *, void *),
                    void *payload)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int error;

    if ((error = gr_db_acquire(ui->db, GR_DB_READ, &conn)) < 0)
        return error;
    if ((error = gr_db_prepare(conn, gr_buf_cstr(&sql->text), &stmt)) < 0 ||
        (error = sql_bind(sql, stmt)) < 0)
        goto done;
    while ((error = gr_db_step(stmt)) == GR_DB_ROW) {
        if ((error = row(stmt, payload)) < 0)
            goto done;
    }
    error = error == GR_DB_DONE ? 0 : error;

done:
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return error;
}

/* Appends " AND <access predicate over fe.entity_id>"; a predicate the
 * filter SQL rejects hides every entity. */
static void where_access(sql_builder *sql, const json_t *access, const char *id_column)
{
    gr_catalog_sql access_sql = GR_CATALOG_SQL_INIT;

    if (access == NULL)
        return;
    gr_buf_puts(&sql->text, " AND ");
    if (gr_catalog_filter_to_sql(access, id_column, &access_sql) < 0) {
        gr_buf_puts(&sql->text, "1 = 0");
        gr_catalog_sql_free(&access_sql);
        return;
    }
    gr_buf_printf(&sql->text, "(%s)", gr_buf_cstr(&access_sql.text));
    for (size_t i = 0; i < access_sql.count; i++)
        json_array_append_new(sql->params, json_string(access_sql.params[i]));
    gr_catalog_sql_free(&access_sql);
}

const json_t *gr_ui_read_access(gr_ui_page *page)
{
    json_t *access = NULL;

    if (gr_catalog_access_get(page->ui->host->permissions, gr_req_identity(page->req),
                              "catalog.entity.read", &access) < 0)
        access = json_pack("{s:[]}", "$any");
    if (access != NULL)
        gr_arena_defer(page->arena, (void (*)(void *))json_decref, access);
    return access;
}

static json_t *parse_entity(const char *text)
{
    json_t *entity = text != NULL ? json_loads(text, 0, NULL) : NULL;

    return json_is_object(entity) ? entity : (json_decref(entity), NULL);
}

static int append_entity_row(gr_db_stmt *stmt, void *payload)
{
    json_t *entity = parse_entity(gr_db_column_text(stmt, 0));

    if (entity != NULL)
        json_array_append_new(payload, entity);
    return 0;
}

int gr_ui_entity_get(gr_ui *ui, const char *entity_ref, json_t **out)
{
    sql_builder sql;
    json_t *found = json_array();
    int error;

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT final_entity FROM catalog_final_entities WHERE entity_ref = ");
    sql_param(&sql, entity_ref, 1);
    error = sql_each(ui, &sql, append_entity_row, found);
    sql_free(&sql);

    if (error == 0 && json_array_size(found) == 0)
        error = gr_error_set(GR_ENOTFOUND, "No entity named '%s' found", entity_ref);
    if (error == 0)
        *out = json_incref(json_array_get(found, 0));
    json_decref(found);
    return error;
}

static int put_entity_by_ref(gr_db_stmt *stmt, void *payload)
{
    json_t *entity = parse_entity(gr_db_column_text(stmt, 1));

    if (entity != NULL)
        json_object_set_new(payload, gr_db_column_text(stmt, 0), entity);
    return 0;
}

int gr_ui_entities_get(gr_ui *ui, const json_t *refs, const json_t *access, json_t **out)
{
    json_t *result = json_object();
    sql_builder sql;
    size_t count = 0;
    int error = 0;

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT fe.entity_ref, fe.final_entity FROM catalog_final_entities fe"
                           " WHERE fe.entity_ref IN (");
    for (size_t i = 0; i < json_array_size(refs) && count < GR_UI_MAX_RELATED; i++) {
        const char *ref = json_string_value(json_array_get(refs, i));

        if (ref == NULL)
            continue;
        if (count++ > 0)
            gr_buf_putc(&sql.text, ',');
        sql_param(&sql, ref, 1);
    }
    gr_buf_putc(&sql.text, ')');
    where_access(&sql, access, "fe.entity_id");
    if (count > 0)
        error = sql_each(ui, &sql, put_entity_by_ref, result);
    sql_free(&sql);

    if (error < 0) {
        json_decref(result);
        return error;
    }
    *out = result;
    return 0;
}

int64_t gr_ui_catalog_generation(gr_ui *ui)
{
    gr_db_conn *conn = NULL;
    int64_t generation = 0;

    if (gr_db_acquire(ui->db, GR_DB_READ, &conn) < 0)
        return 0;
    if (gr_db_query_int64(conn, "SELECT max(id) FROM catalog_history", NULL, 0, &generation) < 0)
        generation = 0;
    gr_db_release(conn);
    return generation;
}

/* ---- the catalog table ---- */

static int count_row(gr_db_stmt *stmt, void *payload)
{
    *(int64_t *)payload = gr_db_column_int64(stmt, 0);
    return 0;
}

/* Looks up the count of `key` at `generation`. Returns whether it was cached. */
static int count_cached(gr_ui *ui, int64_t generation, const char *key, int64_t *total)
{
    int found = 0;

    pthread_mutex_lock(&ui->cache_lock);
    for (size_t i = 0; i < UI_COUNT_CACHE_SIZE && !found; i++) {
        const ui_count_cache_entry *entry = &ui->count_cache[i];

        if (entry->query != NULL && entry->generation == generation &&
            strcmp(entry->query, key) == 0) {
            *total = entry->count;
            found = 1;
        }
    }
    pthread_mutex_unlock(&ui->cache_lock);
    return found;
}

static void count_store(gr_ui *ui, int64_t generation, const char *key, int64_t total)
{
    ui_count_cache_entry *slot;

    pthread_mutex_lock(&ui->cache_lock);
    slot = &ui->count_cache[ui->count_cache_next];
    ui->count_cache_next = (ui->count_cache_next + 1) % UI_COUNT_CACHE_SIZE;
    free(slot->query);
    slot->query = gr_xstrdup(key);
    slot->generation = generation;
    slot->count = total;
    pthread_mutex_unlock(&ui->cache_lock);
}


const ui_sort_key gr_ui__sort_keys[UI_SORT_KEY_COUNT] = {
    {"owner", "spec.owner"},
    {"type", "spec.type"},
    {"lifecycle", "spec.lifecycle"},
    {"system", "spec.system"},
};

/* Returns the index of `sort` in gr_ui__sort_keys, or -1 for the name sort. */
static int sort_index(const char *sort)
{
    for (size_t i = 0; sort != NULL && i < UI_SORT_KEY_COUNT; i++) {
        if (strcmp(sort, gr_ui__sort_keys[i].name) == 0)
            return (int)i;
    }
    return -1;
}

/* A filter of the catalog table on one search key: entities with one of `values`. */
typedef struct {
    const char *key;
    const char **values;
    size_t count;
    int64_t size; /* index entries that match, to order the filters */
} value_filter;

/* Appends "key = ? AND value IN (?, ...)" for `filter`. */
static void filter_condition(sql_builder *sql, const value_filter *filter)
{
    gr_buf_puts(&sql->text, "key = ");
    sql_param(sql, filter->key, 0);
    gr_buf_puts(&sql->text, " AND value IN (");
    for (size_t i = 0; i < filter->count; i++) {
        if (i > 0)
            gr_buf_putc(&sql->text, ',');
        sql_param(sql, filter->values[i], 1);
    }
    gr_buf_putc(&sql->text, ')');
}

static void where_values(sql_builder *sql, const value_filter *filter)
{
    if (filter->count == 0)
        return;
    gr_buf_puts(&sql->text, " AND fe.entity_id IN (SELECT entity_id FROM catalog_search WHERE ");
    filter_condition(sql, filter);
    gr_buf_putc(&sql->text, ')');
}

/* Counts the index entries that match `filter` alone, cached until the
 * catalog changes. On a failed count the filter keeps a size that sorts it last. */
static void filter_size(gr_ui *ui, int64_t generation, value_filter *filter)
{
    sql_builder sql;
    char *params;
    char *key;

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT count(*) FROM catalog_search WHERE ");
    filter_condition(&sql, filter);
    params = json_dumps(sql.params, JSON_COMPACT);
    key = gr_xasprintf("%s\n%s", gr_buf_cstr(&sql.text), params);
    filter->size = INT64_MAX;
    if (!count_cached(ui, generation, key, &filter->size) &&
        sql_each(ui, &sql, count_row, &filter->size) == 0)
        count_store(ui, generation, key, filter->size);
    sql_free(&sql);
    free(params);
    free(key);
}

/*
 * Appends the value filters, the one matching the fewest entities first.
 * SQLite drives the query from the first IN list and tests the others per
 * row, so the order decides the cost: with type=service (a third of
 * bench/ui's 100,000 components) before one owner (2%), a page reads 33,000
 * index entries instead of 2,000.
 */
static void where_value_filters(sql_builder *sql, gr_ui *ui, value_filter *filters, size_t count)
{
    size_t active = 0;
    int64_t generation = 0;

    for (size_t i = 0; i < count; i++)
        active += filters[i].count > 0;
    if (active > 1) {
        generation = gr_ui_catalog_generation(ui);
        for (size_t i = 0; i < count; i++) {
            if (filters[i].count > 0)
                filter_size(ui, generation, &filters[i]);
        }
    }

    /* Insertion sort: at most a handful of filters, and ties keep their order. */
    for (size_t i = 1; i < count; i++) {
        value_filter moved = filters[i];
        size_t j = i;

        for (; j > 0 && filters[j - 1].size > moved.size; j--)
            filters[j] = filters[j - 1];
        filters[j] = moved;
    }
    for (size_t i = 0; i < count; i++)
        where_values(sql, &filters[i]);
}

static void where_text(sql_builder *sql, const char *text)
{
    gr_buf pattern = GR_BUF_INIT;

    gr_buf_putc(&pattern, '%');
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            gr_buf_putc(&pattern, '\\');
        gr_buf_putc(&pattern, *p);
    }
    gr_buf_putc(&pattern, '%');
    gr_buf_puts(&sql->text, " AND fe.entity_id IN (SELECT entity_id FROM catalog_search"
                            " WHERE key IN ('metadata.name', 'metadata.title',"
                            " 'metadata.description', 'spec.profile.displayname')"
                            " AND value LIKE ");
    sql_param(sql, gr_buf_cstr(&pattern), 1);
    gr_buf_puts(&sql->text, " ESCAPE '\\')");
    gr_buf_free(&pattern);
}

/* Appends the conditions of `query` (each starting with " AND"). */
static void list_where(sql_builder *sql, gr_ui *ui, const gr_ui_list_query *query)
{
    gr_buf_puts(&sql->text, " WHERE 1 = 1");
    if (query->kind != NULL) {
        gr_buf_puts(&sql->text, " AND fe.kind = ");
        sql_param(sql, query->kind, 1);
    }
    if (query->namespace_count > 0) {
        gr_buf_puts(&sql->text, " AND fe.namespace IN (");
        for (size_t i = 0; i < query->namespace_count; i++) {
            if (i > 0)
                gr_buf_putc(&sql->text, ',');
            sql_param(sql, query->namespaces[i], 1);
        }
        gr_buf_putc(&sql->text, ')');
    }
    {
        value_filter filters[] = {
            {"spec.type", query->types, query->type_count, 0},
            {"relations.ownedby", query->owners, query->owner_count, 0},
            {"spec.lifecycle", query->lifecycles, query->lifecycle_count, 0},
            {"metadata.tags", query->tags, query->tag_count, 0},
            {"relations.ownedby", query->owned_by, query->owned_only ? query->owned_by_count : 0,
             0},
        };

        if (query->owned_only && query->owned_by_count == 0)
            gr_buf_puts(&sql->text, " AND 1 = 0");
        where_value_filters(sql, ui, filters, sizeof(filters) / sizeof(filters[0]));
    }
    if (query->starred_by != NULL) {
        gr_buf_puts(&sql->text,
                    " AND fe.entity_ref IN (SELECT entity_ref FROM ui_stars WHERE subject = ");
        sql_param(sql, query->starred_by, 0);
        gr_buf_putc(&sql->text, ')');
    }
    if (query->annotation != NULL) {
        char *key = gr_xasprintf("metadata.annotations.%s", query->annotation);

        gr_buf_puts(&sql->text, " AND fe.entity_id IN (SELECT entity_id FROM catalog_search"
                                " WHERE key = ");
        sql_param(sql, key, 1);
        gr_buf_putc(&sql->text, ')');
        free(key);
    }
    if (query->text != NULL && query->text[0] != '\0')
        where_text(sql, query->text);
    where_access(sql, query->access, "fe.entity_id");
}

/* Cursors are base64url of the JSON array [sort value, tie-breaker]: the
 * entity ref for the name sort and the entity id for the other sorts. */
static char *cursor_encode(const char *value, const char *tie)
{
    json_t *pair = json_pack("[ss]", value != NULL ? value : "", tie);
    char *text = json_dumps(pair, JSON_COMPACT);
    size_t len = strlen(text);
    char *out = gr_xmalloc(4 * ((len + 2) / 3) + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)len);

    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p != '\0'; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    free(text);
    json_decref(pair);
    return out;
}

/* Decodes a cursor into its sort value and tie-breaker. Returns 0 or GR_EINVALID. */
static int cursor_decode(const char *cursor, json_t **out)
{
    size_t len = strlen(cursor);
    char *padded = gr_xmalloc(len + 4);
    unsigned char *decoded = gr_xmalloc(len + 4);
    json_t *pair = NULL;
    int n;

    memcpy(padded, cursor, len);
    for (size_t i = 0; i < len; i++)
        padded[i] = padded[i] == '-' ? '+' : padded[i] == '_' ? '/' : padded[i];
    while (len % 4 != 0)
        padded[len++] = '=';
    padded[len] = '\0';
    n = EVP_DecodeBlock(decoded, (const unsigned char *)padded, (int)len);
    if (n >= 0) {
        while (n > 0 && decoded[n - 1] == '\0')
            n--;
        pair = json_loadb((const char *)decoded, (size_t)n, 0, NULL);
    }
    free(padded);
    free(decoded);
    if (!json_is_array(pair) || json_array_size(pair) != 2 ||
        !json_is_string(json_array_get(pair, 0)) || !json_is_string(json_array_get(pair, 1))) {
        json_decref(pair);
        return gr_error_set(GR_EINVALID, "Malformed page cursor; go back to the first page");
    }
    *out = pair;
    return 0;
}

/* Appends the rows after (`greater`) or before the cursor `pair` in the order of
 * the columns `sort` and `tie`. */
static void where_keyset(sql_builder *sql, const char *sort, const char *tie, const json_t *pair,
                         int greater)
{
    const char *op = greater ? ">" : "<";

    gr_buf_printf(&sql->text, " AND (%s %s ", sort, op);
    sql_param(sql, json_string_value(json_array_get(pair, 0)), 0);
    gr_buf_printf(&sql->text, " OR (%s = ", sort);
    sql_param(sql, json_string_value(json_array_get(pair, 0)), 0);
    gr_buf_printf(&sql->text, " AND %s %s ", tie, op);
    sql_param(sql, json_string_value(json_array_get(pair, 1)), 0);
    gr_buf_puts(&sql->text, "))");
}

typedef struct {
    json_t *entities;
    json_t *keys; /* [sort value, tie-breaker, ref] per row */
} list_rows;

/* Appends a row of the columns (ref, sort value, tie-breaker). */
static int append_list_row(gr_db_stmt *stmt, void *payload)
{
    list_rows *rows = payload;

    json_array_append_new(rows->keys, json_pack("[sss]", gr_db_column_text(stmt, 1) ?: "",
                                                gr_db_column_text(stmt, 2) ?: "",
                                                gr_db_column_text(stmt, 0)));
    return 0;
}

/* Reads the rows of the name sort: the index on (kind, name, entity_ref) or
 * (name, entity_ref) gives them in order. */
static int list_by_name(gr_ui *ui, const gr_ui_list_query *query, const json_t *pair,
                        int ascending, int limit, list_rows *rows)
{
    const char *dir = ascending ? "ASC" : "DESC";
    sql_builder sql;
    int error;

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT fe.entity_ref, fe.name, fe.entity_ref"
                           " FROM catalog_final_entities fe");
    list_where(&sql, ui, query);
    if (pair != NULL)
        where_keyset(&sql, "fe.name", "fe.entity_ref", pair, ascending);
    gr_buf_printf(&sql.text, " ORDER BY fe.name %s, fe.entity_ref %s LIMIT %d", dir, dir,
                  limit + 1);
    error = sql_each(ui, &sql, append_list_row, rows);
    sql_free(&sql);
    return error;
}

/*
 * Reads the entities with a value of the sort key, by their smallest
 * value: the catalog API's index catalog_search_key_value_entity_original on
 * (key, value, entity_id, original_value) gives them in order, so the query
 * stops after the page, and the rows ordered by entity and key (the table
 * itself on SQLite, an index on PostgreSQL) serve the smallest-value test.
 */
static int list_present(gr_ui *ui, const gr_ui_list_query *query, const char *key,
                        const json_t *pair, int ascending, int limit, list_rows *rows)
{
    const char *dir = ascending ? "ASC" : "DESC";
    sql_builder sql;
    int error;

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT fe.entity_ref, s.value, s.entity_id FROM catalog_search s"
                           " CROSS JOIN catalog_final_entities fe");
    list_where(&sql, ui, query);
    gr_buf_puts(&sql.text, " AND fe.entity_id = s.entity_id AND s.key = ");
    sql_param(&sql, key, 0);
    gr_buf_puts(&sql.text, " AND s.value IS NOT NULL");
    if (pair != NULL)
        where_keyset(&sql, "s.value", "s.entity_id", pair, ascending);
    gr_buf_puts(&sql.text, " AND NOT EXISTS (SELECT 1 FROM catalog_search m"
                           " WHERE m.entity_id = s.entity_id AND m.key = s.key"
                           " AND m.value < s.value)");
    gr_buf_printf(&sql.text, " ORDER BY s.value %s, s.entity_id %s LIMIT %d", dir, dir,
                  limit + 1);
    error = sql_each(ui, &sql, append_list_row, rows);
    sql_free(&sql);
    return error;
}

/*
 * Reads the entities without a value of the sort key, whose sort value is
 * "": from the cached list of their ids when it is short, else by a scan in
 * id order. `pair` (may be NULL) is the cursor, which only an empty value
 * narrows, because "" sorts before every other value.
 */
static int list_missing(gr_ui *ui, const gr_ui_list_query *query, int index, const json_t *pair,
                        int ascending, int limit, list_rows *rows)
{
    const char *dir = ascending ? "ASC" : "DESC";
    json_t *ids = NULL;
    sql_builder sql;
    int error;

    if ((error = gr_ui__sort_gaps(ui, (size_t)index, &ids)) < 0)
        return error;
    if (ids != NULL && json_array_size(ids) == 0) {
        json_decref(ids);
        return 0;
    }

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT fe.entity_ref, '', fe.entity_id"
                           " FROM catalog_final_entities fe");
    list_where(&sql, ui, query);
    if (ids != NULL) {
        gr_buf_puts(&sql.text, " AND fe.entity_id IN (");
        for (size_t i = 0; i < json_array_size(ids); i++) {
            if (i > 0)
                gr_buf_putc(&sql.text, ',');
            sql_param(&sql, json_string_value(json_array_get(ids, i)), 0);
        }
        gr_buf_putc(&sql.text, ')');
    } else {
        gr_buf_puts(&sql.text, " AND NOT EXISTS (SELECT 1 FROM catalog_search m"
                               " WHERE m.entity_id = fe.entity_id AND m.key = ");
        sql_param(&sql, gr_ui__sort_keys[index].key, 0);
        gr_buf_puts(&sql.text, " AND m.value IS NOT NULL)");
    }
    if (pair != NULL && json_string_value(json_array_get(pair, 0))[0] == '\0') {
        gr_buf_printf(&sql.text, " AND fe.entity_id %s ", ascending ? ">" : "<");
        sql_param(&sql, json_string_value(json_array_get(pair, 1)), 0);
    }
    gr_buf_printf(&sql.text, " ORDER BY fe.entity_id %s LIMIT %d", dir, limit + 1);
    error = sql_each(ui, &sql, append_list_row, rows);
    sql_free(&sql);
    json_decref(ids);
    return error;
}

/* Returns whether key row `a` comes before `b` in ascending order. Only
 * empty sort values can tie across the two lists, because a missing value
 * ("") sorts before every other value in any collation. */
static int key_before(const json_t *a, const json_t *b)
{
    const char *a_value = json_string_value(json_array_get(a, 0));
    const char *b_value = json_string_value(json_array_get(b, 0));

    if (a_value[0] == '\0' && b_value[0] == '\0')
        return strcmp(json_string_value(json_array_get(a, 1)),
                      json_string_value(json_array_get(b, 1))) < 0;
    return a_value[0] == '\0';
}

/*
 * Reads the rows of a sort by a search key: the entities with a value and
 * those without, each list in order, merged into `rows` up to `limit` + 1.
 */
static int list_by_key(gr_ui *ui, const gr_ui_list_query *query, int index, const json_t *pair,
                       int ascending, int limit, list_rows *rows)
{
    list_rows present = {NULL, json_array()};
    list_rows missing = {NULL, json_array()};
    int cursor_empty = pair != NULL && json_string_value(json_array_get(pair, 0))[0] == '\0';
    size_t p = 0;
    size_t m = 0;
    int error;

    error = list_present(ui, query, gr_ui__sort_keys[index].key, pair, ascending, limit,
                         &present);
    /* Going up, entities without a value come before any cursor with a value. */
    if (error == 0 && (pair == NULL || !ascending || cursor_empty))
        error = list_missing(ui, query, index, pair, ascending, limit, &missing);

    while (error == 0 && json_array_size(rows->keys) <= (size_t)limit &&
           (p < json_array_size(present.keys) || m < json_array_size(missing.keys))) {
        json_t *next_present = json_array_get(present.keys, p);
        json_t *next_missing = json_array_get(missing.keys, m);
        int take_missing;

        if (next_present == NULL || next_missing == NULL)
            take_missing = next_missing != NULL;
        else
            take_missing = ascending ? key_before(next_missing, next_present)
                                     : key_before(next_present, next_missing);
        json_array_append(rows->keys, take_missing ? next_missing : next_present);
        if (take_missing)
            m++;
        else
            p++;
    }
    json_decref(present.keys);
    json_decref(missing.keys);
    return error;
}

/* Loads the entities of the page's keys, in key order. Sorting only the
 * narrow keys and reading the (large) entity texts of one page afterwards
 * keeps the sort cheap on big catalogs. */
static int load_rows(gr_ui *ui, list_rows *rows)
{
    json_t *refs = json_array();
    json_t *by_ref = NULL;
    json_t *pair;
    size_t i;
    int error;

    json_array_foreach(rows->keys, i, pair)
        json_array_append(refs, json_array_get(pair, 2));
    error = gr_ui_entities_get(ui, refs, NULL, &by_ref);
    json_array_foreach(rows->keys, i, pair)
    {
        json_t *entity = json_object_get(by_ref, json_string_value(json_array_get(pair, 2)));

        if (error == 0 && entity != NULL)
            json_array_append(rows->entities, entity);
    }
    json_decref(refs);
    json_decref(by_ref);
    return error;
}

/*
 * Counts the entities that match the filters of `query`. Counting reads
 * every matching index entry (9 ms for the 100,000 components of bench/ui
 * on a shared 2-CPU machine), so counts are cached by query until the
 * catalog generation changes. Queries of a
 * user's stars are not cached, because starring does not change the
 * generation.
 */
static int list_count(gr_ui *ui, const gr_ui_list_query *query, int64_t *total)
{
    int64_t generation = query->starred_by == NULL ? gr_ui_catalog_generation(ui) : 0;
    sql_builder sql;
    char *params = NULL;
    char *key = NULL;
    int error;

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT count(*) FROM catalog_final_entities fe");
    list_where(&sql, ui, query);
    if (query->starred_by == NULL) {
        params = json_dumps(sql.params, JSON_COMPACT);
        key = gr_xasprintf("%s\n%s", gr_buf_cstr(&sql.text), params);
        if (count_cached(ui, generation, key, total)) {
            error = 0;
            goto done;
        }
    }
    error = sql_each(ui, &sql, count_row, total);
    if (error == 0 && key != NULL)
        count_store(ui, generation, key, *total);

done:
    sql_free(&sql);
    free(params);
    free(key);
    return error;
}

static char *key_cursor(const json_t *keys, size_t index)
{
    const json_t *pair = json_array_get(keys, index);

    return cursor_encode(json_string_value(json_array_get(pair, 0)),
                         json_string_value(json_array_get(pair, 1)));
}

static void reverse(json_t *array)
{
    size_t n = json_array_size(array);

    for (size_t i = 0; i < n / 2; i++) {
        json_t *a = json_incref(json_array_get(array, i));
        json_t *b = json_incref(json_array_get(array, n - 1 - i));

        json_array_set_new(array, i, b);
        json_array_set_new(array, n - 1 - i, a);
    }
}

int gr_ui_entity_list(gr_ui *ui, const gr_ui_list_query *query, gr_ui_list_page *page)
{
    int index = sort_index(query->sort);
    /* A page larger than the maximum shows the maximum, not the default. */
    int limit = query->limit > GR_UI_PAGE_SIZE_MAX ? GR_UI_PAGE_SIZE_MAX : query->limit;
    int backward = query->before != NULL && query->after == NULL;
    int ascending = query->descending ? backward : !backward;
    const char *cursor = backward ? query->before : query->after;
    list_rows rows = {json_array(), json_array()};
    json_t *pair = NULL;
    int more;
    int error;

    memset(page, 0, sizeof(*page));
    if (limit <= 0)
        limit = GR_UI_PAGE_SIZE;
    if (cursor != NULL && (error = cursor_decode(cursor, &pair)) < 0)
        goto done;

    if (index < 0)
        error = list_by_name(ui, query, pair, ascending, limit, &rows);
    else
        error = list_by_key(ui, query, index, pair, ascending, limit, &rows);
    if (error < 0 || (error = list_count(ui, query, &page->total)) < 0)
        goto done;

    more = json_array_size(rows.keys) > (size_t)limit;
    if (more)
        json_array_remove(rows.keys, (size_t)limit);
    if (backward)
        reverse(rows.keys);
    if ((error = load_rows(ui, &rows)) < 0)
        goto done;
    if (json_array_size(rows.keys) > 0) {
        size_t last = json_array_size(rows.keys) - 1;

        if (backward ? 1 : more)
            page->next = key_cursor(rows.keys, last);
        if (backward ? more : cursor != NULL)
            page->prev = key_cursor(rows.keys, 0);
    }
    page->entities = json_incref(rows.entities);

done:
    json_decref(pair);
    json_decref(rows.entities);
    json_decref(rows.keys);
    return error;
}

void gr_ui_list_page_free(gr_ui_list_page *page)
{
    if (page == NULL)
        return;
    json_decref(page->entities);
    free(page->next);
    free(page->prev);
    memset(page, 0, sizeof(*page));
}

/* ---- facets ---- */

static int append_facet_row(gr_db_stmt *stmt, void *payload)
{
    const char *value = gr_db_column_text(stmt, 0);
    const char *label = gr_db_column_text(stmt, 1);

    if (value == NULL)
        return 0;
    json_array_append_new(payload, json_pack("{s:s, s:s, s:I}", "value", value, "label",
                                             label != NULL ? label : value, "count",
                                             (json_int_t)gr_db_column_int64(stmt, 2)));
    return 0;
}

static int facet_query(gr_ui *ui, const char *kind, const json_t *access, const char *key,
                       json_t *out)
{
    sql_builder sql;
    int error;

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT s.value, min(COALESCE(s.original_value, s.value)),"
                           " count(DISTINCT s.entity_id)"
                           " FROM catalog_search s");
    if (kind != NULL) {
        gr_buf_puts(&sql.text, " JOIN catalog_final_entities fe ON fe.entity_id = s.entity_id"
                               " AND fe.kind = ");
        sql_param(&sql, kind, 1);
    }
    gr_buf_puts(&sql.text, " WHERE s.key = ");
    sql_param(&sql, key, 0);
    where_access(&sql, access, "s.entity_id");
    gr_buf_printf(&sql.text, " GROUP BY s.value ORDER BY s.value LIMIT %d",
                  GR_UI_MAX_FACET_VALUES);
    error = sql_each(ui, &sql, append_facet_row, out);
    sql_free(&sql);
    return error;
}

static int facet_column(gr_ui *ui, const char *kind, const json_t *access, const char *column,
                        json_t *out)
{
    sql_builder sql;
    int error;

    sql_init(&sql);
    gr_buf_printf(&sql.text, "SELECT %s, min(%s), count(*) FROM catalog_final_entities fe"
                             " WHERE 1 = 1",
                  column, column);
    if (kind != NULL) {
        gr_buf_puts(&sql.text, " AND fe.kind = ");
        sql_param(&sql, kind, 1);
    }
    where_access(&sql, access, "fe.entity_id");
    gr_buf_printf(&sql.text, " GROUP BY %s ORDER BY %s LIMIT %d", column, column,
                  GR_UI_MAX_FACET_VALUES);
    error = sql_each(ui, &sql, append_facet_row, out);
    sql_free(&sql);
    return error;
}

static int facets_compute(gr_ui *ui, const char *kind, const json_t *access, json_t **out)
{
    static const struct {
        const char *name;
        const char *key;
    } keys[] = {
        {"type", "spec.type"},
        {"owner", "relations.ownedby"},
        {"lifecycle", "spec.lifecycle"},
        {"tag", "metadata.tags"},
    };
    json_t *facets = json_object();
    json_t *list;
    int error;

    /* Kinds come from catalog_search, whose original values keep the case
     * written in the files ("Component"). */
    json_object_set_new(facets, "kinds", list = json_array());
    if ((error = facet_query(ui, NULL, access, "kind", list)) < 0)
        goto done;
    json_object_set_new(facets, "namespace", list = json_array());
    if ((error = facet_column(ui, kind, access, "fe.namespace", list)) < 0)
        goto done;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_object_set_new(facets, keys[i].name, list = json_array());
        if ((error = facet_query(ui, kind, access, keys[i].key, list)) < 0)
            goto done;
    }

done:
    if (error < 0) {
        json_decref(facets);
        return error;
    }
    *out = facets;
    return 0;
}

int gr_ui_facets(gr_ui *ui, const char *kind, const json_t *access, json_t **out)
{
    int64_t generation = gr_ui_catalog_generation(ui);
    const char *key = kind != NULL ? kind : "";
    json_t *facets = NULL;
    ui_facet_cache_entry *slot;
    int error;

    /* Counts over a caller's readable entities are the caller's own. */
    if (access != NULL)
        return facets_compute(ui, kind, access, out);
    pthread_mutex_lock(&ui->cache_lock);
    for (size_t i = 0; i < UI_FACET_CACHE_SIZE && facets == NULL; i++) {
        ui_facet_cache_entry *entry = &ui->facet_cache[i];

        if (entry->facets != NULL && entry->generation == generation &&
            strcmp(entry->kind, key) == 0)
            facets = json_incref(entry->facets);
    }
    pthread_mutex_unlock(&ui->cache_lock);
    if (facets != NULL) {
        *out = facets;
        return 0;
    }

    if ((error = facets_compute(ui, kind, NULL, &facets)) < 0)
        return error;
    pthread_mutex_lock(&ui->cache_lock);
    slot = &ui->facet_cache[ui->facet_cache_next];
    ui->facet_cache_next = (ui->facet_cache_next + 1) % UI_FACET_CACHE_SIZE;
    free(slot->kind);
    json_decref(slot->facets);
    slot->kind = gr_xstrdup(key);
    slot->generation = generation;
    slot->facets = json_incref(facets);
    pthread_mutex_unlock(&ui->cache_lock);
    *out = facets;
    return 0;
}

/* ---- ownership, recent changes, history ---- */

static int append_kind_count(gr_db_stmt *stmt, void *payload)
{
    json_array_append_new(payload, json_pack("{s:s, s:I}", "kind", gr_db_column_text(stmt, 0),
                                             "count", (json_int_t)gr_db_column_int64(stmt, 1)));
    return 0;
}

int gr_ui_owned_counts(gr_ui *ui, const char *owner_ref, const json_t *access, json_t **out)
{
    json_t *counts = json_array();
    sql_builder sql;
    int error;

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT fe.kind, count(*) FROM catalog_search s"
                           " JOIN catalog_final_entities fe ON fe.entity_id = s.entity_id"
                           " WHERE s.key = 'relations.ownedby' AND s.value = ");
    sql_param(&sql, owner_ref, 1);
    where_access(&sql, access, "fe.entity_id");
    gr_buf_puts(&sql.text, " GROUP BY fe.kind ORDER BY fe.kind");
    error = sql_each(ui, &sql, append_kind_count, counts);
    sql_free(&sql);
    if (error < 0) {
        json_decref(counts);
        return error;
    }
    *out = counts;
    return 0;
}

static int append_text(gr_db_stmt *stmt, void *payload)
{
    json_array_append_new(payload, json_string(gr_db_column_text(stmt, 0)));
    return 0;
}

int gr_ui_recent_entities(gr_ui *ui, int limit, const json_t *access, json_t **out)
{
    json_t *refs = json_array();
    json_t *by_ref = NULL;
    json_t *list = json_array();
    sql_builder sql;
    int error;

    /* The newest 200 history rows bound the work, however long the history is. */
    sql_init(&sql);
    gr_buf_printf(&sql.text, "SELECT entity_ref FROM (SELECT entity_ref, id FROM catalog_history"
                             " ORDER BY id DESC LIMIT 200) recent GROUP BY entity_ref"
                             " ORDER BY max(id) DESC LIMIT %d", limit);
    error = sql_each(ui, &sql, append_text, refs);
    sql_free(&sql);
    if (error == 0)
        error = gr_ui_entities_get(ui, refs, access, &by_ref);
    for (size_t i = 0; error == 0 && i < json_array_size(refs); i++) {
        json_t *entity = json_object_get(by_ref, json_string_value(json_array_get(refs, i)));

        if (entity != NULL)
            json_array_append(list, entity);
    }
    json_decref(refs);
    json_decref(by_ref);
    if (error < 0) {
        json_decref(list);
        return error;
    }
    *out = list;
    return 0;
}

static int append_history_row(gr_db_stmt *stmt, void *payload)
{
    json_t *diff = json_loads(gr_db_column_text(stmt, 4) ?: "null", JSON_DECODE_ANY, NULL);

    json_array_append_new(payload,
                          json_pack("{s:I, s:I, s:s, s:s, s:o}", "id",
                                    (json_int_t)gr_db_column_int64(stmt, 0), "changedAt",
                                    (json_int_t)gr_db_column_int64(stmt, 1), "cause",
                                    gr_db_column_text(stmt, 2) ?: "", "change",
                                    gr_db_column_text(stmt, 3) ?: "",
                                    "diff", diff != NULL ? diff : json_null()));
    return 0;
}

int gr_ui_entity_history(gr_ui *ui, const char *entity_ref, int limit, json_t **out)
{
    json_t *rows = json_array();
    sql_builder sql;
    int error;

    sql_init(&sql);
    gr_buf_puts(&sql.text, "SELECT id, changed_at, cause, change, diff FROM catalog_history"
                           " WHERE entity_ref = ");
    sql_param(&sql, entity_ref, 1);
    gr_buf_printf(&sql.text, " ORDER BY id DESC LIMIT %d", limit);
    error = sql_each(ui, &sql, append_history_row, rows);
    sql_free(&sql);
    if (error < 0) {
        json_decref(rows);
        return error;
    }
    *out = rows;
    return 0;
}

json_t *gr_ui_ownership_refs(gr_ui *ui, const char *user_ref)
{
    json_t *refs = json_array();
    json_t *user = NULL;
    json_t *relation;
    size_t i;

    json_array_append_new(refs, json_string(user_ref));
    if (gr_ui_entity_get(ui, user_ref, &user) < 0)
        return refs;
    json_array_foreach(json_object_get(user, "relations"), i, relation)
    {
        const char *type = json_string_value(json_object_get(relation, "type"));
        const char *target = json_string_value(json_object_get(relation, "targetRef"));

        if (type != NULL && target != NULL && strcmp(type, "memberOf") == 0) {
            char *lower = lower_copy(target);

            json_array_append_new(refs, json_string(lower));
            free(lower);
        }
    }
    json_decref(user);
    return refs;
}
