/* SPDX-License-Identifier: MIT */
/* Allocation wrappers that abort on out-of-memory, naming the call site. */
#ifndef GR_HOST_COMMON_ALLOC_H
#define GR_HOST_COMMON_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

/*
 * greenroom treats out-of-memory as fatal: these never return NULL, so
 * callers need no OOM path. Memory they return is freed with free().
 */
#define gr_xmalloc(size) gr__xmalloc((size), __FILE__, __LINE__)
#define gr_xcalloc(count, size) gr__xcalloc((count), (size), __FILE__, __LINE__)
#define gr_xrealloc(ptr, size) gr__xrealloc((ptr), (size), __FILE__, __LINE__)
#define gr_xstrdup(str) gr__xstrdup((str), __FILE__, __LINE__)
#define gr_xstrndup(str, len) gr__xstrndup((str), (len), __FILE__, __LINE__)
#define gr_xasprintf(...) gr__xasprintf(__FILE__, __LINE__, __VA_ARGS__)

void *gr__xmalloc(size_t size, const char *file, int line);
void *gr__xcalloc(size_t count, size_t size, const char *file, int line);
void *gr__xrealloc(void *ptr, size_t size, const char *file, int line);
char *gr__xstrdup(const char *str, const char *file, int line);
char *gr__xstrndup(const char *str, size_t len, const char *file, int line);
char *gr__xasprintf(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *gr_xvasprintf(const char *fmt, va_list args) __attribute__((format(printf, 1, 0)));

#endif
