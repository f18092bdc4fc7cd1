/* SPDX-License-Identifier: MIT */
/* Builds a TechDocs site (mkdocs.yml + Markdown) into HTML fragments, navigation and search data. */
#include "plugins/techdocs/build/build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utf8proc.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/techdocs/build/config.h"
#include "plugins/techdocs/build/files.h"
#include "plugins/techdocs/build/markdown.h"
#include "plugins/techdocs/build/meta.h"
#include "plugins/techdocs/build/nav.h"
#include "plugins/techdocs/build/ordered.h"
#include "plugins/techdocs/build/sanitize.h"
#include "plugins/techdocs/build/search.h"
#include "plugins/techdocs/build/urls.h"

/* What the build knows about one Markdown page. */
typedef struct {
    const gr_techdocs_file *file;
    char *nav_title; /* the title given in nav, or NULL */
    int in_section;  /* inside a nav section, so not the home page */
    char *title;
    char *url;
    char *edit_url;
} page_info;

/* What building one page leaves for the step that runs in page order. */
typedef struct {
    int rc;
    char *error; /* the message of a failed build, taken on the thread that built it */
    int counted; /* the page reached the write step */
    char *dest;  /* the output path, relative to out_dir */
    char *html;
    size_t html_len;
    gr_buf search; /* the page's search index entries */
    gr_techdocs_report warnings;
} page_result;

typedef struct {
    const char *src_dir;
    const char *out_dir;
    char *config_name; /* "mkdocs.yml" or "mkdocs.yaml" */
    char *docs_rel;    /* docs_dir relative to src_dir, for messages */
    gr_yaml_doc *config_doc;
    gr_techdocs_config config;
    gr_techdocs_files files;
    gr_techdocs_nav_item nav;
    page_info *pages;
    size_t page_count;
    page_result *results; /* one per page */
    page_info **page_of;  /* the page of each file of `files`, or NULL */
    int search_fd;        /* search_index.json, written as pages finish; -1 when closed */
    char *search_part;    /* its path until it is complete */
    gr_buf search_pending; /* its bytes not yet written, sent in large writes */
    int search_has_entry; /* an entry is written, so the next one keeps its ',' */
    json_t *written; /* output paths, for techdocs_metadata.json */
    EVP_MD_CTX *digest;
    int out_was_empty; /* out_dir was made by the build or held nothing */
    gr_techdocs_report *report;
} site;

/* search_index.json is written in pieces of at least this size. */
#define SEARCH_WRITE_BYTES ((size_t)1 << 20)

