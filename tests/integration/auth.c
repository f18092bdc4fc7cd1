/* SPDX-License-Identifier: MIT */
/* Integration tests of authentication on the real server: 401/403 bodies, guest, sessions, proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/gr_test.h"
#include "auth_support.h"
#include "host/auth/base64url.h"
#include "host/auth/jwk.h"
#include "host/auth/jwt.h"
#include "host/common/alloc.h"

#define STATIC_TOKEN "auth-test-static-token-1234"

static const char base_config[] =
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
    "          token: " STATIC_TOKEN "\n"
    "          subject: ci-bot\n";

typedef struct {
    char *dir;
    gr_test_server server;
} running;

static void start(running *run, const char *prefix, const char *extra_config)
{
    char *config = gr_xasprintf("%s%s", base_config, extra_config);

    run->dir = gr_test_tmpdir(prefix);
    gr_test_write_file(run->dir, "app-config.yaml", config);
    free(config);
    assert_int_equal(gr_test_server_start(&run->server, run->dir, "app-config.yaml", 10000), 0);
}

static void stop(running *run)
{
    assert_int_equal(gr_test_server_stop(&run->server), 0);
    gr_test_rmtree(run->dir);
    free(run->dir);
}

static gr_test_output request(const running *run, const char *method, const char *path,
                              const char *const *headers, const char *body)
{
    char *url = gr_xasprintf("%s%s", run->server.base_url, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    return res;
}

static char *read_log(const running *run)
{
    return read_server_log(run->server.log_path);
}

static void api_requires_identity(void **state)
{
    running run;
    gr_test_output res;
    const char *const bad[] = {"Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln", NULL};
    const char *const service[] = {"Authorization: Bearer " STATIC_TOKEN,
                                   "Content-Type: application/json", NULL};
    const char *const mistyped[] = {"Authorization: Bearer auth-test-static-token-1235", NULL};
    const char *const html[] = {"Accept: text/html,application/xhtml+xml", NULL};
    char *log;

    (void)state;
    start(&run, "auth-401", "");

    res = request(&run, "GET", "/api/auth/v1/userinfo", NULL, NULL);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "\"name\":\"AuthenticationError\""));
    assert_non_null(strstr(res.out, "\"message\":\"Missing credentials\""));
    assert_non_null(strstr(res.out, "\"url\":\"/v1/userinfo\""));
    assert_non_null(strstr(res.out, "\"statusCode\":401"));
    gr_test_output_free(&res);

    res = request(&run, "GET", "/api/auth/v1/userinfo", bad, NULL);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "Invalid token"));
    assert_null(strstr(res.out, "c2ln"));
    gr_test_output_free(&res);

    /* A mistyped static token is not a JWT, so the message names the static tokens. */
    res = request(&run, "GET", "/api/auth/v1/userinfo", mistyped, NULL);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "\"name\":\"AuthenticationError\""));
    assert_non_null(strstr(res.out, "\"message\":\"Invalid token: it matches no static token "
                                    "of backend.auth.externalAccess and is not a JWT\""));
    assert_null(strstr(res.out, "compact JWS"));
    assert_null(strstr(res.out, "static-token-1235"));
    gr_test_output_free(&res);

    res = request(&run, "POST", "/api/permission/authorize", NULL, "{\"items\":[]}");
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);

    res = request(&run, "POST", "/api/permission/authorize", service,
                  "{\"items\":[{\"id\":\"1\",\"permission\":{\"name\":\"catalog.entity.read\"}}]}");
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"result\":\"ALLOW\""));
    gr_test_output_free(&res);

    /* Backstage's rule: any case, repeated spaces and trailing white space around one token. */
    {
        const char *const spaced[] = {"Authorization: bearer   " STATIC_TOKEN " \t",
                                      "Content-Type: application/json", NULL};
        const char *const split[] = {"Authorization: Bearer " STATIC_TOKEN " x",
                                     "Content-Type: application/json", NULL};

        res = request(&run, "POST", "/api/permission/authorize", spaced, "{\"items\":[]}");
        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);
        res = request(&run, "POST", "/api/permission/authorize", split, "{\"items\":[]}");
        assert_int_equal(res.status, 401);
        assert_non_null(strstr(res.out, "\"message\":\"Missing credentials\""));
        gr_test_output_free(&res);
    }

    /* A browser opening a page goes to the sign-in page; API routes keep the 401. */
    res = request(&run, "GET", "/catalog?filters%5Bkind%5D=api", html, NULL);
    assert_int_equal(res.status, 302);
    assert_non_null(
        strstr(res.err, "Location: /signin?redirect=%2Fcatalog%3Ffilters%255Bkind%255D%3Dapi"));
    gr_test_output_free(&res);
    res = request(&run, "GET", "/api/catalog/entities", html, NULL);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "\"name\":\"AuthenticationError\""));
    gr_test_output_free(&res);

    /* Health, JWKS and discovery stay public. */
    res = request(&run, "GET", "/.backstage/health/v1/readiness", NULL, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    res = request(&run, "GET", "/api/auth/.well-known/jwks.json", NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"keys\""));
    gr_test_output_free(&res);
    res = request(&run, "GET", "/api/auth/.well-known/openid-configuration", NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "/api/auth/.well-known/jwks.json"));
    assert_non_null(strstr(res.out, "\"ES256\""));
    gr_test_output_free(&res);

    /* The rejected token is audited without its value. */
    log = read_log(&run);
    assert_non_null(strstr(log, "event=token_rejected"));
    assert_null(strstr(log, "c2ln"));
    free(log);
    stop(&run);
}

