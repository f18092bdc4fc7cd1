/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the scheduler's shortest wait between two lease attempts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host/sched/lease.h"
#include "host/sched/sched.h"

/* A job's interval, as the upper bound of the wait, in ms. */
#define INTERVAL_MS 60000

static void retry_under_min_raised(void **state)
{
    (void)state;
    /* A lease that expires in 49 ms, now, or already expired. */
    assert_int_equal(gr_sched__retry_delay(GR_SCHED_RETRY_MIN_MS - 1, INTERVAL_MS), 50);
    assert_int_equal(gr_sched__retry_delay(0, INTERVAL_MS), 50);
    assert_int_equal(gr_sched__retry_delay(-1000, INTERVAL_MS), 50);
}

static void retry_at_min_kept(void **state)
{
    (void)state;
    assert_int_equal(gr_sched__retry_delay(GR_SCHED_RETRY_MIN_MS, INTERVAL_MS), 50);
    assert_int_equal(gr_sched__retry_delay(GR_SCHED_RETRY_MIN_MS + 1, INTERVAL_MS), 51);
}

static void retry_over_interval_lowered(void **state)
{
    (void)state;
    assert_int_equal(gr_sched__retry_delay(INTERVAL_MS + 1, INTERVAL_MS), INTERVAL_MS);
    /* The minimum wins over an interval shorter than it. */
    assert_int_equal(gr_sched__retry_delay(0, 10), 50);
    assert_int_equal(gr_sched__retry_delay(30, 10), 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_under_min_raised),
        cmocka_unit_test(retry_at_min_kept),
        cmocka_unit_test(retry_over_interval_lowered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