static void report_add(gr_techdocs_report *report, gr_techdocs_warning_kind kind,
                       const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void report_add(gr_techdocs_report *report, gr_techdocs_warning_kind kind,
                       const char *file, int line, const char *fmt, ...)
{
    gr_techdocs_warning *warning;
    va_list args;

    if (report->warning_count == report->warning_cap) {
        report->warning_cap = report->warning_cap ? report->warning_cap * 2 : 16;
        report->warnings =
            gr_xrealloc(report->warnings, report->warning_cap * sizeof(*warning));
    }
    warning = &report->warnings[report->warning_count++];
    warning->kind = kind;
    warning->file = gr_xstrdup(file);
    warning->line = line;
    va_start(args, fmt);
    warning->message = gr_xvasprintf(fmt, args);
    va_end(args);
    if (kind == GR_TECHDOCS_WARNING_CONTENT)
        report->content_warnings++;
}

/* Reads a whole file with one open, fstat, read and close when the file
 * does not change while it is read. */
static int read_file(const char *path, size_t max, char **out, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat info;
    char *data = NULL;
    size_t cap;
    size_t len = 0;
    int rc = GR_OK;

    *out = NULL;
    if (fd < 0)
        return gr_error_set(errno == ENOENT ? GR_ENOTFOUND : GR_EBACKEND, "%s: cannot open: %s",
                            path, strerror(errno));
    if (fstat(fd, &info) != 0) {
        rc = gr_error_set(GR_EBACKEND, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(info.st_mode)) {
        rc = gr_error_set(GR_EINVALID, "%s: not a regular file", path);
        goto done;
    }
    /* One byte more than the size, so that a read that fills less is the end. */
    cap = info.st_size > 0 && (size_t)info.st_size <= max ? (size_t)info.st_size + 1 : 4096;
    data = gr_xmalloc(cap + 1);
    for (;;) {
        ssize_t got = read(fd, data + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = gr_error_set(GR_EBACKEND, "%s: read failed: %s", path, strerror(errno));
            goto done;
        }
        len += (size_t)got;
        if (len > max) {
            rc = gr_error_set(GR_ELIMIT, "%s: larger than %zu bytes", path, max);
            goto done;
        }
        if (got == 0 || (len < cap && len == (size_t)info.st_size))
            break;
        if (len == cap) {
            cap *= 2;
            data = gr_xrealloc(data, cap + 1);
        }
    }
    data[len] = '\0';
    *len_out = len;
    *out = data;
    data = NULL;

done:
    free(data);
    close(fd);
    return rc;
}

/* Creates `dir`, and its missing parents only when mkdir reports ENOENT, so
 * a site of many pages costs one mkdir per new folder rather than one per
 * ancestor of every file. `dir` is modified while working and restored. */
static int make_dir(char *dir)
{
    char *slash;
    int rc;

    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return GR_OK;
    if (errno != ENOENT || (slash = strrchr(dir, '/')) == NULL || slash == dir)
        return gr_error_set(GR_EBACKEND, "%s: cannot create folder: %s", dir, strerror(errno));
    *slash = '\0';
    rc = make_dir(dir);
    *slash = '/';
    if (rc == GR_OK && mkdir(dir, 0755) != 0 && errno != EEXIST)
        rc = gr_error_set(GR_EBACKEND, "%s: cannot create folder: %s", dir, strerror(errno));
    return rc;
}

/* Makes the folder of the file at `path`, which is modified while working and restored. */
static int make_parent(char *path)
{
    char *slash = strrchr(path, '/');
    int rc;

    *slash = '\0';
    rc = make_dir(path);
    *slash = '/';
    return rc;
}

/* Opens out_dir/rel_path (`path`) for writing. In an output folder that
 * was empty, the file's folder is made first, because most are new. In
 * other folders it is made only when the open reports it missing. Returns
 * -1 with the error set. */
static int open_output(const site *s, const char *rel_path, char *path)
{
    int in_folder = strchr(rel_path, '/') != NULL;
    int fd = -1;

    if (s->out_was_empty && in_folder && make_parent(path) != GR_OK)
        return -1;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0 && errno == ENOENT && in_folder && !s->out_was_empty) {
        if (make_parent(path) != GR_OK)
            return -1;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    }
    if (fd < 0)
        gr_error_set(GR_EBACKEND, "%s: cannot write: %s", path, strerror(errno));
    return fd;
}

/* Writes all of `data` to `fd`. */
static int write_all(int fd, const char *path, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t put = write(fd, data, len);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return gr_error_set(GR_EBACKEND, "%s: cannot write: %s", path, strerror(errno));
        data += put;
        len -= (size_t)put;
    }
    return GR_OK;
}

/* Writes `data` to out_dir/rel_path with one open, write and close. Safe on any thread. */
static int write_file(const site *s, const char *rel_path, const char *data, size_t len)
{
    char *path = gr_xasprintf("%s/%s", s->out_dir, rel_path);
    int fd = open_output(s, rel_path, path);
    int rc = fd < 0 ? GR_EBACKEND : write_all(fd, path, data, len);

    if (fd >= 0 && close(fd) != 0 && rc == GR_OK)
        rc = gr_error_set(GR_EBACKEND, "%s: cannot write: %s", path, strerror(errno));
    free(path);
    return rc;
}

/* Records a written file for the metadata file, in the order of the build. */
static void list_output(site *s, const char *rel_path, const char *data, size_t len)
{
    json_array_append_new(s->written, json_string(rel_path));
    EVP_DigestUpdate(s->digest, rel_path, strlen(rel_path) + 1);
    EVP_DigestUpdate(s->digest, data, len);
}

