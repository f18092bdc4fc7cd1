/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the auth module's size, count, depth and rate limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/auth/audit.h"
#include "host/auth/auth.h"
#include "host/auth/base64url.h"
#include "host/auth/config_list.h"
#include "host/auth/cookie.h"
#include "host/auth/external_access.h"
#include "host/auth/fetch.h"
#include "host/auth/jwk.h"
#include "host/auth/jwks.h"
#include "host/auth/jwt.h"
#include "host/auth/legacy_access.h"
#include "host/auth/proxy.h"
#include "host/auth/resolver.h"
#include "host/auth/restriction.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/http.h"
#include "host/log/log.h"

#define NOW 1800000000

static char *repeated(char c, size_t count)
{
    char *text = gr_xmalloc(count + 1);

    memset(text, c, count);
    text[count] = '\0';
    return text;
}

/* ---- a server on 127.0.0.1 for the fetch, key and cookie limits ---------- */

static gr_http_server *server;
static atomic_int key_requests;
static atomic_int set_requests;

static int body_get(gr_request *req, gr_response *res, void *payload)
{
    size_t len = (size_t)atoll(gr_req_param(req, "len"));
    char *body = repeated('x', len);

    (void)payload;
    gr_res_body(res, 200, "text/plain", body, len);
    free(body);
    return 0;
}

static int key_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    atomic_fetch_add(&key_requests, 1);
    return gr_res_error(res, GR_ENOTFOUND, "no such key");
}

static int set_get(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    atomic_fetch_add(&set_requests, 1);
    return gr_res_json(res, 200, json_pack("{s:[]}", "keys"));
}

/* Sends the length of the session cookie read, or -1 when none was read. */
static int cookie_get(gr_request *req, gr_response *res, void *payload)
{
    const char *value = gr_auth_cookie(req, "session");

    (void)payload;
    return gr_res_json(res, 200,
                       json_pack("{s:I}", "length", value ? (json_int_t)strlen(value) : -1));
}

static int server_setup(void **state)
{
    gr_http_options opts = {0};

    (void)state;
    opts.threads = 2;
    assert_int_equal(gr_http_server_new(&server, &opts), GR_OK);
    assert_int_equal(gr_http_route(server, "GET", "/body/:len", GR_ROUTE_PUBLIC, body_get, NULL),
                     GR_OK);
    assert_int_equal(gr_http_route(server, "GET", "/keys/:kid", GR_ROUTE_PUBLIC, key_get, NULL),
                     GR_OK);
    assert_int_equal(gr_http_route(server, "GET", "/jwks", GR_ROUTE_PUBLIC, set_get, NULL), GR_OK);
    assert_int_equal(gr_http_route(server, "GET", "/cookie", GR_ROUTE_PUBLIC, cookie_get, NULL),
                     GR_OK);
    assert_int_equal(gr_http_server_start(server), GR_OK);
    return 0;
}

static int server_teardown(void **state)
{
    (void)state;
    gr_http_server_free(server);
    server = NULL;
    return 0;
}

static char *url_of(const char *path)
{
    return gr_xasprintf("http://127.0.0.1:%d%s", gr_http_server_port(server), path);
}

static void fetch_over_max_rejected(void **state)
{
    char path[64];
    char *url;
    gr_buf body = GR_BUF_INIT;
    long status = 0;

    (void)state;
    snprintf(path, sizeof(path), "/body/%d", GR_AUTH_FETCH_MAX_BYTES);
    url = url_of(path);
    assert_int_equal(gr_auth_fetch(url, NULL, NULL, &body, &status), GR_OK);
    assert_int_equal(body.len, GR_AUTH_FETCH_MAX_BYTES);
    free(url);
    gr_buf_reset(&body);

    snprintf(path, sizeof(path), "/body/%d", GR_AUTH_FETCH_MAX_BYTES + 1);
    url = url_of(path);
    assert_int_equal(gr_auth_fetch(url, NULL, NULL, &body, &status), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), url));
    assert_non_null(strstr(gr_error_last(), "response is larger than 1048576 bytes"));
    free(url);
    gr_buf_free(&body);
}

