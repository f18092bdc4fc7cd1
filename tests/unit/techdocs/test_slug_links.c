/* SPDX-License-Identifier: MIT */
/* Unit tests for heading ids and link rewriting; expected values come from
 * Python-Markdown 3.4.1 (toc.slugify, toc.unique) and MkDocs 1.4.2 (path_to_url). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/techdocs/build/slug.h"
#include "plugins/techdocs/build/urls.h"

static const struct {
    const char *text;
    const char *slug;
} slug_cases[] = {
    {"Hello World", "hello-world"},
    {"Hello, World!", "hello-world"},
    {"  padded  ", "padded"},
    {"a--b", "a-b"},
    {"a - b", "a-b"},
    {"under_score", "under_score"},
    {"CamelCase", "camelcase"},
    {"1. Numbered", "1-numbered"},
    {"C++ & C#", "c-c"},
    {"What's new?", "whats-new"},
    {"foo.bar", "foobar"},
    {"foo/bar", "foobar"},
    {"tabs\tand\nnewlines", "tabs-and-newlines"},
    {"\xc3\x9c""n\xc3\xaf""c\xc3\xb6""d\xc3\xa9""", "unicode"},
    {"\xc5\xbe""lut\xc3\xbd"" k\xc5\xaf""\xc5\x88""", "zluty-kun"},
    {"Stra\xc3\x9f""e", "strae"},
    {"na\xc3\xaf""ve caf\xc3\xa9""", "naive-cafe"},
    {"\xe6\x97\xa5""\xe6\x9c\xac""\xe8\xaa\x9e""", ""},
    {"\xd0\x9f""\xd1\x80""\xd0\xb8""\xd0\xb2""\xd0\xb5""\xd1\x82"" \xd0\xbc""\xd0\xb8""\xd1\x80""", ""},
    {"\xef\xac\x81""nance", "finance"},
    {"\xe2\x91\xa0""\xe2\x91\xa1""\xe2\x91\xa2""", "123"},
    {"\xef\xbc\xa1""\xef\xbd\x82""\xef\xbd\x83""", "abc"},
    {"x\xc2\xb2""", "x2"},
    {"\xe2\x84\xa2"" Trademark", "tm-trademark"},
    {"\xc2\xbd"" half", "12-half"},
    {"emoji \xf0\x9f\x8e\x89"" party", "emoji-party"},
    {"---", "-"},
    {"", ""},
    {"   ", ""},
    {"!!!", ""},
    {"a\xc2\xa0""b", "a-b"},
    {"dash\xe2\x80\x94""em", "dashem"},
    {"quote \xc2\xab""x\xc2\xbb""", "quote-x"},
    {"[link](url)", "linkurl"},
    {"`code`", "code"},
    {"Version 1.2.3", "version-123"},
    {"__init__", "__init__"},
    {"a_b-c d", "a_b-c-d"},
    {"-leading", "-leading"},
    {"trailing-", "trailing-"},
    {"multiple   spaces", "multiple-spaces"},
    {"\xce\xa9"" omega", "omega"},
    {"\xc3\x86""sir", "sir"},
    {"\xc5\x92""uvre", "uvre"},
    {"\xc3\x85""ngstr\xc3\x96""m", "angstrom"},
    {"a\x1c""b", "a-b"},
    {"\xef\xbc\xa8""\xef\xbd\x85""\xef\xbd\x8c""\xef\xbd\x8c""\xef\xbd\x8f""\xe3\x80\x80""\xef\xbc\xb7""\xef\xbd\x8f""\xef\xbd\x92""\xef\xbd\x8c""\xef\xbd\x84""", "hello-world"},
    {"\xef\xac\x80"" ligature", "ff-ligature"},
    {"\xe2\x84\x8c""ilbert", "hilbert"},
    {"e\xcc\x81""t\xcc\x81""e\xcc\x81""", "ete"},
};

static void slugify_matches_python_markdown(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(slug_cases) / sizeof(slug_cases[0]); i++) {
        char *slug = gr_techdocs_slugify(slug_cases[i].text, strlen(slug_cases[i].text), '-');
        if (strcmp(slug, slug_cases[i].slug) != 0)
            fprintf(stderr, "case %zu: '%s' gave '%s', expected '%s'\n", i, slug_cases[i].text,
                    slug, slug_cases[i].slug);
        assert_string_equal(slug, slug_cases[i].slug);
        free(slug);
    }
}

static void slugify_other_separator(void **state)
{
    char *slug = gr_techdocs_slugify("a b--c", 6, '_');

    (void)state;
    assert_string_equal(slug, "a_b--c");
    free(slug);
}

static void unique_appends_counters(void **state)
{
    static const char *const input[] = {"a", "a", "a", "a_1", "", "", "b_2", "b_2"};
    static const char *const expected[] = {"a", "a_1", "a_2", "a_3", "_1", "_2", "b_2", "b_3"};
    gr_techdocs_idset *set = gr_techdocs_idset_new();

    (void)state;
    for (size_t i = 0; i < sizeof(input) / sizeof(input[0]); i++) {
        char *id = gr_techdocs_idset_unique(set, input[i]);
        assert_string_equal(id, expected[i]);
        free(id);
    }
    assert_true(gr_techdocs_idset_contains(set, "a_3"));
    assert_false(gr_techdocs_idset_contains(set, "a_4"));
    gr_techdocs_idset_free(set);
}

static void unique_grows_past_capacity(void **state)
{
    gr_techdocs_idset *set = gr_techdocs_idset_new();
    char *id = NULL;

    (void)state;
    for (int i = 0; i < 300; i++) {
        free(id);
        id = gr_techdocs_idset_unique(set, "same");
    }
    assert_string_equal(id, "same_299");
    free(id);
    gr_techdocs_idset_free(set);
}

static const char *const site_files[] = {"index.md",    "a.md",      "dir/index.md",
                                         "dir/b.md",    "dir/sub/c.md", "other.md",
                                         "img.png",     "dir/pic.svg", "my page.md",
                                         "files/x.py",  "dir/README.md"};

static int site_has(const char *src_uri, void *payload)
{
    (void)payload;
    for (size_t i = 0; i < sizeof(site_files) / sizeof(site_files[0]); i++) {
        if (strcmp(site_files[i], src_uri) == 0)
            return 1;
    }
    return 0;
}

static const struct {
    const char *page;
    const char *url;
    const char *expected;
} link_cases[] = {
    {"index.md", "a.md", "a/"},
    {"index.md", "a.md#anchor", "a/#anchor"},
    {"index.md", "dir/index.md", "dir/"},
    {"index.md", "dir/b.md", "dir/b/"},
    {"index.md", "./a.md", "a/"},
    {"index.md", "img.png", "img.png"},
    {"index.md", "dir/pic.svg", "dir/pic.svg"},
    {"index.md", "missing.md", "missing.md"},
    {"index.md", "../../etc/passwd", "../../etc/passwd"},
    {"index.md", "../a.md", "../a.md"},
    {"index.md", "#local", "#local"},
    {"index.md", "https://example.com/a.md", "https://example.com/a.md"},
    {"index.md", "//host/a.md", "//host/a.md"},
    {"index.md", "/abs/a.md", "/abs/a.md"},
    {"index.md", "mailto:x@y.z", "mailto:x@y.z"},
    {"index.md", "dir/", "dir/"},
    {"index.md", "a.md?x=1#y", "a/?x=1#y"},
    {"index.md", "my%20page.md", "my%20page/"},
    {"index.md", "files/x.py", "files/x.py"},
    {"a.md", "index.md", "../"},
    {"a.md", "dir/b.md", "../dir/b/"},
    {"a.md", "img.png", "../img.png"},
    {"a.md", "a.md#self", "./#self"},
    {"dir/b.md", "../index.md", "../../"},
    {"dir/b.md", "index.md", "../"},
    {"dir/b.md", "sub/c.md", "../sub/c/"},
    {"dir/b.md", "../a.md#top", "../../a/#top"},
    {"dir/b.md", "pic.svg", "../pic.svg"},
    {"dir/b.md", "../img.png", "../../img.png"},
    {"dir/sub/c.md", "../../a.md", "../../../a/"},
    {"dir/sub/c.md", "../b.md", "../../b/"},
    {"dir/sub/c.md", "../../../outside.md", "../../../outside.md"},
    {"dir/index.md", "b.md", "b/"},
    {"dir/index.md", "../a.md", "../a/"},
    {"dir/index.md", "sub/c.md#h", "sub/c/#h"},
    {"index.md", "noext", "noext"},
    {"index.md", "a.md#", "a/"},
    {"dir/b.md", "./", "./"},
    {"index.md", "C:/x.md", "C:/x.md"},
    {"a.md", "dir/sub/../b.md", "../dir/b/"},
};

static void rewrite_matches_mkdocs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++) {
        char *out = NULL;
        gr_techdocs_rewrite_link(link_cases[i].url, link_cases[i].page, site_has, NULL, &out, NULL);
        if (strcmp(out, link_cases[i].expected) != 0)
            fprintf(stderr, "case %zu: %s in %s gave %s, expected %s\n", i, link_cases[i].url,
                    link_cases[i].page, out, link_cases[i].expected);
        assert_string_equal(out, link_cases[i].expected);
        free(out);
    }
}

static void rewrite_reports_status(void **state)
{
    char *out = NULL;
    char *target = NULL;

    (void)state;
    assert_int_equal(gr_techdocs_rewrite_link("dir/b.md#x", "index.md", site_has, NULL, &out,
                                              &target),
                     GR_TECHDOCS_LINK_REWRITTEN);
    assert_string_equal(target, "dir/b.md");
    free(out);
    free(target);

    assert_int_equal(gr_techdocs_rewrite_link("nope.md", "dir/b.md", site_has, NULL, &out,
                                              &target),
                     GR_TECHDOCS_LINK_MISSING);
    assert_string_equal(target, "dir/nope.md");
    assert_string_equal(out, "nope.md");
    free(out);
    free(target);

    assert_int_equal(gr_techdocs_rewrite_link("https://x.org/a.md", "a.md", site_has, NULL, &out,
                                              &target),
                     GR_TECHDOCS_LINK_KEPT);
    assert_null(target);
    free(out);
}

static void traversal_never_resolves(void **state)
{
    static const char *const attempts[] = {"../../etc/passwd", "../../../etc/passwd.md",
                                           "dir/../../secret.txt", "%2e%2e/%2e%2e/etc/passwd.md",
                                           "..%2F..%2Fetc%2Fpasswd.md"};
    (void)state;
    for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
        char *out = NULL;
        char *target = NULL;
        gr_techdocs_link_status status =
            gr_techdocs_rewrite_link(attempts[i], "dir/b.md", site_has, NULL, &out, &target);
        /* A last segment without a dot is no file link for MkDocs: kept, never resolved. */
        assert_int_not_equal(status, GR_TECHDOCS_LINK_REWRITTEN);
        assert_string_equal(out, attempts[i]);
        if (status == GR_TECHDOCS_LINK_MISSING)
            assert_true(strncmp(target, "../", 3) == 0 || strstr(target, "..") == NULL);
        free(out);
        free(target);
    }
}

