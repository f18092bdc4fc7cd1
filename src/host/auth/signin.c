/* SPDX-License-Identifier: MIT */
/* Sign-in providers and the routes that sign users in and out under /api/auth/:provider. */
#include "host/auth/signin.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/auth/audit.h"
#include "host/auth/cookie.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/http.h"

/** Maximum length of a provider id, in bytes. */
#define SIGNIN_ID_MAX 32
/** Maximum length of a user ref a provider returns, in bytes. */
/** Maximum length of each part (kind, namespace, name) of a ref a provider returns. */
#define SIGNIN_REF_PART_MAX 63
/** Maximum total length of the ownership refs a provider returns, so the session cookie fits. */
#define SIGNIN_OWNERSHIP_BYTES_MAX 3072

/* One registered provider: the copy of its descriptor (id and label owned) and its resolvers. */
typedef struct {
    gr_auth_signin_provider def;
    gr_auth_resolvers resolvers;
} signin_entry;

struct gr_auth_signin {
    signin_entry *items[GR_AUTH_MAX_SIGNIN_PROVIDERS];
    size_t count;
};

/* The proxy providers gr_auth_new() may configure, in the order of the sign-in page. */
static const char *const proxy_ids[] = {"gcpIap", "awsalb", "cfaccess", "oauth2Proxy"};

gr_auth_signin *gr_auth_signin_new(void)
{
    return gr_xcalloc(1, sizeof(gr_auth_signin));
}

static void entry_free(signin_entry *entry)
{
    if (entry->def.free_payload != NULL)
        entry->def.free_payload(entry->def.payload);
    gr_auth_resolvers_clear(&entry->resolvers);
    free((char *)entry->def.id);
    free((char *)entry->def.label);
    free(entry);
}

void gr_auth_signin_free(gr_auth_signin *signin)
{
    if (signin == NULL)
        return;
    for (size_t i = 0; i < signin->count; i++)
        entry_free(signin->items[i]);
    free(signin);
}

static const signin_entry *find_entry(const gr_auth *auth, const char *id)
{
    const gr_auth_signin *signin = gr_auth_signin_registry(auth);

    for (size_t i = 0; id != NULL && i < signin->count; i++) {
        if (strcmp(signin->items[i]->def.id, id) == 0)
            return signin->items[i];
    }
    return NULL;
}

static bool id_valid(const char *id)
{
    size_t len = id != NULL ? strlen(id) : 0;

    if (len == 0 || len > SIGNIN_ID_MAX || !((id[0] >= 'a' && id[0] <= 'z') ||
                                            (id[0] >= 'A' && id[0] <= 'Z')))
        return false;
    for (const char *p = id; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    }
    return true;
}

static int check_provider(const gr_auth *auth, const gr_auth_signin_provider *provider)
{
    const char *id = provider->id;

    if (!id_valid(id))
        return gr_error_set(GR_EINVALID,
                            "sign-in provider id '%s' is invalid: use 1 to %d letters, digits, "
                            "'-' and '_', starting with a letter",
                            id != NULL ? id : "", SIGNIN_ID_MAX);
    if (provider->label == NULL || provider->label[0] == '\0' || provider->start == NULL)
        return gr_error_set(GR_EINVALID, "sign-in provider '%s' needs a label and a start callback",
                            id);
    if (find_entry(auth, id) != NULL || gr_auth_proxy_get(auth, id) != NULL)
        return gr_error_set(GR_ECONFLICT, "sign-in provider '%s' is registered already", id);
    if (gr_auth_signin_registry(auth)->count >= GR_AUTH_MAX_SIGNIN_PROVIDERS)
        return gr_error_set(GR_ELIMIT, "more than %d sign-in providers",
                            GR_AUTH_MAX_SIGNIN_PROVIDERS);
    return GR_OK;
}

/*
 * Reads auth.providers.<id>.<environment>.signIn, when the block exists.
 * TODO: the config schema declares these keys for the built-in providers
 * only, so `config check` reports them as unknown (a warning) for a
 * provider that a shared-library plugin registers.
 */
