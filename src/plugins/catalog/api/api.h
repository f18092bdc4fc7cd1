/* SPDX-License-Identifier: MIT */
/* The catalog REST API under /api/catalog, compatible with Backstage's catalog backend. */
#ifndef GR_PLUGINS_CATALOG_API_API_H
#define GR_PLUGINS_CATALOG_API_API_H

#include "greenroom/plugin.h"
#include "host/http/http.h"
#include "host/permission/permission.h"
#include "host/store/db.h"

typedef struct gr_catalog gr_catalog;
typedef struct gr_catalog_api gr_catalog_api;

/*
 * Routes (all under /api/catalog, none public: the host's authenticator runs
 * first), with the permission each one checks:
 *   GET    /entities                          legacy list, JSON array, Link header when paged
 *   GET    /entities/by-query                 {items, totalItems, pageInfo}
 *   POST   /entities/by-query                 the same with a filter predicate body
 *   POST   /entities/by-refs                  {items: [entity|null]} in request order
 *   GET    /entities/by-uid/:uid              one entity
 *   GET    /entities/by-name/:kind/:namespace/:name[/ancestry|/history]
 *   GET    /entity-facets, POST /entity-facets
 *       catalog.entity.read, applied inside the SQL of each query: entities
 *       the caller may not read are left out of lists, counts and facets,
 *       are null in by-refs and get 404 as if they did not exist.
 *   DELETE /entities/by-uid/:uid              204; catalog.entity.delete
 *   POST   /refresh                           catalog.entity.refresh
 *   POST   /validate-entity                   catalog.entity.validate
 *   POST   /analyze-location                  catalog.location.analyze
 *   GET    /locations, POST /locations/by-query, GET /locations/:id
 *                                             catalog.location.read
 *   GET    /locations/by-entity/:kind/:namespace/:name
 *                                             catalog.location.read and entity read
 *   POST   /locations                         catalog.location.create
 *   PUT    /locations/:id                     catalog.location.create and .delete
 *   DELETE /locations/:id                     catalog.location.delete
 *   GET    /entities/unprocessed/failed, GET /entities/unprocessed/pending
 *       catalog.entity.read allowed for every entity (a conditional decision
 *       is 403, because unprocessed entities cannot be matched in SQL)
 *   DELETE /entities/unprocessed/delete/:entity_id
 *                                             catalog.entities.unprocessed.delete
 * A denied permission gets 403 with Backstage's NotAllowedError body.
 */

/**
 * Registers every catalog route on `server` and applies the API's own
 * migrations (indexes for its queries; component "catalog_api"). Reads go
 * straight to the catalog tables of gr_catalog_db(catalog); writes go
 * through the engine. Permissions are checked against `policy` (NULL: no
 * checks, as a disabled policy). `catalog`, `server` and `policy` are
 * borrowed and must outlive the routes. On success *out holds the routes'
 * shared state: free it with gr_catalog_api_free() after the server.
 * Returns 0, or the error of a migration or of gr_http_route().
 */
int gr_catalog_api_register(gr_catalog *catalog, gr_http_server *server,
                            const gr_permission_policy *policy, gr_catalog_api **out);

/**
 * Registers only the read routes (entities, by-query, by-refs, by-uid,
 * by-name, entity-facets) on `db`, which must hold the catalog tables, and
 * applies the API's migrations. For a server that only reads, such as a
 * read replica. Arguments and *out as gr_catalog_api_register().
 */
int gr_catalog_api_register_reads(gr_db *db, gr_http_server *server,
                                  const gr_permission_policy *policy, gr_catalog_api **out);

/**
 * Registers every catalog route through host->route() of the plugin `ctx`,
 * whose id must be "catalog" so that the routes live under /api/catalog, and
 * applies the API's migrations. Call from the plugin's setup. Arguments and
 * *out as gr_catalog_api_register(); `host` and `ctx` are borrowed.
 */
int gr_catalog_api_register_plugin(gr_catalog *catalog, const gr_host_api *host,
                                   gr_plugin_ctx *ctx, const gr_permission_policy *policy,
                                   gr_catalog_api **out);

/** Frees the state made by gr_catalog_api_register() and the other register functions. NULL-safe. */
void gr_catalog_api_free(gr_catalog_api *api);

/** Applies the API's migrations (its indexes on catalog_search). Returns 0 or the error. */
int gr_catalog_api_migrate(gr_db *db);

#endif
