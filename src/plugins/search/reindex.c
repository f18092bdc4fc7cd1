/* SPDX-License-Identifier: MIT */
/* Full rebuilds into a new generation, switched in atomically while the old one serves. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/search/internal.h"

/*
 * A rebuild:
 *   1. claims the state row: building_generation = active + 1 (or past an
 *      abandoned rebuild), with this process as owner, and creates the tables;
 *   2. runs every collator's collate_all into the new tables, in short
 *      transactions that renew the claim, then creates the query indexes;
 *   3. re-collates the sources that incremental updates recorded in
 *      search_pending meanwhile, until none is left;
 *   4. switches active_generation in a transaction that first checks that
 *      search_pending is still empty, and drops the old tables.
 * Incremental updates write to the active generation and, while a rebuild
 * runs, add their sources to search_pending, so a change made during the
 * rebuild reaches the new generation in step 3 even when step 2 read the
 * old version.
 */

static double seconds_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Locks the state row for the rest of the transaction (on SQLite the writer
 * lock taken by BEGIN IMMEDIATE does this). */
static int lock_state(gr_db_conn *conn)
{
    if (gr_db_dialect(gr_db_conn_db(conn)) != GR_DB_POSTGRES)
        return 0;
    return gr_db_exec(conn, "SELECT id FROM search_state WHERE id = 1 FOR UPDATE");
}

typedef struct {
    int64_t active;
    int64_t building;
    char *owner;
    int64_t heartbeat;
    int64_t now;
} build_state;

static int read_build_state(gr_db_conn *conn, build_state *state)
{
    char *sql = gr_xasprintf("SELECT active_generation, COALESCE(building_generation, 0), "
                             "building_owner, COALESCE(building_heartbeat_at, 0), %s "
                             "FROM search_state WHERE id = 1",
                             gr_db_sql_now_ms(gr_db_conn_db(conn)));
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, sql, &stmt);

    memset(state, 0, sizeof(*state));
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *owner = gr_db_column_text(stmt, 2);

        state->active = gr_db_column_int64(stmt, 0);
        state->building = gr_db_column_int64(stmt, 1);
        state->owner = owner ? gr_xstrdup(owner) : NULL;
        state->heartbeat = gr_db_column_int64(stmt, 3);
        state->now = gr_db_column_int64(stmt, 4);
        rc = 0;
    } else if (rc == GR_DB_DONE) {
        rc = gr_error_set(GR_ENOTFOUND, "the search_state row is missing");
    }
    gr_db_finalize(stmt);
    free(sql);
    return rc;
}

static int run_int(gr_db_conn *conn, const char *sql, const char *text, int64_t a, int64_t b)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, sql, &stmt);
    int index = 1;

    if (rc == 0 && text != NULL)
        rc = gr_db_bind_text(stmt, index++, text);
    if (rc == 0)
        rc = gr_db_bind_int64(stmt, index++, a);
    if (rc == 0 && b >= 0)
        rc = gr_db_bind_int64(stmt, index++, b);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    return rc;
}

