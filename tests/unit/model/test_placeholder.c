/* SPDX-License-Identifier: MIT */
/* Unit tests for $text, $json and $yaml placeholders and the confined file reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/model/placeholder.h"

typedef struct {
    char *dir;
    char *base; /* path of the entity's file inside dir/repo */
} fixture;

static int setup(void **state)
{
    fixture *f = gr_xcalloc(1, sizeof(*f));

    f->dir = gr_test_tmpdir("placeholder");
    gr_test_write_file(f->dir, "repo/catalog-info.yaml", "unused\n");
    gr_test_write_file(f->dir, "repo/docs/readme.md", "# Readme\n");
    gr_test_write_file(f->dir, "repo/spec.json", "{\"owner\": \"team-a\", \"n\": [1, 2]}");
    gr_test_write_file(f->dir, "repo/spec.yaml", "owner: team-b\ntags: [a]\n");
    gr_test_write_file(f->dir, "repo/two.yaml", "a: 1\n---\nb: 2\n");
    gr_test_write_file(f->dir, "repo/bad.json", "{\"owner\": ");
    gr_test_write_file(f->dir, "repo/big.json", "{\"replicas\": 99999999999999999999, \"n\": 3}");
    gr_test_write_file(f->dir, "repo/infinite.json", "{\"n\": 1e999}");
    gr_test_write_file(f->dir, "secret.txt", "outside\n");
    f->base = gr_xasprintf("%s/repo/catalog-info.yaml", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    gr_test_rmtree(f->dir);
    free(f->dir);
    free(f->base);
    free(f);
    return 0;
}

/* Resolves the placeholders of `json` with the reader confined to dir/repo. */
static json_t *resolve(fixture *f, const char *json, gr_model_problems *problems, int *rc)
{
    char *root = gr_xasprintf("%s/repo", f->dir);
    gr_model_file_reader files = {root};
    gr_model_placeholder_reader reader = {gr_model_file_read, &files, f->base};
    json_t *entity = json_loads(json, 0, NULL);

    assert_non_null(entity);
    *rc = gr_model_resolve_placeholders(entity, &reader, problems);
    free(root);
    return entity;
}

static void placeholder_resolves_each_kind(void **state)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    int rc;
    json_t *entity = resolve(*state,
                             "{\"a\":{\"$text\":\"./docs/readme.md\"},"
                             "\"b\":{\"$json\":\"spec.json\"},"
                             "\"c\":[{\"$yaml\":\"./spec.yaml\"}, 1]}",
                             &problems, &rc);

    assert_int_equal(rc, GR_OK);
    assert_int_equal(problems.count, 0);
    assert_string_equal(json_string_value(json_object_get(entity, "a")), "# Readme\n");
    assert_string_equal(json_string_value(json_object_get(json_object_get(entity, "b"), "owner")),
                        "team-a");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(entity, "c"), 0), "owner")),
        "team-b");
    json_decref(entity);
}

/* JSON.parse reads an integer beyond 64 bits as a double, so the placeholder gets a number. */
static void placeholder_json_big_integer(void **state)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    int rc;
    json_t *entity = resolve(*state, "{\"b\":{\"$json\":\"big.json\"}}", &problems, &rc);
    const json_t *b = json_object_get(entity, "b");

    assert_int_equal(rc, GR_OK);
    assert_int_equal(problems.count, 0);
    assert_true(json_is_real(json_object_get(b, "replicas")));
    assert_true(json_real_value(json_object_get(b, "replicas")) == 1e20);
    assert_true(json_number_value(json_object_get(b, "n")) == 3.0);
    json_decref(entity);
}

static void placeholder_leaves_non_placeholders(void **state)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    int rc;
    json_t *entity = resolve(*state,
                             "{\"a\":{\"$text\":\"./docs/readme.md\",\"x\":1},"
                             "\"b\":{\"$other\":\"./spec.json\"},"
                             "\"c\":{\"$keep\":1,\"inner\":{\"$text\":\"./missing\"}}}",
                             &problems, &rc);

    assert_int_equal(rc, GR_OK);
    assert_int_equal(problems.count, 0);
    assert_true(json_is_object(json_object_get(entity, "a")));
    assert_true(json_is_object(json_object_get(entity, "b")));
    assert_true(json_is_object(json_object_get(json_object_get(entity, "c"), "inner")));
    json_decref(entity);
}

typedef struct {
    const char *json;
    const char *pointer;
    const char *fragment; /* expected in the message */
} failure_case;

