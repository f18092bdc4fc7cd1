/* SPDX-License-Identifier: MIT */
/* A thread-safe metrics registry with Prometheus text output. */
#include "host/http/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

/* Hash buckets of the series table; chains stay short up to GR_METRICS_MAX_SERIES. */
#define METRICS_TABLE_SIZE 4096

static const double metrics_default_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                 0.5,   1,    2.5,   5,    10};

typedef struct metric_family {
    char *name;
    char *help;
    gr_metric_type type;
    double bounds[GR_METRICS_MAX_BUCKETS];
    size_t bound_count;
    gr_metric *first; /* series in creation order */
    gr_metric *last;
    struct metric_family *next;
} metric_family;

struct gr_metric {
    metric_family *family;
    char *labels; /* rendered `a="x",b="y"`, "" without labels */
    uint64_t hash;
    struct gr_metric *next_in_family;
    struct gr_metric *next_in_chain;
    _Atomic double value; /* counter or gauge value; histogram sum */
    /* Histogram observations per bucket, not cumulative; the last one is +Inf. */
    _Atomic uint64_t buckets[GR_METRICS_MAX_BUCKETS + 1];
};

struct gr_metrics {
    pthread_rwlock_t lock;
    metric_family *families;
    metric_family *families_tail;
    gr_metric *table[METRICS_TABLE_SIZE];
    size_t series_count;
    double start_time; /* seconds since the epoch when the process started */
};

/* Reads when the process started from /proc: field 22 of /proc/self/stat
 * counts clock ticks since boot, and /proc/stat's btime is the boot time. */
static double metrics_process_start_time(void)
{
    char line[1024];
    unsigned long long ticks = 0;
    long long boot = 0;
    FILE *file = fopen("/proc/self/stat", "r");
    char *paren;
    int ok = 0;

    if (file != NULL) {
        if (fgets(line, sizeof(line), file) != NULL && (paren = strrchr(line, ')')) != NULL)
            ok = sscanf(paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
                                   "%*d %*d %*d %*d %llu",
                        &ticks) == 1;
        fclose(file);
    }
    file = fopen("/proc/stat", "r");
    if (file != NULL) {
        while (fgets(line, sizeof(line), file) != NULL) {
            if (sscanf(line, "btime %lld", &boot) == 1)
                break;
        }
        fclose(file);
    }
    if (!ok || boot == 0)
        return (double)time(NULL);
    return (double)boot + (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

gr_metrics *gr_metrics_new(void)
{
    gr_metrics *metrics = gr_xcalloc(1, sizeof(gr_metrics));

    pthread_rwlock_init(&metrics->lock, NULL);
    metrics->start_time = metrics_process_start_time();
    return metrics;
}

void gr_metrics_free(gr_metrics *metrics)
{
    if (metrics == NULL)
        return;
    while (metrics->families != NULL) {
        metric_family *family = metrics->families;

        metrics->families = family->next;
        while (family->first != NULL) {
            gr_metric *series = family->first;

            family->first = series->next_in_family;
            free(series->labels);
            free(series);
        }
        free(family->name);
        free(family->help);
        free(family);
    }
    pthread_rwlock_destroy(&metrics->lock);
    free(metrics);
}

static int name_is_valid(const char *name, int colon_allowed)
{
    if (name == NULL || *name == '\0' || (*name >= '0' && *name <= '9'))
        return 0;
    for (const char *p = name; *p != '\0'; p++) {
        char c = *p;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || (colon_allowed && c == ':')))
            return 0;
    }
    return 1;
}

static metric_family *family_find(gr_metrics *metrics, const char *name)
{
    for (metric_family *family = metrics->families; family != NULL; family = family->next) {
        if (strcmp(family->name, name) == 0)
            return family;
    }
    return NULL;
}

static int family_check_buckets(const char *name, const double *buckets, size_t count)
{
    if (count == 0 || count > GR_METRICS_MAX_BUCKETS)
        return gr_error_set(GR_EINVALID, "histogram %s needs 1 to %d buckets, not %zu", name,
                            GR_METRICS_MAX_BUCKETS, count);
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1]))
            return gr_error_set(GR_EINVALID,
                                "histogram %s: bucket bounds must be finite and ascending", name);
    }
    return 0;
}