/* Returns the length of the session cookie the server read, or -1. */
static long long cookie_length_read(size_t value_len)
{
    char *value = repeated('c', value_len);
    char *header = gr_xasprintf("Cookie: other=1; session=%s", value);
    const char *headers[] = {header, NULL};
    char *url = url_of("/cookie");
    gr_test_output out = gr_test_http("GET", url, headers, NULL);
    json_t *body = json_loads(out.out ? out.out : "", 0, NULL);
    long long length = body ? json_integer_value(json_object_get(body, "length")) : -2;

    json_decref(body);
    gr_test_output_free(&out);
    free(url);
    free(header);
    free(value);
    return length;
}

/* A cookie value past the limit is treated as absent, so the request is anonymous. */
static void cookie_over_max_ignored(void **state)
{
    (void)state;
    assert_int_equal(cookie_length_read(GR_AUTH_MAX_COOKIE_BYTES), GR_AUTH_MAX_COOKIE_BYTES);
    assert_int_equal(cookie_length_read(GR_AUTH_MAX_COOKIE_BYTES + 1), -1);
}

/* Signs a token whose header names `kid`, and parses it into `jwt`. */
static void token_with_kid(const char *kid, gr_jwt *jwt)
{
    EVP_PKEY *key = NULL;
    json_t *claims = json_pack("{s:s}", "sub", "jane");
    char *token = NULL;

    assert_int_equal(gr_jwk_generate_es256(&key), GR_OK);
    assert_int_equal(gr_jwt_sign_es256(key, kid, NULL, claims, &token), GR_OK);
    assert_int_equal(gr_jwt_parse(token, jwt), GR_OK);
    free(token);
    json_decref(claims);
    EVP_PKEY_free(key);
}

/* A kid past the limit is never put into a key URL. */
static void kid_over_max_not_fetched(void **state)
{
    char *key_url = url_of("/keys/{kid}");
    char *kid = repeated('k', 128);
    gr_jwks *jwks = NULL;
    gr_jwt jwt;

    (void)state;
    assert_int_equal(gr_jwks_new(&jwks, NULL, key_url, NULL), GR_OK);
    atomic_store(&key_requests, 0);
    token_with_kid(kid, &jwt);
    assert_int_equal(gr_jwks_verify(jwks, &jwt, NOW), GR_EUNAUTH);
    assert_int_equal(atomic_load(&key_requests), 1);
    assert_non_null(strstr(gr_error_last(), "key request returned HTTP 404"));
    gr_jwt_clear(&jwt);
    free(kid);

    kid = repeated('k', 129);
    token_with_kid(kid, &jwt);
    assert_int_equal(gr_jwks_verify(jwks, &jwt, NOW), GR_EUNAUTH);
    assert_int_equal(atomic_load(&key_requests), 1);
    assert_non_null(strstr(gr_error_last(), "token key id is empty or longer than 128 characters"));
    gr_jwt_clear(&jwt);
    free(kid);
    gr_jwks_free(jwks);
    free(key_url);
}

/* An unknown kid fetches the key set again only GR_JWKS_MIN_REFETCH_S after the last fetch. */
static void refetch_before_min_skipped(void **state)
{
    char *set_url = url_of("/jwks");
    gr_jwks *jwks = NULL;
    gr_jwt jwt;

    (void)state;
    assert_int_equal(gr_jwks_new(&jwks, set_url, NULL, NULL), GR_OK);
    atomic_store(&set_requests, 0);
    token_with_kid("unknown", &jwt);
    assert_int_equal(gr_jwks_verify(jwks, &jwt, NOW), GR_EUNAUTH);
    assert_int_equal(atomic_load(&set_requests), 1);
    assert_int_equal(gr_jwks_verify(jwks, &jwt, NOW + GR_JWKS_MIN_REFETCH_S - 1), GR_EUNAUTH);
    assert_int_equal(atomic_load(&set_requests), 1);
    assert_non_null(strstr(gr_error_last(), "no key with id 'unknown'"));
    assert_int_equal(gr_jwks_verify(jwks, &jwt, NOW + GR_JWKS_MIN_REFETCH_S), GR_EUNAUTH);
    assert_int_equal(atomic_load(&set_requests), 2);
    gr_jwt_clear(&jwt);
    gr_jwks_free(jwks);
    free(set_url);
}

