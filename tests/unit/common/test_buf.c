/* SPDX-License-Identifier: MIT */
/* Unit tests for the byte buffer, the arena and error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/arena.h"
#include "host/common/buf.h"
#include "host/common/error.h"

static void buf_append_grows(void **state)
{
    gr_buf buf = GR_BUF_INIT;

    (void)state;
    assert_string_equal(gr_buf_cstr(&buf), "");
    for (int i = 0; i < 1000; i++)
        gr_buf_printf(&buf, "%d,", i % 10);
    assert_int_equal(buf.len, 2000);
    assert_memory_equal(buf.data, "0,1,2,", 6);
    assert_int_equal(buf.data[buf.len], '\0');
    gr_buf_free(&buf);
}

/* Single bytes and short runs across every growth of the buffer keep their order and the
 * terminating NUL, with the capacity always above the length. */
static void buf_putc_append_boundaries(void **state)
{
    gr_buf buf = GR_BUF_INIT;
    char expected[600];

    (void)state;
    for (int i = 0; i < 600; i++) {
        expected[i] = (char)('a' + i % 26);
        if (i % 3 == 0)
            gr_buf_putc(&buf, expected[i]);
        else
            gr_buf_append(&buf, &expected[i], 1);
        assert_int_equal(buf.len, (size_t)i + 1);
        assert_true(buf.cap > buf.len);
        assert_int_equal(buf.data[buf.len], '\0');
    }
    assert_memory_equal(buf.data, expected, sizeof(expected));
    gr_buf_append(&buf, "", 0);
    assert_int_equal(buf.len, sizeof(expected));
    gr_buf_free(&buf);
}

/* Appending what was reserved keeps the buffer where it is. */
static void buf_reserve_keeps_memory(void **state)
{
    gr_buf buf = GR_BUF_INIT;
    const char *data;

    (void)state;
    gr_buf_reserve(&buf, 1000);
    data = buf.data;
    assert_non_null(data);
    assert_true(buf.cap >= 1001);
    for (int i = 0; i < 100; i++)
        gr_buf_puts(&buf, "0123456789");
    assert_ptr_equal(buf.data, data);
    assert_int_equal(buf.len, 1000);
    gr_buf_free(&buf);
}

static void buf_html_escapes(void **state)
{
    gr_buf buf = GR_BUF_INIT;

    (void)state;
    gr_buf_put_html(&buf, "<a href=\"x\">Tom & 'Jerry'</a>");
    assert_string_equal(gr_buf_cstr(&buf),
                        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
    gr_buf_free(&buf);
}

static int cleanup_count;

static void count_cleanup(void *ptr)
{
    (void)ptr;
    cleanup_count++;
}

static void arena_allocates_and_cleans(void **state)
{
    gr_arena *arena = gr_arena_new();
    char *big;

    (void)state;
    cleanup_count = 0;
    for (int i = 0; i < 5000; i++) {
        char *str = gr_arena_printf(arena, "item-%d", i);
        assert_true(((uintptr_t)str % sizeof(void *)) == 0);
    }
    big = gr_arena_alloc(arena, 100000);
    memset(big, 'x', 100000);
    gr_arena_defer(arena, count_cleanup, NULL);
    gr_arena_defer(arena, count_cleanup, NULL);
    gr_arena_free(arena);
    assert_int_equal(cleanup_count, 2);
}

/* A sized arena fills blocks of its own size: four aligned units fit in a block of four, the
 * fifth starts a new block, and a request over a quarter of a block gets its own. */
static void arena_sized_blocks(void **state)
{
    const size_t unit = alignof(max_align_t);
    gr_arena *arena = gr_arena_new_sized(4 * unit);
    char *units[6];
    char *big;

    (void)state;
    for (int i = 0; i < 5; i++)
        units[i] = gr_arena_alloc(arena, unit);
    for (int i = 1; i < 4; i++)
        assert_ptr_equal(units[i], units[0] + (size_t)i * unit);
    assert_true(units[4] < units[0] || units[4] >= units[0] + 4 * unit);
    big = gr_arena_alloc(arena, 2 * unit);
    memset(big, 'x', 2 * unit);
    units[5] = gr_arena_alloc(arena, unit);
    assert_ptr_equal(units[5], units[4] + unit);
    gr_arena_free(arena);
}

static void error_wrap_prefixes(void **state)
{
    (void)state;
    assert_int_equal(gr_error_set(GR_ENOTFOUND, "entity %s not found", "x"), GR_ENOTFOUND);
    assert_int_equal(gr_error_wrap(GR_EINVALID, "reading %s", "a.yaml"), GR_EINVALID);
    assert_string_equal(gr_error_last(), "reading a.yaml: entity x not found");
    assert_int_equal(gr_error_last_code(), GR_EINVALID);
    assert_int_equal(gr_error_http_status(GR_ENOTFOUND), 404);
    assert_string_equal(gr_error_http_name(GR_ENOTFOUND), "NotFoundError");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_append_grows),
        cmocka_unit_test(buf_putc_append_boundaries),
        cmocka_unit_test(buf_reserve_keeps_memory),
        cmocka_unit_test(buf_html_escapes),
        cmocka_unit_test(arena_allocates_and_cleans),
        cmocka_unit_test(arena_sized_blocks),
        cmocka_unit_test(error_wrap_prefixes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
