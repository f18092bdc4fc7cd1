/* SPDX-License-Identifier: MIT */
/* The catalog's implementation of the host's catalog provider: the catalog functions of the plugin
 * ABI. */
#ifndef GR_PLUGINS_CATALOG_ABI_SERVICES_H
#define GR_PLUGINS_CATALOG_ABI_SERVICES_H

#include "host/permission/permission.h"
#include "host/plugin/catalog_provider.h"
#include "plugins/catalog/engine/catalog.h"

/** Maximum number of entities one run of an entity provider may supply. */
#define GR_CATALOG_PROVIDER_MAX_ENTITIES 200000

/**
 * The provider the catalog plugin publishes under GR_PLUGIN_CATALOG_PROVIDER.
 * `provider` comes first, so that the service header is where the struct
 * starts.
 */
typedef struct {
    gr_plugin_catalog_provider provider;
    gr_catalog *catalog;                      /* borrowed */
    const gr_permission_policy *permissions;  /* borrowed; NULL checks nothing */
} gr_catalog_abi_services;

/**
 * Fills `out` so that its provider reads and writes through `catalog` and
 * checks catalog.entity.read against `permissions`. Both stay borrowed and
 * must outlive every call of the provider.
 */
void gr_catalog_abi_services_init(gr_catalog_abi_services *out, gr_catalog *catalog,
                                  const gr_permission_policy *permissions);

#endif