int gr_metrics_register(gr_metrics *metrics, const char *name, gr_metric_type type,
                        const char *help, const double *buckets, size_t bucket_count)
{
    metric_family *family;
    int rc = 0;

    if (!name_is_valid(name, 1))
        return gr_error_set(GR_EINVALID, "metric name '%s' must match [a-zA-Z_:][a-zA-Z0-9_:]*",
                            name ? name : "(null)");
    if (type == GR_METRIC_HISTOGRAM && buckets == NULL) {
        buckets = metrics_default_buckets;
        bucket_count = sizeof(metrics_default_buckets) / sizeof(double);
    }
    if (type == GR_METRIC_HISTOGRAM && (rc = family_check_buckets(name, buckets, bucket_count)))
        return rc;

    pthread_rwlock_wrlock(&metrics->lock);
    family = family_find(metrics, name);
    if (family != NULL) {
        if (family->type != type)
            rc = gr_error_set(GR_ECONFLICT, "metric %s is already declared with another type",
                              name);
        goto done;
    }
    family = gr_xcalloc(1, sizeof(metric_family));
    family->name = gr_xstrdup(name);
    family->help = gr_xstrdup(help ? help : "");
    family->type = type;
    if (type == GR_METRIC_HISTOGRAM) {
        memcpy(family->bounds, buckets, bucket_count * sizeof(double));
        family->bound_count = bucket_count;
    }
    if (metrics->families_tail != NULL)
        metrics->families_tail->next = family;
    else
        metrics->families = family;
    metrics->families_tail = family;

done:
    pthread_rwlock_unlock(&metrics->lock);
    return rc;
}

static void put_label_value(gr_buf *out, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\')
            gr_buf_puts(out, "\\\\");
        else if (*p == '"')
            gr_buf_puts(out, "\\\"");
        else if (*p == '\n')
            gr_buf_puts(out, "\\n");
        else
            gr_buf_putc(out, *p);
    }
}

/* Renders the label pairs of `args` into `out`. Returns 0 or an error code. */
static int labels_render(const char *family, va_list args, gr_buf *out)
{
    const char *label;
    int count = 0;

    while ((label = va_arg(args, const char *)) != NULL) {
        const char *value = va_arg(args, const char *);

        if (!name_is_valid(label, 0) || strcmp(label, "le") == 0)
            return gr_error_set(GR_EINVALID, "metric %s: invalid label name '%s'", family, label);
        if (++count > GR_METRICS_MAX_LABELS)
            return gr_error_set(GR_ELIMIT, "metric %s has more than %d labels", family,
                                GR_METRICS_MAX_LABELS);
        if (out->len > 0)
            gr_buf_putc(out, ',');
        gr_buf_printf(out, "%s=\"", label);
        put_label_value(out, value ? value : "");
        gr_buf_putc(out, '"');
    }
    return 0;
}

static uint64_t series_hash(const char *name, const char *labels)
{
    uint64_t hash = 1469598103934665603ULL; /* FNV-1a */

    for (const char *p = name; *p != '\0'; p++)
        hash = (hash ^ (unsigned char)*p) * 1099511628211ULL;
    hash = (hash ^ 0xff) * 1099511628211ULL;
    for (const char *p = labels; *p != '\0'; p++)
        hash = (hash ^ (unsigned char)*p) * 1099511628211ULL;
    return hash;
}

static gr_metric *series_lookup(gr_metrics *metrics, const char *name, const char *labels,
                                uint64_t hash)
{
    for (gr_metric *series = metrics->table[hash % METRICS_TABLE_SIZE]; series != NULL;
         series = series->next_in_chain) {
        if (series->hash == hash && strcmp(series->family->name, name) == 0 &&
            strcmp(series->labels, labels) == 0)
            return series;
    }
    return NULL;
}

