/* SPDX-License-Identifier: MIT */
/* The catalog routes that go through the engine: locations, refresh, validation, deletes, lineage. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/auth/external_access.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/api/cursor.h"
#include "plugins/catalog/api/filter_sql.h"
#include "plugins/catalog/api/location_query.h"
#include "plugins/catalog/api/predicate.h"
#include "plugins/catalog/api/read.h"
#include "plugins/catalog/api/request.h"
#include "plugins/catalog/api/routes.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/model/ref.h"
#include "plugins/catalog/permission/access.h"
#include "plugins/catalog/permission/history.h"

/* Returns the caller's subject for the history ("external:ci-bot"), or NULL. */
static const char *actor(gr_request *req)
{
    const gr_identity *identity = gr_req_identity(req);

    return identity ? identity->subject : NULL;
}

/* Returns a location without the engine's `origin` member, as Backstage serves it. */
static json_t *public_location(const json_t *location)
{
    json_t *copy = json_deep_copy(location);

    json_object_del(copy, "origin");
    return copy;
}

/* Formats "kind:namespace/name" from the path parameters (caller frees). */
static char *path_ref(gr_request *req)
{
    return gr_xasprintf("%s:%s/%s", gr_req_param(req, "kind"), gr_req_param(req, "namespace"),
                        gr_req_param(req, "name"));
}

/*
 * Checks a catalog-entity permission on the entity `ref` names: an unknown
 * or unreadable entity is "not found" (404) so that the response never shows
 * that it exists, a readable one the permission does not cover is 403.
 */
static int check_entity_ref(gr_request *req, const struct gr_catalog_api *api,
                            const char *permission, const char *ref)
{
    gr_entity_ref parsed = GR_ENTITY_REF_INIT;
    char *lower = NULL;
    int rc = gr_model_ref_parse(ref, NULL, NULL, &parsed);

    if (rc == GR_OK) {
        lower = gr_model_ref_format(&parsed);
        rc = gr_catalog_permission_check(api->db, api->policy, gr_req_identity(req), permission,
                                         GR_CATALOG_BY_REF, lower, gr_req_path(req));
    }
    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "No entity named '%s' found", ref);
    free(lower);
    gr_entity_ref_free(&parsed);
    return rc;
}

static bool ref_parses(const char *ref)
{
    gr_entity_ref parsed = GR_ENTITY_REF_INIT;
    bool parses = gr_model_ref_parse(ref, NULL, NULL, &parsed) == GR_OK;

    gr_entity_ref_free(&parsed);
    gr_error_clear();
    return parses;
}

/* Checks a refresh body as Backstage's schema does: entityRef, and an optional
 * authorizationToken, both strings, and no other member. */
static int refresh_input(const json_t *body)
{
    const char *key;
    json_t *value;

    if (json_object_get(body, "entityRef") == NULL)
        return gr_error_set(GR_EINVALID, "request/body must have required property 'entityRef'");
    if (!json_is_string(json_object_get(body, "entityRef")))
        return gr_error_set(GR_EINVALID, "request/body/entityRef must be string");
    json_object_foreach((json_t *)body, key, value)
    {
        if (strcmp(key, "authorizationToken") == 0 && !json_is_string(value))
            return gr_error_set(GR_EINVALID, "request/body/authorizationToken must be string");
        if (strcmp(key, "entityRef") != 0 && strcmp(key, "authorizationToken") != 0)
            return gr_error_set(GR_EINVALID, "request/body must NOT have additional properties");
    }
    return GR_OK;
}

static int refresh_post(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    json_t *body = NULL;
    const json_t *ref;
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_EXPENSIVE, actor(req))) < 0)
        return rc;
    rc = gr_catalog_api__body_object(req, &body);
    if (rc != GR_OK)
        return rc;
    ref = json_object_get(body, "entityRef");
    rc = refresh_input(body);
    /* Backstage looks the text up as it is, so one that is no entity ref is not found. */
    if (rc == GR_OK && !ref_parses(json_string_value(ref)))
        rc =
            gr_error_set(GR_ENOTFOUND, "Failed to schedule %s for refresh", json_string_value(ref));
    if (rc == GR_OK)
        rc = check_entity_ref(req, api, "catalog.entity.refresh", json_string_value(ref));
    if (rc == GR_OK)
        rc = gr_catalog_refresh_as(api->catalog, json_string_value(ref), actor(req));
    if (rc == GR_OK)
        gr_res_status(res, 200);
    json_decref(body);
    return rc;
}

