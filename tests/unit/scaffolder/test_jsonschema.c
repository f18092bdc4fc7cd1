/* SPDX-License-Identifier: MIT */
/* Tests of the parameter validator: keywords, error shape and Backstage's conditional forms. */
#include "scaffolder_test.h"

#include "plugins/scaffolder/jsonschema.h"

/* Validates `instance_json` against `schema_json`; returns the errors (caller releases). */
static json_t *check(const char *schema_json, const char *instance_json)
{
    json_t *schema = json_loads(schema_json, 0, NULL);
    json_t *instance = json_loads(instance_json, JSON_DECODE_ANY, NULL);
    json_t *errors = json_array();

    if (schema == NULL || instance == NULL)
        fail_msg("bad test JSON: %s / %s", schema_json, instance_json);
    gr_jsonschema_validate(schema, instance, errors);
    json_decref(schema);
    json_decref(instance);
    return errors;
}

static void assert_valid(const char *schema, const char *instance)
{
    json_t *errors = check(schema, instance);

    if (json_array_size(errors) != 0) {
        char *text = gr_jsonschema_errors_text(errors);

        fail_msg("%s against %s: unexpected errors: %s", instance, schema, text);
    }
    json_decref(errors);
}

/* Checks that validation fails and that one error's stack equals `stack`. */
static void assert_error(const char *schema, const char *instance, const char *stack)
{
    json_t *errors = check(schema, instance);
    char *text = gr_jsonschema_errors_text(errors);

    assert_true(json_array_size(errors) > 0);
    assert_contains(text, stack);
    free(text);
    json_decref(errors);
}

static void required_property_missing(void **state)
{
    (void)state;
    assert_error("{\"required\":[\"name\"]}", "{}", "instance requires property \"name\"");
    assert_valid("{\"required\":[\"name\"]}", "{\"name\":\"x\"}");
}

static void type_mismatch_names_property(void **state)
{
    const char *schema = "{\"properties\":{\"port\":{\"type\":\"number\"}}}";

    (void)state;
    assert_error(schema, "{\"port\":\"80\"}", "instance.port is not of a type(s) number");
    assert_valid(schema, "{\"port\":80}");
    assert_valid("{\"type\":\"integer\"}", "3.0");
    assert_error("{\"type\":\"integer\"}", "3.5", "is not of a type(s) integer");
    assert_error("{\"type\":[\"string\",\"null\"]}", "1", "is not of a type(s) string,null");
}

static void enum_and_const(void **state)
{
    (void)state;
    assert_error("{\"enum\":[\"a\",\"b\"]}", "\"c\"", "instance is not one of enum values: a,b");
    assert_valid("{\"enum\":[\"a\",\"b\"]}", "\"b\"");
    assert_error("{\"const\":\"x\"}", "\"y\"", "does not exactly match expected constant: x");
}

static void pattern_ecmascript_classes(void **state)
{
    const char *schema = "{\"pattern\":\"^[\\\\w-]+\\\\d$\"}";

    (void)state;
    assert_valid(schema, "\"my-app1\"");
    assert_error(schema, "\"my app1\"", "does not match pattern");
    assert_valid("{\"pattern\":\"^(?:ab)+?$\"}", "\"abab\"");
    assert_error("{\"pattern\":\"^(?=x)\"}", "\"x\"", "is not supported");
}

static void lengths_and_bounds(void **state)
{
    (void)state;
    assert_error("{\"minLength\":3}", "\"ab\"", "does not meet minimum length of 3");
    assert_valid("{\"maxLength\":2}", "\"\xc3\xa9\xc3\xa9\"");
    assert_error("{\"maxLength\":2}", "\"abc\"", "does not meet maximum length of 2");
    assert_error("{\"minimum\":1}", "0", "must be greater than or equal to 1");
    assert_error("{\"maximum\":10}", "11", "must be less than or equal to 10");
    assert_error("{\"exclusiveMinimum\":1}", "1", "must be greater than 1");
    assert_error("{\"multipleOf\":5}", "12", "is not a multiple of 5");
}

static void arrays_items_and_uniqueness(void **state)
{
    const char *schema = "{\"type\":\"array\",\"minItems\":1,\"maxItems\":3,\"uniqueItems\":true,"
                         "\"items\":{\"type\":\"string\",\"enum\":[\"a\",\"b\",\"c\"]}}";

    (void)state;
    assert_valid(schema, "[\"a\",\"b\"]");
    assert_error(schema, "[]", "does not meet minimum length of 1");
    assert_error(schema, "[\"a\",\"a\"]", "contains duplicate item");
    assert_error(schema, "[\"a\",\"d\"]", "instance[1] is not one of enum values");
    assert_error(schema, "[\"a\",\"b\",\"c\",\"a\"]", "does not meet maximum length of 3");
}

