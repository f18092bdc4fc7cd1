/* SPDX-License-Identifier: MIT */
/* Entity validation: the envelope, schema, root-field, field-format and kind checks in order. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/common/buf.h"
#include "plugins/catalog/model/model_internal.h"
#include "plugins/catalog/model/pointer.h"

static const char *json_type_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

/* Backstage's NoForeignRootFieldsEntityPolicy allows only these four root fields. */
static void check_root_fields(const json_t *entity, gr_model_problems *problems)
{
    static const char *const known[] = {"apiVersion", "kind", "metadata", "spec"};
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)entity, key, value)
    {
        int found = 0;

        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            found = found || strcmp(key, known[i]) == 0;
        /* Other unknown fields were already reported by the Entity schema. */
        if (!found && (strcmp(key, "relations") == 0 || strcmp(key, "status") == 0))
            gr_model_problems_add(problems, "", "root-field", NULL,
                                  "unknown root field '%s': only apiVersion, kind, metadata and "
                                  "spec may be written; the catalog computes %s",
                                  key, key);
    }
}

/*
 * Returns whether a string or object key under `value` contains a NUL
 * character. The engine checks each entity when its file is read and twice
 * while it is processed, so this walk builds no JSON pointer. Only
 * report_nul_characters() builds them, once a NUL is found. The JSON and
 * YAML parsers' depth limits bound the recursion.
 */
static bool has_nul_character(const json_t *value)
{
    const char *key;
    size_t key_len;
    json_t *child;
    size_t index;

    if (json_is_string(value))
        return strlen(json_string_value(value)) != json_string_length(value);
    json_object_keylen_foreach((json_t *)value, key, key_len, child)
    {
        if (strlen(key) != key_len || has_nul_character(child))
            return true;
    }
    json_array_foreach(value, index, child)
    {
        if (has_nul_character(child))
            return true;
    }
    return false;
}

/*
 * Reports every string and object key that contains a NUL character. The
 * catalog passes names, references and annotations on as C strings, which
 * would end at the NUL, so the whole entity is rejected.
 */
static void report_nul_characters(const json_t *value, gr_buf *pointer, gr_model_problems *problems)
{
    size_t saved = pointer->len;
    const char *key;
    size_t key_len;
    json_t *child;
    size_t index;

    if (json_is_string(value)) {
        if (strlen(json_string_value(value)) != json_string_length(value))
            gr_model_problems_add(problems, gr_buf_cstr(pointer), "nul-character", NULL,
                                  "invalid string at %s: it contains a NUL character (\\u0000); "
                                  "remove it",
                                  pointer->len > 0 ? gr_buf_cstr(pointer) : "/");
        return;
    }
    json_object_keylen_foreach((json_t *)value, key, key_len, child)
    {
        gr_model_pointer_push(pointer, key);
        if (strlen(key) != key_len)
            gr_model_problems_add(problems, gr_buf_cstr(pointer), "nul-character", NULL,
                                  "invalid key at %s: it contains a NUL character (\\u0000); "
                                  "remove it",
                                  gr_buf_cstr(pointer));
        else
            report_nul_characters(child, pointer, problems);
        gr_model_pointer_pop(pointer, saved);
    }
    json_array_foreach(value, index, child)
    {
        gr_model_pointer_push_index(pointer, index);
        report_nul_characters(child, pointer, problems);
        gr_model_pointer_pop(pointer, saved);
    }
}

/* Runs the kind's schema; its "$ref" to the Entity schema was already checked. */
static void check_kind(const gr_model *model, const gr_model__kind *kind, const json_t *entity,
                       gr_model_problems *problems)
{
    const gr_schema *schema = gr_schema_set_find(model->schemas, kind->schema_id);

    if (schema == NULL || strcmp(kind->schema_id, "Entity") == 0)
        return;
    gr_schema_validate(model->schemas, schema, entity, "Entity", problems);
}

int gr_model_check_envelope(const gr_model *model, const json_t *entity,
                            gr_model_problems *problems)
{
    const gr_schema *envelope = gr_schema_set_find(model->schemas, "EntityEnvelope");
    size_t before = problems->count;
    gr_buf pointer = GR_BUF_INIT;

    if (!json_is_object(entity)) {
        gr_model_problems_add(problems, "", "envelope", NULL,
                              "expected an object at the root of the document, got %s",
                              json_type_name(entity));
        return GR_EINVALID;
    }
    if (gr_schema_validate(model->schemas, envelope, entity, NULL, problems) > 0)
        return GR_EINVALID;
    if (has_nul_character(entity))
        report_nul_characters(entity, &pointer, problems);
    gr_buf_free(&pointer);
    return problems->count > before ? GR_EINVALID : GR_OK;
}

int gr_model_validate(const gr_model *model, const json_t *entity, gr_model_problems *problems)
{
    size_t before = problems->count;
    const gr_schema *schema = gr_schema_set_find(model->schemas, "Entity");
    const char *kind;
    const char *api_version;
    const gr_model__kind *record;

    if (gr_model_check_envelope(model, entity, problems) != GR_OK)
        return GR_EINVALID;

    gr_schema_validate(model->schemas, schema, entity, NULL, problems);
    check_root_fields(entity, problems);
    gr_model__check_fields(entity, problems);

    kind = json_string_value(json_object_get(entity, "kind"));
    api_version = json_string_value(json_object_get(entity, "apiVersion"));
    record = gr_model__find_kind(model, kind, api_version);
    if (record == NULL) {
        char *ref = gr_model_entity_ref(entity);

        gr_model_problems_add(problems, "/kind", "unknown-kind", NULL,
                              "unsupported kind \"%s\" with apiVersion \"%s\": no processor "
                              "recognized the entity %s as valid; use a built-in kind or "
                              "register the kind",
                              kind, api_version, ref);
        free(ref);
    } else {
        check_kind(model, record, entity, problems);
    }
    return problems->count > before ? GR_EINVALID : GR_OK;
}
