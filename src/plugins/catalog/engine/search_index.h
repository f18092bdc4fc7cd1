/* SPDX-License-Identifier: MIT */
/* The key/value index of catalog_search, built once after the first load of an empty catalog. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_SEARCH_INDEX_H
#define GR_PLUGINS_CATALOG_ENGINE_SEARCH_INDEX_H

#include "plugins/catalog/engine/engine.h"

/**
 * Drops the (key, value) index of catalog_search when the catalog has no final entity yet, so
 * that the first load does not keep that index in order. Otherwise creates the index when it
 * is missing, as after a crash during a first load. Does nothing on PostgreSQL, where several
 * instances share the tables. Call once before the workers start. Returns 0 or an error of
 * the database.
 */
int gr_catalog__search_index_defer(gr_catalog *catalog);

/**
 * Creates the index that gr_catalog__search_index_defer() dropped, or does nothing when no
 * index waits. Takes the write connection. Thread-safe. Returns 0 or an error of the database,
 * after which the index still waits and a later call tries again.
 */
int gr_catalog__search_index_build(gr_catalog *catalog);

/** Returns whether the index dropped by gr_catalog__search_index_defer() still waits. */
bool gr_catalog__search_index_waiting(gr_catalog *catalog);

#endif