/* Sends {errors: [...]} with status 400, as Backstage answers an invalid entity. */
static int send_validation_errors(gr_response *res, json_t *errors)
{
    return gr_res_json(res, 400, json_pack("{s:o}", "errors", errors));
}

static int validate_post(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    json_t *body = NULL;
    json_t *errors = NULL;
    const json_t *entity;
    const json_t *location;
    int rc;

    rc = gr_catalog_api__require(req, api, "catalog.entity.validate");
    if (rc == GR_OK)
        rc = gr_catalog_api__body_object(req, &body);
    if (rc != GR_OK)
        return rc;
    entity = json_object_get(body, "entity");
    location = json_object_get(body, "location");
    if (entity == NULL)
        rc = gr_error_set(GR_EINVALID, "request/body must have required property 'entity'");
    else if (location == NULL)
        rc = gr_error_set(GR_EINVALID, "request/body must have required property 'location'");
    else if (!json_is_string(location))
        rc = gr_error_set(GR_EINVALID, "request/body/location must be string");
    if (rc != GR_OK)
        goto done;

    rc = gr_catalog_validate_entity(api->catalog, entity, json_string_value(location), &errors);
    if (rc == GR_OK) {
        gr_res_status(res, 200);
    } else if (rc == GR_EINVALID && errors != NULL) {
        rc = send_validation_errors(res, errors);
        errors = NULL;
    } else if (rc == GR_EINVALID) {
        rc = send_validation_errors(
            res, json_pack("[{s:s,s:s}]", "name", "InputError", "message", gr_error_last()));
    }
done:
    json_decref(errors);
    json_decref(body);
    return rc;
}

/* Reads {type, target} (and nothing else but `presence`) from a location body. */
static int location_input(const json_t *input, const char **type, const char **target)
{
    const char *key;
    json_t *value;

    *type = json_string_value(json_object_get(input, "type"));
    *target = json_string_value(json_object_get(input, "target"));
    if (*type == NULL || *target == NULL)
        return gr_error_set(GR_EINVALID, "Malformed request: the location needs string type and "
                                         "target members");
    value = json_object_get(input, "presence");
    if (value != NULL &&
        (!json_is_string(value) || (strcmp(json_string_value(value), "required") != 0 &&
                                    strcmp(json_string_value(value), "optional") != 0)))
        return gr_error_set(GR_EINVALID,
                            "Malformed request: presence must be \"required\" or \"optional\"");
    json_object_foreach((json_t *)input, key, value)
    {
        if (strcmp(key, "type") != 0 && strcmp(key, "target") != 0 && strcmp(key, "presence") != 0)
            return gr_error_set(GR_EINVALID, "Malformed request: unrecognized key '%s'", key);
    }
    return GR_OK;
}

/* Returns GR_EDENIED (403, NotAllowedError) with Backstage's message when catalog.readonly is set. */
static int reject_readonly(const struct gr_catalog_api *api)
{
    if (gr_catalog_readonly(api->catalog))
        return gr_error_set(GR_EDENIED, "This operation not allowed in readonly mode");
    return GR_OK;
}

/* Reads a dryRun value as the `yn` package does: yes, y, true, 1 and on are true. */
static int is_yes(const char *value)
{
    static const char *const yes[] = {"yes", "y", "true", "1", "on"};

    for (size_t i = 0; value != NULL && i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(value, yes[i]) == 0)
            return 1;
    }
    return 0;
}

/*
 * A location read that runs on a job thread (gr_res_defer()), because reading
 * a URL can take up to GR_CATALOG_READ_TIMEOUT_MS. It owns the request body,
 * into which `type` and `target` point. `api` is borrowed, because the HTTP
 * server stops and waits for every job before the catalog API is freed.
 */
