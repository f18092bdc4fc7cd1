/* SPDX-License-Identifier: MIT */
/* Writes of the processing loop: claims, results, children, refs, relations, stitch marks. */
#include "plugins/catalog/engine/store.h"

#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/model/location.h"

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void gr_catalog__marks_push(gr_catalog_marks *marks, const char *ref, const char *cause)
{
    if (marks->count == marks->cap) {
        marks->cap = marks->cap ? marks->cap * 2 : 16;
        marks->refs = gr_xrealloc(marks->refs, marks->cap * sizeof(char *));
        marks->causes = gr_xrealloc(marks->causes, marks->cap * sizeof(char *));
    }
    marks->refs[marks->count] = gr_xstrdup(ref);
    marks->causes[marks->count] = cause ? gr_xstrdup(cause) : NULL;
    marks->count++;
}

void gr_catalog__marks_free(gr_catalog_marks *marks)
{
    for (size_t i = 0; i < marks->count; i++) {
        free(marks->refs[i]);
        free(marks->causes[i]);
    }
    free(marks->refs);
    free(marks->causes);
    memset(marks, 0, sizeof(*marks));
}

typedef struct {
    const char *ref;
    const char *cause;
    size_t index;
    char ticket[96];
    int64_t due;
} mark_entry;

static int compare_marks(const void *a, const void *b)
{
    const mark_entry *x = a;
    const mark_entry *y = b;
    int c = strcmp(x->ref, y->ref);

    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int bind_mark(gr_db_stmt *stmt, int first, size_t row, void *payload)
{
    const mark_entry *entry = &((const mark_entry *)payload)[row];
    int rc = gr_db_bind_text(stmt, first, entry->ref);

    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, first + 1, entry->ticket);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, first + 2, entry->due);
    if (rc == GR_OK)
        rc = entry->cause ? gr_db_bind_text(stmt, first + 3, entry->cause)
                          : gr_db_bind_null(stmt, first + 3);
    return rc;
}

int gr_catalog__marks_flush(gr_catalog *catalog, gr_db_conn *conn, gr_catalog_marks *marks)
{
    mark_entry *entries;
    size_t unique = 0;
    int64_t now = gr_catalog__now_ms();
    int rc;

    if (marks->count == 0)
        return GR_OK;
    entries = gr_xcalloc(marks->count, sizeof(*entries));
    for (size_t i = 0; i < marks->count; i++) {
        entries[i].ref = marks->refs[i];
        entries[i].cause = marks->causes[i];
        entries[i].index = i;
    }
    gr_catalog__sort(entries, marks->count, sizeof(*entries), compare_marks);

    /* The last mark of a ref carries its cause. Each ref is written once, because one
     * statement may not update a row twice. */
    for (size_t i = 0; i < marks->count; i++) {
        if (i + 1 < marks->count && strcmp(entries[i].ref, entries[i + 1].ref) == 0)
            continue;
        entries[unique] = entries[i];
        snprintf(entries[unique].ticket, sizeof(entries[unique].ticket), "%s:%llu",
                 catalog->instance_id,
                 (unsigned long long)atomic_fetch_add(&catalog->stitch_tickets, 1));
        entries[unique].due = now + GR_CATALOG_STITCH_DELAY_MS;
        unique++;
    }

    /*
     * A row marked again keeps its earlier due time, so an entity that every batch touches
     * (a group owning thousands) is stitched about once per delay instead of once per batch.
     * A row that no stitch has leased is not written at all. It is already due no later than
     * the new mark, and the stitch that takes it reads the entity as it is then. It keeps the
     * cause of its first mark unless it has none. A leased row gets a new ticket, so the
     * stitch that leased it leaves it queued for the changes it did not see. During a first load,
     * most marks fall on pending rows, and rewriting them wrote 0.3 to 0.6 GiB more to disk
     * at 100,000 entities (bench/catalog/run.sh).
     */
    rc = gr_catalog__upsert_rows(
        conn,
        "INSERT INTO catalog_stitch_queue (entity_ref, ticket, next_stitch_at, cause) VALUES ",
        " ON CONFLICT (entity_ref) DO UPDATE SET ticket = excluded.ticket, "
        "next_stitch_at = CASE WHEN catalog_stitch_queue.next_stitch_at < "
        "excluded.next_stitch_at THEN catalog_stitch_queue.next_stitch_at ELSE "
        "excluded.next_stitch_at END, cause = excluded.cause "
        "WHERE catalog_stitch_queue.lease_owner IS NOT NULL OR "
        "(catalog_stitch_queue.cause IS NULL AND excluded.cause IS NOT NULL)",
        4, unique, bind_mark, entries);
    free(entries);
    return rc;
}

void gr_catalog__item_free(gr_catalog_item *item)
{
    free(item->entity_id);
    free(item->entity_ref);
    free(item->unprocessed);
    free(item->result_hash);
    free(item->location_key);
    free(item->pending_cause);
    free(item->origin);
    free(item->processed);
    free(item->cause);
    free(item->conflicts);
    gr_catalog__result_free(&item->result);
    memset(item, 0, sizeof(*item));
}

void gr_catalog__items_free(gr_catalog_item *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        gr_catalog__item_free(&items[i]);
    free(items);
}

static int64_t next_update_at(const gr_catalog *catalog, int64_t now)
{
    uint32_t random = 0;
    int64_t span = catalog->settings.interval_max_ms - catalog->settings.interval_min_ms;

    if (span > 0 && RAND_bytes((unsigned char *)&random, sizeof(random)) != 1)
        random = (uint32_t)now;
    return now + catalog->settings.interval_min_ms +
           (span > 0 ? (int64_t)(random % (uint64_t)span) : 0);
}