/* Writes `data` to out_dir/rel_path and, when `listed`, records it. */
static int write_output(site *s, const char *rel_path, const char *data, size_t len, int listed)
{
    int rc = write_file(s, rel_path, data, len);

    if (rc == GR_OK && listed)
        list_output(s, rel_path, data, len);
    return rc;
}

static int write_json(site *s, const char *rel_path, json_t *value, int listed)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    int rc;

    if (text == NULL)
        return gr_error_set(GR_ERROR, "%s: cannot encode JSON", rel_path);
    rc = write_output(s, rel_path, text, strlen(text), listed);
    free(text);
    return rc;
}

/* Reports a setting of mkdocs.yml with the line it is on. */
static void config_warning(const char *pointer, const char *message, void *payload)
{
    site *s = payload;
    gr_yaml_mark mark = {0};

    gr_yaml_doc_find_mark(s->config_doc, pointer, &mark);
    report_add(s->report, GR_TECHDOCS_WARNING_UNSUPPORTED, s->config_name, mark.line, "%s",
               message);
}

static void nav_warning(const char *pointer, const char *message, void *payload)
{
    site *s = payload;
    gr_yaml_mark mark = {0};

    gr_yaml_doc_find_mark(s->config_doc, pointer, &mark);
    report_add(s->report, GR_TECHDOCS_WARNING_CONTENT, s->config_name, mark.line, "%s", message);
}

static void walk_warning(const char *path, const char *message, void *payload)
{
    site *s = payload;

    report_add(s->report, GR_TECHDOCS_WARNING_SKIPPED, path, 0, "%s", message);
}

static int load_config(site *s)
{
    char *path = gr_xasprintf("%s/mkdocs.yml", s->src_dir);
    char *text = NULL;
    size_t len = 0;
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    int rc;

    s->config_name = gr_xstrdup("mkdocs.yml");
    rc = read_file(path, GR_TECHDOCS_MAX_SOURCE_BYTES, &text, &len);
    if (rc == GR_ENOTFOUND) {
        free(path);
        free(s->config_name);
        path = gr_xasprintf("%s/mkdocs.yaml", s->src_dir);
        s->config_name = gr_xstrdup("mkdocs.yaml");
        rc = read_file(path, GR_TECHDOCS_MAX_SOURCE_BYTES, &text, &len);
    }
    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "%s: no mkdocs.yml or mkdocs.yaml found", s->src_dir);
    if (rc == GR_OK)
        rc = gr_yaml_parse(path, text, len, NULL, &docs, &count);
    if (rc == GR_OK && count != 1)
        rc = gr_error_set(GR_EINVALID, "%s: must hold exactly one YAML document, found %zu",
                          path, count);
    if (rc == GR_OK) {
        s->config_doc = docs[0];
        docs[0] = NULL;
        rc = gr_techdocs_config_read(gr_yaml_doc_root(s->config_doc), path, &s->config,
                                     config_warning, s);
    }
    gr_yaml_docs_free(docs, count);
    free(text);
    free(path);
    return rc;
}

/* Resolves docs_dir and rejects one outside the source folder. */
static int resolve_docs_dir(site *s, char **docs_abs)
{
    char src_real[PATH_MAX];
    char docs_real[PATH_MAX];
    const char *docs_dir = s->config.docs_dir;
    char *joined = docs_dir[0] == '/' ? gr_xstrdup(docs_dir)
                                      : gr_xasprintf("%s/%s", s->src_dir, docs_dir);
    size_t src_len;

    *docs_abs = NULL;
    if (realpath(s->src_dir, src_real) == NULL || realpath(joined, docs_real) == NULL) {
        int rc = gr_error_set(GR_ENOTFOUND, "%s: docs_dir '%s' not found (%s)", s->config_name,
                              docs_dir, strerror(errno));
        free(joined);
        return rc;
    }
    free(joined);
    src_len = strlen(src_real);
    if (strncmp(docs_real, src_real, src_len) != 0 ||
        (docs_real[src_len] != '/' && docs_real[src_len] != '\0') || strcmp(src_real, "/") == 0)
        return gr_error_set(GR_EINVALID,
                            "%s: docs_dir '%s' is outside the site folder %s; keep the docs "
                            "inside it",
                            s->config_name, docs_dir, src_real);
    s->docs_rel = gr_xstrdup(docs_real[src_len] ? docs_real + src_len + 1 : ".");
    *docs_abs = gr_xstrdup(docs_real);
    return GR_OK;
}

