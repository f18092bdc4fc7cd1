/* SPDX-License-Identifier: MIT */
/* Route tables of the catalog API, and the state their handlers share. */
#ifndef GR_PLUGINS_CATALOG_API_ROUTES_H
#define GR_PLUGINS_CATALOG_API_ROUTES_H

#include <jansson.h>

#include "host/http/http.h"
#include "host/permission/permission.h"
#include "host/store/db.h"

typedef struct gr_catalog gr_catalog;

/* The payload of every catalog route. */
struct gr_catalog_api {
    gr_db *db;                          /* the catalog tables (borrowed) */
    gr_catalog *catalog;                /* the engine, or NULL when only reads are served */
    const gr_permission_policy *policy; /* NULL: no permission checks */
};

/*
 * Where the route tables are registered: `add` receives each route with its
 * pattern relative to /api/catalog ("/entities/by-uid/:uid") and returns 0
 * or the error of the registration.
 */
typedef struct {
    int (*add)(void *target, const char *method, const char *pattern, gr_http_handler handler,
               void *payload);
    void *target;
} gr_catalog_api_router;

/** Registers the read routes through `router`. Returns 0 or the router's error. */
int gr_catalog_api__routes_read(const gr_catalog_api_router *router, struct gr_catalog_api *api);

/** Registers the routes that write or read through the engine (api->catalog is set). */
int gr_catalog_api__routes_engine(const gr_catalog_api_router *router,
                                  struct gr_catalog_api *api);

/**
 * Registers GET /entities/unprocessed/failed and /pending through `router`,
 * and with api->catalog set also DELETE /entities/unprocessed/delete/:entity_id.
 * Returns 0 or the router's error.
 */
int gr_catalog_api__routes_unprocessed(const gr_catalog_api_router *router,
                                       struct gr_catalog_api *api);

/** Handler of GET /entities, the legacy list (payload: the gr_catalog_api). */
int gr_catalog_api__entities_get(gr_request *req, gr_response *res, void *payload);

/**
 * Stores in *out the access predicate of catalog.entity.read for the
 * caller of `req` (caller frees; NULL when every entity is readable).
 * Returns 0 or GR_EINVALID.
 */
int gr_catalog_api__read_access(gr_request *req, const struct gr_catalog_api *api, json_t **out);

/**
 * Checks a basic permission for the caller of `req`. Returns 0, or
 * GR_EDENIED (403 NotAllowedError) after writing the denial to the audit log.
 */
int gr_catalog_api__require(gr_request *req, const struct gr_catalog_api *api,
                            const char *permission);

#endif
