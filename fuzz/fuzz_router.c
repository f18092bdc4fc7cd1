/* SPDX-License-Identifier: MIT */
/* Fuzz target: request targets (path segments, query parameters) and route matching. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/arena.h"
#include "host/common/error.h"
#include "host/http/internal.h"
#include "host/http/router.h"

/*
 * The input is lines. The last line is a request, "METHOD TARGET"; the lines
 * before it are routes to register, "METHOD PATTERN". With no route lines,
 * the request runs against the routes the server registers for the catalog,
 * auth and health endpoints, plus wildcard and parameter shapes.
 * A match must name segments that exist, and its parameters must be in
 * pattern order; anything else aborts.
 */

#define MAX_ROUTES 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const builtin_routes[][2] = {
    {"GET", "/.backstage/health/v1/liveness"},
    {"GET", "/.backstage/health/v1/readiness"},
    {"GET", "/metrics"},
    {"GET", "/api/auth/.well-known/jwks.json"},
    {"GET", "/api/auth/:provider/start"},
    {"POST", "/api/auth/:provider/refresh"},
    {"GET", "/api/auth/:provider/handler/frame"},
    {"GET", "/api/catalog/entities"},
    {"GET", "/api/catalog/entities/by-query"},
    {"POST", "/api/catalog/entities/by-query"},
    {"POST", "/api/catalog/entities/by-refs"},
    {"GET", "/api/catalog/entities/by-uid/:uid"},
    {"DELETE", "/api/catalog/entities/by-uid/:uid"},
    {"GET", "/api/catalog/entities/by-name/:kind/:namespace/:name"},
    {"GET", "/api/catalog/entities/by-name/:kind/:namespace/:name/ancestry"},
    {"GET", "/api/catalog/locations/by-entity/:kind/:namespace/:name"},
    {"GET", "/api/catalog/locations/:id"},
    {"DELETE", "/api/catalog/locations/:id"},
    {"POST", "/api/catalog/locations/by-query"},
    {"GET", "/docs/*"},
    {"GET", "/docs/:namespace/:kind/:name/*"},
    {"GET", "/"},
};

static int handler(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)res;
    (void)payload;
    return 0;
}

static void fail(const char *what, const char *line)
{
    fprintf(stderr, "fuzz_router: %s\nrequest: %s\n", what, line);
    abort();
}

static gr_router *builtin_router(void)
{
    static gr_router *router;

    if (router != NULL)
        return router;
    router = gr_router_new();
    for (size_t i = 0; i < sizeof(builtin_routes) / sizeof(builtin_routes[0]); i++) {
        if (gr_router_add(router, builtin_routes[i][0], builtin_routes[i][1], 0, handler, NULL,
                          NULL) != GR_OK)
            fail("a built-in route was rejected", builtin_routes[i][1]);
    }
    return router;
}

/* Checks what a match claims against the request's segments. */
static void check_match(const gr_route_match *match, size_t count, const char *line)
{
    const gr_route *route = match->route;
    size_t previous = 0;

    if (match->wildcard_from > (long)count)
        fail("the wildcard starts past the last segment", line);
    for (size_t i = 0; i < route->param_count; i++) {
        if (match->param_segments[i] >= count)
            fail("a parameter names a segment that does not exist", line);
        if (i > 0 && match->param_segments[i] <= previous)
            fail("parameters are out of pattern order", line);
        previous = match->param_segments[i];
    }
}

static void run_request(const gr_router *router, char *line)
{
    char *space = strchr(line, ' ');
    gr_request req;
    gr_route_match match;
    size_t count = 0;
    int rc;

    if (space == NULL)
        return;
    *space = '\0';
    memset(&req, 0, sizeof(req));
    req.arena = gr_arena_new();
    req.method = line;
    req.url = gr_arena_strdup(req.arena, space + 1);
    if (gr_http__request_parse_target(&req, req.url) == 0) {
        rc = gr_router_match(router, line, req.segments, req.segment_count, &match);
        if (rc == GR_OK)
            check_match(&match, req.segment_count, space + 1);
        else if (rc == GR_EDENIED && match.allow[0] == '\0')
            fail("a 405 without allowed methods", space + 1);
        (void)gr_req_query(&req, "filter");
        (void)gr_req_query_all(&req, "filter", &count);
        (void)gr_req_query_split(&req, "fields", ',', &count);
    } else if (req.reject_status < 400 || req.reject_message == NULL) {
        fail("a rejected target has no status or message", space + 1);
    }
    *space = ' ';
    gr_arena_free(req.arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = gr_xstrndup((const char *)data, size);
    char *lines[MAX_ROUTES + 1];
    size_t count = 0;
    char *line = text;
    gr_router *router = NULL;

    while (line != NULL && count < MAX_ROUTES + 1) {
        char *end = strchr(line, '\n');

        if (end != NULL)
            *end = '\0';
        lines[count++] = line;
        line = end ? end + 1 : NULL;
    }
    if (count > 1) {
        router = gr_router_new();
        for (size_t i = 0; i + 1 < count; i++) {
            char *space = strchr(lines[i], ' ');

            if (space == NULL)
                continue;
            *space = '\0';
            (void)gr_router_add(router, lines[i], space + 1, 0, handler, NULL, NULL);
        }
    }
    run_request(router ? router : builtin_router(), lines[count - 1]);
    gr_router_free(router);
    free(text);
    return 0;
}
