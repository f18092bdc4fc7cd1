/* SPDX-License-Identifier: MIT */
/* Deferred jobs: the slow part of a request, run on a job thread while its connection waits. */
#include <stdio.h>
#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/internal.h"
#include "host/log/log.h"

/*
 * A job passes through three threads. gr_res_defer() reserves a slot on the
 * HTTP thread and attaches the job to the request. After the handler returns,
 * gr_http__job_submit() suspends the connection and queues the job. A job
 * thread runs it, frees it, marks the request finished and resumes the
 * connection, and after that touches neither. libmicrohttpd then calls the
 * access handler again on an HTTP thread, which sends the response.
 *
 * gr_http__jobs_start() starts GR_HTTP_MAX_DEFERRED_JOBS job threads and
 * gr_res_defer() reserves at most as many slots, so a queued job never waits
 * for another job to end.
 *
 * TODO: respond to a client that shut down its write side after the request.
 * No response reached such a client in the HTTP fuzz test. The likely cause
 * is that libmicrohttpd reads the end of the stream when it resumes the
 * connection, and closes it before sending the response.
 *
 * Stop: gr_http__jobs_close() rejects new jobs and joins the job threads,
 * which first run every queued job to its end. This wait has no time limit
 * of its own. libmicrohttpd requires every suspended connection to be resumed
 * before MHD_stop_daemon(), and a running job cannot be cut without leaving
 * its request to two threads. Each job thread binds the server's jobs_cancel
 * flag instead, which stop sets once its shutdown timeout has passed. Slow
 * calls that poll it (the network transfers of catalog URL reads and of the
 * scaffolder's source-control requests) then end early, and their job
 * returns an error. Other work ends within its own limits.
 */
struct http_job {
    gr_request *req;
    gr_http_job_fn run;
    void *payload;
    void (*free_fn)(void *payload);
    http_job *next;
};

static void job_free(http_job *job)
{
    if (job->free_fn != NULL)
        job->free_fn(job->payload);
    free(job);
}

static void jobs_release_slot(gr_http_server *server)
{
    pthread_mutex_lock(&server->lock);
    server->jobs_active--;
    pthread_mutex_unlock(&server->lock);
}

/* Sets the 503 of a job that cannot run and returns GR_ELIMIT. */
static int job_reject(gr_response *res, int stopping)
{
    gr_request *req = res->req;
    const char *message;
    char retry[16];

    if (stopping)
        message = gr_arena_printf(req->arena,
                                  "The server is stopping; try again in %d seconds, when it "
                                  "has restarted",
                                  GR_HTTP_DEFERRED_RETRY_AFTER_S);
    else
        message = gr_arena_printf(req->arena,
                                  "The server is running its maximum of %d background jobs; try "
                                  "again in %d seconds",
                                  GR_HTTP_MAX_DEFERRED_JOBS, GR_HTTP_DEFERRED_RETRY_AFTER_S);
    gr_http__error_body(res, 503, "ServiceUnavailableError", message);
    snprintf(retry, sizeof(retry), "%d", GR_HTTP_DEFERRED_RETRY_AFTER_S);
    gr_res_header(res, "Retry-After", retry);
    return gr_error_set(GR_ELIMIT, "%s", message);
}

int gr_res_defer(gr_response *res, gr_http_job_fn run, void *payload,
                 void (*free_fn)(void *payload))
{
    gr_request *req = res->req;
    gr_http_server *server = req->server;
    http_job *job;
    int stopping;
    int full;

    if (req->job != NULL) {
        if (free_fn != NULL)
            free_fn(payload);
        return gr_error_set(GR_EINVALID,
                            "%s %s has a deferred job already; call gr_res_defer() once per "
                            "request and not inside the job",
                            req->method, req->path);
    }
    pthread_mutex_lock(&server->lock);
    stopping = server->jobs_closed;
    full = server->jobs_active >= GR_HTTP_MAX_DEFERRED_JOBS;
    if (!stopping && !full)
        server->jobs_active++;
    pthread_mutex_unlock(&server->lock);
    if (stopping || full) {
        if (free_fn != NULL)
            free_fn(payload);
        return job_reject(res, stopping);
    }

    job = gr_xcalloc(1, sizeof(*job));
    job->req = req;
    job->run = run;
    job->payload = payload;
    job->free_fn = free_fn;
    req->job = job;
    return 0;
}

