/* SPDX-License-Identifier: MIT */
/* Field selection: the `fields` parameter that keeps only parts of each entity. */
#ifndef GR_PLUGINS_CATALOG_API_FIELDS_H
#define GR_PLUGINS_CATALOG_API_FIELDS_H

#include <jansson.h>
#include <stddef.h>

#include "host/common/buf.h"

/** Maximum number of distinct field paths in one request. */
#define GR_CATALOG_FIELDS_MAX 100

/** The parsed field paths, in request order without repeats. */
typedef struct {
    char **paths;
    size_t count;
} gr_catalog_fields;

#define GR_CATALOG_FIELDS_INIT {NULL, 0}

/**
 * Adds the comma-separated paths in `values` (each trimmed; empty ones and
 * repeats are skipped) to `fields`. Returns 0, GR_EINVALID for a path with
 * '[' (array items cannot be selected, as in Backstage), or GR_ELIMIT past
 * GR_CATALOG_FIELDS_MAX.
 */
int gr_catalog_fields_add(gr_catalog_fields *fields, const char *const *values, size_t count);

/** Adds the strings of a JSON array (a POST body's `fields`); otherwise as above. */
int gr_catalog_fields_add_json(gr_catalog_fields *fields, const json_t *array);

/**
 * Returns a new object with only the selected subtrees of `entity` (caller
 * frees). A path is followed key by key; when a key is missing, it is joined
 * with the next part by '.', so `metadata.annotations.backstage.io/techdocs-ref`
 * selects that annotation. Paths that lead nowhere are left out.
 */
json_t *gr_catalog_fields_select(const gr_catalog_fields *fields, const json_t *entity);

/**
 * Appends the entity given as JSON text to `out`: unchanged when no field is
 * selected, else parsed and reduced by gr_catalog_fields_select(). Returns
 * 0, or GR_ERROR when stored text is not valid JSON.
 */
int gr_catalog_fields_write(const gr_catalog_fields *fields, const char *entity_text, gr_buf *out);

/** Frees the paths. NULL-safe. */
void gr_catalog_fields_free(gr_catalog_fields *fields);

#endif
