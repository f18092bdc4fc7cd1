/* SPDX-License-Identifier: MIT */
/* The parts of gr_model shared by the files of the model module. */
#ifndef GR_PLUGINS_CATALOG_MODEL_MODEL_INTERNAL_H
#define GR_PLUGINS_CATALOG_MODEL_MODEL_INTERNAL_H

#include <stddef.h>

#include "plugins/catalog/model/model.h"
#include "plugins/catalog/model/schema.h"

/** One kind at one apiVersion, validated by the schema `schema_id`. */
typedef struct {
    char *kind;
    char *api_version;
    char *schema_id;
} gr_model__kind;

struct gr_model {
    gr_schema_set *schemas;
    gr_model__kind *kinds;
    size_t kind_count;
};

/** Finds the kind record for `kind` at `api_version` (exact, case-sensitive), or NULL. */
const gr_model__kind *gr_model__find_kind(const gr_model *model, const char *kind,
                                          const char *api_version);

/** Appends the field-format problems of metadata, apiVersion and kind (FieldFormatEntityPolicy). */
void gr_model__check_fields(const json_t *entity, gr_model_problems *problems);

#endif
