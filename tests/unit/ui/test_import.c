/* SPDX-License-Identifier: MIT */
/* Page tests of registering and unregistering locations, in readonly mode and out of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui_fixture.h"

#define READONLY_YAML "catalog:\n  readonly: true\n  allowedLocationTypes: [url, file]\n"
#define READONLY_MESSAGE "This operation not allowed in readonly mode"

/* A component that a user location registered, with that location's row. */
static void add_registered_component(ui_fixture *fx)
{
    const char *location[] = {"location-1", "file", "/repo/catalog-info.yaml",
                              "location:default/generated-repo"};

    ui_fixture_exec(fx,
                    "INSERT INTO catalog_locations (id, type, target, origin, entity_ref,"
                    " created_at) VALUES (?, ?, ?, 'user', ?, 0)",
                    location, 4);
    ui_fixture_add(fx, "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
                       "\"metadata\":{\"name\":\"registered\",\"namespace\":\"default\","
                       "\"annotations\":{\"backstage.io/managed-by-origin-location\":"
                       "\"file:/repo/catalog-info.yaml\"}},"
                       "\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\","
                       "\"owner\":\"team-a\"}}");
}

/* Returns the CSRF token of the page at `path` (caller frees). */
static char *page_csrf(ui_fixture *fx, const char *path)
{
    gr_test_output res = ui_fixture_request(fx, "GET", path, NULL, NULL, NULL);
    char *csrf;

    assert_int_equal(res.status, 200);
    csrf = ui_fixture_csrf(res.out);
    gr_test_output_free(&res);
    return csrf;
}

/* Posts `form` ("&name=value...") with a valid CSRF token to `path`. */
static gr_test_output post_form(ui_fixture *fx, const char *path, const char *form)
{
    char *csrf = page_csrf(fx, "/catalog-import");
    char *body = gr_xasprintf("csrf=%s%s", csrf, form);
    gr_test_output res = ui_fixture_request(fx, "POST", path, NULL, body, NULL);

    free(body);
    free(csrf);
    return res;
}

/* Fails unless `res` is the 403 error page with the catalog API's readonly message. */
static void assert_readonly_rejected(const gr_test_output *res, const char *request_line)
{
    if (res->status != 403 || res->out == NULL || strstr(res->out, READONLY_MESSAGE) == NULL)
        fail_msg("%s: status %d, expected 403 with '%s': %.2000s", request_line, res->status,
                 READONLY_MESSAGE, res->out != NULL ? res->out : "");
    assert_non_null(strstr(res->out, "<main id=\"main\""));
}

/* The import page states readonly mode up front, and its review offers no Register button. */
static void readonly_import_page_notice(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *form;

    (void)state;
    ui_fixture_start(&fx, "", READONLY_YAML);
    res = ui_fixture_request(&fx, "GET", "/catalog-import", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "readonly mode (<code>catalog.readonly: true</code>)"));
    assert_null(strstr(res.out, "role=\"alert\""));
    gr_test_output_free(&res);

    gr_test_write_file(fx.dir, "repo/catalog-info.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata: { name: fresh }\n"
                       "spec: { type: service, lifecycle: production, owner: team-a }\n");
    form = gr_xasprintf("&target=%s/repo/catalog-info.yaml", fx.dir);
    res = post_form(&fx, "/catalog-import/analyze", form);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "component:default/fresh"));
    assert_null(strstr(res.out, "action=\"/catalog-import/register\""));
    assert_null(strstr(res.out, ">Register</button>"));
    gr_test_output_free(&res);
    free(form);
    ui_fixture_stop(&fx);
}

/* Registering through the page is rejected as POST /api/catalog/locations rejects it. */
static void readonly_register_rejected(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *form;

    (void)state;
    ui_fixture_start(&fx, "", READONLY_YAML);
    gr_test_write_file(fx.dir, "repo/catalog-info.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata: { name: fresh }\n"
                       "spec: { type: service, lifecycle: production, owner: team-a }\n");
    form = gr_xasprintf("&target=%s/repo/catalog-info.yaml", fx.dir);
    res = post_form(&fx, "/catalog-import/register", form);
    assert_readonly_rejected(&res, "POST /catalog-import/register");
    gr_test_output_free(&res);
    free(form);
    ui_fixture_stop(&fx);
}

/* Unregistering an entity of a user location would remove the location, so both the page and
 * its form are rejected in readonly mode. */
static void readonly_unregister_rejected(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", READONLY_YAML);
    add_registered_component(&fx);
    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/registered/unregister", NULL,
                             NULL, NULL);
    assert_readonly_rejected(&res, "GET .../unregister");
    gr_test_output_free(&res);

    res = post_form(&fx, "/catalog/default/component/registered/unregister", "");
    assert_readonly_rejected(&res, "POST .../unregister");
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/registered", NULL, NULL,
                             NULL);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "Unregister entity"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

/* Without readonly mode the same entity's unregister page offers to remove its location. */
static void unregister_names_location(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_registered_component(&fx);
    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/registered/unregister", NULL,
                             NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<code>file:/repo/catalog-info.yaml</code>"));
    gr_test_output_free(&res);
    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/registered", NULL, NULL,
                             NULL);
    assert_non_null(strstr(res.out, "Unregister entity"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

/*
 * A registered location's review offers Refresh instead of Register, and
 * the refresh succeeds. The registration page has no error banner.
 */
static void registered_location_offers_refresh(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *form;

    (void)state;
    ui_fixture_start(&fx, "", "catalog:\n  allowedLocationTypes: [url, file]\n");
    gr_test_write_file(fx.dir, "repo/catalog-info.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata: { name: fresh }\n"
                       "spec: { type: service, lifecycle: production, owner: team-a }\n");
    form = gr_xasprintf("&target=%s/repo/catalog-info.yaml", fx.dir);

    res = post_form(&fx, "/catalog-import/analyze", form);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "action=\"/catalog-import/register\""));
    assert_null(strstr(res.out, "action=\"/catalog-import/refresh\""));
    gr_test_output_free(&res);

    res = post_form(&fx, "/catalog-import/register", form);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "3. Registered"));
    assert_null(strstr(res.out, "role=\"alert\""));
    assert_null(strstr(res.out, "catalog engine is not running"));
    gr_test_output_free(&res);

    res = post_form(&fx, "/catalog-import/analyze", form);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "registered already"));
    assert_non_null(strstr(res.out, "action=\"/catalog-import/refresh\""));
    assert_null(strstr(res.out, "action=\"/catalog-import/register\""));
    gr_test_output_free(&res);

    res = post_form(&fx, "/catalog-import/refresh", form);
    if (res.status != 200)
        fail_msg("refresh: status %d: %.2000s", res.status, res.out != NULL ? res.out : "");
    assert_non_null(strstr(res.out, "3. Refreshed"));
    assert_null(strstr(res.out, "role=\"alert\""));
    gr_test_output_free(&res);
    free(form);
    ui_fixture_stop(&fx);
}

/* Refreshing a location that is not registered is not found, and names the next step. */
static void refresh_unknown_location(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    res = post_form(&fx, "/catalog-import/refresh", "&target=https://example.com/x.yaml");
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.out, "analyze it again to register it"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readonly_import_page_notice),
        cmocka_unit_test(readonly_register_rejected),
        cmocka_unit_test(readonly_unregister_rejected),
        cmocka_unit_test(unregister_names_location),
        cmocka_unit_test(registered_location_offers_refresh),
        cmocka_unit_test(refresh_unknown_location),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
