/* SPDX-License-Identifier: MIT */
/* Writes of the processing loop: claims, results, children, refs, relations, stitch marks. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_STORE_H
#define GR_PLUGINS_CATALOG_ENGINE_STORE_H

#include <stddef.h>

#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/engine/process.h"

/** A claimed row of catalog_refresh_state and what processing it produced. */
typedef struct {
    char *entity_id;
    char *entity_ref;
    char *unprocessed;
    char *result_hash;   /* previous, or NULL */
    char *location_key;
    char *pending_cause; /* set by a refresh request or a user, or NULL */
    char *origin;        /* managed-by-origin-location of the unprocessed entity, or NULL */
    gr_catalog_result result;
    char *processed;     /* the processed entity with its uid, compact JSON, when result.ok */
    char new_hash[GR_CATALOG_HASH_SIZE];
    char *cause;         /* history cause of what this result changes */
    bool *conflicts;     /* per deferred entity: owned by another location */
} gr_catalog_item;

/** Rows claimed ahead for a worker's next batch. */
struct gr_catalog_claimed {
    gr_catalog_item *items;
    size_t count;
};

/** A list of entity refs to stitch, each with a cause. */
typedef struct {
    char **refs;
    char **causes;
    size_t count;
    size_t cap;
} gr_catalog_marks;

void gr_catalog__marks_push(gr_catalog_marks *marks, const char *ref, const char *cause);
void gr_catalog__marks_free(gr_catalog_marks *marks);

/**
 * Writes the marks into catalog_stitch_queue with fresh tickets (deduplicated,
 * the last cause wins). Runs on `conn` inside the caller's transaction.
 */
int gr_catalog__marks_flush(gr_catalog *catalog, gr_db_conn *conn, gr_catalog_marks *marks);

/**
 * Claims up to `limit` due rows for this instance: sets their lease and
 * their next refresh time (jittered). Returns 0 and a caller-owned array
 * (free each with gr_catalog__item_free, then the array).
 */
int gr_catalog__claim(gr_catalog *catalog, int limit, gr_catalog_item **items_out,
                      size_t *count_out);

/** Frees what an item owns. */
void gr_catalog__item_free(gr_catalog_item *item);

/** Frees `count` items and the array. NULL-safe. */
void gr_catalog__items_free(gr_catalog_item *items, size_t count);

/**
 * Reads what the result hash depends on besides the result itself (the
 * entity's parents) and which children are owned by another location
 * (adding an error to the result for each), then computes item->new_hash.
 */
int gr_catalog__prepare_items(gr_catalog *catalog, gr_catalog_item *items, size_t count);

/**
 * Stores the results of processed items in one transaction, releases their
 * leases and marks what must be stitched. Items whose hash did not change
 * write nothing but the lease release. With `next`, the same transaction
 * also claims the next batch into it (empty on an error), so that the worker
 * does not wait for the single SQLite writer a second time per batch.
 */
int gr_catalog__write_items(gr_catalog *catalog, gr_catalog_item *items, size_t count,
                            gr_catalog_claimed *next);

/**
 * Releases the leases of claimed items whose results were not written and
 * makes them due after `delay_ms`, instead of after the lease. Rows another
 * worker leased since are left alone. Logs and returns the error when the
 * database refuses, and the leases then end as usual.
 */
int gr_catalog__release_items(gr_catalog *catalog, const gr_catalog_item *items, size_t count,
                              int64_t delay_ms);

/** One entity a location provider supplies. */
typedef struct {
    char *ref;
    char *json;
    char hash[GR_CATALOG_HASH_SIZE];
    char *location_key;
} gr_catalog_provided;

/**
 * Replaces everything provider `source_key` supplied by `items` (as
 * Backstage's "full" mutation): new entities are inserted, changed ones
 * updated and made due, missing ones deleted with the children only they
 * kept alive. `cause` is recorded in the history of deletions.
 */
int gr_catalog__provider_full(gr_catalog *catalog, const char *source_key,
                              const gr_catalog_provided *items, size_t count, const char *cause);

/** Adds or updates entities of a provider, as a "delta" mutation without removals. */
int gr_catalog__provider_add(gr_catalog *catalog, const char *source_key,
                             const gr_catalog_provided *items, size_t count);

/**
 * Applies Backstage's "delta" mutation of provider `source_key` in one
 * transaction: deletes the entities it supplied under the refs in `removed`
 * (with the children only they kept alive, `cause` in their history), then
 * adds or updates `items`. A removed ref the provider never supplied changes
 * nothing.
 */
int gr_catalog__provider_delta(gr_catalog *catalog, const char *source_key,
                               const gr_catalog_provided *items, size_t count, char *const *removed,
                               size_t removed_count, const char *cause);

/**
 * Removes entities a provider supplied, deleting every descendant no other
 * root keeps alive. Runs on `conn` inside the caller's transaction and
 * appends the deleted refs to `deleted`.
 */
int gr_catalog__provider_remove(gr_catalog *catalog, gr_db_conn *conn, const char *source_key,
                                char *const *refs, size_t count, const char *cause,
                                gr_catalog_marks *marks, gr_catalog_marks *deleted);

/**
 * Deletes entities by ref on `conn` in the caller's transaction: records
 * their last final form in the history, marks the entities related to them
 * in `marks` for stitching, removes their refs to children, and appends the
 * refs that had a final entity to `deleted` (for the stitched hooks, which
 * the caller runs after commit).
 */
int gr_catalog__delete_entities(gr_catalog *catalog, gr_db_conn *conn, char *const *refs,
                                size_t count, const char *cause, gr_catalog_marks *marks,
                                gr_catalog_marks *deleted);

/** Runs the stitched hooks for every ref in `deleted` (after the commit). */
void gr_catalog__notify_deleted(gr_catalog *catalog, const gr_catalog_marks *deleted);

/**
 * Deletes entities that nothing emits any more (orphanStrategy delete),
 * repeatedly, since their children may become orphans in turn. Stores the
 * number deleted in *deleted_out.
 */
int gr_catalog__delete_orphans(gr_catalog *catalog, size_t *deleted_out);

/**
 * Deletes orphans as gr_catalog__delete_orphans() does, in at most
 * `max_rounds` rounds of up to 500 entities, so deeper generations are left
 * for the next call.
 */
int gr_catalog__delete_orphans_rounds(gr_catalog *catalog, int max_rounds, size_t *deleted_out);

/** Makes a provided entity from a JSON tree (borrowed) and its location key. */
void gr_catalog__provided_init(gr_catalog_provided *item, const json_t *entity,
                               const char *location_key);
void gr_catalog__provided_free(gr_catalog_provided *item);

#endif
