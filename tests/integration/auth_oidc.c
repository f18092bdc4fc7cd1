/* SPDX-License-Identifier: MIT */
/* OIDC sign-in against a fake OpenID provider that this test runs on 127.0.0.1 with its own RSA key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/gr_test.h"
#include "auth_support.h"
#include "host/auth/base64url.h"
#include "host/auth/jwk.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"

#define CLIENT_ID "greenroom-test"
#define CLIENT_SECRET "s3cret-value"

/*
 * The fake provider: discovery, an authorize endpoint that grants a code at
 * once, a token endpoint that checks client credentials and PKCE, and a JWKS.
 * It is a test double for a real identity provider, which cannot run here.
 */
typedef struct {
    pthread_mutex_t lock;
    gr_http_server *http;
    EVP_PKEY *key;
    char *issuer;
    char code[32];
    char nonce[128];
    char challenge[128];
    char redirect_uri[256];
    int codes_issued;
    int wrong_nonce;       /* the ID token carries another nonce */
    int token_requests;    /* calls to the token endpoint */
    int pkce_failures;     /* token requests whose verifier did not match */
} fake_idp;

static fake_idp idp;

static int idp_discovery(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    return gr_res_json(res, 200,
                       json_pack("{s:s, s:s+, s:s+, s:s+, s:[s]}", "issuer", idp.issuer,
                                 "authorization_endpoint", idp.issuer, "/authorize",
                                 "token_endpoint", idp.issuer, "/token", "jwks_uri", idp.issuer,
                                 "/jwks", "id_token_signing_alg_values_supported", "RS256"));
}

static int idp_jwks(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    return gr_res_json(res, 200,
                       json_pack("{s:[o]}", "keys", gr_jwk_from_pkey(idp.key, "fake-rsa-1", "RS256")));
}

static int idp_authorize(gr_request *req, gr_response *res, void *payload)
{
    const char *state = gr_req_query(req, "state");
    const char *redirect_uri = gr_req_query(req, "redirect_uri");
    char *location;
    int rc;

    (void)payload;
    if (strcmp(gr_req_query(req, "client_id") ? gr_req_query(req, "client_id") : "", CLIENT_ID) ||
        gr_req_query(req, "code_challenge_method") == NULL ||
        strcmp(gr_req_query(req, "code_challenge_method"), "S256") != 0 || state == NULL ||
        redirect_uri == NULL || gr_req_query(req, "nonce") == NULL)
        return gr_res_error(res, GR_EINVALID, "bad authorization request");
    pthread_mutex_lock(&idp.lock);
    snprintf(idp.code, sizeof(idp.code), "code-%d", ++idp.codes_issued);
    snprintf(idp.nonce, sizeof(idp.nonce), "%s", gr_req_query(req, "nonce"));
    snprintf(idp.challenge, sizeof(idp.challenge), "%s", gr_req_query(req, "code_challenge"));
    snprintf(idp.redirect_uri, sizeof(idp.redirect_uri), "%s", redirect_uri);
    location = gr_xasprintf("%s?code=%s&state=%s", redirect_uri, idp.code, state);
    pthread_mutex_unlock(&idp.lock);
    rc = gr_res_redirect(res, 302, location);
    free(location);
    return rc;
}

/* Decodes field `name` of a form body (caller frees), or NULL. */
static char *form_value(const char *body, const char *name)
{
    size_t len = strlen(name);

    for (const char *p = body; p != NULL; p = strchr(p, '&')) {
        if (*p == '&')
            p++;
        if (strncmp(p, name, len) == 0 && p[len] == '=') {
            const char *value = p + len + 1;
            size_t n = strcspn(value, "&");
            char *out = gr_xcalloc(1, n + 1);
            size_t o = 0;

            for (size_t i = 0; i < n; i++) {
                unsigned hex = 0;

                if (value[i] == '%' && i + 2 < n + 1 && sscanf(value + i + 1, "%2x", &hex) == 1) {
                    out[o++] = (char)hex;
                    i += 2;
                } else {
                    out[o++] = value[i] == '+' ? ' ' : value[i];
                }
            }
            return out;
        }
    }
    return NULL;
}

