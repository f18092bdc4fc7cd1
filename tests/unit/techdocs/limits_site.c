/* SPDX-License-Identifier: MIT */
/* Tests that cross the TechDocs limits: site files, cache, site search, tables of contents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/techdocs/build/files.h"
#include "plugins/techdocs/cache.h"
#include "plugins/techdocs/files.h"
#include "plugins/techdocs/service_internal.h"
#include "plugins/techdocs/site_search.h"
#include "plugins/techdocs/store.h"
#include "plugins/techdocs/toc.h"
#include "support/gr_test.h"

#define assert_contains(text, part)                                                                \
    do {                                                                                           \
        if (strstr((text), (part)) == NULL)                                                        \
            fail_msg("\"%s\" does not contain \"%s\"", (text), (part));                            \
    } while (0)

/* Makes `count` folders nested in `root` ("root/d/d/...") and returns the deepest (caller frees).
 */
static char *nest_folders(const char *root, int count)
{
    gr_buf path = GR_BUF_INIT;

    gr_buf_puts(&path, root);
    for (int i = 0; i < count; i++) {
        gr_buf_puts(&path, "/d");
        assert_int_equal(mkdir(gr_buf_cstr(&path), 0755), 0);
    }
    return gr_buf_detach(&path);
}

/* Creates `count` empty files f0, f1... in `dir`. */
static void make_files(const char *dir, int count)
{
    for (int i = 0; i < count; i++) {
        char *path = gr_xasprintf("%s/f%d", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        assert_true(fd >= 0);
        close(fd);
        free(path);
    }
}

/* A site folder one level deeper than the lister walks is rejected. */
static void list_depth_over_max(void **state)
{
    char *root = gr_test_tmpdir("techdocs-limits");
    char *deep;
    gr_techdocs_paths paths = {0};

    (void)state;
    deep = nest_folders(root, 64);
    gr_test_write_file(deep, "page.html", "x");
    assert_int_equal(gr_techdocs_list_files(root, 10, &paths), GR_OK);
    assert_int_equal(paths.count, 1);
    gr_techdocs_paths_free(&paths);

    free(nest_folders(deep, 1));
    memset(&paths, 0, sizeof(paths));
    assert_int_equal(gr_techdocs_list_files(root, 10, &paths), GR_ELIMIT);
    assert_contains(gr_error_last(), "folders nest deeper than 64 levels");
    gr_techdocs_paths_free(&paths);
    gr_test_rmtree(root);
    free(deep);
    free(root);
}

/* The file count limit of a published site is the lister's max_files. */
static void site_files_over_max(void **state)
{
    char *root = gr_test_tmpdir("techdocs-limits");
    gr_techdocs_paths paths = {0};

    (void)state;
    make_files(root, 4);
    assert_int_equal(gr_techdocs_list_files(root, 4, &paths), GR_OK);
    assert_int_equal(paths.count, 4);
    gr_techdocs_paths_free(&paths);
    memset(&paths, 0, sizeof(paths));
    assert_int_equal(gr_techdocs_list_files(root, 3, &paths), GR_ELIMIT);
    assert_contains(gr_error_last(), "more than 3 files");
    gr_techdocs_paths_free(&paths);
    gr_test_rmtree(root);
    free(root);
}

/* A published file of GR_TECHDOCS_MAX_SITE_FILE_BYTES + 1 (sparse) is rejected, naming it. */
static void site_file_bytes_over_max(void **state)
{
    char *root = gr_test_tmpdir("techdocs-limits");
    char *path = gr_xasprintf("%s/page.html", root);
    unsigned char *data = NULL;
    size_t size = 0;
    int fd;

    (void)state;
    gr_test_write_file(root, "page.html", "");
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)GR_TECHDOCS_MAX_SITE_FILE_BYTES + 1), 0);
    close(fd);
    assert_int_equal(gr_techdocs_read_file(path, GR_TECHDOCS_MAX_SITE_FILE_BYTES, &data, &size),
                     GR_ELIMIT);
    assert_null(data);
    assert_contains(gr_error_last(), path);
    assert_contains(gr_error_last(), "larger than 67108864 bytes");
    gr_test_rmtree(root);
    free(path);
    free(root);
}

