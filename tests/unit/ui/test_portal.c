/* SPDX-License-Identifier: MIT */
/* Tests of the UI as a service to plugins: pages, overview cards, fallback /docs and /create. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui_fixture.h"

#include "host/common/error.h"
#include "plugins/search/plugin.h"
#include "plugins/search/search.h"
#include "plugins/ui/page.h"

static size_t count_items(const char *html)
{
    const char *list = strstr(html, "<ol class=\"search-results\">");
    size_t count = 0;

    for (const char *p = list; p != NULL && (p = strstr(p, "<li>")) != NULL; p++)
        count++;
    return count;
}

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
    assert_non_null(fx.ui_state);
    /* The layout provider is the first member of the UI's state. */
    assert_ptr_equal(gr_plugin__service_find(GR_PLUGIN_SERVICE_LAYOUT), fx.ui_state);
    ui_fixture_serve(&fx);
    ui_fixture_stop(&fx);
    assert_null(gr_plugin__service_find(GR_PLUGIN_SERVICE_LAYOUT));
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

static void add_service(ui_fixture *fx, int index, const char *lifecycle, const char *extra)
{
    char *json = gr_xasprintf(
        "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
        "\"metadata\":{\"name\":\"ledger-%02d\",\"namespace\":\"default\","
        "\"description\":\"Keeps the ledger of shop %d%s\"},"
        "\"spec\":{\"type\":\"service\",\"lifecycle\":\"%s\",\"owner\":\"team-a\"},"
        "\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-a\"}]}",
        index, index, extra, lifecycle);

    ui_fixture_add(fx, json);
    free(json);
}

/* Starts the UI with the search plugin's service over the fixture's catalog, indexed. */
static gr_search *start_with_search(ui_fixture *fx)
{
    gr_search *search = NULL;

    ui_fixture_init(fx, "", "");
    for (int i = 0; i < 30; i++)
        add_service(fx, i, i < 3 ? "experimental" : "production", "");
    add_service(fx, 99, "production", " <script>alert(1)</script>");
    ui_fixture_add(fx, "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\","
                       "\"metadata\":{\"name\":\"ledger-team\",\"namespace\":\"default\"},"
                       "\"spec\":{\"type\":\"team\",\"children\":[]}}");
    assert_int_equal(gr_search_migrate(fx->host.db), 0);
    assert_int_equal(gr_search_new_builtin(&search, fx->host.db, fx->config, "ui-test"), 0);
    ui_fixture_publish_search(fx, search);
    assert_int_equal(gr_search_reindex(search, NULL), 0);
    ui_fixture_serve(fx);
    return search;
}

