/* SPDX-License-Identifier: MIT */
/* Following catalog_history, so that entity changes stitched by any process reach the index. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/search/entities.h"
#include "plugins/search/internal.h"

/*
 * The catalog writes a catalog_history row for every final entity it
 * creates, changes or deletes (orphan deletes included), in the transaction
 * that writes the entity. A stitch that changes nothing writes no row and
 * changes no document. No code deletes history rows. The worker reads the rows
 * above the last id it handled and re-collates their entities, whichever
 * process stitched them: this one, another instance or `greenroom catalog
 * import`. This process's stitch hook only wakes the worker, so each change
 * is collated once.
 *
 * search_state.history_id is the newest id that any process handled. A worker
 * starts from it, so changes made while no server ran are collated at start
 * without a rebuild. A worker that finds it ahead of its own position skips
 * to it, so instances that share the index do not repeat each other's work.
 * Two workers that read the same rows at the same moment both collate them,
 * which costs time and changes nothing. A rebuild leaves the position alone,
 * because it reads every entity anyway and the worker's writes meanwhile
 * reach the new generation through search_pending.
 *
 * PostgreSQL assigns an id when the row is inserted, not when its
 * transaction commits, and does not reuse the id of an aborted insert (the
 * manual's "Sequence Manipulation Functions"). So a row can become visible
 * after rows with higher ids were read, and some ids never appear. The reader therefore records
 * each id it skipped as a gap and looks for it again at every poll for GR_SEARCH__HISTORY_GAP_MS. A
 * gap that stays empty is a rolled-back insert, or a transaction slower than that, whose change
 * waits for the next rebuild. Gaps are kept in memory only. On SQLite the single writer assigns ids
 * in commit order and a rollback gives its ids back, so gaps appear only where rows were deleted.
 */

/* Skipped ids looked for per statement. */
#define GAP_QUERY_IDS 100

typedef struct {
    gr_search__change *items;
    size_t count;
    size_t cap;
} change_list;

static int64_t monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Adds the entity of a history row. Sources are entity refs in lower case,
 * as catalog_final_entities stores them. */
static void change_add(change_list *list, const char *entity_ref)
{
    if (entity_ref == NULL || entity_ref[0] == '\0')
        return;
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 64;
        list->items = gr_xrealloc(list->items, list->cap * sizeof(*list->items));
    }
    list->items[list->count].type = NULL;
    list->items[list->count].source = gr_search_ascii_lower(gr_xstrdup(entity_ref));
    list->count++;
}

int gr_search__history_start(gr_search *search)
{
    gr_db_conn *conn = NULL;
    int64_t position = 0;
    int exists = 0;
    int rc = gr_db_acquire(search->db, GR_DB_WRITE, &conn);

    search->history_last = -1;
    search->history_saved = -1;
    if (rc == 0)
        rc = gr_search_catalog_table_exists(conn, "catalog_history", &exists);
    /* Without a saved position (the first start, also the first after an
     * upgrade), older changes are left to the rebuilds, because a server that
     * never built its index rebuilds it a second after start. */
    if (rc == 0 && exists)
        rc = gr_db_exec(conn, "UPDATE search_state SET history_id = (SELECT COALESCE(max(id), 0) "
                              "FROM catalog_history) WHERE id = 1 AND history_id IS NULL");
    if (rc == 0 && exists)
        rc = gr_db_query_int64(conn, "SELECT history_id FROM search_state WHERE id = 1", NULL, 0,
                               &position);
    gr_db_release(conn);
    if (rc < 0)
        return rc;
    if (exists) {
        search->history_last = position;
        search->history_saved = position;
    }
    return 0;
}

/* Records the ids first..last as skipped. When more than
 * GR_SEARCH__HISTORY_MAX_GAPS are open, the oldest are given up. */
static void add_gaps(gr_search *search, int64_t first, int64_t last)
{
    int64_t now = monotonic_ms();
    size_t dropped = 0;

    if (last - first >= GR_SEARCH__HISTORY_MAX_GAPS) {
        dropped = (size_t)(last - first + 1 - GR_SEARCH__HISTORY_MAX_GAPS);
        first = last - GR_SEARCH__HISTORY_MAX_GAPS + 1;
    }
    for (int64_t id = first; id <= last; id++) {
        if (search->gap_count == search->gap_cap) {
            search->gap_cap = search->gap_cap ? search->gap_cap * 2 : 16;
            search->gaps = gr_xrealloc(search->gaps, search->gap_cap * sizeof(*search->gaps));
        }
        search->gaps[search->gap_count++] = (gr_search__history_gap){id, now};
    }
    if (search->gap_count > GR_SEARCH__HISTORY_MAX_GAPS) {
        size_t excess = search->gap_count - GR_SEARCH__HISTORY_MAX_GAPS;

        memmove(search->gaps, search->gaps + excess,
                GR_SEARCH__HISTORY_MAX_GAPS * sizeof(*search->gaps));
        search->gap_count = GR_SEARCH__HISTORY_MAX_GAPS;
        dropped += excess;
    }
    if (dropped > 0)
        gr_warn("search",
                "stopped waiting for %zu catalog history ids that are not visible yet; "
                "if they commit later, the next rebuild indexes their changes",
                dropped);
}

