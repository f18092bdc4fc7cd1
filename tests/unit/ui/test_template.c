/* SPDX-License-Identifier: MIT */
/* Unit tests for the HTML template language: escaping, sections, partials, filters, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/ui/template/template.h"

/* Compiles `text` as "t" in a fresh set and renders it with `json`. */
static char *render(const char *text, const char *json)
{
    gr_template_set *set = gr_template_set_new();
    json_t *context = json != NULL ? json_loads(json, 0, NULL) : NULL;
    gr_buf out = GR_BUF_INIT;
    int rc;

    assert_int_equal(gr_template_add(set, "t", text, strlen(text), "t.html"), 0);
    rc = gr_template_render(set, "t", context, &out);
    assert_int_equal(rc, 0);
    json_decref(context);
    gr_template_set_free(set);
    gr_buf_puts(&out, "");
    return gr_buf_detach(&out);
}

static void expect(const char *text, const char *json, const char *expected)
{
    char *out = render(text, json);

    assert_string_equal(out, expected);
    free(out);
}

static int compile_error(const char *text)
{
    gr_template_set *set = gr_template_set_new();
    int rc = gr_template_add(set, "t", text, strlen(text), "bad.html");

    gr_template_set_free(set);
    return rc;
}

static void template_escapes_values(void **state)
{
    (void)state;
    expect("<p>{{name}}</p>", "{\"name\":\"<script>alert('x')</script> & \\\"q\\\"\"}",
           "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>");
    expect("<a title=\"{{ t }}\">", "{\"t\":\"\\\" onmouseover=\\\"x\"}",
           "<a title=\"&quot; onmouseover=&quot;x\">");
}

static void template_raw_is_unescaped(void **state)
{
    (void)state;
    expect("{{{html}}}", "{\"html\":\"<b>bold</b>\"}", "<b>bold</b>");
}

static void template_prints_scalars(void **state)
{
    (void)state;
    expect("{{a}},{{b}},{{c}},{{d}},{{e}},{{missing}}",
           "{\"a\":42,\"b\":true,\"c\":false,\"d\":null,\"e\":1.5}", "42,true,,,1.5,");
}

static void template_dotted_paths(void **state)
{
    (void)state;
    expect("{{metadata.name}}/{{metadata.x.y}}", "{\"metadata\":{\"name\":\"svc\"}}", "svc/");
    expect("{{a.1}}|{{a.5}}|{{#a.0}}first{{/a.0}}", "{\"a\":[\"x\",\"y\"]}", "y||first");
}

static void template_section_iterates(void **state)
{
    (void)state;
    expect("<ul>{{#items}}<li>{{.}}</li>{{/items}}</ul>", "{\"items\":[\"a\",\"<b>\"]}",
           "<ul><li>a</li><li>&lt;b&gt;</li></ul>");
    expect("{{#rows}}{{name}}:{{title}};{{/rows}}",
           "{\"title\":\"outer\",\"rows\":[{\"name\":\"x\"},{\"name\":\"y\",\"title\":\"in\"}]}",
           "x:outer;y:in;");
}

static void template_section_truthiness(void **state)
{
    (void)state;
    expect("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}{{#e}}E{{/e}}{{#f}}F{{/f}}",
           "{\"a\":true,\"b\":\"\",\"c\":0,\"d\":[],\"e\":{},\"f\":\"x\"}", "AEF");
    expect("{{^a}}none{{/a}}{{^b}}B{{/b}}", "{\"a\":[],\"b\":1}", "none");
    expect("{{#obj}}{{k}}{{/obj}}", "{\"obj\":{\"k\":\"v\"}}", "v");
}

static void template_nested_sections(void **state)
{
    (void)state;
    expect("{{#g}}[{{#m}}{{.}}{{/m}}]{{/g}}", "{\"g\":[{\"m\":[1,2]},{\"m\":[3]}]}", "[12][3]");
}

