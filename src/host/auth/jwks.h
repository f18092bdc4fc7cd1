/* SPDX-License-Identifier: MIT */
/* Verification keys of an outside issuer: a JWKS URL, a per-kid PEM URL or a PEM file, cached. */
#ifndef GR_HOST_AUTH_JWKS_H
#define GR_HOST_AUTH_JWKS_H

#include <stdint.h>

#include "host/auth/jwt.h"

/** Maximum number of keys kept from one JSON Web Key Set. */
#define GR_JWKS_MAX_KEYS 64
/** Seconds fetched keys are used before they are fetched again. */
#define GR_JWKS_CACHE_TTL_S 3600
/** Minimum seconds between two fetches, so unknown kids cannot flood the issuer. */
#define GR_JWKS_MIN_REFETCH_S 30

/*
 * A key source is one of:
 *   - `jwks_url`: a JSON Web Key Set, fetched when first needed, again after
 *     GR_JWKS_CACHE_TTL_S, and when a token names an unknown kid (at most once
 *     per GR_JWKS_MIN_REFETCH_S);
 *   - `key_url`: a URL with `{kid}` that returns one PEM public key per kid,
 *     as AWS ALB publishes them; the kid must be letters, digits, '-' or '_';
 *   - `pem_file`: one PEM public key or certificate, read once.
 * Keys are fetched only from the configured URL: the "jku", "x5u" and "jwk"
 * headers of a token are ignored.
 */
typedef struct gr_jwks gr_jwks;

/**
 * Creates a key source; exactly one of the three must be non-NULL (copied).
 * A PEM file is read at once. Returns 0 and *out (caller frees with
 * gr_jwks_free()), or GR_EINVALID / GR_ENOTFOUND naming the file.
 */
int gr_jwks_new(gr_jwks **out, const char *jwks_url, const char *key_url, const char *pem_file);

/** Frees a key source. NULL-safe. */
void gr_jwks_free(gr_jwks *jwks);

/**
 * Makes a key source from JSON Web Key Set text (for tests and static sets).
 * Keys of unsupported types are skipped. Returns 0 and *out, or GR_EINVALID.
 */
int gr_jwks_from_json(gr_jwks **out, const char *text, size_t len);

/**
 * Verifies the signature of `jwt` with the key its "kid" names (or the only
 * key, when the token has no kid and the source has one key), fetching keys
 * as described above. Returns 0, GR_EUNAUTH when no key matches or the
 * signature is wrong, or GR_EBACKEND when the keys could not be fetched.
 * `now` is seconds since the epoch. Thread-safe.
 */
int gr_jwks_verify(gr_jwks *jwks, const gr_jwt *jwt, int64_t now);

#endif
