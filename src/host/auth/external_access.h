/* SPDX-License-Identifier: MIT */
/* Authentication of API requests by static external-access tokens. */
#ifndef GR_HOST_AUTH_EXTERNAL_ACCESS_H
#define GR_HOST_AUTH_EXTERNAL_ACCESS_H

typedef struct gr_config gr_config;
typedef struct gr_request gr_request;

/** The caller of a request, set on the request by the authenticator. */
typedef struct {
    const char *type;    /* "service" for static tokens, "user" for user tokens */
    const char *subject; /* e.g. "external:ci-bot" or "user:default/jane" */
} gr_identity;

typedef struct gr_auth gr_auth;

/**
 * Reads `backend.auth.externalAccess` entries of type `static` (options.token,
 * options.subject) and `backend.auth.dangerouslyDisableDefaultAuthPolicy`.
 * Tokens shorter than 8 characters or with whitespace are rejected, as
 * Backstage rejects them. Returns 0 and *out (caller frees with
 * gr_auth_free()), or GR_EINVALID naming the entry.
 */
int gr_auth_new(gr_auth **out, const gr_config *cfg);

void gr_auth_free(gr_auth *auth);

/**
 * The HTTP authenticator: accepts `Authorization: Bearer <token>` when the
 * token matches a static token (compared in constant time) and sets the
 * request's identity. Returns 0, or GR_EUNAUTH with a message that never
 * contains the presented token. Thread-safe.
 */
int gr_auth_authenticate(gr_request *req, void *auth);

#endif
