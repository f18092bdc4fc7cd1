/* SPDX-License-Identifier: MIT */
/* Fuzz target: entities as JSON through the model's JSON Schema evaluator and the engine's checks. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_catalog.h"
#include "host/common/error.h"
#include "plugins/catalog/model/model.h"
#include "plugins/catalog/model/relations.h"
#include "plugins/catalog/model/schema.h"

/*
 * The first byte picks what the rest of the input is:
 *   even  an entity as JSON, as POST /validate-entity and JSON catalog files
 *         carry it: validated by the model, by the engine, and its relations
 *         emitted
 *   odd   a JSON schema, a line "---", and an instance to validate with it
 * Every problem must have a pointer, a rule and a message, and the return
 * code must agree with the problems; anything else aborts.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_entity_schema: %s: %s\n", what, gr_error_last());
    abort();
}

static void check_problems(const gr_model_problems *problems, size_t before, int rc)
{
    if ((rc == GR_OK) != (problems->count == before))
        fail("the return code does not match the problems");
    for (size_t i = 0; i < problems->count; i++) {
        const gr_model_problem *problem = &problems->items[i];

        if (problem->pointer == NULL || problem->rule == NULL || problem->message == NULL ||
            problem->message[0] == '\0')
            fail("a problem has no pointer, rule or message");
    }
}

static gr_model *model_get(void)
{
    static gr_model *model;

    if (model == NULL && gr_model_new(&model) != GR_OK)
        fail("gr_model_new");
    return model;
}

static void fuzz_entity(const char *text, size_t len)
{
    json_t *entity = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    gr_model_relations relations = GR_MODEL_RELATIONS_INIT;
    json_t *errors = NULL;
    char *ref = NULL;
    int rc;

    if (entity == NULL)
        return;
    rc = gr_model_validate(model_get(), entity, &problems);
    check_problems(&problems, 0, rc);
    ref = gr_model_entity_ref(entity);
    if (ref == NULL)
        fail("an entity has no reference text");
    if (rc == GR_OK)
        gr_model_emit_relations(entity, &relations, &problems);

    rc = gr_catalog_validate_entity(fuzz_catalog_get(), entity, "url:https://example.com/x.yaml",
                                    &errors);
    if (rc == GR_EINVALID && !json_is_array(errors))
        fail("an invalid entity has no error list");
    if (rc == GR_EBACKEND)
        fail("validating an entity failed in the database");

    json_decref(errors);
    free(ref);
    gr_model_relations_free(&relations);
    gr_model_problems_free(&problems);
    json_decref(entity);
}

static void fuzz_schema(const char *text, size_t len)
{
    const char *separator = memmem(text, len, "\n---\n", 5);
    gr_schema_set *set;
    char *schema_text;
    json_t *instance;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    const gr_schema *schema;

    if (separator == NULL)
        return;
    schema_text = strndup(text, (size_t)(separator - text));
    instance = json_loadb(separator + 5, len - (size_t)(separator + 5 - text), JSON_DECODE_ANY,
                          NULL);
    set = gr_schema_set_new();
    if (schema_text != NULL && instance != NULL &&
        gr_schema_set_add_as(set, schema_text, "fuzz", "fuzz.json") == GR_OK) {
        schema = gr_schema_set_find(set, "fuzz");
        if (schema == NULL)
            fail("an added schema is not found by its id");
        if (gr_schema_validate(set, schema, instance, NULL, &problems) != problems.count)
            fail("the count of problems is wrong");
        check_problems(&problems, 0, problems.count ? GR_EINVALID : GR_OK);
    }
    gr_schema_set_free(set);
    gr_model_problems_free(&problems);
    json_decref(instance);
    free(schema_text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        fuzz_entity((const char *)data + 1, size - 1);
    else
        fuzz_schema((const char *)data + 1, size - 1);
    return 0;
}
