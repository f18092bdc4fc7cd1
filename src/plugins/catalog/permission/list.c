/* SPDX-License-Identifier: MIT */
/* The permissions the catalog checks, as Backstage's catalog names them. */
#include "plugins/catalog/permission/list.h"

#include "host/permission/permission.h"

#define ENTRY(name, resource_type, action)                                                       \
    {sizeof(gr_plugin_permission), (name), (resource_type), (action)}

const gr_plugin_permission gr_catalog_permissions[GR_CATALOG_PERMISSION_COUNT] = {
    ENTRY("catalog.entity.read", GR_PERMISSION_CATALOG_ENTITY, "read"),
    ENTRY("catalog.entity.create", NULL, "create"),
    ENTRY("catalog.entity.delete", GR_PERMISSION_CATALOG_ENTITY, "delete"),
    ENTRY("catalog.entity.refresh", GR_PERMISSION_CATALOG_ENTITY, "update"),
    ENTRY("catalog.entity.validate", NULL, NULL),
    ENTRY("catalog.location.read", NULL, "read"),
    ENTRY("catalog.location.create", NULL, "create"),
    ENTRY("catalog.location.delete", NULL, "delete"),
    ENTRY("catalog.location.analyze", NULL, NULL),
    ENTRY("catalog.entities.unprocessed.delete", NULL, "delete"),
};
