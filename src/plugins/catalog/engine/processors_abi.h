/* SPDX-License-Identifier: MIT */
/* The catalog's call into the processors that plugins register through the plugin ABI. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_PROCESSORS_ABI_H
#define GR_PLUGINS_CATALOG_ENGINE_PROCESSORS_ABI_H

#include <jansson.h>

#include "plugins/catalog/engine/catalog.h"

/**
 * Runs the plugins' catalog processors on `*entity` (owned by the caller),
 * which passed validation; a processor may replace it. A changed entity must
 * still pass validation and keep the ref `ref`. Failures become one
 * InputError in `errors` naming the processor and `location_ref`.
 * Returns 0, or GR_EINVALID after pushing the error. Thread-safe.
 */
int gr_catalog__abi_processors(gr_catalog *catalog, json_t **entity, const char *ref,
                               const char *location_ref, json_t *errors);

#endif
