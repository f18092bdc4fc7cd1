/* SPDX-License-Identifier: MIT */
/* Refresh-state rows without a final entity: listing them as failed or pending, deleting one. */
#include "plugins/catalog/api/unprocessed.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/common/utf8.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/util.h"

/* True for a row that has no final entity, as the read routes see it. */
#define NO_FINAL_ENTITY                                                                            \
    "NOT EXISTS (SELECT 1 FROM catalog_final_entities fe WHERE fe.entity_id = rs.entity_id "       \
    "AND fe.final_entity IS NOT NULL)"

/*
 * The two sets split the rows without a final entity, and each is the
 * negation of the other. FAILED_ROWS repeats the condition of the partial
 * index catalog_refresh_state_failed (engine/sql/007_failed_index.sql), so
 * that the failed list reads that index.
 */
#define FAILED_ROWS "(rs.processed_entity IS NULL AND rs.errors IS NOT NULL AND rs.errors <> '[]')"
#define PENDING_ROWS "(rs.processed_entity IS NOT NULL OR rs.errors IS NULL OR rs.errors = '[]')"

#define LIST_COLUMNS                                                                               \
    "SELECT rs.entity_id, rs.entity_ref, rs.unprocessed_entity, rs.unprocessed_hash, "             \
    "rs.processed_entity, rs.result_hash, rs.errors, rs.next_update_at, rs.last_discovery_at, "    \
    "rs.location_key FROM catalog_refresh_state rs WHERE rs.entity_ref > ? AND "

/* Keyset pages ordered by entity_ref. The first page starts after "". */
#define PAGE_ORDER " ORDER BY rs.entity_ref LIMIT ?"

/*
 * The owner filter, with the owner as its parameter, tests the unprocessed
 * entity only in a CASE whose WHEN contains the list's conditions. Both
 * databases evaluate the WHEN of a CASE before its THEN, but PostgreSQL may
 * evaluate the terms of an AND in any order. Without the CASE it parses the
 * JSON of every row in the table, including the stitched ones, before the
 * join with catalog_final_entities removes them. The set's condition is also
 * outside the CASE, so that SQLite reads the partial index of failed rows
 * for the failed set.
 *
 * SQLite tests json_valid() first, because its JSON functions raise an
 * error on text that is not JSON. json_each() yields every copy of a key
 * that an object repeats, so the test matches when any copy of spec.owner
 * is equal. row_item() then keeps the row only when the last copy is equal,
 * as jansson reads it.
 *
 * PostgreSQL compares jsonb values, so a number 5 does not match the owner
 * "5". The cast raises an error on text that is not JSON, which
 * gr_catalog_unprocessed_list() handles (see switch_to_c_filter()).
 */
#define OWNER_CASE(rows, test)                                                                     \
    rows " AND CASE WHEN " rows " AND " NO_FINAL_ENTITY test " ELSE FALSE END"
#define OWNER_SQLITE                                                                               \
    " AND json_valid(rs.unprocessed_entity) THEN EXISTS (SELECT 1 FROM "                           \
    "json_each(rs.unprocessed_entity, '$.spec') o WHERE o.key = 'owner' AND o.type = 'text' "      \
    "AND o.value = ?)"
#define OWNER_PG                                                                                   \
    " THEN (CAST(rs.unprocessed_entity AS jsonb) -> 'spec' -> 'owner') = to_jsonb(CAST(? AS text))"

