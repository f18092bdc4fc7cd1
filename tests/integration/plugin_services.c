/* SPDX-License-Identifier: MIT */
/* Integration tests of the host services a loaded plugin calls, through the probe fixture plugin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_test.h"

/* Three entities: one with the card annotation, one marked secret, one group. */
static const char catalog_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: probe-target\n"
    "  annotations:\n"
    "    probe/show: \"yes\"\n"
    "spec: {type: service, lifecycle: production, owner: team-a}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: hidden\n"
    "  annotations:\n"
    "    example.com/secret: \"true\"\n"
    "spec: {type: service, lifecycle: production, owner: team-a}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Group\n"
    "metadata:\n"
    "  name: team-a\n"
    "spec: {type: team, children: []}\n";

typedef plugin_test_fixture fixture;

/* Starts a server with the probe plugin. `external` is appended to
 * backend.auth.externalAccess, and `extra` to the config. */
static void start_with(fixture *fx, const char *external, const char *extra)
{
    char *probe = plugin_test_path("fixture_probe");
    char *text = gr_xasprintf(
        "%s%s"
        "  reading:\n"
        "    allow:\n"
        "      - host: 127.0.0.1:${GREENROOM_PORT}\n"
        "        paths: [/api/probe/]\n"
        "catalog:\n"
        "  rules:\n"
        "    - allow: [Component, Group]\n"
        "  locations:\n"
        "    - type: file\n"
        "      target: ./catalog.yaml\n"
        "plugins:\n"
        "  - path: %s\n"
        "    config:\n"
        "      greeting: \"<hi & bye>\"\n"
        "      ratio: 0.25\n"
        "      flag: true\n"
        "      items: [first, second]\n"
        "%s",
        PLUGIN_TEST_BACKEND, external, probe, extra);

    fx->dir = gr_test_tmpdir("plugin-services");
    gr_test_write_file(fx->dir, "app-config.yaml", text);
    gr_test_write_file(fx->dir, "catalog.yaml", catalog_yaml);
    assert_int_equal(gr_test_server_start(&fx->server, fx->dir, "app-config.yaml", 20000), 0);
    /* The catalog reads its location in the background. */
    assert_true(plugin_test_wait(&fx->server, "/api/catalog/entities/by-name/group/default/team-a",
                                 200, NULL, 20000));
    free(text);
    free(probe);
}

/* Starts a server with the probe plugin; `extra` is appended to the config. */
static void start(fixture *fx, const char *extra)
{
    start_with(fx, "", extra);
}


static void config_reads_own_subtree(void **state)
{
    fixture fx;

    (void)state;
    start(&fx, "");
    plugin_test_expect(&fx, "GET", "/api/probe/config", 200, "\"greeting\":\"<hi & bye>\"");
    plugin_test_expect(&fx, "GET", "/api/probe/config", 200, "\"limit\":42"); /* the declared default */
    plugin_test_expect(&fx, "GET", "/api/probe/config", 200, "\"ratio\":0.25");
    plugin_test_expect(&fx, "GET", "/api/probe/config", 200, "\"flag\":true");
    plugin_test_expect(&fx, "GET", "/api/probe/config", 200, "\"count\":2");
    plugin_test_expect(&fx, "GET", "/api/probe/config", 200, "\"second\":\"second\"");
    plugin_test_expect(&fx, "GET", "/api/probe/config", 200, "\"items\":[\"first\",\"second\"]");
    plugin_test_stop(&fx);
}

static void routes_need_identity(void **state)
{
    fixture fx;
    char *url;
    gr_test_output res;

    (void)state;
    start(&fx, "");
    url = gr_xasprintf("%s/api/probe/config", fx.server.base_url);
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    free(url);
    plugin_test_expect(&fx, "GET", "/api/probe/declined", 404, "NotFoundError");
    plugin_test_expect(&fx, "GET", "/api/probe/nothing", 404, NULL);
    /* Registering after setup is rejected with GR_PLUGIN_EINVALID (-3). */
    plugin_test_expect(&fx, "GET", "/api/probe/late", 200, "\"code\":-3");
    plugin_test_expect(&fx, "GET", "/api/probe/later", 404, NULL);
    plugin_test_stop(&fx);
}