static void search_page_highlights_results(void **state)
{
    ui_fixture fx;
    gr_search *search = start_with_search(&fx);
    gr_test_output res;

    (void)state;
    res = ui_fixture_request(&fx, "GET", "/search?query=ledger%2009", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "href=\"/catalog/default/component/ledger-09\""));
    assert_non_null(strstr(res.out, "<mark>"));
    assert_non_null(strstr(res.out, "<span class=\"badge\">Software Catalog</span>"));
    assert_non_null(strstr(res.out, "value=\"software-catalog\""));
    assert_non_null(strstr(res.out, "<option value=\"production\">production</option>"));
    gr_test_output_free(&res);

    /* Highlighted text is escaped before the marks are added. */
    res = ui_fixture_request(&fx, "GET", "/search?query=alert", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "<script>alert"));
    assert_non_null(strstr(res.out, "&lt;script&gt;<mark>alert</mark>"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
    gr_search_free(search);
}

static void search_page_filters_types(void **state)
{
    ui_fixture fx;
    gr_search *search = start_with_search(&fx);
    gr_test_output res;

    (void)state;
    res = ui_fixture_request(&fx, "GET", "/search?query=ledger&lifecycle=experimental", NULL,
                             NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, ">3 results<"));
    assert_non_null(strstr(res.out, "<option value=\"experimental\" selected>"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/search?query=ledger&kind=group", NULL, NULL, NULL);
    assert_non_null(strstr(res.out, ">1 results<"));
    assert_non_null(strstr(res.out, "href=\"/catalog/default/group/ledger-team\""));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/search?query=ledger&type=techdocs", NULL, NULL, NULL);
    assert_non_null(strstr(res.out, ">0 results<"));
    assert_non_null(strstr(res.out, "value=\"techdocs\" checked"));
    gr_test_output_free(&res);

    /* Unknown filter values are ignored rather than sent to the index. */
    res = ui_fixture_request(&fx, "GET", "/search?query=ledger&type=nope&kind=nope", NULL, NULL,
                             NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, ">32 results<"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
    gr_search_free(search);
}

static char *next_link(const char *html)
{
    const char *at = strstr(html, "rel=\"next\"");
    const char *start;
    gr_buf link = GR_BUF_INIT;

    assert_non_null(at);
    start = at;
    while (start > html && strncmp(start, "href=\"", 6) != 0)
        start--;
    start += 6;
    for (const char *p = start; *p != '"'; p++) {
        if (strncmp(p, "&amp;", 5) == 0) {
            gr_buf_putc(&link, '&');
            p += 4;
        } else {
            gr_buf_putc(&link, *p);
        }
    }
    return gr_buf_detach(&link);
}

static void search_page_pages_results(void **state)
{
    ui_fixture fx;
    gr_search *search = start_with_search(&fx);
    gr_test_output first;
    gr_test_output second;
    char *next;

    (void)state;
    first = ui_fixture_request(&fx, "GET", "/search?query=ledger&kind=component", NULL, NULL,
                               NULL);
    assert_int_equal(first.status, 200);
    assert_non_null(strstr(first.out, ">31 results<"));
    assert_null(strstr(first.out, "rel=\"prev\""));
    next = next_link(first.out);
    assert_non_null(strstr(next, "pageCursor="));
    assert_non_null(strstr(next, "kind=component"));

    second = ui_fixture_request(&fx, "GET", next, NULL, NULL, NULL);
    assert_int_equal(second.status, 200);
    assert_non_null(strstr(second.out, "rel=\"prev\""));
    assert_null(strstr(second.out, "rel=\"next\""));
    assert_int_equal(count_items(second.out), 6);
    gr_test_output_free(&first);
    gr_test_output_free(&second);
    free(next);
    ui_fixture_stop(&fx);
    gr_search_free(search);
}

static void suggest_uses_prefixes(void **state)
{
    ui_fixture fx;
    gr_search *search = start_with_search(&fx);
    gr_test_output res;
    json_t *items;

    (void)state;
    res = ui_fixture_request(&fx, "GET", "/catalog-suggest?q=ledg", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    items = json_loads(res.out, 0, NULL);
    assert_true(json_is_array(items));
    assert_int_equal(json_array_size(items), 8);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(items, 0), "href")),
                           "/catalog/default/"));
    json_decref(items);
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog-suggest?q=", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.out, "[]");
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
    gr_search_free(search);
}

/* Overview cards: the payload selects what the card does. */
static int card_render(gr_ui_page *page, gr_buf *out, void *payload)
{
    const char *mode = payload;
    const json_t *entity = json_object_get(gr_ui_page_context(page), "entity");

    if (strcmp(mode, "empty") == 0)
        return GR_UI_CARD_EMPTY;
    if (strcmp(mode, "fail") == 0)
        return gr_error_set(GR_EBACKEND, "the card's store is down");
    gr_buf_puts(out, "<p class=\"card-probe\">");
    gr_buf_put_html(out, json_string_value(json_object_get(json_object_get(entity, "metadata"),
                                                           "name")));
    gr_buf_puts(out, "</p>");
    return 0;
}

