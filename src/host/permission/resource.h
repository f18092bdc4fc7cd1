/* SPDX-License-Identifier: MIT */
/* Resource loaders: how a conditional decision finds the resource a check names, per resource
 * type. */
#ifndef GR_HOST_PERMISSION_RESOURCE_H
#define GR_HOST_PERMISSION_RESOURCE_H

#include <jansson.h>

/** Maximum number of resource types with a loader. */
#define GR_PERMISSION_MAX_LOADERS 32

/**
 * Loads the resource `resource_ref` as a JSON object that the conditions of
 * its type are applied to (a new reference in *out). Returns 0,
 * GR_ENOTFOUND when there is no such resource, or another error code.
 * Called on HTTP worker threads, several at once.
 */
typedef int (*gr_permission_load_fn)(void *payload, const char *resource_ref, json_t **out);

/**
 * Registers the loader of `resource_type` (copied) for the whole process,
 * as a plugin registers one for its resources ("scaffolder-task").
 * `payload` is borrowed until gr_permission_resource_remove(owner).
 * Returns 0, GR_EINVALID, GR_ECONFLICT when the type has a loader, or
 * GR_ELIMIT past GR_PERMISSION_MAX_LOADERS. Thread-safe.
 */
int gr_permission_resource_add(const char *resource_type, gr_permission_load_fn load, void *payload,
                               const void *owner);

/** Removes every loader that `owner` registered. Thread-safe; call once no check runs. */
void gr_permission_resource_remove(const void *owner);

/** Returns whether a loader is registered for `resource_type`. Thread-safe. */
int gr_permission_resource_known(const char *resource_type);

/**
 * Loads `resource_ref` with the loader of `resource_type` (a new reference
 * in *out, NULL on error). Returns 0, GR_ENOTFOUND when the type has no
 * loader or the loader finds no such resource, or the loader's error.
 * Thread-safe: several loads run at once.
 */
int gr_permission_resource_load(const char *resource_type, const char *resource_ref, json_t **out);

#endif
