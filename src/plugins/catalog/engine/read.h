/* SPDX-License-Identifier: MIT */
/* Reading location targets: local files and globs, URLs through integrations, git repositories. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_READ_H
#define GR_PLUGINS_CATALOG_ENGINE_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "host/common/buf.h"
#include "plugins/catalog/engine/settings.h"

/*
 * Location types and their targets:
 *   file  an absolute path, or a glob (`*`, `?`, `[...]`, `**` for any
 *         number of folders) that may match many files
 *   url   an http(s) URL on a host listed under integrations.github,
 *         integrations.gitlab or backend.reading.allow; GitHub and GitLab
 *         blob/tree URLs are read through their raw-content endpoints
 *   git   a repository path with the ref and the path inside it:
 *         /srv/repos/site.git?ref=main&path=catalog-info.yaml
 *         `ref` is a branch, a tag or a commit (default HEAD); `path` may be a
 *         glob. The object database is read directly; nothing is checked out.
 */

/** One file read from a location: where it came from and its bytes (NUL-terminated). */
typedef struct {
    char *target; /* the file's own target: a path, a URL or a git target */
    char *data;
    size_t len;
} gr_catalog_file;

typedef struct {
    gr_catalog_file *items;
    size_t count;
    size_t cap;
} gr_catalog_files;

#define GR_CATALOG_FILES_INIT {NULL, 0, 0}

/** Frees every file and empties the list. NULL-safe. */
void gr_catalog__files_free(gr_catalog_files *files);

/** Appends a file, taking ownership of `target` and `data`. */
void gr_catalog__files_push(gr_catalog_files *files, char *target, char *data, size_t len);

/**
 * Reads every file `target` names for location type `type`. Returns 0 with
 * at least one file; GR_ENOTFOUND when nothing matched; GR_EINVALID for a
 * malformed target or an unknown type; GR_EDENIED for a URL host that is
 * not allowed; GR_ELIMIT for a size, count or time limit; GR_EBACKEND for
 * another failure. The message names the target.
 */
int gr_catalog__read_location(const gr_catalog_settings *settings, const char *type,
                              const char *target, gr_catalog_files *out);

/**
 * Resolves `target` written in a file read from `base` (both of `type`) as
 * Backstage does: file targets starting with '.' are relative to the
 * folder of `base`, URLs resolve by RFC 3986, git paths inside the
 * repository (gr_catalog__git_target_inside()) stay in the same repository
 * and ref. Other targets are returned as they are. Caller frees.
 */
char *gr_catalog__resolve_target(const char *type, const char *base, const char *target);

/**
 * True when `target`, written in a file of a git location, names a file of
 * the same repository: a relative path, without a '?' that would start
 * another repository's ref and path, and without a URL scheme. Files of a
 * git location may point only there, because a person who can commit to
 * one repository on the host may not be allowed to read the others.
 */
bool gr_catalog__git_target_inside(const char *target);

/**
 * Appends `text` to `out` for a ref= or path= parameter of a git target, with '%', '&',
 * '#' and '+' percent-encoded, so that the git reader reads back the same text and a '&'
 * in a file name cannot start another parameter.
 */
void gr_catalog__git_param_append(gr_buf *out, const char *text);

/** Removes "." and ".." segments and doubled slashes from a '/'-separated path, in place. */
char *gr_catalog__normalize_path(char *path);

/**
 * Finds the regular files that the absolute glob `pattern` matches, as the
 * `file` reader does. The walk goes at most 32 folders below the fixed
 * prefix and skips linked folders and names that are not UTF-8. Stores the
 * sorted paths in *paths_out (caller frees each and the array) and their
 * number, which may be 0. Returns 0, GR_EINVALID for a relative pattern, or
 * GR_ELIMIT past `max_entries` files and folders looked at or past
 * GR_CATALOG_MAX_GLOB_FILES matches.
 */
int gr_catalog__glob_files(const char *pattern, size_t max_entries, char ***paths_out,
                           size_t *count_out);

/* Per-type readers, called by gr_catalog__read_location(). */
int gr_catalog__read_file(const gr_catalog_settings *settings, const char *target,
                          gr_catalog_files *out);
int gr_catalog__read_url(const gr_catalog_settings *settings, const char *target,
                         gr_catalog_files *out);
int gr_catalog__read_git(const gr_catalog_settings *settings, const char *target,
                         gr_catalog_files *out);

/**
 * Returns the URL the url reader fetches for `url`: the raw-content URL of
 * a GitHub or GitLab blob URL, or `url` itself. Stores the token to send
 * (borrowed, or NULL). Caller frees the URL.
 */
char *gr_catalog__url_fetch_target(const gr_catalog_settings *settings, const char *url,
                                   const char **token, int *gitlab);

/** Returns whether the settings allow reading `url` (its host and path). */
int gr_catalog__url_allowed(const gr_catalog_settings *settings, const char *url);

#endif
