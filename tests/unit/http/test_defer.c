/* SPDX-License-Identifier: MIT */
/* Tests of deferred jobs: slow work off the HTTP thread, the job limit, errors and stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/cancel.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "support/gr_test.h"

/* Jobs of /gated wait until the test opens the gate. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open;

static atomic_int jobs_entered;
static atomic_int payloads_freed;
static atomic_uintptr_t handler_thread;
static atomic_uintptr_t job_thread;

/* Log lines written by the server and the jobs. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static gr_buf log_text = GR_BUF_INIT;

static void capture_log(gr_log_level level, const char *line, void *payload)
{
    (void)level;
    (void)payload;
    pthread_mutex_lock(&log_lock);
    gr_buf_puts(&log_text, line);
    gr_buf_putc(&log_text, '\n');
    pthread_mutex_unlock(&log_lock);
}

static int log_contains(const char *needle)
{
    int found;

    pthread_mutex_lock(&log_lock);
    found = strstr(gr_buf_cstr(&log_text), needle) != NULL;
    pthread_mutex_unlock(&log_lock);
    return found;
}

static void gate_set(int open)
{
    pthread_mutex_lock(&gate_lock);
    gate_open = open;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

static void gate_wait(void)
{
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

static void payload_free(void *payload)
{
    atomic_fetch_add(&payloads_freed, 1);
    free(payload);
}

static int gated_job(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    atomic_store(&job_thread, (uintptr_t)pthread_self());
    gr_info("test", "job running");
    atomic_fetch_add(&jobs_entered, 1);
    gate_wait();
    gr_res_body(res, 200, "text/plain", "done", 4);
    return 0;
}

static int gated_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    atomic_store(&handler_thread, (uintptr_t)pthread_self());
    return gr_res_defer(res, gated_job, gr_xstrdup("payload"), payload_free);
}

/* Waits up to 30 s as a slow transfer would, polling the cancellation flag of its thread. */
static int cancellable_job(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)res;
    (void)payload;
    atomic_fetch_add(&jobs_entered, 1);
    for (int waited_ms = 0; waited_ms < 30000; waited_ms += 10) {
        if (gr_cancel_requested())
            return gr_error_set(GR_EBACKEND, "The transfer ended because the server is stopping");
        poll(NULL, 0, 10);
    }
    gr_res_body(res, 200, "text/plain", "done", 4);
    return 0;
}

static int cancellable_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    return gr_res_defer(res, cancellable_job, NULL, NULL);
}

static int failing_job(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)res;
    (void)payload;
    return gr_error_set(GR_ENOTFOUND, "No widget named 'w1' was found");
}

static int failing_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    return gr_res_defer(res, failing_job, NULL, NULL);
}

static int silent_job(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)res;
    (void)payload;
    return 0;
}

static int silent_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    return gr_res_defer(res, silent_job, NULL, NULL);
}

/* Defers a job, then finds the input invalid: the job must be dropped. */
static int dropped_get(gr_request *req, gr_response *res, void *payload)
{
    int rc;

    (void)req;
    (void)payload;
    rc = gr_res_defer(res, gated_job, gr_xstrdup("payload"), payload_free);
    if (rc != 0)
        return rc;
    return gr_error_set(GR_EINVALID, "The widget name is invalid");
}

static int twice_get(gr_request *req, gr_response *res, void *payload)
{
    int rc;

    (void)req;
    (void)payload;
    rc = gr_res_defer(res, gated_job, gr_xstrdup("first"), payload_free);
    if (rc == 0)
        rc = gr_res_defer(res, gated_job, gr_xstrdup("second"), payload_free);
    return rc;
}

static gr_http_server *server_start(unsigned shutdown_timeout_ms)
{
    static const struct {
        const char *pattern;
        gr_http_handler handler;
    } routes[] = {
        {"/gated", gated_get},     {"/failing", failing_get}, {"/silent", silent_get},
        {"/dropped", dropped_get}, {"/twice", twice_get},   {"/cancellable", cancellable_get},
    };
    gr_http_options opts = {0};
    gr_http_server *server = NULL;

    /* One HTTP thread, so that a job holding it would block every other request. */
    opts.threads = 1;
    opts.shutdown_timeout_ms = shutdown_timeout_ms;
    assert_int_equal(gr_http_server_new(&server, &opts), 0);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        assert_int_equal(
            gr_http_route(server, "GET", routes[i].pattern, 0, routes[i].handler, NULL), 0);
    assert_int_equal(gr_http_server_start(server), 0);
    return server;
}

static char *url_of(gr_http_server *server, const char *path)
{
    return gr_xasprintf("http://127.0.0.1:%d%s", gr_http_server_port(server), path);
}

