/* SPDX-License-Identifier: MIT */
/* Services plugins publish to each other by name: host->service_publish() and service_lookup(). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/plugin/ctx.h"
#include "host/plugin/services.h"
#include "host/plugin/ui_portal.h"

/* One published service: the name is owned, the service borrowed from its publisher. */
typedef struct {
    char *name;
    const gr_plugin_ctx *owner;
    const gr_plugin_service *service;
} published;

/* Publishing happens during setup, on one thread, but lookups may come from any thread. */
static pthread_mutex_t services_lock = PTHREAD_MUTEX_INITIALIZER;
static published services[GR_PLUGIN_MAX_SERVICES];
static size_t service_count;

static bool name_valid(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;

    if (len == 0 || len > GR_PLUGIN_SERVICE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

/* Returns the index of `name`, or -1. Call with the lock held. */
static long find_locked(const char *name)
{
    for (size_t i = 0; i < service_count; i++)
        if (strcmp(services[i].name, name) == 0)
            return (long)i;
    return -1;
}

int gr_plugin__service_publish(gr_plugin_ctx *ctx, const char *name,
                               const gr_plugin_service *service)
{
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "service_publish")) < 0)
        return rc;
    if (!name_valid(name))
        return gr_error_set(GR_EINVALID,
                            "plugin %s: service name '%.80s' must be 1 to %d letters, digits, "
                            "'-', '.' or '_'",
                            ctx->id, name != NULL ? name : "(null)", GR_PLUGIN_SERVICE_NAME_MAX);
    if (service == NULL || service->struct_size < sizeof(gr_plugin_service))
        return gr_error_set(GR_EINVALID,
                            "plugin %s: service %s must start with a gr_plugin_service whose "
                            "struct_size is the size of the whole service struct",
                            ctx->id, name);
    if (strcmp(name, GR_PLUGIN_SERVICE_LAYOUT) == 0 &&
        (rc = gr_plugin__layout_check(ctx, service)) < 0)
        return rc;
    pthread_mutex_lock(&services_lock);
    if (find_locked(name) >= 0) {
        rc =
            gr_error_set(GR_ECONFLICT, "plugin %s: service %s is already published", ctx->id, name);
    } else if (service_count >= GR_PLUGIN_MAX_SERVICES) {
        rc = gr_error_set(GR_ELIMIT, "plugin %s: service %s is one more than the %d allowed",
                          ctx->id, name, GR_PLUGIN_MAX_SERVICES);
    } else {
        services[service_count].name = gr_xstrdup(name);
        services[service_count].owner = ctx;
        services[service_count].service = service;
        service_count++;
    }
    pthread_mutex_unlock(&services_lock);
    return rc;
}

const gr_plugin_service *gr_plugin__service_find(const char *name)
{
    const gr_plugin_service *found = NULL;
    long index;

    pthread_mutex_lock(&services_lock);
    index = find_locked(name);
    if (index >= 0)
        found = services[index].service;
    pthread_mutex_unlock(&services_lock);
    return found;
}

int gr_plugin__service_lookup(gr_plugin_ctx *ctx, const char *name, size_t min_size,
                              const gr_plugin_service **out)
{
    const char *caller = ctx != NULL ? ctx->id : "host";
    const gr_plugin_service *found;
    int rc = GR_OK;

    if (out == NULL || name == NULL || min_size < sizeof(gr_plugin_service))
        return gr_error_set(GR_EINVALID,
                            "plugin %s: service_lookup needs a name, an output "
                            "and the size of the service struct",
                            caller);
    *out = NULL;
    found = gr_plugin__service_find(name);
    if (found == NULL)
        rc = gr_error_set(GR_ENOTFOUND,
                          "plugin %s: service %.80s not found: load the plugin that publishes "
                          "it before this one",
                          caller, name);
    else if (found->struct_size < min_size)
        rc = gr_error_set(GR_EINVALID,
                          "plugin %s: service %s has %u bytes but this plugin needs %zu, so its "
                          "publisher is older than the plugin",
                          caller, name, (unsigned)found->struct_size, min_size);
    else
        *out = found;
    return rc;
}

void gr_plugin__services_remove(const gr_plugin_ctx *ctx)
{
    size_t remaining = 0;

    pthread_mutex_lock(&services_lock);
    for (size_t i = 0; i < service_count; i++) {
        if (services[i].owner == ctx)
            free(services[i].name);
        else
            services[remaining++] = services[i];
    }
    service_count = remaining;
    pthread_mutex_unlock(&services_lock);
}
