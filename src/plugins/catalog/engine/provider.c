/* SPDX-License-Identifier: MIT */
/* Location providers and deletions: config and user locations, eager pruning, orphans. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/history.h"
#include "plugins/catalog/engine/search_index.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/store.h"

/* Entities deleted per transaction by the orphan cleanup. */
#define ORPHAN_BATCH 500
/* Rounds of the orphan cleanup per call; each round may orphan the next generation. */
#define ORPHAN_MAX_ROUNDS 100

void gr_catalog__provided_init(gr_catalog_provided *item, const json_t *entity,
                               const char *location_key)
{
    item->ref = gr_model_entity_ref(entity);
    item->json = gr_catalog__json_text(entity);
    gr_catalog__stable_hash(entity, item->hash);
    item->location_key = location_key ? gr_xstrdup(location_key) : NULL;
}

void gr_catalog__provided_free(gr_catalog_provided *item)
{
    free(item->ref);
    free(item->json);
    free(item->location_key);
    memset(item, 0, sizeof(*item));
}

void gr_catalog__notify_deleted(gr_catalog *catalog, const gr_catalog_marks *deleted)
{
    for (size_t i = 0; i < deleted->count; i++)
        gr_catalog__notify(catalog, deleted->refs[i], 1);
}

static int mark_query(gr_db_conn *conn, const char *sql, const char *param, const char *cause,
                      gr_catalog_marks *marks)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_catalog__prepare(conn, sql, &stmt, "s", param);

    if (rc != GR_OK)
        return rc;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *ref = gr_db_column_text(stmt, 0);

        if (ref != NULL)
            gr_catalog__marks_push(marks, ref, cause);
    }
    gr_db_finalize(stmt);
    return rc == GR_DB_DONE ? GR_OK : rc;
}

static int delete_one(gr_catalog *catalog, gr_db_conn *conn, const char *ref, const char *cause,
                      gr_catalog_marks *marks, gr_catalog_marks *deleted)
{
    char *id = NULL;
    char *final_text = NULL;
    int64_t changed;
    int rc = gr_catalog__query_text(conn, &id,
                                    "SELECT entity_id FROM catalog_refresh_state WHERE entity_ref = ?",
                                    "s", ref);

    if (rc == GR_ENOTFOUND) {
        rc = GR_OK;
        goto done;
    }
    if (rc != GR_OK)
        goto done;
    rc = gr_catalog__query_text(conn, &final_text,
                                "SELECT final_entity FROM catalog_final_entities WHERE entity_id = ?",
                                "s", id);
    if (rc == GR_OK) {
        json_t *last = json_loads(final_text ? final_text : "null", 0, NULL);
        json_t *diff = gr_catalog__diff(last, NULL);

        rc = gr_catalog__history_add(conn, ref, id, gr_catalog__now_ms(), cause, "deleted", diff);
        json_decref(diff);
        json_decref(last);
        gr_catalog__marks_push(deleted, ref, cause);
    } else if (rc == GR_ENOTFOUND) {
        rc = GR_OK;
    }
    /* Entities whose final form shows a relation to or from this one. */
    if (rc == GR_OK)
        rc = mark_query(conn,
                        "SELECT DISTINCT source_entity_ref FROM catalog_relations "
                        "WHERE originating_entity_id = ?",
                        id, cause, marks);
    /* Relations come in pairs, so the sources of the relations pointing at this entity are
     * the targets of the reverse relations starting at it. */
    if (rc == GR_OK)
        rc = mark_query(conn,
                        "SELECT DISTINCT target_entity_ref FROM catalog_relations "
                        "WHERE source_entity_ref = ?",
                        ref, cause, marks);
    if (rc == GR_OK)
        rc = mark_query(conn,
                        "SELECT target_entity_ref FROM catalog_refs WHERE source_entity_ref = ?",
                        ref, cause, marks);
    /* Children that only this entity emits become orphans and lose their processing errors. */
    if (rc == GR_OK) {
        changed = gr_catalog__exec(
            conn,
            "UPDATE catalog_refresh_state SET errors = NULL, result_hash = NULL "
            "WHERE errors IS NOT NULL AND entity_ref IN (SELECT target_entity_ref FROM "
            "catalog_refs WHERE source_entity_ref = ?) AND NOT EXISTS (SELECT 1 FROM catalog_refs r "
            "WHERE r.target_entity_ref = catalog_refresh_state.entity_ref AND "
            "(r.source_entity_ref IS NULL OR r.source_entity_ref <> ?))",
            "ss", ref, ref);
        if (changed < 0)
            rc = (int)changed;
    }
    if (rc == GR_OK) {
        changed = gr_catalog__exec(conn, "DELETE FROM catalog_refs WHERE source_entity_ref = ? "
                                         "OR target_entity_ref = ?",
                                   "ss", ref, ref);
        if (changed < 0)
            rc = (int)changed;
    }
    if (rc == GR_OK) {
        changed = gr_catalog__exec(conn, "DELETE FROM catalog_stitch_queue WHERE entity_ref = ?",
                                   "s", ref);
        if (changed >= 0)
            changed = gr_catalog__exec(conn,
                                       "DELETE FROM catalog_refresh_state WHERE entity_id = ?", "s",
                                       id);
        if (changed < 0)
            rc = (int)changed;
    }
    catalog->orphans_dirty = true;
done:
    free(id);
    free(final_text);
    return rc;
}

