/* SPDX-License-Identifier: MIT */
/* Paths and URLs of a MkDocs site: page URLs, relative links, edit links. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_URLS_H
#define GR_PLUGINS_TECHDOCS_BUILD_URLS_H

/*
 * Every function here follows MkDocs 1.4 with use_directory_urls: true, and
 * works on '/'-separated paths relative to docs_dir ("src URIs"). All
 * returned strings are caller-freed; all functions are thread-safe.
 */

/** Returns nonzero when `path` ends in a Markdown extension (.md, .markdown, .mdown, .mkdn, .mkd). */
int gr_techdocs_is_markdown(const char *path);

/** Normalises a path like Python's posixpath.normpath ("" becomes "."). */
char *gr_techdocs_normpath(const char *path);

/** Returns the page name MkDocs uses: the file stem, or "index" for index.* and README.*. */
char *gr_techdocs_page_name(const char *src_uri);

/** Returns the output path of a source file: "a/b.md" -> "a/b/index.html", "a/index.md" -> "a/index.html"; other files keep their path. */
char *gr_techdocs_dest_path(const char *src_uri);

/** Returns the site URL of a source file: "a/b.md" -> "a/b/", "index.md" -> "./", percent-encoded. */
char *gr_techdocs_file_url(const char *src_uri);

/** Returns `url` relative to the page or file URL `other`, as mkdocs.utils.get_relative_url. */
char *gr_techdocs_relative_url(const char *url, const char *other);

/** Percent-encodes like urllib.parse.quote with safe='/'. */
char *gr_techdocs_url_quote(const char *text);

/** Percent-decodes like urllib.parse.unquote (invalid escapes are kept). */
char *gr_techdocs_url_unquote(const char *text);

/** Outcome of gr_techdocs_rewrite_link(). */
typedef enum {
    GR_TECHDOCS_LINK_KEPT = 0,  /* not a link to a source file: used as written */
    GR_TECHDOCS_LINK_REWRITTEN, /* a source file: *out points at its site URL */
    GR_TECHDOCS_LINK_MISSING,   /* looks like a source file but none exists */
} gr_techdocs_link_status;

/** Returns nonzero when `src_uri` is a file of the site. */
typedef int (*gr_techdocs_file_exists)(const char *src_uri, void *payload);

/**
 * Rewrites a link or image URL written in page `page_src_uri` as MkDocs
 * does. URLs with a scheme or host, absolute paths, empty paths and paths
 * whose last segment has no '.' are kept. Otherwise the path resolves
 * against the page's folder; when `exists` finds the target the result is
 * its URL relative to the page's URL, with query and fragment kept.
 * Always stores a caller-freed URL in *out (the input when not rewritten)
 * and, unless `target_out` is NULL, the resolved source path (or NULL when
 * kept) in *target_out. A path that climbs out of docs_dir resolves to
 * "../..." and is never found.
 */
gr_techdocs_link_status gr_techdocs_rewrite_link(const char *url, const char *page_src_uri,
                                                 gr_techdocs_file_exists exists, void *payload,
                                                 char **out, char **target_out);

/**
 * Does what gr_techdocs_rewrite_link() does, with the page's URL
 * (gr_techdocs_file_url() of `page_src_uri`, borrowed) worked out once by
 * the caller; NULL works it out here.
 */
gr_techdocs_link_status gr_techdocs_rewrite_link_at(const char *url, const char *page_src_uri,
                                                    const char *page_url,
                                                    gr_techdocs_file_exists exists, void *payload,
                                                    char **out, char **target_out);

/**
 * Returns the edit link of a page: `edit_uri` + `src_uri` joined onto
 * `repo_url` as urllib.parse.urljoin does (an absolute edit_uri stands alone,
 * one starting with '/' replaces the path, '?' or '#' attach to repo_url).
 * `edit_uri` must end with '/'. Returns NULL when edit_uri is NULL or empty.
 */
char *gr_techdocs_edit_url(const char *repo_url, const char *edit_uri, const char *src_uri);

/**
 * Returns the edit_uri MkDocs assumes when mkdocs.yml sets repo_url but no
 * edit_uri: "edit/master/docs/" for github.com and gitlab.com,
 * "src/default/docs/" for bitbucket.org, NULL (no edit links) otherwise.
 */
char *gr_techdocs_default_edit_uri(const char *repo_url);

#endif