static int read_resolvers(const gr_auth *auth, const char *id, gr_auth_resolvers *out)
{
    const char *environment = gr_auth_environment(auth);
    char *providers_path = gr_xasprintf("auth.providers.%s", id);
    const json_t *block =
        json_object_get(gr_config_node(gr_auth_config(auth), providers_path), environment);
    char *path = gr_xasprintf("%s.%s", providers_path, environment);
    int rc = GR_OK;

    if (json_is_object(block))
        rc = gr_auth_resolvers_parse(block, path, NULL, out);
    out->include_parent_groups = gr_auth_include_parent_groups(auth);
    free(path);
    free(providers_path);
    return rc;
}

int gr_auth_signin_add(gr_auth *auth, const gr_auth_signin_provider *provider)
{
    gr_auth_signin *signin = gr_auth_signin_registry(auth);
    signin_entry *entry;
    int rc;

    if ((rc = check_provider(auth, provider)) < 0) {
        if (provider->free_payload != NULL)
            provider->free_payload(provider->payload);
        return rc;
    }
    entry = gr_xcalloc(1, sizeof(*entry));
    entry->def = *provider;
    entry->def.id = gr_xstrdup(provider->id);
    entry->def.label = gr_xstrdup(provider->label);
    if ((rc = read_resolvers(auth, provider->id, &entry->resolvers)) < 0) {
        entry_free(entry);
        return rc;
    }
    signin->items[signin->count++] = entry;
    return GR_OK;
}

void gr_auth_signin_remove(gr_auth *auth, const void *owner)
{
    gr_auth_signin *signin = gr_auth_signin_registry(auth);
    size_t remaining = 0;

    for (size_t i = 0; i < signin->count; i++) {
        if (signin->items[i]->def.owner == owner)
            entry_free(signin->items[i]);
        else
            signin->items[remaining++] = signin->items[i];
    }
    signin->count = remaining;
}

void gr_auth_url_encode(gr_buf *out, const char *text)
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

/* Returns whether `text` contains a control character, which a Location header must not carry. */
static bool has_control(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return true;
    }
    return false;
}

const char *gr_auth_local_path(const char *requested)
{
    /* "//host" and "/\\host" would leave the site; control characters would split or
     * corrupt headers. */
    if (requested == NULL || requested[0] != '/' || requested[1] == '/' || requested[1] == '\\' ||
        has_control(requested))
        return "/";
    return requested;
}

const char *gr_auth_safe_redirect(const gr_auth *auth, gr_request *req, const char *requested)
{
    const char *app = gr_auth_app_url(auth);
    size_t app_len = strlen(app);

    if (requested != NULL && has_control(requested))
        requested = NULL;
    if (requested != NULL && requested[0] == '/' && requested[1] != '/' && requested[1] != '\\')
        return gr_arena_printf(gr_req_arena(req), "%s%s", app, requested);
    if (requested != NULL && strncmp(requested, app, app_len) == 0 &&
        (requested[app_len] == '/' || requested[app_len] == '\0'))
        return requested;
    return gr_arena_printf(gr_req_arena(req), "%s/", app);
}

/* One line of the sign-in page, before sorting. */
typedef struct {
    const char *id;
    const char *label;
    int order;
} listed_provider;

static void add_listed(json_t *list, const listed_provider *provider, const char *redirect)
{
    gr_buf url = GR_BUF_INIT;

    gr_buf_printf(&url, "/api/auth/%s/start?redirect=", provider->id);
    gr_auth_url_encode(&url, redirect);
    json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", provider->id, "label",
                                          provider->label, "href", gr_buf_cstr(&url)));
    gr_buf_free(&url);
}

json_t *gr_auth_signin_list(const gr_auth *auth, const char *redirect)
{
    const gr_auth_signin *signin = gr_auth_signin_registry(auth);
    listed_provider listed[GR_AUTH_MAX_SIGNIN_PROVIDERS + sizeof(proxy_ids) / sizeof(proxy_ids[0])];
    size_t count = 0;
    json_t *list = json_array();

    redirect = gr_auth_local_path(redirect);
    for (size_t i = 0; i < signin->count; i++)
        listed[count++] = (listed_provider){signin->items[i]->def.id, signin->items[i]->def.label,
                                            signin->items[i]->def.order};
    for (size_t i = 0; i < sizeof(proxy_ids) / sizeof(proxy_ids[0]); i++) {
        if (gr_auth_proxy_get(auth, proxy_ids[i]) != NULL)
            listed[count++] = (listed_provider){proxy_ids[i], proxy_ids[i], GR_AUTH_PROXY_ORDER};
    }

    /* A stable insertion sort by order keeps registration order among equals. */
    for (size_t i = 1; i < count; i++) {
        listed_provider moving = listed[i];
        size_t j = i;

        for (; j > 0 && listed[j - 1].order > moving.order; j--)
            listed[j] = listed[j - 1];
        listed[j] = moving;
    }
    for (size_t i = 0; i < count; i++)
        add_listed(list, &listed[i], redirect);
    return list;
}

