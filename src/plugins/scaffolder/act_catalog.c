/* SPDX-License-Identifier: MIT */
/* Catalog actions: catalog:write, catalog:fetch and catalog:register. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/model/model.h"
#include "plugins/catalog/model/ref.h"
#include "plugins/scaffolder/actions.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/workspace.h"

static const char catalog_write_input[] =
    "{\"type\":\"object\",\"required\":[\"entity\"],\"properties\":{\"filePath\":{\"type\":"
    "\"string\",\"title\":\"Catalog file path\",\"description\":\"Defaults to "
    "catalog-info.yaml\"},\"entity\":{\"type\":\"object\",\"title\":\"Entity info to write "
    "catalog-info.yaml\",\"description\":\"You can provide the same values used in the Entity "
    "schema.\"}}}";

static const char catalog_fetch_input[] =
    "{\"type\":\"object\",\"properties\":{\"entityRef\":{\"type\":\"string\",\"title\":\"Entity "
    "reference of the entity to get\"},\"entityRefs\":{\"type\":\"array\",\"items\":{\"type\":"
    "\"string\"},\"title\":\"Entity references of the entities to get\"},\"optional\":{\"type\":"
    "\"boolean\",\"title\":\"Allow the entity or entities to optionally exist. Default: false\"},"
    "\"defaultKind\":{\"type\":\"string\",\"title\":\"The default kind\"},\"defaultNamespace\":{"
    "\"type\":\"string\",\"title\":\"The default namespace\"}}}";

static const char catalog_fetch_output[] =
    "{\"type\":\"object\",\"properties\":{\"entity\":{\"type\":\"object\",\"title\":\"Object "
    "containing same values used in the Entity schema. Only when used with `entityRef` "
    "parameter.\"},\"entities\":{\"type\":\"array\",\"title\":\"Array containing objects with "
    "same values used in the Entity schema. Only when used with `entityRefs` parameter.\"}}}";

static const char catalog_register_input[] =
    "{\"oneOf\":[{\"type\":\"object\",\"required\":[\"catalogInfoUrl\"],\"properties\":{"
    "\"catalogInfoUrl\":{\"type\":\"string\",\"title\":\"Catalog Info URL\",\"description\":\"An "
    "absolute URL pointing to the catalog info file location\"},\"optional\":{\"type\":"
    "\"boolean\",\"title\":\"Optional\",\"description\":\"Permit the registered location to "
    "optionally exist. Default: false\"}}},{\"type\":\"object\",\"required\":[\"repoContentsUrl\"]"
    ",\"properties\":{\"repoContentsUrl\":{\"type\":\"string\",\"title\":\"Repository Contents "
    "URL\",\"description\":\"An absolute URL pointing to the root of a repository directory "
    "tree\"},\"catalogInfoPath\":{\"type\":\"string\",\"title\":\"Fetch URL\",\"description\":"
    "\"A relative path from the repo root pointing to the catalog info file, defaults to "
    "/catalog-info.yaml\"},\"optional\":{\"type\":\"boolean\",\"title\":\"Optional\"}}}]}";

static const char catalog_register_output[] =
    "{\"type\":\"object\",\"properties\":{\"entityRef\":{\"type\":\"string\"},"
    "\"catalogInfoUrl\":{\"type\":\"string\"}}}";

static int catalog_write(gr_scaffolder_ctx *ctx, void *payload)
{
    json_t *entity = json_object_get(gr_scaffolder_ctx_input(ctx), "entity");
    const char *file = gr_scaffolder_ctx_string(ctx, "filePath", "catalog-info.yaml");
    gr_buf yaml = GR_BUF_INIT;
    char *path = NULL;
    int rc;

    (void)payload;
    gr_scaffolder_ctx_log(ctx, "Writing %s", file);
    if ((rc = gr_scaffolder_ctx_path(ctx, file, &path)) < 0)
        return gr_error_wrap(rc, "filePath");
    if ((rc = gr_yaml_emit(entity, &yaml)) == 0)
        rc = gr_scaffolder_ctx_charge(ctx, yaml.len);
    if (rc == 0)
        rc = gr_scaffolder_write_file(path, gr_buf_cstr(&yaml), yaml.len, 0644);
    gr_buf_free(&yaml);
    free(path);
    return rc;
}

/* Parses a reference with the action's defaults and formats it for the catalog. */
static int normalize_ref(gr_scaffolder_ctx *ctx, const char *text, char **out)
{
    gr_entity_ref ref = GR_ENTITY_REF_INIT;
    int rc = gr_model_ref_parse(text, gr_scaffolder_ctx_string(ctx, "defaultKind", NULL),
                                gr_scaffolder_ctx_string(ctx, "defaultNamespace", NULL), &ref);

    *out = rc == 0 ? gr_model_ref_format(&ref) : NULL;
    gr_entity_ref_free(&ref);
    return rc;
}

static int fetch_one(gr_scaffolder_ctx *ctx, const char *text, bool optional, json_t **out)
{
    const gr_scaffolder_catalog *catalog = &gr_scaffolder_ctx_services(ctx)->catalog;
    char *ref = NULL;
    int rc;

    *out = NULL;
    if ((rc = normalize_ref(ctx, text, &ref)) < 0)
        return rc;
    /* An entity the creator may not read gives GR_ENOTFOUND too, so it reads as missing. */
    rc = catalog->fetch_entity(catalog->payload, gr_scaffolder_ctx_creator(ctx), ref, out);
    if (rc == GR_ENOTFOUND) {
        rc = optional ? 0 : gr_error_set(GR_ENOTFOUND, "Entity %s not found", text);
        *out = json_null();
    }
    free(ref);
    return rc;
}

