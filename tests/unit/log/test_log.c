/* SPDX-License-Identifier: MIT */
/* Unit tests of the log line format: quoting, and values cut at GR_LOG_MAX_VALUE_BYTES. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/log/log.h"

/* The last line the sink received; the tests log from one thread. */
static char *last_line;

static void capture(gr_log_level level, const char *line, void *payload)
{
    (void)level;
    (void)payload;
    free(last_line);
    last_line = gr_xstrdup(line);
}

static int setup(void **state)
{
    (void)state;
    gr_log_set_sink(capture, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gr_log_set_sink(NULL, NULL);
    free(last_line);
    last_line = NULL;
    return 0;
}

static void short_values_unchanged(void **state)
{
    (void)state;
    gr_log_fields(GR_LOG_WARN, "test", "entity stored", "ref", "component:default/x", "note",
                  "two words", NULL);
    assert_non_null(strstr(last_line, " mod=test msg=\"entity stored\" ref=component:default/x "
                                      "note=\"two words\""));
}

static void long_field_cut_with_size(void **state)
{
    size_t full = GR_LOG_MAX_VALUE_BYTES * 3;
    char *value = gr_xmalloc(full + 1);
    const char *start;

    (void)state;
    memset(value, 'a', full);
    value[full] = '\0';
    gr_log_fields(GR_LOG_WARN, "test", "processing failed", "error", value, "entity", "x", NULL);

    start = strstr(last_line, "error=\"");
    assert_non_null(start);
    start += strlen("error=\"");
    assert_int_equal(strspn(start, "a"), GR_LOG_MAX_VALUE_BYTES);
    assert_non_null(strstr(start, "... (cut, 12288 bytes in all)\" entity=x"));
    assert_true(strlen(last_line) < GR_LOG_MAX_VALUE_BYTES + 200);
    free(value);
}

static void cut_keeps_whole_characters(void **state)
{
    size_t full = GR_LOG_MAX_VALUE_BYTES + 10;
    char *value = gr_xmalloc(full + 1);
    const char *start;

    (void)state;
    /* A two-byte "é" straddles the cut, so the cut moves before it instead of splitting it. */
    memset(value, 'b', full);
    value[GR_LOG_MAX_VALUE_BYTES - 1] = (char)0xc3;
    value[GR_LOG_MAX_VALUE_BYTES] = (char)0xa9;
    value[full] = '\0';
    gr_log(GR_LOG_WARN, "test", "%s", value);

    start = strstr(last_line, "msg=\"");
    assert_non_null(start);
    start += strlen("msg=\"");
    assert_int_equal(strspn(start, "b"), GR_LOG_MAX_VALUE_BYTES - 1);
    assert_string_equal(start + GR_LOG_MAX_VALUE_BYTES - 1, "... (cut, 4106 bytes in all)\"");
    free(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(short_values_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(long_field_cut_with_size, setup, teardown),
        cmocka_unit_test_setup_teardown(cut_keeps_whole_characters, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
