/* SPDX-License-Identifier: MIT */
/* Copies of docs sources in url and git locations, fetched through the catalog's readers. */
#ifndef GR_PLUGINS_TECHDOCS_REMOTE_H
#define GR_PLUGINS_TECHDOCS_REMOTE_H

#include "plugins/catalog/engine/settings.h"
#include "plugins/techdocs/entity.h"

/** Maximum number of pages fetched from a url location. */
#define GR_TECHDOCS_REMOTE_MAX_PAGES 1000

/**
 * Copies mkdocs.yml (or mkdocs.yaml) and the docs folder of a `url` or
 * `git` `location` into a new temporary folder under $TMPDIR (default
 * /tmp). Stores its path in *dir_out, and the caller removes the folder and
 * frees the path. A git location copies every file under docs_dir at the
 * location's ref. A url location cannot be listed, so it copies the pages
 * that `nav` names, or index.md and README.md without `nav`. Reads go
 * through gr_catalog__read_location() under `reading` (borrowed), so its
 * size, time and host limits apply.
 *
 * Returns GR_OK; GR_ENOTFOUND without mkdocs.yml; GR_EDENIED for a host
 * that no integration or backend.reading.allow entry allows; GR_EINVALID
 * for a file path that leaves the folder; or a reader error. Thread-safe.
 */
int gr_techdocs_remote_fetch(const gr_catalog_settings *reading,
                             const gr_techdocs_location *location, char **dir_out);

#endif
