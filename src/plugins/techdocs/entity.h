/* SPDX-License-Identifier: MIT */
/* Documented entities: their names, catalog lookups and where their docs sources are. */
#ifndef GR_PLUGINS_TECHDOCS_ENTITY_H
#define GR_PLUGINS_TECHDOCS_ENTITY_H

#include <jansson.h>

#include "host/common/buf.h"
#include "host/store/db.h"

/** The annotation that names an entity's docs source. */
#define GR_TECHDOCS_REF_ANNOTATION "backstage.io/techdocs-ref"

/** Maximum length of a namespace, kind or name in a docs URL, in bytes. */
#define GR_TECHDOCS_TRIPLET_PART_MAX 253

/**
 * The namespace, kind and name that address an entity's docs, in lower case
 * as Backstage stores sites, and the entity reference built from them.
 */
typedef struct {
    char *namespace;
    char *kind;
    char *name;
    char *ref; /* "kind:namespace/name" */
} gr_techdocs_triplet;

/**
 * Fills `out` from URL parts (borrowed), lower-cased. Returns GR_OK, or
 * GR_EINVALID when a part is empty, longer than GR_TECHDOCS_TRIPLET_PART_MAX,
 * or has a '/', a backslash, a control character or is "." or "..".
 * Free with gr_techdocs_triplet_free().
 */
int gr_techdocs_triplet_init(gr_techdocs_triplet *out, const char *namespace, const char *kind,
                             const char *name);

/** Fills `out` from an entity's kind, metadata.namespace (default "default") and name. */
int gr_techdocs_triplet_of_entity(gr_techdocs_triplet *out, const json_t *entity);

/** Frees the strings of `triplet`. NULL-safe. */
void gr_techdocs_triplet_free(gr_techdocs_triplet *triplet);

/**
 * Reads the final entity of `triplet` from catalog_final_entities. Returns
 * GR_OK and *out (caller releases with json_decref()), GR_ENOTFOUND when the
 * catalog has no such entity, or a database error. Thread-safe.
 */
int gr_techdocs_entity_load(gr_db *db, const gr_techdocs_triplet *triplet, json_t **out);

/**
 * The location of an entity's docs source: type "dir" (a local folder),
 * "url" (a folder URL) or "git" (a catalog git target whose path= names
 * the folder).
 */
typedef struct {
    char *type;
    char *target;
} gr_techdocs_location;

/**
 * Resolves the techdocs-ref annotation of `entity` (borrowed) as Backstage's
 * getLocationForEntity does. `url:<url>` is returned as is. `dir:<path>` is
 * relative to the entity's source location (the backstage.io/source-location
 * annotation, else backstage.io/managed-by-location). Under a `url` source
 * it becomes a `url` location resolved against that URL. Under a `git`
 * source it becomes a `git` location in the same repository and ref, which
 * must stay inside the repository. Under a `file`
 * source it becomes a `dir` location with an absolute path, which must stay
 * inside the folder of that file. Returns GR_OK; GR_ENOTFOUND without the annotation;
 * GR_EINVALID for a malformed annotation, another type, a source location
 * of an unsupported type or a path that leaves its folder. Free with
 * gr_techdocs_location_free().
 */
int gr_techdocs_entity_location(const json_t *entity, gr_techdocs_location *out);

/**
 * Returns the percent-decoded value of the path= parameter of a catalog git
 * target ("<repository>?ref=main&path=docs"), or NULL without one. Stores
 * where the encoded value starts and ends in `target` when `start` and
 * `end` are not NULL. Caller frees.
 */
char *gr_techdocs_git_path(const char *target, const char **start, const char **end);

/** Appends `path` to `out` as a git target's path= value, percent-encoding '%', '&', '+' and '#'. */
void gr_techdocs_git_put_path(gr_buf *out, const char *path);

/** Frees the strings of `location`. NULL-safe. */
void gr_techdocs_location_free(gr_techdocs_location *location);

#endif