typedef struct {
    const struct gr_catalog_api *api;
    json_t *body;
    const char *type;
    const char *target;
} location_read;

static location_read *location_read_new(const struct gr_catalog_api *api, json_t *body,
                                        const char *type, const char *target)
{
    location_read *read = gr_xcalloc(1, sizeof(*read));

    read->api = api;
    read->body = body;
    read->type = type;
    read->target = target;
    return read;
}

static void location_read_free(void *payload)
{
    location_read *read = payload;

    json_decref(read->body);
    free(read);
}

/* Sends POST /locations' 201 body: {location, entities, exists}. Borrows the three values. */
static int location_created(gr_response *res, const json_t *location, json_t *entities,
                            json_t *exists)
{
    json_t *out = json_pack("{s:o,s:o}", "location", public_location(location), "entities",
                            entities ? json_incref(entities) : json_array());

    if (exists != NULL)
        json_object_set(out, "exists", exists);
    return gr_res_json(res, 201, out);
}

/* Reads and processes the location in memory, on a job thread. */
static int dry_run_job(gr_request *req, gr_response *res, void *payload)
{
    const location_read *read = payload;
    json_t *location = NULL;
    json_t *entities = NULL;
    json_t *exists = NULL;
    int rc;

    (void)req;
    rc = gr_catalog_add_location(read->api->catalog, read->type, read->target, 1, &location,
                                 &entities, &exists);
    if (rc == GR_OK)
        rc = location_created(res, location, entities, exists);
    json_decref(location);
    json_decref(entities);
    json_decref(exists);
    return rc;
}

/* Stores the location without reading it (the engine reads it later), so this
 * runs on the HTTP thread. */
static int location_store(const struct gr_catalog_api *api, gr_response *res, const char *type,
                          const char *target)
{
    json_t *location = NULL;
    json_t *entities = NULL;
    int rc = reject_readonly(api);

    if (rc == GR_OK)
        rc = gr_catalog_add_location(api->catalog, type, target, 0, &location, &entities, NULL);
    if (rc == GR_OK)
        rc = location_created(res, location, entities, NULL);
    json_decref(location);
    json_decref(entities);
    return rc;
}

static int locations_post(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    int dry_run = is_yes(gr_req_query(req, "dryRun"));
    json_t *body = NULL;
    const char *type;
    const char *target;
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_EXPENSIVE, actor(req))) < 0)
        return rc;
    rc = gr_catalog_api__require(req, api, "catalog.location.create");
    if (rc == GR_OK)
        rc = gr_catalog_api__body_required(req, &body);
    if (rc == GR_OK)
        rc = location_input(body, &type, &target);
    if (rc != GR_OK) {
        json_decref(body);
        return rc;
    }
    /* A dry run only reads, so it stays allowed in readonly mode. */
    if (dry_run)
        return gr_res_defer(res, dry_run_job, location_read_new(api, body, type, target),
                            location_read_free);
    rc = location_store(api, res, type, target);
    json_decref(body);
    return rc;
}

/* Returns the locations registered through the API, as {data: location} items. */
static int user_locations(gr_catalog *catalog, json_t **out)
{
    json_t *all = NULL;
    size_t index;
    json_t *item;
    int rc;

    *out = NULL;
    rc = gr_catalog_list_locations(catalog, &all);
    if (rc != GR_OK)
        return rc;
    *out = json_array();
    json_array_foreach(all, index, item)
    {
        const char *origin = json_string_value(json_object_get(item, "origin"));

        /* Backstage lists only locations added through the API, not the configured ones. */
        if (origin != NULL && strcmp(origin, "config") == 0)
            continue;
        json_array_append_new(*out, public_location(item));
    }
    json_decref(all);
    return GR_OK;
}

static int locations_get(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    json_t *locations = NULL;
    json_t *wrapped;
    size_t index;
    json_t *item;
    int rc;

    rc = gr_catalog_api__require(req, api, "catalog.location.read");
    if (rc == GR_OK)
        rc = user_locations(api->catalog, &locations);
    if (rc != GR_OK)
        return rc;
    wrapped = json_array();
    json_array_foreach(locations, index, item)
        json_array_append_new(wrapped, json_pack("{s:O}", "data", item));
    json_decref(locations);
    return gr_res_json(res, 200, wrapped);
}

