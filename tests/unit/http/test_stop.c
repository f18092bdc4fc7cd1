/* SPDX-License-Identifier: MIT */
/* Tests of the graceful stop: requests in flight finish, new connections are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "support/gr_test.h"

static atomic_int handler_entered;
static atomic_int stream_started;

static int slow_get(gr_request *req, gr_response *res, void *payload)
{
    int delay_ms = *(int *)payload;

    (void)req;
    atomic_store(&handler_entered, 1);
    poll(NULL, 0, delay_ms);
    gr_res_body(res, 200, "text/plain", "done", 4);
    return 0;
}

static ssize_t endless_read(void *payload, char *buf, size_t max)
{
    int *sent = payload;

    (void)max;
    atomic_store(&stream_started, 1);
    if (*sent)
        return 0;
    *sent = 1;
    memcpy(buf, "tick\n", 5);
    return 5;
}

static int endless_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    return gr_res_stream(res, 200, "text/event-stream", endless_read, gr_xcalloc(1, sizeof(int)),
                         free);
}

typedef struct {
    char *url;
    gr_test_output out;
} client_call;

static void *client_run(void *arg)
{
    client_call *call = arg;

    call->out = gr_test_http("GET", call->url, NULL, NULL);
    return NULL;
}

typedef struct {
    gr_http_server *server;
    int rc;
    double seconds;
} stop_call;

static double now_seconds(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void *stop_run(void *arg)
{
    stop_call *call = arg;
    double start = now_seconds();

    call->rc = gr_http_server_stop(call->server);
    call->seconds = now_seconds() - start;
    return NULL;
}

static gr_http_server *start_server(int *delay_ms, unsigned shutdown_timeout_ms)
{
    gr_http_options opts = {0};
    gr_http_server *server = NULL;

    opts.threads = 2;
    opts.shutdown_timeout_ms = shutdown_timeout_ms;
    assert_int_equal(gr_http_server_new(&server, &opts), 0);
    assert_int_equal(gr_http_route(server, "GET", "/slow", 0, slow_get, delay_ms), 0);
    assert_int_equal(gr_http_route(server, "GET", "/endless", 0, endless_get, NULL), 0);
    assert_int_equal(gr_http_server_start(server), 0);
    return server;
}

static void wait_for(atomic_int *flag)
{
    for (int tries = 0; tries < 500 && !atomic_load(flag); tries++)
        poll(NULL, 0, 5);
    assert_true(atomic_load(flag));
}

static void stop_finishes_inflight(void **state)
{
    int delay_ms = 600;
    gr_http_server *server = start_server(&delay_ms, 5000);
    client_call slow = {.url = gr_xasprintf("http://127.0.0.1:%d/slow", gr_http_server_port(server))};
    char *late_url = gr_xasprintf("http://127.0.0.1:%d/.backstage/health/v1/liveness",
                                  gr_http_server_port(server));
    stop_call stop = {server, -99, 0};
    pthread_t client_thread;
    pthread_t stop_thread;
    gr_test_output late;
    double late_start;

    (void)state;
    atomic_store(&handler_entered, 0);
    pthread_create(&client_thread, NULL, client_run, &slow);
    wait_for(&handler_entered);
    pthread_create(&stop_thread, NULL, stop_run, &stop);

    /* Give the stop time to close the listening socket, then try to connect. */
    poll(NULL, 0, 150);
    late_start = now_seconds();
    late = gr_test_http("GET", late_url, NULL, NULL);
    assert_int_equal(late.status, 0);
    assert_true(now_seconds() - late_start < 1.0);

    pthread_join(client_thread, NULL);
    pthread_join(stop_thread, NULL);
    assert_int_equal(slow.out.status, 200);
    assert_string_equal(slow.out.out, "done");
    assert_non_null(strstr(slow.out.err, "Connection: close"));
    assert_int_equal(stop.rc, 0);

    gr_test_output_free(&late);
    gr_test_output_free(&slow.out);
    free(slow.url);
    free(late_url);
    gr_http_server_free(server);
}

