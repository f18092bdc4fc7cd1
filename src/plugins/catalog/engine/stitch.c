/* SPDX-License-Identifier: MIT */
/* Stitching: final entities from processed ones, relations, status and search rows. */
#include "plugins/catalog/engine/stitch.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/history.h"
#include "plugins/catalog/engine/json_text.h"
#include "plugins/catalog/engine/search.h"
#include "plugins/catalog/engine/search_index.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/util.h"
#include "plugins/catalog/model/location.h"

/* What Backstage writes in place of a view or edit URL that would run script. */
#define REJECTED_URL "https://backstage.io/annotation-rejected-for-security-reasons"

typedef struct {
    char *ref;
    char *ticket;
    char *cause;
    /* Set while computing: */
    bool abandoned;  /* no row, or never processed: only drop the queue row */
    bool unchanged;  /* same hash as the stored final entity */
    bool failed;     /* the entity cannot be stitched (logged); the queue row is dropped */
    char *entity_id;
    char hash[GR_CATALOG_HASH_SIZE];
    char *final_text;
    char *kind, *namespace, *name;
    gr_catalog_search_rows search;
    const char *change; /* "created" or "updated" */
    char *diff; /* compact JSON, kept as text because a hub's diff tree is large */
} stitch_item;

static void stitch_item_free(stitch_item *item)
{
    free(item->ref);
    free(item->ticket);
    free(item->cause);
    free(item->entity_id);
    free(item->final_text);
    free(item->kind);
    free(item->namespace);
    free(item->name);
    gr_catalog__search_rows_free(&item->search);
    free(item->diff);
}

/*
 * Leases up to a batch of queue rows due by `due_by` inside the open
 * transaction on `conn`. The caller owns the items, also on failure.
 */
static int claim_in_transaction(gr_catalog *catalog, gr_db_conn *conn, int64_t due_by,
                                stitch_item **items_out, size_t *count_out)
{
    gr_db_stmt *stmt = NULL;
    stitch_item *items = gr_xcalloc(GR_CATALOG_STITCH_BATCH, sizeof(*items));
    size_t count = 0;
    int64_t now = gr_catalog__now_ms();
    char *sql;
    int rc;

    /* One statement leases the whole batch. In a profile of a first load of 100,000 entities,
     * a statement per row took about 0.3 s of the single SQLite writer's time. */
    sql = gr_xasprintf("UPDATE catalog_stitch_queue SET next_stitch_at = ?, lease_owner = ? "
                       "WHERE entity_ref IN (SELECT entity_ref FROM catalog_stitch_queue "
                       "WHERE next_stitch_at <= ? ORDER BY next_stitch_at LIMIT ?%s) "
                       "RETURNING entity_ref, ticket, cause",
                       gr_db_sql_skip_locked(catalog->db));
    rc = gr_catalog__prepare(conn, sql, &stmt, "isii", now + GR_CATALOG_LEASE_MS,
                             catalog->instance_id, due_by, (int64_t)GR_CATALOG_STITCH_BATCH);
    free(sql);
    if (rc == GR_OK) {
        while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
            items[count].ref = gr_catalog__column_dup(stmt, 0);
            items[count].ticket = gr_catalog__column_dup(stmt, 1);
            items[count].cause = gr_catalog__column_dup(stmt, 2);
            count++;
        }
        rc = rc == GR_DB_DONE ? GR_OK : rc;
    }
    gr_db_finalize(stmt);
    *items_out = items;
    *count_out = count;
    return rc;
}

/* Frees `count` items and their array. */
static void items_free(stitch_item *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        stitch_item_free(&items[i]);
    free(items);
}

/* Leases a batch in a transaction of its own. On failure nothing stays leased. */
static int claim(gr_catalog *catalog, int64_t due_by, stitch_item **items_out, size_t *count_out)
{
    gr_db_conn *conn = NULL;
    int rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);

    *items_out = NULL;
    *count_out = 0;
    if (rc != GR_OK)
        return rc;
    rc = gr_db_begin(conn);
    if (rc == GR_OK)
        rc = claim_in_transaction(catalog, conn, due_by, items_out, count_out);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    if (rc != GR_OK) {
        gr_db_rollback(conn);
        items_free(*items_out, *count_out);
        *items_out = NULL;
        *count_out = 0;
    }
    gr_db_release(conn);
    return rc;
}

/* True when `url` would run script: "javascript:" after leading control
 * characters and spaces, with tabs and line breaks allowed between letters. */
