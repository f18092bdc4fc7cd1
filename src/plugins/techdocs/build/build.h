/* SPDX-License-Identifier: MIT */
/* Builds a TechDocs site (mkdocs.yml + Markdown) into HTML fragments, navigation and search data. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_BUILD_H
#define GR_PLUGINS_TECHDOCS_BUILD_BUILD_H

#include <stddef.h>

/** Maximum size of mkdocs.yml and of one Markdown page, in bytes. */
#define GR_TECHDOCS_MAX_SOURCE_BYTES ((size_t)8 << 20)

/** Build options. */
typedef struct {
    int strict; /* content warnings (broken links, missing pages) fail the build */
} gr_techdocs_options;

typedef enum {
    GR_TECHDOCS_WARNING_CONTENT = 0, /* a broken link, a nav entry naming no page */
    GR_TECHDOCS_WARNING_UNSUPPORTED, /* a plugin or extension the site is built without */
    GR_TECHDOCS_WARNING_SKIPPED,     /* a file left out (symbolic link, duplicate index) */
} gr_techdocs_warning_kind;

/** One warning; `line` is 0 when unknown. */
typedef struct {
    gr_techdocs_warning_kind kind;
    char *file; /* relative to the source folder */
    int line;
    char *message;
} gr_techdocs_warning;

/** What a build did; free with gr_techdocs_report_free(). */
typedef struct {
    gr_techdocs_warning *warnings;
    size_t warning_count;
    size_t warning_cap;
    size_t page_count;     /* Markdown pages rendered */
    size_t file_count;     /* other files copied */
    size_t content_warnings;
} gr_techdocs_report;

/**
 * Builds the site whose mkdocs.yml (or mkdocs.yaml) is in `src_dir` into
 * `out_dir` as MkDocs 1.4 would lay it out with use_directory_urls: every
 * page becomes an HTML fragment at page/index.html, other docs files are
 * copied, and three data files are written: techdocs_nav.json (the
 * navigation tree with page titles, URLs and edit links),
 * search/search_index.json (MkDocs' lunr format) and
 * techdocs_metadata.json (site_name, site_description, build_timestamp,
 * files, etag). `options` may be NULL. `report` (caller frees) lists every
 * warning with its file and line.
 *
 * Returns GR_OK; GR_EINVALID for an invalid mkdocs.yml, a docs_dir outside
 * `src_dir`, a page that is not UTF-8, or, with strict set, any content
 * warning; GR_ENOTFOUND when mkdocs.yml or docs_dir is missing; GR_ELIMIT
 * when a size or count limit is crossed; GR_EBACKEND when reading or
 * writing fails. Files already written stay on error. Thread-safe for
 * different output folders.
 */
int gr_techdocs_build(const char *src_dir, const char *out_dir, const gr_techdocs_options *options,
                      gr_techdocs_report *report);

/** Frees the report's contents. NULL-safe. */
void gr_techdocs_report_free(gr_techdocs_report *report);

#endif
