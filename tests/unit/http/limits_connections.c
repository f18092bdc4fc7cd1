/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the server's total connection limit (backend.server.maxConnections). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/http.h"
#include "support/gr_test.h"

/* Far below the per-client default, so one client crosses the total limit first. */
#define TOTAL_LIMIT 4
/* Time a test waits for something that must not happen, in ms. */
#define WAIT_MS 1000

/* Reads backend.server.maxConnections from a config file into `opts`. */
static void read_max_connections(gr_http_options *opts, int max_connections)
{
    char *dir = gr_test_tmpdir("http-connections");
    char *path = gr_xasprintf("%s/app.yaml", dir);
    char *yaml = gr_xasprintf("backend:\n  server:\n    maxConnections: %d\n", max_connections);
    const char *files[] = {path};
    gr_config_schema *schema = NULL;
    gr_config *cfg = NULL;

    assert_int_equal(gr_config_schema_builtin(&schema), GR_OK);
    gr_test_write_file(dir, "app.yaml", yaml);
    if (gr_config_load(&cfg, files, 1, schema) != GR_OK)
        fail_msg("config: %s", gr_error_last());
    assert_int_equal(gr_http_options_read(cfg, opts), GR_OK);
    gr_config_free(cfg);
    gr_config_schema_free(schema);
    gr_test_rmtree(dir);
    free(yaml);
    free(path);
    free(dir);
}

/* Connects to 127.0.0.1:`port`; returns the socket. */
static int connect_local(int port)
{
    int fd = gr_test_connect_local(port);

    assert_true(fd >= 0);
    return fd;
}

/* Returns nonzero when the server closed `fd` within `wait_ms` (end of stream or reset). */
static int closed_by_server(int fd, int wait_ms)
{
    struct pollfd entry = {.fd = fd, .events = POLLIN};
    char byte;

    if (poll(&entry, 1, wait_ms) <= 0)
        return 0;
    return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

static const char liveness_request[] = "GET /.backstage/health/v1/liveness HTTP/1.1\r\n"
                                       "Host: 127.0.0.1\r\nConnection: close\r\n\r\n";

/* Reads a response from `fd` for up to `wait_ms`; returns its status code, or 0. */
static int read_status(int fd, int wait_ms)
{
    struct timeval timeout = {.tv_sec = wait_ms / 1000, .tv_usec = (wait_ms % 1000) * 1000};
    char response[512];
    ssize_t len;
    int status = 0;

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    len = recv(fd, response, sizeof(response) - 1, 0);
    if (len <= 0)
        return 0;
    response[len] = '\0';
    if (sscanf(response, "HTTP/1.1 %d", &status) != 1)
        return 0;
    return status;
}

static void connections_over_max_wait(void **state)
{
    gr_http_server *server = NULL;
    gr_http_options opts = {0};
    int fds[TOTAL_LIMIT];
    int extra;
    int port;

    (void)state;
    read_max_connections(&opts, TOTAL_LIMIT);
    assert_int_equal(opts.max_connections, TOTAL_LIMIT);
    /* The per-client limit keeps its default of 64, so it does not close any of them. */
    assert_true(opts.max_connections_per_client == 0 ||
                opts.max_connections_per_client > TOTAL_LIMIT + 1);
    /* One thread, so libmicrohttpd does not split the limit between threads. */
    opts.threads = 1;
    assert_int_equal(gr_http_server_new(&server, &opts), GR_OK);
    assert_int_equal(gr_http_server_start(server), GR_OK);
    port = gr_http_server_port(server);

    /* TOTAL_LIMIT idle connections are held open. */
    for (int i = 0; i < TOTAL_LIMIT; i++)
        fds[i] = connect_local(port);
    for (int i = 0; i < TOTAL_LIMIT; i++)
        assert_false(closed_by_server(fds[i], 100));

    /* One more is neither accepted nor closed: libmicrohttpd stops accepting at
     * the limit, so the connection waits in the kernel's listen queue. */
    extra = connect_local(port);
    assert_int_equal(send(extra, liveness_request, strlen(liveness_request), MSG_NOSIGNAL),
                     (ssize_t)strlen(liveness_request));
    assert_false(closed_by_server(extra, WAIT_MS));
    assert_int_equal(read_status(extra, WAIT_MS), 0);

    /* Closing one of the held connections frees a slot, and the waiting one is served. */
    close(fds[0]);
    fds[0] = -1;
    assert_int_equal(read_status(extra, 5000), 200);
    close(extra);

    for (int i = 1; i < TOTAL_LIMIT; i++)
        close(fds[i]);
    gr_http_server_free(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connections_over_max_wait),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
