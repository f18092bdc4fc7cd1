/* SPDX-License-Identifier: MIT */
/* The TechDocs REST API under /api/techdocs, as Backstage's techdocs-backend serves it. */
#include "plugins/techdocs/api.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/permission/access.h"
#include "plugins/techdocs/path.h"
#include "plugins/techdocs/sync.h"

static void free_data(void *data)
{
    free(data);
}

int gr_techdocs_api_send_file(gr_request *req, gr_response *res, gr_techdocs_service *service,
                              const gr_techdocs_triplet *triplet, const char *path)
{
    gr_techdocs_blob blob;
    int rc = gr_techdocs_service_read(service, triplet, path, 0, &blob);

    if (rc != GR_OK)
        return rc;
    gr_res_header(res, "Cache-Control", "no-cache");
    if (gr_res_etag(res, blob.etag)) {
        gr_res_header(res, "Content-Type", blob.content_type);
        gr_techdocs_blob_free(&blob);
        return GR_OK;
    }
    gr_techdocs_blob_free(&blob);
    rc = gr_techdocs_service_read(service, triplet, path, 1, &blob);
    if (rc != GR_OK)
        return rc;
    gr_arena_defer(gr_req_arena(req), free_data, blob.data);
    gr_res_body_borrowed(res, 200, gr_arena_strdup(gr_req_arena(req), blob.content_type),
                         blob.data, blob.size);
    blob.data = NULL;
    gr_techdocs_blob_free(&blob);
    return GR_OK;
}

int gr_techdocs_api_load_entity(gr_request *req, gr_techdocs_service *service,
                                gr_techdocs_triplet *triplet, json_t **entity)
{
    int rc = gr_techdocs_triplet_init(triplet, gr_req_param(req, "namespace"),
                                      gr_req_param(req, "kind"), gr_req_param(req, "name"));

    *entity = NULL;
    /* An entity the caller may not read is "not found", as the catalog
     * answers; a readable one without techdocs.read is 403. */
    if (rc == GR_OK)
        rc = gr_catalog_permission_check(gr_techdocs_service_db(service),
                                         gr_techdocs_service_policy(service), gr_req_identity(req),
                                         "techdocs.read", GR_CATALOG_BY_REF, triplet->ref,
                                         gr_req_path(req));
    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "No entity named '%s' found", triplet->ref);
    if (rc == GR_OK)
        rc = gr_techdocs_entity_load(gr_techdocs_service_db(service), triplet, entity);
    if (rc != GR_OK)
        gr_techdocs_triplet_free(triplet);
    return rc;
}

const char *gr_techdocs_api_wildcard(gr_request *req)
{
    const char *wildcard = gr_req_param(req, "*");
    const char *path = gr_req_path(req);
    size_t len = strlen(path);

    if (wildcard == NULL)
        wildcard = "";
    if (len > 0 && path[len - 1] == '/' && wildcard[0] != '\0')
        return gr_arena_printf(gr_req_arena(req), "%s/", wildcard);
    return wildcard;
}

/* Both metadata routes reply with this 404 for any failure, as Backstage does. */
static int metadata_not_found(const gr_host_api *api, gr_request *req, gr_response *res,
                              const char *reason)
{
    const char *kind = api->req_param(req, "kind");
    const char *namespace = api->req_param(req, "namespace");
    const char *name = api->req_param(req, "name");

    gr_info("techdocs", "Unable to get metadata for '%s:%s/%s': %s", kind, namespace, name,
            reason);
    return api->res_error(res, GR_PLUGIN_ENOTFOUND, "Unable to get metadata for '%s:%s/%s'",
                          kind, namespace, name);
}

/* Sends `body` (released here) as the JSON response through the ABI. */
static int send_json(const gr_host_api *api, gr_response *res, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc;

    json_decref(body);
    if (text == NULL)
        return api->error_set(GR_PLUGIN_EINVALID, "the TechDocs metadata cannot be encoded as "
                                                  "JSON");
    rc = api->res_json(res, 200, text);
    free(text);
    return rc;
}

static int get_techdocs_metadata(gr_request *req, gr_response *res, void *payload)
{
    const gr_techdocs_api *state = payload;
    const gr_host_api *api = state->api;
    gr_techdocs_service *service = state->service;
    gr_techdocs_triplet triplet;
    gr_techdocs_blob blob = {NULL, NULL, NULL, 0};
    json_t *entity = NULL;
    json_t *metadata = NULL;
    int rc = gr_techdocs_api_load_entity(req, service, &triplet, &entity);

    if (rc == GR_ENOTFOUND)
        return metadata_not_found(api, req, res, gr_error_last());
    if (rc != GR_OK)
        return rc;
    json_decref(entity);
    rc = gr_techdocs_service_read(service, &triplet, "techdocs_metadata.json", 1, &blob);
    gr_techdocs_triplet_free(&triplet);
    if (rc == GR_OK)
        metadata = json_loadb((const char *)blob.data, blob.size, 0, NULL);
    gr_techdocs_blob_free(&blob);
    if (metadata != NULL)
        return send_json(api, res, metadata);
    if (rc == GR_OK)
        return metadata_not_found(api, req, res, "techdocs_metadata.json is not valid JSON");
    return rc == GR_ENOTFOUND ? metadata_not_found(api, req, res, gr_error_last()) : rc;
}

