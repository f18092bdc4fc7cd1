/* SPDX-License-Identifier: MIT */
/* Integration tests: dry runs with a relative working directory, bounded in work, time and number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "support/gr_test.h"

#define TOKEN "scaffolder-limits-token-1234"
/* Steps of the heavy template: GR_SCAFFOLDER_MAX_STEPS, the maximum a template may have. */
#define HEAVY_STEPS 200
/* Time within which the heavy dry run must fail, in ms; each of its renders takes a moment. */
#define HEAVY_MAX_MS 20000
/* Time within which readiness must respond while a dry run runs, in ms. */
#define READY_MAX_MS 2000
/* Length of the slow dry run, in ms. */
#define SLOW_WAIT_MS 4000

static const char config_yaml[] = "app:\n"
                                  "  baseUrl: http://127.0.0.1:${GREENROOM_PORT}\n"
                                  "backend:\n"
                                  "  listen:\n"
                                  "    port: ${GREENROOM_PORT}\n"
                                  "  database:\n"
                                  "    client: better-sqlite3\n"
                                  "    connection: ./greenroom.sqlite\n"
                                  "  auth:\n"
                                  "    externalAccess:\n"
                                  "      - type: static\n"
                                  "        options:\n"
                                  "          token: " TOKEN "\n"
                                  "          subject: limits-tests\n"
                                  "scaffolder:\n"
                                  /* relative to the server's working directory */
                                  "  workingDirectory: ./work\n"
                                  "  dryRun:\n"
                                  "    concurrency: 1\n";

typedef struct {
    char *dir;
    gr_test_server server;
} suite;

static suite *S;

static const char *const headers[] = {"Authorization: Bearer " TOKEN,
                                      "Content-Type: application/json", NULL};

static int64_t now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static gr_test_output post_dry_run(const char *body)
{
    char *url = gr_xasprintf("%s/api/scaffolder/v2/dry-run", S->server.base_url);
    gr_test_output res = gr_test_http("POST", url, headers, body);

    free(url);
    return res;
}

/* Returns the dry-run request body for a template with `steps` (a JSON array, taken). */
static char *dry_run_body(json_t *steps)
{
    json_t *body = json_pack("{s:{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:o}}, s:{}, s:[]}", "template",
                             "apiVersion", "scaffolder.backstage.io/v1beta3", "kind", "Template",
                             "metadata", "name", "limits", "spec", "owner", "group:default/team",
                             "type", "service", "steps", steps, "values", "directoryContents");
    char *text = json_dumps(body, JSON_COMPACT);

    json_decref(body);
    return text;
}

static char *heavy_body(void)
{
    json_t *steps = json_array();

    for (int i = 0; i < HEAVY_STEPS; i++) {
        char id[32];

        snprintf(id, sizeof(id), "log-%d", i);
        json_array_append_new(steps, json_pack("{s:s, s:s, s:{s:s}}", "id", id, "action",
                                               "debug:log", "input", "message",
                                               "{% for i in range(0,999) %}"
                                               "{% for j in range(0,999) %}{% endfor %}"
                                               "{% endfor %}x"));
    }
    return dry_run_body(steps);
}

static char *slow_body(void)
{
    return dry_run_body(json_pack("[{s:s, s:s, s:{s:i}}]", "id", "wait", "action", "debug:wait",
                                  "input", "milliseconds", SLOW_WAIT_MS));
}

static int suite_setup(void **state)
{
    (void)state;
    S = gr_xcalloc(1, sizeof(*S));
    S->dir = gr_test_tmpdir("scaffolder-limits");
    gr_test_write_file(S->dir, "app-config.yaml", config_yaml);
    return gr_test_server_start(&S->server, S->dir, "app-config.yaml", 30000) == 0 ? 0 : -1;
}

static int suite_teardown(void **state)
{
    (void)state;
    if (S == NULL)
        return 0;
    gr_test_server_stop(&S->server);
    gr_test_rmtree(S->dir);
    free(S->dir);
    free(S);
    return 0;
}

static void heavy_dry_run_fails_fast(void **state)
{
    char *body = heavy_body();
    int64_t start = now_ms();
    gr_test_output res = post_dry_run(body);
    int64_t elapsed = now_ms() - start;

    (void)state;
    print_message("heavy dry run answered %d after %lld ms\n", res.status, (long long)elapsed);
    assert_int_equal(res.status, 413);
    assert_true(elapsed < HEAVY_MAX_MS);
    assert_non_null(strstr(res.out, "scaffolder.limits.templateIterations"));
    assert_non_null(strstr(res.out, "PayloadTooLargeError"));
    gr_test_output_free(&res);
    free(body);
}

