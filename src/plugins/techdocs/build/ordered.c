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
    pthread_cond_t changed; /* a job ran, one was finished, or the run stops */
    size_t count;
    size_t next;     /* the next index to run */
    size_t finished; /* indices below it are finished */
    unsigned char *ran;
    int stop;
    gr_techdocs_job_run run;
    void *payload;
} queue;

/* Takes the next index to run, waiting while it is too far ahead; returns 0 when none is left. */
static int take(queue *q, size_t *index)
{
    while (!q->stop && q->next < q->count && q->next >= q->finished + GR_TECHDOCS_ORDERED_WINDOW)
        pthread_cond_wait(&q->changed, &q->lock);
    if (q->stop || q->next >= q->count)
        return 0;
    *index = q->next++;
    return 1;
}

static void *worker(void *arg)
{
    queue *q = arg;
    size_t index;

    pthread_mutex_lock(&q->lock);
    while (take(q, &index)) {
        pthread_mutex_unlock(&q->lock);
        q->run(index, q->payload);
        pthread_mutex_lock(&q->lock);
        q->ran[index] = 1;
        pthread_cond_broadcast(&q->changed);
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

/* Finishes the jobs in order as they complete; returns the first error. */
static int finish_in_order(queue *q, gr_techdocs_job_finish finish)
{
    int rc = GR_OK;

    for (size_t i = 0; i < q->count && rc == GR_OK; i++) {
        pthread_mutex_lock(&q->lock);
        while (!q->ran[i])
            pthread_cond_wait(&q->changed, &q->lock);
        pthread_mutex_unlock(&q->lock);

        rc = finish(i, q->payload);

        pthread_mutex_lock(&q->lock);
        q->finished = i + 1;
        q->stop = rc != GR_OK;
        pthread_cond_broadcast(&q->changed);
        pthread_mutex_unlock(&q->lock);
    }
    return rc;
}

int gr_techdocs_run_ordered(size_t count, size_t threads, gr_techdocs_job_run run,
                            gr_techdocs_job_finish finish, void *payload)
{
    queue q = {.count = count, .run = run, .payload = payload};
    pthread_t *ids = NULL;
    size_t started = 0;
    int rc;

    if (threads > count)
        threads = count;
    if (threads <= 1)
        return run_here(count, run, finish, payload);

    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.changed, NULL);
    q.ran = gr_xcalloc(count, 1);
    ids = gr_xcalloc(threads, sizeof(*ids));
    while (started < threads && pthread_create(&ids[started], NULL, worker, &q) == 0)
        started++;
    /* Without a thread the jobs run here, one after the other. */
    rc = started > 0 ? finish_in_order(&q, finish) : run_here(count, run, finish, payload);

    pthread_mutex_lock(&q.lock);
    q.stop = 1;
    pthread_cond_broadcast(&q.changed);
    pthread_mutex_unlock(&q.lock);
    for (size_t i = 0; i < started; i++)
        pthread_join(ids[i], NULL);

    pthread_cond_destroy(&q.changed);
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