/* Page statements of each set: without an owner filter, with it on SQLite, on PostgreSQL. */
static const char *const page_sql[][3] = {
    [GR_CATALOG_UNPROCESSED_FAILED] =
        {
            LIST_COLUMNS NO_FINAL_ENTITY " AND " FAILED_ROWS PAGE_ORDER,
            LIST_COLUMNS OWNER_CASE(FAILED_ROWS, OWNER_SQLITE) PAGE_ORDER,
            LIST_COLUMNS OWNER_CASE(FAILED_ROWS, OWNER_PG) PAGE_ORDER,
        },
    [GR_CATALOG_UNPROCESSED_PENDING] =
        {
            LIST_COLUMNS NO_FINAL_ENTITY " AND " PENDING_ROWS PAGE_ORDER,
            LIST_COLUMNS OWNER_CASE(PENDING_ROWS, OWNER_SQLITE) PAGE_ORDER,
            LIST_COLUMNS OWNER_CASE(PENDING_ROWS, OWNER_PG) PAGE_ORDER,
        },
};

const char *gr_catalog_unprocessed_page_sql(gr_db_engine engine, gr_catalog_unprocessed_set set,
                                            bool by_owner)
{
    if (!by_owner)
        return page_sql[set][0];
    return page_sql[set][engine == GR_DB_POSTGRES ? 2 : 1];
}

/* Column positions in LIST_COLUMNS. */
enum {
    COL_ENTITY_ID,
    COL_ENTITY_REF,
    COL_UNPROCESSED_ENTITY,
    COL_UNPROCESSED_HASH,
    COL_PROCESSED_ENTITY,
    COL_RESULT_HASH,
    COL_ERRORS,
    COL_NEXT_UPDATE_AT,
    COL_LAST_DISCOVERY_AT,
    COL_LOCATION_KEY,
};

/* Formats epoch milliseconds as "2024-05-01T10:00:00.000Z", as JSON.stringify(Date) does. */
static json_t *iso_time(int64_t ms)
{
    int64_t millis = ms % 1000;
    time_t seconds = (time_t)(ms / 1000);
    struct tm utc;
    char text[64];
    size_t len;

    if (millis < 0) {
        millis += 1000;
        seconds -= 1;
    }
    if (gmtime_r(&seconds, &utc) == NULL)
        return json_null();
    len = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf(text + len, sizeof(text) - len, ".%03dZ", (int)millis);
    return json_string(text);
}

/*
 * Returns `text` as a JSON string. JSON strings must be UTF-8, and SQLite
 * stores any bytes, so each byte that starts no valid sequence becomes U+FFFD.
 */
static json_t *json_text(const char *text)
{
    json_t *value = json_string(text);
    char *repaired;

    if (value != NULL)
        return value;
    repaired = gr_utf8_repair(text);
    value = json_string(repaired);
    free(repaired);
    return value;
}

static json_t *text_or_null(gr_db_stmt *stmt, int column)
{
    const char *text = gr_db_column_text(stmt, column);

    return text != NULL ? json_text(text) : json_null();
}

/*
 * Parses a JSON column into *out, which is null for SQL NULL and for text that
 * is not JSON. Such text comes only from a database edited by hand. It is
 * logged with the row and column, and the row stays listed so that it can be deleted.
 */
static void json_column(gr_db_stmt *stmt, int column, const char *name, json_t **out)
{
    const char *text = gr_db_column_text(stmt, column);

    *out = text != NULL ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (*out != NULL)
        return;
    *out = json_null();
    if (text != NULL)
        gr_log_fields(
            GR_LOG_WARN, "catalog", "listed a refresh-state column that is not JSON as null",
            "entity_id", gr_db_column_text(stmt, COL_ENTITY_ID), "column", name, "fix",
            "delete the row with DELETE /api/catalog/entities/unprocessed/delete/<entity_id>",
            NULL);
}

/*
 * Returns 1 when `entity` has spec.owner equal to `owner` (or `owner` is
 * NULL). The page statements apply the same test in the database, and this
 * one decides the few rows on which the two can differ: text that the
 * database reads as JSON but jansson rejects, and an object that repeats
 * spec.owner.
 */
static int owner_matches(const json_t *entity, const char *owner)
{
    const char *value;

    if (owner == NULL)
        return 1;
    value = json_string_value(json_object_get(json_object_get(entity, "spec"), "owner"));
    return value != NULL && strcmp(value, owner) == 0;
}

