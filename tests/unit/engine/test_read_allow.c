/* SPDX-License-Identifier: MIT */
/* Unit tests for backend.reading.allow: hosts, ports and path prefixes of url locations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "plugins/catalog/engine/read.h"
#include "plugins/catalog/engine/settings.h"

static char *pub_paths[] = {"/pub/"};

static void settings_with_paths(gr_catalog_settings *settings, gr_catalog_read_allow *allow)
{
    memset(settings, 0, sizeof(*settings));
    memset(allow, 0, sizeof(*allow));
    allow->host = "files.example.com";
    allow->paths = pub_paths;
    allow->path_count = 1;
    settings->read_allow = allow;
    settings->read_allow_count = 1;
}

static void path_inside_prefix_allowed(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_read_allow allow;

    (void)state;
    settings_with_paths(&settings, &allow);
    assert_true(gr_catalog__url_allowed(&settings, "https://files.example.com/pub/a.yaml"));
    assert_true(gr_catalog__url_allowed(&settings, "https://files.example.com/pub/x/../a.yaml"));
}

static void dot_segments_leave_prefix(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_read_allow allow;

    (void)state;
    settings_with_paths(&settings, &allow);
    assert_false(gr_catalog__url_allowed(&settings, "https://files.example.com/pub/../passwd"));
    assert_false(
        gr_catalog__url_allowed(&settings, "https://files.example.com/pub/%2e%2e/passwd"));
    assert_false(gr_catalog__url_allowed(&settings, "https://files.example.com/pub/..%2fpasswd"));
    assert_false(gr_catalog__url_allowed(&settings, "https://files.example.com/other/a.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_inside_prefix_allowed),
        cmocka_unit_test(dot_segments_leave_prefix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
