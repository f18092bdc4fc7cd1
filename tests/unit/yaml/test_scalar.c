/* SPDX-License-Identifier: MIT */
/* Unit tests for how the YAML reader resolves scalars to JSON types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "host/yaml/yaml_scalar.h"

typedef struct {
    const char *yaml;     /* written after "v: " */
    const char *expected; /* the JSON value the `yaml` package (v2, core schema) yields */
} scalar_case;

static const scalar_case cases[] = {
    /* null */
    {"~", "null"},
    {"null", "null"},
    {"Null", "null"},
    {"NULL", "null"},
    {"", "null"},
    {"nULL", "\"nULL\""},
    {"nil", "\"nil\""},
    /* booleans: YAML 1.1 words stay strings */
    {"true", "true"},
    {"True", "true"},
    {"TRUE", "true"},
    {"false", "false"},
    {"False", "false"},
    {"FALSE", "false"},
    {"tRUE", "\"tRUE\""},
    {"yes", "\"yes\""},
    {"Yes", "\"Yes\""},
    {"no", "\"no\""},
    {"NO", "\"NO\""},
    {"on", "\"on\""},
    {"off", "\"off\""},
    {"y", "\"y\""},
    {"n", "\"n\""},
    /* integers */
    {"0", "0"},
    {"42", "42"},
    {"-17", "-17"},
    {"+5", "5"},
    {"007", "7"},
    {"-0", "0"},
    {"0o17", "15"},
    {"0o", "\"0o\""},
    {"0O17", "\"0O17\""},
    {"0o18", "\"0o18\""},
    {"0x1F", "31"},
    {"0x1f", "31"},
    {"0X1F", "\"0X1F\""},
    {"-0x1F", "\"-0x1F\""},
    {"0xG", "\"0xG\""},
    {"0b101", "\"0b101\""},
    {"1_000", "\"1_000\""},
    {"1:30", "\"1:30\""},
    {"9223372036854775807", "9223372036854775807"},
    {"-9223372036854775808", "-9223372036854775808"},
    {"9007199254740993", "9007199254740993"},
    {"9223372036854775808", "9.2233720368547758e18"},
    {"99999999999999999999", "1e20"},
    {"0xFFFFFFFFFFFFFFFF", "1.8446744073709552e19"},
    {"0o7777777777777777777777", "7.3786976294838206e19"},
    /* floats */
    {"1.5", "1.5"},
    {"-1.5", "-1.5"},
    {".5", "0.5"},
    {"+.5", "0.5"},
    {"1.", "1"},
    {"1.0", "1"},
    {"0.1", "0.1"},
    {"1e3", "1000"},
    {"1E3", "1000"},
    {"1.5e-3", "0.0015"},
    {"-1e+2", "-100"},
    {".5e1", "5"},
    {"1e20", "1e20"},
    {"1e400", "null"},
    {"1e", "\"1e\""},
    {"e3", "\"e3\""},
    {".", "\".\""},
    {"1.2.3", "\"1.2.3\""},
    {".inf", "null"},
    {"-.Inf", "null"},
    {"+.INF", "null"},
    {".nan", "null"},
    {".NaN", "null"},
    {"-.nan", "\"-.nan\""},
    {".infinity", "\".infinity\""},
    {"Infinity", "\"Infinity\""},
    {"_1", "\"_1\""},
    /* other plain text */
    {"2001-12-14", "\"2001-12-14\""},
    {"hello world", "\"hello world\""},
    {"<<", "\"<<\""},
    {"=", "\"=\""},
    /* quoted and block scalars are strings */
    {"'true'", "\"true\""},
    {"\"42\"", "\"42\""},
    {"'~'", "\"~\""},
    {"\"\"", "\"\""},
    {"''", "\"\""},
    {"\"a\\tb\\u00e9\"", "\"a\\tb\\u00e9\""},
    {"|\n  12\n", "\"12\\n\""},
    {">-\n  null\n", "\"null\""},
    /* explicit tags */
    {"!!str 42", "\"42\""},
    {"!!str true", "\"true\""},
    {"!!str", "\"\""},
    {"!!int \"42\"", "42"},
    {"!!int foo", "\"foo\""},
    {"!!int 0x10", "16"},
    {"!!float 1.5", "1.5"},
    {"!!float 1", "\"1\""},
    {"!!bool true", "true"},
    {"!!bool yes", "\"yes\""},
    {"!!null ~", "null"},
    {"!!null \"\"", "null"},
    {"!!null foo", "\"foo\""},
    {"!foo bar", "\"bar\""},
    {"! 42", "\"42\""},
    {"!<tag:example.com,2000:x> 42", "\"42\""},
    {"!!map {a: 1}", "{\"a\": 1}"},
    {"!!seq [1]", "[1]"},
    {"!custom {a: 1}", "{\"a\": 1}"},
};

