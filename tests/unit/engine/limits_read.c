/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the location readers' limits: file size, glob depth and count, redirects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>

#include "support/gr_test.h"
#include "support/silent_source.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/cancel.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/read.h"
#include "plugins/catalog/engine/settings.h"

static char *tmp_dir;
static gr_http_server *server;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static gr_buf log_text = GR_BUF_INIT;

static void capture_log(gr_log_level level, const char *line, void *payload)
{
    (void)level;
    (void)payload;
    pthread_mutex_lock(&log_lock);
    gr_buf_puts(&log_text, line);
    gr_buf_putc(&log_text, '\n');
    pthread_mutex_unlock(&log_lock);
}

/* Redirects /hop/N to /hop/N-1, and /hop/0 sends a small catalog file. */
static int hop_get(gr_request *req, gr_response *res, void *payload)
{
    int n = atoi(gr_req_param(req, "n"));
    char location[32];

    (void)payload;
    if (n == 0) {
        gr_res_body(res, 200, "text/yaml", "kind: Component\n", 16);
        return 0;
    }
    snprintf(location, sizeof(location), "/hop/%d", n - 1);
    return gr_res_redirect(res, 302, location);
}

static int group_setup(void **state)
{
    gr_http_options opts = {0};

    (void)state;
    tmp_dir = gr_test_tmpdir("read-limits");
    gr_log_set_sink(capture_log, NULL);
    opts.threads = 1;
    assert_int_equal(gr_http_server_new(&server, &opts), GR_OK);
    assert_int_equal(gr_http_route(server, "GET", "/hop/:n", GR_ROUTE_PUBLIC, hop_get, NULL),
                     GR_OK);
    assert_int_equal(gr_http_server_start(server), GR_OK);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    gr_http_server_free(server);
    gr_log_set_sink(NULL, NULL);
    gr_buf_free(&log_text);
    gr_test_rmtree(tmp_dir);
    free(tmp_dir);
    return 0;
}

/* Reads the settings with backend.reading.allow naming the test server. */
static void settings_for_server(gr_catalog_settings *settings)
{
    char *host = gr_xasprintf("127.0.0.1:%d", gr_http_server_port(server));
    json_t *config = json_pack("{s:{s:{s:[{s:s}]}}}", "backend", "reading", "allow", "host", host);

    assert_int_equal(gr_catalog__settings_read(settings, config), GR_OK);
    json_decref(config);
    free(host);
}

static void file_over_read_max_rejected(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    char *path = gr_xasprintf("%s/size/catalog-info.yaml", tmp_dir);
    char text[102];

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);
    assert_int_equal(settings.read_max_bytes, GR_CATALOG_READ_MAX_BYTES);
    settings.read_max_bytes = 100;
    memset(text, 'x', 101);
    text[101] = '\0';
    gr_test_write_file(tmp_dir, "size/catalog-info.yaml", text);
    assert_int_equal(gr_catalog__read_file(&settings, path, &files), GR_ELIMIT);
    assert_int_equal(files.count, 0);
    assert_non_null(strstr(gr_error_last(), path));
    assert_non_null(strstr(gr_error_last(), "is larger than the limit of 100 bytes"));

    text[100] = '\0';
    gr_test_write_file(tmp_dir, "size/catalog-info.yaml", text);
    assert_int_equal(gr_catalog__read_file(&settings, path, &files), GR_OK);
    assert_int_equal(files.count, 1);
    gr_catalog__files_free(&files);
    gr_catalog__settings_free(&settings);
    free(path);
}

static void url_over_read_max_rejected(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    char *url = gr_xasprintf("http://127.0.0.1:%d/hop/0", gr_http_server_port(server));

    (void)state;
    settings_for_server(&settings);
    settings.read_max_bytes = 15;
    assert_int_equal(gr_catalog__read_url(&settings, url, &files), GR_ELIMIT);
    assert_int_equal(files.count, 0);
    assert_non_null(strstr(gr_error_last(), url));
    assert_non_null(strstr(gr_error_last(), "is larger than the limit of 15 bytes"));
    settings.read_max_bytes = 16;
    assert_int_equal(gr_catalog__read_url(&settings, url, &files), GR_OK);
    assert_int_equal(files.count, 1);
    gr_catalog__files_free(&files);
    gr_catalog__settings_free(&settings);
    free(url);
}

