/* SPDX-License-Identifier: MIT */
/* Fuzz target: whole HTTP requests over loopback to an in-process server with the catalog API. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_catalog.h"
#include "host/auth/auth.h"
#include "host/common/buf.h"
#include "host/config/config.h"
#include "host/http/http.h"

/*
 * The server runs in this process on 127.0.0.1 with every catalog route,
 * the health and metrics routes, and the host's authenticator configured
 * with one static token. Each input is one request on a new connection.
 * The first byte picks the form of the rest:
 *   even  "METHOD TARGET" on the first line, header lines up to an empty
 *         line, then the body. The harness adds Host, the token, the
 *         Content-Length and Connection: close, and drops the input's own
 *         framing headers, so the request is well framed and reaches the
 *         handlers.
 *   odd   raw bytes sent as they are, then the write side is shut.
 * Every response must be HTTP/1.1, and a well-framed request must never get
 * a 500; anything else aborts.
 */

#define TOKEN "fuzz-http-static-token"
#define RESPONSE_TIMEOUT_MS 5000
#define RAW_IDLE_MS 50

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *request, const char *response)
{
    fprintf(stderr, "fuzz_http_request: %s\nrequest:\n%s\nresponse:\n%s\n", what, request,
            response ? response : "(none)");
    abort();
}

/* Starts the server on first call and returns its port. */
static int server_port(void)
{
    static gr_http_server *server;
    static const char config_yaml[] = "backend:\n"
                                      "  auth:\n"
                                      "    externalAccess:\n"
                                      "      - type: static\n"
                                      "        options: {token: " TOKEN ", subject: fuzz}\n";
    /* Connections that raw inputs leave open are closed after one idle second. */
    gr_http_options options = {.threads = 2, .connection_timeout_s = 1};
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    gr_auth *auth = NULL;
    gr_catalog_api *api = NULL;
    const char *files[1];
    gr_catalog *catalog;
    char *path;

    if (server != NULL)
        return gr_http_server_port(server);
    catalog = fuzz_catalog_get();
    path = fuzz_catalog_write_file("app-config.yaml", config_yaml);
    files[0] = path;
    if (gr_config_schema_builtin(&schema) != GR_OK ||
        gr_config_load(&config, files, 1, schema) != GR_OK || gr_auth_new(&auth, config, NULL))
        fuzz_catalog_fail("configuring the authenticator");
    if (gr_http_server_new(&server, &options) != GR_OK)
        fuzz_catalog_fail("creating the server");
    gr_http_set_authenticator(server, gr_auth_authenticate, auth);
    if (gr_catalog_api_register(catalog, server, NULL, &api) != GR_OK ||
        gr_http_server_start(server) != GR_OK)
        fuzz_catalog_fail("starting the server");
    gr_config_schema_free(schema);
    free(path);
    /* The config, the authenticator and the routes' state live as long as the
     * server, until exit. */
    return gr_http_server_port(server);
}

/* Appends the bytes of `text[0..len)` that may stand in a request line or a header. */
static void put_token(gr_buf *out, const char *text, size_t len, int allow_space)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c == '\r' || c == '\n' || c == '\0' || (c == ' ' && !allow_space))
            continue;
        gr_buf_putc(out, (char)c);
    }
}

/* Appends the method: its token characters (RFC 9110), or GET when none is left. */
static void put_method(gr_buf *out, const char *text, size_t len)
{
    size_t start = out->len;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL))
            gr_buf_putc(out, c);
    }
    if (out->len == start)
        gr_buf_puts(out, "GET");
}

/*
 * Returns whether a header line sets the framing that the harness sets
 * itself. A request with both Transfer-Encoding and Content-Length is
 * ambiguous, and libmicrohttpd 0.9.75 then waits for a chunked body until
 * the connection times out.
 */
