/* SPDX-License-Identifier: MIT */
/* Attacks on identity tokens signed with greenroom's own key: every claim is checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "../store/db_fixture.h"
#include "host/auth/base64url.h"
#include "host/auth/keystore.h"
#include "host/auth/token.h"
#include "host/common/alloc.h"
#include "host/common/arena.h"
#include "host/common/error.h"

#define ISSUER "http://portal.test/api/auth"
#define NOW 1800000000
#define TTL 3600

static int64_t fake_clock(void *payload)
{
    (void)payload;
    return NOW;
}

/* The claims greenroom itself issues for jane; each test changes one of them. */
static json_t *good_claims(void)
{
    return json_pack("{s:s, s:s, s:[s, s], s:s, s:I, s:I, s:s}", "iss", ISSUER, "sub",
                     "user:default/jane", "ent", "user:default/jane", "group:default/team-a", "aud",
                     "backstage", "iat", (json_int_t)NOW, "exp", (json_int_t)(NOW + TTL), "sid",
                     "a-session");
}

/* Signs `claims` (taken) with the store's real key and verifies the result. */
static int sign_and_verify(gr_auth_keys *keys, json_t *claims, const char *typ)
{
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *token = NULL;
    int rc;

    if (gr_auth_keys_sign(keys, claims, typ, &token) != GR_OK)
        fail_msg("signing: %s", gr_error_last());
    memset(&identity, 0, sizeof(identity));
    rc = gr_auth_token_verify(keys, ISSUER, token, arena, &identity);
    free(token);
    json_decref(claims);
    gr_arena_free(arena);
    return rc;
}

static gr_auth_keys *open_keys(const db_fixture *fixture)
{
    gr_auth_keys *keys = NULL;

    if (gr_auth_keys_new(&keys, fixture->db, 7200, TTL) != GR_OK)
        fail_msg("key store: %s", gr_error_last());
    gr_auth_keys_set_clock(keys, fake_clock, NULL);
    return keys;
}

/* The unchanged claims pass, so each rejection below comes from the changed claim. */
static void good_claims_pass(void **state)
{
    gr_auth_keys *keys = open_keys(*state);

    assert_int_equal(sign_and_verify(keys, good_claims(), GR_AUTH_TOKEN_TYPE), GR_OK);
    gr_auth_keys_free(keys);
}

