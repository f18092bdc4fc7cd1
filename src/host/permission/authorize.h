/* SPDX-License-Identifier: MIT */
/* Backstage's permission API: POST /api/permission/authorize. */
#ifndef GR_HOST_PERMISSION_AUTHORIZE_H
#define GR_HOST_PERMISSION_AUTHORIZE_H

#include "host/permission/permission.h"

typedef struct gr_http_server gr_http_server;

/** Maximum number of items in one authorize request. */
#define GR_PERMISSION_MAX_AUTHORIZE_ITEMS 100

/** What the authorize route needs; borrowed for the life of the server. */
typedef struct {
    const gr_permission_policy *policy;
    /* Looks up the catalog entity of an item's resourceRef (new reference in
     * *out) when no plugin registered a loader for the permission's resource
     * type (gr_permission_resource_add()); NULL without a catalog, which
     * makes such conditional items DENY. */
    int (*get_entity)(void *payload, const char *ref, json_t **out);
    void *payload;
} gr_permission_authorize_ctx;

/**
 * Registers POST /api/permission/authorize (authenticated). The body is
 * {"items": [{"id", "permission": {"name", ...}, "resourceRef"?}]} and the
 * response {"items": [{"id", "result": "ALLOW" | "DENY" | "CONDITIONAL",
 * "pluginId"?, "resourceType"?, "conditions"?}]}. An item with a
 * resourceRef is decided against that resource, which the loader of the
 * permission's resource type loads (a task for scaffolder-task), or else the
 * catalog. An item without one gets the conditions. A resource that cannot
 * be loaded gives DENY. Each DENY is written to the audit log. Returns 0 or the code
 * of gr_http_route().
 */
int gr_permission_add_routes(gr_http_server *server, const gr_permission_authorize_ctx *ctx);

#endif
