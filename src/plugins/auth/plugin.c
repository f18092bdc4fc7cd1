/* SPDX-License-Identifier: MIT */
/* The auth plugin: sign-in providers and routes under /api/auth. */
#include "plugins/auth/plugin.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/auth/audit.h"
#include "host/auth/cookie.h"
#include "host/common/alloc.h"
#include "host/common/assets.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"
#include "plugins/auth/catalog_lookup.h"
#include "plugins/ui/ui.h"

void auth_plugin_url_encode(gr_buf *out, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            gr_buf_putc(out, (char)*p);
        } else {
            gr_buf_putc(out, '%');
            gr_buf_putc(out, hex[*p >> 4]);
            gr_buf_putc(out, hex[*p & 15]);
        }
    }
}

const char *auth_plugin_safe_redirect(auth_plugin *plugin, gr_request *req, const char *requested)
{
    const char *app = gr_auth_app_url(plugin->auth);
    size_t app_len = strlen(app);

    if (requested != NULL && requested[0] == '/' && requested[1] != '/' && requested[1] != '\\' &&
        strpbrk(requested, "\r\n") == NULL)
        return gr_arena_printf(gr_req_arena(req), "%s%s", app, requested);
    if (requested != NULL && strncmp(requested, app, app_len) == 0 &&
        (requested[app_len] == '/' || requested[app_len] == '\0') &&
        strpbrk(requested, "\r\n") == NULL)
        return requested;
    return gr_arena_printf(gr_req_arena(req), "%s/", app);
}

int auth_plugin_sign_in_failed(gr_request *req, gr_response *res, const char *provider, int code)
{
    const char *reason = gr_arena_strdup(gr_req_arena(req), gr_error_last());

    gr_audit_sign_in_failed(provider, reason, gr_req_client_addr(req));
    if (code == GR_ENOTFOUND || code == GR_ECONFLICT || code == GR_EINVALID)
        code = GR_EUNAUTH; /* the sign-in failed, whatever the lookup said */
    return gr_res_error(res, code, "%s", reason);
}

static json_t *session_response(const gr_auth_user *user, const gr_auth_profile *profile,
                                const char *token, int64_t ttl_s)
{
    json_t *refs = json_array();
    json_t *profile_json = json_object();

    for (size_t i = 0; i < user->ownership_count; i++)
        json_array_append_new(refs, json_string(user->ownership[i]));
    if (profile != NULL && profile->email != NULL)
        json_object_set_new(profile_json, "email", json_string(profile->email));
    if (profile != NULL && profile->display_name != NULL)
        json_object_set_new(profile_json, "displayName", json_string(profile->display_name));
    if (profile != NULL && profile->picture != NULL)
        json_object_set_new(profile_json, "picture", json_string(profile->picture));
    return json_pack("{s:o, s:{}, s:{s:s, s:I, s:{s:s, s:s, s:o}}}", "profile", profile_json,
                     "providerInfo", "backstageIdentity", "token", token, "expiresInSeconds",
                     (json_int_t)ttl_s, "identity", "type", "user", "userEntityRef",
                     user->user_ref, "ownershipEntityRefs", refs);
}

int auth_plugin_finish_sign_in(auth_plugin *plugin, gr_request *req, gr_response *res,
                               const char *provider, const gr_auth_user *user,
                               const gr_auth_profile *profile, const char *redirect)
{
    char *token = NULL;
    char *cookie;
    int rc;

    if ((rc = gr_auth_issue(plugin->auth, user, &token, NULL)) < 0)
        return rc;
    cookie = gr_auth_session_cookie(plugin->auth, token);
    gr_res_header_add(res, "Set-Cookie", cookie);
    gr_res_header(res, "Cache-Control", "no-store");
    free(cookie);
    gr_audit_sign_in(provider, user->user_ref, gr_req_client_addr(req));

    if (redirect != NULL)
        rc = gr_res_redirect(res, 302, redirect);
    else
        rc = gr_res_json(res, 200,
                         session_response(user, profile, token, gr_auth_token_ttl(plugin->auth)));
    free(token);
    return rc;
}