static bool is_script_url(const char *url)
{
    static const char word[] = "javascript:";
    const char *p = url;

    while (*p != '\0' && (unsigned char)*p <= 0x20)
        p++;
    for (size_t i = 0; word[i] != '\0'; i++) {
        if (i > 0)
            while (*p == '\r' || *p == '\n' || *p == '\t')
                p++;
        if (tolower((unsigned char)*p) != word[i])
            return false;
        p++;
    }
    return true;
}

typedef struct {
    char *type;
    char *target;
} relation_pair;

static int compare_pairs(const void *a, const void *b)
{
    const relation_pair *x = a;
    const relation_pair *y = b;
    int c = strcmp(x->type, y->type);

    return c != 0 ? c : strcmp(x->target, y->target);
}

/* Appends the relations whose source is `ref` to `relations`, each once, sorted by type and
 * then target in code-unit order (as Backstage's ORDER BY on SQLite). */
static int read_relations(gr_db_conn *conn, const char *ref, json_t *relations)
{
    gr_db_stmt *stmt = NULL;
    relation_pair *pairs = NULL;
    size_t count = 0, cap = 0;
    int rc = gr_catalog__prepare(conn,
                                 "SELECT type, target_entity_ref FROM catalog_relations "
                                 "WHERE source_entity_ref = ?",
                                 &stmt, "s", ref);

    if (rc != GR_OK)
        return rc;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            pairs = gr_xrealloc(pairs, cap * sizeof(*pairs));
        }
        pairs[count].type = gr_catalog__column_dup(stmt, 0);
        pairs[count].target = gr_catalog__column_dup(stmt, 1);
        count++;
    }
    gr_db_finalize(stmt);
    gr_catalog__sort(pairs, count, sizeof(*pairs), compare_pairs);
    /* Built without json_pack(), which took about 0.4 s here in a first load of 100,000
     * entities (868,000 relations). */
    for (size_t i = 0; i < count; i++) {
        json_t *type, *target, *relation;

        if (i > 0 && compare_pairs(&pairs[i], &pairs[i - 1]) == 0)
            continue;
        type = json_string(pairs[i].type);
        target = json_string(pairs[i].target);
        if (type == NULL || target == NULL) {
            /* Not UTF-8: left out, as json_pack() left it out. */
            json_decref(type);
            json_decref(target);
            continue;
        }
        relation = json_object();
        json_object_set_new_nocheck(relation, "type", type);
        json_object_set_new_nocheck(relation, "targetRef", target);
        json_array_append_new(relations, relation);
    }
    for (size_t i = 0; i < count; i++) {
        free(pairs[i].type);
        free(pairs[i].target);
    }
    free(pairs);
    return rc == GR_DB_DONE ? GR_OK : rc;
}

static void add_status(json_t *entity, const char *errors_text)
{
    json_t *errors = NULL;
    json_t *status;
    json_t *items;
    size_t index;
    json_t *error;

    if (errors_text == NULL || strcmp(errors_text, "[]") == 0)
        return;
    errors = json_loads(errors_text, 0, NULL);
    if (json_array_size(errors) == 0) {
        json_decref(errors);
        return;
    }
    status = json_object_get(entity, "status");
    if (!json_is_object(status)) {
        status = json_object();
        json_object_set_new(entity, "status", status);
    }
    items = json_object_get(status, "items");
    if (!json_is_array(items)) {
        items = json_array();
        json_object_set_new(status, "items", items);
    }
    json_array_foreach (errors, index, error) {
        const char *name = json_string_value(json_object_get(error, "name"));
        const char *message = json_string_value(json_object_get(error, "message"));
        char *text = gr_xasprintf("%s: %s", name ? name : "Error", message ? message : "");

        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:O}", "type",
                                               "backstage.io/catalog-processing", "level", "error",
                                               "message", text, "error", error));
        free(text);
    }
    json_decref(errors);
}

