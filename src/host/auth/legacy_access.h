/* SPDX-License-Identifier: MIT */
/* Legacy external access: HS256 service tokens signed with a shared secret, as Backstage's. */
#ifndef GR_HOST_AUTH_LEGACY_ACCESS_H
#define GR_HOST_AUTH_LEGACY_ACCESS_H

#include <stdint.h>

#include "host/auth/identity.h"

typedef struct gr_config gr_config;
typedef struct gr_auth_legacy_keys gr_auth_legacy_keys;

/** Subject every legacy service token must carry, as Backstage's legacy tokens do. */
#define GR_AUTH_LEGACY_SUBJECT "backstage-server"

/** Maximum length of a decoded legacy secret, in bytes. */
#define GR_AUTH_LEGACY_MAX_SECRET_BYTES 1024

/**
 * Reads `backend.auth.externalAccess` entries of type `legacy`:
 * options.secret (base64, standard or URL-safe alphabet), options.subject
 * and accessRestrictions.
 * Returns 0 and *out (caller frees with gr_auth_legacy_keys_free()), or
 * GR_EINVALID naming the entry.
 */
int gr_auth_legacy_keys_new(gr_auth_legacy_keys **out, const gr_config *cfg);

/** Frees the keys, erasing the secrets from memory first. NULL-safe. */
void gr_auth_legacy_keys_free(gr_auth_legacy_keys *keys);

/**
 * Verifies `token` when its header says HS256: the signature under one of
 * the secrets, "sub" GR_AUTH_LEGACY_SUBJECT, and "exp" after `now` in seconds,
 * with 30 seconds of clock skew allowed. Returns 0 with *identity, the
 * matching entry's "service" identity "external:<subject>" (borrowed from
 * `keys`). Returns 1 when no legacy entry is configured or the token is not
 * HS256, and GR_EUNAUTH with a reason that never contains the token.
 * Thread-safe.
 */
int gr_auth_legacy_keys_verify(const gr_auth_legacy_keys *keys, const char *token, int64_t now,
                               const gr_identity **identity);

#endif
