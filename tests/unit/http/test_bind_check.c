/* SPDX-License-Identifier: MIT */
/* Tests of the listen-address check that `serve` runs before its plugins start, on real sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/common/error.h"
#include "host/http/http.h"

/*
 * Opens a socket listening on `address` ("127.0.0.1" or "::1") and a free
 * port, stored in *port. IPv6 sockets are IPv6-only. Returns the descriptor,
 * or -1 when the address cannot be bound here.
 */
static int listen_on(const char *address, int *port)
{
    struct sockaddr_storage addr;
    socklen_t length;
    int family = strchr(address, ':') != NULL ? AF_INET6 : AF_INET;
    int enabled = 1;
    int fd = socket(family, SOCK_STREAM, 0);

    memset(&addr, 0, sizeof(addr));
    if (family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;

        v6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, address, &v6->sin6_addr);
        length = sizeof(*v6);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &enabled, sizeof(enabled));
    } else {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;

        v4->sin_family = AF_INET;
        inet_pton(AF_INET, address, &v4->sin_addr);
        length = sizeof(*v4);
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, length) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &length) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                     : ((struct sockaddr_in *)&addr)->sin_port);
    return fd;
}

/* Runs the check for `address` and `port` and returns its result, with the error in `message`. */
static int check(const char *address, int port, char *message, size_t size)
{
    gr_http_options options = {.bind_address = address, .port = port};
    gr_http_server *server = NULL;
    int rc = gr_http_server_new(&server, &options);

    if (rc != GR_OK)
        fail_msg("gr_http_server_new(%s) failed: %s", address, gr_error_last());
    rc = gr_http_server_check_bind(server);
    snprintf(message, size, "%s", rc != GR_OK ? gr_error_last() : "");
    gr_error_clear();
    gr_http_server_free(server);
    return rc;
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("'%s' does not contain '%s'", text, part);
}

/* A port that another socket listens on fails on its address and on the wildcard address. */
static void bind_check_port_in_use(void **state)
{
    char message[512];
    int port = 0;
    int fd = listen_on("127.0.0.1", &port);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(check("127.0.0.1", port, message, sizeof(message)), GR_EBACKEND);
    assert_contains(message, "the port is in use");
    assert_contains(message, "backend.listen.port");
    assert_int_equal(check("0.0.0.0", port, message, sizeof(message)), GR_EBACKEND);
    assert_contains(message, "the port is in use");
    close(fd);

    assert_int_equal(check("127.0.0.1", port, message, sizeof(message)), GR_OK);
}

/* Port 0 is any free port, which the check does not bind. */
static void bind_check_port_zero(void **state)
{
    char message[512];

    (void)state;
    assert_int_equal(check("127.0.0.1", 0, message, sizeof(message)), GR_OK);
    assert_int_equal(check("::1", 0, message, sizeof(message)), GR_OK);
}

/* The check binds an IPv6 address IPv6-only, as libmicrohttpd does, so an IPv4 listener on the
 * port does not stop ::1 and an IPv6 one does. */
static void bind_check_ipv6_only(void **state)
{
    char message[512];
    int port = 0;
    int v4 = listen_on("127.0.0.1", &port);
    int v6_port = 0;
    int v6 = listen_on("::1", &v6_port);

    (void)state;
    assert_true(v4 >= 0);
    if (v6 < 0) {
        close(v4);
        skip();
    }
    assert_int_equal(check("::1", port, message, sizeof(message)), GR_OK);
    assert_int_equal(check("::1", v6_port, message, sizeof(message)), GR_EBACKEND);
    assert_contains(message, "::1 port");
    assert_contains(message, "the port is in use");
    close(v4);
    close(v6);
}

/* 203.0.113.5 is in TEST-NET-3 (RFC 5737), reserved for documentation, so no interface of a
 * test machine has it. The message names the address and the setting to change. */
static void bind_check_foreign_address(void **state)
{
    char message[512];

    (void)state;
    assert_int_equal(check("203.0.113.5", 7007, message, sizeof(message)), GR_EBACKEND);
    assert_contains(message, "listening on 203.0.113.5 port 7007 failed");
    assert_contains(message, "no network interface of this machine has the address 203.0.113.5");
    assert_contains(message, "backend.listen.host");
}

static void bind_check_ipv4_mapped_address(void **state)
{
    char message[512];

    (void)state;
    assert_int_equal(check("::ffff:127.0.0.1", 7007, message, sizeof(message)), GR_EBACKEND);
    assert_contains(message, "listening on ::ffff:127.0.0.1 port 7007 failed");
    assert_contains(message, "IPv4-mapped");
    assert_contains(message, "backend.listen.host");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bind_check_port_in_use),
        cmocka_unit_test(bind_check_port_zero),
        cmocka_unit_test(bind_check_ipv6_only),
        cmocka_unit_test(bind_check_foreign_address),
        cmocka_unit_test(bind_check_ipv4_mapped_address),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
