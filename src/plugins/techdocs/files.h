/* SPDX-License-Identifier: MIT */
/* File helpers for docs sites: listing a site folder, reading files whole, removing trees. */
#ifndef GR_PLUGINS_TECHDOCS_FILES_H
#define GR_PLUGINS_TECHDOCS_FILES_H

#include <stddef.h>

/** The '/'-separated paths of the files of a folder, sorted. */
typedef struct {
    char **paths;
    size_t count;
    size_t cap;
} gr_techdocs_paths;

/**
 * Lists the regular files under `dir`, relative to it, in byte order.
 * Entries whose names start with '.' and symbolic links are left out.
 * Returns GR_OK, GR_ELIMIT past `max_files` files or 64 folder levels, or
 * GR_EBACKEND when a folder cannot be read. Free with gr_techdocs_paths_free().
 */
int gr_techdocs_list_files(const char *dir, size_t max_files, gr_techdocs_paths *out);

/** Frees the list. NULL-safe. */
void gr_techdocs_paths_free(gr_techdocs_paths *paths);

/**
 * Reads the file at `path` whole into *data (NUL-terminated, caller frees)
 * and its size into *size. Returns GR_OK, GR_ENOTFOUND, GR_ELIMIT when it
 * is larger than `max` bytes, or GR_EBACKEND.
 */
int gr_techdocs_read_file(const char *path, size_t max, unsigned char **data, size_t *size);

/**
 * Writes `size` bytes to `path`, creating its parent folders. Returns GR_OK
 * or GR_EBACKEND.
 */
int gr_techdocs_write_file(const char *path, const void *data, size_t size);

/** Removes `path` and everything below it without following links. Missing is not an error. */
void gr_techdocs_remove_tree(const char *path);

/** Creates `path` and its missing parents. Returns GR_OK or GR_EBACKEND. */
int gr_techdocs_make_dirs(const char *path);

/** Writes the lower-case hex SHA-256 of `size` bytes into `out` (65 bytes). */
void gr_techdocs_sha256_hex(const void *data, size_t size, char out[65]);

#endif
