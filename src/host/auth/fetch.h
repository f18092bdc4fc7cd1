/* SPDX-License-Identifier: MIT */
/* Outgoing HTTP requests of the auth module (JWKS, OIDC discovery, token exchange), via libcurl. */
#ifndef GR_HOST_AUTH_FETCH_H
#define GR_HOST_AUTH_FETCH_H

#include "host/common/buf.h"

/** Maximum size of a response body the auth module reads, in bytes. */
#define GR_AUTH_FETCH_MAX_BYTES (1024 * 1024)
/** Time limit of one request, connection included, in seconds. */
#define GR_AUTH_FETCH_TIMEOUT_S 10

/**
 * Sends GET `url`, or POST with `form` as an application/x-www-form-urlencoded
 * body when `form` is not NULL, with optional `authorization` header value.
 * Only http and https are allowed and redirects are not followed, so a
 * response can never send the request to a host that the configuration does
 * not name. Appends the body to `out` and stores the status in *status.
 * Returns 0 for any HTTP status, GR_ELIMIT past GR_AUTH_FETCH_MAX_BYTES, or
 * GR_EBACKEND with curl's message naming the URL. Thread-safe.
 */
int gr_auth_fetch(const char *url, const char *form, const char *authorization, gr_buf *out,
                  long *status);

#endif
