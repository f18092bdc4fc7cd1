/* SPDX-License-Identifier: MIT */
/* A region allocator: many allocations, freed together with their cleanups. */
#ifndef GR_HOST_COMMON_ARENA_H
#define GR_HOST_COMMON_ARENA_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Each HTTP request owns one arena. Strings and small objects made while
 * serving it come from the arena and are never freed one by one; handles from
 * libraries (a json_t, a statement) are registered with gr_arena_defer() and
 * released when the arena is freed, in reverse order of registration.
 * An arena is not thread-safe: one thread uses it at a time.
 */
typedef struct gr_arena gr_arena;

gr_arena *gr_arena_new(void);

/**
 * Returns an arena with blocks of `block_size` bytes instead of 8 KiB (0 means 8 KiB), for a
 * caller that knows roughly how much it will allocate. Requests over a quarter of a block get a
 * block of their own.
 */
gr_arena *gr_arena_new_sized(size_t block_size);

/** Runs the deferred cleanups, newest first, then frees every block. NULL-safe. */
void gr_arena_free(gr_arena *arena);

/** Returns `size` bytes aligned for any type; never NULL. */
void *gr_arena_alloc(gr_arena *arena, size_t size);

/** Returns `size` zeroed bytes. */
void *gr_arena_calloc(gr_arena *arena, size_t size);

char *gr_arena_strdup(gr_arena *arena, const char *str);
char *gr_arena_strndup(gr_arena *arena, const char *str, size_t len);
char *gr_arena_printf(gr_arena *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Registers `cleanup(ptr)` to run when the arena is freed. */
void gr_arena_defer(gr_arena *arena, void (*cleanup)(void *), void *ptr);

#endif