static page_info *find_page(site *s, const char *src_uri)
{
    const gr_techdocs_file *file = gr_techdocs_files_find(&s->files, src_uri);

    return file != NULL ? s->page_of[file - s->files.items] : NULL;
}

/* Gives pages their nav titles; a page listed twice keeps the last one, as in MkDocs. */
static void apply_nav_titles(site *s, const gr_techdocs_nav_item *item, int depth)
{
    for (size_t i = 0; i < item->child_count; i++) {
        const gr_techdocs_nav_item *child = &item->children[i];
        page_info *page;

        if (child->kind == GR_TECHDOCS_NAV_SECTION) {
            apply_nav_titles(s, child, depth + 1);
            continue;
        }
        if (child->kind != GR_TECHDOCS_NAV_PAGE || (page = find_page(s, child->src_uri)) == NULL)
            continue;
        free(page->nav_title);
        page->nav_title = child->title ? gr_xstrdup(child->title) : NULL;
        page->in_section = depth > 0;
    }
}

static int file_exists(const char *src_uri, void *payload)
{
    const site *s = payload;

    return gr_techdocs_files_find(&s->files, src_uri) != NULL;
}

static int check_utf8(const char *path, const char *text, size_t len)
{
    size_t pos = 0;

    while (pos < len) {
        utf8proc_int32_t codepoint;
        utf8proc_ssize_t used;

        /* Most text is ASCII: only other bytes need the decoder. */
        if ((unsigned char)text[pos] < 0x80) {
            pos++;
            continue;
        }
        used = utf8proc_iterate((const utf8proc_uint8_t *)text + pos,
                                (utf8proc_ssize_t)(len - pos), &codepoint);
        if (used <= 0)
            return gr_error_set(GR_EINVALID, "%s: byte %zu is not valid UTF-8; save the file "
                                             "as UTF-8",
                                path, pos);
        pos += (size_t)used;
    }
    return GR_OK;
}

static void set_title(page_info *page, const gr_techdocs_meta *meta, const char *body, size_t len)
{
    int is_homepage;

    if (page->nav_title != NULL) {
        page->title = gr_xstrdup(page->nav_title);
        return;
    }
    if (meta->title != NULL) {
        page->title = gr_xstrdup(meta->title);
        return;
    }
    page->title = gr_techdocs_markdown_title(body, len);
    if (page->title != NULL)
        return;
    is_homepage = !page->in_section && strcmp(page->url, "./") == 0;
    page->title = gr_techdocs_fallback_title(page->file->src_uri, is_homepage);
}

static void report_links(const site *s, const page_info *page, const gr_techdocs_page_html *html,
                         gr_techdocs_report *report)
{
    for (size_t i = 0; i < html->link_count; i++) {
        const gr_techdocs_link *link = &html->links[i];
        char *file;

        if (link->status != GR_TECHDOCS_LINK_MISSING)
            continue;
        file = gr_xasprintf("%s/%s", s->docs_rel, page->file->src_uri);
        report_add(report, GR_TECHDOCS_WARNING_CONTENT, file, link->line,
                   "%s '%s' points to '%s', which is not found in the documentation files",
                   link->is_image ? "image" : "link", link->url, link->target);
        free(file);
    }
}

/* Builds one page into `result`; runs on a build thread, so it changes only
 * `page` and `result`. */
