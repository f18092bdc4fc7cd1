/* SPDX-License-Identifier: MIT */
/* Tests of the HTTP server over real sockets: routing, requests, responses, hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"

static gr_http_server *server;
static atomic_int ready_flag = 1;
static atomic_int stream_freed;

/* Log lines written by the server, captured for the request-log tests. */
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

/* The request log line is written after the response is sent, so the tests
 * wait for it. Returns a copy of the first line containing `needle`. */
static char *wait_for_log_line(const char *needle)
{
    for (int tries = 0; tries < 200; tries++) {
        char *line = NULL;
        const char *hit;

        pthread_mutex_lock(&log_lock);
        hit = strstr(gr_buf_cstr(&log_text), needle);
        if (hit != NULL) {
            const char *start = hit;
            const char *end = strchr(hit, '\n');

            while (start > log_text.data && start[-1] != '\n')
                start--;
            line = gr_xstrndup(start, (size_t)(end - start));
        }
        pthread_mutex_unlock(&log_lock);
        if (line != NULL)
            return line;
        poll(NULL, 0, 10);
    }
    return NULL;
}

static char *url_of(const char *path)
{
    return gr_xasprintf("http://127.0.0.1:%d%s", gr_http_server_port(server), path);
}

static gr_test_output request(const char *method, const char *path, const char *const *headers,
                              const char *body)
{
    char *url = url_of(path);
    gr_test_output out = gr_test_http(method, url, headers, body);

    free(url);
    return out;
}

/* Returns the value of the last header `name` in a block of response
 * headers (caller frees), or NULL. */
static char *header_value(const char *headers, const char *name)
{
    size_t name_len = strlen(name);
    char *value = NULL;

    for (const char *line = headers; line != NULL && *line != '\0';) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (len > name_len && strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *v = line + name_len + 1;

            while (*v == ' ')
                v++;
            free(value);
            value = gr_xstrndup(v, len - (size_t)(v - line));
        }
        line = end ? end + 2 : NULL;
    }
    return value;
}

static void assert_header(const char *headers, const char *name, const char *expected)
{
    char *value = header_value(headers, name);

    if (value == NULL)
        fail_msg("header %s is missing in:\n%s", name, headers);
    assert_string_equal(value, expected);
    free(value);
}

/* ---- handlers ------------------------------------------------------------ */

static int entity_by_name(gr_request *req, gr_response *res, void *payload)
{
    (void)payload;
    return gr_res_json(res, 200,
                       json_pack("{s:s,s:s,s:s}", "kind", gr_req_param(req, "kind"), "namespace",
                                 gr_req_param(req, "namespace"), "name",
                                 gr_req_param(req, "name")));
}

static int files_get(gr_request *req, gr_response *res, void *payload)
{
    const char *rest = gr_req_param(req, "*");

    (void)payload;
    gr_res_body(res, 200, "text/plain", rest, strlen(rest));
    return 0;
}

static json_t *string_array(const char **values, size_t count)
{
    json_t *array = json_array();

    for (size_t i = 0; i < count; i++)
        json_array_append_new(array, json_string(values[i]));
    return array;
}

static int query_get(gr_request *req, gr_response *res, void *payload)
{
    size_t filter_count = 0;
    size_t field_count = 0;
    const char **filters = gr_req_query_all(req, "filter", &filter_count);
    const char **fields = gr_req_query_split(req, "fields", ',', &field_count);
    const char *term = gr_req_query(req, "term");

    (void)payload;
    return gr_res_json(res, 200,
                       json_pack("{s:o,s:o,s:o,s:i}", "term",
                                 term ? json_string(term) : json_null(), "filter",
                                 string_array(filters, filter_count), "fields",
                                 string_array(fields, field_count), "count",
                                 (int)gr_req_query_count(req)));
}

static int echo_post(gr_request *req, gr_response *res, void *payload)
{
    size_t len = 0;
    const char *body = gr_req_body(req, &len);

    (void)payload;
    gr_res_body(res, 200, "application/octet-stream", body, len);
    return 0;
}

static int fail_get(gr_request *req, gr_response *res, void *payload)
{
    const char *code = gr_req_param(req, "code");

    (void)res;
    (void)payload;
    if (strcmp(code, "notfound") == 0)
        return gr_error_set(GR_ENOTFOUND, "No entity named 'x' found");
    if (strncmp(code, "echo-", 5) == 0)
        return gr_error_set(GR_EINVALID, "bad value '%s'", code + 5);
    /* Request paths that do not decode to UTF-8 are rejected before a handler runs. */
    if (strcmp(code, "invalid-utf8") == 0)
        return gr_error_set(GR_EINVALID, "bad value 'a\xff" "b'");
    if (strcmp(code, "conflict") == 0)
        return gr_res_error(res, GR_ECONFLICT, "Location %s already exists", "url:x");
    return gr_error_set(GR_ERROR, "database password=hunter2 rejected");
}