/* docs_dir with GR_TECHDOCS_MAX_FILES + 1 files fails the listing with the limit named. */
static void docs_files_over_max(void **state)
{
    char *root = gr_test_tmpdir("techdocs-limits");
    gr_techdocs_files files = {0};

    (void)state;
    make_files(root, GR_TECHDOCS_MAX_FILES + 1);
    assert_int_equal(gr_techdocs_files_list(root, &files, NULL, NULL), GR_ELIMIT);
    assert_contains(gr_error_last(), "more than 50000 files in docs_dir");
    gr_techdocs_files_free(&files);
    gr_test_rmtree(root);
    free(root);
}

static gr_techdocs_blob blob_of(size_t size)
{
    gr_techdocs_blob blob = {.content_type = "text/html", .etag = "e", .size = size};

    blob.data = gr_xcalloc(1, size + 1);
    return blob;
}

static int cached(gr_techdocs_cache *cache, const char *path)
{
    gr_techdocs_blob out = {0};
    int hit = gr_techdocs_cache_get(cache, "component:default/a", path, 0, &out);

    free(out.content_type);
    free(out.etag);
    return hit;
}

/* A file of the largest cached size is kept, but one byte more is not. */
static void cache_file_over_max(void **state)
{
    gr_techdocs_cache *cache = gr_techdocs_cache_new(60000);
    gr_techdocs_blob at = blob_of(GR_TECHDOCS_CACHE_MAX_FILE_BYTES);
    gr_techdocs_blob over = blob_of(GR_TECHDOCS_CACHE_MAX_FILE_BYTES + 1);

    (void)state;
    gr_techdocs_cache_put(cache, "component:default/a", "at.html", &at);
    gr_techdocs_cache_put(cache, "component:default/a", "over.html", &over);
    assert_int_equal(cached(cache, "at.html"), 1);
    assert_int_equal(cached(cache, "over.html"), 0);
    free(at.data);
    free(over.data);
    gr_techdocs_cache_free(cache);
}

/*
 * Fills the cache with 64 files of 1 MiB (GR_TECHDOCS_CACHE_MAX_BYTES in
 * all) in distinct slots, so a 65th file in a free slot is then not kept.
 * Paths that share a slot replace each other, so the kept set is tracked.
 */
static void cache_total_over_max(void **state)
{
    gr_techdocs_cache *cache = gr_techdocs_cache_new(60000);
    gr_techdocs_blob blob = blob_of(GR_TECHDOCS_CACHE_MAX_FILE_BYTES);
    size_t full = GR_TECHDOCS_CACHE_MAX_BYTES / GR_TECHDOCS_CACHE_MAX_FILE_BYTES;
    char *kept[GR_TECHDOCS_CACHE_SLOTS];
    size_t kept_count = 0;
    int rejected = 0;

    (void)state;
    for (int n = 0; n < 4 * GR_TECHDOCS_CACHE_SLOTS && !rejected; n++) {
        char *path = gr_xasprintf("p%d.html", n);
        size_t alive = 0;

        gr_techdocs_cache_put(cache, "component:default/a", path, &blob);
        for (size_t i = 0; i < kept_count; i++) {
            if (cached(cache, kept[i]))
                kept[alive++] = kept[i];
            else
                free(kept[i]);
        }
        if (kept_count == full && alive == full && !cached(cache, path))
            rejected = 1;
        kept_count = alive;
        if (cached(cache, path))
            kept[kept_count++] = path;
        else
            free(path);
    }
    assert_int_equal(kept_count, full);
    assert_true(rejected);
    for (size_t i = 0; i < kept_count; i++)
        free(kept[i]);
    free(blob.data);
    gr_techdocs_cache_free(cache);
}

static json_t *search_index(const char *text)
{
    return json_pack("{s:[{s:s, s:s, s:s}]}", "docs", "location", "guide/", "title", "Guide",
                     "text", text);
}

/* A ninth term is ignored, but the eighth still counts. */
static void search_terms_over_max(void **state)
{
    json_t *index = search_index("one two three four five six seven eight");
    gr_techdocs_hit *hits = NULL;
    size_t count = 0;

    (void)state;
    gr_techdocs_site_search(index, "one two three four five six seven absent", 10, &hits, &count);
    assert_int_equal(count, 0);
    gr_techdocs_hits_free(hits, count);
    gr_techdocs_site_search(index, "one two three four five six seven eight absent", 10, &hits,
                            &count);
    assert_int_equal(count, 1);
    gr_techdocs_hits_free(hits, count);
    json_decref(index);
}

