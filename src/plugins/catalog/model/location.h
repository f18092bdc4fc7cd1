/* SPDX-License-Identifier: MIT */
/* Location annotations stamped on entities read from a location, and Location entity targets. */
#ifndef GR_PLUGINS_CATALOG_MODEL_LOCATION_H
#define GR_PLUGINS_CATALOG_MODEL_LOCATION_H

#include <jansson.h>
#include <stddef.h>

#include "plugins/catalog/model/problems.h"

/** Annotation naming the location an entity was read from, e.g. "file:/abs/catalog-info.yaml". */
#define GR_ANNOTATION_LOCATION "backstage.io/managed-by-location"
/** Annotation naming the location that led to it (the registered root location). */
#define GR_ANNOTATION_ORIGIN_LOCATION "backstage.io/managed-by-origin-location"

/**
 * Stamps `entity` (changed in place) with the location annotations, as
 * Backstage does to every entity a location emits: a missing, null, false,
 * 0 or "" metadata.annotations becomes an object; any other non-object value
 * is a problem ("metadata.annotations must be an object"). `location_ref`
 * and `origin_ref` are copied ("type:target"). Returns GR_OK or GR_EINVALID.
 * The entity must have passed gr_model_check_envelope().
 */
int gr_model_annotate_location(json_t *entity, const char *location_ref, const char *origin_ref,
                               gr_model_problems *problems);

/** One target of a Location entity. */
typedef struct {
    char *type;   /* spec.type, or the type of the location the entity came from */
    char *target; /* as written */
    int optional; /* spec.presence is "optional" */
    char *pointer; /* JSON pointer of the target in the entity */
} gr_model_location_target;

/**
 * Collects spec.target and spec.targets of a Location entity. `source_type`
 * is the type of the location the entity was read from ("file", "url"); it is
 * used when spec.type is missing. A "file" target ending in '/' is a problem,
 * as in Backstage. Stores a caller-owned array in `*targets_out` (free with
 * gr_model_location_targets_free). Returns GR_OK or GR_EINVALID.
 */
int gr_model_location_targets(const json_t *entity, const char *source_type,
                              gr_model_location_target **targets_out, size_t *count_out,
                              gr_model_problems *problems);

/** Frees an array from gr_model_location_targets(). NULL-safe. */
void gr_model_location_targets_free(gr_model_location_target *targets, size_t count);

#endif
