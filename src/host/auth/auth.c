/* SPDX-License-Identifier: MIT */
/* Authentication of API requests: user tokens, sessions, proxies and static tokens. */
#include "host/auth/auth.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "host/auth/audit.h"
#include "host/auth/cookie.h"
#include "host/auth/external_access.h"
#include "host/auth/jwks_access.h"
#include "host/auth/jwt.h"
#include "host/auth/legacy_access.h"
#include "host/auth/restriction.h"
#include "host/auth/session.h"
#include "host/auth/signin.h"
#include "host/auth/token.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/throttle.h"
#include "host/log/log.h"

/** Maximum number of proxy providers (one per known provider id). */
#define AUTH_MAX_PROXIES 8

struct gr_auth {
    const gr_config *cfg;
    gr_db *db;
    gr_auth_keys *keys;
    gr_auth_static_tokens *static_tokens;
    gr_auth_legacy_keys *legacy_keys;
    gr_auth_jwks_access *jwks_access;
    gr_auth_proxy *proxies[AUTH_MAX_PROXIES];
    size_t proxy_count;
    char *issuer;
    char *app_url;
    char *app_origin;
    int cookie_secure;
    int64_t token_ttl_s;
    int64_t session_max_age_s;
    const char *environment;
    bool include_parent_groups;
    bool allow_anonymous;
    gr_identity anonymous;
    gr_auth_user_lookup lookup;
    bool has_lookup;
    gr_auth_signin *signin;
};

void gr_auth_free(gr_auth *auth)
{
    if (auth == NULL)
        return;
    for (size_t i = 0; i < auth->proxy_count; i++)
        gr_auth_proxy_free(auth->proxies[i]);
    gr_auth_static_tokens_free(auth->static_tokens);
    gr_auth_legacy_keys_free(auth->legacy_keys);
    gr_auth_jwks_access_free(auth->jwks_access);
    gr_auth_keys_free(auth->keys);
    gr_auth_signin_free(auth->signin);
    free(auth->issuer);
    free(auth->app_url);
    free(auth->app_origin);
    free(auth);
}

static int duration_from_string(const char *text, int64_t *out)
{
    char *end = NULL;
    long long value = strtoll(text, &end, 10);
    int64_t unit;

    if (end == text || value < 0)
        return -1;
    if (strcmp(end, "s") == 0 || *end == '\0')
        unit = 1;
    else if (strcmp(end, "m") == 0)
        unit = 60;
    else if (strcmp(end, "h") == 0)
        unit = 3600;
    else if (strcmp(end, "d") == 0)
        unit = 86400;
    else
        return -1;
    *out = (int64_t)value * unit;
    return 0;
}

int gr_auth_config_duration(const gr_config *cfg, const char *path, int64_t fallback,
                            int64_t *out)
{
    const json_t *node = gr_config_node(cfg, path);
    static const struct {
        const char *name;
        int64_t seconds;
    } units[] = {{"days", 86400}, {"hours", 3600}, {"minutes", 60}, {"seconds", 1}};

    *out = fallback;
    if (node == NULL)
        return GR_OK;
    if (json_is_integer(node) && json_integer_value(node) > 0) {
        *out = json_integer_value(node);
        return GR_OK;
    }
    if (json_is_string(node) && duration_from_string(json_string_value(node), out) == 0)
        return GR_OK;
    if (json_is_object(node) && json_object_size(node) > 0) {
        int64_t total = 0;
        size_t known = 0;

        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            const json_t *value = json_object_get(node, units[i].name);

            if (json_is_number(value) && json_number_value(value) >= 0) {
                total += (int64_t)(json_number_value(value) * (double)units[i].seconds);
                known++;
            }
        }
        if (known == json_object_size(node)) {
            *out = total;
            return GR_OK;
        }
    }
    return gr_error_set(GR_EINVALID,
                        "%s: a duration must be an object of days, hours, minutes and seconds "
                        "(such as {minutes: 60}), a number of seconds, or a string such as "
                        "\"30m\" or \"12h\"",
                        path);
}

/* Returns scheme://host[:port] of `url`, or a copy of url when it has no path. */
static char *url_origin(const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;

    return path ? gr_xstrndup(url, (size_t)(path - url)) : gr_xstrdup(url);
}

static char *strip_slashes(const char *url)
{
    size_t len = strlen(url);

    while (len > 0 && url[len - 1] == '/')
        len--;
    return gr_xstrndup(url, len);
}