static int compute(gr_catalog *catalog, gr_db_conn *conn, stitch_item *item)
{
    gr_db_stmt *stmt = NULL;
    char *processed = NULL, *errors = NULL, *old_hash = NULL, *old_final = NULL;
    json_t *entity = NULL;
    json_t *annotations;
    int64_t incoming = 0;
    int rc = gr_catalog__prepare(conn,
                                 "SELECT rs.entity_id, rs.processed_entity, rs.errors, fe.hash, "
                                 "CASE WHEN EXISTS (SELECT 1 FROM catalog_refs r WHERE "
                                 "r.target_entity_ref = rs.entity_ref) THEN 1 ELSE 0 END "
                                 "FROM catalog_refresh_state rs LEFT JOIN "
                                 "catalog_final_entities fe ON fe.entity_id = rs.entity_id "
                                 "WHERE rs.entity_ref = ?",
                                 &stmt, "s", item->ref);

    if (rc != GR_OK)
        return rc;
    rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        item->entity_id = gr_catalog__column_dup(stmt, 0);
        processed = gr_catalog__column_dup(stmt, 1);
        errors = gr_catalog__column_dup(stmt, 2);
        old_hash = gr_catalog__column_dup(stmt, 3);
        incoming = gr_db_column_int64(stmt, 4);
    }
    gr_db_finalize(stmt);
    if (rc != GR_DB_ROW && rc != GR_DB_DONE)
        goto done;
    rc = GR_OK;
    if (processed == NULL) {
        item->abandoned = true;
        goto done;
    }
    entity = gr_catalog__json_read(processed);
    if (!json_is_object(entity)) {
        item->abandoned = true;
        goto done;
    }

    annotations = json_object_get(json_object_get(entity, "metadata"), "annotations");
    if (incoming == 0) {
        if (!json_is_object(annotations)) {
            annotations = json_object();
            json_object_set_new(json_object_get(entity, "metadata"), "annotations", annotations);
        }
        json_object_set_new(annotations, GR_ANNOTATION_ORPHAN, json_string("true"));
    }
    add_status(entity, errors);
    {
        static const char *const url_keys[] = {GR_ANNOTATION_VIEW_URL, GR_ANNOTATION_EDIT_URL};

        for (size_t i = 0; i < 2; i++) {
            const char *url = json_string_value(json_object_get(annotations, url_keys[i]));

            if (url != NULL && is_script_url(url))
                json_object_set_new(annotations, url_keys[i], json_string(REJECTED_URL));
        }
    }
    {
        json_t *relations = json_array();

        json_object_set_new(entity, "relations", relations);
        rc = read_relations(conn, item->ref, relations);
        if (rc != GR_OK)
            goto done;
    }
    gr_catalog__stable_hash(entity, item->hash);
    if (old_hash != NULL && strcmp(old_hash, item->hash) == 0) {
        item->unchanged = true;
        goto done;
    }
    if (old_hash != NULL) {
        rc = gr_catalog__query_text(conn, &old_final,
                                    "SELECT final_entity FROM catalog_final_entities "
                                    "WHERE entity_id = ?",
                                    "s", item->entity_id);
        if (rc == GR_ENOTFOUND) {
            /* Deleted meanwhile: stitched as new. */
            free(old_hash);
            old_hash = NULL;
            rc = GR_OK;
        }
        if (rc != GR_OK)
            goto done;
    }

    {
        json_t *metadata = json_object_get(entity, "metadata");

        json_object_set_new(metadata, "uid", json_string(item->entity_id));
        if (json_object_get(metadata, "etag") == NULL)
            json_object_set_new(metadata, "etag", json_string(item->hash));
    }
    if (gr_catalog__search_rows(entity, catalog->ctype, &item->search) != GR_OK) {
        gr_warn("catalog", "stitching %s failed: %s", item->ref, gr_error_last());
        item->failed = true;
        goto done;
    }
    item->final_text = gr_catalog__json_text(entity);
    item->kind = gr_catalog__ascii_lower(
        gr_xstrdup(json_string_value(json_object_get(entity, "kind"))));
    item->namespace = gr_catalog__ascii_lower(gr_xstrdup(json_string_value(
        json_object_get(json_object_get(entity, "metadata"), "namespace"))));
    item->name = gr_catalog__ascii_lower(
        gr_xstrdup(json_string_value(json_object_get(json_object_get(entity, "metadata"), "name"))));
    if (old_hash == NULL) {
        item->change = "created";
        item->diff = gr_xstrdup("[]");
    } else {
        json_t *old_entity = json_loads(old_final ? old_final : "null", 0, NULL);
        json_t *diff = gr_catalog__diff(old_entity, entity);

        item->change = "updated";
        item->diff = gr_catalog__json_text(diff);
        json_decref(diff);
        json_decref(old_entity);
    }
done:
    json_decref(entity);
    free(processed);
    free(errors);
    free(old_hash);
    free(old_final);
    return rc;
}

