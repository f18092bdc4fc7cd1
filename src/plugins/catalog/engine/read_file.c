/* SPDX-License-Identifier: MIT */
/* The `file` location reader: one path, or every file a glob matches. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/read.h"
#include "plugins/catalog/engine/util.h"

/* Maximum folder depth a glob walks below its fixed prefix. */
#define GLOB_MAX_DEPTH 32

/* Reads a whole regular file of at most `max` bytes. It opens without blocking, because opening
 * a named pipe for reading waits for a writer and would stop a worker for good. */
static int read_whole(const char *path, size_t max, char **data_out, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *file = fd >= 0 ? fdopen(fd, "rb") : NULL;
    struct stat st;
    char *data = NULL;
    size_t len;
    int rc = GR_OK;

    if (file == NULL) {
        rc = gr_error_set(errno == ENOENT || errno == ENOTDIR ? GR_ENOTFOUND : GR_EBACKEND,
                          "file %s could not be read: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    if (fstat(fileno(file), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = gr_error_set(GR_EINVALID, "file %s is not a regular file", path);
        goto done;
    }
    if ((size_t)st.st_size > max) {
        rc = gr_error_set(GR_ELIMIT, "file %s is larger than the limit of %zu bytes", path, max);
        goto done;
    }
    data = gr_xmalloc((size_t)st.st_size + 1);
    len = fread(data, 1, (size_t)st.st_size, file);
    if (ferror(file)) {
        rc = gr_error_set(GR_EBACKEND, "file %s could not be read: %s", path, strerror(errno));
        goto done;
    }
    data[len] = '\0';
    *data_out = data;
    *len_out = len;
    data = NULL;
done:
    free(data);
    fclose(file);
    return rc;
}

typedef struct {
    const char *pattern; /* the whole absolute glob */
    char **paths;
    size_t count;
    size_t cap;
    int rc;
    bool depth_warned; /* whether the folder depth limit was logged for this walk */
    bool utf8_warned;  /* whether a name that is not UTF-8 was logged for this walk */
    size_t entries;     /* files and folders looked at so far */
    size_t max_entries; /* settings->glob_max_entries */
} glob_walk;

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Counts the '/'-separated segments of an absolute path or pattern ("/a/b" has 2). */
static size_t segment_count(const char *path)
{
    size_t count = 0;

    for (const char *p = path; *p != '\0'; p++) {
        if (*p == '/' && p[1] != '\0' && p[1] != '/')
            count++;
    }
    return count;
}

/* Returns the ']' that closes the bracket class opening at `open`, found as
 * gr_catalog__glob_match() finds it, or NULL when the '[' is a plain character. */
static const char *class_end(const char *open)
{
    const char *p = open + 1;

    if (*p == '!' || *p == '^')
        p++;
    if (*p == ']')
        p++;
    return strchr(p, ']');
}

/*
 * True when files under the folder `dir` may match `pattern`: the first segments of the
 * pattern, as many as `dir` has, match `dir`, or a `**` comes before them. The walk skips
 * other folders, so a pattern for the catalog-info.yaml of each folder in /srv never enters
 * /srv/a/node_modules. Doubled slashes, bracket classes (which may contain '/') and `**` are
 * read as gr_catalog__glob_match() reads them, so that no matching file is lost.
 */
static bool folder_may_match(const char *pattern, const char *dir)
{
    size_t dir_segments = segment_count(dir);
    size_t seen = 0;
    const char *end;
    char *prefix;
    bool match;

    for (end = pattern; *end != '\0'; end++) {
        if (*end == '[' && class_end(end) != NULL) {
            end = class_end(end);
            continue;
        }
        if (end[0] == '*' && end[1] == '*' && (end[2] == '/' || end[2] == '\0'))
            return true;
        if (*end != '/' || end[1] == '/' || end[1] == '\0')
            continue;
        if (seen == dir_segments)
            break;
        seen++;
    }
    if (*end == '\0')
        return false; /* the pattern ends before this depth: only files above can match */
    prefix = gr_xstrndup(pattern, (size_t)(end - pattern));
    match = gr_catalog__glob_match(prefix, dir, false);
    free(prefix);
    return match;
}

/* Whether `name` is valid UTF-8, checked by jansson as for every JSON string it makes. */
static bool name_is_utf8(const char *name)
{
    json_t *text = json_string(name);
    bool valid = text != NULL;

    json_decref(text);
    return valid;
}

/*
 * Logs, once per walk, that an entry whose name is not valid UTF-8 is skipped.
 * Such a name cannot go into an entity's annotations, the JSON of the API or a
 * PostgreSQL text column, where one such file would fail the whole batch of
 * its location.
 */
static void skip_non_utf8(glob_walk *state, const char *dir)
{
    if (!state->utf8_warned)
        gr_log_fields(GR_LOG_WARN, "catalog",
                      "glob skips a file or folder whose name is not valid UTF-8; rename it",
                      "pattern", state->pattern, "folder", dir, NULL);
    state->utf8_warned = true;
}

static void walk(glob_walk *state, const char *dir, int depth)
{
    DIR *handle;
    struct dirent *entry;

    if (state->rc != GR_OK)
        return;
    if (depth > GLOB_MAX_DEPTH) {
        if (!state->depth_warned) {
            char max_depth[16];

            snprintf(max_depth, sizeof(max_depth), "%d", GLOB_MAX_DEPTH);
            gr_log_fields(GR_LOG_WARN, "catalog",
                          "glob folder is too deep and is not searched; move the files up or "
                          "use a more specific pattern",
                          "pattern", state->pattern, "folder", dir, "max_depth", max_depth, NULL);
        }
        state->depth_warned = true;
        return;
    }
    handle = opendir(dir);
    if (handle == NULL)
        return;
    while ((entry = readdir(handle)) != NULL && state->rc == GR_OK) {
        struct stat st;
        char *path;

        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (++state->entries > state->max_entries) {
            state->rc = gr_error_set(GR_ELIMIT,
                                     "file %s: the glob looked at more than %zu files and folders; "
                                     "use a pattern with a longer fixed folder",
                                     state->pattern, state->max_entries);
            break;
        }
        if (!name_is_utf8(entry->d_name)) {
            skip_non_utf8(state, dir);
            continue;
        }
        path = gr_xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, entry->d_name);
        /* Folders reached through symbolic links are not entered, so a link
         * loop cannot make the walk endless; linked files are read. */
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (folder_may_match(state->pattern, path))
                walk(state, path, depth + 1);
        } else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
                   gr_catalog__glob_match(state->pattern, path, false)) {
            if (state->count == GR_CATALOG_MAX_GLOB_FILES) {
                state->rc = gr_error_set(GR_ELIMIT, "file %s matches more than %d files",
                                         state->pattern, GR_CATALOG_MAX_GLOB_FILES);
            } else {
                if (state->count == state->cap) {
                    state->cap = state->cap ? state->cap * 2 : 16;
                    state->paths = gr_xrealloc(state->paths, state->cap * sizeof(char *));
                }
                state->paths[state->count++] = path;
                path = NULL;
            }
        }
        free(path);
    }
    closedir(handle);
}