static int build_page(const site *s, page_info *page, page_result *result)
{
    const char *path = page->file->abs_path;
    char *text = NULL;
    size_t len = 0;
    size_t skip = 0;
    gr_techdocs_meta meta = {0};
    gr_techdocs_page_html html = {0};
    gr_techdocs_link_context links = {page->file->src_uri, file_exists, (void *)s};
    const char *body;
    size_t body_len;
    int rc = read_file(path, GR_TECHDOCS_MAX_SOURCE_BYTES, &text, &len);

    if (rc == GR_OK)
        rc = check_utf8(path, text, len);
    if (rc != GR_OK)
        goto done;

    /* MkDocs opens pages as utf-8-sig, which drops a byte order mark. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        skip = 3;
    gr_techdocs_meta_split(text + skip, len - skip, &meta);
    body = text + skip + meta.body_offset;
    body_len = len - skip - meta.body_offset;
    set_title(page, &meta, body, body_len);

    rc = gr_techdocs_render_markdown(body, body_len, meta.body_line, &s->config.markdown, &links,
                                     &html);
    if (rc != GR_OK) {
        rc = gr_error_wrap(rc, "%s", path);
        goto done;
    }
    report_links(s, page, &html, &result->warnings);
    gr_techdocs_search_add_page(&result->search,
                                strcmp(page->url, "./") == 0 ? "" : page->url, page->title, &html);
    result->dest = gr_techdocs_dest_path(page->file->src_uri);
    result->html_len = strlen(html.html);
    result->html = html.html;
    html.html = NULL;
    rc = write_file(s, result->dest, result->html, result->html_len);
    result->counted = 1;

done:
    free(meta.title);
    gr_techdocs_page_html_free(&html);
    free(text);
    return rc;
}

/* Starts search/search_index.json under a temporary name, so that a failed
 * build leaves no partial index behind. */
static int search_open(site *s)
{
    s->search_part = gr_xasprintf("%s/search/search_index.json.part", s->out_dir);
    s->search_fd = open_output(s, "search/search_index.json.part", s->search_part);
    if (s->search_fd < 0)
        return GR_EBACKEND;
    gr_techdocs_search_start(&s->search_pending);
    return GR_OK;
}

/* Writes the pending part of the search index once it is large, or now when `all`. */
static int search_flush(site *s, int all)
{
    int rc;

    if (s->search_pending.len == 0 || (!all && s->search_pending.len < SEARCH_WRITE_BYTES))
        return GR_OK;
    rc = write_all(s->search_fd, s->search_part, s->search_pending.data, s->search_pending.len);
    gr_buf_reset(&s->search_pending);
    return rc;
}

/* Appends a page's search entries, each of which starts with ',' (dropped
 * from the first entry of the index). */
static int search_write_entries(site *s, const gr_buf *entries)
{
    size_t skip = !s->search_has_entry && entries->len > 0 ? 1 : 0;

    if (entries->len == 0)
        return GR_OK;
    s->search_has_entry = 1;
    gr_buf_append(&s->search_pending, entries->data + skip, entries->len - skip);
    return search_flush(s, 0);
}

/* Feeds the file at `path` to the site digest, after its name `rel_path`. */
static int digest_file(site *s, const char *rel_path, const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    size_t chunk_size = SEARCH_WRITE_BYTES;
    char *chunk;
    ssize_t got;
    int rc = GR_OK;

    if (fd < 0)
        return gr_error_set(GR_EBACKEND, "%s: cannot open: %s", path, strerror(errno));
    chunk = gr_xmalloc(chunk_size);
    EVP_DigestUpdate(s->digest, rel_path, strlen(rel_path) + 1);
    while ((got = read(fd, chunk, chunk_size)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = gr_error_set(GR_EBACKEND, "%s: read failed: %s", path, strerror(errno));
            break;
        }
        EVP_DigestUpdate(s->digest, chunk, (size_t)got);
    }
    free(chunk);
    close(fd);
    return rc;
}

/* Ends search_index.json, gives it its name and records it for the metadata file. */
static int search_close(site *s)
{
    const char *rel_path = "search/search_index.json";
    char *path = gr_xasprintf("%s/%s", s->out_dir, rel_path);
    int fd = s->search_fd;
    int rc;

    gr_techdocs_search_finish(&s->search_pending);
    rc = search_flush(s, 1);
    s->search_fd = -1;
    if (close(fd) != 0 && rc == GR_OK)
        rc = gr_error_set(GR_EBACKEND, "%s: cannot write: %s", s->search_part, strerror(errno));
    if (rc == GR_OK && rename(s->search_part, path) != 0)
        rc = gr_error_set(GR_EBACKEND, "%s: cannot rename to %s: %s", s->search_part, path,
                          strerror(errno));
    if (rc == GR_OK)
        rc = digest_file(s, rel_path, path);
    if (rc == GR_OK)
        json_array_append_new(s->written, json_string(rel_path));
    free(path);
    return rc;
}

static void run_page(size_t index, void *payload)
{
    site *s = payload;
    page_result *result = &s->results[index];

    result->rc = build_page(s, &s->pages[index], result);
    if (result->rc != GR_OK)
        result->error = gr_xstrdup(gr_error_last());
}

static void result_free(page_result *result)
{
    free(result->error);
    free(result->dest);
    free(result->html);
    gr_buf_free(&result->search);
    gr_techdocs_report_free(&result->warnings);
    memset(result, 0, sizeof(*result));
}

/* Takes a built page into the site in page order: its warnings, search
 * entries, and its place in the metadata file list and digest. */
static int finish_page(size_t index, void *payload)
{
    site *s = payload;
    page_result *result = &s->results[index];
    gr_techdocs_report *from = &result->warnings;
    int rc = result->rc;

    for (size_t i = 0; i < from->warning_count; i++) {
        gr_techdocs_warning *warning = &from->warnings[i];
        report_add(s->report, warning->kind, warning->file, warning->line, "%s",
                   warning->message);
    }
    s->report->page_count += (size_t)result->counted;
    if (rc != GR_OK) {
        rc = gr_error_set(rc, "%s", result->error);
    } else {
        rc = search_write_entries(s, &result->search);
        list_output(s, result->dest, result->html, result->html_len);
    }
    result_free(result);
    return rc;
}

static int is_html_file(const char *src_uri)
{
    const char *dot = strrchr(src_uri, '.');

    return dot != NULL && (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0);
}

/* Writes a raw HTML file of the docs folder through the sanitizer that
 * cleans raw HTML in Markdown, because the server shows it inside the
 * portal layout as it shows built pages. */
static int write_sanitized(site *s, const char *src_uri, const char *data, size_t len)
{
    gr_techdocs_sanitizer sanitizer = GR_TECHDOCS_SANITIZER_INIT;
    gr_buf clean = GR_BUF_INIT;
    int rc;

    gr_techdocs_sanitize_feed(&sanitizer, data, len, &clean);
    gr_techdocs_sanitize_finish(&sanitizer, &clean);
    rc = write_output(s, src_uri, gr_buf_cstr(&clean), clean.len, 1);
    gr_buf_free(&clean);
    return rc;
}

static int copy_file(site *s, const gr_techdocs_file *file)
{
    char *data = NULL;
    size_t len = 0;
    int rc;

    /* NOTE: assets are read whole; docs assets are images and small
     * downloads. A streaming copy would lift the size limit. */
    rc = read_file(file->abs_path, (size_t)256 << 20, &data, &len);
    if (rc == GR_OK && is_html_file(file->src_uri))
        rc = write_sanitized(s, file->src_uri, data, len);
    else if (rc == GR_OK)
        rc = write_output(s, file->src_uri, data, len, 1);
    if (rc == GR_OK)
        s->report->file_count++;
    free(data);
    return rc;
}

static json_t *nav_json(site *s, const gr_techdocs_nav_item *item)
{
    json_t *list = json_array();

    for (size_t i = 0; i < item->child_count; i++) {
        const gr_techdocs_nav_item *child = &item->children[i];
        json_t *entry = NULL;

        if (child->kind == GR_TECHDOCS_NAV_SECTION) {
            entry = json_pack("{s:s, s:s, s:o}", "type", "section", "title", child->title,
                              "children", nav_json(s, child));
        } else if (child->kind == GR_TECHDOCS_NAV_LINK) {
            entry = json_pack("{s:s, s:s?, s:s}", "type", "link", "title", child->title, "url",
                              child->url);
        } else {
            const page_info *page = find_page(s, child->src_uri);
            const char *title = child->title ? child->title : page->title;
            entry = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "type", "page", "title", title, "url",
                              page->url, "source", page->file->src_uri, "edit_url",
                              page->edit_url);
        }
        if (entry != NULL)
            json_array_append_new(list, entry);
    }
    return list;
}

