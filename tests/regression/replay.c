/* SPDX-License-Identifier: MIT */
/* Replays saved fuzz inputs through a fuzz target's entry point, without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"

/*
 * Usage: replay_<target> PATH...
 * Each PATH is an input file or a folder whose files (in name order, not
 * recursing) are inputs. Every input goes once through the target's
 * LLVMFuzzerTestOneInput(), linked from fuzz/<target>.c. The target aborts
 * on a broken invariant and the sanitizers abort on memory errors, so
 * reaching the end means every input passed. Exits 1 when a PATH cannot be
 * read or contains no input.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    uint8_t *data;
    long size;

    if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 ||
        fseek(file, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        if (file != NULL)
            fclose(file);
        return -1;
    }
    /* One byte more, so an empty input still has a valid pointer. */
    data = gr_xmalloc((size_t)size + 1);
    if (fread(data, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(data);
        fclose(file);
        return -1;
    }
    fclose(file);
    LLVMFuzzerTestOneInput(data, (size_t)size);
    free(data);
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file of `dir`; returns the count, or -1 on a read error. */
static long replay_folder(const char *dir)
{
    DIR *handle = opendir(dir);
    struct dirent *entry;
    char **paths = NULL;
    size_t count = 0;
    long done = 0;

    if (handle == NULL) {
        fprintf(stderr, "replay: cannot open the folder %s\n", dir);
        return -1;
    }
    while ((entry = readdir(handle)) != NULL) {
        char *path = gr_xasprintf("%s/%s", dir, entry->d_name);
        struct stat st;

        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        paths = gr_xrealloc(paths, (count + 1) * sizeof(*paths));
        paths[count++] = path;
    }
    closedir(handle);
    if (count > 0)
        qsort(paths, count, sizeof(*paths), compare_names);
    for (size_t i = 0; i < count; i++) {
        if (done >= 0 && replay_file(paths[i]) != 0)
            done = -1;
        else if (done >= 0)
            done++;
        free(paths[i]);
    }
    free(paths);
    return done;
}

int main(int argc, char **argv)
{
    long total = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        long done;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s does not exist\n", argv[i]);
            return 1;
        }
        done = S_ISDIR(st.st_mode) ? replay_folder(argv[i]) : replay_file(argv[i]) == 0;
        if (done < 0)
            return 1;
        printf("replay: %ld inputs from %s passed\n", done, argv[i]);
        total += done;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no input was given\n");
        return 1;
    }
    return 0;
}