static int is_framing_header(const char *line, size_t len)
{
    static const char *const names[] = {"transfer-encoding", "content-length", "connection"};

    while (len > 0 && (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\0')) {
        line++;
        len--;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t name_len = strlen(names[i]);

        if (len >= name_len && strncasecmp(line, names[i], name_len) == 0)
            return 1;
    }
    return 0;
}

/* Builds a well-framed request from the structured form. */
static void build_request(const char *text, size_t len, gr_buf *out)
{
    const char *end = text + len;
    const char *line_end = memchr(text, '\n', len);
    const char *first_end = line_end ? line_end : end;
    const char *space = memchr(text, ' ', (size_t)(first_end - text));
    const char *body;

    if (space == NULL) {
        gr_buf_puts(out, "GET ");
        put_token(out, text, (size_t)(first_end - text), 0);
    } else {
        put_method(out, text, (size_t)(space - text));
        gr_buf_putc(out, ' ');
        put_token(out, space + 1, (size_t)(first_end - space - 1), 0);
    }
    gr_buf_puts(out, " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " TOKEN "\r\n");
    body = line_end ? line_end + 1 : end;
    while (body < end) {
        const char *next = memchr(body, '\n', (size_t)(end - body));
        size_t line_len = next ? (size_t)(next - body) : (size_t)(end - body);

        if (line_len == 0 || memchr(body, ':', line_len) == NULL) {
            body = next ? next + 1 : end;
            break;
        }
        /* The framing check looks at the line as sent, after the bytes that
         * cannot stand in a header are dropped: "T\0ransfer-Encoding" is
         * sent as Transfer-Encoding. */
        {
            gr_buf line = GR_BUF_INIT;

            put_token(&line, body, line_len, 1);
            if (line.len > 0 && !is_framing_header(line.data, line.len)) {
                gr_buf_append(out, line.data, line.len);
                gr_buf_puts(out, "\r\n");
            }
            gr_buf_free(&line);
        }
        body = next ? next + 1 : end;
    }
    gr_buf_printf(out, "Content-Length: %zu\r\nConnection: close\r\n\r\n", (size_t)(end - body));
    gr_buf_append(out, body, (size_t)(end - body));
}

/*
 * Sends `request` on a new connection and reads the response until the
 * server closes it. A raw request may keep the connection open (keep-alive,
 * or a request line without its line break, which libmicrohttpd keeps
 * waiting for until the connection timeout), so raw reads stop after
 * RAW_IDLE_MS without bytes.
 */
static void exchange(int port, const gr_buf *request, int framed, gr_buf *response)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t sent = 0;
    char chunk[4096];

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        fail("cannot connect to the server", gr_buf_cstr(request), NULL);
    while (sent < request->len) {
        ssize_t n = send(fd, request->data + sent, request->len - sent, MSG_NOSIGNAL);

        if (n <= 0)
            break; /* The server may close early, for example after a 413. */
        sent += (size_t)n;
    }
    /* A raw request ends with the connection's write side. A framed one does not need
     * that, and libmicrohttpd closes a suspended connection whose client half-closed it as
     * soon as it is resumed, so a deferred route's response would be lost. */
    if (!framed)
        shutdown(fd, SHUT_WR);
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&pfd, 1, framed ? RESPONSE_TIMEOUT_MS : RAW_IDLE_MS) <= 0) {
            if (!framed)
                break;
            fail("the server did not respond in time", gr_buf_cstr(request),
                 gr_buf_cstr(response));
        }
        n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == ECONNRESET)
            break;
        if (n <= 0)
            break;
        gr_buf_append(response, chunk, (size_t)n);
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int port = server_port();
    gr_buf request = GR_BUF_INIT;
    gr_buf response = GR_BUF_INIT;
    int framed;

    if (size == 0)
        return 0;
    framed = data[0] % 2 == 0;
    if (framed)
        build_request((const char *)data + 1, size - 1, &request);
    else
        gr_buf_append(&request, (const char *)data + 1, size - 1);
    exchange(port, &request, framed, &response);

    if (response.len > 0 && strncmp(gr_buf_cstr(&response), "HTTP/1.", 7) != 0)
        fail("the response is not HTTP/1.x", gr_buf_cstr(&request), gr_buf_cstr(&response));
    if (framed && response.len == 0)
        fail("a well-framed request got no response", gr_buf_cstr(&request), NULL);
    if (framed && strncmp(gr_buf_cstr(&response), "HTTP/1.1 500", 12) == 0)
        fail("a well-framed request got a 500", gr_buf_cstr(&request), gr_buf_cstr(&response));
    gr_buf_free(&request);
    gr_buf_free(&response);
    return 0;
}
