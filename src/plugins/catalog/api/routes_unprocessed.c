/* SPDX-License-Identifier: MIT */
/* The unprocessed-entity routes of Backstage's catalog-backend-module-unprocessed. */
#include <stdbool.h>
#include <stdlib.h>

#include "host/auth/audit.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/api/routes.h"
#include "plugins/catalog/api/unprocessed.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/permission/access.h"

/* The basic permission of DELETE /entities/unprocessed/delete/:entity_id, as Backstage names it. */
#define DELETE_PERMISSION "catalog.entities.unprocessed.delete"
#define READ_PERMISSION "catalog.entity.read"

static const char *subject_of(gr_request *req)
{
    const gr_identity *identity = gr_req_identity(req);

    return identity != NULL && identity->subject != NULL ? identity->subject : "";
}

/*
 * Checks that catalog.entity.read allows the caller every entity. Unprocessed
 * entities have no final entity and no catalog_search rows, so the SQL that
 * applies conditional decisions everywhere else cannot match them. Matching
 * the raw input in memory could show an entity whose final form the policy
 * hides, for example under a `not` condition on an annotation that processing
 * adds. So a conditional decision is a denial. The check also runs with
 * permission.enabled false, because the accessRestrictions of external
 * access still apply then.
 */
static int require_full_read(gr_request *req, const struct gr_catalog_api *api)
{
    gr_permission_decision decision;
    gr_permission_result result;
    int rc;

    if (api->policy == NULL)
        return GR_OK;
    rc = gr_permission_evaluate(api->policy, gr_req_identity(req), READ_PERMISSION, &decision);
    if (rc < 0)
        return rc;
    result = decision.result;
    gr_permission_decision_clear(&decision);
    if (result == GR_PERMISSION_ALLOW)
        return GR_OK;

    gr_audit_permission_denied(subject_of(req), READ_PERMISSION, NULL, gr_req_path(req));
    if (result == GR_PERMISSION_CONDITIONAL)
        return gr_error_set(GR_EDENIED,
                            "Listing unprocessed entities needs " READ_PERMISSION
                            " for every entity, but the permission policy allows it to you "
                            "only for entities that match conditions");
    return gr_error_set(GR_EDENIED, "You are not allowed to " READ_PERMISSION);
}

/* Sends {type, entities} and, when the list was cut at GR_CATALOG_UNPROCESSED_MAX, truncated. */
static int list_get(gr_request *req, gr_response *res, const struct gr_catalog_api *api,
                    gr_catalog_unprocessed_set set)
{
    const char *owner = gr_req_query(req, "owner");
    json_t *entities = NULL;
    bool truncated = false;
    const char *type;
    json_t *body;
    int rc = require_full_read(req, api);

    /* An empty owner filters nothing, as in Backstage. */
    if (owner != NULL && owner[0] == '\0')
        owner = NULL;
    if (rc == GR_OK)
        rc = gr_catalog_unprocessed_list(api->db, set, owner, GR_CATALOG_UNPROCESSED_MAX, &entities,
                                         &truncated);
    if (rc != GR_OK)
        return rc;
    type = set == GR_CATALOG_UNPROCESSED_FAILED ? "failed" : "pending";
    body = json_pack("{s:s,s:o}", "type", type, "entities", entities);
    if (truncated)
        json_object_set_new(body, "truncated", json_true());
    return gr_res_json(res, 200, body);
}

static int failed_get(gr_request *req, gr_response *res, void *payload)
{
    return list_get(req, res, payload, GR_CATALOG_UNPROCESSED_FAILED);
}

static int pending_get(gr_request *req, gr_response *res, void *payload)
{
    return list_get(req, res, payload, GR_CATALOG_UNPROCESSED_PENDING);
}

/*
 * Sets the error of a row that has a final entity. A caller who may read
 * that entity gets 409 naming the route that deletes it. Any other caller
 * gets the 404 of an unknown id, so the response never shows a hidden entity.
 */
static int stitched_error(gr_request *req, const struct gr_catalog_api *api, const char *id,
                          const char *ref)
{
    int rc = gr_catalog_permission_check(api->db, api->policy, gr_req_identity(req),
                                         READ_PERMISSION, GR_CATALOG_BY_UID, id, gr_req_path(req));

    if (rc == GR_ENOTFOUND)
        return gr_error_set(GR_ENOTFOUND, "No unprocessed entity with entity_id %s", id);
    if (rc != GR_OK)
        return rc;
    return gr_error_set(GR_ECONFLICT,
                        "Entity %s has been processed into a final entity, so it is not "
                        "unprocessed; delete it with DELETE /api/catalog/entities/by-uid/%s",
                        ref, id);
}

static int unprocessed_delete(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    const char *id = gr_req_param(req, "entity_id");
    gr_catalog_unprocessed_outcome outcome = GR_CATALOG_UNPROCESSED_MISSING;
    char *ref = NULL;
    int rc = GR_OK;

    if (gr_catalog_readonly(api->catalog))
        rc = gr_error_set(GR_EDENIED, "This operation not allowed in readonly mode");
    if (rc == GR_OK)
        rc = gr_catalog_api__require(req, api, DELETE_PERMISSION);
    if (rc == GR_OK)
        rc = gr_catalog_unprocessed_delete(api->db, id, &outcome, &ref);
    if (rc != GR_OK)
        goto done;

    switch (outcome) {
    case GR_CATALOG_UNPROCESSED_DELETED:
        gr_log_fields(GR_LOG_INFO, "catalog", "deleted unprocessed entity", "entity_id", id,
                      "entity", ref, "subject", subject_of(req), NULL);
        gr_res_status(res, 204);
        break;
    case GR_CATALOG_UNPROCESSED_MISSING:
        rc = gr_error_set(GR_ENOTFOUND, "No unprocessed entity with entity_id %s", id);
        break;
    case GR_CATALOG_UNPROCESSED_STITCHED:
        rc = stitched_error(req, api, id, ref);
        break;
    case GR_CATALOG_UNPROCESSED_LINKED:
        rc = gr_error_set(GR_ECONFLICT,
                          "The unprocessed entity %s was processed and waits for stitching, "
                          "and deleting its row alone would leave its child entities and "
                          "relations behind. Once it is stitched, delete it with "
                          "DELETE /api/catalog/entities/by-uid/%s",
                          id, id);
        break;
    }
done:
    free(ref);
    return rc;
}

int gr_catalog_api__routes_unprocessed(const gr_catalog_api_router *router,
                                       struct gr_catalog_api *api)
{
    int rc = router->add(router->target, "GET", "/entities/unprocessed/failed", failed_get, api);

    if (rc == GR_OK)
        rc = router->add(router->target, "GET", "/entities/unprocessed/pending", pending_get, api);
    /* DELETE checks catalog.readonly through the engine, so a server without one only lists. */
    if (rc == GR_OK && api->catalog != NULL)
        rc = router->add(router->target, "DELETE", "/entities/unprocessed/delete/:entity_id",
                         unprocessed_delete, api);
    return rc;
}
