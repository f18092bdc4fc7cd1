/* SPDX-License-Identifier: MIT */
/* Task workers: threads that claim open tasks from the shared queue and run them. */
#include "plugins/scaffolder/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/scaffolder/creator.h"
#include "plugins/scaffolder/runner.h"
#include "plugins/scaffolder/store.h"

typedef struct {
    gr_scaffolder_workers *pool;
    pthread_t thread;
    char task_id[GR_SCAFFOLDER_ID_SIZE]; /* the running task, "" when idle; under pool->lock */
    atomic_bool cancel;
} worker_slot;

struct gr_scaffolder_workers {
    gr_scaffolder *scaffolder;
    const char *instance_id;
    int count;
    worker_slot *slots;
    pthread_t heartbeat;
    bool heartbeat_started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    bool started;
    int notified;
};

/* The state a running task's sink keeps. */
typedef struct {
    worker_slot *slot;
    const char *task_id;
    json_t *state; /* {steps: {id: status}} */
} task_sink;

int gr_scaffolder_workers_new(gr_scaffolder_workers **out, gr_scaffolder *scaffolder,
                              const char *instance_id, int count)
{
    gr_scaffolder_workers *pool = gr_xcalloc(1, sizeof(*pool));

    pool->scaffolder = scaffolder;
    pool->instance_id = instance_id;
    pool->count = count;
    pool->slots = gr_xcalloc((size_t)count + 1, sizeof(worker_slot));
    for (int i = 0; i < count; i++) {
        pool->slots[i].pool = pool;
        atomic_init(&pool->slots[i].cancel, false);
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    *out = pool;
    return 0;
}

static void deadline_after(struct timespec *deadline, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, deadline);
    deadline->tv_sec += (time_t)(ms / 1000);
    deadline->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline->tv_nsec >= 1000000000L) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000L;
    }
}

/* Waits for a notify, a stop or `ms`. Returns false once stopping. */
static bool wait_for_work(gr_scaffolder_workers *pool, int64_t ms)
{
    struct timespec deadline;
    bool running;

    deadline_after(&deadline, ms);
    pthread_mutex_lock(&pool->lock);
    while (!pool->stopping && pool->notified == 0)
        if (pthread_cond_timedwait(&pool->wake, &pool->lock, &deadline) == ETIMEDOUT)
            break;
    if (pool->notified > 0)
        pool->notified--;
    running = !pool->stopping;
    pthread_mutex_unlock(&pool->lock);
    return running;
}

static void sink_event(void *payload, const char *type, json_t *body)
{
    task_sink *sink = payload;
    gr_db *db = sink->slot->pool->scaffolder->db;
    const char *step = json_string_value(json_object_get(body, "stepId"));
    const char *status = json_string_value(json_object_get(body, "status"));

    if (gr_task_add_event(db, sink->task_id, type, body) < 0)
        gr_log_fields(GR_LOG_ERROR, "scaffolder", "storing a task event failed", "task",
                      sink->task_id, "error", gr_error_last(), NULL);
    if (step != NULL && status != NULL) {
        json_object_set_new(json_object_get(sink->state, "steps"), step, json_string(status));
        if (gr_task_set_state(db, sink->task_id, sink->state) < 0)
            gr_log_fields(GR_LOG_ERROR, "scaffolder", "storing a task state failed", "task",
                          sink->task_id, "error", gr_error_last(), NULL);
    }
}

static bool sink_cancelled(void *payload)
{
    task_sink *sink = payload;
    bool stopping;

    if (atomic_load(&sink->slot->cancel))
        return true;
    pthread_mutex_lock(&sink->slot->pool->lock);
    stopping = sink->slot->pool->stopping;
    pthread_mutex_unlock(&sink->slot->pool->lock);
    return stopping;
}

static json_t *initial_state(const json_t *spec)
{
    json_t *steps = json_object();
    size_t index;
    json_t *step;

    json_array_foreach(json_object_get(spec, "steps"), index, step)
    {
        const char *id = json_string_value(json_object_get(step, "id"));

        if (id != NULL)
            json_object_set_new(steps, id, json_string("open"));
    }
    return json_pack("{s:o}", "steps", steps);
}

static void run_claimed(worker_slot *slot, gr_task_claim *claim)
{
    gr_scaffolder *scaffolder = slot->pool->scaffolder;
    task_sink state = {.slot = slot, .task_id = claim->id, .state = initial_state(claim->spec)};
    gr_scaffolder_sink sink = {.event = sink_event, .cancelled = sink_cancelled, .payload = &state};
    gr_scaffolder_creator creator;
    gr_scaffolder_run_params params = {
        .task_id = claim->id,
        .spec = claim->spec,
        .secrets = claim->secrets,
        .sink = &sink,
        .creator = &creator.identity,
    };
    gr_scaffolder_result result = {0};
    const char *status = "failed";

    /* From the stored task, so a task claimed on another instance or after a restart still
     * reads the catalog as its creator. */
    gr_scaffolder_creator_rebuild(claim->creator, &creator);
    gr_log_fields(GR_LOG_INFO, "scaffolder", "task started", "task", claim->id, NULL);
    gr_task_set_state(scaffolder->db, claim->id, state.state);
    if (gr_scaffolder_run(scaffolder, &params, &result) < 0) {
        json_t *body =
            json_pack("{s:s, s:{s:s, s:s}}", "message", "Run completed with status: failed",
                      "error", "name", "Error", "message", gr_error_last());

        gr_task_add_event(scaffolder->db, claim->id, "completion", body);
        json_decref(body);
    } else {
        status = gr_task_result_name(result.status);
    }
    if (gr_task_finish(scaffolder->db, claim->id, status) < 0)
        gr_log_fields(GR_LOG_ERROR, "scaffolder", "storing the task result failed", "task",
                      claim->id, "error", gr_error_last(), NULL);
    gr_log_fields(GR_LOG_INFO, "scaffolder", "task ended", "task", claim->id, "status", status,
                  NULL);
    gr_scaffolder_result_clear(&result);
    gr_scaffolder_creator_clear(&creator);
    json_decref(state.state);
}

