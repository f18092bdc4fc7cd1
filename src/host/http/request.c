/* SPDX-License-Identifier: MIT */
/* Parsing of the request target and the request accessors handlers use. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "host/common/error.h"
#include "host/http/internal.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long gr_http__percent_decode(char *dst, const char *src, size_t len, int plus_is_space)
{
    size_t out = 0;

    for (size_t i = 0; i < len; i++) {
        char c = src[i];

        if (c == '%') {
            if (i + 2 >= len || hex_value(src[i + 1]) < 0 || hex_value(src[i + 2]) < 0)
                return -1;
            c = (char)(hex_value(src[i + 1]) * 16 + hex_value(src[i + 2]));
            if (c == '\0')
                return -1;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        dst[out++] = c;
    }
    dst[out] = '\0';
    return (long)out;
}

/* Whether text[0..len) is valid UTF-8, checked by jansson as for every JSON string it makes. */
static bool is_utf8(const char *text, size_t len)
{
    json_t *probe = json_stringn(text, len);

    json_decref(probe);
    return probe != NULL;
}

static int reject(gr_request *req, int status, const char *message)
{
    req->reject_status = status;
    req->reject_message = message;
    return -1;
}

/* Returns whether the `len` bytes at `text` contain "%00". */
static bool has_encoded_nul(const char *text, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++) {
        if (text[i] == '%' && text[i + 1] == '0' && text[i + 2] == '0')
            return true;
    }
    return false;
}

static int parse_path(gr_request *req)
{
    const char *path = req->path;
    size_t len = strlen(path);
    size_t count = 0;
    const char *seg;

    if (path[0] != '/')
        return reject(req, 400, "The request path must start with '/'");

    /* One trailing slash is ignored, as in route patterns. */
    if (len > 1 && path[len - 1] == '/')
        len--;
    for (size_t i = 1; i < len; i++)
        count += path[i] == '/';
    count += len > 1;
    if (count > GR_HTTP_MAX_PATH_SEGMENTS)
        return reject(req, 414, "The request path has too many segments");

    req->segments = gr_arena_alloc(req->arena, (count + 1) * sizeof(char *));
    seg = path + 1;
    for (size_t i = 0; i < count; i++) {
        const char *end = memchr(seg, '/', (size_t)(path + len - seg));
        size_t seg_len = end ? (size_t)(end - seg) : (size_t)(path + len - seg);
        char *decoded = gr_arena_alloc(req->arena, seg_len + 1);

        long decoded_len = gr_http__percent_decode(decoded, seg, seg_len, 0);

        if (decoded_len < 0 && has_encoded_nul(seg, seg_len))
            return reject(req, 400,
                          "The request path contains an encoded NUL (%00), which no name, id or "
                          "parameter may contain");
        if (decoded_len < 0)
            return reject(req, 400, "The request path has a malformed percent-encoding");
        /* Express returns 400 for a path parameter that does not decode to UTF-8. */
        if (!is_utf8(decoded, (size_t)decoded_len))
            return reject(req, 400,
                          "The request path has a percent-encoding that does not decode to UTF-8");
        req->segments[i] = decoded;
        seg = end ? end + 1 : path + len;
    }
    req->segments[count] = NULL;
    req->segment_count = count;
    return 0;
}

/*
 * Decodes one name or value into arena memory. Unless `strict`, a part with a
 * malformed escape, or one that does not decode to UTF-8, is kept as written
 * with '+' read as a space, as Express's query parser (the `qs` package) does.
 * `strict` returns NULL for a malformed escape.
 */
static char *decode_part(gr_request *req, const char *text, size_t len, bool strict)
{
    char *decoded = gr_arena_alloc(req->arena, len + 1);
    long decoded_len = gr_http__percent_decode(decoded, text, len, 1);

    if (decoded_len < 0 && strict)
        return NULL;
    if (strict || (decoded_len >= 0 && is_utf8(decoded, (size_t)decoded_len)))
        return decoded;
    for (size_t i = 0; i < len; i++)
        decoded[i] = text[i] == '+' ? ' ' : text[i];
    decoded[len] = '\0';
    return decoded;
}

