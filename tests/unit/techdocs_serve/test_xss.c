/* SPDX-License-Identifier: MIT */
/* Builds the XSS payload site and checks that no built or served page can run script. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/techdocs/build/build.h"
#include "plugins/techdocs/files.h"
#include "plugins/techdocs/html_check.h"
#include "plugins/techdocs/render.h"

typedef struct {
    gr_buf problems;
    int count;
    const char *file;
    const char *html;
} findings;

static void collect(const char *at, const char *what, void *payload)
{
    findings *found = payload;
    size_t offset = (size_t)(at - found->html);
    size_t start = offset > 40 ? offset - 40 : 0;

    gr_buf_printf(&found->problems, "%s: %s near \"%.100s\"\n", found->file, what,
                  found->html + start);
    found->count++;
}

static void check_html(findings *found, const char *file, const char *html)
{
    found->file = file;
    found->html = html;
    gr_techdocs_html_check(html, collect, found);
}

/* Renders a page as the server shows it: layout, nav, table of contents, edit link. */
static char *render_served(const char *fragment, const json_t *nav, const char *page_url)
{
    gr_techdocs_page_parts parts;
    gr_buf body = GR_BUF_INIT;
    gr_buf page = GR_BUF_INIT;

    memset(&parts, 0, sizeof(parts));
    parts.site_name = json_string_value(json_object_get(nav, "site_name"));
    parts.entity_title = "xss";
    parts.entity_ref = "component:default/xss";
    parts.base_url = "/docs/default/component/xss/";
    parts.page_url = page_url;
    parts.nav_items = json_object_get(nav, "items");
    parts.fragment = fragment;
    parts.fragment_len = strlen(fragment);
    gr_techdocs_render_docs(&body, &parts);
    gr_techdocs_render_layout(&page, "<script>alert(1)</script>", gr_buf_cstr(&body), 0);
    gr_buf_free(&body);
    return gr_buf_detach(&page);
}

static char *page_url_of(const char *path)
{
    size_t len = strlen(path);

    if (strcmp(path, "index.html") == 0)
        return gr_xstrdup("./");
    return gr_xstrndup(path, len - strlen("index.html"));
}

static void corpus_renders_inert(void **state)
{
    const char *root = getenv("GR_SOURCE_DIR");
    char *source = gr_xasprintf("%s/tests/data/techdocs_xss", root ? root : ".");
    char *out = gr_test_tmpdir("td-xss");
    char *site = gr_xasprintf("%s/site", out);
    char *nav_path = gr_xasprintf("%s/techdocs_nav.json", site);
    gr_techdocs_report report;
    gr_techdocs_paths paths;
    findings found = {GR_BUF_INIT, 0, NULL, NULL};
    json_t *nav;
    size_t pages = 0;

    (void)state;
    if (gr_techdocs_build(source, site, NULL, &report) != GR_OK)
        fail_msg("building the payload site failed: %s", gr_error_last());
    assert_int_equal(report.page_count, 7);
    gr_techdocs_report_free(&report);
    nav = json_load_file(nav_path, 0, NULL);
    assert_non_null(nav);
    assert_int_equal(gr_techdocs_list_files(site, 1000, &paths), GR_OK);

    for (size_t i = 0; i < paths.count; i++) {
        char *path = gr_xasprintf("%s/%s", site, paths.paths[i]);
        unsigned char *html = NULL;
        size_t size = 0;
        char *served;
        char *page_url;

        if (strstr(paths.paths[i], ".html") == NULL) {
            free(path);
            continue;
        }
        assert_int_equal(gr_techdocs_read_file(path, 1 << 24, &html, &size), GR_OK);
        check_html(&found, paths.paths[i], (const char *)html);
        page_url = page_url_of(paths.paths[i]);
        served = render_served((const char *)html, nav, page_url);
        check_html(&found, page_url, served);
        pages++;
        free(page_url);
        free(served);
        free(html);
        free(path);
    }
    /* Seven built pages and docs/raw-page.html, copied through the sanitizer. */
    assert_int_equal(pages, 8);
    if (found.count > 0) {
        fprintf(stderr, "%d ways to run script survived:\n%s", found.count,
                gr_buf_cstr(&found.problems));
        gr_buf_free(&found.problems);
        fail();
    }

    gr_techdocs_paths_free(&paths);
    json_decref(nav);
    gr_test_rmtree(out);
    free(nav_path);
    free(site);
    free(out);
    free(source);
}

