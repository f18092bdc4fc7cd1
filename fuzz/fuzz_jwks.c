/* SPDX-License-Identifier: MIT */
/* Fuzz target: JSON Web Key Sets, single JWKs and PEM public keys, then token verification. */
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/jwk.h"
#include "host/auth/jwks.h"
#include "host/auth/jwt.h"
#include "host/common/error.h"
#include "host/log/log.h"

/*
 * The first byte picks what the rest of the input is:
 *   0  a JSON Web Key Set, as an issuer's JWKS URL returns it
 *   1  one JWK; a key made from it must survive gr_jwk_from_pkey() and back
 *   2  PEM text, as a key file or a per-kid key URL returns it
 * Each accepted key set verifies three tokens signed by the fixed key below:
 * with kid "fuzz-1", with an unknown kid and without a kid. The seeds hold
 * this key's JWK, so the fuzzer starts from sets where verification passes.
 */

#define NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A P-256 key made for this target only; it signs nothing outside it. */
static const char signing_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFud5sbfwJJHcajQd\n"
    "0CasaHopsI2ERS4HC379KDhIaYihRANCAAQ4nuvO4rh/+CU3HXPb6nR3zj5cHBo1\n"
    "T9QcTnQbbqOoN21PZuEvPILaXL+eLKhWtYeDVNRnSMJAFHHKBVUvft3Q\n"
    "-----END PRIVATE KEY-----\n";

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_jwks: %s: %s\n", what, gr_error_last());
    abort();
}

/* Returns the three parsed tokens, made on first call. */
static gr_jwt *tokens_get(void)
{
    static gr_jwt tokens[3];
    static int ready;
    static const char *const kids[] = {"fuzz-1", "unknown", "fuzz-1"};
    BIO *bio;
    EVP_PKEY *key;
    json_t *claims;

    if (ready)
        return tokens;
    gr_log_set_level(GR_LOG_ERROR);
    bio = BIO_new_mem_buf(signing_key_pem, -1);
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL)
        fail("reading the signing key");
    claims = json_pack("{s:s, s:s, s:I}", "iss", "https://issuer.example", "sub", "fuzz",
                       "exp", (json_int_t)NOW + 600);
    for (size_t i = 0; i < 3; i++) {
        char *compact = NULL;

        if (gr_jwt_sign_es256(key, kids[i], NULL, claims, &compact) != GR_OK)
            fail("signing a token");
        if (gr_jwt_parse(compact, &tokens[i]) != GR_OK)
            fail("parsing a signed token");
        free(compact);
    }
    /* The signer always writes a kid, so the third token loses it after parsing. Its
     * signature still matches, because the signing input keeps the header as sent. */
    json_object_del(tokens[2].header, "kid");
    json_decref(claims);
    EVP_PKEY_free(key);
    ready = 1;
    return tokens;
}

static void verify_all(gr_jwks *jwks)
{
    gr_jwt *tokens = tokens_get();

    for (size_t i = 0; i < 3; i++)
        (void)gr_jwks_verify(jwks, &tokens[i], NOW);
}

static void fuzz_key_set(const char *text, size_t len)
{
    gr_jwks *jwks = NULL;

    if (gr_jwks_from_json(&jwks, text, len) != GR_OK)
        return;
    verify_all(jwks);
    gr_jwks_free(jwks);
}

/* A key read from a JWK must write out as a JWK that reads back as the same key. */
static void fuzz_one_key(const char *text, size_t len)
{
    json_t *jwk = json_loadb(text, len, 0, NULL);
    EVP_PKEY *key = NULL;
    EVP_PKEY *again = NULL;
    json_t *written = NULL;

    if (jwk == NULL || gr_jwk_to_pkey(jwk, &key) != GR_OK)
        goto done;
    written = gr_jwk_from_pkey(key, "fuzz", "ES256");
    if (written == NULL)
        fail("a key read from a JWK cannot be written as one");
    if (gr_jwk_to_pkey(written, &again) != GR_OK)
        fail("a written JWK does not read back");
    if (EVP_PKEY_eq(key, again) != 1)
        fail("a written JWK reads back as another key");

done:
    EVP_PKEY_free(again);
    EVP_PKEY_free(key);
    json_decref(written);
    json_decref(jwk);
}

static void fuzz_pem(const char *text, size_t len)
{
    EVP_PKEY *key = NULL;
    gr_jwt *tokens = tokens_get();

    if (gr_pem_public_key(text, len, &key) != GR_OK)
        return;
    for (size_t i = 0; i < 3; i++)
        (void)gr_jwt_verify(&tokens[i], key);
    EVP_PKEY_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data + 1;

    if (size == 0)
        return 0;
    tokens_get();
    switch (data[0] % 3) {
    case 0:
        fuzz_key_set(text, size - 1);
        break;
    case 1:
        fuzz_one_key(text, size - 1);
        break;
    default:
        fuzz_pem(text, size - 1);
        break;
    }
    return 0;
}
