/* SPDX-License-Identifier: MIT */
/* The catalog engine's life cycle: migrations, config locations, worker threads, idle waits. */
#include "plugins/catalog/engine/catalog.h"

#include <curl/curl.h>
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/assets.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/migrate.h"
#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/engine/instances.h"
#include "plugins/catalog/engine/json_text.h"
#include "plugins/catalog/engine/process.h"
#include "plugins/catalog/engine/search_index.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/stitch.h"
#include "plugins/catalog/engine/store.h"
#include "plugins/catalog/model/location.h"

/* Time wait_idle sleeps between checks while worker threads do the work, in ms. */
#define IDLE_CHECK_MS 50
/* Time a worker waits after a failed round before it tries again, in ms. */
#define ERROR_BACKOFF_MS 1000

static const char *asset_text(const char *name)
{
    const gr_asset *asset = gr_asset_find(name);

    return asset ? (const char *)asset->data : NULL;
}

/* WAL bytes after which the SQLite writer checkpoints by itself. */
#define AUTOCHECKPOINT_BYTES ((int64_t)40 << 20)
/* WAL bytes after which the writer checkpoints by itself while the checkpointer thread runs:
 * a fallback for when the thread falls behind. */
#define AUTOCHECKPOINT_FALLBACK_BYTES ((int64_t)400 << 20)
/* Time between two checkpoints of the checkpointer thread, in ms. */
#define CHECKPOINT_INTERVAL_MS 250

/* Sets the writer's automatic checkpoint to `bytes` of WAL, in pages of the database. */
static int set_autocheckpoint_on(gr_db_conn *conn, int64_t bytes)
{
    int64_t page_size = 0;
    char sql[64];
    int rc = gr_catalog__query_int(conn, &page_size, "PRAGMA page_size", NULL);

    if (rc != GR_OK)
        return rc;
    snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint=%lld",
             (long long)(bytes / (page_size > 0 ? page_size : 4096)));
    return gr_db_exec(conn, sql);
}

/*
 * Settings of the SQLite writer connection for large transactions: a 40 MiB
 * page cache, temporary data (statement journals) in memory instead of temp
 * files, and checkpoints every 40 MiB of WAL, so that ingesting a large catalog
 * does not rewrite the same pages many times. PostgreSQL needs nothing. A
 * first load of 100,000 entities took as long with 40 MiB as with 64 MiB and
 * peaked 20 MiB lower, which leaves room for a third worker on 2 processors.
 * NOTE: these belong with the connection setup of the store; they are set
 * here because the catalog is the first heavy writer.
 */
static void tune_sqlite_writer(gr_db *db)
{
    gr_db_conn *conn = NULL;
    int rc;

    if (gr_db_dialect(db) != GR_DB_SQLITE || gr_db_acquire(db, GR_DB_WRITE, &conn) != GR_OK)
        return;
    rc = gr_db_exec(conn, "PRAGMA cache_size=-40960; PRAGMA temp_store=MEMORY");
    if (rc == GR_OK)
        rc = set_autocheckpoint_on(conn, AUTOCHECKPOINT_BYTES);
    if (rc != GR_OK)
        gr_warn("catalog", "tuning the SQLite writer failed: %s", gr_error_last());
    gr_db_release(conn);
}

static void set_autocheckpoint(gr_db *db, int64_t bytes)
{
    gr_db_conn *conn = NULL;

    if (gr_db_acquire(db, GR_DB_WRITE, &conn) != GR_OK)
        return;
    if (set_autocheckpoint_on(conn, bytes) != GR_OK)
        gr_warn("catalog", "setting the SQLite checkpoint size failed: %s", gr_error_last());
    gr_db_release(conn);
}

/*
 * Copies committed WAL pages into the database file from a reader
 * connection, so that the writer connection, which every worker waits for,
 * does not spend its time (about a fifth of a large ingestion) on
 * checkpoints and their fsync calls. A passive checkpoint runs beside the
 * writer and readers without blocking them. The thread runs after every
 * wake of the workers (every commit of theirs) and at least every
 * CHECKPOINT_INTERVAL_MS.
 * NOTE: this belongs with the connection setup of the store, where every
 * writer would benefit; it lives here because the catalog is the heaviest
 * writer.
 */
