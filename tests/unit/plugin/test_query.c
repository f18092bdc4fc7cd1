/* SPDX-License-Identifier: MIT */
/* Unit test of reading every query parameter through the ABI (1.2), repeated names included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "greenroom/plugin.h"
#include "host/common/buf.h"
#include "host/plugin/plugin.h"
#include "plain_host.h"

/* Sends "name=value\n" for every parameter, then "end=<code of the read past the last>". */
static int echo_route(gr_request *req, gr_response *res, void *payload)
{
    const gr_host_api *host = payload;
    size_t count = host->req_query_count(req);
    const char *name = NULL;
    const char *value = NULL;
    gr_buf text = GR_BUF_INIT;
    int rc;

    for (size_t i = 0; i < count; i++) {
        if (host->req_query_at(req, i, &name, &value) == GR_PLUGIN_OK)
            gr_buf_printf(&text, "%s=%s\n", name, value);
    }
    gr_buf_printf(&text, "end=%d", host->req_query_at(req, count, &name, &value));
    rc = host->res_body(res, 200, "text/plain", gr_buf_cstr(&text), text.len);
    gr_buf_free(&text);
    return rc;
}

static int echo_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    *out = NULL;
    return host->route(ctx, "GET", "/echo", GR_PLUGIN_ROUTE_PUBLIC, echo_route, (void *)host);
}

static const gr_plugin_info echo_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "echo",
    .version = "1.0.0",
    .description = "echoes query parameters",
    .setup = echo_setup,
};

static int echo_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &echo_info;
    return GR_PLUGIN_OK;
}

static void query_repeats_read(void **state)
{
    plain_host fx;
    void *echo = NULL;
    char *url;
    char *expected;
    gr_test_output res;

    (void)state;
    plain_host_open(&fx);
    assert_int_equal(gr_plugin_adapter_init(&fx.host, echo_entry, &echo), GR_OK);
    assert_int_equal(gr_http_server_start(fx.host.http), GR_OK);

    url = plain_host_url(&fx, "/api/echo/echo?types%5B%5D=a&term=x%20y&types%5B%5D=b");
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 200);
    expected = gr_xasprintf("types[]=a\nterm=x y\ntypes[]=b\nend=%d", GR_PLUGIN_ENOTFOUND);
    assert_string_equal(res.out, expected);
    gr_test_output_free(&res);

    gr_http_server_stop(fx.host.http);
    gr_plugin_adapter_destroy(echo);
    free(expected);
    free(url);
    plain_host_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_repeats_read),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
