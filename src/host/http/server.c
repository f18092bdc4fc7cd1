/* SPDX-License-Identifier: MIT */
/* The HTTP server on libmicrohttpd: request lifecycle, dispatch, graceful stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/internal.h"
#include "host/log/log.h"

/* libmicrohttpd's last log message on this thread, to explain a failed start. */
static _Thread_local char server_mhd_error[256];

static void server_mhd_log(void *cls, const char *fmt, va_list args)
{
    size_t len;

    (void)cls;
    vsnprintf(server_mhd_error, sizeof(server_mhd_error), fmt, args);
    len = strlen(server_mhd_error);
    while (len > 0 && server_mhd_error[len - 1] == '\n')
        server_mhd_error[--len] = '\0';
    gr_warn("http", "libmicrohttpd: %s", server_mhd_error);
}

static void cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

static int server_declare_metrics(gr_http_server *server)
{
    int rc = gr_metrics_register(server->metrics, "http_requests_total", GR_METRIC_COUNTER,
                                 "HTTP requests served, by route, method and status.", NULL, 0);

    if (rc == 0)
        rc = gr_metrics_register(server->metrics, "http_request_duration_seconds",
                                 GR_METRIC_HISTOGRAM,
                                 "Time from the request line to the last byte sent, by route.",
                                 NULL, 0);
    if (rc == 0)
        rc = gr_metrics_register(server->metrics, "http_rate_limited_total", GR_METRIC_COUNTER,
                                 "Requests rejected with 429 by a rate limit, by limit.", NULL, 0);
    if (rc == 0) {
        server->unmatched_duration = gr_metrics_series(
            server->metrics, "http_request_duration_seconds", "route", "unmatched", NULL);
        if (server->unmatched_duration == NULL)
            rc = gr_error_last_code();
    }
    return rc;
}

int gr_http_server_new(gr_http_server **out, const gr_http_options *opts)
{
    gr_http_server *server = gr_xcalloc(1, sizeof(gr_http_server));
    unsigned char probe[sizeof(struct in6_addr)];
    long cpus;
    int rc;

    *out = NULL;
    if (opts != NULL)
        server->opts = *opts;
    server->bind_address = gr_xstrdup(opts && opts->bind_address ? opts->bind_address
                                                                  : "127.0.0.1");
    server->opts.bind_address = server->bind_address;
    if (server->opts.threads == 0) {
        cpus = sysconf(_SC_NPROCESSORS_ONLN);
        server->opts.threads = cpus > 0 ? (unsigned)cpus : 1;
    }
    if (server->opts.max_body_bytes == 0)
        server->opts.max_body_bytes = GR_HTTP_DEFAULT_MAX_BODY_BYTES;
    if (server->opts.connection_timeout_s == 0)
        server->opts.connection_timeout_s = GR_HTTP_DEFAULT_CONNECTION_TIMEOUT_S;
    if (server->opts.headers_timeout_s == 0)
        server->opts.headers_timeout_s = GR_HTTP_DEFAULT_HEADERS_TIMEOUT_S;
    if (server->opts.max_connections == 0)
        server->opts.max_connections = GR_HTTP_DEFAULT_MAX_CONNECTIONS;
    if (server->opts.max_connections_per_client == 0)
        server->opts.max_connections_per_client = GR_HTTP_DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
    if (server->opts.shutdown_timeout_ms == 0)
        server->opts.shutdown_timeout_ms = GR_HTTP_DEFAULT_SHUTDOWN_TIMEOUT_MS;

    pthread_mutex_init(&server->lock, NULL);
    cond_init_monotonic(&server->idle);
    cond_init_monotonic(&server->poller_wake);
    pthread_cond_init(&server->jobs_ready, NULL);
    gr_cancel_init(&server->jobs_cancel);
    server->router = gr_router_new();
    server->metrics = gr_metrics_new();
    atomic_init(&server->state, SERVER_CREATED);

    if (inet_pton(AF_INET, server->bind_address, probe) != 1 &&
        inet_pton(AF_INET6, server->bind_address, probe) != 1) {
        rc = gr_error_set(GR_EINVALID,
                          "bind address '%s' is not an IPv4 or IPv6 address; use for example "
                          "127.0.0.1 or ::1",
                          server->bind_address);
        goto fail;
    }
    if ((rc = server_declare_metrics(server)) != 0 || (rc = gr_http__builtin_routes(server)) != 0 ||
        (rc = gr_http_throttle_new(&server->throttle, &server->opts.rate_limits)) != 0)
        goto fail;
    *out = server;
    return 0;

fail:
    gr_http_server_free(server);
    return rc;
}

