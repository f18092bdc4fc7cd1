/* SPDX-License-Identifier: MIT */
/* Tests of sign-in and sign-out in the browser: /signin, the redirect to it, and /signout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui_fixture.h"

static const char guest_config[] = "auth:\n  environment: development\n  providers:\n"
                                   "    guest: {}\n";

static gr_test_output browse(ui_fixture *fx, const char *method, const char *path,
                             const char *accept, const char *cookie)
{
    char *url = gr_xasprintf("%s%s", fx->base, path);
    char *accept_header = gr_xasprintf("Accept: %s", accept);
    char *cookie_header = cookie != NULL ? gr_xasprintf("Cookie: %s", cookie) : NULL;
    const char *headers[3] = {accept_header, cookie_header, NULL};
    gr_test_output res = gr_test_http(method, url, headers, NULL);

    free(url);
    free(accept_header);
    free(cookie_header);
    return res;
}

/* Returns the value of response header `name` (caller frees), or NULL. */
static char *header_value(const char *headers, const char *name)
{
    char *needle = gr_xasprintf("\n%s: ", name);
    const char *at = strcasestr(headers, needle);
    char *value = NULL;

    if (at != NULL) {
        at += strlen(needle);
        value = gr_xstrndup(at, strcspn(at, "\r\n"));
    }
    free(needle);
    return value;
}

static void page_view_redirects_to_signin(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *location;

    (void)state;
    ui_fixture_start(&fx, "", "");
    res = browse(&fx, "GET", "/catalog?filters%5Bkind%5D=api", "text/html,*/*;q=0.8", NULL);
    assert_int_equal(res.status, 302);
    location = header_value(res.err, "Location");
    assert_non_null(location);
    assert_string_equal(location, "/signin?redirect=%2Fcatalog%3Ffilters%255Bkind%255D%3Dapi");
    free(location);
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

static void api_keeps_json_401(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    res = browse(&fx, "GET", "/api/catalog/entities", "text/html", NULL);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "\"name\":\"AuthenticationError\""));
    gr_test_output_free(&res);

    /* A client that does not accept HTML gets the 401 too. */
    res = browse(&fx, "GET", "/catalog", "application/json", NULL);
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.out, "Missing credentials"));
    gr_test_output_free(&res);

    /* Form posts are not page views. */
    res = browse(&fx, "POST", "/settings/theme", "text/html", NULL);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

static void signin_lists_providers(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *location;

    (void)state;
    ui_fixture_init_with(&fx, "", guest_config, 1);
    ui_fixture_serve(&fx);
    res = browse(&fx, "GET", "/signin?redirect=%2Fcatalog%3Fx%3D1", "text/html", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "href=\"/api/auth/guest/start?redirect=%2Fcatalog%3Fx%3D1\""));
    assert_non_null(strstr(res.out, "Sign in with a guest account"));
    assert_non_null(strstr(res.out, "<code>/catalog?x=1</code>"));
    assert_null(strstr(res.out, "class=\"nav-list\"><li>"));
    assert_null(strstr(res.out, "class=\"user-link\""));
    gr_test_output_free(&res);

    /* The auth plugin's page is the same page. */
    res = browse(&fx, "GET", "/api/auth/sign-in?redirect=%2Fdocs", "text/html", NULL);
    assert_int_equal(res.status, 302);
    location = header_value(res.err, "Location");
    assert_string_equal(location, "/signin?redirect=%2Fdocs");
    free(location);
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

static void signin_rejects_open_redirect(void **state)
{
    static const char *const targets[] = {
        "https%3A%2F%2Fevil.test%2F", "%2F%2Fevil.test%2F", "%2F%5Cevil.test", "evil",
        "%2Fok%0D%0ASet-Cookie%3A%20x%3D1",
    };
    ui_fixture fx;

    (void)state;
    ui_fixture_init_with(&fx, "", guest_config, 1);
    ui_fixture_serve(&fx);
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        char *path = gr_xasprintf("/signin?redirect=%s", targets[i]);
        gr_test_output res = browse(&fx, "GET", path, "text/html", NULL);

        assert_int_equal(res.status, 200);
        if (strstr(res.out, "href=\"/api/auth/guest/start?redirect=%2F\"") == NULL)
            fail_msg("%s: the guest link does not return to /: %s", targets[i], res.out);
        gr_test_output_free(&res);
        free(path);
    }

    /* A request path that starts with "//" matches no route, so it never
     * reaches the redirect: the 404 comes first. */
    {
        gr_test_output res = browse(&fx, "GET", "//evil.test/catalog", "text/html", NULL);

        assert_int_equal(res.status, 404);
        gr_test_output_free(&res);
    }
    ui_fixture_stop(&fx);
}

