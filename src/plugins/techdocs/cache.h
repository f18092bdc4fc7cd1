/* SPDX-License-Identifier: MIT */
/* An in-memory cache of served site files, kept for techdocs.cache.ttl. */
#ifndef GR_PLUGINS_TECHDOCS_CACHE_H
#define GR_PLUGINS_TECHDOCS_CACHE_H

#include <stdint.h>

#include "plugins/techdocs/store.h"

/** Number of cache slots; a file takes the slot its site and path hash to. */
#define GR_TECHDOCS_CACHE_SLOTS 1024
/** Largest file the cache keeps, in bytes. */
#define GR_TECHDOCS_CACHE_MAX_FILE_BYTES ((size_t)1 << 20)
/** Maximum bytes of file content in the cache at once. */
#define GR_TECHDOCS_CACHE_MAX_BYTES ((size_t)64 << 20)

typedef struct gr_techdocs_cache gr_techdocs_cache;

/** Creates a cache whose entries live `ttl_ms`. Caller frees. Thread-safe to use. */
gr_techdocs_cache *gr_techdocs_cache_new(int64_t ttl_ms);

/** Frees the cache. NULL-safe. */
void gr_techdocs_cache_free(gr_techdocs_cache *cache);

/**
 * Copies the live entry of `path` in the site `entity_ref` into `out` (the
 * content too when `with_data`). Returns 1 on a hit, 0 on a miss. NULL-safe.
 */
int gr_techdocs_cache_get(gr_techdocs_cache *cache, const char *entity_ref, const char *path,
                          int with_data, gr_techdocs_blob *out);

/** Keeps a copy of `blob` (read with its content). NULL-safe. */
void gr_techdocs_cache_put(gr_techdocs_cache *cache, const char *entity_ref, const char *path,
                           const gr_techdocs_blob *blob);

/** Drops every entry of the site `entity_ref`. NULL-safe. */
void gr_techdocs_cache_forget(gr_techdocs_cache *cache, const char *entity_ref);

#endif