static void *checkpointer_main(void *arg)
{
    gr_catalog *catalog = arg;

    for (;;) {
        struct timespec until;
        gr_db_conn *conn = NULL;
        bool stopping;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)CHECKPOINT_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&catalog->lock);
        if (!catalog->stopping)
            pthread_cond_timedwait(&catalog->wake, &catalog->lock, &until);
        stopping = catalog->stopping;
        pthread_mutex_unlock(&catalog->lock);
        if (stopping)
            break;
        if (gr_db_acquire(catalog->db, GR_DB_READ, &conn) != GR_OK)
            continue;
        if (gr_db_exec(conn, "PRAGMA wal_checkpoint(PASSIVE)") != GR_OK)
            gr_warn("catalog", "checkpointing the SQLite WAL failed: %s", gr_error_last());
        gr_db_release(conn);
    }
    return NULL;
}

int gr_catalog_migrate(gr_db *db)
{
    gr_db_migration migrations[] = {
        {
            .version = 1,
            .description = "create the catalog tables",
            .sql = asset_text("plugins/catalog/engine/sql/001_tables.sql"),
        },
        {
            .version = 2,
            .description = "create catalog_history",
            .sql_sqlite = asset_text("plugins/catalog/engine/sql/002_history.sqlite.sql"),
            .sql_pg = asset_text("plugins/catalog/engine/sql/002_history.pg.sql"),
        },
        {
            .version = 3,
            .description = "drop the index of relations by target",
            .sql = asset_text("plugins/catalog/engine/sql/003_relations_index.sql"),
        },
        {
            .version = 4,
            .description = "drop the processing errors of orphaned entities",
            .sql = asset_text("plugins/catalog/engine/sql/004_orphan_errors.sql"),
        },
        {
            .version = 5,
            .description = "register catalog instances and the owners of stitch leases",
            .sql = asset_text("plugins/catalog/engine/sql/005_instances.sql"),
        },
        {
            .version = 6,
            .description = "index catalog_search for the catalog API and drop the narrower indexes",
            .sql = asset_text("plugins/catalog/engine/sql/006_search_indexes.sql"),
        },
        {
            .version = 7,
            .description = "index the refresh-state rows whose processing failed",
            .sql = asset_text("plugins/catalog/engine/sql/007_failed_index.sql"),
        },
        {
            .version = 8,
            .description = "index catalog_search by key, value, entity and original value in "
                           "one index",
            .sql = asset_text("plugins/catalog/engine/sql/008_search_index_merge.sql"),
        },
        {
            .version = 9,
            .description = "replace the foreign keys of catalog_search and catalog_relations "
                           "with delete triggers",
            .sql_sqlite =
                asset_text("plugins/catalog/engine/sql/009_cascades_as_triggers.sqlite.sql"),
            .sql_pg = asset_text("plugins/catalog/engine/sql/009_cascades_as_triggers.pg.sql"),
        },
        {
            .version = 10,
            .description = "order catalog_search by entity and number the rows of an entity",
            .sql_sqlite = asset_text("plugins/catalog/engine/sql/010_search_by_entity.sqlite.sql"),
            .sql_pg = asset_text("plugins/catalog/engine/sql/010_search_by_entity.pg.sql"),
        },
    };

    migrations[1].sql = migrations[1].sql_sqlite;
    if (migrations[0].sql == NULL || migrations[1].sql_pg == NULL || migrations[1].sql == NULL ||
        migrations[2].sql == NULL || migrations[3].sql == NULL || migrations[4].sql == NULL ||
        migrations[5].sql == NULL || migrations[6].sql == NULL || migrations[7].sql == NULL ||
        migrations[8].sql_sqlite == NULL || migrations[8].sql_pg == NULL ||
        migrations[9].sql_sqlite == NULL || migrations[9].sql_pg == NULL)
        return gr_error_set(GR_ERROR, "the catalog migrations are missing from the binary");
    return gr_db_migrate(db, "catalog", migrations, sizeof(migrations) / sizeof(migrations[0]));
}

void gr_catalog__wake(gr_catalog *catalog)
{
    pthread_mutex_lock(&catalog->lock);
    catalog->work_epoch++;
    pthread_cond_broadcast(&catalog->wake);
    pthread_mutex_unlock(&catalog->lock);
}