/*
 * Leases the claimed items' rows until `until` and makes them due again at `next_at`. Rows go
 * GR_CATALOG_INSERT_ROWS per statement, then GR_CATALOG_INSERT_ROWS_REST, then one, as
 * gr_catalog__insert_rows() writes them. In a profile of a first load of 100,000 entities, one
 * statement per row took about 0.3 s of the single SQLite writer's time.
 */
static int lease_items(const gr_catalog *catalog, gr_db_conn *conn, const gr_catalog_item *items,
                       size_t count, int64_t until, int64_t next_at)
{
    static const size_t sizes[] = {GR_CATALOG_INSERT_ROWS, GR_CATALOG_INSERT_ROWS_REST, 1};
    size_t done = 0;
    int rc = GR_OK;

    for (size_t n = 0; n < sizeof(sizes) / sizeof(sizes[0]) && rc == GR_OK; n++) {
        size_t rows = sizes[n];
        gr_buf sql = GR_BUF_INIT;

        gr_buf_puts(&sql, "UPDATE catalog_refresh_state SET lease_owner = ?, lease_until = ?, "
                          "next_update_at = ?, pending_cause = NULL WHERE entity_id IN (");
        gr_catalog__append_placeholders(&sql, rows);
        gr_buf_puts(&sql, ")");
        while (rc == GR_OK && count - done >= rows) {
            gr_db_stmt *stmt = NULL;

            rc = gr_db_prepare(conn, sql.data, &stmt);
            if (rc == GR_OK)
                rc = gr_db_bind_text_borrowed(stmt, 1, catalog->instance_id);
            if (rc == GR_OK)
                rc = gr_db_bind_int64(stmt, 2, until);
            if (rc == GR_OK)
                rc = gr_db_bind_int64(stmt, 3, next_at);
            for (size_t i = 0; i < rows && rc == GR_OK; i++)
                rc = gr_db_bind_text_borrowed(stmt, 4 + (int)i, items[done + i].entity_id);
            if (rc == GR_OK) {
                int step = gr_db_step(stmt);

                if (step != GR_DB_DONE)
                    rc = step;
            }
            gr_db_finalize(stmt);
            done += rows;
        }
        gr_buf_free(&sql);
    }
    return rc;
}

/* Claims up to `limit` due rows on `conn`, inside its open write transaction. On an error the
 * items read so far are freed and none are returned. */
static int claim_in_transaction(gr_catalog *catalog, gr_db_conn *conn, int limit,
                                gr_catalog_item **items_out, size_t *count_out)
{
    gr_db_stmt *stmt = NULL;
    gr_catalog_item *items = NULL;
    size_t count = 0;
    int64_t now = gr_catalog__now_ms();
    int64_t next_at;
    char *sql = gr_xasprintf("SELECT entity_id, entity_ref, unprocessed_entity, result_hash, "
                             "location_key, pending_cause FROM catalog_refresh_state "
                             "WHERE next_update_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
                             "ORDER BY next_update_at LIMIT ?%s",
                             gr_db_sql_skip_locked(catalog->db));
    int rc = gr_catalog__prepare(conn, sql, &stmt, "iii", now, now, (int64_t)limit);

    free(sql);
    *items_out = NULL;
    *count_out = 0;
    if (rc != GR_OK)
        return rc;
    items = gr_xcalloc((size_t)limit, sizeof(*items));
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        gr_catalog_item *item = &items[count++];

        item->entity_id = gr_catalog__column_dup(stmt, 0);
        item->entity_ref = gr_catalog__column_dup(stmt, 1);
        item->unprocessed = gr_catalog__column_dup(stmt, 2);
        item->result_hash = gr_catalog__column_dup(stmt, 3);
        item->location_key = gr_catalog__column_dup(stmt, 4);
        item->pending_cause = gr_catalog__column_dup(stmt, 5);
    }
    gr_db_finalize(stmt);
    rc = rc == GR_DB_DONE ? GR_OK : rc;
    if (count == 0) {
        /* Nothing claimed: no array either, which a caller keeping only claimed rows
         * would never free. */
        free(items);
        items = NULL;
    }

    /* One due time for the whole batch: its rows then stay together in the index on
     * next_update_at, where a time drawn per row scattered them over every page of it, each
     * page written again by each claim. Batches still spread over the interval. */
    next_at = next_update_at(catalog, now);
    if (rc == GR_OK)
        rc = lease_items(catalog, conn, items, count, now + GR_CATALOG_LEASE_MS, next_at);
    if (rc != GR_OK) {
        gr_catalog__items_free(items, count);
        return rc;
    }
    *items_out = items;
    *count_out = count;
    return GR_OK;
}

int gr_catalog__claim(gr_catalog *catalog, int limit, gr_catalog_item **items_out,
                      size_t *count_out)
{
    gr_db_conn *conn = NULL;
    int rc;

    *items_out = NULL;
    *count_out = 0;
    if (catalog->settings.processing_disabled)
        return GR_OK;
    rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc != GR_OK)
        return rc;
    rc = gr_db_begin(conn);
    if (rc == GR_OK)
        rc = claim_in_transaction(catalog, conn, limit, items_out, count_out);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    if (rc != GR_OK) {
        gr_db_rollback(conn);
        gr_catalog__items_free(*items_out, *count_out);
        *items_out = NULL;
        *count_out = 0;
    }
    gr_db_release(conn);
    return rc;
}

