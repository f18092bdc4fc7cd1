/* SPDX-License-Identifier: MIT */
/* A catalog full of script and javascript: payloads must render inert on every page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui_fixture.h"

/* Every string field a page shows carries a payload. Names keep their
 * pattern, as validation would reject others before they reach the catalog. */
static const char hostile_component[] =
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
    "\"metadata\":{\"name\":\"evil\",\"namespace\":\"default\","
    "\"title\":\"<script>alert('title')</script>\","
    "\"description\":\"<img src=x onerror=alert('description')>\","
    "\"tags\":[\"<svg onload=alert(1)>\"],"
    "\"annotations\":{\"backstage.io/source-location\":\"url:javascript:alert('source')\","
    "\"backstage.io/edit-url\":\"javascript:alert('edit')\","
    "\"backstage.io/view-url\":\" JaVaScRiPt:alert('view')\","
    "\"backstage.io/techdocs-ref\":\"dir:.\\\"><script>alert('docs')</script>\","
    "\"evil/<b>key</b>\":\"<iframe src=javascript:alert(1)>\"},"
    "\"links\":[{\"url\":\"javascript:alert('link')\",\"title\":\"<b>bold link</b>\"},"
    "{\"url\":\"data:text/html,<script>alert(2)</script>\",\"title\":\"data\"}]},"
    "\"spec\":{\"type\":\"<script>alert('type')</script>\","
    "\"lifecycle\":\"\\\"><script>alert('lifecycle')</script>\","
    "\"owner\":\"group:default/team-a\",\"system\":\"evil-system\"},"
    "\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-a\"},"
    "{\"type\":\"dependsOn\",\"targetRef\":\"resource:default/<script>alert('ref')</script>\"}],"
    "\"status\":{\"items\":[{\"type\":\"backstage.io/catalog-processing\",\"level\":\"error\","
    "\"message\":\"x\",\"error\":{\"name\":\"<script>alert('errname')</script>\","
    "\"message\":\"<img src=x onerror=alert('error')>\"}}]}}";

static const char hostile_api[] =
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"API\","
    "\"metadata\":{\"name\":\"evil-api\",\"namespace\":\"default\","
    "\"title\":\"<script>alert('api')</script>\"},"
    "\"spec\":{\"type\":\"openapi\",\"lifecycle\":\"production\",\"owner\":\"team-a\","
    "\"definition\":\"openapi: 3.0.0\\ninfo:\\n  title: \\\"<script>alert('oas')</script>\\\"\\n"
    "  version: '1'\\n  description: \\\"<img src=x onerror=alert(3)>\\\"\\n"
    "paths:\\n  /x<script>:\\n    get:\\n      summary: \\\"<script>alert('op')</script>\\\"\\n"
    "      responses:\\n        '200':\\n          description: ok\\n\"},"
    "\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-a\"}]}";

static const char hostile_graphql[] =
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"API\","
    "\"metadata\":{\"name\":\"evil-graphql\",\"namespace\":\"default\"},"
    "\"spec\":{\"type\":\"graphql\",\"lifecycle\":\"production\",\"owner\":\"team-a\","
    "\"definition\":\"type Query { a: String } # </code></pre><script>alert('gql')</script>\"},"
    "\"relations\":[]}";

/* Fails the test when `html` has markup that a payload could have produced. */
static void assert_inert(const char *page, const char *html)
{
    static const char *const forbidden[] = {
        "<script>alert",   "<img src=x",       "<svg onload",   "<iframe",
        "href=\"javascript:", "href=\" JaVaScRiPt:", "href=\"data:", "<b>bold",
        "<b>key", "xlink:href=\"javascript:",
    };

    for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
        if (strstr(html, forbidden[i]) != NULL)
            fail_msg("%s contains '%s'", page, forbidden[i]);
    }
}

static void xss_pages_are_inert(void **state)
{
    static const char *const pages[] = {
        "/",
        "/catalog",
        "/catalog?filters%5Bkind%5D=all",
        "/catalog?filters%5Btext%5D=%3Cscript%3E",
        "/catalog/default/component/evil",
        "/catalog/default/component/evil?tab=inspector",
        "/catalog/default/component/evil?tab=history",
        "/catalog/default/component/evil?tab=docs",
        "/catalog/default/api/evil-api?tab=api",
        "/catalog/default/api/evil-graphql?tab=api",
        "/api-docs",
        "/catalog-graph?rootEntityRefs=component:default/evil&maxDepth=2",
        "/search?query=%3Cscript%3Ealert(1)%3C/script%3E",
        "/settings",
        "/docs",
        "/catalog/default/component/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    };
    ui_fixture fx;

    (void)state;
    ui_fixture_start(&fx, "", "");
    ui_fixture_add(&fx, hostile_component);
    ui_fixture_add(&fx, hostile_api);
    ui_fixture_add(&fx, hostile_graphql);

    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        gr_test_output res = ui_fixture_request(&fx, "GET", pages[i], NULL, NULL, NULL);

        if (res.status != 200 && res.status != 404)
            fail_msg("%s answered %d", pages[i], res.status);
        assert_inert(pages[i], res.out);
        gr_test_output_free(&res);
    }
    ui_fixture_stop(&fx);
}

static void xss_payloads_shown_escaped(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    ui_fixture_add(&fx, hostile_component);

    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/evil", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    /* The text is still there for people to read, only escaped. */
    assert_non_null(strstr(res.out, "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;"));
    assert_non_null(strstr(res.out, "&lt;img src=x onerror=alert(&#39;description&#39;)&gt;"));
    assert_non_null(strstr(res.out, "This entity has processing errors"));
    /* Unsafe links are shown as text or point nowhere. */
    assert_non_null(strstr(res.out, "(link not shown: unsafe address)"));
    assert_non_null(strstr(res.out, "href=\"#\">View source"));
    assert_non_null(strstr(res.out, "href=\"#\">Edit metadata"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xss_pages_are_inert),
        cmocka_unit_test(xss_payloads_shown_escaped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