/* The conditional form of the nodejs-backend template: dependencies with oneOf. */
static void dependencies_one_of(void **state)
{
    const char *schema =
        "{\"required\":[\"ci\"],\"properties\":{\"ci\":{\"type\":\"string\",\"enum\":[\"gh\","
        "\"tekton\"]}},\"dependencies\":{\"ci\":{\"oneOf\":[{\"properties\":{\"ci\":{\"const\":"
        "\"gh\"}}},{\"required\":[\"namespace\"],\"properties\":{\"ci\":{\"const\":\"tekton\"},"
        "\"namespace\":{\"type\":\"string\"}}}]}}}";

    (void)state;
    assert_valid(schema, "{\"ci\":\"gh\"}");
    assert_valid(schema, "{\"ci\":\"tekton\",\"namespace\":\"ns\"}");
    assert_error(schema, "{\"ci\":\"tekton\"}", "is not exactly one from [subschema 0]");
    assert_error("{\"dependencies\":{\"a\":[\"b\"]}}", "{\"a\":1}", "property b not found");
}

static void combinators_and_conditionals(void **state)
{
    (void)state;
    assert_error("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"number\"}]}", "true",
                 "is not any of [subschema 0],[subschema 1]");
    assert_error("{\"not\":{\"type\":\"string\"}}", "\"x\"", "is of prohibited type");
    assert_error("{\"if\":{\"properties\":{\"a\":{\"const\":1}}},\"then\":{\"required\":[\"b\"]}}",
                 "{\"a\":1}", "requires property \"b\"");
    assert_valid("{\"if\":{\"properties\":{\"a\":{\"const\":1}}},\"then\":{\"required\":[\"b\"]}}",
                 "{\"a\":2}");
    assert_error("{\"additionalProperties\":false,\"properties\":{\"a\":{}}}", "{\"a\":1,\"b\":2}",
                 "is not allowed to have the additional property \"b\"");
    assert_error("{\"definitions\":{\"n\":{\"type\":\"number\"}},\"properties\":{\"x\":{\"$ref\":"
                 "\"#/definitions/n\"}}}",
                 "{\"x\":\"s\"}", "instance.x is not of a type(s) number");
}

static void formats(void **state)
{
    (void)state;
    assert_valid("{\"format\":\"email\"}", "\"dev@example.com\"");
    assert_error("{\"format\":\"email\"}", "\"dev\"", "does not conform to the \"email\" format");
    assert_error("{\"format\":\"date\"}", "\"2024-13-01\"", "\"date\" format");
    assert_valid("{\"format\":\"uri\"}", "\"https://example.com/x\"");
}

static void error_object_shape(void **state)
{
    json_t *errors = check("{\"properties\":{\"owner\":{\"type\":\"string\"}}}", "{\"owner\":1}");
    json_t *error = json_array_get(errors, 0);

    (void)state;
    assert_int_equal(json_array_size(errors), 1);
    assert_string_equal(json_string_value(json_object_get(error, "property")), "instance.owner");
    assert_string_equal(json_string_value(json_object_get(error, "name")), "type");
    assert_string_equal(json_string_value(json_array_get(json_object_get(error, "path"), 0)),
                        "owner");
    assert_string_equal(json_string_value(json_object_get(error, "message")),
                        "is not of a type(s) string");
    json_decref(errors);
}

static void deep_nesting_is_limited(void **state)
{
    gr_buf schema = GR_BUF_INIT;
    gr_buf instance = GR_BUF_INIT;
    json_t *errors;

    (void)state;
    for (int i = 0; i < 100; i++) {
        gr_buf_puts(&schema, "{\"properties\":{\"a\":");
        gr_buf_puts(&instance, "{\"a\":");
    }
    gr_buf_puts(&schema, "{}");
    gr_buf_puts(&instance, "1");
    for (int i = 0; i < 100; i++) {
        gr_buf_puts(&schema, "}}");
        gr_buf_putc(&instance, '}');
    }
    errors = check(gr_buf_cstr(&schema), gr_buf_cstr(&instance));
    assert_true(json_array_size(errors) > 0);
    json_decref(errors);
    gr_buf_free(&schema);
    gr_buf_free(&instance);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(required_property_missing),
        cmocka_unit_test(type_mismatch_names_property),
        cmocka_unit_test(enum_and_const),
        cmocka_unit_test(pattern_ecmascript_classes),
        cmocka_unit_test(lengths_and_bounds),
        cmocka_unit_test(arrays_items_and_uniqueness),
        cmocka_unit_test(dependencies_one_of),
        cmocka_unit_test(combinators_and_conditionals),
        cmocka_unit_test(formats),
        cmocka_unit_test(error_object_shape),
        cmocka_unit_test(deep_nesting_is_limited),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
