/* SPDX-License-Identifier: MIT */
/* Files of a task: paths that cannot leave their root, folder walks, copies and globs. */
#ifndef GR_SCAFFOLDER_WORKSPACE_H
#define GR_SCAFFOLDER_WORKSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/common/buf.h"

/**
 * Resolves `relative` below the absolute folder `root`, as Backstage's
 * resolveSafeChildPath does, and more strictly: "." and ".." segments are
 * applied lexically, and the result must be `root` or inside it. An
 * absolute `relative` is accepted only when it lies inside `root`. No
 * existing part of the path below `root` may be a symbolic link, so a link
 * cannot lead outside either. Returns 0 and a caller-freed path without a
 * trailing slash, or GR_EINVALID with a message naming `relative`.
 */
int gr_scaffolder_path_resolve(const char *root, const char *relative, char **out);

/**
 * Normalizes a '/'-separated relative path in place: drops "." segments
 * and empty segments and applies "..". Returns -1 when ".." climbs above the
 * start, else the depth (number of segments) of the result.
 */
int gr_scaffolder_path_normalize(char *path);

/** Creates `path` and its missing parents with mode 0755. Returns 0 or GR_EBACKEND. */
int gr_scaffolder_mkdirs(const char *path);

/**
 * Removes `path` and everything below it, without following symbolic links.
 * A missing path is not an error. Returns 0 or GR_EBACKEND.
 */
int gr_scaffolder_rmtree(const char *path);

/** One entry found by gr_scaffolder_walk(). */
typedef struct {
    char *path; /* relative to the walked root, '/'-separated; folders end in '/' */
    bool is_dir;
    bool is_link; /* a symbolic link (only with GR_WALK_KEEP_LINKS) */
    mode_t mode;
    int64_t size;
} gr_scaffolder_entry;

typedef struct {
    gr_scaffolder_entry *items;
    size_t count;
    size_t cap;
} gr_scaffolder_entries;

/** Walk flags. */
enum {
    /* Lists symbolic links as entries instead of rejecting them. */
    GR_WALK_KEEP_LINKS = 1u << 0,
    /* Skips a top-level ".git" folder. */
    GR_WALK_SKIP_GIT = 1u << 1,
};

/**
 * Lists every file and folder below `root`, sorted by path, parents before
 * children. Without GR_WALK_KEEP_LINKS a symbolic link is an error
 * (GR_EINVALID naming it), because a link in a skeleton could copy files
 * from outside it. Returns 0; GR_ELIMIT past GR_SCAFFOLDER_MAX_FILES entries
 * or GR_SCAFFOLDER_MAX_DEPTH levels; GR_ENOTFOUND when `root` is not a
 * folder; GR_EBACKEND when a folder cannot be read.
 */
int gr_scaffolder_walk(const char *root, unsigned flags, gr_scaffolder_entries *out);

/** Frees the entries of a walk. NULL-safe. */
void gr_scaffolder_entries_free(gr_scaffolder_entries *entries);

/**
 * Reads a whole regular file (NUL-terminated, the NUL not counted), at most
 * `max_bytes`. Returns 0, GR_ENOTFOUND, GR_ELIMIT, or GR_EBACKEND.
 */
int gr_scaffolder_read_file(const char *path, size_t max_bytes, gr_buf *out);

/**
 * Writes `len` bytes to `path` with `mode`, creating parent folders.
 * Refuses to write through a symbolic link. Returns 0 or GR_EBACKEND.
 */
int gr_scaffolder_write_file(const char *path, const void *data, size_t len, mode_t mode);

/** Returns the total size of the regular files below `root`, or -1 on error. */
int64_t gr_scaffolder_tree_bytes(const char *root);

/**
 * Matches a '/'-separated relative path against a glob: `*` and `?` stay
 * inside one segment, `**` matches any number of segments, `[...]` a set,
 * `{a,b}` alternatives. Names starting with '.' match like any other (the
 * `dot: true` option of the globby package). A pattern that ends in '/' or
 * names a folder also matches everything below that folder.
 */
bool gr_scaffolder_glob_match(const char *pattern, const char *path);

/** Returns true when `data` looks binary: a NUL byte or invalid UTF-8 in its first 8000 bytes. */
bool gr_scaffolder_is_binary(const char *data, size_t len);

#endif
