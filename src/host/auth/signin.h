/* SPDX-License-Identifier: MIT */
/* Sign-in providers and the routes that sign users in and out under /api/auth/:provider. */
#ifndef GR_HOST_AUTH_SIGNIN_H
#define GR_HOST_AUTH_SIGNIN_H

#include <jansson.h>

#include "greenroom/plugin.h"
#include "host/auth/auth.h"
#include "host/common/buf.h"

typedef struct gr_http_server gr_http_server;

/** Maximum number of sign-in providers registered together. */
#define GR_AUTH_MAX_SIGNIN_PROVIDERS 16
/** Position of the identity-aware proxies on the sign-in page (gr_plugin_signin_provider.order). */
#define GR_AUTH_PROXY_ORDER 100

/** The registered providers of one gr_auth (made by gr_auth_new()). */
typedef struct gr_auth_signin gr_auth_signin;

/**
 * A sign-in provider as the host keeps it. The callbacks have the contract
 * of gr_plugin_signin_fn (greenroom/plugin.h). `owner` names who registered
 * it, for gr_auth_signin_remove(); `free_payload` (or NULL) runs on the
 * payload when the registry is freed.
 */
typedef struct {
    const char *id;
    const char *label;
    int order;
    gr_plugin_signin_fn start;
    gr_plugin_signin_fn frame;
    gr_plugin_signin_fn refresh;
    void *payload;
    void (*free_payload)(void *payload);
    const void *owner;
} gr_auth_signin_provider;

/** Makes an empty registry. Caller frees with gr_auth_signin_free(). */
gr_auth_signin *gr_auth_signin_new(void);

/** Frees the registry and the payloads it owns. NULL-safe. */
void gr_auth_signin_free(gr_auth_signin *signin);

/**
 * Registers `provider` (copied, strings included) and reads its resolvers
 * from auth.providers.<id>.<auth.environment>.signIn of the config. On
 * failure the payload is freed with `free_payload`. Call while plugins set
 * up, before serving: the registry takes no lock. Returns 0, GR_EINVALID
 * for a bad id, label or start callback or a bad resolver config,
 * GR_ECONFLICT when the id or a proxy provider of that name exists, or
 * GR_ELIMIT past GR_AUTH_MAX_SIGNIN_PROVIDERS.
 */
int gr_auth_signin_add(gr_auth *auth, const gr_auth_signin_provider *provider);

/** Removes the providers that `owner` registered, as when its setup failed. */
void gr_auth_signin_remove(gr_auth *auth, const void *owner);

/**
 * Lists the sign-in providers (registered ones and configured proxies) in
 * the order of the sign-in page, as a new array [{id, label, href}]. Each
 * href starts the provider's sign-in and returns the browser to
 * `redirect`, which must be a local path ("/" is used for anything else).
 * Thread-safe while serving.
 */
json_t *gr_auth_signin_list(const gr_auth *auth, const char *redirect);

/** Returns `requested` when it is a local path a sign-in may return to, else "/". */
const char *gr_auth_local_path(const char *requested);

/** Appends `text` percent-encoded for a URL query or form body (unreserved characters stay). */
void gr_auth_url_encode(gr_buf *out, const char *text);

/**
 * Returns a safe place to send the browser after sign-in: a same-origin
 * path or URL from `requested`, else the app's home (request arena).
 */
const char *gr_auth_safe_redirect(const gr_auth *auth, gr_request *req, const char *requested);

/**
 * Registers the public sign-in routes on `http`: GET /api/auth/:provider/
 * start, handler/frame and refresh (rate-limited as sign-in), and POST
 * /api/auth/:provider/logout. `auth` is borrowed for the life of the
 * server. Returns 0 or the error of gr_http_route().
 */
int gr_auth_signin_routes(gr_http_server *http, gr_auth *auth);

/**
 * Checks the refs that a provider's callback put in `result` before they go
 * into a token. The user ref must be a full "user:namespace/name" ref, and
 * each ownership ref a full entity ref. Each part has 1 to 63 letters,
 * digits, '-', '_' or '.'. There are at most GR_AUTH_MAX_OWNERSHIP - 1
 * ownership refs of 3,072 bytes together, so that the session cookie fits.
 * Returns 0 or GR_EINVALID naming the problem.
 */
int gr_auth_signin_result_check(const gr_plugin_signin_result *result);

#endif
