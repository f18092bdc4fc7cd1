/* SPDX-License-Identifier: MIT */
/* Allocation wrappers that abort on out-of-memory. */
#include "host/common/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void alloc_fail(size_t size, const char *file, int line)
{
    fprintf(stderr, "greenroom: out of memory allocating %zu bytes at %s:%d\n", size, file, line);
    abort();
}

void *gr__xmalloc(size_t size, const char *file, int line)
{
    void *ptr = malloc(size ? size : 1);

    if (ptr == NULL)
        alloc_fail(size, file, line);
    return ptr;
}

void *gr__xcalloc(size_t count, size_t size, const char *file, int line)
{
    void *ptr = calloc(count ? count : 1, size ? size : 1);

    if (ptr == NULL)
        alloc_fail(count * size, file, line);
    return ptr;
}

void *gr__xrealloc(void *ptr, size_t size, const char *file, int line)
{
    void *grown = realloc(ptr, size ? size : 1);

    if (grown == NULL)
        alloc_fail(size, file, line);
    return grown;
}

char *gr__xstrdup(const char *str, const char *file, int line)
{
    return gr__xstrndup(str, strlen(str), file, line);
}

char *gr__xstrndup(const char *str, size_t len, const char *file, int line)
{
    char *copy = gr__xmalloc(len + 1, file, line);

    memcpy(copy, str, len);
    copy[len] = '\0';
    return copy;
}

char *gr_xvasprintf(const char *fmt, va_list args)
{
    va_list again;
    int len;
    char *out;

    va_copy(again, args);
    len = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (len < 0)
        alloc_fail(0, __FILE__, __LINE__);

    out = gr_xmalloc((size_t)len + 1);
    vsnprintf(out, (size_t)len + 1, fmt, args);
    return out;
}

char *gr__xasprintf(const char *file, int line, const char *fmt, ...)
{
    va_list args;
    char *out;

    (void)file;
    (void)line;
    va_start(args, fmt);
    out = gr_xvasprintf(fmt, args);
    va_end(args);
    return out;
}
