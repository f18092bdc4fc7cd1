/* SPDX-License-Identifier: MIT */
/* The TechDocs service: builds sites on demand on worker threads and reads published ones. */
#include "plugins/techdocs/service.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/techdocs/lease.h"
#include "plugins/techdocs/service_internal.h"

int gr_techdocs_service_new(gr_techdocs_service **out, const gr_techdocs_service_options *options)
{
    gr_techdocs_service *service;
    int rc;

    *out = NULL;
    if (options->instance_id == NULL || options->instance_id[0] == '\0')
        return gr_error_set(GR_EINVALID, "the techdocs service needs an instance id");
    service = gr_xcalloc(1, sizeof(*service));
    service->db = options->db;
    service->policy = options->policy;
    if (options->settings != NULL)
        service->settings = *options->settings;
    else
        gr_techdocs_settings_read(options->config, &service->settings);
    service->instance_id = gr_xstrdup(options->instance_id);
    pthread_mutex_init(&service->lock, NULL);
    pthread_cond_init(&service->changed, NULL);
    rc = gr_catalog__settings_read(&service->reading,
                                   options->config ? gr_config_node(options->config, "") : NULL);
    if (rc == GR_OK)
        rc = gr_techdocs_store_new(&service->store, service->db, service->settings.store,
                                   service->settings.publish_directory);
    if (rc != GR_OK) {
        gr_techdocs_service_free(service);
        return rc;
    }
    if (service->settings.cache_ttl_ms > 0)
        service->cache = gr_techdocs_cache_new(service->settings.cache_ttl_ms);
    *out = service;
    return GR_OK;
}

static gr_techdocs_job *take_job(gr_techdocs_service *service)
{
    gr_techdocs_job *job = service->queue_head;

    if (job != NULL) {
        service->queue_head = job->next_queued;
        if (service->queue_head == NULL)
            service->queue_tail = NULL;
        job->next_queued = NULL;
        job->running = true;
    }
    return job;
}

static void finish_job(gr_techdocs_service *service, gr_techdocs_job *job)
{
    gr_techdocs_job **link = &service->active;

    while (*link != NULL && *link != job)
        link = &(*link)->next_active;
    if (*link == job)
        *link = job->next_active;
    job->done = true;
    job->running = false;
    pthread_cond_broadcast(&service->changed);
}

static void job_unref_locked(gr_techdocs_job *job)
{
    if (--job->refs > 0)
        return;
    for (size_t i = 0; i < job->log_count; i++)
        free(job->log[i]);
    free(job->log);
    free(job->error);
    gr_techdocs_triplet_free(&job->triplet);
    free(job);
}

static void *worker_main(void *payload)
{
    gr_techdocs_service *service = payload;

    pthread_mutex_lock(&service->lock);
    while (!service->stopping) {
        gr_techdocs_job *job = take_job(service);

        if (job == NULL) {
            pthread_cond_wait(&service->changed, &service->lock);
            continue;
        }
        pthread_mutex_unlock(&service->lock);
        gr_techdocs__run_job(service, job);
        pthread_mutex_lock(&service->lock);
        finish_job(service, job);
        job_unref_locked(job);
    }
    pthread_mutex_unlock(&service->lock);
    return NULL;
}

int gr_techdocs_service_start(gr_techdocs_service *service)
{
    int count = service->settings.workers > 0 ? service->settings.workers : 1;

    pthread_mutex_lock(&service->lock);
    if (service->started) {
        pthread_mutex_unlock(&service->lock);
        return gr_error_set(GR_EINVALID, "the techdocs service is started already");
    }
    service->started = true;
    service->threads = gr_xcalloc((size_t)count, sizeof(pthread_t));
    pthread_mutex_unlock(&service->lock);

    for (int i = 0; i < count; i++) {
        int err = pthread_create(&service->threads[i], NULL, worker_main, service);

        if (err != 0) {
            gr_techdocs_service_stop(service);
            return gr_error_set(GR_EBACKEND, "cannot start a techdocs build thread: %s",
                                strerror(err));
        }
        service->thread_count++;
    }
    return GR_OK;
}

void gr_techdocs_service_stop(gr_techdocs_service *service)
{
    gr_techdocs_job *job;

    pthread_mutex_lock(&service->lock);
    service->stopping = true;
    pthread_cond_broadcast(&service->changed);
    pthread_mutex_unlock(&service->lock);

    for (int i = 0; i < service->thread_count; i++)
        pthread_join(service->threads[i], NULL);
    service->thread_count = 0;

    pthread_mutex_lock(&service->lock);
    while ((job = take_job(service)) != NULL) {
        free(job->error);
        job->error = gr_xstrdup("the server is stopping");
        finish_job(service, job);
        job_unref_locked(job);
    }
    pthread_mutex_unlock(&service->lock);
}

