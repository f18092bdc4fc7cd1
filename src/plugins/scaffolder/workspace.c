/* SPDX-License-Identifier: MIT */
/* Files of a task: paths that cannot leave their root, folder walks, copies and globs. */
#include "plugins/scaffolder/workspace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/scaffolder/scaffolder.h"

/* Maximum alternatives a `{a,b}` glob expands to. */
#define GLOB_MAX_ALTERNATIVES 64

int gr_scaffolder_path_normalize(char *path)
{
    char *out = path;
    const char *in = path;
    int depth = 0;

    while (*in != '\0') {
        const char *end = strchr(in, '/');
        size_t len = end ? (size_t)(end - in) : strlen(in);

        if (len == 0 || (len == 1 && in[0] == '.')) {
            /* empty or "." segment: dropped */
        } else if (len == 2 && in[0] == '.' && in[1] == '.') {
            if (depth == 0)
                return -1;
            depth--;
            while (out > path && out[-1] != '/')
                out--;
            if (out > path)
                out--;
        } else {
            if (out > path)
                *out++ = '/';
            memmove(out, in, len);
            out += len;
            depth++;
        }
        in += len;
        if (*in == '/')
            in++;
    }
    *out = '\0';
    return depth;
}

/* Checks that no existing part of `full` below `root_len` bytes is a symbolic link. */
static int check_no_links(const char *full, size_t root_len, const char *relative)
{
    char *copy = gr_xstrdup(full);
    int rc = 0;

    for (char *slash = copy + root_len + 1; rc == 0;) {
        struct stat st;
        char *next = strchr(slash, '/');

        if (next != NULL)
            *next = '\0';
        if (lstat(copy, &st) != 0)
            break; /* the rest does not exist yet */
        if (S_ISLNK(st.st_mode))
            rc = gr_error_set(GR_EINVALID,
                              "path '%s' goes through a symbolic link, which is not allowed",
                              relative);
        if (next == NULL)
            break;
        *next = '/';
        slash = next + 1;
    }
    free(copy);
    return rc;
}

int gr_scaffolder_path_resolve(const char *root, const char *relative, char **out)
{
    size_t root_len = strlen(root);
    char *rel = NULL;
    int depth;
    int rc;

    *out = NULL;
    while (root_len > 1 && root[root_len - 1] == '/')
        root_len--;
    if (relative == NULL)
        relative = "";
    if (strlen(relative) >= 4096)
        return gr_error_set(GR_EINVALID, "path is longer than 4096 bytes");
    if (relative[0] == '/') {
        /* An absolute path is fine only when it lies inside the root. */
        if (strncmp(relative, root, root_len) != 0 ||
            (relative[root_len] != '/' && relative[root_len] != '\0'))
            return gr_error_set(
                GR_EINVALID, "path '%s' is outside the workspace; use a relative path", relative);
        relative += root_len;
    }
    rel = gr_xstrdup(relative);
    depth = gr_scaffolder_path_normalize(rel);
    if (depth < 0) {
        free(rel);
        return gr_error_set(GR_EINVALID,
                            "relative path '%s' is not allowed to refer to a folder outside the "
                            "workspace",
                            relative);
    }
    if (depth == 0)
        *out = gr_xstrndup(root, root_len);
    else
        *out = gr_xasprintf("%.*s/%s", (int)root_len, root, rel);
    free(rel);

    if (depth > 0 && (rc = check_no_links(*out, root_len, relative)) < 0) {
        free(*out);
        *out = NULL;
        return rc;
    }
    return 0;
}

