/* SPDX-License-Identifier: MIT */
/* The user a task runs for, from the caller's identity, and the scaffolder permission checks. */
#include "plugins/scaffolder/task_user.h"

#include <stdlib.h>
#include <string.h>

#include "host/auth/audit.h"
#include "host/auth/identity.h"
#include "host/common/error.h"
#include "host/permission/permission.h"
#include "plugins/catalog/model/model.h"
#include "plugins/scaffolder/store.h"

json_t *gr_scaffolder_request_user(gr_scaffolder_plugin *plugin, gr_request *req)
{
    const gr_identity *identity = gr_req_identity(req);
    json_t *user = json_object();
    json_t *entity = NULL;

    if (identity == NULL || identity->type == NULL || strcmp(identity->type, "user") != 0 ||
        identity->subject == NULL)
        return user;
    json_object_set_new(user, "ref", json_string(identity->subject));
    if (plugin->scaffolder->catalog.fetch_entity != NULL &&
        plugin->scaffolder->catalog.fetch_entity(plugin->scaffolder->catalog.payload, identity,
                                                 identity->subject, &entity) == 0)
        json_object_set_new(user, "entity", entity);
    gr_error_clear();
    return user;
}

int gr_scaffolder_authorize(gr_scaffolder_plugin *plugin, gr_request *req, const char *permission)
{
    if (plugin->host->permissions == NULL)
        return 0;
    return gr_permission_authorize(plugin->host->permissions, gr_req_identity(req), permission,
                                   NULL, NULL, gr_req_path(req));
}

int gr_scaffolder_task_access(gr_scaffolder_plugin *plugin, gr_request *req,
                              const char *permission, json_t **criteria)
{
    gr_permission_decision decision;
    int rc;

    *criteria = NULL;
    if (plugin->host->permissions == NULL)
        return 0;
    rc = gr_permission_evaluate(plugin->host->permissions, gr_req_identity(req), permission,
                                &decision);
    if (rc < 0)
        return rc;
    if (decision.result == GR_PERMISSION_DENY)
        return gr_scaffolder_authorize(plugin, req, permission);
    *criteria = decision.conditions;
    return 0;
}

/* Returns nonzero when the caller may read `task` (no audit line: only a question). */
static int may_read(gr_scaffolder_plugin *plugin, gr_request *req, const json_t *task)
{
    gr_permission_decision decision;
    int readable;

    if (gr_permission_evaluate(plugin->host->permissions, gr_req_identity(req),
                               "scaffolder.task.read", &decision) < 0)
        return 0;
    readable = decision.result == GR_PERMISSION_ALLOW ||
               (decision.result == GR_PERMISSION_CONDITIONAL &&
                gr_permission_criteria_match(decision.conditions, task));
    gr_permission_decision_clear(&decision);
    return readable;
}

int gr_scaffolder_task_get(gr_scaffolder_plugin *plugin, gr_request *req, const char *permission,
                           const char *id, json_t **task)
{
    const gr_identity *identity = gr_req_identity(req);
    json_t *criteria = NULL;
    json_t *found = NULL;
    int rc;

    *task = NULL;
    if ((rc = gr_scaffolder_task_access(plugin, req, permission, &criteria)) < 0)
        return rc;
    if ((rc = gr_task_get(plugin->host->db, id, &found)) < 0)
        goto done;
    if (criteria != NULL && !gr_permission_criteria_match(criteria, found)) {
        if (strcmp(permission, "scaffolder.task.read") != 0 && may_read(plugin, req, found)) {
            rc = gr_permission_authorize(plugin->host->permissions, identity, permission, found,
                                         id, gr_req_path(req));
        } else {
            gr_audit_permission_denied(identity && identity->subject ? identity->subject : "",
                                       permission, id, gr_req_path(req));
            rc = gr_task_not_found(id);
        }
        if (rc < 0)
            goto done;
    }
    *task = found;
    found = NULL;

done:
    json_decref(found);
    json_decref(criteria);
    return rc;
}

int gr_scaffolder_authorize_entity(gr_scaffolder_plugin *plugin, gr_request *req,
                                   const char *permission, const json_t *entity)
{
    char *ref;
    int rc;

    if (plugin->host->permissions == NULL)
        return 0;
    ref = gr_model_entity_ref(entity);
    rc = gr_permission_authorize(plugin->host->permissions, gr_req_identity(req), permission,
                                 entity, ref, gr_req_path(req));
    free(ref);
    return rc;
}

int gr_scaffolder_authorize_template(gr_scaffolder_plugin *plugin, gr_request *req,
                                     const json_t *entity)
{
    const gr_permission_policy *policy = plugin->host->permissions;
    const gr_identity *identity = gr_req_identity(req);
    char *ref;
    size_t index;
    json_t *step;
    int rc;

    if (policy == NULL)
        return 0;
    if ((rc = gr_permission_authorize(policy, identity, "scaffolder.task.create", NULL, NULL,
                                      gr_req_path(req))) < 0)
        return rc;
    ref = gr_model_entity_ref(entity);
    rc = gr_permission_authorize(policy, identity, "scaffolder.template.execute", entity, ref,
                                 gr_req_path(req));
    free(ref);
    if (rc < 0)
        return rc;
    json_array_foreach(json_object_get(json_object_get(entity, "spec"), "steps"), index, step)
    {
        const char *action = json_string_value(json_object_get(step, "action"));

        if (action == NULL)
            continue;
        rc = gr_permission_authorize(policy, identity, "scaffolder.action.execute", NULL, action,
                                     gr_req_path(req));
        if (rc < 0)
            return gr_error_wrap(rc, "action %s", action);
    }
    return 0;
}
