/* SPDX-License-Identifier: MIT */
/* Integration tests of connection limits: idle connections from one client cannot stall others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "support/gr_test.h"

/* The flood is larger than the server's connection limit, so without the
 * per-client limit the flood alone would fill the server. */
#define FLOOD_CONNECTIONS 250
#define MAX_CONNECTIONS 200
#define MAX_PER_CLIENT 20
#define HEADERS_TIMEOUT_S 2

/* Milliseconds within which a request of another client must get its
 * response while the flood is held. It is far below the headers timeout, so
 * a timeout freeing connections cannot make the test pass. */
#define ANSWER_BOUND_MS 1000

static const char config[] = "backend:\n"
                             "  listen:\n"
                             "    port: ${GREENROOM_PORT}\n"
                             "  database:\n"
                             "    client: better-sqlite3\n"
                             "    connection: ./data/test.sqlite\n"
                             "  server:\n"
                             "    maxConnections: 200\n"
                             "    maxConnectionsPerClient: 20\n"
                             "    headersTimeout: 2\n"
                             "    timeout: 30\n";

typedef struct {
    char *dir;
    gr_test_server server;
} running;

static void start(running *run)
{
    run->dir = gr_test_tmpdir("http-connections");
    gr_test_write_file(run->dir, "app-config.yaml", config);
    assert_int_equal(gr_test_server_start(&run->server, run->dir, "app-config.yaml", 10000), 0);
    /* The readiness checks also came from 127.0.0.1. On a loaded machine the
     * server may not have seen their connections close yet, so they would
     * count against the per-client limit. */
    usleep(500 * 1000);
}

static void stop(running *run)
{
    assert_int_equal(gr_test_server_stop(&run->server), 0);
    gr_test_rmtree(run->dir);
    free(run->dir);
}

static double now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

/* Connects from loopback address `source` to the server on 127.0.0.1. Every
 * address of 127.0.0.0/8 is local on Linux, so a second source address
 * stands for a second client. Returns the socket, or -1 when `source`
 * cannot be bound. */
