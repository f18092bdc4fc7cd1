/* SPDX-License-Identifier: MIT */
/* OpenID Connect sign-in: authorization code flow with PKCE (S256), state and nonce. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/auth/audit.h"
#include "host/auth/base64url.h"
#include "host/auth/cookie.h"
#include "host/auth/fetch.h"
#include "host/auth/signin.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"
#include "plugins/auth/plugin.h"

/* The flow cookie holds state, nonce, PKCE verifier and redirect, signed with the shared
 * secret, so that any instance can finish a sign-in that another one started. */
#define FLOW_COOKIE "greenroom-oidc"
#define FLOW_COOKIE_PATH "/api/auth/oidc"
/** Clock skew accepted on ID tokens, in seconds. */
#define OIDC_LEEWAY_S 60

static const char *obj_string(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static char *dup_or_null(const char *text)
{
    return text ? gr_xstrdup(text) : NULL;
}

int auth_oidc_configure(auth_plugin *plugin, const gr_config *cfg)
{
    auth_oidc *oidc = &plugin->oidc;
    const char *environment = gr_auth_environment(plugin->auth);
    const json_t *providers = gr_config_node(cfg, "auth.providers.oidc");
    const json_t *block = json_object_get(providers, environment);
    const char *method = obj_string(block, "tokenEndpointAuthMethod");
    const char *callback = obj_string(block, "callbackUrl");

    if (providers == NULL)
        return GR_OK;
    if (block == NULL) {
        gr_warn("auth", "auth.providers.oidc has no block for environment '%s'; OIDC sign-in is "
                        "off",
                environment);
        return GR_OK;
    }
    oidc->metadata_url = dup_or_null(obj_string(block, "metadataUrl"));
    oidc->client_id = dup_or_null(obj_string(block, "clientId"));
    oidc->client_secret = dup_or_null(obj_string(block, "clientSecret"));
    oidc->scope = gr_xstrdup(obj_string(block, "scope") ? obj_string(block, "scope")
                                                        : "openid profile email");
    oidc->prompt = dup_or_null(obj_string(block, "prompt"));
    oidc->secret_in_body = method != NULL && strcmp(method, "client_secret_post") == 0;
    oidc->callback_url = callback ? gr_xstrdup(callback)
                                  : gr_xasprintf("%s/oidc/handler/frame",
                                                 gr_auth_issuer(plugin->auth));
    if (oidc->metadata_url == NULL || oidc->client_id == NULL || oidc->client_secret == NULL)
        return gr_error_set(GR_EINVALID, "auth.providers.oidc.%s: metadataUrl, clientId and "
                                         "clientSecret are required",
                            environment);
    oidc->enabled = true;
    return GR_OK;
}

void auth_oidc_clear(auth_oidc *oidc)
{
    free(oidc->metadata_url);
    free(oidc->client_id);
    free(oidc->client_secret);
    free(oidc->callback_url);
    free(oidc->scope);
    free(oidc->prompt);
    free(oidc->issuer);
    free(oidc->authorization_endpoint);
    free(oidc->token_endpoint);
    gr_jwks_free(oidc->keys);
    pthread_mutex_destroy(&oidc->lock);
}

/* Reads the discovery document once, or again on the next sign-in after a failure. Locked. */
static int oidc_discover_locked(auth_oidc *oidc)
{
    gr_buf body = GR_BUF_INIT;
    long status = 0;
    json_t *doc = NULL;
    const char *jwks_uri;
    int rc;

    if (oidc->token_endpoint != NULL)
        return GR_OK;
    rc = gr_auth_fetch(oidc->metadata_url, NULL, NULL, &body, &status);
    if (rc == GR_OK && status != 200)
        rc = gr_error_set(GR_EBACKEND, "%s: discovery returned HTTP %ld", oidc->metadata_url,
                          status);
    if (rc == GR_OK)
        doc = json_loadb(gr_buf_cstr(&body), body.len, 0, NULL);
    jwks_uri = obj_string(doc, "jwks_uri");
    if (rc == GR_OK && (obj_string(doc, "issuer") == NULL ||
                        obj_string(doc, "authorization_endpoint") == NULL ||
                        obj_string(doc, "token_endpoint") == NULL || jwks_uri == NULL))
        rc = gr_error_set(GR_EBACKEND, "%s: the discovery document lacks issuer, "
                                       "authorization_endpoint, token_endpoint or jwks_uri",
                          oidc->metadata_url);
    if (rc == GR_OK)
        rc = gr_jwks_new(&oidc->keys, jwks_uri, NULL, NULL);
    if (rc == GR_OK) {
        oidc->issuer = gr_xstrdup(obj_string(doc, "issuer"));
        oidc->authorization_endpoint = gr_xstrdup(obj_string(doc, "authorization_endpoint"));
        oidc->token_endpoint = gr_xstrdup(obj_string(doc, "token_endpoint"));
    }
    json_decref(doc);
    gr_buf_free(&body);
    if (rc < 0)
        gr_log_fields(GR_LOG_WARN, "auth", "OIDC discovery failed", "error", gr_error_last(),
                      NULL);
    return rc;
}

static int oidc_discover(auth_oidc *oidc)
{
    int rc;

    pthread_mutex_lock(&oidc->lock);
    rc = oidc_discover_locked(oidc);
    pthread_mutex_unlock(&oidc->lock);
    return rc;
}

static char *random_token(void)
{
    unsigned char bytes[32];

    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        abort(); /* without entropy, state, nonce and verifier would be guessable */
    return gr_base64url_encode(bytes, sizeof(bytes));
}

static char *pkce_challenge(const char *verifier)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)verifier, strlen(verifier), digest);
    return gr_base64url_encode(digest, sizeof(digest));
}

