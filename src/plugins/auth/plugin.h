/* SPDX-License-Identifier: MIT */
/* The auth plugin: the guest and OpenID Connect sign-in providers and the sign-in page. */
#ifndef GR_PLUGINS_AUTH_PLUGIN_H
#define GR_PLUGINS_AUTH_PLUGIN_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "greenroom/plugin.h"
#include "host/auth/auth.h"
#include "host/auth/jwks.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/registry/registry.h"

/** Name under which the auth plugin publishes its state (host.h, gr_host_lookup()). */
#define GR_AUTH_SERVICE "auth"

/**
 * The config keys of authentication, ended by an entry whose path is NULL:
 * the schema keys of the built-in's definition (gr_plugin_builtin.config_keys).
 * They cover the host's keys too (backend.auth, rate limits, permissions).
 */
extern const struct gr_config_key gr_auth_plugin_keys[];

/**
 * The plugin's entry point, as a shared-library plugin's gr_plugin_init().
 * Its setup installs the catalog's user lookup unless another is installed,
 * registers the configured guest and OIDC providers with
 * host->signin_provider_add() and the page GET /api/auth/sign-in, and
 * publishes its state under GR_AUTH_SERVICE for the UI's sign-in page.
 */
int gr_auth_plugin_entry(const gr_host_api *host, const gr_plugin_info **out);

/**
 * The init hook of the built-in definition: runs the entry's setup through
 * the adapter (host/plugin/plugin.h), whose destroy hook frees it
 * (gr_auth_plugin_destroy()). Returns 0 or the setup's error.
 */
int gr_auth_plugin_init(gr_host *host, void **state_out);

/** Frees what gr_auth_plugin_init() made. NULL-safe. */
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

    pthread_mutex_t lock; /* guards the discovery fields below */
    char *issuer;
    char *authorization_endpoint;
    char *token_endpoint;
    gr_jwks *keys;
} auth_oidc;

/** The plugin's state; its callbacks and routes receive it as payload. */
typedef struct auth_plugin {
    const gr_host_api *api;
    gr_host *host;
    gr_auth *auth;
    auth_guest guest;
    auth_oidc oidc;
} auth_plugin;

/**
 * Lists the sign-in providers that are configured and allowed here, in the
 * order a sign-in page shows them (gr_auth_signin_list()), as a new array
 * [{id, label, href}]. Each href starts the provider's sign-in and sends
 * the browser to `redirect`, which must be a local path ("/" is used for
 * anything else). Thread-safe.
 */
json_t *gr_auth_plugin_providers(const struct auth_plugin *plugin, const char *redirect);

/** Returns `requested` when it is a local path a sign-in may return to, else "/". */
const char *gr_auth_plugin_local_path(const char *requested);

/* Guest (guest.c). */
int auth_guest_configure(auth_plugin *plugin, const gr_config *cfg);
void auth_guest_clear(auth_guest *guest);
/** Proves the guest's identity: start and refresh of the guest provider (gr_plugin_signin_fn). */
int auth_guest_sign_in(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                       void *payload);

/* OIDC (oidc.c). */
int auth_oidc_configure(auth_plugin *plugin, const gr_config *cfg);
void auth_oidc_clear(auth_oidc *oidc);
/** Sends the browser to the provider: start of the OIDC provider (gr_plugin_signin_fn). */
int auth_oidc_start(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                    void *payload);
/** Checks the provider's response and its ID token: handler/frame of the OIDC provider. */
int auth_oidc_callback(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                       void *payload);

#endif
