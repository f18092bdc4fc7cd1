/* SPDX-License-Identifier: MIT */
/* Request parsing shared by the catalog routes: integers, JSON bodies, filters, Link URLs. */
#ifndef GR_PLUGINS_CATALOG_API_REQUEST_H
#define GR_PLUGINS_CATALOG_API_REQUEST_H

#include <jansson.h>
#include <stdint.h>

#include "host/http/http.h"

/**
 * Reads query parameter `name` as an integer >= 0 into *out. Returns 1 when
 * present, 0 when absent (*out unchanged), or GR_EINVALID worded as
 * Backstage's request validation ("request/query/limit must be integer").
 */
int gr_catalog_api__query_int(gr_request *req, const char *name, int64_t *out);

/**
 * Parses the request body as a JSON object into *out (caller frees). An
 * empty body gives an empty object. Returns 0, or GR_EINVALID naming the
 * JSON error or the wrong type.
 */
int gr_catalog_api__body_object(gr_request *req, json_t **out);

/**
 * Checks the body as Backstage's validateRequestBody does before reading
 * it: a JSON content type and a non-empty JSON object. Returns 0 with *out
 * (caller frees), or GR_EINVALID with Backstage's message.
 */
int gr_catalog_api__body_required(gr_request *req, json_t **out);

/** Parses every `filter` parameter into a predicate (NULL when none). Returns 0 or GR_EINVALID. */
int gr_catalog_api__filter_param(gr_request *req, json_t **out);

/**
 * Returns the `after` link of the legacy list, as Backstage builds it: the
 * request's path inside the plugin and its query, re-encoded as an HTML
 * form, without `offset` and with `after` set to `after` (allocated from
 * the request arena).
 */
const char *gr_catalog_api__next_link(gr_request *req, const char *after);

#endif
