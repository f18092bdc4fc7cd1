/* SPDX-License-Identifier: MIT */
/* Resolves the dot segments of a URL path, for checks that compare path prefixes. */
#ifndef GR_HOST_COMMON_URL_PATH_H
#define GR_HOST_COMMON_URL_PATH_H

#include <stdbool.h>

/**
 * Writes to *out (caller frees) `path` with its "." and ".." segments
 * removed, as a server resolves them. A dot written as %2e (any case)
 * counts as a dot, because servers decode it before resolving. Returns
 * GR_OK, or GR_EINVALID when the path contains a backslash or an encoded
 * slash or backslash (%2f, %5c), which servers treat differently, so no
 * prefix check can be sure of them. Thread-safe.
 */
int gr_url_path_resolve(const char *path, char **out);

/**
 * Returns whether `path`, once resolved, starts with `prefix`. A path that
 * cannot be resolved matches no prefix. Thread-safe.
 */
bool gr_url_path_has_prefix(const char *path, const char *prefix);

#endif
