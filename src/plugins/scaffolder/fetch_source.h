/* SPDX-License-Identifier: MIT */
/* Where fetch actions read from: template-relative paths, allowed local folders, remote trees. */
#ifndef GR_SCAFFOLDER_FETCH_SOURCE_H
#define GR_SCAFFOLDER_FETCH_SOURCE_H

#include "plugins/scaffolder/action.h"

/** A source made ready for reading. Free with gr_fetch_source_clear(). */
typedef struct {
    char *path;     /* absolute local path of the folder or file */
    char *temp_dir; /* a download folder to remove afterwards, or NULL */
} gr_fetch_source;

/**
 * Resolves the `url` input of a fetch action as Backstage does: a relative
 * URL against the template's base URL, an absolute http(s) URL through the
 * integration of its host. A relative URL of a template read from a file
 * must stay in the template's folder or in a folder of
 * scaffolder.templateRoots. GitHub tree and blob URLs are downloaded with
 * the contents API into a temporary folder below the working directory.
 * Returns 0; GR_EINVALID for a URL that leaves its allowed folders or has
 * no base to resolve against; GR_ENOTFOUND when the source is missing;
 * GR_EDENIED for a host without an integration; GR_EBACKEND for a failed
 * download.
 */
int gr_fetch_source_open(gr_scaffolder_ctx *ctx, const char *url, gr_fetch_source *out);

/** Removes the download folder, if any, and frees the paths. */
void gr_fetch_source_clear(gr_fetch_source *source);

#endif
