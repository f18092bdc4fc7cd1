/* SPDX-License-Identifier: MIT */
/* Authentication of API requests: user tokens, sessions, proxies and static tokens. */
#ifndef GR_HOST_AUTH_AUTH_H
#define GR_HOST_AUTH_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/auth/identity.h"
#include "host/auth/keystore.h"
#include "host/auth/proxy.h"
#include "host/auth/resolver.h"
#include "host/http/request.h"

typedef struct gr_config gr_config;
typedef struct gr_auth gr_auth;
typedef struct gr_auth_signin gr_auth_signin; /* host/auth/signin.h */

/** Default lifetime of identity tokens and sessions, in seconds (Backstage's default). */
#define GR_AUTH_DEFAULT_TOKEN_TTL_S 3600
/** Shortest and longest token lifetimes accepted, in seconds, as Backstage clamps them. */
#define GR_AUTH_MIN_TOKEN_TTL_S 600
#define GR_AUTH_MAX_TOKEN_TTL_S 86400
/** Default longest time a sign-in session can be refreshed, in seconds: a week. */
#define GR_AUTH_DEFAULT_SESSION_MAX_AGE_S (7 * 86400)
/** Default time one signing key signs tokens before a new one is made, in seconds. */
#define GR_AUTH_DEFAULT_KEY_ROTATION_S (6 * 3600)

/**
 * Reads the auth configuration: backend.auth.externalAccess (static,
 * legacy and jwks entries with their accessRestrictions),
 * backend.auth.dangerouslyDisableDefaultAuthPolicy, auth.environment,
 * auth.backstageTokenExpiration, auth.sessionMaxAge, auth.keyRotation,
 * auth.ownership.includeParentGroups, the proxy providers under
 * auth.providers, and app.baseUrl / backend.baseUrl for the cookie flags and
 * the token issuer. Opens the key store on `db` (borrowed; may be NULL,
 * which leaves only static tokens and proxies working, for tools without a
 * database). `cfg` is borrowed and must outlive the result.
 * Returns 0 and *out (caller frees with gr_auth_free()), GR_EINVALID naming
 * the key at fault, or a database error.
 */
int gr_auth_new(gr_auth **out, const gr_config *cfg, gr_db *db);

/** Frees everything gr_auth_new() made. NULL-safe. */
void gr_auth_free(gr_auth *auth);

/**
 * The HTTP authenticator (gr_http_authenticator). Accepts, in this order:
 * `Authorization: Bearer` with a static token, a legacy HS256 service token,
 * a token of a jwks issuer, or a user identity token whose session is still
 * open (one database read per request). Then it tries the header of a
 * configured identity-aware proxy, then the session cookie. When
 * dangerouslyDisableDefaultAuthPolicy is set, it accepts no credentials at all. Sets a
 * gr_identity (request arena) on the request. Returns 0, GR_EUNAUTH with
 * a message that never contains a credential (each rejected credential is
 * written to the audit log), or GR_EDENIED when the token's
 * accessRestrictions do not list the plugin of the request path. Thread-safe.
 */
int gr_auth_authenticate(gr_request *req, void *auth);

/**
 * Installs how sign-in finds User entities (copied). The catalog calls this
 * in its init hook, before the server starts; not thread-safe.
 */
void gr_auth_set_user_lookup(gr_auth *auth, const gr_auth_user_lookup *lookup);

/** Returns the sign-in providers registered on `auth` (borrowed, host/auth/signin.h). */
gr_auth_signin *gr_auth_signin_registry(const gr_auth *auth);

/** Returns the config `auth` was made from (borrowed). */
const gr_config *gr_auth_config(const gr_auth *auth);

/** Returns the installed user lookup, or NULL when no catalog installed one. */
const gr_auth_user_lookup *gr_auth_user_lookup_get(const gr_auth *auth);

/** Returns the key store (borrowed), or NULL without a database. */
gr_auth_keys *gr_auth_keys_get(const gr_auth *auth);

/** Returns the issuer of our tokens: backend.baseUrl + "/api/auth" (borrowed). */
const char *gr_auth_issuer(const gr_auth *auth);

/** Returns auth.environment ("development" by default; borrowed). */
const char *gr_auth_environment(const gr_auth *auth);

/** Returns app.baseUrl without a trailing slash (borrowed). */
const char *gr_auth_app_url(const gr_auth *auth);

/** Returns the lifetime of tokens and sessions in seconds. */
int64_t gr_auth_token_ttl(const gr_auth *auth);

/** Returns whether ownership follows parent groups (auth.ownership.includeParentGroups). */
bool gr_auth_include_parent_groups(const gr_auth *auth);

/**
 * Opens a sign-in session for `user` in the database and issues an identity
 * token that carries its id. Returns 0 and *token (caller frees) with
 * *expires_at (may be NULL), GR_EINVALID without a key store, or a database
 * or signing error.
 */
int gr_auth_issue(gr_auth *auth, const gr_auth_user *user, char **token, int64_t *expires_at);

/**
 * Extends the session of a verified user `identity` by the token lifetime and
 * issues a new token of the same session, subject and ownership. Returns 0
 * and *token (caller frees) with *expires_at (may be NULL), GR_EUNAUTH when
 * the identity has no session or it was revoked, or a database or signing
 * error.
 */
int gr_auth_refresh(gr_auth *auth, const gr_identity *identity, char **token,
                    int64_t *expires_at);

/**
 * Revokes the session of `identity` on every instance: its tokens and cookie
 * are rejected from then on. Succeeds without a session. Returns 0 or a
 * database error.
 */
int gr_auth_sign_out(gr_auth *auth, const gr_identity *identity);

/**
 * Builds the Set-Cookie value that stores `token` as the session (Path=/,
 * HttpOnly, SameSite=Lax, Secure when app.baseUrl is https, Max-Age the
 * token lifetime), or that deletes the session when `token` is NULL.
 * Caller frees.
 */
char *gr_auth_session_cookie(const gr_auth *auth, const char *token);

/**
 * Verifies the session cookie of a request on a public route (refresh,
 * logout). Returns 0 and fills `identity` (request arena), GR_ENOTFOUND
 * without a cookie, or GR_EUNAUTH with the reason.
 */
int gr_auth_session_verify(gr_auth *auth, gr_request *req, gr_identity *identity);

/** Returns the proxy provider `id`, or NULL when it is not configured. */
gr_auth_proxy *gr_auth_proxy_get(const gr_auth *auth, const char *id);

/**
 * Signs in through proxy `proxy` from the request's header: verifies it and
 * runs the provider's resolvers. Returns 0 with *user (free with
 * gr_auth_user_free()) and *claims (json_decref), GR_EUNAUTH when the header
 * is missing or invalid, or the resolver's error.
 */
int gr_auth_proxy_sign_in(gr_auth *auth, gr_auth_proxy *proxy, gr_request *req,
                          gr_auth_user **user, json_t **claims);

/**
 * Reads a duration at `path`: an object of days, hours, minutes and seconds
 * (Backstage's HumanDuration), a number of seconds, or a string such as
 * "90s", "30m", "12h" or "7d". Stores seconds in *out, or `fallback` when
 * absent. Returns 0, or GR_EINVALID naming the key.
 */
int gr_auth_config_duration(const gr_config *cfg, const char *path, int64_t fallback,
                            int64_t *out);

#endif
