/* SPDX-License-Identifier: MIT */
/* Signing keys of identity tokens: generated per instance, rotated, public halves in the database. */
#ifndef GR_HOST_AUTH_KEYSTORE_H
#define GR_HOST_AUTH_KEYSTORE_H

#include <jansson.h>
#include <stdint.h>

#include "host/auth/jwt.h"
#include "host/store/db.h"

/*
 * Each instance generates its own EC P-256 key pair and keeps the private key
 * in memory only; the public key goes into auth_signing_keys with the time
 * after which no token it signed can still be valid (created + rotation
 * interval + token lifetime). Any instance sharing the database therefore
 * verifies any instance's tokens, and a restart or a rotation never
 * invalidates tokens already issued. Rows past that time are deleted at the
 * next rotation.
 */
typedef struct gr_auth_keys gr_auth_keys;

/** Returns the current time in seconds since the epoch. Tests replace the clock. */
typedef int64_t (*gr_auth_clock_fn)(void *payload);

/** Maximum number of public keys cached for verification. */
#define GR_AUTH_KEYS_CACHE 64
/** Length of the secret from gr_auth_keys_secret(), in bytes. */
#define GR_AUTH_SECRET_BYTES 32

/**
 * Creates the key store on `db` (borrowed, must outlive it) and applies the
 * "auth" migrations. `rotation_s` is how long one key signs tokens and
 * `token_ttl_s` how long a token lives. Also loads (or creates once for all
 * instances) the shared secret that gr_auth_keys_secret() returns. Returns 0
 * and *out (caller frees with gr_auth_keys_free()), GR_EINVALID for
 * non-positive durations, or a database error.
 */
int gr_auth_keys_new(gr_auth_keys **out, gr_db *db, int64_t rotation_s, int64_t token_ttl_s);

/** Frees the key store after erasing the private key. NULL-safe. */
void gr_auth_keys_free(gr_auth_keys *keys);

/** Replaces the clock (NULL restores the system clock). Not thread-safe: call before use. */
void gr_auth_keys_set_clock(gr_auth_keys *keys, gr_auth_clock_fn clock, void *payload);

/** Returns the store's current time in seconds. */
int64_t gr_auth_keys_now(const gr_auth_keys *keys);

/**
 * Signs `claims` as an ES256 token with "typ" `typ` (may be NULL), first
 * rotating to a new key when the current one is older than the rotation
 * interval. Returns 0 and *out (caller frees), or an error. Thread-safe.
 */
int gr_auth_keys_sign(gr_auth_keys *keys, const json_t *claims, const char *typ, char **out);

/**
 * Verifies the signature of `jwt` with the public key its "kid" names,
 * looked up in memory and then in the database. A key past its expiry is
 * not used. Returns 0, GR_EUNAUTH, or a database error. Thread-safe.
 */
int gr_auth_keys_verify(gr_auth_keys *keys, const gr_jwt *jwt);

/**
 * Builds the JSON Web Key Set of every public key whose tokens may still be
 * valid, oldest first: {"keys":[{kty, crv, x, y, kid, use, alg}, ...]}.
 * Returns 0 and *out (caller releases), or a database error. Thread-safe.
 */
int gr_auth_keys_jwks(gr_auth_keys *keys, json_t **out);

/** Returns the secret shared by all instances (GR_AUTH_SECRET_BYTES, borrowed). */
const unsigned char *gr_auth_keys_secret(const gr_auth_keys *keys);

#endif
