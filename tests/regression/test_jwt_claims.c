/* SPDX-License-Identifier: MIT */
/* Regression tests: token time claims beyond the range of int64_t. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "host/common/error.h"
#include "host/auth/jwt.h"

/*
 * fuzz_jwt found that a claim such as "exp": 1.5e19 was cast to int64_t,
 * which is undefined behaviour. On x86-64 the value became INT64_MIN, so the
 * token counted as expired. Claims are now compared as doubles, as
 * JavaScript compares them.
 */

#define NOW 1700000000

static int check(const char *payload_json)
{
    json_t *payload = json_loads(payload_json, 0, NULL);
    gr_jwt_expect expect = {.now = NOW, .leeway_s = 30};
    int rc;

    assert_non_null(payload);
    rc = gr_jwt_check_claims(payload, &expect);
    json_decref(payload);
    return rc;
}

static void claims_exp_far_future(void **state)
{
    (void)state;
    assert_int_equal(check("{\"exp\": 1.5e19}"), GR_OK);
    assert_int_equal(check("{\"exp\": 1e300}"), GR_OK);
}

static void claims_exp_far_past(void **state)
{
    (void)state;
    assert_int_equal(check("{\"exp\": -1e300}"), GR_EUNAUTH);
}

static void claims_nbf_far_future(void **state)
{
    (void)state;
    assert_int_equal(check("{\"nbf\": 1e300}"), GR_EUNAUTH);
    assert_int_equal(check("{\"iat\": 9.3e18}"), GR_EUNAUTH);
}

static void claims_fractional_exp(void **state)
{
    (void)state;
    /* Half a second before the leeway runs out is still valid. */
    assert_int_equal(check("{\"exp\": 1699999970.5}"), GR_OK);
    assert_int_equal(check("{\"exp\": 1699999970}"), GR_EUNAUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(claims_exp_far_future),
        cmocka_unit_test(claims_exp_far_past),
        cmocka_unit_test(claims_nbf_far_future),
        cmocka_unit_test(claims_fractional_exp),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
