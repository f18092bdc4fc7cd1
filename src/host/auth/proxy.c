/* SPDX-License-Identifier: MIT */
/* Identity-aware proxies: a header with a JWT signed by the proxy, or a trusted user header. */
#include "host/auth/proxy.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/jwks.h"
#include "host/auth/jwt.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"

/** Clock skew accepted on proxy tokens, in seconds. */
#define PROXY_LEEWAY_S 60
/** Maximum length of a trusted user header value. */
#define PROXY_MAX_USER_BYTES 320

typedef struct {
    const char *id;
    const char *header;
    const char *jwks_url;
    const char *issuer;
} proxy_defaults;

static const proxy_defaults known_proxies[] = {
    {"gcpIap", "x-goog-iap-jwt-assertion", "https://www.gstatic.com/iap/verify/public_key-jwk",
     "https://cloud.google.com/iap"},
    {"awsalb", "x-amzn-oidc-data", NULL, NULL},
    {"cfaccess", "cf-access-jwt-assertion", NULL, NULL},
    {"oauth2Proxy", NULL, NULL, NULL},
};

#define KNOWN_PROXY_COUNT (sizeof(known_proxies) / sizeof(known_proxies[0]))

struct gr_auth_proxy {
    char *id;
    char *header;
    char *issuer;
    char *audience;
    char *signer;
    int trust_user_header;
    gr_jwks *keys; /* NULL in trusted-header mode */
    gr_auth_resolvers resolvers;
};

static const proxy_defaults *proxy_find_defaults(const char *id)
{
    for (size_t i = 0; i < KNOWN_PROXY_COUNT; i++) {
        if (strcmp(known_proxies[i].id, id) == 0)
            return &known_proxies[i];
    }
    return NULL;
}

int gr_auth_proxy_is_known(const char *id)
{
    return proxy_find_defaults(id) != NULL;
}

void gr_auth_proxy_free(gr_auth_proxy *proxy)
{
    if (proxy == NULL)
        return;
    gr_jwks_free(proxy->keys);
    gr_auth_resolvers_clear(&proxy->resolvers);
    free(proxy->id);
    free(proxy->header);
    free(proxy->issuer);
    free(proxy->audience);
    free(proxy->signer);
    free(proxy);
}

const char *gr_auth_proxy_id(const gr_auth_proxy *proxy)
{
    return proxy->id;
}

const char *gr_auth_proxy_header(const gr_auth_proxy *proxy)
{
    return proxy->header;
}

const gr_auth_resolvers *gr_auth_proxy_resolvers(const gr_auth_proxy *proxy)
{
    return &proxy->resolvers;
}

static const char *config_string(const json_t *config, const char *key)
{
    return json_string_value(json_object_get(config, key));
}

