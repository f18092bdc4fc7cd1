/* SPDX-License-Identifier: MIT */
/* The indexes that the first load of an empty SQLite catalog builds late: search rows, relations.
 */
#include "plugins/catalog/engine/search_index.h"

#include <malloc.h>
#include <stdio.h>

#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/sql.h"

/*
 * The index of catalog_search that a first load builds at its end, as the
 * catalog API's migrations create it. Without it, a first load of 100,000
 * entities (about 3 million search rows) keeps one index in order instead of
 * two. The rows stay ordered by entity (the table's key on SQLite, the
 * (entity_id, key, value) index on PostgreSQL), because the stitch deletes
 * and reads rows by entity.
 * NOTE: filters and facets that the API runs during a first load scan
 * catalog_search until the indexes are built. Their results are the same.
 */
static const char *const deferred_indexes[][2] = {
    {"catalog_search_key_value_entity_original",
     "CREATE INDEX IF NOT EXISTS catalog_search_key_value_entity_original"
     " ON catalog_search (key, value, entity_id, original_value)"},
};

#define DEFERRED_COUNT (sizeof(deferred_indexes) / sizeof(deferred_indexes[0]))

/*
 * The index of relations by source, which only the stitch and deletes read.
 * Kept in order while relations are inserted, it added about 0.9 s to
 * inserting the 868,000 relations of 100,000 entities (sources in no order,
 * timed with the sqlite3 shell), against 0.3 s to build it once. A first
 * load builds it once there are GR_CATALOG_RELATIONS_SCAN_ROWS relations,
 * before its first stitch or delete. Each deleted entity looks up the
 * relations that point at it.
 */
#define RELATIONS_INDEX "catalog_relations_source_entity_ref"
#define RELATIONS_INDEX_SQL                                                                        \
    "CREATE INDEX IF NOT EXISTS " RELATIONS_INDEX " ON catalog_relations (source_entity_ref)"

/* Creates every deferred index of catalog_search that is missing. */
static int create_indexes(gr_db_conn *conn)
{
    int rc = GR_OK;

    for (size_t i = 0; i < DEFERRED_COUNT && rc == GR_OK; i++)
        rc = gr_db_exec(conn, deferred_indexes[i][1]);
    return rc;
}

static int drop_indexes(gr_db_conn *conn)
{
    int rc = GR_OK;

    for (size_t i = 0; i < DEFERRED_COUNT && rc == GR_OK; i++) {
        char sql[96];

        snprintf(sql, sizeof(sql), "DROP INDEX IF EXISTS %s", deferred_indexes[i][0]);
        rc = gr_db_exec(conn, sql);
    }
    if (rc == GR_OK)
        rc = gr_db_exec(conn, "DROP INDEX IF EXISTS " RELATIONS_INDEX);
    return rc;
}

/* Page cache while the indexes are built: -N is N KiB. */
#define INDEX_CACHE_SIZE "-2048"
/* Helper threads that sort while the search index is built, besides the worker that builds it:
 * the other workers wait for the write connection meanwhile. */
#define INDEX_SORT_THREADS 1

static void set_waiting(gr_catalog *catalog, bool *flag, bool waiting)
{
    pthread_mutex_lock(&catalog->lock);
    *flag = waiting;
    pthread_mutex_unlock(&catalog->lock);
}

static bool read_waiting(gr_catalog *catalog, const bool *flag)
{
    bool waiting;

    pthread_mutex_lock(&catalog->lock);
    waiting = *flag;
    pthread_mutex_unlock(&catalog->lock);
    return waiting;
}

static int build_with_small_cache(gr_db_conn *conn, int (*create)(gr_db_conn *), int threads);

/* Creates every deferred index that is missing, as after a crash during a first load. */
static int create_missing_indexes(gr_db_conn *conn)
{
    int rc = create_indexes(conn);

    return rc == GR_OK ? gr_db_exec(conn, RELATIONS_INDEX_SQL) : rc;
}