static int etag_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    if (gr_res_etag(res, "v1"))
        return 0;
    gr_res_body(res, 200, "text/plain", "hello", 5);
    return 0;
}

static int csp_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    gr_res_header(res, "Content-Security-Policy", "default-src 'none'");
    gr_res_body(res, 200, "text/html", "<p>x</p>", 8);
    return 0;
}

static int redirect_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    return gr_res_redirect(res, 302, "/target");
}

static int no_response(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)res;
    (void)payload;
    return 0;
}

static int whoami(gr_request *req, gr_response *res, void *payload)
{
    const char *identity = gr_req_identity(req);

    (void)payload;
    gr_res_body(res, 200, "text/plain", identity, strlen(identity));
    return 0;
}

static int authenticate(gr_request *req, void *payload)
{
    const char *header = gr_req_header(req, "Authorization");

    (void)payload;
    if (header == NULL)
        return gr_error_set(GR_EUNAUTH, "Missing credentials");
    if (strcmp(header, "Bearer denied") == 0)
        return gr_error_set(GR_EDENIED, "Access denied");
    if (strcmp(header, "Bearer good") != 0)
        return gr_error_set(GR_EUNAUTH, "Illegal token");
    gr_req_set_identity(req, gr_arena_strdup(gr_req_arena(req), "user:default/alice"));
    return 0;
}

/* Redirects requests marked as browser page views; declines the others,
 * one of them after overwriting the thread's error message. */
static int unauthenticated(gr_request *req, gr_response *res, void *payload)
{
    const char *browser = gr_req_header(req, "X-Browser");

    (void)payload;
    if (browser != NULL && strcmp(browser, "page") == 0)
        return gr_res_redirect(res, 302, "/signin");
    if (browser != NULL && strcmp(browser, "clobber") == 0)
        gr_error_set(GR_EINVALID, "hook message");
    return 1;
}

typedef struct {
    int step;
} stream_state;

static ssize_t stream_read(void *payload, char *buf, size_t max)
{
    stream_state *state = payload;
    const char *chunk = NULL;

    switch (state->step++) {
    case 0:
        chunk = "data: 1\n\n";
        break;
    case 1:
    case 2:
        return 0; /* nothing yet: the connection is suspended and polled */
    case 3:
        chunk = "data: 2\n\n";
        break;
    default:
        return GR_STREAM_END;
    }
    assert_true(strlen(chunk) <= max);
    memcpy(buf, chunk, strlen(chunk));
    return (ssize_t)strlen(chunk);
}

static void stream_free(void *payload)
{
    free(payload);
    atomic_fetch_add(&stream_freed, 1);
}

static int stream_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    return gr_res_stream(res, 200, "text/event-stream", stream_read,
                         gr_xcalloc(1, sizeof(stream_state)), stream_free);
}

static int accessors_get(gr_request *req, gr_response *res, void *payload)
{
    const char *first_name = "";
    const char *first_value = "";

    (void)payload;
    gr_req_query_at(req, 0, &first_name, &first_value);
    return gr_res_json(res, 200,
                       json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "method",
                                 gr_req_method(req), "path", gr_req_path(req), "url",
                                 gr_req_url(req), "route", gr_req_route(req), "client",
                                 gr_req_client_addr(req), "first", first_name, "value",
                                 first_value, "missing_param", gr_req_param(req, "nope") == NULL,
                                 "past_end", gr_req_query_at(req, 9, &first_name,
                                                             &first_value) == GR_ENOTFOUND));
}

static int is_ready(void *payload)
{
    (void)payload;
    return atomic_load(&ready_flag);
}

