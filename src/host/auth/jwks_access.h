/* SPDX-License-Identifier: MIT */
/* External access of type `jwks`: tokens of an outside issuer, verified with its JSON Web Key Set.
 */
#ifndef GR_HOST_AUTH_JWKS_ACCESS_H
#define GR_HOST_AUTH_JWKS_ACCESS_H

#include <stdint.h>

#include "host/auth/identity.h"
#include "host/common/arena.h"

typedef struct gr_config gr_config;
typedef struct gr_auth_jwks_access gr_auth_jwks_access;

/**
 * Reads `backend.auth.externalAccess` entries of type `jwks`: options.url,
 * options.issuer, options.audience, options.algorithm, options.subjectPrefix
 * and accessRestrictions. The URL must be http or https, and it is fetched
 * only when a token arrives. Issuers, audiences and algorithms are each a
 * string or a list, split at spaces and commas, and an empty one accepts
 * any value. The algorithms must be ones that greenroom verifies: ES256,
 * ES384 or RS256. Returns 0 and *out (caller frees with
 * gr_auth_jwks_access_free()), or GR_EINVALID naming the key path at fault.
 */
int gr_auth_jwks_access_new(gr_auth_jwks_access **out, const gr_config *cfg);

/** Frees the entries and their cached keys. NULL-safe. */
void gr_auth_jwks_access_free(gr_auth_jwks_access *access);

/**
 * Tries each jwks entry in config order on `token`. An entry checks that the
 * header's "alg" is one of its algorithms and that a key of its set verifies
 * the signature (see gr_jwks_verify() for fetching and caching). It then
 * checks that "iss" is one of its issuers, that "aud" contains one of its
 * audiences, "exp" and "nbf" against `now` with GR_AUTH_TOKEN_LEEWAY_S of
 * clock skew, and a non-empty "sub". As in Backstage, "exp" is checked only
 * when present. The first entry that
 * accepts the token gives the "service" identity
 * "external:[<subjectPrefix>:]<sub>" with source "jwks" and the entry's
 * restrictions (subject in `arena`). Returns 0 and fills *identity, 1 when
 * no jwks entry is configured or `token` is not a JWT, or GR_EUNAUTH with
 * the reason of the last entry, which never contains the token. An entry
 * whose keys cannot be fetched is logged and counts as not accepting.
 * Thread-safe.
 */
int gr_auth_jwks_access_verify(const gr_auth_jwks_access *access, const char *token, int64_t now,
                               gr_arena *arena, gr_identity *identity);

#endif