void gr_catalog__notify(gr_catalog *catalog, const char *entity_ref, int deleted)
{
    int count;

    pthread_mutex_lock(&catalog->lock);
    count = catalog->hook_count;
    pthread_mutex_unlock(&catalog->lock);
    for (int i = 0; i < count; i++)
        catalog->hooks[i].fn(entity_ref, deleted, catalog->hooks[i].payload);
}

int gr_catalog_on_stitched(gr_catalog *catalog, gr_catalog_stitched_fn fn, void *payload)
{
    int rc = GR_OK;

    pthread_mutex_lock(&catalog->lock);
    if (catalog->hook_count == GR_CATALOG_MAX_HOOKS) {
        rc = gr_error_set(GR_ELIMIT, "at most %d stitched hooks can be registered",
                          GR_CATALOG_MAX_HOOKS);
    } else {
        catalog->hooks[catalog->hook_count].fn = fn;
        catalog->hooks[catalog->hook_count].payload = payload;
        catalog->hook_count++;
    }
    pthread_mutex_unlock(&catalog->lock);
    return rc;
}

/* Records the config locations in catalog_locations (origin 'config'). */
static int store_config_locations(gr_catalog *catalog)
{
    gr_db_conn *conn = NULL;
    int64_t now = gr_catalog__now_ms();
    int rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);

    if (rc != GR_OK)
        return rc;
    rc = gr_db_begin(conn);
    if (rc == GR_OK) {
        int64_t changed =
            gr_catalog__exec(conn, "DELETE FROM catalog_locations WHERE origin = 'config'", NULL);
        rc = changed < 0 ? (int)changed : GR_OK;
    }
    for (size_t i = 0; i < catalog->settings.location_count && rc == GR_OK; i++) {
        const gr_catalog_config_location *location = &catalog->settings.locations[i];
        char id[GR_CATALOG_UUID_SIZE];
        char *name = gr_catalog__location_entity_name(location->type, location->target);
        char *ref = gr_xasprintf("location:default/%s", name);
        int64_t changed;

        gr_catalog__uuid(id);
        changed = gr_catalog__exec(conn,
                                   "INSERT INTO catalog_locations (id, type, target, origin, "
                                   "entity_ref, created_at) VALUES (?, ?, ?, 'config', ?, ?) "
                                   "ON CONFLICT (type, target) DO NOTHING",
                                   "ssssi", id, location->type, location->target, ref, now);
        rc = changed < 0 ? (int)changed : GR_OK;
        free(name);
        free(ref);
    }
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    else
        gr_db_rollback(conn);
    gr_db_release(conn);
    return rc;
}

/* Applies one provider's full set of Location entities for the given origin. */
static int sync_provider(gr_catalog *catalog, const char *origin, const char *source_key)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    gr_catalog_provided *items = NULL;
    size_t count = 0;
    int rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);

    if (rc != GR_OK)
        return rc;
    rc = gr_catalog__prepare(conn, "SELECT type, target FROM catalog_locations WHERE origin = ?",
                             &stmt, "s", origin);
    while (stmt != NULL && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *type = gr_db_column_text(stmt, 0);
        const char *target = gr_db_column_text(stmt, 1);
        json_t *entity = gr_catalog__location_entity(type, target);
        char *key = gr_xasprintf("%s:%s", type, target);

        items = gr_xrealloc(items, (count + 1) * sizeof(*items));
        gr_catalog__provided_init(&items[count++], entity, key);
        free(key);
        json_decref(entity);
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (rc == GR_DB_DONE)
        rc = gr_catalog__provider_full(catalog, source_key, items, count, "config");
    for (size_t i = 0; i < count; i++)
        gr_catalog__provided_free(&items[i]);
    free(items);
    return rc;
}