int gr_catalog__delete_entities(gr_catalog *catalog, gr_db_conn *conn, char *const *refs,
                                size_t count, const char *cause, gr_catalog_marks *marks,
                                gr_catalog_marks *deleted)
{
    int rc = GR_OK;

    for (size_t i = 0; i < count && rc == GR_OK; i++)
        rc = delete_one(catalog, conn, refs[i], cause, marks, deleted);
    return rc;
}

/*
 * Finds what deleting `ref` from provider `source_key` removes: the entity
 * and every descendant that no other root (another provider key, or another
 * entity of this one) still reaches, as Backstage's eager pruning does.
 */
static const char doomed_sql[] =
    "WITH RECURSIVE "
    "descendants(entity_ref) AS ("
    " SELECT target_entity_ref FROM catalog_refs WHERE source_key = ? AND target_entity_ref = ?"
    " UNION"
    " SELECT r.target_entity_ref FROM descendants d"
    " JOIN catalog_refs r ON r.source_entity_ref = d.entity_ref"
    "), "
    "ancestors(source_key, source_entity_ref, target_entity_ref, subject) AS ("
    " SELECT r.source_key, r.source_entity_ref, r.target_entity_ref, d.entity_ref"
    " FROM descendants d JOIN catalog_refs r ON r.target_entity_ref = d.entity_ref"
    " UNION"
    " SELECT r.source_key, r.source_entity_ref, r.target_entity_ref, a.subject"
    " FROM ancestors a JOIN catalog_refs r ON r.target_entity_ref = a.source_entity_ref"
    ") "
    "SELECT d.entity_ref FROM descendants d WHERE NOT EXISTS ("
    " SELECT 1 FROM ancestors a WHERE a.subject = d.entity_ref AND a.source_key IS NOT NULL"
    " AND (a.source_key <> ? OR a.target_entity_ref <> ?))";

int gr_catalog__provider_remove(gr_catalog *catalog, gr_db_conn *conn, const char *source_key,
                                char *const *refs, size_t count, const char *cause,
                                gr_catalog_marks *marks, gr_catalog_marks *deleted)
{
    int rc = GR_OK;

    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        gr_catalog_marks doomed = {0};
        gr_db_stmt *stmt = NULL;
        int64_t changed;

        rc = gr_catalog__prepare(conn, doomed_sql, &stmt, "ssss", source_key, refs[i], source_key,
                                 refs[i]);
        if (rc != GR_OK)
            break;
        while ((rc = gr_db_step(stmt)) == GR_DB_ROW)
            gr_catalog__marks_push(&doomed, gr_db_column_text(stmt, 0), NULL);
        gr_db_finalize(stmt);
        rc = rc == GR_DB_DONE ? GR_OK : rc;
        if (rc == GR_OK)
            rc = gr_catalog__delete_entities(catalog, conn, doomed.refs, doomed.count, cause,
                                             marks, deleted);
        gr_catalog__marks_free(&doomed);
        if (rc != GR_OK)
            break;
        changed = gr_catalog__exec(conn,
                                   "DELETE FROM catalog_refs WHERE source_key = ? "
                                   "AND target_entity_ref = ?",
                                   "ss", source_key, refs[i]);
        if (changed < 0)
            rc = (int)changed;
    }
    return rc;
}