static double now_seconds(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void wait_for_jobs(int count)
{
    for (int tries = 0; tries < 1000 && atomic_load(&jobs_entered) < count; tries++)
        poll(NULL, 0, 5);
    assert_int_equal(atomic_load(&jobs_entered), count);
}

typedef struct {
    char *url;
    const char *request_id;
    gr_test_output out;
    pthread_t thread;
} client_call;

static void *client_run(void *arg)
{
    client_call *call = arg;
    char *header = gr_xasprintf("X-Request-Id: %s", call->request_id ? call->request_id : "");
    const char *headers[] = {header, NULL};

    call->out = gr_test_http("GET", call->url, call->request_id ? headers : NULL, NULL);
    free(header);
    return NULL;
}

static void client_start(client_call *call, gr_http_server *server, const char *path)
{
    call->url = url_of(server, path);
    pthread_create(&call->thread, NULL, client_run, call);
}

static void client_finish(client_call *call)
{
    pthread_join(call->thread, NULL);
    free(call->url);
}

/* Sends GET `path` and returns the response with the seconds it took. */
static gr_test_output timed_get(gr_http_server *server, const char *path, double *seconds)
{
    char *url = url_of(server, path);
    double start = now_seconds();
    gr_test_output out = gr_test_http("GET", url, NULL, NULL);

    *seconds = now_seconds() - start;
    free(url);
    return out;
}

static int reset(void **state)
{
    (void)state;
    gate_set(0);
    atomic_store(&jobs_entered, 0);
    atomic_store(&payloads_freed, 0);
    pthread_mutex_lock(&log_lock);
    gr_buf_free(&log_text);
    pthread_mutex_unlock(&log_lock);
    return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void job_frees_http_thread(void **state)
{
    gr_http_server *server = server_start(5000);
    client_call slow = {.request_id = "defer-test-1"};
    gr_test_output quick;
    double seconds;

    (void)state;
    client_start(&slow, server, "/gated");
    wait_for_jobs(1);

    /* The only HTTP thread is free while the job waits. */
    quick = timed_get(server, "/.backstage/health/v1/liveness", &seconds);
    assert_int_equal(quick.status, 200);
    assert_true(seconds < 1.0);
    assert_int_not_equal(atomic_load(&job_thread), atomic_load(&handler_thread));
    assert_true(log_contains("req=defer-test-1 msg=\"job running\""));
    assert_int_equal(atomic_load(&payloads_freed), 0);

    gate_set(1);
    client_finish(&slow);
    assert_int_equal(slow.out.status, 200);
    assert_string_equal(slow.out.out, "done");
    assert_non_null(strstr(slow.out.err, "X-Request-Id: defer-test-1"));
    assert_int_equal(atomic_load(&payloads_freed), 1);

    gr_test_output_free(&quick);
    gr_test_output_free(&slow.out);
    gr_http_server_free(server);
}

static void assert_unavailable(const gr_test_output *out)
{
    json_t *body = json_loads(out->out, 0, NULL);
    const json_t *error = json_object_get(body, "error");

    assert_int_equal(out->status, 503);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(error, "name")),
                        "ServiceUnavailableError");
    assert_non_null(strstr(json_string_value(json_object_get(error, "message")),
                           "maximum of 8 background jobs"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(body, "response"), "statusCode")), 503);
    assert_non_null(strstr(out->err, "Retry-After: 5"));
    json_decref(body);
}

static void jobs_over_max_rejected(void **state)
{
    gr_http_server *server = server_start(5000);
    client_call slow[GR_HTTP_MAX_DEFERRED_JOBS] = {0};
    char request_id[32];
    gr_test_output extra;
    double seconds;

    (void)state;
    for (int i = 0; i < GR_HTTP_MAX_DEFERRED_JOBS; i++) {
        snprintf(request_id, sizeof(request_id), "defer-max-%d", i);
        slow[i].request_id = gr_xstrdup(request_id);
        client_start(&slow[i], server, "/gated");
    }
    wait_for_jobs(GR_HTTP_MAX_DEFERRED_JOBS);

    extra = timed_get(server, "/gated", &seconds);
    assert_unavailable(&extra);
    assert_true(seconds < 1.0);
    assert_int_equal(atomic_load(&payloads_freed), 1);

    gate_set(1);
    for (int i = 0; i < GR_HTTP_MAX_DEFERRED_JOBS; i++) {
        client_finish(&slow[i]);
        assert_int_equal(slow[i].out.status, 200);
        assert_string_equal(slow[i].out.out, "done");
        gr_test_output_free(&slow[i].out);
        free((char *)slow[i].request_id);
    }
    gr_test_output_free(&extra);

    /* Every slot is free again. */
    extra = timed_get(server, "/gated", &seconds);
    assert_int_equal(extra.status, 200);
    gr_test_output_free(&extra);
    assert_int_equal(atomic_load(&payloads_freed), GR_HTTP_MAX_DEFERRED_JOBS + 2);
    gr_http_server_free(server);
}

