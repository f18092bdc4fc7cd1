/* SPDX-License-Identifier: MIT */
/* The scheduler's threads: waking due jobs, running them under a lease, timeouts. */
#include "host/sched/sched.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/sched/lease.h"

/* Maximum time the scheduler thread sleeps when no job is due, in ms. */
#define IDLE_WAIT_MS 60000

typedef enum {
    JOB_IDLE,    /* waiting until due_at */
    JOB_QUEUED,  /* handed to the workers */
    JOB_RUNNING, /* a worker holds it (taking the lease, running, freeing it) */
} job_state;

typedef struct sched_job sched_job;

struct gr_sched_run {
    gr_sched *sched;
    sched_job *job;
    bool timed_out; /* guarded by sched->lock */
};

struct sched_job {
    char *id;
    int64_t interval_ms;
    int64_t timeout_ms;
    gr_sched_fn fn;
    void *payload;
    job_state state;
    int64_t due_at;       /* monotonic ms of the next attempt */
    int64_t deadline;     /* monotonic ms when the current run times out; 0 when not running */
    bool leased;          /* this instance runs the job or is freeing its lease */
    bool rerun;           /* triggered while leased: run again once this run ends */
    gr_sched_run run;
    sched_job *next_in_queue;
};

struct gr_sched {
    gr_db *db;
    char *instance_id;
    gr_sched__lease_sql sql;

    pthread_mutex_t lock;
    pthread_cond_t wake;    /* the scheduler thread: jobs or due times changed */
    pthread_cond_t work;    /* the workers: the queue has jobs */
    pthread_cond_t changed; /* sleeping jobs: stop or timeout */

    sched_job **jobs;
    size_t job_count;
    size_t job_capacity;
    sched_job *queue_head;
    sched_job *queue_tail;