/* Checks the `query` of a POST /locations/by-query body or cursor; *out is NULL without one. */
static int location_query(const json_t *query, json_t **out)
{
    *out = NULL;
    if (query == NULL)
        return GR_OK;
    /* The predicate's messages start with "Invalid query:" already. */
    return gr_catalog_predicate_check(query, out);
}

/* Reads the cursor of POST /locations/by-query: base64 JSON {limit, afterId?, query?}. */
static int location_cursor(const char *encoded, int64_t *limit, char **after_id, json_t **query)
{
    size_t len = 0;
    char *text = gr_catalog_base64_decode(encoded, &len);
    json_t *cursor = text ? json_loadb(text, len, 0, NULL) : NULL;
    const json_t *after;
    int rc = GR_OK;

    free(text);
    if (!json_is_object(cursor)) {
        json_decref(cursor);
        return gr_error_set(GR_EINVALID, "Malformed cursor, unknown encoding");
    }
    if (!json_is_integer(json_object_get(cursor, "limit")) ||
        json_integer_value(json_object_get(cursor, "limit")) < 1)
        rc = gr_error_set(GR_EINVALID, "Malformed cursor: limit must be a positive integer");
    after = json_object_get(cursor, "afterId");
    if (rc == GR_OK && location_query(json_object_get(cursor, "query"), query) != GR_OK)
        rc = gr_error_set(GR_EINVALID, "Malformed cursor: %s", gr_error_last());
    if (rc == GR_OK) {
        *limit = json_integer_value(json_object_get(cursor, "limit"));
        *after_id = json_is_string(after) ? gr_xstrdup(json_string_value(after)) : NULL;
    }
    json_decref(cursor);
    return rc;
}

static int locations_query_post(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    json_t *body = NULL;
    json_t *locations = NULL;
    json_t *items = json_array();
    json_t *query = NULL;
    char *after_id = NULL;
    int64_t limit = 1000;
    size_t total = 0;
    const json_t *cursor;
    size_t index;
    json_t *item;
    json_t *out;
    int rc;

    rc = gr_catalog_api__require(req, api, "catalog.location.read");
    if (rc == GR_OK)
        rc = gr_catalog_api__body_object(req, &body);
    if (rc != GR_OK)
        goto done;
    cursor = json_object_get(body, "cursor");
    if (cursor != NULL && (!json_is_string(cursor) || json_string_length(cursor) == 0)) {
        rc = gr_error_set(GR_EINVALID, "Cursor cannot be empty");
    } else if (cursor != NULL) {
        rc = location_cursor(json_string_value(cursor), &limit, &after_id, &query);
    } else {
        if (json_object_get(body, "limit") != NULL) {
            limit = json_integer_value(json_object_get(body, "limit"));
            if (!json_is_integer(json_object_get(body, "limit")) || limit < 1)
                rc = gr_error_set(GR_EINVALID, "Limit must be a positive integer >= 1");
        }
        if (rc == GR_OK)
            rc = location_query(json_object_get(body, "query"), &query);
    }
    if (rc == GR_OK)
        rc = user_locations(api->catalog, &locations);
    if (rc != GR_OK)
        goto done;

    /* As Backstage, totalItems counts every match, also those before the cursor's afterId. */
    json_array_foreach(locations, index, item)
    {
        const char *id = json_string_value(json_object_get(item, "id"));
        int match = query != NULL ? gr_catalog_location_matches(query, item) : 1;

        if (match < 0) {
            rc = match;
            goto done;
        }
        if (match == 0)
            continue;
        total++;
        if (after_id == NULL || strcmp(id, after_id) > 0)
            json_array_append(items, item);
    }
    out = json_pack("{s:[],s:I,s:{}}", "items", "totalItems", (json_int_t)total, "pageInfo");
    for (size_t i = 0; i < json_array_size(items) && (int64_t)i < limit; i++)
        json_array_append(json_object_get(out, "items"), json_array_get(items, i));
    if ((int64_t)json_array_size(items) > limit) {
        const json_t *last = json_array_get(items, (size_t)limit - 1);
        json_t *next = json_pack("{s:I,s:O}", "limit", (json_int_t)limit, "afterId",
                                 json_object_get(last, "id"));

        if (query != NULL)
            json_object_set(next, "query", query);
        char *text = json_dumps(next, JSON_COMPACT);
        char *encoded = gr_catalog_base64_encode(text, strlen(text));

        json_object_set_new(json_object_get(out, "pageInfo"), "nextCursor",
                            json_string(encoded));
        free(encoded);
        free(text);
        json_decref(next);
    }
    rc = gr_res_json(res, 200, out);
done:
    free(after_id);
    json_decref(query);
    json_decref(items);
    json_decref(locations);
    json_decref(body);
    return rc;
}

