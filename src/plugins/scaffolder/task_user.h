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
 * Checks a basic permission (scaffolder.task.read or scaffolder.task.cancel)
 * for the caller. Returns 0 or GR_EDENIED.
 */
int gr_scaffolder_authorize(gr_scaffolder_plugin *plugin, gr_request *req, const char *permission);

#endif