int gr_http_route(gr_http_server *server, const char *method, const char *pattern,
                  unsigned flags, gr_http_handler handler, void *payload)
{
    gr_route *route = NULL;
    int rc;

    if (atomic_load(&server->state) != SERVER_CREATED)
        return gr_error_set(GR_EINVALID, "route %s %s: routes must be added before the server "
                                         "starts",
                            method, pattern);
    rc = gr_router_add(server->router, method, pattern, flags, handler, payload, &route);
    if (rc != 0)
        return rc;
    route->metrics = gr_metrics_series(server->metrics, "http_request_duration_seconds", "route",
                                       pattern, NULL);
    return route->metrics != NULL ? 0 : gr_error_last_code();
}

void gr_http_set_authenticator(gr_http_server *server, gr_http_authenticator authenticator,
                               void *payload)
{
    server->authenticator = authenticator;
    server->authenticator_payload = payload;
}

void gr_http_set_unauthenticated(gr_http_server *server, gr_http_unauthenticated_fn fn,
                                 void *payload)
{
    server->unauthenticated = fn;
    server->unauthenticated_payload = payload;
}

void gr_http_set_not_found(gr_http_server *server, gr_http_unauthenticated_fn fn, void *payload)
{
    server->not_found = fn;
    server->not_found_payload = payload;
}

/* Lets the unauthenticated hook respond in place of a 401; returns nonzero when it did.
 * The authenticator's message survives a hook that declines. */
static int answer_unauthenticated(gr_request *req, gr_response *res)
{
    gr_http_server *server = req->server;
    char *message;

    if (server->unauthenticated == NULL || res->status != 0)
        return 0;
    message = gr_arena_strdup(req->arena, gr_error_last());
    if (server->unauthenticated(req, res, server->unauthenticated_payload) == 0 &&
        res->status != 0)
        return 1;
    gr_error_set(GR_EUNAUTH, "%s", message);
    return 0;
}

gr_metrics *gr_http_server_metrics(gr_http_server *server)
{
    return server->metrics;
}

int gr_http_server_port(const gr_http_server *server)
{
    return server->port;
}

/* ---- request lifecycle ------------------------------------------------ */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    gr_http_server *server = cls;
    gr_request *req = gr_xcalloc(1, sizeof(gr_request));
    const union MHD_ConnectionInfo *info;

    clock_gettime(CLOCK_MONOTONIC, &req->start);
    req->server = server;
    req->connection = connection;
    req->arena = gr_arena_new();
    req->url = gr_arena_strdup(req->arena, uri);
    req->path = req->url;
    req->response.req = req;

    info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info != NULL && info->socket_context != NULL) {
        req->owner = info->socket_context;
        req->owner->open = req;
    }

    pthread_mutex_lock(&server->lock);
    server->in_flight++;
    pthread_mutex_unlock(&server->lock);
    return req;
}

