/* SPDX-License-Identifier: MIT */
/* Fuzz target: JWT parsing, signature verification, claim checks and identity token checks. */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/identity.h"
#include "host/auth/jwk.h"
#include "host/auth/jwt.h"
#include "host/auth/keystore.h"
#include "host/auth/token.h"
#include "host/common/alloc.h"
#include "host/common/arena.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db.h"

/*
 * The first byte picks what the rest of the input is:
 *   even  a compact token, as a client sends it in Authorization: Bearer
 *   odd   the claims of a token that the key store signs, so that the
 *         checks after a valid signature see arbitrary claims
 * A token signed by the store must parse and verify; anything else aborts.
 */

#define ISSUER "http://127.0.0.1:7007/api/auth"
#define NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    gr_db *db;
    gr_auth_keys *store;
    EVP_PKEY *keys[3]; /* EC P-256, EC P-384, RSA 2048 */
} fixture;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_jwt: %s: %s\n", what, gr_error_last());
    abort();
}

static int64_t fixed_clock(void *payload)
{
    (void)payload;
    return NOW;
}

static fixture *fixture_get(void)
{
    static fixture fx;
    gr_db_options options = {.client = "sqlite", .path = ":memory:"};

    if (fx.store != NULL)
        return &fx;
    gr_log_set_level(GR_LOG_ERROR);
    if (gr_db_open(&fx.db, &options) != GR_OK ||
        gr_auth_keys_new(&fx.store, fx.db, 3600, 3600) != GR_OK)
        fail("creating the key store");
    gr_auth_keys_set_clock(fx.store, fixed_clock, NULL);
    if (gr_jwk_generate_es256(&fx.keys[0]) != GR_OK)
        fail("generating a P-256 key");
    fx.keys[1] = EVP_EC_gen("P-384");
    fx.keys[2] = EVP_RSA_gen(2048);
    if (fx.keys[1] == NULL || fx.keys[2] == NULL)
        fail("generating the P-384 and RSA keys");
    return &fx;
}

static void check_claims(const json_t *payload)
{
    gr_jwt_expect strict = {.issuer = ISSUER, .audience = "backstage", .nonce = "n-1",
                            .now = NOW, .leeway_s = 30, .require_exp = 1};
    gr_jwt_expect loose = {.now = NOW};

    (void)gr_jwt_check_claims(payload, &strict);
    (void)gr_jwt_check_claims(payload, &loose);
}

/* Verifies `token` as the authenticator does: with the store, then with each fixed key. */
static int verify_token(fixture *fx, const char *token)
{
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    gr_jwt jwt;
    int rc;

    memset(&identity, 0, sizeof(identity));
    rc = gr_auth_token_verify(fx->store, ISSUER, token, arena, &identity);
    if (rc == GR_OK && identity.subject == NULL)
        fail("a verified identity has no subject");
    gr_arena_free(arena);

    if (gr_jwt_parse(token, &jwt) == GR_OK) {
        for (size_t i = 0; i < sizeof(fx->keys) / sizeof(fx->keys[0]); i++)
            (void)gr_jwt_verify(&jwt, fx->keys[i]);
        (void)gr_auth_keys_verify(fx->store, &jwt);
        check_claims(jwt.payload);
    }
    gr_jwt_clear(&jwt);
    return rc;
}

static void fuzz_signed_claims(fixture *fx, const char *text, size_t len)
{
    json_t *claims = json_loadb(text, len, 0, NULL);
    char *token = NULL;
    gr_jwt jwt;

    if (!json_is_object(claims)) {
        json_decref(claims);
        return;
    }
    if (gr_auth_keys_sign(fx->store, claims, GR_AUTH_TOKEN_TYPE, &token) != GR_OK)
        fail("signing claims");
    if (gr_jwt_parse(token, &jwt) != GR_OK)
        fail("a token the store signed does not parse");
    if (gr_auth_keys_verify(fx->store, &jwt) != GR_OK)
        fail("a token the store signed does not verify");
    gr_jwt_clear(&jwt);
    verify_token(fx, token);
    free(token);
    json_decref(claims);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fixture *fx = fixture_get();
    char *text;

    if (size == 0)
        return 0;
    if (data[0] % 2 == 1) {
        fuzz_signed_claims(fx, (const char *)data + 1, size - 1);
        return 0;
    }
    text = gr_xstrndup((const char *)data + 1, size - 1);
    verify_token(fx, text);
    free(text);
    return 0;
}