static int auth_read_urls(gr_auth *auth, const gr_config *cfg)
{
    const char *backend = gr_config_string(cfg, "backend.baseUrl", "http://localhost:7007");
    const char *app = gr_config_string(cfg, "app.baseUrl", backend);
    char *backend_url = strip_slashes(backend);

    auth->issuer = gr_xasprintf("%s/api/auth", backend_url);
    free(backend_url);
    auth->app_url = strip_slashes(app);
    auth->app_origin = url_origin(auth->app_url);
    auth->cookie_secure = strncasecmp(auth->app_url, "https://", 8) == 0;
    return GR_OK;
}

static int auth_read_lifetimes(gr_auth *auth, const gr_config *cfg, int64_t *rotation_s)
{
    int rc;

    if ((rc = gr_auth_config_duration(cfg, "auth.backstageTokenExpiration",
                                      GR_AUTH_DEFAULT_TOKEN_TTL_S, &auth->token_ttl_s)) < 0 ||
        (rc = gr_auth_config_duration(cfg, "auth.sessionMaxAge", GR_AUTH_DEFAULT_SESSION_MAX_AGE_S,
                                      &auth->session_max_age_s)) < 0 ||
        (rc = gr_auth_config_duration(cfg, "auth.keyRotation", GR_AUTH_DEFAULT_KEY_ROTATION_S,
                                      rotation_s)) < 0)
        return rc;
    if (auth->token_ttl_s < GR_AUTH_MIN_TOKEN_TTL_S || auth->token_ttl_s > GR_AUTH_MAX_TOKEN_TTL_S)
        return gr_error_set(GR_EINVALID,
                            "auth.backstageTokenExpiration: %lld seconds is outside the allowed "
                            "range of %d to %d seconds",
                            (long long)auth->token_ttl_s, GR_AUTH_MIN_TOKEN_TTL_S,
                            GR_AUTH_MAX_TOKEN_TTL_S);
    if (auth->session_max_age_s < auth->token_ttl_s)
        return gr_error_set(GR_EINVALID,
                            "auth.sessionMaxAge: %lld seconds is shorter than the token lifetime "
                            "(%lld seconds, auth.backstageTokenExpiration); make it at least as "
                            "long",
                            (long long)auth->session_max_age_s, (long long)auth->token_ttl_s);
    if (*rotation_s < 60)
        return gr_error_set(GR_EINVALID, "auth.keyRotation: the interval must be at least one "
                                         "minute");
    return GR_OK;
}

static int auth_read_proxies(gr_auth *auth, const gr_config *cfg)
{
    const json_t *providers = gr_config_node(cfg, "auth.providers");
    const char *id;
    const json_t *config;
    int rc;

    json_object_foreach((json_t *)providers, id, config)
    {
        if (!gr_auth_proxy_is_known(id))
            continue;
        if (auth->proxy_count == AUTH_MAX_PROXIES)
            return gr_error_set(GR_ELIMIT, "auth.providers: at most %d proxy providers",
                                AUTH_MAX_PROXIES);
        if ((rc = gr_auth_proxy_new(&auth->proxies[auth->proxy_count], id, config)) < 0)
            return rc;
        auth->proxy_count++;
    }
    return GR_OK;
}

int gr_auth_new(gr_auth **out, const gr_config *cfg, gr_db *db)
{
    gr_auth *auth = gr_xcalloc(1, sizeof(*auth));
    int64_t rotation_s = 0;
    int rc;

    auth->cfg = cfg;
    auth->db = db;
    auth->signin = gr_auth_signin_new();
    auth->environment = gr_config_string(cfg, "auth.environment", "development");
    auth->include_parent_groups =
        gr_config_bool(cfg, "auth.ownership.includeParentGroups", false);
    auth->anonymous.type = "none";
    auth->anonymous.subject = "anonymous";
    auth->anonymous.source = "anonymous";
    auth_read_urls(auth, cfg);

    if ((rc = auth_read_lifetimes(auth, cfg, &rotation_s)) < 0 ||
        (rc = gr_auth_static_tokens_new(&auth->static_tokens, cfg)) < 0 ||
        (rc = gr_auth_legacy_keys_new(&auth->legacy_keys, cfg)) < 0 ||
        (rc = gr_auth_jwks_access_new(&auth->jwks_access, cfg)) < 0 ||
        (rc = auth_read_proxies(auth, cfg)) < 0)
        goto done;
    if (db != NULL && (rc = gr_auth_keys_new(&auth->keys, db, rotation_s, auth->token_ttl_s)) < 0)
        goto done;

    auth->allow_anonymous =
        gr_config_bool(cfg, "backend.auth.dangerouslyDisableDefaultAuthPolicy", false);
    if (auth->allow_anonymous)
        gr_warn("auth", "backend.auth.dangerouslyDisableDefaultAuthPolicy is true: every API "
                        "route is open to unauthenticated callers");

done:
    if (rc < 0) {
        gr_auth_free(auth);
        return rc;
    }
    *out = auth;
    return GR_OK;
}

