/* SPDX-License-Identifier: MIT */
/* External access on the real server: accessRestrictions, and jwks tokens of a test issuer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/auth/jwk.h"
#include "host/auth/jwt.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "support/gr_test.h"
#include "auth_support.h"

#define OPEN_TOKEN "external-open-token-1"
#define CATALOG_TOKEN "external-catalog-token-1"
#define READER_TOKEN "external-reader-token-1"
#define LOCATIONS_TOKEN "external-locations-token-1"
#define DELETER_TOKEN "external-deleter-token-1"
#define SEARCHER_TOKEN "external-searcher-token-1"
/* base64 of the legacy secret "external-legacy-secret-0123456789" */
#define LEGACY_SECRET "external-legacy-secret-0123456789"
#define LEGACY_SECRET_B64 "ZXh0ZXJuYWwtbGVnYWN5LXNlY3JldC0wMTIzNDU2Nzg5"
#define ISSUER "https://issuer.test"
#define AUDIENCE "greenroom"
#define KID "issuer-key-1"

/* The outside issuer: an HTTP server on 127.0.0.1 that serves the JWKS of its signing key. */
typedef struct {
    gr_http_server *http;
    EVP_PKEY *key;
    EVP_PKEY *other_key; /* signs tokens with a kid that the JWKS does not list */
    char *jwks_url;
} issuer;

static issuer idp;

static int serve_jwks(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    return gr_res_json(res, 200,
                       json_pack("{s:[o]}", "keys", gr_jwk_from_pkey(idp.key, KID, "ES256")));
}

static int issuer_start(void **state)
{
    gr_http_options opts;

    (void)state;
    memset(&idp, 0, sizeof(idp));
    memset(&opts, 0, sizeof(opts));
    opts.threads = 2;
    if (gr_jwk_generate_es256(&idp.key) != GR_OK ||
        gr_jwk_generate_es256(&idp.other_key) != GR_OK ||
        gr_http_server_new(&idp.http, &opts) != GR_OK ||
        gr_http_route(idp.http, "GET", "/jwks", GR_ROUTE_PUBLIC, serve_jwks, NULL) != GR_OK ||
        gr_http_server_start(idp.http) != GR_OK)
        return -1;
    idp.jwks_url = gr_xasprintf("http://127.0.0.1:%d/jwks", gr_http_server_port(idp.http));
    return 0;
}

static int issuer_stop(void **state)
{
    (void)state;
    gr_http_server_free(idp.http);
    EVP_PKEY_free(idp.key);
    EVP_PKEY_free(idp.other_key);
    free(idp.jwks_url);
    return 0;
}

/* Signs a token of the issuer. `key` NULL signs with the key that the JWKS lists. */
static char *issue(EVP_PKEY *key, const char *kid, const char *iss, const char *aud,
                   int64_t expires_in)
{
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", iss, "aud", aud, "sub", "deploy-bot", "iat",
                  (json_int_t)time(NULL), "exp", (json_int_t)(time(NULL) + expires_in));
    char *token = NULL;

    assert_int_equal(gr_jwt_sign_es256(key ? key : idp.key, kid, NULL, claims, &token), GR_OK);
    json_decref(claims);
    return token;
}

typedef struct {
    char *dir;
    gr_test_server server;
} running;

/* The config of the portal. Its first jwks entry names a closed port of 127.0.0.1, so its
 * key set can never be fetched. */