/* Builds the item of the current row in *out, or leaves *out NULL when the owner filter drops it.
 */
static void row_item(gr_db_stmt *stmt, const char *owner, json_t **out)
{
    json_t *unprocessed = NULL;
    json_t *processed = NULL;
    json_t *errors = NULL;
    json_t *item;

    *out = NULL;
    json_column(stmt, COL_UNPROCESSED_ENTITY, "unprocessed_entity", &unprocessed);
    if (!owner_matches(unprocessed, owner)) {
        json_decref(unprocessed);
        return;
    }
    json_column(stmt, COL_PROCESSED_ENTITY, "processed_entity", &processed);
    json_column(stmt, COL_ERRORS, "errors", &errors);

    item = json_object();
    json_object_set_new(item, "entity_id", text_or_null(stmt, COL_ENTITY_ID));
    json_object_set_new(item, "entity_ref", text_or_null(stmt, COL_ENTITY_REF));
    json_object_set_new(item, "unprocessed_entity", unprocessed);
    json_object_set_new(item, "unprocessed_hash", text_or_null(stmt, COL_UNPROCESSED_HASH));
    json_object_set_new(item, "processed_entity", processed);
    json_object_set_new(item, "result_hash", text_or_null(stmt, COL_RESULT_HASH));
    json_object_set_new(item, "errors", errors);
    json_object_set_new(item, "next_update_at",
                        iso_time(gr_db_column_int64(stmt, COL_NEXT_UPDATE_AT)));
    json_object_set_new(item, "last_discovery_at",
                        gr_db_column_is_null(stmt, COL_LAST_DISCOVERY_AT)
                            ? json_null()
                            : iso_time(gr_db_column_int64(stmt, COL_LAST_DISCOVERY_AT)));
    json_object_set_new(item, "location_key", text_or_null(stmt, COL_LOCATION_KEY));
    *out = item;
}

/* The listing state shared by the pages of one list. */
typedef struct {
    gr_catalog_unprocessed_set set;
    const char *owner;
    bool owner_in_sql; /* the page statement filters by owner, with the owner as parameter 2 */
    const char *sql;   /* the page statement */
    size_t max;
    json_t *items;
    bool truncated;
    char *after; /* entity_ref of the last row read */
} list_state;

/*
 * Reads one page of rows after state->after and appends the matching items.
 * Sets *more when the page was full, so another page may follow. With the
 * owner filter in the statement, the page contains matching rows only.
 */
static int list_page(gr_db_conn *conn, list_state *state, bool *more)
{
    gr_db_stmt *stmt = NULL;
    size_t rows = 0;
    int limit_index = state->owner_in_sql ? 3 : 2;
    int rc = gr_db_prepare(conn, state->sql, &stmt);

    *more = false;
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, state->after);
    if (rc == GR_OK && state->owner_in_sql)
        rc = gr_db_bind_text(stmt, 2, state->owner);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, limit_index, GR_CATALOG_UNPROCESSED_PAGE);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        json_t *item = NULL;

        rc = GR_OK;
        rows++;
        free(state->after);
        state->after = gr_xstrdup(gr_db_column_text(stmt, COL_ENTITY_REF));
        if (json_array_size(state->items) == state->max) {
            /* One more match than the maximum shows that the list is cut. */
            row_item(stmt, state->owner, &item);
            state->truncated = item != NULL;
            json_decref(item);
            if (state->truncated)
                break;
            continue;
        }
        row_item(stmt, state->owner, &item);
        if (item != NULL)
            json_array_append_new(state->items, item);
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    if (rc == GR_OK && !state->truncated)
        *more = rows == GR_CATALOG_UNPROCESSED_PAGE;
    gr_db_finalize(stmt);
    return rc;
}