void gr_auth_set_user_lookup(gr_auth *auth, const gr_auth_user_lookup *lookup)
{
    auth->lookup = *lookup;
    auth->has_lookup = true;
}

gr_auth_signin *gr_auth_signin_registry(const gr_auth *auth)
{
    return auth->signin;
}

const gr_config *gr_auth_config(const gr_auth *auth)
{
    return auth->cfg;
}

const gr_auth_user_lookup *gr_auth_user_lookup_get(const gr_auth *auth)
{
    return auth->has_lookup ? &auth->lookup : NULL;
}

gr_auth_keys *gr_auth_keys_get(const gr_auth *auth)
{
    return auth->keys;
}

const char *gr_auth_issuer(const gr_auth *auth)
{
    return auth->issuer;
}

const char *gr_auth_environment(const gr_auth *auth)
{
    return auth->environment;
}

const char *gr_auth_app_url(const gr_auth *auth)
{
    return auth->app_url;
}

int64_t gr_auth_token_ttl(const gr_auth *auth)
{
    return auth->token_ttl_s;
}

bool gr_auth_include_parent_groups(const gr_auth *auth)
{
    return auth->include_parent_groups;
}

gr_auth_proxy *gr_auth_proxy_get(const gr_auth *auth, const char *id)
{
    for (size_t i = 0; i < auth->proxy_count; i++) {
        if (strcmp(gr_auth_proxy_id(auth->proxies[i]), id) == 0)
            return auth->proxies[i];
    }
    return NULL;
}

int gr_auth_issue(gr_auth *auth, const gr_auth_user *user, char **token, int64_t *expires_at)
{
    char session_id[GR_AUTH_SESSION_ID_LEN + 1];
    int64_t now;
    int rc;

    if (auth->keys == NULL)
        return gr_error_set(GR_EINVALID, "identity tokens need the database");
    now = gr_auth_keys_now(auth->keys);
    rc = gr_auth_sessions_create(auth->db, user->user_ref, now, now + auth->token_ttl_s,
                                 session_id);
    if (rc < 0)
        return rc;
    return gr_auth_token_issue(auth->keys, auth->issuer, user->user_ref,
                               (const char *const *)user->ownership, user->ownership_count,
                               session_id, auth->token_ttl_s, token, expires_at);
}

int gr_auth_refresh(gr_auth *auth, const gr_identity *identity, char **token,
                    int64_t *expires_at)
{
    int64_t now;
    int rc;

    if (auth->keys == NULL || identity->session_id == NULL)
        return gr_error_set(GR_EUNAUTH, "only a sign-in session can be refreshed");
    now = gr_auth_keys_now(auth->keys);
    rc = gr_auth_sessions_extend(auth->db, identity->session_id, now - auth->session_max_age_s,
                                 now + auth->token_ttl_s);
    if (rc < 0)
        return rc;
    return gr_auth_token_issue(auth->keys, auth->issuer, identity->subject, identity->ownership,
                               identity->ownership_count, identity->session_id,
                               auth->token_ttl_s, token, expires_at);
}

int gr_auth_sign_out(gr_auth *auth, const gr_identity *identity)
{
    if (auth->db == NULL || identity->session_id == NULL)
        return GR_OK;
    return gr_auth_sessions_revoke(auth->db, identity->session_id);
}

/* Verifies a user identity token and that its sign-in session is still open. */
static int auth_verify_user_token(gr_auth *auth, gr_request *req, const char *token,
                                  gr_identity *identity)
{
    int rc = gr_auth_token_verify(auth->keys, auth->issuer, token, gr_req_arena(req), identity);

    if (rc < 0)
        return rc;
    if (identity->session_id == NULL)
        return gr_error_set(GR_EUNAUTH, "token has no session id 'sid'; sign in again");
    return gr_auth_sessions_check(auth->db, identity->session_id, identity->subject,
                                  gr_auth_keys_now(auth->keys));
}

