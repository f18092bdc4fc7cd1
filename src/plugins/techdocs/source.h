/* SPDX-License-Identifier: MIT */
/* The docs source of an entity: the folder to build from and the hash of its content. */
#ifndef GR_PLUGINS_TECHDOCS_SOURCE_H
#define GR_PLUGINS_TECHDOCS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "plugins/catalog/engine/settings.h"
#include "plugins/techdocs/entity.h"

/** Length of a source hash: lower-case hex SHA-256 and a NUL. */
#define GR_TECHDOCS_HASH_SIZE 65

/** A folder to build from, and whether it is a fetched copy to remove afterwards. */
typedef struct {
    char *dir;
    bool temporary;
} gr_techdocs_source;

/**
 * Finds or fetches the folder holding mkdocs.yml for `location` into `out`.
 * A `dir` location is its own target. A `url` or `git` location is read
 * through the catalog's readers under `reading` (integrations and
 * backend.reading.allow) into a temporary folder. Returns GR_OK;
 * GR_ENOTFOUND when the folder or its mkdocs.yml is missing; GR_EDENIED for
 * a URL host that is not allowed; GR_EINVALID for another location type;
 * or a reader error. The message names the location. Release with
 * gr_techdocs_source_close(). Thread-safe.
 */
int gr_techdocs_source_open(const gr_catalog_settings *reading,
                            const gr_techdocs_location *location, gr_techdocs_source *out);

/** Removes a temporary folder and frees `source`. NULL-safe. */
void gr_techdocs_source_close(gr_techdocs_source *source);

/**
 * Returns the docs_dir of the mkdocs.yml text `text` named `name`, or
 * "docs" when it is not set or cannot be read (the build reports why).
 * Caller frees.
 */
char *gr_techdocs_source_docs_dir(const char *name, const char *text, size_t size);

/**
 * Hashes what a build of `src_dir` reads: mkdocs.yml (or mkdocs.yaml) and
 * every file the builder lists under its docs_dir, names and contents, so
 * that any change to the docs changes the hash and nothing else does.
 * Writes lower-case hex into `out`. Returns GR_OK, GR_ENOTFOUND without
 * mkdocs.yml, or GR_EBACKEND / GR_ELIMIT from reading. Thread-safe.
 */
int gr_techdocs_source_hash(const char *src_dir, char out[GR_TECHDOCS_HASH_SIZE]);

#endif
