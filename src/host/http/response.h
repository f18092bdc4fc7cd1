/* SPDX-License-Identifier: MIT */
/* Building an HTTP response: status, headers, body, JSON, errors, streams. */
#ifndef GR_HOST_HTTP_RESPONSE_H
#define GR_HOST_HTTP_RESPONSE_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "host/http/request.h"

/*
 * A handler fills the response of its request; the server sends it after the
 * handler returns. Every response also carries X-Content-Type-Options,
 * X-Frame-Options, Referrer-Policy, Content-Security-Policy and X-Request-Id.
 * A handler replaces the default policy (`default-src 'self'` and stricter
 * rules) by setting Content-Security-Policy itself. Strings are copied into
 * the request arena unless a function's contract states otherwise. Not thread-safe: only
 * the thread running the handler, or later its deferred job (gr_res_defer()), touches the
 * response.
 */
typedef struct gr_response gr_response;

/** Content type that gr_res_json() and error bodies use, as Backstage sends it. */
#define GR_HTTP_JSON "application/json; charset=utf-8"

/**
 * Sets header `name` to `value`, replacing an earlier value of that name
 * (compared case-insensitively). Returns 0, GR_EINVALID when the name or
 * value has a control character or the name is empty, or GR_ELIMIT past
 * GR_HTTP_MAX_RESPONSE_HEADERS.
 */
int gr_res_header(gr_response *res, const char *name, const char *value);

/** Like gr_res_header() but keeps earlier values, for headers that repeat (Set-Cookie). */
int gr_res_header_add(gr_response *res, const char *name, const char *value);

/** Sets the status of a response without a body (204, 201 with Location, ...). */
void gr_res_status(gr_response *res, int status);

/** Sets status, content type and body; the `len` bytes are copied. */
void gr_res_body(gr_response *res, int status, const char *content_type, const void *data,
                 size_t len);

/**
 * Like gr_res_body() but without a copy: `data` is borrowed and must stay
 * valid until the response is sent (allocated from the request arena, or
 * static).
 */
void gr_res_body_borrowed(gr_response *res, int status, const char *content_type,
                          const void *data, size_t len);

/**
 * Sends `body` as compact JSON with GR_HTTP_JSON. Steals the reference to
 * `body` (also on failure). Returns 0, or GR_EINVALID when `body` is NULL or
 * cannot be encoded (for example a NaN real).
 */
int gr_res_json(gr_response *res, int status, json_t *body);

/**
 * Sends Backstage's error body for `code` (a negative GR_E* code):
 *   {"error":{"name":"NotFoundError","message":"..."},
 *    "request":{"method":"GET","url":"/entities/by-name/..."},
 *    "response":{"statusCode":404}}
 * with the status of gr_error_http_status(code). As in Backstage, the
 * request url is relative to the plugin's mount point `/api/<plugin>`. For
 * status 500 the message is logged and the body contains only "Internal server
 * error", so internal details never reach clients. Returns `code`, so a
 * handler can `return gr_res_error(res, GR_ENOTFOUND, "...")`.
 */
int gr_res_error(gr_response *res, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Redirects to `location` with `status` (301, 302, 303, 307 or 308).
 * Returns 0, or GR_EINVALID for another status or a location with control
 * characters.
 */
int gr_res_redirect(gr_response *res, int status, const char *location);

/**
 * Sets the ETag of the response. `etag` is the opaque tag with or without
 * its quotes; a weak tag keeps its W/ prefix. Returns 1 when the request's
 * If-None-Match names this tag (weak comparison, or "*"): the response is
 * then 304 without a body, and the handler may return 0 at once. A body set
 * afterwards with a 2xx status is still replaced by 304. Returns 0 when the
 * tag does not match, and for methods other than GET and HEAD.
 */
int gr_res_etag(gr_response *res, const char *etag);

/** Return values of a gr_stream_read_fn other than a byte count. */
#define GR_STREAM_END (-1)
#define GR_STREAM_ERROR (-2)

/**
 * Produces the next bytes of a streamed body into `buf` (at most `max`).
 * Returns the number of bytes written; 0 when nothing is ready yet (the
 * server calls again after GR_HTTP_STREAM_POLL_MS without holding a thread);
 * GR_STREAM_END after the last byte; GR_STREAM_ERROR to abort the connection.
 * Runs on a server thread and must not block for long. Once the server is
 * stopping, the reader is not called again and the stream ends.
 */
typedef ssize_t (*gr_stream_read_fn)(void *payload, char *buf, size_t max);

/**
 * Sends a body of unknown length produced by `read` (chunked transfer
 * encoding), such as server-sent events with "text/event-stream".
 * `payload` is owned by the stream: `free_fn(payload)` runs once when the
 * stream ends or the client goes away (free_fn may be NULL). The payload
 * must not live in the request arena, which may be freed first. Sets
 * Cache-Control: no-cache. Returns 0.
 */
int gr_res_stream(gr_response *res, int status, const char *content_type, gr_stream_read_fn read,
                  void *payload, void (*free_fn)(void *payload));

/**
 * Does the slow part of a deferred request on a job thread: sets the response,
 * or returns a negative GR_E* code to send its error body, as a handler does.
 */
typedef int (*gr_http_job_fn)(gr_request *req, gr_response *res, void *payload);

/**
 * Hands the rest of a request to `run` on one of the server's job threads, so
 * that slow work such as a URL read does not hold an HTTP thread. A handler
 * calls it last, after its fast checks, and returns its result. When the
 * handler returns 0 without a response, the server suspends the connection
 * and runs `run(req, res, payload)` on a job thread that has the request id
 * for its log lines and a clear error message. The response that `run` sets
 * is sent once it returns. A handler that sets a response or returns an
 * error after deferring drops the job.
 *
 * The request, its arena and its response are used by one thread at a time:
 * the handler's thread until the handler returns, the job thread while `run`
 * runs (the connection is suspended), then the HTTP thread again. So `run`
 * uses them without locks, and `payload` may live in the request arena.
 *
 * `payload` belongs to the job, also on failure: `free_fn(payload)` runs once,
 * on the job thread after `run`, or at once when the job is refused or
 * dropped. free_fn may be NULL.
 *
 * Returns 0, or GR_ELIMIT after setting a 503 with Retry-After when
 * GR_HTTP_MAX_DEFERRED_JOBS jobs are queued or running or the server is
 * stopping. Returns GR_EINVALID when the request has a job already, as it has
 * inside `run`. gr_http_server_stop() waits for every job to end.
 */
int gr_res_defer(gr_response *res, gr_http_job_fn run, void *payload,
                 void (*free_fn)(void *payload));

#endif
