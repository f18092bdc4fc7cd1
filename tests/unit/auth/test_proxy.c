/* SPDX-License-Identifier: MIT */
/* Tests of identity-aware proxy tokens: signature, issuer, audience, expiry, key sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/gr_test.h"
#include "host/auth/base64url.h"
#include "host/auth/jwk.h"
#include "host/auth/jwks.h"
#include "host/auth/jwt.h"
#include "host/auth/proxy.h"
#include "host/common/alloc.h"
#include "host/common/error.h"

#define NOW 1800000000
#define AUDIENCE "/projects/42/global/backendServices/7"

typedef struct {
    char *dir;
    char *pem_path;
    EVP_PKEY *key;   /* the proxy's key */
    EVP_PKEY *other; /* a key the proxy does not use */
} proxy_fixture;

static int fixture_setup(void **state)
{
    proxy_fixture *f = gr_xcalloc(1, sizeof(*f));
    FILE *file;

    f->dir = gr_test_tmpdir("proxy");
    f->pem_path = gr_xasprintf("%s/iap.pem", f->dir);
    if (gr_jwk_generate_es256(&f->key) != GR_OK || gr_jwk_generate_es256(&f->other) != GR_OK)
        return -1;
    file = fopen(f->pem_path, "w");
    PEM_write_PUBKEY(file, f->key);
    fclose(file);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    proxy_fixture *f = *state;

    EVP_PKEY_free(f->key);
    EVP_PKEY_free(f->other);
    gr_test_rmtree(f->dir);
    free(f->dir);
    free(f->pem_path);
    free(f);
    return 0;
}

static gr_auth_proxy *make_proxy(const proxy_fixture *f)
{
    json_t *config = json_pack("{s:s, s:s, s:{s:[{s:s}]}}", "audience", AUDIENCE,
                               "publicKeyFile", f->pem_path, "signIn", "resolvers", "resolver",
                               "emailMatchingUserEntityProfileEmail");
    gr_auth_proxy *proxy = NULL;

    if (gr_auth_proxy_new(&proxy, "gcpIap", config) != GR_OK)
        fail_msg("proxy: %s", gr_error_last());
    json_decref(config);
    return proxy;
}

static char *sign(EVP_PKEY *key, const char *iss, const char *aud, int64_t exp)
{
    json_t *claims = json_pack("{s:s, s:s, s:s, s:I}", "iss", iss, "aud", aud, "email",
                               "jane@example.com", "iat", (json_int_t)NOW - 10);
    char *token = NULL;

    if (exp != 0)
        json_object_set_new(claims, "exp", json_integer(exp));
    assert_int_equal(gr_jwt_sign_es256(key, "iap-key-1", NULL, claims, &token), GR_OK);
    json_decref(claims);
    return token;
}

static int check(gr_auth_proxy *proxy, char *token)
{
    json_t *claims = NULL;
    int rc = gr_auth_proxy_verify(proxy, token, NOW, &claims);

    json_decref(claims);
    free(token);
    return rc;
}

static void proxy_valid_token_accepted(void **state)
{
    proxy_fixture *f = *state;
    gr_auth_proxy *proxy = make_proxy(f);
    char *token = sign(f->key, "https://cloud.google.com/iap", AUDIENCE, NOW + 600);
    json_t *claims = NULL;
    gr_auth_profile profile;

    assert_string_equal(gr_auth_proxy_header(proxy), "x-goog-iap-jwt-assertion");
    assert_int_equal(gr_auth_proxy_verify(proxy, token, NOW, &claims), GR_OK);
    gr_auth_proxy_profile(claims, &profile);
    assert_string_equal(profile.email, "jane@example.com");

    json_decref(claims);
    free(token);
    gr_auth_proxy_free(proxy);
}

static void proxy_wrong_issuer_rejected(void **state)
{
    proxy_fixture *f = *state;
    gr_auth_proxy *proxy = make_proxy(f);

    assert_int_equal(check(proxy, sign(f->key, "https://evil.example", AUDIENCE, NOW + 600)),
                     GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "issuer"));
    gr_auth_proxy_free(proxy);
}

static void proxy_wrong_audience_rejected(void **state)
{
    proxy_fixture *f = *state;
    gr_auth_proxy *proxy = make_proxy(f);

    assert_int_equal(check(proxy, sign(f->key, "https://cloud.google.com/iap",
                                       "/projects/42/global/backendServices/8", NOW + 600)),
                     GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "audience"));
    gr_auth_proxy_free(proxy);
}

static void proxy_wrong_signature_rejected(void **state)
{
    proxy_fixture *f = *state;
    gr_auth_proxy *proxy = make_proxy(f);

    assert_int_equal(check(proxy, sign(f->other, "https://cloud.google.com/iap", AUDIENCE,
                                       NOW + 600)),
                     GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "signature"));
    gr_auth_proxy_free(proxy);
}

static void proxy_expired_rejected(void **state)
{
    proxy_fixture *f = *state;
    gr_auth_proxy *proxy = make_proxy(f);

    assert_int_equal(check(proxy, sign(f->key, "https://cloud.google.com/iap", AUDIENCE,
                                       NOW - 3600)),
                     GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "expired"));
    assert_int_equal(check(proxy, sign(f->key, "https://cloud.google.com/iap", AUDIENCE, 0)),
                     GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "exp"));
    gr_auth_proxy_free(proxy);
}