static char *sign_rs256(const json_t *claims)
{
    const char *header = "{\"alg\":\"RS256\",\"kid\":\"fake-rsa-1\",\"typ\":\"JWT\"}";
    char *payload_text = json_dumps(claims, JSON_COMPACT);
    char *h = gr_base64url_encode(header, strlen(header));
    char *p = gr_base64url_encode(payload_text, strlen(payload_text));
    char *input = gr_xasprintf("%s.%s", h, p);
    unsigned char sig[512];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    char *s;
    char *token;

    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, idp.key);
    EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)input, strlen(input));
    s = gr_base64url_encode(sig, sig_len);
    token = gr_xasprintf("%s.%s", input, s);
    EVP_MD_CTX_free(ctx);
    free(s);
    free(input);
    free(p);
    free(h);
    free(payload_text);
    return token;
}

static int idp_token(gr_request *req, gr_response *res, void *payload)
{
    const char *body = gr_req_body(req, NULL);
    const char *authorization = gr_req_header(req, "Authorization");
    char *code = form_value(body, "code");
    char *verifier = form_value(body, "code_verifier");
    char *redirect_uri = form_value(body, "redirect_uri");
    char *grant = form_value(body, "grant_type");
    char *expected_auth;
    char *credentials = CLIENT_ID ":" CLIENT_SECRET;
    unsigned char basic[64];
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char *challenge = NULL;
    int64_t now = (int64_t)time(NULL);
    int rc;

    (void)payload;
    EVP_EncodeBlock(basic, (unsigned char *)credentials, (int)strlen(credentials));
    expected_auth = gr_xasprintf("Basic %s", basic);
    if (verifier != NULL) {
        SHA256((unsigned char *)verifier, strlen(verifier), digest);
        challenge = gr_base64url_encode(digest, sizeof(digest));
    }

    pthread_mutex_lock(&idp.lock);
    idp.token_requests++;
    if (challenge == NULL || strcmp(challenge, idp.challenge) != 0)
        idp.pkce_failures++;
    if (authorization == NULL || strcmp(authorization, expected_auth) != 0 || code == NULL ||
        strcmp(code, idp.code) != 0 || challenge == NULL || strcmp(challenge, idp.challenge) != 0 ||
        redirect_uri == NULL || strcmp(redirect_uri, idp.redirect_uri) != 0 || grant == NULL ||
        strcmp(grant, "authorization_code") != 0) {
        rc = gr_res_json(res, 400, json_pack("{s:s}", "error", "invalid_grant"));
    } else {
        json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:I, s:I}", "iss",
                                   idp.issuer, "sub", "fake-123", "aud", CLIENT_ID, "email",
                                   "jane@example.com", "email_verified", 1, "name", "Jane Doe",
                                   "nonce", idp.wrong_nonce ? "another-nonce" : idp.nonce, "iat",
                                   (json_int_t)now, "exp", (json_int_t)now + 300);
        char *id_token = sign_rs256(claims);

        rc = gr_res_json(res, 200, json_pack("{s:s, s:s, s:s, s:i}", "id_token", id_token,
                                             "access_token", "fake-access", "token_type",
                                             "Bearer", "expires_in", 300));
        free(id_token);
        json_decref(claims);
    }
    idp.code[0] = '\0'; /* codes are single-use */
    pthread_mutex_unlock(&idp.lock);

    free(challenge);
    free(expected_auth);
    free(code);
    free(verifier);
    free(redirect_uri);
    free(grant);
    return rc;
}

