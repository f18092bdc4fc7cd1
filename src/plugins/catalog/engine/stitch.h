/* SPDX-License-Identifier: MIT */
/* Stitching: final entities from processed ones, relations, status and search rows. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_STITCH_H
#define GR_PLUGINS_CATALOG_ENGINE_STITCH_H

#include <stdbool.h>

#include "plugins/catalog/engine/engine.h"

/**
 * Claims a batch of catalog_stitch_queue rows and stitches them: the final
 * entity is the processed entity with the orphan annotation when nothing
 * emits it, status.items from processing errors, relations (both
 * directions, sorted by type and target) and metadata.uid/etag. Entities
 * whose final form did not change write nothing but the queue row's removal.
 * With `all`, rows are taken before their delay is over (the processing
 * queue is empty, so no more marks are coming).
 * Stores whether a row was claimed in *did_work.
 */
int gr_catalog__stitch_batch(gr_catalog *catalog, bool all, bool *did_work);

#endif