static char *guest_sign_in(const running *run)
{
    gr_test_output res = request(run, "GET", "/api/auth/guest/start?redirect=/catalog", NULL, NULL);
    char *location = header_value(res.err, "Location");
    char *line = set_cookie_line(res.err, "greenroom-session");
    char *cookie = set_cookie(res.err, "greenroom-session");

    assert_int_equal(res.status, 302);
    assert_non_null(location);
    assert_int_equal(strncmp(location, run->server.base_url, strlen(run->server.base_url)), 0);
    assert_non_null(strstr(location, "/catalog"));
    assert_non_null(line);
    assert_non_null(strstr(line, "HttpOnly"));
    assert_non_null(strstr(line, "SameSite=Lax"));
    assert_non_null(strstr(line, "Path=/"));
    assert_null(strstr(line, "Secure"));
    free(location);
    free(line);
    gr_test_output_free(&res);
    return cookie;
}

/* A redirect with a control character falls back to the portal's home page. */
static void redirect_control_characters_dropped(void **state)
{
    running run;
    gr_test_output res;
    char *location;
    char *home;

    (void)state;
    start(&run, "auth-redirect", "auth:\n  providers:\n    guest: {}\n");
    res = request(&run, "GET", "/api/auth/guest/start?redirect=/%09/x", NULL, NULL);
    location = header_value(res.err, "Location");
    home = gr_xasprintf("%s/", run.server.base_url);
    assert_int_equal(res.status, 302);
    assert_non_null(location);
    assert_string_equal(location, home);
    free(home);
    free(location);
    gr_test_output_free(&res);
    stop(&run);
}

static void guest_session_cookie(void **state)
{
    running run;
    gr_test_output res;
    char *cookie;
    char *cookie_header;
    const char *xhr[] = {"X-Requested-With: XMLHttpRequest", NULL};
    const char *headers[2] = {NULL, NULL};

    (void)state;
    start(&run, "auth-guest", "auth:\n  providers:\n    guest: {}\n");
    cookie = guest_sign_in(&run);
    cookie_header = gr_xasprintf("Cookie: %s", cookie);
    headers[0] = cookie_header;

    res = request(&run, "GET", "/api/auth/v1/userinfo", headers, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"sub\":\"user:development/guest\""));
    assert_non_null(strstr(res.out, "\"ent\":[\"user:development/guest\"]"));
    gr_test_output_free(&res);

    /* Refresh returns Backstage's session response; it needs X-Requested-With. */
    res = request(&run, "GET", "/api/auth/guest/refresh", NULL, NULL);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    res = request(&run, "GET", "/api/auth/guest/refresh", xhr, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"backstageIdentity\""));
    assert_non_null(strstr(res.out, "\"type\":\"user\""));
    assert_non_null(strstr(res.out, "\"userEntityRef\":\"user:development/guest\""));
    assert_non_null(strstr(res.out, "\"ownershipEntityRefs\":[\"user:development/guest\"]"));
    assert_non_null(strstr(res.out, "\"providerInfo\""));
    gr_test_output_free(&res);

    /* The auth plugin's sign-in page is the portal's /signin, which links to the guest
     * provider. */
    res = request(&run, "GET", "/api/auth/sign-in?redirect=/docs", NULL, NULL);
    assert_int_equal(res.status, 302);
    assert_non_null(strstr(res.err, "Location: /signin?redirect=%2Fdocs"));
    gr_test_output_free(&res);
    res = request(&run, "GET", "/signin?redirect=/docs", NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "/api/auth/guest/start?redirect=%2Fdocs"));
    gr_test_output_free(&res);

    free(cookie_header);
    free(cookie);
    stop(&run);
}

