/* SPDX-License-Identifier: MIT */
/* The permissions the scaffolder checks, as Backstage's scaffolder names them. */
#ifndef GR_PLUGINS_SCAFFOLDER_PERMISSIONS_H
#define GR_PLUGINS_SCAFFOLDER_PERMISSIONS_H

#include "greenroom/plugin.h"

/** Number of entries of gr_scaffolder_permissions. */
#define GR_SCAFFOLDER_PERMISSION_COUNT 7

/** The scaffolder's permissions, for its plugin definition. */
extern const gr_plugin_permission gr_scaffolder_permissions[GR_SCAFFOLDER_PERMISSION_COUNT];

#endif
