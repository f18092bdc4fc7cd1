/* SPDX-License-Identifier: MIT */
/* The indexes of catalog_search that the first load of an empty catalog builds at its end. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_SEARCH_INDEX_H
#define GR_PLUGINS_CATALOG_ENGINE_SEARCH_INDEX_H

#include "plugins/catalog/engine/engine.h"

/**
 * Drops the indexes of catalog_search that begin with its key when the catalog has no final
 * entity yet, so that the first load does not keep them in order. Otherwise creates them when
 * they are missing, as after a crash during a first load. Does nothing on PostgreSQL, where
 * several instances share the tables. Call once before the workers start, after the catalog
 * API's migrations, which create them too. Returns 0 or an error of the database.
 */
int gr_catalog__search_index_defer(gr_catalog *catalog);

/**
 * Creates the indexes that gr_catalog__search_index_defer() dropped, or does nothing when none
 * wait. Takes the write connection. Thread-safe. Returns 0 or an error of the database,
 * after which the indexes still wait and a later call tries again.
 */
int gr_catalog__search_index_build(gr_catalog *catalog);

/** Returns whether the indexes dropped by gr_catalog__search_index_defer() still wait. */
bool gr_catalog__search_index_waiting(gr_catalog *catalog);

#endif
