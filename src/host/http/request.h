/* SPDX-License-Identifier: MIT */
/* Read access to an HTTP request: target, parameters, headers, body, identity. */
#ifndef GR_HOST_HTTP_REQUEST_H
#define GR_HOST_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "host/common/arena.h"

/*
 * A request lives from its first byte until its response is sent. Every
 * string these functions return is borrowed and stays valid for that time,
 * and so does memory from gr_req_arena(). A request is used by one thread at
 * a time, so none of these functions lock: the HTTP thread, or the job thread
 * of gr_res_defer() while the connection is suspended.
 */
typedef struct gr_request gr_request;

/** Returns the method as sent ("GET", "POST", ...). */
const char *gr_req_method(const gr_request *req);

/** Returns the path as sent, still percent-encoded and without the query string. */
const char *gr_req_path(const gr_request *req);

/** Returns the request target as sent: path and query string, still percent-encoded. */
const char *gr_req_url(const gr_request *req);

/** Returns the pattern of the matched route, or NULL before or without a match. */
const char *gr_req_route(const gr_request *req);

/**
 * Returns the percent-decoded value of path parameter `name` (`:name` in the
 * pattern), or for "*" the segments the wildcard matched, each decoded and
 * joined by '/'. Returns NULL when the route has no such parameter. A
 * decoded value may contain '/' (from %2F) or be "..": handlers that map
 * values to files must check them.
 */
const char *gr_req_param(const gr_request *req, const char *name);

/**
 * Returns the first value of query parameter `name`, decoded ('+' is a
 * space, %XX a byte; a malformed escape is kept as written). A parameter
 * without '=' has the value "". Returns NULL when absent.
 */
const char *gr_req_query(const gr_request *req, const char *name);

/**
 * Returns every value of query parameter `name` in request order
 * (`filter=a&filter=b`); *count receives their number. The array is
 * borrowed from the request arena; NULL when the parameter is absent.
 */
const char **gr_req_query_all(gr_request *req, const char *name, size_t *count);

/**
 * Like gr_req_query_all(), but each value is also split at `separator` and
 * empty pieces are dropped, so `fields=a,b&fields=c` gives a, b and c.
 */
const char **gr_req_query_split(gr_request *req, const char *name, char separator,
                                size_t *count);

/** Returns the number of query parameters, counting repeats. */
size_t gr_req_query_count(const gr_request *req);

/** Sets *name and *value to the query parameter at `index`. Returns 0, or GR_ENOTFOUND. */
int gr_req_query_at(const gr_request *req, size_t index, const char **name, const char **value);

/** Returns the first value of header `name` (case-insensitive), or NULL. */
const char *gr_req_header(const gr_request *req, const char *name);

/** Returns how many times header `name` (case-insensitive) occurs in the request. */
size_t gr_req_header_count(const gr_request *req, const char *name);

/**
 * Returns the request body, NUL-terminated (the NUL is not counted in *len).
 * A request without a body gives "" and 0. `len` may be NULL.
 */
const char *gr_req_body(const gr_request *req, size_t *len);

/**
 * Returns whether the Content-Type is application/json, with or without
 * parameters such as charset. Backstage's routes read a body as JSON only then.
 */
bool gr_req_is_json(const gr_request *req);

/**
 * Checks that the body can be read as JSON: Content-Type application/json
 * (gr_req_is_json()) and no Content-Encoding but identity. Returns 0, or
 * GR_EINVALID with a message that names the header to change.
 */
int gr_req_json_body_check(const gr_request *req);

/**
 * Decodes the body of an application/x-www-form-urlencoded form post
 * ('+' is a space, %XX a byte), so that gr_req_form() and
 * gr_req_form_at() can read its fields. Returns 0; GR_EINVALID for another
 * content type, a malformed escape or an escaped NUL byte, naming the
 * field; GR_ELIMIT for more than `max_fields` fields. A second call
 * changes nothing.
 */
int gr_req_form_parse(gr_request *req, size_t max_fields);

/** Returns the number of form fields that gr_req_form_parse() decoded (0 before it). */
size_t gr_req_form_count(const gr_request *req);

/** Sets *name and *value to the form field at `index`. Returns 0, or GR_ENOTFOUND. */
int gr_req_form_at(const gr_request *req, size_t index, const char **name, const char **value);

/** Returns the value of the first form field `name`, or NULL. */
const char *gr_req_form(const gr_request *req, const char *name);

/** Returns the client's IP address as text ("127.0.0.1", "::1"), or "" when unknown. */
const char *gr_req_client_addr(gr_request *req);

/** Returns the request id, also sent back as X-Request-Id and written to every log line. */
const char *gr_req_id(const gr_request *req);

/** Returns the arena freed after the response is sent. */
gr_arena *gr_req_arena(gr_request *req);

/** Returns what the authenticator stored with gr_req_set_identity(), or NULL. */
void *gr_req_identity(const gr_request *req);

/**
 * Stores the caller's identity. Borrowed: allocate it from gr_req_arena() or
 * register its cleanup there with gr_arena_defer().
 */
void gr_req_set_identity(gr_request *req, void *identity);

#endif