static void raw_html_file_sanitized(void **state)
{
    const char *root = getenv("GR_SOURCE_DIR");
    char *source = gr_xasprintf("%s/tests/data/techdocs_xss", root ? root : ".");
    char *out = gr_test_tmpdir("td-xss");
    char *site = gr_xasprintf("%s/site", out);
    char *path = gr_xasprintf("%s/raw-page.html", site);
    gr_techdocs_report report;
    unsigned char *html = NULL;
    size_t size = 0;
    const char *text;

    (void)state;
    if (gr_techdocs_build(source, site, NULL, &report) != GR_OK)
        fail_msg("building the payload site failed: %s", gr_error_last());
    gr_techdocs_report_free(&report);
    assert_int_equal(gr_techdocs_read_file(path, 1 << 20, &html, &size), GR_OK);
    text = (const char *)html;
    assert_non_null(strstr(text, "<p>A raw HTML page kept in the docs folder.</p>"));
    assert_non_null(strstr(text, "<title>Raw page</title>"));
    assert_non_null(strstr(text, "<a href=\"safe.html\">click</a>"));
    assert_non_null(strstr(text, "alt=\"broken\""));
    assert_null(strstr(text, "<script"));
    assert_null(strstr(text, "<meta"));
    assert_null(strstr(text, "<base"));
    assert_null(strstr(text, "<iframe"));
    assert_null(strstr(text, "<object"));
    assert_null(strstr(text, "<embed"));
    assert_null(strstr(text, "<frame"));
    assert_null(strstr(text, "onload"));
    assert_null(strstr(text, "onerror"));
    assert_null(strstr(text, "javascript:"));
    assert_null(strstr(text, "attacker.example/x.js"));

    free(html);
    gr_test_rmtree(out);
    free(path);
    free(site);
    free(out);
    free(source);
}

/* The checker itself must catch each form, or a passing corpus proves nothing. */
static void checker_finds_payloads(void **state)
{
    static const char *const unsafe[] = {
        "<script>x</script>",
        "<img src=x onerror=alert(1)>",
        "<img/src=\"x\"/onerror=alert(1)>",
        "<a href=\"java&#x09;script:alert(1)\">x</a>",
        "<a href=\"&#106avascript:alert(1)\">x</a>",
        "<a href=javascript&colon;alert(1)>x</a>",
        "<iframe srcdoc=\"x\"></iframe>",
        "<!--><img src=x onerror=alert(1)>-->",
        "<meta http-equiv=refresh content=\"0;url=x\">",
        "<svg><set attributeName=onclick to=alert(1) /></svg>",
        "<a href=\"data:text/html,x\">x</a>",
        "<iframe src=\"https://example.com/\"></iframe>",
        "<object data=\"x.swf\"></object>",
        "<embed src=\"x.swf\">",
        "<frameset><frame src=\"x.html\"></frameset>",
    };
    static const char *const safe[] = {
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        "<a href=\"https://example.com/javascript:x\">x</a>",
        "<!-- <img src=x onerror=alert(1)> -->",
        "<img src=\"data:image/png;base64,AAAA\" alt=\"x\">",
        "<p title=\"one\">on</p>",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
        findings found = {GR_BUF_INIT, 0, NULL, NULL};

        check_html(&found, "case", unsafe[i]);
        if (found.count == 0)
            fail_msg("the checker missed: %s", unsafe[i]);
        gr_buf_free(&found.problems);
    }
    for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++) {
        findings found = {GR_BUF_INIT, 0, NULL, NULL};

        check_html(&found, "case", safe[i]);
        if (found.count != 0)
            fail_msg("the checker flagged safe HTML: %s", gr_buf_cstr(&found.problems));
        gr_buf_free(&found.problems);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checker_finds_payloads),
        cmocka_unit_test(corpus_renders_inert),
        cmocka_unit_test(raw_html_file_sanitized),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
