/* SPDX-License-Identifier: MIT */
/* Services that plugins publish to each other through the host. */
#include <string.h>

#include "host/common/error.h"
#include "host/host.h"

int gr_host_provide(struct gr_host *host, const char *name, void *service)
{
    if (gr_host_lookup(host, name) != NULL)
        return gr_error_set(GR_ECONFLICT, "a plugin already provides the service '%s'", name);
    if (host->service_count >= GR_HOST_MAX_SERVICES)
        return gr_error_set(GR_ELIMIT,
                            "the service '%s' cannot be provided: more than %d plugin services "
                            "(GR_HOST_MAX_SERVICES in host/host.h)",
                            name, GR_HOST_MAX_SERVICES);

    host->services[host->service_count].name = name;
    host->services[host->service_count].service = service;
    host->service_count++;
    return 0;
}

void *gr_host_lookup(const struct gr_host *host, const char *name)
{
    for (unsigned i = 0; i < host->service_count; i++) {
        if (strcmp(host->services[i].name, name) == 0)
            return host->services[i].service;
    }
    return NULL;
}