static int server_setup(void **state)
{
    static const struct {
        const char *method;
        const char *pattern;
        unsigned flags;
        gr_http_handler handler;
    } routes[] = {
        {"GET", "/api/test/entities/by-name/:kind/:namespace/:name", GR_ROUTE_PUBLIC,
         entity_by_name},
        {"GET", "/api/test/counted", GR_ROUTE_PUBLIC, etag_get},
        {"GET", "/files/*", GR_ROUTE_PUBLIC, files_get},
        {"GET", "/api/test/query", GR_ROUTE_PUBLIC, query_get},
        {"POST", "/echo", GR_ROUTE_PUBLIC, echo_post},
        {"GET", "/api/test/fail/:code", GR_ROUTE_PUBLIC, fail_get},
        {"GET", "/etag", GR_ROUTE_PUBLIC, etag_get},
        {"GET", "/csp", GR_ROUTE_PUBLIC, csp_get},
        {"GET", "/redirect", GR_ROUTE_PUBLIC, redirect_get},
        {"GET", "/no-response", GR_ROUTE_PUBLIC, no_response},
        {"GET", "/stream", GR_ROUTE_PUBLIC, stream_get},
        {"GET", "/api/test/whoami", 0, whoami},
        {"GET", "/api/test/accessors/:id", GR_ROUTE_PUBLIC, accessors_get},
    };
    gr_http_options opts = {0};

    (void)state;
    gr_log_set_sink(capture_log, NULL);
    opts.threads = 2;
    opts.max_body_bytes = 1024;
    opts.ready = is_ready;
    opts.metrics_public = 1;
    assert_int_equal(gr_http_server_new(&server, &opts), 0);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        assert_int_equal(gr_http_route(server, routes[i].method, routes[i].pattern,
                                       routes[i].flags, routes[i].handler, NULL),
                         0);
    gr_http_set_authenticator(server, authenticate, NULL);
    gr_http_set_unauthenticated(server, unauthenticated, NULL);
    assert_int_equal(gr_http_server_start(server), 0);
    assert_true(gr_http_server_port(server) > 0);
    return 0;
}

static int server_teardown(void **state)
{
    (void)state;
    gr_http_server_free(server);
    server = NULL;
    gr_log_set_sink(NULL, NULL);
    gr_buf_free(&log_text);
    return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void route_params_decoded(void **state)
{
    gr_test_output out =
        request("GET", "/api/test/entities/by-name/component/default/a%2Fb%20c+d", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "{\"kind\":\"component\",\"namespace\":\"default\","
                                 "\"name\":\"a/b c+d\"}");
    assert_header(out.err, "Content-Type", "application/json; charset=utf-8");
    gr_test_output_free(&out);
}

/* Checks that GET `path` gets 400 InputError with `message`, and frees the output. */
static void assert_path_rejected(const char *path, const char *message)
{
    gr_test_output out = request("GET", path, NULL, NULL);
    json_t *body;

    assert_int_equal(out.status, 400);
    body = json_loads(out.out, 0, NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "error"), "name")),
                        "InputError");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "error"), "message")), message);
    json_decref(body);
    gr_test_output_free(&out);
}

static void route_bad_escape_400(void **state)
{
    (void)state;
    assert_path_rejected("/api/test/entities/by-name/x/y/%zz",
                         "The request path has a malformed percent-encoding");
}

static void route_encoded_nul_400(void **state)
{
    (void)state;
    assert_path_rejected("/api/test/entities/by-name/x/y/a%00b",
                         "The request path contains an encoded NUL (%00), which no name, id or "
                         "parameter may contain");
}

static void route_invalid_utf8_400(void **state)
{
    (void)state;
    assert_path_rejected("/api/test/entities/by-name/x/y/%FF",
                         "The request path has a percent-encoding that does not decode to UTF-8");
}

static void route_wildcard_rest(void **state)
{
    gr_test_output out = request("GET", "/files/a/b%20c/d.html", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "a/b c/d.html");
    gr_test_output_free(&out);

    out = request("GET", "/files", NULL, NULL);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "");
    gr_test_output_free(&out);
}

static const char *const good_token[] = {"Authorization: Bearer good", NULL};

static void route_unknown_404(void **state)
{
    gr_test_output out = request("GET", "/api/test/nothing?token=abc", good_token, NULL);

    (void)state;
    assert_int_equal(out.status, 404);
    assert_string_equal(out.out,
                        "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"No route for GET "
                        "/api/test/nothing\"},\"request\":{\"method\":\"GET\",\"url\":"
                        "\"/nothing?token=abc\"},\"response\":{\"statusCode\":404}}");
    gr_test_output_free(&out);

    /* Without credentials the caller learns nothing about which paths exist. */
    out = request("GET", "/api/test/nothing", NULL, NULL);
    assert_int_equal(out.status, 401);
    assert_non_null(strstr(out.out, "\"name\":\"AuthenticationError\""));
    gr_test_output_free(&out);

    /* The router decodes segments, so an encoded "api" is under /api/ too. */
    out = request("GET", "/%61pi/test/nothing", NULL, NULL);
    assert_int_equal(out.status, 401);
    assert_non_null(strstr(out.out, "\"name\":\"AuthenticationError\""));
    gr_test_output_free(&out);
}

static void route_wrong_method_405(void **state)
{
    gr_test_output out = request("DELETE", "/api/test/query", NULL, NULL);
    json_t *body;

    (void)state;
    assert_int_equal(out.status, 401);
    assert_null(strstr(out.err, "Allow:"));
    gr_test_output_free(&out);

    out = request("DELETE", "/%61pi/test/query", NULL, NULL);
    assert_int_equal(out.status, 401);
    assert_null(strstr(out.err, "Allow:"));
    gr_test_output_free(&out);

    out = request("DELETE", "/api/test/query", good_token, NULL);
    assert_int_equal(out.status, 405);
    assert_header(out.err, "Allow", "GET, HEAD");
    body = json_loads(out.out, 0, NULL);
    assert_non_null(body);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(body, "response"), "statusCode")), 405);
    json_decref(body);
    gr_test_output_free(&out);
}

