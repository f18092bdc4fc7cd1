/* SPDX-License-Identifier: MIT */
/* Unit tests for the template engine's limits: each one stops the render with GR_ELIMIT. */
#include "template_test.h"

#include "host/common/buf.h"

static void limits_iterations(void **state)
{
    (void)state;
    assert_render_fails("{% for i in range(2000) %}{% for j in range(2000) %}{% endfor %}"
                        "{% endfor %}",
                        NULL, GR_ELIMIT, "loop iterations");
    assert_render_fails("${{ range(100000000) | length }}", NULL, GR_ELIMIT, "loop iterations");
}

static void limits_output_size(void **state)
{
    (void)state;
    /* Doubling a string 30 times would make 1 GiB. */
    assert_render_fails("{% set s = \"ab\" %}{% for i in range(30) %}{% set s = s ~ s %}"
                        "{% endfor %}${{ s | length }}",
                        NULL, GR_ELIMIT, "exceed");
    assert_render_fails("${{ \"x\".repeat(100000000) }}", NULL, GR_ELIMIT, "exceed");
    assert_render_fails("${{ \"x\" | center(100000000) }}", NULL, GR_ELIMIT, "exceed");
    assert_render_fails("${{ \"a\\nb\" | indent(100000000) }}", NULL, GR_ELIMIT, "exceed");
}

static void limits_output_total(void **state)
{
    (void)state;
    assert_render_fails("{% set s = \"0123456789\" %}{% for i in range(20) %}{% set s = s ~ s %}"
                        "{% endfor %}{% for i in range(20) %}${{ s }}{% endfor %}",
                        NULL, GR_ELIMIT, "exceed");
}

static void limits_tag_depth(void **state)
{
    gr_buf source = GR_BUF_INIT;

    (void)state;
    for (int i = 0; i < GR_TMPL_MAX_DEPTH + 5; i++)
        gr_buf_puts(&source, "{% if true %}");
    for (int i = 0; i < GR_TMPL_MAX_DEPTH + 5; i++)
        gr_buf_puts(&source, "{% endif %}");
    assert_render_fails(gr_buf_cstr(&source), NULL, GR_ELIMIT, "nested more than");
    gr_buf_free(&source);
}

static void limits_expression_depth(void **state)
{
    gr_buf source = GR_BUF_INIT;

    (void)state;
    gr_buf_puts(&source, "${{ ");
    for (int i = 0; i < 500; i++)
        gr_buf_putc(&source, '(');
    gr_buf_putc(&source, '1');
    for (int i = 0; i < 500; i++)
        gr_buf_putc(&source, ')');
    gr_buf_puts(&source, " }}");
    assert_render_fails(gr_buf_cstr(&source), NULL, GR_ELIMIT, "nested more than");
    gr_buf_free(&source);
}

static void limits_operator_count(void **state)
{
    gr_buf source = GR_BUF_INIT;

    (void)state;
    gr_buf_puts(&source, "${{ 1");
    for (int i = 0; i < 5000; i++)
        gr_buf_puts(&source, " + 1");
    gr_buf_puts(&source, " }}");
    assert_render_fails(gr_buf_cstr(&source), NULL, GR_ELIMIT, "more than 1000 operators");
    gr_buf_free(&source);
}

static void limits_elif_chain(void **state)
{
    gr_buf source = GR_BUF_INIT;

    (void)state;
    gr_buf_puts(&source, "{% if false %}");
    for (int i = 0; i < 1000; i++)
        gr_buf_puts(&source, "{% elif false %}");
    gr_buf_puts(&source, "{% endif %}");
    assert_render_fails(gr_buf_cstr(&source), NULL, GR_ELIMIT, "nested more than");
    gr_buf_free(&source);
}

static void limits_source_size(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    size_t len = GR_TMPL_MAX_SOURCE + 1;
    char *source = malloc(len);
    gr_tmpl *tmpl = NULL;

    (void)state;
    memset(source, 'a', len);
    assert_int_equal(gr_tmpl_compile(engine, "big", source, len, &tmpl), GR_ELIMIT);
    assert_null(tmpl);
    assert_non_null(strstr(gr_error_last(), "big: template is"));
    free(source);
    gr_tmpl_engine_free(engine);
}

static void limits_value_depth(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    json_t *input = json_string("x");
    json_t *out = NULL;

    (void)state;
    for (int i = 0; i < GR_TMPL_MAX_VALUE_DEPTH + 10; i++)
        input = json_pack("[o]", input);
    assert_int_equal(gr_tmpl_render_value(engine, input, NULL, &out), GR_ELIMIT);
    assert_null(out);
    json_decref(input);
    gr_tmpl_engine_free(engine);
}

static void limits_below_pass(void **state)
{
    (void)state;
    assert_renders("{% for i in range(1000) %}{% endfor %}done", NULL, "done");
    assert_renders("${{ ((((((1)))))) }}", NULL, "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limits_iterations),       cmocka_unit_test(limits_output_size),
        cmocka_unit_test(limits_output_total),     cmocka_unit_test(limits_tag_depth),
        cmocka_unit_test(limits_expression_depth), cmocka_unit_test(limits_operator_count),
        cmocka_unit_test(limits_elif_chain),       cmocka_unit_test(limits_source_size),
        cmocka_unit_test(limits_value_depth),      cmocka_unit_test(limits_below_pass),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