static void guest_off_in_production(void **state)
{
    running run;
    gr_test_output res;

    (void)state;
    start(&run, "auth-prod",
          "auth:\n  environment: production\n  providers:\n    guest: {}\n");
    res = request(&run, "GET", "/api/auth/guest/start", NULL, NULL);
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.out, "Unknown auth provider 'guest'"));
    assert_null(set_cookie(res.err, "greenroom-session"));
    gr_test_output_free(&res);
    stop(&run);

    start(&run, "auth-prod-allowed",
          "auth:\n  environment: production\n  providers:\n    guest:\n"
          "      dangerouslyAllowOutsideDevelopment: true\n"
          "      userEntityRef: user:default/demo\n");
    res = request(&run, "GET", "/api/auth/guest/start", NULL, NULL);
    assert_int_equal(res.status, 302);
    gr_test_output_free(&res);
    stop(&run);
}

static void guest_off_when_unconfigured(void **state)
{
    running run;
    gr_test_output res;

    (void)state;
    start(&run, "auth-noguest", "");
    res = request(&run, "GET", "/api/auth/guest/start", NULL, NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);
    res = request(&run, "GET", "/signin", NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "/api/auth/guest/start"));
    assert_non_null(strstr(res.out, "No sign-in provider is configured"));
    gr_test_output_free(&res);
    stop(&run);
}

static void logout_checks_origin_and_csrf(void **state)
{
    running run;
    gr_test_output res;
    char *cookie;
    char *cookie_header;
    char *origin_header;
    char *line;

    (void)state;
    start(&run, "auth-logout", "auth:\n  providers:\n    guest: {}\n");
    cookie = guest_sign_in(&run);
    cookie_header = gr_xasprintf("Cookie: %s", cookie);
    origin_header = gr_xasprintf("Origin: %s", run.server.base_url);

    {
        const char *evil[] = {cookie_header, "X-Requested-With: XMLHttpRequest",
                              "Origin: http://evil.example", NULL};

        res = request(&run, "POST", "/api/auth/guest/logout", evil, "");
        assert_int_equal(res.status, 403);
        assert_non_null(strstr(res.out, "\"name\":\"NotAllowedError\""));
        assert_non_null(strstr(res.out, "\"statusCode\":403"));
        gr_test_output_free(&res);
    }
    {
        const char *form[] = {cookie_header, "Content-Type: application/x-www-form-urlencoded",
                              origin_header, NULL};

        res = request(&run, "POST", "/api/auth/guest/logout", form, "_csrf=forged");
        assert_int_equal(res.status, 403);
        assert_non_null(strstr(res.out, "CSRF"));
        gr_test_output_free(&res);
    }
    {
        const char *ok[] = {cookie_header, "X-Requested-With: XMLHttpRequest", origin_header,
                            NULL};

        res = request(&run, "POST", "/api/auth/guest/logout", ok, "");
        assert_int_equal(res.status, 200);
        line = set_cookie_line(res.err, "greenroom-session");
        assert_non_null(line);
        assert_non_null(strstr(line, "Max-Age=0"));
        free(line);
        gr_test_output_free(&res);
    }

    free(origin_header);
    free(cookie_header);
    free(cookie);
    stop(&run);
}

/* A write to the API that a session cookie authenticates must come from the
 * portal itself: a foreign page's text/plain post is rejected. */
