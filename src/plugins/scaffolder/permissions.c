/* SPDX-License-Identifier: MIT */
/* The permissions the scaffolder checks, as Backstage's scaffolder names them. */
#include "plugins/scaffolder/permissions.h"

#include "host/permission/permission.h"

#define ENTRY(name, resource_type, action)                                                       \
    {sizeof(gr_plugin_permission), (name), (resource_type), (action)}

const gr_plugin_permission gr_scaffolder_permissions[GR_SCAFFOLDER_PERMISSION_COUNT] = {
    ENTRY("scaffolder.template.execute", GR_PERMISSION_CATALOG_ENTITY, "use"),
    ENTRY("scaffolder.template.parameter.read", "scaffolder-template", "read"),
    ENTRY("scaffolder.template.step.read", "scaffolder-template", "read"),
    ENTRY("scaffolder.action.execute", "scaffolder-action", "use"),
    ENTRY("scaffolder.task.create", NULL, "create"),
    ENTRY("scaffolder.task.read", GR_PERMISSION_SCAFFOLDER_TASK, "read"),
    ENTRY("scaffolder.task.cancel", GR_PERMISSION_SCAFFOLDER_TASK, "update"),
};