static void proxy_garbage_rejected(void **state)
{
    proxy_fixture *f = *state;
    gr_auth_proxy *proxy = make_proxy(f);
    json_t *claims = NULL;

    assert_int_equal(gr_auth_proxy_verify(proxy, "a.b.c", NOW, &claims), GR_EUNAUTH);
    assert_int_equal(gr_auth_proxy_verify(proxy, "", NOW, &claims), GR_EUNAUTH);
    assert_null(claims);
    gr_auth_proxy_free(proxy);
}

static void proxy_config_errors(void **state)
{
    proxy_fixture *f = *state;
    gr_auth_proxy *proxy = NULL;
    json_t *config;

    /* gcpIap needs an audience. */
    config = json_pack("{s:s}", "publicKeyFile", f->pem_path);
    assert_int_equal(gr_auth_proxy_new(&proxy, "gcpIap", config), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "audience"));
    json_decref(config);

    /* The trusted-header mode needs both keys. */
    config = json_pack("{s:s}", "userHeader", "x-forwarded-email");
    assert_int_equal(gr_auth_proxy_new(&proxy, "oauth2Proxy", config), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "dangerouslyTrustUserHeader"));
    json_decref(config);

    /* oauth2Proxy has no default header. */
    config = json_pack("{s:s, s:s}", "publicKeyFile", f->pem_path, "issuer", "https://x");
    assert_int_equal(gr_auth_proxy_new(&proxy, "oauth2Proxy", config), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "jwtHeader"));
    json_decref(config);

    /* A missing PEM file is named. */
    config = json_pack("{s:s, s:s}", "audience", AUDIENCE, "publicKeyFile", "/nonexistent.pem");
    assert_int_equal(gr_auth_proxy_new(&proxy, "gcpIap", config), GR_ENOTFOUND);
    assert_non_null(strstr(gr_error_last(), "/nonexistent.pem"));
    json_decref(config);

    /* An unknown resolver is named. */
    config = json_pack("{s:s, s:s, s:{s:[{s:s}]}}", "audience", AUDIENCE, "publicKeyFile",
                       f->pem_path, "signIn", "resolvers", "resolver", "trustEveryone");
    assert_int_equal(gr_auth_proxy_new(&proxy, "gcpIap", config), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "trustEveryone"));
    json_decref(config);
    assert_null(proxy);
}

static void proxy_trusted_header_mode(void **state)
{
    gr_auth_proxy *proxy = NULL;
    json_t *config = json_pack("{s:s, s:b}", "userHeader", "X-Forwarded-Email",
                               "dangerouslyTrustUserHeader", 1);
    json_t *claims = NULL;

    (void)state;
    assert_int_equal(gr_auth_proxy_new(&proxy, "oauth2Proxy", config), GR_OK);
    assert_string_equal(gr_auth_proxy_header(proxy), "x-forwarded-email");
    assert_int_equal(gr_auth_proxy_verify(proxy, "jane@example.com", NOW, &claims), GR_OK);
    assert_string_equal(json_string_value(json_object_get(claims, "email")), "jane@example.com");
    json_decref(claims);
    claims = NULL;
    assert_int_equal(gr_auth_proxy_verify(proxy, "jane doe", NOW, &claims), GR_EUNAUTH);
    assert_null(claims);
    json_decref(config);
    gr_auth_proxy_free(proxy);
}

/* An RS256 token verified against a JWKS document (the form Cloudflare and OIDC providers use). */
static void jwks_rsa_token_verified(void **state)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    json_t *jwk = gr_jwk_from_pkey(rsa, "rsa-1", "RS256");
    json_t *set = json_pack("{s:[o]}", "keys", jwk);
    char *set_text = json_dumps(set, 0);
    gr_jwks *jwks = NULL;
    const char *header = "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}";
    const char *payload = "{\"sub\":\"x\"}";
    char *h = gr_base64url_encode(header, strlen(header));
    char *p = gr_base64url_encode(payload, strlen(payload));
    char *input = gr_xasprintf("%s.%s", h, p);
    unsigned char sig[512];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    char *s;
    char *token;
    gr_jwt jwt;

    (void)state;
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, rsa), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)input, strlen(input)), 1);
    s = gr_base64url_encode(sig, sig_len);
    token = gr_xasprintf("%s.%s", input, s);

    assert_int_equal(gr_jwks_from_json(&jwks, set_text, strlen(set_text)), GR_OK);
    assert_int_equal(gr_jwt_parse(token, &jwt), GR_OK);
    assert_int_equal(gr_jwks_verify(jwks, &jwt, NOW), GR_OK);
    jwt.signature[0] ^= 1;
    assert_int_equal(gr_jwks_verify(jwks, &jwt, NOW), GR_EUNAUTH);
    gr_jwt_clear(&jwt);

    EVP_MD_CTX_free(ctx);
    gr_jwks_free(jwks);
    free(token);
    free(s);
    free(input);
    free(h);
    free(p);
    free(set_text);
    json_decref(set);
    EVP_PKEY_free(rsa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(proxy_valid_token_accepted, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(proxy_wrong_issuer_rejected, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(proxy_wrong_audience_rejected, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(proxy_wrong_signature_rejected, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(proxy_expired_rejected, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(proxy_garbage_rejected, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(proxy_config_errors, fixture_setup, fixture_teardown),
        cmocka_unit_test(proxy_trusted_header_mode),
        cmocka_unit_test(jwks_rsa_token_verified),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
