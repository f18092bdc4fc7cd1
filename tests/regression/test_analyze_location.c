/* SPDX-License-Identifier: MIT */
/* Regression tests: analyze-location reads only the location types that may be registered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit/engine/engine_fixture.h"

/*
 * POST /analyze-location used to read file and git targets whatever
 * catalog.allowedLocationTypes contained, so any signed-in caller could read a
 * local YAML file (an app-config.yaml with secrets) or make the server
 * clone any git URL. It now allows the same types as POST /locations.
 */

static const char secret_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n  name: secret\n  description: db-password-123\n"
    "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";

static void analyze_file_rejected(void **state)
{
    engine_fixture *fixture = *state;
    char *target = gr_xasprintf("%s/secret.yaml", fixture->dir);
    json_t *out = NULL;

    engine_write(fixture, "secret.yaml", secret_yaml);
    engine_start(fixture, "{}");
    assert_int_equal(gr_catalog_analyze_location(fixture->catalog, "file", target, &out),
                     GR_EINVALID);
    assert_null(out);
    assert_non_null(strstr(gr_error_last(), "allowed type"));
    free(target);
}

static void analyze_git_rejected(void **state)
{
    engine_fixture *fixture = *state;
    json_t *out = NULL;

    engine_start(fixture, "{}");
    assert_int_equal(gr_catalog_analyze_location(fixture->catalog, "git",
                                                 "http://127.0.0.1:9/repo.git", &out),
                     GR_EINVALID);
    assert_null(out);
}

static void analyze_file_allowed(void **state)
{
    engine_fixture *fixture = *state;
    char *target = gr_xasprintf("%s/secret.yaml", fixture->dir);
    json_t *out = NULL;

    engine_write(fixture, "secret.yaml", secret_yaml);
    engine_start(fixture, "{\"catalog\": {\"allowedLocationTypes\": [\"file\"]}}");
    assert_int_equal(gr_catalog_analyze_location(fixture->catalog, "file", target, &out), GR_OK);
    assert_int_equal(json_array_size(json_object_get(out, "existingEntityFiles")), 1);
    json_decref(out);
    free(target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ENGINE_TEST_SQLITE(analyze_file_rejected),
        ENGINE_TEST_SQLITE(analyze_git_rejected),
        ENGINE_TEST_SQLITE(analyze_file_allowed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
