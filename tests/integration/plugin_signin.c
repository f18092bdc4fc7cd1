/* SPDX-License-Identifier: MIT */
/* Integration tests of a sign-in provider that a shared-library plugin registers (ABI 1.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_support.h"
#include "plugin_test.h"

typedef plugin_test_fixture fixture;

/* Starts a server with the badge plugin: badge b1001 is jane, whom the resolver signs in
 * without a catalog entity, and r2002 is the robot, whose ref the plugin names itself. */
static void start(fixture *fx)
{
    char *plugin = plugin_test_path("fixture_signin");
    char *text = gr_xasprintf(
        "%s"
        "auth:\n"
        "  environment: development\n"
        "  providers:\n"
        "    badge:\n"
        "      development:\n"
        "        signIn:\n"
        "          resolvers:\n"
        "            - resolver: usernameMatchingUserEntityName\n"
        "              dangerouslyAllowSignInWithoutUserInCatalog: true\n"
        "plugins:\n"
        "  - path: %s\n"
        "    config:\n"
        "      badges:\n"
        "        b1001: jane\n"
        "      robotBadge: r2002\n",
        PLUGIN_TEST_BACKEND, plugin);

    fx->dir = gr_test_tmpdir("plugin-signin");
    gr_test_write_file(fx->dir, "app-config.yaml", text);
    assert_int_equal(gr_test_server_start(&fx->server, fx->dir, "app-config.yaml", 20000), 0);
    free(text);
    free(plugin);
}

/* Sends a request without the test's bearer token, with the extra headers given. */
static gr_test_output send(const fixture *fx, const char *method, const char *path,
                           const char *const *headers)
{
    char *url = gr_xasprintf("%s%s", fx->server.base_url, path);
    gr_test_output res = gr_test_http(method, url, headers, NULL);

    free(url);
    return res;
}

/* Signs in with `badge` through handler/frame; returns "Cookie: ..." (caller frees). */
static char *sign_in(const fixture *fx, const char *badge)
{
    char *path = gr_xasprintf("/api/auth/badge/handler/frame?badge=%s&redirect=%%2Fcatalog",
                              badge);
    gr_test_output res = send(fx, "GET", path, NULL);
    char *location = header_value(res.err, "Location");
    char *cookie = set_cookie(res.err, "greenroom-session");
    char *header;

    if (res.status != 302)
        fprintf(stderr, "sign-in with %s returned %d: %s\n", badge, res.status, res.out);
    assert_int_equal(res.status, 302);
    assert_non_null(location);
    assert_non_null(strstr(location, "/catalog"));
    assert_non_null(cookie);
    header = gr_xasprintf("Cookie: %s", cookie);
    free(cookie);
    free(location);
    free(path);
    gr_test_output_free(&res);
    return header;
}

/* Returns the userinfo claims of the session in `cookie` (new reference). */
static json_t *userinfo(const fixture *fx, const char *cookie)
{
    const char *const headers[] = {cookie, NULL};
    gr_test_output res = send(fx, "GET", "/api/auth/v1/userinfo", headers);
    json_t *doc = json_loads(res.out != NULL ? res.out : "", 0, NULL);
    json_t *claims;

    if (res.status != 200)
        fprintf(stderr, "userinfo returned %d: %s\n", res.status, res.out);
    assert_int_equal(res.status, 200);
    claims = json_incref(json_object_get(doc, "claims"));
    json_decref(doc);
    gr_test_output_free(&res);
    assert_non_null(claims);
    return claims;
}

/* start sends the plugin's own form, which keeps where the browser returns to. */
static void start_sends_form(void **state)
{
    fixture fx;
    gr_test_output res;

    (void)state;
    start(&fx);
    res = send(&fx, "GET", "/api/auth/badge/start?redirect=%2Fcatalog", NULL);
    assert_int_equal(res.status, 200);
    assert_true(plugin_test_has(res.out, "action=\"/api/auth/badge/handler/frame\""));
    assert_true(plugin_test_has(res.out, "/catalog\""));
    assert_null(set_cookie(res.err, "greenroom-session"));
    gr_test_output_free(&res);
    plugin_test_stop(&fx);
}