int gr_catalog__glob_files(const char *pattern, size_t max_entries, char ***paths_out,
                           size_t *count_out)
{
    glob_walk state = {.pattern = pattern, .max_entries = max_entries};
    char *prefix;

    *paths_out = NULL;
    *count_out = 0;
    if (pattern[0] != '/')
        return gr_error_set(GR_EINVALID, "glob %s is not an absolute path", pattern);

    /* Walk from the deepest folder before the first glob character. */
    prefix = gr_catalog__glob_root(pattern);
    walk(&state, prefix, 0);
    free(prefix);
    if (state.rc != GR_OK) {
        for (size_t i = 0; i < state.count; i++)
            free(state.paths[i]);
        free(state.paths);
        return state.rc;
    }

    gr_catalog__sort(state.paths, state.count, sizeof(char *), compare_paths);
    *paths_out = state.paths;
    *count_out = state.count;
    return GR_OK;
}

int gr_catalog__read_file(const gr_catalog_settings *settings, const char *target,
                          gr_catalog_files *out)
{
    char **paths = NULL;
    size_t count = 0;
    char *data;
    size_t len;
    int rc;

    if (target[0] != '/')
        return gr_error_set(GR_EINVALID,
                            "file %s does not exist; file targets must be absolute paths", target);
    if (!gr_catalog__has_glob(target)) {
        rc = read_whole(target, settings->read_max_bytes, &data, &len);
        if (rc == GR_ENOTFOUND)
            return gr_error_set(GR_ENOTFOUND, "file %s does not exist", target);
        if (rc == GR_OK)
            gr_catalog__files_push(out, gr_xstrdup(target), data, len);
        return rc;
    }

    rc = gr_catalog__glob_files(target, settings->glob_max_entries, &paths, &count);
    if (rc == GR_OK && count == 0)
        rc = gr_error_set(GR_ENOTFOUND,
                          "file %s does not exist: the pattern matches no file. A relative "
                          "target in catalog.locations starts from the folder greenroom runs in",
                          target);
    for (size_t i = 0; i < count; i++) {
        if (rc == GR_OK) {
            rc = read_whole(paths[i], settings->read_max_bytes, &data, &len);
            if (rc == GR_OK) {
                gr_catalog__files_push(out, paths[i], data, len);
                paths[i] = NULL;
            }
        }
        free(paths[i]);
    }
    free(paths);
    return rc;
}