static void route_head_served_by_get(void **state)
{
    gr_test_output get = request("GET", "/api/test/entities/by-name/a/b/c", NULL, NULL);
    gr_test_output head = request("HEAD", "/api/test/entities/by-name/a/b/c", NULL, NULL);
    char *length = NULL;

    (void)state;
    assert_int_equal(head.status, 200);
    assert_int_equal(head.out_len, 0);
    length = gr_xasprintf("%zu", get.out_len);
    assert_header(head.err, "Content-Length", length);
    free(length);
    gr_test_output_free(&get);
    gr_test_output_free(&head);
}

static void query_repeated_values(void **state)
{
    gr_test_output out = request(
        "GET", "/api/test/query?filter=kind%3Dcomponent&term=a+b&filter=kind=api,spec.type=x"
               "&fields=a,b&fields=c,,&flag",
        NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "{\"term\":\"a b\",\"filter\":[\"kind=component\","
                                 "\"kind=api,spec.type=x\"],\"fields\":[\"a\",\"b\",\"c\"],"
                                 "\"count\":6}");
    gr_test_output_free(&out);
}

/* A value that does not decode to UTF-8, or has a malformed escape, is kept as written. */
static void query_undecodable_kept(void **state)
{
    gr_test_output out =
        request("GET", "/api/test/query?filter=kind=%FF&filter=name=%E9t%C3%A9&term=a+%zz", NULL,
                NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "{\"term\":\"a %zz\",\"filter\":[\"kind=%FF\","
                                 "\"name=%E9t%C3%A9\"],\"fields\":[],\"count\":3}");
    gr_test_output_free(&out);
}

static void query_absent_is_null(void **state)
{
    gr_test_output out = request("GET", "/api/test/query", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "{\"term\":null,\"filter\":[],\"fields\":[],\"count\":0}");
    gr_test_output_free(&out);
}

static char *body_of(size_t len)
{
    char *body = gr_xmalloc(len + 1);

    memset(body, 'x', len);
    body[len] = '\0';
    return body;
}

static void body_at_limit_accepted(void **state)
{
    char *body = body_of(1024);
    gr_test_output out = request("POST", "/echo", NULL, body);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_int_equal(out.out_len, 1024);
    assert_memory_equal(out.out, body, 1024);
    free(body);
    gr_test_output_free(&out);
}

static void body_over_limit_413(void **state)
{
    char *body = body_of(1025);
    gr_test_output out = request("POST", "/echo", NULL, body);
    json_t *parsed;

    (void)state;
    assert_int_equal(out.status, 413);
    parsed = json_loads(out.out, 0, NULL);
    assert_non_null(parsed);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(parsed, "error"), "name")),
        "PayloadTooLargeError");
    json_decref(parsed);
    free(body);
    gr_test_output_free(&out);
}

static void body_chunked_over_limit_413(void **state)
{
    static const char *const headers[] = {"Transfer-Encoding: chunked", NULL};
    char *body = body_of(5000);
    gr_test_output out = request("POST", "/echo", headers, body);

    (void)state;
    assert_int_equal(out.status, 413);
    free(body);
    gr_test_output_free(&out);
}

static void error_body_from_code(void **state)
{
    gr_test_output out = request("GET", "/api/test/fail/notfound?x=1", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 404);
    assert_string_equal(out.out, "{\"error\":{\"name\":\"NotFoundError\",\"message\":\"No entity "
                                 "named 'x' found\"},\"request\":{\"method\":\"GET\",\"url\":"
                                 "\"/fail/notfound?x=1\"},\"response\":{\"statusCode\":404}}");
    assert_header(out.err, "Content-Type", "application/json; charset=utf-8");
    gr_test_output_free(&out);

    out = request("GET", "/api/test/fail/conflict", NULL, NULL);
    assert_int_equal(out.status, 409);
    assert_non_null(strstr(out.out, "\"name\":\"ConflictError\",\"message\":\"Location url:x "
                                    "already exists\""));
    gr_test_output_free(&out);
}

static void error_invalid_utf8_repaired(void **state)
{
    gr_test_output out = request("GET", "/api/test/fail/invalid-utf8", NULL, NULL);
    json_t *body;

    (void)state;
    assert_int_equal(out.status, 400);
    body = json_loads(out.out, 0, NULL);
    assert_non_null(body);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "error"), "message")),
        "bad value 'a\xef\xbf\xbd" "b'");
    json_decref(body);
    gr_test_output_free(&out);
}