/* Reads the parents of `ref` ("key:<source_key>" for providers), sorted. */
static int read_parents(gr_db_conn *conn, const char *ref, gr_buf *out)
{
    gr_db_stmt *stmt = NULL;
    char **parents = NULL;
    size_t count = 0;
    int rc = gr_catalog__prepare(conn,
                                 "SELECT COALESCE(source_entity_ref, 'key:' || source_key) "
                                 "FROM catalog_refs WHERE target_entity_ref = ?",
                                 &stmt, "s", ref);

    if (rc != GR_OK)
        return rc;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        parents = gr_xrealloc(parents, (count + 1) * sizeof(char *));
        parents[count++] = gr_catalog__column_dup(stmt, 0);
    }
    gr_db_finalize(stmt);
    gr_catalog__sort(parents, count, sizeof(char *), compare_strings);
    for (size_t i = 0; i < count; i++) {
        gr_buf_printf(out, "%s\n", parents[i] ? parents[i] : "");
        free(parents[i]);
    }
    free(parents);
    return rc == GR_DB_DONE ? GR_OK : rc;
}

typedef struct {
    size_t index;
    const char *ref;
} deferred_order;

static int compare_deferred_order(const void *a, const void *b)
{
    const deferred_order *x = a;
    const deferred_order *y = b;
    int c = strcmp(x->ref, y->ref);

    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Adds the ConflictError of a child that `keeper` already supplies to `errors`. */
static void push_conflict(json_t *errors, const char *ref, const char *loser, const char *keeper)
{
    char *message = gr_xasprintf("Entity %s from %s conflicts with the same entity from %s, "
                                 "which keeps it; remove one of the two or give them different "
                                 "names",
                                 ref, loser, keeper);

    gr_catalog__error_push(errors, "ConflictError", message, NULL, NULL);
    free(message);
}

/*
 * Sorts the children by ref and keeps one child per ref. A later copy from the
 * same location key (a later document of the same file) replaces the earlier
 * one. A copy from another key (another file of a glob) loses to the first
 * key, as between two locations. It is dropped and adds a ConflictError that
 * names both files to the result.
 */
static void sort_deferred(gr_catalog_result *result)
{
    size_t count = result->deferred_count;
    deferred_order *order;
    gr_catalog_deferred *sorted;
    size_t kept = 0;

    if (count < 2)
        return;
    order = gr_xmalloc(count * sizeof(*order));
    for (size_t i = 0; i < count; i++)
        order[i] = (deferred_order){i, result->deferred[i].ref};
    gr_catalog__sort(order, count, sizeof(*order), compare_deferred_order);
    sorted = gr_xmalloc(count * sizeof(*sorted));
    for (size_t first = 0, end; first < count; first = end) {
        const char *owner_key = result->deferred[order[first].index].location_key;
        size_t keep = first;

        /* The copies of one ref follow each other in the order they were emitted. */
        for (end = first + 1; end < count && strcmp(order[end].ref, order[first].ref) == 0; end++) {
            if (strcmp(result->deferred[order[end].index].location_key, owner_key) == 0)
                keep = end;
        }
        for (size_t i = first; i < end; i++) {
            gr_catalog_deferred *item = &result->deferred[order[i].index];

            if (i == keep) {
                sorted[kept++] = *item;
                continue;
            }
            if (strcmp(item->location_key, owner_key) != 0)
                push_conflict(result->errors, item->ref, item->location_key, owner_key);
            gr_catalog__deferred_free(item);
        }
    }
    free(order);
    free(result->deferred);
    result->deferred = sorted;
    result->deferred_count = kept;
    result->deferred_cap = count;
}

static int compare_relations(const void *a, const void *b)
{
    const gr_catalog_relation *x = a;
    const gr_catalog_relation *y = b;
    int c = strcmp(x->source, y->source);

    if (c == 0)
        c = strcmp(x->type, y->type);
    if (c == 0)
        c = strcmp(x->target, y->target);
    return c;
}

/* Finds the id of the registered location `origin_ref` ("type:target"). */
static char *location_cause(gr_db_conn *conn, const char *origin_ref)
{
    char *type = NULL, *target = NULL, *id = NULL, *cause;

    if (origin_ref == NULL || gr_catalog__location_ref_parse(origin_ref, &type, &target) != GR_OK)
        return gr_xstrdup("refresh");
    if (gr_catalog__query_text(conn, &id,
                               "SELECT id FROM catalog_locations WHERE type = ? AND target = ?",
                               "ss", type, target) == GR_OK &&
        id != NULL)
        cause = gr_xasprintf("location:%s", id);
    else
        cause = gr_xasprintf("location:%s", origin_ref);
    free(type);
    free(target);
    free(id);
    return cause;
}

static char *origin_of(const char *unprocessed_json)
{
    json_t *entity = json_loads(unprocessed_json, 0, NULL);
    const char *origin = json_string_value(
        json_object_get(json_object_get(json_object_get(entity, "metadata"), "annotations"),
                        GR_ANNOTATION_ORIGIN_LOCATION));
    char *copy = origin ? gr_xstrdup(origin) : NULL;

    json_decref(entity);
    return copy;
}

/* Compares a ref (the bsearch key) with the ref of a child. */
static int compare_ref_with_child(const void *key, const void *child)
{
    return strcmp(key, ((const gr_catalog_deferred *)child)->ref);
}

/*
 * Marks the children from `first` on (at most GR_CATALOG_INSERT_ROWS, sorted
 * by ref) that another location key already owns, with one query.
 */
static int check_conflict_group(gr_db_conn *conn, gr_catalog_item *item, size_t first, size_t count)
{
    gr_catalog_result *result = &item->result;
    gr_catalog_deferred *children = &result->deferred[first];
    char **owners = gr_xcalloc(count + 1, sizeof(*owners));
    gr_db_stmt *stmt = NULL;
    int step = GR_DB_DONE;
    int rc;

    rc = gr_catalog__prepare_in(conn,
                                "SELECT entity_ref, location_key FROM catalog_refresh_state "
                                "WHERE entity_ref IN (",
                                count, &stmt);
    for (size_t i = 0; i < count && rc == GR_OK; i++)
        rc = gr_db_bind_text_borrowed(stmt, (int)i + 1, children[i].ref);
    while (rc == GR_OK && (step = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *ref = gr_db_column_text(stmt, 0);
        const char *owner = gr_db_column_text(stmt, 1);
        gr_catalog_deferred *child = NULL;

        if (ref != NULL && owner != NULL)
            child = bsearch(ref, children, count, sizeof(*children), compare_ref_with_child);
        if (child != NULL && strcmp(owner, child->location_key) != 0)
            owners[child - children] = gr_xstrdup(owner);
    }
    if (rc == GR_OK && step != GR_DB_DONE)
        rc = step;
    gr_db_finalize(stmt);

    /* The rows come in no set order, and the errors are part of the result's hash. */
    for (size_t i = 0; i < count; i++) {
        if (rc == GR_OK && owners[i] != NULL) {
            push_conflict(result->errors, children[i].ref, children[i].location_key, owners[i]);
            item->conflicts[first + i] = true;
        }
        free(owners[i]);
    }
    free(owners);
    return rc;
}

/*
 * Marks the children that another location key already owns and adds a
 * ConflictError for each, in the order of the children. The children are
 * sorted by ref with one child per ref (sort_deferred()), and are looked up
 * GR_CATALOG_INSERT_ROWS per query. For a location of 100,000 children, a
 * query per child took about 0.25 s, on one thread before any child could
 * be processed, and this about 0.07 s.
 */
static int check_conflicts(gr_db_conn *conn, gr_catalog_item *item)
{
    size_t count = item->result.deferred_count;
    int rc = GR_OK;

    item->conflicts = gr_xcalloc(count + 1, sizeof(bool));
    for (size_t first = 0; first < count && rc == GR_OK; first += GR_CATALOG_INSERT_ROWS) {
        size_t rows = count - first;

        rc = check_conflict_group(conn, item, first,
                                  rows < GR_CATALOG_INSERT_ROWS ? rows : GR_CATALOG_INSERT_ROWS);
    }
    return rc;
}

/*
 * Logs each conflict of a processed Location once, when its result differs from the stored one,
 * because the child that lost has no row of its own whose status could show the error.
 */
static void log_conflicts(const gr_catalog_item *item)
{
    size_t index;
    json_t *error;

    if (item->result_hash != NULL && strcmp(item->result_hash, item->new_hash) == 0)
        return;
    json_array_foreach (item->result.errors, index, error) {
        if (strcmp(json_string_value(json_object_get(error, "name")), "ConflictError") != 0)
            continue;
        gr_log_fields(GR_LOG_WARN, "catalog", "entity conflict", "entity", item->entity_ref,
                      "error", json_string_value(json_object_get(error, "message")), NULL);
    }
}

/*
 * Appends a line of the result hash's input: `tag` and the fields up to the
 * first NULL, each after a space, and a line break. The stored result hashes
 * are digests of these lines, so their bytes must not change. Written
 * without gr_buf_printf(), which formats twice (to measure, then to write)
 * and so read each entity's processed text twice more.
 */
static void put_line(gr_buf *out, const char *tag, const char *first, const char *second,
                     const char *third)
{
    const char *fields[] = {first, second, third};

    gr_buf_puts(out, tag);
    for (size_t i = 0; i < 3 && fields[i] != NULL; i++) {
        gr_buf_putc(out, ' ');
        gr_buf_puts(out, fields[i]);
    }
    gr_buf_putc(out, '\n');
}

int gr_catalog__prepare_items(gr_catalog *catalog, gr_catalog_item *items, size_t count)
{
    char *last_origin = NULL, *last_cause = NULL;
    gr_db_conn *conn = NULL;
    int rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);

    if (rc != GR_OK)
        return rc;
    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        gr_catalog_item *item = &items[i];
        gr_catalog_result *result = &item->result;
        gr_catalog_sha1 input;
        char *text;

        if (item->pending_cause != NULL) {
            item->cause = gr_xstrdup(item->pending_cause);
        } else {
            char *origin = item->origin ? gr_xstrdup(item->origin) : origin_of(item->unprocessed);

            /* The items of a batch mostly share one origin: look its location up once. */
            if (origin != NULL && last_origin != NULL && strcmp(origin, last_origin) == 0) {
                item->cause = gr_xstrdup(last_cause);
                free(origin);
            } else {
                item->cause = location_cause(conn, origin);
                free(last_origin);
                free(last_cause);
                last_origin = origin;
                last_cause = gr_xstrdup(item->cause);
            }
        }
        if (result->ok) {
            sort_deferred(result);
            gr_catalog__sort(result->relations, result->relation_count, sizeof(*result->relations),
                             compare_relations);
            gr_catalog__sort(result->refresh_keys, result->refresh_key_count, sizeof(char *),
                             compare_strings);
            rc = check_conflicts(conn, item);
        }
        gr_catalog__sha1_begin(&input);
        text = gr_catalog__json_text(result->errors);
        put_line(&input.text, "errors", text, NULL, NULL);
        free(text);
        if (result->ok && rc == GR_OK) {
            /* The text is what gets stored: the same input always serializes the same way. */
            json_object_set_new(json_object_get(result->entity, "metadata"), "uid",
                                json_string(item->entity_id));
            item->processed = gr_catalog__json_text(result->entity);
            put_line(&input.text, "entity", item->processed, NULL, NULL);
            for (size_t k = 0; k < result->deferred_count; k++) {
                put_line(&input.text, "child", result->deferred[k].ref, result->deferred[k].hash,
                         result->deferred[k].location_key);
                gr_catalog__sha1_flush(&input);
            }
            for (size_t k = 0; k < result->relation_count; k++)
                put_line(&input.text, "relation", result->relations[k].source,
                         result->relations[k].type, result->relations[k].target);
            for (size_t k = 0; k < result->refresh_key_count; k++)
                put_line(&input.text, "key", result->refresh_keys[k], NULL, NULL);
            gr_buf_puts(&input.text, "parents\n");
            rc = read_parents(conn, item->entity_ref, &input.text);
        }
        gr_catalog__sha1_end(&input, item->new_hash);
        if (rc == GR_OK && result->ok)
            log_conflicts(item);
    }
    free(last_origin);
    free(last_cause);
    gr_db_release(conn);
    return rc;
}