int gr_catalog_new(gr_catalog **out, const gr_catalog_options *options)
{
    gr_catalog *catalog = gr_xcalloc(1, sizeof(*catalog));
    int rc;

    *out = NULL;
    catalog->db = options->db;
    pthread_mutex_init(&catalog->lock, NULL);
    pthread_cond_init(&catalog->wake, NULL);
    if (options->instance_id != NULL) {
        catalog->instance_id = gr_xstrdup(options->instance_id);
    } else {
        char id[GR_CATALOG_UUID_SIZE];

        gr_catalog__uuid(id);
        catalog->instance_id = gr_xasprintf("catalog-%s", id);
    }
    /* Without a C.UTF-8 locale, search values are lower-cased in ASCII only. */
    catalog->ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    git_libgit2_init();

    rc = gr_catalog__settings_read(&catalog->settings, options->config);
    if (rc == GR_OK)
        rc = gr_model_new(&catalog->model);
    if (rc == GR_OK)
        rc = gr_catalog_migrate(catalog->db);
    if (rc == GR_OK)
        tune_sqlite_writer(catalog->db);
    if (rc == GR_OK && !options->registers_only)
        rc = gr_catalog__search_index_defer(catalog);
    if (rc == GR_OK)
        rc = gr_catalog__instances_register(catalog);
    if (rc == GR_OK)
        rc = store_config_locations(catalog);
    if (rc == GR_OK)
        rc = sync_provider(catalog, "config", GR_CATALOG_CONFIG_PROVIDER);
    if (rc == GR_OK)
        rc = sync_provider(catalog, "user", GR_CATALOG_USER_PROVIDER);
    if (rc != GR_OK) {
        gr_catalog_free(catalog);
        return rc;
    }
    *out = catalog;
    return GR_OK;
}

gr_db *gr_catalog_db(const gr_catalog *catalog)
{
    return catalog->db;
}

bool gr_catalog_readonly(const gr_catalog *catalog)
{
    return catalog->settings.readonly;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int any_pending(gr_catalog *catalog, bool *out);

static void process_batch(gr_catalog *catalog, gr_catalog_item *items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        json_t *unprocessed = gr_catalog__json_read(items[i].unprocessed);

        if (unprocessed == NULL) {
            memset(&items[i].result, 0, sizeof(items[i].result));
            items[i].result.errors = json_array();
            gr_catalog__error_push(items[i].result.errors, "InputError",
                                   "The stored entity is not valid JSON", NULL, NULL);
            continue;
        }
        {
            const char *origin = json_string_value(json_object_get(
                json_object_get(json_object_get(unprocessed, "metadata"), "annotations"),
                GR_ANNOTATION_ORIGIN_LOCATION));

            items[i].origin = origin ? gr_xstrdup(origin) : NULL;
        }
        gr_catalog__process_owned(catalog, unprocessed, &items[i].result);
    }
}

/* Makes claimed items due again soon after their results could not be stored, keeping the
 * error message of that failure for the worker's warning. */
static void release_after_failure(gr_catalog *catalog, const gr_catalog_item *items, size_t count)
{
    char message[GR_ERROR_MAX];
    int code = gr_error_last_code();

    snprintf(message, sizeof(message), "%s", gr_error_last());
    gr_catalog__release_items(catalog, items, count, GR_CATALOG_RETRY_MS);
    gr_error_set(code, "%s", message);
}

void gr_catalog__claimed_release(gr_catalog *catalog, gr_catalog_claimed *ahead)
{
    if (ahead == NULL || ahead->count == 0)
        return;
    gr_catalog__release_items(catalog, ahead->items, ahead->count, 0);
    gr_catalog__items_free(ahead->items, ahead->count);
    ahead->items = NULL;
    ahead->count = 0;
}

/* Takes the rows claimed ahead, or claims a batch now when there are none. */
static int take_batch(gr_catalog *catalog, gr_catalog_claimed *ahead, gr_catalog_item **items,
                      size_t *count)
{
    if (ahead != NULL && ahead->count > 0) {
        *items = ahead->items;
        *count = ahead->count;
        ahead->items = NULL;
        ahead->count = 0;
        return GR_OK;
    }
    return gr_catalog__claim(catalog, GR_CATALOG_PROCESS_BATCH, items, count);
}