static gr_metric *series_create(gr_metrics *metrics, const char *name, const char *labels,
                                uint64_t hash)
{
    metric_family *family = family_find(metrics, name);
    gr_metric *series;

    if (family == NULL) {
        gr_error_set(GR_ENOTFOUND, "metric %s is not declared; call gr_metrics_register first",
                     name);
        return NULL;
    }
    if (metrics->series_count >= GR_METRICS_MAX_SERIES) {
        gr_error_set(GR_ELIMIT, "metric %s: the registry already has %d series", name,
                     GR_METRICS_MAX_SERIES);
        return NULL;
    }
    series = gr_xcalloc(1, sizeof(gr_metric));
    series->family = family;
    series->labels = gr_xstrdup(labels);
    series->hash = hash;
    series->next_in_chain = metrics->table[hash % METRICS_TABLE_SIZE];
    metrics->table[hash % METRICS_TABLE_SIZE] = series;
    if (family->last != NULL)
        family->last->next_in_family = series;
    else
        family->first = series;
    family->last = series;
    metrics->series_count++;
    return series;
}

static gr_metric *metrics_series_va(gr_metrics *metrics, const char *name, va_list args)
{
    gr_buf labels = GR_BUF_INIT;
    gr_metric *series = NULL;
    uint64_t hash;

    if (labels_render(name, args, &labels) != 0)
        goto done;
    hash = series_hash(name, gr_buf_cstr(&labels));

    pthread_rwlock_rdlock(&metrics->lock);
    series = series_lookup(metrics, name, gr_buf_cstr(&labels), hash);
    pthread_rwlock_unlock(&metrics->lock);
    if (series != NULL)
        goto done;

    /* Another thread may have created it between the two locks. */
    pthread_rwlock_wrlock(&metrics->lock);
    series = series_lookup(metrics, name, gr_buf_cstr(&labels), hash);
    if (series == NULL)
        series = series_create(metrics, name, gr_buf_cstr(&labels), hash);
    pthread_rwlock_unlock(&metrics->lock);

done:
    gr_buf_free(&labels);
    return series;
}

gr_metric *gr_metrics_series(gr_metrics *metrics, const char *name, ...)
{
    gr_metric *series;
    va_list args;

    va_start(args, name);
    series = metrics_series_va(metrics, name, args);
    va_end(args);
    return series;
}

