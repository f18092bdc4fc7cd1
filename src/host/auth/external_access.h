/* SPDX-License-Identifier: MIT */
/* Static external-access tokens from `backend.auth.externalAccess`. */
#ifndef GR_HOST_AUTH_EXTERNAL_ACCESS_H
#define GR_HOST_AUTH_EXTERNAL_ACCESS_H

#include "host/auth/identity.h"

typedef struct gr_config gr_config;
typedef struct gr_auth_static_tokens gr_auth_static_tokens;

/** Minimum length of a static token, as Backstage requires. */
#define GR_AUTH_STATIC_TOKEN_MIN_LEN 8

/**
 * Reads `backend.auth.externalAccess` entries of type `static` (options.token,
 * options.subject, accessRestrictions). Tokens shorter than
 * GR_AUTH_STATIC_TOKEN_MIN_LEN or with whitespace are rejected, as Backstage
 * rejects them. Entries of type `legacy` and `jwks` are left to
 * legacy_access.h and jwks_access.h, and other types are logged and
 * ignored. Returns 0 and *out (caller frees with
 * gr_auth_static_tokens_free()), or GR_EINVALID naming the entry.
 */
int gr_auth_static_tokens_new(gr_auth_static_tokens **out, const gr_config *cfg);

/** Frees the tokens, erasing them from memory first. NULL-safe. */
void gr_auth_static_tokens_free(gr_auth_static_tokens *tokens);

/**
 * Returns the service identity ("service", "external:<subject>", with the
 * entry's restrictions but no restriction entered yet) whose token
 * equals `presented` (compared in constant time for every entry), or NULL.
 * The identity is borrowed from `tokens`. Thread-safe.
 */
const gr_identity *gr_auth_static_tokens_match(const gr_auth_static_tokens *tokens,
                                               const char *presented);

#endif
