/* SPDX-License-Identifier: MIT */
/* Incremental updates: the change queue, the worker thread and the writes of re-collated sources. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/search/entities.h"
#include "plugins/search/internal.h"

/* One source re-collated for one type, ready to be written. */
typedef struct {
    const char *type;
    const char *source;
    gr_search_sink *sink;
} collated;

void gr_search_notify(gr_search *search, const char *type, const char *source)
{
    if (source == NULL || source[0] == '\0')
        return;
    pthread_mutex_lock(&search->lock);
    if (search->queue_count >= GR_SEARCH_MAX_QUEUE) {
        if (search->dropped++ == 0)
            gr_warn("search", "more than %d changes wait for the search index; dropping '%s' "
                              "until the queue drains (a reindex repairs the index)",
                    GR_SEARCH_MAX_QUEUE, source);
        pthread_mutex_unlock(&search->lock);
        return;
    }
    if (search->queue_count == search->queue_cap) {
        search->queue_cap = search->queue_cap ? search->queue_cap * 2 : 64;
        search->queue = gr_xrealloc(search->queue, search->queue_cap * sizeof(*search->queue));
    }
    search->queue[search->queue_count].type = type ? gr_xstrdup(type) : NULL;
    search->queue[search->queue_count].source = gr_xstrdup(source);
    search->queue_count++;
    pthread_cond_signal(&search->wake);
    pthread_mutex_unlock(&search->lock);
}

void gr_search_on_entity_stitched(const char *entity_ref, int deleted, void *payload)
{
    gr_search *search = payload;
    int follows;
    char *ref;

    (void)deleted; /* a deleted entity re-collates to no documents */
    if (entity_ref == NULL)
        return;
    /* The stitch wrote a catalog_history row before this call, which the
     * worker reads when it wakes. */
    pthread_mutex_lock(&search->lock);
    follows = search->follows_history;
    if (follows) {
        search->history_due = 1;
        pthread_cond_signal(&search->wake);
    }
    pthread_mutex_unlock(&search->lock);
    if (follows)
        return;
    /* Sources are entity refs in lower case, as catalog_final_entities stores them. */
    ref = gr_search_ascii_lower(gr_xstrdup(entity_ref));
    gr_search_notify(search, NULL, ref);
    free(ref);
}

static int compare_changes(const void *a, const void *b)
{
    const gr_search__change *x = a;
    const gr_search__change *y = b;
    int by_type = strcmp(x->type ? x->type : "", y->type ? y->type : "");

    return by_type != 0 ? by_type : strcmp(x->source, y->source);
}

/* Sorts the changes and frees duplicates; returns the new count. */
static size_t dedupe(gr_search__change *changes, size_t count)
{
    size_t kept = 0;

    if (count > 1)
        qsort(changes, count, sizeof(*changes), compare_changes);
    for (size_t i = 0; i < count; i++) {
        if (kept > 0 && compare_changes(&changes[kept - 1], &changes[i]) == 0) {
            free(changes[i].type);
            free(changes[i].source);
            continue;
        }
        changes[kept++] = changes[i];
    }
    return kept;
}

static int insert_pending(gr_db_conn *conn, int64_t generation, const char *type,
                          const char *source)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn,
                           "INSERT INTO search_pending (generation, doc_type, source) "
                           "VALUES (?, ?, ?) ON CONFLICT (generation, doc_type, source) "
                           "DO NOTHING",
                           &stmt);

    if (rc == 0)
        rc = gr_db_bind_int64(stmt, 1, generation);
    if (rc == 0)
        rc = gr_db_bind_text(stmt, 2, type);
    if (rc == 0)
        rc = gr_db_bind_text(stmt, 3, source);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    return rc;
}

/* Writes re-collated sources to the active generation in one transaction.
 * While a rebuild runs, each source is also recorded as pending, so the
 * rebuild collates it again before it switches. */