static int idp_start(void **state)
{
    gr_http_options opts;

    (void)state;
    memset(&idp, 0, sizeof(idp));
    memset(&opts, 0, sizeof(opts));
    pthread_mutex_init(&idp.lock, NULL);
    opts.threads = 2;
    idp.key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (idp.key == NULL || gr_http_server_new(&idp.http, &opts) != GR_OK ||
        gr_http_route(idp.http, "GET", "/.well-known/openid-configuration", GR_ROUTE_PUBLIC,
                      idp_discovery, NULL) != GR_OK ||
        gr_http_route(idp.http, "GET", "/jwks", GR_ROUTE_PUBLIC, idp_jwks, NULL) != GR_OK ||
        gr_http_route(idp.http, "GET", "/authorize", GR_ROUTE_PUBLIC, idp_authorize, NULL) !=
            GR_OK ||
        gr_http_route(idp.http, "POST", "/token", GR_ROUTE_PUBLIC, idp_token, NULL) != GR_OK ||
        gr_http_server_start(idp.http) != GR_OK)
        return -1;
    idp.issuer = gr_xasprintf("http://127.0.0.1:%d", gr_http_server_port(idp.http));
    return 0;
}

static int idp_stop(void **state)
{
    (void)state;
    gr_http_server_free(idp.http);
    EVP_PKEY_free(idp.key);
    free(idp.issuer);
    pthread_mutex_destroy(&idp.lock);
    return 0;
}

typedef struct {
    char *dir;
    gr_test_server server;
} running;

static void start_portal(running *run, const char *prefix)
{
    char *config = gr_xasprintf(
        "backend:\n"
        "  listen:\n"
        "    port: ${GREENROOM_PORT}\n"
        "  database:\n"
        "    client: better-sqlite3\n"
        "    connection: ./data/test.sqlite\n"
        "auth:\n"
        "  environment: development\n"
        "  providers:\n"
        "    oidc:\n"
        "      development:\n"
        "        metadataUrl: %s/.well-known/openid-configuration\n"
        "        clientId: " CLIENT_ID "\n"
        "        clientSecret: " CLIENT_SECRET "\n"
        "        signIn:\n"
        "          resolvers:\n"
        "            - resolver: emailMatchingUserEntityProfileEmail\n"
        "              dangerouslyAllowSignInWithoutUserInCatalog: true\n",
        idp.issuer);

    run->dir = gr_test_tmpdir(prefix);
    gr_test_write_file(run->dir, "app-config.yaml", config);
    free(config);
    assert_int_equal(gr_test_server_start(&run->server, run->dir, "app-config.yaml", 10000), 0);
}

static void stop_portal(running *run)
{
    assert_int_equal(gr_test_server_stop(&run->server), 0);
    gr_test_rmtree(run->dir);
    free(run->dir);
}

/* The browser's steps up to the provider's redirect back: returns the callback URL and the
 * flow cookie ("greenroom-oidc=..."). */
static void browse_to_callback(const running *run, char **callback, char **flow_cookie)
{
    char *url = gr_xasprintf("%s/api/auth/oidc/start?redirect=/catalog", run->server.base_url);
    gr_test_output res = gr_test_http("GET", url, NULL, NULL);
    char *authorize = header_value(res.err, "Location");
    char *method;
    char *line;

    assert_int_equal(res.status, 302);
    assert_non_null(authorize);
    assert_int_equal(strncmp(authorize, idp.issuer, strlen(idp.issuer)), 0);
    method = query_value(authorize, "code_challenge_method");
    assert_string_equal(method, "S256");
    free(method);
    line = set_cookie_line(res.err, "greenroom-oidc");
    assert_non_null(line);
    assert_non_null(strstr(line, "HttpOnly"));
    assert_non_null(strstr(line, "Path=/api/auth/oidc"));
    free(line);
    *flow_cookie = set_cookie(res.err, "greenroom-oidc");
    gr_test_output_free(&res);
    free(url);

    res = gr_test_http("GET", authorize, NULL, NULL);
    assert_int_equal(res.status, 302);
    *callback = header_value(res.err, "Location");
    assert_non_null(*callback);
    assert_non_null(strstr(*callback, "/api/auth/oidc/handler/frame?code="));
    gr_test_output_free(&res);
    free(authorize);
}

