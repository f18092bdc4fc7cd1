/* SPDX-License-Identifier: MIT */
/* A thread-safe token-bucket rate limiter keyed by client address or subject. */
#ifndef GR_HOST_HTTP_RATE_LIMIT_H
#define GR_HOST_HTTP_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Each key (a client address or an authenticated subject) has a bucket of
 * `limit` tokens that refills at `limit` tokens per window. A request takes
 * one token, so a client may send `limit` requests at once and then `limit`
 * per window on average. A new key starts with a full bucket.
 *
 * The table has a fixed number of entries. When it is full, a new key
 * replaces the entry that has been idle longest, so memory stays bounded
 * whatever the number of clients.
 */

/** Default number of keys one limiter tracks. A new key past it evicts the key idle longest. */
#define GR_RATE_LIMIT_DEFAULT_KEYS 4096

/**
 * Maximum stored key length in bytes. Longer keys are cut, so keys with a
 * common prefix of this length share one bucket.
 */
#define GR_RATE_LIMIT_MAX_KEY_BYTES 191

/** Maximum length of a limiter's name, used in log lines and metrics. */
#define GR_RATE_LIMIT_MAX_NAME_BYTES 31

typedef struct gr_rate_limiter gr_rate_limiter;

/** A monotonic clock in milliseconds. Tests replace the default, CLOCK_MONOTONIC. */
typedef uint64_t (*gr_rate_limit_clock_fn)(void *payload);

/** Result of one gr_rate_limiter_take() or gr_rate_limiter_peek(). */
typedef struct {
    bool allowed;
    uint64_t retry_after_ms; /* when rejected: time until one token is back */
    /* When rejected: true for the first rejection of the key in this window,
     * so callers log one line per key and window. */
    bool log;
    unsigned rejected; /* when `log`: rejections of the key since its previous log line */
} gr_rate_limit_result;

/**
 * Creates a limiter of `limit` requests per `window_ms` for each key,
 * tracking at most `keys` keys (0 selects GR_RATE_LIMIT_DEFAULT_KEYS).
 * `name` is copied, cut to GR_RATE_LIMIT_MAX_NAME_BYTES. On success *out
 * belongs to the caller (gr_rate_limiter_free()). Returns 0, or GR_EINVALID
 * when `limit` or `window_ms` is 0.
 */
int gr_rate_limiter_new(gr_rate_limiter **out, const char *name, unsigned limit,
                        uint64_t window_ms, size_t keys);

/** Frees a limiter. NULL-safe. No other thread may use it meanwhile. */
void gr_rate_limiter_free(gr_rate_limiter *limiter);

/** Replaces the clock; call before any other thread uses the limiter. `payload` is borrowed. */
void gr_rate_limiter_set_clock(gr_rate_limiter *limiter, gr_rate_limit_clock_fn clock,
                               void *payload);

/**
 * Takes one token from the bucket of `key` (borrowed), adding the key when
 * it is new. Fills *result. Thread-safe.
 */
void gr_rate_limiter_take(gr_rate_limiter *limiter, const char *key,
                          gr_rate_limit_result *result);

/**
 * Checks whether the bucket of `key` has a token, without taking it and
 * without adding the key. A rejection is recorded for the log like one of
 * gr_rate_limiter_take(). Thread-safe.
 */
void gr_rate_limiter_peek(gr_rate_limiter *limiter, const char *key,
                          gr_rate_limit_result *result);

/** Returns the number of keys tracked now. Thread-safe. */
size_t gr_rate_limiter_count(gr_rate_limiter *limiter);

/** Returns the limiter's name (borrowed), its limit and its window in milliseconds. */
const char *gr_rate_limiter_name(const gr_rate_limiter *limiter);
unsigned gr_rate_limiter_limit(const gr_rate_limiter *limiter);
uint64_t gr_rate_limiter_window_ms(const gr_rate_limiter *limiter);

#endif