/* Orders search rows by key, then value, then original value; NULL before any text. */
static int compare_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int compare_rows(const gr_catalog_search_row *x, const gr_catalog_search_row *y)
{
    int c = strcmp(x->key, y->key);

    if (c == 0)
        c = compare_text(x->value, y->value);
    if (c == 0)
        c = compare_text(x->original, y->original);
    return c;
}

static int compare_row_pointers(const void *a, const void *b)
{
    return compare_rows(*(const gr_catalog_search_row *const *)a,
                        *(const gr_catalog_search_row *const *)b);
}

/*
 * A search row waiting to be inserted; both pointers are borrowed. `ordinal`
 * distinguishes rows of the same entity and key, and is part of the primary
 * key on SQLite.
 */
typedef struct {
    const char *entity_id;
    const gr_catalog_search_row *row;
    int64_t ordinal;
} pending_row;

typedef struct {
    pending_row *items;
    size_t count;
    size_t cap;
} pending_rows;

static void pending_push(pending_rows *rows, const char *entity_id,
                         const gr_catalog_search_row *row, int64_t ordinal)
{
    if (rows->count == rows->cap) {
        rows->cap = rows->cap ? rows->cap * 2 : 1024;
        rows->items = gr_xrealloc(rows->items, rows->cap * sizeof(*rows->items));
    }
    rows->items[rows->count].entity_id = entity_id;
    rows->items[rows->count].row = row;
    rows->items[rows->count].ordinal = ordinal;
    rows->count++;
}

static int compare_pending(const void *a, const void *b)
{
    const pending_row *x = a;
    const pending_row *y = b;
    int c = compare_rows(x->row, y->row);

    return c != 0 ? c : strcmp(x->entity_id, y->entity_id);
}

/* Orders pending rows as the SQLite table's key does: by entity, key and ordinal. */
static int compare_pending_by_entity(const void *a, const void *b)
{
    const pending_row *x = a;
    const pending_row *y = b;
    int c = strcmp(x->entity_id, y->entity_id);

    if (c == 0)
        c = strcmp(x->row->key, y->row->key);
    if (c == 0)
        c = (x->ordinal > y->ordinal) - (x->ordinal < y->ordinal);
    return c;
}

/* Binds one search row; the batch's items outlive the statement's reset after each step. */
/*
 * Binds one search row. The original value is stored only where it differs from the
 * lower-cased value, and readers take COALESCE(original_value, value). Most values are lower
 * case already, and the copy made each row about a fifth longer, in the table and in its
 * covering index.
 */
static int bind_row(gr_db_stmt *stmt, int first, size_t index, void *payload)
{
    const pending_row *pending = &((const pending_row *)payload)[index];
    const char *original = pending->row->original;
    const char *value = pending->row->value;
    int rc = gr_db_bind_text_borrowed(stmt, first, pending->entity_id);

    if (original != NULL && value != NULL && strcmp(original, value) == 0)
        original = NULL;
    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 1, pending->row->key);
    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 2, original);
    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 3, pending->row->value);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, first + 4, pending->ordinal);
    return rc;
}

/* Returns whether `rows` are already in the order of `compare`. */
static bool pending_sorted(const pending_rows *rows, int (*compare)(const void *, const void *))
{
    for (size_t i = 1; i < rows->count; i++) {
        if (compare(&rows->items[i - 1], &rows->items[i]) > 0)
            return false;
    }
    return true;
}

/*
 * Inserts the rows of a whole batch sorted by key and value, so that the
 * key/value index receives them in order and each of its pages is written
 * once per batch rather than once per entity. While that index waits for the
 * end of a first load, the rows go in by entity instead, in the order of the
 * table's key on SQLite (and of the (entity_id, key, value) index on
 * PostgreSQL), which they then append to (ids grow with time). Rows that are
 * already in order, as sort_by_entity() leaves them, are not sorted again
 * while the write connection is held.
 */
static int insert_search_rows(gr_catalog *catalog, gr_db_conn *conn, pending_rows *rows)
{
    int (*compare)(const void *, const void *) =
        gr_catalog__search_index_waiting(catalog) ? compare_pending_by_entity : compare_pending;

    if (!pending_sorted(rows, compare))
        gr_catalog__sort(rows->items, rows->count, sizeof(*rows->items), compare);
    return gr_catalog__insert_rows(conn,
                                   "INSERT INTO catalog_search (entity_id, key, original_value, "
                                   "value, ordinal) VALUES ",
                                   5, rows->count, bind_row, rows->items);
}

