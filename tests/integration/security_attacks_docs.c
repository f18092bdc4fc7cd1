/* SPDX-License-Identifier: MIT */
/* Attacks on the /docs list: a signed-in user must see only the docs the policy lets them read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "support/gr_test.h"

#define ADMIN_TOKEN "docs-attack-admin-4821"
#define WAIT_MS 30000

/*
 * The guest user alice is in team-a. She reads the entities her team owns,
 * and the docs of those without the annotation example.com/no-docs. The
 * admin token may do everything.
 */
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
    "        options: { token: " ADMIN_TOKEN ", subject: admin-bot }\n"
    "auth:\n"
    "  environment: development\n"
    "  providers:\n"
    "    guest:\n"
    "      userEntityRef: user:default/alice\n"
    "      ownershipEntityRefs: [user:default/alice, group:default/team-a]\n"
    "catalog:\n"
    "  rules:\n"
    "    - allow: [Component]\n"
    "  locations:\n"
    "    - type: file\n"
    "      target: ./catalog.yaml\n"
    "permission:\n"
    "  enabled: true\n"
    "  rules:\n"
    "    - allow: \"*\"\n"
    "      when: { isService: [external:admin-bot] }\n"
    "    - deny: [techdocs.read]\n"
    "      when: { hasAnnotation: example.com/no-docs }\n"
    "    - allow: [catalog.entity.read, techdocs.read]\n"
    "      when: { isEntityOwner: true }\n";

#define DOCUMENTED(NAME, TEAM, DESCRIPTION, EXTRA)                                                 \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata:\n"                                                                                  \
    "  name: " NAME "\n"                                                                           \
    "  description: " DESCRIPTION "\n"                                                             \
    "  annotations:\n"                                                                             \
    "    backstage.io/techdocs-ref: dir:.\n" EXTRA                                                 \
    "spec: { type: service, lifecycle: production, owner: group:default/" TEAM " }\n"              \
    "---\n"

/* alpha is alice's and beta another team's. gamma is alice's, but its docs are closed to her. */
static const char catalog_yaml[] = DOCUMENTED("alpha-svc", "team-a", "alpha open notes", "")
    DOCUMENTED("beta-svc", "team-b", "beta hidden notes", "") DOCUMENTED(
        "gamma-svc", "team-a", "gamma closed notes", "    example.com/no-docs: \"true\"\n");

typedef struct {
    char *dir;
    gr_test_server server;
    char *alice; /* "Authorization: Bearer <alice's identity token>" */
} fixture;

static fixture fx;

/* GETs `path` with the header `auth`, or with none when it is NULL. */
static gr_test_output get(const char *path, const char *auth)
{
    char *url = gr_xasprintf("%s%s", fx.server.base_url, path);
    const char *headers[] = {"X-Requested-With: XMLHttpRequest", auth, NULL};
    gr_test_output res = gr_test_http("GET", url, headers, NULL);

    free(url);
    return res;
}

/* Waits until the catalog has stitched every documented entity. */
static bool wait_catalog(void)
{
    for (int waited = 0; waited < WAIT_MS; waited += 100) {
        gr_test_output res = get("/api/catalog/entities/by-name/component/default/gamma-svc",
                                 "Authorization: Bearer " ADMIN_TOKEN);
        int status = res.status;

        gr_test_output_free(&res);
        if (status == 200)
            return true;
        usleep(100000);
    }
    return false;
}

/* Signs in as the guest alice and returns her bearer header (caller frees). */
static char *sign_in_alice(void)
{
    gr_test_output res = get("/api/auth/guest/refresh", NULL);
    json_t *body = json_loads(res.out ? res.out : "", 0, NULL);
    const char *token =
        json_string_value(json_object_get(json_object_get(body, "backstageIdentity"), "token"));
    char *header = token ? gr_xasprintf("Authorization: Bearer %s", token) : NULL;

    json_decref(body);
    gr_test_output_free(&res);
    return header;
}

static int setup(void **state)
{
    const char *const configs[] = {"app-config.yaml", NULL};

    (void)state;
    fx.dir = gr_test_tmpdir("security-attacks-docs");
    gr_test_write_file(fx.dir, "app-config.yaml", config_yaml);
    gr_test_write_file(fx.dir, "catalog.yaml", catalog_yaml);
    if (gr_test_server_start_configs(&fx.server, fx.dir, configs, 30000) != 0 || !wait_catalog())
        return -1;
    fx.alice = sign_in_alice();
    return fx.alice != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gr_test_server_stop(&fx.server);
    gr_test_rmtree(fx.dir);
    free(fx.dir);
    free(fx.alice);
    return 0;
}

/* The admin gets every documented entity in the list, so the checks below can fail. */
static void admin_sees_all(void **state)
{
    gr_test_output res = get("/docs", "Authorization: Bearer " ADMIN_TOKEN);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "alpha-svc"));
    assert_non_null(strstr(res.out, "beta-svc"));
    assert_non_null(strstr(res.out, "gamma-svc"));
    gr_test_output_free(&res);
}

static void user_sees_own(void **state)
{
    gr_test_output res = get("/docs", fx.alice);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "alpha-svc"));
    assert_non_null(strstr(res.out, "alpha open notes"));
    gr_test_output_free(&res);
}

/* Neither the name nor the description of another team's entity shows. */
static void user_no_hidden(void **state)
{
    gr_test_output res = get("/docs", fx.alice);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "beta-svc"));
    assert_null(strstr(res.out, "beta hidden notes"));
    gr_test_output_free(&res);
}

/* A readable entity whose docs the policy closes is not listed either. */
static void user_no_closed(void **state)
{
    gr_test_output res = get("/docs", fx.alice);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "gamma-svc"));
    gr_test_output_free(&res);
}

/* Filtering by the hidden owner or text finds nothing, so it cannot probe. */
static void user_filter_probe(void **state)
{
    gr_test_output by_owner = get("/docs?owner=team-b", fx.alice);
    gr_test_output by_text = get("/docs?text=hidden", fx.alice);

    (void)state;
    assert_int_equal(by_owner.status, 200);
    assert_null(strstr(by_owner.out, "beta-svc"));
    assert_non_null(strstr(by_owner.out, "No documented entities match"));
    assert_int_equal(by_text.status, 200);
    assert_null(strstr(by_text.out, "beta-svc"));
    assert_non_null(strstr(by_text.out, "No documented entities match"));
    gr_test_output_free(&by_owner);
    gr_test_output_free(&by_text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(admin_sees_all),    cmocka_unit_test(user_sees_own),
        cmocka_unit_test(user_no_hidden),    cmocka_unit_test(user_no_closed),
        cmocka_unit_test(user_filter_probe),
    };

    return cmocka_run_group_tests_name("security_attacks_docs", tests, setup, teardown);
}
