/* SPDX-License-Identifier: MIT */
/* Tests of identity tokens and the key store: issue, verify, tampering, expiry, rotation, JWKS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/auth/base64url.h"
#include "host/auth/jwk.h"
#include "host/auth/jwt.h"
#include "host/auth/keystore.h"
#include "host/auth/token.h"
#include "host/common/arena.h"
#include "host/common/error.h"
#include "../store/db_fixture.h"

#define ISSUER "http://portal.test/api/auth"
#define TTL 3600
#define ROTATION 7200

static int64_t fake_now;

static int64_t fake_clock(void *payload)
{
    (void)payload;
    return fake_now;
}

static gr_auth_keys *open_keys(gr_db *db)
{
    gr_auth_keys *keys = NULL;

    if (gr_auth_keys_new(&keys, db, ROTATION, TTL) != GR_OK)
        fail_msg("key store: %s", gr_error_last());
    gr_auth_keys_set_clock(keys, fake_clock, NULL);
    return keys;
}

static char *issue(gr_auth_keys *keys, const char *user)
{
    const char *ent[] = {user, "group:default/team-a"};
    char *token = NULL;

    if (gr_auth_token_issue(keys, ISSUER, user, ent, 2, NULL, TTL, &token, NULL) != GR_OK)
        fail_msg("issue: %s", gr_error_last());
    return token;
}

static int verify(gr_auth_keys *keys, const char *token, gr_identity *identity, gr_arena *arena)
{
    memset(identity, 0, sizeof(*identity));
    return gr_auth_token_verify(keys, ISSUER, token, arena, identity);
}

static json_t *decode_part(const char *token, int index)
{
    const char *start = token;
    size_t len = 0;
    unsigned char *bytes;
    json_t *value;

    for (int i = 0; i < index; i++)
        start = strchr(start, '.') + 1;
    bytes = gr_base64url_decode(start, strcspn(start, "."), &len);
    value = json_loadb((const char *)bytes, len, 0, NULL);
    free(bytes);
    return value;
}

/* Replaces part `index` of a token with the base64url of `json`. */
static char *replace_part(const char *token, int index, const char *json)
{
    char *copy = strdup(token);
    char *parts[3];
    char *encoded = gr_base64url_encode(json, strlen(json));
    char *result;

    parts[0] = copy;
    parts[1] = strchr(parts[0], '.');
    *parts[1]++ = '\0';
    parts[2] = strchr(parts[1], '.');
    *parts[2]++ = '\0';
    parts[index] = encoded;
    result = gr_xasprintf("%s.%s.%s", parts[0], parts[1], parts[2]);
    free(encoded);
    free(copy);
    return result;
}

static void token_round_trip(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *keys;
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *token;
    json_t *header;
    json_t *payload;

    fake_now = 1800000000;
    keys = open_keys(fixture->db);
    token = issue(keys, "user:default/jane");

    assert_int_equal(verify(keys, token, &identity, arena), GR_OK);
    assert_string_equal(identity.type, "user");
    assert_string_equal(identity.subject, "user:default/jane");
    assert_int_equal(identity.ownership_count, 2);
    assert_string_equal(identity.ownership[1], "group:default/team-a");
    assert_string_equal(identity.token, token);

    header = decode_part(token, 0);
    payload = decode_part(token, 1);
    assert_string_equal(json_string_value(json_object_get(header, "alg")), "ES256");
    assert_string_equal(json_string_value(json_object_get(header, "typ")), "vnd.backstage.user");
    assert_non_null(json_string_value(json_object_get(header, "kid")));
    assert_string_equal(json_string_value(json_object_get(payload, "iss")), ISSUER);
    assert_string_equal(json_string_value(json_object_get(payload, "aud")), "backstage");
    assert_int_equal(json_integer_value(json_object_get(payload, "iat")), fake_now);
    assert_int_equal(json_integer_value(json_object_get(payload, "exp")), fake_now + TTL);
    json_decref(header);
    json_decref(payload);

    free(token);
    gr_auth_keys_free(keys);
    gr_arena_free(arena);
}

static void token_tampered_rejected(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *keys;
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *token;
    char *forged;
    json_t *payload;
    char *payload_text;

    fake_now = 1800000000;
    keys = open_keys(fixture->db);
    token = issue(keys, "user:default/jane");

    /* Claim someone else's identity with the original signature. */
    payload = decode_part(token, 1);
    json_object_set_new(payload, "sub", json_string("user:default/admin"));
    payload_text = json_dumps(payload, JSON_COMPACT);
    forged = replace_part(token, 1, payload_text);
    assert_int_equal(verify(keys, forged, &identity, arena), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "signature"));
    free(forged);

    /* Flip one character of the signature. */
    forged = strdup(token);
    forged[strlen(forged) - 5] = forged[strlen(forged) - 5] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(keys, forged, &identity, arena), GR_EUNAUTH);
    free(forged);

    /* Not a JWT at all. */
    assert_int_equal(verify(keys, "not-a-token", &identity, arena), GR_EUNAUTH);

    free(payload_text);
    json_decref(payload);
    free(token);
    gr_auth_keys_free(keys);
    gr_arena_free(arena);
}