/* ---- limits checked without a server -------------------------------------- */

static void pem_over_max_rejected(void **state)
{
    char *dir = gr_test_tmpdir("auth-limits");
    char *text = repeated('#', 65536 + 1);
    char *path = gr_xasprintf("%s/big.pem", dir);
    gr_jwks *jwks = NULL;

    (void)state;
    gr_test_write_file(dir, "big.pem", text);
    assert_int_equal(gr_jwks_new(&jwks, NULL, NULL, path), GR_ELIMIT);
    assert_null(jwks);
    assert_non_null(strstr(gr_error_last(), path));
    assert_non_null(strstr(gr_error_last(), "the public key file is larger than 65536 bytes"));
    /* At the limit the file is read and found not to be a key. */
    text[65536] = '\0';
    gr_test_write_file(dir, "big.pem", text);
    assert_int_not_equal(gr_jwks_new(&jwks, NULL, NULL, path), GR_ELIMIT);
    assert_null(jwks);
    gr_test_rmtree(dir);
    free(path);
    free(text);
    free(dir);
}

/* Returns an RSA JWK whose modulus decodes to `len` bytes. */
static json_t *rsa_jwk_with_modulus(size_t len)
{
    unsigned char *modulus = gr_xmalloc(len);
    char *encoded;
    json_t *jwk;

    memset(modulus, 0xc5, len);
    encoded = gr_base64url_encode(modulus, len);
    jwk = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", encoded, "e", "AQAB");
    free(encoded);
    free(modulus);
    return jwk;
}

static void jwk_member_over_max_rejected(void **state)
{
    json_t *jwk = rsa_jwk_with_modulus(1024);
    EVP_PKEY *key = NULL;

    (void)state;
    assert_int_equal(gr_jwk_to_pkey(jwk, &key), GR_OK);
    assert_non_null(key);
    EVP_PKEY_free(key);
    key = NULL;
    json_decref(jwk);

    jwk = rsa_jwk_with_modulus(1025);
    assert_int_equal(gr_jwk_to_pkey(jwk, &key), GR_EINVALID);
    assert_null(key);
    assert_non_null(
        strstr(gr_error_last(), "JWK member 'n' is not valid base64url of at most 1024 bytes"));
    json_decref(jwk);
}

static void proxy_user_over_max_rejected(void **state)
{
    json_t *config =
        json_pack("{s:s, s:b}", "userHeader", "X-Forwarded-User", "dangerouslyTrustUserHeader", 1);
    gr_auth_proxy *proxy = NULL;
    json_t *claims = NULL;
    char *user = repeated('u', 320);

    (void)state;
    assert_int_equal(gr_auth_proxy_new(&proxy, "oauth2Proxy", config), GR_OK);
    assert_int_equal(gr_auth_proxy_verify(proxy, user, NOW, &claims), GR_OK);
    assert_non_null(claims);
    json_decref(claims);
    claims = NULL;
    free(user);

    user = repeated('u', 321);
    assert_int_equal(gr_auth_proxy_verify(proxy, user, NOW, &claims), GR_EUNAUTH);
    assert_null(claims);
    assert_non_null(
        strstr(gr_error_last(), "trusted user header is empty or longer than 320 bytes"));
    free(user);
    gr_auth_proxy_free(proxy);
    json_decref(config);
}

static void resolvers_over_max_rejected(void **state)
{
    json_t *list = json_array();
    json_t *provider;
    gr_auth_resolvers resolvers;

    (void)state;
    for (int i = 0; i < GR_AUTH_MAX_RESOLVERS; i++)
        json_array_append_new(
            list, json_pack("{s:s}", "resolver", "emailMatchingUserEntityProfileEmail"));
    provider = json_pack("{s:{s:O}}", "signIn", "resolvers", list);
    assert_int_equal(gr_auth_resolvers_parse(provider, "auth.providers.oidc", NULL, &resolvers),
                     GR_OK);
    assert_int_equal(resolvers.count, GR_AUTH_MAX_RESOLVERS);
    gr_auth_resolvers_clear(&resolvers);
    json_decref(provider);

    json_array_append_new(list,
                          json_pack("{s:s}", "resolver", "emailMatchingUserEntityProfileEmail"));
    provider = json_pack("{s:{s:O}}", "signIn", "resolvers", list);
    assert_int_equal(gr_auth_resolvers_parse(provider, "auth.providers.oidc", NULL, &resolvers),
                     GR_EINVALID);
    assert_non_null(strstr(
        gr_error_last(), "auth.providers.oidc.signIn.resolvers: at most 8 resolvers are allowed"));
    gr_auth_resolvers_clear(&resolvers);
    json_decref(provider);
    json_decref(list);
}