static int location_get(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    json_t *location = NULL;
    int rc = gr_catalog_api__require(req, api, "catalog.location.read");

    if (rc == GR_OK)
        rc = gr_catalog_get_location(api->catalog, gr_req_param(req, "id"), &location);
    if (rc == GR_OK)
        rc = gr_res_json(res, 200, public_location(location));
    json_decref(location);
    return rc;
}

static int location_delete(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    int rc = reject_readonly(api);

    if (rc == GR_OK)
        rc = gr_catalog_api__require(req, api, "catalog.location.delete");

    if (rc == GR_OK)
        rc = gr_catalog_remove_location(api->catalog, gr_req_param(req, "id"));
    if (rc == GR_OK)
        gr_res_status(res, 204);
    return rc;
}

/*
 * Reads the body of PUT /locations/:id: {target, type?}, where a missing type
 * is "url" as Backstage's CatalogClient sends it.
 */
static int location_update_input(const json_t *body, const char **type, const char **target)
{
    const json_t *type_value = json_object_get(body, "type");
    const char *key;
    json_t *value;

    *target = json_string_value(json_object_get(body, "target"));
    *type = type_value == NULL ? "url" : json_string_value(type_value);
    if (*type == NULL || *target == NULL)
        return gr_error_set(GR_EINVALID, "Malformed request: the location needs a string target "
                                         "member and, if given, a string type");
    json_object_foreach((json_t *)body, key, value)
    {
        if (strcmp(key, "type") != 0 && strcmp(key, "target") != 0)
            return gr_error_set(GR_EINVALID, "Malformed request: unrecognized key '%s'", key);
    }
    return GR_OK;
}

/* An update removes what the old target supplied and adds the new one, so it needs both the
 * create and the delete permission of locations. */
static int location_put(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    json_t *body = NULL;
    json_t *location = NULL;
    const char *type;
    const char *target;
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_EXPENSIVE, actor(req))) < 0)
        return rc;
    rc = reject_readonly(api);
    if (rc == GR_OK)
        rc = gr_catalog_api__require(req, api, "catalog.location.create");
    if (rc == GR_OK)
        rc = gr_catalog_api__require(req, api, "catalog.location.delete");
    if (rc == GR_OK)
        rc = gr_catalog_api__body_required(req, &body);
    if (rc == GR_OK)
        rc = location_update_input(body, &type, &target);
    if (rc == GR_OK)
        rc = gr_catalog_update_location(api->catalog, gr_req_param(req, "id"), type, target,
                                        &location);
    if (rc == GR_OK)
        rc = gr_res_json(res, 200, public_location(location));
    json_decref(location);
    json_decref(body);
    return rc;
}

