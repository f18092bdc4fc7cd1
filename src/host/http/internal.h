/* SPDX-License-Identifier: MIT */
/* Structures and helpers shared by the files of the HTTP module only. */
#ifndef GR_HOST_HTTP_INTERNAL_H
#define GR_HOST_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/common/buf.h"
#include "host/common/cancel.h"
#include "host/http/http.h"
#include "host/http/throttle.h"

typedef struct http_stream http_stream;
typedef struct http_job http_job;

typedef struct {
    const char *name;
    const char *value;
} http_header;

struct gr_response {
    gr_request *req;
    int status; /* 0 until a handler or the server sets the response */
    const char *content_type;
    const char *body;
    size_t body_len;
    http_header headers[GR_HTTP_MAX_RESPONSE_HEADERS];
    size_t header_count;
    int not_modified; /* If-None-Match matched the ETag */
    http_stream *stream;
};

/*
 * The server's record of one connection: the request that on_uri() created and
 * on_completed() has not freed yet. libmicrohttpd can close a connection
 * between the two without calling on_completed(), as when the query
 * parameters fill its memory pool. Then the close frees the request.
 */
typedef struct {
    gr_request *open;
} http_connection;

struct gr_request {
    gr_http_server *server;
    struct MHD_Connection *connection;
    http_connection *owner; /* the connection's record, or NULL */
    gr_arena *arena;
    const char *method; /* owned by libmicrohttpd, valid for the request */
    char *url;          /* request target as sent (arena) */
    char *path;         /* url up to '?' (arena) */
    char **segments;    /* decoded path segments (arena) */
    size_t segment_count;
    const gr_route *route;
    const char *params[GR_HTTP_MAX_PATH_PARAMS];
    const char *wildcard;
    char **query_names; /* decoded query parameters (arena) */
    char **query_values;
    size_t query_count;
    char **form_names; /* decoded form fields, after gr_req_form_parse() (arena) */
    char **form_values;
    size_t form_count;
    gr_buf body;
    int body_too_large;
    int started; /* the access handler saw the headers */
    int dispatched;
    /* Status and message of an error found while reading the request. */
    int reject_status;
    const char *reject_message;
    void *identity;
    http_job *job;    /* from gr_res_defer() until the job thread has run it */
    int job_finished; /* the job set the response, which is not sent yet */
    int job_resumed;  /* counted in the server's jobs_unsent until the request is freed */
    char *client_addr;
    char id[GR_HTTP_MAX_REQUEST_ID + 1];
    struct timespec start;
    uint64_t bytes_sent;
    gr_response response;
};

enum {
    SERVER_CREATED,
    SERVER_RUNNING,
    SERVER_STOPPING,
    SERVER_STOPPED,
};

struct gr_http_server {
    gr_http_options opts;
    char *bind_address;
    gr_router *router;
    gr_metrics *metrics;
    gr_metric *unmatched_duration; /* duration histogram of requests without a route */
    gr_http_throttle *throttle;
    struct MHD_Daemon *daemon;
    int port;
    gr_http_authenticator authenticator;
    void *authenticator_payload;
    gr_http_unauthenticated_fn unauthenticated;
    void *unauthenticated_payload;
    gr_http_unauthenticated_fn not_found;
    void *not_found_payload;
    atomic_int state;

    /* Requests between their first byte and their completion; stop waits for 0. */
    pthread_mutex_t lock;
    pthread_cond_t idle;
    unsigned in_flight;

    /* Streamed responses, and the thread that resumes the ones waiting for data. */
    http_stream *streams;
    pthread_t poller;
    int poller_started;
    pthread_cond_t poller_wake;

    /* Deferred jobs (defer.c). The lock guards the queue, the count and the flag. */
    http_job *jobs_head; /* queued jobs, oldest first */
    http_job *jobs_tail;
    unsigned jobs_active; /* jobs reserved, queued or running, at most GR_HTTP_MAX_DEFERRED_JOBS */
    int jobs_closed;      /* set by stop: no job is accepted any more */
    pthread_cond_t jobs_ready;
    pthread_t job_threads[GR_HTTP_MAX_DEFERRED_JOBS];
    unsigned job_thread_count;
    gr_cancel jobs_cancel; /* bound to each job thread; set once stop's timeout has passed */
    unsigned jobs_unsent;  /* finished jobs whose requests are not complete; guarded by lock */
};

/* Reads the request target: path segments and query. Sets req->reject_*
 * and returns nonzero when the target is malformed or too long. */
int gr_http__request_parse_target(gr_request *req, const char *url);

/* Decodes %XX escapes (and '+' as a space when `plus_is_space`) from
 * `len` bytes of `src` into `dst` (room for len + 1). Returns the decoded
 * length, or -1 for a malformed escape or a decoded NUL. */
long gr_http__percent_decode(char *dst, const char *src, size_t len, int plus_is_space);

/**
 * Splits URL-encoded `text` ("a=1&b=2") at '&' into decoded names and values
 * in arena memory ('+' is a space), leaving out empty pairs. `names` and
 * `values` have room for every non-empty pair. A malformed
 * escape or an escaped NUL is kept as written, unless `strict`. Returns the
 * number of pairs, or with `strict` -(n + 1) when pair n is malformed.
 */
/* Counts the non-empty pairs of `text`, as gr_http__decode_pairs() leaves out empty ones. */
size_t gr_http__count_pairs(const char *text);

long gr_http__decode_pairs(gr_request *req, const char *text, char **names, char **values,
                           bool strict);

/** Returns the value of the first of `count` names equal to `name`, or NULL. */
const char *gr_http__find_value(char *const *names, char *const *values, size_t count,
                                const char *name);

/* Builds Backstage's error body for `status` and `name` into the response. */
void gr_http__error_body(gr_response *res, int status, const char *name, const char *message);

/* Turns the response into a libmicrohttpd response and queues it. */
enum MHD_Result gr_http__send(gr_request *req);

/* Frees a stream that was never handed to libmicrohttpd, calling its free_fn. */
void gr_http__stream_free(http_stream *stream);

/* Creates the libmicrohttpd response for a streamed body, which from then
 * on owns the stream. */
struct MHD_Response *gr_http__stream_response(gr_request *req);

/* Ends every stream (the server is stopping) and stops the poller thread. */
void gr_http__streams_close(gr_http_server *server);

/* Starts the thread that resumes streams waiting for data. */
int gr_http__streams_start(gr_http_server *server);

/* Sets the error response for a handler's or job's return code `rc` when it set
 * none, and drops a job the handler deferred but then replaced by a response or
 * an error. `function_kind` ("handler") names the function in the error for a
 * missing response. */
void gr_http__handler_result(gr_request *req, int rc, const char *function_kind);

/* Starts the request's deferred job: suspends the connection and queues the job.
 * Returns 1 when it queued the job. Returns 0 when there is no job, or when stop
 * has begun and a 503 replaced the job. Called on the HTTP thread inside the
 * access handler. */
int gr_http__job_submit(gr_request *req);

/* Frees the request's job that never ran and releases its slot. */
void gr_http__job_drop(gr_request *req);

/* Starts the threads that run deferred jobs. */
int gr_http__jobs_start(gr_http_server *server);

/* Rejects new jobs and joins the job threads once they have run every queued
 * job, so that every connection a job suspended is resumed. */
void gr_http__jobs_close(gr_http_server *server);

/* Registers the health and metrics routes. */
int gr_http__builtin_routes(gr_http_server *server);

#endif
