/* SPDX-License-Identifier: MIT */
/* The registry of running catalog instances, used to release the leases of dead processes. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_INSTANCES_H
#define GR_PLUGINS_CATALOG_ENGINE_INSTANCES_H

#include "plugins/catalog/engine/engine.h"

/**
 * Releases the processing and stitch leases of every registered instance that ran on this
 * kernel and in this PID namespace and whose process is gone, then registers this instance.
 * Returns GR_OK or a database error. Without /proc, nothing is released or registered and the
 * leases of a dead process end after GR_CATALOG_LEASE_MS. Call before the workers start.
 */
int gr_catalog__instances_register(gr_catalog *catalog);

/** Removes this instance from the registry if it registered. Failures are logged only. */
void gr_catalog__instances_unregister(gr_catalog *catalog);

#endif
