/* SPDX-License-Identifier: MIT */
/* The files of a docs folder, listed and ordered as MkDocs lists them. */
#include "plugins/techdocs/build/files.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/techdocs/build/urls.h"

typedef struct {
    char *root_real; /* realpath of docs_dir */
    gr_techdocs_files *files;
    gr_techdocs_walk_warning warn;
    void *payload;
} walker;

static int is_index_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);

    return (stem == 5 && strncmp(name, "index", 5) == 0) ||
           (stem == 6 && strncmp(name, "README", 6) == 0);
}

static int compare_files(const void *a, const void *b)
{
    const char *left = *(const char *const *)a;
    const char *right = *(const char *const *)b;
    int left_index = is_index_name(left);
    int right_index = is_index_name(right);

    if (left_index != right_index)
        return right_index - left_index;
    return strcmp(left, right);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_file(walker *w, const char *src_uri, const char *abs_path)
{
    gr_techdocs_files *files = w->files;
    gr_techdocs_file *file;

    if (files->count == files->cap) {
        files->cap = files->cap ? files->cap * 2 : 64;
        files->items = gr_xrealloc(files->items, files->cap * sizeof(*file));
    }
    file = &files->items[files->count++];
    file->src_uri = gr_xstrdup(src_uri);
    file->abs_path = gr_xstrdup(abs_path);
    file->is_page = gr_techdocs_is_markdown(src_uri);
}

/* Returns nonzero when `path` resolves to a place inside the docs folder. */
static int inside_root(walker *w, const char *path)
{
    char real[PATH_MAX];
    size_t root_len = strlen(w->root_real);

    if (realpath(path, real) == NULL)
        return 0;
    return strncmp(real, w->root_real, root_len) == 0 &&
           (real[root_len] == '/' || real[root_len] == '\0');
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

static int walk(walker *w, const char *abs_dir, const char *rel_dir, int depth);

/* Appends a copy of `name` to the list `names` of `*count` entries and room for `*cap`. */
static void add_name(char ***names, size_t *count, size_t *cap, const char *name)
{
    if (*count == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *names = gr_xrealloc(*names, *cap * sizeof(char *));
    }
    (*names)[(*count)++] = gr_xstrdup(name);
}

/* Sorts the entries of one folder into its subfolders and files. */
static int read_folder(walker *w, const char *abs_dir, const char *rel_dir, char ***dirs,
                       size_t *dir_count, char ***files, size_t *file_count)
{
    DIR *dir = opendir(abs_dir);
    struct dirent *entry;
    size_t dir_cap = 0;
    size_t file_cap = 0;

    if (dir == NULL)
        return gr_error_set(GR_EBACKEND, "%s: cannot read folder: %s", abs_dir, strerror(errno));
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        char *path;
        struct stat info;
        struct stat link_info;

        if (name[0] == '.')
            continue;
        if (rel_dir[0] == '\0' && strcmp(name, "templates") == 0)
            continue;
        path = gr_xasprintf("%s/%s", abs_dir, name);
        /* The entry's type from the folder saves the two stats, except for
         * a link (which may lead outside) and a file system that gives none. */
        if (entry->d_type == DT_REG || entry->d_type == DT_DIR) {
            free(path);
            if (entry->d_type == DT_DIR)
                add_name(dirs, dir_count, &dir_cap, name);
            else
                add_name(files, file_count, &file_cap, name);
            continue;
        }
        if (lstat(path, &link_info) != 0 || stat(path, &info) != 0) {
            free(path);
            continue;
        }
        if (S_ISLNK(link_info.st_mode) && !inside_root(w, path)) {
            if (w->warn != NULL)
                w->warn(path, "symbolic link leads outside docs_dir; skipped", w->payload);
            free(path);
            continue;
        }
        free(path);
        if (S_ISDIR(info.st_mode))
            add_name(dirs, dir_count, &dir_cap, name);
        else if (S_ISREG(info.st_mode))
            add_name(files, file_count, &file_cap, name);
    }
    closedir(dir);
    return GR_OK;
}

static int walk(walker *w, const char *abs_dir, const char *rel_dir, int depth)
{
    char **dirs = NULL;
    char **files = NULL;
    size_t dir_count = 0;
    size_t file_count = 0;
    int has_index_md = 0;
    int rc;

    if (depth > GR_TECHDOCS_MAX_DIR_DEPTH)
        return gr_error_set(GR_ELIMIT, "%s: folders nest deeper than %d levels", abs_dir,
                            GR_TECHDOCS_MAX_DIR_DEPTH);
    rc = read_folder(w, abs_dir, rel_dir, &dirs, &dir_count, &files, &file_count);
    if (rc != GR_OK)
        goto done;
    if (files != NULL)
        qsort(files, file_count, sizeof(char *), compare_files);
    if (dirs != NULL)
        qsort(dirs, dir_count, sizeof(char *), compare_names);
    for (size_t i = 0; i < file_count; i++)
        has_index_md |= strcmp(files[i], "index.md") == 0;

    /* os.walk is top-down: a folder's files come before its subfolders' files. */
    for (size_t i = 0; i < file_count; i++) {
        if (has_index_md && strcmp(files[i], "README.md") == 0) {
            if (w->warn != NULL)
                w->warn(abs_dir, "both index.md and README.md found; README.md skipped",
                        w->payload);
            continue;
        }
        if (w->files->count >= GR_TECHDOCS_MAX_FILES) {
            rc = gr_error_set(GR_ELIMIT, "%s: more than %d files in docs_dir", abs_dir,
                              GR_TECHDOCS_MAX_FILES);
            goto done;
        }
        char *abs_path = gr_xasprintf("%s/%s", abs_dir, files[i]);
        char *src_uri = rel_dir[0] ? gr_xasprintf("%s/%s", rel_dir, files[i])
                                   : gr_xstrdup(files[i]);
        add_file(w, src_uri, abs_path);
        free(abs_path);
        free(src_uri);
    }
    for (size_t i = 0; i < dir_count && rc == GR_OK; i++) {
        char *abs_path = gr_xasprintf("%s/%s", abs_dir, dirs[i]);
        char *rel_path = rel_dir[0] ? gr_xasprintf("%s/%s", rel_dir, dirs[i])
                                    : gr_xstrdup(dirs[i]);
        rc = walk(w, abs_path, rel_path, depth + 1);
        free(abs_path);
        free(rel_path);
    }

done:
    free_names(dirs, dir_count);
    free_names(files, file_count);
    return rc;
}

static int compare_by_name(const void *a, const void *b)
{
    const gr_techdocs_file *left = *(const gr_techdocs_file *const *)a;
    const gr_techdocs_file *right = *(const gr_techdocs_file *const *)b;

    return strcmp(left->src_uri, right->src_uri);
}

static void index_by_name(gr_techdocs_files *files)
{
    files->by_name = gr_xcalloc(files->count + 1, sizeof(gr_techdocs_file *));
    for (size_t i = 0; i < files->count; i++)
        files->by_name[i] = &files->items[i];
    qsort(files->by_name, files->count, sizeof(gr_techdocs_file *), compare_by_name);
}

int gr_techdocs_files_list(const char *docs_dir, gr_techdocs_files *out,
                           gr_techdocs_walk_warning warn, void *payload)
{
    char real[PATH_MAX];
    walker w = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    if (realpath(docs_dir, real) == NULL)
        return gr_error_set(GR_ENOTFOUND, "%s: docs folder not found: %s", docs_dir,
                            strerror(errno));
    w.root_real = real;
    w.files = out;
    w.warn = warn;
    w.payload = payload;
    rc = walk(&w, docs_dir, "", 0);
    if (rc != GR_OK) {
        gr_techdocs_files_free(out);
        return rc;
    }
    index_by_name(out);
    return GR_OK;
}

const gr_techdocs_file *gr_techdocs_files_find(const gr_techdocs_files *files, const char *src_uri)
{
    gr_techdocs_file key = {.src_uri = (char *)src_uri};
    const gr_techdocs_file *key_ptr = &key;
    gr_techdocs_file **found;

    if (files->by_name == NULL)
        return NULL;
    found = bsearch(&key_ptr, files->by_name, files->count, sizeof(gr_techdocs_file *),
                    compare_by_name);
    return found ? *found : NULL;
}

void gr_techdocs_files_free(gr_techdocs_files *files)
{
    if (files == NULL)
        return;
    for (size_t i = 0; i < files->count; i++) {
        free(files->items[i].src_uri);
        free(files->items[i].abs_path);
    }
    free(files->items);
    free(files->by_name);
    memset(files, 0, sizeof(*files));
}