static int request_id_is_valid(const char *id)
{
    size_t len = strlen(id);

    if (len == 0 || len > GR_HTTP_MAX_REQUEST_ID)
        return 0;
    for (const char *p = id; *p != '\0'; p++) {
        char c = *p;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

static void request_id_init(gr_request *req)
{
    static const char hex[] = "0123456789abcdef";
    const char *incoming = gr_req_header(req, "X-Request-Id");
    unsigned char raw[16];

    if (incoming != NULL && request_id_is_valid(incoming)) {
        memcpy(req->id, incoming, strlen(incoming) + 1);
        return;
    }
    /* 128 random bits; the fallback only runs if the kernel has no entropy
     * yet, where a unique but guessable id is still better than none. */
    if (getrandom(raw, sizeof(raw), GRND_NONBLOCK) != (ssize_t)sizeof(raw)) {
        struct timespec now;
        uintptr_t mix = (uintptr_t)req;

        clock_gettime(CLOCK_REALTIME, &now);
        memcpy(raw, &now, sizeof(raw) < sizeof(now) ? sizeof(raw) : sizeof(now));
        memcpy(raw + 8, &mix, sizeof(mix) < 8 ? sizeof(mix) : 8);
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        req->id[2 * i] = hex[raw[i] >> 4];
        req->id[2 * i + 1] = hex[raw[i] & 0xf];
    }
    req->id[2 * sizeof(raw)] = '\0';
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *name,
                                       const char *value)
{
    size_t *total = cls;

    (void)kind;
    *total += strlen(name) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* Reads what the headers tell before any body arrives: the request id, the
 * target, and whether the headers or the announced body cross their limits.
 * A URL over GR_HTTP_MAX_URL_BYTES gets 414 from the target check, even when
 * it also puts the request line and headers over their limit. */
static void request_begin(gr_request *req)
{
    const char *length = gr_req_header(req, "Content-Length");
    size_t url_bytes = strlen(req->url);
    size_t header_bytes = url_bytes + strlen(req->method) + 12;

    request_id_init(req);
    MHD_get_connection_values(req->connection, MHD_HEADER_KIND, add_header_size, &header_bytes);
    if (url_bytes <= GR_HTTP_MAX_URL_BYTES && header_bytes > GR_HTTP_MAX_HEADER_BYTES) {
        req->reject_status = 431;
        req->reject_message = gr_arena_printf(req->arena,
                                              "The request headers are larger than the limit "
                                              "of %d bytes",
                                              GR_HTTP_MAX_HEADER_BYTES);
        return;
    }
    if (gr_http__request_parse_target(req, req->url) != 0)
        return;
    if (length != NULL && strtoull(length, NULL, 10) > req->server->opts.max_body_bytes)
        req->body_too_large = 1;
}

static const char *status_error_name(int status)
{
    switch (status) {
    case 404:
        return "NotFoundError";
    case 405:
        return "MethodNotAllowedError";
    case 413:
        return "PayloadTooLargeError";
    case 414:
        return "URITooLongError";
    default:
        return status >= 500 ? "Error" : "InputError";
    }
}

/* Sets the error response for a handler's or authenticator's code, with the
 * thread's error message. */
static void respond_error(gr_response *res, int code)
{
    const char *message = gr_error_last();

    if (*message == '\0')
        message = gr_error_http_name(code);
    gr_res_error(res, code, "%s", message);
}

static void request_set_params(gr_request *req, const gr_route_match *match)
{
    gr_buf rest = GR_BUF_INIT;

    for (size_t i = 0; i < match->route->param_count; i++)
        req->params[i] = req->segments[match->param_segments[i]];
    if (match->wildcard_from < 0)
        return;
    for (size_t i = (size_t)match->wildcard_from; i < req->segment_count; i++) {
        if (rest.len > 0)
            gr_buf_putc(&rest, '/');
        gr_buf_puts(&rest, req->segments[i]);
    }
    req->wildcard = gr_arena_strdup(req->arena, gr_buf_cstr(&rest));
    gr_buf_free(&rest);
}

void gr_http_server_routes(const gr_http_server *server, gr_route_visitor visit, void *payload)
{
    gr_router_each(server->router, visit, payload);
}

/*
 * Responds 401 to a request under /api/ that matched no route and carries no valid identity.
 * Without it, the 404 and 405 responses would tell an anonymous caller which paths and methods
 * exist. The first segment is compared decoded, as the router compares it, so "/%61pi/" counts
 * too. Returns nonzero when it responded.
 */
static int reject_anonymous_miss(gr_request *req, gr_response *res)
{
    gr_http_server *server = req->server;
    int rc;

    if (server->authenticator == NULL || req->segment_count == 0 ||
        strcmp(req->segments[0], "api") != 0)
        return 0;
    rc = server->authenticator(req, server->authenticator_payload);
    if (rc == GR_EUNAUTH) {
        if (!answer_unauthenticated(req, res) && res->status == 0)
            respond_error(res, rc);
        return 1;
    }
    gr_error_clear();
    return 0;
}

/*
 * Lets the not-found hook respond to a GET or HEAD outside /api/ and /.backstage/ that matched
 * no route. A caller without a valid identity gets the unauthenticated hook's response, as on any
 * page. Returns nonzero when a hook responded.
 */
static int answer_not_found(gr_request *req, gr_response *res)
{
    gr_http_server *server = req->server;
    const char *first = req->segment_count > 0 ? req->segments[0] : "";
    int rc;

    /* A path that starts with "//" reads as another host where it ends up in a link or a
     * redirect, so it keeps the JSON 404. */
    if (server->not_found == NULL || res->status != 0 ||
        (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) ||
        strcmp(first, "api") == 0 || strcmp(first, ".backstage") == 0 ||
        strncmp(req->path, "//", 2) == 0)
        return 0;
    if (server->authenticator != NULL) {
        rc = server->authenticator(req, server->authenticator_payload);
        if (rc == GR_EUNAUTH)
            return answer_unauthenticated(req, res);
        gr_error_clear();
        if (rc < 0)
            return 0;
    }
    return server->not_found(req, res, server->not_found_payload) == 0 && res->status != 0;
}

static void request_route(gr_request *req)
{
    gr_http_server *server = req->server;
    gr_response *res = &req->response;
    gr_route_match match;
    const gr_route *route;
    int rc;

    /* Health checks are exempt, so that a load balancer polling them is never limited. */
    if (strncmp(req->path, "/.backstage/health/", 19) != 0 &&
        gr_http_rate_limit(req, GR_RATE_INCOMING, NULL) != 0)
        return;
    rc = gr_router_match(server->router, req->method, req->segments, req->segment_count, &match);
    if ((rc == GR_ENOTFOUND || rc == GR_EDENIED) && reject_anonymous_miss(req, res))
        return;
    if (rc == GR_ENOTFOUND && answer_not_found(req, res))
        return;
    if (rc == GR_ENOTFOUND) {
        gr_http__error_body(res, 404, status_error_name(404),
                            gr_arena_printf(req->arena, "No route for %s %s", req->method,
                                            req->path));
        return;
    }
    if (rc == GR_EDENIED) {
        gr_http__error_body(res, 405, status_error_name(405),
                            gr_arena_printf(req->arena, "Method %s is not allowed on %s; use %s",
                                            req->method, req->path, match.allow));
        gr_res_header(res, "Allow", match.allow);
        return;
    }

    route = match.route;
    req->route = route;
    request_set_params(req, &match);
    if (!(route->flags & GR_ROUTE_PUBLIC) && server->authenticator != NULL) {
        rc = server->authenticator(req, server->authenticator_payload);
        if (rc < 0) {
            if (rc == GR_EUNAUTH && answer_unauthenticated(req, res))
                return;
            if (res->status == 0)
                respond_error(res, rc);
            return;
        }
        gr_error_clear();
    }

    rc = route->handler(req, res, route->payload);
    gr_http__handler_result(req, rc, "handler");
}

void gr_http__handler_result(gr_request *req, int rc, const char *function_kind)
{
    gr_response *res = &req->response;

    if (req->job != NULL && rc == 0 && res->status == 0)
        return;
    gr_http__job_drop(req);
    if (rc < 0 && res->status == 0) {
        respond_error(res, rc);
    } else if (res->status == 0) {
        gr_error_set(GR_ERROR, "%s of %s %s returned without setting a response", function_kind,
                     req->route->method, req->route->pattern);
        respond_error(res, GR_ERROR);
    }
}

static enum MHD_Result request_dispatch(gr_request *req)
{
    enum MHD_Result rc;

    req->dispatched = 1;
    gr_log_set_request_id(req->id);
    gr_error_clear();
    if (req->reject_status != 0) {
        gr_http__error_body(&req->response, req->reject_status,
                            status_error_name(req->reject_status), req->reject_message);
    } else if (req->body_too_large) {
        gr_http__error_body(&req->response, 413, status_error_name(413),
                            gr_arena_printf(req->arena,
                                            "The request body is larger than the limit of %zu "
                                            "bytes",
                                            req->server->opts.max_body_bytes));
    } else {
        request_route(req);
    }
    /* The response of a deferred job is sent later, by request_send_deferred(). */
    rc = gr_http__job_submit(req) ? MHD_YES : gr_http__send(req);
    gr_log_set_request_id(NULL);
    return rc;
}

/* Sends the response a deferred job set, once the job thread has resumed the connection. */
static enum MHD_Result request_send_deferred(gr_request *req)
{
    enum MHD_Result rc;

    req->job_finished = 0;
    gr_log_set_request_id(req->id);
    rc = gr_http__send(req);
    gr_log_set_request_id(NULL);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    gr_request *req = *con_cls;
    size_t max = 0;

    (void)cls;
    (void)url;
    (void)version;
    if (req == NULL)
        return MHD_NO;
    if (!req->started) {
        req->started = 1;
        req->method = method;
        /* The daemon's timeout is the short one for connections that have
         * not sent their headers yet. Now that they are complete, the body
         * and the response get the longer timeout until on_completed. */
        MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT,
                                  req->server->opts.connection_timeout_s);
        /* A response queued on this first call makes libmicrohttpd close
         * the connection, because it cannot know yet that no body follows.
         * So only rejections are sent now, and those close it anyway. */
        request_begin(req);
        if (req->reject_status != 0 || req->body_too_large)
            return request_dispatch(req);
        return MHD_YES;
    }
    /* libmicrohttpd calls again after a deferred job resumed the connection,
     * and when queueing the response failed (the daemon is stopping). The
     * handler must not run twice, and a response is sent once. */
    if (req->dispatched)
        return req->job_finished ? request_send_deferred(req) : MHD_NO;
    if (*upload_data_size == 0)
        return request_dispatch(req);

    /* A body without Content-Length is read to its end and dropped once it
     * crosses the limit, so the client still gets its 413. */
    max = req->server->opts.max_body_bytes;
    if (!req->body_too_large && req->body.len + *upload_data_size <= max)
        gr_buf_append(&req->body, upload_data, *upload_data_size);
    else
        req->body_too_large = 1;
    *upload_data_size = 0;
    return MHD_YES;
}

static const char *method_label(const char *method)
{
    static const char *const known[] = {"GET",    "HEAD",    "POST",  "PUT",
                                        "DELETE", "OPTIONS", "PATCH", NULL};

    for (size_t i = 0; method != NULL && known[i] != NULL; i++) {
        if (strcmp(method, known[i]) == 0)
            return known[i];
    }
    return "OTHER";
}

static const char *termination_reason(enum MHD_RequestTerminationCode code)
{
    switch (code) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return NULL;
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "server stopped";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client closed the connection";
    default:
        return "connection error";
    }
}

static void request_record(gr_request *req, enum MHD_RequestTerminationCode code)
{
    gr_http_server *server = req->server;
    const char *route = req->route ? req->route->pattern : NULL;
    const char *reason = termination_reason(code);
    struct timespec end;
    char status[16];
    char duration[32];
    char bytes[32];
    double seconds;
    gr_metric *counter;

    clock_gettime(CLOCK_MONOTONIC, &end);
    seconds = (double)(end.tv_sec - req->start.tv_sec) +
              (double)(end.tv_nsec - req->start.tv_nsec) / 1e9;
    snprintf(status, sizeof(status), "%d", req->response.status);
    snprintf(duration, sizeof(duration), "%.3f", seconds * 1000.0);
    snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)req->bytes_sent);

    gr_log_set_request_id(req->id);
    gr_log_fields(reason ? GR_LOG_WARN : GR_LOG_INFO, "http", "request", "method", req->method,
                  "path", req->path, "route", route, "status", status, "duration_ms", duration,
                  "bytes", bytes, "client", gr_req_client_addr(req), reason ? "error" : NULL,
                  reason, NULL);
    gr_log_set_request_id(NULL);

    counter = gr_metrics_series(server->metrics, "http_requests_total", "route",
                                route ? route : "unmatched", "method", method_label(req->method),
                                "status", status, NULL);
    if (counter != NULL)
        gr_metric_add(counter, 1);
    gr_metric_observe(req->route ? req->route->metrics : server->unmatched_duration, seconds);
}