static void job_errors_sent(void **state)
{
    gr_http_server *server = server_start(5000);
    gr_test_output out;
    double seconds;
    json_t *body;

    (void)state;
    out = timed_get(server, "/failing", &seconds);
    body = json_loads(out.out, 0, NULL);
    assert_int_equal(out.status, 404);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "error"), "message")),
        "No widget named 'w1' was found");
    json_decref(body);
    gr_test_output_free(&out);

    out = timed_get(server, "/silent", &seconds);
    assert_int_equal(out.status, 500);
    assert_true(log_contains("deferred job of GET /silent returned without setting a response"));
    gr_test_output_free(&out);
    gr_http_server_free(server);
}

static void dropped_jobs_freed(void **state)
{
    gr_http_server *server = server_start(5000);
    gr_test_output out;
    double seconds;

    (void)state;
    out = timed_get(server, "/dropped", &seconds);
    assert_int_equal(out.status, 400);
    assert_non_null(strstr(out.out, "The widget name is invalid"));
    assert_int_equal(atomic_load(&payloads_freed), 1);
    gr_test_output_free(&out);

    out = timed_get(server, "/twice", &seconds);
    assert_int_equal(out.status, 400);
    assert_non_null(strstr(out.out, "has a deferred job already"));
    assert_int_equal(atomic_load(&payloads_freed), 3);
    assert_int_equal(atomic_load(&jobs_entered), 0);
    gr_test_output_free(&out);
    gr_http_server_free(server);
}

static void *gate_open_later(void *arg)
{
    poll(NULL, 0, *(int *)arg);
    gate_set(1);
    return NULL;
}

static void stop_finishes_job(void **state)
{
    gr_http_server *server = server_start(5000);
    client_call slow = {0};
    pthread_t opener;
    int delay_ms = 300;
    double start;

    (void)state;
    client_start(&slow, server, "/gated");
    wait_for_jobs(1);
    pthread_create(&opener, NULL, gate_open_later, &delay_ms);
    start = now_seconds();
    assert_int_equal(gr_http_server_stop(server), 0);
    assert_true(now_seconds() - start >= 0.25);
    pthread_join(opener, NULL);
    client_finish(&slow);

    assert_int_equal(slow.out.status, 200);
    assert_string_equal(slow.out.out, "done");
    assert_non_null(strstr(slow.out.err, "Connection: close"));
    assert_false(log_contains("running jobs end their network transfers"));
    assert_int_equal(atomic_load(&payloads_freed), 1);
    gr_test_output_free(&slow.out);
    gr_http_server_free(server);
}

/* A job still running when the shutdown timeout ends is waited for, so that
 * its suspended connection is resumed before libmicrohttpd stops. */
static void stop_waits_past_timeout(void **state)
{
    gr_http_server *server = server_start(100);
    client_call slow = {0};
    pthread_t opener;
    int delay_ms = 600;
    double start;

    (void)state;
    client_start(&slow, server, "/gated");
    wait_for_jobs(1);
    pthread_create(&opener, NULL, gate_open_later, &delay_ms);
    start = now_seconds();
    assert_int_equal(gr_http_server_stop(server), GR_ELIMIT);
    assert_true(now_seconds() - start >= 0.5);
    assert_int_equal(atomic_load(&payloads_freed), 1);
    pthread_join(opener, NULL);
    client_finish(&slow);
    gr_test_output_free(&slow.out);
    gr_http_server_free(server);
}

/* Past the shutdown timeout, stop sets the flag that the slow calls of running jobs poll, so a
 * job in a long transfer ends early with its error instead of holding the stop. */
static void stop_cancels_job_after_timeout(void **state)
{
    gr_http_server *server = server_start(100);
    client_call slow = {0};
    double start;
    double seconds;

    (void)state;
    client_start(&slow, server, "/cancellable");
    wait_for_jobs(1);
    start = now_seconds();
    assert_int_equal(gr_http_server_stop(server), GR_ELIMIT);
    seconds = now_seconds() - start;
    client_finish(&slow);

    assert_true(seconds >= 0.1);
    assert_true(seconds < 5.0);
    assert_int_equal(slow.out.status, 503);
    assert_non_null(strstr(slow.out.out, "The transfer ended because the server is stopping"));
    assert_true(log_contains("running jobs end their network transfers"));
    assert_false(gr_cancel_requested());
    gr_test_output_free(&slow.out);
    gr_http_server_free(server);
}

static int group_setup(void **state)
{
    (void)state;
    gr_log_set_sink(capture_log, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    gr_log_set_sink(NULL, NULL);
    gr_buf_free(&log_text);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(job_frees_http_thread, reset),
        cmocka_unit_test_setup(jobs_over_max_rejected, reset),
        cmocka_unit_test_setup(job_errors_sent, reset),
        cmocka_unit_test_setup(dropped_jobs_freed, reset),
        cmocka_unit_test_setup(stop_finishes_job, reset),
        cmocka_unit_test_setup(stop_waits_past_timeout, reset),
        cmocka_unit_test_setup(stop_cancels_job_after_timeout, reset),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
