/* SPDX-License-Identifier: MIT */
/* Token buckets in a fixed-size hash table with least-recently-used eviction. */
#include "host/http/rate_limit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

#define NONE (-1)

typedef struct {
    char key[GR_RATE_LIMIT_MAX_KEY_BYTES + 1];
    uint32_t hash;
    /* Tokens times window_ms, so that refills stay exact integers: a
     * millisecond adds `limit`, a request takes `window_ms`. */
    uint64_t credit;
    uint64_t refilled_ms;   /* time of the last refill */
    uint64_t log_window_ms; /* start of the window of the last log line */
    bool logged;            /* a log line was requested for this key */
    unsigned rejected;      /* rejections since the last log line */
    int32_t chain;          /* next entry of the same hash bucket */
    int32_t newer;          /* neighbours in the use order */
    int32_t older;
} entry;

struct gr_rate_limiter {
    pthread_mutex_t lock;
    char name[GR_RATE_LIMIT_MAX_NAME_BYTES + 1];
    unsigned limit;
    uint64_t window_ms;
    gr_rate_limit_clock_fn clock;
    void *clock_payload;

    entry *entries;
    size_t size;  /* number of entries */
    size_t count; /* entries in use; the first `count` slots were handed out once */
    int32_t *buckets;
    size_t bucket_count; /* a power of two */
    int32_t newest;
    int32_t oldest;
};

static uint64_t monotonic_ms(void *payload)
{
    struct timespec now;

    (void)payload;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

/* FNV-1a over the stored (possibly cut) key. */
static uint32_t key_hash(const char *key)
{
    uint32_t hash = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
        hash ^= *p;
        hash *= 16777619u;
    }
    return hash;
}

int gr_rate_limiter_new(gr_rate_limiter **out, const char *name, unsigned limit,
                        uint64_t window_ms, size_t keys)
{
    gr_rate_limiter *limiter;

    *out = NULL;
    if (limit == 0 || window_ms == 0)
        return gr_error_set(GR_EINVALID, "rate limit %s: the limit (%u) and the window (%llu ms) "
                                         "must be positive",
                            name, limit, (unsigned long long)window_ms);
    if (keys == 0)
        keys = GR_RATE_LIMIT_DEFAULT_KEYS;
    limiter = gr_xcalloc(1, sizeof(*limiter));
    pthread_mutex_init(&limiter->lock, NULL);
    snprintf(limiter->name, sizeof(limiter->name), "%s", name);
    limiter->limit = limit;
    limiter->window_ms = window_ms;
    limiter->clock = monotonic_ms;
    limiter->size = keys;
    limiter->entries = gr_xcalloc(keys, sizeof(entry));
    limiter->bucket_count = 1;
    while (limiter->bucket_count < keys)
        limiter->bucket_count <<= 1;
    limiter->buckets = gr_xmalloc(limiter->bucket_count * sizeof(int32_t));
    for (size_t i = 0; i < limiter->bucket_count; i++)
        limiter->buckets[i] = NONE;
    limiter->newest = NONE;
    limiter->oldest = NONE;
    *out = limiter;
    return GR_OK;
}

void gr_rate_limiter_free(gr_rate_limiter *limiter)
{
    if (limiter == NULL)
        return;
    pthread_mutex_destroy(&limiter->lock);
    free(limiter->entries);
    free(limiter->buckets);
    free(limiter);
}

void gr_rate_limiter_set_clock(gr_rate_limiter *limiter, gr_rate_limit_clock_fn clock,
                               void *payload)
{
    limiter->clock = clock != NULL ? clock : monotonic_ms;
    limiter->clock_payload = payload;
}

const char *gr_rate_limiter_name(const gr_rate_limiter *limiter)
{
    return limiter->name;
}

unsigned gr_rate_limiter_limit(const gr_rate_limiter *limiter)
{
    return limiter->limit;
}

uint64_t gr_rate_limiter_window_ms(const gr_rate_limiter *limiter)
{
    return limiter->window_ms;
}

size_t gr_rate_limiter_count(gr_rate_limiter *limiter)
{
    size_t count;

    pthread_mutex_lock(&limiter->lock);
    count = limiter->count;
    pthread_mutex_unlock(&limiter->lock);
    return count;
}

/* ---- use order (a doubly linked list, newest first) -------------------- */

static void order_unlink(gr_rate_limiter *limiter, int32_t index)
{
    entry *slot = &limiter->entries[index];

    if (slot->newer != NONE)
        limiter->entries[slot->newer].older = slot->older;
    else
        limiter->newest = slot->older;
    if (slot->older != NONE)
        limiter->entries[slot->older].newer = slot->newer;
    else
        limiter->oldest = slot->newer;
    slot->newer = NONE;
    slot->older = NONE;
}

static void order_push_newest(gr_rate_limiter *limiter, int32_t index)
{
    entry *slot = &limiter->entries[index];

    slot->newer = NONE;
    slot->older = limiter->newest;
    if (limiter->newest != NONE)
        limiter->entries[limiter->newest].newer = index;
    limiter->newest = index;
    if (limiter->oldest == NONE)
        limiter->oldest = index;
}