/* Group gN is childOf group gN+1, without end. */
static int chain_get_entity(void *payload, const char *ref, json_t **out)
{
    char target[64];
    int n;

    (void)payload;
    if (sscanf(ref, "group:default/g%d", &n) != 1)
        return GR_ENOTFOUND;
    snprintf(target, sizeof(target), "group:default/g%d", n + 1);
    *out = json_pack("{s:[{s:s, s:s}]}", "relations", "type", "childOf", "targetRef", target);
    return GR_OK;
}

static int has_ref(const gr_auth_user *user, const char *ref)
{
    for (size_t i = 0; i < user->ownership_count; i++) {
        if (strcmp(user->ownership[i], ref) == 0)
            return 1;
    }
    return 0;
}

/* Parents are followed GR_AUTH_MAX_GROUP_DEPTH levels up from the user's own groups. */
static void group_depth_over_max_cut(void **state)
{
    gr_auth_user_lookup lookup = {.get_entity = chain_get_entity};
    json_t *entity = json_pack("{s:s, s:{s:s, s:s}, s:[{s:s, s:s}]}", "kind", "User", "metadata",
                               "name", "jane", "namespace", "default", "relations", "type",
                               "memberOf", "targetRef", "group:default/g0");
    gr_auth_user *user = NULL;

    (void)state;
    assert_int_equal(gr_auth_user_from_entity(entity, &lookup, true, &user), GR_OK);
    assert_true(has_ref(user, "group:default/g0"));
    assert_true(has_ref(user, "group:default/g16"));
    assert_false(has_ref(user, "group:default/g17"));
    assert_int_equal(user->ownership_count, 2 + GR_AUTH_MAX_GROUP_DEPTH);
    gr_auth_user_free(user);
    json_decref(entity);
}

/* A user in more groups than the limit keeps the first GR_AUTH_MAX_OWNERSHIP refs. */
static void ownership_over_max_cut(void **state)
{
    char *refs[GR_AUTH_MAX_OWNERSHIP + 1];
    gr_auth_user *user;

    (void)state;
    for (int i = 0; i <= GR_AUTH_MAX_OWNERSHIP; i++)
        refs[i] = gr_xasprintf("group:default/team-%d", i);
    user =
        gr_auth_user_new("user:default/jane", (const char *const *)refs, GR_AUTH_MAX_OWNERSHIP + 1);
    assert_int_equal(user->ownership_count, GR_AUTH_MAX_OWNERSHIP);
    assert_string_equal(user->ownership[0], "user:default/jane");
    assert_string_equal(user->ownership[GR_AUTH_MAX_OWNERSHIP - 1], "group:default/team-254");
    gr_auth_user_free(user);
    for (int i = 0; i <= GR_AUTH_MAX_OWNERSHIP; i++)
        free(refs[i]);
}

/* Loads `yaml` with an empty schema, so every key is kept as written. */
static gr_config *config_from(const char *yaml)
{
    char *dir = gr_test_tmpdir("auth-config");
    char *path = gr_xasprintf("%s/app.yaml", dir);
    const char *files[] = {path};
    gr_config_schema *schema = gr_config_schema_new();
    gr_config *cfg = NULL;

    gr_test_write_file(dir, "app.yaml", yaml);
    if (gr_config_load(&cfg, files, 1, schema) != GR_OK)
        fail_msg("config: %s", gr_error_last());
    gr_config_schema_free(schema);
    gr_test_rmtree(dir);
    free(path);
    free(dir);
    return cfg;
}