/* ---- Finishing a sign-in ---- */

/* Sends a failed sign-in: an audit line, then 401 (or the code's status) with the reason. */
static int sign_in_failed(gr_request *req, gr_response *res, const char *provider, int code)
{
    const char *reason = gr_error_last()[0] != '\0'
                             ? gr_arena_strdup(gr_req_arena(req), gr_error_last())
                             : gr_arena_printf(gr_req_arena(req),
                                               "sign-in provider %s failed (code %d) without "
                                               "a message",
                                               provider, code);

    gr_audit_sign_in_failed(provider, reason, gr_req_client_addr(req));
    if (code == GR_ENOTFOUND || code == GR_ECONFLICT || code == GR_EINVALID)
        code = GR_EUNAUTH; /* the sign-in failed, whatever error the lookup returned */
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

/* Writes the sign-in result: the session cookie and, unless `redirect`, Backstage's session
 * response. With `redirect` the response is a 302 to it. */
static int finish_sign_in(gr_auth *auth, gr_request *req, gr_response *res, const char *provider,
                          const gr_auth_user *user, const gr_auth_profile *profile,
                          const char *redirect)
{
    char *token = NULL;
    char *cookie;
    int rc;

    if ((rc = gr_auth_issue(auth, user, &token, NULL)) < 0)
        return rc;
    cookie = gr_auth_session_cookie(auth, token);
    gr_res_header_add(res, "Set-Cookie", cookie);
    gr_res_header(res, "Cache-Control", "no-store");
    free(cookie);
    gr_audit_sign_in(provider, user->user_ref, gr_req_client_addr(req));

    if (redirect != NULL)
        rc = gr_res_redirect(res, 302, redirect);
    else
        rc = gr_res_json(res, 200, session_response(user, profile, token, gr_auth_token_ttl(auth)));
    free(token);
    return rc;
}

static void result_init(gr_plugin_signin_result *result, const char *redirect)
{
    memset(result, 0, sizeof(*result));
    result->struct_size = sizeof(*result);
    result->redirect = redirect;
}

static void profile_of(const gr_plugin_signin_result *result, gr_auth_profile *profile)
{
    profile->email = result->email;
    profile->username = result->username;
    profile->display_name = result->display_name;
    profile->picture = result->picture;
}

/* Returns whether a start callback proved an identity rather than sending a response. */
static bool identified(const gr_plugin_signin_result *result)
{
    return result->user_ref != NULL || result->email != NULL || result->username != NULL ||
           result->display_name != NULL || result->picture != NULL;
}

/*
 * Returns whether `ref` is a full entity ref "kind:namespace/name" of kind
 * `kind` (NULL: any), whose parts are 1 to SIGNIN_REF_PART_MAX letters,
 * digits, '-', '_' or '.', starting and ending with a letter or digit.
 */
static bool ref_valid(const char *ref, const char *kind)
{
    const char *colon = strchr(ref, ':');
    const char *slash = colon != NULL ? strchr(colon + 1, '/') : NULL;

    if (slash == NULL || (kind != NULL && (strlen(kind) != (size_t)(colon - ref) ||
                                           strncasecmp(ref, kind, strlen(kind)) != 0)))
        return false;
    for (const char *p = ref, *start = ref; ; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '\0' || p == colon || p == slash) {
            if (p == start || p - start > SIGNIN_REF_PART_MAX ||
                !isalnum((unsigned char)*start) || !isalnum((unsigned char)p[-1]))
                return false;
            if (c == '\0')
                return true;
            start = p + 1;
            continue;
        }
        if (!isalnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
}

int gr_auth_signin_result_check(const gr_plugin_signin_result *result)
{
    size_t total = 0;

    if (!ref_valid(result->user_ref, "user"))
        return gr_error_set(GR_EINVALID, "the provider returned a user ref that is not of the form "
                                         "user:namespace/name with letters, digits, '-', '_' and "
                                         "'.' (at most %d each)",
                            SIGNIN_REF_PART_MAX);
    if (result->ownership_count > GR_AUTH_MAX_OWNERSHIP - 1)
        return gr_error_set(GR_EINVALID, "the provider returned %zu ownership refs; at most %d "
                                         "are allowed",
                            result->ownership_count, GR_AUTH_MAX_OWNERSHIP - 1);
    for (size_t i = 0; result->ownership != NULL && i < result->ownership_count; i++) {
        if (result->ownership[i] == NULL || !ref_valid(result->ownership[i], NULL))
            return gr_error_set(GR_EINVALID, "the provider returned ownership ref %zu, which is not "
                                             "a full entity ref such as group:default/team-a",
                                i);
        total += strlen(result->ownership[i]);
    }
    if (total > SIGNIN_OWNERSHIP_BYTES_MAX)
        return gr_error_set(GR_EINVALID, "the provider returned %zu bytes of ownership refs; at "
                                         "most %d fit in a session cookie",
                            total, SIGNIN_OWNERSHIP_BYTES_MAX);
    return GR_OK;
}

/*
 * Makes the user of `result`: the user ref it names, with its ownership refs or else
 * those of its catalog entity (the ref alone when the catalog has none), or else the
 * user the provider's resolvers find for its profile.
 */
static int user_of(gr_auth *auth, const signin_entry *entry, const gr_plugin_signin_result *result,
                   const gr_auth_profile *profile, gr_auth_user **out)
{
    const gr_auth_user_lookup *lookup = gr_auth_user_lookup_get(auth);
    json_t *entity = NULL;
    int rc;

    *out = NULL;
    if (result->user_ref == NULL)
        return gr_auth_resolve(&entry->resolvers, lookup, profile, out);
    if ((rc = gr_auth_signin_result_check(result)) < 0)
        return rc;
    if (result->ownership != NULL) {
        *out = gr_auth_user_new(result->user_ref, result->ownership,
                                result->ownership_count);
        return GR_OK;
    }
    if (lookup != NULL && lookup->get_entity(lookup->payload, result->user_ref, &entity) == GR_OK) {
        rc = gr_auth_user_from_entity(entity, lookup, gr_auth_include_parent_groups(auth), out);
        json_decref(entity);
        return rc;
    }
    gr_error_clear();
    *out = gr_auth_user_new(result->user_ref, NULL, 0);
    return GR_OK;
}

/* Signs in the user that a start or frame callback proved and redirects the browser. */
static int complete(gr_auth *auth, const signin_entry *entry, gr_request *req, gr_response *res,
                    const gr_plugin_signin_result *result)
{
    gr_auth_user *user = NULL;
    gr_auth_profile profile;
    int rc;

    profile_of(result, &profile);
    if ((rc = user_of(auth, entry, result, &profile, &user)) < 0)
        return sign_in_failed(req, res, entry->def.id, rc);
    rc = finish_sign_in(auth, req, res, entry->def.id, user, &profile,
                        gr_auth_safe_redirect(auth, req, result->redirect));
    gr_auth_user_free(user);
    return rc;
}

/* ---- Routes ---- */

static int require_xhr(gr_request *req)
{
    const char *value = gr_req_header(req, "X-Requested-With");

    if (value == NULL || strcmp(value, "XMLHttpRequest") != 0)
        return gr_error_set(GR_EUNAUTH, "Invalid X-Requested-With header");
    return GR_OK;
}

/* Signs in through the identity-aware proxy `proxy` and finishes like any provider. */
static int proxy_sign_in(gr_auth *auth, gr_auth_proxy *proxy, gr_request *req, gr_response *res,
                         const char *redirect)
{
    gr_auth_user *user = NULL;
    json_t *claims = NULL;
    gr_auth_profile profile;
    int rc;

    rc = gr_auth_proxy_sign_in(auth, proxy, req, &user, &claims);
    if (rc < 0)
        return sign_in_failed(req, res, gr_auth_proxy_id(proxy), rc);
    gr_auth_proxy_profile(claims, &profile);
    rc = finish_sign_in(auth, req, res, gr_auth_proxy_id(proxy), user, &profile, redirect);
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
    gr_auth *auth = payload;
    const char *provider = gr_req_param(req, "provider");
    const char *redirect = gr_auth_safe_redirect(auth, req, gr_req_query(req, "redirect"));
    const signin_entry *entry = find_entry(auth, provider);
    gr_auth_proxy *proxy = gr_auth_proxy_get(auth, provider);
    gr_plugin_signin_result result;
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_SIGN_IN, NULL)) < 0)
        return rc;
    if (proxy != NULL)
        return proxy_sign_in(auth, proxy, req, res, redirect);
    if (entry == NULL)
        return unknown_provider(provider);

    result_init(&result, redirect);
    if ((rc = entry->def.start(req, res, &result, entry->def.payload)) < 0)
        return sign_in_failed(req, res, entry->def.id, rc);
    /* A start that proved no identity sent its own response: a redirect or a form. */
    if (!identified(&result))
        return GR_OK;
    return complete(auth, entry, req, res, &result);
}