int gr_scaffolder_mkdirs(const char *path)
{
    char *copy = gr_xstrdup(path);
    int rc = 0;

    for (char *p = copy + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;

        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            rc = gr_error_set(GR_EBACKEND, "cannot create folder %s: %s", copy, strerror(errno));
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(copy);
    return rc;
}

static int rmtree_at(const char *path, int depth)
{
    struct stat st;
    DIR *dir;
    struct dirent *entry;
    int rc = 0;

    if (lstat(path, &st) != 0)
        return errno == ENOENT
                   ? 0
                   : gr_error_set(GR_EBACKEND, "cannot read %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0 && errno != ENOENT)
            return gr_error_set(GR_EBACKEND, "cannot remove %s: %s", path, strerror(errno));
        return 0;
    }
    if (depth > 256)
        return gr_error_set(GR_ELIMIT, "folder %s is nested too deeply to remove", path);
    if ((dir = opendir(path)) == NULL)
        return gr_error_set(GR_EBACKEND, "cannot open folder %s: %s", path, strerror(errno));
    while (rc == 0 && (entry = readdir(dir)) != NULL) {
        char *child;

        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        child = gr_xasprintf("%s/%s", path, entry->d_name);
        rc = rmtree_at(child, depth + 1);
        free(child);
    }
    closedir(dir);
    if (rc == 0 && rmdir(path) != 0 && errno != ENOENT)
        rc = gr_error_set(GR_EBACKEND, "cannot remove folder %s: %s", path, strerror(errno));
    return rc;
}

int gr_scaffolder_rmtree(const char *path)
{
    return rmtree_at(path, 0);
}

static void entries_push(gr_scaffolder_entries *out, char *path, const struct stat *st)
{
    gr_scaffolder_entry *entry;

    if (out->count == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 64;
        out->items = gr_xrealloc(out->items, out->cap * sizeof(*out->items));
    }
    entry = &out->items[out->count++];
    entry->path = path;
    entry->is_dir = S_ISDIR(st->st_mode);
    entry->is_link = S_ISLNK(st->st_mode);
    entry->mode = st->st_mode & 07777;
    entry->size = (int64_t)st->st_size;
}

static int walk_at(const char *root, const char *rel, int depth, unsigned flags,
                   gr_scaffolder_entries *out)
{
    char *dir_path = rel[0] ? gr_xasprintf("%s/%s", root, rel) : gr_xstrdup(root);
    DIR *dir = opendir(dir_path);
    struct dirent *entry;
    int rc = 0;

    if (dir == NULL) {
        rc = gr_error_set(errno == ENOENT || errno == ENOTDIR ? GR_ENOTFOUND : GR_EBACKEND,
                          "cannot open folder %s: %s", dir_path, strerror(errno));
        free(dir_path);
        return rc;
    }
    if (depth > GR_SCAFFOLDER_MAX_DEPTH) {
        closedir(dir);
        free(dir_path);
        return gr_error_set(GR_ELIMIT, "folder %s is nested deeper than %d levels", rel,
                            GR_SCAFFOLDER_MAX_DEPTH);
    }
    while (rc == 0 && (entry = readdir(dir)) != NULL) {
        struct stat st;
        char *full;
        char *child;

        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if ((flags & GR_WALK_SKIP_GIT) && depth == 0 && strcmp(entry->d_name, ".git") == 0)
            continue;
        full = gr_xasprintf("%s/%s", dir_path, entry->d_name);
        if (lstat(full, &st) != 0) {
            rc = gr_error_set(GR_EBACKEND, "cannot read %s: %s", full, strerror(errno));
            free(full);
            break;
        }
        free(full);
        child = rel[0] ? gr_xasprintf("%s/%s", rel, entry->d_name) : gr_xstrdup(entry->d_name);
        if (S_ISLNK(st.st_mode) && !(flags & GR_WALK_KEEP_LINKS)) {
            rc = gr_error_set(
                GR_EINVALID, "'%s' is a symbolic link; links are not allowed in a skeleton", child);
            free(child);
            break;
        }
        if (out->count >= GR_SCAFFOLDER_MAX_FILES) {
            rc = gr_error_set(GR_ELIMIT, "more than %d files and folders below %s",
                              GR_SCAFFOLDER_MAX_FILES, root);
            free(child);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            entries_push(out, gr_xasprintf("%s/", child), &st);
            rc = walk_at(root, child, depth + 1, flags, out);
            free(child);
        } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
            entries_push(out, child, &st);
        } else {
            free(child); /* sockets, devices and pipes are never copied */
        }
    }
    closedir(dir);
    free(dir_path);
    return rc;
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const gr_scaffolder_entry *)a)->path, ((const gr_scaffolder_entry *)b)->path);
}

