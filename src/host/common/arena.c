/* SPDX-License-Identifier: MIT */
/* A region allocator with deferred cleanups. */
#include "host/common/arena.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"

#define ARENA_BLOCK_SIZE 8192

typedef struct arena_block {
    struct arena_block *next;
    size_t used;
    size_t size;
    alignas(max_align_t) unsigned char data[];
} arena_block;

typedef struct arena_cleanup {
    struct arena_cleanup *next;
    void (*fn)(void *);
    void *ptr;
} arena_cleanup;

struct gr_arena {
    arena_block *blocks;
    arena_cleanup *cleanups;
    size_t block_size;
};

gr_arena *gr_arena_new(void)
{
    return gr_arena_new_sized(ARENA_BLOCK_SIZE);
}

gr_arena *gr_arena_new_sized(size_t block_size)
{
    gr_arena *arena = gr_xcalloc(1, sizeof(gr_arena));

    arena->block_size = block_size > 0 ? block_size : ARENA_BLOCK_SIZE;
    return arena;
}

void gr_arena_free(gr_arena *arena)
{
    if (arena == NULL)
        return;

    while (arena->cleanups != NULL) {
        arena_cleanup *cleanup = arena->cleanups;

        arena->cleanups = cleanup->next;
        cleanup->fn(cleanup->ptr);
    }
    while (arena->blocks != NULL) {
        arena_block *block = arena->blocks;

        arena->blocks = block->next;
        free(block);
    }
    free(arena);
}

static arena_block *arena_block_new(size_t size)
{
    arena_block *block = gr_xmalloc(sizeof(arena_block) + size);

    block->next = NULL;
    block->used = 0;
    block->size = size;
    return block;
}

void *gr_arena_alloc(gr_arena *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    arena_block *block = arena->blocks;
    size_t rounded = (size + align - 1) & ~(align - 1);
    void *ptr;

    if (rounded == 0)
        rounded = align;

    /* Large requests get a block of their own behind the current one, so the
     * free space of the current block is not wasted. */
    if (rounded > arena->block_size / 4) {
        arena_block *big = arena_block_new(rounded);

        big->used = rounded;
        if (block != NULL) {
            big->next = block->next;
            block->next = big;
        } else {
            arena->blocks = big;
        }
        return big->data;
    }

    if (block == NULL || block->size - block->used < rounded) {
        block = arena_block_new(arena->block_size);
        block->next = arena->blocks;
        arena->blocks = block;
    }
    ptr = block->data + block->used;
    block->used += rounded;
    return ptr;
}

void *gr_arena_calloc(gr_arena *arena, size_t size)
{
    void *ptr = gr_arena_alloc(arena, size);

    memset(ptr, 0, size);
    return ptr;
}

char *gr_arena_strndup(gr_arena *arena, const char *str, size_t len)
{
    char *copy = gr_arena_alloc(arena, len + 1);

    memcpy(copy, str, len);
    copy[len] = '\0';
    return copy;
}

char *gr_arena_strdup(gr_arena *arena, const char *str)
{
    return gr_arena_strndup(arena, str, strlen(str));
}

char *gr_arena_printf(gr_arena *arena, const char *fmt, ...)
{
    va_list args;
    va_list again;
    int len;
    char *out;

    va_start(args, fmt);
    va_copy(again, args);
    len = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (len < 0)
        len = 0;
    out = gr_arena_alloc(arena, (size_t)len + 1);
    vsnprintf(out, (size_t)len + 1, fmt, args);
    va_end(args);
    return out;
}

void gr_arena_defer(gr_arena *arena, void (*cleanup)(void *), void *ptr)
{
    arena_cleanup *entry = gr_arena_alloc(arena, sizeof(arena_cleanup));

    entry->fn = cleanup;
    entry->ptr = ptr;
    entry->next = arena->cleanups;
    arena->cleanups = entry;
}
