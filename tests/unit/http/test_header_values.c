/* SPDX-License-Identifier: MIT */
/* Tests of response header values over a real socket: control characters never pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "support/gr_test.h"

static gr_http_server *server;

/* What the last handler's gr_res_redirect() or gr_res_header() call returned. */
static atomic_int last_rc;

/* Redirects to a target whose tab comes before a line break, as a crafted
 * "return" parameter of a form would. */
static int tab_then_newline(gr_request *req, gr_response *res, void *payload)
{
    int rc = gr_res_redirect(res, 303, "/catalog\t\r\nX-Injected: yes");

    (void)req;
    (void)payload;
    atomic_store(&last_rc, rc);
    return rc;
}

/* A tab alone is allowed in a header value. */
static int tab_only(gr_request *req, gr_response *res, void *payload)
{
    int rc = gr_res_header(res, "X-Note", "a\tb");

    (void)req;
    (void)payload;
    atomic_store(&last_rc, rc);
    if (rc == GR_OK)
        gr_res_body(res, 200, "text/plain", "ok", 2);
    return rc;
}

/* A DEL byte after a tab is as invalid as one before it. */
static int tab_then_delete(gr_request *req, gr_response *res, void *payload)
{
    int rc = gr_res_header(res, "X-Note", "a\tb\x7f");

    (void)req;
    (void)payload;
    atomic_store(&last_rc, rc);
    return rc;
}

static gr_test_output get(const char *path)
{
    char *url = gr_xasprintf("http://127.0.0.1:%d%s", gr_http_server_port(server), path);
    gr_test_output out = gr_test_http("GET", url, NULL, NULL);

    free(url);
    return out;
}

static int setup(void **state)
{
    gr_http_options opts = {0};

    (void)state;
    opts.threads = 1;
    opts.max_body_bytes = 1024;
    assert_int_equal(gr_http_server_new(&server, &opts), 0);
    assert_int_equal(
        gr_http_route(server, "GET", "/tab-newline", GR_ROUTE_PUBLIC, tab_then_newline, NULL), 0);
    assert_int_equal(gr_http_route(server, "GET", "/tab-only", GR_ROUTE_PUBLIC, tab_only, NULL), 0);
    assert_int_equal(
        gr_http_route(server, "GET", "/tab-delete", GR_ROUTE_PUBLIC, tab_then_delete, NULL), 0);
    assert_int_equal(gr_http_server_start(server), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gr_http_server_free(server);
    server = NULL;
    return 0;
}

static void redirect_tab_newline(void **state)
{
    gr_test_output out = get("/tab-newline");

    (void)state;
    assert_int_equal(atomic_load(&last_rc), GR_EINVALID);
    assert_int_equal(out.status, 400);
    assert_null(strstr(out.err, "X-Injected"));
    gr_test_output_free(&out);
}

static void header_tab_allowed(void **state)
{
    gr_test_output out = get("/tab-only");

    (void)state;
    assert_int_equal(atomic_load(&last_rc), GR_OK);
    assert_int_equal(out.status, 200);
    assert_non_null(strstr(out.err, "X-Note: a\tb"));
    gr_test_output_free(&out);
}

static void header_tab_delete(void **state)
{
    gr_test_output out = get("/tab-delete");

    (void)state;
    assert_int_equal(atomic_load(&last_rc), GR_EINVALID);
    assert_int_equal(out.status, 400);
    gr_test_output_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(redirect_tab_newline),
        cmocka_unit_test(header_tab_allowed),
        cmocka_unit_test(header_tab_delete),
    };

    return cmocka_run_group_tests_name("http_header_values", tests, setup, teardown);
}
