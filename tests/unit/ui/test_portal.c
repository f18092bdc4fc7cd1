/* SPDX-License-Identifier: MIT */
/* Tests of the UI as a service to other plugins: its page API and the fallback /docs and /create lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui_fixture.h"

#include "plugins/ui/page.h"

/* A page as a feature plugin renders one: its own HTML, heading, stylesheet and refresh. */
static int feature_page(gr_ui_page *page, void *payload)
{
    const char *html = payload;

    gr_ui_page_add_stylesheet(page, "/feature/feature.css");
    gr_ui_page_add_script(page, "/feature/feature.js");
    gr_ui_page_refresh(page, 5, 1);
    gr_ui_page_crumb(page, "Home", "/");
    return gr_ui_page_render_html(page, 200, "Feature <docs>", html, GR_UI_PAGE_OWN_HEADING);
}

static void ui_publishes_service(void **state)
{
    ui_fixture fx;

    (void)state;
    ui_fixture_init(&fx, "", "");
    assert_ptr_equal(gr_host_lookup(&fx.host, GR_UI_SERVICE), fx.ui_state);
    ui_fixture_serve(&fx);
    ui_fixture_stop(&fx);
}

static void fallback_lists_without_plugins(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    res = ui_fixture_request(&fx, "GET", "/docs", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "Entities with the backstage.io/techdocs-ref annotation."));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/create", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "Software templates in the catalog."));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

static void fallback_gives_way_to_plugin(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_init(&fx, "", "");
    /* A feature plugin registers its pages during its init, before the UI starts. */
    assert_int_equal(gr_ui_page_add(fx.ui_state, "GET", "/docs", feature_page,
                                    "<h1 id=\"own\">Plugin docs</h1>"),
                     0);
    ui_fixture_serve(&fx);

    res = ui_fixture_request(&fx, "GET", "/docs", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<h1 id=\"own\">Plugin docs</h1>"));
    assert_null(strstr(res.out, "techdocs-ref annotation"));
    gr_test_output_free(&res);

    /* The path nobody took keeps its fallback. */
    res = ui_fixture_request(&fx, "GET", "/create", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "Software templates in the catalog."));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

static void feature_page_in_layout(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_init(&fx, "", "");
    assert_int_equal(gr_ui_page_add(fx.ui_state, "GET", "/feature", feature_page,
                                    "<h1>Own heading</h1><p>Body</p>"),
                     0);
    ui_fixture_serve(&fx);

    res = ui_fixture_request(&fx, "GET", "/feature", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<title>Feature &lt;docs&gt; | Test &lt;Portal&gt;</title>"));
    assert_non_null(strstr(res.out, "<nav class=\"sidebar\" aria-label=\"Main\">"));
    assert_non_null(strstr(res.out, "<link rel=\"stylesheet\" href=\"/feature/feature.css\">"));
    assert_non_null(strstr(res.out, "<script src=\"/feature/feature.js\" defer></script>"));
    assert_non_null(strstr(res.out, "<noscript><meta http-equiv=\"refresh\" content=\"5\">"));
    assert_non_null(strstr(res.out, "<h1>Own heading</h1><p>Body</p>"));
    /* The layout leaves the heading to the page. */
    assert_null(strstr(res.out, "<h1>Feature"));
    assert_non_null(strstr(res.out, "aria-label=\"Breadcrumb\""));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ui_publishes_service),
        cmocka_unit_test(fallback_lists_without_plugins),
        cmocka_unit_test(fallback_gives_way_to_plugin),
        cmocka_unit_test(feature_page_in_layout),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
