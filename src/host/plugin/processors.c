/* SPDX-License-Identifier: MIT */
/* Catalog processors registered through the plugin ABI, and running them on an entity. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/plugin/catalog_provider.h"
#include "host/plugin/ctx.h"
#include "host/plugin/plugin.h"
#include "host/plugin/services.h"

/* Named first, so that records freed by name stay compatible. */
typedef struct {
    char *name;
    char *key;             /* "<plugin-id>:<name>", shown in processing errors */
    gr_plugin__view match; /* kinds, types and annotation of the filter (owned) */
    gr_plugin_processor def;
} processor_record;

static char *dup_or_null(const char *text)
{
    return text != NULL ? gr_xstrdup(text) : NULL;
}

void gr_plugin__processor_free(void *item)
{
    processor_record *record = item;

    free(record->name);
    free(record->key);
    free(record->match.kinds);
    free(record->match.types);
    free(record->match.annotation);
    free(record);
}

int gr_plugin__processor_add(gr_plugin_ctx *ctx, const gr_plugin_processor *def)
{
    processor_record *record;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "processor_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_processor) || def->name == NULL ||
        def->name[0] == '\0' || def->process == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: a processor needs a name and a function",
                            ctx->id);
    if (gr_plugin__catalog_provider("plugin", ctx->id, "processors cannot be added") == NULL)
        return GR_EBACKEND;
    for (size_t i = 0; i < ctx->processors.count; i++) {
        if (strcmp(((processor_record *)ctx->processors.items[i])->name, def->name) == 0)
            return gr_error_set(GR_ECONFLICT, "plugin %s: processor '%s' is registered twice",
                                ctx->id, def->name);
    }
    record = gr_xcalloc(1, sizeof(*record));
    record->name = gr_xstrdup(def->name);
    record->key = gr_xasprintf("%s:%s", ctx->id, def->name);
    record->match.kinds = dup_or_null(def->filter.kinds);
    record->match.types = dup_or_null(def->filter.types);
    record->match.annotation = dup_or_null(def->filter.annotation);
    record->def = *def;
    /* The copied descriptor keeps only the function and payload; the
     * strings it points to belong to the plugin and may be gone. */
    record->def.name = NULL;
    memset(&record->def.filter, 0, sizeof(record->def.filter));
    if ((rc = gr_plugin__list_push(&ctx->processors, record)) < 0)
        gr_plugin__processor_free(record);
    return rc;
}

/* Runs one processor on *entity; replaces it when the processor returns a changed one. */
static int run_one(const processor_record *record, json_t **entity)
{
    char *text = json_dumps(*entity, JSON_COMPACT);
    char *out = NULL;
    json_t *changed;
    json_error_t error;
    int rc;

    if (!gr_plugin__view_matches(&record->match, *entity, text)) {
        free(text);
        return GR_OK;
    }
    gr_error_clear();
    rc = record->def.process(text, &out, record->def.payload);
    free(text);
    if (rc < 0) {
        free(out);
        if (gr_error_last()[0] == '\0')
            return gr_error_set(rc, "returned %d without a message", rc);
        return rc;
    }
    if (out == NULL)
        return GR_OK;
    changed = json_loads(out, 0, &error);
    free(out);
    if (!json_is_object(changed)) {
        json_decref(changed);
        return gr_error_set(GR_EINVALID, "returned an entity that is not a JSON object (%s)",
                            error.text[0] != '\0' ? error.text : "not an object");
    }
    json_decref(*entity);
    *entity = changed;
    return GR_OK;
}

int gr_plugin_processors_run(json_t **entity, char **failed)
{
    size_t count = 0;
    gr_plugin_ctx *const *ctxs = gr_plugin__registry(&count);

    *failed = NULL;
    for (size_t i = 0; i < count; i++) {
        if (!ctxs[i]->set_up)
            continue;
        for (size_t j = 0; j < ctxs[i]->processors.count; j++) {
            const processor_record *record = ctxs[i]->processors.items[j];
            int rc = run_one(record, entity);

            if (rc < 0) {
                *failed = gr_xstrdup(record->key);
                return rc;
            }
        }
    }
    return GR_OK;
}