static json_t *parse_value(const char *yaml)
{
    char *text = NULL;
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    json_t *value = NULL;

    if (asprintf(&text, "v: %s\n", yaml) < 0)
        return NULL;
    if (gr_yaml_parse("case.yaml", text, strlen(text), NULL, &docs, &count) == GR_OK && count == 1)
        value = json_incref(json_object_get(gr_yaml_doc_root(docs[0]), "v"));
    gr_yaml_docs_free(docs, count);
    free(text);
    return value;
}

static void scalar_table_resolves(void **state)
{
    size_t failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_error_t error;
        json_t *expected = json_loads(cases[i].expected, JSON_DECODE_ANY, &error);
        json_t *actual = parse_value(cases[i].yaml);
        assert_non_null(expected);
        if (actual == NULL || !json_equal(expected, actual)) {
            char *shown = actual ? json_dumps(actual, JSON_ENCODE_ANY) : NULL;
            print_message("case %zu: v: %s -> %s, expected %s (%s)\n", i, cases[i].yaml,
                          shown ? shown : "(parse failed)", cases[i].expected, gr_error_last());
            free(shown);
            failures++;
        }
        json_decref(expected);
        json_decref(actual);
    }
    assert_int_equal(failures, 0);
}

static void scalar_table_is_large(void **state)
{
    (void)state;
    assert_true(sizeof(cases) / sizeof(cases[0]) >= 60);
}

static void scalar_integer_types(void **state)
{
    json_t *small = parse_value("12");
    json_t *whole_float = parse_value("12.0");
    json_t *big = parse_value("123456789012345678901234567890");

    (void)state;
    assert_true(json_is_integer(small));
    assert_true(json_is_integer(whole_float));
    assert_true(json_is_real(big));
    json_decref(small);
    json_decref(whole_float);
    json_decref(big);
}

static void scalar_unsupported_tag_rejected(void **state)
{
    const char *text = "a: 1\nb: !!binary aGVsbG8=\n";
    gr_yaml_doc **docs = NULL;
    size_t count = 0;

    (void)state;
    assert_int_equal(gr_yaml_parse("t.yaml", text, strlen(text), NULL, &docs, &count), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "t.yaml:2:4:"));
    assert_non_null(strstr(gr_error_last(), "!!binary"));
    assert_null(docs);
    assert_int_equal(count, 0);
}

static void format_number_like_javascript(void **state)
{
    static const struct {
        double number;
        const char *text;
    } numbers[] = {
        {0, "0"},
        {-0.0, "0"},
        {1, "1"},
        {-1.5, "-1.5"},
        {100, "100"},
        {0.1, "0.1"},
        {1e21, "1e+21"},
        {1e20, "100000000000000000000"},
        {1.5e-7, "1.5e-7"},
        {0.000001, "0.000001"},
        {123.456, "123.456"},
        {INFINITY, "Infinity"},
        {-INFINITY, "-Infinity"},
        {NAN, "NaN"},
        {1.5e30, "1.5e+30"},
    };
    char text[GR_YAML__NUMBER_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        gr_yaml__format_number(numbers[i].number, text);
        assert_string_equal(text, numbers[i].text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalar_table_resolves),
        cmocka_unit_test(scalar_table_is_large),
        cmocka_unit_test(scalar_integer_types),
        cmocka_unit_test(scalar_unsupported_tag_rejected),
        cmocka_unit_test(format_number_like_javascript),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
