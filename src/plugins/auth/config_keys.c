/* SPDX-License-Identifier: MIT */
/* The config keys of authentication, sign-in providers, rate limits and permissions. */
#include "host/config/config.h"
#include "host/http/throttle.h"
#include "plugins/auth/plugin.h"

static const char *const resolver_names[] = {
    "emailMatchingUserEntityProfileEmail", "emailLocalPartMatchingUserEntityName",
    "usernameMatchingUserEntityName", "emailMatchingUserEntityAnnotation", NULL};
static const char *const token_auth_methods[] = {"client_secret_basic", "client_secret_post",
                                                 NULL};

#define DURATION_TYPES (GR_CONFIG_OBJECT | GR_CONFIG_INTEGER | GR_CONFIG_STRING)

/* The default of a rate limit key as JSON text, from the constant in throttle.h. */
#define RATE_STRING_TEXT(value) #value
#define RATE_STRING(value) RATE_STRING_TEXT(value)

/* The sign-in resolver keys of the provider at `base`. */
#define RESOLVER_KEYS(base)                                                                        \
    {.path = base ".signIn",                                                                       \
     .types = GR_CONFIG_OBJECT,                                                                    \
     .description = "How a signed-in person is matched to a User entity of the catalog."},         \
        {.path = base ".signIn.resolvers",                                                         \
         .types = GR_CONFIG_ARRAY,                                                                 \
         .description = "Resolvers tried in order; the first that finds exactly one user "         \
                        "wins."},                                                                  \
        {.path = base ".signIn.resolvers[].resolver",                                              \
         .types = GR_CONFIG_STRING,                                                                \
         .required = true,                                                                         \
         .allowed = resolver_names,                                                                \
         .description = "Resolver name, as in Backstage."},                                        \
        {.path = base ".signIn.resolvers[].dangerouslyAllowSignInWithoutUserInCatalog",            \
         .types = GR_CONFIG_BOOLEAN,                                                               \
         .description = "Sign in as user:default/<name> even when the catalog has no such "        \
                        "user. Anyone the provider accepts then gets in."},                        \
        {.path = base ".signIn.resolvers[].allowedDomains",                                        \
         .types = GR_CONFIG_ARRAY,                                                                 \
         .description = "emailLocalPartMatchingUserEntityName (and the other email "               \
                        "resolvers): the only email domains allowed to sign in."},                 \
        {.path = base ".signIn.resolvers[].allowedDomains[]",                                      \
         .types = GR_CONFIG_STRING,                                                                \
         .description = "One email domain, such as example.com."},                                 \
    {                                                                                              \
        .path = base ".signIn.resolvers[].annotation", .types = GR_CONFIG_STRING,                  \
        .description = "emailMatchingUserEntityAnnotation: the annotation holding the email."      \
    }

/* The keys shared by every identity-aware proxy provider at `base`. */
#define PROXY_KEYS(base)                                                                           \
    {.path = base,                                                                                 \
     .types = GR_CONFIG_OBJECT,                                                                    \
     .description = "Identity-aware proxy provider; every request through the proxy carries "      \
                    "a signed token that greenroom verifies."},                                    \
        {.path = base ".jwtHeader",                                                                \
         .types = GR_CONFIG_STRING,                                                                \
         .description = "Request header carrying the proxy's JWT."},                               \
        {.path = base ".jwksUrl",                                                                  \
         .types = GR_CONFIG_STRING,                                                                \
         .description = "URL of the proxy's JSON Web Key Set; keys are fetched only from "         \
                        "here."},                                                                  \
        {.path = base ".keyUrl",                                                                   \
         .types = GR_CONFIG_STRING,                                                                \
         .description = "URL with {kid} that returns one PEM public key per key id."},             \
        {.path = base ".publicKeyFile",                                                            \
         .types = GR_CONFIG_STRING,                                                                \
         .description = "PEM file with the proxy's public key or certificate."},                   \
        {.path = base ".issuer",                                                                   \
         .types = GR_CONFIG_STRING,                                                                \
         .description = "Required value of the token's iss claim."},                               \
        {.path = base ".audience",                                                                 \
         .types = GR_CONFIG_STRING,                                                                \
         .description = "Required value in the token's aud claim."},                               \
        {.path = base ".userHeader",                                                               \
         .types = GR_CONFIG_STRING,                                                                \
         .description = "Trusted-header mode: the header naming the user's email or name. "        \
                        "Needs dangerouslyTrustUserHeader."},                                      \
        {.path = base ".dangerouslyTrustUserHeader",                                               \
         .types = GR_CONFIG_BOOLEAN,                                                               \
         .description = "Trust userHeader without any signature. Only safe when nothing but the "  \
                        "proxy can reach greenroom."},                                             \
        RESOLVER_KEYS(base)

