/* SPDX-License-Identifier: MIT */
/* Unit tests for TechDocs page rendering and whole-site builds on real folders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/gr_test.h"
#include "host/common/error.h"
#include "plugins/techdocs/build/build.h"
#include "plugins/techdocs/build/cli.h"
#include "plugins/techdocs/build/markdown.h"

static int only_a_md(const char *src_uri, void *payload)
{
    (void)payload;
    return strcmp(src_uri, "a.md") == 0;
}

static char *render(const char *markdown, gr_techdocs_page_html *page)
{
    static const gr_techdocs_markdown_options options = {
        .toc_permalink = 1, .admonition = 1, .details = 1, .footnotes = 1,
        .def_list = 1, .attr_list = 1,
    };
    gr_techdocs_link_context links = {"index.md", only_a_md, NULL};

    assert_int_equal(gr_techdocs_render_markdown(markdown, strlen(markdown), 1, &options, &links,
                                                 page),
                     GR_OK);
    return page->html;
}

static void admonition_default_title(void **state)
{
    gr_techdocs_page_html page;
    const char *html = render("!!! note\n    Body text.\n", &page);

    (void)state;
    assert_non_null(strstr(html, "<div class=\"admonition note\">\n"
                                 "<p class=\"admonition-title\">Note</p>\n<p>Body text.</p>\n</div>"));
    gr_techdocs_page_html_free(&page);
}

static void admonition_custom_and_empty_title(void **state)
{
    gr_techdocs_page_html page;
    const char *html = render("!!! Warning Danger \"Mind *this*\"\n    A\n\n"
                              "!!! tip \"\"\n    B\n",
                              &page);

    (void)state;
    assert_non_null(strstr(html, "<div class=\"admonition warning danger\">"));
    assert_non_null(strstr(html, "<p class=\"admonition-title\">Mind <em>this</em></p>"));
    assert_non_null(strstr(html, "<div class=\"admonition tip\">\n<p>B</p>"));
    gr_techdocs_page_html_free(&page);
}

static void details_collapsed_and_open(void **state)
{
    gr_techdocs_page_html page;
    const char *html = render("??? info \"More\"\n    Hidden\n\n???+ bug\n    Shown\n", &page);

    (void)state;
    assert_non_null(strstr(html, "<details class=\"info\">\n<summary>More</summary>\n<p>Hidden</p>"));
    assert_non_null(strstr(html, "<details class=\"bug\" open=\"open\">\n<summary>Bug</summary>"));
    gr_techdocs_page_html_free(&page);
}

static void admonition_nests_and_keeps_body(void **state)
{
    gr_techdocs_page_html page;
    const char *html = render("!!! note\n    Outer\n\n    !!! tip\n        Inner [x](a.md)\n\n"
                              "    After\n\nOutside\n",
                              &page);

    (void)state;
    assert_non_null(strstr(html, "<div class=\"admonition tip\">"));
    assert_non_null(strstr(html, "<p>Inner <a href=\"a/\">x</a></p>\n</div>\n<p>After</p>\n</div>"));
    assert_non_null(strstr(html, "<p>Outside</p>"));
    gr_techdocs_page_html_free(&page);
}

static void bang_line_in_fence_stays_code(void **state)
{
    gr_techdocs_page_html page;
    const char *html = render("```python\n!!! note\n# not a heading\n```\n", &page);

    (void)state;
    assert_null(strstr(html, "admonition"));
    assert_non_null(strstr(html, "<code class=\"language-python\">"));
    assert_int_equal(page.heading_count, 0);
    gr_techdocs_page_html_free(&page);
}

static void headings_get_ids_and_permalinks(void **state)
{
    gr_techdocs_page_html page;
    const char *html = render("# Intro\n\n## Intro\n\n## Setup {: #custom .wide }\n\n"
                              "## `code` &amp; more\n",
                              &page);

    (void)state;
    assert_int_equal(page.heading_count, 4);
    assert_string_equal(page.headings[0].id, "intro");
    assert_string_equal(page.headings[1].id, "intro_1");
    assert_string_equal(page.headings[2].id, "custom");
    assert_string_equal(page.headings[3].id, "code-more");
    assert_string_equal(page.headings[3].title, "code &amp; more");
    assert_non_null(strstr(html, "<h2 id=\"intro_1\">Intro<a class=\"headerlink\" "
                                 "href=\"#intro_1\" title=\"Permanent link\">&para;</a></h2>"));
    assert_non_null(strstr(html, "<h2 class=\"wide\" id=\"custom\">Setup<a"));
    gr_techdocs_page_html_free(&page);
}

static void footnotes_and_definitions(void **state)
{
    gr_techdocs_page_html page;
    const char *html = render("Text[^n].\n\nTerm\n:   Meaning\n\n[^n]: The note.\n", &page);

    (void)state;
    assert_non_null(strstr(html, "<sup id=\"fnref:n\"><a class=\"footnote-ref\" "
                                 "href=\"#fn:n\">1</a></sup>"));
    assert_non_null(strstr(html, "<dl>\n<dt>Term</dt>\n<dd>Meaning</dd>\n</dl>"));
    assert_non_null(strstr(html, "<li id=\"fn:n\">\n<p>The note.&#160;<a class=\"footnote-backref\""));
    gr_techdocs_page_html_free(&page);
}

static void raw_html_is_sanitized(void **state)
{
    gr_techdocs_page_html page;
    const char *html = render("<div onclick=\"x()\" class=\"k\">ok</div>\n\n"
                              "<script>alert(1)</script>\n\n"
                              "Inline <img src=\"javascript:alert(1)\" alt=\"i\"> and "
                              "[bad](javascript:alert(2)) <b>bold</b>\n",
                              &page);

    (void)state;
    assert_null(strstr(html, "script"));
    assert_null(strstr(html, "onclick"));
    assert_null(strstr(html, "javascript:"));
    assert_non_null(strstr(html, "<div class=\"k\">ok</div>"));
    assert_non_null(strstr(html, "<b>bold</b>"));
    assert_non_null(strstr(html, "<a>bad</a>"));
    gr_techdocs_page_html_free(&page);
}

static void broken_links_carry_lines(void **state)
{
    gr_techdocs_page_html page;

    (void)state;
    render("Intro\n\nSee [a](a.md).\n\n!!! note\n    Read [gone](gone.md#x).\n\n![pic](pic.png)\n",
           &page);
    assert_int_equal(page.link_count, 3);
    assert_int_equal(page.links[0].status, GR_TECHDOCS_LINK_REWRITTEN);
    assert_int_equal(page.links[0].line, 3);
    assert_int_equal(page.links[1].status, GR_TECHDOCS_LINK_MISSING);
    assert_int_equal(page.links[1].line, 6);
    assert_int_equal(page.links[2].status, GR_TECHDOCS_LINK_MISSING);
    assert_true(page.links[2].is_image);
    assert_int_equal(page.links[2].line, 8);
    gr_techdocs_page_html_free(&page);
}

static char *read_text(const char *dir, const char *name)
{
    char *path = NULL;
    FILE *file;
    char *text = calloc(1, 1 << 16);

    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    file = fopen(path, "rb");
    free(path);
    if (file == NULL) {
        free(text);
        return NULL;
    }
    size_t got = fread(text, 1, (1 << 16) - 1, file);
    text[got] = '\0';
    fclose(file);
    return text;
}

static void implicit_nav_orders_pages(void **state)
{
    char *root = gr_test_tmpdir("techdocs-nav");
    char *out = NULL;
    char *nav;
    gr_techdocs_report report;

    (void)state;
    gr_test_write_file(root, "mkdocs.yml", "site_name: Nav\n");
    gr_test_write_file(root, "docs/zeta.md", "# Zeta page\n");
    gr_test_write_file(root, "docs/alpha.md", "No heading here.\n");
    gr_test_write_file(root, "docs/index.md", "Welcome.\n");
    gr_test_write_file(root, "docs/user-guide/README.md", "# Guide\n");
    gr_test_write_file(root, "docs/user-guide/Setup_Steps.md", "text\n");
    assert_true(asprintf(&out, "%s/site", root) > 0);

    assert_int_equal(gr_techdocs_build(root, out, NULL, &report), GR_OK);
    assert_int_equal(report.page_count, 5);
    nav = read_text(out, "techdocs_nav.json");
    assert_non_null(nav);
    assert_non_null(strstr(nav, "{\"items\":[{\"edit_url\":null,\"source\":\"index.md\","
                                "\"title\":\"Home\",\"type\":\"page\",\"url\":\"./\"},"
                                "{\"edit_url\":null,\"source\":\"alpha.md\",\"title\":\"Alpha\""));
    assert_non_null(strstr(nav, "\"source\":\"zeta.md\",\"title\":\"Zeta page\""));
    assert_non_null(strstr(nav, "{\"children\":[{\"edit_url\":null,\"source\":"
                                "\"user-guide/README.md\",\"title\":\"Guide\""));
    assert_non_null(strstr(nav, "\"title\":\"Setup Steps\""));
    assert_non_null(strstr(nav, "\"title\":\"User guide\",\"type\":\"section\""));
    free(nav);
    nav = read_text(out, "user-guide/index.html");
    assert_non_null(nav);
    free(nav);
    gr_techdocs_report_free(&report);
    gr_test_rmtree(root);
    free(out);
    free(root);
}

/* The build command also takes the path of the mkdocs.yml file, as `mkdocs build -f` does. */
static void build_command_takes_mkdocs_file(void **state)
{
    char *root = gr_test_tmpdir("techdocs-file-arg");
    char *config = NULL;
    char *out = NULL;
    char *page;
    char *argv[4];

    (void)state;
    gr_test_write_file(root, "mkdocs.yml", "site_name: File\n");
    gr_test_write_file(root, "docs/index.md", "# Welcome\n");
    assert_true(asprintf(&config, "%s/mkdocs.yml", root) > 0);
    assert_true(asprintf(&out, "%s/site", root) > 0);
    argv[0] = "build";
    argv[1] = config;
    argv[2] = "-o";
    argv[3] = out;

    assert_int_equal(gr_techdocs_build_main(4, argv), 0);
    page = read_text(out, "index.html");
    assert_non_null(page);
    assert_non_null(strstr(page, "Welcome"));
    free(page);
    gr_test_rmtree(root);
    free(config);
    free(out);
    free(root);
}