/* Inserts or updates one child row; stores whether the child is kept in *kept. */
static int write_child(gr_catalog *catalog, gr_db_conn *conn, gr_catalog_result *result,
                       size_t index, const char *cause, int64_t now, bool *kept, bool *existed,
                       bool *queued)
{
    const gr_catalog_deferred *child = &result->deferred[index];
    const char *json = NULL;
    gr_db_stmt *stmt = NULL;
    char *hash = NULL, *key = NULL;
    bool exists = false;
    int64_t changed = 0;
    int rc;

    *kept = false;
    rc = gr_catalog__prepare(conn,
                             "SELECT unprocessed_hash, location_key FROM catalog_refresh_state "
                             "WHERE entity_ref = ?",
                             &stmt, "s", child->ref);
    if (rc != GR_OK)
        return rc;
    rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        exists = true;
        hash = gr_catalog__column_dup(stmt, 0);
        key = gr_catalog__column_dup(stmt, 1);
    }
    gr_db_finalize(stmt);
    if (rc != GR_DB_ROW && rc != GR_DB_DONE)
        goto done;
    rc = GR_OK;

    if (exists && key != NULL && strcmp(key, child->location_key) != 0) {
        /* Owned by another location: the conflict error is on the parent. */
    } else if (exists && key != NULL && hash != NULL && strcmp(hash, child->hash) == 0) {
        *kept = true;
    } else if ((json = gr_catalog__deferred_json(result, index)) == NULL) {
        rc = GR_EBACKEND;
    } else if (!exists) {
        char id[GR_CATALOG_UUID_SIZE];

        gr_catalog__uuid(id);
        changed = gr_catalog__exec(conn,
                                   "INSERT INTO catalog_refresh_state (entity_id, entity_ref, "
                                   "unprocessed_entity, unprocessed_hash, location_key, "
                                   "next_update_at, last_discovery_at, pending_cause) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                                   "ON CONFLICT (entity_ref) DO NOTHING",
                                   "sssssiis", id, child->ref, json, child->hash,
                                   child->location_key, now, now, cause);
        *kept = changed == 1;
        *queued = *queued || changed == 1;
    } else {
        changed = gr_catalog__exec(conn,
                                   "UPDATE catalog_refresh_state SET unprocessed_entity = ?, "
                                   "unprocessed_hash = ?, location_key = ?, last_discovery_at = ?, "
                                   "next_update_at = ?, pending_cause = ? WHERE entity_ref = ?",
                                   "sssiiss", json, child->hash, child->location_key, now, now,
                                   cause, child->ref);
        *kept = changed == 1;
        *queued = *queued || changed == 1;
    }
    if (changed < 0)
        rc = (int)changed;
    *existed = exists;