static int location_by_entity_get(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    char *ref = path_ref(req);
    json_t *location = NULL;
    const char *origin = NULL;
    int rc = gr_catalog_api__require(req, api, "catalog.location.read");

    if (rc == GR_OK)
        rc = check_entity_ref(req, api, "catalog.entity.read", ref);
    if (rc == GR_OK)
        rc = gr_catalog_location_by_entity(api->catalog, ref, &location);
    if (rc == GR_OK)
        origin = json_string_value(json_object_get(location, "origin"));

    /* Backstage keeps configured locations out of its locations table, so it finds none. */
    if (rc == GR_OK && origin != NULL && strcmp(origin, "config") == 0)
        rc = gr_error_set(GR_ENOTFOUND, "Found no location with type %s and target %s",
                          json_string_value(json_object_get(location, "type")),
                          json_string_value(json_object_get(location, "target")));
    if (rc == GR_OK)
        rc = gr_res_json(res, 200, public_location(location));
    json_decref(location);
    free(ref);
    return rc;
}

/* Reads the location and suggests entities, on a job thread. */
static int analyze_job(gr_request *req, gr_response *res, void *payload)
{
    const location_read *read = payload;
    json_t *out = NULL;
    int rc;

    (void)req;
    rc = gr_catalog_analyze_location(read->api->catalog, read->type, read->target, &out);
    if (rc == GR_OK)
        rc = gr_res_json(res, 200, out);
    return rc;
}

static int analyze_post(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    json_t *body = NULL;
    const char *type;
    const char *target;
    int rc;

    if ((rc = gr_http_rate_limit(req, GR_RATE_EXPENSIVE, actor(req))) < 0)
        return rc;
    rc = gr_catalog_api__require(req, api, "catalog.location.analyze");
    if (rc == GR_OK)
        rc = gr_catalog_api__body_required(req, &body);
    if (rc == GR_OK)
        rc = location_input(json_object_get(body, "location"), &type, &target);
    if (rc != GR_OK) {
        json_decref(body);
        return rc;
    }
    return gr_res_defer(res, analyze_job, location_read_new(api, body, type, target),
                        location_read_free);
}

static int entity_delete(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    const char *uid = gr_req_param(req, "uid");
    int rc = gr_catalog_permission_check(api->db, api->policy, gr_req_identity(req),
                                         "catalog.entity.delete", GR_CATALOG_BY_UID, uid,
                                         gr_req_path(req));

    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "No entity with uid %s", uid);
    if (rc == GR_OK)
        rc = gr_catalog_delete_entity_as(api->catalog, uid, actor(req));
    if (rc == GR_OK)
        gr_res_status(res, 204);
    return rc;
}

/*
 * Removes from an ancestry response the entities that `access` does not
 * match, and their refs from the parentEntityRefs of the others, so that
 * the response names no entity the caller may not read.
 */
static int readable_ancestry(gr_db *db, const json_t *access, json_t *ancestry)
{
    json_t *items = json_object_get(ancestry, "items");
    json_t *hidden = json_object();
    json_t *item;
    size_t index = 0;
    int rc = GR_OK;

    while (rc >= GR_OK && index < json_array_size(items)) {
        const json_t *entity = json_object_get(json_array_get(items, index), "entity");
        const json_t *metadata = json_object_get(entity, "metadata");
        const char *ns = json_string_value(json_object_get(metadata, "namespace"));
        char *ref = gr_catalog_lower(gr_xasprintf(
            "%s:%s/%s", json_string_value(json_object_get(entity, "kind")), ns ? ns : "default",
            json_string_value(json_object_get(metadata, "name"))));

        rc = gr_catalog_access_matches(db, access, GR_CATALOG_BY_REF, ref);
        if (rc == 0) {
            json_object_set_new(hidden, ref, json_true());
            json_array_remove(items, index);
        } else {
            index++;
        }
        free(ref);
    }
    json_array_foreach(items, index, item)
    {
        json_t *parents = json_object_get(item, "parentEntityRefs");
        size_t at = 0;

        while (at < json_array_size(parents)) {
            const char *parent = json_string_value(json_array_get(parents, at));
            char *lower = gr_catalog_lower(gr_xstrdup(parent ? parent : ""));

            if (json_object_get(hidden, lower) != NULL)
                json_array_remove(parents, at);
            else
                at++;
            free(lower);
        }
    }
    json_decref(hidden);
    return rc < 0 ? rc : GR_OK;
}

