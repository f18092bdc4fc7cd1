/* SPDX-License-Identifier: MIT */
/* The navigation tree of a site: from mkdocs.yml `nav`, or made from the files. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_NAV_H
#define GR_PLUGINS_TECHDOCS_BUILD_NAV_H

#include <jansson.h>
#include <stddef.h>

#include "plugins/techdocs/build/files.h"

typedef enum {
    GR_TECHDOCS_NAV_SECTION = 0,
    GR_TECHDOCS_NAV_PAGE,
    GR_TECHDOCS_NAV_LINK,
} gr_techdocs_nav_kind;

/** A section, page or link of the navigation. */
typedef struct gr_techdocs_nav_item {
    gr_techdocs_nav_kind kind;
    char *title;   /* NULL for a page whose title comes from its content */
    char *src_uri; /* pages: the source file */
    char *url;     /* links: the URL as written */
    struct gr_techdocs_nav_item *children; /* sections */
    size_t child_count;
    size_t child_cap;
} gr_techdocs_nav_item;

/** Receives a problem with the nav entry at JSON pointer `pointer` (borrowed strings). */
typedef void (*gr_techdocs_nav_warning)(const char *pointer, const char *message, void *payload);

/**
 * Builds the navigation as mkdocs.structure.nav.get_navigation does. With
 * `nav` (borrowed, a list) each string is a page when a file has that path
 * and a link otherwise, and each one-key mapping is a titled page, link or
 * section. A relative link that names no file is reported through `warn`.
 * Without `nav`, pages are nested by folder: folder names become section
 * titles ("user-guide" -> "User guide"), in the order of `files`.
 * Fills `root` (a section without title; free with gr_techdocs_nav_free()).
 * Returns GR_OK, or GR_EINVALID for an entry that is neither a string nor a
 * mapping (message names the entry).
 */
int gr_techdocs_nav_build(json_t *nav, const gr_techdocs_files *files, gr_techdocs_nav_item *root,
                          gr_techdocs_nav_warning warn, void *payload);

/** Returns the title MkDocs gives a folder: '-' and '_' become spaces, all-lower-case names are capitalised. Caller frees. */
char *gr_techdocs_dirname_to_title(const char *name);

/** Frees the children and strings of `item`. NULL-safe. */
void gr_techdocs_nav_free(gr_techdocs_nav_item *item);

#endif
