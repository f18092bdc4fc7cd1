/* SPDX-License-Identifier: MIT */
/* The permissions the catalog checks, as Backstage's catalog names them. */
#ifndef GR_PLUGINS_CATALOG_PERMISSION_LIST_H
#define GR_PLUGINS_CATALOG_PERMISSION_LIST_H

#include "greenroom/plugin.h"

/** Number of entries of gr_catalog_permissions. */
#define GR_CATALOG_PERMISSION_COUNT 10

/** The catalog's permissions, for its plugin definition. */
extern const gr_plugin_permission gr_catalog_permissions[GR_CATALOG_PERMISSION_COUNT];

#endif