/* Reads the stored search rows of an entity and the highest ordinal among them (0 for none). */
static int read_search_rows(gr_db_conn *conn, const char *entity_id, gr_catalog_search_rows *out,
                            int64_t *max_ordinal)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_catalog__prepare(conn,
                                 "SELECT key, COALESCE(original_value, value), value, ordinal "
                                 "FROM catalog_search "
                                 "WHERE entity_id = ?",
                                 &stmt, "s", entity_id);

    memset(out, 0, sizeof(*out));
    *max_ordinal = 0;
    if (rc != GR_OK)
        return rc;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *key = gr_db_column_text(stmt, 0);

        gr_catalog__search_rows_push(out, key != NULL ? key : "", gr_db_column_text(stmt, 1),
                                     gr_db_column_text(stmt, 2));
        if (gr_db_column_int64(stmt, 3) > *max_ordinal)
            *max_ordinal = gr_db_column_int64(stmt, 3);
    }
    gr_db_finalize(stmt);
    return rc == GR_DB_DONE ? GR_OK : rc;
}

static int delete_search_row(gr_db_conn *conn, const char *entity_id,
                             const gr_catalog_search_row *row)
{
    int64_t changed;

    if (row->value == NULL)
        changed = gr_catalog__exec(conn,
                                   "DELETE FROM catalog_search WHERE entity_id = ? AND key = ? "
                                   "AND value IS NULL",
                                   "ss", entity_id, row->key);
    else
        changed = gr_catalog__exec(conn,
                                   "DELETE FROM catalog_search WHERE entity_id = ? AND key = ? "
                                   "AND value = ? AND COALESCE(original_value, value) = ?",
                                   "ssss", entity_id, row->key, row->value, row->original);
    return changed < 0 ? (int)changed : GR_OK;
}

/*
 * Brings the stored search rows of an entity to the item's rows: deletes
 * the rows that went away and queues the new ones in `pending`, so that a
 * group gaining one member changes one row instead of rewriting hundreds.
 * When most rows change, or the stored rows are not in the form this code
 * writes, every row is replaced.
 */
static int update_search_rows(gr_db_conn *conn, const stitch_item *item, bool had_final,
                              pending_rows *pending)
{
    gr_catalog_search_rows old;
    const gr_catalog_search_row **old_sorted = NULL, **new_sorted = NULL;
    size_t new_count = item->search.count;
    size_t a = 0, b = 0, gone = 0;
    int64_t max_ordinal = 0;
    bool replace_all = false;
    int rc;

    /* Search rows belong to a final entity (a delete trigger removes them with it). */
    if (!had_final) {
        for (size_t i = 0; i < new_count; i++)
            pending_push(pending, item->entity_id, &item->search.items[i], (int64_t)i);
        return GR_OK;
    }
    rc = read_search_rows(conn, item->entity_id, &old, &max_ordinal);
    if (rc != GR_OK)
        goto done;
    old_sorted = gr_xmalloc((old.count + 1) * sizeof(*old_sorted));
    new_sorted = gr_xmalloc((new_count + 1) * sizeof(*new_sorted));
    for (size_t i = 0; i < old.count; i++)
        old_sorted[i] = &old.items[i];
    for (size_t i = 0; i < new_count; i++)
        new_sorted[i] = &item->search.items[i];
    gr_catalog__sort(old_sorted, old.count, sizeof(*old_sorted), compare_row_pointers);
    gr_catalog__sort(new_sorted, new_count, sizeof(*new_sorted), compare_row_pointers);

    /* Count the rows that go away. A duplicate or half-NULL stored row means a full rewrite. */
    for (size_t i = 0; i < old.count && !replace_all; i++) {
        replace_all = (old_sorted[i]->value == NULL) != (old_sorted[i]->original == NULL) ||
                      (i > 0 && compare_rows(old_sorted[i], old_sorted[i - 1]) == 0);
    }
    while (!replace_all && a < old.count) {
        int c = b < new_count ? compare_rows(old_sorted[a], new_sorted[b]) : -1;

        if (c <= 0)
            gone += c < 0;
        a += c <= 0;
        b += c >= 0;
    }
    replace_all = replace_all || gone * 2 > old.count;

    if (replace_all) {
        int64_t changed = gr_catalog__exec(conn, "DELETE FROM catalog_search WHERE entity_id = ?",
                                           "s", item->entity_id);

        rc = changed < 0 ? (int)changed : GR_OK;
        for (size_t i = 0; i < new_count && rc == GR_OK; i++)
            pending_push(pending, item->entity_id, new_sorted[i], (int64_t)i);
        goto done;
    }
    a = 0;
    b = 0;
    while (rc == GR_OK && (a < old.count || b < new_count)) {
        int c;

        if (a == old.count)
            c = 1;
        else if (b == new_count)
            c = -1;
        else
            c = compare_rows(old_sorted[a], new_sorted[b]);

        if (c < 0)
            rc = delete_search_row(conn, item->entity_id, old_sorted[a]);
        else if (c > 0)
            pending_push(pending, item->entity_id, new_sorted[b], ++max_ordinal);
        a += c <= 0;
        b += c >= 0;
    }
done:
    free(old_sorted);
    free(new_sorted);
    gr_catalog__search_rows_free(&old);
    return rc;
}

