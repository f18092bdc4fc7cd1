/* SPDX-License-Identifier: MIT */
/* Unit tests for the route trie: patterns, matching order, 404 and 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "host/http/router.h"

static int handler_a(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)res;
    (void)payload;
    return 0;
}

/* Splits "/a/b/c" into segments the way the server does (no decoding here). */
static size_t split(char *path, char **segments)
{
    size_t count = 0;
    size_t len = strlen(path);

    if (len > 1 && path[len - 1] == '/')
        path[len - 1] = '\0';
    for (char *seg = path + 1; *path != '\0' && path[1] != '\0';) {
        char *end = strchr(seg, '/');

        segments[count++] = seg;
        if (end == NULL)
            break;
        *end = '\0';
        seg = end + 1;
    }
    return count;
}

static gr_router *router_fixture(void)
{
    static const char *const routes[][2] = {
        {"GET", "/api/catalog/entities"},
        {"POST", "/api/catalog/entities"},
        {"GET", "/api/catalog/entities/by-name/:kind/:namespace/:name"},
        {"GET", "/api/catalog/entities/by-name/component/default/special"},
        {"DELETE", "/api/catalog/entities/by-uid/:uid"},
        {"GET", "/docs/*"},
        {"GET", "/docs/:namespace/:kind/:name/*"},
        {"GET", "/"},
        {"PUT", "/items/:id"},
        {"GET", "/items/new"},
    };
    gr_router *router = gr_router_new();

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        assert_int_equal(gr_router_add(router, routes[i][0], routes[i][1], 0, handler_a, NULL, NULL),
                         0);
    return router;
}

static int match(gr_router *router, const char *method, const char *path, gr_route_match *out,
                 char **segments)
{
    static char copy[256];

    snprintf(copy, sizeof(copy), "%s", path);
    return gr_router_match(router, method, segments, split(copy, segments), out);
}

static void router_matches_literal(void **state)
{
    gr_router *router = router_fixture();
    char *segments[16];
    gr_route_match m;

    (void)state;
    assert_int_equal(match(router, "GET", "/api/catalog/entities", &m, segments), 0);
    assert_string_equal(m.route->pattern, "/api/catalog/entities");
    assert_string_equal(m.route->method, "GET");
    assert_int_equal(match(router, "POST", "/api/catalog/entities/", &m, segments), 0);
    assert_string_equal(m.route->method, "POST");
    assert_int_equal(match(router, "GET", "/", &m, segments), 0);
    assert_string_equal(m.route->pattern, "/");
    gr_router_free(router);
}

static void router_captures_params(void **state)
{
    gr_router *router = router_fixture();
    char *segments[16];
    gr_route_match m;

    (void)state;
    assert_int_equal(
        match(router, "GET", "/api/catalog/entities/by-name/api/prod/payments", &m, segments), 0);
    assert_string_equal(m.route->pattern, "/api/catalog/entities/by-name/:kind/:namespace/:name");
    assert_int_equal(m.route->param_count, 3);
    assert_string_equal(m.route->param_names[0], "kind");
    assert_string_equal(m.route->param_names[2], "name");
    assert_string_equal(segments[m.param_segments[0]], "api");
    assert_string_equal(segments[m.param_segments[1]], "prod");
    assert_string_equal(segments[m.param_segments[2]], "payments");
    assert_int_equal(m.wildcard_from, -1);
    gr_router_free(router);
}

static void router_literal_beats_param(void **state)
{
    gr_router *router = router_fixture();
    char *segments[16];
    gr_route_match m;

    (void)state;
    assert_int_equal(match(router, "GET",
                           "/api/catalog/entities/by-name/component/default/special", &m, segments),
                     0);
    assert_string_equal(m.route->pattern,
                        "/api/catalog/entities/by-name/component/default/special");
    /* A literal prefix that leads nowhere falls back to the parameter. */
    assert_int_equal(match(router, "GET",
                           "/api/catalog/entities/by-name/component/default/other", &m, segments),
                     0);
    assert_string_equal(m.route->pattern, "/api/catalog/entities/by-name/:kind/:namespace/:name");
    gr_router_free(router);
}

static void router_method_falls_through(void **state)
{
    gr_router *router = router_fixture();
    char *segments[16];
    gr_route_match m;

    (void)state;
    /* /items/new only has GET, so PUT reaches /items/:id. */
    assert_int_equal(match(router, "PUT", "/items/new", &m, segments), 0);
    assert_string_equal(m.route->pattern, "/items/:id");
    assert_string_equal(segments[m.param_segments[0]], "new");
    gr_router_free(router);
}