static void cookie_api_write_needs_origin(void **state)
{
    running run;
    gr_test_output res;
    char *cookie;
    char *cookie_header;
    char *origin_header;
    const char *body = "{\"entityRef\":\"component:default/none\"}";

    (void)state;
    start(&run, "auth-apiwrite", "auth:\n  providers:\n    guest: {}\n");
    cookie = guest_sign_in(&run);
    cookie_header = gr_xasprintf("Cookie: %s", cookie);
    origin_header = gr_xasprintf("Origin: %s", run.server.base_url);
    {
        const char *evil[] = {cookie_header, "Content-Type: text/plain",
                              "Origin: http://evil.example", NULL};

        res = request(&run, "POST", "/api/catalog/refresh", evil, body);
        assert_int_equal(res.status, 403);
        assert_non_null(strstr(res.out, "\"name\":\"NotAllowedError\""));
        gr_test_output_free(&res);
    }
    {
        const char *no_token[] = {cookie_header, "Content-Type: text/plain", origin_header,
                                  NULL};

        res = request(&run, "POST", "/api/catalog/refresh", no_token, body);
        assert_int_equal(res.status, 403);
        /* The message explains how a script calls the API instead. */
        assert_non_null(strstr(res.out, "X-CSRF-Token"));
        assert_non_null(strstr(res.out, "Authorization: Bearer"));
        gr_test_output_free(&res);
    }
    {
        const char *portal[] = {cookie_header, "Content-Type: application/json", origin_header,
                                "X-Requested-With: XMLHttpRequest", NULL};

        res = request(&run, "POST", "/api/catalog/refresh", portal, body);
        assert_int_not_equal(res.status, 403);
        assert_int_not_equal(res.status, 401);
        gr_test_output_free(&res);
    }
    free(origin_header);
    free(cookie_header);
    free(cookie);
    stop(&run);
}

static void permission_policy_on_route(void **state)
{
    running run;
    gr_test_output res;
    char *cookie;
    char *cookie_header;
    /* As the portal's own scripts send it: a session cookie authenticates an
     * API write only with the portal's origin and X-Requested-With. */
    const char *headers[5] = {NULL, "Content-Type: application/json",
                              "X-Requested-With: XMLHttpRequest", NULL, NULL};
    char *origin_header;
    char *log;

    (void)state;
    start(&run, "auth-perm",
          "auth:\n  providers:\n    guest: {}\n"
          "permission:\n  enabled: true\n  rules:\n"
          "    - allow: [catalog.location.read]\n"
          "    - allow: catalog.entity.read\n"
          "      when: { isEntityOwner: true }\n");
    cookie = guest_sign_in(&run);
    cookie_header = gr_xasprintf("Cookie: %s", cookie);
    origin_header = gr_xasprintf("Origin: %s", run.server.base_url);
    headers[0] = cookie_header;
    headers[3] = origin_header;

    res = request(&run, "POST", "/api/permission/authorize", headers,
                  "{\"items\":["
                  "{\"id\":\"a\",\"permission\":{\"name\":\"catalog.location.read\"}},"
                  "{\"id\":\"b\",\"permission\":{\"name\":\"catalog.entity.delete\"}},"
                  "{\"id\":\"c\",\"permission\":{\"name\":\"catalog.entity.read\"}}]}");
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "{\"id\":\"a\",\"result\":\"ALLOW\"}"));
    assert_non_null(strstr(res.out, "{\"id\":\"b\",\"result\":\"DENY\"}"));
    assert_non_null(strstr(res.out, "\"id\":\"c\",\"result\":\"CONDITIONAL\""));
    assert_non_null(strstr(res.out, "\"rule\":\"IS_ENTITY_OWNER\""));
    assert_non_null(strstr(res.out, "\"claims\":[\"user:development/guest\"]"));
    gr_test_output_free(&res);

    res = request(&run, "POST", "/api/permission/authorize", headers,
                  "{\"items\":[{\"id\":\"x\",\"permission\":{\"name\":\"nope\"}}]}");
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.out, "'nope' is not a known permission"));
    gr_test_output_free(&res);

    res = request(&run, "POST", "/api/permission/authorize", headers,
                  "{\"items\":[{\"id\":\"r\",\"permission\":{\"name\":"
                  "\"catalog.entity.read\"},\"resourceRef\":5}]}");
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.out, "resourceRef must be a string"));
    gr_test_output_free(&res);

    res = request(&run, "POST", "/api/permission/authorize", headers, "{\"items\": [");
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.out, "the body is not valid JSON"));
    gr_test_output_free(&res);

    log = read_log(&run);
    assert_non_null(strstr(log, "event=permission_denied"));
    assert_non_null(strstr(log, "permission=catalog.entity.delete"));
    assert_non_null(strstr(log, "event=sign_in provider=guest"));
    free(log);

    free(origin_header);
    free(cookie_header);
    free(cookie);
    stop(&run);
}