static gr_test_output call_back(const char *callback, const char *flow_cookie)
{
    char *cookie_header = flow_cookie ? gr_xasprintf("Cookie: %s", flow_cookie) : NULL;
    const char *headers[] = {cookie_header, NULL};
    gr_test_output res = gr_test_http("GET", callback, cookie_header ? headers : NULL, NULL);

    free(cookie_header);
    return res;
}

static void oidc_full_flow(void **state)
{
    running run;
    char *callback;
    char *flow;
    gr_test_output res;
    char *location;
    char *session;
    char *cookie_header;
    char *url;

    (void)state;
    start_portal(&run, "oidc-flow");
    browse_to_callback(&run, &callback, &flow);

    res = call_back(callback, flow);
    if (res.status != 302)
        fail_msg("callback answered %d: %s", res.status, res.out);
    location = header_value(res.err, "Location");
    url = gr_xasprintf("%s/catalog", run.server.base_url);
    assert_string_equal(location, url);
    session = set_cookie(res.err, "greenroom-session");
    assert_non_null(session);
    assert_non_null(strstr(res.err, "greenroom-oidc=; Path=/api/auth/oidc; Max-Age=0"));
    assert_int_equal(idp.pkce_failures, 0);
    gr_test_output_free(&res);
    free(url);

    cookie_header = gr_xasprintf("Cookie: %s", session);
    {
        const char *headers[] = {cookie_header, NULL};

        url = gr_xasprintf("%s/api/auth/v1/userinfo", run.server.base_url);
        res = gr_test_http("GET", url, headers, NULL);
        assert_int_equal(res.status, 200);
        assert_non_null(strstr(res.out, "\"sub\":\"user:default/jane\""));
        gr_test_output_free(&res);
        free(url);

        /* A session refresh keeps the identity. */
        {
            const char *refresh_headers[] = {cookie_header, "X-Requested-With: XMLHttpRequest",
                                             NULL};

            url = gr_xasprintf("%s/api/auth/oidc/refresh", run.server.base_url);
            res = gr_test_http("GET", url, refresh_headers, NULL);
            assert_int_equal(res.status, 200);
            assert_non_null(strstr(res.out, "\"userEntityRef\":\"user:default/jane\""));
            gr_test_output_free(&res);
            free(url);
        }
    }

    /* Replaying the callback fails, because the provider accepts each code once. */
    res = call_back(callback, flow);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);

    free(cookie_header);
    free(session);
    free(location);
    free(callback);
    free(flow);
    stop_portal(&run);
}

static void oidc_bad_state_rejected(void **state)
{
    running run;
    char *callback;
    char *flow;
    char *forged;
    char *state_param;
    gr_test_output res;
    int token_requests;

    (void)state;
    start_portal(&run, "oidc-state");
    browse_to_callback(&run, &callback, &flow);
    token_requests = idp.token_requests;

    /* Another state value than the one this browser's cookie holds. */
    state_param = strstr(callback, "state=");
    assert_non_null(state_param);
    forged = gr_xstrndup(callback, (size_t)(state_param - callback));
    {
        char *with_state = gr_xasprintf("%sstate=forged-state-value", forged);

        free(forged);
        forged = with_state;
    }
    res = call_back(forged, flow);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "state parameter does not match"));
    assert_null(set_cookie(res.err, "greenroom-session"));
    gr_test_output_free(&res);

    /* No flow cookie at all: the callback came from another browser. */
    res = call_back(callback, NULL);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "state cookie is missing"));
    gr_test_output_free(&res);

    /* A flow cookie whose signature was altered. */
    flow[strlen(flow) - 2] = flow[strlen(flow) - 2] == 'A' ? 'B' : 'A';
    res = call_back(callback, flow);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "state cookie is invalid"));
    gr_test_output_free(&res);

    /* None of these reached the token endpoint. */
    assert_int_equal(idp.token_requests, token_requests);

    free(forged);
    free(callback);
    free(flow);
    stop_portal(&run);
}

