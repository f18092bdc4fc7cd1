/* SPDX-License-Identifier: MIT */
/* JSON Web Tokens (RFC 7519) in compact JWS form: parse, sign (ES256), verify, check claims. */
#ifndef GR_HOST_AUTH_JWT_H
#define GR_HOST_AUTH_JWT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/** Maximum length of a compact token accepted for parsing, in bytes. */
#define GR_JWT_MAX_BYTES 16384

/** A parsed, not yet verified token. Every member is owned by the struct. */
typedef struct {
    json_t *header;
    json_t *payload;
    char *signing_input; /* "header.payload" exactly as received */
    unsigned char *signature;
    size_t signature_len;
} gr_jwt;

/**
 * Splits and decodes a compact token: three base64url parts, a JSON object
 * header with a string "alg", a JSON object payload. Nothing is verified.
 * Returns 0 and fills *out (clear with gr_jwt_clear()), GR_ELIMIT past
 * GR_JWT_MAX_BYTES, or GR_EINVALID saying which part is malformed. The
 * message never contains the token.
 */
int gr_jwt_parse(const char *compact, gr_jwt *out);

/** Frees the members of a parsed token. NULL-safe and safe to call twice. */
void gr_jwt_clear(gr_jwt *jwt);

/**
 * Verifies the signature of a parsed token with `key`. The header's "alg"
 * must be ES256 or ES384 for an EC key of the matching curve, or RS256 for
 * an RSA key; "none" and HMAC algorithms are always rejected, so a public key
 * can never be used as an HMAC secret. Returns 0 or GR_EUNAUTH.
 */
int gr_jwt_verify(const gr_jwt *jwt, EVP_PKEY *key);

/**
 * Signs `claims` with the EC P-256 `key` as ES256, with header
 * {"alg":"ES256","kid":kid} plus "typ" when `typ` is not NULL. Returns 0 and
 * the compact token in *out (caller frees), or GR_ERROR.
 */
int gr_jwt_sign_es256(EVP_PKEY *key, const char *kid, const char *typ, const json_t *claims,
                      char **out);

/** What gr_jwt_check_claims() requires. NULL members are not checked. */
typedef struct {
    const char *issuer;   /* "iss" must equal it */
    const char *audience; /* "aud" (a string or an array of strings) must contain it */
    const char *nonce;    /* "nonce" must equal it */
    int64_t now;          /* seconds since the epoch */
    int64_t leeway_s;     /* clock skew allowed on exp, nbf and iat */
    int require_exp;      /* nonzero: a token without "exp" is rejected */
} gr_jwt_expect;

/**
 * Checks the registered claims of a verified payload: exp in the future, nbf
 * and iat not in the future (each within the leeway), and iss, aud and nonce
 * as `expect` demands. Returns 0, or GR_EUNAUTH naming the claim that failed.
 */
int gr_jwt_check_claims(const json_t *payload, const gr_jwt_expect *expect);

#endif
