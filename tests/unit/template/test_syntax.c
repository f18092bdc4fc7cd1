/* SPDX-License-Identifier: MIT */
/* Unit tests for the template lexer and parser: tags, delimiters and syntax errors. */
#include "template_test.h"

static void syntax_backstage_delimiters(void **state)
{
    (void)state;
    assert_renders("Hi ${{ name }}", "{\"name\": \"Ann\"}", "Hi Ann");
    assert_renders("{{ name }}", "{\"name\": \"Ann\"}", "{{ name }}");
    assert_renders("$5 ${ x }", NULL, "$5 ${ x }");
}

static void syntax_nunjucks_delimiters(void **state)
{
    gr_tmpl_options options = {.delimiters = GR_TMPL_DELIMITERS_NUNJUCKS};
    int status;
    char *out = render_with(&options, "{{ name }} ${{ name }}", "{\"name\": \"Ann\"}", &status);

    (void)state;
    assert_int_equal(status, GR_OK);
    assert_string_equal(out, "Ann $Ann");
    free(out);
}

static void syntax_whitespace_control(void **state)
{
    (void)state;
    assert_renders("a  \n {%- if true -%} \n b {%- endif %}", NULL, "ab");
    assert_renders("x  ${{- 1 -}}  y", NULL, "x1y");
    assert_renders("a {#- note -#} b", NULL, "ab");
}

static void syntax_trim_and_lstrip_blocks(void **state)
{
    gr_tmpl_options options = {.trim_blocks = true, .lstrip_blocks = true};
    int status;
    char *out = render_with(&options,
                            "<ul>\n  {% for x in [1,2] %}\n  <li>${{ x }}</li>\n"
                            "  {% endfor %}\n</ul>\n",
                            NULL, &status);

    (void)state;
    assert_int_equal(status, GR_OK);
    assert_string_equal(out, "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n");
    free(out);
}

static void syntax_raw_and_comments(void **state)
{
    (void)state;
    assert_renders("{% raw %}${{ x }}{% endraw %}", NULL, "${{ x }}");
    assert_renders("a{% raw %}{% raw %}b{% endraw %}{% endraw %}c", NULL,
                   "a{% raw %}b{% endraw %}c");
    assert_renders("a{# ${{ x }} #}b", NULL, "ab");
}

static void syntax_error_positions(void **state)
{
    (void)state;
    assert_render_fails("line one\n  {% if x %}open", NULL, GR_EINVALID,
                        "test:2:6: if tag is not closed");
    assert_render_fails("${{ a + }}", NULL, GR_EINVALID, "test:1:9: unexpected token");
    assert_render_fails("${{ name ", NULL, GR_EINVALID, "expected variable end");
    assert_render_fails("{% frob %}", NULL, GR_EINVALID, "unknown block tag: frob");
    assert_render_fails("a {# open", NULL, GR_EINVALID, "comment is not closed");
    assert_render_fails("a #} b", NULL, GR_EINVALID, "test:1:3: unexpected end of comment");
    assert_render_fails("${{ {1: 2} }}", NULL, GR_EINVALID, "dict keys must be strings or names");
    assert_render_fails("${{ a.0 }}", NULL, GR_EINVALID, "expected name as lookup value");
    assert_render_fails("{% for 1 in x %}{% endfor %}", NULL, GR_EINVALID, "variable name");
    assert_render_fails("{% for x of y %}{% endfor %}", NULL, GR_EINVALID, "\"in\" keyword");
    assert_render_fails("{% set x %}never ended", NULL, GR_EINVALID, "unexpected end of file");
    assert_render_fails("${{ --1 }}", NULL, GR_EINVALID, "invalid expression '--'");
}

static void syntax_rejects_file_access(void **state)
{
    (void)state;
    assert_render_fails("{% include \"/etc/passwd\" %}", NULL, GR_EINVALID, "not supported");
    assert_render_fails("{% extends \"base\" %}", NULL, GR_EINVALID, "not supported");
    assert_render_fails("{% import \"m\" as m %}", NULL, GR_EINVALID, "not supported");
    assert_render_fails("{% macro m() %}{% endmacro %}", NULL, GR_EINVALID, "not supported");
}

static void syntax_invalid_utf8(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    gr_tmpl *tmpl = NULL;

    (void)state;
    assert_int_equal(gr_tmpl_compile(engine, "bin", "ab\xff", 3, &tmpl), GR_EINVALID);
    assert_null(tmpl);
    assert_non_null(strstr(gr_error_last(), "offset 2"));
    gr_tmpl_engine_free(engine);
}

static void syntax_compile_once_render_many(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    gr_tmpl *tmpl = NULL;
    const char *source = "{% for x in items %}${{ x | upper }}{% endfor %}";

    (void)state;
    assert_int_equal(gr_tmpl_compile(engine, "loop", source, strlen(source), &tmpl), GR_OK);
    for (int i = 0; i < 3; i++) {
        json_t *context = json_pack("{s:[s,s]}", "items", "a", i == 1 ? "c" : "b");
        char *out = NULL;
        size_t len = 0;

        assert_int_equal(gr_tmpl_render(tmpl, context, &out, &len), GR_OK);
        assert_string_equal(out, i == 1 ? "AC" : "AB");
        assert_int_equal(len, 2);
        free(out);
        json_decref(context);
    }
    gr_tmpl_free(tmpl);
    gr_tmpl_engine_free(engine);
}

static void syntax_js_operator_order(void **state)
{
    (void)state;
    assert_renders("${{ 2 * 5 % 3 }}|${{ \"x\" ~ 1 + 2 }}|${{ 10 - 2 + 3 }}", NULL, "1|x12|11");
    assert_renders("${{ not 1 == 2 }}|${{ 7 // 2 % 2 }}", NULL, "false|1");
}

static void syntax_switch_and_filter_block(void **state)
{
    (void)state;
    assert_renders("{% switch 2 %}{% case 1 %}a{% case 2 %}b{% default %}c{% endswitch %}", NULL,
                   "b");
    assert_renders("{% filter upper %}ab{% endfilter %}", NULL, "AB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syntax_backstage_delimiters),
        cmocka_unit_test(syntax_nunjucks_delimiters),
        cmocka_unit_test(syntax_whitespace_control),
        cmocka_unit_test(syntax_trim_and_lstrip_blocks),
        cmocka_unit_test(syntax_raw_and_comments),
        cmocka_unit_test(syntax_error_positions),
        cmocka_unit_test(syntax_rejects_file_access),
        cmocka_unit_test(syntax_invalid_utf8),
        cmocka_unit_test(syntax_compile_once_render_many),
        cmocka_unit_test(syntax_js_operator_order),
        cmocka_unit_test(syntax_switch_and_filter_block),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
