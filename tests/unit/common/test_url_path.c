/* SPDX-License-Identifier: MIT */
/* Unit tests for resolving URL path dot segments before a prefix check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "host/common/error.h"
#include "host/common/url_path.h"

static void expect_resolved(const char *path, const char *expected)
{
    char *resolved = NULL;

    assert_int_equal(gr_url_path_resolve(path, &resolved), GR_OK);
    assert_string_equal(resolved, expected);
    free(resolved);
}

static void plain_paths_unchanged(void **state)
{
    (void)state;
    expect_resolved("/pub/a.yaml", "/pub/a.yaml");
    expect_resolved("/pub/", "/pub/");
    expect_resolved("/", "/");
    expect_resolved("/a/..b/c.", "/a/..b/c.");
}

static void dot_segments_resolved(void **state)
{
    (void)state;
    expect_resolved("/pub/../passwd.txt", "/passwd.txt");
    expect_resolved("/pub/./a/../b", "/pub/b");
    expect_resolved("/../../etc", "/etc");
    expect_resolved("/pub/a/..", "/pub/");
    expect_resolved("/pub//a", "/pub/a");
}

static void encoded_dots_resolved(void **state)
{
    (void)state;
    expect_resolved("/pub/%2e%2e/passwd.txt", "/passwd.txt");
    expect_resolved("/pub/.%2E/passwd.txt", "/passwd.txt");
    expect_resolved("/pub/%2e./x", "/x");
    expect_resolved("/pub/%2e/x", "/pub/x");
}

static void encoded_slash_rejected(void **state)
{
    char *resolved = NULL;

    (void)state;
    assert_int_equal(gr_url_path_resolve("/pub/..%2fpasswd.txt", &resolved), GR_EINVALID);
    assert_null(resolved);
    assert_int_equal(gr_url_path_resolve("/pub/..%5Cpasswd.txt", &resolved), GR_EINVALID);
    assert_int_equal(gr_url_path_resolve("/pub/..\\passwd.txt", &resolved), GR_EINVALID);
}

static void prefix_checked_after_resolving(void **state)
{
    (void)state;
    assert_true(gr_url_path_has_prefix("/pub/a.yaml", "/pub/"));
    assert_false(gr_url_path_has_prefix("/pub/../passwd.txt", "/pub/"));
    assert_false(gr_url_path_has_prefix("/pub/%2e%2e/passwd.txt", "/pub/"));
    assert_false(gr_url_path_has_prefix("/pub/..%2fpasswd.txt", "/pub/"));
    assert_true(gr_url_path_has_prefix("/pub/x/../a.yaml", "/pub/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_paths_unchanged),
        cmocka_unit_test(dot_segments_resolved),
        cmocka_unit_test(encoded_dots_resolved),
        cmocka_unit_test(encoded_slash_rejected),
        cmocka_unit_test(prefix_checked_after_resolving),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