static int compare_item_refs(const void *a, const void *b)
{
    const stitch_item *x = *(const stitch_item *const *)a;
    const stitch_item *y = *(const stitch_item *const *)b;

    return strcmp(x->ref, y->ref);
}

/*
 * Deletes the batch's rows of the stitch queue in the order of their refs and
 * records in `owned` which items still held the ticket they were claimed
 * with. A ticket that changed means the entity was marked again meanwhile, so
 * the newer mark stitches it. Processing results mark rows in the same order
 * (gr_catalog__marks_flush()), so on PostgreSQL the two do not wait for each
 * other's queue rows in a cycle.
 */
static int take_queue_rows(gr_db_conn *conn, const stitch_item *items, size_t count, bool *owned)
{
    const stitch_item **by_ref = gr_xmalloc((count + 1) * sizeof(*by_ref));
    int rc = GR_OK;

    for (size_t i = 0; i < count; i++)
        by_ref[i] = &items[i];
    gr_catalog__sort(by_ref, count, sizeof(*by_ref), compare_item_refs);

    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        int64_t changed = gr_catalog__exec(conn,
                                           "DELETE FROM catalog_stitch_queue WHERE entity_ref = ? "
                                           "AND ticket = ?",
                                           "ss", by_ref[i]->ref, by_ref[i]->ticket);

        rc = changed < 0 ? (int)changed : GR_OK;
        owned[by_ref[i] - items] = changed > 0;
    }
    free(by_ref);
    return rc;
}

/* An item that write_batch() stores, with what the database has for its entity. */
typedef struct {
    const stitch_item *item;
    size_t index;   /* in the batch */
    bool exists;    /* the entity still has its refresh state row */
    bool had_final; /* and a final entity already */
} batch_entry;

static int compare_entries_by_entity(const void *a, const void *b)
{
    const batch_entry *x = a;
    const batch_entry *y = b;

    return strcmp(x->item->entity_id, y->item->entity_id);
}

/* Compares an entity id (the bsearch key) with the entity id of a batch entry. */
static int compare_id_with_entry(const void *key, const void *entry)
{
    return strcmp(key, ((const batch_entry *)entry)->item->entity_id);
}

/*
 * Reads for `count` entries, sorted by entity id, whether their entity still
 * has a refresh state row (it may have been deleted since it was computed)
 * and a final entity, GR_CATALOG_INSERT_ROWS entities per statement.
 */
static int read_entity_states(gr_db_conn *conn, batch_entry *entries, size_t count)
{
    int rc = GR_OK;

    for (size_t first = 0; first < count && rc == GR_OK; first += GR_CATALOG_INSERT_ROWS) {
        size_t rows = count - first;
        gr_db_stmt *stmt = NULL;
        int step = GR_DB_DONE;

        if (rows > GR_CATALOG_INSERT_ROWS)
            rows = GR_CATALOG_INSERT_ROWS;
        rc = gr_catalog__prepare_in(conn,
                                    "SELECT rs.entity_id, EXISTS (SELECT 1 FROM "
                                    "catalog_final_entities fe WHERE fe.entity_id = rs.entity_id) "
                                    "FROM catalog_refresh_state rs WHERE rs.entity_id IN (",
                                    rows, &stmt);
        for (size_t i = 0; i < rows && rc == GR_OK; i++)
            rc = gr_db_bind_text_borrowed(stmt, (int)i + 1, entries[first + i].item->entity_id);
        while (rc == GR_OK && (step = gr_db_step(stmt)) == GR_DB_ROW) {
            const char *entity_id = gr_db_column_text(stmt, 0);
            batch_entry *found = NULL;

            if (entity_id != NULL)
                found = bsearch(entity_id, entries + first, rows, sizeof(*entries),
                                compare_id_with_entry);
            if (found != NULL) {
                found->exists = true;
                found->had_final = gr_db_column_int64(stmt, 1) != 0;
            }
        }
        if (rc == GR_OK && step != GR_DB_DONE)
            rc = step;
        gr_db_finalize(stmt);
    }
    return rc;
}

