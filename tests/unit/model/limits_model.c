/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the model's limits: placeholder size and count, schema nesting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/model/placeholder.h"
#include "plugins/catalog/model/schema.h"

typedef struct {
    char *dir;
    char *base; /* path of the entity's file inside dir */
} fixture;

static int setup(void **state)
{
    fixture *f = gr_xcalloc(1, sizeof(*f));

    f->dir = gr_test_tmpdir("model-limits");
    gr_test_write_file(f->dir, "catalog-info.yaml", "unused\n");
    gr_test_write_file(f->dir, "small.txt", "x");
    f->base = gr_xasprintf("%s/catalog-info.yaml", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    gr_test_rmtree(f->dir);
    free(f->dir);
    free(f->base);
    free(f);
    return 0;
}

/* Resolves the placeholders of `entity` with a reader confined to the fixture folder. */
static int resolve(const fixture *f, json_t *entity, gr_model_problems *problems)
{
    gr_model_file_reader files = {f->dir};
    gr_model_placeholder_reader reader = {gr_model_file_read, &files, f->base};

    return gr_model_resolve_placeholders(entity, &reader, problems);
}

static void write_file_of_size(const fixture *f, const char *name, size_t len)
{
    char *text = gr_xmalloc(len + 1);

    memset(text, 'x', len);
    text[len] = '\0';
    gr_test_write_file(f->dir, name, text);
    free(text);
}

static void placeholder_file_over_max_rejected(void **state)
{
    fixture *f = *state;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    json_t *entity = json_pack("{s:{s:s}, s:{s:s}}", "atMax", "$text", "at-max.txt", "overMax",
                               "$text", "over-max.txt");

    write_file_of_size(f, "at-max.txt", GR_MODEL_PLACEHOLDER_MAX_BYTES);
    write_file_of_size(f, "over-max.txt", GR_MODEL_PLACEHOLDER_MAX_BYTES + 1);
    assert_int_equal(resolve(f, entity, &problems), GR_EINVALID);
    assert_int_equal(json_string_length(json_object_get(entity, "atMax")),
                     GR_MODEL_PLACEHOLDER_MAX_BYTES);
    assert_int_equal(problems.count, 1);
    assert_string_equal(problems.items[0].pointer, "/overMax");
    assert_string_equal(problems.items[0].rule, "placeholder");
    assert_non_null(strstr(problems.items[0].message, f->base));
    assert_non_null(strstr(problems.items[0].message,
                           "over-max.txt is 1048577 bytes, more than the limit of 1048576"));
    gr_model_problems_free(&problems);
    json_decref(entity);
}

/* Returns an entity with `count` $text placeholders in a list. */
static json_t *entity_with_placeholders(int count)
{
    json_t *list = json_array();

    for (int i = 0; i < count; i++)
        json_array_append_new(list, json_pack("{s:s}", "$text", "small.txt"));
    return json_pack("{s:o}", "items", list);
}

static void placeholder_count_at_max_resolved(void **state)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    json_t *entity = entity_with_placeholders(GR_MODEL_PLACEHOLDER_MAX_COUNT);

    assert_int_equal(resolve(*state, entity, &problems), GR_OK);
    assert_int_equal(problems.count, 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(entity, "items"), 63)),
                        "x");
    gr_model_problems_free(&problems);
    json_decref(entity);
}

static void placeholder_count_over_max_rejected(void **state)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    json_t *entity = entity_with_placeholders(GR_MODEL_PLACEHOLDER_MAX_COUNT + 1);

    assert_int_equal(resolve(*state, entity, &problems), GR_EINVALID);
    assert_int_equal(problems.count, 1);
    assert_string_equal(problems.items[0].pointer, "/items/64");
    assert_non_null(strstr(problems.items[0].message, "more than 64 placeholders in one entity"));
    gr_model_problems_free(&problems);
    json_decref(entity);
}

/* Returns a schema whose root contains `levels` nested "items" schemas. */
static char *schema_with_items_levels(int levels)
{
    gr_buf text = GR_BUF_INIT;

    gr_buf_puts(&text, "{\"$id\": \"test:nested\"");
    for (int i = 0; i < levels; i++)
        gr_buf_puts(&text, ", \"items\": {\"type\": \"array\"");
    for (int i = 0; i < levels; i++)
        gr_buf_putc(&text, '}');
    gr_buf_putc(&text, '}');
    return gr_buf_detach(&text);
}

static void schema_compile_over_max_rejected(void **state)
{
    char *text = schema_with_items_levels(64);
    gr_schema_set *set = gr_schema_set_new();

    (void)state;
    assert_int_equal(gr_schema_set_add(set, text, "at-max.json"), GR_OK);
    gr_schema_set_free(set);
    free(text);

    text = schema_with_items_levels(65);
    set = gr_schema_set_new();
    assert_int_equal(gr_schema_set_add(set, text, "over-max.json"), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "over-max.json: schema nested deeper than 64"));
    gr_schema_set_free(set);
    free(text);
}

/* Returns {"a": {"a": ... {}}} nested `levels` deep. */
static json_t *nested_instance(int levels)
{
    json_t *value = json_object();

    for (int i = 0; i < levels; i++)
        value = json_pack("{s:o}", "a", value);
    return value;
}

/* A recursive $ref makes the validation as deep as the instance. */
static void schema_validation_over_max_reported(void **state)
{
    static const char schema_text[] = "{\"$id\": \"test:recursive\", \"type\": \"object\","
                                      " \"properties\": {\"a\": {\"$ref\": \"test:recursive\"}}}";
    gr_schema_set *set = gr_schema_set_new();
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    const gr_schema *schema;
    json_t *instance;

    (void)state;
    assert_int_equal(gr_schema_set_add(set, schema_text, "recursive.json"), GR_OK);
    schema = gr_schema_set_find(set, "test:recursive");
    assert_non_null(schema);

    instance = nested_instance(20);
    assert_int_equal(gr_schema_validate(set, schema, instance, NULL, &problems), 0);
    assert_int_equal(problems.count, 0);
    json_decref(instance);

    instance = nested_instance(80);
    assert_int_equal(gr_schema_validate(set, schema, instance, NULL, &problems), 1);
    assert_string_equal(problems.items[0].rule, "depth");
    assert_non_null(strstr(problems.items[0].message, "schema nesting deeper than 64"));
    json_decref(instance);
    gr_model_problems_free(&problems);
    gr_schema_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(placeholder_file_over_max_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(placeholder_count_at_max_resolved, setup, teardown),
        cmocka_unit_test_setup_teardown(placeholder_count_over_max_rejected, setup, teardown),
        cmocka_unit_test(schema_compile_over_max_rejected),
        cmocka_unit_test(schema_validation_over_max_reported),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
