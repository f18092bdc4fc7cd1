/* SPDX-License-Identifier: MIT */
/* Route tables of the catalog API, registered by api.c. */
#ifndef GR_PLUGINS_CATALOG_API_ROUTES_H
#define GR_PLUGINS_CATALOG_API_ROUTES_H

#include "host/http/http.h"
#include "host/store/db.h"

/** Registers the read routes with `db` as their payload. Returns 0 or the error of gr_http_route(). */
int gr_catalog_api__routes_read(gr_http_server *server, gr_db *db);

typedef struct gr_catalog gr_catalog;

/** Registers the routes that write or read through the engine, with `catalog` as their payload. */
int gr_catalog_api__routes_engine(gr_http_server *server, gr_catalog *catalog);

/** Handler of GET /entities, the legacy list (payload: the gr_db). */
int gr_catalog_api__entities_get(gr_request *req, gr_response *res, void *payload);

#endif