/* The rows that write_batch() inserts or updates: entries, and the time of the change. */
typedef struct {
    const batch_entry *const *entries;
    int64_t now;
} batch_rows;

static int bind_final_entity(gr_db_stmt *stmt, int first, size_t row, void *payload)
{
    const batch_rows *rows = payload;
    const stitch_item *item = rows->entries[row]->item;
    const char *texts[] = {item->entity_id, item->ref, item->hash, item->final_text};
    const char *names[] = {item->kind, item->namespace, item->name};
    int rc = GR_OK;

    for (int i = 0; i < 4 && rc == GR_OK; i++)
        rc = gr_db_bind_text_borrowed(stmt, first + i, texts[i]);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, first + 4, rows->now);
    for (int i = 0; i < 3 && rc == GR_OK; i++)
        rc = gr_db_bind_text_borrowed(stmt, first + 5 + i, names[i]);
    return rc;
}

static int bind_history(gr_db_stmt *stmt, int first, size_t row, void *payload)
{
    const batch_rows *rows = payload;
    const stitch_item *item = rows->entries[row]->item;
    int rc = gr_db_bind_text_borrowed(stmt, first, item->ref);

    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 1, item->entity_id);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, first + 2, rows->now);
    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 3, item->cause ? item->cause : "refresh");
    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 4, item->change);
    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 5, item->diff);
    return rc;
}

/*
 * Writes the computed items that are `owned` (their queue rows kept the
 * claimed ticket) and still have their refresh state row. Final entities and
 * history rows go many per statement, and search rows into `pending`. Sets
 * written[i] for each item written.
 */
static int write_items(gr_db_conn *conn, const stitch_item *items, size_t count, const bool *owned,
                       int64_t now, pending_rows *pending, bool *written)
{
    batch_entry *entries = gr_xcalloc(count + 1, sizeof(*entries));
    const batch_entry **stored = gr_xcalloc(count + 1, sizeof(*stored));
    size_t entry_count = 0, stored_count = 0;
    batch_rows rows = {.entries = stored, .now = now};
    int rc;

    for (size_t i = 0; i < count; i++) {
        const stitch_item *item = &items[i];

        if (owned[i] && !item->abandoned && !item->unchanged && !item->failed)
            entries[entry_count++] = (batch_entry){.item = item, .index = i};
    }
    gr_catalog__sort(entries, entry_count, sizeof(*entries), compare_entries_by_entity);
    rc = read_entity_states(conn, entries, entry_count);
    for (size_t i = 0; i < entry_count; i++) {
        if (entries[i].exists)
            stored[stored_count++] = &entries[i];
    }

    if (rc == GR_OK)
        rc = gr_catalog__upsert_rows(
            conn,
            "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash, final_entity, "
            "last_updated_at, kind, namespace, name) VALUES ",
            " ON CONFLICT (entity_id) DO UPDATE SET entity_ref = excluded.entity_ref, "
            "hash = excluded.hash, final_entity = excluded.final_entity, "
            "last_updated_at = excluded.last_updated_at, kind = excluded.kind, "
            "namespace = excluded.namespace, name = excluded.name",
            8, stored_count, bind_final_entity, &rows);
    for (size_t i = 0; i < stored_count && rc == GR_OK; i++)
        rc = update_search_rows(conn, stored[i]->item, stored[i]->had_final, pending);
    if (rc == GR_OK)
        rc = gr_catalog__insert_rows(conn,
                                     "INSERT INTO catalog_history (entity_ref, entity_id, "
                                     "changed_at, cause, change, diff) VALUES ",
                                     6, stored_count, bind_history, &rows);
    for (size_t i = 0; i < stored_count && rc == GR_OK; i++)
        written[stored[i]->index] = true;

    free(stored);
    free(entries);
    return rc;
}

