/* SPDX-License-Identifier: MIT */
/* Page metadata and titles, read the way MkDocs reads them. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_META_H
#define GR_PLUGINS_TECHDOCS_BUILD_META_H

#include <stddef.h>

/** A page's Markdown with its metadata block removed. */
typedef struct {
    size_t body_offset; /* where the Markdown starts in the source */
    int body_line;      /* the line number of that offset, 1-based */
    char *title;        /* the `title` metadata, or NULL */
} gr_techdocs_meta;

/**
 * Splits metadata off a page as mkdocs.utils.meta.get_data does. A YAML
 * block between `---` and `---` (or `...`) at the very start is removed when
 * it parses to a mapping; otherwise MultiMarkdown lines `key: value` at the
 * start (with 4-space continuation lines) are removed up to the first blank
 * line. Blank lines after the block are skipped too. Fills `out` (caller
 * frees out->title). Thread-safe.
 */
void gr_techdocs_meta_split(const char *text, size_t len, gr_techdocs_meta *out);

/**
 * Returns the title MkDocs takes from Markdown: the first non-blank line
 * when it starts with "# ", without its leading '#' and ' ' characters.
 * Returns NULL when the first non-blank line is something else. Caller frees.
 */
char *gr_techdocs_markdown_title(const char *text, size_t len);

/**
 * Returns the title of a page without a nav title, metadata title or
 * leading H1: "Home" for the home page, else the file name with '-' and
 * '_' as spaces, capitalised when it was all lower case. Caller frees.
 */
char *gr_techdocs_fallback_title(const char *src_uri, int is_homepage);

#endif
