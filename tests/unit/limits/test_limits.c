/* SPDX-License-Identifier: MIT */
/* Unit tests that cross size and count limits which no other test crosses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/jwk.h"
#include "host/auth/jwks.h"
#include "host/auth/jwt.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/router.h"
#include "plugins/catalog/api/cursor.h"
#include "plugins/catalog/api/fields.h"
#include "plugins/catalog/api/predicate.h"

/* Each test checks the value just at a limit and the value one past it. */

static char *repeated(char c, size_t count)
{
    char *text = gr_xmalloc(count + 1);

    memset(text, c, count);
    text[count] = '\0';
    return text;
}

static void jwt_longer_than_max(void **state)
{
    char *token = repeated('a', GR_JWT_MAX_BYTES + 1);
    gr_jwt jwt;

    (void)state;
    assert_int_equal(gr_jwt_parse(token, &jwt), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "longer than"));
    /* At the limit the token is read and found malformed, not too long. */
    token[GR_JWT_MAX_BYTES] = '\0';
    assert_int_equal(gr_jwt_parse(token, &jwt), GR_EINVALID);
    gr_jwt_clear(&jwt);
    free(token);
}

static void cursor_longer_than_max(void **state)
{
    char *cursor = repeated('A', GR_CATALOG_CURSOR_MAX + 1);
    json_t *out = NULL;

    (void)state;
    assert_int_equal(gr_catalog_cursor_decode(cursor, &out), GR_EINVALID);
    assert_null(out);
    assert_non_null(strstr(gr_error_last(), "maximum length"));
    cursor[GR_CATALOG_CURSOR_MAX] = '\0';
    assert_int_equal(gr_catalog_cursor_decode(cursor, &out), GR_EINVALID);
    assert_null(strstr(gr_error_last(), "maximum length"));
    free(cursor);
}

static void fields_more_than_max(void **state)
{
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    gr_buf list = GR_BUF_INIT;
    const char *values[1];

    (void)state;
    for (int i = 0; i < GR_CATALOG_FIELDS_MAX; i++)
        gr_buf_printf(&list, "%smetadata.f%d", i ? "," : "", i);
    values[0] = gr_buf_cstr(&list);
    assert_int_equal(gr_catalog_fields_add(&fields, values, 1), GR_OK);
    assert_int_equal(fields.count, GR_CATALOG_FIELDS_MAX);
    values[0] = "spec.one.more";
    assert_int_equal(gr_catalog_fields_add(&fields, values, 1), GR_ELIMIT);
    gr_catalog_fields_free(&fields);
    gr_buf_free(&list);
}

static void predicate_more_than_max_values(void **state)
{
    json_t *values = json_array();
    json_t *predicate;
    json_t *checked = NULL;

    (void)state;
    for (int i = 0; i < GR_CATALOG_PREDICATE_MAX_VALUES; i++)
        json_array_append_new(values, json_sprintf("v%d", i));
    predicate = json_pack("{s:{s:O}}", "kind", "$in", values);
    assert_int_equal(gr_catalog_predicate_check(predicate, &checked), GR_OK);
    json_decref(checked);
    checked = NULL;
    json_decref(predicate);

    json_array_append_new(values, json_string("one-more"));
    predicate = json_pack("{s:{s:O}}", "kind", "$in", values);
    assert_int_equal(gr_catalog_predicate_check(predicate, &checked), GR_ELIMIT);
    assert_null(checked);
    json_decref(predicate);
    json_decref(values);
}

static int handler(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)res;
    (void)payload;
    return 0;
}

static void route_more_than_max_segments(void **state)
{
    gr_router *router = gr_router_new();
    gr_buf pattern = GR_BUF_INIT;

    (void)state;
    for (int i = 0; i < GR_HTTP_MAX_PATH_SEGMENTS; i++)
        gr_buf_printf(&pattern, "/s%d", i);
    assert_int_equal(gr_router_add(router, "GET", gr_buf_cstr(&pattern), 0, handler, NULL, NULL),
                     GR_OK);
    gr_buf_puts(&pattern, "/one-more");
    assert_int_equal(gr_router_add(router, "GET", gr_buf_cstr(&pattern), 0, handler, NULL, NULL),
                     GR_ELIMIT);
    gr_buf_free(&pattern);
    gr_router_free(router);
}

/* Builds a key set of `count` copies of `jwk` with kids k0, k1, ... */
static gr_jwks *key_set(const json_t *jwk, int count)
{
    json_t *keys = json_array();
    json_t *doc;
    gr_jwks *jwks = NULL;
    char *text;

    for (int i = 0; i < count; i++) {
        json_t *copy = json_deep_copy(jwk);

        json_object_set_new(copy, "kid", json_sprintf("k%d", i));
        json_array_append_new(keys, copy);
    }
    doc = json_pack("{s:o}", "keys", keys);
    text = json_dumps(doc, 0);
    assert_int_equal(gr_jwks_from_json(&jwks, text, strlen(text)), GR_OK);
    free(text);
    json_decref(doc);
    return jwks;
}

static int verify_with_kid(EVP_PKEY *key, gr_jwks *jwks, const char *kid)
{
    json_t *claims = json_pack("{s:s}", "sub", "limits");
    char *token = NULL;
    gr_jwt jwt;
    int rc;

    assert_int_equal(gr_jwt_sign_es256(key, kid, NULL, claims, &token), GR_OK);
    assert_int_equal(gr_jwt_parse(token, &jwt), GR_OK);
    rc = gr_jwks_verify(jwks, &jwt, 1700000000);
    gr_jwt_clear(&jwt);
    free(token);
    json_decref(claims);
    return rc;
}

static void jwks_more_than_max_keys(void **state)
{
    EVP_PKEY *key = NULL;
    json_t *jwk;
    gr_jwks *jwks;
    char last[16];
    char past[16];

    (void)state;
    assert_int_equal(gr_jwk_generate_es256(&key), GR_OK);
    jwk = gr_jwk_from_pkey(key, "k", "ES256");
    assert_non_null(jwk);
    jwks = key_set(jwk, GR_JWKS_MAX_KEYS + 1);
    snprintf(last, sizeof(last), "k%d", GR_JWKS_MAX_KEYS - 1);
    snprintf(past, sizeof(past), "k%d", GR_JWKS_MAX_KEYS);
    assert_int_equal(verify_with_kid(key, jwks, last), GR_OK);
    /* Keys past the maximum are dropped, so their kid is unknown. */
    assert_int_equal(verify_with_kid(key, jwks, past), GR_EUNAUTH);
    gr_jwks_free(jwks);
    json_decref(jwk);
    EVP_PKEY_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jwt_longer_than_max),
        cmocka_unit_test(cursor_longer_than_max),
        cmocka_unit_test(fields_more_than_max),
        cmocka_unit_test(predicate_more_than_max_values),
        cmocka_unit_test(route_more_than_max_segments),
        cmocka_unit_test(jwks_more_than_max_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
