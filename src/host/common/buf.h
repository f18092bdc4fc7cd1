/* SPDX-License-Identifier: MIT */
/* A growable byte buffer, always NUL-terminated. */
#ifndef GR_HOST_COMMON_BUF_H
#define GR_HOST_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *data; /* NUL-terminated once anything was appended; NULL before */
    size_t len;
    size_t cap;
} gr_buf;

#define GR_BUF_INIT {NULL, 0, 0}

void gr_buf_append(gr_buf *buf, const void *data, size_t len);
void gr_buf_puts(gr_buf *buf, const char *str);
void gr_buf_putc(gr_buf *buf, char c);
void gr_buf_printf(gr_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gr_buf_vprintf(gr_buf *buf, const char *fmt, va_list args) __attribute__((format(printf, 2, 0)));

/** Appends `str` with &, <, >, " and ' replaced by HTML entities. */
void gr_buf_put_html(gr_buf *buf, const char *str);

/** Returns the contents ("" when empty); borrowed, valid until the next change. */
const char *gr_buf_cstr(const gr_buf *buf);

/** Makes room for `extra` more bytes, so that appending them does not reallocate. */
void gr_buf_reserve(gr_buf *buf, size_t extra);

/** Empties the buffer, keeping its memory. */
void gr_buf_reset(gr_buf *buf);

/** Hands the contents to the caller (caller frees) and empties the buffer. */
char *gr_buf_detach(gr_buf *buf);

void gr_buf_free(gr_buf *buf);

#endif