static void bad_policy_exits_2(void **state)
{
    char *dir = gr_test_tmpdir("auth-badpolicy");
    char *config = gr_xasprintf("%s%s", base_config,
                                "permission:\n  enabled: true\n  rules:\n"
                                "    - allow: catalog.entity.explode\n");
    const char *const argv[] = {"serve", "--config", "app-config.yaml", NULL};
    gr_test_output res;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", config);
    res = gr_test_run(dir, argv);
    assert_int_equal(res.status, 2);
    assert_non_null(strstr(res.err, "permission.rules[0].allow[0]"));
    gr_test_output_free(&res);
    gr_test_rmtree(dir);
    free(config);
    free(dir);
}

/* An identity-aware proxy (GCP IAP shape) whose key is a PEM file the test writes. */
static void proxy_header_identity(void **state)
{
    running run;
    gr_test_output res;
    EVP_PKEY *key = NULL;
    char *pem_path;
    char *config;
    FILE *file;
    json_t *claims;
    char *token = NULL;
    char *header;
    char *dir = gr_test_tmpdir("auth-proxy-key");
    int64_t now = (int64_t)time(NULL);

    (void)state;
    assert_int_equal(gr_jwk_generate_es256(&key), 0);
    pem_path = gr_xasprintf("%s/iap.pem", dir);
    file = fopen(pem_path, "w");
    PEM_write_PUBKEY(file, key);
    fclose(file);
    config = gr_xasprintf("auth:\n  providers:\n    gcpIap:\n      audience: /projects/1/x\n"
                          "      publicKeyFile: %s\n"
                          "      signIn:\n        resolvers:\n"
                          "          - resolver: emailLocalPartMatchingUserEntityName\n"
                          "            dangerouslyAllowSignInWithoutUserInCatalog: true\n",
                          pem_path);
    start(&run, "auth-proxy", config);

    claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", "https://cloud.google.com/iap", "aud",
                       "/projects/1/x", "email", "jane@example.com", "iat", (json_int_t)now,
                       "exp", (json_int_t)now + 600);
    assert_int_equal(gr_jwt_sign_es256(key, "k1", NULL, claims, &token), 0);
    header = gr_xasprintf("x-goog-iap-jwt-assertion: %s", token);
    {
        const char *headers[] = {header, NULL};

        res = request(&run, "GET", "/api/auth/v1/userinfo", headers, NULL);
        assert_int_equal(res.status, 200);
        assert_non_null(strstr(res.out, "\"sub\":\"user:default/jane\""));
        gr_test_output_free(&res);
    }
    free(header);
    free(token);

    json_object_set_new(claims, "aud", json_string("/projects/2/x"));
    assert_int_equal(gr_jwt_sign_es256(key, "k1", NULL, claims, &token), 0);
    header = gr_xasprintf("x-goog-iap-jwt-assertion: %s", token);
    {
        const char *headers[] = {header, NULL};

        res = request(&run, "GET", "/api/auth/v1/userinfo", headers, NULL);
        assert_int_equal(res.status, 401);
        if (strstr(res.out, "audience") == NULL)
            fail_msg("401 body lacks the reason: %s", res.out);
        gr_test_output_free(&res);
    }

    free(header);
    free(token);
    json_decref(claims);
    EVP_PKEY_free(key);
    stop(&run);
    gr_test_rmtree(dir);
    free(dir);
    free(pem_path);
    free(config);
}

/* Signs out the session of `cookie` the way the portal's scripts do; returns the status. */
static int sign_out(const running *run, const char *cookie)
{
    char *cookie_header = gr_xasprintf("Cookie: %s", cookie);
    char *origin_header = gr_xasprintf("Origin: %s", run->server.base_url);
    const char *headers[] = {cookie_header, "X-Requested-With: XMLHttpRequest", origin_header,
                             NULL};
    gr_test_output res = request(run, "POST", "/api/auth/guest/logout", headers, "");
    int status = res.status;

    gr_test_output_free(&res);
    free(origin_header);
    free(cookie_header);
    return status;
}

/* Returns the status of GET /api/auth/v1/userinfo with one header. */
static int userinfo_status(const running *run, const char *header)
{
    const char *headers[] = {header, NULL};
    gr_test_output res = request(run, "GET", "/api/auth/v1/userinfo", headers, NULL);
    int status = res.status;

    gr_test_output_free(&res);
    return status;
}

/* Returns the session cookie set by a guest refresh with `cookie_header` (caller frees). */
static char *guest_refresh(const running *run, const char *cookie_header)
{
    const char *headers[] = {cookie_header, "X-Requested-With: XMLHttpRequest", NULL};
    gr_test_output res = request(run, "GET", "/api/auth/guest/refresh", headers, NULL);
    char *cookie = set_cookie(res.err, "greenroom-session");

    assert_int_equal(res.status, 200);
    assert_non_null(cookie);
    gr_test_output_free(&res);
    return cookie;
}

