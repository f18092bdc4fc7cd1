/* SPDX-License-Identifier: MIT */
/* Integration tests: the scaffolder hides templates and entities that the caller may not read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "support/gr_test.h"

/*
 * Two static tokens: the admin may do everything, the user may read only
 * entities without the example.com/hidden annotation. Both may use the
 * scaffolder, so every difference below comes from catalog.entity.read.
 */
#define ADMIN_TOKEN "scaffolder-admin-token-1234"
#define USER_TOKEN "scaffolder-user-token-5678"
#define WAIT_MS 30000

static const char config_yaml[] =
    "app:\n"
    "  baseUrl: http://127.0.0.1:${GREENROOM_PORT}\n"
    "backend:\n"
    "  listen:\n"
    "    port: ${GREENROOM_PORT}\n"
    "  database:\n"
    "    client: better-sqlite3\n"
    "    connection: ./greenroom.sqlite\n"
    "  auth:\n"
    "    externalAccess:\n"
    "      - type: static\n"
    "        options:\n"
    "          token: " ADMIN_TOKEN "\n"
    "          subject: admin-bot\n"
    "      - type: static\n"
    "        options:\n"
    "          token: " USER_TOKEN "\n"
    "          subject: user-bot\n"
    "catalog:\n"
    "  rules:\n"
    "    - allow: [Component, Template]\n"
    "  locations:\n"
    "    - type: file\n"
    "      target: ./catalog.yaml\n"
    "scaffolder:\n"
    "  workingDirectory: ./work\n"
    "permission:\n"
    "  enabled: true\n"
    "  rules:\n"
    "    - allow: \"*\"\n"
    "      when: { isService: [external:admin-bot] }\n"
    "    - allow: [catalog.entity.read]\n"
    "      when:\n"
    "        not: { hasAnnotation: { annotation: example.com/hidden } }\n"
    "    - allow: [\"scaffolder.*\"]\n";

#define TEMPLATE(NAME, ANNOTATIONS)                                                                \
    "apiVersion: scaffolder.backstage.io/v1beta3\n"                                                \
    "kind: Template\n"                                                                             \
    "metadata:\n"                                                                                  \
    "  name: " NAME "\n" ANNOTATIONS "spec:\n"                                                     \
    "  owner: group:default/team\n"                                                                \
    "  type: website\n"                                                                            \
    "  parameters:\n"                                                                              \
    "    - title: Site\n"                                                                          \
    "      required: [name]\n"                                                                     \
    "      properties:\n"                                                                          \
    "        name: { type: string }\n"                                                             \
    "  steps:\n"                                                                                   \
    "    - id: log\n"                                                                              \
    "      action: debug:log\n"                                                                    \
    "      input: { message: hello }\n"

static const char catalog_yaml[] = TEMPLATE("open-site", "") "---\n" TEMPLATE(
    "docs-site", "  annotations:\n"
                 "    example.com/hidden: \"true\"\n") "---\n"
                                                       "apiVersion: backstage.io/v1alpha1\n"
                                                       "kind: Component\n"
                                                       "metadata:\n"
                                                       "  name: route-planner\n"
                                                       "  annotations:\n"
                                                       "    example.com/hidden: \"true\"\n"
                                                       "spec:\n"
                                                       "  type: service\n"
                                                       "  lifecycle: production\n"
                                                       "  owner: group:default/team\n"
                                                       "---\n"
                                                       "apiVersion: backstage.io/v1alpha1\n"
                                                       "kind: Component\n"
                                                       "metadata:\n"
                                                       "  name: open-service\n"
                                                       "spec:\n"
                                                       "  type: service\n"
                                                       "  lifecycle: production\n"
                                                       "  owner: group:default/team\n";

typedef struct {
    char *dir;
    gr_test_server server;
} suite;

static suite *S;

