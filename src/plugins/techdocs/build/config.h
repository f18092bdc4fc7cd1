/* SPDX-License-Identifier: MIT */
/* The parts of mkdocs.yml that shape a TechDocs site's pages and navigation. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_CONFIG_H
#define GR_PLUGINS_TECHDOCS_BUILD_CONFIG_H

#include <jansson.h>

#include "plugins/techdocs/build/markdown.h"

/** A read mkdocs.yml; free with gr_techdocs_config_free(). */
typedef struct {
    char *site_name;
    char *site_description; /* NULL when absent */
    char *docs_dir;         /* as written, default "docs" */
    char *repo_url;         /* NULL when absent */
    char *edit_uri;         /* ends with '/'; NULL means no edit links */
    json_t *nav;            /* the `nav` value, or NULL for the implicit navigation */
    gr_techdocs_markdown_options markdown;
    char *permalink_text; /* storage behind markdown.permalink_text */
} gr_techdocs_config;

/**
 * Receives a warning about the setting at the JSON pointer `pointer` (for
 * example "/plugins/1"); both strings are borrowed.
 */
typedef void (*gr_techdocs_config_warning)(const char *pointer, const char *message,
                                           void *payload);

/**
 * Reads the parsed mkdocs.yml `root` (borrowed) into `out`. Unknown Markdown
 * extensions, plugins other than search and techdocs-core, hooks and
 * use_directory_urls: false are reported through `warn`, one warning each,
 * and the site is built without them. `path` names the file in errors.
 * Returns GR_OK, or GR_EINVALID when site_name is missing or a setting has
 * the wrong type (message names the file and setting). Thread-safe.
 */
int gr_techdocs_config_read(json_t *root, const char *path, gr_techdocs_config *out,
                            gr_techdocs_config_warning warn, void *payload);

/** Frees what gr_techdocs_config_read() stored. NULL-safe. */
void gr_techdocs_config_free(gr_techdocs_config *config);

#endif