done:
    (void)catalog;
    free(hash);
    free(key);
    return rc;
}

static int read_strings(gr_db_conn *conn, const char *sql, const char *param, char ***out,
                        size_t *count_out)
{
    gr_db_stmt *stmt = NULL;
    size_t count = 0, cap = 0;
    char **list = NULL;
    int rc = gr_catalog__prepare(conn, sql, &stmt, "s", param);

    if (rc != GR_OK)
        return rc;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            list = gr_xrealloc(list, cap * sizeof(char *));
        }
        list[count++] = gr_catalog__column_dup(stmt, 0);
    }
    gr_db_finalize(stmt);
    gr_catalog__sort(list, count, sizeof(char *), compare_strings);
    *out = list;
    *count_out = count;
    return rc == GR_DB_DONE ? GR_OK : rc;
}

static void strings_free(char **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

/*
 * Clears the processing errors of `ref` once no source emits it any more. The result hash goes
 * too, so that the entity's errors are written again if a source emits it again unchanged.
 */
static int64_t drop_orphan_errors(gr_db_conn *conn, const char *ref)
{
    return gr_catalog__exec(conn,
                            "UPDATE catalog_refresh_state SET errors = NULL, result_hash = NULL "
                            "WHERE entity_ref = ? AND errors IS NOT NULL AND NOT EXISTS "
                            "(SELECT 1 FROM catalog_refs r WHERE r.target_entity_ref = ?)",
                            "ss", ref, ref);
}

/* Makes the refs of `parent` equal to the sorted `kept` list, marking
 * children that lost or gained this parent for stitching. */
/* The refs that sync_refs() adds: from `parent` to each of `targets`. */
typedef struct {
    const char *parent;
    char **targets;
    size_t count;
} ref_inserts;

static int bind_ref(gr_db_stmt *stmt, int first, size_t row, void *payload)
{
    const ref_inserts *added = payload;
    int rc = gr_db_bind_null(stmt, first);

    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 1, added->parent);
    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 2, added->targets[row]);
    return rc;
}