static int handle_jwks(gr_request *req, gr_response *res, void *payload)
{
    auth_plugin *plugin = payload;
    gr_auth_keys *keys = gr_auth_keys_get(plugin->auth);
    json_t *jwks = NULL;
    int rc;

    (void)req;
    if ((rc = gr_auth_keys_jwks(keys, &jwks)) < 0)
        return rc;
    gr_res_header(res, "Cache-Control", "public, max-age=60");
    return gr_res_json(res, 200, jwks);
}

static int handle_openid_configuration(gr_request *req, gr_response *res, void *payload)
{
    auth_plugin *plugin = payload;
    const char *issuer = gr_auth_issuer(plugin->auth);
    json_t *doc;

    (void)req;
    doc = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s], s:[s], s:[s], s:[ss]}", "issuer", issuer,
                    "token_endpoint", gr_arena_printf(gr_req_arena(req), "%s/v1/token", issuer),
                    "userinfo_endpoint",
                    gr_arena_printf(gr_req_arena(req), "%s/v1/userinfo", issuer), "jwks_uri",
                    gr_arena_printf(gr_req_arena(req), "%s/.well-known/jwks.json", issuer),
                    "response_types_supported", "id_token", "subject_types_supported", "public",
                    "id_token_signing_alg_values_supported", "ES256", "scopes_supported",
                    "openid", "claims_supported", "sub", "ent");
    return gr_res_json(res, 200, doc);
}

static int handle_userinfo(gr_request *req, gr_response *res, void *payload)
{
    const gr_identity *identity = gr_req_identity(req);
    json_t *ent = json_array();

    (void)payload;
    if (identity == NULL || strcmp(identity->type, "user") != 0) {
        json_decref(ent);
        return gr_error_set(GR_EUNAUTH, "userinfo needs a user identity");
    }
    for (size_t i = 0; i < identity->ownership_count; i++)
        json_array_append_new(ent, json_string(identity->ownership[i]));
    return gr_res_json(res, 200,
                       json_pack("{s:{s:s, s:o}}", "claims", "sub", identity->subject, "ent", ent));
}

static int require_xhr(gr_request *req)
{
    const char *value = gr_req_header(req, "X-Requested-With");

    if (value == NULL || strcmp(value, "XMLHttpRequest") != 0)
        return gr_error_set(GR_EUNAUTH, "Invalid X-Requested-With header");
    return GR_OK;
}

/* Signs in through the identity-aware proxy `proxy` and finishes like any provider. */
static int proxy_sign_in(auth_plugin *plugin, gr_auth_proxy *proxy, gr_request *req,
                         gr_response *res, const char *redirect)
{
    gr_auth_user *user = NULL;
    json_t *claims = NULL;
    gr_auth_profile profile;
    int rc;

    rc = gr_auth_proxy_sign_in(plugin->auth, proxy, req, &user, &claims);
    if (rc < 0)
        return auth_plugin_sign_in_failed(req, res, gr_auth_proxy_id(proxy), rc);
    gr_auth_proxy_profile(claims, &profile);
    rc = auth_plugin_finish_sign_in(plugin, req, res, gr_auth_proxy_id(proxy), user, &profile,
                                    redirect);
    gr_auth_user_free(user);
    json_decref(claims);
    return rc;
}

static int unknown_provider(const char *provider)
{
    return gr_error_set(GR_ENOTFOUND, "Unknown auth provider '%s'", provider);
}

