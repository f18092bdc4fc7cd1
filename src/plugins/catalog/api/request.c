/* SPDX-License-Identifier: MIT */
/* Parsing query parameters and JSON bodies the way Backstage's catalog routes do. */
#include "plugins/catalog/api/request.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/api/predicate.h"

/* Counts the query parameters named `name`, and those named `name[...]`, which Backstage's query
 * parser reads as an array or object of that name. */
static size_t query_occurrences(const gr_request *req, const char *name)
{
    size_t total = gr_req_query_count(req);
    size_t len = strlen(name);
    size_t found = 0;

    for (size_t i = 0; i < total; i++) {
        const char *key = NULL;
        const char *value = NULL;

        if (gr_req_query_at(req, i, &key, &value) == GR_OK && strncmp(key, name, len) == 0 &&
            (key[len] == '\0' || key[len] == '['))
            found++;
    }
    return found;
}

int gr_catalog_api__query_int(gr_request *req, const char *name, int64_t *out)
{
    const char *text = gr_req_query(req, name);
    char *end = NULL;
    long long value;

    /* Backstage's query parser makes a repeated parameter an array, which is no integer. */
    if (query_occurrences(req, name) > (text != NULL ? 1u : 0u))
        return gr_error_set(GR_EINVALID, "request/query/%s must be integer", name);
    if (text == NULL)
        return 0;
    errno = 0;
    value = strtoll(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno != 0 || isspace((unsigned char)text[0]))
        return gr_error_set(GR_EINVALID, "request/query/%s must be integer", name);
    if (value < 0)
        return gr_error_set(GR_EINVALID, "request/query/%s must be >= 0", name);
    *out = value;
    return 1;
}

int gr_catalog_api__body_object(gr_request *req, json_t **out)
{
    size_t len = 0;
    const char *body = gr_req_body(req, &len);
    json_error_t error;
    json_t *value;
    int rc;

    *out = NULL;
    if (len == 0) {
        *out = json_object();
        return GR_OK;
    }
    /* Backstage parses no other body, so its routes would see an empty object and fail on a
     * missing field. Naming the header helps more. */
    rc = gr_req_json_body_check(req);
    if (rc != GR_OK)
        return rc;
    value = json_loadb(body, len, 0, &error);
    /* jansson names its own flag for an escaped NUL, which means nothing to a caller. */
    if (value == NULL && json_error_code(&error) == json_error_null_character)
        return gr_error_set(GR_EINVALID,
                            "Malformed JSON in the request body: a string contains \\u0000, and "
                            "strings must not contain NUL characters (line %d)",
                            error.line);
    if (value == NULL)
        return gr_error_set(GR_EINVALID, "Malformed JSON in the request body: %s (line %d)",
                            error.text, error.line);
    if (!json_is_object(value)) {
        json_decref(value);
        return gr_error_set(GR_EINVALID, "Expected body to be a JSON object");
    }
    *out = value;
    return GR_OK;
}

int gr_catalog_api__body_required(gr_request *req, json_t **out)
{
    const char *type = gr_req_header(req, "Content-Type");
    int rc;

    *out = NULL;
    if (type == NULL)
        return gr_error_set(GR_EINVALID, "Content-Type missing");
    if (!gr_req_is_json(req))
        return gr_error_set(GR_EINVALID, "Illegal Content-Type");
    rc = gr_catalog_api__body_object(req, out);
    if (rc != GR_OK)
        return rc;
    if (json_object_size(*out) == 0) {
        json_decref(*out);
        *out = NULL;
        return gr_error_set(GR_EINVALID, "Empty request body");
    }
    return GR_OK;
}

int gr_catalog_api__filter_param(gr_request *req, json_t **out)
{
    size_t count = 0;
    const char **filters = gr_req_query_all(req, "filter", &count);

    return gr_catalog_filter_parse(filters, count, out);
}

/* Appends `text` encoded as application/x-www-form-urlencoded (URLSearchParams). */
static void form_encode(gr_buf *out, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (isalnum(*p) || *p == '*' || *p == '-' || *p == '.' || *p == '_') {
            gr_buf_putc(out, (char)*p);
        } else if (*p == ' ') {
            gr_buf_putc(out, '+');
        } else {
            gr_buf_putc(out, '%');
            gr_buf_putc(out, hex[*p >> 4]);
            gr_buf_putc(out, hex[*p & 15]);
        }
    }
}

static void add_pair(gr_buf *out, const char *name, const char *value)
{
    if (out->len > 0)
        gr_buf_putc(out, '&');
    form_encode(out, name);
    gr_buf_putc(out, '=');
    form_encode(out, value);
}

const char *gr_catalog_api__next_link(gr_request *req, const char *after)
{
    gr_buf query = GR_BUF_INIT;
    size_t count = gr_req_query_count(req);
    int after_set = 0;
    const char *link;

    for (size_t i = 0; i < count; i++) {
        const char *name = NULL;
        const char *value = NULL;

        gr_req_query_at(req, i, &name, &value);
        if (strcmp(name, "offset") == 0)
            continue;
        if (strcmp(name, "after") == 0) {
            if (!after_set)
                add_pair(&query, name, after);
            after_set = 1;
            continue;
        }
        add_pair(&query, name, value);
    }
    if (!after_set)
        add_pair(&query, "after", after);
    link = gr_arena_printf(gr_req_arena(req), "</entities?%s>; rel=\"next\"", gr_buf_cstr(&query));
    gr_buf_free(&query);
    return link;
}