static void put_param(gr_buf *url, const char *name, const char *value)
{
    gr_buf_printf(url, "&%s=", name);
    gr_auth_url_encode(url, value);
}

static char *flow_cookie_value(auth_plugin *plugin, const json_t *flow)
{
    char *text = json_dumps(flow, JSON_COMPACT);
    char *encoded = gr_base64url_encode(text, strlen(text));
    char *signed_data = gr_xasprintf("oidc-flow\n%s", encoded);
    char *mac = gr_auth_hmac(gr_auth_keys_secret(gr_auth_keys_get(plugin->auth)), signed_data);
    char *value = gr_xasprintf("%s.%s", encoded, mac);

    free(text);
    free(encoded);
    free(signed_data);
    free(mac);
    return value;
}

int auth_oidc_start(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                    void *payload)
{
    auth_plugin *plugin = payload;
    auth_oidc *oidc = &plugin->oidc;
    const char *redirect = result->redirect;
    int64_t now = gr_auth_keys_now(gr_auth_keys_get(plugin->auth));
    char *state = random_token();
    char *nonce = random_token();
    char *verifier = random_token();
    char *challenge = pkce_challenge(verifier);
    json_t *flow;
    char *value;
    char *cookie;
    gr_buf url = GR_BUF_INIT;
    int rc;

    if ((rc = oidc_discover(oidc)) < 0)
        goto done;
    flow = json_pack("{s:s, s:s, s:s, s:s, s:I}", "state", state, "nonce", nonce, "verifier",
                     verifier, "redirect", redirect, "expires", (json_int_t)(now + AUTH_FLOW_TTL_S));
    value = flow_cookie_value(plugin, flow);
    json_decref(flow);
    cookie = gr_auth_cookie_header(FLOW_COOKIE, value, FLOW_COOKIE_PATH, AUTH_FLOW_TTL_S,
                                   strncmp(gr_auth_app_url(plugin->auth), "https://", 8) == 0);
    gr_res_header_add(res, "Set-Cookie", cookie);
    free(cookie);
    free(value);

    gr_buf_puts(&url, oidc->authorization_endpoint);
    gr_buf_puts(&url, strchr(oidc->authorization_endpoint, '?') ? "&" : "?");
    gr_buf_puts(&url, "response_type=code");
    put_param(&url, "client_id", oidc->client_id);
    put_param(&url, "redirect_uri", oidc->callback_url);
    put_param(&url, "scope", oidc->scope);
    put_param(&url, "state", state);
    put_param(&url, "nonce", nonce);
    put_param(&url, "code_challenge", challenge);
    put_param(&url, "code_challenge_method", "S256");
    if (oidc->prompt != NULL)
        put_param(&url, "prompt", oidc->prompt);
    gr_res_header(res, "Cache-Control", "no-store");
    rc = gr_res_redirect(res, 302, gr_buf_cstr(&url));

done:
    gr_buf_free(&url);
    free(state);
    free(nonce);
    free(verifier);
    free(challenge);
    return rc;
}