static int handle_frame(gr_request *req, gr_response *res, void *payload)
{
    gr_auth *auth = payload;
    const char *provider = gr_req_param(req, "provider");
    const signin_entry *entry = find_entry(auth, provider);
    gr_plugin_signin_result result;
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_SIGN_IN, NULL)) < 0)
        return rc;
    if (entry == NULL || entry->def.frame == NULL)
        return unknown_provider(provider);

    result_init(&result, gr_auth_safe_redirect(auth, req, NULL));
    if ((rc = entry->def.frame(req, res, &result, entry->def.payload)) < 0)
        return sign_in_failed(req, res, entry->def.id, rc);
    return complete(auth, entry, req, res, &result);
}

/* Refreshes a cookie session: a new token of the same session and identity,
 * until the session reaches auth.sessionMaxAge. */
static int refresh_session(gr_auth *auth, gr_request *req, gr_response *res)
{
    gr_identity identity;
    gr_auth_user *user;
    char *token = NULL;
    char *cookie;
    int rc;

    if ((rc = gr_auth_session_verify(auth, req, &identity)) < 0) {
        if (rc != GR_EBACKEND && rc != GR_ENOTFOUND)
            gr_http_rate_limit_charge(req, GR_RATE_FAILED_CREDENTIALS);
        return rc == GR_EBACKEND ? rc : gr_error_wrap(GR_EUNAUTH, "Refresh failed");
    }
    if ((rc = gr_auth_refresh(auth, &identity, &token, NULL)) < 0)
        return rc == GR_EBACKEND ? rc : gr_error_wrap(GR_EUNAUTH, "Refresh failed");
    user = gr_auth_user_new(identity.subject, identity.ownership, identity.ownership_count);
    cookie = gr_auth_session_cookie(auth, token);
    gr_res_header_add(res, "Set-Cookie", cookie);
    gr_res_header(res, "Cache-Control", "no-store");
    free(cookie);
    rc = gr_res_json(res, 200, session_response(user, NULL, token, gr_auth_token_ttl(auth)));
    free(token);
    gr_auth_user_free(user);
    return rc;
}

