/* SPDX-License-Identifier: MIT */
/* Response setters, Backstage error bodies, and handing responses to libmicrohttpd. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/common/utf8.h"
#include "host/http/internal.h"
#include "host/log/log.h"

/* Headers every response carries unless the handler set its own value. */
static const http_header response_security_headers[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "same-origin"},
    {"Content-Security-Policy", "default-src 'self'; base-uri 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; object-src 'none'"},
};

/* Checks every byte: a tab is allowed in a value, and no other control character anywhere. */
static int header_text_is_valid(const char *text, int is_name)
{
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p == '\t' && !is_name)
            continue;
        if (*p < 0x20 || *p == 0x7f)
            return 0;
        if (is_name && (*p == ':' || *p == ' '))
            return 0;
    }
    return 1;
}

static int header_put(gr_response *res, const char *name, const char *value, int replace)
{
    if (name == NULL || *name == '\0' || !header_text_is_valid(name, 1) || value == NULL ||
        !header_text_is_valid(value, 0))
        return gr_error_set(GR_EINVALID, "response header '%s' has an invalid name or value",
                            name ? name : "(null)");

    if (replace) {
        for (size_t i = 0; i < res->header_count; i++) {
            if (strcasecmp(res->headers[i].name, name) == 0) {
                res->headers[i].value = gr_arena_strdup(res->req->arena, value);
                return 0;
            }
        }
    }
    if (res->header_count == GR_HTTP_MAX_RESPONSE_HEADERS)
        return gr_error_set(GR_ELIMIT, "response has more than %d headers; '%s' was not added",
                            GR_HTTP_MAX_RESPONSE_HEADERS, name);
    res->headers[res->header_count].name = gr_arena_strdup(res->req->arena, name);
    res->headers[res->header_count].value = gr_arena_strdup(res->req->arena, value);
    res->header_count++;
    return 0;
}

int gr_res_header(gr_response *res, const char *name, const char *value)
{
    return header_put(res, name, value, 1);
}

int gr_res_header_add(gr_response *res, const char *name, const char *value)
{
    return header_put(res, name, value, 0);
}

static const char *header_find(const gr_response *res, const char *name)
{
    for (size_t i = 0; i < res->header_count; i++) {
        if (strcasecmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    }
    return NULL;
}

/* A response replaced after gr_res_stream() drops the stream it had. */
static void response_drop_stream(gr_response *res)
{
    if (res->stream != NULL) {
        gr_http__stream_free(res->stream);
        res->stream = NULL;
    }
}

void gr_res_status(gr_response *res, int status)
{
    response_drop_stream(res);
    res->status = status;
    res->content_type = NULL;
    res->body = NULL;
    res->body_len = 0;
}

void gr_res_body_borrowed(gr_response *res, int status, const char *content_type,
                          const void *data, size_t len)
{
    gr_res_status(res, status);
    res->content_type = content_type ? gr_arena_strdup(res->req->arena, content_type) : NULL;
    res->body = data;
    res->body_len = len;
}

void gr_res_body(gr_response *res, int status, const char *content_type, const void *data,
                 size_t len)
{
    char *copy = gr_arena_alloc(res->req->arena, len + 1);

    memcpy(copy, data, len);
    copy[len] = '\0';
    gr_res_body_borrowed(res, status, content_type, copy, len);
}

int gr_res_json(gr_response *res, int status, json_t *body)
{
    char *text;

    if (body == NULL)
        return gr_error_set(GR_EINVALID, "response body for %s is not JSON", res->req->path);
    text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(body);
    if (text == NULL)
        return gr_error_set(GR_EINVALID, "response body for %s cannot be encoded as JSON",
                            res->req->path);
    gr_arena_defer(res->req->arena, free, text);
    gr_res_body_borrowed(res, status, GR_HTTP_JSON, text, strlen(text));
    return 0;
}

/* Backstage reports the url relative to the router of the plugin, which is
 * mounted at /api/<plugin>: /api/catalog/entities?x=1 becomes /entities?x=1. */
static const char *mount_relative_url(gr_request *req)
{
    const char *url = req->url;
    const char *rest;

    if (strncmp(url, "/api/", 5) != 0)
        return url;
    rest = url + 5 + strcspn(url + 5, "/?");
    if (*rest == '/')
        return rest;
    return gr_arena_printf(req->arena, "/%s", rest);
}

/* Returns `text` with each byte that is not part of valid UTF-8 replaced by
 * U+FFFD, because JSON strings must be valid UTF-8. */
static const char *utf8_repair(gr_arena *arena, const char *text)
{
    char *repaired = gr_utf8_repair(text);
    const char *out = gr_arena_strdup(arena, repaired);

    free(repaired);
    return out;
}

void gr_http__error_body(gr_response *res, int status, const char *name, const char *message)
{
    gr_arena *arena = res->req->arena;
    json_t *body = json_pack("{s:{s:s,s:s},s:{s:s,s:s},s:{s:i}}", "error", "name", name,
                             "message", utf8_repair(arena, message), "request", "method",
                             utf8_repair(arena, res->req->method), "url",
                             utf8_repair(arena, mount_relative_url(res->req)), "response",
                             "statusCode", status);

    gr_res_json(res, status, body);
}

int gr_res_error(gr_response *res, int code, const char *fmt, ...)
{
    int status = gr_error_http_status(code);
    char message[GR_ERROR_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);

    if (status == 500) {
        gr_log_fields(GR_LOG_ERROR, "http", "request failed", "path", res->req->path, "error",
                      message, NULL);
        snprintf(message, sizeof(message), "Internal server error");
    }
    gr_http__error_body(res, status, gr_error_http_name(code), message);
    return code;
}

int gr_res_redirect(gr_response *res, int status, const char *location)
{
    int rc;

    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308)
        return gr_error_set(GR_EINVALID, "redirect status %d is not 301, 302, 303, 307 or 308",
                            status);
    rc = gr_res_header(res, "Location", location);
    if (rc != 0)
        return rc;
    gr_res_status(res, status);
    return 0;
}

