/* SPDX-License-Identifier: MIT */
/* Tests that cross the size limit of SCM REST responses, against a loopback server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/scaffolder/scm.h"

/* A server on 127.0.0.1 that responds to every request with a body of `size` spaces. */
typedef struct {
    int listener;
    int port;
    size_t size;
    pthread_t thread;
} body_server;

/* Reads the request up to its blank line, because the requests here have no body. */
static void read_request(int client)
{
    char buffer[4096];
    size_t have = 0;

    while (have < sizeof(buffer) - 1) {
        ssize_t got = recv(client, buffer + have, sizeof(buffer) - 1 - have, 0);

        if (got <= 0)
            return;
        have += (size_t)got;
        buffer[have] = '\0';
        if (strstr(buffer, "\r\n\r\n") != NULL)
            return;
    }
}

/* Sends the body in chunks and stops early when the client hangs up. */
static void send_body(int client, size_t size)
{
    static char chunk[65536];
    char head[128];
    int len = snprintf(head, sizeof(head),
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                       size);

    memset(chunk, ' ', sizeof(chunk));
    if (send(client, head, (size_t)len, MSG_NOSIGNAL) != len)
        return;
    for (size_t sent = 0; sent < size;) {
        size_t part = size - sent < sizeof(chunk) ? size - sent : sizeof(chunk);
        ssize_t n = send(client, chunk, part, MSG_NOSIGNAL);

        if (n <= 0)
            return;
        sent += (size_t)n;
    }
}

static void *serve(void *payload)
{
    body_server *server = payload;
    int client = accept(server->listener, NULL, NULL);

    if (client >= 0) {
        read_request(client);
        send_body(client, server->size);
        close(client);
    }
    return NULL;
}

static void server_start(body_server *server, size_t size)
{
    struct sockaddr_in address = {.sin_family = AF_INET};
    socklen_t address_len = sizeof(address);

    server->size = size;
    server->listener = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(server->listener >= 0);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(server->listener, (struct sockaddr *)&address, sizeof(address)), 0);
    assert_int_equal(listen(server->listener, 4), 0);
    assert_int_equal(getsockname(server->listener, (struct sockaddr *)&address, &address_len), 0);
    server->port = ntohs(address.sin_port);
    assert_int_equal(pthread_create(&server->thread, NULL, serve, server), 0);
}

static void server_stop(body_server *server)
{
    pthread_join(server->thread, NULL);
    close(server->listener);
}

/* Requests a body of `size` bytes and returns the result of gr_scm_request(). */
static int request_body(size_t size, long *status)
{
    body_server server;
    char *url;
    json_t *response = NULL;
    int rc;

    server_start(&server, size);
    url = gr_xasprintf("http://127.0.0.1:%d/repos/o/r", server.port);
    rc = gr_scm_request("GET", url, GR_SCM_AUTH_NONE, NULL, NULL, status, &response);
    json_decref(response);
    server_stop(&server);
    free(url);
    return rc;
}

/* A response of GR_SCM_MAX_RESPONSE_BYTES is read, but one byte more fails naming the URL. */
static void response_over_max(void **state)
{
    long status = 0;

    (void)state;
    assert_int_equal(request_body(GR_SCM_MAX_RESPONSE_BYTES, &status), 0);
    assert_int_equal(status, 200);
    assert_int_equal(request_body((size_t)GR_SCM_MAX_RESPONSE_BYTES + 1, &status), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "GET http://127.0.0.1:"));
    assert_non_null(strstr(gr_error_last(), "the response is larger than 33554432 bytes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(response_over_max),
    };

    /* The requests go to the loopback server, never through a proxy. */
    setenv("NO_PROXY", "127.0.0.1", 1);
    setenv("no_proxy", "127.0.0.1", 1);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
