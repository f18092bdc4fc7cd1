/* SPDX-License-Identifier: MIT */
/* The files of a docs folder, listed and ordered as MkDocs lists them. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_FILES_H
#define GR_PLUGINS_TECHDOCS_BUILD_FILES_H

#include <stddef.h>

/** Maximum number of files in one docs folder. */
#define GR_TECHDOCS_MAX_FILES 50000
/** Maximum folder depth below docs_dir. */
#define GR_TECHDOCS_MAX_DIR_DEPTH 32

/** One file below docs_dir. */
typedef struct {
    char *src_uri;  /* '/'-separated path relative to docs_dir */
    char *abs_path; /* path on disk */
    int is_page;    /* a Markdown file */
} gr_techdocs_file;

/** The files of a site, in MkDocs' order. */
typedef struct {
    gr_techdocs_file *items;
    size_t count;
    size_t cap;
    gr_techdocs_file **by_name; /* the same files sorted by src_uri, for lookups */
} gr_techdocs_files;

/** Receives a warning about a skipped entry (path borrowed). */
typedef void (*gr_techdocs_walk_warning)(const char *path, const char *message, void *payload);

/**
 * Lists the files under `docs_dir` as mkdocs.structure.files.get_files does:
 * folders in name order, in each folder index.* and README.* first, then
 * the rest by name; names starting with '.' and a top-level "templates"
 * folder are left out, and README.md is skipped when index.md exists beside it.
 * Symbolic links are followed only when they stay inside `docs_dir`; others
 * are skipped with a warning. Returns GR_OK, GR_EBACKEND when the folder
 * cannot be read, or GR_ELIMIT past GR_TECHDOCS_MAX_FILES or
 * GR_TECHDOCS_MAX_DIR_DEPTH (message set). Free with gr_techdocs_files_free().
 */
int gr_techdocs_files_list(const char *docs_dir, gr_techdocs_files *out,
                           gr_techdocs_walk_warning warn, void *payload);

/** Returns the file whose src_uri is `src_uri`, or NULL (borrowed). */
const gr_techdocs_file *gr_techdocs_files_find(const gr_techdocs_files *files, const char *src_uri);

/** Frees the list. NULL-safe. */
void gr_techdocs_files_free(gr_techdocs_files *files);

#endif
