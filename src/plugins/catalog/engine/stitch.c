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
#include "plugins/catalog/engine/search.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/util.h"
#include "plugins/catalog/model/location.h"

/* Rows per multi-row INSERT into catalog_search; 4 parameters each. */
#define SEARCH_INSERT_ROWS 100

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
    json_t *diff;
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
    json_decref(item->diff);
}

static int claim(gr_catalog *catalog, bool all, stitch_item **items_out, size_t *count_out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    stitch_item *items = gr_xcalloc(GR_CATALOG_STITCH_BATCH, sizeof(*items));
    size_t count = 0;
    int64_t now = gr_catalog__now_ms();
    char *sql;
    int rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);

    if (rc != GR_OK)
        goto done;
    rc = gr_db_begin(conn);
    if (rc != GR_OK)
        goto done;
    sql = gr_xasprintf("SELECT entity_ref, ticket, cause FROM catalog_stitch_queue "
                       "WHERE next_stitch_at <= ? ORDER BY next_stitch_at LIMIT ?%s",
                       gr_db_sql_skip_locked(catalog->db));
    rc = gr_catalog__prepare(conn, sql, &stmt, "ii", all ? now + GR_CATALOG_STITCH_DELAY_MS : now,
                             (int64_t)GR_CATALOG_STITCH_BATCH);
    free(sql);
    if (rc != GR_OK)
        goto done;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        items[count].ref = gr_catalog__column_dup(stmt, 0);
        items[count].ticket = gr_catalog__column_dup(stmt, 1);
        items[count].cause = gr_catalog__column_dup(stmt, 2);
        count++;
    }
    gr_db_finalize(stmt);
    stmt = NULL;
    rc = rc == GR_DB_DONE ? GR_OK : rc;
    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        int64_t changed = gr_catalog__exec(conn,
                                           "UPDATE catalog_stitch_queue SET next_stitch_at = ? "
                                           "WHERE entity_ref = ? AND ticket = ?",
                                           "iss", now + GR_CATALOG_LEASE_MS, items[i].ref,
                                           items[i].ticket);
        if (changed < 0)
            rc = (int)changed;
    }
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
done:
    gr_db_finalize(stmt);
    if (rc != GR_OK) {
        gr_db_rollback(conn);
        for (size_t i = 0; i < count; i++)
            stitch_item_free(&items[i]);
        count = 0;
    }
    gr_db_release(conn);
    *items_out = items;
    *count_out = count;
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

static int read_relations(gr_db_conn *conn, const char *ref, json_t *relations)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_catalog__prepare(conn,
                                 "SELECT DISTINCT type, target_entity_ref FROM catalog_relations "
                                 "WHERE source_entity_ref = ?",
                                 &stmt, "s", ref);
    json_t **items = NULL;
    size_t count = 0;

    if (rc != GR_OK)
        return rc;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        items = gr_xrealloc(items, (count + 1) * sizeof(*items));
        items[count++] = json_pack("{s:s, s:s}", "type", gr_db_column_text(stmt, 0), "targetRef",
                                   gr_db_column_text(stmt, 1));
    }
    gr_db_finalize(stmt);
    /* Sorted by type, then target, in code-unit order (as Backstage's ORDER BY on SQLite). */
    for (size_t i = 1; i < count; i++) {
        json_t *current = items[i];
        size_t k = i;

        while (k > 0) {
            json_t *prev = items[k - 1];
            int c = strcmp(json_string_value(json_object_get(prev, "type")),
                           json_string_value(json_object_get(current, "type")));

            if (c == 0)
                c = strcmp(json_string_value(json_object_get(prev, "targetRef")),
                           json_string_value(json_object_get(current, "targetRef")));
            if (c <= 0)
                break;
            items[k] = prev;
            k--;
        }
        items[k] = current;
    }
    for (size_t i = 0; i < count; i++)
        json_array_append_new(relations, items[i]);
    free(items);
    return rc == GR_DB_DONE ? GR_OK : rc;
}