static char *lower_copy(const char *text)
{
    char *copy = gr_xstrdup(text);

    for (char *p = copy; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

/* Sets up the trusted-header mode, which needs both keys so that it is never on by accident. */
static int proxy_trusted_header(gr_auth_proxy *proxy, const json_t *config)
{
    const char *user_header = config_string(config, "userHeader");
    int trusted = json_is_true(json_object_get(config, "dangerouslyTrustUserHeader"));

    if (user_header == NULL && !trusted)
        return 0;
    if (user_header == NULL || !trusted)
        return gr_error_set(GR_EINVALID,
                            "auth.providers.%s: userHeader and dangerouslyTrustUserHeader: true "
                            "must be set together to trust a plain user header",
                            proxy->id);
    proxy->trust_user_header = 1;
    gr_warn("auth",
            "auth.providers.%s: dangerouslyTrustUserHeader is true: whoever can reach greenroom "
            "without passing the proxy can sign in as any user by sending the header %s",
            proxy->id, user_header);
    free(proxy->header);
    proxy->header = lower_copy(user_header);
    return 1;
}

/* Works out the key source and expected issuer from the defaults and the config. */
static int proxy_keys(gr_auth_proxy *proxy, const proxy_defaults *defaults, const json_t *config)
{
    const char *jwks_url = config_string(config, "jwksUrl");
    const char *key_url = config_string(config, "keyUrl");
    const char *pem_file = config_string(config, "publicKeyFile");
    const char *issuer = config_string(config, "issuer");
    const char *team = config_string(config, "teamName");
    const char *region = config_string(config, "region");
    char *derived_url = NULL;
    char *derived_issuer = NULL;
    int rc;

    if (strcmp(proxy->id, "cfaccess") == 0 && team != NULL) {
        derived_url = gr_xasprintf("https://%s.cloudflareaccess.com/cdn-cgi/access/certs", team);
        derived_issuer = gr_xasprintf("https://%s.cloudflareaccess.com", team);
    } else if (strcmp(proxy->id, "awsalb") == 0 && region != NULL) {
        derived_url = gr_xasprintf("https://public-keys.auth.elb.%s.amazonaws.com/{kid}", region);
    }
    if (jwks_url == NULL && key_url == NULL && pem_file == NULL) {
        if (strcmp(proxy->id, "awsalb") == 0)
            key_url = derived_url;
        else
            jwks_url = derived_url ? derived_url : defaults->jwks_url;
    }
    if (issuer == NULL)
        issuer = derived_issuer ? derived_issuer : defaults->issuer;

    if (jwks_url == NULL && key_url == NULL && pem_file == NULL)
        rc = gr_error_set(GR_EINVALID,
                          "auth.providers.%s: set jwksUrl, keyUrl or publicKeyFile (or teamName "
                          "for cfaccess, region for awsalb) so that proxy tokens can be verified",
                          proxy->id);
    else if (issuer == NULL)
        rc = gr_error_set(GR_EINVALID, "auth.providers.%s.issuer: the expected token issuer is "
                                       "missing",
                          proxy->id);
    else
        rc = gr_jwks_new(&proxy->keys, jwks_url, key_url, pem_file);
    if (rc == GR_OK)
        proxy->issuer = gr_xstrdup(issuer);
    else
        gr_error_wrap(rc, "auth.providers.%s", proxy->id);
    free(derived_url);
    free(derived_issuer);
    return rc;
}

int gr_auth_proxy_new(gr_auth_proxy **out, const char *id, const json_t *config)
{
    const proxy_defaults *defaults = proxy_find_defaults(id);
    gr_auth_proxy *proxy;
    const char *header = config_string(config, "jwtHeader");
    const char *audience = config_string(config, "audience");
    const char *signer = config_string(config, "signer");
    char *path;
    int rc;

    if (defaults == NULL)
        return gr_error_set(GR_EINVALID, "auth.providers.%s is not a proxy provider", id);
    proxy = gr_xcalloc(1, sizeof(*proxy));
    proxy->id = gr_xstrdup(id);
    if (header == NULL)
        header = defaults->header;
    proxy->header = header ? lower_copy(header) : NULL;
    proxy->audience = audience ? gr_xstrdup(audience) : NULL;
    proxy->signer = signer ? gr_xstrdup(signer) : NULL;

    path = gr_xasprintf("auth.providers.%s", id);
    rc = gr_auth_resolvers_parse(config, path, NULL, &proxy->resolvers);
    free(path);
    if (rc == GR_OK && (rc = proxy_trusted_header(proxy, config)) == 0) {
        if (proxy->header == NULL)
            rc = gr_error_set(GR_EINVALID, "auth.providers.%s.jwtHeader: the header that carries "
                                           "the proxy's token is missing",
                              id);
        else if (strcmp(id, "gcpIap") == 0 && proxy->audience == NULL)
            rc = gr_error_set(GR_EINVALID, "auth.providers.gcpIap.audience: the IAP audience "
                                           "(/projects/NUMBER/global/backendServices/ID) is "
                                           "missing");
        else
            rc = proxy_keys(proxy, defaults, config);
    }
    if (rc < 0) {
        gr_auth_proxy_free(proxy);
        return rc;
    }
    *out = proxy;
    return GR_OK;
}

static int verify_trusted_value(const char *value, json_t **claims)
{
    size_t len = strlen(value);

    if (len == 0 || len > PROXY_MAX_USER_BYTES)
        return gr_error_set(GR_EUNAUTH, "trusted user header is empty or longer than %d bytes",
                            PROXY_MAX_USER_BYTES);
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)value[i] <= ' ' || value[i] == 0x7f)
            return gr_error_set(GR_EUNAUTH, "trusted user header has spaces or control "
                                            "characters");
    }
    *claims = strchr(value, '@') ? json_pack("{s:s}", "email", value)
                                 : json_pack("{s:s}", "preferred_username", value);
    return GR_OK;
}

int gr_auth_proxy_verify(gr_auth_proxy *proxy, const char *value, int64_t now, json_t **claims)
{
    gr_jwt jwt;
    gr_jwt_expect expect = {
        .issuer = proxy->issuer,
        .audience = proxy->audience,
        .now = now,
        .leeway_s = PROXY_LEEWAY_S,
        .require_exp = 1,
    };
    const char *signer;
    int rc;

    *claims = NULL;
    if (proxy->trust_user_header)
        return verify_trusted_value(value, claims);
    if ((rc = gr_jwt_parse(value, &jwt)) < 0)
        return gr_error_wrap(GR_EUNAUTH, "malformed proxy token");
    signer = json_string_value(json_object_get(jwt.header, "signer"));
    rc = gr_jwks_verify(proxy->keys, &jwt, now);
    if (rc == GR_OK)
        rc = gr_jwt_check_claims(jwt.payload, &expect);
    if (rc == GR_OK && proxy->signer != NULL && (signer == NULL || strcmp(signer, proxy->signer)))
        rc = gr_error_set(GR_EUNAUTH, "token signer is not the configured load balancer");
    if (rc == GR_OK)
        *claims = json_incref(jwt.payload);
    gr_jwt_clear(&jwt);
    return rc;
}

void gr_auth_proxy_profile(const json_t *claims, gr_auth_profile *profile)
{
    memset(profile, 0, sizeof(*profile));
    profile->email = json_string_value(json_object_get(claims, "email"));
    profile->username = json_string_value(json_object_get(claims, "preferred_username"));
    if (profile->username == NULL)
        profile->username = json_string_value(json_object_get(claims, "username"));
    profile->display_name = json_string_value(json_object_get(claims, "name"));
    profile->picture = json_string_value(json_object_get(claims, "picture"));
}