static void redirects_over_max_rejected(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    char *url;

    (void)state;
    settings_for_server(&settings);
    url = gr_xasprintf("http://127.0.0.1:%d/hop/%d", gr_http_server_port(server),
                       GR_CATALOG_MAX_REDIRECTS);
    assert_int_equal(gr_catalog__read_url(&settings, url, &files), GR_OK);
    assert_int_equal(files.count, 1);
    gr_catalog__files_free(&files);
    free(url);

    url = gr_xasprintf("http://127.0.0.1:%d/hop/%d", gr_http_server_port(server),
                       GR_CATALOG_MAX_REDIRECTS + 1);
    assert_int_equal(gr_catalog__read_url(&settings, url, &files), GR_ELIMIT);
    assert_int_equal(files.count, 0);
    assert_non_null(strstr(gr_error_last(), url));
    assert_non_null(strstr(gr_error_last(), "redirects more than 5 times"));
    gr_catalog__settings_free(&settings);
    free(url);
}

static void *cancel_later(void *arg)
{
    poll(NULL, 0, 300);
    gr_cancel_request(arg);
    return NULL;
}

/* A URL read polls the cancellation flag of its thread, so a stopping server need not wait
 * for a silent host until the read timeout. */
static void url_read_ends_when_cancelled(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    gr_cancel cancel;
    pthread_t canceller;
    struct timespec start, end;
    gr_test_silent *source = gr_test_silent_start();
    char *host = gr_xasprintf("127.0.0.1:%d", gr_test_silent_port(source));
    char *url = gr_xasprintf("http://%s/catalog-info.yaml", host);
    json_t *config = json_pack("{s:{s:{s:[{s:s}]}}}", "backend", "reading", "allow", "host", host);

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&settings, config), GR_OK);
    settings.read_timeout_ms = 30000;
    gr_cancel_init(&cancel);
    gr_cancel_bind(&cancel);
    pthread_create(&canceller, NULL, cancel_later, &cancel);
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(gr_catalog__read_url(&settings, url, &files), GR_EBACKEND);
    clock_gettime(CLOCK_MONOTONIC, &end);
    pthread_join(canceller, NULL);
    gr_cancel_bind(NULL);

    assert_true(end.tv_sec - start.tv_sec < 5);
    assert_int_equal(files.count, 0);
    assert_non_null(strstr(gr_error_last(), url));
    assert_non_null(strstr(gr_error_last(), "because the server is stopping"));
    gr_test_silent_free(source);
    json_decref(config);
    gr_catalog__settings_free(&settings);
    free(url);
    free(host);
}

/* Writes a file `levels` folders below tmp_dir/deep and returns its folder path. */
static char *write_at_level(int levels, const char *name)
{
    gr_buf rel = GR_BUF_INIT;

    gr_buf_puts(&rel, "deep");
    for (int i = 1; i <= levels; i++)
        gr_buf_printf(&rel, "/d%d", i);
    gr_buf_printf(&rel, "/%s", name);
    gr_test_write_file(tmp_dir, gr_buf_cstr(&rel), "kind: Component\n");
    return gr_buf_detach(&rel);
}

/* The walk starts at level 0 (tmp_dir/deep) and enters folders down to level 32. */
static void glob_depth_over_max_skipped(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    char *at_max = write_at_level(32, "at-max.yaml");
    char *over_max = write_at_level(33, "over-max.yaml");
    char *pattern = gr_xasprintf("%s/deep/**/*.yaml", tmp_dir);

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);
    gr_buf_reset(&log_text);
    assert_int_equal(gr_catalog__read_file(&settings, pattern, &files), GR_OK);
    assert_int_equal(files.count, 1);
    assert_non_null(strstr(files.items[0].target, "/d32/at-max.yaml"));
    assert_non_null(strstr(gr_buf_cstr(&log_text), "glob folder is too deep"));
    assert_non_null(strstr(gr_buf_cstr(&log_text), "/d33"));
    assert_non_null(strstr(gr_buf_cstr(&log_text), "max_depth=32"));
    gr_catalog__files_free(&files);
    gr_catalog__settings_free(&settings);
    free(pattern);
    free(over_max);
    free(at_max);
}