static int write_metadata(site *s)
{
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;
    char etag[2 * EVP_MAX_MD_SIZE + 1];
    struct timeval now;
    json_t *metadata;
    int rc;

    EVP_DigestFinal_ex(s->digest, hash, &hash_len);
    for (unsigned int i = 0; i < hash_len; i++)
        snprintf(etag + 2 * i, 3, "%02x", hash[i]);
    etag[2 * hash_len] = '\0';
    gettimeofday(&now, NULL);
    metadata = json_pack("{s:s, s:s?, s:I, s:O, s:s}", "site_name", s->config.site_name,
                         "site_description", s->config.site_description, "build_timestamp",
                         (json_int_t)now.tv_sec * 1000 + now.tv_usec / 1000, "files", s->written,
                         "etag", etag);
    rc = write_json(s, "techdocs_metadata.json", metadata, 0);
    json_decref(metadata);
    return rc;
}

static int write_site_data(site *s)
{
    json_t *nav = json_pack("{s:s, s:o}", "site_name", s->config.site_name, "items",
                            nav_json(s, &s->nav));
    int rc = write_json(s, "techdocs_nav.json", nav, 1);

    if (rc == GR_OK)
        rc = search_close(s);
    if (rc == GR_OK)
        rc = write_metadata(s);
    json_decref(nav);
    return rc;
}

