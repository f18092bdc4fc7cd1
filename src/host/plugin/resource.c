/* SPDX-License-Identifier: MIT */
/* Resource loaders of plugins, handed to the permission checks (host/permission/resource.h). */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/permission/permission.h"
#include "host/permission/resource.h"
#include "host/plugin/ctx.h"
#include "host/plugin/services.h"

/* One loader as registered. Like every record freed by name, its name (the type) comes first. */
typedef struct {
    char *resource_type;
    gr_plugin_ctx *ctx;
    gr_plugin_resource_loader def;
} loader_record;

void gr_plugin__loader_free(void *item)
{
    loader_record *record = item;

    free(record->resource_type);
    free(record);
}

/* Runs the plugin's loader and parses what it returns. A plugin whose setup failed loads
 * nothing. */
static int load_resource(void *payload, const char *resource_ref, json_t **out)
{
    loader_record *record = payload;
    char *text = NULL;
    json_error_t error;
    int rc;

    *out = NULL;
    if (!record->ctx->set_up)
        return gr_error_set(GR_ENOTFOUND, "plugin %s is not running", record->ctx->id);
    gr_error_clear();
    rc = record->def.load(resource_ref, &text, record->def.payload);
    if (rc == GR_OK && text != NULL)
        *out = json_loads(text, 0, &error);
    free(text);
    if (rc == GR_OK && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        rc = gr_error_set(GR_EBACKEND, "plugin %s: the loader of %s returned no JSON object for %s",
                          record->ctx->id, record->resource_type, resource_ref);
    } else if (rc < 0 && gr_error_last()[0] == '\0') {
        rc = gr_error_set(rc, "plugin %s: the loader of %s failed with %d for %s", record->ctx->id,
                          record->resource_type, rc, resource_ref);
    }
    return rc;
}

int gr_plugin__resource_loader_add(gr_plugin_ctx *ctx, const gr_plugin_resource_loader *def)
{
    loader_record *record;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "resource_loader_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_resource_loader) ||
        def->resource_type == NULL || def->resource_type[0] == '\0' || def->load == NULL)
        return gr_error_set(GR_EINVALID,
                            "plugin %s: a resource loader needs struct_size, a resource type "
                            "and a load function",
                            ctx->id);
    /* Permission checks read catalog entities from the catalog itself, as the catalog API does,
     * so no plugin can change what a catalog rule is applied to. */
    if (strcmp(def->resource_type, GR_PERMISSION_CATALOG_ENTITY) == 0)
        return gr_error_set(GR_EINVALID,
                            "plugin %s: resources of type %s are read from the catalog; a plugin "
                            "cannot register a loader for them",
                            ctx->id, GR_PERMISSION_CATALOG_ENTITY);
    record = gr_xcalloc(1, sizeof(*record));
    record->resource_type = gr_xstrdup(def->resource_type);
    record->ctx = ctx;
    record->def = *def;
    if ((rc = gr_plugin__list_push(&ctx->loaders, record)) < 0) {
        gr_plugin__loader_free(record);
        return rc;
    }
    rc = gr_permission_resource_add(record->resource_type, load_resource, record, ctx);
    return rc < 0 ? gr_error_wrap(rc, "plugin %s", ctx->id) : GR_OK;
}
