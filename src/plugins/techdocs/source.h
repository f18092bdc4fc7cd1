/* SPDX-License-Identifier: MIT */
/* The docs source of an entity: the folder to build from and the hash of its content. */
#ifndef GR_PLUGINS_TECHDOCS_SOURCE_H
#define GR_PLUGINS_TECHDOCS_SOURCE_H

#include "plugins/techdocs/entity.h"

/** Length of a source hash: lower-case hex SHA-256 and a NUL. */
#define GR_TECHDOCS_HASH_SIZE 65

/**
 * Returns in *dir_out the local folder holding mkdocs.yml for `location`
 * (caller frees). A `dir` location is its own target. Returns GR_OK,
 * GR_ENOTFOUND when the folder is missing, or GR_EINVALID for a `url`
 * location, which needs a reader of remote folders.
 */
int gr_techdocs_source_folder(const gr_techdocs_location *location, char **dir_out);

/**
 * Hashes what a build of `src_dir` reads: mkdocs.yml (or mkdocs.yaml) and
 * every file the builder lists under its docs_dir, names and contents, so
 * that any change to the docs changes the hash and nothing else does.
 * Writes lower-case hex into `out`. Returns GR_OK, GR_ENOTFOUND without
 * mkdocs.yml, or GR_EBACKEND / GR_ELIMIT from reading. Thread-safe.
 */
int gr_techdocs_source_hash(const char *src_dir, char out[GR_TECHDOCS_HASH_SIZE]);

#endif
