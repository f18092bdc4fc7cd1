/* SPDX-License-Identifier: MIT */
/* The catalog REST API under /api/catalog, compatible with Backstage's catalog backend. */
#ifndef GR_PLUGINS_CATALOG_API_API_H
#define GR_PLUGINS_CATALOG_API_API_H

#include "host/http/http.h"
#include "host/store/db.h"

typedef struct gr_catalog gr_catalog;

/*
 * Routes (all under /api/catalog, none public: the host's authenticator runs first):
 *   GET    /entities                          legacy list, JSON array, Link header when paged
 *   GET    /entities/by-query                 {items, totalItems, pageInfo}
 *   POST   /entities/by-query                 the same with a filter predicate body
 *   POST   /entities/by-refs                  {items: [entity|null]} in request order
 *   GET    /entities/by-uid/:uid              one entity
 *   DELETE /entities/by-uid/:uid              204
 *   GET    /entities/by-name/:kind/:namespace/:name[/ancestry|/history]
 *   GET    /entity-facets, POST /entity-facets
 *   POST   /refresh, POST /validate-entity, POST /analyze-location
 *   GET|POST /locations, POST /locations/by-query, GET|PUT|DELETE /locations/:id,
 *   GET    /locations/by-entity/:kind/:namespace/:name
 */

/**
 * Registers every catalog route on `server` and applies the API's own
 * migrations (indexes for its queries; component "catalog_api"). Reads go
 * straight to the catalog tables of gr_catalog_db(catalog); writes go
 * through the engine. `catalog` is borrowed and must outlive the server.
 * Returns 0, or the error of a migration or of gr_http_route().
 */
int gr_catalog_api_register(gr_catalog *catalog, gr_http_server *server);

/**
 * Registers only the read routes (entities, by-query, by-refs, by-uid,
 * by-name, entity-facets) on `db`, which must hold the catalog tables, and
 * applies the API's migrations. For a server that only reads, such as a
 * read replica. `db` is borrowed and must outlive the server.
 */
int gr_catalog_api_register_reads(gr_db *db, gr_http_server *server);

/** Applies the API's migrations (its indexes on catalog_search). Returns 0 or the error. */
int gr_catalog_api_migrate(gr_db *db);

#endif
