/* SPDX-License-Identifier: MIT */
/* The HTTP layer in one include: server, routes, requests, responses, metrics. */
#ifndef GR_HOST_HTTP_HTTP_H
#define GR_HOST_HTTP_HTTP_H

/*
 * A feature plugin registers routes and writes handlers:
 *
 *   static int get_entity(gr_request *req, gr_response *res, void *payload)
 *   {
 *       const char *name = gr_req_param(req, "name");
 *       ...
 *       if (entity == NULL)
 *           return gr_error_set(GR_ENOTFOUND, "No entity named '%s' found", name);
 *       return gr_res_json(res, 200, entity);
 *   }
 *
 *   gr_http_route(server, "GET", "/api/catalog/entities/by-name/:kind/:namespace/:name",
 *                 0, get_entity, catalog);
 */
#include "host/http/limits.h"
#include "host/http/metrics.h"
#include "host/http/request.h"
#include "host/http/response.h"
#include "host/http/router.h"
#include "host/http/server.h"
#include "host/http/throttle.h"

#endif