/* Compares two entity tags the weak way: W/ prefixes are ignored. */
static int etag_equal(const char *a, size_t a_len, const char *b)
{
    size_t b_len = strlen(b);

    if (a_len >= 2 && strncmp(a, "W/", 2) == 0) {
        a += 2;
        a_len -= 2;
    }
    if (b_len >= 2 && strncmp(b, "W/", 2) == 0) {
        b += 2;
        b_len -= 2;
    }
    return a_len == b_len && memcmp(a, b, a_len) == 0;
}

static int if_none_match_has(const char *header, const char *etag)
{
    const char *p = header;

    while (*p != '\0') {
        size_t len;

        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        len = strcspn(p, ",");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if ((len == 1 && *p == '*') || (len > 0 && etag_equal(p, len, etag)))
            return 1;
        p += len;
        while (*p != '\0' && *p != ',')
            p++;
    }
    return 0;
}

int gr_res_etag(gr_response *res, const char *etag)
{
    gr_request *req = res->req;
    const char *quoted = etag;
    const char *header;

    if (etag[0] != '"' && strncmp(etag, "W/\"", 3) != 0)
        quoted = gr_arena_printf(req->arena, "\"%s\"", etag);
    if (gr_res_header(res, "ETag", quoted) != 0)
        return 0;

    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
        return 0;
    header = gr_req_header(req, "If-None-Match");
    res->not_modified = header != NULL && if_none_match_has(header, quoted);
    if (res->not_modified && res->status == 0)
        res->status = 304;
    return res->not_modified;
}

static int add_header(struct MHD_Response *mhd, const char *name, const char *value)
{
    if (MHD_add_response_header(mhd, name, value) == MHD_YES)
        return 0;
    gr_warn("http", "header %s was rejected by libmicrohttpd and not sent", name);
    return -1;
}

static void add_headers(gr_request *req, struct MHD_Response *mhd, int status)
{
    const gr_response *res = &req->response;
    size_t count = sizeof(response_security_headers) / sizeof(response_security_headers[0]);

    for (size_t i = 0; i < count; i++) {
        if (header_find(res, response_security_headers[i].name) == NULL)
            add_header(mhd, response_security_headers[i].name, response_security_headers[i].value);
    }
    add_header(mhd, "X-Request-Id", req->id);
    if (res->content_type != NULL && status != 304)
        add_header(mhd, "Content-Type", res->content_type);
    for (size_t i = 0; i < res->header_count; i++)
        add_header(mhd, res->headers[i].name, res->headers[i].value);
    if (atomic_load(&req->server->state) >= SERVER_STOPPING)
        add_header(mhd, "Connection", "close");
}

static ssize_t read_nothing(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)pos;
    (void)buf;
    (void)max;
    return MHD_CONTENT_READER_END_OF_STREAM;
}

/*
 * Returns the response to HEAD for a streamed GET. libmicrohttpd 0.9.75 ends every chunked
 * response with the last chunk ("0" and an empty line), also to HEAD, and a client then reads
 * those bytes as the start of the next response. So this response is delimited by the closing
 * of the connection, as in HTTP/1.0. It carries no Content-Length, which would have to equal
 * the length of the GET's body, and Connection: close, so the client opens a new connection
 * for its next request.
 */
static struct MHD_Response *head_of_stream_response(void)
{
    struct MHD_Response *mhd =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, read_nothing, NULL, NULL);

    if (mhd != NULL)
        MHD_set_response_options(mhd, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
    return mhd;
}

enum MHD_Result gr_http__send(gr_request *req)
{
    gr_response *res = &req->response;
    struct MHD_Response *mhd;
    int status = res->status;
    enum MHD_Result rc;

    if (res->not_modified && status >= 200 && status < 300) {
        response_drop_stream(res);
        status = 304;
        res->body_len = 0;
    }
    if (res->stream != NULL && strcmp(req->method, "HEAD") == 0) {
        response_drop_stream(res);
        mhd = head_of_stream_response();
    } else if (res->stream != NULL) {
        mhd = gr_http__stream_response(req);
        res->stream = NULL; /* owned by libmicrohttpd now */
    } else {
        mhd = MHD_create_response_from_buffer(res->body_len, (void *)(res->body ? res->body : ""),
                                              MHD_RESPMEM_PERSISTENT);
        if (strcmp(req->method, "HEAD") != 0)
            req->bytes_sent = res->body_len;
    }
    if (mhd == NULL)
        return MHD_NO;

    add_headers(req, mhd, status);
    res->status = status;
    rc = MHD_queue_response(req->connection, (unsigned)status, mhd);
    MHD_destroy_response(mhd);
    if (rc != MHD_YES) {
        /* The log and metrics then show status 0: nothing was sent. */
        res->status = 0;
        req->bytes_sent = 0;
    }
    return rc;
}