/* A glob without `**` enters only folders its segments can match, so a deep tree under a
 * folder that cannot match is never walked (and never reaches the depth limit). */
static void glob_skips_folders_that_cannot_match(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    char *over_max = write_at_level(33, "over-max.yaml");
    char *near = write_at_level(1, "catalog-info.yaml");
    char *pattern = gr_xasprintf("%s/deep/*/catalog-info.yaml", tmp_dir);

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);
    gr_buf_reset(&log_text);
    assert_int_equal(gr_catalog__read_file(&settings, pattern, &files), GR_OK);
    assert_int_equal(files.count, 1);
    assert_non_null(strstr(files.items[0].target, "/deep/d1/catalog-info.yaml"));
    assert_null(strstr(gr_buf_cstr(&log_text), "glob folder is too deep"));
    gr_catalog__files_free(&files);
    gr_catalog__settings_free(&settings);
    free(pattern);
    free(near);
    free(over_max);
}

/* Skipping folders loses no file that the pattern matches: a doubled slash, a `**` at the end
 * of a segment and a bracket class that contains '/' are read as the matcher reads them. A `**`
 * after other characters of a segment is one `*`, as in Backstage's glob library, so it does
 * not cross folders. */
static void glob_skip_keeps_every_match(void **state)
{
    static const struct {
        const char *pattern;
        const char *expected;
    } cases[] = {
        {"//**/x/*.yaml", "//a/b/x/1.yaml"},
        {"/a**/b/x/*.yaml", "/a/b/x/1.yaml"},
        {"/a**/x/*.yaml", NULL},
        {"/[!/]/b/x/*.yaml", "/a/b/x/1.yaml"},
        {"/a//*/x/*.yaml", "/a//b/x/1.yaml"},
        {"/?/**/*.yaml", "/a/b/x/1.yaml"},
        {"/[ab]/b/*/*.yaml", "/a/b/x/1.yaml"},
    };
    char *root = gr_xasprintf("%s/keep", tmp_dir);
    gr_catalog_settings settings;

    (void)state;
    gr_test_write_file(root, "a/b/x/1.yaml", "kind: Component\n");
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gr_catalog_files files = GR_CATALOG_FILES_INIT;
        char *pattern = gr_xasprintf("%s%s", root, cases[i].pattern);
        char *expected = cases[i].expected ? gr_xasprintf("%s%s", root, cases[i].expected) : NULL;

        if (cases[i].expected == NULL) {
            assert_int_equal(gr_catalog__read_file(&settings, pattern, &files), GR_ENOTFOUND);
            assert_int_equal(files.count, 0);
        } else {
            assert_int_equal(gr_catalog__read_file(&settings, pattern, &files), GR_OK);
            assert_int_equal(files.count, 1);
            assert_string_equal(files.items[0].target, expected);
        }
        gr_catalog__files_free(&files);
        free(expected);
        free(pattern);
    }
    gr_catalog__settings_free(&settings);
    free(root);
}

/* As in Backstage, whose file locations use node-glob without its `dot` option, `*`, `**` and
 * `?` skip files and folders whose names begin with '.'. A pattern names them with a literal
 * '.'. */
/* A pattern that matches nothing keeps Backstage's "does not exist" and names where relative
 * targets start. */
static void glob_without_match_explained(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    char *target = gr_xasprintf("%s/nothing-here/**/catalog-info.yaml", tmp_dir);

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);
    assert_int_equal(gr_catalog__read_file(&settings, target, &files), GR_ENOTFOUND);
    assert_int_equal(files.count, 0);
    assert_non_null(strstr(gr_error_last(), "does not exist: the pattern matches no file"));
    assert_non_null(strstr(gr_error_last(), "starts from the folder greenroom runs in"));
    gr_catalog__settings_free(&settings);
    free(target);
}

