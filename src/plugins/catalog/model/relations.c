/* SPDX-License-Identifier: MIT */
/* Relations between entities, derived from the spec fields of each built-in kind. */
#include "plugins/catalog/model/relations.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/model/pointer.h"

/* A spec field that names other entities, and the relation pair it yields. */
typedef struct {
    const char *field;
    const char *default_kind; /* NULL: references must name their kind */
    const char *forward;
    const char *reverse;
} relation_field;

typedef struct {
    const char *kind;
    const char *api_version; /* NULL: any apiVersion */
    relation_field fields[8];
} kind_relations;

/* TODO: kinds added with gr_model_register_kind() cannot declare relation fields yet. */
static const kind_relations kind_table[] = {
    {"Component",
     NULL,
     {{"owner", "Group", GR_RELATION_OWNED_BY, GR_RELATION_OWNER_OF},
      {"subcomponentOf", "Component", GR_RELATION_PART_OF, GR_RELATION_HAS_PART},
      {"providesApis", "API", GR_RELATION_PROVIDES_API, GR_RELATION_API_PROVIDED_BY},
      {"consumesApis", "API", GR_RELATION_CONSUMES_API, GR_RELATION_API_CONSUMED_BY},
      {"dependsOn", NULL, GR_RELATION_DEPENDS_ON, GR_RELATION_DEPENDENCY_OF},
      {"dependencyOf", NULL, GR_RELATION_DEPENDENCY_OF, GR_RELATION_DEPENDS_ON},
      {"system", "System", GR_RELATION_PART_OF, GR_RELATION_HAS_PART}}},
    {"API",
     NULL,
     {{"owner", "Group", GR_RELATION_OWNED_BY, GR_RELATION_OWNER_OF},
      {"system", "System", GR_RELATION_PART_OF, GR_RELATION_HAS_PART}}},
    {"Resource",
     NULL,
     {{"owner", "Group", GR_RELATION_OWNED_BY, GR_RELATION_OWNER_OF},
      {"dependsOn", NULL, GR_RELATION_DEPENDS_ON, GR_RELATION_DEPENDENCY_OF},
      {"dependencyOf", NULL, GR_RELATION_DEPENDENCY_OF, GR_RELATION_DEPENDS_ON},
      {"system", "System", GR_RELATION_PART_OF, GR_RELATION_HAS_PART}}},
    {"User", NULL, {{"memberOf", "Group", GR_RELATION_MEMBER_OF, GR_RELATION_HAS_MEMBER}}},
    {"Group",
     NULL,
     {{"parent", "Group", GR_RELATION_CHILD_OF, GR_RELATION_PARENT_OF},
      {"children", "Group", GR_RELATION_PARENT_OF, GR_RELATION_CHILD_OF},
      {"members", "User", GR_RELATION_HAS_MEMBER, GR_RELATION_MEMBER_OF}}},
    {"System",
     NULL,
     {{"owner", "Group", GR_RELATION_OWNED_BY, GR_RELATION_OWNER_OF},
      {"domain", "Domain", GR_RELATION_PART_OF, GR_RELATION_HAS_PART}}},
    {"Domain",
     NULL,
     {{"owner", "Group", GR_RELATION_OWNED_BY, GR_RELATION_OWNER_OF},
      {"subdomainOf", "Domain", GR_RELATION_PART_OF, GR_RELATION_HAS_PART}}},
    {"Template",
     "scaffolder.backstage.io/v1beta3",
     {{"owner", "Group", GR_RELATION_OWNED_BY, GR_RELATION_OWNER_OF}}},
};

/* Copies `text` to `*cursor` and advances it; returns the copy. */
static char *copy_into(char **cursor, const char *text)
{
    size_t len = strlen(text) + 1;
    char *copy = *cursor;

    memcpy(copy, text, len);
    *cursor += len;
    return copy;
}

/*
 * Adds one relation. Its six strings share one allocation, whose start is
 * source.kind, because a large catalog emits millions of relations.
 */