static void guest_refresh_keeps_session(void **state)
{
    running run;
    char *cookie;
    char *cookie_header;
    char *refreshed;
    char *fresh;
    char *log;

    (void)state;
    start(&run, "auth-guest-refresh", "auth:\n  providers:\n    guest: {}\n");
    cookie = guest_sign_in(&run);
    cookie_header = gr_xasprintf("Cookie: %s", cookie);

    /* The refreshed token belongs to the same session: signing it out ends the first too. */
    refreshed = guest_refresh(&run, cookie_header);
    assert_int_equal(sign_out(&run, refreshed), 200);
    assert_int_equal(userinfo_status(&run, cookie_header), 401);

    /* A revoked or tampered cookie is logged, and the guest gets a new session. */
    fresh = guest_refresh(&run, cookie_header);
    assert_string_not_equal(fresh, cookie);
    log = read_log(&run);
    assert_non_null(strstr(log, "event=token_rejected"));
    assert_non_null(strstr(log, "signed out"));
    free(log);

    free(fresh);
    free(refreshed);
    free(cookie_header);
    free(cookie);
    stop(&run);
}

static void logout_unknown_provider_404(void **state)
{
    running run;
    const char *xhr[] = {"X-Requested-With: XMLHttpRequest", NULL};
    gr_test_output res;

    (void)state;
    start(&run, "auth-logout-unknown", "auth:\n  providers:\n    guest: {}\n");
    res = request(&run, "POST", "/api/auth/github/logout", xhr, "");
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.out, "Unknown auth provider 'github'"));
    gr_test_output_free(&res);
    stop(&run);
}

static void logout_revokes_session(void **state)
{
    running run;
    char *cookie;
    char *other;
    char *cookie_header;
    char *other_header;
    char *bearer_header;

    (void)state;
    start(&run, "auth-revoke", "auth:\n  providers:\n    guest: {}\n");
    cookie = guest_sign_in(&run);
    other = guest_sign_in(&run);
    cookie_header = gr_xasprintf("Cookie: %s", cookie);
    other_header = gr_xasprintf("Cookie: %s", other);
    bearer_header = gr_xasprintf("Authorization: Bearer %s", strchr(cookie, '=') + 1);

    assert_int_equal(userinfo_status(&run, cookie_header), 200);
    assert_int_equal(userinfo_status(&run, bearer_header), 200);
    assert_int_equal(sign_out(&run, cookie), 200);

    /* The copied cookie and its token are rejected from now on. */
    assert_int_equal(userinfo_status(&run, cookie_header), 401);
    assert_int_equal(userinfo_status(&run, bearer_header), 401);

    /* Another session of the same user stays signed in. */
    assert_int_equal(userinfo_status(&run, other_header), 200);

    /* A script signs out with the token alone. */
    {
        char *other_bearer = gr_xasprintf("Authorization: Bearer %s", strchr(other, '=') + 1);
        const char *headers[] = {other_bearer, NULL};
        gr_test_output res = request(&run, "POST", "/api/auth/guest/logout", headers, "");

        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);
        assert_int_equal(userinfo_status(&run, other_bearer), 401);
        assert_int_equal(userinfo_status(&run, other_header), 401);
        free(other_bearer);
    }

    free(bearer_header);
    free(other_header);
    free(cookie_header);
    free(other);
    free(cookie);
    stop(&run);
}

/* Returns the CSRF token of the forms of /settings for session `cookie` (caller frees). */
static char *page_csrf(const running *run, const char *cookie)
{
    char *cookie_header = gr_xasprintf("Cookie: %s", cookie);
    const char *headers[] = {cookie_header, NULL};
    gr_test_output res = request(run, "GET", "/settings", headers, NULL);
    const char *start = res.out ? strstr(res.out, "name=\"csrf\" value=\"") : NULL;
    char *token = NULL;

    assert_int_equal(res.status, 200);
    assert_non_null(start);
    start += strlen("name=\"csrf\" value=\"");
    token = gr_xstrndup(start, strcspn(start, "\""));
    gr_test_output_free(&res);
    free(cookie_header);
    return token;
}