static void prepare_pages(site *s)
{
    s->pages = gr_xcalloc(s->files.count + 1, sizeof(page_info));
    s->page_of = gr_xcalloc(s->files.count + 1, sizeof(page_info *));
    for (size_t i = 0; i < s->files.count; i++) {
        const gr_techdocs_file *file = &s->files.items[i];
        page_info *page;

        if (!file->is_page)
            continue;
        page = &s->pages[s->page_count++];
        s->page_of[i] = page;
        page->file = file;
        page->url = gr_techdocs_file_url(file->src_uri);
        page->edit_url =
            gr_techdocs_edit_url(s->config.repo_url, s->config.edit_uri, file->src_uri);
    }
    apply_nav_titles(s, &s->nav, 0);
}

/* Returns nonzero when the folder at `path` can be read and holds no entry. */
static int folder_is_empty(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    int empty = dir != NULL;

    while (empty && (entry = readdir(dir)) != NULL)
        empty = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0;
    if (dir != NULL)
        closedir(dir);
    return empty;
}

/* Rejects an output folder inside docs_dir, which would feed the build itself. */
static int check_out_dir(site *s, const char *docs_abs)
{
    char out_real[PATH_MAX];
    size_t docs_len = strlen(docs_abs);

    if (mkdir(s->out_dir, 0755) == 0) {
        s->out_was_empty = 1;
    } else if (errno == ENOENT) {
        /* Missing parents are made, as MkDocs makes them. */
        char *copy = gr_xstrdup(s->out_dir);
        int rc = make_dir(copy);

        free(copy);
        if (rc < 0)
            return rc;
        s->out_was_empty = 1;
    } else if (errno != EEXIST) {
        return gr_error_set(GR_EBACKEND, "%s: cannot create folder: %s", s->out_dir,
                            strerror(errno));
    } else {
        s->out_was_empty = folder_is_empty(s->out_dir);
    }
    if (realpath(s->out_dir, out_real) == NULL)
        return gr_error_set(GR_EBACKEND, "%s: %s", s->out_dir, strerror(errno));
    if (strncmp(out_real, docs_abs, docs_len) == 0 &&
        (out_real[docs_len] == '/' || out_real[docs_len] == '\0'))
        return gr_error_set(GR_EINVALID, "%s: the output folder is inside docs_dir %s; choose "
                                         "another one",
                            s->out_dir, docs_abs);
    return GR_OK;
}