static int write_collated(gr_search *search, collated *items, size_t count)
{
    gr_db_conn *conn = NULL;
    int64_t active = 0;
    int64_t building = 0;
    int rc;

    if (count == 0)
        return 0;
    if ((rc = gr_db_acquire(search->db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    if ((rc = gr_db_begin(conn)) < 0)
        goto done;
    rc = gr_search__state(conn, &active, &building, 1);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        size_t doc_count;
        gr_search__doc *docs = gr_search__sink_docs(items[i].sink, &doc_count);

        rc = gr_search__replace_source(search, conn, active, items[i].type, items[i].source,
                                       docs, doc_count);
        if (rc == 0 && building != 0)
            rc = insert_pending(conn, building, items[i].type, items[i].source);
    }
    if (rc == 0)
        rc = gr_db_commit(conn);
    if (rc < 0)
        gr_db_rollback(conn);
done:
    gr_db_release(conn);
    return rc;
}

/* Collates one (type, source) into a new collecting sink. A collator
 * without collate_source gives no item. */
static int collate_one(gr_search *search, const gr_search_collator *collator, const char *source,
                       collated *item)
{
    int rc;

    item->sink = NULL;
    if (collator->collate_source == NULL)
        return 0;
    item->type = collator->type;
    item->source = source;
    item->sink = gr_search__sink_collect(search, collator->type);
    rc = collator->collate_source(collator->payload, source, item->sink);
    if (rc < 0) {
        gr_search__sink_free(item->sink);
        item->sink = NULL;
        return gr_error_wrap(rc, "collating %s '%s'", collator->type, source);
    }
    return 0;
}

/* Applies changes (already deduplicated): re-collates every matching
 * collator's source and writes them. */
static int apply(gr_search *search, const gr_search__change *changes, size_t count)
{
    collated *items = gr_xcalloc(count * (search->collator_count + 1) + 1, sizeof(*items));
    size_t item_count = 0;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < count; i++) {
        for (size_t c = 0; rc == 0 && c < search->collator_count; c++) {
            const gr_search_collator *collator = &search->collators[c];
            int matches = changes[i].type ? strcmp(changes[i].type, collator->type) == 0
                                          : collator->follows_entities;

            if (!matches)
                continue;
            rc = collate_one(search, collator, changes[i].source, &items[item_count]);
            if (rc == 0 && items[item_count].sink != NULL)
                item_count++;
        }
    }
    if (rc == 0)
        rc = write_collated(search, items, item_count);
    for (size_t i = 0; i < item_count; i++)
        gr_search__sink_free(items[i].sink);
    free(items);
    return rc;
}

int gr_search_update(gr_search *search, const char *type, const char *source)
{
    gr_search__change change = {(char *)type, (char *)source};

    if (type != NULL && gr_search__collator(search, type) == NULL)
        return gr_error_set(GR_ENOTFOUND, "no search collator has the type '%s'", type);
    return apply(search, &change, 1);
}

/* A failed chunk is logged and skipped: the next change of those sources,
 * or the next reindex, repairs them. */
void gr_search__apply_batch(gr_search *search, gr_search__change *changes, size_t count)
{
    count = dedupe(changes, count);
    for (size_t i = 0; i < count; i += GR_SEARCH__SOURCE_BATCH) {
        size_t chunk = count - i < GR_SEARCH__SOURCE_BATCH ? count - i : GR_SEARCH__SOURCE_BATCH;

        if (apply(search, changes + i, chunk) < 0)
            gr_log_fields(GR_LOG_WARN, "search", "updating the search index failed", "source",
                          changes[i].source, "error", gr_error_last(), NULL);
    }
    for (size_t i = 0; i < count; i++) {
        free(changes[i].type);
        free(changes[i].source);
    }
    free(changes);
}

/* Takes the whole queue. Called with the lock held. */
static gr_search__change *take_queue(gr_search *search, size_t *count)
{
    gr_search__change *changes = search->queue;

    *count = search->queue_count;
    search->queue = NULL;
    search->queue_count = 0;
    search->queue_cap = 0;
    search->dropped = 0;
    return changes;
}

static void run_polls(gr_search *search)
{
    for (size_t i = 0; i < search->collator_count; i++)
        if (search->collators[i].poll != NULL)
            search->collators[i].poll(search->collators[i].payload, search);
}

static void deadline_after(struct timespec *deadline, int ms)
{
    clock_gettime(CLOCK_REALTIME, deadline);
    deadline->tv_sec += ms / 1000;
    deadline->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline->tv_nsec >= 1000000000L) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000L;
    }
}