long gr_http__decode_pairs(gr_request *req, const char *text, char **names, char **values,
                           bool strict)
{
    const char *part = text;
    long count = 0;

    while (part != NULL) {
        const char *end = strchr(part, '&');
        size_t len = end ? (size_t)(end - part) : strlen(part);
        const char *equals = memchr(part, '=', len);
        size_t name_len = equals ? (size_t)(equals - part) : len;

        if (len > 0) {
            names[count] = decode_part(req, part, name_len, strict);
            values[count] =
                equals ? decode_part(req, equals + 1, len - name_len - 1, strict) : (char *)"";
            if (names[count] == NULL || values[count] == NULL)
                return -(count + 1);
            count++;
        }
        part = end ? end + 1 : NULL;
    }
    return count;
}

const char *gr_http__find_value(char *const *names, char *const *values, size_t count,
                                const char *name)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0)
            return values[i];
    }
    return NULL;
}

static int parse_query(gr_request *req, const char *query)
{
    /* Empty pairs ("a=1&&b=2") are no parameters, as in Node.js's query parsers. */
    size_t count = gr_http__count_pairs(query);

    if (count > GR_HTTP_MAX_QUERY_PARAMS)
        return reject(req, 400, "The query string has too many parameters");

    req->query_names = gr_arena_alloc(req->arena, (count + 1) * sizeof(char *));
    req->query_values = gr_arena_alloc(req->arena, (count + 1) * sizeof(char *));
    req->query_count =
        (size_t)gr_http__decode_pairs(req, query, req->query_names, req->query_values, false);
    return 0;
}

int gr_http__request_parse_target(gr_request *req, const char *url)
{
    const char *question;

    if (strlen(url) > GR_HTTP_MAX_URL_BYTES)
        return reject(req, 414, "The request URL is too long");

    question = strchr(url, '?');
    req->path = question ? gr_arena_strndup(req->arena, url, (size_t)(question - url))
                         : req->url;
    if (parse_path(req) != 0)
        return -1;
    if (question != NULL && question[1] != '\0')
        return parse_query(req, question + 1);
    return 0;
}

const char *gr_req_method(const gr_request *req)
{
    return req->method;
}

const char *gr_req_path(const gr_request *req)
{
    return req->path;
}

const char *gr_req_url(const gr_request *req)
{
    return req->url;
}

const char *gr_req_route(const gr_request *req)
{
    return req->route ? req->route->pattern : NULL;
}

const char *gr_req_param(const gr_request *req, const char *name)
{
    if (req->route == NULL)
        return NULL;
    if (strcmp(name, "*") == 0)
        return req->wildcard;
    for (size_t i = 0; i < req->route->param_count; i++) {
        if (strcmp(req->route->param_names[i], name) == 0)
            return req->params[i];
    }
    return NULL;
}

const char *gr_req_query(const gr_request *req, const char *name)
{
    return gr_http__find_value(req->query_names, req->query_values, req->query_count, name);
}

const char **gr_req_query_all(gr_request *req, const char *name, size_t *count)
{
    const char **values = NULL;
    size_t found = 0;

    for (size_t i = 0; i < req->query_count; i++) {
        if (strcmp(req->query_names[i], name) != 0)
            continue;
        if (values == NULL)
            values = gr_arena_alloc(req->arena, (req->query_count - i) * sizeof(char *));
        values[found++] = req->query_values[i];
    }
    *count = found;
    return values;
}

const char **gr_req_query_split(gr_request *req, const char *name, char separator,
                                size_t *count)
{
    size_t value_count = 0;
    const char **values = gr_req_query_all(req, name, &value_count);
    const char **pieces;
    size_t capacity = 0;
    size_t found = 0;

    *count = 0;
    if (values == NULL)
        return NULL;
    for (size_t i = 0; i < value_count; i++) {
        capacity++;
        for (const char *p = values[i]; *p != '\0'; p++)
            capacity += *p == separator;
    }

    pieces = gr_arena_alloc(req->arena, capacity * sizeof(char *));
    for (size_t i = 0; i < value_count; i++) {
        const char *piece = values[i];

        while (piece != NULL) {
            const char *end = strchr(piece, separator);
            size_t len = end ? (size_t)(end - piece) : strlen(piece);

            if (len > 0)
                pieces[found++] = gr_arena_strndup(req->arena, piece, len);
            piece = end ? end + 1 : NULL;
        }
    }
    *count = found;
    return found > 0 ? pieces : NULL;
}

size_t gr_req_query_count(const gr_request *req)
{
    return req->query_count;
}

int gr_req_query_at(const gr_request *req, size_t index, const char **name, const char **value)
{
    if (index >= req->query_count)
        return GR_ENOTFOUND;
    *name = req->query_names[index];
    *value = req->query_values[index];
    return 0;
}