static void glob_skips_dot_names(void **state)
{
    static const struct {
        const char *pattern;
        const char *expected; /* the one file matched, or NULL for none */
    } cases[] = {
        {"/**/*.yaml", "/svc/catalog-info.yaml"},
        {"/*/*.yaml", "/svc/catalog-info.yaml"},
        {"/.github/*.yaml", "/.github/ci.yaml"},
        {"/svc/skeleton/**/*.yaml", NULL},
        {"/svc/skeleton/.*/*.yaml", "/svc/skeleton/.hidden/k8s.yaml"},
        {"/?git*/*.yaml", NULL},
        {"/svc/*.yml", NULL},
    };
    char *root = gr_xasprintf("%s/dots", tmp_dir);
    gr_catalog_settings settings;

    (void)state;
    gr_test_write_file(root, "svc/catalog-info.yaml", "kind: Component\n");
    gr_test_write_file(root, ".github/ci.yaml", "on: push\n");
    gr_test_write_file(root, "svc/skeleton/.hidden/k8s.yaml", "kind: Deployment\n");
    gr_test_write_file(root, "svc/.catalog.yml", "kind: Component\n");
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gr_catalog_files files = GR_CATALOG_FILES_INIT;
        char *pattern = gr_xasprintf("%s%s", root, cases[i].pattern);
        int rc = gr_catalog__read_file(&settings, pattern, &files);

        if (cases[i].expected == NULL) {
            if (rc != GR_ENOTFOUND || files.count != 0)
                fail_msg("%s: expected no match, got %zu files (rc %d)", cases[i].pattern,
                         files.count, rc);
        } else {
            char *expected = gr_xasprintf("%s%s", root, cases[i].expected);

            if (rc != GR_OK || files.count != 1 || strcmp(files.items[0].target, expected) != 0)
                fail_msg("%s: expected only %s, got %zu files (rc %d)", cases[i].pattern,
                         cases[i].expected, files.count, rc);
            free(expected);
        }
        gr_catalog__files_free(&files);
        free(pattern);
    }
    gr_catalog__settings_free(&settings);
    free(root);
}

/* Catalog rules match their location patterns as Backstage's minimatch call does, with the
 * `dot` option: there, wildcards match names that begin with '.'. */
static void rule_patterns_match_dot_names(void **state)
{
    json_t *config = json_pack("{s:{s:[{s:[s]}, {s:[s], s:[{s:s, s:s}]}]}}", "catalog", "rules",
                               "allow", "Component", "allow", "System", "locations", "type",
                               "file", "pattern", "/srv/catalog/**");
    gr_catalog_settings settings;

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&settings, config), GR_OK);
    assert_true(gr_catalog__rules_allow(&settings, "System", NULL, "file",
                                        "/srv/catalog/.backstage/system.yaml"));
    assert_true(gr_catalog__rules_allow(&settings, "System", NULL, "file",
                                        "/srv/catalog/plain/system.yaml"));
    assert_false(gr_catalog__rules_allow(&settings, "System", NULL, "file",
                                         "/srv/other/system.yaml"));
    gr_catalog__settings_free(&settings);
    json_decref(config);
}

static void glob_files_over_max_rejected(void **state)
{
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    char *folder = gr_xasprintf("%s/many", tmp_dir);
    char *pattern = gr_xasprintf("%s/many/*.yaml", tmp_dir);
    char name[32];

    (void)state;
    assert_int_equal(mkdir(folder, 0700), 0);
    for (int i = 0; i < GR_CATALOG_MAX_GLOB_FILES; i++) {
        snprintf(name, sizeof(name), "f%05d.yaml", i);
        gr_test_write_file(folder, name, "kind: Component\n");
    }
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);
    assert_int_equal(gr_catalog__read_file(&settings, pattern, &files), GR_OK);
    assert_int_equal(files.count, GR_CATALOG_MAX_GLOB_FILES);
    gr_catalog__files_free(&files);

    gr_test_write_file(folder, "one-more.yaml", "kind: Component\n");
    assert_int_equal(gr_catalog__read_file(&settings, pattern, &files), GR_ELIMIT);
    assert_int_equal(files.count, 0);
    assert_non_null(strstr(gr_error_last(), pattern));
    assert_non_null(strstr(gr_error_last(), "matches more than 10000 files"));
    gr_catalog__settings_free(&settings);
    free(pattern);
    free(folder);
}