static int ancestry_get(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    char *ref = path_ref(req);
    json_t *out = NULL;
    json_t *access = NULL;
    int rc = check_entity_ref(req, api, "catalog.entity.read", ref);

    if (rc == GR_OK)
        rc = gr_catalog_ancestry(api->catalog, ref, &out);
    if (rc == GR_OK)
        rc = gr_catalog_api__read_access(req, api, &access);
    if (rc == GR_OK && access != NULL)
        rc = readable_ancestry(api->db, access, out);
    json_decref(access);
    if (rc != GR_OK) {
        json_decref(out);
        out = NULL;
    }
    if (rc == GR_OK)
        rc = gr_res_json(res, 200, out);
    free(ref);
    return rc;
}

/*
 * Reads the final entity `ref` names as it is now into *out (caller frees),
 * or NULL when there is none.
 */
static int current_entity(const struct gr_catalog_api *api, const char *ref, json_t **out)
{
    gr_entity_ref parsed = GR_ENTITY_REF_INIT;
    gr_buf text = GR_BUF_INIT;
    char *lower = NULL;
    int rc = gr_model_ref_parse(ref, NULL, NULL, &parsed);

    *out = NULL;
    if (rc == GR_OK) {
        lower = gr_model_ref_format(&parsed);
        rc = gr_catalog_read_by_ref(api->db, lower, NULL, &text);
    }
    if (rc == GR_OK)
        *out = json_loads(gr_buf_cstr(&text), 0, NULL);
    if (rc == GR_OK && *out == NULL)
        rc = gr_error_set(GR_EBACKEND, "The stored entity %s is not valid JSON", lower);
    if (rc == GR_ENOTFOUND)
        rc = GR_OK;
    free(lower);
    gr_buf_free(&text);
    gr_entity_ref_free(&parsed);
    return rc;
}

static int history_get(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    char *ref = path_ref(req);
    json_t *out = NULL;
    json_t *access = NULL;
    json_t *current = NULL;
    int rc = gr_catalog_api__read_access(req, api, &access);

    /* The history outlives a deleted entity. Only a caller who may read
     * every entity gets it then; others need the entity to be readable now,
     * and see only the changes between versions that they may read. The
     * entity is read before the history, so that a change in between makes
     * a diff not fit instead of mixing two versions. */
    if (rc == GR_OK && access != NULL)
        rc = check_entity_ref(req, api, "catalog.entity.read", ref);
    if (rc == GR_OK && access != NULL)
        rc = current_entity(api, ref, &current);
    if (rc == GR_OK)
        rc = gr_catalog_history(api->catalog, ref, &out);
    if (rc == GR_OK && access != NULL)
        rc = gr_catalog_access_history(api->policy, gr_req_identity(req), current, &out);
    json_decref(access);
    json_decref(current);
    if (rc == GR_OK)
        rc = gr_res_json(res, 200, json_pack("{s:o}", "items", out));
    else
        json_decref(out);
    free(ref);
    return rc;
}

int gr_catalog_api__routes_engine(const gr_catalog_api_router *router, struct gr_catalog_api *api)
{
    static const struct {
        const char *method;
        const char *pattern;
        gr_http_handler handler;
    } routes[] = {
        {"POST", "/refresh", refresh_post},
        {"POST", "/validate-entity", validate_post},
        {"POST", "/analyze-location", analyze_post},
        {"GET", "/locations", locations_get},
        {"POST", "/locations", locations_post},
        {"POST", "/locations/by-query", locations_query_post},
        {"GET", "/locations/:id", location_get},
        {"PUT", "/locations/:id", location_put},
        {"DELETE", "/locations/:id", location_delete},
        {"GET", "/locations/by-entity/:kind/:namespace/:name", location_by_entity_get},
        {"DELETE", "/entities/by-uid/:uid", entity_delete},
        {"GET", "/entities/by-name/:kind/:namespace/:name/ancestry", ancestry_get},
        {"GET", "/entities/by-name/:kind/:namespace/:name/history", history_get},
    };

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        int rc = router->add(router->target, routes[i].method, routes[i].pattern,
                             routes[i].handler, api);

        if (rc != GR_OK)
            return rc;
    }
    return GR_OK;
}