void gr_http__job_drop(gr_request *req)
{
    http_job *job = req->job;

    if (job == NULL)
        return;
    req->job = NULL;
    job_free(job);
    jobs_release_slot(req->server);
}

int gr_http__job_submit(gr_request *req)
{
    gr_http_server *server = req->server;
    http_job *job = req->job;
    int closed;

    if (job == NULL)
        return 0;
    pthread_mutex_lock(&server->lock);
    closed = server->jobs_closed;
    if (!closed) {
        /* Suspended before a job thread can see the job, so that the job's
         * resume always follows this suspend. */
        MHD_suspend_connection(req->connection);
        if (server->jobs_tail != NULL)
            server->jobs_tail->next = job;
        else
            server->jobs_head = job;
        server->jobs_tail = job;
        pthread_cond_signal(&server->jobs_ready);
    }
    pthread_mutex_unlock(&server->lock);
    if (!closed)
        return 1;

    /* Stop began while the handler ran, so no job thread is left to run it. */
    gr_http__job_drop(req);
    job_reject(&req->response, 1);
    return 0;
}

/* Runs one job with the request's log id, then hands the request back to libmicrohttpd. */
static void job_run(http_job *job)
{
    gr_request *req = job->req;
    gr_http_server *server = req->server;
    struct MHD_Connection *connection = req->connection;
    int rc;

    gr_log_set_request_id(req->id);
    gr_error_clear();
    gr_cancel_bind(&server->jobs_cancel);
    rc = job->run(req, &req->response, job->payload);
    gr_cancel_bind(NULL);
    req->job = NULL;
    gr_http__handler_result(req, rc, "deferred job");
    job_free(job);
    gr_log_set_request_id(NULL);
    gr_error_clear();

    req->job_finished = 1;
    req->job_resumed = 1;
    pthread_mutex_lock(&server->lock);
    server->jobs_unsent++;
    pthread_mutex_unlock(&server->lock);
    MHD_resume_connection(connection);
    /* The request may be sent and freed from here on, so only the server is used. */
    jobs_release_slot(server);
}

static http_job *jobs_take(gr_http_server *server)
{
    http_job *job;

    pthread_mutex_lock(&server->lock);
    while (server->jobs_head == NULL && !server->jobs_closed)
        pthread_cond_wait(&server->jobs_ready, &server->lock);
    job = server->jobs_head;
    if (job != NULL) {
        server->jobs_head = job->next;
        if (server->jobs_head == NULL)
            server->jobs_tail = NULL;
        job->next = NULL;
    }
    pthread_mutex_unlock(&server->lock);
    return job;
}

/* Runs queued jobs until the queue is empty and the server rejects new ones. */
static void *job_thread(void *arg)
{
    gr_http_server *server = arg;
    http_job *job;

    while ((job = jobs_take(server)) != NULL)
        job_run(job);
    return NULL;
}

int gr_http__jobs_start(gr_http_server *server)
{
    while (server->job_thread_count < GR_HTTP_MAX_DEFERRED_JOBS) {
        int rc = pthread_create(&server->job_threads[server->job_thread_count], NULL, job_thread,
                                server);

        if (rc != 0)
            return gr_error_set(GR_ERROR,
                                "starting the threads of deferred jobs failed after %u of %d: "
                                "error %d; raise the process or thread limit (ulimit -u)",
                                server->job_thread_count, GR_HTTP_MAX_DEFERRED_JOBS, rc);
        server->job_thread_count++;
    }
    return 0;
}

void gr_http__jobs_close(gr_http_server *server)
{
    unsigned active;

    pthread_mutex_lock(&server->lock);
    server->jobs_closed = 1;
    active = server->jobs_active;
    pthread_cond_broadcast(&server->jobs_ready);
    pthread_mutex_unlock(&server->lock);
    if (active > 0)
        gr_info("http", "waiting for %u deferred jobs to finish", active);
    for (unsigned i = 0; i < server->job_thread_count; i++)
        pthread_join(server->job_threads[i], NULL);
    server->job_thread_count = 0;
}