int gr_catalog__search_index_defer(gr_catalog *catalog)
{
    gr_db_conn *conn = NULL;
    int64_t found = 0;
    int rc;

    if (gr_db_dialect(catalog->db) != GR_DB_SQLITE)
        return GR_OK;
    rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc != GR_OK)
        return rc;
    rc = gr_catalog__query_int(conn, &found, "SELECT 1 FROM catalog_final_entities LIMIT 1", NULL);
    if (rc == GR_ENOTFOUND) {
        rc = drop_indexes(conn);
        if (rc == GR_OK) {
            set_waiting(catalog, &catalog->search_index_waiting, true);
            set_waiting(catalog, &catalog->relations_index_waiting, true);
        }
    } else if (rc == GR_OK) {
        rc = build_with_small_cache(conn, create_missing_indexes, INDEX_SORT_THREADS);
    }
    gr_db_release(conn);
    return rc;
}

/*
 * Runs `create` (deferred indexes) with a small page cache and with temporary data in a file
 * instead of memory. SQLite sorts in memory up to the size of the page cache, so the writer's
 * 40 MiB cache would add up to 40 MiB of sort buffers to the resident memory.
 */
static int build_with_small_cache(gr_db_conn *conn, int (*create)(gr_db_conn *), int threads)
{
    int64_t cache_size = 0;
    char settings[128];
    char restore[96];
    int rc = gr_catalog__query_int(conn, &cache_size, "PRAGMA cache_size", NULL);

    if (rc != GR_OK)
        return rc;
    snprintf(settings, sizeof(settings),
             "PRAGMA temp_store=FILE; PRAGMA threads=%d; PRAGMA cache_size=" INDEX_CACHE_SIZE,
             threads);
    rc = gr_db_exec(conn, settings);
    if (rc == GR_OK)
        rc = create(conn);
    snprintf(restore, sizeof(restore),
             "PRAGMA temp_store=MEMORY; PRAGMA threads=0; PRAGMA cache_size=%lld",
             (long long)cache_size);
    if (gr_db_exec(conn, restore) != GR_OK && rc == GR_OK)
        rc = GR_EBACKEND;

    /* The pages that the small cache freed stay with the allocator of the thread that held the
     * connection, while the cache grows again in the arenas of other workers. */
    malloc_trim(0);
    return rc;
}

static int create_relations_index(gr_db_conn *conn)
{
    return gr_db_exec(conn, RELATIONS_INDEX_SQL);
}

int gr_catalog__relations_index_build(gr_catalog *catalog, int64_t min_rows)
{
    gr_db_conn *conn = NULL;
    int64_t rows = 0;
    int rc;

    if (!read_waiting(catalog, &catalog->relations_index_waiting))
        return GR_OK;
    rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc != GR_OK)
        return rc;
    /* The largest rowid bounds the row count and costs one seek. */
    if (min_rows > 0)
        rc = gr_catalog__query_int(conn, &rows,
                                   "SELECT COALESCE(MAX(rowid), 0) FROM catalog_relations", NULL);
    /* Another worker may have built it while this one waited for the connection. */
    if (rc == GR_OK && rows >= min_rows &&
        read_waiting(catalog, &catalog->relations_index_waiting)) {
        rc = build_with_small_cache(conn, create_relations_index, 0);
        if (rc == GR_OK) {
            set_waiting(catalog, &catalog->relations_index_waiting, false);
            gr_info("catalog", "built the index of relations by source");
        }
    }
    gr_db_release(conn);
    return rc;
}

int gr_catalog__search_index_build(gr_catalog *catalog)
{
    gr_db_conn *conn = NULL;
    int rc = gr_catalog__relations_index_build(catalog, 0);

    if (rc != GR_OK || !gr_catalog__search_index_waiting(catalog))
        return rc;
    rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc != GR_OK)
        return rc;
    /* Another worker may have built them while this one waited for the connection. */
    if (gr_catalog__search_index_waiting(catalog)) {
        gr_info("catalog", "building the search indexes after the first load");
        rc = build_with_small_cache(conn, create_indexes, INDEX_SORT_THREADS);
        if (rc == GR_OK) {
            set_waiting(catalog, &catalog->search_index_waiting, false);
            gr_info("catalog", "built the search indexes after the first load");
        }
    }
    gr_db_release(conn);
    return rc;
}

bool gr_catalog__search_index_waiting(gr_catalog *catalog)
{
    return read_waiting(catalog, &catalog->search_index_waiting);
}
