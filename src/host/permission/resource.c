/* SPDX-License-Identifier: MIT */
/* Resource loaders: how a conditional decision finds the resource a check names, per resource
 * type. */
#include "host/permission/resource.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

typedef struct {
    char *resource_type;
    gr_permission_load_fn load;
    void *payload;
    const void *owner;
} loader_entry;

/* Plugins register while they are set up, one after another; checks read while serving. */
static pthread_mutex_t loaders_lock = PTHREAD_MUTEX_INITIALIZER;
static loader_entry loaders[GR_PERMISSION_MAX_LOADERS];
static size_t loader_count;

/* Returns the index of the loader of `resource_type`, or -1. Called with the lock held. */
static long find_locked(const char *resource_type)
{
    for (size_t i = 0; i < loader_count; i++) {
        if (strcmp(loaders[i].resource_type, resource_type) == 0)
            return (long)i;
    }
    return -1;
}

int gr_permission_resource_add(const char *resource_type, gr_permission_load_fn load, void *payload,
                               const void *owner)
{
    int rc = GR_OK;

    if (resource_type == NULL || resource_type[0] == '\0' || load == NULL)
        return gr_error_set(GR_EINVALID, "a resource loader needs a resource type and a function");
    pthread_mutex_lock(&loaders_lock);
    if (find_locked(resource_type) >= 0) {
        rc =
            gr_error_set(GR_ECONFLICT, "resources of type %s have a loader already", resource_type);
    } else if (loader_count == GR_PERMISSION_MAX_LOADERS) {
        rc = gr_error_set(GR_ELIMIT, "%d resource types have loaders, no more are accepted",
                          GR_PERMISSION_MAX_LOADERS);
    } else {
        loaders[loader_count++] = (loader_entry){gr_xstrdup(resource_type), load, payload, owner};
    }
    pthread_mutex_unlock(&loaders_lock);
    return rc;
}

void gr_permission_resource_remove(const void *owner)
{
    size_t remaining = 0;

    pthread_mutex_lock(&loaders_lock);
    for (size_t i = 0; i < loader_count; i++) {
        if (loaders[i].owner == owner)
            free(loaders[i].resource_type);
        else
            loaders[remaining++] = loaders[i];
    }
    loader_count = remaining;
    pthread_mutex_unlock(&loaders_lock);
}

int gr_permission_resource_known(const char *resource_type)
{
    long index;

    if (resource_type == NULL)
        return 0;
    pthread_mutex_lock(&loaders_lock);
    index = find_locked(resource_type);
    pthread_mutex_unlock(&loaders_lock);
    return index >= 0;
}

int gr_permission_resource_load(const char *resource_type, const char *resource_ref, json_t **out)
{
    loader_entry entry = {0};
    long index;

    *out = NULL;
    if (resource_type == NULL || resource_ref == NULL)
        return gr_error_set(GR_EINVALID, "a resource load needs a resource type and a ref");
    pthread_mutex_lock(&loaders_lock);
    if ((index = find_locked(resource_type)) >= 0)
        entry = loaders[index];
    pthread_mutex_unlock(&loaders_lock);
    /* The loader runs without the lock, so loads of several requests run at once. Loaders are
     * removed only when their plugin is freed, after the server has stopped. */
    if (entry.load == NULL)
        return gr_error_set(GR_ENOTFOUND, "no running plugin loads resources of type %s",
                            resource_type);
    return entry.load(entry.payload, resource_ref, out);
}
