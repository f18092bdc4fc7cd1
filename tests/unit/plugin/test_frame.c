/* SPDX-License-Identifier: MIT */
/* Unit test of the page frame of the plugin ABI (1.2), in the portal layout and in the plain one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../ui/ui_fixture.h"
#include "greenroom/plugin.h"
#include "host/common/error.h"
#include "host/plugin/plugin.h"
#include "host/sched/sched.h"

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
    char *dir = gr_test_tmpdir("plugin-frame");
    char *db_path = gr_xasprintf("%s/frame.sqlite", dir);
    gr_db_options db_options = {.path = db_path};
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    struct gr_host host;
    void *framed = NULL;
    char *url;
    gr_test_output res;

    (void)state;
    memset(&host, 0, sizeof(host));
    assert_int_equal(gr_config_schema_builtin(&schema), GR_OK);
    assert_int_equal(gr_config_load(&config, NULL, 0, schema), GR_OK);
    host.config = config;
    host.base_url = "http://127.0.0.1";
    host.instance_id = "frame-test";
    assert_int_equal(gr_db_open(&host.db, &db_options), GR_OK);
    assert_int_equal(gr_http_server_new(&host.http, NULL), GR_OK);
    assert_int_equal(gr_plugin_adapter_init(&host, framed_entry, &framed), GR_OK);
    assert_int_equal(gr_http_server_start(host.http), GR_OK);

    url = gr_xasprintf("http://127.0.0.1:%d/framed", gr_http_server_port(host.http));
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 202);
    assert_non_null(strstr(res.out, "<title>Framed &lt;page&gt;</title>"));
    assert_non_null(strstr(res.out, "<link rel=\"stylesheet\" href=\"/framed/framed.css\">"));
    assert_non_null(strstr(res.out, "<meta http-equiv=\"refresh\" content=\"7\">"));
    assert_non_null(strstr(res.out, "<main><h1>Own heading</h1><p>Body</p>"));
    assert_non_null(strstr(res.err, "X-Frame-Test: yes"));
    gr_test_output_free(&res);

    gr_http_server_stop(host.http);
    gr_plugin_adapter_destroy(framed);
    free(url);
    gr_http_server_free(host.http);
    gr_db_close(host.db);
    gr_config_free(config);
    gr_config_schema_free(schema);
    gr_test_rmtree(dir);
    free(db_path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(portal_frame_applied),
        cmocka_unit_test(frame_checks_input),
        cmocka_unit_test(plain_frame_applied),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