/* Inserts or updates one provided entity and its ref from the provider. */
static int upsert_provided(gr_db_conn *conn, const char *source_key,
                           const gr_catalog_provided *item, int64_t now)
{
    gr_db_stmt *stmt = NULL;
    char *hash = NULL, *key = NULL;
    bool exists = false;
    int64_t changed = 0;
    int64_t has_ref = 0;
    int rc = gr_catalog__prepare(conn,
                                 "SELECT unprocessed_hash, location_key FROM catalog_refresh_state "
                                 "WHERE entity_ref = ?",
                                 &stmt, "s", item->ref);

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

    if (exists && key != NULL && item->location_key != NULL && strcmp(key, item->location_key) != 0) {
        gr_warn("catalog", "source %s supplies %s, which %s already supplies; keeping the first",
                source_key, item->ref, key);
        goto done;
    }
    if (!exists) {
        char id[GR_CATALOG_UUID_SIZE];

        /* Instances that start together apply the same configured
         * locations at once; the row of whichever commits first stays. */
        gr_catalog__uuid(id);
        changed = gr_catalog__exec(conn,
                                   "INSERT INTO catalog_refresh_state (entity_id, entity_ref, "
                                   "unprocessed_entity, unprocessed_hash, location_key, "
                                   "next_update_at, last_discovery_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                                   "ON CONFLICT (entity_ref) DO NOTHING",
                                   "sssssii", id, item->ref, item->json, item->hash,
                                   item->location_key, now, now);
    } else if (hash == NULL || strcmp(hash, item->hash) != 0) {
        changed = gr_catalog__exec(conn,
                                   "UPDATE catalog_refresh_state SET unprocessed_entity = ?, "
                                   "unprocessed_hash = ?, location_key = ?, last_discovery_at = ?, "
                                   "next_update_at = ? WHERE entity_ref = ?",
                                   "sssiis", item->json, item->hash, item->location_key, now, now,
                                   item->ref);
    }
    if (changed < 0) {
        rc = (int)changed;
        goto done;
    }
    rc = gr_catalog__query_int(conn, &has_ref,
                               "SELECT COUNT(*) FROM catalog_refs WHERE source_key = ? "
                               "AND target_entity_ref = ?",
                               "ss", source_key, item->ref);
    if (rc == GR_OK && has_ref == 0) {
        changed = gr_catalog__exec(conn,
                                   "INSERT INTO catalog_refs (source_key, source_entity_ref, "
                                   "target_entity_ref) VALUES (?, NULL, ?)",
                                   "ss", source_key, item->ref);
        if (changed < 0)
            rc = (int)changed;
    }
done:
    free(hash);
    free(key);
    return rc;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gr_catalog__provider_full(gr_catalog *catalog, const char *source_key,
                              const gr_catalog_provided *items, size_t count, const char *cause)
{
    gr_catalog_marks marks = {0}, deleted = {0}, old = {0}, removed = {0};
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char **wanted = gr_xcalloc(count + 1, sizeof(char *));
    int64_t now = gr_catalog__now_ms();
    int rc = gr_catalog__relations_index_build(catalog, GR_CATALOG_RELATIONS_SCAN_ROWS);

    if (rc == GR_OK)
        rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc != GR_OK)
        goto done;
    rc = gr_db_begin(conn);
    if (rc == GR_OK)
        rc = gr_catalog__prepare(conn,
                                 "SELECT r.target_entity_ref, rs.location_key FROM catalog_refs r "
                                 "LEFT JOIN catalog_refresh_state rs ON rs.entity_ref = "
                                 "r.target_entity_ref WHERE r.source_key = ?",
                                 &stmt, "s", source_key);
    if (rc != GR_OK)
        goto done;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW)
        gr_catalog__marks_push(&old, gr_db_column_text(stmt, 0), gr_db_column_text(stmt, 1));
    gr_db_finalize(stmt);
    if (rc != GR_DB_DONE)
        goto done;
    rc = GR_OK;

    for (size_t i = 0; i < count; i++)
        wanted[i] = items[i].ref;
    gr_catalog__sort(wanted, count, sizeof(char *), compare_strings);
    for (size_t i = 0; i < old.count; i++) {
        if (count == 0 || bsearch(&old.refs[i], wanted, count, sizeof(char *), compare_strings) == NULL)
            gr_catalog__marks_push(&removed, old.refs[i], NULL);
    }
    rc = gr_catalog__provider_remove(catalog, conn, source_key, removed.refs, removed.count, cause,
                                     &marks, &deleted);
    for (size_t i = 0; i < count && rc == GR_OK; i++)
        rc = upsert_provided(conn, source_key, &items[i], now);
    if (rc == GR_OK)
        rc = gr_catalog__marks_flush(catalog, conn, &marks);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
