/* SPDX-License-Identifier: MIT */
/* Dispatch of location reads by type, and resolution of relative targets. */
#include "plugins/catalog/engine/read.h"

#include <stdbool.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

void gr_catalog__files_free(gr_catalog_files *files)
{
    if (files == NULL)
        return;
    for (size_t i = 0; i < files->count; i++) {
        free(files->items[i].target);
        free(files->items[i].data);
    }
    free(files->items);
    memset(files, 0, sizeof(*files));
}

void gr_catalog__files_push(gr_catalog_files *files, char *target, char *data, size_t len)
{
    if (files->count == files->cap) {
        files->cap = files->cap ? files->cap * 2 : 4;
        files->items = gr_xrealloc(files->items, files->cap * sizeof(*files->items));
    }
    files->items[files->count].target = target;
    files->items[files->count].data = data;
    files->items[files->count].len = len;
    files->count++;
}

int gr_catalog__read_location(const gr_catalog_settings *settings, const char *type,
                              const char *target, gr_catalog_files *out)
{
    if (strcmp(type, "file") == 0)
        return gr_catalog__read_file(settings, target, out);
    if (strcmp(type, "url") == 0)
        return gr_catalog__read_url(settings, target, out);
    if (strcmp(type, "git") == 0)
        return gr_catalog__read_git(settings, target, out);
    return gr_error_set(GR_EINVALID,
                        "Unknown location type '%s' of target %s; use file, url or git", type,
                        target);
}

char *gr_catalog__normalize_path(char *path)
{
    size_t cap = strlen(path) + 4;
    char *out = gr_xmalloc(cap);
    const char *in = path;
    bool absolute = path[0] == '/';
    size_t start = absolute ? 1 : 0;
    size_t len = start;

    out[0] = '/';
    while (*in != '\0') {
        size_t seg = strcspn(in, "/");

        if (seg == 0 || (seg == 1 && in[0] == '.')) {
            /* Empty and "." segments disappear. */
        } else if (seg == 2 && in[0] == '.' && in[1] == '.') {
            bool parent_is_dotdot = len - start >= 3 && strncmp(out + len - 3, "../", 3) == 0 &&
                                    (len - 3 == start || out[len - 4] == '/');

            if (len > start && !parent_is_dotdot) {
                len--; /* the '/' after the last segment */
                while (len > start && out[len - 1] != '/')
                    len--;
            } else if (!absolute) {
                memcpy(out + len, "../", 3);
                len += 3;
            }
        } else {
            memcpy(out + len, in, seg);
            len += seg;
            out[len++] = '/';
        }
        in += seg;
        if (*in == '/')
            in++;
    }
    if (len > start && out[len - 1] == '/')
        len--;
    out[len] = '\0';
    if (len == 0 && path[0] != '\0')
        strcpy(out, ".");
    strcpy(path, out);
    free(out);
    return path;
}

static char *join_relative(const char *base_path, const char *target)
{
    const char *slash = strrchr(base_path, '/');
    char *joined;

    if (slash == NULL)
        joined = gr_xstrdup(target);
    else
        joined = gr_xasprintf("%.*s/%s", (int)(slash - base_path), base_path, target);
    return gr_catalog__normalize_path(joined);
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t len = strlen(text);
    size_t suffix_len = strlen(suffix);

    return len >= suffix_len && strcmp(text + len - suffix_len, suffix) == 0;
}

/* Resolves a URL reference against a base URL by RFC 3986 section 5.2. */
static char *resolve_url(const char *base, const char *target)
{
    const char *colon = strchr(target, ':');
    const char *scheme_end = strstr(base, "://");
    const char *path_start;
    size_t base_path_len;
    size_t path_len;
    bool trailing;
    char *merged;
    char *path;
    char *out;

    if (colon != NULL && strcspn(target, "/?#") > (size_t)(colon - target))
        return gr_xstrdup(target);
    if (scheme_end == NULL)
        return gr_xstrdup(target);
    if (strncmp(target, "//", 2) == 0)
        return gr_xasprintf("%.*s:%s", (int)(scheme_end - base), base, target);
    path_start = strchr(scheme_end + 3, '/');
    if (path_start == NULL)
        path_start = base + strcspn(base, "?#");
    base_path_len = strcspn(path_start, "?#");

    if (target[0] == '/') {
        merged = gr_xstrdup(target);
    } else if (target[0] == '\0' || target[0] == '?' || target[0] == '#') {
        merged = gr_xasprintf("%.*s%s", (int)base_path_len, path_start, target);
    } else {
        size_t dir_len = base_path_len;

        while (dir_len > 0 && path_start[dir_len - 1] != '/')
            dir_len--;
        merged = dir_len == 0 ? gr_xasprintf("/%s", target)
                              : gr_xasprintf("%.*s%s", (int)dir_len, path_start, target);
    }

    path_len = strcspn(merged, "?#");
    path = gr_xmalloc(path_len * 2 + 4);
    memcpy(path, merged, path_len);
    path[path_len] = '\0';
    trailing = ends_with(path, "/") || ends_with(path, "/.") || ends_with(path, "/..");
    gr_catalog__normalize_path(path);
    if (strcmp(path, ".") == 0)
        path[0] = '\0';
    out = gr_xasprintf("%.*s%s%s%s%s", (int)(path_start - base), base, path[0] == '/' ? "" : "/",
                       path, trailing && path[0] != '\0' && strcmp(path, "/") != 0 ? "/" : "", merged + path_len);
    free(path);
    free(merged);
    return out;
}

bool gr_catalog__git_target_inside(const char *target)
{
    return target[0] != '\0' && target[0] != '/' && strchr(target, '?') == NULL &&
           strchr(target, ':') == NULL;
}

void gr_catalog__git_param_append(gr_buf *out, const char *text)
{
    for (const char *c = text; *c != '\0'; c++) {
        if (strchr("%&#+", *c) != NULL)
            gr_buf_printf(out, "%%%02X", (unsigned char)*c);
        else
            gr_buf_putc(out, *c);
    }
}

/* Resolves `target` against the path of the git target "repo?ref=x&path=y" `base`. The
 * target is a file name, so it is encoded before it joins the encoded path of `base`. */
static char *git_with_path(const char *base, const char *target)
{
    const char *path_param = strstr(base, "path=");
    gr_buf encoded = GR_BUF_INIT;
    const char *path_end;
    char *base_path;
    char *joined;
    char *out;

    if (path_param == NULL || (path_param[-1] != '?' && path_param[-1] != '&'))
        return gr_xstrdup(target);
    path_param += 5;
    path_end = path_param + strcspn(path_param, "&#");
    base_path = gr_xstrndup(path_param, (size_t)(path_end - path_param));
    gr_catalog__git_param_append(&encoded, target);
    joined = join_relative(base_path, encoded.data);
    out = gr_xasprintf("%.*s%s%s", (int)(path_param - base), base, joined, path_end);
    gr_buf_free(&encoded);
    free(base_path);
    free(joined);
    return out;
}

char *gr_catalog__resolve_target(const char *type, const char *base, const char *target)
{
    if (strcmp(type, "file") == 0) {
        if (target[0] == '.')
            return join_relative(base, target);
        return gr_xstrdup(target);
    }
    if (strcmp(type, "url") == 0)
        return resolve_url(base, target);
    if (strcmp(type, "git") == 0 && gr_catalog__git_target_inside(target))
        return git_with_path(base, target);
    return gr_xstrdup(target);
}