static void database_keeps_own_table(void **state)
{
    fixture fx;

    (void)state;
    start(&fx, "");
    plugin_test_expect(&fx, "GET", "/api/probe/hits", 200, "\"status\":0");
    plugin_test_expect(&fx, "POST", "/api/probe/hits", 200, "\"status\":1");
    plugin_test_expect(&fx, "POST", "/api/probe/hits", 200, "\"status\":2");
    plugin_test_expect(&fx, "GET", "/api/probe/hits", 200, "\"status\":2");
    plugin_test_stop(&fx);
}

static void jobs_run_on_schedule(void **state)
{
    fixture fx;
    int ticked = 0;

    (void)state;
    start(&fx, "");
    for (int i = 0; i < 50 && !ticked; i++) {
        gr_test_output res = plugin_test_request(&fx.server, "GET", "/api/probe/ticks", NULL);

        ticked = res.status == 200 && strstr(res.out, "\"status\":0}") == NULL;
        gr_test_output_free(&res);
        if (!ticked)
            poll(NULL, 0, 100);
    }
    assert_true(ticked);
    plugin_test_stop(&fx);
}

static void fetch_follows_allow_list(void **state)
{
    fixture fx;
    char *allowed;

    (void)state;
    start(&fx, "");
    /* Allowed host and path: the request goes out (401, as it carries no token). */
    allowed = gr_xasprintf("/api/probe/fetch?url=%s/api/probe/config", fx.server.base_url);
    plugin_test_expect(&fx, "GET", allowed, 200, "{\"code\":0,\"status\":401}");
    free(allowed);
    /* Same host, a path outside the allowed prefix. */
    allowed = gr_xasprintf("/api/probe/fetch?url=%s/api/catalog/entities", fx.server.base_url);
    plugin_test_expect(&fx, "GET", allowed, 200, "\"code\":-4");
    free(allowed);
    plugin_test_expect(&fx, "GET", "/api/probe/fetch?url=http://example.com/", 200, "\"code\":-4");
    plugin_test_expect(&fx, "GET", "/api/probe/fetch?url=file:///etc/passwd", 200, "\"code\":-3");
    plugin_test_expect(&fx, "GET", "/api/probe/fetch?url=not%20a%20url", 200, "\"code\":-3");
    plugin_test_stop(&fx);
}

static void page_escapes_and_lists_nav(void **state)
{
    fixture fx;

    (void)state;
    start(&fx, "");
    plugin_test_expect(&fx, "GET", "/probe?name=%3Cscript%3Ex%3C/script%3E", 200,
           "<p class=\"probe\">&lt;script&gt;x&lt;/script&gt;</p>");
    /* The portal's layout frames the page, with its own sidebar and header. */
    plugin_test_expect(&fx, "GET", "/probe", 200, "<title>Probe &lt;page&gt; | ");
    plugin_test_expect(&fx, "GET", "/probe", 200, "<h1>Probe &lt;page&gt;</h1>");
    plugin_test_expect(&fx, "GET", "/probe", 200, "<nav class=\"sidebar\" aria-label=\"Main\">");
    plugin_test_expect(&fx, "GET", "/probe", 200, "<a href=\"/probe\" aria-current=\"page\">");
    plugin_test_expect(&fx, "GET", "/probe", 200, "<span>Probe</span></a></li>");
    plugin_test_expect(&fx, "GET", "/probe", 200,
           "<a href=\"/catalog/default/component/probe-target\">Component:default/probe-target</a>");
    plugin_test_stop(&fx);
}