static int handle_start(gr_request *req, gr_response *res, void *payload)
{
    auth_plugin *plugin = payload;
    const char *provider = gr_req_param(req, "provider");
    const char *redirect = auth_plugin_safe_redirect(plugin, req, gr_req_query(req, "redirect"));
    gr_auth_proxy *proxy = gr_auth_proxy_get(plugin->auth, provider);
    gr_auth_user *user = NULL;
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_SIGN_IN, NULL)) < 0)
        return rc;
    if (strcmp(provider, "guest") == 0 && plugin->guest.enabled) {
        if ((rc = auth_guest_sign_in(plugin, &user)) < 0)
            return auth_plugin_sign_in_failed(req, res, "guest", rc);
        rc = auth_plugin_finish_sign_in(plugin, req, res, "guest", user, NULL, redirect);
        gr_auth_user_free(user);
        return rc;
    }
    if (strcmp(provider, "oidc") == 0 && plugin->oidc.enabled)
        return auth_oidc_start(plugin, req, res);
    if (proxy != NULL)
        return proxy_sign_in(plugin, proxy, req, res, redirect);
    return unknown_provider(provider);
}

static int handle_frame(gr_request *req, gr_response *res, void *payload)
{
    auth_plugin *plugin = payload;
    const char *provider = gr_req_param(req, "provider");
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_SIGN_IN, NULL)) < 0)
        return rc;
    if (strcmp(provider, "oidc") == 0 && plugin->oidc.enabled)
        return auth_oidc_callback(plugin, req, res);
    return unknown_provider(provider);
}

/* Refreshes a cookie session: a new token of the same session and identity,
 * until the session reaches auth.sessionMaxAge. */
static int refresh_session(auth_plugin *plugin, gr_request *req, gr_response *res)
{
    gr_identity identity;
    gr_auth_user *user;
    char *token = NULL;
    char *cookie;
    int rc;

    if ((rc = gr_auth_session_verify(plugin->auth, req, &identity)) < 0) {
        if (rc != GR_EBACKEND && rc != GR_ENOTFOUND)
            gr_http_rate_limit_charge(req, GR_RATE_FAILED_CREDENTIALS);
        return rc == GR_EBACKEND ? rc : gr_error_wrap(GR_EUNAUTH, "Refresh failed");
    }
    if ((rc = gr_auth_refresh(plugin->auth, &identity, &token, NULL)) < 0)
        return rc == GR_EBACKEND ? rc : gr_error_wrap(GR_EUNAUTH, "Refresh failed");
    user = gr_auth_user_new(identity.subject, identity.ownership, identity.ownership_count);
    cookie = gr_auth_session_cookie(plugin->auth, token);
    gr_res_header_add(res, "Set-Cookie", cookie);
    gr_res_header(res, "Cache-Control", "no-store");
    free(cookie);
    rc = gr_res_json(res, 200,
                     session_response(user, NULL, token, gr_auth_token_ttl(plugin->auth)));
    free(token);
    gr_auth_user_free(user);
    return rc;
}

static bool provider_known(auth_plugin *plugin, const char *provider)
{
    return (strcmp(provider, "guest") == 0 && plugin->guest.enabled) ||
           (strcmp(provider, "oidc") == 0 && plugin->oidc.enabled) ||
           gr_auth_proxy_get(plugin->auth, provider) != NULL;
}

/*
 * Refreshes the guest's own cookie session, so that a page refreshing every
 * few minutes keeps one session instead of opening a new one each time.
 * Without a guest session it signs the guest in, as Backstage's guest
 * provider does; a cookie that fails verification is logged first.
 */
