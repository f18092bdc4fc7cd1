/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the HTTP module's count limits: response headers and metric series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/http.h"
#include "host/http/metrics.h"

/* Adds GR_HTTP_MAX_RESPONSE_HEADERS headers, then one more, and sends the
 * code and message of that last call as the JSON body. */
static int many_headers_get(gr_request *req, gr_response *res, void *payload)
{
    char name[32];
    int rc;

    (void)req;
    (void)payload;
    for (int i = 0; i < GR_HTTP_MAX_RESPONSE_HEADERS; i++) {
        snprintf(name, sizeof(name), "X-Test-%d", i);
        if (gr_res_header(res, name, "v") != 0)
            return gr_res_error(res, GR_EINVALID, "header %d was rejected", i);
    }
    rc = gr_res_header(res, "X-Test-Extra", "v");
    return gr_res_json(res, 200, json_pack("{s:i, s:s}", "rc", rc, "error", gr_error_last()));
}

static void response_headers_over_max(void **state)
{
    gr_http_server *server = NULL;
    gr_http_options opts = {0};
    gr_test_output out;
    char *url;
    json_t *body;

    (void)state;
    opts.threads = 1;
    assert_int_equal(gr_http_server_new(&server, &opts), GR_OK);
    assert_int_equal(
        gr_http_route(server, "GET", "/many-headers", GR_ROUTE_PUBLIC, many_headers_get, NULL),
        GR_OK);
    assert_int_equal(gr_http_server_start(server), GR_OK);
    url = gr_xasprintf("http://127.0.0.1:%d/many-headers", gr_http_server_port(server));
    out = gr_test_http("GET", url, NULL, NULL);

    assert_int_equal(out.status, 200);
    body = json_loads(out.out, 0, NULL);
    assert_non_null(body);
    assert_int_equal(json_integer_value(json_object_get(body, "rc")), GR_ELIMIT);
    assert_non_null(strstr(json_string_value(json_object_get(body, "error")),
                           "more than 32 headers; 'X-Test-Extra' was not added"));
    assert_non_null(strstr(out.err, "X-Test-31: v"));
    assert_null(strstr(out.err, "X-Test-Extra"));
    json_decref(body);
    gr_test_output_free(&out);
    free(url);
    gr_http_server_free(server);
}

static void metric_labels_over_max(void **state)
{
    gr_metrics *metrics = gr_metrics_new();

    (void)state;
    assert_int_equal(
        gr_metrics_register(metrics, "test_total", GR_METRIC_COUNTER, "Test.", NULL, 0), GR_OK);
    assert_non_null(gr_metrics_series(metrics, "test_total", "a", "1", "b", "2", "c", "3", "d", "4",
                                      "e", "5", "f", "6", "g", "7", "h", "8", NULL));
    assert_null(gr_metrics_series(metrics, "test_total", "a", "1", "b", "2", "c", "3", "d", "4",
                                  "e", "5", "f", "6", "g", "7", "h", "8", "i", "9", NULL));
    assert_int_equal(gr_error_last_code(), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "metric test_total has more than 8 labels"));
    gr_metrics_free(metrics);
}

static void metric_series_over_max(void **state)
{
    gr_metrics *metrics = gr_metrics_new();
    char value[16];

    (void)state;
    assert_int_equal(
        gr_metrics_register(metrics, "test_total", GR_METRIC_COUNTER, "Test.", NULL, 0), GR_OK);
    for (int i = 0; i < GR_METRICS_MAX_SERIES; i++) {
        snprintf(value, sizeof(value), "%d", i);
        if (gr_metrics_series(metrics, "test_total", "n", value, NULL) == NULL)
            fail_msg("series %d: %s", i, gr_error_last());
    }
    /* An existing series is still found at the limit. */
    assert_non_null(gr_metrics_series(metrics, "test_total", "n", "0", NULL));
    assert_null(gr_metrics_series(metrics, "test_total", "n", "one more", NULL));
    assert_int_equal(gr_error_last_code(), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "the registry already has 10000 series"));
    gr_metrics_free(metrics);
}

static void histogram_buckets_over_max(void **state)
{
    gr_metrics *metrics = gr_metrics_new();
    double bounds[GR_METRICS_MAX_BUCKETS + 1];

    (void)state;
    for (int i = 0; i <= GR_METRICS_MAX_BUCKETS; i++)
        bounds[i] = i + 1;
    assert_int_equal(gr_metrics_register(metrics, "test_at_max", GR_METRIC_HISTOGRAM, "Test.",
                                         bounds, GR_METRICS_MAX_BUCKETS),
                     GR_OK);
    assert_int_equal(gr_metrics_register(metrics, "test_over_max", GR_METRIC_HISTOGRAM, "Test.",
                                         bounds, GR_METRICS_MAX_BUCKETS + 1),
                     GR_EINVALID);
    assert_non_null(
        strstr(gr_error_last(), "histogram test_over_max needs 1 to 32 buckets, not 33"));
    gr_metrics_free(metrics);
}

/* Returns the code of reading backend.server.timeout set to `seconds`. */
static int timeout_status(long long seconds)
{
    char *dir = gr_test_tmpdir("http-limits");
    char *path = gr_xasprintf("%s/app.yaml", dir);
    char *yaml = gr_xasprintf("backend:\n  server:\n    timeout: %lld\n", seconds);
    const char *files[] = {path};
    gr_config_schema *schema = gr_config_schema_new();
    gr_config *cfg = NULL;
    gr_http_options opts = {0};
    int rc;

    gr_test_write_file(dir, "app.yaml", yaml);
    if (gr_config_load(&cfg, files, 1, schema) != GR_OK)
        fail_msg("config: %s", gr_error_last());
    rc = gr_http_options_read(cfg, &opts);
    if (rc == GR_OK && opts.connection_timeout_s != (unsigned)seconds)
        rc = GR_ERROR;
    gr_config_free(cfg);
    gr_config_schema_free(schema);
    gr_test_rmtree(dir);
    free(yaml);
    free(path);
    free(dir);
    return rc;
}

static void timeout_over_max_rejected(void **state)
{
    (void)state;
    assert_int_equal(timeout_status(86400), GR_OK);
    assert_int_equal(timeout_status(86401), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "backend.server.timeout: 86401 seconds is outside "
                                            "the allowed range of 1 to 86400 seconds"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(response_headers_over_max), cmocka_unit_test(metric_labels_over_max),
        cmocka_unit_test(metric_series_over_max),    cmocka_unit_test(histogram_buckets_over_max),
        cmocka_unit_test(timeout_over_max_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
