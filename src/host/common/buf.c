/* SPDX-License-Identifier: MIT */
/* A growable byte buffer, always NUL-terminated. */
#include "host/common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"

void gr_buf_reserve(gr_buf *buf, size_t extra)
{
    size_t need = buf->len + extra + 1;
    size_t cap = buf->cap ? buf->cap : 64;

    if (need <= buf->cap)
        return;
    while (cap < need)
        cap *= 2;
    buf->data = gr_xrealloc(buf->data, cap);
    buf->cap = cap;
}

void gr_buf_append(gr_buf *buf, const void *data, size_t len)
{
    if (buf->len + len >= buf->cap)
        gr_buf_reserve(buf, len);
    if (len > 0)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

void gr_buf_puts(gr_buf *buf, const char *str)
{
    gr_buf_append(buf, str, strlen(str));
}

/* The JSON writers call this for every bracket, comma and colon, so it appends in place. */
void gr_buf_putc(gr_buf *buf, char c)
{
    if (buf->len + 1 >= buf->cap)
        gr_buf_reserve(buf, 1);
    buf->data[buf->len++] = c;
    buf->data[buf->len] = '\0';
}

void gr_buf_vprintf(gr_buf *buf, const char *fmt, va_list args)
{
    va_list again;
    int len;

    va_copy(again, args);
    len = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (len <= 0)
        return;

    gr_buf_reserve(buf, (size_t)len);
    vsnprintf(buf->data + buf->len, (size_t)len + 1, fmt, args);
    buf->len += (size_t)len;
}

void gr_buf_printf(gr_buf *buf, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    gr_buf_vprintf(buf, fmt, args);
    va_end(args);
}

void gr_buf_put_html(gr_buf *buf, const char *str)
{
    const char *run = str;

    for (const char *p = str; *p != '\0'; p++) {
        const char *entity = NULL;

        switch (*p) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        gr_buf_append(buf, run, (size_t)(p - run));
        gr_buf_puts(buf, entity);
        run = p + 1;
    }
    gr_buf_puts(buf, run);
}

const char *gr_buf_cstr(const gr_buf *buf)
{
    return buf->data ? buf->data : "";
}

void gr_buf_reset(gr_buf *buf)
{
    buf->len = 0;
    if (buf->data != NULL)
        buf->data[0] = '\0';
}

char *gr_buf_detach(gr_buf *buf)
{
    char *out = buf->data ? buf->data : gr_xstrdup("");

    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return out;
}

void gr_buf_free(gr_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}
