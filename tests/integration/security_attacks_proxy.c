/* SPDX-License-Identifier: MIT */
/* Attacks on proxy sign-in: a request must not choose its user by repeating the proxy's header. */
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

#define WAIT_MS 30000
#define ALICE "X-Forwarded-Email: alice@example.com"
#define BOB "X-Forwarded-Email: bob@example.com"

/* oauth2Proxy names the user in a plain header, matched to a User entity's email. */
static const char config_yaml[] = "app:\n"
                                  "  baseUrl: http://127.0.0.1:${GREENROOM_PORT}\n"
                                  "backend:\n"
                                  "  listen:\n"
                                  "    port: ${GREENROOM_PORT}\n"
                                  "  database:\n"
                                  "    client: better-sqlite3\n"
                                  "    connection: ./greenroom.sqlite\n"
                                  "auth:\n"
                                  "  providers:\n"
                                  "    oauth2Proxy:\n"
                                  "      userHeader: x-forwarded-email\n"
                                  "      dangerouslyTrustUserHeader: true\n"
                                  "      signIn:\n"
                                  "        resolvers:\n"
                                  "          - resolver: emailMatchingUserEntityProfileEmail\n"
                                  "catalog:\n"
                                  "  rules:\n"
                                  "    - allow: [User]\n"
                                  "  locations:\n"
                                  "    - type: file\n"
                                  "      target: ./catalog.yaml\n";

#define USER(NAME)                                                                                 \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: User\n"                                                                                 \
    "metadata: { name: " NAME " }\n"                                                               \
    "spec:\n"                                                                                      \
    "  profile: { email: " NAME "@example.com }\n"                                                 \
    "  memberOf: []\n"                                                                             \
    "---\n"

static const char catalog_yaml[] = USER("alice") USER("bob");

typedef struct {
    char *dir;
    gr_test_server server;
} fixture;

static fixture fx;

/* GETs the caller's identity with the NULL-terminated `headers`. */
static gr_test_output userinfo(const char *const *headers)
{
    char *url = gr_xasprintf("%s/api/auth/v1/userinfo", fx.server.base_url);
    gr_test_output res = gr_test_http("GET", url, headers, NULL);

    free(url);
    return res;
}

/* Waits until both users resolve, because the catalog reads its file after start. */
static bool wait_users(void)
{
    const char *const alice[] = {ALICE, NULL};
    const char *const bob[] = {BOB, NULL};

    for (int waited = 0; waited < WAIT_MS; waited += 100) {
        gr_test_output first = userinfo(alice);
        gr_test_output second = userinfo(bob);
        bool ready = first.status == 200 && second.status == 200;

        gr_test_output_free(&first);
        gr_test_output_free(&second);
        if (ready)
            return true;
        usleep(100000);
    }
    return false;
}

static int setup(void **state)
{
    const char *const configs[] = {"app-config.yaml", NULL};

    (void)state;
    fx.dir = gr_test_tmpdir("security-attacks-proxy");
    gr_test_write_file(fx.dir, "app-config.yaml", config_yaml);
    gr_test_write_file(fx.dir, "catalog.yaml", catalog_yaml);
    if (gr_test_server_start_configs(&fx.server, fx.dir, configs, 30000) != 0)
        return -1;
    return wait_users() ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gr_test_server_stop(&fx.server);
    gr_test_rmtree(fx.dir);
    free(fx.dir);
    return 0;
}

/* One header names the user, so the checks below can fail. */
static void one_header_signs_in(void **state)
{
    const char *const headers[] = {BOB, NULL};
    gr_test_output res = userinfo(headers);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"sub\":\"user:default/bob\""));
    gr_test_output_free(&res);
}

/*
 * A client that adds its own header before the proxy's (a proxy that
 * appends instead of replacing) must not become that user: two values are
 * rejected, whichever comes first.
 */
static void two_headers_rejected(void **state)
{
    const char *const forged_first[] = {BOB, ALICE, NULL};
    const char *const forged_last[] = {ALICE, BOB, NULL};
    gr_test_output first = userinfo(forged_first);
    gr_test_output last = userinfo(forged_last);

    (void)state;
    assert_int_equal(first.status, 401);
    assert_null(strstr(first.out, "user:default/bob"));
    assert_non_null(strstr(first.out, "x-forwarded-email"));
    assert_int_equal(last.status, 401);
    assert_null(strstr(last.out, "user:default/alice"));
    gr_test_output_free(&first);
    gr_test_output_free(&last);
}

/* The same value twice is still two headers: the proxy sent one, someone else the other. */
static void same_value_twice(void **state)
{
    const char *const headers[] = {BOB, BOB, NULL};
    gr_test_output res = userinfo(headers);

    (void)state;
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_header_signs_in),
        cmocka_unit_test(two_headers_rejected),
        cmocka_unit_test(same_value_twice),
    };

    return cmocka_run_group_tests_name("security_attacks_proxy", tests, setup, teardown);
}