const char *gr_req_header(const gr_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

/* The name to count and the count so far, for count_header(). */
typedef struct {
    const char *name;
    size_t count;
} header_count;

static enum MHD_Result count_header(void *payload, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    header_count *counter = payload;

    (void)kind;
    (void)value;
    if (key != NULL && strcasecmp(key, counter->name) == 0)
        counter->count++;
    return MHD_YES;
}

size_t gr_req_header_count(const gr_request *req, const char *name)
{
    header_count counter = {name, 0};

    MHD_get_connection_values(req->connection, MHD_HEADER_KIND, count_header, &counter);
    return counter.count;
}

const char *gr_req_body(const gr_request *req, size_t *len)
{
    if (len != NULL)
        *len = req->body.len;
    return gr_buf_cstr(&req->body);
}

bool gr_req_is_json(const gr_request *req)
{
    static const char json_type[] = "application/json";
    const char *type = gr_req_header(req, "Content-Type");
    size_t len = sizeof(json_type) - 1;

    if (type == NULL || strncasecmp(type, json_type, len) != 0)
        return false;
    type += len;
    while (*type == ' ' || *type == '\t')
        type++;
    return *type == '\0' || *type == ';';
}

int gr_req_json_body_check(const gr_request *req)
{
    const char *type = gr_req_header(req, "Content-Type");
    const char *encoding = gr_req_header(req, "Content-Encoding");

    if (type == NULL)
        return gr_error_set(GR_EINVALID,
                            "The request body needs the header Content-Type: application/json");
    if (!gr_req_is_json(req))
        return gr_error_set(GR_EINVALID,
                            "The request body must be JSON with Content-Type application/json, "
                            "not %s",
                            type);
    if (encoding != NULL && strcasecmp(encoding, "identity") != 0)
        return gr_error_set(GR_EINVALID,
                            "The request body is sent with Content-Encoding %s, which is not "
                            "supported. Send it uncompressed",
                            encoding);
    return GR_OK;
}

/* Appends the value of each X-Forwarded-For header to a comma-separated list (cls, a gr_buf). */
static enum MHD_Result collect_forwarded_for(void *cls, enum MHD_ValueKind kind, const char *name,
                                             const char *value)
{
    gr_buf *list = cls;

    (void)kind;
    if (value == NULL || strcasecmp(name, "X-Forwarded-For") != 0)
        return MHD_YES;
    if (list->len > 0)
        gr_buf_putc(list, ',');
    gr_buf_puts(list, value);
    return MHD_YES;
}

/* Writes the TCP peer's address to `text`. Returns false when it is unknown. */
static bool peer_address(gr_request *req, char text[INET6_ADDRSTRLEN])
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const void *addr = NULL;
    int family;

    if (info == NULL || info->client_addr == NULL)
        return false;
    family = info->client_addr->sa_family;
    if (family == AF_INET)
        addr = &((const struct sockaddr_in *)(const void *)info->client_addr)->sin_addr;
    else if (family == AF_INET6)
        addr = &((const struct sockaddr_in6 *)(const void *)info->client_addr)->sin6_addr;
    return addr != NULL && inet_ntop(family, addr, text, INET6_ADDRSTRLEN) != NULL;
}

const char *gr_req_client_addr(gr_request *req)
{
    const gr_trust_proxy *trust = &req->server->opts.trust_proxy;
    gr_buf forwarded = GR_BUF_INIT;
    char peer[INET6_ADDRSTRLEN];
    char client[GR_TRUST_PROXY_ADDRESS_MAX];

    if (req->client_addr != NULL)
        return req->client_addr;
    if (!peer_address(req, peer))
        return "";

    /* Headers are read only when some proxy is trusted, so by default a forged
     * X-Forwarded-For costs nothing. */
    if (trust->mode != GR_TRUST_PROXY_NONE)
        MHD_get_connection_values(req->connection, MHD_HEADER_KIND, collect_forwarded_for,
                                  &forwarded);
    gr_trust_proxy_client(trust, peer, forwarded.len > 0 ? gr_buf_cstr(&forwarded) : NULL, client);
    gr_buf_free(&forwarded);
    req->client_addr = gr_arena_strdup(req->arena, client);
    return req->client_addr;
}

const char *gr_req_id(const gr_request *req)
{
    return req->id;
}

gr_arena *gr_req_arena(gr_request *req)
{
    return req->arena;
}

void *gr_req_identity(const gr_request *req)
{
    return req->identity;
}

void gr_req_set_identity(gr_request *req, void *identity)
{
    req->identity = identity;
}