static void kept_error_in_log(void **state)
{
    char *body =
        dry_run_body(json_pack("[{s:s, s:s, s:{s:s}}]", "id", "log", "action", "debug:log", "input",
                               "message", "before ${{ parameters.name | no_such_filter }} after"));
    gr_test_output res = post_dry_run(body);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "Template error, the value keeps its text"));
    assert_non_null(strstr(res.out, "no_such_filter"));
    gr_test_output_free(&res);
    free(body);
}

static void *slow_dry_run(void *payload)
{
    gr_test_output *res = payload;
    char *body = slow_body();

    *res = post_dry_run(body);
    free(body);
    return NULL;
}

static void dry_run_keeps_server_free(void **state)
{
    char *ready_url = gr_xasprintf("%s/.backstage/health/v1/readiness", S->server.base_url);
    char *body = slow_body();
    gr_test_output slow = {0};
    gr_test_output ready;
    gr_test_output extra;
    pthread_t thread;
    int64_t start;
    int64_t elapsed;

    (void)state;
    assert_int_equal(pthread_create(&thread, NULL, slow_dry_run, &slow), 0);
    usleep(SLOW_WAIT_MS * 1000 / 4);

    start = now_ms();
    ready = gr_test_http("GET", ready_url, NULL, NULL);
    elapsed = now_ms() - start;
    print_message("readiness answered %d after %lld ms during a dry run\n", ready.status,
                  (long long)elapsed);
    assert_int_equal(ready.status, 200);
    assert_true(elapsed < READY_MAX_MS);

    extra = post_dry_run(body);
    assert_int_equal(extra.status, 429);
    assert_non_null(strstr(extra.out, "scaffolder.dryRun.concurrency"));
    assert_non_null(strstr(extra.out, "\"statusCode\":429"));
    assert_non_null(strcasestr(extra.err, "Retry-After: 5"));

    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(slow.status, 200);
    assert_non_null(strstr(slow.out, "\"status\":\"completed\""));
    gr_test_output_free(&slow);
    gr_test_output_free(&ready);
    gr_test_output_free(&extra);
    free(body);
    free(ready_url);
}

/*
 * A dry run on a server whose scaffolder.workingDirectory is relative
 * resolves the template's relative ./skeleton against the uploaded files.
 */
static void dry_run_relative_skeleton(void **state)
{
    /* "# ${{ values.name }}" in base64 */
    json_t *request =
        json_pack("{s:{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:[{s:s, s:s, s:{s:s, s:{s:s}}}]}},"
                  " s:{}, s:[{s:s, s:s}]}",
                  "template", "apiVersion", "scaffolder.backstage.io/v1beta3", "kind", "Template",
                  "metadata", "name", "relative", "spec", "owner", "group:default/team", "type",
                  "service", "steps", "id", "fetch", "action", "fetch:template", "input", "url",
                  "./skeleton", "values", "name", "dry-app", "values", "directoryContents", "path",
                  "skeleton/README.md", "base64Content", "IyAke3sgdmFsdWVzLm5hbWUgfX0=");
    char *body = json_dumps(request, JSON_COMPACT);
    gr_test_output res = post_dry_run(body);
    json_t *answer = json_loads(res.out, 0, NULL);
    json_t *file = json_array_get(json_object_get(answer, "directoryContents"), 0);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_null(strstr(res.out, "has no location"));
    assert_string_equal(json_string_value(json_object_get(answer, "status")), "completed");
    assert_int_equal(json_array_size(json_object_get(answer, "directoryContents")), 1);
    assert_string_equal(json_string_value(json_object_get(file, "path")), "README.md");
    /* "# dry-app" in base64 */
    assert_string_equal(json_string_value(json_object_get(file, "base64Content")), "IyBkcnktYXBw");
    json_decref(answer);
    gr_test_output_free(&res);
    free(body);
    json_decref(request);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heavy_dry_run_fails_fast),
        cmocka_unit_test(kept_error_in_log),
        cmocka_unit_test(dry_run_keeps_server_free),
        cmocka_unit_test(dry_run_relative_skeleton),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
