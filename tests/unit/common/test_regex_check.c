/* SPDX-License-Identifier: MIT */
/* Unit tests for the size check of schema patterns before regcomp(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/common/regex_check.h"

static void expect_rejected(const char *pattern, const char *fragment)
{
    int rc = gr_regex_check(pattern);

    if (rc != GR_ELIMIT)
        fail_msg("pattern %s: expected GR_ELIMIT, got %d", pattern, rc);
    if (strstr(gr_error_last(), fragment) == NULL)
        fail_msg("pattern %s: \"%s\" not in \"%s\"", pattern, fragment, gr_error_last());
}

/* Patterns of Backstage's schemas and of real templates pass, and still compile. */
static void usual_patterns_accepted(void **state)
{
    static const char *const patterns[] = {
        "^[a-z0-9A-Z_.-]{1,63}$",
        "^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)(\\.([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?))*$",
        "^[a-z]+(-[a-z]+)*$",
        "^.+?$",
        "^(a|b|c){2,5}x?$",
        "^[[:space:]]*[^]]+$",
        "^(x{10}){10}$",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        regex_t regex;

        if (gr_regex_check(patterns[i]) != GR_OK)
            fail_msg("pattern %s: %s", patterns[i], gr_error_last());
        assert_int_equal(regcomp(&regex, patterns[i], REG_EXTENDED | REG_NOSUB), 0);
        regfree(&regex);
    }
}

/* The pattern a fuzzer found: 120 '+' in a row made regcomp() use more than 2 GiB. */
static void repeated_quantifiers_rejected(void **state)
{
    gr_buf pattern = GR_BUF_INIT;

    (void)state;
    gr_buf_puts(&pattern, "^[a-z]+-----BEGI");
    for (int i = 0; i < 120; i++)
        gr_buf_putc(&pattern, '+');
    gr_buf_puts(&pattern, "N $");
    expect_rejected(gr_buf_cstr(&pattern), "repeats a repetition");
    gr_buf_free(&pattern);

    expect_rejected("a++", "repeats a repetition");
    expect_rejected("a*{2}", "repeats a repetition");
    expect_rejected("a{2}{3}", "repeats a repetition");
    expect_rejected("a+??", "repeats a repetition");
    expect_rejected("(ab)*+", "repeats a repetition");
}

static void large_expansions_rejected(void **state)
{
    (void)state;
    expect_rejected("a{1001}", "more than 1000 times");
    expect_rejected("((a{100}){100}){100}", "expands to more than 20000 elements");
    expect_rejected("(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))",
                    "nests groups deeper than 32");
    assert_int_equal(gr_regex_check("(a{100}){100}"), GR_OK);
}

/* Quantifier characters inside brackets and after a backslash are plain characters. */
static void literal_quantifiers_accepted(void **state)
{
    (void)state;
    assert_int_equal(gr_regex_check("^[+*?{}]+$"), GR_OK);
    assert_int_equal(gr_regex_check("^a\\+\\+b$"), GR_OK);
    assert_int_equal(gr_regex_check("^[[:alpha:]+]+$"), GR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(usual_patterns_accepted),
        cmocka_unit_test(repeated_quantifiers_rejected),
        cmocka_unit_test(large_expansions_rejected),
        cmocka_unit_test(literal_quantifiers_accepted),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