/* Frees a finished request and counts it out of the requests in flight. */
static void request_free(gr_http_server *server, gr_request *req)
{
    int resumed = req->job_resumed;

    if (req->owner != NULL)
        req->owner->open = NULL;
    gr_http__stream_free(req->response.stream);
    gr_buf_free(&req->body);
    gr_arena_free(req->arena);
    free(req);

    pthread_mutex_lock(&server->lock);
    if (resumed)
        server->jobs_unsent--;
    if (--server->in_flight == 0 || resumed)
        pthread_cond_broadcast(&server->idle);
    pthread_mutex_unlock(&server->lock);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    gr_http_server *server = cls;
    gr_request *req = *con_cls;

    if (req == NULL)
        return;
    *con_cls = NULL;

    /* A kept-alive connection now waits for the headers of its next request. */
    if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT,
                                  server->opts.headers_timeout_s);

    /* NOTE: requests that libmicrohttpd rejected itself (431 past the pool,
     * malformed request lines) never reached dispatch, so they appear in
     * neither the request log nor the metrics. */
    if (req->dispatched)
        request_record(req, code);
    request_free(server, req);
}

/* Gives each connection its record, and at its close frees a request that on_completed() never
 * got. */
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_connection *record = *socket_context;

    (void)connection;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = gr_xcalloc(1, sizeof(http_connection));
        return;
    }
    if (record != NULL && record->open != NULL)
        request_free(cls, record->open);
    free(record);
    *socket_context = NULL;
}