static void token_alg_none_rejected(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *keys;
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *token;
    char *forged;
    json_t *header;
    char *header_text;

    fake_now = 1800000000;
    keys = open_keys(fixture->db);
    token = issue(keys, "user:default/jane");
    header = decode_part(token, 0);

    json_object_set_new(header, "alg", json_string("none"));
    header_text = json_dumps(header, JSON_COMPACT);
    forged = replace_part(token, 0, header_text);
    assert_int_equal(verify(keys, forged, &identity, arena), GR_EUNAUTH);
    free(forged);
    free(header_text);

    json_object_set_new(header, "alg", json_string("HS256"));
    header_text = json_dumps(header, JSON_COMPACT);
    forged = replace_part(token, 0, header_text);
    assert_int_equal(verify(keys, forged, &identity, arena), GR_EUNAUTH);
    free(forged);
    free(header_text);

    json_decref(header);
    free(token);
    gr_auth_keys_free(keys);
    gr_arena_free(arena);
}

static void token_expired_rejected(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *keys;
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *token;

    fake_now = 1800000000;
    keys = open_keys(fixture->db);
    token = issue(keys, "user:default/jane");

    fake_now += TTL - 1;
    assert_int_equal(verify(keys, token, &identity, arena), GR_OK);
    fake_now += 1 + GR_AUTH_TOKEN_LEEWAY_S;
    assert_int_equal(verify(keys, token, &identity, arena), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "expired"));

    free(token);
    gr_auth_keys_free(keys);
    gr_arena_free(arena);
}

static void token_wrong_kid_rejected(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *keys;
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *token;
    char *forged;
    json_t *header;
    char *header_text;

    fake_now = 1800000000;
    keys = open_keys(fixture->db);
    token = issue(keys, "user:default/jane");
    header = decode_part(token, 0);
    json_object_set_new(header, "kid", json_string("00000000-0000-4000-8000-000000000000"));
    header_text = json_dumps(header, JSON_COMPACT);
    forged = replace_part(token, 0, header_text);

    assert_int_equal(verify(keys, forged, &identity, arena), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "not known"));

    free(forged);
    free(header_text);
    json_decref(header);
    free(token);
    gr_auth_keys_free(keys);
    gr_arena_free(arena);
}

/* A token signed by a key the store never published is rejected, even with a valid shape. */
static void token_foreign_key_rejected(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *keys;
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *ours;
    char *theirs = NULL;
    EVP_PKEY *foreign = NULL;
    json_t *header;
    json_t *payload;

    fake_now = 1800000000;
    keys = open_keys(fixture->db);
    ours = issue(keys, "user:default/jane");
    header = decode_part(ours, 0);
    payload = decode_part(ours, 1);
    assert_int_equal(gr_jwk_generate_es256(&foreign), GR_OK);
    assert_int_equal(gr_jwt_sign_es256(foreign,
                                       json_string_value(json_object_get(header, "kid")),
                                       "vnd.backstage.user", payload, &theirs),
                     GR_OK);

    assert_int_equal(verify(keys, theirs, &identity, arena), GR_EUNAUTH);

    EVP_PKEY_free(foreign);
    free(theirs);
    json_decref(header);
    json_decref(payload);
    free(ours);
    gr_auth_keys_free(keys);
    gr_arena_free(arena);
}

static void token_wrong_issuer_rejected(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *keys;
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *token;

    fake_now = 1800000000;
    keys = open_keys(fixture->db);
    token = issue(keys, "user:default/jane");
    memset(&identity, 0, sizeof(identity));
    assert_int_equal(gr_auth_token_verify(keys, "http://other.test/api/auth", token, arena,
                                          &identity),
                     GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "issuer"));

    free(token);
    gr_auth_keys_free(keys);
    gr_arena_free(arena);
}

static size_t jwks_count(gr_auth_keys *keys)
{
    json_t *jwks = NULL;
    size_t count;

    assert_int_equal(gr_auth_keys_jwks(keys, &jwks), GR_OK);
    count = json_array_size(json_object_get(jwks, "keys"));
    json_decref(jwks);
    return count;
}

