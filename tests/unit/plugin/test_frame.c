/* SPDX-License-Identifier: MIT */
/* Unit test of the ABI 1.2 page frame, in the portal layout and in the plain one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../ui/ui_fixture.h"
#include "greenroom/plugin.h"
#include "host/common/error.h"
#include "host/plugin/plugin.h"
#include "plain_host.h"

/* What the pages saw, reset by each test. */
static int bad_status_rc;
static int bad_crumbs_rc;

static int framed_render(gr_request *req, gr_html *out, void *payload)
{
    const gr_host_api *host = payload;
    const gr_plugin_crumb crumbs[] = {{"Home", "/"}, {"Framed", NULL}};
    gr_plugin_page_frame frame = {
        .struct_size = sizeof(frame),
        .status = 202,
        .title = "Framed <page>",
        .flags = GR_PLUGIN_PAGE_OWN_HEADING,
        .refresh_seconds = 7,
        .stylesheet = "/framed/framed.css",
        .crumbs = crumbs,
        .crumb_count = 2,
    };

    (void)req;
    host->html_raw(out, "<h1>Own heading</h1><p>Body</p>");
    host->res_header(host->page_response(out), "X-Frame-Test", "yes");
    return host->page_frame(out, &frame);
}

static int raw_render(gr_request *req, gr_html *out, void *payload)
{
    const gr_host_api *host = payload;
    gr_plugin_page_frame frame = {.struct_size = sizeof(frame), .flags = GR_PLUGIN_PAGE_RAW};
    gr_response *res = host->page_response(out);

    (void)req;
    host->res_header(res, "Location", "/framed");
    host->res_body(res, 301, "text/plain", "moved", 5);
    return host->page_frame(out, &frame);
}

static int bad_render(gr_request *req, gr_html *out, void *payload)
{
    const gr_host_api *host = payload;
    gr_plugin_page_frame frame = {.struct_size = sizeof(frame), .status = 42};
    gr_plugin_page_frame crowded = {.struct_size = sizeof(frame),
                                    .crumb_count = GR_PLUGIN_PAGE_MAX_CRUMBS + 1};

    (void)req;
    bad_status_rc = host->page_frame(out, &frame);
    bad_crumbs_rc = host->page_frame(out, &crowded);
    host->html_text(out, "plain");
    return GR_PLUGIN_OK;
}

static int framed_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    const gr_plugin_page pages[] = {
        {sizeof(gr_plugin_page), "/framed", "Framed", framed_render, (void *)host},
        {sizeof(gr_plugin_page), "/raw", "Raw", raw_render, (void *)host},
        {sizeof(gr_plugin_page), "/bad", "Bad", bad_render, (void *)host},
    };
    int rc = GR_PLUGIN_OK;

    *out = NULL;
    for (size_t i = 0; i < 3 && rc == GR_PLUGIN_OK; i++)
        rc = host->page_add(ctx, &pages[i]);
    return rc;
}

static const gr_plugin_info framed_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "framed",
    .version = "1.0.0",
    .description = "pages with frames",
    .setup = framed_setup,
};

static int framed_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &framed_info;
    return GR_PLUGIN_OK;
}