static char *portal_config(void)
{
    return gr_xasprintf("catalog:\n"
                        "  allowedLocationTypes: [file]\n"
                        "backend:\n"
                        "  listen:\n"
                        "    port: ${GREENROOM_PORT}\n"
                        "  database:\n"
                        "    client: better-sqlite3\n"
                        "    connection: ./data/test.sqlite\n"
                        "  auth:\n"
                        "    externalAccess:\n"
                        "      - type: static\n"
                        "        options:\n"
                        "          token: " OPEN_TOKEN "\n"
                        "          subject: open-bot\n"
                        "      - type: static\n"
                        "        options:\n"
                        "          token: " CATALOG_TOKEN "\n"
                        "          subject: catalog-bot\n"
                        "        accessRestrictions:\n"
                        "          - plugin: catalog\n"
                        "      - type: static\n"
                        "        options:\n"
                        "          token: " READER_TOKEN "\n"
                        "          subject: reader-bot\n"
                        "        accessRestrictions:\n"
                        "          - plugin: catalog\n"
                        "            permission: catalog.entity.read\n"
                        "          - plugin: search\n"
                        "            permissionAttribute:\n"
                        "              action: [read]\n"
                        "      - type: static\n"
                        "        options:\n"
                        "          token: " LOCATIONS_TOKEN "\n"
                        "          subject: locations-bot\n"
                        "        accessRestrictions:\n"
                        "          - plugin: catalog\n"
                        "            permission: [catalog.location.read]\n"
                        "      - type: static\n"
                        "        options:\n"
                        "          token: " DELETER_TOKEN "\n"
                        "          subject: deleter-bot\n"
                        "        accessRestrictions:\n"
                        "          - plugin: catalog\n"
                        "            permission: [catalog.entities.unprocessed.delete]\n"
                        "      - type: static\n"
                        "        options:\n"
                        "          token: " SEARCHER_TOKEN "\n"
                        "          subject: searcher-bot\n"
                        "        accessRestrictions:\n"
                        "          - plugin: search\n"
                        "            permission: [search.query]\n"
                        "      - type: legacy\n"
                        "        options:\n"
                        "          secret: " LEGACY_SECRET_B64 "\n"
                        "          subject: old-backend\n"
                        "        accessRestrictions:\n"
                        "          - plugin: search\n"
                        "      - type: jwks\n"
                        "        options:\n"
                        "          url: http://127.0.0.1:%d/jwks\n"
                        "          issuer: " ISSUER "\n"
                        "      - type: jwks\n"
                        "        options:\n"
                        "          url: %s\n"
                        "          issuer: " ISSUER "\n"
                        "          audience: " AUDIENCE "\n"
                        "          algorithm: ES256\n"
                        "          subjectPrefix: partner\n"
                        "        accessRestrictions:\n"
                        "          - plugin: catalog\n",
                        gr_test_free_port(), idp.jwks_url);
}

static void start(running *run, const char *prefix)
{
    char *config = portal_config();

    run->dir = gr_test_tmpdir(prefix);
    gr_test_write_file(run->dir, "app-config.yaml", config);
    gr_test_write_file(run->dir, "extra.yaml",
                       "apiVersion: backstage.io/v1alpha1\n"
                       "kind: Component\n"
                       "metadata:\n"
                       "  name: extra\n"
                       "spec:\n"
                       "  type: service\n"
                       "  lifecycle: production\n"
                       "  owner: team-a\n");
    free(config);
    assert_int_equal(gr_test_server_start(&run->server, run->dir, "app-config.yaml", 10000), 0);
}

static void stop(running *run)
{
    assert_int_equal(gr_test_server_stop(&run->server), 0);
    gr_test_rmtree(run->dir);
    free(run->dir);
}

/* Sends a request with `Authorization: Bearer <token>` and, for a body, a JSON content type. */
static gr_test_output call(const running *run, const char *method, const char *path,
                           const char *token, const char *body)
{
    char *url = gr_xasprintf("%s%s", run->server.base_url, path);
    char *authorization = gr_xasprintf("Authorization: Bearer %s", token);
    const char *const headers[] = {authorization, "Content-Type: application/json", NULL};
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(authorization);
    free(url);
    return res;
}

static char *read_log(const running *run)
{
    return read_server_log(run->server.log_path);
}

static char *location_body(const running *run)
{
    return gr_xasprintf("{\"type\":\"file\",\"target\":\"%s/extra.yaml\"}", run->dir);
}

