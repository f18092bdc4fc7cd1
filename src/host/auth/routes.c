/* SPDX-License-Identifier: MIT */
/* The host's routes under /api/auth and the permission API. */
#include "host/auth/routes.h"

#include <stdlib.h>
#include <string.h>

#include "host/auth/signin.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/permission/authorize.h"

struct gr_auth_routes {
    gr_permission_authorize_ctx authorize; /* the payload of the permission route */
};

static int handle_jwks(gr_request *req, gr_response *res, void *payload)
{
    gr_auth *auth = payload;
    gr_auth_keys *keys = gr_auth_keys_get(auth);
    json_t *jwks = NULL;
    int rc;

    (void)req;
    if (keys == NULL)
        return gr_error_set(GR_EBACKEND, "the signing keys are not available without a database");
    if ((rc = gr_auth_keys_jwks(keys, &jwks)) < 0)
        return rc;
    gr_res_header(res, "Cache-Control", "public, max-age=60");
    return gr_res_json(res, 200, jwks);
}

static int handle_openid_configuration(gr_request *req, gr_response *res, void *payload)
{
    gr_auth *auth = payload;
    const char *issuer = gr_auth_issuer(auth);
    json_t *doc;

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

/* The catalog lookup for permission checks on one resource. */
static int lookup_entity(void *payload, const char *ref, json_t **out)
{
    const gr_auth_user_lookup *lookup = gr_auth_user_lookup_get(payload);

    *out = NULL;
    if (lookup == NULL)
        return gr_error_set(GR_ENOTFOUND, "no catalog is installed");
    return lookup->get_entity(lookup->payload, ref, out);
}

int gr_auth_routes_add(gr_http_server *http, gr_auth *auth, const gr_permission_policy *policy,
                       gr_auth_routes **out)
{
    gr_auth_routes *routes = gr_xcalloc(1, sizeof(*routes));
    int rc;

    *out = routes;
    routes->authorize.policy = policy;
    routes->authorize.get_entity = lookup_entity;
    routes->authorize.payload = auth;
    if ((rc = gr_http_route(http, "GET", "/api/auth/.well-known/jwks.json", GR_ROUTE_PUBLIC,
                            handle_jwks, auth)) < 0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/.well-known/openid-configuration",
                            GR_ROUTE_PUBLIC, handle_openid_configuration, auth)) < 0 ||
        (rc = gr_http_route(http, "GET", "/api/auth/v1/userinfo", 0, handle_userinfo, auth)) <
            0 ||
        (rc = gr_auth_signin_routes(http, auth)) < 0)
        return rc;
    return gr_permission_add_routes(http, &routes->authorize);
}

void gr_auth_routes_free(gr_auth_routes *routes)
{
    free(routes);
}