static void broken_links_warn_and_strict_fails(void **state)
{
    char *root = gr_test_tmpdir("techdocs-links");
    char *out = NULL;
    char *secret;
    gr_techdocs_report report;
    gr_techdocs_options strict = {.strict = 1};

    (void)state;
    gr_test_write_file(root, "mkdocs.yml",
                       "site_name: Links\nnav:\n  - Home: index.md\n  - Gone: gone.md\n"
                       "markdown_extensions:\n  - toc:\n      permalink: true\n"
                       "  - pymdownx.superfences:\n      custom_fences:\n        - name: x\n"
                       "          format: !!python/name:pymdownx.superfences.fence_code_format\n"
                       "  - abbr\n");
    gr_test_write_file(root, "docs/index.md", "# Home\n\n[ok](other.md)\n[bad](missing.md)\n"
                                              "[up](../../etc/passwd.md)\n");
    gr_test_write_file(root, "docs/other.md", "# Other\n");
    assert_true(asprintf(&out, "%s/site", root) > 0);

    assert_int_equal(gr_techdocs_build(root, out, NULL, &report), GR_OK);
    assert_int_equal(report.content_warnings, 3);
    assert_int_equal(report.warnings[0].kind, GR_TECHDOCS_WARNING_UNSUPPORTED);
    assert_int_equal(report.warnings[0].line, 12);
    assert_non_null(strstr(report.warnings[0].message, "abbr"));
    assert_string_equal(report.warnings[1].file, "mkdocs.yml");
    assert_int_equal(report.warnings[1].line, 4);
    assert_string_equal(report.warnings[2].file, "docs/index.md");
    assert_int_equal(report.warnings[2].line, 4);
    assert_int_equal(report.warnings[3].line, 5);
    secret = read_text(out, "../../etc/passwd.md");
    assert_null(secret);
    gr_techdocs_report_free(&report);

    assert_int_equal(gr_techdocs_build(root, out, &strict, &report), GR_EINVALID);
    assert_int_equal(report.content_warnings, 3);
    gr_techdocs_report_free(&report);
    gr_test_rmtree(root);
    free(out);
    free(root);
}

