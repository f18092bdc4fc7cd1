/* SPDX-License-Identifier: MIT */
/* Internal state of the catalog engine, shared by its source files. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_ENGINE_H
#define GR_PLUGINS_CATALOG_ENGINE_ENGINE_H

#include <jansson.h>
#include <locale.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/common/cancel.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/engine/settings.h"
#include "plugins/catalog/model/model.h"

/** Source keys of the two location providers in catalog_refs, as Backstage names them. */
#define GR_CATALOG_CONFIG_PROVIDER "ConfigLocationProvider"
#define GR_CATALOG_USER_PROVIDER "DefaultLocationStore"

/** Rows claimed for processing per batch. */
#define GR_CATALOG_PROCESS_BATCH 500
/** Entities stitched per batch. */
#define GR_CATALOG_STITCH_BATCH 1000
/**
 * Batches one stitch call stores at most while they come full, each write
 * leasing the next batch, before the worker looks for rows to process again.
 */
#define GR_CATALOG_STITCH_ROUNDS 8
/**
 * Time a stitch waits after its first mark, in ms, while processing is busy;
 * marks arriving meanwhile join it. An idle engine stitches at once.
 */
#define GR_CATALOG_STITCH_DELAY_MS 1000
/**
 * Maximum time a mark waits for its stitch while processing keeps a worker
 * busy, in ms. A worker that processed a full batch processes the next one
 * before it stitches younger marks. So an entity that thousands of others
 * point at (a group, a system) is stitched once after a bulk ingestion, not
 * after every batch. During the first load of an empty SQLite catalog, such
 * a worker does not stitch at all while every row it claimed is processed
 * for the first time.
 */
#define GR_CATALOG_STITCH_MAX_DELAY_MS 10000
/** Time a claim protects a row from other workers, in ms. */
#define GR_CATALOG_LEASE_MS 120000
/* Time after which the rows of a batch whose results could not be written are due again, in
 * ms: soon enough for a deadlock or a busy database, and far enough apart that a batch that keeps
 * failing logs a warning every few seconds instead of in a loop. */
#define GR_CATALOG_RETRY_MS 5000
/*
 * Times a write transaction runs when PostgreSQL aborts it to break a deadlock (or as a
 * serialization failure) before its caller sees the error. Stitches, processing results,
 * refreshes and deletes lock rows of the stitch queue and the refresh state in orders that
 * can form a cycle when several workers or instances run at once. An aborted transaction
 * changed nothing, so running it again is safe.
 */
#define GR_CATALOG_ABORTED_ATTEMPTS 3
/** Time a worker sleeps when there is no work, in ms, before it polls the database again. */
#define GR_CATALOG_POLL_MS 1000
/** Maximum depth of Location entities followed by a dry run. */
#define GR_CATALOG_DRY_RUN_MAX_DEPTH 10
/** Maximum number of entities a dry run returns. */
#define GR_CATALOG_DRY_RUN_MAX_ENTITIES 10000
/** Maximum depth of the chain of parents followed by refresh and ancestry. */
#define GR_CATALOG_MAX_ANCESTOR_DEPTH 32
/**
 * Maximum length of an emitted entity's ref ("kind:namespace/name"), in bytes.
 * Backstage's validators allow 63 characters in each part. The limit stays well
 * under PostgreSQL's 2,704-byte maximum for a btree index entry, which the
 * unique index on catalog_refresh_state.entity_ref would otherwise hit first.
 */
#define GR_CATALOG_MAX_ENTITY_REF_BYTES 1024

struct gr_catalog {
    gr_db *db;
    gr_catalog_settings settings;
    gr_model *model;
    char *instance_id;
    bool registered; /* in catalog_instances, so removed from it at free */
    locale_t ctype;  /* C.UTF-8 for lower-casing search values, or (locale_t)0 */

    pthread_mutex_t lock;
    pthread_cond_t wake; /* signalled when work is queued or at stop */
    uint64_t work_epoch; /* bumped on every wake */
    pthread_t *threads;
    int thread_count;
    pthread_t checkpointer; /* SQLite only: copies the WAL into the database file */
    bool checkpointer_started;
    bool started;
    bool stopping;
    gr_cancel cancel; /* bound to each worker; set at stop, so URL reads in progress end */
    bool orphans_dirty;              /* a write may have left orphans (orphanStrategy delete) */
    _Atomic uint64_t stitch_tickets; /* numbers the tickets of stitch marks */
    bool search_index_waiting;       /* SQLite first load: key-first search indexes dropped */
    bool relations_index_waiting;    /* SQLite first load: relations index by source dropped */

    struct {
        gr_catalog_stitched_fn fn;
        void *payload;
    } hooks[GR_CATALOG_MAX_HOOKS];
    int hook_count;
};

/** Wakes the workers: new work is due. */
void gr_catalog__wake(gr_catalog *catalog);

/** Calls the stitched hooks for one entity. */
void gr_catalog__notify(gr_catalog *catalog, const char *entity_ref, int deleted);

/** Rows a worker claimed ahead for its next round (see gr_catalog__write_items()). */
typedef struct gr_catalog_claimed gr_catalog_claimed;

/**
 * Runs one round of work on the calling thread: claims and processes a
 * batch, stitches a batch, and deletes orphans when configured. Stores
 * whether anything was done in *did_work. Returns 0 or an error.
 * With `ahead` (the caller's, initially empty), a round that processed a
 * full batch claims the next one while it writes, and the next round
 * processes those rows. The caller gives back what remains with
 * gr_catalog__claimed_release() when it stops.
 */
int gr_catalog__work_once(gr_catalog *catalog, gr_catalog_claimed *ahead, bool *did_work);

/** Releases rows claimed ahead and not processed, due again at once. NULL-safe. */
void gr_catalog__claimed_release(gr_catalog *catalog, gr_catalog_claimed *ahead);

/**
 * Checks a location that a user registers: a known type with a target (an
 * absolute path for file), a type that catalog.allowedLocationTypes lists,
 * and for url a host the reading allow list permits. Returns 0, GR_EINVALID
 * or GR_EDENIED with Backstage's messages.
 */
int gr_catalog__check_registered(gr_catalog *catalog, const char *type, const char *target);

#endif