static void site_free(site *s)
{
    for (size_t i = 0; i < s->page_count; i++) {
        free(s->pages[i].nav_title);
        free(s->pages[i].title);
        free(s->pages[i].url);
        free(s->pages[i].edit_url);
    }
    free(s->pages);
    free(s->page_of);
    for (size_t i = 0; s->results != NULL && i < s->page_count; i++)
        result_free(&s->results[i]);
    free(s->results);
    gr_techdocs_nav_free(&s->nav);
    gr_techdocs_files_free(&s->files);
    gr_techdocs_config_free(&s->config);
    gr_yaml_doc_free(s->config_doc);
    /* A build that stopped early leaves no partial search index, nor the
     * search folder made for it (rmdir fails when the folder has files). */
    if (s->search_fd >= 0) {
        char *slash = strrchr(s->search_part, '/');
        close(s->search_fd);
        unlink(s->search_part);
        *slash = '\0';
        rmdir(s->search_part);
    }
    free(s->search_part);
    gr_buf_free(&s->search_pending);
    json_decref(s->written);
    EVP_MD_CTX_free(s->digest);
    free(s->config_name);
    free(s->docs_rel);
}

int gr_techdocs_build(const char *src_dir, const char *out_dir, const gr_techdocs_options *options,
                      gr_techdocs_report *report)
{
    site s = {0};
    char *docs_abs = NULL;
    int rc;

    memset(report, 0, sizeof(*report));
    s.src_dir = src_dir;
    s.out_dir = out_dir;
    s.report = report;
    s.search_fd = -1;
    s.written = json_array();
    s.digest = EVP_MD_CTX_new();
    if (s.digest == NULL || EVP_DigestInit_ex(s.digest, EVP_sha256(), NULL) != 1) {
        rc = gr_error_set(GR_ERROR, "cannot start a SHA-256 digest");
        goto done;
    }

    rc = load_config(&s);
    if (rc == GR_OK)
        rc = resolve_docs_dir(&s, &docs_abs);
    if (rc == GR_OK)
        rc = check_out_dir(&s, docs_abs);
    if (rc == GR_OK)
        rc = gr_techdocs_files_list(docs_abs, &s.files, walk_warning, &s);
    if (rc == GR_OK)
        rc = gr_techdocs_nav_build(s.config.nav, &s.files, &s.nav, nav_warning, &s);
    if (rc != GR_OK)
        goto done;

    prepare_pages(&s);
    rc = search_open(&s);
    if (rc != GR_OK)
        goto done;
    s.results = gr_xcalloc(s.page_count + 1, sizeof(page_result));
    rc = gr_techdocs_run_ordered(s.page_count, gr_techdocs_thread_count(), run_page, finish_page,
                                 &s);
    for (size_t i = 0; i < s.files.count && rc == GR_OK; i++) {
        if (!s.files.items[i].is_page)
            rc = copy_file(&s, &s.files.items[i]);
    }
    if (rc == GR_OK)
        rc = write_site_data(&s);
    if (rc == GR_OK && options != NULL && options->strict && report->content_warnings > 0)
        rc = gr_error_set(GR_EINVALID, "%zu warnings in strict mode", report->content_warnings);

done:
    free(docs_abs);
    site_free(&s);
    return rc;
}

void gr_techdocs_report_free(gr_techdocs_report *report)
{
    if (report == NULL)
        return;
    for (size_t i = 0; i < report->warning_count; i++) {
        free(report->warnings[i].file);
        free(report->warnings[i].message);
    }
    free(report->warnings);
    memset(report, 0, sizeof(*report));
}