static int static_token_status(const char *token)
{
    char *yaml = gr_xasprintf("backend:\n  auth:\n    externalAccess:\n      - type: static\n"
                              "        options:\n          token: '%s'\n"
                              "          subject: ci-bot\n",
                              token);
    gr_config *cfg = config_from(yaml);
    gr_auth_static_tokens *tokens = NULL;
    int rc = gr_auth_static_tokens_new(&tokens, cfg);

    gr_auth_static_tokens_free(tokens);
    gr_config_free(cfg);
    free(yaml);
    return rc;
}

static void static_token_under_min_rejected(void **state)
{
    (void)state;
    assert_int_equal(static_token_status("12345678"), GR_OK);
    assert_int_equal(static_token_status("1234567"), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "backend.auth.externalAccess[0].options.token"));
    assert_non_null(strstr(gr_error_last(), "needs at least 8 characters"));
}

static int token_ttl_status(long long seconds)
{
    char *yaml = gr_xasprintf("auth:\n  backstageTokenExpiration: %lld\n", seconds);
    gr_config *cfg = config_from(yaml);
    gr_auth *auth = NULL;
    int rc = gr_auth_new(&auth, cfg, NULL);

    gr_auth_free(auth);
    gr_config_free(cfg);
    free(yaml);
    return rc;
}

static void token_ttl_outside_range_rejected(void **state)
{
    (void)state;
    assert_int_equal(token_ttl_status(GR_AUTH_MIN_TOKEN_TTL_S), GR_OK);
    assert_int_equal(token_ttl_status(GR_AUTH_MAX_TOKEN_TTL_S), GR_OK);
    assert_int_equal(token_ttl_status(GR_AUTH_MIN_TOKEN_TTL_S - 1), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "auth.backstageTokenExpiration: 599 seconds is "
                                            "outside the allowed range of 600 to 86400 seconds"));
    assert_int_equal(token_ttl_status(GR_AUTH_MAX_TOKEN_TTL_S + 1), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "86401 seconds is outside the allowed range"));
}

/* Returns the code of reading a legacy entry whose secret decodes to `len` bytes. */
static int legacy_secret_status(size_t len)
{
    unsigned char *secret = gr_xmalloc(len);
    char *encoded;
    char *yaml;
    gr_config *cfg;
    gr_auth_legacy_keys *keys = NULL;
    int rc;

    memset(secret, 0x5a, len);
    encoded = gr_base64url_encode(secret, len);
    yaml = gr_xasprintf("backend:\n  auth:\n    externalAccess:\n      - type: legacy\n"
                        "        options:\n          secret: %s\n          subject: old-bot\n",
                        encoded);
    cfg = config_from(yaml);
    rc = gr_auth_legacy_keys_new(&keys, cfg);
    gr_auth_legacy_keys_free(keys);
    gr_config_free(cfg);
    free(yaml);
    free(encoded);
    free(secret);
    return rc;
}

/* Secrets one and two bytes past the limit pass the check on the text's
 * length, so the decoded length is checked as well. */
static void legacy_secret_over_max_rejected(void **state)
{
    (void)state;
    assert_int_equal(legacy_secret_status(GR_AUTH_LEGACY_MAX_SECRET_BYTES), GR_OK);
    assert_int_equal(legacy_secret_status(GR_AUTH_LEGACY_MAX_SECRET_BYTES + 1), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "backend.auth.externalAccess[0].options.secret: the "
                                            "secret must be base64 of 1 to 1024 bytes"));
    assert_int_equal(legacy_secret_status(GR_AUTH_LEGACY_MAX_SECRET_BYTES + 2), GR_EINVALID);
}

static void config_list_over_max_rejected(void **state)
{
    json_t *values = json_array();
    gr_auth_config_list list;
    char value[16];

    (void)state;
    for (int i = 0; i < GR_AUTH_CONFIG_LIST_MAX; i++) {
        snprintf(value, sizeof(value), "v%d", i);
        json_array_append_new(values, json_string(value));
    }
    assert_int_equal(gr_auth_config_list_read(values, "opt", &list), GR_OK);
    assert_true(gr_auth_config_list_contains(&list, "v63"));
    gr_auth_config_list_clear(&list);

    json_array_append_new(values, json_string("one-more"));
    assert_int_equal(gr_auth_config_list_read(values, "opt", &list), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "opt: more than 64 values"));
    gr_auth_config_list_clear(&list);
    json_decref(values);
}