int gr_scaffolder_walk(const char *root, unsigned flags, gr_scaffolder_entries *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = walk_at(root, "", 0, flags, out);
    if (rc < 0) {
        gr_scaffolder_entries_free(out);
        return rc;
    }
    if (out->count > 1)
        qsort(out->items, out->count, sizeof(*out->items), compare_entries);
    return 0;
}

void gr_scaffolder_entries_free(gr_scaffolder_entries *entries)
{
    if (entries == NULL)
        return;
    for (size_t i = 0; i < entries->count; i++)
        free(entries->items[i].path);
    free(entries->items);
    memset(entries, 0, sizeof(*entries));
}

int gr_scaffolder_read_file(const char *path, size_t max_bytes, gr_buf *out)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    char chunk[65536];
    ssize_t n;

    if (fd < 0)
        return gr_error_set(errno == ENOENT ? GR_ENOTFOUND : GR_EBACKEND, "cannot open %s: %s",
                            path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return gr_error_set(GR_EINVALID, "%s is not a regular file", path);
    }
    if ((size_t)st.st_size > max_bytes) {
        close(fd);
        return gr_error_set(GR_ELIMIT, "%s is larger than %zu bytes", path, max_bytes);
    }
    gr_buf_append(out, "", 0);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
        gr_buf_append(out, chunk, (size_t)n);
        if (out->len > max_bytes) {
            close(fd);
            return gr_error_set(GR_ELIMIT, "%s is larger than %zu bytes", path, max_bytes);
        }
    }
    close(fd);
    if (n < 0)
        return gr_error_set(GR_EBACKEND, "cannot read %s: %s", path, strerror(errno));
    return 0;
}