/* ---- start and stop ----------------------------------------------------- */

/*
 * The worker threads use poll(), not epoll: libmicrohttpd 0.9.75 removes the
 * listening socket from a worker's epoll set both in MHD_quiesce_daemon() and
 * in the worker itself, without a lock, and aborts the process when the
 * second removal fails. poll() has no such set; the connection limits keep
 * each worker's descriptor list short. The inter-thread channel (ITC) lets
 * quiescing wake the workers.
 */
static struct MHD_Daemon *server_start_daemon(gr_http_server *server)
{
    struct sockaddr_storage addr = {0};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;

    if (inet_pton(AF_INET, server->bind_address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)server->opts.port);
    } else {
        inet_pton(AF_INET6, server->bind_address, &v6->sin6_addr);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)server->opts.port);
        flags |= MHD_USE_IPv6;
    }

    /* The pool contains the request line, the headers and the read and write
     * buffers, so it is the header limit plus as much for the buffers. The
     * daemon's timeout applies until the headers are complete (on_request). */
    return MHD_start_daemon(
        flags, (uint16_t)server->opts.port, NULL, NULL, on_request, server,
        MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, server, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        server->opts.threads > 1 ? server->opts.threads : 0u, MHD_OPTION_CONNECTION_TIMEOUT,
        server->opts.headers_timeout_s, MHD_OPTION_CONNECTION_LIMIT, server->opts.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, server->opts.max_connections_per_client,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GR_HTTP_MAX_HEADER_BYTES * 2,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, server, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        server, MHD_OPTION_NOTIFY_CONNECTION, on_connection, server, MHD_OPTION_END);
}

