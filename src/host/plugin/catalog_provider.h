/* SPDX-License-Identifier: MIT */
/* The interface a catalog plugin publishes so that the host can serve the catalog functions of the
 * plugin ABI. */
#ifndef GR_HOST_PLUGIN_CATALOG_PROVIDER_H
#define GR_HOST_PLUGIN_CATALOG_PROVIDER_H

#include <stddef.h>

#include "greenroom/plugin.h"

/**
 * Name of the service (host->service_publish()) through which a catalog
 * plugin implements host->catalog_get(), catalog_query(),
 * catalog_on_change(), provider_add() and processor_add(). The host looks it
 * up on each call and returns GR_PLUGIN_EBACKEND when no plugin published it.
 */
#define GR_PLUGIN_CATALOG_PROVIDER "catalog-provider"

typedef struct gr_plugin_catalog_provider gr_plugin_catalog_provider;

/**
 * A catalog seen from the host. The publisher owns it and keeps it valid
 * until its destroy hook returns. Every member is thread-safe, returns 0 or
 * a negative GR_* code with the thread's error message set, and receives the
 * provider itself as `self`.
 */
struct gr_plugin_catalog_provider {
    gr_plugin_service header; /* struct_size = sizeof(gr_plugin_catalog_provider), version 1 */
    /*
     * Reads the final entity `ref` ("kind:namespace/name", any case) as JSON
     * text in *out_json (caller frees with free()). With `req`, its caller
     * must be allowed catalog.entity.read on the entity; NULL reads
     * everything. Returns GR_ENOTFOUND, with a message naming `ref`, for a
     * missing entity and for one the caller may not read.
     */
    int (*get)(const gr_plugin_catalog_provider *self, gr_request *req, const char *ref,
               char **out_json);
    /*
     * Lists the final entities matching `filter` (the catalog API's filter
     * syntax, NULL or "" for all) that the caller of `req` may read. Stores
     * them in *out_json as JSON array text (caller frees), sorted by entity
     * ref, at most `limit` of them (0 for no limit). GR_EINVALID for a bad
     * filter.
     */
    int (*query)(const gr_plugin_catalog_provider *self, gr_request *req, const char *filter,
                 size_t limit, char **out_json);
    /*
     * Calls `fn` with the entity ref after each change or delete of a final
     * entity, on a catalog worker thread, until the catalog stops. `payload`
     * is borrowed until then. Call only while plugins are set up.
     */
    int (*on_change)(const gr_plugin_catalog_provider *self, gr_plugin_entity_changed_fn fn,
                     void *payload);
    /*
     * Stores entities of the provider `source_key` ("<plugin-id>:<name>")
     * from `entities_json`, a JSON array of entities with kind and
     * metadata.name. `full` nonzero replaces everything the provider
     * supplied, deleting what it no longer supplies. Zero adds or updates
     * them, and first deletes the entities listed in `removed_json` (NULL
     * for none): a JSON array of entity refs, {"entityRef": ref} objects or
     * {"entity": entity} objects. Returns GR_EINVALID naming the first bad
     * entity or removal, or GR_ELIMIT when an array contains more items than
     * one run may supply.
     */
    int (*provide)(const gr_plugin_catalog_provider *self, const char *source_key,
                   const char *entities_json, const char *removed_json, int full);
};

/**
 * Returns the published catalog provider (borrowed), or NULL with the
 * GR_EBACKEND message "<owner> <name>: no catalog plugin is running, so
 * <consequence>" set. Thread-safe.
 */
const gr_plugin_catalog_provider *gr_plugin__catalog_provider(const char *owner, const char *name,
                                                              const char *consequence);

#endif