static int guest_refresh(auth_plugin *plugin, gr_request *req, gr_response *res)
{
    gr_identity identity;
    gr_auth_user *user = NULL;
    int rc = gr_auth_session_verify(plugin->auth, req, &identity);

    if (rc == GR_OK && strcmp(identity.subject, plugin->guest.user_ref) == 0)
        return refresh_session(plugin, req, res);
    if (rc == GR_EBACKEND)
        return rc;
    if (rc < 0 && rc != GR_ENOTFOUND) {
        gr_audit_token_rejected("cookie", gr_error_last(), gr_req_client_addr(req),
                                gr_req_path(req));
        gr_http_rate_limit_charge(req, GR_RATE_FAILED_CREDENTIALS);
    }
    gr_error_clear();

    if ((rc = auth_guest_sign_in(plugin, &user)) < 0)
        return auth_plugin_sign_in_failed(req, res, "guest", rc);
    rc = auth_plugin_finish_sign_in(plugin, req, res, "guest", user, NULL, NULL);
    gr_auth_user_free(user);
    return rc;
}

static int handle_refresh(gr_request *req, gr_response *res, void *payload)
{
    auth_plugin *plugin = payload;
    const char *provider = gr_req_param(req, "provider");
    gr_auth_proxy *proxy = gr_auth_proxy_get(plugin->auth, provider);
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_SIGN_IN, NULL)) < 0)
        return rc;
    if (!provider_known(plugin, provider))
        return unknown_provider(provider);
    if ((rc = require_xhr(req)) < 0)
        return rc;
    if (proxy != NULL)
        return proxy_sign_in(plugin, proxy, req, res, NULL);
    if (strcmp(provider, "guest") == 0)
        return guest_refresh(plugin, req, res);
    return refresh_session(plugin, req, res);
}

/* Protects sign-out from cross-site forgery. Scripts send X-Requested-With, which another
 * site cannot add without a CORS preflight that greenroom never grants, so for them the Origin
 * check suffices; forms must send the CSRF token. */
static int logout_check(gr_request *req, const gr_identity *identity)
{
    const char *origin = gr_req_header(req, "Origin");

    if (require_xhr(req) < 0)
        return gr_auth_csrf_check(req);
    if (origin != NULL && strcasecmp(origin, identity->app_origin) != 0)
        return gr_error_set(GR_EDENIED, "Cross-site request rejected: origin '%s' is not the "
                                        "portal's origin",
                            origin);
    return GR_OK;
}

/* Returns the identity of a user token sent as `Authorization: Bearer` that
 * has a sign-in session, or NULL. A browser never adds this header on its own,
 * so a bearer sign-out needs no CSRF check. */
static const gr_identity *bearer_session(auth_plugin *plugin, gr_request *req)
{
    const gr_identity *identity;

    if (gr_req_header(req, "Authorization") == NULL ||
        gr_auth_authenticate(req, plugin->auth) != GR_OK) {
        gr_error_clear();
        return NULL;
    }
    identity = gr_req_identity(req);
    return identity != NULL && identity->session_id != NULL ? identity : NULL;
}

static int handle_logout(gr_request *req, gr_response *res, void *payload)
{
    auth_plugin *plugin = payload;
    gr_identity *cookie_identity = gr_arena_calloc(gr_req_arena(req), sizeof(*cookie_identity));
    const gr_identity *identity = NULL;
    char *cookie;
    int rc;

    if (!provider_known(plugin, gr_req_param(req, "provider")))
        return unknown_provider(gr_req_param(req, "provider"));
    if (gr_auth_session_verify(plugin->auth, req, cookie_identity) == GR_OK) {
        gr_req_set_identity(req, cookie_identity);
        if ((rc = logout_check(req, cookie_identity)) < 0)
            return rc;
        identity = cookie_identity;
    } else {
        identity = bearer_session(plugin, req);
    }
    gr_error_clear();

    if (identity != NULL && (rc = gr_auth_sign_out(plugin->auth, identity)) < 0)
        return rc;
    gr_audit_sign_out(gr_req_param(req, "provider"), identity != NULL ? identity->subject : NULL,
                      gr_req_client_addr(req));
    cookie = gr_auth_session_cookie(plugin->auth, NULL);
    gr_res_header_add(res, "Set-Cookie", cookie);
    free(cookie);
    gr_res_status(res, 200);
    return GR_OK;
}