static const failure_case failures[] = {
    {"{\"a\":{\"$text\":\"./missing.md\"}}", "/a", "does not exist"},
    {"{\"a\":{\"$text\":\"../secret.txt\"}}", "/a", "leaves the root folder"},
    /* A path above the root that does not exist gets the same error, so the error does not
     * tell whether a path outside the root exists. */
    {"{\"a\":{\"$text\":\"../no-such-file-anywhere.txt\"}}", "/a", "leaves the root folder"},
    {"{\"a\":{\"$text\":\"./docs/../../secret.txt\"}}", "/a", "leaves the root folder"},
    {"{\"a\":{\"$text\":\"/etc/hostname\"}}", "/a", "absolute path"},
    {"{\"a\":{\"$text\":\"https://example.com/x\"}}", "/a", "is a URL"},
    {"{\"a\":{\"$text\":5}}", "/a", "expected a string"},
    {"{\"a\":{\"$json\":\"./bad.json\"}}", "/a", "invalid JSON"},
    {"{\"a\":{\"$json\":\"./infinite.json\"}}", "/a", "invalid JSON"},
    {"{\"a\":{\"$yaml\":\"./two.yaml\"}}", "/a", "exactly one YAML document, found 2"},
    {"{\"a\":{\"$text\":\"./docs\"}}", "/a", "not a regular file"},
    {"{\"a\":[0,{\"$text\":\"\"}]}", "/a/1", "target is empty"},
};

static void placeholder_failures_name_file(void **state)
{
    fixture *f = *state;

    for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
        gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
        int rc;
        json_t *entity = resolve(f, failures[i].json, &problems, &rc);

        assert_int_equal(rc, GR_EINVALID);
        assert_int_equal(problems.count, 1);
        assert_string_equal(problems.items[0].pointer, failures[i].pointer);
        assert_string_equal(problems.items[0].rule, "placeholder");
        if (strstr(problems.items[0].message, failures[i].fragment) == NULL)
            fail_msg("case %zu: \"%s\" not in \"%s\"", i, failures[i].fragment,
                     problems.items[0].message);
        assert_non_null(strstr(problems.items[0].message, f->base));
        gr_model_problems_free(&problems);
        json_decref(entity);
    }
}

static void placeholder_symlink_escape(void **state)
{
    fixture *f = *state;
    char *link = gr_xasprintf("%s/repo/link.txt", f->dir);
    char *target = gr_xasprintf("%s/secret.txt", f->dir);
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    int rc;
    json_t *entity;

    assert_int_equal(symlink(target, link), 0);
    entity = resolve(f, "{\"a\":{\"$text\":\"./link.txt\"}}", &problems, &rc);
    assert_int_equal(rc, GR_EINVALID);
    assert_non_null(strstr(problems.items[0].message, "leaves the root folder"));
    assert_null(strstr(problems.items[0].message, target));
    gr_model_problems_free(&problems);
    json_decref(entity);
    free(link);
    free(target);
}

/* A folder link inside the root that points above it gets the same error for a file that
 * exists there and for one that does not, and the error does not show where the link leads. */
static void placeholder_folder_link_escape(void **state)
{
    static const char *const targets[] = {"up/secret.txt", "up/no-such-file.txt",
                                          "up/no-such-folder/x.txt"};
    fixture *f = *state;
    char *link = gr_xasprintf("%s/repo/up", f->dir);
    char *outside = gr_xasprintf("%s/secret.txt", f->dir);

    assert_int_equal(symlink(f->dir, link), 0);
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
        char *json = gr_xasprintf("{\"a\":{\"$text\":\"%s\"}}", targets[i]);
        int rc;
        json_t *entity = resolve(f, json, &problems, &rc);

        assert_int_equal(rc, GR_EINVALID);
        assert_int_equal(problems.count, 1);
        if (strstr(problems.items[0].message, "leaves the root folder") == NULL)
            fail_msg("%s: \"%s\"", targets[i], problems.items[0].message);
        assert_null(strstr(problems.items[0].message, outside));
        gr_model_problems_free(&problems);
        json_decref(entity);
        free(json);
    }
    free(link);
    free(outside);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(placeholder_resolves_each_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(placeholder_json_big_integer, setup, teardown),
        cmocka_unit_test_setup_teardown(placeholder_leaves_non_placeholders, setup, teardown),
        cmocka_unit_test_setup_teardown(placeholder_failures_name_file, setup, teardown),
        cmocka_unit_test_setup_teardown(placeholder_symlink_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(placeholder_folder_link_escape, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