/* Text longer than the snippet is cut to GR_TECHDOCS_SNIPPET_BYTES and marked with "...". */
static void snippet_over_max(void **state)
{
    char text[GR_TECHDOCS_SNIPPET_BYTES + 2];
    json_t *index;
    gr_techdocs_hit *hits = NULL;
    size_t count = 0;

    (void)state;
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    index = search_index(text);
    gr_techdocs_site_search(index, "aaa", 10, &hits, &count);
    assert_int_equal(count, 1);
    assert_int_equal(strlen(hits[0].snippet), GR_TECHDOCS_SNIPPET_BYTES + 3);
    assert_string_equal(hits[0].snippet + GR_TECHDOCS_SNIPPET_BYTES, "...");
    gr_techdocs_hits_free(hits, count);
    json_decref(index);
}

/* Headings below GR_TECHDOCS_TOC_MAX_LEVEL are left out of the table of contents. */
static void toc_level_over_max(void **state)
{
    const char *html = "<h3 id=\"c\">C</h3><h4 id=\"d\">D</h4>";
    gr_techdocs_toc toc;

    (void)state;
    gr_techdocs_toc_read(html, strlen(html), &toc);
    assert_int_equal(toc.count, 1);
    assert_string_equal(toc.entries[0].id, "c");
    gr_techdocs_toc_free(&toc);
}

/* A page with one heading more than GR_TECHDOCS_TOC_MAX_ENTRIES lists only the first ones. */
static void toc_entries_over_max(void **state)
{
    gr_buf html = GR_BUF_INIT;
    gr_techdocs_toc toc;

    (void)state;
    for (int i = 0; i <= GR_TECHDOCS_TOC_MAX_ENTRIES; i++)
        gr_buf_printf(&html, "<h2 id=\"h%d\">H%d</h2>\n", i, i);
    gr_techdocs_toc_read(html.data, html.len, &toc);
    assert_int_equal(toc.count, GR_TECHDOCS_TOC_MAX_ENTRIES);
    assert_string_equal(toc.entries[GR_TECHDOCS_TOC_MAX_ENTRIES - 1].id, "h199");
    gr_techdocs_toc_free(&toc);
    gr_buf_free(&html);
}

static void count_line(gr_log_level level, const char *line, void *payload)
{
    (void)level;
    (void)line;
    (*(int *)payload)++;
}

/* A job keeps its first GR_TECHDOCS_JOB_MAX_LOG_LINES lines, but every line still reaches the log.
 */
static void job_log_lines_over_max(void **state)
{
    gr_techdocs_service service;
    gr_techdocs_job job;
    char ref[] = "component:default/a";
    int logged = 0;

    (void)state;
    memset(&service, 0, sizeof(service));
    memset(&job, 0, sizeof(job));
    pthread_mutex_init(&service.lock, NULL);
    pthread_cond_init(&service.changed, NULL);
    job.service = &service;
    job.triplet.ref = ref;
    gr_log_set_sink(count_line, &logged);
    for (int i = 0; i <= GR_TECHDOCS_JOB_MAX_LOG_LINES; i++)
        gr_techdocs__job_log(&job, "line %d", i);
    gr_log_set_sink(NULL, NULL);
    assert_int_equal(job.log_count, GR_TECHDOCS_JOB_MAX_LOG_LINES);
    assert_string_equal(job.log[GR_TECHDOCS_JOB_MAX_LOG_LINES - 1], "line 999");
    assert_int_equal(logged, GR_TECHDOCS_JOB_MAX_LOG_LINES + 1);
    for (size_t i = 0; i < job.log_count; i++)
        free(job.log[i]);
    free(job.log);
    pthread_cond_destroy(&service.changed);
    pthread_mutex_destroy(&service.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_depth_over_max),      cmocka_unit_test(site_files_over_max),
        cmocka_unit_test(site_file_bytes_over_max), cmocka_unit_test(docs_files_over_max),
        cmocka_unit_test(cache_file_over_max),      cmocka_unit_test(cache_total_over_max),
        cmocka_unit_test(search_terms_over_max),    cmocka_unit_test(snippet_over_max),
        cmocka_unit_test(toc_level_over_max),       cmocka_unit_test(toc_entries_over_max),
        cmocka_unit_test(job_log_lines_over_max),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