int gr_scaffolder_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    const char *slash = strrchr(path, '/');
    const char *bytes = data;
    int fd;
    int rc;

    if (slash != NULL && slash != path) {
        char *parent = gr_xstrndup(path, (size_t)(slash - path));

        rc = gr_scaffolder_mkdirs(parent);
        free(parent);
        if (rc < 0)
            return rc;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
    if (fd < 0)
        return gr_error_set(GR_EBACKEND, "cannot write %s: %s", path, strerror(errno));
    while (len > 0) {
        ssize_t n = write(fd, bytes, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = gr_error_set(GR_EBACKEND, "cannot write %s: %s", path, strerror(errno));
            close(fd);
            return rc;
        }
        bytes += n;
        len -= (size_t)n;
    }
    /* open() applies the umask; the mode of a skeleton file is kept as it is. */
    fchmod(fd, mode & 0777);
    if (close(fd) != 0)
        return gr_error_set(GR_EBACKEND, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

static int64_t tree_bytes_at(const char *path, int depth)
{
    struct stat st;
    DIR *dir;
    struct dirent *entry;
    int64_t total = 0;

    if (lstat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return S_ISREG(st.st_mode) ? (int64_t)st.st_size : 0;
    if (depth > 256 || (dir = opendir(path)) == NULL)
        return -1;
    while ((entry = readdir(dir)) != NULL) {
        char *child;
        int64_t size;

        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        child = gr_xasprintf("%s/%s", path, entry->d_name);
        size = tree_bytes_at(child, depth + 1);
        free(child);
        if (size < 0) {
            total = -1;
            break;
        }
        total += size;
    }
    closedir(dir);
    return total;
}

int64_t gr_scaffolder_tree_bytes(const char *root)
{
    return tree_bytes_at(root, 0);
}

/* Splits a path into its segments (in place); returns their count. */
static size_t split_segments(char *path, char **segments, size_t max)
{
    size_t count = 0;

    for (char *token = strtok(path, "/"); token != NULL && count < max; token = strtok(NULL, "/"))
        segments[count++] = token;
    return count;
}

static bool match_segments(char **pattern, size_t pattern_count, char **path, size_t path_count)
{
    if (pattern_count == 0)
        return path_count == 0;
    if (strcmp(pattern[0], "**") == 0) {
        for (size_t skip = 0; skip <= path_count; skip++)
            if (match_segments(pattern + 1, pattern_count - 1, path + skip, path_count - skip))
                return true;
        return false;
    }
    if (path_count == 0 || fnmatch(pattern[0], path[0], 0) != 0)
        return false;
    return match_segments(pattern + 1, pattern_count - 1, path + 1, path_count - 1);
}

/* Matches one brace-free pattern against the path or any folder above it. */
static bool match_plain(const char *pattern, const char *path)
{
    char *pattern_copy = gr_xstrdup(pattern);
    char *path_copy = gr_xstrdup(path);
    char *pattern_segments[GR_SCAFFOLDER_MAX_DEPTH + 2];
    char *path_segments[GR_SCAFFOLDER_MAX_DEPTH + 2];
    size_t pattern_count;
    size_t path_count;
    bool matched = false;

    pattern_count = split_segments(pattern_copy, pattern_segments, GR_SCAFFOLDER_MAX_DEPTH + 2);
    path_count = split_segments(path_copy, path_segments, GR_SCAFFOLDER_MAX_DEPTH + 2);
    if (pattern_count > 0 && pattern_count <= GR_SCAFFOLDER_MAX_DEPTH + 1)
        for (size_t prefix = 1; prefix <= path_count && !matched; prefix++)
            matched = match_segments(pattern_segments, pattern_count, path_segments, prefix);
    free(pattern_copy);
    free(path_copy);
    return matched;
}

/* Expands the first `{a,b}` group of `pattern` and matches each alternative. */
static bool match_braces(const char *pattern, const char *path, int *budget)
{
    const char *open = strchr(pattern, '{');
    const char *close;
    const char *item;
    int nesting = 0;

    if (open == NULL)
        return match_plain(pattern, path);
    for (close = open; *close != '\0'; close++) {
        if (*close == '{')
            nesting++;
        else if (*close == '}' && --nesting == 0)
            break;
    }
    if (*close == '\0')
        return match_plain(pattern, path);

    item = open + 1;
    while (item <= close) {
        const char *end = item;
        int depth = 0;
        bool matched;
        char *expanded;

        while (end < close && !(depth == 0 && *end == ',')) {
            depth += *end == '{' ? 1 : *end == '}' ? -1 : 0;
            end++;
        }
        if (--*budget < 0)
            return false;
        expanded = gr_xasprintf("%.*s%.*s%s", (int)(open - pattern), pattern, (int)(end - item),
                                item, close + 1);
        matched = match_braces(expanded, path, budget);
        free(expanded);
        if (matched)
            return true;
        item = end + 1;
    }
    return false;
}

bool gr_scaffolder_glob_match(const char *pattern, const char *path)
{
    int budget = GLOB_MAX_ALTERNATIVES;

    while (pattern[0] == '.' && pattern[1] == '/')
        pattern += 2;
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    return match_braces(pattern, path, &budget);
}

/* Returns the length of the valid UTF-8 sequence at `p`, 0 when invalid, -1 when cut off. */
static int utf8_sequence(const unsigned char *p, size_t left)
{
    int need;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        need = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        need = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        need = 4;
    else
        return 0;
    for (int i = 1; i < need; i++) {
        if ((size_t)i >= left)
            return -1;
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    }
    return need;
}

bool gr_scaffolder_is_binary(const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t limit = len < 8000 ? len : 8000;

    for (size_t i = 0; i < limit;) {
        int step;

        if (p[i] == 0)
            return true;
        step = utf8_sequence(p + i, len - i);
        if (step == 0)
            return true;
        if (step < 0)
            break;
        i += (size_t)step;
    }
    return false;
}
