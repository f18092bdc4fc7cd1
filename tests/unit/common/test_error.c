/* SPDX-License-Identifier: MIT */
/* Unit tests for the thread-local error message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "host/common/error.h"

/* A message built from the current one keeps every character of it. */
static void set_from_last_message(void **state)
{
    (void)state;
    gr_error_set(GR_EINVALID, "Expected an object at \"query.$not\"");
    assert_int_equal(gr_error_set(GR_EINVALID, "Malformed cursor: %s", gr_error_last()),
                     GR_EINVALID);
    assert_string_equal(gr_error_last(), "Malformed cursor: Expected an object at \"query.$not\"");

    gr_error_set(GR_ENOTFOUND, "abc");
    gr_error_set(GR_EINVALID, "%s%s%s", gr_error_last(), gr_error_last(), gr_error_last());
    assert_string_equal(gr_error_last(), "abcabcabc");
    assert_int_equal(gr_error_last_code(), GR_EINVALID);
}

static void long_message_truncated(void **state)
{
    char long_text[3 * GR_ERROR_MAX];

    (void)state;
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    gr_error_set(GR_ELIMIT, "%s", long_text);
    assert_int_equal(strlen(gr_error_last()), GR_ERROR_MAX - 1);
    gr_error_set(GR_ELIMIT, "prefix %s", gr_error_last());
    assert_int_equal(strlen(gr_error_last()), GR_ERROR_MAX - 1);
    assert_memory_equal(gr_error_last(), "prefix xxx", 10);
}

static void wrap_joins_context(void **state)
{
    (void)state;
    gr_error_set(GR_ENOTFOUND, "no such file");
    assert_int_equal(gr_error_wrap(GR_EINVALID, "reading %s", "a.yaml"), GR_EINVALID);
    assert_string_equal(gr_error_last(), "reading a.yaml: no such file");
    gr_error_clear();
    gr_error_wrap(GR_EINVALID, "alone");
    assert_string_equal(gr_error_last(), "alone");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(set_from_last_message),
        cmocka_unit_test(long_message_truncated),
        cmocka_unit_test(wrap_joins_context),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
