/* SPDX-License-Identifier: MIT */
/* An in-memory cache of served site files, kept for techdocs.cache.ttl. */
#include "plugins/techdocs/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"

typedef struct {
    char *entity_ref;
    char *path;
    int64_t expires_at;
    gr_techdocs_blob blob;
} cache_entry;

struct gr_techdocs_cache {
    pthread_mutex_t lock;
    int64_t ttl_ms;
    size_t bytes;
    cache_entry slots[GR_TECHDOCS_CACHE_SLOTS];
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a over the site and the path. */
static size_t slot_of(const char *entity_ref, const char *path)
{
    uint64_t hash = 1469598103934665603ull;

    for (const char *p = entity_ref; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 1099511628211ull;
    hash = (hash ^ '\n') * 1099511628211ull;
    for (const char *p = path; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 1099511628211ull;
    return (size_t)(hash % GR_TECHDOCS_CACHE_SLOTS);
}

static void entry_clear(gr_techdocs_cache *cache, cache_entry *entry)
{
    if (entry->entity_ref == NULL)
        return;
    cache->bytes -= entry->blob.size;
    free(entry->entity_ref);
    free(entry->path);
    gr_techdocs_blob_free(&entry->blob);
    memset(entry, 0, sizeof(*entry));
}

gr_techdocs_cache *gr_techdocs_cache_new(int64_t ttl_ms)
{
    gr_techdocs_cache *cache = gr_xcalloc(1, sizeof(*cache));

    pthread_mutex_init(&cache->lock, NULL);
    cache->ttl_ms = ttl_ms;
    return cache;
}

void gr_techdocs_cache_free(gr_techdocs_cache *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < GR_TECHDOCS_CACHE_SLOTS; i++)
        entry_clear(cache, &cache->slots[i]);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

int gr_techdocs_cache_get(gr_techdocs_cache *cache, const char *entity_ref, const char *path,
                          int with_data, gr_techdocs_blob *out)
{
    cache_entry *entry;
    int hit = 0;

    if (cache == NULL)
        return 0;
    pthread_mutex_lock(&cache->lock);
    entry = &cache->slots[slot_of(entity_ref, path)];
    if (entry->entity_ref != NULL && entry->expires_at <= now_ms())
        entry_clear(cache, entry);
    if (entry->entity_ref != NULL && strcmp(entry->entity_ref, entity_ref) == 0 &&
        strcmp(entry->path, path) == 0) {
        memset(out, 0, sizeof(*out));
        out->content_type = gr_xstrdup(entry->blob.content_type);
        out->etag = gr_xstrdup(entry->blob.etag);
        out->size = entry->blob.size;
        if (with_data) {
            out->data = gr_xmalloc(entry->blob.size + 1);
            memcpy(out->data, entry->blob.data, entry->blob.size + 1);
        }
        hit = 1;
    }
    pthread_mutex_unlock(&cache->lock);
    return hit;
}

void gr_techdocs_cache_put(gr_techdocs_cache *cache, const char *entity_ref, const char *path,
                           const gr_techdocs_blob *blob)
{
    cache_entry *entry;

    if (cache == NULL || blob->data == NULL || blob->size > GR_TECHDOCS_CACHE_MAX_FILE_BYTES)
        return;
    pthread_mutex_lock(&cache->lock);
    entry = &cache->slots[slot_of(entity_ref, path)];
    entry_clear(cache, entry);
    if (cache->bytes + blob->size <= GR_TECHDOCS_CACHE_MAX_BYTES) {
        entry->entity_ref = gr_xstrdup(entity_ref);
        entry->path = gr_xstrdup(path);
        entry->expires_at = now_ms() + cache->ttl_ms;
        entry->blob.content_type = gr_xstrdup(blob->content_type);
        entry->blob.etag = gr_xstrdup(blob->etag);
        entry->blob.size = blob->size;
        entry->blob.data = gr_xmalloc(blob->size + 1);
        memcpy(entry->blob.data, blob->data, blob->size);
        entry->blob.data[blob->size] = '\0';
        cache->bytes += blob->size;
    }
    pthread_mutex_unlock(&cache->lock);
}

void gr_techdocs_cache_forget(gr_techdocs_cache *cache, const char *entity_ref)
{
    if (cache == NULL)
        return;
    pthread_mutex_lock(&cache->lock);
    for (size_t i = 0; i < GR_TECHDOCS_CACHE_SLOTS; i++) {
        if (cache->slots[i].entity_ref != NULL &&
            strcmp(cache->slots[i].entity_ref, entity_ref) == 0)
            entry_clear(cache, &cache->slots[i]);
    }
    pthread_mutex_unlock(&cache->lock);
}
