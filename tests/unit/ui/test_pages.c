/* SPDX-License-Identifier: MIT */
/* Page tests over HTTP: shell, catalog filters and paging, entity tabs, stars, CSRF, overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host/permission/permission.h"
#include "ui_fixture.h"

static void add_component(ui_fixture *fx, int index, const char *type, const char *owner)
{
    char *json = gr_xasprintf(
        "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
        "\"metadata\":{\"name\":\"svc-%02d\",\"namespace\":\"default\",\"description\":\"Service "
        "number %d\",\"tags\":[\"c\"]},"
        "\"spec\":{\"type\":\"%s\",\"lifecycle\":\"production\",\"owner\":\"%s\","
        "\"system\":\"shop\"},"
        "\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/%s\"},"
        "{\"type\":\"partOf\",\"targetRef\":\"system:default/shop\"}]}",
        index, index, type, owner, owner);

    ui_fixture_add(fx, json);
    free(json);
}

static void add_org(ui_fixture *fx)
{
    ui_fixture_add(fx, "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\","
                       "\"metadata\":{\"name\":\"team-a\",\"namespace\":\"default\"},"
                       "\"spec\":{\"type\":\"team\",\"children\":[]},"
                       "\"relations\":[{\"type\":\"hasMember\",\"targetRef\":\"user:default/jane\"}"
                       "]}");
    ui_fixture_add(fx, "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"User\","
                       "\"metadata\":{\"name\":\"jane\",\"namespace\":\"default\"},"
                       "\"spec\":{\"profile\":{\"displayName\":\"Jane Doe\"},\"memberOf\":"
                       "[\"team-a\"]},"
                       "\"relations\":[{\"type\":\"memberOf\",\"targetRef\":\"group:default/team-a\"}"
                       "]}");
    ui_fixture_add(fx, "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"System\","
                       "\"metadata\":{\"name\":\"shop\",\"namespace\":\"default\"},"
                       "\"spec\":{\"owner\":\"team-a\"},"
                       "\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-a\"}"
                       ",{\"type\":\"hasPart\",\"targetRef\":\"component:default/svc-00\"}]}");
}

static size_t count_of(const char *text, const char *needle)
{
    size_t count = 0;

    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        count++;
    return count;
}

static void pages_shell_and_etag(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *etag_header;
    const char *etag;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_org(&fx);
    res = ui_fixture_request(&fx, "GET", "/", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<title>Home | Test &lt;Portal&gt;</title>"));
    assert_non_null(strstr(res.out, "<nav class=\"sidebar\" aria-label=\"Main\">"));
    assert_non_null(strstr(res.out, "<main id=\"main\""));
    assert_non_null(strstr(res.out, "role=\"search\""));
    assert_non_null(strstr(res.out, "aria-current=\"page\""));
    assert_null(strstr(res.out, "<script>"));
    assert_non_null(strstr(res.err, "Content-Security-Policy"));
    assert_non_null(strstr(res.err, "text/html; charset=utf-8"));
    etag = strstr(res.err, "ETag: ");
    assert_non_null(etag);
    etag_header = gr_xasprintf("If-None-Match: %.*s", (int)strcspn(etag + 6, "\r\n"), etag + 6);
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/", NULL, NULL, etag_header);
    assert_int_equal(res.status, 304);
    gr_test_output_free(&res);
    free(etag_header);
    ui_fixture_stop(&fx);
}

static void pages_static_files_cached(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    const char *href;
    char *path;

    (void)state;
    ui_fixture_start(&fx, "", "");
    res = ui_fixture_request(&fx, "GET", "/settings", NULL, NULL, NULL);
    href = strstr(res.out, "/static/style.");
    assert_non_null(href);
    path = gr_xasprintf("%s%.*s", fx.base, (int)strcspn(href, "\""), href);
    gr_test_output_free(&res);

    res = gr_test_http("GET", path, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.err, "immutable"));
    assert_non_null(strstr(res.out, "prefers-color-scheme"));
    gr_test_output_free(&res);
    free(path);
    ui_fixture_stop(&fx);
}

static void catalog_filters_and_counts(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_org(&fx);
    for (int i = 0; i < 30; i++)
        add_component(&fx, i, i % 3 == 0 ? "website" : "service", i % 2 ? "team-a" : "team-b");

    res = ui_fixture_request(&fx, "GET", "/catalog", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, ">30 component entities"));
    assert_non_null(strstr(res.out, "Component (30)"));
    assert_non_null(strstr(res.out, "value=\"website\"> website <span class=\"count\">10</span>"));
    assert_non_null(strstr(res.out, "rel=\"next\""));
    assert_null(strstr(res.out, "rel=\"prev\""));
    assert_int_equal(count_of(res.out, "<td><a href=\"/catalog/default/component/"), 20);
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog?filters%5Bkind%5D=component"
                                         "&filters%5Btype%5D=website", NULL, NULL, NULL);
    assert_non_null(strstr(res.out, ">10 component entities"));
    assert_non_null(strstr(res.out, "value=\"website\" checked"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog?filters%5Bowners%5D=group%3Adefault%2Fteam-a"
                                         "&filters%5Btext%5D=number%201", NULL, NULL, NULL);
    /* team-a owns the odd services; "number 1" matches 1, 11, 13, 15, 17, 19. */
    assert_non_null(strstr(res.out, ">6 component entities"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog?filters%5Bkind%5D=all", NULL, NULL, NULL);
    assert_non_null(strstr(res.out, ">33 entities"));
    assert_null(strstr(res.out, "all entities"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

static char *link_after(const char *html, const char *rel)
{
    char *needle = gr_xasprintf("rel=\"%s\"", rel);
    const char *at = strstr(html, needle);
    const char *start;
    char *link;
    char *out;
    size_t n = 0;

    free(needle);
    assert_non_null(at);
    start = at;
    while (start > html && strncmp(start, "href=\"", 6) != 0)
        start--;
    start += 6;
    link = gr_xstrndup(start, strcspn(start, "\""));
    out = gr_xmalloc(strlen(link) + 1);
    for (const char *p = link; *p != '\0'; p++) {
        if (strncmp(p, "&amp;", 5) == 0) {
            out[n++] = '&';
            p += 4;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    free(link);
    return out;
}

/* On an empty catalog the kind filter selects the default kind that the caption counts. */
static void catalog_empty_selects_kind(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    res = ui_fixture_request(&fx, "GET", "/catalog", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, ">0 component entities"));
    assert_non_null(strstr(res.out, "<option value=\"component\" selected>Component (0)</option>"));
    assert_non_null(strstr(res.out, "<option value=\"all\">All kinds (0)</option>"));
    assert_int_equal(count_of(res.out, " selected>"), 1);
    gr_test_output_free(&res);

    add_org(&fx);
    res = ui_fixture_request(&fx, "GET", "/catalog", NULL, NULL, NULL);
    assert_non_null(strstr(res.out, ">0 component entities"));
    assert_non_null(strstr(res.out, "<option value=\"component\" selected>Component (0)</option>"));
    assert_non_null(strstr(res.out, "All kinds (3)"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

static void catalog_keyset_paging(void **state)
{
    ui_fixture fx;
    gr_test_output first;
    gr_test_output second;
    gr_test_output back;
    char *next;
    char *prev;

    (void)state;
    ui_fixture_start(&fx, "", "");
    for (int i = 0; i < 45; i++)
        add_component(&fx, i, "service", "team-a");

    first = ui_fixture_request(&fx, "GET", "/catalog", NULL, NULL, NULL);
    assert_non_null(strstr(first.out, "/component/svc-00\""));
    assert_non_null(strstr(first.out, "/component/svc-19\""));
    assert_null(strstr(first.out, "/component/svc-20\""));
    next = link_after(first.out, "next");

    second = ui_fixture_request(&fx, "GET", next, NULL, NULL, NULL);
    assert_int_equal(second.status, 200);
    assert_non_null(strstr(second.out, "/component/svc-20\""));
    assert_non_null(strstr(second.out, "/component/svc-39\""));
    assert_null(strstr(second.out, "/component/svc-19\""));
    prev = link_after(second.out, "prev");

    back = ui_fixture_request(&fx, "GET", prev, NULL, NULL, NULL);
    assert_non_null(strstr(back.out, "/component/svc-00\""));
    assert_non_null(strstr(back.out, "/component/svc-19\""));
    assert_null(strstr(back.out, "rel=\"prev\""));
    gr_test_output_free(&first);
    gr_test_output_free(&second);
    gr_test_output_free(&back);
    free(next);
    free(prev);

    first = ui_fixture_request(&fx, "GET", "/catalog?sort=name&order=desc", NULL, NULL, NULL);
    assert_non_null(strstr(first.out, "/component/svc-44\""));
    assert_null(strstr(first.out, "/component/svc-00\""));
    gr_test_output_free(&first);

    first = ui_fixture_request(&fx, "GET", "/catalog?after=bm90LWpzb24", NULL, NULL, NULL);
    assert_int_equal(first.status, 400);
    assert_non_null(strstr(first.out, "Malformed page cursor"));
    gr_test_output_free(&first);
    ui_fixture_stop(&fx);
}

static void entity_page_tabs(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_org(&fx);
    add_component(&fx, 0, "service", "team-a");

    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/svc-00", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<dd>component:default/svc-00</dd>"));
    assert_non_null(strstr(res.out, "?tab=overview\" aria-current=\"page\""));
    assert_non_null(strstr(res.out, "?tab=inspector"));
    assert_non_null(strstr(res.out, "href=\"/catalog/default/system/shop\""));
    assert_null(strstr(res.out, "?tab=api"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/svc-00?tab=inspector", NULL,
                             NULL, NULL);
    assert_non_null(strstr(res.out, "kind: Component"));
    assert_non_null(strstr(res.out, "ownedBy"));
    assert_null(strstr(res.out, "has no tab named"));
    gr_test_output_free(&res);

    /* A tab this entity lacks shows the first tab with a notice that names the wanted one. */
    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/svc-00?tab=definition", NULL,
                             NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "?tab=overview\" aria-current=\"page\""));
    assert_non_null(strstr(res.out, "has no tab named <code>definition</code>"));
    assert_non_null(strstr(res.out, "its Overview tab is shown"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog/default/system/shop?tab=diagram", NULL, NULL,
                             NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<svg"));
    assert_non_null(strstr(res.out, "xlink:href=\"/catalog/default/component/svc-00\""));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog/default/group/team-a", NULL, NULL, NULL);
    assert_non_null(strstr(res.out, "Members"));
    assert_non_null(strstr(res.out, "href=\"/catalog/default/user/jane\""));
    assert_non_null(strstr(res.out, "<strong>1</strong>component"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/nope", NULL, NULL, NULL);
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.out, "No entity named"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

/* The History tab follows the API's rule: a reader with conditions gets no change around a
 * version it may not read, and no other caller's subject. */
static void history_tab_hides_unreadable_versions(void **state)
{
    static const char *const change[] = {
        "component:default/vault",
        "[{\"path\":\"/metadata/description\",\"old\":\"TOPSECRET-PASSWORD-123\","
        "\"new\":\"public now\"},{\"path\":\"/metadata/annotations\","
        "\"old\":{\"example.com/secret\":\"true\"},\"new\":null}]"};
    json_t *rules = json_loads(
        "{\"enabled\": true, \"rules\": [{\"allow\": [\"catalog.entity.read\"], \"when\": "
        "{\"not\": {\"hasAnnotation\": {\"annotation\": \"example.com/secret\", "
        "\"value\": \"true\"}}}}]}",
        0, NULL);
    gr_permission_policy *policy = NULL;
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    assert_int_equal(gr_permission_policy_from_json(&policy, rules), 0);
    ui_fixture_init(&fx, "", "");
    fx.host.permissions = policy;
    ui_fixture_serve(&fx);
    ui_fixture_add(&fx, "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
                        "\"metadata\":{\"name\":\"vault\",\"description\":\"public now\"},"
                        "\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\","
                        "\"owner\":\"team-a\"}}");
    ui_fixture_exec(&fx,
                    "INSERT INTO catalog_history (entity_ref, entity_id, changed_at, cause, change,"
                    " diff) VALUES (?, 'id-0000', 1, 'user:external:admin-bot', 'updated', ?)",
                    change, 2);

    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/vault?tab=history",
                             "user:default/reader", NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "No changes recorded."));
    assert_null(strstr(res.out, "TOPSECRET"));
    assert_null(strstr(res.out, "admin-bot"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
    gr_permission_policy_free(policy);
    json_decref(rules);
}

/* A group that owns entities of two kinds shows one Ownership card with both counts. */
static void group_ownership_card_once(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_org(&fx);
    add_component(&fx, 0, "service", "team-a");

    res = ui_fixture_request(&fx, "GET", "/catalog/default/group/team-a", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_int_equal(count_of(res.out, "id=\"ownership\""), 1);
    assert_int_equal(count_of(res.out, "<strong>1</strong>component"), 1);
    assert_int_equal(count_of(res.out, "<strong>1</strong>system"), 1);
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

/* Fails unless GET `path` redirects with 302 to exactly `location`. */
static void assert_redirect(ui_fixture *fx, const char *path, const char *location)
{
    gr_test_output res = ui_fixture_request(fx, "GET", path, NULL, NULL, NULL);
    char *header = gr_xasprintf("Location: %s\r\n", location);

    if (res.status != 302 || res.err == NULL || strstr(res.err, header) == NULL)
        fail_msg("GET %s: status %d, expected 302 to %s: %s", path, res.status, location,
                 res.err != NULL ? res.err : "");
    free(header);
    gr_test_output_free(&res);
}

/* Backstage's entity sub-paths lead to the matching tab, or to the overview without one. */
static void entity_sub_paths_redirect(void **state)
{
    static const char *const cases[][2] = {
        {"/catalog/default/component/svc-00/docs", "/catalog/default/component/svc-00?tab=docs"},
        {"/catalog/default/component/svc-00/api", "/catalog/default/component/svc-00"},
        {"/catalog/default/api/orders/definition", "/catalog/default/api/orders?tab=api"},
        {"/catalog/default/system/shop/diagram", "/catalog/default/system/shop?tab=diagram"},
        {"/catalog/default/component/svc-00/ci-cd", "/catalog/default/component/svc-00"},
        {"/catalog/default/component/svc-00/dependencies", "/catalog/default/component/svc-00"},
        {"/catalog/default/Component/svc-00/docs", "/catalog/default/component/svc-00?tab=docs"},
    };
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_org(&fx);
    add_component(&fx, 0, "service", "team-a");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_redirect(&fx, cases[i][0], cases[i][1]);

    /* The actions keep their own pages. */
    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/svc-00/unregister", NULL,
                             NULL, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    /* An unknown sub-path is the portal's 404 page, not the router's JSON. */
    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/svc-00/nope", NULL, NULL,
                             "Accept: text/html");
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.err, "text/html"));
    assert_non_null(strstr(res.out, "<main id=\"main\""));
    assert_non_null(strstr(res.out, "No page &#39;nope&#39; for an entity"));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

/* Fails unless `method` on `path` gets the router's JSON 404. */
static void assert_json_404(ui_fixture *fx, const char *method, const char *path,
                            const char *body)
{
    gr_test_output res = ui_fixture_request(fx, method, path, NULL, body, "Accept: text/html");

    if (res.status != 404 || res.out == NULL || strstr(res.out, "\"NotFoundError\"") == NULL)
        fail_msg("%s %s: status %d, expected the JSON 404: %s", method, path, res.status,
                 res.out != NULL ? res.out : "");
    gr_test_output_free(&res);
}

/* An address that no route matches is the portal's 404 page for a browser, and the sign-in
 * redirect for a browser without a session. API paths, other methods and paths that read as
 * another host keep the JSON 404. */
static void unknown_address_not_found_page(void **state)
{
    static const char *const browser[] = {"Accept: text/html", NULL};
    ui_fixture fx;
    gr_test_output res;
    char *url;

    (void)state;
    ui_fixture_start(&fx, "", "");
    res = ui_fixture_request(&fx, "GET", "/no/such/page", NULL, NULL, "Accept: text/html");
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.err, "text/html"));
    assert_non_null(strstr(res.out, "<main id=\"main\""));
    assert_non_null(strstr(res.out, "There is no page at /no/such/page."));
    assert_non_null(strstr(res.err, "Vary: Accept, Cookie, Authorization"));
    gr_test_output_free(&res);

    assert_json_404(&fx, "GET", "/api/no-such-plugin", NULL);
    assert_json_404(&fx, "POST", "/no/such/page", "a=1");
    assert_json_404(&fx, "GET", "//evil.test/page", NULL);

    url = gr_xasprintf("%s/no/such/page", fx.base);
    res = gr_test_http("GET", url, browser, NULL);
    assert_int_equal(res.status, 302);
    assert_non_null(strstr(res.err, "Location: /signin?redirect="));
    gr_test_output_free(&res);
    free(url);
    ui_fixture_stop(&fx);
}

static void star_needs_csrf(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *csrf;
    char *body;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_org(&fx);
    add_component(&fx, 0, "service", "team-a");

    res = ui_fixture_request(&fx, "POST", "/catalog/default/component/svc-00/star",
                             "user:default/jane", "starred=1", NULL);
    assert_int_equal(res.status, 403);
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog/default/component/svc-00",
                             "user:default/jane", NULL, NULL);
    assert_non_null(strstr(res.out, "aria-pressed=\"false\""));
    csrf = ui_fixture_csrf(res.out);
    gr_test_output_free(&res);

    body = gr_xasprintf("csrf=%s&starred=1", csrf);
    res = ui_fixture_request(&fx, "POST", "/catalog/default/component/svc-00/star",
                             "user:default/jane", body, "Origin: http://evil.test");
    assert_int_equal(res.status, 403);
    gr_test_output_free(&res);
    res = ui_fixture_request(&fx, "POST", "/catalog/default/component/svc-00/star",
                             "user:default/jane", body, NULL);
    assert_int_equal(res.status, 303);
    gr_test_output_free(&res);
    free(body);

    res = ui_fixture_request(&fx, "GET", "/", "user:default/jane", NULL, NULL);
    assert_non_null(strstr(res.out, "Jane Doe"));
    assert_non_null(strstr(res.out, "id=\"home-starred\""));
    assert_non_null(strstr(res.out, "href=\"/catalog/default/component/svc-00\">svc-00</a>"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog?filters%5Buser%5D=starred", "user:default/jane",
                             NULL, NULL);
    assert_non_null(strstr(res.out, ">1 component entity"));
    gr_test_output_free(&res);

    /* Another user's stars are separate. */
    res = ui_fixture_request(&fx, "GET", "/catalog?filters%5Buser%5D=starred", "user:default/bob",
                             NULL, NULL);
    assert_non_null(strstr(res.out, ">0 component entities"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog?filters%5Buser%5D=owned", "user:default/jane",
                             NULL, NULL);
    assert_non_null(strstr(res.out, ">1 component entity"));
    gr_test_output_free(&res);
    free(csrf);
    ui_fixture_stop(&fx);
}

static void theme_cookie_and_override(void **state)
{
    ui_fixture fx;
    gr_test_output res;
    char *csrf;
    char *body;
    char *extra;
    char *theme_dir = gr_test_tmpdir("ui-theme");

    (void)state;
    gr_test_write_file(theme_dir, "home.html", "<p id=\"custom-home\">Welcome {{user.name}}</p>");
    gr_test_write_file(theme_dir, "style.css", "body { color: rebeccapurple; }");
    extra = gr_xasprintf("  theme:\n    dir: %s\n    default: dark\n", theme_dir);
    ui_fixture_start(&fx, extra, "");
    res = ui_fixture_request(&fx, "GET", "/", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<p id=\"custom-home\">Welcome"));
    assert_non_null(strstr(res.out, "data-theme=\"dark\""));
    csrf = ui_fixture_csrf(res.out);
    gr_test_output_free(&res);

    body = gr_xasprintf("csrf=%s&theme=light&return=%%2Fsettings", csrf);
    res = ui_fixture_request(&fx, "POST", "/settings/theme", NULL, body, NULL);
    assert_int_equal(res.status, 303);
    assert_non_null(strstr(res.err, "gr_theme=light"));
    assert_non_null(strstr(res.err, "Location: /settings"));
    gr_test_output_free(&res);
    free(body);

    /* Browsers drop a tab from a URL, so "/<TAB>/host" would lead to another site. */
    body = gr_xasprintf("csrf=%s&theme=light&return=%%2F%%09%%2Fevil.test", csrf);
    res = ui_fixture_request(&fx, "POST", "/settings/theme", NULL, body, NULL);
    assert_int_equal(res.status, 303);
    assert_non_null(strstr(res.err, "Location: /\r\n"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/settings", NULL, NULL, "Cookie: gr_theme=light");
    assert_non_null(strstr(res.out, "data-theme=\"light\""));
    assert_non_null(strstr(res.out, "value=\"light\" checked"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/settings", NULL, NULL, "Cookie: gr_theme=\"><x>");
    assert_non_null(strstr(res.out, "data-theme=\"dark\""));
    gr_test_output_free(&res);
    free(body);
    free(csrf);
    free(extra);
    ui_fixture_stop(&fx);
    gr_test_rmtree(theme_dir);
    free(theme_dir);
}

/* The settings page lists what a catalog user belongs to, and an identity without a User entity
 * gets no link to a page that does not exist. */
static void settings_ownership_links_existing(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_org(&fx);
    res = ui_fixture_request(&fx, "GET", "/settings", "user:default/jane", NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "href=\"/catalog/default/user/jane\""));
    assert_non_null(strstr(res.out, "href=\"/catalog/default/group/team-a\""));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/settings", "user:default/ghost", NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "/catalog/default/user/ghost"));
    assert_non_null(strstr(res.out, "is not a catalog user, so it owns nothing"));
    gr_test_output_free(&res);

    /* The ownership refs of the identity's token count, as a guest's ownershipEntityRefs do;
     * refs without an entity get no link. */
    res = ui_fixture_request(&fx, "GET", "/settings", "user:default/ghost", NULL,
                             "X-Test-Ownership: user:default/ghost,group:default/Team-A");
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "/catalog/default/user/ghost"));
    assert_non_null(strstr(res.out, "href=\"/catalog/default/group/team-a\""));
    assert_null(strstr(res.out, "owns nothing"));
    gr_test_output_free(&res);

    res = ui_fixture_request(&fx, "GET", "/catalog?filters%5Bkind%5D=system&filters%5Buser%5D=owned",
                             "user:default/ghost", NULL,
                             "X-Test-Ownership: user:default/ghost,group:default/team-a");
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "href=\"/catalog/default/system/shop\""));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pages_shell_and_etag),
        cmocka_unit_test(pages_static_files_cached),
        cmocka_unit_test(catalog_filters_and_counts),
        cmocka_unit_test(catalog_empty_selects_kind),
        cmocka_unit_test(catalog_keyset_paging),
        cmocka_unit_test(entity_page_tabs),
        cmocka_unit_test(group_ownership_card_once),
        cmocka_unit_test(history_tab_hides_unreadable_versions),
        cmocka_unit_test(entity_sub_paths_redirect),
        cmocka_unit_test(unknown_address_not_found_page),
        cmocka_unit_test(star_needs_csrf),
        cmocka_unit_test(theme_cookie_and_override),
        cmocka_unit_test(settings_ownership_links_existing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
