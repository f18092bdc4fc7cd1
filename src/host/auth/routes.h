/* SPDX-License-Identifier: MIT */
/* The host's routes under /api/auth and the permission API. */
#ifndef GR_HOST_AUTH_ROUTES_H
#define GR_HOST_AUTH_ROUTES_H

#include "host/auth/auth.h"
#include "host/permission/permission.h"

typedef struct gr_http_server gr_http_server;

/** The state the routes of gr_auth_routes_add() use while the server runs. */
typedef struct gr_auth_routes gr_auth_routes;

/**
 * Registers on `http` the routes that authentication serves whatever plugins
 * run. They are GET /api/auth/.well-known/jwks.json and openid-configuration
 * (public), GET /api/auth/v1/userinfo, the sign-in routes of every provider
 * (gr_auth_signin_routes()) and POST /api/permission/authorize over
 * `policy`. The last reads the entities of conditional items with the user
 * lookup that a plugin installs. `auth` and `policy` are borrowed for the
 * life of the server. Stores in *out what the routes use (free with
 * gr_auth_routes_free() after the server stopped), also on error. Returns
 * 0 or the error of gr_http_route().
 */
int gr_auth_routes_add(gr_http_server *http, gr_auth *auth, const gr_permission_policy *policy,
                       gr_auth_routes **out);

/** Frees what gr_auth_routes_add() stored. NULL-safe. */
void gr_auth_routes_free(gr_auth_routes *routes);

#endif