int gr_catalog__work_once(gr_catalog *catalog, gr_catalog_claimed *ahead, bool *did_work)
{
    gr_catalog_item *items = NULL;
    size_t count = 0;
    size_t claimed;
    bool stitched = false;
    bool first_time = true; /* no claimed row was processed before */
    int rc;

    *did_work = false;
    rc = take_batch(catalog, ahead, &items, &count);
    for (size_t i = 0; i < count; i++)
        first_time = first_time && items[i].result_hash == NULL;
    if (rc == GR_OK && count > 0) {
        /* A full batch suggests more due rows, so the write claims the next one. */
        gr_catalog_claimed *next = count == GR_CATALOG_PROCESS_BATCH ? ahead : NULL;

        *did_work = true;
        process_batch(catalog, items, count);

        /* A read that stop cut short is no processing error: the rows are due again at once,
         * for the next start or another instance. */
        if (gr_cancel_requested()) {
            gr_catalog__release_items(catalog, items, count, 0);
            gr_catalog__items_free(items, count);
            *did_work = false;
            return GR_OK;
        }
        rc = gr_catalog__prepare_items(catalog, items, count);
        if (rc == GR_OK)
            rc = gr_catalog__write_items(catalog, items, count, next);
        if (rc != GR_OK)
            release_after_failure(catalog, items, count);
    }
    gr_catalog__items_free(items, count);
    claimed = count;
    if (rc != GR_OK)
        return rc;

    /* The first load of an empty catalog stitches once processing no longer fills batches of
     * rows processed for the first time: an entity stitched earlier would be stitched again
     * when entities processed later add relations to it. Rows processed again (a refresh
     * interval shorter than the load) end the wait. */
    if (claimed < GR_CATALOG_PROCESS_BATCH || !first_time ||
        !gr_catalog__search_index_waiting(catalog)) {
        int64_t now = gr_catalog__now_ms();
        int64_t due_by = now;

        if (claimed == 0)
            due_by = now + GR_CATALOG_STITCH_DELAY_MS;
        else if (claimed == GR_CATALOG_PROCESS_BATCH)
            due_by = now + GR_CATALOG_STITCH_DELAY_MS - GR_CATALOG_STITCH_MAX_DELAY_MS;
        rc = gr_catalog__stitch_batch(catalog, due_by, &stitched);
    }
    if (rc != GR_OK)
        return rc;
    *did_work = *did_work || stitched;

    if (!*did_work && gr_catalog__search_index_waiting(catalog)) {
        bool pending = false;

        /* Another worker may still hold a lease (the first file of a load), so wait for that. */
        rc = any_pending(catalog, &pending);
        if (rc == GR_OK && !pending)
            rc = gr_catalog__search_index_build(catalog);
        if (rc != GR_OK)
            return rc;
    }
    if (!*did_work && catalog->settings.orphan_delete) {
        size_t deleted = 0;
        bool dirty;

        pthread_mutex_lock(&catalog->lock);
        dirty = catalog->orphans_dirty;
        catalog->orphans_dirty = false;
        pthread_mutex_unlock(&catalog->lock);
        if (dirty) {
            rc = gr_catalog__delete_orphans(catalog, &deleted);
            *did_work = deleted > 0;
        }
    }
    return rc;
}

static void *worker_main(void *arg)
{
    gr_catalog *catalog = arg;
    gr_catalog_claimed ahead = {0};

    gr_cancel_bind(&catalog->cancel);
    for (;;) {
        bool did_work = false;
        uint64_t epoch;
        int rc;

        pthread_mutex_lock(&catalog->lock);
        if (catalog->stopping) {
            pthread_mutex_unlock(&catalog->lock);
            break;
        }
        epoch = catalog->work_epoch;
        pthread_mutex_unlock(&catalog->lock);

        rc = gr_catalog__work_once(catalog, &ahead, &did_work);
        if (rc != GR_OK) {
            gr_warn("catalog", "processing round failed: %s", gr_error_last());
            sleep_ms(ERROR_BACKOFF_MS);
            continue;
        }
        if (did_work)
            continue;

        pthread_mutex_lock(&catalog->lock);
        if (!catalog->stopping && catalog->work_epoch == epoch) {
            struct timespec until;

            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += GR_CATALOG_POLL_MS / 1000;
            until.tv_nsec += (long)(GR_CATALOG_POLL_MS % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&catalog->wake, &catalog->lock, &until);
        }
        pthread_mutex_unlock(&catalog->lock);
    }
    gr_catalog__claimed_release(catalog, &ahead);
    gr_cancel_bind(NULL);
    return NULL;
}