static void page_urls_follow_mkdocs(void **state)
{
    static const char *const cases[][3] = {
        {"index.md", "index.html", "./"},
        {"README.md", "index.html", "./"},
        {"a.md", "a/index.html", "a/"},
        {"dir/index.md", "dir/index.html", "dir/"},
        {"dir/README.md", "dir/index.html", "dir/"},
        {"dir/b.markdown", "dir/b/index.html", "dir/b/"},
        {"img/logo.png", "img/logo.png", "img/logo.png"},
        {"my page.md", "my page/index.html", "my%20page/"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *dest = gr_techdocs_dest_path(cases[i][0]);
        char *url = gr_techdocs_file_url(cases[i][0]);
        assert_string_equal(dest, cases[i][1]);
        assert_string_equal(url, cases[i][2]);
        free(dest);
        free(url);
    }
}

static void relative_urls_follow_mkdocs(void **state)
{
    static const char *const cases[][3] = {
        {"foo/", "./", "foo/"},       {"./", "foo/", "../"},
        {"a/b/", "a/c/", "../b/"},    {"img.png", "a/b/", "../../img.png"},
        {"a/", "a/", "./"},           {"x/y.png", "x/page.html", "y.png"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *url = gr_techdocs_relative_url(cases[i][0], cases[i][1]);
        assert_string_equal(url, cases[i][2]);
        free(url);
    }
}

static void edit_urls_join_repo(void **state)
{
    char *url;
    char *edit_uri = gr_techdocs_default_edit_uri("https://github.com/org/repo");

    (void)state;
    assert_string_equal(edit_uri, "edit/master/docs/");
    url = gr_techdocs_edit_url("https://github.com/org/repo", edit_uri, "dir/a.md");
    assert_string_equal(url, "https://github.com/org/repo/edit/master/docs/dir/a.md");
    free(url);
    free(edit_uri);

    url = gr_techdocs_edit_url("https://git.example.com/r/", "/other/docs/", "a.md");
    assert_string_equal(url, "https://git.example.com/other/docs/a.md");
    free(url);
    url = gr_techdocs_edit_url(NULL, "https://x.org/edit/", "a.md");
    assert_string_equal(url, "https://x.org/edit/a.md");
    free(url);
    assert_null(gr_techdocs_edit_url("https://x.org", NULL, "a.md"));
    assert_null(gr_techdocs_default_edit_uri("https://git.example.com/r"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slugify_matches_python_markdown),
        cmocka_unit_test(slugify_other_separator),
        cmocka_unit_test(unique_appends_counters),
        cmocka_unit_test(unique_grows_past_capacity),
        cmocka_unit_test(rewrite_matches_mkdocs),
        cmocka_unit_test(rewrite_reports_status),
        cmocka_unit_test(traversal_never_resolves),
        cmocka_unit_test(page_urls_follow_mkdocs),
        cmocka_unit_test(relative_urls_follow_mkdocs),
        cmocka_unit_test(edit_urls_join_repo),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
