/* SPDX-License-Identifier: MIT */
/* Paths of site files taken from request URLs, normalized and kept inside the site. */
#ifndef GR_PLUGINS_TECHDOCS_PATH_H
#define GR_PLUGINS_TECHDOCS_PATH_H

/** Maximum length of a site file path, in bytes. */
#define GR_TECHDOCS_PATH_MAX 1024

/**
 * Normalizes the decoded wildcard of a docs URL (`raw`, segments joined by
 * '/', may be NULL) into a path inside the site. Empty and "." segments
 * are dropped. A path that is empty or ended with '/' gets "index.html"
 * appended. Stores a copy in *out (caller frees). Returns
 * GR_OK; GR_EDENIED for a ".." segment, including ones that came from
 * percent-encoded dots or slashes; GR_EINVALID for a backslash, a control
 * character or a path longer than GR_TECHDOCS_PATH_MAX.
 */
int gr_techdocs_path_normalize(const char *raw, char **out);

#endif
