/* SPDX-License-Identifier: MIT */
/* Identity-aware proxies: a header with a JWT signed by the proxy, or a trusted user header. */
#ifndef GR_HOST_AUTH_PROXY_H
#define GR_HOST_AUTH_PROXY_H

#include <jansson.h>
#include <stdint.h>

#include "host/auth/resolver.h"

/*
 * Providers, by their key under auth.providers (Backstage's names), with the
 * header and keys each uses unless the config overrides them:
 *   gcpIap      x-goog-iap-jwt-assertion, keys from Google's IAP JWKS,
 *               issuer https://cloud.google.com/iap, `audience` required
 *   awsalb      x-amzn-oidc-data, one PEM key per kid from
 *               https://public-keys.auth.elb.<region>.amazonaws.com/<kid>,
 *               `issuer` required, optional `signer` (the ALB's ARN)
 *   cfaccess    cf-access-jwt-assertion, keys from
 *               https://<teamName>.cloudflareaccess.com/cdn-cgi/access/certs,
 *               issuer https://<teamName>.cloudflareaccess.com
 *   oauth2Proxy `jwtHeader` required, or the trusted-header mode
 * Every provider accepts: jwtHeader, jwksUrl, keyUrl (with {kid}),
 * publicKeyFile (PEM), issuer, audience, signIn.resolvers, and
 * userHeader + dangerouslyTrustUserHeader: true, which trusts a plain header
 * naming the user's email or name without any signature (only for a network
 * where nothing but the proxy can reach greenroom).
 */
typedef struct gr_auth_proxy gr_auth_proxy;

/** Returns nonzero when `id` names a proxy provider. */
int gr_auth_proxy_is_known(const char *id);

/**
 * Reads the config object `config` of proxy provider `id` (copied).
 * Returns 0 and *out (caller frees with gr_auth_proxy_free()), or
 * GR_EINVALID naming the key at auth.providers.<id> and the fix.
 */
int gr_auth_proxy_new(gr_auth_proxy **out, const char *id, const json_t *config);

/** Frees a proxy provider. NULL-safe. */
void gr_auth_proxy_free(gr_auth_proxy *proxy);

/** Returns the provider id (borrowed). */
const char *gr_auth_proxy_id(const gr_auth_proxy *proxy);

/** Returns the request header this provider reads (lower case, borrowed). */
const char *gr_auth_proxy_header(const gr_auth_proxy *proxy);

/**
 * Checks the value of the provider's header: the JWT's signature against the
 * provider's keys, exp/nbf/iat, iss and aud (and the ALB signer); in
 * trusted-header mode, only that the value is a plausible email or name.
 * Returns 0 and the claims in *claims (new reference), GR_EUNAUTH with the
 * reason, or GR_EBACKEND when the keys cannot be fetched. `now` is seconds
 * since the epoch. Thread-safe.
 */
int gr_auth_proxy_verify(gr_auth_proxy *proxy, const char *value, int64_t now, json_t **claims);

/** Fills `profile` from verified claims (borrowed from `claims`). */
void gr_auth_proxy_profile(const json_t *claims, gr_auth_profile *profile);

/** Returns the provider's resolvers (borrowed). */
const gr_auth_resolvers *gr_auth_proxy_resolvers(const gr_auth_proxy *proxy);

#endif
