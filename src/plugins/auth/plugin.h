/* SPDX-License-Identifier: MIT */
/* The auth plugin: sign-in providers and routes under /api/auth. */
#ifndef GR_PLUGINS_AUTH_PLUGIN_H
#define GR_PLUGINS_AUTH_PLUGIN_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "host/auth/auth.h"
#include "host/auth/jwks.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/permission/authorize.h"
#include "host/registry/registry.h"

#include "host/config/config.h"

/** Name under which the auth plugin publishes its state (host.h, gr_host_lookup()). */
#define GR_AUTH_SERVICE "auth"

/** The config keys the auth plugin reads, ended by an entry whose path is NULL. */
extern const struct gr_config_key gr_auth_plugin_keys[];

/** Plugin hooks for src/plugins/builtin.c. */
int gr_auth_plugin_init(gr_host *host, void **state_out);
void gr_auth_plugin_destroy(void *state);

/** Lifetime of the sign-in state cookie of the OIDC flow, in seconds. */
#define AUTH_FLOW_TTL_S 600

/** The guest provider, when configured and allowed in this environment. */
typedef struct {
    bool enabled;
    char *user_ref;
    json_t *ownership; /* array of refs, or NULL: the catalog's or just the user ref */
} auth_guest;

/** One OIDC provider: auth.providers.oidc.<environment>. */
typedef struct {
    bool enabled;
    char *metadata_url;
    char *client_id;
    char *client_secret;
    char *callback_url;
    char *scope;
    char *prompt;
    bool secret_in_body; /* tokenEndpointAuthMethod client_secret_post */
    gr_auth_resolvers resolvers;

    pthread_mutex_t lock; /* guards the discovery fields below */
    char *issuer;
    char *authorization_endpoint;
    char *token_endpoint;
    gr_jwks *keys;
} auth_oidc;

/** The plugin's state; routes receive it as payload. */
typedef struct auth_plugin {
    gr_host *host;
    gr_auth *auth;
    auth_guest guest;
    auth_oidc oidc;
    gr_permission_authorize_ctx authorize;
} auth_plugin;

/**
 * Lists the sign-in providers that are configured and allowed here, in the
 * order a sign-in page shows them (OIDC, identity-aware proxies, guest), as
 * a new array [{id, label, href}]. Each href starts the provider's sign-in
 * and sends the browser to `redirect` after it, which must be a local path
 * ("/" is used for anything else). Thread-safe.
 */
json_t *gr_auth_plugin_providers(const struct auth_plugin *plugin, const char *redirect);

/** Returns `requested` when it is a local path a sign-in may return to, else "/". */
const char *gr_auth_plugin_local_path(const char *requested);

/* Shared helpers (plugin.c). */

/** Writes the sign-in result: the session cookie and, unless `redirect`, Backstage's
 * session response. With `redirect` the response is a 302 to it. */
int auth_plugin_finish_sign_in(auth_plugin *plugin, gr_request *req, gr_response *res,
                               const char *provider, const gr_auth_user *user,
                               const gr_auth_profile *profile, const char *redirect);

/** Returns a safe place to send the browser after sign-in: a same-origin path or URL from
 * `requested`, else the app's home. Arena memory. */
const char *auth_plugin_safe_redirect(auth_plugin *plugin, gr_request *req, const char *requested);

/** Answers a failed sign-in: audit line, then 401 (or the code's status) with the reason. */
int auth_plugin_sign_in_failed(gr_request *req, gr_response *res, const char *provider, int code);

/** Percent-encodes `text` for a URL query or form body (unreserved characters stay). */
void auth_plugin_url_encode(gr_buf *out, const char *text);

/* Guest (guest.c). */
int auth_guest_configure(auth_plugin *plugin, const gr_config *cfg);
void auth_guest_clear(auth_guest *guest);
int auth_guest_sign_in(auth_plugin *plugin, gr_auth_user **out);

/* OIDC (oidc.c). */
int auth_oidc_configure(auth_plugin *plugin, const gr_config *cfg);
void auth_oidc_clear(auth_oidc *oidc);
int auth_oidc_start(auth_plugin *plugin, gr_request *req, gr_response *res);
int auth_oidc_callback(auth_plugin *plugin, gr_request *req, gr_response *res);

#endif