static int get_entity_metadata(gr_request *req, gr_response *res, void *payload)
{
    const gr_techdocs_api *state = payload;
    const gr_host_api *api = state->api;
    gr_techdocs_service *service = state->service;
    gr_techdocs_triplet triplet;
    gr_techdocs_location location;
    json_t *entity = NULL;
    int rc = gr_techdocs_api_load_entity(req, service, &triplet, &entity);

    if (rc == GR_ENOTFOUND)
        return metadata_not_found(api, req, res, gr_error_last());
    if (rc != GR_OK)
        return rc;
    gr_techdocs_triplet_free(&triplet);
    rc = gr_techdocs_entity_location(entity, &location);
    if (rc != GR_OK) {
        json_decref(entity);
        return metadata_not_found(api, req, res, gr_error_last());
    }
    json_object_set_new(entity, "locationMetadata",
                        json_pack("{s:s, s:s}", "type", location.type, "target", location.target));
    gr_techdocs_location_free(&location);
    return send_json(api, res, entity);
}

static int has_upper(const char *text)
{
    for (; *text != '\0'; text++) {
        if (isupper((unsigned char)*text))
            return 1;
    }
    return 0;
}

/* Backstage stores sites under the lower-case triplet and redirects other spellings. */
static int redirect_lower_case(gr_request *req, gr_response *res, const gr_techdocs_triplet *t)
{
    const char *url = gr_req_url(req);
    const char *rest = strstr(url, "/static/docs/");
    const char *after = rest;
    char *location;
    int rc;

    for (int slashes = 0; after != NULL && *after != '\0'; after++) {
        if (*after == '/' && ++slashes == 6)
            break;
    }
    if (rest == NULL || after == NULL)
        return gr_error_set(GR_ENOTFOUND, "Entity not found for %s", t->ref);
    location = gr_xasprintf("%.*s/static/docs/%s/%s/%s%s", (int)(rest - url), url, t->namespace,
                            t->kind, t->name, after);
    rc = gr_res_redirect(res, 301, location);
    free(location);
    return rc;
}

static int get_static(gr_request *req, gr_response *res, void *payload)
{
    const gr_techdocs_api *state = payload;
    const gr_host_api *api = state->api;
    gr_techdocs_service *service = state->service;
    gr_techdocs_triplet triplet;
    json_t *entity = NULL;
    char *path = NULL;
    int rc = gr_techdocs_api_load_entity(req, service, &triplet, &entity);

    if (rc == GR_ENOTFOUND)
        return api->res_error(res, GR_PLUGIN_ENOTFOUND, "Entity not found for %s:%s/%s",
                              api->req_param(req, "kind"), api->req_param(req, "namespace"),
                              api->req_param(req, "name"));
    if (rc != GR_OK)
        return rc;
    json_decref(entity);
    if (has_upper(api->req_param(req, "namespace")) || has_upper(api->req_param(req, "kind")) ||
        has_upper(api->req_param(req, "name"))) {
        rc = redirect_lower_case(req, res, &triplet);
        gr_techdocs_triplet_free(&triplet);
        return rc;
    }
    rc = gr_techdocs_path_normalize(gr_techdocs_api_wildcard(req), &path);
    if (rc == GR_OK)
        rc = gr_techdocs_api_send_file(req, res, service, &triplet, path);
    if (rc == GR_ENOTFOUND)
        rc = api->res_error(res, GR_PLUGIN_ENOTFOUND, "File %s not found in the docs of %s", path,
                            triplet.ref);
    free(path);
    gr_techdocs_triplet_free(&triplet);
    return rc;
}

/*
 * TODO: the handlers still call the host's own request and response
 * functions where the ABI has no counterpart. These are the request URL and
 * redirects (for the lower-case redirect), ETag checks, bodies sent without
 * a copy, the caller's whole identity (for the permission check) and the
 * event stream of the sync route.
 */
int gr_techdocs_api_register(gr_plugin_ctx *ctx, gr_techdocs_api *state)
{
    const gr_host_api *api = state->api;
    int rc = api->route(ctx, "GET", "/metadata/techdocs/:namespace/:kind/:name", 0,
                        get_techdocs_metadata, state);

    if (rc == GR_PLUGIN_OK)
        rc = api->route(ctx, "GET", "/metadata/entity/:namespace/:kind/:name", 0,
                        get_entity_metadata, state);
    if (rc == GR_PLUGIN_OK)
        rc = api->route(ctx, "GET", "/static/docs/:namespace/:kind/:name/*", 0, get_static,
                        state);
    if (rc == GR_PLUGIN_OK)
        rc = api->route(ctx, "GET", "/sync/:namespace/:kind/:name", 0, gr_techdocs_sync_handler,
                        state->service);
    return rc;
}