static void docs_dir_outside_rejected(void **state)
{
    char *root = gr_test_tmpdir("techdocs-outside");
    char *site = NULL;
    char *out = NULL;
    gr_techdocs_report report;

    (void)state;
    gr_test_write_file(root, "elsewhere/index.md", "# Secret\n");
    gr_test_write_file(root, "site/mkdocs.yml", "site_name: Out\ndocs_dir: ../elsewhere\n");
    assert_true(asprintf(&site, "%s/site", root) > 0);
    assert_true(asprintf(&out, "%s/out", root) > 0);

    assert_int_equal(gr_techdocs_build(site, out, NULL, &report), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "outside the site folder"));
    assert_int_equal(report.page_count, 0);
    gr_techdocs_report_free(&report);
    gr_test_rmtree(root);
    free(site);
    free(out);
    free(root);
}

/* An output folder whose parents are missing is made with them, as MkDocs does. */
static void out_parents_created(void **state)
{
    char *root = gr_test_tmpdir("techdocs-parents");
    char *out = NULL;
    char *text;
    gr_techdocs_report report;

    (void)state;
    gr_test_write_file(root, "mkdocs.yml", "site_name: Parents\n");
    gr_test_write_file(root, "docs/index.md", "# Parents\n");
    assert_true(asprintf(&out, "%s/a/b/site", root) > 0);

    assert_int_equal(gr_techdocs_build(root, out, NULL, &report), GR_OK);
    text = read_text(out, "index.html");
    assert_non_null(text);
    free(text);
    gr_techdocs_report_free(&report);
    free(out);
    gr_test_rmtree(root);
    free(root);
}