char *gr_auth_session_cookie(const gr_auth *auth, const char *token)
{
    if (token == NULL)
        return gr_auth_cookie_header(GR_AUTH_SESSION_COOKIE, "", "/", 0, auth->cookie_secure);
    return gr_auth_cookie_header(GR_AUTH_SESSION_COOKIE, token, "/", auth->token_ttl_s,
                                 auth->cookie_secure);
}

/* Derives the CSRF token of a browser identity from the shared secret and
 * `binding`: the session id for cookie sessions, so the token changes with
 * each sign-in and stops working with sign-out. */
static void auth_set_csrf(const gr_auth *auth, gr_request *req, gr_identity *identity,
                          const char *binding)
{
    char *data;
    char *mac;

    identity->app_origin = auth->app_origin;
    if (auth->keys == NULL)
        return;
    data = gr_xasprintf("csrf\n%s\n%s", identity->subject, binding);
    mac = gr_auth_hmac(gr_auth_keys_secret(auth->keys), data);
    identity->csrf_token = gr_arena_strdup(gr_req_arena(req), mac);
    free(mac);
    free(data);
}

int gr_auth_session_verify(gr_auth *auth, gr_request *req, gr_identity *identity)
{
    const char *cookie = gr_auth_cookie(req, GR_AUTH_SESSION_COOKIE);
    int rc;

    memset(identity, 0, sizeof(*identity));
    if (cookie == NULL || cookie[0] == '\0')
        return gr_error_set(GR_ENOTFOUND, "Missing credentials");
    if (auth->keys == NULL)
        return gr_error_set(GR_EUNAUTH, "sessions need the database");
    rc = auth_verify_user_token(auth, req, cookie, identity);
    if (rc < 0)
        return rc;
    identity->source = "cookie";
    auth_set_csrf(auth, req, identity, identity->session_id);
    return GR_OK;
}

/*
 * Returns the token of an Authorization header of the form "Bearer TOKEN", or NULL. As in
 * Backstage, the scheme is case-insensitive, spaces may repeat before the token, and the token
 * contains no white space. Spaces and tabs after it are not part of the value (RFC 9110
 * excludes them, and Node.js strips them before Backstage reads the header), so
 * "Bearer TOKEN " is accepted and "Bearer TO KEN" carries no token.
 */
static const char *bearer_token(gr_request *req)
{
    const char *header = gr_req_header(req, "Authorization");
    size_t len;

    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    header += 7;
    while (*header == ' ')
        header++;
    len = strcspn(header, " \t\r\n\v\f");
    if (len == 0 || header[len + strspn(header + len, " \t")] != '\0')
        return NULL;
    return header[len] == '\0' ? header : gr_arena_strndup(gr_req_arena(req), header, len);
}

/* Sets `identity` fields from a resolved user, copying into the request arena. */
static void identity_from_user(gr_request *req, const gr_auth_user *user, gr_identity *identity)
{
    gr_arena *arena = gr_req_arena(req);
    const char **refs = gr_arena_alloc(arena, (user->ownership_count + 1) * sizeof(*refs));

    for (size_t i = 0; i < user->ownership_count; i++)
        refs[i] = gr_arena_strdup(arena, user->ownership[i]);
    refs[user->ownership_count] = NULL;
    identity->type = "user";
    identity->subject = gr_arena_strdup(arena, user->user_ref);
    identity->ownership = refs;
    identity->ownership_count = user->ownership_count;
}

int gr_auth_proxy_sign_in(gr_auth *auth, gr_auth_proxy *proxy, gr_request *req,
                          gr_auth_user **user, json_t **claims)
{
    const char *value = gr_req_header(req, gr_auth_proxy_header(proxy));
    gr_auth_resolvers resolvers = *gr_auth_proxy_resolvers(proxy);
    gr_auth_profile profile;
    int64_t now = auth->keys ? gr_auth_keys_now(auth->keys) : (int64_t)time(NULL);
    int rc;

    *user = NULL;
    *claims = NULL;
    if (value == NULL)
        return gr_error_set(GR_EUNAUTH, "the request has no %s header from the proxy",
                            gr_auth_proxy_header(proxy));
    /* The lookup returns the first of several, which may be the client's own
     * when the proxy appends its header instead of replacing it. */
    if (gr_req_header_count(req, gr_auth_proxy_header(proxy)) > 1)
        return gr_error_set(GR_EUNAUTH,
                            "the request has more than one %s header; configure the proxy to "
                            "replace the header that clients send",
                            gr_auth_proxy_header(proxy));
    if ((rc = gr_auth_proxy_verify(proxy, value, now, claims)) < 0)
        return rc;
    gr_auth_proxy_profile(*claims, &profile);
    resolvers.include_parent_groups = auth->include_parent_groups;
    rc = gr_auth_resolve(&resolvers, gr_auth_user_lookup_get(auth), &profile, user);
    if (rc < 0) {
        json_decref(*claims);
        *claims = NULL;
    }
    return rc;
}