done:
    if (rc != GR_OK)
        gr_db_rollback(conn);
    gr_db_release(conn);
    if (rc == GR_OK) {
        gr_catalog__notify_deleted(catalog, &deleted);
        gr_catalog__wake(catalog);
    }
    free(wanted);
    gr_catalog__marks_free(&marks);
    gr_catalog__marks_free(&deleted);
    gr_catalog__marks_free(&old);
    gr_catalog__marks_free(&removed);
    return rc;
}

int gr_catalog__provider_add(gr_catalog *catalog, const char *source_key,
                             const gr_catalog_provided *items, size_t count)
{
    return gr_catalog__provider_delta(catalog, source_key, items, count, NULL, 0, NULL);
}

int gr_catalog__provider_delta(gr_catalog *catalog, const char *source_key,
                               const gr_catalog_provided *items, size_t count,
                               char *const *removed, size_t removed_count, const char *cause)
{
    gr_catalog_marks marks = {0}, deleted = {0};
    gr_db_conn *conn = NULL;
    int64_t now = gr_catalog__now_ms();
    int rc = removed_count > 0
                 ? gr_catalog__relations_index_build(catalog, GR_CATALOG_RELATIONS_SCAN_ROWS)
                 : GR_OK;

    if (rc == GR_OK)
        rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc != GR_OK)
        return rc;
    rc = gr_db_begin(conn);
    if (rc == GR_OK && removed_count > 0)
        rc = gr_catalog__provider_remove(catalog, conn, source_key, removed, removed_count, cause,
                                         &marks, &deleted);
    for (size_t i = 0; i < count && rc == GR_OK; i++)
        rc = upsert_provided(conn, source_key, &items[i], now);
    if (rc == GR_OK)
        rc = gr_catalog__marks_flush(catalog, conn, &marks);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    else
        gr_db_rollback(conn);
    gr_db_release(conn);
    if (rc == GR_OK) {
        gr_catalog__notify_deleted(catalog, &deleted);
        gr_catalog__wake(catalog);
    }
    gr_catalog__marks_free(&marks);
    gr_catalog__marks_free(&deleted);
    return rc;
}

int gr_catalog__delete_orphans(gr_catalog *catalog, size_t *deleted_out)
{
    return gr_catalog__delete_orphans_rounds(catalog, ORPHAN_MAX_ROUNDS, deleted_out);
}

int gr_catalog__delete_orphans_rounds(gr_catalog *catalog, int max_rounds, size_t *deleted_out)
{
    /* Each deleted entity looks up the relations that point at it (delete_one()). */
    int rc = gr_catalog__relations_index_build(catalog, GR_CATALOG_RELATIONS_SCAN_ROWS);

    *deleted_out = 0;
    for (int round = 0; round < max_rounds && rc == GR_OK; round++) {
        gr_catalog_marks orphans = {0}, marks = {0}, deleted = {0};
        gr_db_conn *conn = NULL;
        gr_db_stmt *stmt = NULL;
        size_t found;

        rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
        if (rc != GR_OK)
            break;
        rc = gr_db_begin(conn);
        if (rc == GR_OK)
            rc = gr_catalog__prepare(conn,
                                     "SELECT entity_ref FROM catalog_refresh_state rs WHERE NOT "
                                     "EXISTS (SELECT 1 FROM catalog_refs r WHERE "
                                     "r.target_entity_ref = rs.entity_ref) LIMIT ?",
                                     &stmt, "i", (int64_t)ORPHAN_BATCH);
        if (rc == GR_OK) {
            while ((rc = gr_db_step(stmt)) == GR_DB_ROW)
                gr_catalog__marks_push(&orphans, gr_db_column_text(stmt, 0), NULL);
            gr_db_finalize(stmt);
            rc = rc == GR_DB_DONE ? GR_OK : rc;
        }
        if (rc == GR_OK)
            rc = gr_catalog__delete_entities(catalog, conn, orphans.refs, orphans.count,
                                             "orphan-cleanup", &marks, &deleted);
        if (rc == GR_OK)
            rc = gr_catalog__marks_flush(catalog, conn, &marks);
        if (rc == GR_OK)
            rc = gr_db_commit(conn);
        else
            gr_db_rollback(conn);
        gr_db_release(conn);
        found = orphans.count;
        if (rc == GR_OK) {
            gr_catalog__notify_deleted(catalog, &deleted);
            *deleted_out += found;
        }
        gr_catalog__marks_free(&orphans);
        gr_catalog__marks_free(&marks);
        gr_catalog__marks_free(&deleted);
        if (found == 0)
            break;
    }
    if (rc == GR_OK && *deleted_out > 0)
        gr_info("catalog", "deleted %zu orphaned entities", *deleted_out);
    return rc;
}
