/* SPDX-License-Identifier: MIT */
/* Unit tests for numbers written as JavaScript's Number::toString writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>

#include "host/common/js_number.h"

static void expect_text(double value, const char *expected)
{
    char text[GR_JS_NUMBER_MAX];

    gr_js_number_format(value, text);
    assert_string_equal(text, expected);
}

static void shortest_digits_kept(void **state)
{
    (void)state;
    expect_text(0.1, "0.1");
    expect_text(51.4406, "51.4406");
    expect_text(0.1 + 0.2, "0.30000000000000004");
    expect_text(-2.5, "-2.5");
    expect_text(1.0, "1");
    expect_text(100.0, "100");
    expect_text(123456789012345680000.0, "123456789012345680000");
}

static void exponent_outside_range(void **state)
{
    (void)state;
    expect_text(1e21, "1e+21");
    expect_text(1.5e300, "1.5e+300");
    expect_text(0.000001, "0.000001");
    expect_text(1e-7, "1e-7");
    expect_text(-1.2345e-7, "-1.2345e-7");
    expect_text(DBL_MAX, "1.7976931348623157e+308");
    expect_text(-DBL_MIN, "-2.2250738585072014e-308");
    expect_text(5e-324, "5e-324");
}

static void special_values_named(void **state)
{
    (void)state;
    expect_text(0.0, "0");
    expect_text(-0.0, "0");
    expect_text(NAN, "NaN");
    expect_text(INFINITY, "Infinity");
    expect_text(-INFINITY, "-Infinity");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shortest_digits_kept),
        cmocka_unit_test(exponent_outside_range),
        cmocka_unit_test(special_values_named),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
