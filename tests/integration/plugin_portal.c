/* SPDX-License-Identifier: MIT */
/* Tests that plugin pages, sidebar entries, entity tabs and cards appear in the portal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "plugin_test.h"

/* Time allowed for the catalog to ingest and the plugin to score, in ms. */
#define SETTLE_MS 30000

static const char catalog_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Group\n"
    "metadata:\n"
    "  name: team-a\n"
    "spec: {type: team, children: []}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: cart\n"
    "spec: {type: service, lifecycle: production, owner: team-a}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: API\n"
    "metadata:\n"
    "  name: orders\n"
    "spec:\n"
    "  type: openapi\n"
    "  lifecycle: production\n"
    "  owner: team-a\n"
    "  definition: |\n"
    "    openapi: 3.0.0\n"
    "    info: {title: Orders, version: 1.0.0}\n"
    "    paths:\n"
    "      /orders:\n"
    "        get: {summary: List orders, responses: {'200': {description: ok}}}\n";

static void start(plugin_test_fixture *fx)
{
    char *path = plugin_test_path("scorecards");
    char *text = gr_xasprintf("%s"
                              "catalog:\n"
                              "  processingInterval: {seconds: 1}\n"
                              "  rules:\n"
                              "    - allow: [Component, Group, API]\n"
                              "  locations:\n"
                              "    - type: file\n"
                              "      target: ./catalog.yaml\n"
                              "plugins:\n"
                              "  - path: %s\n"
                              "    config:\n"
                              "      kinds: Component\n"
                              "      checks:\n"
                              "        - {id: owner, type: owner-exists, title: Owner exists}\n",
                              PLUGIN_TEST_BACKEND, path);

    fx->dir = gr_test_tmpdir("plugin-portal");
    gr_test_write_file(fx->dir, "app-config.yaml", text);
    gr_test_write_file(fx->dir, "catalog.yaml", catalog_yaml);
    assert_int_equal(gr_test_server_start(&fx->server, fx->dir, "app-config.yaml", 20000), 0);
    free(text);
    free(path);
}

/* The leaderboard page is framed by the portal layout, with the plugin's sidebar entry active. */
static void leaderboard_in_layout(void **state)
{
    plugin_test_fixture fx;

    (void)state;
    start(&fx);
    plugin_test_expect(&fx, "GET", "/scorecards", 200, "<title>Scorecards | ");
    plugin_test_expect(&fx, "GET", "/scorecards", 200, "<nav class=\"sidebar\" aria-label=\"Main\">");
    plugin_test_expect(&fx, "GET", "/scorecards", 200, "<h2>By owner</h2>");
    plugin_test_expect(&fx, "GET", "/scorecards", 200,
                       "<a href=\"/scorecards\" aria-current=\"page\">");
    plugin_test_stop(&fx);
}

/* Every portal page lists the plugin's sidebar entry beside the built-in ones. */
static void sidebar_lists_entry(void **state)
{
    plugin_test_fixture fx;

    (void)state;
    start(&fx);
    plugin_test_expect(&fx, "GET", "/catalog", 200, "<a href=\"/scorecards\">");
    plugin_test_expect(&fx, "GET", "/catalog", 200, "<span>Scorecards</span>");
    plugin_test_expect(&fx, "GET", "/catalog", 200, "<span>Catalog</span>");
    plugin_test_stop(&fx);
}

/* The entity page lists the Scorecard tab where the filter matches, and renders it in place. */
static void entity_tab_in_page(void **state)
{
    plugin_test_fixture fx;

    (void)state;
    start(&fx);
    assert_true(plugin_test_wait(&fx.server, "/api/catalog/entities/by-name/component/default/cart",
                                 200, "\"name\":\"cart\"", SETTLE_MS));
    plugin_test_expect(&fx, "GET", "/catalog/default/component/cart", 200,
                       "?tab=scorecards-scorecard");
    assert_true(plugin_test_wait(&fx.server,
                                 "/catalog/default/component/cart?tab=scorecards-scorecard", 200,
                                 "class=\"card plugin-view\" aria-label=\"Scorecard\"", SETTLE_MS));
    plugin_test_expect(&fx, "GET", "/catalog/default/component/cart?tab=scorecards-scorecard",
                       200, "<nav class=\"sidebar\" aria-label=\"Main\">");
    /* The filter (kinds: Component) hides the tab on the Group. */
    assert_true(plugin_test_wait(&fx.server, "/catalog/default/group/team-a", 200, "team-a",
                                 SETTLE_MS));
    {
        gr_test_output res =
            plugin_test_request(&fx.server, "GET", "/catalog/default/group/team-a", NULL);

        assert_int_equal(res.status, 200);
        assert_null(strstr(res.out, "tab=scorecards-scorecard"));
        gr_test_output_free(&res);
    }
    plugin_test_stop(&fx);
}

/* The plugin's overview card shows on the Overview tab where its filter matches. */
static void overview_card_in_page(void **state)
{
    plugin_test_fixture fx;

    (void)state;
    start(&fx);
    assert_true(plugin_test_wait(&fx.server, "/catalog/default/component/cart", 200,
                                 "<p class=\"scorecard-score\">Score: <strong>", SETTLE_MS));
    plugin_test_expect(&fx, "GET", "/catalog/default/component/cart", 200,
                       "<section class=\"card feature-card\" data-card=\"scorecards-score\" "
                       "aria-label=\"Scorecard\">");
    /* Other tabs of the entity leave the card out. */
    {
        gr_test_output res = plugin_test_request(
            &fx.server, "GET", "/catalog/default/component/cart?tab=inspector", NULL);

        assert_int_equal(res.status, 200);
        assert_null(strstr(res.out, "data-card=\"scorecards-score\""));
        gr_test_output_free(&res);
    }
    /* The filter (kinds: Component) hides the card on the Group. */
    assert_true(plugin_test_wait(&fx.server, "/catalog/default/group/team-a", 200, "team-a",
                                 SETTLE_MS));
    {
        gr_test_output res =
            plugin_test_request(&fx.server, "GET", "/catalog/default/group/team-a", NULL);

        assert_int_equal(res.status, 200);
        assert_non_null(strstr(res.out, "<h2 id=\"about\">About</h2>"));
        assert_null(strstr(res.out, "data-card=\"scorecards-score\""));
        gr_test_output_free(&res);
    }
    plugin_test_stop(&fx);
}

/* The built-in api-docs plugin adds the Definition tab through the ABI, under its own id. */
static void apidocs_tab_through_abi(void **state)
{
    plugin_test_fixture fx;

    (void)state;
    start(&fx);
    assert_true(plugin_test_wait(&fx.server, "/catalog/default/api/orders?tab=api", 200,
                                 "class=\"card plugin-view\" aria-label=\"Definition\"",
                                 SETTLE_MS));
    plugin_test_expect(&fx, "GET", "/catalog/default/api/orders?tab=api", 200,
                       "<div class=\"apidoc\">");
    plugin_test_expect(&fx, "GET", "/catalog/default/api/orders?tab=api", 200, "List orders");
    plugin_test_expect(&fx, "GET", "/catalog/default/api/orders/tabs/api-docs/api", 200,
                       "<div class=\"apidoc\">");
    plugin_test_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leaderboard_in_layout),
        cmocka_unit_test(sidebar_lists_entry),
        cmocka_unit_test(entity_tab_in_page),
        cmocka_unit_test(overview_card_in_page),
        cmocka_unit_test(apidocs_tab_through_abi),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