const char *gr_auth_plugin_local_path(const char *requested)
{
    /* "//host" and "/\\host" would leave the site; CR and LF would split headers. */
    if (requested == NULL || requested[0] != '/' || requested[1] == '/' || requested[1] == '\\' ||
        strpbrk(requested, "\r\n") != NULL)
        return "/";
    return requested;
}

static void add_provider(json_t *list, const char *id, const char *label, const char *redirect)
{
    gr_buf url = GR_BUF_INIT;

    gr_buf_printf(&url, "/api/auth/%s/start?redirect=", id);
    auth_plugin_url_encode(&url, redirect);
    json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", id, "label", label, "href",
                                          gr_buf_cstr(&url)));
    gr_buf_free(&url);
}

json_t *gr_auth_plugin_providers(const auth_plugin *plugin, const char *redirect)
{
    static const char *const proxies[] = {"gcpIap", "awsalb", "cfaccess", "oauth2Proxy"};
    json_t *list = json_array();

    redirect = gr_auth_plugin_local_path(redirect);
    if (plugin->oidc.enabled)
        add_provider(list, "oidc", "single sign-on", redirect);
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++) {
        if (gr_auth_proxy_get(plugin->auth, proxies[i]) != NULL)
            add_provider(list, proxies[i], proxies[i], redirect);
    }
    if (plugin->guest.enabled)
        add_provider(list, "guest", "a guest account (development only)", redirect);
    return list;
}

/* The default policy with the page's one inline stylesheet allowed by its hash. */
static const char *page_csp(gr_request *req, const char *html)
{
    const char *open = strstr(html, "<style>");
    const char *close = open ? strstr(open, "</style>") : NULL;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    unsigned char encoded[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];

    if (close == NULL)
        return "default-src 'self'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'none'; object-src 'none'";
    open += strlen("<style>");
    SHA256((const unsigned char *)open, (size_t)(close - open), digest);
    EVP_EncodeBlock(encoded, digest, sizeof(digest));
    return gr_arena_printf(gr_req_arena(req),
                           "default-src 'self'; style-src 'sha256-%s'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; object-src 'none'",
                           encoded);
}

/* With the portal UI, its /signin page is the one sign-in page: this route
 * sends the browser there. Without it, this page lists the providers. */
static int handle_sign_in_page(gr_request *req, gr_response *res, void *payload)
{
    auth_plugin *plugin = payload;
    const gr_asset *page = gr_asset_find("plugins/auth/signin.html");
    const char *redirect = gr_auth_plugin_local_path(gr_req_query(req, "redirect"));
    json_t *providers;
    json_t *provider;
    gr_buf list = GR_BUF_INIT;
    gr_buf html = GR_BUF_INIT;
    const char *marker;
    const char *text = (const char *)page->data;
    size_t i;

    gr_res_header(res, "Cache-Control", "no-store");
    if (gr_host_lookup(plugin->host, GR_UI_SERVICE) != NULL) {
        gr_buf_puts(&list, "/signin?redirect=");
        auth_plugin_url_encode(&list, redirect);
        gr_res_redirect(res, 302, gr_buf_cstr(&list));
        gr_buf_free(&list);
        return GR_OK;
    }
    providers = gr_auth_plugin_providers(plugin, redirect);
    json_array_foreach(providers, i, provider)
    {
        gr_buf_puts(&list, "<li><a class=\"provider\" href=\"");
        gr_buf_put_html(&list, json_string_value(json_object_get(provider, "href")));
        gr_buf_puts(&list, "\">Sign in with ");
        gr_buf_put_html(&list, json_string_value(json_object_get(provider, "label")));
        gr_buf_puts(&list, "</a></li>\n");
    }
    if (list.len == 0)
        gr_buf_puts(&list, "<li>No sign-in provider is configured. Add one under "
                           "auth.providers in app-config.yaml.</li>\n");
    json_decref(providers);

    marker = strstr(text, "{{providers}}");
    gr_res_header(res, "Content-Security-Policy", page_csp(req, text));
    gr_buf_append(&html, text, (size_t)(marker - text));
    gr_buf_puts(&html, gr_buf_cstr(&list));
    gr_buf_puts(&html, marker + strlen("{{providers}}"));
    gr_res_body(res, 200, "text/html; charset=utf-8", html.data, html.len);
    gr_buf_free(&list);
    gr_buf_free(&html);
    return GR_OK;
}