/*
 * Refreshes through a provider that signs in without a round trip, such as
 * the guest provider. The caller's own cookie session is renewed, so that a
 * page refreshing every few minutes keeps one session. Without one, the
 * provider's user is signed in, as Backstage's guest provider does. A
 * cookie that fails verification is logged first.
 */
static int provider_refresh(gr_auth *auth, const signin_entry *entry, gr_request *req,
                            gr_response *res)
{
    gr_identity identity;
    gr_plugin_signin_result result;
    gr_auth_profile profile;
    gr_auth_user *user = NULL;
    int session = gr_auth_session_verify(auth, req, &identity);
    int rc;

    if (session == GR_EBACKEND)
        return session;
    if (session < 0 && session != GR_ENOTFOUND) {
        gr_audit_token_rejected("cookie", gr_error_last(), gr_req_client_addr(req),
                                gr_req_path(req));
        gr_http_rate_limit_charge(req, GR_RATE_FAILED_CREDENTIALS);
    }
    gr_error_clear();

    result_init(&result, gr_auth_safe_redirect(auth, req, NULL));
    if ((rc = entry->def.refresh(req, res, &result, entry->def.payload)) < 0)
        return sign_in_failed(req, res, entry->def.id, rc);
    profile_of(&result, &profile);
    if ((rc = user_of(auth, entry, &result, &profile, &user)) < 0)
        return sign_in_failed(req, res, entry->def.id, rc);
    if (session == GR_OK && strcmp(identity.subject, user->user_ref) == 0)
        rc = refresh_session(auth, req, res);
    else
        rc = finish_sign_in(auth, req, res, entry->def.id, user, &profile, NULL);
    gr_auth_user_free(user);
    return rc;
}