int gr_catalog_start(gr_catalog *catalog)
{
    int count = catalog->settings.workers;

    pthread_mutex_lock(&catalog->lock);
    if (catalog->started) {
        pthread_mutex_unlock(&catalog->lock);
        return gr_error_set(GR_EINVALID, "the catalog engine is started already");
    }
    catalog->started = true;
    catalog->stopping = false;
    gr_cancel_init(&catalog->cancel);
    pthread_mutex_unlock(&catalog->lock);

    if (gr_db_dialect(catalog->db) == GR_DB_SQLITE &&
        pthread_create(&catalog->checkpointer, NULL, checkpointer_main, catalog) == 0) {
        catalog->checkpointer_started = true;
        set_autocheckpoint(catalog->db, AUTOCHECKPOINT_FALLBACK_BYTES);
    }
    catalog->threads = gr_xcalloc((size_t)count, sizeof(pthread_t));
    for (int i = 0; i < count; i++) {
        if (pthread_create(&catalog->threads[i], NULL, worker_main, catalog) != 0) {
            gr_catalog_stop(catalog);
            return gr_error_set(GR_ERROR, "starting catalog worker %d failed", i);
        }
        catalog->thread_count++;
    }
    gr_info("catalog", "started %d processing workers", count);
    if (catalog->settings.readonly)
        gr_info("catalog", "catalog.readonly is true: the API rejects new and deleted locations");
    return GR_OK;
}

void gr_catalog_stop(gr_catalog *catalog)
{
    if (catalog == NULL)
        return;
    pthread_mutex_lock(&catalog->lock);
    catalog->stopping = true;
    gr_cancel_request(&catalog->cancel);
    pthread_cond_broadcast(&catalog->wake);
    pthread_mutex_unlock(&catalog->lock);
    for (int i = 0; i < catalog->thread_count; i++)
        pthread_join(catalog->threads[i], NULL);
    free(catalog->threads);
    catalog->threads = NULL;
    if (catalog->thread_count > 0)
        gr_info("catalog", "stopped %d processing workers", catalog->thread_count);
    catalog->thread_count = 0;
    if (gr_catalog__search_index_build(catalog) != GR_OK)
        gr_warn("catalog", "building the search index failed, the next start builds it: %s",
                gr_error_last());
    if (catalog->checkpointer_started) {
        pthread_join(catalog->checkpointer, NULL);
        catalog->checkpointer_started = false;
        set_autocheckpoint(catalog->db, AUTOCHECKPOINT_BYTES);
    }
    pthread_mutex_lock(&catalog->lock);
    catalog->started = false;
    pthread_mutex_unlock(&catalog->lock);
}

void gr_catalog_free(gr_catalog *catalog)
{
    if (catalog == NULL)
        return;
    gr_catalog_stop(catalog);
    gr_catalog__instances_unregister(catalog);
    gr_model_free(catalog->model);
    gr_catalog__settings_free(&catalog->settings);
    if (catalog->ctype != (locale_t)0)
        freelocale(catalog->ctype);
    pthread_cond_destroy(&catalog->wake);
    pthread_mutex_destroy(&catalog->lock);
    free(catalog->instance_id);
    git_libgit2_shutdown();
    curl_global_cleanup();
    free(catalog);
}

int gr_catalog_counts_read(gr_catalog *catalog, gr_catalog_counts *out)
{
    gr_db_conn *conn = NULL;
    int64_t now = gr_catalog__now_ms();
    int rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);

    memset(out, 0, sizeof(*out));
    if (rc != GR_OK)
        return rc;
    rc = gr_catalog__query_int(conn, &out->entities, "SELECT COUNT(*) FROM catalog_refresh_state",
                               NULL);
    if (rc == GR_OK)
        rc = gr_catalog__query_int(conn, &out->final, "SELECT COUNT(*) FROM catalog_final_entities",
                                   NULL);
    if (rc == GR_OK)
        rc = gr_catalog__query_int(
            conn, &out->due,
            "SELECT COUNT(*) FROM catalog_refresh_state WHERE "
            "(next_update_at <= ? AND (lease_until IS NULL OR lease_until < ?)) "
            "OR lease_until >= ?",
            "iii", now, now, now);
    if (rc == GR_OK)
        rc = gr_catalog__query_int(conn, &out->stitching,
                                   "SELECT COUNT(*) FROM catalog_stitch_queue", NULL);
    if (rc == GR_OK)
        rc = gr_catalog__query_int(conn, &out->errors,
                                   "SELECT COUNT(*) FROM catalog_refresh_state rs WHERE errors "
                                   "IS NOT NULL AND errors <> '' AND errors <> '[]' AND EXISTS "
                                   "(SELECT 1 FROM catalog_refs r WHERE r.target_entity_ref = "
                                   "rs.entity_ref)",
                                   NULL);
    gr_db_release(conn);
    return rc;
}