const gr_config_key gr_auth_plugin_keys[] = {
    {
        .path = "auth.environment",
        .types = GR_CONFIG_STRING,
        .default_json = "\"development\"",
        .description = "Which block of each OAuth provider's config is used "
                       "(auth.providers.oidc.<environment>). The guest provider works only in "
                       "development.",
    },
    {
        .path = "auth.backstageTokenExpiration",
        .types = DURATION_TYPES,
        .description = "Lifetime of identity tokens, and how long a session lasts without a "
                       "refresh: {minutes: 60} style, seconds, or \"1h\". From 10 minutes to 24 "
                       "hours; 1 hour when unset.",
    },
    {
        .path = "auth.sessionMaxAge",
        .types = DURATION_TYPES,
        .description = "Maximum age of a sign-in session: after it, refresh fails and the person "
                       "signs in again. At least the token lifetime. 7 days when unset.",
    },
    {
        .path = "auth.keyRotation",
        .types = DURATION_TYPES,
        .description = "How long one signing key signs tokens before a new key is made; old "
                       "public keys stay published until their last token expires. 6 hours "
                       "when unset.",
    },
    {
        .path = "auth.ownership.includeParentGroups",
        .types = GR_CONFIG_BOOLEAN,
        .default_json = "false",
        .description = "Add the parent groups (childOf, transitively) of a user's groups to the "
                       "ownership refs of its token.",
    },
    {
        .path = "auth.providers",
        .types = GR_CONFIG_OBJECT,
        .description = "Sign-in providers: guest, oidc, gcpIap, awsalb, cfaccess, oauth2Proxy.",
    },
    {
        .path = "auth.providers.guest",
        .types = GR_CONFIG_OBJECT,
        .description = "Guest sign-in for local development, without any password.",
    },
    {
        .path = "auth.providers.guest.userEntityRef",
        .types = GR_CONFIG_STRING,
        .description = "User entity ref that guests sign in as; user:development/guest when "
                       "unset.",
    },
    {
        .path = "auth.providers.guest.ownershipEntityRefs",
        .types = GR_CONFIG_ARRAY,
        .description = "Ownership refs of guests; those of the catalog user when unset.",
    },
    {
        .path = "auth.providers.guest.ownershipEntityRefs[]",
        .types = GR_CONFIG_STRING,
        .description = "One entity ref, such as group:default/team-a.",
    },
    {
        .path = "auth.providers.guest.dangerouslyAllowOutsideDevelopment",
        .types = GR_CONFIG_BOOLEAN,
        .description = "Allow guest sign-in when auth.environment is not development (false "
                       "when unset).",
    },
    {
        .path = "auth.providers.oidc",
        .types = GR_CONFIG_OBJECT,
        .description = "OpenID Connect sign-in, one block per auth.environment.",
    },
    {
        .path = "auth.providers.oidc.*.metadataUrl",
        .types = GR_CONFIG_STRING,
        .required = true,
        .description = "URL of the provider's discovery document "
                       "(.well-known/openid-configuration).",
    },
    {
        .path = "auth.providers.oidc.*.clientId",
        .types = GR_CONFIG_STRING,
        .required = true,
        .description = "OAuth client id registered with the provider.",
    },
    {
        .path = "auth.providers.oidc.*.clientSecret",
        .types = GR_CONFIG_STRING,
        .required = true,
        .secret = true,
        .description = "OAuth client secret.",
    },
    {
        .path = "auth.providers.oidc.*.callbackUrl",
        .types = GR_CONFIG_STRING,
        .description = "Redirect URI registered with the provider; "
                       "backend.baseUrl/api/auth/oidc/handler/frame when unset.",
    },
    {
        .path = "auth.providers.oidc.*.scope",
        .types = GR_CONFIG_STRING,
        .default_json = "\"openid profile email\"",
        .description = "Scopes requested, separated by spaces.",
    },
    {
        .path = "auth.providers.oidc.*.prompt",
        .types = GR_CONFIG_STRING,
        .description = "prompt parameter sent to the provider, such as login or consent.",
    },
    {
        .path = "auth.providers.oidc.*.tokenEndpointAuthMethod",
        .types = GR_CONFIG_STRING,
        .default_json = "\"client_secret_basic\"",
        .allowed = token_auth_methods,
        .description = "How the client authenticates at the token endpoint.",
    },
    RESOLVER_KEYS("auth.providers.oidc.*"),
    PROXY_KEYS("auth.providers.gcpIap"),
    PROXY_KEYS("auth.providers.awsalb"),
    {
        .path = "auth.providers.awsalb.region",
        .types = GR_CONFIG_STRING,
        .description = "AWS region of the load balancer; selects its public key URL.",
    },
    {
        .path = "auth.providers.awsalb.signer",
        .types = GR_CONFIG_STRING,
        .description = "ARN of the load balancer; tokens signed by another one are rejected.",
    },
    PROXY_KEYS("auth.providers.cfaccess"),
    {
        .path = "auth.providers.cfaccess.teamName",
        .types = GR_CONFIG_STRING,
        .description = "Cloudflare Access team name; selects the key set and issuer.",
    },
    PROXY_KEYS("auth.providers.oauth2Proxy"),
    {
        .path = "permission.enabled",
        .types = GR_CONFIG_BOOLEAN,
        .default_json = "false",
        .description = "Enforce permission.rules. When false, every signed-in user may do "
                       "everything.",
    },
    {
        .path = "permission.rules",
        .types = GR_CONFIG_ARRAY,
        .description = "The permission policy: rules of allow or deny, a list of permissions, "
                       "and optional when conditions; the first rule that applies decides. "
                       "See docs/security.md.",
    },
    {
        .path = "backend.rateLimit",
        .types = GR_CONFIG_OBJECT,
        .description = "Per-client rate limits. Past a limit, requests get 429 with a "
                       "Retry-After header. Limits count per client address: the TCP peer, or "
                       "behind a proxy named in backend.trustProxy the address its "
                       "X-Forwarded-For entry gives. See docs/security.md.",
    },
    {
        .path = "backend.rateLimit.window",
        .types = DURATION_TYPES,
        .default_json = RATE_STRING(GR_RATE_LIMIT_DEFAULT_WINDOW_S),
        .description = "Time in which each limit's count of requests is allowed, as in Backstage: "
                       "seconds, a string such as \"1m\", or an object such as {minutes: 1}. "
                       "A client may send a limit's count at once, then regains it evenly "
                       "over this time.",
    },
    {
        .path = "backend.rateLimit.incomingRequestLimit",
        .types = GR_CONFIG_INTEGER,
        .description = "Maximum requests from one client address per window, over every route, "
                       "as in Backstage. Unset or 0: no such limit.",
    },
    {
        .path = "backend.rateLimit.ipAllowList",
        .types = GR_CONFIG_ARRAY,
        .default_json = "[]",
        .description = "Client IP addresses that no limit applies to, such as a trusted proxy "
                       "or a monitoring host. Unlike Backstage, the default is empty, so "
                       "local clients are limited too.",
    },
    {
        .path = "backend.rateLimit.ipAllowList[]",
        .types = GR_CONFIG_STRING,
        .description = "One IPv4 or IPv6 address, such as 10.0.0.5 or ::1; ranges are not "
                       "supported.",
    },
    {
        .path = "backend.rateLimit.signInLimit",
        .types = GR_CONFIG_INTEGER,
        .default_json = RATE_STRING(GR_RATE_LIMIT_DEFAULT_SIGN_IN),
        .description = "Maximum sign-in requests (/api/auth/<provider>/start, /handler/frame "
                       "and /refresh) from one client address per window. 0: no limit.",
    },
    {
        .path = "backend.rateLimit.failedCredentialLimit",
        .types = GR_CONFIG_INTEGER,
        .default_json = RATE_STRING(GR_RATE_LIMIT_DEFAULT_FAILED_CREDENTIALS),
        .description = "Maximum rejected credentials (bearer tokens, session cookies, proxy "
                       "tokens) from one client address per window. Past it, the client's "
                       "requests with a credential get 429 before it is checked. 0: no limit.",
    },
    {
        .path = "backend.rateLimit.expensiveRequestLimit",
        .types = GR_CONFIG_INTEGER,
        .default_json = RATE_STRING(GR_RATE_LIMIT_DEFAULT_EXPENSIVE),
        .description = "Maximum requests that fetch or build (POST /api/catalog/locations, "
                       "/analyze-location and /refresh, and TechDocs syncs that start a build) "
                       "per signed-in subject, or per client address without one, per window. "
                       "0: no limit.",
    },
    {.path = NULL},
};
