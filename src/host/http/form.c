/* SPDX-License-Identifier: MIT */
/* Decoding of URL-encoded form bodies and access to their fields. */
#include <string.h>
#include <strings.h>

#include "host/common/error.h"
#include "host/http/internal.h"

/* Media type of the form bodies browsers send without a file input. */
#define FORM_CONTENT_TYPE "application/x-www-form-urlencoded"

/* Returns whether the Content-Type is FORM_CONTENT_TYPE, parameters (charset) allowed. */
static int is_form(const gr_request *req)
{
    const char *type = gr_req_header(req, "Content-Type");
    size_t len = strlen(FORM_CONTENT_TYPE);

    return type != NULL && strncasecmp(type, FORM_CONTENT_TYPE, len) == 0 &&
           (type[len] == '\0' || type[len] == ';' || type[len] == ' ');
}

size_t gr_http__count_pairs(const char *body)
{
    size_t count = 0;
    const char *part = body;

    while (part != NULL) {
        const char *end = strchr(part, '&');

        if (end != part && *part != '\0')
            count++;
        part = end ? end + 1 : NULL;
    }
    return count;
}

int gr_req_form_parse(gr_request *req, size_t max_fields)
{
    size_t length = 0;
    const char *body = gr_req_body(req, &length);
    size_t count;
    char **names;
    char **values;
    long decoded;

    if (req->form_names != NULL)
        return GR_OK;
    if (!is_form(req))
        return gr_error_set(GR_EINVALID, "a form post needs the Content-Type %s",
                            FORM_CONTENT_TYPE);
    /* A raw NUL byte would end the text early and drop the fields after it. */
    if (body != NULL && memchr(body, '\0', length) != NULL)
        return gr_error_set(GR_EINVALID, "the form contains a NUL byte; encode it as text");
    count = gr_http__count_pairs(body);
    if (count > max_fields)
        return gr_error_set(GR_ELIMIT, "the form has %zu fields; at most %zu are accepted", count,
                            max_fields);

    /* One entry per non-empty pair, which is what gr_http__decode_pairs() writes, so a body of
     * bare '&' costs no memory. */
    names = gr_arena_alloc(req->arena, (count + 1) * sizeof(char *));
    values = gr_arena_alloc(req->arena, (count + 1) * sizeof(char *));
    if ((decoded = gr_http__decode_pairs(req, body, names, values, true)) < 0)
        return gr_error_set(GR_EINVALID,
                            "form field %ld has a malformed percent-encoding or an encoded NUL "
                            "byte",
                            -decoded);
    req->form_names = names;
    req->form_values = values;
    req->form_count = (size_t)decoded;
    return GR_OK;
}

size_t gr_req_form_count(const gr_request *req)
{
    return req->form_count;
}

int gr_req_form_at(const gr_request *req, size_t index, const char **name, const char **value)
{
    if (index >= req->form_count)
        return GR_ENOTFOUND;
    *name = req->form_names[index];
    *value = req->form_values[index];
    return GR_OK;
}

const char *gr_req_form(const gr_request *req, const char *name)
{
    return gr_http__find_value(req->form_names, req->form_values, req->form_count, name);
}