static int connect_from(const char *source, int port)
{
    struct sockaddr_in local = {.sin_family = AF_INET};
    struct sockaddr_in remote = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval timeout = {.tv_sec = 5};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    inet_pton(AF_INET, source, &local.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    if (bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0 ||
        connect(fd, (struct sockaddr *)&remote, sizeof(remote)) != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    return fd;
}

/* Returns nonzero when the server has closed `fd` (end of stream or reset). */
static int closed_by_server(int fd)
{
    struct pollfd entry = {.fd = fd, .events = POLLIN};
    char byte;

    if (poll(&entry, 1, 0) <= 0)
        return 0;
    return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

static int count_closed(const int *fds, size_t count)
{
    int closed = 0;

    for (size_t i = 0; i < count; i++)
        closed += fds[i] < 0 || closed_by_server(fds[i]);
    return closed;
}

/* Sends a liveness request on `fd` and returns the response's status code, or 0. */
static int liveness_status(int fd, int keep_alive)
{
    char request[256];
    char response[1024];
    size_t len = 0;
    int status = 0;

    response[0] = '\0';
    snprintf(request, sizeof(request),
             "GET /.backstage/health/v1/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
             keep_alive ? "" : "Connection: close\r\n");
    if (send(fd, request, strlen(request), MSG_NOSIGNAL) != (ssize_t)strlen(request))
        return 0;
    while (len < sizeof(response) - 1 && strstr(response, "\"ok\"}") == NULL) {
        ssize_t n = recv(fd, response + len, sizeof(response) - 1 - len, 0);

        if (n <= 0)
            break;
        len += (size_t)n;
        response[len] = '\0';
    }
    response[len] = '\0';
    if (sscanf(response, "HTTP/1.1 %d", &status) != 1)
        return 0;
    return status;
}

static void idle_flood_spares_other_client(void **state)
{
    running run;
    int fds[FLOOD_CONNECTIONS];
    int other;
    int closed;
    double begin;
    double elapsed;

    (void)state;
    start(&run);
    for (size_t i = 0; i < FLOOD_CONNECTIONS; i++)
        fds[i] = connect_from("127.0.0.1", run.server.port);
    usleep(500 * 1000);

    /* The server accepts at most MAX_PER_CLIENT of them and closes the rest. */
    closed = count_closed(fds, FLOOD_CONNECTIONS);
    assert_true(closed >= FLOOD_CONNECTIONS - MAX_PER_CLIENT);

    other = connect_from("127.0.0.2", run.server.port);
    if (other < 0) {
        for (size_t i = 0; i < FLOOD_CONNECTIONS; i++)
            close(fds[i]);
        stop(&run);
        skip();
    }
    begin = now_ms();
    assert_int_equal(liveness_status(other, 0), 200);
    elapsed = now_ms() - begin;
    print_message("response to the second client after %.1f ms, %d of %d flood connections "
                  "closed\n",
                  elapsed, closed, FLOOD_CONNECTIONS);
    assert_true(elapsed < ANSWER_BOUND_MS);
    close(other);

    for (size_t i = 0; i < FLOOD_CONNECTIONS; i++)
        close(fds[i]);
    stop(&run);
}

static void silent_connections_time_out(void **state)
{
    running run;
    int fds[MAX_PER_CLIENT];
    int fd;

    (void)state;
    start(&run);
    for (size_t i = 0; i < MAX_PER_CLIENT; i++)
        fds[i] = connect_from("127.0.0.1", run.server.port);
    usleep(300 * 1000);
    assert_int_equal(count_closed(fds, MAX_PER_CLIENT), 0);

    /* While they are held, the same client gets no new connection. */
    fd = connect_from("127.0.0.1", run.server.port);
    assert_int_equal(liveness_status(fd, 0), 0);
    close(fd);

    /* libmicrohttpd checks timeouts about once a second, so allow 2 s more. */
    usleep((HEADERS_TIMEOUT_S + 2) * 1000 * 1000);
    assert_int_equal(count_closed(fds, MAX_PER_CLIENT), MAX_PER_CLIENT);

    fd = connect_from("127.0.0.1", run.server.port);
    assert_int_equal(liveness_status(fd, 0), 200);
    close(fd);
    for (size_t i = 0; i < MAX_PER_CLIENT; i++)
        close(fds[i]);
    stop(&run);
}

/* Returns the status code of the response read from `fd`, or 0 when the server closed it. */
static int read_status(int fd)
{
    char response[512];
    ssize_t n = recv(fd, response, sizeof(response) - 1, 0);
    int status = 0;

    if (n <= 0)
        return 0;
    response[n] = '\0';
    if (sscanf(response, "HTTP/1.1 %d", &status) != 1)
        return 0;
    return status;
}

static void slow_body_outlives_headers_timeout(void **state)
{
    static const char headers[] = "POST /.backstage/health/v1/liveness HTTP/1.1\r\n"
                                  "Host: 127.0.0.1\r\nContent-Length: 4\r\n"
                                  "Connection: close\r\n\r\n";
    running run;
    int fd;

    (void)state;
    start(&run);
    fd = connect_from("127.0.0.1", run.server.port);
    assert_int_equal(send(fd, headers, strlen(headers), MSG_NOSIGNAL), (ssize_t)strlen(headers));

    /* Once the headers are complete, the idle timeout (30 s) applies to the body. */
    usleep((HEADERS_TIMEOUT_S + 2) * 1000 * 1000);
    assert_false(closed_by_server(fd));
    assert_int_equal(send(fd, "body", 4, MSG_NOSIGNAL), 4);
    assert_int_equal(read_status(fd), 405);
    close(fd);
    stop(&run);
}

static void idle_keep_alive_times_out(void **state)
{
    running run;
    int fd;

    (void)state;
    start(&run);
    fd = connect_from("127.0.0.1", run.server.port);
    assert_int_equal(liveness_status(fd, 1), 200);

    /* Waiting for the next request counts as waiting for headers. */
    usleep((HEADERS_TIMEOUT_S + 2) * 1000 * 1000);
    assert_true(closed_by_server(fd));
    close(fd);
    stop(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idle_flood_spares_other_client),
        cmocka_unit_test(silent_connections_time_out),
        cmocka_unit_test(slow_body_outlives_headers_timeout),
        cmocka_unit_test(idle_keep_alive_times_out),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