static void add_relation(gr_model_relations *list, const gr_entity_ref *source, const char *type,
                         const gr_entity_ref *target)
{
    gr_model_relation *relation;
    size_t size = strlen(source->kind) + strlen(source->namespace) + strlen(source->name) +
                  strlen(target->kind) + strlen(target->namespace) + strlen(target->name) + 6;
    char *cursor = gr_xmalloc(size);

    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->items = gr_xrealloc(list->items, list->cap * sizeof(*list->items));
    }
    relation = &list->items[list->count++];
    relation->source.kind = copy_into(&cursor, source->kind);
    relation->source.namespace = copy_into(&cursor, source->namespace);
    relation->source.name = copy_into(&cursor, source->name);
    relation->type = type;
    relation->target.kind = copy_into(&cursor, target->kind);
    relation->target.namespace = copy_into(&cursor, target->namespace);
    relation->target.name = copy_into(&cursor, target->name);
}

/* Parses one reference and adds both directions, or records why it does not parse. */
static void emit_one(const gr_entity_ref *self, const relation_field *field, const json_t *value,
                     const char *pointer, gr_model_relations *out, gr_model_problems *problems)
{
    gr_entity_ref target = GR_ENTITY_REF_INIT;

    if (gr_model_ref_parse_json(value, field->default_kind, self->namespace, &target) != GR_OK) {
        char *text = gr_model_value_text(value);

        gr_model_problems_add(problems, pointer, "entity-ref", text, "invalid spec.%s: %s",
                              field->field, gr_error_last());
        free(text);
        return;
    }
    add_relation(out, self, field->forward, &target);
    add_relation(out, &target, field->reverse, self);
    gr_entity_ref_free(&target);
}

static void emit_field(const gr_entity_ref *self, const json_t *spec, const relation_field *field,
                       gr_model_relations *out, gr_model_problems *problems)
{
    const json_t *value = json_object_get(spec, field->field);
    gr_buf pointer = GR_BUF_INIT;

    /* Backstage skips falsy fields and flattens one level of list. */
    if (gr_model_is_falsy(value))
        return;
    gr_buf_puts(&pointer, "/spec");
    gr_model_pointer_push(&pointer, field->field);
    if (json_is_array(value)) {
        size_t mark = pointer.len;
        size_t i;
        json_t *item;

        json_array_foreach(value, i, item)
        {
            gr_model_pointer_push_index(&pointer, i);
            emit_one(self, field, item, gr_buf_cstr(&pointer), out, problems);
            gr_model_pointer_pop(&pointer, mark);
        }
    } else {
        emit_one(self, field, value, gr_buf_cstr(&pointer), out, problems);
    }
    gr_buf_free(&pointer);
}

int gr_model_emit_relations(const json_t *entity, gr_model_relations *out,
                            gr_model_problems *problems)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const json_t *spec = json_object_get(entity, "spec");
    const char *kind = json_string_value(json_object_get(entity, "kind"));
    const char *api_version = json_string_value(json_object_get(entity, "apiVersion"));
    const char *namespace = json_string_value(json_object_get(metadata, "namespace"));
    const char *name = json_string_value(json_object_get(metadata, "name"));
    size_t before = problems->count;
    gr_entity_ref self;

    if (kind == NULL || name == NULL || !json_is_object(spec))
        return GR_OK;
    self.kind = (char *)kind;
    self.namespace = (char *)(namespace && namespace[0] ? namespace : GR_MODEL_DEFAULT_NAMESPACE);
    self.name = (char *)name;

    for (size_t k = 0; k < sizeof(kind_table) / sizeof(kind_table[0]); k++) {
        const kind_relations *entry = &kind_table[k];

        if (strcmp(entry->kind, kind) != 0)
            continue;
        if (entry->api_version && (!api_version || strcmp(entry->api_version, api_version) != 0))
            continue;
        for (size_t f = 0; f < 8 && entry->fields[f].field != NULL; f++)
            emit_field(&self, spec, &entry->fields[f], out, problems);
    }
    return problems->count > before ? GR_EINVALID : GR_OK;
}

void gr_model_relations_free(gr_model_relations *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i].source.kind);
    free(list->items);
    list->items = NULL;
    list->count = 0;
    list->cap = 0;
}