/* The catalog lookup for permission checks on one resource. */
static int lookup_entity(void *payload, const char *ref, json_t **out)
{
    const gr_auth_user_lookup *lookup = gr_auth_user_lookup_get(payload);

    *out = NULL;
    if (lookup == NULL)
        return gr_error_set(GR_ENOTFOUND, "no catalog is installed");
    return lookup->get_entity(lookup->payload, ref, out);
}

static int auth_plugin_routes(auth_plugin *plugin)
{
    gr_http_server *http = plugin->host->http;
    int rc;

    if ((rc = gr_http_route(http, "GET", "/api/auth/.well-known/jwks.json", GR_ROUTE_PUBLIC,
                            handle_jwks, plugin)) < 0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/.well-known/openid-configuration",
                            GR_ROUTE_PUBLIC, handle_openid_configuration, plugin)) < 0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/v1/userinfo", 0, handle_userinfo, plugin)) <
            0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/sign-in", GR_ROUTE_PUBLIC,
                            handle_sign_in_page, plugin)) < 0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/:provider/start", GR_ROUTE_PUBLIC,
                            handle_start, plugin)) < 0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/:provider/handler/frame", GR_ROUTE_PUBLIC,
                            handle_frame, plugin)) < 0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/:provider/refresh", GR_ROUTE_PUBLIC,
                            handle_refresh, plugin)) < 0 ||
        (rc = gr_http_route(http, "POST", "/api/auth/:provider/logout", GR_ROUTE_PUBLIC,
                            handle_logout, plugin)) < 0)
        return rc;

    plugin->authorize.policy = plugin->host->permissions;
    plugin->authorize.get_entity = lookup_entity;
    plugin->authorize.payload = plugin->auth;
    return gr_permission_add_routes(http, &plugin->authorize);
}

void gr_auth_plugin_destroy(void *state)
{
    auth_plugin *plugin = state;

    if (plugin == NULL)
        return;
    auth_guest_clear(&plugin->guest);
    auth_oidc_clear(&plugin->oidc);
    free(plugin);
}

int gr_auth_plugin_init(gr_host *host, void **state_out)
{
    auth_plugin *plugin = gr_xcalloc(1, sizeof(*plugin));
    int rc = GR_OK;

    plugin->host = host;
    plugin->auth = host->auth;
    pthread_mutex_init(&plugin->oidc.lock, NULL);
    if (plugin->auth == NULL || gr_auth_keys_get(plugin->auth) == NULL)
        rc = gr_error_set(GR_EINVALID, "the auth plugin needs the host's authentication and "
                                       "database");
    if (rc == GR_OK && gr_auth_user_lookup_get(plugin->auth) == NULL) {
        gr_auth_user_lookup lookup;

        gr_auth_catalog_lookup(host->db, &lookup);
        gr_auth_set_user_lookup(plugin->auth, &lookup);
    }
    if (rc == GR_OK && (rc = auth_guest_configure(plugin, host->config)) == GR_OK &&
        (rc = auth_oidc_configure(plugin, host->config)) == GR_OK &&
        (rc = auth_plugin_routes(plugin)) == GR_OK)
        rc = gr_host_provide(host, GR_AUTH_SERVICE, plugin);
    if (rc < 0) {
        gr_auth_plugin_destroy(plugin);
        return rc;
    }
    *state_out = plugin;
    return GR_OK;
}