static void template_partials(void **state)
{
    gr_template_set *set = gr_template_set_new();
    json_t *context = json_pack("{s:s}", "who", "<you>");
    gr_buf out = GR_BUF_INIT;

    (void)state;
    assert_int_equal(gr_template_add(set, "page", "A{{> part }}C", 13, "page.html"), 0);
    assert_int_equal(gr_template_add(set, "part", "[{{who}}]", 9, "part.html"), 0);
    assert_int_equal(gr_template_check(set), 0);
    assert_int_equal(gr_template_render(set, "page", context, &out), 0);
    assert_string_equal(gr_buf_cstr(&out), "A[&lt;you&gt;]C");
    gr_buf_free(&out);
    json_decref(context);
    gr_template_set_free(set);
}

static void template_override_replaces(void **state)
{
    gr_template_set *set = gr_template_set_new();
    gr_buf out = GR_BUF_INIT;

    (void)state;
    assert_int_equal(gr_template_add(set, "t", "old", 3, "built-in"), 0);
    assert_int_equal(gr_template_add(set, "t", "new {{x}}", 9, "theme/t.html"), 0);
    assert_int_equal(gr_template_render(set, "t", NULL, &out), 0);
    assert_string_equal(gr_buf_cstr(&out), "new ");
    gr_buf_free(&out);

    /* A broken override leaves the earlier template in place. */
    assert_int_equal(gr_template_add(set, "t", "{{#x}}", 6, "theme/t.html"), GR_EINVALID);
    assert_int_equal(gr_template_render(set, "t", NULL, &out), 0);
    assert_string_equal(gr_buf_cstr(&out), "new ");
    gr_buf_free(&out);
    gr_template_set_free(set);
}

static void template_missing_partial(void **state)
{
    gr_template_set *set = gr_template_set_new();
    gr_buf out = GR_BUF_INIT;

    (void)state;
    assert_int_equal(gr_template_add(set, "t", "\n{{> nope}}", 11, "t.html"), 0);
    assert_int_equal(gr_template_check(set), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "t.html:2"));
    assert_non_null(strstr(gr_error_last(), "nope"));
    assert_int_equal(gr_template_render(set, "t", NULL, &out), GR_ENOTFOUND);
    assert_int_equal(gr_template_render(set, "other", NULL, &out), GR_ENOTFOUND);
    gr_buf_free(&out);
    gr_template_set_free(set);
}

static void template_recursive_partial_stops(void **state)
{
    gr_template_set *set = gr_template_set_new();
    gr_buf out = GR_BUF_INIT;

    (void)state;
    assert_int_equal(gr_template_add(set, "t", "x{{>t}}", 7, "t.html"), 0);
    assert_int_equal(gr_template_render(set, "t", NULL, &out), GR_ELIMIT);
    gr_buf_free(&out);
    gr_template_set_free(set);
}

static void template_syntax_errors(void **state)
{
    (void)state;
    assert_int_equal(compile_error("{{#a}}x"), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "bad.html:1"));
    assert_int_equal(compile_error("a\n{{/a}}"), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "bad.html:2"));
    assert_int_equal(compile_error("{{#a}}{{/b}}"), GR_EINVALID);
    assert_int_equal(compile_error("{{name"), GR_EINVALID);
    assert_int_equal(compile_error("{{{raw}}"), GR_EINVALID);
    assert_int_equal(compile_error("{{x | shout}}"), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "shout"));
    assert_int_equal(compile_error("{{a..b}}"), GR_EINVALID);
    assert_int_equal(compile_error("{{}}"), GR_EINVALID);
    assert_int_equal(compile_error("{{a b}}"), GR_EINVALID);
}

static void template_depth_limit(void **state)
{
    char text[GR_TEMPLATE_MAX_DEPTH * 12 + 16] = "";

    (void)state;
    for (int i = 0; i <= GR_TEMPLATE_MAX_DEPTH; i++)
        strcat(text, "{{#a}}");
    assert_int_equal(compile_error(text), GR_ELIMIT);
}

static void template_comments(void **state)
{
    (void)state;
    expect("a{{! not {{shown}} }}b", NULL, "a }}b");
    expect("a{{! note }}b", NULL, "ab");
}