/*
 * Continues a PostgreSQL list whose owner statement failed with the
 * statement without the filter, so that owner_matches() filters every
 * further row in C. The cast of the text column to jsonb raises an error on
 * text that is not JSON, which only a database edited by hand contains.
 * PostgreSQL 15 and older have no test that could skip such a row, because
 * pg_input_is_valid() and IS JSON came in PostgreSQL 16. The rest of such
 * a list costs what a list without the filter costs, and the row matches no
 * owner. The failed statement returned no row, because PostgreSQL returns a
 * whole result or an error, so the list goes on after the previous page.
 * Any other error fails the statement without the filter too, and is
 * returned.
 */
static void switch_to_c_filter(list_state *state)
{
    gr_log_fields(GR_LOG_WARN, "catalog",
                  "filtering unprocessed entities by owner in the database failed, so the "
                  "rest of the list is filtered after reading every row",
                  "owner", state->owner, "error", gr_error_last(), "fix",
                  "list the rows without the owner filter and delete the one whose "
                  "unprocessed_entity is null",
                  NULL);
    gr_error_clear();
    state->owner_in_sql = false;
    state->sql = gr_catalog_unprocessed_page_sql(GR_DB_POSTGRES, state->set, false);
}

int gr_catalog_unprocessed_list(gr_db *db, gr_catalog_unprocessed_set set, const char *owner,
                                size_t max, json_t **out, bool *truncated)
{
    list_state state = {.set = set,
                        .owner = owner,
                        .owner_in_sql = owner != NULL,
                        .sql = gr_catalog_unprocessed_page_sql(gr_db_dialect(db), set,
                                                               owner != NULL),
                        .max = max,
                        .items = json_array(),
                        .after = gr_xstrdup("")};
    gr_db_conn *conn = NULL;
    bool more = true;
    int rc = gr_db_acquire(db, GR_DB_READ, &conn);

    *out = NULL;
    *truncated = false;
    while (rc == GR_OK && more) {
        rc = list_page(conn, &state, &more);
        if (rc != GR_OK && state.owner_in_sql && gr_db_dialect(db) == GR_DB_POSTGRES) {
            switch_to_c_filter(&state);
            rc = GR_OK;
            more = true;
        }
    }
    gr_db_release(conn);
    free(state.after);
    if (rc != GR_OK) {
        json_decref(state.items);
        return rc;
    }
    *out = state.items;
    *truncated = state.truncated;
    return GR_OK;
}

static const char find_sql[] =
    "SELECT CASE WHEN " FAILED_ROWS " THEN 1 ELSE 2 END FROM catalog_refresh_state rs "
    "WHERE rs.entity_ref = ? AND " NO_FINAL_ENTITY;

int gr_catalog_unprocessed_find(gr_db *db, const char *entity_ref,
                                gr_catalog_unprocessed_membership *out)
{
    gr_db_conn *conn = NULL;
    int64_t set = 0;
    int rc = gr_db_acquire(db, GR_DB_READ, &conn);

    *out = GR_CATALOG_UNPROCESSED_NONE;
    if (rc == GR_OK)
        rc = gr_catalog__query_int(conn, &set, find_sql, "s", entity_ref);
    gr_db_release(conn);
    if (rc == GR_ENOTFOUND) {
        gr_error_clear();
        return GR_OK;
    }
    if (rc == GR_OK)
        *out = set == 1 ? GR_CATALOG_UNPROCESSED_IN_FAILED : GR_CATALOG_UNPROCESSED_IN_PENDING;
    return rc;
}

/*
 * Reads the entity_ref of a refresh-state row into *out (caller frees), or
 * GR_ENOTFOUND, and locks the row until the transaction ends. On PostgreSQL
 * the lock waits for a processing transaction that updated the row, so the
 * checks that follow see the children and relations it committed. A DELETE
 * that waits instead rechecks only the new version of the row, not its NOT
 * EXISTS conditions, and could remove a row that just gained children.
 */