static int sync_refs(gr_catalog *catalog, gr_db_conn *conn, const char *parent, char **kept,
                     const bool *kept_existed, size_t kept_count, const char *cause,
                     gr_catalog_marks *marks)
{
    char **existing = NULL;
    size_t existing_count = 0;
    size_t a = 0, b = 0;
    ref_inserts added = {.parent = parent, .targets = gr_xcalloc(kept_count + 1, sizeof(char *))};
    int rc = read_strings(conn,
                          "SELECT target_entity_ref FROM catalog_refs "
                          "WHERE source_entity_ref = ?",
                          parent, &existing, &existing_count);

    while (rc == GR_OK && (a < existing_count || b < kept_count)) {
        int64_t changed = 0;
        int c;

        if (a == existing_count)
            c = 1;
        else if (b == kept_count)
            c = -1;
        else
            c = strcmp(existing[a], kept[b]);

        if (c == 0) {
            a++;
            b++;
            continue;
        }
        if (c < 0) {
            changed = gr_catalog__exec(conn,
                                       "DELETE FROM catalog_refs WHERE source_entity_ref = ? "
                                       "AND target_entity_ref = ?",
                                       "ss", parent, existing[a]);
            if (changed >= 0)
                changed = drop_orphan_errors(conn, existing[a]);
            gr_catalog__marks_push(marks, existing[a], cause);
            catalog->orphans_dirty = true;
            a++;
        } else {
            added.targets[added.count++] = kept[b];
            /* A child that existed before may lose its orphan mark. */
            if (kept_existed[b])
                gr_catalog__marks_push(marks, kept[b], cause);
            b++;
        }
        if (changed < 0)
            rc = (int)changed;
    }
    if (rc == GR_OK)
        rc = gr_catalog__insert_rows(conn,
                                     "INSERT INTO catalog_refs (source_key, source_entity_ref, "
                                     "target_entity_ref) VALUES ",
                                     3, added.count, bind_ref, &added);
    free(added.targets);
    strings_free(existing, existing_count);
    return rc;
}

typedef struct {
    char *source;
    char *type;
    char *target;
} relation_row;

static int compare_relation_rows(const void *a, const void *b)
{
    const relation_row *x = a;
    const relation_row *y = b;
    int c = strcmp(x->source, y->source);

    if (c == 0)
        c = strcmp(x->type, y->type);
    if (c == 0)
        c = strcmp(x->target, y->target);
    return c;
}

/* A relation row waiting to be inserted; the strings are borrowed from the batch's items. */
typedef struct {
    const char *entity_id;
    const gr_catalog_relation *relation;
} relation_insert;

typedef struct {
    relation_insert *items;
    size_t count;
    size_t cap;
} relation_inserts;

static void relation_inserts_push(relation_inserts *list, const char *entity_id,
                                  const gr_catalog_relation *relation)
{
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 1024;
        list->items = gr_xrealloc(list->items, list->cap * sizeof(*list->items));
    }
    list->items[list->count].entity_id = entity_id;
    list->items[list->count].relation = relation;
    list->count++;
}

static int compare_relation_inserts(const void *a, const void *b)
{
    const relation_insert *x = a;
    const relation_insert *y = b;
    int c = compare_relations(x->relation, y->relation);

    return c != 0 ? c : strcmp(x->entity_id, y->entity_id);
}

/* Binds one relation row; the batch's results outlive the statement's reset after each step. */
static int bind_relation(gr_db_stmt *stmt, int first, size_t index, void *payload)
{
    const relation_insert *insert = &((const relation_insert *)payload)[index];
    int rc = gr_db_bind_text_borrowed(stmt, first, insert->entity_id);

    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 1, insert->relation->source);
    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 2, insert->relation->type);
    if (rc == GR_OK)
        rc = gr_db_bind_text_borrowed(stmt, first + 3, insert->relation->target);
    return rc;
}

/*
 * Inserts the relations of a whole batch sorted by source, so that the
 * index on source_entity_ref receives them in order and each of its pages
 * is written once per batch rather than once per entity. On SQLite the
 * table itself is ordered by the emitting entity, whose ids grow with time,
 * so its rows mostly append.
 */
static int insert_relations(gr_db_conn *conn, relation_inserts *list)
{
    gr_catalog__sort(list->items, list->count, sizeof(*list->items), compare_relation_inserts);
    return gr_catalog__insert_rows(conn,
                                   "INSERT INTO catalog_relations (originating_entity_id, "
                                   "source_entity_ref, type, target_entity_ref) VALUES ",
                                   4, list->count, bind_relation, list->items);
}

/* Deletes the stored relations of an entity that its result no longer has and queues the new
 * ones in `inserts`, marking the sources of both for stitching. */