static void add_status(json_t *entity, const char *errors_text)
{
    json_t *errors = errors_text ? json_loads(errors_text, 0, NULL) : NULL;
    json_t *status;
    json_t *items;
    size_t index;
    json_t *error;

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
                                 "SELECT entity_id, processed_entity, errors FROM "
                                 "catalog_refresh_state WHERE entity_ref = ?",
                                 &stmt, "s", item->ref);

    if (rc != GR_OK)
        return rc;
    rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        item->entity_id = gr_catalog__column_dup(stmt, 0);
        processed = gr_catalog__column_dup(stmt, 1);
        errors = gr_catalog__column_dup(stmt, 2);
    }
    gr_db_finalize(stmt);
    if (rc != GR_DB_ROW && rc != GR_DB_DONE)
        goto done;
    rc = GR_OK;
    if (processed == NULL) {
        item->abandoned = true;
        goto done;
    }
    entity = json_loads(processed, 0, NULL);
    if (!json_is_object(entity)) {
        item->abandoned = true;
        goto done;
    }

    rc = gr_catalog__query_int(conn, &incoming,
                               "SELECT COUNT(*) FROM catalog_refs WHERE target_entity_ref = ?",
                               "s", item->ref);
    if (rc != GR_OK)
        goto done;
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

    rc = gr_catalog__prepare(conn,
                             "SELECT hash, final_entity FROM catalog_final_entities "
                             "WHERE entity_id = ?",
                             &stmt, "s", item->entity_id);
    if (rc != GR_OK)
        goto done;
    rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        old_hash = gr_catalog__column_dup(stmt, 0);
        if (old_hash != NULL && strcmp(old_hash, item->hash) != 0)
            old_final = gr_catalog__column_dup(stmt, 1);
    }
    gr_db_finalize(stmt);
    if (rc != GR_DB_ROW && rc != GR_DB_DONE)
        goto done;
    rc = GR_OK;
    if (old_hash != NULL && strcmp(old_hash, item->hash) == 0) {
        item->unchanged = true;
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
        item->diff = json_array();
    } else {
        json_t *old_entity = json_loads(old_final ? old_final : "null", 0, NULL);

        item->change = "updated";
        item->diff = gr_catalog__diff(old_entity, entity);
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

static int insert_search_rows(gr_db_conn *conn, const char *entity_id,
                              const gr_catalog_search_rows *rows)
{
    size_t done = 0;
    int rc = GR_OK;

    while (done < rows->count && rc == GR_OK) {
        size_t left = rows->count - done;
        size_t chunk = left >= SEARCH_INSERT_ROWS ? SEARCH_INSERT_ROWS : left >= 10 ? 10 : 1;
        gr_buf sql = GR_BUF_INIT;
        gr_db_stmt *stmt = NULL;

        gr_buf_puts(&sql, "INSERT INTO catalog_search (entity_id, key, original_value, value) "
                          "VALUES ");
        for (size_t i = 0; i < chunk; i++)
            gr_buf_puts(&sql, i ? ", (?, ?, ?, ?)" : "(?, ?, ?, ?)");
        rc = gr_db_prepare(conn, sql.data, &stmt);
        gr_buf_free(&sql);
        for (size_t i = 0; i < chunk && rc == GR_OK; i++) {
            const gr_catalog_search_row *row = &rows->items[done + i];
            int base = (int)i * 4;

            rc = gr_db_bind_text(stmt, base + 1, entity_id);
            if (rc == GR_OK)
                rc = gr_db_bind_text(stmt, base + 2, row->key);
            if (rc == GR_OK)
                rc = gr_db_bind_text(stmt, base + 3, row->original);
            if (rc == GR_OK)
                rc = gr_db_bind_text(stmt, base + 4, row->value);
        }
        if (rc == GR_OK) {
            int step = gr_db_step(stmt);

            rc = step == GR_DB_DONE ? GR_OK : step;
        }
        gr_db_finalize(stmt);
        done += chunk;
    }
    return rc;
}

static int write_item(gr_db_conn *conn, stitch_item *item, int64_t now, bool *written)
{
    char *ticket = NULL;
    int64_t exists = 0;
    int64_t changed;
    int rc = gr_catalog__query_text(conn, &ticket,
                                    "SELECT ticket FROM catalog_stitch_queue WHERE entity_ref = ?",
                                    "s", item->ref);

    *written = false;
    if (rc == GR_ENOTFOUND || (rc == GR_OK && (ticket == NULL || strcmp(ticket, item->ticket) != 0))) {
        /* Marked again meanwhile: the newer mark stitches it. */
        free(ticket);
        return GR_OK;
    }
    free(ticket);
    if (rc != GR_OK)
        return rc;
    if (!item->abandoned && !item->unchanged && !item->failed) {
        rc = gr_catalog__query_int(conn, &exists,
                                   "SELECT COUNT(*) FROM catalog_refresh_state WHERE entity_id = ?",
                                   "s", item->entity_id);
        if (rc == GR_OK && exists == 1) {
            changed = gr_catalog__exec(
                conn,
                "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash, final_entity, "
                "last_updated_at, kind, namespace, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (entity_id) DO UPDATE SET entity_ref = excluded.entity_ref, "
                "hash = excluded.hash, final_entity = excluded.final_entity, "
                "last_updated_at = excluded.last_updated_at, kind = excluded.kind, "
                "namespace = excluded.namespace, name = excluded.name",
                "ssssisss", item->entity_id, item->ref, item->hash, item->final_text, now,
                item->kind, item->namespace, item->name);
            if (changed >= 0)
                changed = gr_catalog__exec(conn, "DELETE FROM catalog_search WHERE entity_id = ?",
                                           "s", item->entity_id);
            rc = changed < 0 ? (int)changed : GR_OK;
            if (rc == GR_OK)
                rc = insert_search_rows(conn, item->entity_id, &item->search);
            if (rc == GR_OK)
                rc = gr_catalog__history_add(conn, item->ref, item->entity_id, now, item->cause,
                                             item->change, item->diff);
            *written = rc == GR_OK;
        }
    }
    if (rc == GR_OK) {
        changed = gr_catalog__exec(conn,
                                   "DELETE FROM catalog_stitch_queue WHERE entity_ref = ? "
                                   "AND ticket = ?",
                                   "ss", item->ref, item->ticket);
        rc = changed < 0 ? (int)changed : GR_OK;
    }
    return rc;
}

int gr_catalog__stitch_batch(gr_catalog *catalog, bool all, bool *did_work)
{
    stitch_item *items = NULL;
    size_t count = 0;
    bool *written = NULL;
    gr_db_conn *conn = NULL;
    int64_t now = gr_catalog__now_ms();
    int rc;

    *did_work = false;
    rc = claim(catalog, all, &items, &count);
    if (rc != GR_OK || count == 0)
        goto done;
    *did_work = true;
    written = gr_xcalloc(count, sizeof(bool));

    rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);
    for (size_t i = 0; i < count && rc == GR_OK; i++)
        rc = compute(catalog, conn, &items[i]);
    gr_db_release(conn);
    conn = NULL;
    if (rc != GR_OK)
        goto done;

    rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_begin(conn);
    for (size_t i = 0; i < count && rc == GR_OK; i++)
        rc = write_item(conn, &items[i], now, &written[i]);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    else
        gr_db_rollback(conn);
    gr_db_release(conn);
    if (rc == GR_OK) {
        for (size_t i = 0; i < count; i++) {
            if (written[i])
                gr_catalog__notify(catalog, items[i].ref, 0);
        }
    }
done:
    for (size_t i = 0; i < count; i++)
        stitch_item_free(&items[i]);
    free(items);
    free(written);
    return rc;
}