/* Looks for the rows of gaps[first..first+count) and marks each found gap with id 0. */
static int find_gap_rows(gr_search *search, gr_db_conn *conn, size_t first, size_t count,
                         change_list *changes)
{
    gr_buf sql = GR_BUF_INIT;
    gr_db_stmt *stmt = NULL;
    int rc;

    gr_buf_puts(&sql, "SELECT id, entity_ref FROM catalog_history WHERE id IN (");
    for (size_t i = 0; i < count; i++)
        gr_buf_puts(&sql, i == 0 ? "?" : ", ?");
    gr_buf_puts(&sql, ")");
    rc = gr_db_prepare(conn, gr_buf_cstr(&sql), &stmt);
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = gr_db_bind_int64(stmt, (int)i + 1, search->gaps[first + i].id);
    while (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        int64_t id = gr_db_column_int64(stmt, 0);

        rc = 0;
        change_add(changes, gr_db_column_text(stmt, 1));
        for (size_t i = 0; i < count; i++)
            if (search->gaps[first + i].id == id)
                search->gaps[first + i].id = 0;
    }
    if (rc == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    gr_buf_free(&sql);
    return rc;
}

/* Adds the rows that filled gaps since the last poll, and drops the gaps
 * that were filled or are older than GR_SEARCH__HISTORY_GAP_MS. */
static int fill_gaps(gr_search *search, gr_db_conn *conn, change_list *changes)
{
    int64_t now = monotonic_ms();
    size_t open_count = 0;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < search->gap_count; i += GAP_QUERY_IDS) {
        size_t count = search->gap_count - i;

        rc = find_gap_rows(search, conn, i, count < GAP_QUERY_IDS ? count : GAP_QUERY_IDS, changes);
    }
    for (size_t i = 0; i < search->gap_count; i++) {
        const gr_search__history_gap *gap = &search->gaps[i];

        if (gap->id != 0 && now - gap->noticed_ms < GR_SEARCH__HISTORY_GAP_MS)
            search->gaps[open_count++] = *gap;
    }
    search->gap_count = open_count;
    return rc;
}

/* Adds the rows above history_last, at most GR_SEARCH__HISTORY_BATCH, and
 * sets *more when the batch was full. */
static int read_new_rows(gr_search *search, gr_db_conn *conn, change_list *changes, int *more)
{
    char *sql = gr_xasprintf("SELECT id, entity_ref FROM catalog_history WHERE id > ? "
                             "ORDER BY id LIMIT %d",
                             GR_SEARCH__HISTORY_BATCH);
    gr_db_stmt *stmt = NULL;
    int rows = 0;
    int rc = gr_db_prepare(conn, sql, &stmt);

    if (rc == 0)
        rc = gr_db_bind_int64(stmt, 1, search->history_last);
    while (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        int64_t id = gr_db_column_int64(stmt, 0);

        rc = 0;
        rows++;
        if (id > search->history_last + 1)
            add_gaps(search, search->history_last + 1, id - 1);
        change_add(changes, gr_db_column_text(stmt, 1));
        search->history_last = id;
    }
    if (rc == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    free(sql);
    *more = rows == GR_SEARCH__HISTORY_BATCH;
    return rc;
}

/* Moves search_state.history_id up to history_last and never down, because
 * another process may have moved it further. */
static int save_position(gr_search *search)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    if (search->history_last <= search->history_saved)
        return 0;
    if ((rc = gr_db_acquire(search->db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    rc = gr_db_prepare(conn,
                       "UPDATE search_state SET history_id = ? WHERE id = 1 AND "
                       "(history_id IS NULL OR history_id < ?)",
                       &stmt);
    if (rc == 0)
        rc = gr_db_bind_int64(stmt, 1, search->history_last);
    if (rc == 0)
        rc = gr_db_bind_int64(stmt, 2, search->history_last);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (rc == 0)
        search->history_saved = search->history_last;
    return rc;
}

int gr_search__history_poll(gr_search *search)
{
    change_list changes = {NULL, 0, 0};
    gr_db_conn *conn = NULL;
    int64_t position = 0;
    int more = 0;
    int rc;

    if (search->history_last < 0)
        return 0;
    if ((rc = gr_db_acquire(search->db, GR_DB_READ, &conn)) < 0)
        return rc;
    rc = gr_db_query_int64(conn, "SELECT COALESCE(history_id, 0) FROM search_state WHERE id = 1",
                           NULL, 0, &position);
    if (rc == 0 && position > search->history_last) {
        /* Another process handled the rows up to there. */
        search->history_last = position;
        search->history_saved = position;
    }
    if (rc == 0 && search->gap_count > 0)
        rc = fill_gaps(search, conn, &changes);
    if (rc == 0)
        rc = read_new_rows(search, conn, &changes, &more);
    gr_db_release(conn);

    /* The rows read before an error are applied and count as handled. */
    if (changes.count > 0)
        gr_search__apply_batch(search, changes.items, changes.count);
    else
        free(changes.items);
    if (search->history_last > search->history_saved) {
        int saved = save_position(search);

        if (rc == 0)
            rc = saved;
    }
    return rc < 0 ? rc : more;
}
