/* SPDX-License-Identifier: MIT */
/* Tests of workspace paths, folder walks, globs, binary detection and secret masking. */
#include "scaffolder_test.h"

#include <unistd.h>

#include "plugins/scaffolder/mask.h"

static void resolve_inside(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(gr_scaffolder_path_resolve("/ws", "a/./b/../c", &out), 0);
    assert_string_equal(out, "/ws/a/c");
    free(out);
    assert_int_equal(gr_scaffolder_path_resolve("/ws/", "./", &out), 0);
    assert_string_equal(out, "/ws");
    free(out);
    assert_int_equal(gr_scaffolder_path_resolve("/ws", "/ws/x", &out), 0);
    assert_string_equal(out, "/ws/x");
    free(out);
}

static void resolve_rejects_escapes(void **state)
{
    const char *bad[] = {"..", "../x", "a/../../x", "/etc/passwd", "/wsx/y", "a/../../ws/x"};
    char *out = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(gr_scaffolder_path_resolve("/ws", bad[i], &out), GR_EINVALID);
        assert_null(out);
    }
}

static void resolve_rejects_symlinks(void **state)
{
    char *dir = gr_test_tmpdir("ws");
    char *link = gr_xasprintf("%s/out", dir);
    char *out = NULL;

    (void)state;
    assert_int_equal(symlink("/tmp", link), 0);
    assert_int_equal(gr_scaffolder_path_resolve(dir, "out/file", &out), GR_EINVALID);
    assert_contains(gr_error_last(), "symbolic link");
    assert_int_equal(gr_scaffolder_path_resolve(dir, "other/file", &out), 0);
    free(out);
    gr_test_rmtree(dir);
    free(link);
    free(dir);
}

static void walk_rejects_symlinks(void **state)
{
    char *dir = gr_test_tmpdir("walk");
    char *link = gr_xasprintf("%s/sub/secret", dir);
    gr_scaffolder_entries entries;

    (void)state;
    gr_test_write_file(dir, "sub/a.txt", "a");
    gr_test_write_file(dir, "b.txt", "b");
    assert_int_equal(gr_scaffolder_walk(dir, 0, &entries), 0);
    assert_int_equal(entries.count, 3);
    assert_string_equal(entries.items[0].path, "b.txt");
    assert_string_equal(entries.items[1].path, "sub/");
    assert_string_equal(entries.items[2].path, "sub/a.txt");
    gr_scaffolder_entries_free(&entries);

    assert_int_equal(symlink("/etc/passwd", link), 0);
    assert_int_equal(gr_scaffolder_walk(dir, 0, &entries), GR_EINVALID);
    assert_contains(gr_error_last(), "sub/secret");
    assert_int_equal(gr_scaffolder_walk(dir, GR_WALK_KEEP_LINKS, &entries), 0);
    assert_int_equal(entries.count, 4);
    gr_scaffolder_entries_free(&entries);
    gr_test_rmtree(dir);
    free(link);
    free(dir);
}

static void glob_patterns(void **state)
{
    (void)state;
    assert_true(gr_scaffolder_glob_match(".github/workflows/*", ".github/workflows/ci.yaml"));
    assert_true(gr_scaffolder_glob_match(".github/workflows/", ".github/workflows/ci.yaml"));
    assert_false(gr_scaffolder_glob_match(".github/workflows/*", ".github/ci.yaml"));
    assert_true(gr_scaffolder_glob_match("**/*.png", "a/b/c.png"));
    assert_true(gr_scaffolder_glob_match("**/*.png", "c.png"));
    assert_false(gr_scaffolder_glob_match("*.md", "docs/index.md"));
    assert_true(gr_scaffolder_glob_match("*.{md,txt}", "x.txt"));
    assert_true(gr_scaffolder_glob_match("./docs", "docs/index.md"));
    assert_true(gr_scaffolder_glob_match(".env*", ".env.local"));
}

static void binary_detection(void **state)
{
    const char nul[] = {'G', 'I', 'F', 0, 1};

    (void)state;
    assert_false(gr_scaffolder_is_binary("plain text ${{ x }}", 19));
    assert_false(gr_scaffolder_is_binary("caf\xc3\xa9", 5));
    assert_true(gr_scaffolder_is_binary(nul, sizeof(nul)));
    assert_true(gr_scaffolder_is_binary("ab\xff\xfe", 4));
}

static void mask_replaces_longest_first(void **state)
{
    gr_scaffolder_mask *mask = gr_scaffolder_mask_new();
    json_t *secrets = json_pack("{s:s, s:s, s:[s]}", "a", "token", "b", "token-long", "c", "xyz");
    json_t *body = json_pack("{s:s, s:{s:s}}", "message", "use token-long and token", "inner",
                             "xyz", "xyz here");
    json_t *masked;
    char *text;

    (void)state;
    gr_scaffolder_mask_add_json(mask, secrets);
    gr_scaffolder_mask_add(mask, "");
    text = gr_scaffolder_mask_text(mask, "token-long token tok");
    assert_string_equal(text, "*** *** tok");
    free(text);
    masked = gr_scaffolder_mask_json(mask, body);
    assert_string_equal(json_string_value(json_object_get(masked, "message")), "use *** and ***");
    assert_string_equal(json_string_value(json_object_get(json_object_get(masked, "inner"), "***")),
                        "*** here");
    json_decref(masked);
    json_decref(body);
    json_decref(secrets);
    gr_scaffolder_mask_free(mask);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resolve_inside),
        cmocka_unit_test(resolve_rejects_escapes),
        cmocka_unit_test(resolve_rejects_symlinks),
        cmocka_unit_test(walk_rejects_symlinks),
        cmocka_unit_test(glob_patterns),
        cmocka_unit_test(binary_detection),
        cmocka_unit_test(mask_replaces_longest_first),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