static int compare_items_by_entity(const void *a, const void *b)
{
    const stitch_item *x = a;
    const stitch_item *y = b;

    if (x->entity_id == NULL || y->entity_id == NULL)
        return (x->entity_id != NULL) - (y->entity_id != NULL);
    return strcmp(x->entity_id, y->entity_id);
}

/*
 * Orders computed items by entity id while the search index waits for the end
 * of a first load. Each item's search rows are sorted by key and value, so the
 * batch's rows then come out in the order insert_search_rows() needs, and the
 * sort happens before the write connection is taken.
 */
static void sort_by_entity(gr_catalog *catalog, stitch_item *items, size_t count)
{
    if (gr_catalog__search_index_waiting(catalog))
        gr_catalog__sort(items, count, sizeof(*items), compare_items_by_entity);
}

/* The batch that the write of a stitched batch leases for the next round. */
typedef struct {
    int64_t due_by; /* lease rows due by this time, or nothing when 0 */
    stitch_item *items;
    size_t count;
} next_batch;

/* Runs one transaction that stores a computed batch, from BEGIN to COMMIT or ROLLBACK, and
 * leases the next batch in it when next->due_by is set. */
static int write_batch(gr_catalog *catalog, gr_db_conn *conn, const stitch_item *items,
                       size_t count, int64_t now, bool *owned, bool *written, next_batch *next)
{
    pending_rows pending = {0};
    int rc = gr_db_begin(conn);

    memset(written, 0, count * sizeof(*written));
    if (rc == GR_OK)
        rc = take_queue_rows(conn, items, count, owned);
    if (rc == GR_OK)
        rc = write_items(conn, items, count, owned, now, &pending, written);
    if (rc == GR_OK)
        rc = insert_search_rows(catalog, conn, &pending);
    if (rc == GR_OK && next->due_by > 0)
        rc = claim_in_transaction(catalog, conn, next->due_by, &next->items, &next->count);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    if (rc != GR_OK) {
        gr_db_rollback(conn);
        items_free(next->items, next->count);
        next->items = NULL;
        next->count = 0;
    }
    free(pending.items);
    return rc;
}

/* Computes and stores one leased batch. Its write also leases `next` when next->due_by is set. */
static int stitch_items(gr_catalog *catalog, stitch_item *items, size_t count, next_batch *next)
{
    bool *owned = gr_xcalloc(count, sizeof(bool));
    bool *written = gr_xcalloc(count, sizeof(bool));
    gr_db_conn *conn = NULL;
    int64_t now = gr_catalog__now_ms();
    int rc = gr_catalog__relations_index_build(catalog, GR_CATALOG_RELATIONS_SCAN_ROWS);

    if (rc == GR_OK)
        rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);
    for (size_t i = 0; i < count && rc == GR_OK; i++)
        rc = compute(catalog, conn, &items[i]);
    gr_db_release(conn);
    conn = NULL;
    if (rc != GR_OK)
        goto done;
    sort_by_entity(catalog, items, count);

    rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    for (int attempt = 1; conn != NULL; attempt++) {
        rc = write_batch(catalog, conn, items, count, now, owned, written, next);
        if (!gr_catalog__retry_aborted(conn, rc, attempt, "storing %zu stitched entities", count))
            break;
    }
    gr_db_release(conn);
    if (rc == GR_OK) {
        for (size_t i = 0; i < count; i++) {
            if (written[i])
                gr_catalog__notify(catalog, items[i].ref, 0);
        }
    }
done:
    free(owned);
    free(written);
    return rc;
}

int gr_catalog__stitch_batch(gr_catalog *catalog, int64_t due_by, bool *did_work)
{
    stitch_item *items = NULL;
    size_t count = 0;
    int rc;

    *did_work = false;
    rc = claim(catalog, due_by, &items, &count);
    for (int round = 1; rc == GR_OK && count > 0; round++) {
        /* A full batch suggests more due rows, so its write leases the next one: a lease of
         * its own would wait for the write lock behind other workers' writes. */
        bool full = count == GR_CATALOG_STITCH_BATCH && round < GR_CATALOG_STITCH_ROUNDS;
        next_batch next = {full ? due_by : 0, NULL, 0};

        *did_work = true;
        rc = stitch_items(catalog, items, count, &next);
        items_free(items, count);
        items = next.items;
        count = next.count;
    }
    items_free(items, count);
    return rc;
}