/* Authenticates through the first proxy whose header is present. Returns 1 when none is. */
static int authenticate_proxy(gr_auth *auth, gr_request *req, gr_identity *identity)
{
    for (size_t i = 0; i < auth->proxy_count; i++) {
        gr_auth_proxy *proxy = auth->proxies[i];
        gr_auth_user *user = NULL;
        json_t *claims = NULL;
        int rc;

        if (gr_req_header(req, gr_auth_proxy_header(proxy)) == NULL)
            continue;
        /* TODO: cache resolved proxy users for a minute, so that each API
         * request does not run the catalog lookup again. */
        rc = gr_auth_proxy_sign_in(auth, proxy, req, &user, &claims);
        if (rc == GR_OK) {
            identity_from_user(req, user, identity);
            identity->source =
                gr_arena_printf(gr_req_arena(req), "proxy:%s", gr_auth_proxy_id(proxy));
            auth_set_csrf(auth, req, identity, "proxy");
        } else {
            gr_audit_token_rejected(gr_arena_printf(gr_req_arena(req), "proxy:%s",
                                                    gr_auth_proxy_id(proxy)),
                                    gr_error_last(), gr_req_client_addr(req), gr_req_path(req));
            rc = rc == GR_EBACKEND ? rc : gr_error_wrap(GR_EUNAUTH, "Invalid proxy credentials");
        }
        gr_auth_user_free(user);
        json_decref(claims);
        return rc;
    }
    return 1;
}

/* Returns whether `token` is a JWT whose "iss" is greenroom's own issuer. */
static int token_is_ours(const gr_auth *auth, const char *token)
{
    gr_jwt jwt;
    const char *iss;
    int ours;

    if (gr_jwt_parse(token, &jwt) < 0)
        return 0;
    iss = json_string_value(json_object_get(jwt.payload, "iss"));
    ours = iss != NULL && strcmp(iss, auth->issuer) == 0;
    gr_jwt_clear(&jwt);
    return ours;
}

/* Tries the external-access methods in turn: static tokens, legacy HS256
 * tokens, then tokens of jwks issuers. Returns 1 when none applies. */
static int authenticate_external(gr_auth *auth, gr_request *req, const char *token, int64_t now,
                                 gr_identity *identity)
{
    const gr_identity *service = gr_auth_static_tokens_match(auth->static_tokens, token);
    int rc;

    if (service != NULL) {
        *identity = *service;
        return GR_OK;
    }
    rc = gr_auth_legacy_keys_verify(auth->legacy_keys, token, now, &service);
    if (rc == GR_OK)
        *identity = *service;
    if (rc != 1)
        return rc;
    /* Our own user tokens never go to outside issuers' key sets. */
    if (token_is_ours(auth, token))
        return 1;
    return gr_auth_jwks_access_verify(auth->jwks_access, token, now, gr_req_arena(req), identity);
}

/* Returns whether `token` has the shape of a compact JWS: three parts separated by two dots. */
static bool token_has_jwt_shape(const char *token)
{
    const char *first = strchr(token, '.');
    const char *second = first != NULL ? strchr(first + 1, '.') : NULL;

    return second != NULL && strchr(second + 1, '.') == NULL;
}

static int authenticate_bearer(gr_auth *auth, gr_request *req, const char *token,
                               gr_identity *identity)
{
    int64_t now = auth->keys ? gr_auth_keys_now(auth->keys) : (int64_t)time(NULL);
    int rc = authenticate_external(auth, req, token, now, identity);

    if (rc == GR_OK)
        return gr_auth_restrictions_enter(identity, gr_req_path(req));
    /* A token that is not a JWT is most likely a mistyped static token, so the
     * message points at the static tokens rather than at the JWT format. */
    if (rc == 1 && !token_has_jwt_shape(token))
        rc = gr_error_set(GR_EUNAUTH, "it matches no static token of "
                                      "backend.auth.externalAccess and is not a JWT");
    else if (rc == 1 && auth->keys == NULL)
        rc = gr_error_set(GR_EUNAUTH, "Invalid token");
    else if (rc == 1)
        rc = auth_verify_user_token(auth, req, token, identity);
    if (rc < 0) {
        gr_audit_token_rejected("token", gr_error_last(), gr_req_client_addr(req),
                                gr_req_path(req));
        if (rc != GR_EBACKEND)
            rc = gr_error_wrap(GR_EUNAUTH, "Invalid token");
    }
    return rc;
}