static int catalog_fetch(gr_scaffolder_ctx *ctx, void *payload)
{
    const gr_scaffolder_catalog *catalog = &gr_scaffolder_ctx_services(ctx)->catalog;
    const char *ref = gr_scaffolder_ctx_string(ctx, "entityRef", NULL);
    json_t *refs = json_object_get(gr_scaffolder_ctx_input(ctx), "entityRefs");
    bool optional = gr_scaffolder_ctx_bool(ctx, "optional", false);
    json_t *entity = NULL;
    int rc;

    (void)payload;
    if (catalog->fetch_entity == NULL)
        return gr_error_set(GR_EBACKEND, "the catalog is not available to catalog:fetch here");
    if (ref == NULL && !json_is_array(refs))
        return gr_error_set(GR_EINVALID, "Missing entity reference or references");
    if (ref != NULL) {
        if ((rc = fetch_one(ctx, ref, optional, &entity)) < 0)
            return rc;
        return gr_scaffolder_ctx_output(ctx, "entity", entity);
    }
    {
        json_t *entities = json_array();
        size_t index;
        json_t *item;

        json_array_foreach(refs, index, item)
        {
            rc = json_is_string(item)
                     ? fetch_one(ctx, json_string_value(item), optional, &entity)
                     : gr_error_set(GR_EINVALID, "entityRefs[%zu] must be a string", index);
            if (rc < 0) {
                json_decref(entities);
                return rc;
            }
            json_array_append_new(entities, entity);
        }
        return gr_scaffolder_ctx_output(ctx, "entities", entities);
    }
}

/* Joins a repository contents URL and a path inside it. Caller frees. */
static char *join_url(const char *base, const char *path)
{
    size_t len = strlen(base);

    while (len > 0 && base[len - 1] == '/')
        len--;
    while (path[0] == '/' || (path[0] == '.' && path[1] == '/'))
        path += path[0] == '/' ? 1 : 2;
    return gr_xasprintf("%.*s/%s", (int)len, base, path);
}

/* Picks the entity Backstage reports: the first that is not a Location or generated. */
static const json_t *pick_entity(const json_t *entities)
{
    size_t index;
    json_t *entity;

    json_array_foreach(entities, index, entity)
    {
        const char *kind = json_string_value(json_object_get(entity, "kind"));
        const char *name =
            json_string_value(json_object_get(json_object_get(entity, "metadata"), "name"));

        if (kind != NULL && strcmp(kind, "Location") != 0 && name != NULL &&
            strncmp(name, "generated-", 10) != 0)
            return entity;
    }
    return json_array_get(entities, 0);
}

static int catalog_register(gr_scaffolder_ctx *ctx, void *payload)
{
    const gr_scaffolder_catalog *catalog = &gr_scaffolder_ctx_services(ctx)->catalog;
    const char *info_url = gr_scaffolder_ctx_string(ctx, "catalogInfoUrl", NULL);
    const char *contents = gr_scaffolder_ctx_string(ctx, "repoContentsUrl", NULL);
    bool optional = gr_scaffolder_ctx_bool(ctx, "optional", false);
    json_t *entities = NULL;
    char *url;
    int rc;

    (void)payload;
    if (info_url != NULL)
        url = gr_xstrdup(info_url);
    else if (contents != NULL)
        url = join_url(contents,
                       gr_scaffolder_ctx_string(ctx, "catalogInfoPath", "/catalog-info.yaml"));
    else
        return gr_error_set(GR_EINVALID, "catalogInfoUrl or repoContentsUrl must be given");
    if (catalog->register_location == NULL) {
        free(url);
        return gr_error_set(GR_EBACKEND, "the catalog is not available to catalog:register here");
    }
    gr_scaffolder_ctx_log(ctx, "Registering %s in the catalog", url);
    rc = catalog->register_location(catalog->payload, "url", url, &entities);
    if (rc == 0 && json_array_size(entities) > 0) {
        char *ref = gr_model_entity_ref(pick_entity(entities));

        rc = gr_scaffolder_ctx_output(ctx, "entityRef", json_string(ref));
        free(ref);
    }
    if (rc < 0 && optional) {
        gr_scaffolder_ctx_log(ctx, "Registering %s failed, which is allowed: %s", url,
                              gr_error_last());
        rc = 0;
    }
    if (rc == 0)
        rc = gr_scaffolder_ctx_output(ctx, "catalogInfoUrl", json_string(url));
    json_decref(entities);
    free(url);
    return rc;
}

int gr_scaffolder__add_catalog_actions(gr_scaffolder_actions *actions)
{
    const gr_scaffolder_action defs[] = {
        {.id = "catalog:write",
         .description = "Writes the catalog-info.yaml for your template",
         .input_schema = catalog_write_input,
         .supports_dry_run = true,
         .run = catalog_write},
        {.id = "catalog:fetch",
         .description = "Returns entity or entities from the catalog by entity reference(s)",
         .input_schema = catalog_fetch_input,
         .output_schema = catalog_fetch_output,
         .supports_dry_run = true,
         .run = catalog_fetch},
        {.id = "catalog:register",
         .description = "Registers entities from a catalog descriptor file in the workspace "
                        "into the software catalog.",
         .input_schema = catalog_register_input,
         .output_schema = catalog_register_output,
         .run = catalog_register},
    };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(defs) / sizeof(defs[0]); i++)
        rc = gr_scaffolder_actions_add(actions, &defs[i]);
    return rc;
}
