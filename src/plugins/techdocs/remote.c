/* SPDX-License-Identifier: MIT */
/* Copies of docs sources in url and git locations, fetched through the catalog's readers. */
#include "plugins/techdocs/remote.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/engine/read.h"
#include "plugins/techdocs/files.h"
#include "plugins/techdocs/source.h"

static const char *const config_names[] = {"mkdocs.yml", "mkdocs.yaml"};

/* Whether the '/'-separated relative `path` stays inside the folder it is written to. */
static bool is_safe_relative(const char *path)
{
    const char *p = path;

    if (path[0] == '\0' || path[0] == '/')
        return false;
    while (*p != '\0') {
        size_t len = strcspn(p, "/");

        if (len == 0 || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += len;
        if (*p == '/')
            p++;
    }
    return true;
}

static int write_copy(const char *dir, const char *relative, const char *data, size_t len)
{
    char *path;
    int rc;

    if (!is_safe_relative(relative))
        return gr_error_set(GR_EINVALID, "the docs source file '%s' is outside the docs folder",
                            relative);
    path = gr_xasprintf("%s/%s", dir, relative);
    rc = gr_techdocs_write_file(path, data, len);
    free(path);
    return rc;
}

/* Makes the target of `file` inside the folder target `base`. Caller frees. */
typedef char *(*target_fn)(const char *base, const char *file);

/* Reads the first of mkdocs.yml and mkdocs.yaml that exists under `base`
 * into `out` and copies it into `dir`. */
static int fetch_config(const gr_catalog_settings *reading, const char *type, const char *base,
                        target_fn make_target, const char *dir, gr_catalog_files *out,
                        const char **name_out)
{
    int rc = GR_ENOTFOUND;

    for (size_t i = 0; i < 2 && rc == GR_ENOTFOUND; i++) {
        char *target = make_target(base, config_names[i]);

        gr_catalog__files_free(out);
        rc = gr_catalog__read_location(reading, type, target, out);
        *name_out = config_names[i];
        free(target);
    }
    if (rc == GR_ENOTFOUND)
        return gr_error_set(GR_ENOTFOUND, "%s:%s: no mkdocs.yml or mkdocs.yaml found", type, base);
    if (rc != GR_OK)
        return rc;
    return write_copy(dir, *name_out, out->items[0].data, out->items[0].len);
}

/* The docs_dir of a fetched config when it names a folder inside the source
 * folder, else NULL, because the build rejects such a docs_dir and reports why. */
static char *safe_docs_dir(const char *name, const gr_catalog_file *config)
{
    char *docs_dir = gr_techdocs_source_docs_dir(name, config->data, config->len);

    while (docs_dir[0] != '\0' && docs_dir[strlen(docs_dir) - 1] == '/')
        docs_dir[strlen(docs_dir) - 1] = '\0';
    if (!is_safe_relative(docs_dir)) {
        free(docs_dir);
        return NULL;
    }
    return docs_dir;
}

/* The git target of `file` in the folder of git target `base`. */
static char *git_target_in(const char *base, const char *file)
{
    const char *start = NULL;
    const char *end = NULL;
    char *folder = gr_techdocs_git_path(base, &start, &end);
    gr_buf out = GR_BUF_INIT;

    gr_buf_append(&out, base, (size_t)(start - base));
    if (strcmp(folder, ".") != 0 && folder[0] != '\0') {
        gr_techdocs_git_put_path(&out, folder);
        gr_buf_putc(&out, '/');
    }
    gr_techdocs_git_put_path(&out, file);
    gr_buf_puts(&out, end);
    free(folder);
    return gr_buf_detach(&out);
}

/* Copies the files a docs glob matched; their targets end in "path=<path in the repository>". */
static int copy_git_docs(const char *base, const gr_catalog_files *files, const char *dir)
{
    char *folder = gr_techdocs_git_path(base, NULL, NULL);
    size_t skip = strcmp(folder, ".") == 0 || folder[0] == '\0' ? 0 : strlen(folder) + 1;
    int rc = GR_OK;

    for (size_t i = 0; i < files->count && rc == GR_OK; i++) {
        char *path = gr_techdocs_git_path(files->items[i].target, NULL, NULL);

        if (path == NULL || strlen(path) < skip)
            rc = gr_error_set(GR_EBACKEND, "the git reader returned the unexpected target %s",
                              files->items[i].target);
        else
            rc = write_copy(dir, path + skip, files->items[i].data, files->items[i].len);
        free(path);
    }
    free(folder);
    return rc;
}

static int fetch_git(const gr_catalog_settings *reading, const char *base, const char *dir)
{
    gr_catalog_files config = GR_CATALOG_FILES_INIT;
    gr_catalog_files docs = GR_CATALOG_FILES_INIT;
    const char *name = NULL;
    char *docs_dir = NULL;
    char *pattern = NULL;
    char *target = NULL;
    int rc = fetch_config(reading, "git", base, git_target_in, dir, &config, &name);

    if (rc != GR_OK)
        goto done;
    docs_dir = safe_docs_dir(name, &config.items[0]);
    if (docs_dir == NULL)
        goto done;
    /* NOTE: a folder name with '*', '?' or '[' is read as a glob pattern, and
     * the git reader keeps every matched file in memory at once (up to
     * GR_CATALOG_MAX_GLOB_FILES files of read_max_bytes each). */
    pattern = gr_xasprintf("%s/**", docs_dir);
    target = git_target_in(base, pattern);
    rc = gr_catalog__read_location(reading, "git", target, &docs);
    if (rc == GR_ENOTFOUND)
        rc = GR_OK; /* an empty docs folder: the build reports that it has no pages */
    else if (rc == GR_OK)
        rc = copy_git_docs(base, &docs, dir);

done:
    gr_catalog__files_free(&config);
    gr_catalog__files_free(&docs);
    free(docs_dir);
    free(pattern);
    free(target);
    return rc;
}

/* The URL of the relative path `file` in the folder URL `base`, with the
 * bytes a URL path may not hold (spaces, '#', '?', '%', non-ASCII) percent-encoded. */
static char *url_in(const char *base, const char *file)
{
    size_t len = strlen(base);
    gr_buf out = GR_BUF_INIT;

    gr_buf_puts(&out, base);
    if (len == 0 || base[len - 1] != '/')
        gr_buf_putc(&out, '/');
    for (const unsigned char *p = (const unsigned char *)file; *p != '\0'; p++) {
        if (isalnum(*p) || strchr("-._~/!$&'()*+,;=:@", *p) != NULL)
            gr_buf_putc(&out, (char)*p);
        else
            gr_buf_printf(&out, "%%%02X", *p);
    }
    return gr_buf_detach(&out);
}

/* Collects the relative page paths of a `nav` value: strings, mapping values and list items. */
static void collect_nav_pages(const json_t *nav, json_t *pages)
{
    const char *key;
    json_t *value;
    size_t index;

    if (json_is_string(nav)) {
        const char *page = json_string_value(nav);

        if (strstr(page, "://") == NULL && page[0] != '/' &&
            json_array_size(pages) < GR_TECHDOCS_REMOTE_MAX_PAGES)
            json_array_append_new(pages, json_string(page));
    } else if (json_is_array(nav)) {
        json_array_foreach(nav, index, value) collect_nav_pages(value, pages);
    } else if (json_is_object(nav)) {
        json_object_foreach((json_t *)nav, key, value) collect_nav_pages(value, pages);
    }
}

/* The pages to fetch from a url location: those `nav` names, else the home page candidates. */
static json_t *url_pages(const char *name, const gr_catalog_file *config)
{
    json_t *pages = json_array();
    gr_yaml_doc **docs = NULL;
    size_t count = 0;

    if (gr_yaml_parse(name, config->data, config->len, NULL, &docs, &count) == GR_OK && count == 1)
        collect_nav_pages(json_object_get(gr_yaml_doc_root(docs[0]), "nav"), pages);
    gr_yaml_docs_free(docs, count);
    if (json_array_size(pages) == 0) {
        json_array_append_new(pages, json_string("index.md"));
        json_array_append_new(pages, json_string("README.md"));
    }
    return pages;
}

static int fetch_url_page(const gr_catalog_settings *reading, const char *base,
                          const char *docs_dir, const char *page, const char *dir)
{
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    char *relative = gr_xasprintf("%s/%s", docs_dir, page);
    char *url = NULL;
    int rc = GR_OK;

    if (!is_safe_relative(relative))
        goto done; /* the build reports a nav entry that names no file */
    url = url_in(base, relative);
    rc = gr_catalog__read_location(reading, "url", url, &files);
    if (rc == GR_ENOTFOUND)
        rc = GR_OK; /* the build reports the missing page */
    else if (rc == GR_OK)
        rc = write_copy(dir, relative, files.items[0].data, files.items[0].len);

done:
    gr_catalog__files_free(&files);
    free(relative);
    free(url);
    return rc;
}

/* TODO: a url location cannot be listed, so images and pages outside `nav`
 * are not fetched; Backstage downloads an archive of the folder through the
 * GitHub or GitLab API instead. */
static int fetch_url(const gr_catalog_settings *reading, const char *base, const char *dir)
{
    gr_catalog_files config = GR_CATALOG_FILES_INIT;
    const char *name = NULL;
    char *docs_dir = NULL;
    json_t *pages = NULL;
    json_t *page;
    size_t index;
    int rc = fetch_config(reading, "url", base, url_in, dir, &config, &name);

    if (rc != GR_OK)
        goto done;
    docs_dir = safe_docs_dir(name, &config.items[0]);
    if (docs_dir == NULL)
        goto done;
    pages = url_pages(name, &config.items[0]);
    json_array_foreach(pages, index, page)
    {
        rc = fetch_url_page(reading, base, docs_dir, json_string_value(page), dir);
        if (rc != GR_OK)
            break;
    }

done:
    gr_catalog__files_free(&config);
    json_decref(pages);
    free(docs_dir);
    return rc;
}

int gr_techdocs_remote_fetch(const gr_catalog_settings *reading,
                             const gr_techdocs_location *location, char **dir_out)
{
    const char *tmp_root = getenv("TMPDIR");
    char *dir = gr_xasprintf("%s/greenroom-techdocs-source-XXXXXX", tmp_root ? tmp_root : "/tmp");
    int rc;

    *dir_out = NULL;
    if (mkdtemp(dir) == NULL) {
        rc = gr_error_set(GR_EBACKEND, "%s: cannot create a folder for the docs source: %s", dir,
                          strerror(errno));
        free(dir);
        return rc;
    }
    if (strcmp(location->type, "git") == 0)
        rc = fetch_git(reading, location->target, dir);
    else if (strcmp(location->type, "url") == 0)
        rc = fetch_url(reading, location->target, dir);
    else
        rc = gr_error_set(GR_EINVALID, "docs in a '%s' location cannot be fetched", location->type);
    if (rc != GR_OK) {
        gr_techdocs_remove_tree(dir);
        free(dir);
        return rc;
    }
    *dir_out = dir;
    return GR_OK;
}