static void template_url_filter(void **state)
{
    (void)state;
    expect("<a href=\"{{u | url}}\">", "{\"u\":\"javascript:alert(1)\"}", "<a href=\"#\">");
    expect("<a href=\"{{u|url}}\">", "{\"u\":\" JaVa\\tScRiPt:alert(1)\"}", "<a href=\"#\">");
    expect("<a href=\"{{u|url}}\">", "{\"u\":\"data:text/html,<b>\"}", "<a href=\"#\">");
    expect("<a href=\"{{u|url}}\">", "{\"u\":\"https://x.test/?a=1&b=<2>\"}",
           "<a href=\"https://x.test/?a=1&amp;b=&lt;2&gt;\">");
    expect("{{u|url}}", "{\"u\":\"/catalog/default/component/a\"}",
           "/catalog/default/component/a");
}

static void template_url_safety(void **state)
{
    (void)state;
    assert_true(gr_template_url_is_safe("https://example.test/a"));
    assert_true(gr_template_url_is_safe("HTTP://example.test"));
    assert_true(gr_template_url_is_safe("mailto:team@example.test"));
    assert_true(gr_template_url_is_safe("/docs/default/component/x"));
    assert_true(gr_template_url_is_safe("relative/path:with-colon-later"));
    assert_true(gr_template_url_is_safe("?q=a:b"));
    assert_true(gr_template_url_is_safe("#frag"));
    assert_true(gr_template_url_is_safe("averyveryverylongrelativename"));
    assert_true(gr_template_url_is_safe(""));
    assert_false(gr_template_url_is_safe("javascript:alert(1)"));
    assert_false(gr_template_url_is_safe("\x01javascript:alert(1)"));
    assert_false(gr_template_url_is_safe("java\nscript:alert(1)"));
    assert_false(gr_template_url_is_safe("vbscript:x"));
    assert_false(gr_template_url_is_safe("data:text/html;base64,xx"));
    assert_false(gr_template_url_is_safe("file:///etc/passwd"));
    assert_false(gr_template_url_is_safe(":nothing"));
    assert_false(gr_template_url_is_safe("averyveryverylongschemename:x"));
}

static void template_other_filters(void **state)
{
    (void)state;
    expect("{{q|uri}}", "{\"q\":\"a b/c&d=é\"}", "a%20b%2Fc%26d%3D%C3%A9");
    expect("{{k|lower}}", "{\"k\":\"Component<X>\"}", "component&lt;x&gt;");
    expect("{{t|date}}", "{\"t\":86400000}", "1970-01-02 00:00 UTC");
    expect("{{t|date}}", "{\"t\":\"2024-03-05T10:20:30.000Z\"}", "2024-03-05 10:20 UTC");
    expect("{{t|date}}", "{\"t\":\"not a date\"}", "");
    expect("{{a|count}}/{{o|count}}/{{n|count}}", "{\"a\":[1,2,3],\"o\":{\"x\":1}}", "3/1/0");
}

static void template_lines_counted(void **state)
{
    (void)state;
    assert_int_equal(compile_error("a\nb\n{{x}}\n{{#s}}\n"), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "bad.html:4"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(template_escapes_values),
        cmocka_unit_test(template_raw_is_unescaped),
        cmocka_unit_test(template_prints_scalars),
        cmocka_unit_test(template_dotted_paths),
        cmocka_unit_test(template_section_iterates),
        cmocka_unit_test(template_section_truthiness),
        cmocka_unit_test(template_nested_sections),
        cmocka_unit_test(template_partials),
        cmocka_unit_test(template_override_replaces),
        cmocka_unit_test(template_missing_partial),
        cmocka_unit_test(template_recursive_partial_stops),
        cmocka_unit_test(template_syntax_errors),
        cmocka_unit_test(template_depth_limit),
        cmocka_unit_test(template_comments),
        cmocka_unit_test(template_url_filter),
        cmocka_unit_test(template_url_safety),
        cmocka_unit_test(template_other_filters),
        cmocka_unit_test(template_lines_counted),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