/* Raises the soft open-file limit, up to the hard limit, so that
 * max_connections fit beside the reserved files. Lowers max_connections when
 * the hard limit is too small. */
static void server_fit_file_limit(gr_http_server *server)
{
    rlim_t needed = (rlim_t)server->opts.max_connections + GR_HTTP_RESERVED_FILES;
    struct rlimit limit;

    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed)
        return;
    limit.rlim_cur = limit.rlim_max < needed ? limit.rlim_max : needed;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0 && getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    if (limit.rlim_cur >= needed)
        return;
    server->opts.max_connections = limit.rlim_cur > 2 * GR_HTTP_RESERVED_FILES
                                       ? (unsigned)(limit.rlim_cur - GR_HTTP_RESERVED_FILES)
                                       : (unsigned)(limit.rlim_cur / 2);
    gr_warn("http", "the open-file limit is %llu, so at most %u connections are accepted; raise "
                    "it (ulimit -n) to allow backend.server.maxConnections",
            (unsigned long long)limit.rlim_cur, server->opts.max_connections);
}

int gr_http_server_start(gr_http_server *server)
{
    const union MHD_DaemonInfo *info;
    int expected = SERVER_CREATED;
    int rc;

    if (!atomic_compare_exchange_strong(&server->state, &expected, SERVER_RUNNING))
        return gr_error_set(GR_EINVALID, "the HTTP server was already started");

    /* The job threads start first, so that no request can defer a job before they run. */
    rc = gr_http__jobs_start(server);
    if (rc != 0) {
        gr_http__jobs_close(server);
        atomic_store(&server->state, SERVER_STOPPED);
        return rc;
    }
    server_mhd_error[0] = '\0';
    server_fit_file_limit(server);
    server->daemon = server_start_daemon(server);
    if (server->daemon == NULL) {
        gr_http__jobs_close(server);
        atomic_store(&server->state, SERVER_STOPPED);
        return gr_error_set(GR_EBACKEND, "listening on %s port %d failed: %s",
                            server->bind_address, server->opts.port,
                            server_mhd_error[0] ? server_mhd_error : "unknown error");
    }
    info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info ? info->port : server->opts.port;

    rc = gr_http__streams_start(server);
    if (rc != 0) {
        gr_http_server_stop(server);
        return rc;
    }
    gr_info("http",
            "listening on %s port %d with %u threads, at most %u connections (%u per client)",
            server->bind_address, server->port, server->opts.threads,
            server->opts.max_connections, server->opts.max_connections_per_client);
    return 0;
}

