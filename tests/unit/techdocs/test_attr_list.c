/* SPDX-License-Identifier: MIT */
/* Unit tests for attribute lists after images and links, against MkDocs 1.4's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/techdocs/build/attr_list.h"
#include "plugins/techdocs/build/markdown.h"

/* One Markdown paragraph and the paragraph MkDocs writes for it. */
typedef struct {
    const char *markdown;
    const char *html;
} render_case;

/*
 * Expected values come from `mkdocs build` (MkDocs 1.4, Python-Markdown
 * 3.4, Debian packages) of an index.md with these lines and attr_list on.
 * Python-Markdown writes attributes sorted by name.
 */
static const render_case mkdocs_cases[] = {
    {"![Logo](img/logo.png){ width=\"300\" }",
     "<p><img alt=\"Logo\" src=\"img/logo.png\" width=\"300\" /></p>"},
    {"![Logo](img/logo.png){: .center #logo }",
     "<p><img alt=\"Logo\" class=\"center\" id=\"logo\" src=\"img/logo.png\" /></p>"},
    {"[Download](a.md){: download=\"hello.py\"}",
     "<p><a download=\"hello.py\" href=\"a/\">Download</a></p>"},
    {"[Download](a.md){: download }", "<p><a download=\"download\" href=\"a/\">Download</a></p>"},
    {"![Logo](img/logo.png){: style=\"width: 100px\" }",
     "<p><img alt=\"Logo\" src=\"img/logo.png\" style=\"width: 100px\" /></p>"},
    {"![Logo](img/logo.png) { width=300 }",
     "<p><img alt=\"Logo\" src=\"img/logo.png\" /> { width=300 }</p>"},
    {"[Site](https://example.com/){ .c1 .c2 #ext data-x=1 }",
     "<p><a class=\"c1 c2\" data-x=\"1\" href=\"https://example.com/\" id=\"ext\">Site</a></p>"},
    {"![Logo](img/logo.png \"Title\"){: width=300 }",
     "<p><img alt=\"Logo\" src=\"img/logo.png\" title=\"Title\" width=\"300\" /></p>"},
    {"text ![Logo](img/logo.png){width=300} more",
     "<p>text <img alt=\"Logo\" src=\"img/logo.png\" width=\"300\" /> more</p>"},
    {"[Site](https://example.com/){ }", "<p><a href=\"https://example.com/\">Site</a>{ }</p>"},
    {"[![Icon](img/icon.png){ width=10 }](a.md){ .button }",
     "<p><a class=\"button\" href=\"a/\"><img alt=\"Icon\" src=\"img/icon.png\" width=\"10\" "
     "/></a></p>"},
    {"[Site](https://example.com/){: .c } tail {: .d }",
     "<p><a class=\"c\" href=\"https://example.com/\">Site</a> tail {: .d }</p>"},
    {"[Site](https://example.com/){: class=\"a\" .b }",
     "<p><a class=\"a b\" href=\"https://example.com/\">Site</a></p>"},
    {"[Site](https://example.com/){: title='say \"hi\"' }",
     "<p><a href=\"https://example.com/\" title=\"say &quot;hi&quot;\">Site</a></p>"},
    {"[Site](https://example.com/){: #one #two target=_blank }",
     "<p><a href=\"https://example.com/\" id=\"two\" target=\"_blank\">Site</a></p>"},
    {"[Site](https://example.com/ \"Old\"){: title=\"New\" }",
     "<p><a href=\"https://example.com/\" title=\"New\">Site</a></p>"},
};

/*
 * MkDocs keeps these attributes; greenroom drops what its raw HTML
 * sanitizer drops, and keeps the rest of the list.
 */
