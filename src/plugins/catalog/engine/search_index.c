/* SPDX-License-Identifier: MIT */
/* The indexes of catalog_search that the first load of an empty catalog builds at its end. */
#include "plugins/catalog/engine/search_index.h"

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

/* Creates every deferred index that is missing. */
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
    return rc;
}

/* Page cache while the indexes are built: -N is N KiB. */
#define INDEX_CACHE_SIZE "-2048"
/* Helper threads that sort while the indexes are built, besides the worker that builds them:
 * the other workers wait for the write connection meanwhile. */
#define INDEX_SORT_THREADS "1"

static void set_waiting(gr_catalog *catalog, bool waiting)
{
    pthread_mutex_lock(&catalog->lock);
    catalog->search_index_waiting = waiting;
    pthread_mutex_unlock(&catalog->lock);
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
        if (rc == GR_OK)
            set_waiting(catalog, true);
    } else if (rc == GR_OK) {
        rc = create_indexes(conn);
    }
    gr_db_release(conn);
    return rc;
}

/*
 * Creates the deferred indexes with a small page cache and with temporary data in a file
 * instead of memory. SQLite sorts in memory up to the size of the page cache, so the writer's
 * 40 MiB cache would add up to 40 MiB of sort buffers to the resident memory.
 */
static int build_indexes(gr_db_conn *conn)
{
    int64_t cache_size = 0;
    char restore[96];
    int rc = gr_catalog__query_int(conn, &cache_size, "PRAGMA cache_size", NULL);

    if (rc != GR_OK)
        return rc;
    rc = gr_db_exec(conn, "PRAGMA temp_store=FILE; PRAGMA threads=" INDEX_SORT_THREADS
                          "; PRAGMA cache_size=" INDEX_CACHE_SIZE);
    if (rc == GR_OK)
        rc = create_indexes(conn);
    snprintf(restore, sizeof(restore),
             "PRAGMA temp_store=MEMORY; PRAGMA threads=0; PRAGMA cache_size=%lld",
             (long long)cache_size);
    if (gr_db_exec(conn, restore) != GR_OK && rc == GR_OK)
        rc = GR_EBACKEND;
    return rc;
}

int gr_catalog__search_index_build(gr_catalog *catalog)
{
    gr_db_conn *conn = NULL;
    int rc;

    if (!gr_catalog__search_index_waiting(catalog))
        return GR_OK;
    rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc != GR_OK)
        return rc;
    /* Another worker may have built them while this one waited for the connection. */
    if (gr_catalog__search_index_waiting(catalog)) {
        gr_info("catalog", "building the search indexes after the first load");
        rc = build_indexes(conn);
        if (rc == GR_OK) {
            set_waiting(catalog, false);
            gr_info("catalog", "built the search indexes after the first load");
        }
    }
    gr_db_release(conn);
    return rc;
}

bool gr_catalog__search_index_waiting(gr_catalog *catalog)
{
    bool waiting;

    pthread_mutex_lock(&catalog->lock);
    waiting = catalog->search_index_waiting;
    pthread_mutex_unlock(&catalog->lock);
    return waiting;
}