static void error_internal_hidden(void **state)
{
    gr_test_output out = request("GET", "/api/test/fail/internal", NULL, NULL);
    char *line;

    (void)state;
    assert_int_equal(out.status, 500);
    assert_null(strstr(out.out, "hunter2"));
    assert_non_null(strstr(out.out, "\"message\":\"Internal server error\""));
    line = wait_for_log_line("database password=hunter2 rejected");
    assert_non_null(line);
    free(line);
    gr_test_output_free(&out);

    out = request("GET", "/no-response", NULL, NULL);
    assert_int_equal(out.status, 500);
    gr_test_output_free(&out);
}

static void etag_not_modified(void **state)
{
    static const char *const match[] = {"If-None-Match: \"v0\", W/\"v1\"", NULL};
    static const char *const other[] = {"If-None-Match: \"v2\"", NULL};
    gr_test_output out = request("GET", "/etag", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_header(out.err, "ETag", "\"v1\"");
    assert_string_equal(out.out, "hello");
    gr_test_output_free(&out);

    out = request("GET", "/etag", match, NULL);
    assert_int_equal(out.status, 304);
    assert_int_equal(out.out_len, 0);
    assert_header(out.err, "ETag", "\"v1\"");
    gr_test_output_free(&out);

    out = request("GET", "/etag", other, NULL);
    assert_int_equal(out.status, 200);
    gr_test_output_free(&out);
}

static void security_headers_present(void **state)
{
    static const char *const paths[] = {"/etag", "/api/test/nothing", "/redirect"};

    (void)state;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        gr_test_output out = request("GET", paths[i], NULL, NULL);

        assert_header(out.err, "X-Content-Type-Options", "nosniff");
        assert_header(out.err, "X-Frame-Options", "DENY");
        assert_header(out.err, "Referrer-Policy", "same-origin");
        assert_header(out.err, "Content-Security-Policy",
                      "default-src 'self'; base-uri 'self'; form-action 'self'; "
                      "frame-ancestors 'none'; object-src 'none'");
        gr_test_output_free(&out);
    }
}

static void security_csp_overridden(void **state)
{
    gr_test_output out = request("GET", "/csp", NULL, NULL);
    const char *first = strstr(out.err, "Content-Security-Policy");

    (void)state;
    assert_header(out.err, "Content-Security-Policy", "default-src 'none'");
    assert_non_null(first);
    assert_null(strstr(first + 1, "Content-Security-Policy"));
    gr_test_output_free(&out);
}

static void redirect_sets_location(void **state)
{
    gr_test_output out = request("GET", "/redirect", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 302);
    assert_header(out.err, "Location", "/target");
    gr_test_output_free(&out);
}

static int is_hex_id(const char *id)
{
    if (strlen(id) != 32)
        return 0;
    for (const char *p = id; *p != '\0'; p++) {
        if (!isxdigit((unsigned char)*p))
            return 0;
    }
    return 1;
}

static void request_accessors(void **state)
{
    gr_test_output out = request("GET", "/api/test/accessors/a%20b?x%20y=1%2B2&z", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "{\"method\":\"GET\",\"path\":\"/api/test/accessors/a%20b\","
                                 "\"url\":\"/api/test/accessors/a%20b?x%20y=1%2B2&z\","
                                 "\"route\":\"/api/test/accessors/:id\",\"client\":"
                                 "\"127.0.0.1\",\"first\":\"x y\",\"value\":\"1+2\","
                                 "\"missing_param\":true,\"past_end\":true}");
    gr_test_output_free(&out);
}

static void request_id_echoed(void **state)
{
    static const char *const given[] = {"X-Request-Id: trace-42.a_b", NULL};
    gr_test_output out = request("GET", "/etag", given, NULL);

    (void)state;
    assert_header(out.err, "X-Request-Id", "trace-42.a_b");
    gr_test_output_free(&out);
}

static void request_id_generated(void **state)
{
    static const char *const invalid[] = {"X-Request-Id: bad id;drop", NULL};
    gr_test_output first = request("GET", "/etag", NULL, NULL);
    gr_test_output second = request("GET", "/etag", invalid, NULL);
    char *first_id = header_value(first.err, "X-Request-Id");
    char *second_id = header_value(second.err, "X-Request-Id");

    (void)state;
    assert_non_null(first_id);
    assert_non_null(second_id);
    assert_true(is_hex_id(first_id));
    assert_true(is_hex_id(second_id));
    assert_string_not_equal(first_id, second_id);
    free(first_id);
    free(second_id);
    gr_test_output_free(&first);
    gr_test_output_free(&second);
}

