/* SPDX-License-Identifier: MIT */
/* The indexes that the first load of an empty SQLite catalog builds late: search rows, relations.
 */
#ifndef GR_PLUGINS_CATALOG_ENGINE_SEARCH_INDEX_H
#define GR_PLUGINS_CATALOG_ENGINE_SEARCH_INDEX_H

#include <stdint.h>

#include "plugins/catalog/engine/engine.h"

/**
 * Drops the indexes of catalog_search that begin with its key, and the index of
 * catalog_relations by source, when the catalog has no final entity yet, so that the first
 * load does not keep them in order. Otherwise creates them when they are missing, as after a
 * crash during a first load. Does nothing on PostgreSQL, where
 * several instances share the tables. Call once before the workers start, after the catalog
 * API's migrations, which create them too. Returns 0 or an error of the database.
 */
int gr_catalog__search_index_defer(gr_catalog *catalog);

/** Relations that a stitch or a delete may scan per entity while a first load defers their index.
 */
#define GR_CATALOG_RELATIONS_SCAN_ROWS 2000

/**
 * Creates the index of relations by source that gr_catalog__search_index_defer() dropped,
 * once catalog_relations may contain `min_rows` rows or more (0: always), or does nothing when it
 * does not wait. Until then the stitch reads the relations of an entity with a scan, which
 * costs little while the table is small (the first Location of a load is stitched before its
 * children are processed). Takes the write connection. Thread-safe. Returns 0 or an error of
 * the database, after which the index still waits and a later call tries again.
 */
int gr_catalog__relations_index_build(gr_catalog *catalog, int64_t min_rows);

/**
 * Creates the indexes that gr_catalog__search_index_defer() dropped, the relations index
 * first, or does nothing when none wait. Takes the write connection. Thread-safe. Returns 0 or an
 * error of the database, after which the indexes still wait and a later call tries again.
 */
int gr_catalog__search_index_build(gr_catalog *catalog);

/** Returns whether the indexes dropped by gr_catalog__search_index_defer() still wait. */
bool gr_catalog__search_index_waiting(gr_catalog *catalog);

#endif
