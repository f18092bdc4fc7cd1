/* SPDX-License-Identifier: MIT */
/* The HTTP server: lifecycle, options, the authentication hook. */
#ifndef GR_HOST_HTTP_SERVER_H
#define GR_HOST_HTTP_SERVER_H

#include <stddef.h>

#include "host/http/limits.h"
#include "host/http/metrics.h"
#include "host/http/router.h"
#include "host/http/throttle.h"
#include "host/http/trust_proxy.h"

/*
 * The server runs on libmicrohttpd with a pool of threads, each polling its
 * connections with poll(). Handlers run on those threads, so a handler that
 * blocks holds up the other connections of its thread. A handler hands slow
 * work (reading a URL, for example) to a job thread with gr_res_defer().
 *
 * Built-in public routes:
 *   GET /.backstage/health/v1/liveness   200 {"status":"ok"}
 *   GET /.backstage/health/v1/readiness  200 {"status":"ok"} when ready, else
 *       503 {"message":"Backend has not started yet","status":"error"}
 *   GET /metrics                          Prometheus text format; served without
 *       credentials only when gr_http_options.metrics_public is set
 * Every request is written to the log as one line (module "http"): method,
 * path without the query string, route, status, duration_ms, bytes, and
 * the request id.
 */

/**
 * Returns nonzero when the service is ready for traffic. Called on a server
 * thread for every readiness request.
 */
typedef int (*gr_http_ready_fn)(void *payload);

/**
 * Authenticates a request before its handler runs (routes without
 * GR_ROUTE_PUBLIC only). Returns 0 after storing the identity with
 * gr_req_set_identity(), or GR_EUNAUTH (401) or GR_EDENIED (403) with a
 * message set by gr_error_set(); any other code is handled like a
 * handler's error. Runs on server threads, several at once.
 */
typedef int (*gr_http_authenticator)(gr_request *req, void *payload);

/**
 * Responds to a request that the authenticator rejected with GR_EUNAUTH, in
 * place of the 401 error body: for example a redirect of a browser to a
 * sign-in page. Returns 0 after setting the response, or nonzero to keep the
 * 401. Runs on server threads, several at once.
 */
typedef int (*gr_http_unauthenticated_fn)(gr_request *req, gr_response *res, void *payload);

/** Server options; zero or NULL in a field selects its default. */
typedef struct {
    const char *bind_address;      /* IPv4 or IPv6 literal; default "127.0.0.1" */
    int port;                      /* default 0: a free port, see gr_http_server_port() */
    unsigned threads;              /* default: the number of online CPUs */
    size_t max_body_bytes;         /* default GR_HTTP_DEFAULT_MAX_BODY_BYTES */
    unsigned connection_timeout_s; /* default GR_HTTP_DEFAULT_CONNECTION_TIMEOUT_S */
    unsigned headers_timeout_s;    /* default GR_HTTP_DEFAULT_HEADERS_TIMEOUT_S */
    unsigned max_connections;      /* default GR_HTTP_DEFAULT_MAX_CONNECTIONS */
    unsigned max_connections_per_client; /* default GR_HTTP_DEFAULT_MAX_CONNECTIONS_PER_CLIENT */
    unsigned shutdown_timeout_ms;  /* default GR_HTTP_DEFAULT_SHUTDOWN_TIMEOUT_MS */
    gr_http_ready_fn ready;        /* default: ready while running */
    void *ready_payload;
    int metrics_public;            /* nonzero: GET /metrics needs no credentials */
    gr_rate_limit_options rate_limits; /* backend.rateLimit; see throttle.h */
    gr_trust_proxy trust_proxy;        /* backend.trustProxy; default: X-Forwarded-For ignored */
} gr_http_options;

typedef struct gr_http_server gr_http_server;
typedef struct gr_config gr_config;

/**
 * Reads the connection limits and timeouts of backend.server into `opts`:
 * timeout, headersTimeout, maxConnections and maxConnectionsPerClient, and
 * the rate limits of backend.rateLimit (gr_rate_limit_options_read()).
 * Fields whose key is unset keep their value. `cfg` is borrowed.
 * Returns 0, or GR_EINVALID naming the key at fault.
 */
int gr_http_options_read(const gr_config *cfg, gr_http_options *opts);

/**
 * Creates a server with the built-in routes; it listens only after
 * gr_http_server_start(). `opts` may be NULL and is copied. On success
 * *out belongs to the caller (gr_http_server_free()). Returns 0, or
 * GR_EINVALID for an invalid bind address.
 */
int gr_http_server_new(gr_http_server **out, const gr_http_options *opts);

/**
 * Sets the authenticator called before handlers of non-public routes.
 * `payload` is borrowed. Call before gr_http_server_start().
 */
void gr_http_set_authenticator(gr_http_server *server, gr_http_authenticator authenticator,
                               void *payload);

/**
 * Sets the function that may respond to requests without a valid identity (see
 * gr_http_unauthenticated_fn); NULL keeps every such response a 401.
 * `payload` is borrowed. Call before gr_http_server_start().
 */
void gr_http_set_unauthenticated(gr_http_server *server, gr_http_unauthenticated_fn fn,
                                 void *payload);

/**
 * Sets the function that may respond, in place of the JSON 404, to a GET or
 * HEAD request outside /api/ and /.backstage/ that matched no route, such as
 * the portal's page for an address that does not exist. It runs after the
 * authenticator: a caller without a valid identity gets the unauthenticated
 * function's response instead. It returns 0 when it responded, and anything else
 * keeps the JSON 404. `payload` is borrowed. Call before gr_http_server_start().
 */
void gr_http_set_not_found(gr_http_server *server, gr_http_unauthenticated_fn fn, void *payload);

/**
 * Binds a socket to the configured address and port and closes it again, so
 * that a port in use fails start-up before any background work begins.
 * Another process can still take the port before gr_http_server_start(),
 * which then fails with its own error. Returns 0, or GR_EBACKEND naming the
 * address, the port and the reason. Port 0 is not checked.
 */
int gr_http_server_check_bind(const gr_http_server *server);

/**
 * Does what gr_http_server_check_bind() does for `address` and `port` before
 * any server exists. An address that is not IPv4 or IPv6, and a port outside
 * 1 to 65535, pass the check, so that gr_http_server_new() reports them.
 */
int gr_http_check_bind(const char *address, int port);

/**
 * Binds and starts serving. Returns 0, GR_EINVALID when already started, or
 * GR_EBACKEND when the address cannot be bound (the message names it).
 */
int gr_http_server_start(gr_http_server *server);

/** Returns the bound port (useful with port 0), or 0 before start. */
int gr_http_server_port(const gr_http_server *server);

/**
 * Stops gracefully. Readiness turns 503, new connections are refused, and
 * streams end. Requests in flight get up to `shutdown_timeout_ms` to
 * finish, and connections still open after that are closed. Responses
 * sent meanwhile carry Connection: close. New deferred jobs get 503. Stop
 * waits for running ones even past `shutdown_timeout_ms`, because a job
 * cannot be cut, so it can take as long as the slowest job's own time limit.
 * Returns 0, or GR_ELIMIT when the wait timed out (requests were cut).
 * Safe to call twice and before start. Must not run on a server thread.
 */
int gr_http_server_stop(gr_http_server *server);

/** Stops the server if needed and frees it. NULL-safe. */
void gr_http_server_free(gr_http_server *server);

/** Returns the server's metrics registry (borrowed; lives as long as the server). */
gr_metrics *gr_http_server_metrics(gr_http_server *server);

#endif