/* A browser sends the session cookie with any request, including one a
 * foreign page makes (a form post, or fetch with a text/plain body, which
 * needs no CORS preflight). So an API write authenticated by the cookie must
 * come from the portal's origin and carry the CSRF token, as UI forms do.
 * Bearer tokens are not sent by browsers on their own and need no check. */
static int auth_check_api_write(gr_request *req)
{
    const gr_identity *identity = gr_req_identity(req);
    const char *method = gr_req_method(req);
    const char *origin = gr_req_header(req, "Origin");
    int rc;

    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
        strcmp(method, "OPTIONS") == 0)
        return GR_OK;

    /* A custom header cannot be set by a foreign page without a CORS
     * preflight, which greenroom never grants, so the portal's own scripts
     * may send X-Requested-With from the portal's origin instead of a token. */
    if (gr_req_header(req, "X-Requested-With") != NULL && origin != NULL &&
        identity->app_origin != NULL && strcasecmp(origin, identity->app_origin) == 0)
        return GR_OK;

    rc = gr_auth_csrf_check(req);
    if (rc < 0) {
        char reason[GR_ERROR_MAX];

        snprintf(reason, sizeof(reason), "%s", gr_error_last());
        gr_log_fields(GR_LOG_WARN, "auth", "API write with a browser credential rejected",
                      "reason", reason, "source", identity->source, "path",
                      gr_req_path(req), "client", gr_req_client_addr(req), NULL);
        rc = gr_error_set(GR_EDENIED,
                          "%s; a %s %s authenticated by the browser (%s) needs the header "
                          "X-CSRF-Token, or X-Requested-With from the portal's origin. "
                          "Scripts should send the token of GET /api/auth/<provider>/refresh "
                          "as Authorization: Bearer",
                          reason, method, gr_req_path(req), identity->source);
    }
    return rc;
}

/* Returns whether the request carries a credential: a bearer token, a proxy's
 * header or a session cookie. */
static bool has_credential(const gr_auth *auth, gr_request *req, const char *token)
{
    const char *cookie = gr_auth_cookie(req, GR_AUTH_SESSION_COOKIE);

    if (token != NULL || (cookie != NULL && cookie[0] != '\0'))
        return true;
    for (size_t i = 0; i < auth->proxy_count; i++) {
        if (gr_req_header(req, gr_auth_proxy_header(auth->proxies[i])) != NULL)
            return true;
    }
    return false;
}

int gr_auth_authenticate(gr_request *req, void *payload)
{
    gr_auth *auth = payload;
    gr_identity *identity = gr_arena_calloc(gr_req_arena(req), sizeof(*identity));
    const char *token = bearer_token(req);
    bool credential = has_credential(auth, req, token);
    int rc;

    /* A client past its failed-credential limit gets 429 (set by the check)
     * before its credential is verified, so it cannot go on guessing. */
    if (credential && (rc = gr_http_rate_limit_check(req, GR_RATE_FAILED_CREDENTIALS)) < 0)
        return rc;
    if (token != NULL) {
        rc = authenticate_bearer(auth, req, token, identity);
    } else if ((rc = authenticate_proxy(auth, req, identity)) == 1) {
        rc = gr_auth_session_verify(auth, req, identity);
        if (rc == GR_ENOTFOUND && auth->allow_anonymous) {
            *identity = auth->anonymous;
            rc = GR_OK;
        } else if (rc == GR_ENOTFOUND) {
            rc = gr_error_set(GR_EUNAUTH, "Missing credentials");
        } else if (rc < 0) {
            gr_audit_token_rejected("cookie", gr_error_last(), gr_req_client_addr(req),
                                    gr_req_path(req));
            if (rc != GR_EBACKEND)
                rc = gr_error_wrap(GR_EUNAUTH, "Invalid session");
        }
    }
    if (rc == GR_EUNAUTH && credential)
        gr_http_rate_limit_charge(req, GR_RATE_FAILED_CREDENTIALS);
    if (rc == GR_OK)
        gr_req_set_identity(req, identity);
    if (rc == GR_OK && identity->csrf_token != NULL && strncmp(gr_req_path(req), "/api/", 5) == 0)
        rc = auth_check_api_write(req);
    return rc;
}