static void router_wildcard(void **state)
{
    gr_router *router = router_fixture();
    char *segments[16];
    gr_route_match m;

    (void)state;
    assert_int_equal(match(router, "GET", "/docs/default/component/x/a/b.html", &m, segments), 0);
    assert_string_equal(m.route->pattern, "/docs/:namespace/:kind/:name/*");
    assert_int_equal(m.wildcard_from, 4);
    assert_int_equal(match(router, "GET", "/docs/default/component/x", &m, segments), 0);
    assert_string_equal(m.route->pattern, "/docs/:namespace/:kind/:name/*");
    assert_int_equal(m.wildcard_from, 4);
    assert_int_equal(match(router, "GET", "/docs/a", &m, segments), 0);
    assert_string_equal(m.route->pattern, "/docs/*");
    assert_int_equal(m.wildcard_from, 1);
    assert_int_equal(match(router, "GET", "/docs", &m, segments), 0);
    assert_string_equal(m.route->pattern, "/docs/*");
    gr_router_free(router);
}

static void router_not_found(void **state)
{
    gr_router *router = router_fixture();
    char *segments[16];
    gr_route_match m;

    (void)state;
    assert_int_equal(match(router, "GET", "/api/catalog/nothing", &m, segments), GR_ENOTFOUND);
    assert_null(m.route);
    assert_string_equal(m.allow, "");
    assert_int_equal(match(router, "GET", "/api/catalog/entities/by-name/a/b", &m, segments),
                     GR_ENOTFOUND);
    gr_router_free(router);
}

static void router_method_not_allowed(void **state)
{
    gr_router *router = router_fixture();
    char *segments[16];
    gr_route_match m;

    (void)state;
    assert_int_equal(match(router, "DELETE", "/api/catalog/entities", &m, segments), GR_EDENIED);
    assert_null(m.route);
    assert_string_equal(m.allow, "GET, HEAD, POST");
    assert_int_equal(match(router, "GET", "/api/catalog/entities/by-uid/1", &m, segments),
                     GR_EDENIED);
    assert_string_equal(m.allow, "DELETE");
    gr_router_free(router);
}

static void router_head_uses_get(void **state)
{
    gr_router *router = router_fixture();
    char *segments[16];
    gr_route_match m;

    (void)state;
    assert_int_equal(match(router, "HEAD", "/api/catalog/entities", &m, segments), 0);
    assert_string_equal(m.route->method, "GET");
    assert_int_equal(match(router, "HEAD", "/items/7", &m, segments), GR_EDENIED);
    assert_string_equal(m.allow, "PUT");
    gr_router_free(router);
}

static void router_rejects_bad_patterns(void **state)
{
    static const char *const bad[] = {
        "no-slash", "/a//b", "/a/:", "/a/:b-c", "/a/*/b", "/a/*x", "/a/:x/:x",
    };
    gr_router *router = gr_router_new();

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(gr_router_add(router, "GET", bad[i], 0, handler_a, NULL, NULL),
                         GR_EINVALID);
    assert_int_equal(gr_router_add(router, "get", "/a", 0, handler_a, NULL, NULL), GR_EINVALID);
    assert_int_equal(gr_router_add(router, "GET", "/a", 0, NULL, NULL, NULL), GR_EINVALID);
    gr_router_free(router);
}

static void router_rejects_conflicts(void **state)
{
    gr_router *router = gr_router_new();

    (void)state;
    assert_int_equal(gr_router_add(router, "GET", "/a/:id", 0, handler_a, NULL, NULL), 0);
    assert_int_equal(gr_router_add(router, "GET", "/a/:name/", 0, handler_a, NULL, NULL),
                     GR_ECONFLICT);
    assert_non_null(strstr(gr_error_last(), "/a/:id"));
    assert_int_equal(gr_router_add(router, "POST", "/a/:name", 0, handler_a, NULL, NULL), 0);
    gr_router_free(router);
}

static void router_limits_params(void **state)
{
    gr_router *router = gr_router_new();
    char pattern[512] = "";

    (void)state;
    for (int i = 0; i <= GR_HTTP_MAX_PATH_PARAMS; i++)
        snprintf(pattern + strlen(pattern), sizeof(pattern) - strlen(pattern), "/:p%d", i);
    assert_int_equal(gr_router_add(router, "GET", pattern, 0, handler_a, NULL, NULL), GR_ELIMIT);
    gr_router_free(router);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(router_matches_literal),
        cmocka_unit_test(router_captures_params),
        cmocka_unit_test(router_literal_beats_param),
        cmocka_unit_test(router_method_falls_through),
        cmocka_unit_test(router_wildcard),
        cmocka_unit_test(router_not_found),
        cmocka_unit_test(router_method_not_allowed),
        cmocka_unit_test(router_head_uses_get),
        cmocka_unit_test(router_rejects_bad_patterns),
        cmocka_unit_test(router_rejects_conflicts),
        cmocka_unit_test(router_limits_params),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