static int sync_relations(gr_db_conn *conn, const char *entity_id, const gr_catalog_result *result,
                          const char *cause, gr_catalog_marks *marks, relation_inserts *inserts)
{
    gr_db_stmt *stmt = NULL;
    relation_row *existing = NULL;
    size_t count = 0, cap = 0, a = 0, b = 0;
    int rc = gr_catalog__prepare(conn,
                                 "SELECT source_entity_ref, type, target_entity_ref "
                                 "FROM catalog_relations WHERE originating_entity_id = ?",
                                 &stmt, "s", entity_id);

    if (rc != GR_OK)
        return rc;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            existing = gr_xrealloc(existing, cap * sizeof(*existing));
        }
        existing[count++] =
            (relation_row){gr_catalog__column_dup(stmt, 0), gr_catalog__column_dup(stmt, 1),
                           gr_catalog__column_dup(stmt, 2)};
    }
    gr_db_finalize(stmt);
    rc = rc == GR_DB_DONE ? GR_OK : rc;
    gr_catalog__sort(existing, count, sizeof(*existing), compare_relation_rows);

    while (rc == GR_OK && (a < count || b < result->relation_count)) {
        const gr_catalog_relation *want = b < result->relation_count ? &result->relations[b] : NULL;
        int c;
        int64_t changed = 0;

        if (b > 0 && want != NULL && compare_relations(want, &result->relations[b - 1]) == 0) {
            b++; /* duplicates in the desired list */
            continue;
        }
        if (a == count) {
            c = 1;
        } else if (want == NULL) {
            c = -1;
        } else {
            relation_row probe = {want->source, (char *)want->type, want->target};

            c = compare_relation_rows(&existing[a], &probe);
        }
        if (c == 0) {
            a++;
            b++;
            continue;
        }
        if (c < 0) {
            changed = gr_catalog__exec(
                conn,
                "DELETE FROM catalog_relations WHERE originating_entity_id = ? "
                "AND source_entity_ref = ? AND type = ? AND target_entity_ref = ?",
                "ssss", entity_id, existing[a].source, existing[a].type, existing[a].target);
            gr_catalog__marks_push(marks, existing[a].source, cause);
            a++;
        } else {
            relation_inserts_push(inserts, entity_id, want);
            gr_catalog__marks_push(marks, want->source, cause);
            b++;
        }
        if (changed < 0)
            rc = (int)changed;
    }
    for (size_t i = 0; i < count; i++) {
        free(existing[i].source);
        free(existing[i].type);
        free(existing[i].target);
    }
    free(existing);
    return rc;
}

static int write_refresh_keys(gr_db_conn *conn, const char *entity_id,
                              const gr_catalog_result *result)
{
    int64_t changed = gr_catalog__exec(conn, "DELETE FROM catalog_refresh_keys WHERE entity_id = ?",
                                       "s", entity_id);

    for (size_t i = 0; i < result->refresh_key_count && changed >= 0; i++)
        changed = gr_catalog__exec(
            conn, "INSERT INTO catalog_refresh_keys (entity_id, key) VALUES (?, ?)", "ss",
            entity_id, result->refresh_keys[i]);
    return changed < 0 ? (int)changed : GR_OK;
}

/*
 * SQL value of the errors and the result hash of a processed row: the bound value while a source
 * emits the entity, else NULL. An orphan keeps no errors and no result hash, so that its errors
 * are written again when a source emits it again.
 */
#define WHILE_EMITTED                                                                              \
    "CASE WHEN EXISTS (SELECT 1 FROM catalog_refs r WHERE "                                        \
    "r.target_entity_ref = catalog_refresh_state.entity_ref) THEN ? ELSE NULL END"

/* Logs a failed processing result once, when it differs from the stored
 * one, because an entity that never processed has no status.items to show
 * its errors in the API. */
static void log_failure(const gr_catalog_item *item)
{
    const json_t *first = json_array_get(item->result.errors, 0);
    const char *message = json_string_value(json_object_get(first, "message"));
    char count[24];

    snprintf(count, sizeof(count), "%zu", json_array_size(item->result.errors));
    gr_log_fields(GR_LOG_WARN, "catalog", "processing failed", "entity", item->entity_ref, "errors",
                  count, "error", message != NULL ? message : "unknown error", NULL);
}

static int write_ok_item(gr_catalog *catalog, gr_db_conn *conn, gr_catalog_item *item, int64_t now,
                         gr_catalog_marks *marks, relation_inserts *inserts, bool *queued)
{
    gr_catalog_result *result = &item->result;
    char **kept = gr_xcalloc(result->deferred_count + 1, sizeof(char *));
    bool *kept_existed = gr_xcalloc(result->deferred_count + 1, sizeof(bool));
    size_t kept_count = 0;
    char *errors;
    int64_t changed;
    int rc = GR_OK;

    errors = gr_catalog__json_text(result->errors);
    changed = gr_catalog__exec(conn,
                               "UPDATE catalog_refresh_state SET processed_entity = ?, "
                               "result_hash = " WHILE_EMITTED ", errors = " WHILE_EMITTED ", "
                               "lease_owner = NULL, lease_until = NULL "
                               "WHERE entity_id = ? AND lease_owner = ?",
                               "sssss", item->processed, item->new_hash, errors, item->entity_id,
                               catalog->instance_id);
    free(errors);
    if (changed <= 0) {
        /* 0: the lease went to another worker, whose result wins. */
        rc = changed < 0 ? (int)changed : GR_OK;
        goto done;
    }
    for (size_t i = 0; i < result->deferred_count && rc == GR_OK; i++) {
        bool is_kept = false;
        bool existed = false;

        if (item->conflicts[i])
            continue;
        rc = write_child(catalog, conn, result, i, item->cause, now, &is_kept, &existed, queued);
        if (is_kept) {
            kept_existed[kept_count] = existed;
            kept[kept_count++] = result->deferred[i].ref;
        }
    }
    if (rc == GR_OK)
        rc = sync_refs(catalog, conn, item->entity_ref, kept, kept_existed, kept_count, item->cause,
                       marks);
    if (rc == GR_OK)
        rc = sync_relations(conn, item->entity_id, result, item->cause, marks, inserts);
    if (rc == GR_OK)
        rc = write_refresh_keys(conn, item->entity_id, result);
    gr_catalog__marks_push(marks, item->entity_ref, item->cause);
done:
    free(kept);
    free(kept_existed);
    return rc;
}

