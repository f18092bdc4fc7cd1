/* SPDX-License-Identifier: MIT */
/* Tests of the sign-in provider registry: checks, resolver config, and the sign-in page order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/auth.h"
#include "host/auth/signin.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "support/gr_test.h"

/* A config with the oauth2Proxy proxy and resolvers for the provider "badge". */
static const char config_text[] =
    "auth:\n"
    "  environment: development\n"
    "  providers:\n"
    "    oauth2Proxy:\n"
    "      userHeader: x-forwarded-email\n"
    "      dangerouslyTrustUserHeader: true\n"
    "      signIn:\n"
    "        resolvers:\n"
    "          - resolver: emailMatchingUserEntityProfileEmail\n"
    "    badge:\n"
    "      development:\n"
    "        signIn:\n"
    "          resolvers:\n"
    "            - resolver: noSuchResolver\n";

typedef struct {
    char *dir;
    gr_config *config;
    gr_auth *auth;
    int freed; /* payloads freed through free_payload */
} signin_fixture;

static int setup(void **state)
{
    signin_fixture *fx = gr_xcalloc(1, sizeof(*fx));
    gr_config_schema *schema = NULL;
    char *path;
    const char *files[1];

    fx->dir = gr_test_tmpdir("signin");
    gr_test_write_file(fx->dir, "app-config.yaml", config_text);
    path = gr_xasprintf("%s/app-config.yaml", fx->dir);
    files[0] = path;
    assert_int_equal(gr_config_schema_builtin(&schema), 0);
    assert_int_equal(gr_config_load(&fx->config, files, 1, schema), 0);
    gr_config_schema_free(schema);
    free(path);
    assert_int_equal(gr_auth_new(&fx->auth, fx->config, NULL), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    signin_fixture *fx = *state;

    gr_auth_free(fx->auth);
    gr_config_free(fx->config);
    gr_test_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

static int never_called(gr_request *req, gr_response *res, gr_plugin_signin_result *result,
                        void *payload)
{
    (void)req;
    (void)res;
    (void)result;
    (void)payload;
    return GR_ERROR;
}

static void count_free(void *payload)
{
    ((signin_fixture *)payload)->freed++;
}

static gr_auth_signin_provider provider(signin_fixture *fx, const char *id, int order)
{
    return (gr_auth_signin_provider){.id = id,
                                     .label = id,
                                     .order = order,
                                     .start = never_called,
                                     .payload = fx,
                                     .free_payload = count_free,
                                     .owner = fx};
}

static void add_rejects_bad_ids(void **state)
{
    signin_fixture *fx = *state;
    gr_auth_signin_provider bad = provider(fx, "9lives", 0);

    assert_int_equal(gr_auth_signin_add(fx->auth, &bad), GR_EINVALID);
    bad.id = "a/b";
    assert_int_equal(gr_auth_signin_add(fx->auth, &bad), GR_EINVALID);
    bad.id = "";
    assert_int_equal(gr_auth_signin_add(fx->auth, &bad), GR_EINVALID);
    bad.id = "a23456789012345678901234567890123"; /* 33 bytes, one past the maximum */
    assert_int_equal(gr_auth_signin_add(fx->auth, &bad), GR_EINVALID);
    bad.id = "ok";
    bad.start = NULL;
    assert_int_equal(gr_auth_signin_add(fx->auth, &bad), GR_EINVALID);
    /* A rejected provider's payload is freed at once. */
    assert_int_equal(fx->freed, 5);
}

static void add_over_max_rejected(void **state)
{
    signin_fixture *fx = *state;
    char ids[GR_AUTH_MAX_SIGNIN_PROVIDERS + 1][16];
    gr_auth_signin_provider added;

    for (int i = 0; i <= GR_AUTH_MAX_SIGNIN_PROVIDERS; i++) {
        snprintf(ids[i], sizeof(ids[i]), "p%d", i);
        added = provider(fx, ids[i], 0);
        assert_int_equal(gr_auth_signin_add(fx->auth, &added),
                         i < GR_AUTH_MAX_SIGNIN_PROVIDERS ? GR_OK : GR_ELIMIT);
    }
    assert_non_null(strstr(gr_error_last(), "more than 16 sign-in providers"));
}

static void add_rejects_taken_ids(void **state)
{
    signin_fixture *fx = *state;
    gr_auth_signin_provider first = provider(fx, "alpha", 0);
    gr_auth_signin_provider proxy = provider(fx, "oauth2Proxy", 0);

    assert_int_equal(gr_auth_signin_add(fx->auth, &first), 0);
    assert_int_equal(gr_auth_signin_add(fx->auth, &first), GR_ECONFLICT);
    assert_int_equal(gr_auth_signin_add(fx->auth, &proxy), GR_ECONFLICT);
    assert_non_null(strstr(gr_error_last(), "oauth2Proxy"));
}

static void add_reads_resolvers(void **state)
{
    signin_fixture *fx = *state;
    gr_auth_signin_provider badge = provider(fx, "badge", 0);

    assert_int_equal(gr_auth_signin_add(fx->auth, &badge), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "auth.providers.badge.development"));
    assert_non_null(strstr(gr_error_last(), "noSuchResolver"));
}

/* The page lists by order, ties in registration order, with the proxy at 100. */
static void list_sorts_by_order(void **state)
{
    signin_fixture *fx = *state;
    gr_auth_signin_provider late = provider(fx, "late", 200);
    gr_auth_signin_provider first = provider(fx, "first", 0);
    gr_auth_signin_provider second = provider(fx, "second", 0);
    json_t *list;

    assert_int_equal(gr_auth_signin_add(fx->auth, &late), 0);
    assert_int_equal(gr_auth_signin_add(fx->auth, &first), 0);
    assert_int_equal(gr_auth_signin_add(fx->auth, &second), 0);
    list = gr_auth_signin_list(fx->auth, "//elsewhere.example");
    assert_int_equal(json_array_size(list), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), "first");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "id")),
                        "second");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "id")),
                        "oauth2Proxy");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 3), "id")), "late");
    /* A redirect that would leave the site becomes "/". */
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "href")),
                        "/api/auth/first/start?redirect=%2F");
    json_decref(list);
}