/* Reads and checks the signed flow cookie. Returns a new reference or NULL with an error. */
static json_t *flow_from_cookie(auth_plugin *plugin, gr_request *req, int64_t now)
{
    const char *value = gr_auth_cookie(req, FLOW_COOKIE);
    const char *dot = value ? strrchr(value, '.') : NULL;
    char *encoded;
    char *signed_data;
    char *mac;
    int valid;
    unsigned char *text;
    size_t text_len = 0;
    json_t *flow = NULL;

    if (dot == NULL) {
        gr_error_set(GR_EUNAUTH, "the sign-in state cookie is missing; start the sign-in again");
        return NULL;
    }
    encoded = gr_xstrndup(value, (size_t)(dot - value));
    signed_data = gr_xasprintf("oidc-flow\n%s", encoded);
    mac = gr_auth_hmac(gr_auth_keys_secret(gr_auth_keys_get(plugin->auth)), signed_data);
    valid = gr_auth_equal(mac, dot + 1);
    text = valid ? gr_base64url_decode(encoded, strlen(encoded), &text_len) : NULL;
    if (text != NULL)
        flow = json_loadb((const char *)text, text_len, 0, NULL);
    free(text);
    free(mac);
    free(signed_data);
    free(encoded);

    if (flow == NULL) {
        gr_error_set(GR_EUNAUTH, "the sign-in state cookie is invalid");
        return NULL;
    }
    if (json_integer_value(json_object_get(flow, "expires")) <= now) {
        json_decref(flow);
        gr_error_set(GR_EUNAUTH, "the sign-in took longer than %d seconds; start it again",
                     AUTH_FLOW_TTL_S);
        return NULL;
    }
    return flow;
}

static char *basic_credentials(const auth_oidc *oidc)
{
    gr_buf pair = GR_BUF_INIT;
    char *encoded;
    char *header;
    unsigned char *out;
    int len;

    gr_auth_url_encode(&pair, oidc->client_id);
    gr_buf_putc(&pair, ':');
    gr_auth_url_encode(&pair, oidc->client_secret);
    out = gr_xmalloc(4 * (pair.len / 3 + 1) + 1);
    len = EVP_EncodeBlock(out, (const unsigned char *)gr_buf_cstr(&pair), (int)pair.len);
    encoded = gr_xstrndup((const char *)out, (size_t)len);
    header = gr_xasprintf("Basic %s", encoded);
    free(out);
    free(encoded);
    gr_buf_free(&pair);
    return header;
}

/* Exchanges the code for tokens. Returns the ID token (caller frees) or NULL with an error. */
static char *oidc_exchange(auth_oidc *oidc, const char *code, const char *verifier)
{
    gr_buf form = GR_BUF_INIT;
    gr_buf body = GR_BUF_INIT;
    char *authorization = oidc->secret_in_body ? NULL : basic_credentials(oidc);
    long status = 0;
    json_t *doc = NULL;
    char *id_token = NULL;
    int rc;

    gr_buf_puts(&form, "grant_type=authorization_code");
    put_param(&form, "code", code);
    put_param(&form, "redirect_uri", oidc->callback_url);
    put_param(&form, "code_verifier", verifier);
    put_param(&form, "client_id", oidc->client_id);
    if (oidc->secret_in_body)
        put_param(&form, "client_secret", oidc->client_secret);

    rc = gr_auth_fetch(oidc->token_endpoint, gr_buf_cstr(&form), authorization, &body, &status);
    if (rc == GR_OK) {
        doc = json_loadb(gr_buf_cstr(&body), body.len, 0, NULL);
        if (status != 200)
            gr_error_set(GR_EUNAUTH, "the provider rejected the code: HTTP %ld %s", status,
                         obj_string(doc, "error") ? obj_string(doc, "error") : "");
        else if (obj_string(doc, "id_token") == NULL)
            gr_error_set(GR_EUNAUTH, "the provider's token response has no id_token");
        else
            id_token = gr_xstrdup(obj_string(doc, "id_token"));
    }
    json_decref(doc);
    gr_buf_free(&body);
    free(authorization);
    gr_buf_free(&form);
    return id_token;
}