static void restrictions_over_max_rejected(void **state)
{
    json_t *items = json_array();
    json_t *entry;
    gr_auth_restrictions *restrictions = NULL;
    char plugin[16];

    (void)state;
    for (int i = 0; i < GR_AUTH_MAX_RESTRICTIONS; i++) {
        snprintf(plugin, sizeof(plugin), "plugin%d", i);
        json_array_append_new(items, json_pack("{s:s}", "plugin", plugin));
    }
    entry = json_pack("{s:O}", "accessRestrictions", items);
    if (gr_auth_restrictions_read(entry, "backend.auth.externalAccess[0]", &restrictions) != GR_OK)
        fail_msg("restrictions: %s", gr_error_last());
    assert_non_null(restrictions);
    gr_auth_restrictions_free(restrictions);
    restrictions = NULL;
    json_decref(entry);

    json_array_append_new(items, json_pack("{s:s}", "plugin", "one-more"));
    entry = json_pack("{s:O}", "accessRestrictions", items);
    assert_int_equal(
        gr_auth_restrictions_read(entry, "backend.auth.externalAccess[0]", &restrictions),
        GR_EINVALID);
    assert_null(restrictions);
    assert_non_null(strstr(gr_error_last(), "backend.auth.externalAccess[0].accessRestrictions: "
                                            "more than 64 items"));
    json_decref(entry);
    json_decref(items);
}

/* ---- audit rate limit ------------------------------------------------------ */

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static gr_buf audit_lines = GR_BUF_INIT;

static void audit_sink(gr_log_level level, const char *line, void *payload)
{
    (void)level;
    (void)payload;
    pthread_mutex_lock(&audit_lock);
    gr_buf_puts(&audit_lines, line);
    gr_buf_putc(&audit_lines, '\n');
    pthread_mutex_unlock(&audit_lock);
}

static int count_lines_with(const char *needle)
{
    int count = 0;

    for (const char *p = gr_buf_cstr(&audit_lines); (p = strstr(p, needle)) != NULL; p++)
        count++;
    return count;
}

static void wait_for_next_second(void)
{
    time_t start = time(NULL);

    while (time(NULL) == start)
        usleep(1000);
}

static void audit_failures_over_max_suppressed(void **state)
{
    (void)state;
    gr_log_set_sink(audit_sink, NULL);
    wait_for_next_second();
    for (int i = 0; i < GR_AUDIT_MAX_FAILURES_PER_S + 5; i++)
        gr_audit_token_rejected("token", "bad signature", "127.0.0.1", "/api/catalog/entities");
    assert_int_equal(count_lines_with("event=token_rejected"), GR_AUDIT_MAX_FAILURES_PER_S);
    assert_int_equal(count_lines_with("suppressed=0"), GR_AUDIT_MAX_FAILURES_PER_S);

    wait_for_next_second();
    gr_audit_sign_in_failed("oidc", "state mismatch", "127.0.0.1");
    assert_int_equal(count_lines_with("event=sign_in_failed"), 1);
    assert_int_equal(count_lines_with("suppressed=5"), 1);
    gr_log_set_sink(NULL, NULL);
    gr_buf_free(&audit_lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fetch_over_max_rejected),
        cmocka_unit_test(cookie_over_max_ignored),
        cmocka_unit_test(kid_over_max_not_fetched),
        cmocka_unit_test(refetch_before_min_skipped),
        cmocka_unit_test(pem_over_max_rejected),
        cmocka_unit_test(jwk_member_over_max_rejected),
        cmocka_unit_test(proxy_user_over_max_rejected),
        cmocka_unit_test(resolvers_over_max_rejected),
        cmocka_unit_test(group_depth_over_max_cut),
        cmocka_unit_test(ownership_over_max_cut),
        cmocka_unit_test(static_token_under_min_rejected),
        cmocka_unit_test(token_ttl_outside_range_rejected),
        cmocka_unit_test(legacy_secret_over_max_rejected),
        cmocka_unit_test(config_list_over_max_rejected),
        cmocka_unit_test(restrictions_over_max_rejected),
        cmocka_unit_test(audit_failures_over_max_suppressed),
    };

    return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