static int row_ref(gr_db *db, gr_db_conn *conn, const char *entity_id, char **out)
{
    char *sql = gr_xasprintf("SELECT entity_ref FROM catalog_refresh_state WHERE entity_id = ?%s",
                             gr_db_sql_lock_rows(db));
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, sql, &stmt);

    free(sql);
    *out = NULL;
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, entity_id);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        *out = gr_xstrdup(gr_db_column_text(stmt, 0));
        rc = GR_OK;
    } else if (rc == GR_DB_DONE) {
        rc = GR_ENOTFOUND;
    }
    gr_db_finalize(stmt);
    return rc;
}

/* The row may go only when nothing the stitcher or other entities rely on points at it. */
static const char delete_sql[] =
    "DELETE FROM catalog_refresh_state WHERE entity_id = ? AND NOT EXISTS ("
    "SELECT 1 FROM catalog_final_entities fe WHERE fe.entity_id = catalog_refresh_state.entity_id "
    "AND fe.final_entity IS NOT NULL) AND NOT EXISTS ("
    "SELECT 1 FROM catalog_refs r WHERE r.source_entity_ref = catalog_refresh_state.entity_ref) "
    "AND NOT EXISTS (SELECT 1 FROM catalog_relations rel "
    "WHERE rel.originating_entity_id = catalog_refresh_state.entity_id)";

/* Explains why delete_sql kept the row: 2 stitched, 1 linked, and no row when it is gone. */
static const char keep_reason_sql[] =
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM catalog_final_entities fe "
    "WHERE fe.entity_id = rs.entity_id AND fe.final_entity IS NOT NULL) THEN 2 ELSE 1 END "
    "FROM catalog_refresh_state rs WHERE rs.entity_id = ?";

/*
 * Makes the parents of a deleted row due now and changes their result hash
 * to a value that no SHA-1 hash equals, as DELETE /entities/by-uid does in
 * Backstage and in gr_catalog_delete_entity(). Their next processing then
 * writes its result again, although it is unchanged, and so inserts the
 * deleted child again. The parents are the source_entity_ref of its refs.
 * A ref from an entity provider has a source_key and no such row, so an
 * entity that only a provider emits comes back at the provider's next run.
 * The parents are locked with the child (lock_family()) before this runs.
 */
static const char reprocess_parents_sql[] =
    "UPDATE catalog_refresh_state SET result_hash = 'child-was-deleted', next_update_at = ? "
    "WHERE entity_ref IN (SELECT source_entity_ref FROM catalog_refs WHERE target_entity_ref = ?)";

/* Deletes the row inside the open transaction of `conn`, or finds why it must stay. */
static int delete_in_transaction(gr_db_conn *conn, const char *entity_id, const char *ref,
                                 gr_catalog_unprocessed_outcome *outcome)
{
    int64_t deleted;
    int64_t reason = 0;
    int rc;

    /* Removing the stitch queue entry first waits for a stitch of this row
     * that is being written, and makes one that is not yet written skip it. */
    deleted = gr_catalog__exec(conn, "DELETE FROM catalog_stitch_queue WHERE entity_ref = ?", "s",
                               ref);
    if (deleted >= 0)
        deleted = gr_catalog__exec(conn, delete_sql, "s", entity_id);
    if (deleted < 0)
        return (int)deleted;
    if (deleted == 1) {
        int64_t changed = gr_catalog__exec(conn, reprocess_parents_sql, "is",
                                           gr_catalog__now_ms(), ref);

        if (changed >= 0)
            changed = gr_catalog__exec(
                conn, "DELETE FROM catalog_refs WHERE target_entity_ref = ?", "s", ref);
        *outcome = GR_CATALOG_UNPROCESSED_DELETED;
        return changed < 0 ? (int)changed : GR_OK;
    }
    rc = gr_catalog__query_int(conn, &reason, keep_reason_sql, "s", entity_id);
    if (rc == GR_ENOTFOUND) {
        gr_error_clear();
        *outcome = GR_CATALOG_UNPROCESSED_MISSING;
        return GR_OK;
    }
    if (rc == GR_OK)
        *outcome = reason == 2 ? GR_CATALOG_UNPROCESSED_STITCHED : GR_CATALOG_UNPROCESSED_LINKED;
    return rc;
}