static void site_data_files_written(void **state)
{
    char *root = gr_test_tmpdir("techdocs-data");
    char *out = NULL;
    char *text;
    gr_techdocs_report report;

    (void)state;
    gr_test_write_file(root, "mkdocs.yml",
                       "site_name: Data\nsite_description: About data\n"
                       "repo_url: https://github.com/org/repo\nplugins:\n  - techdocs-core\n");
    gr_test_write_file(root, "docs/index.md", "# Data\n\nFirst words.\n\n## Part two\n\nMore.\n");
    gr_test_write_file(root, "docs/img/logo.png", "PNG");
    assert_true(asprintf(&out, "%s/site", root) > 0);

    assert_int_equal(gr_techdocs_build(root, out, NULL, &report), GR_OK);
    assert_int_equal(report.file_count, 1);
    text = read_text(out, "search/search_index.json");
    assert_non_null(text);
    assert_non_null(strstr(text, "{\"location\":\"\",\"text\":\"Data \\u00B6 First words. "
                                 "Part two \\u00B6 More.\",\"title\":\"Data\"}"));
    assert_non_null(strstr(text, "{\"location\":\"#part-two\",\"text\":\"More.\","
                                 "\"title\":\"Part two\"}"));
    free(text);
    text = read_text(out, "techdocs_metadata.json");
    assert_non_null(text);
    assert_non_null(strstr(text, "\"site_description\":\"About data\""));
    assert_non_null(strstr(text, "\"files\":[\"index.html\",\"img/logo.png\","
                                 "\"techdocs_nav.json\",\"search/search_index.json\"]"));
    assert_non_null(strstr(text, "\"etag\":\""));
    free(text);
    text = read_text(out, "techdocs_nav.json");
    assert_non_null(strstr(text, "https://github.com/org/repo/edit/master/docs/index.md"));
    free(text);
    text = read_text(out, "img/logo.png");
    assert_string_equal(text, "PNG");
    free(text);
    gr_techdocs_report_free(&report);
    gr_test_rmtree(root);
    free(out);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(admonition_default_title),
        cmocka_unit_test(admonition_custom_and_empty_title),
        cmocka_unit_test(details_collapsed_and_open),
        cmocka_unit_test(admonition_nests_and_keeps_body),
        cmocka_unit_test(bang_line_in_fence_stays_code),
        cmocka_unit_test(headings_get_ids_and_permalinks),
        cmocka_unit_test(footnotes_and_definitions),
        cmocka_unit_test(raw_html_is_sanitized),
        cmocka_unit_test(broken_links_carry_lines),
        cmocka_unit_test(implicit_nav_orders_pages),
        cmocka_unit_test(build_command_takes_mkdocs_file),
        cmocka_unit_test(broken_links_warn_and_strict_fails),
        cmocka_unit_test(docs_dir_outside_rejected),
        cmocka_unit_test(site_data_files_written),
        cmocka_unit_test(out_parents_created),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