static gr_test_output request(const char *token, const char *method, const char *path,
                              const char *body)
{
    char *auth = gr_xasprintf("Authorization: Bearer %s", token);
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    char *url = gr_xasprintf("%s%s", S->server.base_url, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    free(auth);
    return res;
}

/* Waits until `path` returns 200 for the admin, because the catalog may still be reading its
 * location. */
static bool wait_admin_ok(const char *path)
{
    for (int waited = 0; waited < WAIT_MS; waited += 100) {
        gr_test_output res = request(ADMIN_TOKEN, "GET", path, NULL);
        int status = res.status;

        gr_test_output_free(&res);
        if (status == 200)
            return true;
        usleep(100000);
    }
    return false;
}

static int suite_setup(void **state)
{
    (void)state;
    S = gr_xcalloc(1, sizeof(*S));
    S->dir = gr_test_tmpdir("scaffolder-permissions");
    gr_test_write_file(S->dir, "app-config.yaml", config_yaml);
    gr_test_write_file(S->dir, "catalog.yaml", catalog_yaml);
    if (gr_test_server_start(&S->server, S->dir, "app-config.yaml", 30000) != 0)
        return -1;
    if (!wait_admin_ok("/api/catalog/entities/by-name/template/default/docs-site") ||
        !wait_admin_ok("/api/catalog/entities/by-name/template/default/open-site") ||
        !wait_admin_ok("/api/catalog/entities/by-name/component/default/route-planner") ||
        !wait_admin_ok("/api/catalog/entities/by-name/component/default/open-service")) {
        fprintf(stderr, "the catalog did not read catalog.yaml in %d ms\n", WAIT_MS);
        return -1;
    }
    return 0;
}

static int suite_teardown(void **state)
{
    (void)state;
    if (S == NULL)
        return 0;
    gr_test_server_stop(&S->server);
    gr_test_rmtree(S->dir);
    free(S->dir);
    free(S);
    return 0;
}

static void expect_status(const char *token, const char *method, const char *path, const char *body,
                          int status)
{
    gr_test_output res = request(token, method, path, body);

    if (res.status != status)
        fail_msg("%s %s: status %d, expected %d; body: %s", method, path, res.status, status,
                 res.out ? res.out : "");
    gr_test_output_free(&res);
}

static void catalog_hides_entity(void **state)
{
    (void)state;
    expect_status(USER_TOKEN, "GET", "/api/catalog/entities/by-name/template/default/docs-site",
                  NULL, 404);
    expect_status(USER_TOKEN, "GET", "/api/catalog/entities/by-name/template/default/open-site",
                  NULL, 200);
}

static void schema_hidden_not_found(void **state)
{
    const char *path = "/api/scaffolder/v2/templates/default/template/docs-site/parameter-schema";
    const char *missing = "/api/scaffolder/v2/templates/default/template/no-such/parameter-schema";
    gr_test_output hidden;
    gr_test_output absent;

    (void)state;
    expect_status(ADMIN_TOKEN, "GET", path, NULL, 200);
    expect_status(USER_TOKEN, "GET",
                  "/api/scaffolder/v2/templates/default/template/open-site/parameter-schema", NULL,
                  200);
    hidden = request(USER_TOKEN, "GET", path, NULL);
    absent = request(USER_TOKEN, "GET", missing, NULL);
    assert_int_equal(hidden.status, 404);
    assert_int_equal(absent.status, 404);
    assert_null(strstr(hidden.out, "\"title\":\"Site\""));
    assert_non_null(strstr(hidden.out, "No template named 'template:default/docs-site' found"));
    assert_non_null(strstr(absent.out, "No template named 'template:default/no-such' found"));
    gr_test_output_free(&hidden);
    gr_test_output_free(&absent);
}

static void kind_mismatch_hidden_missing(void **state)
{
    const char *hidden_path =
        "/api/scaffolder/v2/templates/default/component/route-planner/parameter-schema";
    const char *open_path =
        "/api/scaffolder/v2/templates/default/component/open-service/parameter-schema";
    const char *missing_path =
        "/api/scaffolder/v2/templates/default/component/no-such/parameter-schema";
    gr_test_output hidden;
    gr_test_output missing;

    (void)state;
    /* A readable entity of the wrong kind is named as such. */
    expect_status(USER_TOKEN, "GET", open_path, NULL, 400);
    expect_status(ADMIN_TOKEN, "GET", hidden_path, NULL, 400);
    /* A hidden one gets the same response as a missing one, apart from the name in the message. */
    hidden = request(USER_TOKEN, "GET", hidden_path, NULL);
    missing = request(USER_TOKEN, "GET", missing_path, NULL);
    assert_int_equal(hidden.status, 404);
    assert_int_equal(missing.status, 404);
    assert_null(strstr(hidden.out, "Component"));
    assert_non_null(
        strstr(hidden.out, "No template named 'component:default/route-planner' found"));
    assert_non_null(strstr(missing.out, "No template named 'component:default/no-such' found"));
    gr_test_output_free(&hidden);
    gr_test_output_free(&missing);
}

static void task_hidden_not_found(void **state)
{
    gr_test_output res;

    (void)state;
    /* Invalid values: a visible template gets as far as checking them, a hidden one does not. */
    expect_status(USER_TOKEN, "POST", "/api/scaffolder/v2/tasks",
                  "{\"templateRef\":\"template:default/open-site\",\"values\":{}}", 400);
    res = request(USER_TOKEN, "POST", "/api/scaffolder/v2/tasks",
                  "{\"templateRef\":\"template:default/docs-site\",\"values\":{}}");
    assert_int_equal(res.status, 404);
    assert_null(strstr(res.out, "errors"));
    gr_test_output_free(&res);
    res = request(USER_TOKEN, "POST", "/api/scaffolder/v2/tasks",
                  "{\"templateRef\":\"template:default/docs-site\",\"values\":{\"name\":\"x\"}}");
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);
    expect_status(ADMIN_TOKEN, "POST", "/api/scaffolder/v2/tasks",
                  "{\"templateRef\":\"template:default/docs-site\",\"values\":{}}", 400);
}

static void gallery_lists_readable(void **state)
{
    gr_test_output user;
    gr_test_output admin;

    (void)state;
    user = request(USER_TOKEN, "GET", "/create", NULL);
    admin = request(ADMIN_TOKEN, "GET", "/create", NULL);
    assert_int_equal(user.status, 200);
    assert_int_equal(admin.status, 200);
    assert_non_null(strstr(user.out, "open-site"));
    assert_null(strstr(user.out, "docs-site"));
    assert_non_null(strstr(admin.out, "docs-site"));
    gr_test_output_free(&user);
    gr_test_output_free(&admin);
}

static void form_hidden_not_found(void **state)
{
    (void)state;
    expect_status(USER_TOKEN, "GET", "/create/templates/default/docs-site", NULL, 404);
    expect_status(USER_TOKEN, "GET", "/create/templates/default/open-site", NULL, 200);
    expect_status(ADMIN_TOKEN, "GET", "/create/templates/default/docs-site", NULL, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalog_hides_entity),         cmocka_unit_test(schema_hidden_not_found),
        cmocka_unit_test(kind_mismatch_hidden_missing), cmocka_unit_test(task_hidden_not_found),
        cmocka_unit_test(gallery_lists_readable),       cmocka_unit_test(form_hidden_not_found),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
