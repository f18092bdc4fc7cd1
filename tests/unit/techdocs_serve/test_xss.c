/* SPDX-License-Identifier: MIT */
/* Builds the XSS payload site and checks that no built or served page can run script. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/techdocs/build/build.h"
#include "plugins/techdocs/files.h"
#include "plugins/techdocs/render.h"

/*
 * The checker reads HTML the way a browser's tokenizer does, independently
 * of the sanitizer: tags, attributes with quoted or bare values, '/' between
 * attributes, comments that end at "-->", "--!>" or right after "<!--" or
 * "<!---". It is stricter than a browser in one way: markup inside raw-text
 * elements (style, textarea, title) is checked too, because inside SVG or
 * MathML those elements hold markup.
 */

typedef struct {
    gr_buf problems;
    int count;
} findings;

static void report(findings *found, const char *file, const char *html, const char *at,
                   const char *what)
{
    size_t offset = (size_t)(at - html);
    size_t start = offset > 40 ? offset - 40 : 0;

    gr_buf_printf(&found->problems, "%s: %s near \"%.100s\"\n", file, what, html + start);
    found->count++;
}

/* Decodes character references as an attribute value does (a numeric one
 * needs no ';'), then drops ASCII whitespace and control characters and
 * lowers the case: what a URL parser sees of the scheme. */
static void scheme_view(const char *value, size_t len, char *out, size_t cap)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"colon;", ':'}, {"tab;", '\t'}, {"newline;", '\n'}, {"lpar;", '('},
                 {"rpar;", ')'},  {"sol;", '/'},  {"period;", '.'}};
    size_t used = 0;

    for (size_t i = 0; i < len && used + 1 < cap; i++) {
        unsigned long c = (unsigned char)value[i];

        if (c == '&' && i + 1 < len && value[i + 1] == '#') {
            size_t j = i + 2;
            int hex = j < len && (value[j] == 'x' || value[j] == 'X');
            unsigned long code = 0;

            j += hex;
            while (j < len && (hex ? isxdigit((unsigned char)value[j])
                                   : isdigit((unsigned char)value[j]))) {
                code = code * (hex ? 16 : 10) +
                       (unsigned long)(isdigit((unsigned char)value[j])
                                           ? value[j] - '0'
                                           : tolower((unsigned char)value[j]) - 'a' + 10);
                if (code > 0x10ffff)
                    code = 0x10ffff;
                j++;
            }
            if (j < len && value[j] == ';')
                j++;
            c = code;
            i = j - 1;
        } else if (c == '&') {
            for (size_t n = 0; n < sizeof(named) / sizeof(named[0]); n++) {
                size_t name_len = strlen(named[n].name);

                if (i + 1 + name_len <= len &&
                    strncasecmp(value + i + 1, named[n].name, name_len) == 0) {
                    c = (unsigned char)named[n].c;
                    i += name_len;
                    break;
                }
            }
        }
        if (c <= 0x20 || c == 0x7f)
            continue;
        out[used++] = c < 128 ? (char)tolower((int)c) : '?';
    }
    out[used] = '\0';
}

static int url_runs_script(const char *value, size_t len)
{
    char scheme[64];

    scheme_view(value, len, scheme, sizeof(scheme));
    if (strncmp(scheme, "javascript:", 11) == 0 || strncmp(scheme, "vbscript:", 9) == 0)
        return 1;
    return strncmp(scheme, "data:", 5) == 0 && strncmp(scheme, "data:image/png", 14) != 0 &&
           strncmp(scheme, "data:image/jpeg", 15) != 0 && strncmp(scheme, "data:image/gif", 14) != 0;
}

static int is_url_attribute(const char *name)
{
    static const char *const names[] = {"href",   "src",    "action", "formaction", "xlink:href",
                                        "data",   "background", "poster", "values", "to",
                                        "from",   "by",     "codebase", "cite", "ping",
                                        "manifest", "icon", "longdesc", "dynsrc", "lowsrc"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0)
            return 1;
    }
    return 0;
}