static void restriction_limits_plugins(void **state)
{
    char *claims = gr_xasprintf("{\"sub\":\"backstage-server\",\"exp\":%lld}",
                                (long long)time(NULL) + 600);
    char *legacy = sign_hs256(LEGACY_SECRET, claims);
    running run;
    gr_test_output res;

    (void)state;
    start(&run, "external-plugins");

    res = call(&run, "GET", "/api/catalog/entities", CATALOG_TOKEN, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    res = call(&run, "GET", "/api/search/query?term=x", CATALOG_TOKEN, NULL);
    assert_int_equal(res.status, 403);
    assert_non_null(strstr(res.out, "\"name\":\"NotAllowedError\""));
    assert_non_null(strstr(res.out, "This token's access is restricted to plugin(s) 'catalog'"));
    assert_non_null(strstr(res.out, "\"statusCode\":403"));
    gr_test_output_free(&res);

    res = call(&run, "GET", "/api/search/query?term=x", OPEN_TOKEN, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    /* The reader may call search, whose query permission has the read action. */
    res = call(&run, "GET", "/api/search/query?term=x", READER_TOKEN, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    res = call(&run, "GET", "/api/search/query?term=x", legacy, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    res = call(&run, "GET", "/api/catalog/entities", legacy, NULL);
    assert_int_equal(res.status, 403);
    assert_non_null(strstr(res.out, "restricted to plugin(s) 'search'"));
    gr_test_output_free(&res);
    free(legacy);
    free(claims);
    stop(&run);
}

static void restriction_limits_permissions(void **state)
{
    running run;
    gr_test_output res;
    char *body;

    (void)state;
    start(&run, "external-permissions");
    body = location_body(&run);

    res = call(&run, "GET", "/api/catalog/entities", READER_TOKEN, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    res = call(&run, "POST", "/api/catalog/locations", READER_TOKEN, body);
    assert_int_equal(res.status, 403);
    assert_non_null(strstr(res.out, "\"name\":\"NotAllowedError\""));
    assert_non_null(strstr(res.out, "catalog.location.create"));
    gr_test_output_free(&res);

    /* A token without restrictions may still register the location. */
    res = call(&run, "POST", "/api/catalog/locations", OPEN_TOKEN, body);
    if (res.status != 201)
        print_error("%s\n", res.out);
    assert_int_equal(res.status, 201);
    gr_test_output_free(&res);

    res = call(&run, "POST", "/api/permission/authorize", READER_TOKEN,
               "{\"items\":[{\"id\":\"1\",\"permission\":{\"name\":\"catalog.entity.read\"}}]}");
    assert_int_equal(res.status, 403);
    gr_test_output_free(&res);
    free(body);
    stop(&run);
}

/* Sends `method` `path` with `token` and returns the response status. */
static int status_of(const running *run, const char *method, const char *path, const char *token)
{
    gr_test_output res = call(run, method, path, token, NULL);
    int status = res.status;

    gr_test_output_free(&res);
    return status;
}

/* Polls the search API as `token` for up to 20 s until a result contains `needle`. */
static bool wait_search_finds(const running *run, const char *term, const char *token,
                              const char *needle)
{
    char *path = gr_xasprintf("/api/search/query?term=%s", term);
    bool found = false;

    for (int i = 0; i < 200 && !found; i++) {
        gr_test_output res = call(run, "GET", path, token, NULL);

        found = res.status == 200 && strstr(res.out, needle) != NULL;
        gr_test_output_free(&res);
        if (!found)
            usleep(100 * 1000);
    }
    free(path);
    return found;
}

/* Returns metadata.uid of component `name` read with OPEN_TOKEN, waiting for it (caller frees). */
static char *wait_component_uid(const running *run, const char *name)
{
    char *path = gr_xasprintf("/api/catalog/entities/by-name/component/default/%s", name);
    char *uid = NULL;

    for (int waited = 0; uid == NULL && waited < 30000; waited += 100) {
        gr_test_output res = call(run, "GET", path, OPEN_TOKEN, NULL);
        json_t *body = res.status == 200 ? json_loads(res.out, 0, NULL) : NULL;
        const char *text =
            json_string_value(json_object_get(json_object_get(body, "metadata"), "uid"));

        if (text != NULL)
            uid = gr_xstrdup(text);
        json_decref(body);
        gr_test_output_free(&res);
        if (uid == NULL)
            poll(NULL, 0, 100);
    }
    if (uid == NULL)
        fail_msg("%s was not stitched within 30 s", path);
    free(path);
    return uid;
}

/*
 * permission.enabled is false here, and the restrictions still decide every
 * catalog permission: a token restricted to catalog.location.read reads no
 * entity, and one restricted to deleting unprocessed entities learns nothing
 * about a stitched one.
 */
static void restriction_limits_reads_without_policy(void **state)
{
    running run;
    gr_test_output res;
    char *body;
    char *uid;
    char *path;

    (void)state;
    start(&run, "external-reads");
    body = location_body(&run);
    res = call(&run, "POST", "/api/catalog/locations", OPEN_TOKEN, body);
    if (res.status != 201)
        print_error("%s\n", res.out);
    assert_int_equal(res.status, 201);
    gr_test_output_free(&res);
    uid = wait_component_uid(&run, "extra");

    assert_int_equal(status_of(&run, "GET", "/api/catalog/entities/unprocessed/failed",
                               READER_TOKEN),
                     200);
    res = call(&run, "GET", "/api/catalog/entities/unprocessed/failed", LOCATIONS_TOKEN, NULL);
    assert_int_equal(res.status, 403);
    assert_non_null(strstr(res.out, "\"name\":\"NotAllowedError\""));
    assert_non_null(strstr(res.out, "catalog.entity.read"));
    assert_null(strstr(res.out, "\"entities\""));
    gr_test_output_free(&res);
    assert_int_equal(status_of(&run, "GET", "/api/catalog/entities/unprocessed/pending",
                               LOCATIONS_TOKEN),
                     403);

    res = call(&run, "GET", "/api/catalog/entities", LOCATIONS_TOKEN, NULL);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "\"extra\""));
    gr_test_output_free(&res);
    assert_int_equal(status_of(&run, "GET", "/api/catalog/entities/by-name/component/default/extra",
                               LOCATIONS_TOKEN),
                     404);
    assert_int_equal(status_of(&run, "GET", "/api/catalog/locations", LOCATIONS_TOKEN), 200);

    /* search.query alone finds no catalog document: each follows catalog.entity.read. */
    assert_true(wait_search_finds(&run, "extra", OPEN_TOKEN, "/catalog/default/component/extra"));
    res = call(&run, "GET", "/api/search/query?term=extra", SEARCHER_TOKEN, NULL);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "/catalog/default/component/extra"));
    gr_test_output_free(&res);

    path = gr_xasprintf("/api/catalog/entities/unprocessed/delete/%s", uid);
    res = call(&run, "DELETE", path, DELETER_TOKEN, NULL);
    assert_int_equal(res.status, 404);
    assert_null(strstr(res.out, "extra"));
    gr_test_output_free(&res);
    res = call(&run, "DELETE", path, OPEN_TOKEN, NULL);
    assert_int_equal(res.status, 409);
    assert_non_null(strstr(res.out, "component:default/extra"));
    gr_test_output_free(&res);

    free(path);
    free(uid);
    free(body);
    stop(&run);
}

static void jwks_token_accepted(void **state)
{
    char *log;
    running run;
    gr_test_output res;
    char *token = issue(NULL, KID, ISSUER, AUDIENCE, 600);

    (void)state;
    start(&run, "external-jwks");

    /* The first jwks entry cannot fetch its keys, and the second accepts the token. */
    res = call(&run, "GET", "/api/catalog/entities", token, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    log = read_log(&run);
    assert_non_null(strstr(log, "key set fetch failed"));
    assert_null(strstr(log, token));
    free(log);

    /* The entry's accessRestrictions apply to its tokens too. */
    res = call(&run, "GET", "/api/search/query?term=x", token, NULL);
    assert_int_equal(res.status, 403);
    gr_test_output_free(&res);

    free(token);
    stop(&run);
}

static void jwks_bad_tokens_rejected(void **state)
{
    struct {
        const char *name;
        char *token;
    } cases[] = {
        {"wrong issuer", issue(NULL, KID, "https://other.test", AUDIENCE, 600)},
        {"wrong audience", issue(NULL, KID, ISSUER, "someone-else", 600)},
        {"expired", issue(NULL, KID, ISSUER, AUDIENCE, -600)},
        {"unknown kid", issue(idp.other_key, "unknown-key", ISSUER, AUDIENCE, 600)},
        {"wrong key", issue(idp.other_key, KID, ISSUER, AUDIENCE, 600)},
    };
    running run;

    (void)state;
    start(&run, "external-jwks-bad");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gr_test_output res = call(&run, "GET", "/api/catalog/entities", cases[i].token, NULL);

        if (res.status != 401)
            print_error("case '%s' got HTTP %d\n", cases[i].name, res.status);
        assert_int_equal(res.status, 401);
        assert_non_null(strstr(res.out, "\"name\":\"AuthenticationError\""));
        gr_test_output_free(&res);
        free(cases[i].token);
    }
    stop(&run);
}

/* Runs serve on a config whose externalAccess list ends with `entry`, and returns its output. */
static gr_test_output serve_with_entry(const char *entry)
{
    char *dir = gr_test_tmpdir("external-bad");
    char *config = gr_xasprintf("backend:\n"
                                "  listen:\n"
                                "    port: 0\n"
                                "  auth:\n"
                                "    externalAccess:\n"
                                "      - type: static\n"
                                "        options:\n"
                                "          token: " OPEN_TOKEN "\n"
                                "          subject: open-bot\n"
                                "%s",
                                entry);
    const char *const argv[] = {"serve", "--config", "app-config.yaml", NULL};
    gr_test_output res;

    gr_test_write_file(dir, "app-config.yaml", config);
    res = gr_test_run(dir, argv);
    gr_test_rmtree(dir);
    free(config);
    free(dir);
    return res;
}

static void malformed_restriction_exits_2(void **state)
{
    static const struct {
        const char *entry;
        const char *path;
    } cases[] = {
        {"      - type: static\n"
         "        options: {token: " CATALOG_TOKEN ", subject: b}\n"
         "        accessRestrictions:\n"
         "          - plugin: catalog\n"
         "            scope: all\n",
         "backend.auth.externalAccess[1]: accessRestrictions[0].scope"},
        {"      - type: legacy\n"
         "        options: {secret: c2VjcmV0LXNlY3JldA, subject: b}\n"
         "        accessRestrictions:\n"
         "          - permission: catalog.entity.read\n",
         "accessRestrictions[0].plugin"},
        {"      - type: static\n"
         "        options: {token: " CATALOG_TOKEN ", subject: b}\n"
         "        accessRestrictions:\n"
         "          - plugin: catalog\n"
         "          - plugin: catalog\n",
         "accessRestrictions[1].plugin"},
        {"      - type: static\n"
         "        options: {token: " CATALOG_TOKEN ", subject: b}\n"
         "        accessRestrictions:\n"
         "          - plugin: catalog\n"
         "            permissionAttribute: {action: [execute]}\n",
         "accessRestrictions[0].permissionAttribute.action"},
        {"      - type: jwks\n"
         "        options: {url: 'not a url', issuer: x}\n",
         "backend.auth.externalAccess[1].options.url"},
        {"      - type: jwks\n"
         "        options: {url: 'http://127.0.0.1:9/jwks', algorithm: HS256}\n",
         "backend.auth.externalAccess[1].options.algorithm"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gr_test_output res = serve_with_entry(cases[i].entry);

        if (strstr(res.err, cases[i].path) == NULL)
            print_error("case %zu: %s\n", i, res.err);
        assert_int_equal(res.status, 2);
        assert_non_null(strstr(res.err, cases[i].path));
        gr_test_output_free(&res);
    }
}

static void unknown_plugin_accepted(void **state)
{
    gr_test_output res;
    running run;
    char *config = portal_config();
    char *extended = gr_xasprintf("%s"
                                  "      - type: static\n"
                                  "        options: {token: external-later-1, subject: later}\n"
                                  "        accessRestrictions:\n"
                                  "          - plugin: not-installed-yet\n",
                                  config);

    (void)state;
    run.dir = gr_test_tmpdir("external-unknown");
    gr_test_write_file(run.dir, "app-config.yaml", extended);
    assert_int_equal(gr_test_server_start(&run.server, run.dir, "app-config.yaml", 10000), 0);
    res = call(&run, "GET", "/api/catalog/entities", "external-later-1", NULL);
    assert_int_equal(res.status, 403);
    assert_non_null(strstr(res.out, "'not-installed-yet'"));
    gr_test_output_free(&res);
    free(extended);
    free(config);
    stop(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(restriction_limits_plugins),
        cmocka_unit_test(restriction_limits_permissions),
        cmocka_unit_test(restriction_limits_reads_without_policy),
        cmocka_unit_test(jwks_token_accepted),
        cmocka_unit_test(jwks_bad_tokens_rejected),
        cmocka_unit_test(malformed_restriction_exits_2),
        cmocka_unit_test(unknown_plugin_accepted),
    };

    return cmocka_run_group_tests(tests, issuer_start, issuer_stop);
}