static void atomic_add_double(_Atomic double *target, double value)
{
    double old = atomic_load_explicit(target, memory_order_relaxed);

    while (!atomic_compare_exchange_weak_explicit(target, &old, old + value, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

void gr_metric_add(gr_metric *metric, double value)
{
    atomic_add_double(&metric->value, value);
}

void gr_metric_set(gr_metric *metric, double value)
{
    atomic_store_explicit(&metric->value, value, memory_order_relaxed);
}

void gr_metric_observe(gr_metric *metric, double value)
{
    const metric_family *family = metric->family;
    size_t bucket = 0;

    /* Bounds are inclusive upper limits ("le"). */
    while (bucket < family->bound_count && value > family->bounds[bucket])
        bucket++;
    atomic_fetch_add_explicit(&metric->buckets[bucket], 1, memory_order_relaxed);
    atomic_add_double(&metric->value, value);
}

static int metrics_update_va(gr_metrics *metrics, const char *name, gr_metric_type type,
                             double value, va_list args)
{
    gr_metric *series;
    int rc = gr_metrics_register(metrics, name, type, "", NULL, 0);

    if (rc != 0)
        return rc;
    series = metrics_series_va(metrics, name, args);
    if (series == NULL)
        return gr_error_last_code();
    if (type == GR_METRIC_COUNTER)
        gr_metric_add(series, value);
    else
        gr_metric_set(series, value);
    return 0;
}

int gr_metrics_counter_add(gr_metrics *metrics, const char *name, double value, ...)
{
    va_list args;
    int rc;

    va_start(args, value);
    rc = metrics_update_va(metrics, name, GR_METRIC_COUNTER, value, args);
    va_end(args);
    return rc;
}

int gr_metrics_gauge_set(gr_metrics *metrics, const char *name, double value, ...)
{
    va_list args;
    int rc;

    va_start(args, value);
    rc = metrics_update_va(metrics, name, GR_METRIC_GAUGE, value, args);
    va_end(args);
    return rc;
}

static void put_number(gr_buf *out, double value)
{
    if (isnan(value))
        gr_buf_puts(out, "NaN");
    else if (isinf(value))
        gr_buf_puts(out, value > 0 ? "+Inf" : "-Inf");
    else if (value == floor(value) && fabs(value) < 9007199254740992.0)
        gr_buf_printf(out, "%.0f", value);
    else
        gr_buf_printf(out, "%.15g", value);
}

/* Writes `name{labels,extra}` (braces only when there is a label). */
static void put_series_name(gr_buf *out, const char *name, const char *suffix, const char *labels,
                            const char *extra)
{
    gr_buf_puts(out, name);
    gr_buf_puts(out, suffix);
    if (*labels == '\0' && extra == NULL)
        return;
    gr_buf_putc(out, '{');
    gr_buf_puts(out, labels);
    if (extra != NULL) {
        if (*labels != '\0')
            gr_buf_putc(out, ',');
        gr_buf_puts(out, extra);
    }
    gr_buf_putc(out, '}');
}

static void render_histogram(gr_buf *out, const metric_family *family, gr_metric *series)
{
    uint64_t cumulative = 0;
    char le[64];

    for (size_t i = 0; i <= family->bound_count; i++) {
        cumulative += atomic_load_explicit(&series->buckets[i], memory_order_relaxed);
        if (i < family->bound_count) {
            gr_buf bound = GR_BUF_INIT;

            put_number(&bound, family->bounds[i]);
            snprintf(le, sizeof(le), "le=\"%s\"", gr_buf_cstr(&bound));
            gr_buf_free(&bound);
        } else {
            snprintf(le, sizeof(le), "le=\"+Inf\"");
        }
        put_series_name(out, family->name, "_bucket", series->labels, le);
        gr_buf_printf(out, " %llu\n", (unsigned long long)cumulative);
    }
    put_series_name(out, family->name, "_sum", series->labels, NULL);
    gr_buf_putc(out, ' ');
    put_number(out, atomic_load_explicit(&series->value, memory_order_relaxed));
    gr_buf_putc(out, '\n');
    put_series_name(out, family->name, "_count", series->labels, NULL);
    gr_buf_printf(out, " %llu\n", (unsigned long long)cumulative);
}

static void render_family(gr_buf *out, const metric_family *family)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};

    if (family->help[0] != '\0')
        gr_buf_printf(out, "# HELP %s %s\n", family->name, family->help);
    gr_buf_printf(out, "# TYPE %s %s\n", family->name, type_names[family->type]);
    for (gr_metric *series = family->first; series != NULL; series = series->next_in_family) {
        if (family->type == GR_METRIC_HISTOGRAM) {
            render_histogram(out, family, series);
            continue;
        }
        put_series_name(out, family->name, "", series->labels, NULL);
        gr_buf_putc(out, ' ');
        put_number(out, atomic_load_explicit(&series->value, memory_order_relaxed));
        gr_buf_putc(out, '\n');
    }
}

/* Resident set size in bytes: the second field of /proc/self/statm, in pages. */
static double metrics_resident_bytes(void)
{
    unsigned long long size = 0;
    unsigned long long resident = 0;
    FILE *file = fopen("/proc/self/statm", "r");

    if (file == NULL)
        return 0;
    if (fscanf(file, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose(file);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

void gr_metrics_render(gr_metrics *metrics, gr_buf *out)
{
    pthread_rwlock_rdlock(&metrics->lock);
    for (const metric_family *family = metrics->families; family != NULL; family = family->next)
        render_family(out, family);
    pthread_rwlock_unlock(&metrics->lock);

    gr_buf_puts(out, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                     "# TYPE process_resident_memory_bytes gauge\n"
                     "process_resident_memory_bytes ");
    put_number(out, metrics_resident_bytes());
    gr_buf_puts(out, "\n# HELP process_start_time_seconds Start time of the process since the "
                     "Unix epoch in seconds.\n"
                     "# TYPE process_start_time_seconds gauge\n"
                     "process_start_time_seconds ");
    put_number(out, metrics->start_time);
    gr_buf_putc(out, '\n');
}