/* The refresh-state rows of an entity and of its parents, which a delete locks before it runs. */
#define FAMILY_ROWS_SQL                                                                            \
    "SELECT p.entity_id FROM catalog_refresh_state p WHERE p.entity_id = ? OR p.entity_ref IN "   \
    "(SELECT r.source_entity_ref FROM catalog_refs r JOIN catalog_refresh_state c "               \
    "ON c.entity_ref = r.target_entity_ref WHERE c.entity_id = ?)"

/* Rounds of lock_family() that wait for one busy row before the delete locks in entity id order. */
#define FAMILY_LOCK_ATTEMPTS 20

typedef struct {
    char **ids;
    size_t count;
} id_list;

static void id_list_free(id_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->ids[i]);
    free(list->ids);
    memset(list, 0, sizeof(*list));
}

static bool id_list_has(const id_list *list, const char *id)
{
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->ids[i], id) == 0)
            return true;
    }
    return false;
}

/* Reads the ids that FAMILY_ROWS_SQL followed by `suffix` returns for `entity_id`. */
static int read_family(gr_db_conn *conn, const char *entity_id, const char *suffix, id_list *out)
{
    char *sql = gr_xasprintf("%s%s", FAMILY_ROWS_SQL, suffix);
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, sql, &stmt);

    free(sql);
    memset(out, 0, sizeof(*out));
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, entity_id);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 2, entity_id);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        out->ids = gr_xrealloc(out->ids, (out->count + 1) * sizeof(char *));
        out->ids[out->count++] = gr_xstrdup(gr_db_column_text(stmt, 0));
        rc = GR_OK;
    }
    gr_db_finalize(stmt);
    if (rc != GR_DB_DONE) {
        id_list_free(out);
        return rc;
    }
    return GR_OK;
}

/*
 * Tries to lock the rows of `entity_id` and of its parents at once, skipping
 * the rows that another transaction locks. Sets *busy to a copy of the id of
 * one such row (caller frees), or to NULL when every row is locked.
 */
static int try_lock_family(gr_db_conn *conn, const char *entity_id, char **busy)
{
    id_list all = {0}, locked = {0};
    int rc = read_family(conn, entity_id, "", &all);

    *busy = NULL;
    if (rc == GR_OK)
        rc = read_family(conn, entity_id, " FOR NO KEY UPDATE SKIP LOCKED", &locked);
    for (size_t i = 0; rc == GR_OK && i < all.count && *busy == NULL; i++) {
        if (!id_list_has(&locked, all.ids[i]))
            *busy = gr_xstrdup(all.ids[i]);
    }
    id_list_free(&all);
    id_list_free(&locked);
    return rc;
}

/* Waits, outside any transaction, until no other transaction locks the row `entity_id`. */
static int wait_for_row(gr_db_conn *conn, const char *entity_id)
{
    int64_t found = 0;
    int rc = gr_catalog__query_int(conn, &found,
                                   "SELECT 1 FROM catalog_refresh_state WHERE entity_id = ? "
                                   "FOR NO KEY UPDATE",
                                   "s", entity_id);

    if (rc == GR_ENOTFOUND) {
        gr_error_clear();
        rc = GR_OK;
    }
    return rc;
}

/* Locks the rows of `entity_id` and of its parents in entity id order, waiting for each. */
static int lock_family_in_order(gr_db_conn *conn, const char *entity_id)
{
    id_list rows = {0};
    int rc = read_family(conn, entity_id, " ORDER BY p.entity_id FOR NO KEY UPDATE", &rows);

    id_list_free(&rows);
    return rc;
}