static const render_case unsafe_cases[] = {
    {"[Site](https://example.com/){: onclick=\"alert(1)\" .safe }",
     "<p><a class=\"safe\" href=\"https://example.com/\">Site</a></p>"},
    {"[Site](https://example.com/){: href=\"javascript:alert(1)\" }",
     "<p><a href=\"https://example.com/\">Site</a></p>"},
    {"![x](img/logo.png){: src=\"javascript:alert(1)\" onerror=alert(1) }",
     "<p><img alt=\"x\" src=\"img/logo.png\" /></p>"},
};

static int only_a_md(const char *src_uri, void *payload)
{
    (void)payload;
    return strcmp(src_uri, "a.md") == 0;
}

/* Renders `markdown` as index.md; returns the HTML (caller frees). */
static char *render(const char *markdown, int attr_list)
{
    gr_techdocs_markdown_options options = {.attr_list = attr_list};
    gr_techdocs_link_context links = {"index.md", only_a_md, NULL};
    gr_techdocs_page_html page;
    char *html;

    assert_int_equal(gr_techdocs_render_markdown(markdown, strlen(markdown), 1, &options, &links,
                                                 &page),
                     GR_OK);
    html = page.html;
    page.html = NULL;
    gr_techdocs_page_html_free(&page);
    return html;
}

static void check_cases(const render_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char *html = render(cases[i].markdown, 1);

        if (strstr(html, cases[i].html) == NULL)
            fail_msg("%s\nexpected: %s\nrendered: %s", cases[i].markdown, cases[i].html, html);
        free(html);
    }
}

static void lists_match_mkdocs(void **state)
{
    (void)state;
    check_cases(mkdocs_cases, sizeof(mkdocs_cases) / sizeof(mkdocs_cases[0]));
}

static void unsafe_attributes_dropped(void **state)
{
    (void)state;
    check_cases(unsafe_cases, sizeof(unsafe_cases) / sizeof(unsafe_cases[0]));
}

static void lists_off_stay_text(void **state)
{
    char *html = render("![Logo](img/logo.png){ width=300 }", 0);

    (void)state;
    assert_non_null(strstr(html, "<p><img alt=\"Logo\" src=\"img/logo.png\" />{ width=300 }</p>"));
    free(html);
}

static void heading_attributes_sorted(void **state)
{
    char *html = render("## Setup {: #custom .wide data-x=1 }", 1);

    (void)state;
    assert_non_null(strstr(html, "<h2 class=\"wide\" data-x=\"1\" id=\"custom\">Setup</h2>"));
    free(html);
}

static void scanner_edge_cases(void **state)
{
    gr_techdocs_attributes attrs = GR_TECHDOCS_ATTRIBUTES_INIT;
    size_t from = 0;
    size_t len = 0;

    (void)state;
    gr_techdocs_attributes_apply(&attrs, "a=1 =b c=2", strlen("a=1 =b c=2"));
    assert_int_equal(attrs.count, 1);
    assert_string_equal(gr_techdocs_attributes_get(&attrs, "a"), "1");
    assert_null(gr_techdocs_attributes_get(&attrs, "c"));
    gr_techdocs_attributes_free(&attrs);

    gr_techdocs_attributes_apply(&attrs, "k=\"open", strlen("k=\"open"));
    assert_string_equal(gr_techdocs_attributes_get(&attrs, "k"), "\"open");
    gr_techdocs_attributes_free(&attrs);

    assert_int_equal(gr_techdocs_attribute_list_match("{: .a } x", 9, &from, &len), 7);
    assert_int_equal(from, 3);
    assert_int_equal(len, 2);
    assert_int_equal(gr_techdocs_attribute_list_match("{ }", 3, &from, &len), 0);
    assert_int_equal(gr_techdocs_attribute_list_match("{: .a\n}", 7, &from, &len), 0);
    assert_int_equal(gr_techdocs_attribute_list_match(" {: .a }", 8, &from, &len), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_match_mkdocs),         cmocka_unit_test(unsafe_attributes_dropped),
        cmocka_unit_test(lists_off_stay_text),        cmocka_unit_test(heading_attributes_sorted),
        cmocka_unit_test(scanner_edge_cases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