/* Returns the status of an API write with session `cookie` and CSRF token `csrf`. */
static int api_write_status(const running *run, const char *cookie, const char *csrf)
{
    char *cookie_header = gr_xasprintf("Cookie: %s", cookie);
    char *origin_header = gr_xasprintf("Origin: %s", run->server.base_url);
    char *csrf_header = gr_xasprintf("X-CSRF-Token: %s", csrf);
    const char *headers[] = {cookie_header, origin_header, csrf_header,
                             "Content-Type: application/json", NULL};
    gr_test_output res = request(run, "POST", "/api/permission/authorize", headers,
                                 "{\"items\":[]}");
    int status = res.status;

    gr_test_output_free(&res);
    free(csrf_header);
    free(origin_header);
    free(cookie_header);
    return status;
}

static void csrf_bound_to_session(void **state)
{
    running run;
    char *first;
    char *second;
    char *first_csrf;
    char *second_csrf;
    char *again;

    (void)state;
    start(&run, "auth-csrf", "auth:\n  providers:\n    guest: {}\n");
    first = guest_sign_in(&run);
    second = guest_sign_in(&run);
    first_csrf = page_csrf(&run, first);
    second_csrf = page_csrf(&run, second);
    again = page_csrf(&run, first);

    /* Each sign-in of the same user gets its own token, stable within the session. */
    assert_true(strlen(first_csrf) >= 32);
    assert_string_not_equal(first_csrf, second_csrf);
    assert_string_equal(first_csrf, again);

    /* The host's API check accepts the page's token of the same session only. */
    assert_int_equal(api_write_status(&run, first, first_csrf), 200);
    assert_int_equal(api_write_status(&run, second, first_csrf), 403);
    assert_int_equal(api_write_status(&run, second, second_csrf), 200);

    /* After sign-out the session's token is dead together with its cookie. */
    assert_int_equal(sign_out(&run, first), 200);
    assert_int_equal(api_write_status(&run, first, first_csrf), 401);

    free(again);
    free(second_csrf);
    free(first_csrf);
    free(second);
    free(first);
    stop(&run);
}

/* base64 of the 32-byte legacy secret "legacy-secret-for-the-auth-tests" */
#define LEGACY_SECRET_B64 "bGVnYWN5LXNlY3JldC1mb3ItdGhlLWF1dGgtdGVzdHM="
#define LEGACY_SECRET "legacy-secret-for-the-auth-tests"

/* Returns the status of an authorize request with a legacy token of `payload`. */
static int legacy_status(const running *run, const char *secret, const char *payload)
{
    char *token = sign_hs256(secret, payload);
    char *auth_header = gr_xasprintf("Authorization: Bearer %s", token);
    const char *headers[] = {auth_header, "Content-Type: application/json", NULL};
    gr_test_output res = request(run, "POST", "/api/permission/authorize", headers,
                                 "{\"items\":[]}");
    int status = res.status;

    gr_test_output_free(&res);
    free(auth_header);
    free(token);
    return status;
}

static void legacy_token_accepted(void **state)
{
    running run;
    char *valid = gr_xasprintf("{\"sub\":\"backstage-server\",\"exp\":%lld}",
                               (long long)time(NULL) + 600);
    char *other_sub = gr_xasprintf("{\"sub\":\"user:default/jane\",\"exp\":%lld}",
                                   (long long)time(NULL) + 600);
    char *expired = gr_xasprintf("{\"sub\":\"backstage-server\",\"exp\":%lld}",
                                 (long long)time(NULL) - 600);
    char *log;

    (void)state;
    start(&run, "auth-legacy",
          "      - type: legacy\n"
          "        options:\n"
          "          secret: " LEGACY_SECRET_B64 "\n"
          "          subject: old-backend\n");

    assert_int_equal(legacy_status(&run, LEGACY_SECRET, valid), 200);
    assert_int_equal(legacy_status(&run, "another-secret-of-32-bytes-long!", valid), 401);
    assert_int_equal(legacy_status(&run, LEGACY_SECRET, other_sub), 401);
    assert_int_equal(legacy_status(&run, LEGACY_SECRET, expired), 401);
    assert_int_equal(legacy_status(&run, LEGACY_SECRET, "{\"sub\":\"backstage-server\"}"), 401);

    /* The static entry beside it keeps working. */
    {
        const char *headers[] = {"Authorization: Bearer " STATIC_TOKEN,
                                 "Content-Type: application/json", NULL};
        gr_test_output res = request(&run, "POST", "/api/permission/authorize", headers,
                                     "{\"items\":[]}");

        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);
    }

    log = read_log(&run);
    assert_non_null(strstr(log, "legacy token signature is invalid"));
    assert_null(strstr(log, LEGACY_SECRET_B64));
    free(log);
    free(expired);
    free(other_sub);
    free(valid);
    stop(&run);
}