static int handle_refresh(gr_request *req, gr_response *res, void *payload)
{
    gr_auth *auth = payload;
    const char *provider = gr_req_param(req, "provider");
    const signin_entry *entry = find_entry(auth, provider);
    gr_auth_proxy *proxy = gr_auth_proxy_get(auth, provider);
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_SIGN_IN, NULL)) < 0)
        return rc;
    if (entry == NULL && proxy == NULL)
        return unknown_provider(provider);
    if ((rc = require_xhr(req)) < 0)
        return rc;
    if (proxy != NULL)
        return proxy_sign_in(auth, proxy, req, res, NULL);
    if (entry->def.refresh != NULL)
        return provider_refresh(auth, entry, req, res);
    return refresh_session(auth, req, res);
}

/* Protects sign-out from cross-site forgery. Scripts send X-Requested-With, which another
 * site cannot add without a CORS preflight that greenroom never grants. So for scripts the
 * Origin check is enough, while forms must send the CSRF token. */
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
static const gr_identity *bearer_session(gr_auth *auth, gr_request *req)
{
    const gr_identity *identity;

    if (gr_req_header(req, "Authorization") == NULL || gr_auth_authenticate(req, auth) != GR_OK) {
        gr_error_clear();
        return NULL;
    }
    identity = gr_req_identity(req);
    return identity != NULL && identity->session_id != NULL ? identity : NULL;
}

static int handle_logout(gr_request *req, gr_response *res, void *payload)
{
    gr_auth *auth = payload;
    const char *provider = gr_req_param(req, "provider");
    gr_identity *cookie_identity = gr_arena_calloc(gr_req_arena(req), sizeof(*cookie_identity));
    const gr_identity *identity = NULL;
    char *cookie;
    int rc;

    if (find_entry(auth, provider) == NULL && gr_auth_proxy_get(auth, provider) == NULL)
        return unknown_provider(provider);
    if (gr_auth_session_verify(auth, req, cookie_identity) == GR_OK) {
        gr_req_set_identity(req, cookie_identity);
        if ((rc = logout_check(req, cookie_identity)) < 0)
            return rc;
        identity = cookie_identity;
    } else {
        identity = bearer_session(auth, req);
    }
    gr_error_clear();

    if (identity != NULL && (rc = gr_auth_sign_out(auth, identity)) < 0)
        return rc;
    gr_audit_sign_out(provider, identity != NULL ? identity->subject : NULL,
                      gr_req_client_addr(req));
    cookie = gr_auth_session_cookie(auth, NULL);
    gr_res_header_add(res, "Set-Cookie", cookie);
    free(cookie);
    gr_res_status(res, 200);
    return GR_OK;
}

int gr_auth_signin_routes(gr_http_server *http, gr_auth *auth)
{
    int rc;

    if ((rc = gr_http_route(http, "GET", "/api/auth/:provider/start", GR_ROUTE_PUBLIC,
                            handle_start, auth)) < 0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/:provider/handler/frame", GR_ROUTE_PUBLIC,
                            handle_frame, auth)) < 0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/:provider/refresh", GR_ROUTE_PUBLIC,
                            handle_refresh, auth)) < 0)
        return rc;
    return gr_http_route(http, "POST", "/api/auth/:provider/logout", GR_ROUTE_PUBLIC,
                         handle_logout, auth);
}
