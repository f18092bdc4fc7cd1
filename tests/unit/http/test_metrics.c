/* SPDX-License-Identifier: MIT */
/* Unit tests for the metrics registry and its Prometheus text output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "host/http/metrics.h"

static char *render(gr_metrics *metrics)
{
    gr_buf out = GR_BUF_INIT;

    gr_metrics_render(metrics, &out);
    return gr_buf_detach(&out);
}

static void metrics_counter_renders(void **state)
{
    gr_metrics *metrics = gr_metrics_new();
    char *text;

    (void)state;
    assert_int_equal(gr_metrics_register(metrics, "jobs_total", GR_METRIC_COUNTER, "Jobs run.",
                                         NULL, 0),
                     0);
    assert_int_equal(gr_metrics_counter_add(metrics, "jobs_total", 2, "kind", "refresh", NULL), 0);
    assert_int_equal(gr_metrics_counter_add(metrics, "jobs_total", 1.5, "kind", "refresh", NULL),
                     0);
    assert_int_equal(gr_metrics_counter_add(metrics, "jobs_total", 1, NULL), 0);
    text = render(metrics);
    assert_non_null(strstr(text, "# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\n"));
    assert_non_null(strstr(text, "jobs_total{kind=\"refresh\"} 3.5\n"));
    assert_non_null(strstr(text, "jobs_total 1\n"));
    free(text);
    gr_metrics_free(metrics);
}

static void metrics_gauge_declares_itself(void **state)
{
    gr_metrics *metrics = gr_metrics_new();
    char *text;

    (void)state;
    assert_int_equal(gr_metrics_gauge_set(metrics, "queue_depth", 7, "queue", "a", NULL), 0);
    assert_int_equal(gr_metrics_gauge_set(metrics, "queue_depth", 4, "queue", "a", NULL), 0);
    text = render(metrics);
    assert_non_null(strstr(text, "# TYPE queue_depth gauge\n"));
    assert_non_null(strstr(text, "queue_depth{queue=\"a\"} 4\n"));
    assert_null(strstr(text, "# HELP queue_depth"));
    free(text);
    gr_metrics_free(metrics);
}

static void metrics_escapes_labels(void **state)
{
    gr_metrics *metrics = gr_metrics_new();
    char *text;

    (void)state;
    assert_int_equal(
        gr_metrics_counter_add(metrics, "odd_total", 1, "path", "a\"b\\c\nd", "x", "", NULL), 0);
    text = render(metrics);
    assert_non_null(strstr(text, "odd_total{path=\"a\\\"b\\\\c\\nd\",x=\"\"} 1\n"));
    free(text);
    gr_metrics_free(metrics);
}

static void metrics_histogram_buckets(void **state)
{
    static const double bounds[] = {0.1, 1, 10};
    gr_metrics *metrics = gr_metrics_new();
    gr_metric *series;
    char *text;

    (void)state;
    assert_int_equal(gr_metrics_register(metrics, "wait_seconds", GR_METRIC_HISTOGRAM, "Waits.",
                                         bounds, 3),
                     0);
    series = gr_metrics_series(metrics, "wait_seconds", "pool", "db", NULL);
    assert_non_null(series);
    gr_metric_observe(series, 0.05);
    gr_metric_observe(series, 0.1);
    gr_metric_observe(series, 5);
    gr_metric_observe(series, 50);
    text = render(metrics);
    assert_non_null(strstr(text, "wait_seconds_bucket{pool=\"db\",le=\"0.1\"} 2\n"));
    assert_non_null(strstr(text, "wait_seconds_bucket{pool=\"db\",le=\"1\"} 2\n"));
    assert_non_null(strstr(text, "wait_seconds_bucket{pool=\"db\",le=\"10\"} 3\n"));
    assert_non_null(strstr(text, "wait_seconds_bucket{pool=\"db\",le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(text, "wait_seconds_sum{pool=\"db\"} 55.15\n"));
    assert_non_null(strstr(text, "wait_seconds_count{pool=\"db\"} 4\n"));
    free(text);
    gr_metrics_free(metrics);
}

static void metrics_process_gauges(void **state)
{
    gr_metrics *metrics = gr_metrics_new();
    char *text = render(metrics);
    const char *rss;
    const char *start;

    (void)state;
    rss = strstr(text, "\nprocess_resident_memory_bytes ");
    start = strstr(text, "\nprocess_start_time_seconds ");
    assert_non_null(rss);
    assert_non_null(start);
    assert_true(strtod(rss + strlen("\nprocess_resident_memory_bytes "), NULL) > 1e5);
    assert_true(strtod(start + strlen("\nprocess_start_time_seconds "), NULL) > 1.6e9);
    free(text);
    gr_metrics_free(metrics);
}

static void metrics_rejects_bad_input(void **state)
{
    static const double descending[] = {1, 0.5};
    gr_metrics *metrics = gr_metrics_new();

    (void)state;
    assert_int_equal(gr_metrics_register(metrics, "9lives", GR_METRIC_COUNTER, "", NULL, 0),
                     GR_EINVALID);
    assert_int_equal(gr_metrics_register(metrics, "h", GR_METRIC_HISTOGRAM, "", descending, 2),
                     GR_EINVALID);
    assert_int_equal(gr_metrics_register(metrics, "c", GR_METRIC_COUNTER, "", NULL, 0), 0);
    assert_int_equal(gr_metrics_register(metrics, "c", GR_METRIC_GAUGE, "", NULL, 0),
                     GR_ECONFLICT);
    assert_null(gr_metrics_series(metrics, "undeclared", NULL));
    assert_int_equal(gr_error_last_code(), GR_ENOTFOUND);
    assert_null(gr_metrics_series(metrics, "c", "bad-label", "x", NULL));
    assert_int_equal(gr_error_last_code(), GR_EINVALID);
    assert_null(gr_metrics_series(metrics, "c", "le", "x", NULL));
    assert_int_equal(gr_error_last_code(), GR_EINVALID);
    gr_metrics_free(metrics);
}

static void *add_many(void *arg)
{
    gr_metrics *metrics = arg;

    for (int i = 0; i < 10000; i++)
        gr_metrics_counter_add(metrics, "race_total", 1, "worker", (i % 2) ? "odd" : "even", NULL);
    return NULL;
}

static void metrics_concurrent_adds(void **state)
{
    gr_metrics *metrics = gr_metrics_new();
    pthread_t threads[4];
    char *text;

    (void)state;
    for (int i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, add_many, metrics);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    text = render(metrics);
    assert_non_null(strstr(text, "race_total{worker=\"odd\"} 20000\n"));
    assert_non_null(strstr(text, "race_total{worker=\"even\"} 20000\n"));
    free(text);
    gr_metrics_free(metrics);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_counter_renders),
        cmocka_unit_test(metrics_gauge_declares_itself),
        cmocka_unit_test(metrics_escapes_labels),
        cmocka_unit_test(metrics_histogram_buckets),
        cmocka_unit_test(metrics_process_gauges),
        cmocka_unit_test(metrics_rejects_bad_input),
        cmocka_unit_test(metrics_concurrent_adds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
