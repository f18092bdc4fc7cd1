/* SPDX-License-Identifier: MIT */
/* Cookies, HMAC-signed values and CSRF protection for browser sessions. */
#ifndef GR_HOST_AUTH_COOKIE_H
#define GR_HOST_AUTH_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "host/http/request.h"

/** Name of the session cookie; its value is the user's identity token. */
#define GR_AUTH_SESSION_COOKIE "greenroom-session"
/** Name of the form field that carries the CSRF token. */
#define GR_AUTH_CSRF_FIELD "_csrf"
/** Name of the header that may carry the CSRF token instead (scripts). */
#define GR_AUTH_CSRF_HEADER "X-CSRF-Token"
/** Maximum length of a cookie value read, in bytes. */
#define GR_AUTH_MAX_COOKIE_BYTES 8192

/**
 * Returns the value of cookie `name` from the Cookie header (copied to the
 * request arena), or NULL when absent or longer than GR_AUTH_MAX_COOKIE_BYTES.
 */
const char *gr_auth_cookie(gr_request *req, const char *name);

/**
 * Builds a Set-Cookie value: `name=value; Path=path; Max-Age=max_age_s;
 * HttpOnly; SameSite=Lax` and `; Secure` when `secure`. A max_age_s of 0
 * deletes the cookie. Caller frees.
 */
char *gr_auth_cookie_header(const char *name, const char *value, const char *path,
                            int64_t max_age_s, int secure);

/**
 * Computes the base64url HMAC-SHA256 of `data` under the 32-byte `secret`.
 * Caller frees.
 */
char *gr_auth_hmac(const unsigned char *secret, const char *data);

/** Compares two strings in time that depends only on their lengths. Returns nonzero when equal. */
int gr_auth_equal(const char *a, const char *b);

/**
 * Returns the CSRF token that a form of this request must send back, in a
 * hidden field named GR_AUTH_CSRF_FIELD, or "" when the caller's identity
 * needs none (bearer tokens cannot be sent by another site). Borrowed from
 * the request.
 */
const char *gr_auth_csrf_token(gr_request *req);

/**
 * Protects a state-changing request of a browser identity (cookie session
 * or identity-aware proxy) against cross-site request forgery: an Origin
 * header (or else a Referer) must name app.baseUrl's origin, and the
 * GR_AUTH_CSRF_HEADER header or the form field GR_AUTH_CSRF_FIELD of an
 * application/x-www-form-urlencoded body must equal gr_auth_csrf_token().
 * GET, HEAD and OPTIONS always pass. Returns 0, GR_EUNAUTH without an
 * identity, or GR_EDENIED with the reason (the route answers 403).
 */
int gr_auth_csrf_check(gr_request *req);

#endif