void gr_techdocs_service_free(gr_techdocs_service *service)
{
    if (service == NULL)
        return;
    gr_techdocs_service_stop(service);
    gr_techdocs_cache_free(service->cache);
    gr_techdocs_store_free(service->store);
    gr_catalog__settings_free(&service->reading);
    pthread_cond_destroy(&service->changed);
    pthread_mutex_destroy(&service->lock);
    free(service->threads);
    free(service->instance_id);
    free(service);
}

void gr_techdocs_service_on_published(gr_techdocs_service *service, gr_techdocs_published_fn fn,
                                      void *payload)
{
    service->on_published = fn;
    service->on_published_payload = payload;
}

const gr_techdocs_settings *gr_techdocs_service_settings(const gr_techdocs_service *service)
{
    return &service->settings;
}

gr_db *gr_techdocs_service_db(const gr_techdocs_service *service)
{
    return service->db;
}

const gr_permission_policy *gr_techdocs_service_policy(const gr_techdocs_service *service)
{
    return service->policy;
}

gr_techdocs_store *gr_techdocs_service_store(const gr_techdocs_service *service)
{
    return service->store;
}

gr_techdocs_job *gr_techdocs_service_request(gr_techdocs_service *service,
                                             const gr_techdocs_triplet *triplet)
{
    gr_techdocs_job *job;

    pthread_mutex_lock(&service->lock);
    if (service->stopping) {
        pthread_mutex_unlock(&service->lock);
        return NULL;
    }
    for (job = service->active; job != NULL; job = job->next_active) {
        if (strcmp(job->triplet.ref, triplet->ref) == 0)
            break;
    }
    if (job == NULL) {
        job = gr_xcalloc(1, sizeof(*job));
        job->service = service;
        gr_techdocs_triplet_init(&job->triplet, triplet->namespace, triplet->kind, triplet->name);
        job->refs = 2; /* the queue's and the caller's */
        job->next_active = service->active;
        service->active = job;
        if (service->queue_tail != NULL)
            service->queue_tail->next_queued = job;
        else
            service->queue_head = job;
        service->queue_tail = job;
        pthread_cond_broadcast(&service->changed);
    } else {
        job->refs++;
    }
    pthread_mutex_unlock(&service->lock);
    return job;
}

static struct timespec deadline_after(int64_t timeout_ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

int gr_techdocs_job_wait(gr_techdocs_job *job, int64_t timeout_ms)
{
    gr_techdocs_service *service = job->service;
    struct timespec deadline = deadline_after(timeout_ms);
    int done;

    pthread_mutex_lock(&service->lock);
    while (!job->done) {
        if (pthread_cond_timedwait(&service->changed, &service->lock, &deadline) == ETIMEDOUT)
            break;
    }
    done = job->done;
    pthread_mutex_unlock(&service->lock);
    return done;
}

void gr_techdocs_job_poll(gr_techdocs_job *job, size_t *cursor, gr_techdocs_job_event *out)
{
    gr_techdocs_service *service = job->service;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&service->lock);
    if (*cursor < job->log_count) {
        out->line = gr_xstrdup(job->log[(*cursor)++]);
    } else if (job->done) {
        out->done = 1;
        out->updated = job->updated;
        out->error = job->error ? gr_xstrdup(job->error) : NULL;
    }
    pthread_mutex_unlock(&service->lock);
}

void gr_techdocs_job_release(gr_techdocs_job *job)
{
    gr_techdocs_service *service;

    if (job == NULL)
        return;
    service = job->service;
    pthread_mutex_lock(&service->lock);
    job_unref_locked(job);
    pthread_mutex_unlock(&service->lock);
}

void gr_techdocs__job_log(gr_techdocs_job *job, const char *fmt, ...)
{
    gr_techdocs_service *service = job->service;
    va_list args;
    char *line;

    va_start(args, fmt);
    line = gr_xvasprintf(fmt, args);
    va_end(args);
    gr_log_fields(GR_LOG_INFO, "techdocs", line, "entity", job->triplet.ref, NULL);
    pthread_mutex_lock(&service->lock);
    if (job->log_count < GR_TECHDOCS_JOB_MAX_LOG_LINES) {
        job->log = gr_xrealloc(job->log, (job->log_count + 1) * sizeof(char *));
        job->log[job->log_count++] = line;
        line = NULL;
    }
    pthread_cond_broadcast(&service->changed);
    pthread_mutex_unlock(&service->lock);
    free(line);
}

/* A site is published when its row exists, or, for a folder store, when a
 * tool other than greenroom put an index.html into the folder. */