static void legacy_bad_secret_exits_2(void **state)
{
    char *dir = gr_test_tmpdir("auth-legacy-bad");
    char *config = gr_xasprintf("%s%s", base_config,
                                "      - type: legacy\n"
                                "        options:\n"
                                "          secret: 'not base64!'\n"
                                "          subject: old-backend\n");
    const char *const argv[] = {"serve", "--config", "app-config.yaml", NULL};
    gr_test_output res;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", config);
    res = gr_test_run(dir, argv);
    assert_int_equal(res.status, 2);
    assert_non_null(strstr(res.err, "backend.auth.externalAccess[1].options.secret"));
    assert_null(strstr(res.err, "not base64!"));
    gr_test_output_free(&res);
    gr_test_rmtree(dir);
    free(config);
    free(dir);
}

/* Two servers on one database, behind one public URL as a load balancer shows them. */
static void logout_revokes_on_every_instance(void **state)
{
    static const char shared_config[] = "app:\n"
                                        "  baseUrl: http://portal.test\n"
                                        "backend:\n"
                                        "  baseUrl: http://portal.test\n"
                                        "  listen:\n"
                                        "    port: ${GREENROOM_PORT}\n"
                                        "  database:\n"
                                        "    client: better-sqlite3\n"
                                        "    connection: ./data/test.sqlite\n"
                                        "auth:\n"
                                        "  providers:\n"
                                        "    guest: {}\n";
    char *dir = gr_test_tmpdir("auth-two");
    gr_test_server first;
    gr_test_server second;
    gr_test_output res;
    char *cookie;
    char *cookie_header;
    char *url;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", shared_config);
    assert_int_equal(gr_test_server_start(&first, dir, "app-config.yaml", 10000), 0);
    assert_int_equal(gr_test_server_start(&second, dir, "app-config.yaml", 10000), 0);

    url = gr_xasprintf("%s/api/auth/guest/start", first.base_url);
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 302);
    cookie = set_cookie(res.err, "greenroom-session");
    assert_non_null(cookie);
    gr_test_output_free(&res);
    free(url);
    cookie_header = gr_xasprintf("Cookie: %s", cookie);

    {
        const char *headers[] = {cookie_header, NULL};
        const char *logout[] = {cookie_header, "X-Requested-With: XMLHttpRequest",
                                "Origin: http://portal.test", NULL};

        url = gr_xasprintf("%s/api/auth/v1/userinfo", second.base_url);
        res = gr_test_http("GET", url, headers, NULL);
        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);
        free(url);

        url = gr_xasprintf("%s/api/auth/guest/logout", first.base_url);
        res = gr_test_http("POST", url, logout, "");
        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);
        free(url);

        url = gr_xasprintf("%s/api/auth/v1/userinfo", second.base_url);
        res = gr_test_http("GET", url, headers, NULL);
        assert_int_equal(res.status, 401);
        gr_test_output_free(&res);
        free(url);
    }

    assert_int_equal(gr_test_server_stop(&second), 0);
    assert_int_equal(gr_test_server_stop(&first), 0);
    free(cookie_header);
    free(cookie);
    gr_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(api_requires_identity),
        cmocka_unit_test(guest_session_cookie),
        cmocka_unit_test(redirect_control_characters_dropped),
        cmocka_unit_test(guest_off_in_production),
        cmocka_unit_test(guest_off_when_unconfigured),
        cmocka_unit_test(logout_checks_origin_and_csrf),
        cmocka_unit_test(logout_revokes_session),
        cmocka_unit_test(guest_refresh_keeps_session),
        cmocka_unit_test(logout_unknown_provider_404),
        cmocka_unit_test(csrf_bound_to_session),
        cmocka_unit_test(legacy_token_accepted),
        cmocka_unit_test(legacy_bad_secret_exits_2),
        cmocka_unit_test(logout_revokes_on_every_instance),
        cmocka_unit_test(cookie_api_write_needs_origin),
        cmocka_unit_test(permission_policy_on_route),
        cmocka_unit_test(bad_policy_exits_2),
        cmocka_unit_test(proxy_header_identity),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