static void request_log_line(void **state)
{
    static const char *const given[] = {"X-Request-Id: log-line-test", NULL};
    gr_test_output out = request("GET", "/api/test/query?token=SECRET123", given, NULL);
    char *bytes = gr_xasprintf(" bytes=%zu", out.out_len);
    char *line;

    (void)state;
    assert_int_equal(out.status, 200);
    line = wait_for_log_line("req=log-line-test msg=request");
    assert_non_null(line);
    assert_non_null(strstr(line, "mod=http"));
    assert_non_null(strstr(line, " method=GET path=/api/test/query route=/api/test/query "
                                 "status=200 duration_ms="));
    assert_non_null(strstr(line, bytes));
    assert_null(strstr(line, "SECRET123"));
    free(bytes);
    free(line);
    gr_test_output_free(&out);
}

static void health_liveness_ok(void **state)
{
    gr_test_output out = request("GET", "/.backstage/health/v1/liveness", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "{\"status\":\"ok\"}");
    assert_header(out.err, "Content-Type", "application/json; charset=utf-8");
    gr_test_output_free(&out);
}

static void health_readiness_follows_callback(void **state)
{
    gr_test_output out = request("GET", "/.backstage/health/v1/readiness", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "{\"status\":\"ok\"}");
    gr_test_output_free(&out);

    atomic_store(&ready_flag, 0);
    out = request("GET", "/.backstage/health/v1/readiness", NULL, NULL);
    atomic_store(&ready_flag, 1);
    assert_int_equal(out.status, 503);
    assert_string_equal(out.out, "{\"message\":\"Backend has not started yet\",\"status\":"
                                 "\"error\"}");
    gr_test_output_free(&out);
}

/* Polls /metrics until it contains `needle` (the counters of a request are
 * updated after its response is sent). Returns the last text (caller frees). */
static char *metrics_with(const char *needle)
{
    char *text = NULL;

    for (int tries = 0; tries < 100; tries++) {
        gr_test_output out = request("GET", "/metrics", NULL, NULL);

        free(text);
        text = out.out;
        free(out.err);
        if (strstr(text, needle) != NULL)
            break;
        poll(NULL, 0, 20);
    }
    return text;
}

static void metrics_count_requests(void **state)
{
    const char *counter = "http_requests_total{route=\"/api/test/counted\",method=\"GET\","
                          "status=\"200\"} 3\n";
    const char *histogram = "http_request_duration_seconds_count{route=\"/api/test/counted\"} 3\n";
    char *text;

    (void)state;
    for (int i = 0; i < 3; i++) {
        gr_test_output out = request("GET", "/api/test/counted", NULL, NULL);

        assert_int_equal(out.status, 200);
        gr_test_output_free(&out);
    }
    text = metrics_with(counter);
    assert_non_null(strstr(text, counter));
    assert_non_null(strstr(text, histogram));
    assert_non_null(strstr(text, "# TYPE http_request_duration_seconds histogram\n"));
    assert_non_null(strstr(text, "\nprocess_resident_memory_bytes "));
    assert_non_null(strstr(text, "\nprocess_start_time_seconds "));
    free(text);
}

static void metrics_plugin_counter(void **state)
{
    char *text;

    (void)state;
    assert_int_equal(gr_metrics_counter_add(gr_http_server_metrics(server),
                                            "catalog_refreshes_total", 2, "kind", "component",
                                            NULL),
                     0);
    text = metrics_with("catalog_refreshes_total{kind=\"component\"} 2\n");
    assert_non_null(strstr(text, "catalog_refreshes_total{kind=\"component\"} 2\n"));
    free(text);
}

static void auth_rejects_missing(void **state)
{
    static const char *const bad[] = {"Authorization: Bearer nope", NULL};
    static const char *const denied[] = {"Authorization: Bearer denied", NULL};
    gr_test_output out = request("GET", "/api/test/whoami", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 401);
    assert_string_equal(out.out, "{\"error\":{\"name\":\"AuthenticationError\",\"message\":"
                                 "\"Missing credentials\"},\"request\":{\"method\":\"GET\","
                                 "\"url\":\"/whoami\"},\"response\":{\"statusCode\":401}}");
    gr_test_output_free(&out);

    out = request("GET", "/api/test/whoami", bad, NULL);
    assert_int_equal(out.status, 401);
    assert_non_null(strstr(out.out, "Illegal token"));
    gr_test_output_free(&out);

    out = request("GET", "/api/test/whoami", denied, NULL);
    assert_int_equal(out.status, 403);
    assert_non_null(strstr(out.out, "\"name\":\"NotAllowedError\""));
    gr_test_output_free(&out);
}