/* Returns the CLOCK_MONOTONIC time `ms` milliseconds from now, for the server's condition. */
static struct timespec monotonic_deadline(unsigned ms)
{
    struct timespec deadline;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    return deadline;
}

/* Waits until no request is in flight or the timeout passes. Returns 0, or
 * GR_ELIMIT on timeout. */
static int server_wait_idle(gr_http_server *server)
{
    struct timespec deadline = monotonic_deadline(server->opts.shutdown_timeout_ms);
    unsigned left;
    int rc = 0;

    pthread_mutex_lock(&server->lock);
    while (server->in_flight > 0 && rc == 0) {
        if (pthread_cond_timedwait(&server->idle, &server->lock, &deadline) == ETIMEDOUT)
            rc = GR_ELIMIT;
    }
    left = server->in_flight;
    pthread_mutex_unlock(&server->lock);

    if (rc != 0)
        return gr_error_set(GR_ELIMIT,
                            left == 1 ? "%u request was still running after %u ms and was cut"
                                      : "%u requests were still running after %u ms and were cut",
                            left, server->opts.shutdown_timeout_ms);
    return 0;
}

/*
 * Waits up to GR_HTTP_STOP_SEND_MS for the responses of jobs that ended after the shutdown
 * timeout. A job thread only resumes its connection, and libmicrohttpd sends the response on
 * its own thread later, so stopping the daemon at once would close the connection unanswered.
 */
static void server_wait_jobs_sent(gr_http_server *server)
{
    struct timespec deadline = monotonic_deadline(GR_HTTP_STOP_SEND_MS);

    pthread_mutex_lock(&server->lock);
    while (server->jobs_unsent > 0) {
        if (pthread_cond_timedwait(&server->idle, &server->lock, &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&server->lock);
}

int gr_http_server_stop(gr_http_server *server)
{
    int expected = SERVER_RUNNING;
    MHD_socket listener;
    int rc;

    if (!atomic_compare_exchange_strong(&server->state, &expected, SERVER_STOPPING)) {
        if (expected == SERVER_CREATED)
            atomic_store(&server->state, SERVER_STOPPED);
        return 0;
    }
    gr_info("http", "stopping: no new connections, waiting for requests in flight");

    /* Quiescing stops every thread from accepting on the socket. Shutting
     * it down then makes the kernel reject new connections at once, where
     * they would otherwise wait in the backlog. The descriptor is closed
     * only after the daemon stops, as libmicrohttpd requires. */
    listener = MHD_quiesce_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET)
        shutdown(listener, SHUT_RDWR);

    gr_http__streams_close(server);
    rc = server_wait_idle(server);
    if (rc != 0)
        gr_warn("http", "%s", gr_error_last());
    /* Waits for running deferred jobs even past the shutdown timeout, because
     * libmicrohttpd must not stop while a job keeps a connection suspended.
     * Past the timeout, the slow calls of running jobs (network transfers
     * that poll gr_cancel_requested()) end early instead. */
    if (rc != 0) {
        gr_info("http", "shutdown timeout passed: running jobs end their network transfers");
        gr_cancel_request(&server->jobs_cancel);
    }
    gr_http__jobs_close(server);
    if (rc != 0)
        server_wait_jobs_sent(server);
    MHD_stop_daemon(server->daemon);
    server->daemon = NULL;
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    atomic_store(&server->state, SERVER_STOPPED);
    gr_info("http", "stopped");
    return rc;
}

void gr_http_server_free(gr_http_server *server)
{
    if (server == NULL)
        return;
    gr_http_server_stop(server);
    gr_router_free(server->router);
    gr_metrics_free(server->metrics);
    gr_http_throttle_free(server->throttle);
    pthread_cond_destroy(&server->idle);
    pthread_cond_destroy(&server->poller_wake);
    pthread_cond_destroy(&server->jobs_ready);
    pthread_mutex_destroy(&server->lock);
    free(server->bind_address);
    free(server);
}
