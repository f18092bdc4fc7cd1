/* SPDX-License-Identifier: MIT */
/* Paths and URLs of a MkDocs site: page URLs, relative links, edit links. */
#include "plugins/techdocs/build/urls.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"

static int ends_with(const char *text, const char *suffix)
{
    size_t text_len = strlen(text);
    size_t suffix_len = strlen(suffix);

    return text_len >= suffix_len && strcmp(text + text_len - suffix_len, suffix) == 0;
}

int gr_techdocs_is_markdown(const char *path)
{
    static const char *const extensions[] = {".markdown", ".mdown", ".mkdn", ".mkd", ".md"};

    for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
        if (ends_with(path, extensions[i]))
            return 1;
    }
    return 0;
}

/* One segment of a path: `len` bytes at `text`, inside the path it came from. */
typedef struct {
    const char *text;
    size_t len;
} segment;

/* Segments a path usually has at most, kept without an allocation. */
#define SEGMENTS_INLINE 16

/* A list of path segments that borrows the path it was split from. */
typedef struct {
    segment *items;
    size_t count;
    size_t cap;
    segment inline_items[SEGMENTS_INLINE];
} segments;

static void segments_init(segments *list)
{
    list->items = list->inline_items;
    list->count = 0;
    list->cap = SEGMENTS_INLINE;
}

static void segments_push(segments *list, const char *text, size_t len)
{
    if (list->count == list->cap) {
        segment *grown = gr_xmalloc(list->cap * 2 * sizeof(segment));
        memcpy(grown, list->items, list->count * sizeof(segment));
        if (list->items != list->inline_items)
            free(list->items);
        list->items = grown;
        list->cap *= 2;
    }
    list->items[list->count].text = text;
    list->items[list->count].len = len;
    list->count++;
}

static void segments_free(segments *list)
{
    if (list->items != list->inline_items)
        free(list->items);
}

static int segment_is(const segment *item, const char *text)
{
    return item->len == strlen(text) && memcmp(item->text, text, item->len) == 0;
}