static void remove_forgets_owner(void **state)
{
    signin_fixture *fx = *state;
    gr_auth_signin_provider remaining = provider(fx, "kept", 0);
    gr_auth_signin_provider removed = provider(fx, "gone", 0);
    json_t *list;

    remaining.owner = "someone else";
    assert_int_equal(gr_auth_signin_add(fx->auth, &remaining), 0);
    assert_int_equal(gr_auth_signin_add(fx->auth, &removed), 0);
    gr_auth_signin_remove(fx->auth, fx);
    assert_int_equal(fx->freed, 1);
    list = gr_auth_signin_list(fx->auth, "/");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), "kept");
    json_decref(list);
}

/* Checks one provider result with `user_ref` and `count` copies of `ownership`. */
static int check_result(const char *user_ref, const char *ownership, size_t count)
{
    const char **refs = gr_xcalloc(count + 1, sizeof(*refs));
    gr_plugin_signin_result result;
    int rc;

    for (size_t i = 0; i < count; i++)
        refs[i] = ownership;
    memset(&result, 0, sizeof(result));
    result.user_ref = user_ref;
    result.ownership = ownership != NULL ? refs : NULL;
    result.ownership_count = ownership != NULL ? count : 0;
    rc = gr_auth_signin_result_check(&result);
    free(refs);
    return rc;
}

static void result_refs_checked(void **state)
{
    char long_name[80];

    (void)state;
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(check_result("user:default/jane", NULL, 0), GR_OK);
    assert_int_equal(check_result("User:ops/jane.doe", "group:default/team-a", 3), GR_OK);
    assert_int_equal(check_result("group:default/admins", NULL, 0), GR_EINVALID);
    assert_int_equal(check_result("external:test", NULL, 0), GR_EINVALID);
    assert_int_equal(check_result("user:default/a\nb", NULL, 0), GR_EINVALID);
    assert_int_equal(check_result("user:default/../x", NULL, 0), GR_EINVALID);
    assert_int_equal(check_result("user:default/", NULL, 0), GR_EINVALID);
    assert_int_equal(check_result("user:default/..", NULL, 0), GR_EINVALID);
    assert_int_equal(check_result("user:jane", NULL, 0), GR_EINVALID);
    assert_int_equal(check_result(long_name, NULL, 0), GR_EINVALID);
    assert_int_equal(check_result("user:default/jane", "group:default/a\nb", 1), GR_EINVALID);
    assert_int_equal(check_result("user:default/jane", "", 1), GR_EINVALID);
    /* 200 refs of 20 bytes are past the 3,072 bytes a session cookie can carry. */
    assert_int_equal(check_result("user:default/jane", "group:default/team-a", 200), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "bytes of ownership refs"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(add_rejects_bad_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(add_rejects_taken_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(add_over_max_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(add_reads_resolvers, setup, teardown),
        cmocka_unit_test_setup_teardown(list_sorts_by_order, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_forgets_owner, setup, teardown),
        cmocka_unit_test(result_refs_checked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
