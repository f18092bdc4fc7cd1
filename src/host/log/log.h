/* SPDX-License-Identifier: MIT */
/* Structured logging: one logfmt line per event. */
#ifndef GR_HOST_LOG_LOG_H
#define GR_HOST_LOG_LOG_H

#include <stdarg.h>

typedef enum {
    GR_LOG_DEBUG = 0,
    GR_LOG_INFO = 1,
    GR_LOG_WARN = 2,
    GR_LOG_ERROR = 3,
} gr_log_level;

/*
 * A line reads:
 *   ts=2026-12-04T17:00:00.123Z lvl=info mod=catalog req=7f3a msg="entity stored" ref=component:default/x
 * `req` appears when the calling thread has a request id (set by the HTTP
 * layer). Values with spaces, quotes or '=' are quoted and escaped.
 * A message or field value longer than GR_LOG_MAX_VALUE_BYTES is cut at a
 * character boundary and ends with its full size, so that one event stays a
 * line that log collectors accept.
 * Never pass a secret as a message or field value.
 */

/** Maximum size of a message or field value in a log line, in bytes. */
#define GR_LOG_MAX_VALUE_BYTES 4096

/** Receives each finished line (without the trailing newline). */
typedef void (*gr_log_sink)(gr_log_level level, const char *line, void *payload);

/** Sets the minimum level written. Thread-safe. */
void gr_log_set_level(gr_log_level level);

/** Parses "debug", "info", "warn" or "error". Returns 0, or GR_EINVALID. */
int gr_log_parse_level(const char *name, gr_log_level *out);

/** Replaces the sink (NULL restores stderr). Tests use this to capture lines. */
void gr_log_set_sink(gr_log_sink sink, void *payload);

/** Returns nonzero when `level` would be written. */
int gr_log_enabled(gr_log_level level);

/** Sets the request id of the calling thread (NULL clears it). Borrowed. */
void gr_log_set_request_id(const char *request_id);

/**
 * Writes an event: `msg` is formatted printf-style. Fields, when wanted,
 * go through gr_log_fields().
 */
void gr_log(gr_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Writes an event with a fixed message and key/value string fields, given
 * as pairs and ended by NULL: gr_log_fields(GR_LOG_INFO, "http", "request",
 * "method", "GET", "status", "200", NULL). A NULL value prints as "".
 */
void gr_log_fields(gr_log_level level, const char *module, const char *msg, ...)
    __attribute__((sentinel));

#define GR_LOG_AT(level, ...)                                                                      \
    do {                                                                                           \
        if (gr_log_enabled(level))                                                                 \
            gr_log((level), __VA_ARGS__);                                                          \
    } while (0)

#define gr_debug(...) GR_LOG_AT(GR_LOG_DEBUG, __VA_ARGS__)
#define gr_info(...) GR_LOG_AT(GR_LOG_INFO, __VA_ARGS__)
#define gr_warn(...) GR_LOG_AT(GR_LOG_WARN, __VA_ARGS__)
#define gr_err(...) GR_LOG_AT(GR_LOG_ERROR, __VA_ARGS__)

#endif