static void *worker_main(void *arg)
{
    worker_slot *slot = arg;
    gr_scaffolder_workers *pool = slot->pool;

    for (;;) {
        gr_task_claim claim;
        int rc;

        pthread_mutex_lock(&pool->lock);
        if (pool->stopping) {
            pthread_mutex_unlock(&pool->lock);
            break;
        }
        pthread_mutex_unlock(&pool->lock);

        rc = gr_task_claim_next(pool->scaffolder->db, pool->instance_id, pool->scaffolder->lease_ms,
                                &claim);
        if (rc == GR_ENOTFOUND || rc < 0) {
            if (rc < 0 && rc != GR_ENOTFOUND)
                gr_log_fields(GR_LOG_ERROR, "scaffolder", "claiming a task failed", "error",
                              gr_error_last(), NULL);
            if (!wait_for_work(pool, GR_TASK_POLL_MS))
                break;
            continue;
        }
        pthread_mutex_lock(&pool->lock);
        memcpy(slot->task_id, claim.id, sizeof(slot->task_id));
        atomic_store(&slot->cancel, false);
        pthread_mutex_unlock(&pool->lock);

        run_claimed(slot, &claim);

        pthread_mutex_lock(&pool->lock);
        slot->task_id[0] = '\0';
        pthread_mutex_unlock(&pool->lock);
        gr_task_claim_clear(&claim);
    }
    return NULL;
}

/* Renews the claims of this instance's running tasks and picks up cancel requests. */
static void heartbeat_once(gr_scaffolder_workers *pool)
{
    for (int i = 0; i < pool->count; i++) {
        worker_slot *slot = &pool->slots[i];
        char id[GR_SCAFFOLDER_ID_SIZE];
        bool cancel = false;
        int rc;

        pthread_mutex_lock(&pool->lock);
        memcpy(id, slot->task_id, sizeof(id));
        pthread_mutex_unlock(&pool->lock);
        if (id[0] == '\0')
            continue;
        rc = gr_task_heartbeat(pool->scaffolder->db, id, pool->instance_id, pool->scaffolder->lease_ms,
                               &cancel);
        if (rc == GR_ECONFLICT || cancel)
            atomic_store(&slot->cancel, true);
        else if (rc < 0)
            gr_log_fields(GR_LOG_WARN, "scaffolder", "task heartbeat failed", "task", id, "error",
                          gr_error_last(), NULL);
    }
}

static void *heartbeat_main(void *arg)
{
    gr_scaffolder_workers *pool = arg;

    for (;;) {
        struct timespec deadline;
        bool stopping;

        deadline_after(&deadline, GR_TASK_HEARTBEAT_MS / 10);
        pthread_mutex_lock(&pool->lock);
        if (!pool->stopping)
            pthread_cond_timedwait(&pool->wake, &pool->lock, &deadline);
        stopping = pool->stopping;
        pthread_mutex_unlock(&pool->lock);
        if (stopping)
            break;
        heartbeat_once(pool);
    }
    return NULL;
}

int gr_scaffolder_workers_start(gr_scaffolder_workers *workers)
{
    if (workers->started)
        return gr_error_set(GR_EINVALID, "the task workers are running already");
    for (int i = 0; i < workers->count; i++)
        if (pthread_create(&workers->slots[i].thread, NULL, worker_main, &workers->slots[i]) != 0) {
            workers->count = i;
            workers->started = true;
            gr_scaffolder_workers_stop(workers);
            return gr_error_set(GR_EBACKEND, "cannot start task worker threads");
        }
    if (pthread_create(&workers->heartbeat, NULL, heartbeat_main, workers) != 0) {
        workers->started = true;
        gr_scaffolder_workers_stop(workers);
        return gr_error_set(GR_EBACKEND, "cannot start the task heartbeat thread");
    }
    workers->heartbeat_started = true;
    workers->started = true;
    return 0;
}

void gr_scaffolder_workers_notify(gr_scaffolder_workers *workers)
{
    if (workers == NULL)
        return;
    pthread_mutex_lock(&workers->lock);
    workers->notified++;
    pthread_cond_broadcast(&workers->wake);
    pthread_mutex_unlock(&workers->lock);
}

void gr_scaffolder_workers_stop(gr_scaffolder_workers *workers)
{
    bool was_started;

    if (workers == NULL)
        return;
    pthread_mutex_lock(&workers->lock);
    was_started = workers->started && !workers->stopping;
    workers->stopping = true;
    pthread_cond_broadcast(&workers->wake);
    pthread_mutex_unlock(&workers->lock);
    if (!was_started)
        return;
    for (int i = 0; i < workers->count; i++)
        pthread_join(workers->slots[i].thread, NULL);
    if (workers->heartbeat_started)
        pthread_join(workers->heartbeat, NULL);
}

void gr_scaffolder_workers_free(gr_scaffolder_workers *workers)
{
    if (workers == NULL)
        return;
    gr_scaffolder_workers_stop(workers);
    pthread_mutex_destroy(&workers->lock);
    pthread_cond_destroy(&workers->wake);
    free(workers->slots);
    free(workers);
}