static int segments_equal(const segment *a, const segment *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Splits and normalises like posixpath.normpath: drops "" and ".", resolves
 * ".." against earlier segments and keeps a leading ".." on relative paths. */
static void normalise_segments(const char *path, int absolute, segments *out)
{
    const char *cursor = path;

    while (*cursor != '\0') {
        const char *slash = strchr(cursor, '/');
        size_t len = slash ? (size_t)(slash - cursor) : strlen(cursor);

        if (len == 0 || (len == 1 && cursor[0] == '.')) {
            /* skip */
        } else if (len == 2 && cursor[0] == '.' && cursor[1] == '.') {
            if (out->count > 0 && !segment_is(&out->items[out->count - 1], ".."))
                out->count--;
            else if (!absolute)
                segments_push(out, cursor, len);
        } else {
            segments_push(out, cursor, len);
        }
        cursor += len;
        if (*cursor == '/')
            cursor++;
    }
}

static char *join_segments(const segments *list, size_t from, const char *prefix)
{
    gr_buf out = GR_BUF_INIT;

    gr_buf_puts(&out, prefix);
    for (size_t i = from; i < list->count; i++) {
        if (i > from)
            gr_buf_putc(&out, '/');
        gr_buf_append(&out, list->items[i].text, list->items[i].len);
    }
    return gr_buf_detach(&out);
}

char *gr_techdocs_normpath(const char *path)
{
    segments list;
    int absolute = path[0] == '/';
    char *result;

    segments_init(&list);
    normalise_segments(path, absolute, &list);
    /* POSIX keeps exactly two leading slashes; normpath does the same. */
    if (absolute)
        result = join_segments(&list, 0, strncmp(path, "//", 2) == 0 && path[2] != '/' ? "//" : "/");
    else
        result = join_segments(&list, 0, "");
    segments_free(&list);
    if (result[0] == '\0') {
        free(result);
        result = gr_xstrdup(".");
    }
    return result;
}

char *gr_techdocs_page_name(const char *src_uri)
{
    const char *base = strrchr(src_uri, '/');
    const char *dot;
    size_t len;

    base = base ? base + 1 : src_uri;
    /* posixpath.splitext ignores leading dots of the name. */
    dot = strrchr(base, '.');
    len = strlen(base);
    if (dot != NULL) {
        const char *first = base;
        while (*first == '.')
            first++;
        if (dot > first)
            len = (size_t)(dot - base);
    }
    if ((len == 5 && strncmp(base, "index", 5) == 0) || (len == 6 && strncmp(base, "README", 6) == 0))
        return gr_xstrdup("index");
    return gr_xstrndup(base, len);
}

char *gr_techdocs_dest_path(const char *src_uri)
{
    const char *slash = strrchr(src_uri, '/');
    size_t parent_len = slash ? (size_t)(slash - src_uri) : 0;
    gr_buf dest = GR_BUF_INIT;
    char *name;

    if (!gr_techdocs_is_markdown(src_uri))
        return gr_xstrdup(src_uri);
    name = gr_techdocs_page_name(src_uri);
    gr_buf_append(&dest, src_uri, parent_len);
    if (parent_len > 0)
        gr_buf_putc(&dest, '/');
    if (strcmp(name, "index") != 0) {
        gr_buf_puts(&dest, name);
        gr_buf_putc(&dest, '/');
    }
    gr_buf_puts(&dest, "index.html");
    free(name);
    return gr_buf_detach(&dest);
}

char *gr_techdocs_file_url(const char *src_uri)
{
    char *dest = gr_techdocs_dest_path(src_uri);
    const char *slash = strrchr(dest, '/');
    const char *filename = slash ? slash + 1 : dest;
    char *url;
    char *quoted;

    if (strcmp(filename, "index.html") == 0) {
        if (slash == NULL)
            url = gr_xstrdup("./");
        else
            url = gr_xstrndup(dest, (size_t)(slash - dest) + 1);
    } else {
        url = gr_xstrdup(dest);
    }
    quoted = gr_techdocs_url_quote(url);
    free(url);
    free(dest);
    return quoted;
}

/* Splits a URL path like mkdocs.utils._norm_parts: the path is made absolute,
 * normalised, and so ".." never climbs above the root. */
static void norm_parts(const char *path, segments *out)
{
    normalise_segments(path, 1, out);
}

char *gr_techdocs_relative_url(const char *url, const char *other)
{
    const char *slash = strrchr(other, '/');
    const char *basename = slash ? slash + 1 : other;
    char *other_dir;
    segments other_parts;
    segments dest_parts;
    size_t common = 0;
    gr_buf out = GR_BUF_INIT;

    /* The last segment of `other` is a file name when it has a dot. */
    if (strchr(basename, '.') != NULL)
        other_dir = slash ? gr_xstrndup(other, (size_t)(slash - other)) : gr_xstrdup("");
    else
        other_dir = gr_xstrdup(other);
    segments_init(&other_parts);
    segments_init(&dest_parts);
    norm_parts(other_dir, &other_parts);
    norm_parts(url, &dest_parts);
    while (common < other_parts.count && common < dest_parts.count &&
           segments_equal(&other_parts.items[common], &dest_parts.items[common]))
        common++;

    gr_buf_puts(&out, "");
    for (size_t i = common; i < other_parts.count; i++)
        gr_buf_puts(&out, out.len ? "/.." : "..");
    for (size_t i = common; i < dest_parts.count; i++) {
        if (out.len)
            gr_buf_putc(&out, '/');
        gr_buf_append(&out, dest_parts.items[i].text, dest_parts.items[i].len);
    }
    if (out.len == 0)
        gr_buf_putc(&out, '.');
    if (url[0] != '\0' && url[strlen(url) - 1] == '/')
        gr_buf_putc(&out, '/');

    free(other_dir);
    segments_free(&other_parts);
    segments_free(&dest_parts);
    return gr_buf_detach(&out);
}

char *gr_techdocs_url_quote(const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    gr_buf out = GR_BUF_INIT;

    gr_buf_puts(&out, "");
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (isalnum(*p) || *p == '_' || *p == '.' || *p == '-' || *p == '~' || *p == '/') {
            gr_buf_putc(&out, (char)*p);
        } else {
            gr_buf_putc(&out, '%');
            gr_buf_putc(&out, hex[*p >> 4]);
            gr_buf_putc(&out, hex[*p & 15]);
        }
    }
    return gr_buf_detach(&out);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *gr_techdocs_url_unquote(const char *text)
{
    gr_buf out = GR_BUF_INIT;

    gr_buf_puts(&out, "");
    for (const char *p = text; *p != '\0'; p++) {
        if (p[0] == '%' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
            gr_buf_putc(&out, (char)(hex_value(p[1]) * 16 + hex_value(p[2])));
            p += 2;
        } else {
            gr_buf_putc(&out, *p);
        }
    }
    return gr_buf_detach(&out);
}

/* The parts of urllib.parse.urlsplit that link rewriting needs. */
typedef struct {
    int has_scheme;
    int has_netloc;
    char *path;
    char *query;    /* NULL when absent */
    char *fragment; /* NULL when absent */
} split_url;

static void split(const char *url, split_url *out)
{
    const char *colon = strchr(url, ':');
    const char *rest = url;
    const char *hash;
    const char *question;
    const char *path_end;

    memset(out, 0, sizeof(*out));
    if (colon != NULL && colon > url && isalpha((unsigned char)url[0])) {
        const char *p = url;
        while (p < colon && (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'))
            p++;
        if (p == colon) {
            out->has_scheme = 1;
            rest = colon + 1;
        }
    }
    if (rest[0] == '/' && rest[1] == '/') {
        out->has_netloc = rest[2] != '\0' && rest[2] != '/' && rest[2] != '?' && rest[2] != '#';
        rest += 2;
        rest += strcspn(rest, "/?#");
    }

    hash = strchr(rest, '#');
    path_end = hash ? hash : rest + strlen(rest);
    question = memchr(rest, '?', (size_t)(path_end - rest));
    if (hash != NULL)
        out->fragment = gr_xstrdup(hash + 1);
    if (question != NULL) {
        out->query = gr_xstrndup(question + 1, (size_t)(path_end - question - 1));
        path_end = question;
    }
    out->path = gr_xstrndup(rest, (size_t)(path_end - rest));
}

static void split_free(split_url *parts)
{
    free(parts->path);
    free(parts->query);
    free(parts->fragment);
}

/* Python-Markdown marks e-mail links with this placeholder; MkDocs skips them. */
#define AMP_SUBSTITUTE "\x02amp\x03"

static int is_source_link(const char *url, const split_url *parts)
{
    const char *last = strrchr(parts->path, '/');

    last = last ? last + 1 : parts->path;
    if (parts->has_scheme || parts->has_netloc || parts->path[0] == '\0')
        return 0;
    if (url[0] == '/' || url[0] == '\\' || strstr(url, AMP_SUBSTITUTE) != NULL)
        return 0;
    return strchr(last, '.') != NULL;
}

static char *resolve_target(const char *page_src_uri, const char *path)
{
    const char *slash = strrchr(page_src_uri, '/');
    char *decoded = gr_techdocs_url_unquote(path);
    char *joined;
    char *normal;
    char *target;
    const char *start;

    if (slash != NULL)
        joined = gr_xasprintf("%.*s/%s", (int)(slash - page_src_uri), page_src_uri, decoded);
    else
        joined = gr_xstrdup(decoded);
    normal = gr_techdocs_normpath(joined);
    for (start = normal; *start == '/'; start++)
        ;
    target = gr_xstrdup(start);
    free(decoded);
    free(joined);
    free(normal);
    return target;
}

gr_techdocs_link_status gr_techdocs_rewrite_link(const char *url, const char *page_src_uri,
                                                 gr_techdocs_file_exists exists, void *payload,
                                                 char **out, char **target_out)
{
    return gr_techdocs_rewrite_link_at(url, page_src_uri, NULL, exists, payload, out, target_out);
}

gr_techdocs_link_status gr_techdocs_rewrite_link_at(const char *url, const char *page_src_uri,
                                                    const char *page_url,
                                                    gr_techdocs_file_exists exists, void *payload,
                                                    char **out, char **target_out)
{
    split_url parts;
    char *own_page_url = NULL;
    char *target = NULL;
    gr_techdocs_link_status status = GR_TECHDOCS_LINK_KEPT;

    split(url, &parts);
    if (!is_source_link(url, &parts)) {
        *out = gr_xstrdup(url);
        goto done;
    }

    target = resolve_target(page_src_uri, parts.path);
    if (!exists(target, payload)) {
        *out = gr_xstrdup(url);
        status = GR_TECHDOCS_LINK_MISSING;
        goto done;
    }

    char *target_url = gr_techdocs_file_url(target);
    if (page_url == NULL)
        page_url = own_page_url = gr_techdocs_file_url(page_src_uri);
    char *relative = gr_techdocs_relative_url(target_url, page_url);
    gr_buf result = GR_BUF_INIT;

    gr_buf_puts(&result, relative);
    if (parts.query != NULL && parts.query[0] != '\0')
        gr_buf_printf(&result, "?%s", parts.query);
    if (parts.fragment != NULL && parts.fragment[0] != '\0')
        gr_buf_printf(&result, "#%s", parts.fragment);
    *out = gr_buf_detach(&result);
    status = GR_TECHDOCS_LINK_REWRITTEN;
    free(target_url);
    free(own_page_url);
    free(relative);

done:
    if (target_out != NULL)
        *target_out = target;
    else
        free(target);
    split_free(&parts);
    return status;
}

char *gr_techdocs_edit_url(const char *repo_url, const char *edit_uri, const char *src_uri)
{
    char *relative;
    char *result;
    split_url edit_parts;

    if (edit_uri == NULL || edit_uri[0] == '\0')
        return NULL;
    relative = gr_xasprintf("%s%s", edit_uri, src_uri);
    split(relative, &edit_parts);
    if (repo_url == NULL || repo_url[0] == '\0' || edit_parts.has_scheme) {
        split_free(&edit_parts);
        return relative;
    }
    split_free(&edit_parts);

    if (relative[0] == '/' && relative[1] == '/') {
        /* A network-path reference keeps only the scheme of repo_url. */
        const char *colon = strchr(repo_url, ':');
        result = gr_xasprintf("%.*s:%s", colon ? (int)(colon - repo_url) : 0, repo_url, relative);
    } else if (relative[0] == '/') {
        const char *host = strstr(repo_url, "//");
        const char *path = host ? strchr(host + 2, '/') : NULL;
        size_t keep = path ? (size_t)(path - repo_url) : strcspn(repo_url, "?#");
        result = gr_xasprintf("%.*s%s", (int)keep, repo_url, relative);
    } else if (relative[0] == '?' || relative[0] == '#') {
        size_t keep = strcspn(repo_url, relative[0] == '?' ? "?#" : "#");
        result = gr_xasprintf("%.*s%s", (int)keep, repo_url, relative);
    } else {
        /* urljoin replaces the last path segment, so MkDocs adds a '/' first. */
        size_t keep = strcspn(repo_url, "?#");
        char *base = gr_xstrndup(repo_url, keep);
        char *last = strrchr(base, '/');
        const char *host = strstr(base, "//");
        if (host != NULL && (last == NULL || last < host + 2))
            result = gr_xasprintf("%s/%s", base, relative);
        else if (last != NULL && last[1] != '\0')
            result = gr_xasprintf("%s/%s", base, relative);
        else
            result = gr_xasprintf("%s%s", base, relative);
        free(base);
    }
    free(relative);
    return result;
}

char *gr_techdocs_default_edit_uri(const char *repo_url)
{
    const char *host;
    size_t len;

    if (repo_url == NULL)
        return NULL;
    host = strstr(repo_url, "//");
    if (host == NULL)
        return NULL;
    host += 2;
    len = strcspn(host, "/?#");
    if ((len == 10 && strncasecmp(host, "github.com", len) == 0) ||
        (len == 10 && strncasecmp(host, "gitlab.com", len) == 0))
        return gr_xstrdup("edit/master/docs/");
    if (len == 13 && strncasecmp(host, "bitbucket.org", len) == 0)
        return gr_xstrdup("src/default/docs/");
    return NULL;
}