static int card_only_components(const json_t *entity, void *payload)
{
    (void)payload;
    return strcmp(json_string_value(json_object_get(entity, "kind")), "Component") == 0;
}

static void overview_shows_cards(void **state)
{
    const gr_ui_card cards[] = {
        {"probe-b", "Second <card>", 20, NULL, card_render, "show"},
        {"probe-a", "First card", 10, card_only_components, card_render, "show"},
        {"probe-empty", "Empty card", 30, NULL, card_render, "empty"},
        {"probe-fail", "Failing card", 40, NULL, card_render, "fail"},
    };
    ui_fixture fx;
    gr_test_output res;
    const char *first;
    const char *second;

    (void)state;
    ui_fixture_init(&fx, "", "");
    for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++)
        assert_int_equal(gr_ui_card_add(fx.ui_state, &cards[i]), 0);
    assert_int_equal(gr_ui_card_add(fx.ui_state, &cards[0]), GR_ECONFLICT);
    ui_fixture_serve(&fx);
    add_service(&fx, 1, "production", "");
    ui_fixture_add(&fx, "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\","
                        "\"metadata\":{\"name\":\"team-a\",\"namespace\":\"default\"},"
                        "\"spec\":{\"type\":\"team\",\"children\":[]}}");

    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/ledger-01", NULL, NULL,
                             NULL);
    assert_int_equal(res.status, 200);
    first = strstr(res.out, "data-card=\"probe-a\" aria-label=\"First card\"");
    second = strstr(res.out, "data-card=\"probe-b\" aria-label=\"Second &lt;card&gt;\"");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
    assert_non_null(strstr(res.out, "<p class=\"card-probe\">ledger-01</p>"));
    assert_null(strstr(res.out, "data-card=\"probe-empty\""));
    assert_non_null(strstr(res.out, "data-card=\"probe-fail\""));
    assert_non_null(strstr(res.out, "This card failed to load"));
    assert_null(strstr(res.out, "the card's store is down"));
    gr_test_output_free(&res);

    /* The filter hides the first card on the Group; the others stay. */
    res = ui_fixture_request(&fx, "GET", "/catalog/default/group/team-a", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "data-card=\"probe-a\""));
    assert_non_null(strstr(res.out, "data-card=\"probe-b\""));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

static void card_add_rejects_invalid(void **state)
{
    const gr_ui_card no_render = {"probe", "Probe", 0, NULL, NULL, NULL};
    const gr_ui_card no_label = {"probe", NULL, 0, NULL, card_render, "show"};
    ui_fixture fx;

    (void)state;
    ui_fixture_init(&fx, "", "");
    assert_int_equal(gr_ui_card_add(fx.ui_state, &no_render), GR_EINVALID);
    assert_int_equal(gr_ui_card_add(fx.ui_state, &no_label), GR_EINVALID);
    for (int i = 0; i < GR_UI_MAX_CARDS; i++) {
        char id[16];
        gr_ui_card card = {id, "Probe", i, NULL, card_render, "show"};

        snprintf(id, sizeof(id), "probe-%d", i);
        assert_int_equal(gr_ui_card_add(fx.ui_state, &card), 0);
    }
    {
        gr_ui_card extra = {"probe-extra", "Probe", 0, NULL, card_render, "show"};

        assert_int_equal(gr_ui_card_add(fx.ui_state, &extra), GR_ELIMIT);
    }
    ui_fixture_serve(&fx);
    ui_fixture_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ui_publishes_service),
        cmocka_unit_test(fallback_lists_without_plugins),
        cmocka_unit_test(fallback_gives_way_to_plugin),
        cmocka_unit_test(feature_page_in_layout),
        cmocka_unit_test(search_page_highlights_results),
        cmocka_unit_test(search_page_filters_types),
        cmocka_unit_test(search_page_pages_results),
        cmocka_unit_test(suggest_uses_prefixes),
        cmocka_unit_test(overview_shows_cards),
        cmocka_unit_test(card_add_rejects_invalid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
