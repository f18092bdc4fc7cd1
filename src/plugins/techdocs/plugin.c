/* SPDX-License-Identifier: MIT */
/* The techdocs plugin's hooks: the service, its API routes and pages, its lifecycle. */
#include "plugins/techdocs/plugin.h"

#include "host/common/error.h"
#include "host/sched/sched.h"
#include "plugins/techdocs/api.h"
#include "plugins/techdocs/pages.h"
#include "plugins/techdocs/prebuild.h"
#include "plugins/techdocs/service.h"
#include "plugins/search/collator_techdocs.h"
#include "plugins/search/plugin.h"
#include "plugins/ui/ui.h"

static int run_prebuild(gr_sched_run *run, void *service)
{
    (void)run;
    return gr_techdocs_prebuild(service, NULL);
}

/* Queues the search update of a site that a build just published, so that
 * it is searchable within a second. */
static void notify_search(const char *entity_ref, void *search)
{
    gr_search_notify(search, GR_SEARCH_TYPE_TECHDOCS, entity_ref);
}

int gr_techdocs_plugin_init(gr_host *host, void **state_out)
{
    gr_techdocs_service_options options = {host->db, host->config, NULL, host->instance_id,
                                           host->permissions};
    gr_techdocs_service *service = NULL;
    gr_search *search = gr_host_lookup(host, GR_SEARCH_SERVICE);
    int rc = gr_techdocs_service_new(&service, &options);

    *state_out = NULL;
    if (rc == GR_OK && search != NULL)
        gr_techdocs_service_on_published(service, notify_search, search);
    if (rc == GR_OK)
        rc = gr_techdocs_api_register(host->http, service);
    if (rc == GR_OK)
        rc = gr_techdocs_pages_register(host->http, gr_host_lookup(host, GR_UI_SERVICE), service);
    if (rc == GR_OK && host->sched != NULL && gr_techdocs_service_settings(service)->prebuild &&
        !gr_techdocs_service_settings(service)->external)
        rc = gr_sched_add(host->sched, "techdocs:prebuild", GR_TECHDOCS_PREBUILD_INTERVAL_MS,
                          GR_TECHDOCS_PREBUILD_DELAY_MS, GR_TECHDOCS_PREBUILD_INTERVAL_MS,
                          run_prebuild, service);
    if (rc == GR_OK)
        rc = gr_host_provide(host, GR_TECHDOCS_SERVICE, service);
    if (rc != GR_OK) {
        gr_techdocs_service_free(service);
        return rc;
    }
    *state_out = service;
    return GR_OK;
}

int gr_techdocs_plugin_start(void *state)
{
    return gr_techdocs_service_start(state);
}

void gr_techdocs_plugin_stop(void *state)
{
    gr_techdocs_service_stop(state);
}

void gr_techdocs_plugin_destroy(void *state)
{
    gr_techdocs_service_free(state);
}
