/* SPDX-License-Identifier: MIT */
/* Unit tests for JavaScript value semantics and for rendering step inputs. */
#include "template_test.h"

#include <math.h>

#include "plugins/scaffolder/template/value.h"

static void values_number_format(void **state)
{
    static const struct {
        double value;
        const char *text;
    } cases[] = {
        {0, "0"},
        {-0.0, "0"},
        {1, "1"},
        {-1.5, "-1.5"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1e21, "1e+21"},
        {123456789012345680000.0, "123456789012345680000"},
        {1e-6, "0.000001"},
        {1e-7, "1e-7"},
        {1.5e-10, "1.5e-10"},
        {2.5e300, "2.5e+300"},
        {1.0 / 3, "0.3333333333333333"},
        {NAN, "NaN"},
        {INFINITY, "Infinity"},
        {-INFINITY, "-Infinity"},
    };
    char text[GR_TV_NUMBER_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gr_tv_format_number(cases[i].value, text);
        assert_string_equal(text, cases[i].text);
    }
}

static void values_parse_number(void **state)
{
    (void)state;
    assert_true(gr_tv_parse_number("  12.5 ", 7) == 12.5);
    assert_true(gr_tv_parse_number("", 0) == 0);
    assert_true(gr_tv_parse_number("0x1f", 4) == 31);
    assert_true(gr_tv_parse_number("-Infinity", 9) == -INFINITY);
    assert_true(isnan(gr_tv_parse_number("12px", 4)));
    assert_true(isnan(gr_tv_parse_number("inf", 3)));
    assert_true(gr_tv_parse_float("12px", 4) == 12);
    assert_true(isnan(gr_tv_parse_float("px", 2)));
    assert_true(gr_tv_parse_int("  -42.9", 7, 10) == -42);
    assert_true(gr_tv_parse_int("0x10", 4, 0) == 16);
    assert_true(isnan(gr_tv_parse_int("z", 1, 10)));
}

static void values_equality(void **state)
{
    gr_tv one = gr_tv_number(1);
    gr_tv one_text = gr_tv_string("1", 1);
    gr_tv null = gr_tv_null();
    gr_tv undefined = GR_TV_UNDEF;
    gr_tv truth = gr_tv_bool(true);

    (void)state;
    assert_true(gr_tv_loose_equal(&one, &one_text));
    assert_false(gr_tv_strict_equal(&one, &one_text));
    assert_true(gr_tv_loose_equal(&null, &undefined));
    assert_false(gr_tv_strict_equal(&null, &undefined));
    assert_true(gr_tv_loose_equal(&truth, &one));
    assert_false(gr_tv_loose_equal(&null, &one));
    gr_tv_release(&one_text);
}

static void values_output_forms(void **state)
{
    (void)state;
    assert_renders("${{ [1, [2, 3], none, true] }}|${{ {a: 1} }}|${{ none }}|${{ x }}", NULL,
                   "1,2,3,,true|[object Object]||");
    assert_renders("${{ x ~ \"|\" ~ none }}", NULL, "undefined|null");
    assert_renders("${{ 1 / 0 }} ${{ 0 / 0 }} ${{ 1e0 }}|", NULL, "Infinity NaN |");
}

static void values_undefined_lookups(void **state)
{
    gr_tmpl_options options = {.throw_on_undefined = true};
    int status;
    char *out;

    (void)state;
    assert_renders("[${{ a.b.c }}][${{ a[0] }}][${{ \"s\".x }}]", NULL, "[][][]");
    out = render_with(&options, "${{ a.b }}", NULL, &status);
    assert_null(out);
    assert_int_equal(status, GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "attempted to output null or undefined value"));
}

static json_t *render_input(const char *input_text, const char *context_text, int *status)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    json_t *input = json_loads(input_text, JSON_DECODE_ANY, NULL);
    json_t *context = json_loads(context_text, 0, NULL);
    json_t *out = NULL;

    *status = gr_tmpl_render_value(engine, input, context, &out);
    json_decref(input);
    json_decref(context);
    gr_tmpl_engine_free(engine);
    return out;
}

static void values_render_input_types(void **state)
{
    static const char context[] =
        "{\"parameters\": {\"n\": 8080, \"on\": true, \"tags\": [\"a\"], \"name\": \"svc\", "
        "\"repoUrl\": \"github.com?owner=o&repo=r\"}}";
    int status;
    json_t *out = render_input(
        "{\"port\": \"${{ parameters.n }}\", \"flag\": \"${{ parameters.on }}\", "
        "\"tags\": \"${{ parameters.tags }}\", \"text\": \"port ${{ parameters.n }}\", "
        "\"spaced\": \" ${{ parameters.n }}\", \"repo\": \"${{ parameters.repoUrl | parseRepoUrl "
        "}}\", "
        "\"gone\": \"${{ parameters.missing }}\", \"list\": [\"${{ parameters.missing }}\", 1], "
        "\"keep\": 5}",
        context, &status);
    char *text;

    (void)state;
    assert_int_equal(status, GR_OK);
    text = json_dumps(out, JSON_COMPACT);
    assert_string_equal(text,
                        "{\"port\":8080,\"flag\":true,\"tags\":[\"a\"],\"text\":\"port 8080\","
                        "\"spaced\":\" 8080\",\"repo\":{\"host\":\"github.com\",\"owner\":\"o\","
                        "\"repo\":\"r\"},\"list\":[null,1],\"keep\":5}");
    free(text);
    json_decref(out);
}

static void values_render_input_errors(void **state)
{
    int status;
    json_t *out = render_input("{\"a\": \"${{ x | nosuch }}\"}", "{}", &status);
    gr_tmpl_engine *engine;
    gr_tmpl_options options = {.strict_values = true};
    json_t *input;

    (void)state;
    /* Backstage keeps the text of a value whose template fails. */
    assert_int_equal(status, GR_OK);
    assert_string_equal(json_string_value(json_object_get(out, "a")), "${{ x | nosuch }}");
    json_decref(out);

    engine = gr_tmpl_engine_new(&options);
    input = json_pack("{s:[s]}", "steps", "${{ x | nosuch }}");
    out = NULL;
    assert_int_equal(gr_tmpl_render_value(engine, input, NULL, &out), GR_EINVALID);
    assert_null(out);
    assert_non_null(strstr(gr_error_last(), "input.steps[0]:1:9: filter not found: nosuch"));
    json_decref(input);
    gr_tmpl_engine_free(engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_number_format),
        cmocka_unit_test(values_parse_number),
        cmocka_unit_test(values_equality),
        cmocka_unit_test(values_output_forms),
        cmocka_unit_test(values_undefined_lookups),
        cmocka_unit_test(values_render_input_types),
        cmocka_unit_test(values_render_input_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