static void keys_rotation_keeps_old_tokens(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *keys;
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *first;
    char *second;
    char *third;
    json_t *h1;
    json_t *h2;

    fake_now = 1800000000;
    keys = open_keys(fixture->db);
    first = issue(keys, "user:default/jane");
    assert_int_equal(jwks_count(keys), 1);

    /* Just before rotation the same key signs; the first token is then 1 s from expiry. */
    fake_now += TTL - 1;
    second = issue(keys, "user:default/jane");
    h1 = decode_part(first, 0);
    h2 = decode_part(second, 0);
    assert_string_equal(json_string_value(json_object_get(h1, "kid")),
                        json_string_value(json_object_get(h2, "kid")));
    json_decref(h2);

    /* After rotation a new key signs, and the token of the old key still verifies. */
    fake_now = 1800000000 + ROTATION;
    third = issue(keys, "user:default/jane");
    h2 = decode_part(third, 0);
    assert_string_not_equal(json_string_value(json_object_get(h1, "kid")),
                            json_string_value(json_object_get(h2, "kid")));
    assert_int_equal(jwks_count(keys), 2);
    assert_int_equal(verify(keys, second, &identity, arena), GR_OK);
    assert_int_equal(verify(keys, third, &identity, arena), GR_OK);

    /* Once no token of the old key can be valid, the key leaves the JWKS. */
    fake_now = 1800000000 + ROTATION + TTL;
    assert_int_equal(jwks_count(keys), 1);
    assert_int_equal(verify(keys, second, &identity, arena), GR_EUNAUTH);

    json_decref(h1);
    json_decref(h2);
    free(first);
    free(second);
    free(third);
    gr_auth_keys_free(keys);
    gr_arena_free(arena);
}

/* A second instance on the same database verifies the first one's tokens and shares its secret. */
static void keys_shared_between_instances(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *one;
    gr_auth_keys *two;
    gr_arena *arena = gr_arena_new();
    gr_identity identity;
    char *token;

    fake_now = 1800000000;
    one = open_keys(fixture->db);
    two = open_keys(fixture->db);
    token = issue(one, "user:default/jane");

    assert_int_equal(verify(two, token, &identity, arena), GR_OK);
    assert_memory_equal(gr_auth_keys_secret(one), gr_auth_keys_secret(two),
                        GR_AUTH_SECRET_BYTES);

    free(token);
    gr_auth_keys_free(one);
    gr_auth_keys_free(two);
    gr_arena_free(arena);
}

static void jwks_has_public_es256_keys(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_keys *keys;
    json_t *jwks = NULL;
    const json_t *key;
    char *token;
    EVP_PKEY *pkey = NULL;

    fake_now = 1800000000;
    keys = open_keys(fixture->db);
    token = issue(keys, "user:default/jane");
    assert_int_equal(gr_auth_keys_jwks(keys, &jwks), GR_OK);
    key = json_array_get(json_object_get(jwks, "keys"), 0);

    assert_string_equal(json_string_value(json_object_get(key, "kty")), "EC");
    assert_string_equal(json_string_value(json_object_get(key, "crv")), "P-256");
    assert_string_equal(json_string_value(json_object_get(key, "alg")), "ES256");
    assert_string_equal(json_string_value(json_object_get(key, "use")), "sig");
    assert_int_equal(strlen(json_string_value(json_object_get(key, "kid"))), 36);
    assert_int_equal(strlen(json_string_value(json_object_get(key, "x"))), 43);
    assert_int_equal(strlen(json_string_value(json_object_get(key, "y"))), 43);
    assert_null(json_object_get(key, "d"));
    assert_int_equal(gr_jwk_to_pkey(key, &pkey), GR_OK);

    EVP_PKEY_free(pkey);
    json_decref(jwks);
    free(token);
    gr_auth_keys_free(keys);
}

static void base64url_round_trip(void **state)
{
    const char *inputs[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\xfd"};

    (void)state;
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char *encoded = gr_base64url_encode(inputs[i], strlen(inputs[i]));
        size_t len = 0;
        unsigned char *decoded = gr_base64url_decode(encoded, strlen(encoded), &len);

        assert_null(strchr(encoded, '='));
        assert_int_equal(len, strlen(inputs[i]));
        assert_memory_equal(decoded, inputs[i], len);
        free(encoded);
        free(decoded);
    }
    assert_null(gr_base64url_decode("ab$d", 4, &(size_t){0}));
    assert_null(gr_base64url_decode("a", 1, &(size_t){0}));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_SQLITE(token_round_trip),
        DB_TEST_SQLITE(token_tampered_rejected),
        DB_TEST_SQLITE(token_alg_none_rejected),
        DB_TEST_SQLITE(token_expired_rejected),
        DB_TEST_SQLITE(token_wrong_kid_rejected),
        DB_TEST_SQLITE(token_foreign_key_rejected),
        DB_TEST_SQLITE(token_wrong_issuer_rejected),
        DB_TEST_BOTH(keys_rotation_keeps_old_tokens),
        DB_TEST_BOTH(keys_shared_between_instances),
        DB_TEST_SQLITE(jwks_has_public_es256_keys),
        cmocka_unit_test(base64url_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