/*
 * Locks the refresh-state rows of `entity_id` and of its parents on PostgreSQL
 * inside the open transaction of `conn`, before the delete changes any of
 * them. A processing batch locks its items and their children in the order of
 * their next update, so no fixed order of the rows here matches every batch.
 * So when one row is busy, the delete ends its transaction, waits for that row
 * alone while it locks none of them, and starts again. After
 * FAMILY_LOCK_ATTEMPTS rounds it waits for the rows in entity id order instead,
 * which can still deadlock with a batch, and PostgreSQL then aborts one of the
 * two transactions. A parent that gains the child after the rows are locked is
 * locked later by the delete and may deadlock in the same way. An aborted
 * delete runs again (GR_CATALOG_ABORTED_ATTEMPTS).
 * SQLite has one writer and needs no row locks.
 */
static int lock_family(gr_db *db, gr_db_conn *conn, const char *entity_id)
{
    int rc = GR_OK;

    if (gr_db_dialect(db) != GR_DB_POSTGRES)
        return GR_OK;
    for (int attempt = 0; attempt < FAMILY_LOCK_ATTEMPTS; attempt++) {
        char *busy = NULL;

        rc = try_lock_family(conn, entity_id, &busy);
        if (rc != GR_OK || busy == NULL)
            return rc;

        gr_db_rollback(conn);
        rc = wait_for_row(conn, busy);
        free(busy);
        if (rc == GR_OK)
            rc = gr_db_begin(conn);
        if (rc != GR_OK)
            return rc;
    }
    return lock_family_in_order(conn, entity_id);
}

/*
 * Runs one transaction of gr_catalog_unprocessed_delete() on `conn`, from
 * BEGIN to COMMIT or ROLLBACK. `*ref` receives the row's entity ref when the
 * row exists (caller frees).
 */
static int unprocessed_delete_once(gr_db *db, gr_db_conn *conn, const char *entity_id,
                                   gr_catalog_unprocessed_outcome *outcome, char **ref)
{
    int rc = gr_db_begin(conn);

    *outcome = GR_CATALOG_UNPROCESSED_MISSING;
    if (rc == GR_OK)
        rc = lock_family(db, conn, entity_id);
    if (rc == GR_OK)
        rc = row_ref(db, conn, entity_id, ref);
    if (rc == GR_ENOTFOUND) {
        gr_error_clear();
        gr_db_rollback(conn);
        return GR_OK;
    }
    if (rc == GR_OK)
        rc = delete_in_transaction(conn, entity_id, *ref, outcome);
    if (rc == GR_OK && *outcome == GR_CATALOG_UNPROCESSED_DELETED)
        rc = gr_db_commit(conn);
    else
        gr_db_rollback(conn);
    return rc;
}

int gr_catalog_unprocessed_delete(gr_db *db, const char *entity_id,
                                  gr_catalog_unprocessed_outcome *outcome, char **entity_ref)
{
    gr_db_conn *conn = NULL;
    char *ref = NULL;
    int rc = gr_db_acquire(db, GR_DB_WRITE, &conn);

    *entity_ref = NULL;
    *outcome = GR_CATALOG_UNPROCESSED_MISSING;
    for (int attempt = 1; conn != NULL; attempt++) {
        rc = unprocessed_delete_once(db, conn, entity_id, outcome, &ref);
        if (!gr_catalog__retry_aborted(conn, rc, attempt, "deleting unprocessed entity %s",
                                       entity_id))
            break;
        free(ref);
        ref = NULL;
    }
    gr_db_release(conn);
    if (rc != GR_OK || *outcome == GR_CATALOG_UNPROCESSED_MISSING) {
        free(ref);
        return rc;
    }
    *entity_ref = ref;
    return GR_OK;
}
