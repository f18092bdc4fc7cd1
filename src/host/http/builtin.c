/* SPDX-License-Identifier: MIT */
/* Routes every server has: Backstage's health checks and Prometheus metrics. */
/* Metrics name every route and its traffic, so they need credentials unless
 * the operator makes them public; Backstage serves no metrics route by default. */
#include <string.h>

#include "host/http/internal.h"

/* The bodies Backstage's root health service sends (backend-defaults, 2024). */
static const char health_ok[] = "{\"status\":\"ok\"}";
static const char health_not_ready[] =
    "{\"message\":\"Backend has not started yet\",\"status\":\"error\"}";

static int health_liveness(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    gr_res_body_borrowed(res, 200, GR_HTTP_JSON, health_ok, sizeof(health_ok) - 1);
    return 0;
}

static int health_readiness(gr_request *req, gr_response *res, void *payload)
{
    gr_http_server *server = payload;
    int ready = atomic_load(&server->state) == SERVER_RUNNING;

    (void)req;
    if (ready && server->opts.ready != NULL)
        ready = server->opts.ready(server->opts.ready_payload);
    if (ready)
        gr_res_body_borrowed(res, 200, GR_HTTP_JSON, health_ok, sizeof(health_ok) - 1);
    else
        gr_res_body_borrowed(res, 503, GR_HTTP_JSON, health_not_ready,
                             sizeof(health_not_ready) - 1);
    return 0;
}

static int metrics_get(gr_request *req, gr_response *res, void *payload)
{
    gr_http_server *server = payload;
    gr_buf text = GR_BUF_INIT;

    (void)req;
    gr_metrics_render(server->metrics, &text);
    gr_res_body(res, 200, "text/plain; version=0.0.4; charset=utf-8", gr_buf_cstr(&text),
                text.len);
    gr_buf_free(&text);
    return 0;
}

int gr_http__builtin_routes(gr_http_server *server)
{
    int rc = gr_http_route(server, "GET", "/.backstage/health/v1/liveness", GR_ROUTE_PUBLIC,
                           health_liveness, server);

    if (rc == 0)
        rc = gr_http_route(server, "GET", "/.backstage/health/v1/readiness", GR_ROUTE_PUBLIC,
                           health_readiness, server);
    if (rc == 0)
        rc = gr_http_route(server, "GET", "/metrics",
                           server->opts.metrics_public ? GR_ROUTE_PUBLIC : 0u, metrics_get,
                           server);
    return rc;
}