static void oidc_bad_nonce_rejected(void **state)
{
    running run;
    char *callback;
    char *flow;
    gr_test_output res;
    char *log;
    FILE *file;

    (void)state;
    start_portal(&run, "oidc-nonce");
    browse_to_callback(&run, &callback, &flow);
    idp.wrong_nonce = 1;
    res = call_back(callback, flow);
    idp.wrong_nonce = 0;

    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "nonce"));
    assert_null(set_cookie(res.err, "greenroom-session"));
    gr_test_output_free(&res);

    log = gr_xcalloc(1, 1 << 20);
    file = fopen(run.server.log_path, "r");
    assert_non_null(file);
    log[fread(log, 1, (1 << 20) - 1, file)] = '\0';
    fclose(file);
    assert_non_null(strstr(log, "event=sign_in_failed provider=oidc"));
    assert_null(strstr(log, CLIENT_SECRET));
    free(log);

    free(callback);
    free(flow);
    stop_portal(&run);
}

static void oidc_provider_error_rejected(void **state)
{
    running run;
    char *url;
    gr_test_output res;

    (void)state;
    start_portal(&run, "oidc-error");
    url = gr_xasprintf("%s/api/auth/oidc/handler/frame?error=access_denied&state=x",
                       run.server.base_url);
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "access_denied"));
    gr_test_output_free(&res);
    free(url);
    stop_portal(&run);
}

/* Sends `method` to `path` of the portal with the session cookie `session` and the
 * headers of the portal's scripts. Returns the response. */
static gr_test_output script_request(const running *run, const char *method, const char *path,
                                     const char *session)
{
    char *url = gr_xasprintf("%s%s", run->server.base_url, path);
    char *cookie_header = gr_xasprintf("Cookie: %s", session);
    char *origin_header = gr_xasprintf("Origin: %s", run->server.base_url);
    const char *headers[] = {cookie_header, origin_header, "X-Requested-With: XMLHttpRequest",
                             NULL};
    const char *body = strcmp(method, "POST") == 0 ? "" : NULL;
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(origin_header);
    free(cookie_header);
    free(url);
    return res;
}

static void oidc_logout_revokes_refresh(void **state)
{
    running run;
    char *callback;
    char *flow;
    char *session;
    char *refreshed;
    gr_test_output res;

    (void)state;
    start_portal(&run, "oidc-logout");
    browse_to_callback(&run, &callback, &flow);
    res = call_back(callback, flow);
    assert_int_equal(res.status, 302);
    session = set_cookie(res.err, "greenroom-session");
    assert_non_null(session);
    gr_test_output_free(&res);

    res = script_request(&run, "GET", "/api/auth/oidc/refresh", session);
    assert_int_equal(res.status, 200);
    refreshed = set_cookie(res.err, "greenroom-session");
    assert_non_null(refreshed);
    gr_test_output_free(&res);

    res = script_request(&run, "POST", "/api/auth/oidc/logout", refreshed);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    /* Both cookies belong to the revoked session: refresh and API calls reject them. */
    res = script_request(&run, "GET", "/api/auth/oidc/refresh", session);
    assert_int_equal(res.status, 401);
    assert_null(set_cookie(res.err, "greenroom-session"));
    gr_test_output_free(&res);
    res = script_request(&run, "GET", "/api/auth/oidc/refresh", refreshed);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    res = script_request(&run, "GET", "/api/auth/v1/userinfo", session);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    res = script_request(&run, "GET", "/api/auth/v1/userinfo", refreshed);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);

    free(refreshed);
    free(session);
    free(callback);
    free(flow);
    stop_portal(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oidc_full_flow),
        cmocka_unit_test(oidc_bad_state_rejected),
        cmocka_unit_test(oidc_bad_nonce_rejected),
        cmocka_unit_test(oidc_provider_error_rejected),
        cmocka_unit_test(oidc_logout_revokes_refresh),
    };

    return cmocka_run_group_tests(tests, idp_start, idp_stop);
}
