/* SPDX-License-Identifier: MIT */
/* Backstage identity tokens: ES256 JWTs with sub (user ref) and ent (ownership refs). */
#ifndef GR_HOST_AUTH_TOKEN_H
#define GR_HOST_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "host/auth/identity.h"
#include "host/auth/keystore.h"
#include "host/common/arena.h"

/** Audience of every identity token, as Backstage sets it. */
#define GR_AUTH_TOKEN_AUDIENCE "backstage"
/** Header "typ" of user identity tokens, as Backstage sets it. */
#define GR_AUTH_TOKEN_TYPE "vnd.backstage.user"
/** Clock skew accepted when verifying our own tokens, in seconds. */
#define GR_AUTH_TOKEN_LEEWAY_S 30

/*
 * Claims: {"iss": issuer, "sub": user ref, "ent": [ownership refs], "aud":
 * "backstage", "iat": now, "exp": now + lifetime, "sid": session id};
 * header {"alg": "ES256", "kid": ..., "typ": "vnd.backstage.user"}.
 */

/**
 * Issues a token for `user_ref` with `ownership[0..count)` as "ent" and
 * `session_id` (may be NULL) as "sid", valid for `ttl_s` seconds from the key
 * store's clock. Returns 0 and *out (caller frees), GR_EINVALID for an empty
 * ref or too many ownership refs, or a signing error. *expires_at (may be
 * NULL) receives "exp".
 */
int gr_auth_token_issue(gr_auth_keys *keys, const char *issuer, const char *user_ref,
                        const char *const *ownership, size_t count, const char *session_id,
                        int64_t ttl_s, char **out, int64_t *expires_at);

/**
 * Verifies a token: ES256 signature by a key of the store, typ (when present)
 * "vnd.backstage.user", iss `issuer`, aud "backstage", exp in the future,
 * string sub and an array of string ent. On success fills `identity` with
 * type "user", subject, ownership and session_id (from "sid", NULL when
 * absent) allocated from `arena`, and token set to a copy of `token`.
 * Returns 0, GR_EUNAUTH with the reason, or a database error. The reason never contains the token.
 */
int gr_auth_token_verify(gr_auth_keys *keys, const char *issuer, const char *token,
                         gr_arena *arena, gr_identity *identity);

#endif
