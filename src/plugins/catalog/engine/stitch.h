/* SPDX-License-Identifier: MIT */
/* Stitching: final entities from processed ones, relations, status and search rows. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_STITCH_H
#define GR_PLUGINS_CATALOG_ENGINE_STITCH_H

#include <stdbool.h>
#include <stdint.h>

#include "plugins/catalog/engine/engine.h"

/**
 * Claims a batch of catalog_stitch_queue rows due by `due_by` (ms since the
 * epoch) and stitches them: the final entity is the processed entity with
 * the orphan annotation when nothing emits it, status.items from processing
 * errors, relations (both directions, sorted by type and target) and
 * metadata.uid/etag. Entities whose final form did not change write nothing
 * but the queue row's removal. While batches come full, each write leases
 * the next batch, up to GR_CATALOG_STITCH_ROUNDS batches per call. Stores
 * whether a row was claimed in *did_work.
 */
int gr_catalog__stitch_batch(gr_catalog *catalog, int64_t due_by, bool *did_work);

#endif
