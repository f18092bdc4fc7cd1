/* SPDX-License-Identifier: MIT */
/* The user a task runs for, from the caller's identity, and the scaffolder permission checks. */
#ifndef GR_SCAFFOLDER_TASK_USER_H
#define GR_SCAFFOLDER_TASK_USER_H

#include <jansson.h>

#include "host/http/http.h"
#include "plugins/scaffolder/plugin.h"

/**
 * Returns the `user` of a task started by the caller of `req`: {ref,
 * entity} for a user identity (the entity from the catalog when it is
 * there and the caller may read it), {} for services and anonymous
 * callers. A new reference.
 */
json_t *gr_scaffolder_request_user(gr_scaffolder_plugin *plugin, gr_request *req);

/**
 * Checks that the caller may create a task from `entity`: the permissions
 * scaffolder.task.create, scaffolder.template.execute (on the template)
 * and scaffolder.action.execute for the action of every step. Returns 0,
 * or GR_EDENIED naming the permission (and the action).
 */
int gr_scaffolder_authorize_template(gr_scaffolder_plugin *plugin, gr_request *req,
                                     const json_t *entity);

/**
 * Checks `permission` for the caller on the template `entity` (conditions of
 * the policy apply to it). Returns 0 or GR_EDENIED.
 */
int gr_scaffolder_authorize_entity(gr_scaffolder_plugin *plugin, gr_request *req,
                                   const char *permission, const json_t *entity);

/**
 * Checks a basic permission for the caller. Returns 0 or GR_EDENIED.
 */
int gr_scaffolder_authorize(gr_scaffolder_plugin *plugin, gr_request *req, const char *permission);

/**
 * Decides which tasks the caller may use with `permission`
 * (scaffolder.task.read or scaffolder.task.cancel). Returns 0 with
 * *criteria NULL when every task is allowed. Returns 0 with *criteria
 * (caller frees) when only the tasks matching it are, for example
 * isTaskOwner's IS_TASK_OWNER, which a list puts in its SQL through
 * gr_task_filter.access. Returns GR_EDENIED, written to the audit log, when
 * no task is allowed.
 */
int gr_scaffolder_task_access(gr_scaffolder_plugin *plugin, gr_request *req,
                              const char *permission, json_t **criteria);

/**
 * Reads task `id` for the caller when `permission` allows it on that task.
 * Returns 0 and *task (caller frees), or GR_EDENIED when `permission` is
 * allowed on no task, or not on this one while the caller may read it. A
 * task the caller may not read gives the GR_ENOTFOUND of a missing task
 * (gr_task_not_found()), so the response does not show that it exists.
 * Denials are written to the audit log.
 */
int gr_scaffolder_task_get(gr_scaffolder_plugin *plugin, gr_request *req, const char *permission,
                           const char *id, json_t **task);

#endif