static int site_exists(gr_techdocs_service *service, const gr_techdocs_triplet *triplet,
                       int *exists)
{
    gr_techdocs_site site;
    gr_techdocs_blob blob;
    int rc = gr_techdocs_store_site(service->store, triplet->ref, &site);

    *exists = rc == GR_OK;
    gr_techdocs_site_free(&site);
    if (rc == GR_ENOTFOUND && service->settings.store == GR_TECHDOCS_STORE_FOLDER) {
        rc = gr_techdocs_store_read(service->store, triplet, "index.html", 0, &blob);
        *exists = rc == GR_OK;
        gr_techdocs_blob_free(&blob);
    }
    return rc == GR_ENOTFOUND ? GR_OK : rc;
}

int gr_techdocs_service_needs_check(gr_techdocs_service *service,
                                    const gr_techdocs_triplet *triplet, int *needed)
{
    gr_techdocs_build_state state;
    int exists = 0;
    int rc = site_exists(service, triplet, &exists);

    *needed = 0;
    if (rc != GR_OK)
        return rc;
    rc = gr_techdocs_lease_state(service->db, triplet->ref, &state);
    if (rc == GR_OK)
        *needed = !exists || state.held || state.checked_at == 0 ||
                  state.age_ms >= service->settings.check_interval_ms;
    gr_techdocs_build_state_free(&state);
    return rc;
}

static void view_failed(gr_techdocs_view *out, const char *error)
{
    out->state = GR_TECHDOCS_FAILED;
    out->error = gr_xstrdup(error ? error : "the build failed");
}

/* No site yet: build it, waiting up to wait_ms, unless the last build failed
 * within the check interval (then its error is shown without a retry). */
static int view_first_build(gr_techdocs_service *service, const gr_techdocs_triplet *triplet,
                            const gr_techdocs_build_state *state, int64_t wait_ms,
                            gr_techdocs_view *out)
{
    gr_techdocs_job *job;
    gr_techdocs_job_event event;
    size_t cursor = SIZE_MAX;

    if (!state->held && state->error != NULL &&
        state->age_ms < service->settings.check_interval_ms) {
        view_failed(out, state->error);
        return GR_OK;
    }
    job = gr_techdocs_service_request(service, triplet);
    out->state = GR_TECHDOCS_BUILDING;
    if (job == NULL)
        return GR_OK;
    if (gr_techdocs_job_wait(job, wait_ms)) {
        gr_techdocs_job_poll(job, &cursor, &event);
        if (event.error != NULL)
            view_failed(out, event.error);
        else
            out->state = GR_TECHDOCS_READY;
        free(event.line);
        free(event.error);
    }
    gr_techdocs_job_release(job);
    return GR_OK;
}

int gr_techdocs_service_view(gr_techdocs_service *service, const gr_techdocs_triplet *triplet,
                             int64_t wait_ms, gr_techdocs_view *out)
{
    gr_techdocs_build_state state;
    int exists = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = site_exists(service, triplet, &exists);
    if (rc != GR_OK)
        return rc;
    if (service->settings.external) {
        out->state = exists ? GR_TECHDOCS_READY : GR_TECHDOCS_MISSING;
        return GR_OK;
    }
    rc = gr_techdocs_lease_state(service->db, triplet->ref, &state);
    if (rc != GR_OK)
        return rc;
    if (!exists) {
        rc = view_first_build(service, triplet, &state, wait_ms, out);
    } else {
        out->state = GR_TECHDOCS_READY;
        out->rebuilding = state.building;
        if (!state.held && (state.checked_at == 0 ||
                            state.age_ms >= service->settings.check_interval_ms))
            gr_techdocs_job_release(gr_techdocs_service_request(service, triplet));
    }
    gr_techdocs_build_state_free(&state);
    return rc;
}

void gr_techdocs_view_free(gr_techdocs_view *view)
{
    if (view == NULL)
        return;
    free(view->error);
    memset(view, 0, sizeof(*view));
}

int gr_techdocs_service_read(gr_techdocs_service *service, const gr_techdocs_triplet *triplet,
                             const char *path, int with_data, gr_techdocs_blob *out)
{
    int rc;

    if (gr_techdocs_cache_get(service->cache, triplet->ref, path, with_data, out))
        return GR_OK;
    rc = gr_techdocs_store_read(service->store, triplet, path, service->cache != NULL || with_data,
                                out);
    if (rc == GR_OK)
        gr_techdocs_cache_put(service->cache, triplet->ref, path, out);
    if (rc == GR_OK && !with_data && out->data != NULL) {
        free(out->data);
        out->data = NULL;
    }
    return rc;
}
