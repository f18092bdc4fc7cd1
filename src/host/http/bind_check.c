/* SPDX-License-Identifier: MIT */
/* A check, before start-up work begins, that the server's address and port can be bound. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/common/error.h"
#include "host/http/internal.h"

/* Fills `addr` with `address` and `port` and returns the address length, or 0 when `address`
 * is neither an IPv4 nor an IPv6 address. */
static socklen_t bind_check_address(const char *address, int port, struct sockaddr_storage *addr)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;

    memset(addr, 0, sizeof(*addr));
    if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return sizeof(*v4);
    }
    if (inet_pton(AF_INET6, address, &v6->sin6_addr) != 1)
        return 0;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return sizeof(*v6);
}

int gr_http_check_bind(const char *address, int port)
{
    struct sockaddr_storage addr;
    socklen_t length = bind_check_address(address, port, &addr);
    int enabled = 1;
    int fd, error = 0;

    /* Port 0 means any free port, which cannot be taken. An invalid address or port is
     * reported by the server itself. */
    if (port <= 0 || port > 65535 || length == 0)
        return 0;
    fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return gr_error_set(GR_EBACKEND, "listening on %s port %d failed: %s",
                            address, port, strerror(errno));
    /* libmicrohttpd sets SO_REUSEADDR by default, and IPV6_V6ONLY when dual stack is off as
     * here, so the check sets both to bind as the server will. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enabled, sizeof(enabled));
    if (addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &enabled, sizeof(enabled));
    if (bind(fd, (struct sockaddr *)&addr, length) != 0)
        error = errno;
    close(fd);
    if (error == EADDRINUSE)
        return gr_error_set(GR_EBACKEND,
                            "listening on %s port %d failed: the port is in use; stop the other "
                            "server or set backend.listen.port",
                            address, port);
    if (error == EADDRNOTAVAIL)
        return gr_error_set(GR_EBACKEND,
                            "listening on %s port %d failed: no network interface of this "
                            "machine has the address %s; set backend.listen.host to one of its "
                            "addresses, or to 0.0.0.0 or :: to listen on all of them",
                            address, port, address);
    /* An IPv4-mapped address (::ffff:a.b.c.d) cannot be bound on an IPv6-only socket. */
    if (error == EINVAL && addr.ss_family == AF_INET6 &&
        IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&addr)->sin6_addr))
        return gr_error_set(GR_EBACKEND,
                            "listening on %s port %d failed: an IPv4-mapped IPv6 address cannot "
                            "be bound; set backend.listen.host to the IPv4 address itself",
                            address, port);
    if (error != 0)
        return gr_error_set(GR_EBACKEND, "listening on %s port %d failed: %s",
                            address, port, strerror(error));
    return 0;
}

int gr_http_server_check_bind(const gr_http_server *server)
{
    return gr_http_check_bind(server->bind_address, server->opts.port);
}