/* The entry cap counts every file and folder the walk looks at, matching or not. */
static void glob_entries_over_max_rejected(void **state)
{
    char *root = gr_xasprintf("%s/entries", tmp_dir);
    char *pattern = gr_xasprintf("%s/entries/**/catalog-info.yaml", tmp_dir);
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    char name[64];

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);
    assert_int_equal(settings.glob_max_entries, GR_CATALOG_GLOB_MAX_ENTRIES);

    /* 10 folders of 4 entries each: 10 + 10 * 4 = 50 entries in all. */
    for (int i = 0; i < 10; i++) {
        for (int j = 0; j < 3; j++) {
            snprintf(name, sizeof(name), "d%d/other-%d.txt", i, j);
            gr_test_write_file(root, name, "not a catalog file\n");
        }
        snprintf(name, sizeof(name), "d%d/catalog-info.yaml", i);
        gr_test_write_file(root, name, "kind: Component\n");
    }

    settings.glob_max_entries = 50;
    assert_int_equal(gr_catalog__read_file(&settings, pattern, &files), GR_OK);
    assert_int_equal(files.count, 10);
    gr_catalog__files_free(&files);

    settings.glob_max_entries = 49;
    assert_int_equal(gr_catalog__read_file(&settings, pattern, &files), GR_ELIMIT);
    assert_int_equal(files.count, 0);
    assert_non_null(strstr(gr_error_last(), pattern));
    assert_non_null(strstr(gr_error_last(), "looked at more than 49 files and folders"));

    gr_catalog__settings_free(&settings);
    free(pattern);
    free(root);
}

/* A name that is not UTF-8 cannot be stored, so the glob skips it and keeps the others. */
static void glob_skips_non_utf8_names(void **state)
{
    char *root = gr_xasprintf("%s/names", tmp_dir);
    char *pattern = gr_xasprintf("%s/names/**/*.yaml", tmp_dir);
    char *good = gr_xasprintf("%s/names/good.yaml", tmp_dir);
    gr_catalog_settings settings;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;

    (void)state;
    gr_test_write_file(root, "good.yaml", "kind: Component\n");
    gr_test_write_file(root, "caf\xe9.yaml", "kind: Component\n");
    gr_test_write_file(root, "bad\xff/inner.yaml", "kind: Component\n");
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);

    assert_int_equal(gr_catalog__read_file(&settings, pattern, &files), GR_OK);
    assert_int_equal(files.count, 1);
    assert_string_equal(files.items[0].target, good);

    gr_catalog__files_free(&files);
    gr_catalog__settings_free(&settings);
    free(good);
    free(pattern);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_over_read_max_rejected),
        cmocka_unit_test(url_over_read_max_rejected),
        cmocka_unit_test(redirects_over_max_rejected),
        cmocka_unit_test(url_read_ends_when_cancelled),
        cmocka_unit_test(glob_depth_over_max_skipped),
        cmocka_unit_test(glob_skips_folders_that_cannot_match),
        cmocka_unit_test(glob_skip_keeps_every_match),
        cmocka_unit_test(glob_without_match_explained),
        cmocka_unit_test(glob_skips_dot_names),
        cmocka_unit_test(rule_patterns_match_dot_names),
        cmocka_unit_test(glob_files_over_max_rejected),
        cmocka_unit_test(glob_entries_over_max_rejected),
        cmocka_unit_test(glob_skips_non_utf8_names),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
