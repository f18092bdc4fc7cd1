/* SPDX-License-Identifier: MIT */
/* The user lookup of sign-in, read from the catalog's tables catalog_final_entities and catalog_search. */
#ifndef GR_PLUGINS_AUTH_CATALOG_LOOKUP_H
#define GR_PLUGINS_AUTH_CATALOG_LOOKUP_H

#include "host/auth/resolver.h"
#include "host/store/db.h"

/**
 * Fills `out` with a lookup over the catalog's stitched entities in `db`
 * (borrowed): users by a key of catalog_search (lower-case key and value, as
 * the catalog writes them) together with kind "user", and entities by ref.
 * While the catalog's migrations have not run on `db`, it finds nothing.
 * Thread-safe.
 */
void gr_auth_catalog_lookup(gr_db *db, gr_auth_user_lookup *out);

#endif