static void entity_views_follow_filters(void **state)
{
    fixture fx;

    (void)state;
    start(&fx, "");
    plugin_test_expect(&fx, "GET", "/catalog/default/component/probe-target/tabs/probe/details", 200,
           "<pre class=\"probe-tab\">has a name</pre>");
    /* The tab is for components only; the card needs the probe/show annotation. */
    plugin_test_expect(&fx, "GET", "/catalog/default/group/team-a/tabs/probe/details", 404, NULL);
    plugin_test_expect(&fx, "GET", "/catalog/default/component/probe-target/cards", 200, "probe-card");
    plugin_test_expect(&fx, "GET", "/catalog/default/component/probe-target/cards", 200,
           "/catalog/default/component/probe-target/tabs/probe/details");
    {
        gr_test_output res = plugin_test_request(&fx.server, "GET",
                                                 "/catalog/default/group/team-a/cards", NULL);

        assert_int_equal(res.status, 200);
        assert_null(strstr(res.out, "probe-card"));
        gr_test_output_free(&res);
    }
    plugin_test_expect(&fx, "GET", "/catalog/default/component/no-such/cards", 404, NULL);
    plugin_test_expect(&fx, "GET", "/catalog/default/component/probe-target/tabs/probe/none", 404, NULL);
    plugin_test_stop(&fx);
}

static void catalog_reads_all_without_policy(void **state)
{
    fixture fx;

    (void)state;
    start(&fx, "");
    assert_true(plugin_test_wait(&fx.server, "/api/probe/entities?filter=kind=component", 200,
                                 "\"name\":\"hidden\"", 20000));
    plugin_test_expect(&fx, "GET", "/api/probe/entities?filter=kind=component", 200,
           "\"name\":\"probe-target\"");
    plugin_test_expect(&fx, "GET", "/api/probe/admin", 200, "\"code\":0");
    plugin_test_stop(&fx);
}

static void collator_feeds_search(void **state)
{
    fixture fx;

    (void)state;
    start(&fx, "");
    assert_true(plugin_test_wait(&fx.server, "/api/search/query?term=zyxwvut", 200,
                                 "\"title\":\"Probe document\"", 20000));
    plugin_test_expect(&fx, "GET", "/api/search/query?term=zyxwvut", 200, "\"type\":\"probe-doc\"");
    plugin_test_expect(&fx, "GET", "/api/search/query?term=zyxwvut", 200, "\"location\":\"/probe\"");
    plugin_test_stop(&fx);
}

static void action_runs_in_templates(void **state)
{
    static const char dry_run[] =
        "{\"template\":{\"apiVersion\":\"scaffolder.backstage.io/v1beta3\","
        "\"kind\":\"Template\",\"metadata\":{\"name\":\"probe-template\"},"
        "\"spec\":{\"steps\":[{\"id\":\"p\",\"name\":\"Probe\",\"action\":\"probe:echo\","
        "\"input\":{\"word\":\"hello\"}}],"
        "\"output\":{\"said\":\"${{ steps.p.output.echo.word }}\"}}},"
        "\"values\":{},\"directoryContents\":[]}";
    const char *const headers[] = {"Authorization: Bearer " PLUGIN_TEST_TOKEN,
                                   "Content-Type: application/json", NULL};
    fixture fx;
    char *url;
    gr_test_output res;

    (void)state;
    start(&fx, "");
    plugin_test_expect(&fx, "GET", "/api/scaffolder/v2/actions", 200, "\"id\":\"probe:echo\"");
    plugin_test_expect(&fx, "GET", "/api/scaffolder/v2/actions", 200,
                       "Returns its input as output.echo.");
    url = gr_xasprintf("%s/api/scaffolder/v2/dry-run", fx.server.base_url);
    res = gr_test_http("POST", url, headers, dry_run);
    assert_int_equal(res.status, 200);
    assert_true(plugin_test_has(res.out, "\"said\":\"hello\""));
    gr_test_output_free(&res);
    free(url);
    plugin_test_stop(&fx);
}