/* Runs one transaction of gr_catalog__write_items() on `conn`, from BEGIN to COMMIT or ROLLBACK. */
static int write_items_once(gr_catalog *catalog, gr_db_conn *conn, gr_catalog_item *items,
                            size_t count, gr_catalog_claimed *next)
{
    gr_catalog_marks marks = {0};
    relation_inserts inserts = {0};
    int64_t now = gr_catalog__now_ms();
    bool queued = false;
    int rc = gr_db_begin(conn);

    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        gr_catalog_item *item = &items[i];
        int64_t changed;

        if (item->result_hash != NULL && strcmp(item->result_hash, item->new_hash) == 0) {
            changed = gr_catalog__exec(conn,
                                       "UPDATE catalog_refresh_state SET lease_owner = NULL, "
                                       "lease_until = NULL WHERE entity_id = ? AND lease_owner = ?",
                                       "ss", item->entity_id, catalog->instance_id);
            rc = changed < 0 ? (int)changed : GR_OK;
        } else if (!item->result.ok) {
            char *errors = gr_catalog__json_text(item->result.errors);

            changed = gr_catalog__exec(conn,
                                       "UPDATE catalog_refresh_state SET errors = " WHILE_EMITTED
                                       ", result_hash = " WHILE_EMITTED ", "
                                       "lease_owner = NULL, lease_until = NULL "
                                       "WHERE entity_id = ? AND lease_owner = ?",
                                       "ssss", errors, item->new_hash, item->entity_id,
                                       catalog->instance_id);
            free(errors);
            if (changed == 1) {
                gr_catalog__marks_push(&marks, item->entity_ref, item->cause);
                log_failure(item);
            }
            rc = changed < 0 ? (int)changed : GR_OK;
        } else {
            rc = write_ok_item(catalog, conn, item, now, &marks, &inserts, &queued);
        }
    }
    if (rc == GR_OK)
        rc = insert_relations(conn, &inserts);
    if (rc == GR_OK)
        rc = gr_catalog__marks_flush(catalog, conn, &marks);
    if (rc == GR_OK && next != NULL && !catalog->settings.processing_disabled)
        rc = claim_in_transaction(catalog, conn, GR_CATALOG_PROCESS_BATCH, &next->items,
                                  &next->count);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    if (rc != GR_OK) {
        gr_db_rollback(conn);
        if (next != NULL) {
            gr_catalog__items_free(next->items, next->count);
            next->items = NULL;
            next->count = 0;
        }
    }
    gr_catalog__marks_free(&marks);
    free(inserts.items);
    (void)queued;
    return rc;
}

int gr_catalog__write_items(gr_catalog *catalog, gr_catalog_item *items, size_t count,
                            gr_catalog_claimed *next)
{
    gr_db_conn *conn = NULL;
    int rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);

    if (rc != GR_OK)
        return rc;
    for (int attempt = 1;; attempt++) {
        rc = write_items_once(catalog, conn, items, count, next);
        if (!gr_catalog__retry_aborted(conn, rc, attempt,
                                       "storing the processing results of %zu entities", count))
            break;
    }
    gr_db_release(conn);
    if (rc == GR_OK)
        gr_catalog__wake(catalog);
    return rc;
}

/* Runs one transaction of gr_catalog__release_items() on `conn`, from BEGIN to COMMIT or
 * ROLLBACK. */
static int release_items_once(gr_catalog *catalog, gr_db_conn *conn, const gr_catalog_item *items,
                              size_t count, int64_t due)
{
    int rc = gr_db_begin(conn);

    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        int64_t changed = gr_catalog__exec(conn,
                                           "UPDATE catalog_refresh_state SET lease_owner = NULL, "
                                           "lease_until = NULL, next_update_at = ? "
                                           "WHERE entity_id = ? AND lease_owner = ?",
                                           "iss", due, items[i].entity_id, catalog->instance_id);

        rc = changed < 0 ? (int)changed : GR_OK;
    }
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    if (rc != GR_OK)
        gr_db_rollback(conn);
    return rc;
}

int gr_catalog__release_items(gr_catalog *catalog, const gr_catalog_item *items, size_t count,
                              int64_t delay_ms)
{
    gr_db_conn *conn = NULL;
    int64_t due = gr_catalog__now_ms() + delay_ms;
    int rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);

    for (int attempt = 1; conn != NULL; attempt++) {
        rc = release_items_once(catalog, conn, items, count, due);
        if (!gr_catalog__retry_aborted(conn, rc, attempt, "releasing the leases of %zu entities",
                                       count))
            break;
    }
    if (rc != GR_OK)
        gr_warn("catalog", "releasing the leases of %zu entities failed: %s", count,
                gr_error_last());
    gr_db_release(conn);
    return rc;
}