/* Verifies the ID token against the provider's keys, issuer, client id and nonce. */
static int oidc_verify_id_token(auth_oidc *oidc, const char *id_token, const char *nonce,
                                int64_t now, json_t **claims)
{
    gr_jwt jwt;
    gr_jwt_expect expect = {
        .issuer = oidc->issuer,
        .audience = oidc->client_id,
        .nonce = nonce,
        .now = now,
        .leeway_s = OIDC_LEEWAY_S,
        .require_exp = 1,
    };
    int rc;

    if ((rc = gr_jwt_parse(id_token, &jwt)) < 0)
        return gr_error_wrap(GR_EUNAUTH, "ID token");
    rc = gr_jwks_verify(oidc->keys, &jwt, now);
    if (rc == GR_OK)
        rc = gr_jwt_check_claims(jwt.payload, &expect);
    if (rc == GR_OK)
        *claims = json_incref(jwt.payload);
    else
        gr_error_wrap(rc, "ID token");
    gr_jwt_clear(&jwt);
    return rc;
}

static void profile_from_claims(const json_t *claims, gr_auth_profile *profile)
{
    const json_t *verified = json_object_get(claims, "email_verified");

    memset(profile, 0, sizeof(*profile));
    /* An address the provider says it has not verified must not match a catalog user. */
    if (!json_is_false(verified))
        profile->email = obj_string(claims, "email");
    profile->username = obj_string(claims, "preferred_username");
    profile->display_name = obj_string(claims, "name");
    profile->picture = obj_string(claims, "picture");
}

/* Returns a copy of `text` in the request's arena, or NULL for NULL. */
static const char *request_copy(gr_request *req, const char *text)
{
    return text != NULL ? gr_arena_strdup(gr_req_arena(req), text) : NULL;
}

/* Runs the part of the callback after the state was checked: the profile the ID token
 * proves, for the host's resolvers, and the page the flow started from. */
static int oidc_finish(auth_plugin *plugin, gr_request *req, gr_plugin_signin_result *result,
                       const json_t *flow, int64_t now)
{
    auth_oidc *oidc = &plugin->oidc;
    char *id_token;
    json_t *claims = NULL;
    gr_auth_profile profile;
    int rc;

    id_token = oidc_exchange(oidc, gr_req_query(req, "code"), obj_string(flow, "verifier"));
    if (id_token == NULL)
        return gr_error_last_code();
    rc = oidc_verify_id_token(oidc, id_token, obj_string(flow, "nonce"), now, &claims);
    free(id_token);
    if (rc < 0)
        return rc;

    /* The claims are freed here, so the result gets copies that live as long as the request. */
    profile_from_claims(claims, &profile);
    result->email = request_copy(req, profile.email);
    result->username = request_copy(req, profile.username);
    result->display_name = request_copy(req, profile.display_name);
    result->picture = request_copy(req, profile.picture);
    result->redirect = request_copy(req, obj_string(flow, "redirect"));
    json_decref(claims);
    return GR_OK;
}

int auth_oidc_callback(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                       void *payload)
{
    auth_plugin *plugin = payload;
    auth_oidc *oidc = &plugin->oidc;
    int64_t now = gr_auth_keys_now(gr_auth_keys_get(plugin->auth));
    const char *error = gr_req_query(req, "error");
    const char *state = gr_req_query(req, "state");
    json_t *flow = NULL;
    char *clear = gr_auth_cookie_header(FLOW_COOKIE, "", FLOW_COOKIE_PATH, 0,
                                        strncmp(gr_auth_app_url(plugin->auth), "https://", 8) == 0);
    int rc;

    /* The flow cookie is single-use: it is deleted whatever the outcome. */
    gr_res_header_add(res, "Set-Cookie", clear);
    free(clear);
    if (error != NULL)
        return gr_error_set(GR_EUNAUTH, "the provider returned error '%s'", error);
    if (state == NULL || gr_req_query(req, "code") == NULL)
        return gr_error_set(GR_EUNAUTH, "the callback lacks the code or state parameter");
    if ((flow = flow_from_cookie(plugin, req, now)) == NULL)
        return GR_EUNAUTH;
    if (!gr_auth_equal(obj_string(flow, "state"), state)) {
        json_decref(flow);
        return gr_error_set(GR_EUNAUTH,
                            "the state parameter does not match this browser's sign-in");
    }
    if ((rc = oidc_discover(oidc)) == GR_OK)
        rc = oidc_finish(plugin, req, result, flow, now);
    json_decref(flow);
    return rc;
}
