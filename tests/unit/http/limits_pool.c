/* SPDX-License-Identifier: MIT */
/* Unit tests of requests near the size of libmicrohttpd's connection memory pool, over a raw socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/http/limits.h"
#include "host/log/log.h"
#include "support/gr_test.h"

/* Time the client waits for the whole response, in ms. */
#define RESPONSE_WAIT_MS 5000

static gr_http_server *server;

/* Responds with the number of values of the query parameter `a`. */
static int count_values(gr_request *req, gr_response *res, void *payload)
{
    size_t count = 0;

    (void)payload;
    gr_req_query_all(req, "a", &count);
    gr_res_json(res, 200, json_pack("{s:I}", "count", (json_int_t)count));
    return 0;
}

static int server_setup(void **state)
{
    gr_http_options opts = {0};

    (void)state;
    gr_log_set_level(GR_LOG_ERROR);
    opts.threads = 1;
    assert_int_equal(gr_http_server_new(&server, &opts), 0);
    assert_int_equal(gr_http_route(server, "GET", "/count", 0, count_values, NULL), 0);
    assert_int_equal(gr_http_server_start(server), 0);
    return 0;
}

static int server_teardown(void **state)
{
    (void)state;
    gr_http_server_free(server);
    return 0;
}

typedef struct {
    int status;   /* 0 when no status line arrived */
    json_t *body; /* NULL when the body is not JSON */
    char *raw;
} raw_response;

static void raw_response_free(raw_response *response)
{
    json_decref(response->body);
    free(response->raw);
}

/* Connects to 127.0.0.1:`port`; returns the socket. */
static int connect_local(int port)
{
    int fd = gr_test_connect_local(port);

    assert_true(fd >= 0);
    return fd;
}

/* Reads from `fd` until the server closes it or RESPONSE_WAIT_MS pass. */
static void read_all(int fd, gr_buf *out)
{
    struct pollfd entry = {.fd = fd, .events = POLLIN};
    char chunk[4096];
    ssize_t len;

    while (poll(&entry, 1, RESPONSE_WAIT_MS) > 0) {
        len = recv(fd, chunk, sizeof(chunk), 0);
        if (len <= 0)
            break;
        gr_buf_append(out, chunk, (size_t)len);
    }
}

/*
 * Sends `GET target` with `extra_headers` (each line ending in CRLF) on a new connection and
 * reads the response to its end. The request is written whole, as a client would send it.
 */
static raw_response send_get(const char *target, const char *extra_headers)
{
    raw_response response = {0};
    gr_buf request = GR_BUF_INIT;
    gr_buf reply = GR_BUF_INIT;
    const char *body;
    int fd = connect_local(gr_http_server_port(server));

    gr_buf_printf(&request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n",
                  target, extra_headers);
    /* The server may respond and close before it reads everything, so a short send is no
     * failure: the response read below decides. */
    (void)send(fd, gr_buf_cstr(&request), request.len, MSG_NOSIGNAL);
    read_all(fd, &reply);
    close(fd);

    response.raw = gr_xstrdup(gr_buf_cstr(&reply));
    if (sscanf(response.raw, "HTTP/1.1 %d", &response.status) != 1)
        response.status = 0;
    body = strstr(response.raw, "\r\n\r\n");
    if (body != NULL)
        response.body = json_loads(body + 4, 0, NULL);
    gr_buf_free(&request);
    gr_buf_free(&reply);
    return response;
}

/* Checks a Backstage error body: its name, a part of its message and its status code. */
static void assert_error_body(const raw_response *response, int status, const char *name,
                              const char *message_part)
{
    const char *message = NULL;
    const char *actual_name = NULL;
    json_int_t status_code = 0;

    if (response->body == NULL)
        fail_msg("the response is not a JSON error body: %.300s", response->raw);
    assert_int_equal(json_unpack(response->body, "{s:{s:s,s:s},s:{s:I}}", "error", "name",
                                 &actual_name, "message", &message, "response", "statusCode",
                                 &status_code),
                     0);
    assert_string_equal(actual_name, name);
    assert_non_null(strstr(message, message_part));
    assert_int_equal(status_code, status);
    assert_non_null(json_object_get(response->body, "request"));
}

/* The largest number of parameters allowed, with values that fill the URL, is served. */
static void query_max_params_served(void **state)
{
    gr_buf target = GR_BUF_INIT;
    size_t value_len =
        (GR_HTTP_MAX_URL_BYTES - strlen("/count?")) / GR_HTTP_MAX_QUERY_PARAMS - strlen("a=&");
    json_int_t count = -1;
    raw_response response;

    (void)state;
    gr_buf_puts(&target, "/count?");
    for (int i = 0; i < GR_HTTP_MAX_QUERY_PARAMS; i++) {
        gr_buf_puts(&target, i == 0 ? "a=" : "&a=");
        for (size_t j = 0; j < value_len; j++)
            gr_buf_putc(&target, 'v');
    }
    assert_true(target.len <= GR_HTTP_MAX_URL_BYTES);
    response = send_get(gr_buf_cstr(&target), "");
    assert_int_equal(response.status, 200);
    assert_non_null(response.body);
    assert_int_equal(json_unpack(response.body, "{s:I}", "count", &count), 0);
    assert_int_equal(count, GR_HTTP_MAX_QUERY_PARAMS);
    raw_response_free(&response);
    gr_buf_free(&target);
}

/* A URL over its limit gets 414, also where it makes the request line and headers too large. */
static void url_over_header_limit_414(void **state)
{
    gr_buf target = GR_BUF_INIT;
    raw_response response;

    (void)state;
    gr_buf_puts(&target, "/count?a=");
    while (target.len <= GR_HTTP_MAX_HEADER_BYTES + 4096)
        gr_buf_putc(&target, 'v');
    response = send_get(gr_buf_cstr(&target), "");
    assert_int_equal(response.status, 414);
    assert_error_body(&response, 414, "URITooLongError", "URL is too long");
    raw_response_free(&response);
    gr_buf_free(&target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_max_params_served),
        cmocka_unit_test(url_over_header_limit_414),
    };

    return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
