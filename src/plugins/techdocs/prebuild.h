/* SPDX-License-Identifier: MIT */
/* First builds of documented entities, so their pages are searchable before anyone opens them. */
#ifndef GR_PLUGINS_TECHDOCS_PREBUILD_H
#define GR_PLUGINS_TECHDOCS_PREBUILD_H

#include <stddef.h>

#include "plugins/techdocs/service.h"

/** Maximum number of builds one prebuild pass queues; the next pass takes the rest. */
#define GR_TECHDOCS_PREBUILD_MAX 500
/** Time between two prebuild passes, and before the first one, in ms. */
#define GR_TECHDOCS_PREBUILD_INTERVAL_MS 60000
#define GR_TECHDOCS_PREBUILD_DELAY_MS 3000

/**
 * Queues a build (on the service's workers) of every catalog entity with a
 * backstage.io/techdocs-ref annotation that has neither a published site
 * nor a build attempt on record, so a failed build is not repeated here. A
 * view or a sync request still retries it. Stores the number queued in
 * *queued (may be NULL). Returns GR_OK or a database error. Thread-safe.
 */
int gr_techdocs_prebuild(gr_techdocs_service *service, size_t *queued);

#endif