static void auth_hook_answers_401(void **state)
{
    static const char *const page[] = {"X-Browser: page", NULL};
    static const char *const clobber[] = {"X-Browser: clobber", NULL};
    static const char *const denied[] = {"X-Browser: page", "Authorization: Bearer denied", NULL};
    gr_test_output out = request("GET", "/api/test/whoami", page, NULL);

    (void)state;
    assert_int_equal(out.status, 302);
    assert_header(out.err, "Location", "/signin");
    gr_test_output_free(&out);

    /* A hook that declines leaves the authenticator's 401 and message. */
    out = request("GET", "/api/test/whoami", clobber, NULL);
    assert_int_equal(out.status, 401);
    assert_non_null(strstr(out.out, "\"message\":\"Missing credentials\""));
    gr_test_output_free(&out);

    /* Only 401s reach the hook: a 403 stays a 403. */
    out = request("GET", "/api/test/whoami", denied, NULL);
    assert_int_equal(out.status, 403);
    gr_test_output_free(&out);
}

static void auth_sets_identity(void **state)
{
    static const char *const good[] = {"Authorization: Bearer good", NULL};
    gr_test_output out = request("GET", "/api/test/whoami", good, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "user:default/alice");
    gr_test_output_free(&out);
}

static void auth_skips_public(void **state)
{
    gr_test_output out = request("GET", "/metrics", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    gr_test_output_free(&out);
    out = request("GET", "/.backstage/health/v1/readiness", NULL, NULL);
    assert_int_equal(out.status, 200);
    gr_test_output_free(&out);
}

static void stream_sends_chunks(void **state)
{
    int freed_before = atomic_load(&stream_freed);
    gr_test_output out = request("GET", "/stream", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_string_equal(out.out, "data: 1\n\ndata: 2\n\n");
    assert_header(out.err, "Content-Type", "text/event-stream");
    assert_header(out.err, "Transfer-Encoding", "chunked");
    assert_header(out.err, "Cache-Control", "no-cache");
    for (int tries = 0; tries < 100 && atomic_load(&stream_freed) == freed_before; tries++)
        poll(NULL, 0, 10);
    assert_int_equal(atomic_load(&stream_freed), freed_before + 1);
    gr_test_output_free(&out);
}

/* Sends `text` on `fd` and returns what arrives until the server is silent for 500 ms. */
static char *exchange(int fd, const char *text)
{
    struct pollfd entry = {.fd = fd, .events = POLLIN};
    gr_buf reply = GR_BUF_INIT;
    char chunk[4096];
    char *out;

    assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
    while (poll(&entry, 1, 500) > 0) {
        ssize_t len = recv(fd, chunk, sizeof(chunk), 0);

        if (len <= 0)
            break;
        gr_buf_append(&reply, chunk, (size_t)len);
    }
    out = gr_xstrdup(gr_buf_cstr(&reply));
    gr_buf_free(&reply);
    return out;
}

/* A HEAD response carries no body, not even the last chunk of a stream, which a client such as
 * Node.js would read as the start of the next response on the connection. */
static void stream_head_sends_no_body(void **state)
{
    int fd = gr_test_connect_local(gr_http_server_port(server));
    char *head;
    const char *end;

    (void)state;
    assert_true(fd >= 0);
    head = exchange(fd, "HEAD /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert_true(strncmp(head, "HTTP/1.1 200", 12) == 0);
    assert_non_null(strstr(head, "Content-Type: text/event-stream"));
    end = strstr(head, "\r\n\r\n");
    assert_non_null(end);
    assert_string_equal(end, "\r\n\r\n");
    assert_null(strcasestr(head, "Content-Length:"));
    assert_null(strcasestr(head, "Transfer-Encoding:"));
    assert_non_null(strcasestr(head, "Connection: close"));
    close(fd);
    free(head);
}

static void limit_url_too_long_414(void **state)
{
    char *path = gr_xmalloc(GR_HTTP_MAX_URL_BYTES + 16);
    gr_test_output out;

    (void)state;
    strcpy(path, "/etag?");
    memset(path + 6, 'a', GR_HTTP_MAX_URL_BYTES);
    path[GR_HTTP_MAX_URL_BYTES + 6] = '\0';
    out = request("GET", path, NULL, NULL);
    assert_int_equal(out.status, 414);
    assert_non_null(strstr(out.out, "\"statusCode\":414"));
    free(path);
    gr_test_output_free(&out);
}

static void limit_query_params_400(void **state)
{
    gr_buf path = GR_BUF_INIT;
    gr_test_output out;

    (void)state;
    gr_buf_puts(&path, "/api/test/query?");
    for (int i = 0; i <= GR_HTTP_MAX_QUERY_PARAMS; i++)
        gr_buf_puts(&path, "a=1&");
    out = request("GET", gr_buf_cstr(&path), NULL, NULL);
    assert_int_equal(out.status, 400);
    assert_non_null(strstr(out.out, "too many parameters"));
    gr_buf_free(&path);
    gr_test_output_free(&out);
}

/* Empty pairs are no parameters, so they do not count toward the limit. */
static void limit_query_params_skips_empty(void **state)
{
    gr_buf path = GR_BUF_INIT;
    gr_test_output out;

    (void)state;
    /* Every '&' still takes a record in libmicrohttpd's pool, so the empty pairs stay few. */
    gr_buf_puts(&path, "/api/test/query?");
    for (int i = 0; i < GR_HTTP_MAX_QUERY_PARAMS; i++)
        gr_buf_puts(&path, i % 4 == 0 ? "filter=a&&" : "filter=a&");
    out = request("GET", gr_buf_cstr(&path), NULL, NULL);
    assert_int_equal(out.status, 200);
    assert_non_null(strstr(out.out, "\"count\":256"));
    gr_buf_free(&path);
    gr_test_output_free(&out);
}

static void limit_decoded_nul_400(void **state)
{
    gr_test_output out = request("GET", "/files/a%00b", NULL, NULL);

    (void)state;
    assert_int_equal(out.status, 400);
    gr_test_output_free(&out);
}

static gr_test_output request_with_header_of(size_t size)
{
    char *header = gr_xmalloc(size + 8);
    const char *headers[] = {header, NULL};
    gr_test_output out;

    strcpy(header, "X-Big: ");
    memset(header + 7, 'b', size);
    header[size + 7] = '\0';
    out = request("GET", "/etag", headers, NULL);
    free(header);
    return out;
}

static void limit_headers_too_large(void **state)
{
    gr_test_output out = request_with_header_of(GR_HTTP_MAX_HEADER_BYTES);

    (void)state;
    assert_int_equal(out.status, 431);
    assert_non_null(strstr(out.out, "\"statusCode\":431"));
    gr_test_output_free(&out);

    /* Past the connection's memory pool, libmicrohttpd sends its own 431. */
    out = request_with_header_of(4 * GR_HTTP_MAX_HEADER_BYTES);
    assert_int_equal(out.status, 431);
    gr_test_output_free(&out);

    out = request_with_header_of(GR_HTTP_MAX_HEADER_BYTES - 1024);
    assert_int_equal(out.status, 200);
    gr_test_output_free(&out);
}

static size_t discard(char *data, size_t size, size_t count, void *payload)
{
    (void)data;
    (void)payload;
    return size * count;
}

static void keep_alive_reuses_connection(void **state)
{
    char *url = url_of("/etag");
    CURL *curl = curl_easy_init();
    long connects = -1;

    (void)state;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
    assert_int_equal(connects, 0);
    curl_easy_cleanup(curl);
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_params_decoded),
        cmocka_unit_test(route_invalid_utf8_400),
        cmocka_unit_test(query_undecodable_kept),
        cmocka_unit_test(route_bad_escape_400),
        cmocka_unit_test(route_encoded_nul_400),
        cmocka_unit_test(route_wildcard_rest),
        cmocka_unit_test(route_unknown_404),
        cmocka_unit_test(route_wrong_method_405),
        cmocka_unit_test(route_head_served_by_get),
        cmocka_unit_test(query_repeated_values),
        cmocka_unit_test(query_absent_is_null),
        cmocka_unit_test(body_at_limit_accepted),
        cmocka_unit_test(body_over_limit_413),
        cmocka_unit_test(body_chunked_over_limit_413),
        cmocka_unit_test(error_body_from_code),
        cmocka_unit_test(error_invalid_utf8_repaired),
        cmocka_unit_test(error_internal_hidden),
        cmocka_unit_test(etag_not_modified),
        cmocka_unit_test(security_headers_present),
        cmocka_unit_test(security_csp_overridden),
        cmocka_unit_test(redirect_sets_location),
        cmocka_unit_test(request_accessors),
        cmocka_unit_test(request_id_echoed),
        cmocka_unit_test(request_id_generated),
        cmocka_unit_test(request_log_line),
        cmocka_unit_test(health_liveness_ok),
        cmocka_unit_test(health_readiness_follows_callback),
        cmocka_unit_test(metrics_count_requests),
        cmocka_unit_test(metrics_plugin_counter),
        cmocka_unit_test(auth_rejects_missing),
        cmocka_unit_test(auth_sets_identity),
        cmocka_unit_test(auth_skips_public),
        cmocka_unit_test(stream_sends_chunks),
        cmocka_unit_test(limit_url_too_long_414),
        cmocka_unit_test(limit_query_params_400),
        cmocka_unit_test(limit_query_params_skips_empty),
        cmocka_unit_test(limit_decoded_nul_400),
        cmocka_unit_test(limit_headers_too_large),
        cmocka_unit_test(keep_alive_reuses_connection),
        cmocka_unit_test(stream_head_sends_no_body),
        cmocka_unit_test(auth_hook_answers_401),
    };

    return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
