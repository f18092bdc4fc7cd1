/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the host's limits: the number of services plugins publish. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "host/common/error.h"
#include "host/host.h"

static char service_names[GR_HOST_MAX_SERVICES + 1][16];

static void services_over_max_rejected(void **state)
{
    static struct gr_host host;
    int payload = 0;

    (void)state;
    for (int i = 0; i <= GR_HOST_MAX_SERVICES; i++)
        snprintf(service_names[i], sizeof(service_names[i]), "service%d", i);
    for (int i = 0; i < GR_HOST_MAX_SERVICES; i++)
        assert_int_equal(gr_host_provide(&host, service_names[i], &payload), GR_OK);
    assert_int_equal(gr_host_provide(&host, service_names[GR_HOST_MAX_SERVICES], &payload),
                     GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "'service32'"));
    assert_non_null(strstr(gr_error_last(), "more than 32 plugin services"));
    assert_null(gr_host_lookup(&host, service_names[GR_HOST_MAX_SERVICES]));
    assert_ptr_equal(gr_host_lookup(&host, service_names[GR_HOST_MAX_SERVICES - 1]), &payload);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(services_over_max_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
