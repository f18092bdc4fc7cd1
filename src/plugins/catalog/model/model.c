/* SPDX-License-Identifier: MIT */
/* The catalog entity model: known kinds and their embedded schemas. */
#include "plugins/catalog/model/model_internal.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/assets.h"
#include "host/common/error.h"
#include "plugins/catalog/model/names.h"

/* Schemas embedded from src/plugins/catalog/model/schemas/, in load order. */
static const char *const base_schemas[] = {
    "plugins/catalog/model/schemas/common.json",
    "plugins/catalog/model/schemas/entity-meta.json",
    "plugins/catalog/model/schemas/entity.json",
    "plugins/catalog/model/schemas/entity-envelope.json",
};

typedef struct {
    const char *kind;
    const char *schema_file;
    const char *schema_id;
    const char *api_versions[3];
} builtin_kind;

/* Kinds validated by Backstage's BuiltinKindsEntityProcessor, and Template by the scaffolder's. */
static const builtin_kind builtin_kinds[] = {
    {"API", "api.json", "ApiV1alpha1", {"backstage.io/v1alpha1", "backstage.io/v1beta1", NULL}},
    {"Component", "component.json", "ComponentV1alpha1",
     {"backstage.io/v1alpha1", "backstage.io/v1beta1", NULL}},
    {"Resource", "resource.json", "ResourceV1alpha1",
     {"backstage.io/v1alpha1", "backstage.io/v1beta1", NULL}},
    {"Group", "group.json", "GroupV1alpha1", {"backstage.io/v1alpha1", "backstage.io/v1beta1", NULL}},
    {"Location", "location.json", "LocationV1alpha1",
     {"backstage.io/v1alpha1", "backstage.io/v1beta1", NULL}},
    {"User", "user.json", "UserV1alpha1", {"backstage.io/v1alpha1", "backstage.io/v1beta1", NULL}},
    {"System", "system.json", "SystemV1alpha1",
     {"backstage.io/v1alpha1", "backstage.io/v1beta1", NULL}},
    {"Domain", "domain.json", "DomainV1alpha1",
     {"backstage.io/v1alpha1", "backstage.io/v1beta1", NULL}},
    {"Template", "template.json", "TemplateV1beta3", {"scaffolder.backstage.io/v1beta3", NULL}},
};

static int load_asset(gr_schema_set *set, const char *name)
{
    const gr_asset *asset = gr_asset_find(name);

    if (asset == NULL)
        return gr_error_set(GR_EINVALID, "embedded schema %s is missing from the binary", name);
    return gr_schema_set_add(set, (const char *)asset->data, name);
}

static void add_kind(gr_model *model, const char *kind, const char *api_version,
                     const char *schema_id)
{
    gr_model__kind *record;

    model->kinds = gr_xrealloc(model->kinds, (model->kind_count + 1) * sizeof(*model->kinds));
    record = &model->kinds[model->kind_count++];
    record->kind = gr_xstrdup(kind);
    record->api_version = gr_xstrdup(api_version);
    record->schema_id = gr_xstrdup(schema_id);
}

int gr_model_new(gr_model **out)
{
    gr_model *model = gr_xcalloc(1, sizeof(*model));
    int rc = GR_OK;

    *out = NULL;
    model->schemas = gr_schema_set_new();
    for (size_t i = 0; i < sizeof(base_schemas) / sizeof(base_schemas[0]); i++) {
        if ((rc = load_asset(model->schemas, base_schemas[i])) != GR_OK)
            goto done;
    }
    for (size_t i = 0; i < sizeof(builtin_kinds) / sizeof(builtin_kinds[0]); i++) {
        const builtin_kind *builtin = &builtin_kinds[i];
        char *name = gr_xasprintf("plugins/catalog/model/schemas/kinds/%s", builtin->schema_file);

        rc = load_asset(model->schemas, name);
        free(name);
        if (rc != GR_OK)
            goto done;
        for (size_t v = 0; builtin->api_versions[v] != NULL; v++)
            add_kind(model, builtin->kind, builtin->api_versions[v], builtin->schema_id);
    }
    *out = model;
    model = NULL;

done:
    gr_model_free(model);
    return rc;
}

void gr_model_free(gr_model *model)
{
    if (model == NULL)
        return;
    for (size_t i = 0; i < model->kind_count; i++) {
        free(model->kinds[i].kind);
        free(model->kinds[i].api_version);
        free(model->kinds[i].schema_id);
    }
    free(model->kinds);
    gr_schema_set_free(model->schemas);
    free(model);
}

const gr_model__kind *gr_model__find_kind(const gr_model *model, const char *kind,
                                          const char *api_version)
{
    for (size_t i = 0; i < model->kind_count; i++) {
        if (strcmp(model->kinds[i].kind, kind) == 0 &&
            strcmp(model->kinds[i].api_version, api_version) == 0)
            return &model->kinds[i];
    }
    return NULL;
}

int gr_model_knows_kind(const gr_model *model, const char *kind, const char *api_version)
{
    return gr_model__find_kind(model, kind, api_version) != NULL;
}

int gr_model_register_kind(gr_model *model, const char *kind, const char *api_version,
                           const char *schema_json)
{
    char *schema_id;
    int rc;

    if (!gr_model_is_valid_kind(kind))
        return gr_error_set(GR_EINVALID, "invalid kind \"%s\": use [a-zA-Z][a-zA-Z0-9]*", kind);
    if (!gr_model_is_valid_api_version(api_version))
        return gr_error_set(GR_EINVALID,
                            "invalid apiVersion \"%s\": use [dns-subdomain/]version", api_version);
    if (gr_model__find_kind(model, kind, api_version) != NULL)
        return gr_error_set(GR_ECONFLICT, "kind %s at apiVersion %s is already registered", kind,
                            api_version);
    if (schema_json == NULL) {
        add_kind(model, kind, api_version, "Entity");
        return GR_OK;
    }

    /* The schema is stored under a fresh id so that its own "$id" may be anything. */
    schema_id = gr_xasprintf("registered:%s:%s", api_version, kind);
    rc = gr_schema_set_add_as(model->schemas, schema_json, schema_id, schema_id);
    if (rc == GR_OK)
        add_kind(model, kind, api_version, schema_id);
    free(schema_id);
    return rc;
}

char *gr_model_entity_ref(const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *kind = json_string_value(json_object_get(entity, "kind"));
    const char *namespace = json_string_value(json_object_get(metadata, "namespace"));
    const char *name = json_string_value(json_object_get(metadata, "name"));
    char *ref;

    ref = gr_xasprintf("%s:%s/%s", kind ? kind : "<unknown>",
                       namespace && namespace[0] ? namespace : "default", name ? name : "<unknown>");
    for (char *c = ref; *c != '\0'; c++) {
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    }
    return ref;
}