/* ---- hash table ---------------------------------------------------------- */

static int32_t table_find(const gr_rate_limiter *limiter, const char *key, uint32_t hash)
{
    int32_t index = limiter->buckets[hash & (limiter->bucket_count - 1)];

    while (index != NONE) {
        const entry *slot = &limiter->entries[index];

        if (slot->hash == hash && strcmp(slot->key, key) == 0)
            return index;
        index = slot->chain;
    }
    return NONE;
}

static void table_remove(gr_rate_limiter *limiter, int32_t index)
{
    int32_t *link = &limiter->buckets[limiter->entries[index].hash & (limiter->bucket_count - 1)];

    while (*link != NONE && *link != index)
        link = &limiter->entries[*link].chain;
    if (*link == index)
        *link = limiter->entries[index].chain;
    order_unlink(limiter, index);
}

/* Adds `key` with a full bucket. The slot is a never-used one while there
 * is one, else the entry idle longest, which loses its count. */
static int32_t table_add(gr_rate_limiter *limiter, const char *key, uint32_t hash, uint64_t now)
{
    int32_t index;
    entry *slot;

    if (limiter->count < limiter->size) {
        index = (int32_t)limiter->count++;
    } else {
        index = limiter->oldest;
        table_remove(limiter, index);
    }
    slot = &limiter->entries[index];
    memset(slot, 0, sizeof(*slot));
    memcpy(slot->key, key, strlen(key) + 1);
    slot->hash = hash;
    slot->credit = (uint64_t)limiter->limit * limiter->window_ms;
    slot->refilled_ms = now;
    slot->chain = limiter->buckets[hash & (limiter->bucket_count - 1)];
    limiter->buckets[hash & (limiter->bucket_count - 1)] = index;
    order_push_newest(limiter, index);
    return index;
}

/* ---- buckets ------------------------------------------------------------- */

static void bucket_refill(const gr_rate_limiter *limiter, entry *slot, uint64_t now)
{
    uint64_t capacity = (uint64_t)limiter->limit * limiter->window_ms;
    uint64_t elapsed;

    if (now <= slot->refilled_ms)
        return;
    /* A whole window refills any bucket, and the cap keeps the product below 2^64. */
    elapsed = now - slot->refilled_ms;
    if (elapsed > limiter->window_ms)
        elapsed = limiter->window_ms;
    slot->credit += elapsed * limiter->limit;
    if (slot->credit > capacity)
        slot->credit = capacity;
    slot->refilled_ms = now;
}

/* Fills a rejection into *result: the wait for one token, and whether this
 * is the key's first rejection since a window began. */
static void bucket_reject(const gr_rate_limiter *limiter, entry *slot, uint64_t now,
                          gr_rate_limit_result *result)
{
    uint64_t missing = limiter->window_ms - slot->credit;

    result->allowed = false;
    result->retry_after_ms = (missing + limiter->limit - 1) / limiter->limit;
    slot->rejected++;
    if (!slot->logged || now - slot->log_window_ms >= limiter->window_ms) {
        result->log = true;
        result->rejected = slot->rejected;
        slot->logged = true;
        slot->log_window_ms = now;
        slot->rejected = 0;
    }
}

/* Copies `key` cut to the stored length. */
static void key_copy(char *out, const char *key)
{
    size_t len = strlen(key);

    if (len > GR_RATE_LIMIT_MAX_KEY_BYTES)
        len = GR_RATE_LIMIT_MAX_KEY_BYTES;
    memcpy(out, key, len);
    out[len] = '\0';
}

static void limiter_check(gr_rate_limiter *limiter, const char *key, bool take,
                          gr_rate_limit_result *result)
{
    char stored[GR_RATE_LIMIT_MAX_KEY_BYTES + 1];
    uint64_t now = limiter->clock(limiter->clock_payload);
    uint32_t hash;
    int32_t index;
    entry *slot;

    memset(result, 0, sizeof(*result));
    key_copy(stored, key);
    hash = key_hash(stored);

    pthread_mutex_lock(&limiter->lock);
    index = table_find(limiter, stored, hash);
    if (index == NONE && !take) {
        result->allowed = true;
        pthread_mutex_unlock(&limiter->lock);
        return;
    }
    if (index == NONE)
        index = table_add(limiter, stored, hash, now);
    slot = &limiter->entries[index];
    bucket_refill(limiter, slot, now);
    if (take) {
        order_unlink(limiter, index);
        order_push_newest(limiter, index);
    }
    if (slot->credit >= limiter->window_ms) {
        result->allowed = true;
        if (take)
            slot->credit -= limiter->window_ms;
    } else {
        bucket_reject(limiter, slot, now, result);
    }
    pthread_mutex_unlock(&limiter->lock);
}

void gr_rate_limiter_take(gr_rate_limiter *limiter, const char *key,
                          gr_rate_limit_result *result)
{
    limiter_check(limiter, key, true, result);
}

void gr_rate_limiter_peek(gr_rate_limiter *limiter, const char *key,
                          gr_rate_limit_result *result)
{
    limiter_check(limiter, key, false, result);
}
