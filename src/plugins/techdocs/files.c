/* SPDX-License-Identifier: MIT */
/* File helpers for docs sites: listing a site folder, reading files whole, removing trees. */
#include "plugins/techdocs/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

/** Maximum folder depth listed below a site folder. */
#define LIST_MAX_DEPTH 64

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *root, const char *rel, int depth, size_t max_files,
                    gr_techdocs_paths *out)
{
    char *path = rel[0] ? gr_xasprintf("%s/%s", root, rel) : gr_xstrdup(root);
    DIR *dir = opendir(path);
    struct dirent *entry;
    int rc = GR_OK;

    if (dir == NULL) {
        rc = gr_error_set(errno == ENOENT ? GR_ENOTFOUND : GR_EBACKEND,
                          "%s: cannot read folder: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    if (depth > LIST_MAX_DEPTH)
        rc = gr_error_set(GR_ELIMIT, "%s: folders nest deeper than %d levels", path,
                          LIST_MAX_DEPTH);
    while (rc == GR_OK && (entry = readdir(dir)) != NULL) {
        char *child_rel;
        char *child;
        struct stat st;

        if (entry->d_name[0] == '.')
            continue;
        child_rel = rel[0] ? gr_xasprintf("%s/%s", rel, entry->d_name) : gr_xstrdup(entry->d_name);
        child = gr_xasprintf("%s/%s", root, child_rel);
        if (lstat(child, &st) != 0) {
            rc = gr_error_set(GR_EBACKEND, "%s: %s", child, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = list_dir(root, child_rel, depth + 1, max_files, out);
        } else if (S_ISREG(st.st_mode)) {
            if (out->count == max_files) {
                rc = gr_error_set(GR_ELIMIT, "%s: more than %zu files", root, max_files);
            } else {
                if (out->count == out->cap) {
                    out->cap = out->cap ? out->cap * 2 : 64;
                    out->paths = gr_xrealloc(out->paths, out->cap * sizeof(char *));
                }
                out->paths[out->count++] = child_rel;
                child_rel = NULL;
            }
        }
        free(child_rel);
        free(child);
    }
    closedir(dir);
    free(path);
    return rc;
}

int gr_techdocs_list_files(const char *dir, size_t max_files, gr_techdocs_paths *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = list_dir(dir, "", 0, max_files, out);
    if (rc != GR_OK) {
        gr_techdocs_paths_free(out);
        return rc;
    }
    if (out->count > 1)
        qsort(out->paths, out->count, sizeof(char *), compare_paths);
    return GR_OK;
}

void gr_techdocs_paths_free(gr_techdocs_paths *paths)
{
    if (paths == NULL)
        return;
    for (size_t i = 0; i < paths->count; i++)
        free(paths->paths[i]);
    free(paths->paths);
    memset(paths, 0, sizeof(*paths));
}

int gr_techdocs_read_file(const char *path, size_t max, unsigned char **data, size_t *size)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    unsigned char *buffer = NULL;
    size_t done = 0;
    int rc = GR_OK;

    *data = NULL;
    *size = 0;
    if (fd < 0)
        return gr_error_set(errno == ENOENT || errno == ENOTDIR ? GR_ENOTFOUND : GR_EBACKEND,
                            "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = gr_error_set(GR_ENOTFOUND, "%s: not a regular file", path);
    } else if ((size_t)st.st_size > max) {
        rc = gr_error_set(GR_ELIMIT, "%s: larger than %zu bytes", path, max);
    } else {
        buffer = gr_xmalloc((size_t)st.st_size + 1);
        while (done < (size_t)st.st_size) {
            ssize_t got = read(fd, buffer + done, (size_t)st.st_size - done);

            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                rc = gr_error_set(GR_EBACKEND, "%s: read failed: %s", path,
                                  got < 0 ? strerror(errno) : "file shrank");
                break;
            }
            done += (size_t)got;
        }
    }
    close(fd);
    if (rc != GR_OK) {
        free(buffer);
        return rc;
    }
    buffer[done] = '\0';
    *data = buffer;
    *size = done;
    return GR_OK;
}

int gr_techdocs_make_dirs(const char *path)
{
    char *copy = gr_xstrdup(path);
    int rc = GR_OK;

    for (char *p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;

        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            rc = gr_error_set(GR_EBACKEND, "%s: cannot create folder: %s", copy, strerror(errno));
        *p = saved;
        if (rc != GR_OK || saved == '\0')
            break;
    }
    free(copy);
    return rc;
}

int gr_techdocs_write_file(const char *path, const void *data, size_t size)
{
    char *parent = gr_xstrdup(path);
    char *slash = strrchr(parent, '/');
    FILE *file;
    int rc = GR_OK;

    if (slash != NULL && slash != parent) {
        *slash = '\0';
        rc = gr_techdocs_make_dirs(parent);
    }
    free(parent);
    if (rc != GR_OK)
        return rc;
    file = fopen(path, "wb");
    if (file == NULL)
        return gr_error_set(GR_EBACKEND, "%s: cannot write: %s", path, strerror(errno));
    if (fwrite(data, 1, size, file) != size)
        rc = gr_error_set(GR_EBACKEND, "%s: cannot write: %s", path, strerror(errno));
    if (fclose(file) != 0 && rc == GR_OK)
        rc = gr_error_set(GR_EBACKEND, "%s: cannot write: %s", path, strerror(errno));
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void gr_techdocs_remove_tree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void gr_techdocs_sha256_hex(const void *data, size_t size, char out[65])
{
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;

    EVP_Digest(data, size, hash, &hash_len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < hash_len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", hash[i]);
    out[64] = '\0';
}
