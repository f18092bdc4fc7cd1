/* SPDX-License-Identifier: MIT */
/* Counters, gauges and histograms, rendered in the Prometheus text format. */
#ifndef GR_HOST_HTTP_METRICS_H
#define GR_HOST_HTTP_METRICS_H

#include <stddef.h>

#include "host/common/buf.h"

/*
 * A registry holds metric families (a name, a type, a help line) and, per
 * family, one series for each set of label values. Updating a series is a
 * lock-free atomic operation; finding or creating one takes a read-write
 * lock. Every function here is thread-safe. The HTTP server owns one
 * registry (gr_http_server_metrics()) and serves it at /metrics.
 */
typedef struct gr_metrics gr_metrics;
typedef struct gr_metric gr_metric;

typedef enum {
    GR_METRIC_COUNTER,
    GR_METRIC_GAUGE,
    GR_METRIC_HISTOGRAM,
} gr_metric_type;

/** Maximum number of series in one registry, all families together. */
#define GR_METRICS_MAX_SERIES 10000

/** Maximum number of labels on one series. */
#define GR_METRICS_MAX_LABELS 8

/** Maximum number of buckets of a histogram, without +Inf. */
#define GR_METRICS_MAX_BUCKETS 32

/** Creates an empty registry. Caller frees with gr_metrics_free(). */
gr_metrics *gr_metrics_new(void);

/** Frees the registry and every series; handles from it become invalid. NULL-safe. */
void gr_metrics_free(gr_metrics *metrics);

/**
 * Declares a family. `name` follows Prometheus rules ([a-zA-Z_:][a-zA-Z0-9_:]*),
 * `help` is one line. A histogram takes its upper bucket bounds, ascending,
 * in `buckets` (NULL: 5 ms to 10 s, for durations in seconds). Declaring
 * the same name again with the same type does nothing. Returns 0,
 * GR_EINVALID for a bad name or bounds, or GR_ECONFLICT for another type.
 */
int gr_metrics_register(gr_metrics *metrics, const char *name, gr_metric_type type,
                        const char *help, const double *buckets, size_t bucket_count);

/**
 * Finds or creates the series of family `name` with the labels given as
 * name/value pairs ended by NULL. Returns a handle valid until the registry
 * is freed, or NULL with the error set: GR_ENOTFOUND for an undeclared
 * family, GR_EINVALID for a bad label name, GR_ELIMIT past
 * GR_METRICS_MAX_SERIES or GR_METRICS_MAX_LABELS. Label values are escaped.
 */
gr_metric *gr_metrics_series(gr_metrics *metrics, const char *name, ...)
    __attribute__((sentinel));

/** Adds `value` (>= 0 for counters) to a counter or gauge. */
void gr_metric_add(gr_metric *metric, double value);

/** Sets a gauge. */
void gr_metric_set(gr_metric *metric, double value);

/** Records one observation in a histogram. */
void gr_metric_observe(gr_metric *metric, double value);

/**
 * Adds `value` to the counter `name` with labels given as pairs ended by
 * NULL, declaring the family (with an empty help line) when it is new.
 * Returns 0 or an error of gr_metrics_series().
 */
int gr_metrics_counter_add(gr_metrics *metrics, const char *name, double value, ...)
    __attribute__((sentinel));

/** Sets the gauge `name`, like gr_metrics_counter_add(). */
int gr_metrics_gauge_set(gr_metrics *metrics, const char *name, double value, ...)
    __attribute__((sentinel));

/**
 * Appends every family to `out` in the Prometheus text exposition format
 * 0.0.4, families in declaration order, followed by process_resident_memory_bytes
 * and process_start_time_seconds read from /proc.
 */
void gr_metrics_render(gr_metrics *metrics, gr_buf *out);

#endif
