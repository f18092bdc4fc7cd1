/* SPDX-License-Identifier: MIT */
/* Structured logging in logfmt. */
#include "host/log/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"

/* The logger is host state: set at start (level, sink) and read by every
 * thread. The sink pair is guarded by a mutex so a test can swap it. */
static atomic_int log_min_level = GR_LOG_INFO;
static pthread_mutex_t log_sink_lock = PTHREAD_MUTEX_INITIALIZER;
static gr_log_sink log_sink_fn;
static void *log_sink_payload;
static _Thread_local const char *log_request_id;

static const char *const log_level_names[] = {"debug", "info", "warn", "error"};

void gr_log_set_level(gr_log_level level)
{
    atomic_store(&log_min_level, (int)level);
}

int gr_log_parse_level(const char *name, gr_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, log_level_names[i]) == 0) {
            *out = (gr_log_level)i;
            return 0;
        }
    }
    return gr_error_set(GR_EINVALID, "unknown log level '%s'; use debug, info, warn or error",
                        name);
}

void gr_log_set_sink(gr_log_sink sink, void *payload)
{
    pthread_mutex_lock(&log_sink_lock);
    log_sink_fn = sink;
    log_sink_payload = payload;
    pthread_mutex_unlock(&log_sink_lock);
}

int gr_log_enabled(gr_log_level level)
{
    return (int)level >= atomic_load(&log_min_level);
}

void gr_log_set_request_id(const char *request_id)
{
    log_request_id = request_id;
}

static int log_needs_quotes(const char *value, size_t len)
{
    if (len == 0)
        return 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
            return 1;
    }
    return 0;
}

/* Returns how many bytes of `value` fit in a log line, ending at a UTF-8 character boundary. */
static size_t log_value_length(const char *value, size_t full)
{
    size_t len = GR_LOG_MAX_VALUE_BYTES;

    if (full <= len)
        return full;
    while (len > 0 && ((unsigned char)value[len] & 0xc0) == 0x80)
        len--;
    return len;
}

static void log_put_value(gr_buf *line, const char *value)
{
    size_t full = strlen(value);
    size_t len = log_value_length(value, full);

    if (len == full && !log_needs_quotes(value, len)) {
        gr_buf_puts(line, value);
        return;
    }
    gr_buf_putc(line, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        if (c == '"' || c == '\\') {
            gr_buf_putc(line, '\\');
            gr_buf_putc(line, (char)c);
        } else if (c == '\n') {
            gr_buf_puts(line, "\\n");
        } else if (c < ' ' || c == 0x7f) {
            gr_buf_printf(line, "\\x%02x", c);
        } else {
            gr_buf_putc(line, (char)c);
        }
    }
    if (len < full)
        gr_buf_printf(line, "... (cut, %zu bytes in all)", full);
    gr_buf_putc(line, '"');
}

static void log_put_head(gr_buf *line, gr_log_level level, const char *module)
{
    struct timespec now;
    struct tm utc;
    char stamp[32];

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &utc);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
    gr_buf_printf(line, "ts=%s.%03ldZ lvl=%s mod=", stamp, now.tv_nsec / 1000000L,
                  log_level_names[level]);
    log_put_value(line, module);
    if (log_request_id != NULL) {
        gr_buf_puts(line, " req=");
        log_put_value(line, log_request_id);
    }
}

static void log_emit(gr_log_level level, gr_buf *line)
{
    pthread_mutex_lock(&log_sink_lock);
    if (log_sink_fn != NULL) {
        log_sink_fn(level, gr_buf_cstr(line), log_sink_payload);
    } else {
        gr_buf_putc(line, '\n');
        fwrite(line->data, 1, line->len, stderr);
    }
    pthread_mutex_unlock(&log_sink_lock);
}

void gr_log(gr_log_level level, const char *module, const char *fmt, ...)
{
    gr_buf line = GR_BUF_INIT;
    gr_buf msg = GR_BUF_INIT;
    va_list args;

    if (!gr_log_enabled(level))
        return;

    va_start(args, fmt);
    gr_buf_vprintf(&msg, fmt, args);
    va_end(args);

    log_put_head(&line, level, module);
    gr_buf_puts(&line, " msg=");
    log_put_value(&line, gr_buf_cstr(&msg));
    log_emit(level, &line);

    gr_buf_free(&msg);
    gr_buf_free(&line);
}

void gr_log_fields(gr_log_level level, const char *module, const char *msg, ...)
{
    gr_buf line = GR_BUF_INIT;
    const char *key;
    va_list args;

    if (!gr_log_enabled(level))
        return;

    log_put_head(&line, level, module);
    gr_buf_puts(&line, " msg=");
    log_put_value(&line, msg);

    va_start(args, msg);
    while ((key = va_arg(args, const char *)) != NULL) {
        const char *value = va_arg(args, const char *);

        gr_buf_putc(&line, ' ');
        gr_buf_puts(&line, key);
        gr_buf_putc(&line, '=');
        log_put_value(&line, value ? value : "");
    }
    va_end(args);

    log_emit(level, &line);
    gr_buf_free(&line);
}