/* Step 1. On success *generation is the new generation. */
static int claim(gr_search *search, int64_t *generation)
{
    gr_db_conn *conn = NULL;
    build_state state;
    char *sql = NULL;
    int rc;

    memset(&state, 0, sizeof(state));
    if ((rc = gr_db_acquire(search->db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    if ((rc = gr_db_begin(conn)) < 0 || (rc = lock_state(conn)) < 0 ||
        (rc = read_build_state(conn, &state)) < 0)
        goto done;

    if (state.building != 0 && state.heartbeat + GR_SEARCH_BUILD_LEASE_MS > state.now &&
        (state.owner == NULL || strcmp(state.owner, search->instance_id) != 0)) {
        rc = gr_error_set(GR_ECONFLICT,
                          "a search reindex is running already (generation %" PRId64
                          ", owner %s, last write %" PRId64 " ms ago); try again later",
                          state.building, state.owner ? state.owner : "unknown",
                          state.now - state.heartbeat);
        goto done;
    }
    if (state.building != 0) {
        gr_info("search", "abandoning the unfinished search rebuild of generation %" PRId64,
                state.building);
        if ((rc = search->engine->drop_generation(conn, state.building)) < 0)
            goto done;
    }

    *generation = (state.building > state.active ? state.building : state.active) + 1;
    if ((rc = search->engine->create_generation(search, conn, *generation)) < 0)
        goto done;
    if ((rc = gr_db_exec(conn, "DELETE FROM search_pending")) < 0)
        goto done;
    sql = gr_xasprintf("UPDATE search_state SET building_owner = ?, building_generation = ?, "
                       "building_heartbeat_at = %s WHERE id = 1",
                       gr_db_sql_now_ms(search->db));
    if ((rc = run_int(conn, sql, search->instance_id, *generation, -1)) < 0)
        goto done;
    rc = gr_db_commit(conn);
done:
    if (rc < 0)
        gr_db_rollback(conn);
    gr_db_release(conn);
    free(state.owner);
    free(sql);
    return rc;
}

/* Step 2. */
static int collate_all(gr_search *search, int64_t generation, size_t *documents)
{
    for (size_t i = 0; i < search->collator_count; i++) {
        const gr_search_collator *collator = &search->collators[i];
        gr_search_sink *sink = gr_search__sink_write(search, collator->type, generation);
        int rc = collator->collate_all(collator->payload, sink);

        if (rc == 0)
            rc = gr_search__sink_flush(sink);
        *documents += gr_search__sink_written(sink);
        gr_search__sink_free(sink);
        if (rc < 0)
            return gr_error_wrap(rc, "collating %s", collator->type);
    }
    return 0;
}

typedef struct {
    char *type;
    char *source;
} pending_row;

static int read_pending(gr_search *search, int64_t generation, pending_row **rows,
                        size_t *count)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    *rows = gr_xcalloc(GR_SEARCH__SOURCE_BATCH, sizeof(**rows));
    *count = 0;
    if ((rc = gr_db_acquire(search->db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    rc = gr_db_prepare(conn,
                       "SELECT doc_type, source FROM search_pending WHERE generation = ? "
                       "ORDER BY doc_type, source LIMIT 100",
                       &stmt);
    if (rc == 0)
        rc = gr_db_bind_int64(stmt, 1, generation);
    while (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        if (*count < GR_SEARCH__SOURCE_BATCH) {
            (*rows)[*count].type = gr_xstrdup(gr_db_column_text(stmt, 0));
            (*rows)[*count].source = gr_xstrdup(gr_db_column_text(stmt, 1));
            (*count)++;
        }
        rc = 0;
    }
    if (rc == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

static void pending_free(pending_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(rows[i].type);
        free(rows[i].source);
    }
    free(rows);
}

/* Re-collates one batch of pending sources into `generation` and removes
 * them from search_pending in the same transaction. */
static int catch_up_batch(gr_search *search, int64_t generation, pending_row *rows, size_t count)
{
    gr_search_sink **sinks = gr_xcalloc(count + 1, sizeof(*sinks));
    gr_db_conn *conn = NULL;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < count; i++) {
        const gr_search_collator *collator = gr_search__collator(search, rows[i].type);

        sinks[i] = gr_search__sink_collect(search, rows[i].type);
        if (collator != NULL && collator->collate_source != NULL)
            rc = collator->collate_source(collator->payload, rows[i].source, sinks[i]);
    }
    if (rc == 0 && (rc = gr_db_acquire(search->db, GR_DB_WRITE, &conn)) == 0) {
        rc = gr_db_begin(conn);
        for (size_t i = 0; rc == 0 && i < count; i++) {
            size_t doc_count;
            gr_search__doc *docs = gr_search__sink_docs(sinks[i], &doc_count);
            gr_db_stmt *stmt = NULL;

            rc = gr_search__replace_source(search, conn, generation, rows[i].type,
                                           rows[i].source, docs, doc_count);
            if (rc == 0)
                rc = gr_db_prepare(conn,
                                   "DELETE FROM search_pending WHERE generation = ? "
                                   "AND doc_type = ? AND source = ?",
                                   &stmt);
            if (rc == 0)
                rc = gr_db_bind_int64(stmt, 1, generation);
            if (rc == 0)
                rc = gr_db_bind_text(stmt, 2, rows[i].type);
            if (rc == 0)
                rc = gr_db_bind_text(stmt, 3, rows[i].source);
            if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_DONE)
                rc = 0;
            gr_db_finalize(stmt);
        }
        if (rc == 0)
            rc = gr_db_commit(conn);
        if (rc < 0)
            gr_db_rollback(conn);
        gr_db_release(conn);
    }
    for (size_t i = 0; i < count; i++)
        gr_search__sink_free(sinks[i]);
    free(sinks);
    return rc;
}

/* Step 3: runs until search_pending has no row for `generation`. */
static int catch_up(gr_search *search, int64_t generation, size_t *sources)
{
    for (;;) {
        pending_row *rows = NULL;
        size_t count = 0;
        int rc = read_pending(search, generation, &rows, &count);

        if (rc == 0 && count > 0)
            rc = catch_up_batch(search, generation, rows, count);
        pending_free(rows, count);
        if (rc < 0)
            return rc;
        if (count == 0)
            return 0;
        *sources += count;
    }
}

/* Step 4. Returns 0 after switching, 1 when changes arrived since the last
 * catch-up (run it again), or an error. *old receives the old generation. */
static int try_switch(gr_search *search, int64_t generation, int64_t *old)
{
    gr_db_conn *conn = NULL;
    build_state state;
    int64_t pending = 0;
    char *sql = NULL;
    int rc;

    memset(&state, 0, sizeof(state));
    if ((rc = gr_db_acquire(search->db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    if ((rc = gr_db_begin(conn)) < 0 || (rc = lock_state(conn)) < 0 ||
        (rc = read_build_state(conn, &state)) < 0)
        goto done;
    if (state.building != generation || state.owner == NULL ||
        strcmp(state.owner, search->instance_id) != 0) {
        rc = gr_error_set(GR_ECONFLICT, "another process took over the search rebuild of "
                                        "generation %" PRId64,
                          generation);
        goto done;
    }
    rc = gr_db_query_int64(conn, "SELECT count(*) FROM search_pending WHERE generation = ?",
                           &generation, 1, &pending);
    if (rc < 0 || pending > 0) {
        rc = rc < 0 ? rc : 1;
        goto done;
    }
    sql = gr_xasprintf("UPDATE search_state SET active_generation = ?, building_generation = NULL, "
                       "building_owner = NULL, building_heartbeat_at = NULL, switched_at = %s "
                       "WHERE id = 1",
                       gr_db_sql_now_ms(search->db));
    if ((rc = run_int(conn, sql, NULL, generation, -1)) < 0)
        goto done;
    *old = state.active;
    rc = gr_db_commit(conn);
done:
    if (rc != 0)
        gr_db_rollback(conn);
    gr_db_release(conn);
    free(state.owner);
    free(sql);
    return rc;
}

static int with_write(gr_search *search, int (*fn)(gr_db_conn *, int64_t), int64_t generation)
{
    gr_db_conn *conn = NULL;
    int rc = gr_db_acquire(search->db, GR_DB_WRITE, &conn);

    if (rc == 0 && (rc = gr_db_begin(conn)) == 0) {
        rc = fn(conn, generation);
        if (rc == 0)
            rc = gr_db_commit(conn);
        if (rc < 0)
            gr_db_rollback(conn);
    }
    gr_db_release(conn);
    return rc;
}

/* Drops a failed rebuild's tables and releases the claim, keeping the
 * thread's error message for the caller. */
static void abandon(gr_search *search, int64_t generation)
{
    char message[GR_ERROR_MAX];
    int code = gr_error_last_code();
    gr_db_conn *conn = NULL;

    snprintf(message, sizeof(message), "%s", gr_error_last());
    if (gr_db_acquire(search->db, GR_DB_WRITE, &conn) == 0 && gr_db_begin(conn) == 0) {
        int rc = lock_state(conn);

        if (rc == 0)
            rc = run_int(conn,
                         "UPDATE search_state SET building_generation = NULL, building_owner = "
                         "NULL, building_heartbeat_at = NULL WHERE id = 1 AND "
                         "building_owner = ? AND building_generation = ?",
                         search->instance_id, generation, -1);
        if (rc == 0)
            rc = search->engine->drop_generation(conn, generation);
        if (rc == 0)
            rc = gr_db_commit(conn);
        if (rc < 0)
            gr_db_rollback(conn);
    }
    gr_db_release(conn);
    gr_error_set(code, "%s", message);
}

int gr_search_reindex(gr_search *search, gr_search_reindex_stats *stats)
{
    gr_search_reindex_stats local;
    struct timespec start;
    int64_t generation = 0;
    int64_t old = 0;
    int rc;

    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    clock_gettime(CLOCK_MONOTONIC, &start);

    if ((rc = claim(search, &generation)) < 0)
        return rc;
    gr_info("search", "search rebuild of generation %" PRId64 " started", generation);

    rc = collate_all(search, generation, &stats->documents);
    if (rc == 0)
        rc = with_write(search, search->engine->create_query_indexes, generation);
    if (rc == 0)
        rc = with_write(search, search->engine->finish_generation, generation);
    while (rc == 0) {
        rc = catch_up(search, generation, &stats->catch_up);
        if (rc == 0)
            rc = try_switch(search, generation, &old);
        if (rc == 1)
            rc = 0;
        else
            break;
    }
    if (rc < 0) {
        abandon(search, generation);
        gr_log_fields(GR_LOG_WARN, "search", "search rebuild failed; the previous index stays",
                      "error", gr_error_last(), NULL);
        return rc;
    }

    if (old != 0 && with_write(search, search->engine->drop_generation, old) < 0)
        gr_log_fields(GR_LOG_WARN, "search", "dropping the previous search generation failed",
                      "error", gr_error_last(), NULL);
    stats->generation = generation;
    stats->seconds = seconds_since(&start);
    {
        char documents[32], seconds[32], caught[32];

        snprintf(documents, sizeof(documents), "%zu", stats->documents);
        snprintf(caught, sizeof(caught), "%zu", stats->catch_up);
        snprintf(seconds, sizeof(seconds), "%.3f", stats->seconds);
        gr_log_fields(GR_LOG_INFO, "search", "search rebuild finished", "documents", documents,
                      "changed_meanwhile", caught, "seconds", seconds, NULL);
    }
    return 0;
}
