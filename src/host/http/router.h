/* SPDX-License-Identifier: MIT */
/* Routes: method and path pattern to handler, matched through a segment trie. */
#ifndef GR_HOST_HTTP_ROUTER_H
#define GR_HOST_HTTP_ROUTER_H

#include <stddef.h>

#include "host/http/limits.h"

typedef struct gr_http_server gr_http_server;
typedef struct gr_request gr_request;
typedef struct gr_response gr_response;

/**
 * Serves one request. Either sets a response through the gr_res_* functions
 * and returns 0, or returns a negative GR_E* code. When it returns an error
 * without having set a response, the server responds with the status that
 * gr_error_http_status() maps the code to and Backstage's error body built
 * from gr_error_last(). Runs on a server thread; several handlers run at once.
 */
typedef int (*gr_http_handler)(gr_request *req, gr_response *res, void *payload);

/** Route flags. */
enum {
    /** The route is served without calling the authenticator. */
    GR_ROUTE_PUBLIC = 1u << 0,
};

/**
 * Registers `handler` for `method` (upper case, e.g. "GET") on `pattern`.
 *
 * A pattern is a path of segments: literal text, `:name` (one non-empty
 * segment, percent-decoded, read with gr_req_param()), or a last segment `*`
 * that matches zero or more segments (read with gr_req_param(req, "*")).
 * Literal segments win over parameters, parameters over `*`. A trailing slash
 * is ignored both in patterns and in requests. GET routes also serve HEAD.
 *
 * `pattern` and `method` are copied; `payload` is borrowed for the life of
 * the server. Returns 0, GR_EINVALID for a malformed pattern or method or when
 * the server is already running, GR_ECONFLICT when the same method and path
 * shape is registered, or GR_ELIMIT past GR_HTTP_MAX_PATH_PARAMS parameters
 * or GR_HTTP_MAX_PATH_SEGMENTS segments. Not thread-safe: register every
 * route before gr_http_server_start().
 */
int gr_http_route(gr_http_server *server, const char *method, const char *pattern,
                  unsigned flags, gr_http_handler handler, void *payload);

/* The server matches requests with the trie below. It is public so that
 * tests and fuzz targets can drive matching without a network. */

typedef struct gr_router gr_router;

/** One registered route. Borrowed from its router. */
typedef struct {
    const char *method;
    const char *pattern;
    unsigned flags;
    gr_http_handler handler;
    void *payload;
    size_t param_count;
    const char *param_names[GR_HTTP_MAX_PATH_PARAMS];
    void *metrics; /* the server's per-route duration histogram */
} gr_route;

/** Result of gr_router_match(). */
typedef struct {
    const gr_route *route; /* NULL when no route matched path and method */
    /* Segment index of each parameter of `route`, in pattern order. */
    size_t param_segments[GR_HTTP_MAX_PATH_PARAMS];
    /* Index of the first segment the `*` matched; -1 without a wildcard. */
    long wildcard_from;
    /* When the path matched but the method did not: the methods that the
     * path accepts, comma-separated (the Allow header). Empty otherwise. */
    char allow[128];
} gr_route_match;

/** Creates an empty router. Caller frees with gr_router_free(). */
gr_router *gr_router_new(void);

/** Frees the router and its routes. NULL-safe. */
void gr_router_free(gr_router *router);

/**
 * Adds a route (see gr_http_route() for patterns and return codes). On
 * success *out, when not NULL, receives the route (borrowed).
 */
int gr_router_add(gr_router *router, const char *method, const char *pattern, unsigned flags,
                  gr_http_handler handler, void *payload, gr_route **out);

/** Called once per route by gr_router_each() and gr_http_server_routes(). */
typedef void (*gr_route_visitor)(const gr_route *route, void *payload);

/**
 * Calls `visit` for every route of `router`, each once, in no fixed order.
 * Thread-safe once no route is being added.
 */
void gr_router_each(const gr_router *router, gr_route_visitor visit, void *payload);

/**
 * Calls `visit` for every route registered on `server`, the built-in ones
 * included, so that tools and tests can list what the server exposes and
 * which routes skip authentication (GR_ROUTE_PUBLIC).
 */
void gr_http_server_routes(const gr_http_server *server, gr_route_visitor visit, void *payload);

/**
 * Matches a request path, given as `count` percent-decoded segments, against
 * the routes for `method`. HEAD falls back to GET. Returns 0 with out->route
 * set, GR_ENOTFOUND when no route has the path (out->allow empty), or
 * GR_EDENIED when routes have the path but not the method (out->allow set).
 * Sets no error message. Thread-safe once no route is being added.
 */
int gr_router_match(const gr_router *router, const char *method, char *const *segments,
                    size_t count, gr_route_match *out);

#endif
