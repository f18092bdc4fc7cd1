/* SPDX-License-Identifier: MIT */
/* Runs independent jobs on a few threads and finishes them one by one in order. */
#include "plugins/techdocs/build/ordered.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t room;  /* a job was finished, so one more may start, or the run stops */
    pthread_cond_t ran_cond; /* the job the calling thread waits for has run */
    size_t count;
    size_t next;     /* the next index to run */
    size_t finished; /* indices below it are finished */
    size_t awaited;  /* the index the calling thread waits for, or count when it does not */
    size_t idle;     /* workers waiting for room */
    unsigned char *ran;
    int stop;
    gr_techdocs_job_run run;
    void *payload;
} queue;

/* Returns nonzero when the next index may start: one is left, within the window. */
static int can_take(const queue *q)
{
    return !q->stop && q->next < q->count &&
           q->next < q->finished + GR_TECHDOCS_ORDERED_WINDOW;
}

/* Runs job `index` without the lock and marks it run, waking the calling
 * thread only when it waits for this job. Called with the lock held. */
static void run_job(queue *q, size_t index)
{
    pthread_mutex_unlock(&q->lock);
    q->run(index, q->payload);
    pthread_mutex_lock(&q->lock);
    q->ran[index] = 1;
    if (q->awaited == index)
        pthread_cond_signal(&q->ran_cond);
}

static void *worker(void *arg)
{
    queue *q = arg;

    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (can_take(q)) {
            run_job(q, q->next++);
            continue;
        }
        if (q->stop || q->next >= q->count)
            break;
        q->idle++;
        pthread_cond_wait(&q->room, &q->lock);
        q->idle--;
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static int run_here(size_t count, gr_techdocs_job_run run, gr_techdocs_job_finish finish,
                    void *payload)
{
    int rc = GR_OK;

    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        run(i, payload);
        rc = finish(i, payload);
    }
    return rc;
}

/* Finishes the jobs in order and, while the next one is not ready, runs
 * jobs itself rather than wait; returns the first error. */
static int finish_in_order(queue *q, gr_techdocs_job_finish finish)
{
    int rc = GR_OK;

    pthread_mutex_lock(&q->lock);
    for (size_t i = 0; i < q->count && rc == GR_OK; i++) {
        while (!q->ran[i]) {
            if (can_take(q)) {
                run_job(q, q->next++);
                continue;
            }
            q->awaited = i;
            pthread_cond_wait(&q->ran_cond, &q->lock);
            q->awaited = q->count;
        }
        pthread_mutex_unlock(&q->lock);

        rc = finish(i, q->payload);

        pthread_mutex_lock(&q->lock);
        q->finished = i + 1;
        q->stop = rc != GR_OK;
        if (q->idle > 0)
            pthread_cond_broadcast(&q->room);
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int gr_techdocs_run_ordered(size_t count, size_t threads, gr_techdocs_job_run run,
                            gr_techdocs_job_finish finish, void *payload)
{
    queue q = {.count = count, .awaited = count, .run = run, .payload = payload};
    pthread_t *ids = NULL;
    size_t started = 0;
    int rc;

    if (threads > count)
        threads = count;
    if (threads <= 1)
        return run_here(count, run, finish, payload);

    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.room, NULL);
    pthread_cond_init(&q.ran_cond, NULL);
    q.ran = gr_xcalloc(count, 1);
    ids = gr_xcalloc(threads, sizeof(*ids));
    /* The calling thread runs jobs too, so it starts one thread fewer. */
    while (started + 1 < threads && pthread_create(&ids[started], NULL, worker, &q) == 0)
        started++;
    rc = finish_in_order(&q, finish);

    pthread_mutex_lock(&q.lock);
    q.stop = 1;
    pthread_cond_broadcast(&q.room);
    pthread_mutex_unlock(&q.lock);
    for (size_t i = 0; i < started; i++)
        pthread_join(ids[i], NULL);

    pthread_cond_destroy(&q.ran_cond);
    pthread_cond_destroy(&q.room);
    pthread_mutex_destroy(&q.lock);
    free(ids);
    free(q.ran);
    return rc;
}

size_t gr_techdocs_thread_count(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);

    if (online < 1)
        return 1;
    return online > GR_TECHDOCS_MAX_THREADS ? GR_TECHDOCS_MAX_THREADS : (size_t)online;
}