static int reached(const struct timespec *deadline)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec > deadline->tv_sec ||
           (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static const struct timespec *earlier(const struct timespec *a, const struct timespec *b)
{
    if (a->tv_sec != b->tv_sec)
        return a->tv_sec < b->tv_sec ? a : b;
    return a->tv_nsec <= b->tv_nsec ? a : b;
}

/* Reads one batch of catalog_history. Logs the first of consecutive
 * failures and the recovery. Returns 1 when more rows wait. */
static int follow_history(gr_search *search)
{
    int rc = gr_search__history_poll(search);

    if (rc < 0 && !search->history_failing)
        gr_log_fields(GR_LOG_WARN, "search",
                      "reading catalog_history failed, retrying at every poll", "error",
                      gr_error_last(), NULL);
    else if (rc >= 0 && search->history_failing)
        gr_info("search", "reading catalog_history works again");
    search->history_failing = rc < 0;
    return rc > 0;
}

/* Runs the collators' poll hooks every GR_SEARCH_POLL_MS and reads
 * catalog_history every GR_SEARCH_HISTORY_POLL_MS, at once when a stitch hook
 * call requests it, and again without waiting while rows remain. Called and
 * returns with the lock held. */
static void run_due_polls(gr_search *search, struct timespec *next_poll,
                          struct timespec *next_history)
{
    if (reached(next_poll)) {
        search->busy = 1;
        pthread_mutex_unlock(&search->lock);
        run_polls(search);
        pthread_mutex_lock(&search->lock);
        search->busy = 0;
        deadline_after(next_poll, GR_SEARCH_POLL_MS);
    }
    if (search->history_due || reached(next_history)) {
        int more;

        search->history_due = 0;
        search->busy = 1;
        pthread_mutex_unlock(&search->lock);
        more = follow_history(search);
        pthread_mutex_lock(&search->lock);
        search->busy = 0;
        search->history_due |= more;
        deadline_after(next_history, GR_SEARCH_HISTORY_POLL_MS);
    }
}

static void *worker_main(void *payload)
{
    gr_search *search = payload;
    struct timespec next_poll;
    struct timespec next_history;

    deadline_after(&next_poll, 0);
    deadline_after(&next_history, 0);
    pthread_mutex_lock(&search->lock);
    while (!search->stopping) {
        gr_search__change *changes;
        size_t count;

        run_due_polls(search, &next_poll, &next_history);
        if (search->queue_count == 0) {
            if (search->history_due)
                continue;
            pthread_cond_broadcast(&search->idle);
            pthread_cond_timedwait(&search->wake, &search->lock,
                                   earlier(&next_poll, &next_history));
            continue;
        }
        changes = take_queue(search, &count);
        search->busy = 1;
        pthread_mutex_unlock(&search->lock);
        gr_search__apply_batch(search, changes, count);
        pthread_mutex_lock(&search->lock);
        search->busy = 0;
    }
    pthread_cond_broadcast(&search->idle);
    pthread_mutex_unlock(&search->lock);
    return NULL;
}

/* Reads where the worker starts in catalog_history. On failure the stitch
 * hook keeps queuing refs itself, as without a history table. */
static void start_history(gr_search *search)
{
    if (gr_search__history_start(search) < 0) {
        gr_log_fields(GR_LOG_WARN, "search",
                      "reading the search position in catalog_history failed; entity changes "
                      "of other processes reach the index only at the scheduled rebuild",
                      "error", gr_error_last(), NULL);
        search->history_last = -1;
    } else if (search->history_last < 0) {
        gr_info("search", "the catalog has no history table; entity changes of other "
                          "processes reach the index only at the scheduled rebuild");
    }
}

int gr_search_start(gr_search *search)
{
    int rc = 0;

    pthread_mutex_lock(&search->lock);
    if (search->started)
        rc = gr_error_set(GR_EINVALID, "the search service is started already");
    pthread_mutex_unlock(&search->lock);
    if (rc < 0)
        return rc;

    /* Before the worker exists, so its fields are this thread's. */
    start_history(search);

    pthread_mutex_lock(&search->lock);
    if (pthread_create(&search->thread, NULL, worker_main, search) != 0) {
        rc = gr_error_set(GR_ERROR, "starting the search worker thread failed");
    } else {
        search->started = 1;
        search->follows_history = search->history_last >= 0;
    }
    pthread_mutex_unlock(&search->lock);
    if (rc == 0)
        gr_debug("search", "search worker started");
    return rc;
}

void gr_search_stop(gr_search *search)
{
    int join;

    pthread_mutex_lock(&search->lock);
    join = search->started && !search->stopping;
    search->stopping = 1;
    search->follows_history = 0;
    search->history_due = 0;
    pthread_cond_broadcast(&search->wake);
    pthread_mutex_unlock(&search->lock);
    if (join)
        pthread_join(search->thread, NULL);
}

int gr_search_wait_idle(gr_search *search, int timeout_ms)
{
    struct timespec deadline;
    int rc = 0;

    pthread_mutex_lock(&search->lock);
    if (!search->started || search->stopping) {
        /* No worker: apply the queue on this thread. */
        size_t count;
        gr_search__change *changes = take_queue(search, &count);

        pthread_mutex_unlock(&search->lock);
        if (count > 0)
            gr_search__apply_batch(search, changes, count);
        else
            free(changes);
        return 0;
    }
    deadline_after(&deadline, timeout_ms);
    while (search->queue_count > 0 || search->busy || search->history_due) {
        if (pthread_cond_timedwait(&search->idle, &search->lock, &deadline) == ETIMEDOUT) {
            rc = gr_error_set(GR_ELIMIT, "the search index was still updating after %d ms",
                              timeout_ms);
            break;
        }
    }
    pthread_mutex_unlock(&search->lock);
    return rc;
}
