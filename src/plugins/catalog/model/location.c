/* SPDX-License-Identifier: MIT */
/* Location annotations stamped on entities read from a location, and Location entity targets. */
#include "plugins/catalog/model/location.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

int gr_model_annotate_location(json_t *entity, const char *location_ref, const char *origin_ref,
                               gr_model_problems *problems)
{
    json_t *metadata = json_object_get(entity, "metadata");
    json_t *annotations = json_object_get(metadata, "annotations");

    if (!json_is_object(metadata))
        return GR_EINVALID;
    if (gr_model_is_falsy(annotations)) {
        annotations = json_object();
        json_object_set_new(metadata, "annotations", annotations);
    } else if (!json_is_object(annotations)) {
        char *text = gr_model_value_text(annotations);

        gr_model_problems_add(problems, "/metadata/annotations", "type", text,
                              "metadata.annotations must be an object");
        free(text);
        return GR_EINVALID;
    }
    json_object_set_new(annotations, GR_ANNOTATION_ORIGIN_LOCATION, json_string(origin_ref));
    json_object_set_new(annotations, GR_ANNOTATION_LOCATION, json_string(location_ref));
    return GR_OK;
}

static void add_target(gr_model_location_target **targets, size_t *count, const char *type,
                       const char *target, int optional, const char *pointer)
{
    gr_model_location_target *item;

    *targets = gr_xrealloc(*targets, (*count + 1) * sizeof(**targets));
    item = &(*targets)[(*count)++];
    item->type = gr_xstrdup(type);
    item->target = gr_xstrdup(target);
    item->optional = optional;
    item->pointer = gr_xstrdup(pointer);
}

static void check_target(gr_model_location_target **targets, size_t *count, const char *type,
                         const json_t *value, int optional, const char *pointer,
                         gr_model_problems *problems)
{
    const char *target = json_string_value(value);
    size_t len;

    if (target == NULL || target[0] == '\0')
        return;
    len = strlen(target);
    if (strcmp(type, "file") == 0 && target[len - 1] == '/') {
        gr_model_problems_add(problems, pointer, "location-target", NULL,
                              "file location target \"%s\" ends with a path separator; name a "
                              "file or a glob pattern",
                              target);
        return;
    }
    add_target(targets, count, type, target, optional, pointer);
}

int gr_model_location_targets(const json_t *entity, const char *source_type,
                              gr_model_location_target **targets_out, size_t *count_out,
                              gr_model_problems *problems)
{
    const json_t *spec = json_object_get(entity, "spec");
    const char *type = json_string_value(json_object_get(spec, "type"));
    const char *presence = json_string_value(json_object_get(spec, "presence"));
    int optional = presence != NULL && strcmp(presence, "optional") == 0;
    size_t before = problems->count;
    size_t i;
    json_t *item;

    *targets_out = NULL;
    *count_out = 0;
    if (type == NULL)
        type = source_type;
    check_target(targets_out, count_out, type, json_object_get(spec, "target"), optional,
                 "/spec/target", problems);
    json_array_foreach(json_object_get(spec, "targets"), i, item)
    {
        char *pointer = gr_xasprintf("/spec/targets/%zu", i);

        check_target(targets_out, count_out, type, item, optional, pointer, problems);
        free(pointer);
    }
    return problems->count > before ? GR_EINVALID : GR_OK;
}

void gr_model_location_targets_free(gr_model_location_target *targets, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(targets[i].type);
        free(targets[i].target);
        free(targets[i].pointer);
    }
    free(targets);
}