static void portal_frame_applied(void **state)
{
    ui_fixture fx;
    void *framed = NULL;
    gr_test_output res;

    (void)state;
    ui_fixture_init(&fx, "", "");
    assert_int_equal(gr_plugin_adapter_init(&fx.host, framed_entry, &framed), GR_OK);
    ui_fixture_serve(&fx);

    res = ui_fixture_request(&fx, "GET", "/framed", NULL, NULL, NULL);
    assert_int_equal(res.status, 202);
    assert_non_null(strstr(res.out, "<title>Framed &lt;page&gt; | "));
    assert_non_null(strstr(res.out, "<link rel=\"stylesheet\" href=\"/framed/framed.css\">"));
    assert_non_null(strstr(res.out, "<meta http-equiv=\"refresh\" content=\"7\">"));
    assert_non_null(strstr(res.out, "<li><a href=\"/\">Home</a></li>"));
    assert_non_null(strstr(res.out, "<span aria-current=\"page\">Framed</span>"));
    assert_non_null(strstr(res.out, "<h1>Own heading</h1><p>Body</p>"));
    assert_null(strstr(res.out, "<h1>Framed"));
    assert_non_null(strstr(res.err, "X-Frame-Test: yes"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/raw", NULL, NULL, NULL);
    assert_int_equal(res.status, 301);
    assert_string_equal(res.out, "moved");
    assert_non_null(strstr(res.err, "Location: /framed"));
    gr_test_output_free(&res);

    ui_fixture_stop(&fx);
    gr_plugin_adapter_destroy(framed);
}

static void frame_checks_input(void **state)
{
    ui_fixture fx;
    void *framed = NULL;
    gr_test_output res;

    (void)state;
    bad_status_rc = 0;
    bad_crumbs_rc = 0;
    ui_fixture_init(&fx, "", "");
    assert_int_equal(gr_plugin_adapter_init(&fx.host, framed_entry, &framed), GR_OK);
    ui_fixture_serve(&fx);

    res = ui_fixture_request(&fx, "GET", "/bad", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_int_equal(bad_status_rc, GR_PLUGIN_EINVALID);
    assert_int_equal(bad_crumbs_rc, GR_PLUGIN_EINVALID);
    assert_non_null(strstr(res.out, "<h1>Bad</h1>"));
    gr_test_output_free(&res);

    ui_fixture_stop(&fx);
    gr_plugin_adapter_destroy(framed);
}

/* Without the web UI, pages get the host's plain layout, which shows all but the breadcrumbs. */
static void plain_frame_applied(void **state)
{
    plain_host fx;
    void *framed = NULL;
    char *url;
    gr_test_output res;

    (void)state;
    plain_host_open(&fx);
    assert_int_equal(gr_plugin_adapter_init(&fx.host, framed_entry, &framed), GR_OK);
    assert_int_equal(gr_http_server_start(fx.host.http), GR_OK);

    url = plain_host_url(&fx, "/framed");
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 202);
    assert_non_null(strstr(res.out, "<title>Framed &lt;page&gt;</title>"));
    assert_non_null(strstr(res.out, "<link rel=\"stylesheet\" href=\"/framed/framed.css\">"));
    assert_non_null(strstr(res.out, "<meta http-equiv=\"refresh\" content=\"7\">"));
    assert_non_null(strstr(res.out, "<main><h1>Own heading</h1><p>Body</p>"));
    assert_non_null(strstr(res.err, "X-Frame-Test: yes"));
    gr_test_output_free(&res);

    gr_http_server_stop(fx.host.http);
    gr_plugin_adapter_destroy(framed);
    free(url);
    plain_host_close(&fx);
}

/* Page paths that page_add() and form_page_add() must reject, then two they accept. */
static const char *const bad_paths[] = {"/signin",    "/metrics",        "/.backstage/health/v1",
                                        "/static/x",  "/api/x",          "/paths/../catalog",
                                        "/paths?x=1", "/paths//twice",   "/paths/./here",
                                        "/paths/a b", "/paths#fragment", "relative"};
static int bad_path_rcs[2][sizeof(bad_paths) / sizeof(bad_paths[0])];
static int good_path_rcs[2];

static int paths_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    gr_plugin_page page = {sizeof(gr_plugin_page), NULL, "Paths", raw_render, (void *)host};

    *out = NULL;
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        page.path = bad_paths[i];
        bad_path_rcs[0][i] = host->page_add(ctx, &page);
        bad_path_rcs[1][i] = host->form_page_add(ctx, &page);
    }
    page.path = "/paths/:id";
    good_path_rcs[0] = host->page_add(ctx, &page);
    good_path_rcs[1] = host->form_page_add(ctx, &page);
    return GR_PLUGIN_OK;
}

static const gr_plugin_info paths_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "paths",
    .version = "1.0.0",
    .setup = paths_setup,
};

static int paths_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &paths_info;
    return GR_PLUGIN_OK;
}

static void page_paths_checked(void **state)
{
    plain_host fx;
    void *plugin = NULL;

    (void)state;
    plain_host_open(&fx);
    assert_int_equal(gr_plugin_adapter_init(&fx.host, paths_entry, &plugin), GR_OK);
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        if (bad_path_rcs[0][i] != GR_PLUGIN_EINVALID || bad_path_rcs[1][i] != GR_PLUGIN_EINVALID)
            fail_msg("path '%s' was accepted", bad_paths[i]);
    }
    assert_int_equal(good_path_rcs[0], GR_PLUGIN_OK);
    assert_int_equal(good_path_rcs[1], GR_PLUGIN_OK);
    gr_plugin_adapter_destroy(plugin);
    plain_host_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(portal_frame_applied),
        cmocka_unit_test(frame_checks_input),
        cmocka_unit_test(plain_frame_applied),
        cmocka_unit_test(page_paths_checked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
