/* SPDX-License-Identifier: MIT */
/* JSON Web Keys (RFC 7517) to and from OpenSSL keys: EC P-256/P-384 and RSA public keys. */
#ifndef GR_HOST_AUTH_JWK_H
#define GR_HOST_AUTH_JWK_H

#include <jansson.h>
#include <openssl/evp.h>

/**
 * Builds the public JWK of `key` (EC P-256 or P-384, or RSA) with "kid",
 * "use": "sig" and "alg" (`alg` may be NULL to leave it out). Returns a new
 * reference, or NULL with GR_EINVALID set for another key type.
 */
json_t *gr_jwk_from_pkey(EVP_PKEY *key, const char *kid, const char *alg);

/**
 * Makes an OpenSSL public key from a JWK object (kty EC with crv P-256 or
 * P-384, or kty RSA). Private members are ignored. Returns 0 and *out
 * (caller frees with EVP_PKEY_free), or GR_EINVALID naming the member at fault.
 */
int gr_jwk_to_pkey(const json_t *jwk, EVP_PKEY **out);

/**
 * Reads the first public key (or certificate) in PEM text. Returns 0 and *out
 * (caller frees with EVP_PKEY_free), or GR_EINVALID.
 */
int gr_pem_public_key(const char *pem, size_t len, EVP_PKEY **out);

/** Generates an EC P-256 key pair. Returns 0 and *out (caller frees), or GR_ERROR. */
int gr_jwk_generate_es256(EVP_PKEY **out);

/** Writes a random version 4 UUID (36 characters and the NUL) into `out`. */
void gr_jwk_random_uuid(char out[37]);

#endif
