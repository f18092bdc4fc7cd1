/* SPDX-License-Identifier: MIT */
/* Unit tests for JSON text written as JavaScript's JSON.stringify() writes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/js_json.h"

static void expect_json(const char *input, int indent, const char *expected)
{
    json_t *value = json_loads(input, JSON_DECODE_ANY, NULL);
    gr_buf out = GR_BUF_INIT;

    assert_non_null(value);
    gr_js_json_write(&out, value, indent);
    assert_string_equal(gr_buf_cstr(&out), expected);
    gr_buf_free(&out);
    json_decref(value);
}

static void compact_as_stringify(void **state)
{
    (void)state;
    expect_json("{\"weight\": 51.4406, \"ratio\": 0.1, \"count\": 3, \"whole\": 2.0}", 0,
                "{\"weight\":51.4406,\"ratio\":0.1,\"count\":3,\"whole\":2}");
    expect_json("[true, false, null, [], {}]", 0, "[true,false,null,[],{}]");
    expect_json("\"a\\\"b\\\\c\\n\\u0001\\u00e9\\u2028\"", 0,
                "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xe2\x80\xa8\"");
}

static void indented_as_stringify(void **state)
{
    (void)state;
    expect_json("{\"a\": [1, {\"b\": 1e21}], \"c\": {}, \"d\": []}", 2,
                "{\n"
                "  \"a\": [\n"
                "    1,\n"
                "    {\n"
                "      \"b\": 1e+21\n"
                "    }\n"
                "  ],\n"
                "  \"c\": {},\n"
                "  \"d\": []\n"
                "}");
}

static void deep_nesting_cut(void **state)
{
    json_t *value = json_array();
    gr_buf out = GR_BUF_INIT;

    (void)state;
    for (int i = 0; i < GR_JS_JSON_MAX_DEPTH + 5; i++)
        value = json_pack("[o]", value);
    gr_js_json_write(&out, value, 0);
    assert_non_null(strstr(gr_buf_cstr(&out), "[null]"));
    gr_buf_free(&out);
    json_decref(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compact_as_stringify),
        cmocka_unit_test(indented_as_stringify),
        cmocka_unit_test(deep_nesting_cut),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
