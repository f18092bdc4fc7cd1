/* SPDX-License-Identifier: MIT */
/* Placeholders in entities ($text, $json, $yaml), resolved through a reader callback. */
#ifndef GR_PLUGINS_CATALOG_MODEL_PLACEHOLDER_H
#define GR_PLUGINS_CATALOG_MODEL_PLACEHOLDER_H

#include <jansson.h>
#include <stddef.h>

#include "plugins/catalog/model/problems.h"

/** Maximum size of one file read for a placeholder, in bytes. */
#define GR_MODEL_PLACEHOLDER_MAX_BYTES ((size_t)1 << 20)

/** Maximum number of placeholders resolved in one entity. */
#define GR_MODEL_PLACEHOLDER_MAX_COUNT 64

/**
 * Reads `target` (as written after the placeholder key, e.g. "./docs/api.yaml")
 * relative to `base` (where the entity was read from). Stores the bytes in
 * `*text_out` (caller frees, NUL-terminated) and their count in `*len_out`.
 * Returns GR_OK, or an error code with gr_error_set() describing the failure.
 * A reader that deliberately does not read a target (a validator offline
 * facing a URL) returns GR_MODEL_READ_SKIPPED and stores nothing; the
 * placeholder then becomes a string saying so, and no problem is added.
 * A reader for URLs or git repositories has the same shape.
 */
#define GR_MODEL_READ_SKIPPED 1

typedef int (*gr_model_read_fn)(void *payload, const char *base, const char *target,
                                 char **text_out, size_t *len_out);

typedef struct {
    gr_model_read_fn read;
    void *payload;
    const char *base; /* borrowed: the entity's source, passed to `read` */
} gr_model_placeholder_reader;

/**
 * Replaces every placeholder in `entity` (changed in place) the way Backstage's
 * PlaceholderProcessor does. A placeholder is an object with exactly one
 * member whose key is "$text" (the file's text), "$json" (the file parsed as
 * JSON) or "$yaml" (the file parsed as YAML, exactly one document). An object
 * with a "$" key among several members, or with an unknown "$" key, stays as
 * it is and is not searched further. Resolved values are not searched again.
 *
 * Each failure (a non-string target, a failed read, bad JSON or YAML, a limit)
 * adds a problem at the placeholder's JSON pointer, rule "placeholder", whose
 * message names `reader->base` and the target. Returns GR_OK, or GR_EINVALID
 * when a problem was added.
 */
int gr_model_resolve_placeholders(json_t *entity, const gr_model_placeholder_reader *reader,
                                  gr_model_problems *problems);

/** A file reader confined to one folder; pass it as the payload of gr_model_file_read(). */
typedef struct {
    const char *root; /* borrowed: targets must resolve inside this folder */
} gr_model_file_reader;

/**
 * A gr_model_read_fn for local files. `base` is the path of the entity's file
 * and `target` a path relative to its folder. Rejects absolute targets, URLs,
 * targets that leave the root (through ".." or a symbolic link), anything
 * but a regular file, and files larger than GR_MODEL_PLACEHOLDER_MAX_BYTES.
 * Returns GR_OK, GR_EDENIED, GR_ENOTFOUND, GR_ELIMIT or GR_EBACKEND.
 */
int gr_model_file_read(void *payload, const char *base, const char *target, char **text_out,
                       size_t *len_out);

#endif
