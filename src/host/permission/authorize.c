/* SPDX-License-Identifier: MIT */
/* Permission checks for one resource, and Backstage's POST /api/permission/authorize. */
#include "host/permission/authorize.h"

#include <string.h>

#include "host/auth/audit.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/permission/resource.h"

int gr_permission_authorize(const gr_permission_policy *policy, const gr_identity *identity,
                            const char *permission, const json_t *entity,
                            const char *resource_ref, const char *path)
{
    gr_permission_decision decision;
    int allowed;
    int rc;

    if ((rc = gr_permission_evaluate(policy, identity, permission, &decision)) < 0)
        return rc;
    allowed = decision.result == GR_PERMISSION_ALLOW ||
              (decision.result == GR_PERMISSION_CONDITIONAL && entity != NULL &&
               gr_permission_criteria_match(decision.conditions, entity));
    gr_permission_decision_clear(&decision);
    if (allowed)
        return GR_OK;

    gr_audit_permission_denied(identity && identity->subject ? identity->subject : "",
                               permission, resource_ref, path);
    if (resource_ref != NULL)
        return gr_error_set(GR_EDENIED, "You are not allowed to %s on %s", permission,
                            resource_ref);
    return gr_error_set(GR_EDENIED, "You are not allowed to %s", permission);
}

/* Returns the plugin that owns a permission, as Backstage names it in a conditional result: the
 * name up to its first dot, as in "catalog.entity.read" (a new string). */
static json_t *plugin_of(const char *permission)
{
    const char *dot = strchr(permission, '.');

    return dot != NULL ? json_stringn(permission, (size_t)(dot - permission))
                       : json_string("unknown");
}

/* Loads the resource `resource_ref` of `resource_type` for a conditional decision: with the loader
 * a plugin registered for the type, or else with the catalog lookup of `ctx`. Returns a new
 * reference, or NULL when the resource cannot be found. */
static json_t *load_resource(const gr_permission_authorize_ctx *ctx, const char *resource_type,
                             const char *resource_ref)
{
    json_t *resource = NULL;

    if (gr_permission_resource_known(resource_type))
        gr_permission_resource_load(resource_type, resource_ref, &resource);
    else if (ctx->get_entity != NULL)
        ctx->get_entity(ctx->payload, resource_ref, &resource);
    gr_error_clear();
    return resource;
}

/* Decides one item of an authorize request, looking up the resource of its resourceRef. */
static json_t *authorize_item(const gr_permission_authorize_ctx *ctx, const gr_identity *identity,
                              const json_t *item, const char *path)
{
    const json_t *id = json_object_get(item, "id");
    const char *name =
        json_string_value(json_object_get(json_object_get(item, "permission"), "name"));
    const char *resource_ref = json_string_value(json_object_get(item, "resourceRef"));
    gr_permission_decision decision;
    json_t *answer;
    json_t *resource = NULL;

    if (!json_is_string(id) || name == NULL) {
        gr_error_set(GR_EINVALID, "each item needs a string id and a permission with a name");
        return NULL;
    }
    if (json_object_get(item, "resourceRef") != NULL && resource_ref == NULL) {
        gr_error_set(GR_EINVALID, "resourceRef must be a string, such as component:default/x");
        return NULL;
    }
    if (gr_permission_evaluate(ctx->policy, identity, name, &decision) < 0)
        return NULL;

    answer = json_pack("{s:O}", "id", id);
    if (decision.result == GR_PERMISSION_CONDITIONAL && resource_ref != NULL) {
        resource = load_resource(ctx, decision.resource_type, resource_ref);
        decision.result =
            resource != NULL && gr_permission_criteria_match(decision.conditions, resource)
                ? GR_PERMISSION_ALLOW
                : GR_PERMISSION_DENY;
        json_decref(resource);
    }
    json_object_set_new(answer, "result",
                        json_string(gr_permission_result_name(decision.result)));
    if (decision.result == GR_PERMISSION_CONDITIONAL) {
        json_object_set_new(answer, "pluginId", plugin_of(name));
        json_object_set_new(answer, "resourceType", json_string(decision.resource_type));
        json_object_set(answer, "conditions", decision.conditions);
    }
    if (decision.result == GR_PERMISSION_DENY)
        gr_audit_permission_denied(identity->subject, name, resource_ref, path);
    gr_permission_decision_clear(&decision);
    return answer;
}

static int handle_authorize(gr_request *req, gr_response *res, void *payload)
{
    const gr_permission_authorize_ctx *ctx = payload;
    const gr_identity *identity = gr_req_identity(req);
    size_t len = 0;
    const char *body = gr_req_body(req, &len);
    json_error_t error;
    json_t *doc = json_loadb(body, len, 0, &error);
    const json_t *items = json_object_get(doc, "items");
    json_t *answers = json_array();
    const json_t *item;
    size_t i;
    int rc = GR_OK;

    if (doc == NULL)
        rc = gr_error_set(GR_EINVALID, "the body is not valid JSON: %s (line %d, column %d)",
                          error.text, error.line, error.column);
    else if (!json_is_array(items))
        rc = gr_error_set(GR_EINVALID, "the body must be JSON of the form {\"items\": [...]}");
    else if (json_array_size(items) > GR_PERMISSION_MAX_AUTHORIZE_ITEMS)
        rc = gr_error_set(GR_ELIMIT, "at most %d items may be authorized at once",
                          GR_PERMISSION_MAX_AUTHORIZE_ITEMS);
    json_array_foreach(items, i, item)
    {
        json_t *answer;

        if (rc < 0)
            break;
        if ((answer = authorize_item(ctx, identity, item, gr_req_path(req))) == NULL) {
            rc = gr_error_wrap(GR_EINVALID, "items[%zu]", i);
            break;
        }
        json_array_append_new(answers, answer);
    }
    json_decref(doc);
    if (rc < 0) {
        json_decref(answers);
        return rc;
    }
    return gr_res_json(res, 200, json_pack("{s:o}", "items", answers));
}

int gr_permission_add_routes(gr_http_server *server, const gr_permission_authorize_ctx *ctx)
{
    return gr_http_route(server, "POST", "/api/permission/authorize", 0, handle_authorize,
                         (void *)ctx);
}