/* A badge that resolves to a user name signs jane in with the host's token and cookie. */
static void frame_resolves_user(void **state)
{
    fixture fx;
    char *cookie;
    json_t *claims;
    char *log;

    (void)state;
    start(&fx);
    cookie = sign_in(&fx, "b1001");
    claims = userinfo(&fx, cookie);
    assert_string_equal(json_string_value(json_object_get(claims, "sub")), "user:default/jane");
    assert_string_equal(json_string_value(json_array_get(json_object_get(claims, "ent"), 0)),
                        "user:default/jane");
    json_decref(claims);
    log = read_server_log(fx.server.log_path);
    assert_true(plugin_test_has(log, "event=sign_in provider=badge"));
    free(log);
    free(cookie);
    plugin_test_stop(&fx);
}

/* A badge whose user ref and groups the plugin gives itself keeps those refs. */
static void frame_names_user(void **state)
{
    fixture fx;
    char *cookie;
    json_t *claims;
    json_t *ent;

    (void)state;
    start(&fx);
    cookie = sign_in(&fx, "r2002");
    claims = userinfo(&fx, cookie);
    ent = json_object_get(claims, "ent");
    assert_string_equal(json_string_value(json_object_get(claims, "sub")), "user:default/robot");
    assert_int_equal(json_array_size(ent), 2);
    assert_string_equal(json_string_value(json_array_get(ent, 0)), "user:default/robot");
    assert_string_equal(json_string_value(json_array_get(ent, 1)), "group:default/robots");
    json_decref(claims);
    free(cookie);
    plugin_test_stop(&fx);
}

/* An unknown badge fails with 401 and an audit line, and sets no session. */
static void frame_rejects_unknown(void **state)
{
    fixture fx;
    gr_test_output res;
    char *log;

    (void)state;
    start(&fx);
    res = send(&fx, "GET", "/api/auth/badge/handler/frame?badge=x9", NULL);
    assert_int_equal(res.status, 401);
    assert_true(plugin_test_has(res.out, "badge x9 is not known"));
    assert_null(set_cookie(res.err, "greenroom-session"));
    gr_test_output_free(&res);
    log = read_server_log(fx.server.log_path);
    assert_true(plugin_test_has(log, "event=sign_in_failed provider=badge"));
    free(log);

    /* A provider that fails without a message still gets a reason that names it. */
    res = send(&fx, "GET", "/api/auth/badge/handler/frame?badge=silent", NULL);
    assert_true(res.status >= 500);
    assert_true(plugin_test_has(res.out, "sign-in provider badge failed"));
    gr_test_output_free(&res);
    plugin_test_stop(&fx);
}

/* The session refreshes as Backstage's session JSON, and ends with logout. */
static void refresh_then_logout(void **state)
{
    fixture fx;
    char *cookie;
    gr_test_output res;

    (void)state;
    start(&fx);
    cookie = sign_in(&fx, "b1001");
    {
        const char *const headers[] = {cookie, "X-Requested-With: XMLHttpRequest", NULL};

        res = send(&fx, "GET", "/api/auth/badge/refresh", headers);
        assert_int_equal(res.status, 200);
        assert_true(plugin_test_has(res.out, "\"userEntityRef\":\"user:default/jane\""));
        gr_test_output_free(&res);

        res = send(&fx, "POST", "/api/auth/badge/logout", headers);
        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);

        res = send(&fx, "GET", "/api/auth/badge/refresh", headers);
        assert_int_equal(res.status, 401);
        gr_test_output_free(&res);
    }
    free(cookie);
    plugin_test_stop(&fx);
}

/* The portal's sign-in page offers the plugin's provider. */
static void signin_page_lists_provider(void **state)
{
    fixture fx;
    const char *const headers[] = {"Accept: text/html", NULL};
    gr_test_output res;

    (void)state;
    start(&fx);
    res = send(&fx, "GET", "/signin", headers);
    assert_int_equal(res.status, 200);
    assert_true(plugin_test_has(res.out, "href=\"/api/auth/badge/start?redirect=%2F\""));
    assert_true(plugin_test_has(res.out, "Sign in with a badge"));
    gr_test_output_free(&res);
    plugin_test_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(start_sends_form),      cmocka_unit_test(frame_resolves_user),
        cmocka_unit_test(frame_names_user),      cmocka_unit_test(frame_rejects_unknown),
        cmocka_unit_test(refresh_then_logout),   cmocka_unit_test(signin_page_lists_provider),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