/* Checks the attribute `name` = value[0..len) of element `tag`. */
static void check_attribute(findings *found, const char *file, const char *html, const char *at,
                            const char *tag, const char *name, const char *value, size_t len)
{
    if (strncmp(name, "on", 2) == 0)
        report(found, file, html, at, "event-handler attribute");
    else if (strcmp(name, "srcdoc") == 0)
        report(found, file, html, at, "srcdoc attribute (a document in an attribute)");
    else if (strcmp(name, "http-equiv") == 0 && strcmp(tag, "meta") == 0)
        report(found, file, html, at, "meta http-equiv");
    else if (strcmp(name, "attributename") == 0 && len >= 2 && strncasecmp(value, "on", 2) == 0)
        report(found, file, html, at, "animation of an event handler");
    else if (is_url_attribute(name) && url_runs_script(value, len))
        report(found, file, html, at, "script URL");
}

/* Skips a comment starting at `p` ("<!"), returning the position after it. */
static const char *skip_comment(const char *p)
{
    const char *end;

    if (strncmp(p, "<!--", 4) != 0) {
        end = strchr(p, '>');
        return end ? end + 1 : p + strlen(p);
    }
    if (p[4] == '>')
        return p + 5;
    if (strncmp(p + 4, "->", 2) == 0)
        return p + 6;
    for (end = p + 4; *end != '\0'; end++) {
        if (strncmp(end, "-->", 3) == 0)
            return end + 3;
        if (strncmp(end, "--!>", 4) == 0)
            return end + 4;
    }
    return end;
}

static const char *read_name(const char *p, char *out, size_t cap)
{
    size_t used = 0;

    while (*p != '\0' && !isspace((unsigned char)*p) && *p != '/' && *p != '>' && *p != '=') {
        if (used + 1 < cap)
            out[used++] = (char)tolower((unsigned char)*p);
        p++;
    }
    out[used] = '\0';
    return p;
}

/* Reads one tag starting at `p` ('<' then a letter or '/'); returns the position after it. */
static const char *check_tag(findings *found, const char *file, const char *html, const char *p)
{
    const char *start = p;
    int closing = p[1] == '/';
    char tag[64];
    char name[64];

    p = read_name(p + 1 + closing, tag, sizeof(tag));
    if (!closing && (strcmp(tag, "script") == 0 || strcmp(tag, "base") == 0))
        report(found, file, html, start, strcmp(tag, "base") == 0 ? "base element" : "script element");
    while (*p != '\0' && *p != '>') {
        const char *value = "";
        size_t len = 0;
        const char *attr_at;

        while (isspace((unsigned char)*p) || *p == '/')
            p++;
        if (*p == '>' || *p == '\0')
            break;
        attr_at = p;
        p = read_name(p == attr_at && *p == '=' ? p + 1 : p, name, sizeof(name));
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '=') {
            p++;
            while (isspace((unsigned char)*p))
                p++;
            if (*p == '"' || *p == '\'') {
                char quote = *p++;
                const char *end = strchr(p, quote);

                value = p;
                len = end ? (size_t)(end - p) : strlen(p);
                p = end ? end + 1 : p + len;
            } else {
                value = p;
                while (*p != '\0' && !isspace((unsigned char)*p) && *p != '>')
                    p++;
                len = (size_t)(p - value);
            }
        }
        if (!closing)
            check_attribute(found, file, html, attr_at, tag, name, value, len);
    }
    return *p == '>' ? p + 1 : p;
}

static void check_html(findings *found, const char *file, const char *html)
{
    const char *p = html;

    for (const char *s = strcasestr(html, "<script"); s != NULL; s = strcasestr(s + 1, "<script"))
        report(found, file, html, s, "the text <script");
    while ((p = strchr(p, '<')) != NULL) {
        if (p[1] == '!')
            p = skip_comment(p);
        else if (isalpha((unsigned char)p[1]) || (p[1] == '/' && isalpha((unsigned char)p[2])))
            p = check_tag(found, file, html, p);
        else
            p++;
    }
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
    findings found = {GR_BUF_INIT, 0};
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
    assert_int_equal(pages, 7);
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
        findings found = {GR_BUF_INIT, 0};

        check_html(&found, "case", unsafe[i]);
        if (found.count == 0)
            fail_msg("the checker missed: %s", unsafe[i]);
        gr_buf_free(&found.problems);
    }
    for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++) {
        findings found = {GR_BUF_INIT, 0};

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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