static void audience_other_rejected(void **state)
{
    gr_auth_keys *keys = open_keys(*state);
    json_t *other = good_claims();
    json_t *listed = good_claims();
    json_t *missing = good_claims();

    json_object_set_new(other, "aud", json_string("another-app"));
    json_object_set_new(listed, "aud", json_pack("[s, s]", "another-app", "backstagex"));
    json_object_del(missing, "aud");
    assert_int_equal(sign_and_verify(keys, other, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "audience"));
    assert_int_equal(sign_and_verify(keys, listed, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_int_equal(sign_and_verify(keys, missing, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    gr_auth_keys_free(keys);
}

/* Backstage's tokens may carry the audience in a list. */
static void audience_list_accepted(void **state)
{
    gr_auth_keys *keys = open_keys(*state);
    json_t *claims = good_claims();

    json_object_set_new(claims, "aud", json_pack("[s, s]", "other", "backstage"));
    assert_int_equal(sign_and_verify(keys, claims, GR_AUTH_TOKEN_TYPE), GR_OK);
    gr_auth_keys_free(keys);
}

static void not_before_future_rejected(void **state)
{
    gr_auth_keys *keys = open_keys(*state);
    json_t *later = good_claims();
    json_t *skewed = good_claims();

    json_object_set_new(later, "nbf", json_integer(NOW + GR_AUTH_TOKEN_LEEWAY_S + 60));
    json_object_set_new(skewed, "nbf", json_integer(NOW + GR_AUTH_TOKEN_LEEWAY_S - 1));
    assert_int_equal(sign_and_verify(keys, later, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "nbf"));
    assert_int_equal(sign_and_verify(keys, skewed, GR_AUTH_TOKEN_TYPE), GR_OK);
    gr_auth_keys_free(keys);
}

static void issued_future_rejected(void **state)
{
    gr_auth_keys *keys = open_keys(*state);
    json_t *claims = good_claims();

    json_object_set_new(claims, "iat", json_integer(NOW + 86400));
    assert_int_equal(sign_and_verify(keys, claims, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "iat"));
    gr_auth_keys_free(keys);
}

/* A lifetime a client wrote as text or left out is not taken as forever. */
static void expiry_malformed_rejected(void **state)
{
    gr_auth_keys *keys = open_keys(*state);
    json_t *text = good_claims();
    json_t *missing = good_claims();
    json_t *null_exp = good_claims();

    json_object_set_new(text, "exp", json_string("9999999999"));
    json_object_del(missing, "exp");
    json_object_set_new(null_exp, "exp", json_null());
    assert_int_equal(sign_and_verify(keys, text, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_int_equal(sign_and_verify(keys, missing, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "exp"));
    assert_int_equal(sign_and_verify(keys, null_exp, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    gr_auth_keys_free(keys);
}

static void issuer_other_rejected(void **state)
{
    gr_auth_keys *keys = open_keys(*state);
    json_t *other = good_claims();
    json_t *number = good_claims();

    json_object_set_new(other, "iss", json_string("http://other-portal.test/api/auth"));
    json_object_set_new(number, "iss", json_integer(1));
    assert_int_equal(sign_and_verify(keys, other, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_int_equal(sign_and_verify(keys, number, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    gr_auth_keys_free(keys);
}

static void type_other_rejected(void **state)
{
    gr_auth_keys *keys = open_keys(*state);

    assert_int_equal(sign_and_verify(keys, good_claims(), "JWT"), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "JWT"));
    gr_auth_keys_free(keys);
}

static void ownership_malformed_rejected(void **state)
{
    gr_auth_keys *keys = open_keys(*state);
    json_t *text = good_claims();
    json_t *number = good_claims();
    json_t *many = good_claims();
    json_t *refs = json_array();

    for (int i = 0; i <= GR_AUTH_MAX_OWNERSHIP; i++)
        json_array_append_new(refs, json_sprintf("group:default/team-%d", i));
    json_object_set_new(text, "ent", json_string("group:default/admins"));
    json_object_set_new(number, "ent", json_pack("[s, i]", "user:default/jane", 1));
    json_object_set_new(many, "ent", refs);
    assert_int_equal(sign_and_verify(keys, text, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_int_equal(sign_and_verify(keys, number, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_int_equal(sign_and_verify(keys, many, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "ent"));
    gr_auth_keys_free(keys);
}

static void subject_missing_rejected(void **state)
{
    gr_auth_keys *keys = open_keys(*state);
    json_t *empty = good_claims();
    json_t *missing = good_claims();

    json_object_set_new(empty, "sub", json_string(""));
    json_object_del(missing, "sub");
    assert_int_equal(sign_and_verify(keys, empty, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_int_equal(sign_and_verify(keys, missing, GR_AUTH_TOKEN_TYPE), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "sub"));
    gr_auth_keys_free(keys);
}

/* HS256 keyed with the published public key, the classic confusion of key types. */
static void hmac_public_key_rejected(void **state)
{
    gr_auth_keys *keys = open_keys(*state);
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    json_t *jwks = NULL;
    char *key_text;
    char *header_json;
    char *header;
    char *payload;
    char *input;
    char *signature;
    char *forged;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    json_t *claims = good_claims();
    char *claims_text = json_dumps(claims, JSON_COMPACT);
    const char *kid;

    /* The store makes its first key when it first signs. */
    assert_int_equal(sign_and_verify(keys, good_claims(), GR_AUTH_TOKEN_TYPE), GR_OK);
    assert_int_equal(gr_auth_keys_jwks(keys, &jwks), GR_OK);
    kid =
        json_string_value(json_object_get(json_array_get(json_object_get(jwks, "keys"), 0), "kid"));
    key_text = json_dumps(json_array_get(json_object_get(jwks, "keys"), 0), JSON_COMPACT);
    header_json =
        gr_xasprintf("{\"alg\":\"HS256\",\"kid\":\"%s\",\"typ\":\"%s\"}", kid, GR_AUTH_TOKEN_TYPE);
    header = gr_base64url_encode(header_json, strlen(header_json));
    payload = gr_base64url_encode(claims_text, strlen(claims_text));
    input = gr_xasprintf("%s.%s", header, payload);
    HMAC(EVP_sha256(), key_text, (int)strlen(key_text), (const unsigned char *)input, strlen(input),
         mac, &mac_len);
    signature = gr_base64url_encode(mac, mac_len);
    forged = gr_xasprintf("%s.%s", input, signature);

    memset(&identity, 0, sizeof(identity));
    assert_int_equal(gr_auth_token_verify(keys, ISSUER, forged, arena, &identity), GR_EUNAUTH);
    assert_null(identity.subject);

    free(forged);
    free(signature);
    free(input);
    free(payload);
    free(header);
    free(header_json);
    free(key_text);
    free(claims_text);
    json_decref(claims);
    json_decref(jwks);
    gr_arena_free(arena);
    gr_auth_keys_free(keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_SQLITE(good_claims_pass),
        DB_TEST_SQLITE(audience_other_rejected),
        DB_TEST_SQLITE(audience_list_accepted),
        DB_TEST_SQLITE(not_before_future_rejected),
        DB_TEST_SQLITE(issued_future_rejected),
        DB_TEST_SQLITE(expiry_malformed_rejected),
        DB_TEST_SQLITE(issuer_other_rejected),
        DB_TEST_SQLITE(type_other_rejected),
        DB_TEST_SQLITE(ownership_malformed_rejected),
        DB_TEST_SQLITE(subject_missing_rejected),
        DB_TEST_SQLITE(hmac_public_key_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