    bool started;
    bool stopping;
    bool stopped;
    pthread_t thread;
    pthread_t workers[GR_SCHED_WORKERS];
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec timespec_at(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    return ts;
}

static void init_cond(pthread_cond_t *cond)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

int gr_sched_new(gr_sched **out, gr_db *db, const char *instance_id)
{
    gr_sched *sched;
    int rc;

    *out = NULL;
    if (instance_id == NULL || instance_id[0] == '\0')
        return gr_error_set(GR_EINVALID, "the scheduler needs a non-empty instance id");
    rc = gr_sched__lease_migrate(db);
    if (rc != GR_OK)
        return rc;

    sched = gr_xcalloc(1, sizeof(*sched));
    sched->db = db;
    sched->instance_id = gr_xstrdup(instance_id);
    gr_sched__lease_sql_init(&sched->sql, db);
    pthread_mutex_init(&sched->lock, NULL);
    init_cond(&sched->wake);
    init_cond(&sched->work);
    init_cond(&sched->changed);
    *out = sched;
    return GR_OK;
}

static int check_job(const char *job_id, int64_t interval_ms, int64_t initial_delay_ms,
                     int64_t timeout_ms, gr_sched_fn fn)
{
    if (job_id == NULL || job_id[0] == '\0' || strlen(job_id) > GR_SCHED_JOB_ID_MAX)
        return gr_error_set(GR_EINVALID, "a job id must have 1 to %d bytes",
                            GR_SCHED_JOB_ID_MAX);
    if (interval_ms <= 0 || timeout_ms <= 0 || initial_delay_ms < 0)
        return gr_error_set(GR_EINVALID,
                            "job %s: interval and timeout must be positive and the initial "
                            "delay not negative",
                            job_id);
    if (fn == NULL)
        return gr_error_set(GR_EINVALID, "job %s has no function", job_id);
    return GR_OK;
}

/* Called with sched->lock held. */
static sched_job *find_job(gr_sched *sched, const char *job_id)
{
    for (size_t i = 0; i < sched->job_count; i++) {
        if (strcmp(sched->jobs[i]->id, job_id) == 0)
            return sched->jobs[i];
    }
    return NULL;
}

int gr_sched_add(gr_sched *sched, const char *job_id, int64_t interval_ms, int64_t initial_delay_ms,
                 int64_t timeout_ms, gr_sched_fn fn, void *payload)
{
    sched_job *job;
    int rc;

    rc = check_job(job_id, interval_ms, initial_delay_ms, timeout_ms, fn);
    if (rc != GR_OK)
        return rc;

    pthread_mutex_lock(&sched->lock);
    if (find_job(sched, job_id) != NULL) {
        pthread_mutex_unlock(&sched->lock);
        return gr_error_set(GR_ECONFLICT, "a job with id %s exists already", job_id);
    }
    job = gr_xcalloc(1, sizeof(*job));
    job->id = gr_xstrdup(job_id);
    job->interval_ms = interval_ms;
    job->timeout_ms = timeout_ms;
    job->fn = fn;
    job->payload = payload;
    /* Before start, the delay is counted again from gr_sched_start(). */
    job->due_at = initial_delay_ms;
    if (sched->started)
        job->due_at += now_ms();
    job->run.sched = sched;
    job->run.job = job;
    if (sched->job_count == sched->job_capacity) {
        sched->job_capacity = sched->job_capacity ? 2 * sched->job_capacity : 8;
        sched->jobs = gr_xrealloc(sched->jobs, sched->job_capacity * sizeof(*sched->jobs));
    }
    sched->jobs[sched->job_count++] = job;
    pthread_cond_signal(&sched->wake);
    pthread_mutex_unlock(&sched->lock);
    return GR_OK;
}

/* Called with sched->lock held: queues due jobs, flags timed-out runs and
 * returns when the next of those events is. */
static int64_t dispatch(gr_sched *sched, int64_t now)
{
    int64_t next = now + IDLE_WAIT_MS;

    for (size_t i = 0; i < sched->job_count; i++) {
        sched_job *job = sched->jobs[i];

        if (job->state == JOB_IDLE && job->due_at <= now) {
            job->state = JOB_QUEUED;
            job->next_in_queue = NULL;
            if (sched->queue_tail != NULL)
                sched->queue_tail->next_in_queue = job;
            else
                sched->queue_head = job;
            sched->queue_tail = job;
            pthread_cond_signal(&sched->work);
        } else if (job->state == JOB_IDLE && job->due_at < next) {
            next = job->due_at;
        }

        if (job->deadline == 0 || job->run.timed_out)
            continue;
        if (job->deadline <= now) {
            job->run.timed_out = true;
            gr_warn("sched", "job %s ran longer than its timeout of %lld ms; asking it to stop",
                    job->id, (long long)job->timeout_ms);
            pthread_cond_broadcast(&sched->changed);
        } else if (job->deadline < next) {
            next = job->deadline;
        }
    }
    return next;
}

static void *scheduler_main(void *arg)
{
    gr_sched *sched = arg;

    pthread_mutex_lock(&sched->lock);
    while (!sched->stopping) {
        struct timespec until = timespec_at(dispatch(sched, now_ms()));

        pthread_cond_timedwait(&sched->wake, &sched->lock, &until);
    }
    pthread_mutex_unlock(&sched->lock);
    return NULL;
}

static void run_job(gr_sched *sched, sched_job *job)
{
    int rc;

    pthread_mutex_lock(&sched->lock);
    job->run.timed_out = false;
    job->leased = true;
    job->deadline = now_ms() + job->timeout_ms;
    pthread_cond_signal(&sched->wake);
    pthread_mutex_unlock(&sched->lock);

    gr_debug("sched", "job %s started", job->id);
    gr_error_clear();
    rc = job->fn(&job->run, job->payload);
    if (rc != GR_OK)
        gr_warn("sched", "job %s failed: %s", job->id, gr_error_last());
    else
        gr_debug("sched", "job %s finished", job->id);

    pthread_mutex_lock(&sched->lock);
    job->deadline = 0;
    pthread_mutex_unlock(&sched->lock);
}

/* Takes the lease, runs the job and frees the lease. Returns the delay until
 * this instance should try the job again, in ms. */
static int64_t attempt(gr_sched *sched, sched_job *job)
{
    int64_t delay = 0;
    int rc;

    rc = gr_sched__lease_claim(sched->db, &sched->sql, job->id, sched->instance_id,
                               job->timeout_ms);
    if (rc == 0) {
        /* Another instance has the lease, or the job is not due yet. */
        rc = gr_sched__lease_probe(sched->db, &sched->sql, job->id, &delay);
        if (rc == GR_OK)
            return gr_sched__retry_delay(delay, job->interval_ms);
    }
    if (rc < 0) {
        gr_warn("sched", "taking the lease of job %s failed: %s", job->id, gr_error_last());
        return gr_sched__retry_delay(GR_SCHED_ERROR_RETRY_MS, job->interval_ms);
    }

    run_job(sched, job);

    rc = gr_sched__lease_release(sched->db, &sched->sql, job->id, sched->instance_id,
                                 job->interval_ms, &delay);
    if (rc == 0)
        gr_warn("sched", "job %s lost its lease while running (timeout %lld ms)", job->id,
                (long long)job->timeout_ms);
    else if (rc < 0)
        gr_warn("sched", "freeing the lease of job %s failed: %s", job->id, gr_error_last());
    if (rc != 1)
        delay = job->interval_ms;
    return delay > 0 ? delay : 0;
}

static sched_job *next_queued(gr_sched *sched)
{
    sched_job *job = sched->queue_head;

    sched->queue_head = job->next_in_queue;
    if (sched->queue_head == NULL)
        sched->queue_tail = NULL;
    job->next_in_queue = NULL;
    return job;
}

static void *worker_main(void *arg)
{
    gr_sched *sched = arg;

    pthread_mutex_lock(&sched->lock);
    for (;;) {
        sched_job *job;
        int64_t delay;
        bool rerun;

        while (!sched->stopping && sched->queue_head == NULL)
            pthread_cond_wait(&sched->work, &sched->lock);
        if (sched->stopping)
            break;

        job = next_queued(sched);
        job->state = JOB_RUNNING;
        pthread_mutex_unlock(&sched->lock);

        delay = attempt(sched, job);

        pthread_mutex_lock(&sched->lock);
        rerun = job->rerun;
        job->rerun = false;
        job->leased = false;
        job->state = JOB_IDLE;
        job->due_at = now_ms() + delay;
        pthread_cond_signal(&sched->wake);
        if (rerun) {
            pthread_mutex_unlock(&sched->lock);
            if (gr_sched_trigger(sched, job->id) != GR_OK)
                gr_warn("sched", "running job %s again after a trigger failed: %s", job->id,
                        gr_error_last());
            pthread_mutex_lock(&sched->lock);
        }
    }
    pthread_mutex_unlock(&sched->lock);
    return NULL;
}

int gr_sched_start(gr_sched *sched)
{
    int64_t now = now_ms();

    pthread_mutex_lock(&sched->lock);
    if (sched->started) {
        pthread_mutex_unlock(&sched->lock);
        return gr_error_set(GR_EINVALID, "the scheduler was started before");
    }
    sched->started = true;
    for (size_t i = 0; i < sched->job_count; i++)
        sched->jobs[i]->due_at += now;
    pthread_mutex_unlock(&sched->lock);

    pthread_create(&sched->thread, NULL, scheduler_main, sched);
    for (int i = 0; i < GR_SCHED_WORKERS; i++)
        pthread_create(&sched->workers[i], NULL, worker_main, sched);
    gr_info("sched", "scheduler started as %s with %zu jobs", sched->instance_id,
            sched->job_count);
    return GR_OK;
}

void gr_sched_stop(gr_sched *sched)
{
    pthread_mutex_lock(&sched->lock);
    if (!sched->started || sched->stopped) {
        sched->stopping = true;
        sched->stopped = true;
        pthread_mutex_unlock(&sched->lock);
        return;
    }
    sched->stopping = true;
    pthread_cond_broadcast(&sched->wake);
    pthread_cond_broadcast(&sched->work);
    pthread_cond_broadcast(&sched->changed);
    pthread_mutex_unlock(&sched->lock);

    pthread_join(sched->thread, NULL);
    for (int i = 0; i < GR_SCHED_WORKERS; i++)
        pthread_join(sched->workers[i], NULL);

    pthread_mutex_lock(&sched->lock);
    sched->stopped = true;
    pthread_mutex_unlock(&sched->lock);
    gr_info("sched", "scheduler %s stopped", sched->instance_id);
}

int gr_sched_trigger(gr_sched *sched, const char *job_id)
{
    sched_job *job;
    int rc;

    pthread_mutex_lock(&sched->lock);
    job = find_job(sched, job_id);
    if (job == NULL)
        rc = gr_error_set(GR_ENOTFOUND, "no job with id %s", job_id);
    else
        rc = GR_OK;
    /* The running job may already have read its input, so a trigger during
     * the run (or while its lease is freed) requests one more run after it. */
    if (job != NULL && job->state == JOB_RUNNING && job->leased) {
        job->rerun = true;
        pthread_mutex_unlock(&sched->lock);
        return GR_OK;
    }
    pthread_mutex_unlock(&sched->lock);
    if (rc != GR_OK)
        return rc;

    rc = gr_sched__lease_trigger(sched->db, &sched->sql, job_id);
    if (rc != GR_OK)
        return rc;

    pthread_mutex_lock(&sched->lock);
    if (job->state == JOB_IDLE)
        job->due_at = now_ms();
    pthread_cond_signal(&sched->wake);
    pthread_mutex_unlock(&sched->lock);
    return GR_OK;
}

void gr_sched_free(gr_sched *sched)
{
    if (sched == NULL)
        return;
    gr_sched_stop(sched);
    for (size_t i = 0; i < sched->job_count; i++) {
        free(sched->jobs[i]->id);
        free(sched->jobs[i]);
    }
    free(sched->jobs);
    gr_sched__lease_sql_free(&sched->sql);
    free(sched->instance_id);
    pthread_cond_destroy(&sched->wake);
    pthread_cond_destroy(&sched->work);
    pthread_cond_destroy(&sched->changed);
    pthread_mutex_destroy(&sched->lock);
    free(sched);
}

bool gr_sched_run_stopping(gr_sched_run *run)
{
    bool stopping;

    pthread_mutex_lock(&run->sched->lock);
    stopping = run->sched->stopping || run->timed_out;
    pthread_mutex_unlock(&run->sched->lock);
    return stopping;
}

bool gr_sched_run_sleep(gr_sched_run *run, int64_t ms)
{
    gr_sched *sched = run->sched;
    struct timespec until = timespec_at(now_ms() + ms);
    bool stopping;

    pthread_mutex_lock(&sched->lock);
    while (!sched->stopping && !run->timed_out) {
        if (pthread_cond_timedwait(&sched->changed, &sched->lock, &until) == ETIMEDOUT)
            break;
    }
    stopping = sched->stopping || run->timed_out;
    pthread_mutex_unlock(&sched->lock);
    return !stopping;
}

const char *gr_sched_run_job_id(const gr_sched_run *run)
{
    return run->job->id;
}