/* Stores in *out whether anything keeps the engine busy: due rows, leased rows or pending
 * stitches. Each check stops at the first row, so polling stays cheap on a large catalog. */
static int any_pending(gr_catalog *catalog, bool *out)
{
    static const char *const checks[] = {
        "SELECT 1 FROM catalog_refresh_state WHERE next_update_at <= ? LIMIT 1",
        "SELECT 1 FROM catalog_refresh_state WHERE lease_until >= ? LIMIT 1",
        "SELECT 1 FROM catalog_stitch_queue LIMIT 1",
    };
    gr_db_conn *conn = NULL;
    int64_t now = gr_catalog__now_ms();
    int rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);

    *out = false;
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]) && rc == GR_OK && !*out; i++) {
        int64_t found = 0;

        rc = gr_catalog__query_int(conn, &found, checks[i], i < 2 ? "i" : NULL, now);
        if (rc == GR_OK)
            *out = true;
        else if (rc == GR_ENOTFOUND)
            rc = GR_OK;
    }
    gr_db_release(conn);
    return rc;
}

static int any_orphan(gr_catalog *catalog, bool *out)
{
    gr_db_conn *conn = NULL;
    int64_t found = 0;
    int rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);

    *out = false;
    if (rc != GR_OK)
        return rc;
    rc = gr_catalog__query_int(conn, &found,
                               "SELECT 1 FROM catalog_refresh_state rs WHERE NOT EXISTS "
                               "(SELECT 1 FROM catalog_refs r WHERE r.target_entity_ref = "
                               "rs.entity_ref) LIMIT 1",
                               NULL);
    gr_db_release(conn);
    *out = rc == GR_OK;
    return rc == GR_ENOTFOUND ? GR_OK : rc;
}

int gr_catalog_wait_idle(gr_catalog *catalog, int timeout_ms)
{
    int64_t deadline = gr_catalog__now_ms() + timeout_ms;
    bool workers;

    pthread_mutex_lock(&catalog->lock);
    workers = catalog->thread_count > 0;
    pthread_mutex_unlock(&catalog->lock);
    for (;;) {
        bool pending = false;
        bool orphans = false;
        int rc;

        if (!workers) {
            bool did_work = true;

            while (did_work && gr_catalog__now_ms() < deadline) {
                rc = gr_catalog__work_once(catalog, NULL, &did_work);
                if (rc != GR_OK)
                    return rc;
            }
        }
        rc = any_pending(catalog, &pending);
        pending = pending || gr_catalog__search_index_waiting(catalog);
        if (rc == GR_OK && !pending && catalog->settings.orphan_delete)
            rc = any_orphan(catalog, &orphans);
        if (rc != GR_OK)
            return rc;
        if (!pending && !orphans)
            return GR_OK;
        if (orphans) {
            pthread_mutex_lock(&catalog->lock);
            catalog->orphans_dirty = true;
            pthread_mutex_unlock(&catalog->lock);
            gr_catalog__wake(catalog);
        }
        if (gr_catalog__now_ms() >= deadline) {
            gr_catalog_counts counts;

            if (gr_catalog_counts_read(catalog, &counts) != GR_OK)
                memset(&counts, 0, sizeof(counts));
            return gr_error_set(GR_ELIMIT,
                                "the catalog did not become idle within %d ms (%lld rows to "
                                "process, %lld to stitch%s)",
                                timeout_ms, (long long)counts.due, (long long)counts.stitching,
                                orphans ? ", orphans left" : "");
        }
        if (workers)
            sleep_ms(IDLE_CHECK_MS);
    }
}