static void stop_times_out(void **state)
{
    int delay_ms = 1500;
    gr_http_server *server = start_server(&delay_ms, 200);
    client_call slow = {.url = gr_xasprintf("http://127.0.0.1:%d/slow", gr_http_server_port(server))};
    stop_call stop = {server, -99, 0};
    pthread_t client_thread;

    (void)state;
    atomic_store(&handler_entered, 0);
    pthread_create(&client_thread, NULL, client_run, &slow);
    wait_for(&handler_entered);
    stop_run(&stop);
    pthread_join(client_thread, NULL);

    assert_int_equal(stop.rc, GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "after 200 ms"));
    gr_test_output_free(&slow.out);
    free(slow.url);
    gr_http_server_free(server);
}

static void stop_ends_streams(void **state)
{
    int delay_ms = 0;
    gr_http_server *server = start_server(&delay_ms, 5000);
    client_call endless = {.url =
        gr_xasprintf("http://127.0.0.1:%d/endless", gr_http_server_port(server))};
    stop_call stop = {server, -99, 0};
    pthread_t client_thread;

    (void)state;
    atomic_store(&stream_started, 0);
    pthread_create(&client_thread, NULL, client_run, &endless);
    wait_for(&stream_started);
    poll(NULL, 0, 250); /* let the stream be suspended and resumed a few times */
    stop_run(&stop);
    pthread_join(client_thread, NULL);

    assert_int_equal(stop.rc, 0);
    assert_true(stop.seconds < 2.0);
    assert_int_equal(endless.out.status, 200);
    assert_string_equal(endless.out.out, "tick\n");
    gr_test_output_free(&endless.out);
    free(endless.url);
    gr_http_server_free(server);
}

static void stop_before_start(void **state)
{
    gr_http_server *server = NULL;

    (void)state;
    assert_int_equal(gr_http_server_new(&server, NULL), 0);
    assert_int_equal(gr_http_server_stop(server), 0);
    assert_int_equal(gr_http_server_start(server), GR_EINVALID);
    gr_http_server_free(server);
}

static void start_reports_bind_failure(void **state)
{
    gr_http_options opts = {0};
    gr_http_server *first = NULL;
    gr_http_server *second = NULL;

    (void)state;
    assert_int_equal(gr_http_server_new(&first, NULL), 0);
    assert_int_equal(gr_http_server_start(first), 0);
    opts.port = gr_http_server_port(first);
    assert_int_equal(gr_http_server_new(&second, &opts), 0);
    assert_int_equal(gr_http_server_start(second), GR_EBACKEND);
    assert_non_null(strstr(gr_error_last(), "127.0.0.1 port"));
    gr_http_server_free(second);
    gr_http_server_free(first);

    opts.bind_address = "localhost";
    assert_int_equal(gr_http_server_new(&second, &opts), GR_EINVALID);
    assert_null(second);
}

static int quiet_setup(void **state)
{
    (void)state;
    gr_log_set_level(GR_LOG_ERROR);
    return 0;
}

/*
 * A query with more parameters than libmicrohttpd's memory pool can list ends
 * the connection inside libmicrohttpd, before any handler runs. The request
 * must still be freed, so the stop finds nothing in flight (and the leak
 * checker finds nothing at exit).
 */
static void stop_after_pool_overflow(void **state)
{
    int delay_ms = 0;
    gr_http_server *server = start_server(&delay_ms, 3000);
    gr_buf url = GR_BUF_INIT;
    stop_call stop = {server, -99, 0};

    (void)state;
    gr_buf_printf(&url, "http://127.0.0.1:%d/slow?f=0", gr_http_server_port(server));
    for (int i = 1; i < 800; i++)
        gr_buf_printf(&url, "&f=%d", i);
    for (int round = 0; round < 3; round++) {
        gr_test_output out = gr_test_http("GET", gr_buf_cstr(&url), NULL, NULL);

        assert_int_not_equal(out.status, 200);
        gr_test_output_free(&out);
    }

    stop_run(&stop);
    assert_int_equal(stop.rc, 0);
    assert_true(stop.seconds < 2.0);
    gr_buf_free(&url);
    gr_http_server_free(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stop_finishes_inflight),
        cmocka_unit_test(stop_times_out),
        cmocka_unit_test(stop_ends_streams),
        cmocka_unit_test(stop_after_pool_overflow),
        cmocka_unit_test(stop_before_start),
        cmocka_unit_test(start_reports_bind_failure),
    };

    return cmocka_run_group_tests(tests, quiet_setup, NULL);
}