static void guest_signin_returns_to_page(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *location;
    char *cookie;
    char *session;

    (void)state;
    ui_fixture_init_with(&fx, "", guest_config, 1);
    ui_fixture_serve(&fx);
    res = browse(&fx, "GET", "/api/auth/guest/start?redirect=%2Fsettings", "text/html", NULL);
    assert_int_equal(res.status, 302);
    location = header_value(res.err, "Location");
    assert_non_null(location);
    assert_non_null(strstr(location, "/settings"));
    cookie = header_value(res.err, "Set-Cookie");
    assert_non_null(cookie);
    session = gr_xstrndup(cookie, strcspn(cookie, ";"));
    gr_test_output_free(&res);

    res = browse(&fx, "GET", "/settings", "text/html", session);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "user:development/guest"));
    gr_test_output_free(&res);
    free(session);
    free(cookie);
    free(location);
    ui_fixture_stop(&fx);
}

/* Signs in as the guest and returns the session cookie as "name=value" (caller frees). */
static char *guest_session(ui_fixture *fx)
{
    gr_test_output res = browse(fx, "GET", "/api/auth/guest/start?redirect=%2F", "text/html",
                                NULL);
    char *cookie = header_value(res.err, "Set-Cookie");
    char *session;

    assert_int_equal(res.status, 302);
    assert_non_null(cookie);
    session = gr_xstrndup(cookie, strcspn(cookie, ";"));
    free(cookie);
    gr_test_output_free(&res);
    return session;
}

/* Posts the sign-out form with `csrf` (may be NULL) and the session cookie. */
static gr_test_output post_signout(ui_fixture *fx, const char *session, const char *csrf)
{
    char *url = gr_xasprintf("%s/signout", fx->base);
    char *cookie_header = gr_xasprintf("Cookie: %s", session);
    char *body = gr_xasprintf("csrf=%s", csrf != NULL ? csrf : "");
    const char *headers[] = {"Accept: text/html", cookie_header,
                             "Content-Type: application/x-www-form-urlencoded", NULL};
    gr_test_output res = gr_test_http("POST", url, headers, body);

    free(body);
    free(cookie_header);
    free(url);
    return res;
}

static void signout_ends_session(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *session;
    char *csrf;
    char *header;

    (void)state;
    ui_fixture_init_with(&fx, "", guest_config, 1);
    ui_fixture_serve(&fx);
    session = guest_session(&fx);
    res = browse(&fx, "GET", "/settings", "text/html", session);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<form class=\"sign-out\" action=\"/signout\" method=\"post\">"));
    csrf = ui_fixture_csrf(res.out);
    gr_test_output_free(&res);

    res = post_signout(&fx, session, csrf);
    assert_int_equal(res.status, 303);
    header = header_value(res.err, "Location");
    assert_string_equal(header, "/signin");
    free(header);
    header = header_value(res.err, "Set-Cookie");
    assert_non_null(header);
    assert_non_null(strstr(header, "Max-Age=0"));
    free(header);
    gr_test_output_free(&res);

    /* The old cookie is rejected: page views go to sign-in, and the API returns 401. */
    res = browse(&fx, "GET", "/", "text/html", session);
    assert_int_equal(res.status, 302);
    header = header_value(res.err, "Location");
    assert_string_equal(header, "/signin?redirect=%2F");
    free(header);
    gr_test_output_free(&res);
    res = browse(&fx, "GET", "/api/catalog/entities", "application/json", session);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    res = post_signout(&fx, session, csrf);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    free(csrf);
    free(session);
    ui_fixture_stop(&fx);
}

static void signout_needs_csrf(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *session;

    (void)state;
    ui_fixture_init_with(&fx, "", guest_config, 1);
    ui_fixture_serve(&fx);
    session = guest_session(&fx);
    res = post_signout(&fx, session, NULL);
    assert_int_equal(res.status, 403);
    gr_test_output_free(&res);
    res = post_signout(&fx, session, "0123456789abcdef");
    assert_int_equal(res.status, 403);
    gr_test_output_free(&res);

    /* The session survives a rejected sign-out. */
    res = browse(&fx, "GET", "/settings", "text/html", session);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    free(session);
    ui_fixture_stop(&fx);
}

static void signout_hidden_without_session(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    res = ui_fixture_request(&fx, "GET", "/settings", "user:default/jane", NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "action=\"/signout\""));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_view_redirects_to_signin),
        cmocka_unit_test(api_keeps_json_401),
        cmocka_unit_test(signin_lists_providers),
        cmocka_unit_test(signin_rejects_open_redirect),
        cmocka_unit_test(guest_signin_returns_to_page),
        cmocka_unit_test(signout_ends_session),
        cmocka_unit_test(signout_needs_csrf),
        cmocka_unit_test(signout_hidden_without_session),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