static void policy_limits_reads_and_permissions(void **state)
{
    fixture fx;
    gr_test_output res;

    (void)state;
    start(&fx, "permission:\n"
               "  enabled: true\n"
               "  rules:\n"
               "    - allow: [catalog.entity.read]\n"
               "      when:\n"
               "        not: { hasAnnotation: { annotation: example.com/secret } }\n");
    assert_true(plugin_test_wait(&fx.server, "/api/probe/entities?filter=kind=component", 200,
                                 "\"name\":\"probe-target\"", 20000));
    res = plugin_test_request(&fx.server, "GET", "/api/probe/entities?filter=kind=component",
                              NULL);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "\"name\":\"hidden\""));
    gr_test_output_free(&res);
    /* A hidden entity has no tabs for this caller; a plugin permission is denied. */
    plugin_test_expect(&fx, "GET", "/catalog/default/component/hidden/cards", 404, NULL);
    plugin_test_expect(&fx, "GET", "/catalog/default/component/probe-target/cards", 200, "probe-card");
    plugin_test_expect(&fx, "GET", "/api/probe/admin", 403, "probe.admin");
    plugin_test_stop(&fx);
}

/* accessRestrictions limit a token under a disabled policy too, plugin permissions included. */
static void restricted_token_denied_without_policy(void **state)
{
    const char *const restricted[] = {"Authorization: Bearer plugin-test-restricted-1", NULL};
    fixture fx;
    gr_test_output res;
    char *url;

    (void)state;
    start_with(&fx,
               "      - type: static\n"
               "        options:\n"
               "          token: plugin-test-restricted-1\n"
               "          subject: restricted-bot\n"
               "        accessRestrictions:\n"
               "          - plugin: probe\n"
               "            permissionAttribute:\n"
               "              action: [read]\n",
               "");
    plugin_test_expect(&fx, "GET", "/api/probe/admin", 200, "\"code\":0");

    url = gr_xasprintf("%s/api/probe/admin", fx.server.base_url);
    res = gr_test_http("GET", url, restricted, NULL);
    if (res.status != 403)
        fprintf(stderr, "GET /api/probe/admin returned %d: %s\n", res.status, res.out);
    assert_int_equal(res.status, 403);
    assert_true(plugin_test_has(res.out, "probe.admin"));
    gr_test_output_free(&res);

    free(url);
    plugin_test_stop(&fx);
}

/* A rule may grant a permission that only the plugin declares; serve checks it after setup. */
static void policy_grants_plugin_permission(void **state)
{
    fixture fx;

    (void)state;
    start(&fx, "permission:\n"
               "  enabled: true\n"
               "  rules:\n"
               "    - allow: [probe.admin]\n"
               "      when: { isService: [external:plugin-test] }\n"
               "    - allow: [catalog.entity.read]\n");
    plugin_test_expect(&fx, "GET", "/api/probe/admin", 200, "\"code\":0");
    plugin_test_stop(&fx);

    start(&fx, "permission:\n"
               "  enabled: true\n"
               "  rules:\n"
               "    - allow: [probe.admin]\n"
               "      when: { isService: [external:someone-else] }\n"
               "    - allow: [catalog.entity.read]\n");
    plugin_test_expect(&fx, "GET", "/api/probe/admin", 403, "probe.admin");
    plugin_test_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_reads_own_subtree),
        cmocka_unit_test(routes_need_identity),
        cmocka_unit_test(restricted_token_denied_without_policy),
        cmocka_unit_test(database_keeps_own_table),
        cmocka_unit_test(jobs_run_on_schedule),
        cmocka_unit_test(fetch_follows_allow_list),
        cmocka_unit_test(page_escapes_and_lists_nav),
        cmocka_unit_test(entity_views_follow_filters),
        cmocka_unit_test(catalog_reads_all_without_policy),
        cmocka_unit_test(collator_feeds_search),
        cmocka_unit_test(action_runs_in_templates),
        cmocka_unit_test(policy_limits_reads_and_permissions),
        cmocka_unit_test(policy_grants_plugin_permission),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
