/* SPDX-License-Identifier: MIT */
/* Integration tests: slow dry runs and import reviews run on job threads, not on HTTP threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/http/limits.h"
#include "support/gr_test.h"
#include "support/silent_source.h"

#define TOKEN "deferred-requests-token-4821"

/* Maximum number of slow requests of one test, and of connections the silent source keeps. */
#define SLOW_MAX (GR_HTTP_MAX_DEFERRED_JOBS + 2)

/* Time limit of a quick request while the slow requests wait, in ms. */
#define QUICK_TIMEOUT_MS 2000L

/* Time a test waits for its slow requests to reach the silent source, in ms. */
#define ACCEPT_WAIT_MS 10000

#define SCAFFOLDER_JSON "application/json"
#define FORM "application/x-www-form-urlencoded"

/*
 * The server's config. Catalog reads may reach the silent source (port %d),
 * and so may template fetches, through the GitHub API base URL. The
 * dry-run limit is the number of job threads, so that the limit of jobs
 * applies before the limit of dry runs.
 */
static const char config_format[] = "app:\n"
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
                                    "          subject: deferred-tests\n"
                                    "  reading:\n"
                                    "    allow:\n"
                                    "      - host: 127.0.0.1:%d\n"
                                    "integrations:\n"
                                    "  github:\n"
                                    "    - host: github.com\n"
                                    "      apiBaseUrl: http://127.0.0.1:%d/api/v3\n"
                                    "catalog:\n"
                                    "  rules:\n"
                                    "    - allow: [Component, Location]\n"
                                    "scaffolder:\n"
                                    "  workingDirectory: ./work\n"
                                    "  dryRun:\n"
                                    "    concurrency: %d\n";

/* One request of a test that waits on the silent source, sent on its own thread. */
typedef struct {
    const char *url;
    const char *content_type;
    char *body;
    gr_test_output out;
    pthread_t thread;
} slow_request;

/*
 * A server and a silent source on 127.0.0.1, so every read of the source waits
 * until gr_test_silent_close() closes its sockets, and then fails at once.
 */
typedef struct {
    char *dir;
    gr_test_server server;
    unsigned http_threads; /* from the server's log */
    char *dry_run_url;
    char *analyze_url;
    gr_test_silent *source; /* the silent source, or NULL before it starts */
    int port;               /* its port */
    slow_request requests[SLOW_MAX];
    int request_count;
    int joined;
} fixture;

/* Waits up to ACCEPT_WAIT_MS until `count` reads reach the silent source. Returns how many did. */
static int silent_wait(fixture *fx, int count)
{
    return gr_test_silent_wait(fx->source, count, ACCEPT_WAIT_MS);
}

/* Closes the silent source, so the reads in progress fail at once. */
static void silent_close(fixture *fx)
{
    if (fx->source != NULL)
        gr_test_silent_close(fx->source);
}

/* Returns the number of HTTP threads that the server's log names, or 0. */
static unsigned logged_http_threads(const gr_test_server *server)
{
    FILE *file = fopen(server->log_path, "r");
    char *marker = gr_xasprintf("listening on 127.0.0.1 port %d with ", server->port);
    char line[1024];
    unsigned threads = 0;

    while (file != NULL && threads == 0 && fgets(line, sizeof(line), file) != NULL) {
        const char *found = strstr(line, marker);

        if (found != NULL)
            threads = (unsigned)strtoul(found + strlen(marker), NULL, 10);
    }
    if (file != NULL)
        fclose(file);
    free(marker);
    return threads;
}

static int teardown(void **state);

/* Starts the silent source and a server that may read it. Cleans up itself when it fails. */
static int setup(void **state)
{
    fixture *fx = gr_xcalloc(1, sizeof(*fx));
    char *config;

    *state = fx;
    fx->source = gr_test_silent_start();
    if (fx->source == NULL)
        goto fail;
    fx->port = gr_test_silent_port(fx->source);
    fx->dir = gr_test_tmpdir("deferred-requests");
    config = gr_xasprintf(config_format, fx->port, fx->port, GR_HTTP_MAX_DEFERRED_JOBS);
    gr_test_write_file(fx->dir, "app-config.yaml", config);
    free(config);
    if (gr_test_server_start(&fx->server, fx->dir, "app-config.yaml", 30000) != 0)
        goto fail;
    fx->http_threads = logged_http_threads(&fx->server);
    if (fx->http_threads == 0)
        goto fail;
    fx->dry_run_url = gr_xasprintf("%s/api/scaffolder/v2/dry-run", fx->server.base_url);
    fx->analyze_url = gr_xasprintf("%s/catalog-import/analyze", fx->server.base_url);
    return 0;

fail:
    teardown(state);
    return -1;
}

static void requests_join(fixture *fx)
{
    if (fx->joined)
        return;
    fx->joined = 1;
    for (int i = 0; i < fx->request_count; i++)
        pthread_join(fx->requests[i].thread, NULL);
}

/* Closes the source before the server stops, because the stop waits for the reads of it. */
static int teardown(void **state)
{
    fixture *fx = *state;

    if (fx == NULL)
        return 0;
    *state = NULL;
    silent_close(fx);
    requests_join(fx);
    for (int i = 0; i < fx->request_count; i++) {
        gr_test_output_free(&fx->requests[i].out);
        free(fx->requests[i].body);
    }
    if (fx->server.pid > 0)
        gr_test_server_stop(&fx->server);
    if (fx->dir != NULL)
        gr_test_rmtree(fx->dir);
    free(fx->dir);
    free(fx->dry_run_url);
    free(fx->analyze_url);
    gr_test_silent_free(fx->source);
    free(fx);
    return 0;
}

static gr_test_output post(const char *url, const char *content_type, const char *body)
{
    char *type = gr_xasprintf("Content-Type: %s", content_type);
    const char *headers[] = {"Authorization: Bearer " TOKEN, type, NULL};
    gr_test_output res = gr_test_http("POST", url, headers, body);

    free(type);
    return res;
}

static void *slow_request_run(void *arg)
{
    slow_request *request = arg;

    request->out = post(request->url, request->content_type, request->body);
    return NULL;
}

/* Sends POST `url` with `body` (taken) on a new thread. */
static void slow_start(fixture *fx, const char *url, const char *content_type, char *body)
{
    slow_request *request = &fx->requests[fx->request_count];

    assert_true(fx->request_count < SLOW_MAX);
    request->url = url;
    request->content_type = content_type;
    request->body = body;
    assert_int_equal(pthread_create(&request->thread, NULL, slow_request_run, request), 0);
    fx->request_count++;
}

/* Closes the silent source and waits for every slow request's response. */
static void slow_finish(fixture *fx)
{
    silent_close(fx);
    requests_join(fx);
}

/*
 * Returns the number of slow requests of a test: one more than the server's
 * HTTP threads, so that they would take every thread if they ran there, and
 * at most GR_HTTP_MAX_DEFERRED_JOBS.
 */
static int slow_count(const fixture *fx)
{
    if (fx->http_threads >= GR_HTTP_MAX_DEFERRED_JOBS) {
        print_message("the server has %u HTTP threads, so %d slow requests leave some free even "
                      "on HTTP threads\n",
                      fx->http_threads, GR_HTTP_MAX_DEFERRED_JOBS);
        return GR_HTTP_MAX_DEFERRED_JOBS;
    }
    return (int)fx->http_threads + 1;
}

static size_t discard_body(char *data, size_t size, size_t count, void *payload)
{
    (void)data;
    (void)payload;
    return size * count;
}

/* Sends GET `path` with a time limit of QUICK_TIMEOUT_MS. Returns the status, or 0 without one. */
static long get_quickly(const fixture *fx, const char *path)
{
    char *url = gr_xasprintf("%s%s", fx->server.base_url, path);
    struct curl_slist *headers = curl_slist_append(NULL, "Authorization: Bearer " TOKEN);
    CURL *curl = curl_easy_init();
    long status = 0;

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, QUICK_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    free(url);
    return status;
}

/* Returns a dry-run request body for a template with `steps` (a JSON array, taken). */
static char *dry_run_body(json_t *steps)
{
    json_t *body = json_pack("{s:{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:o}}, s:{}, s:[]}", "template",
                             "apiVersion", "scaffolder.backstage.io/v1beta3", "kind", "Template",
                             "metadata", "name", "deferred", "spec", "owner", "group:default/team",
                             "type", "service", "steps", steps, "values", "directoryContents");
    char *text = json_dumps(body, JSON_COMPACT);

    json_decref(body);
    return text;
}

/* Returns a dry run whose fetch:plain step reads repository `index` from the silent source. */
static char *slow_dry_run_body(int index)
{
    char *url = gr_xasprintf("https://github.com/acme/slow-%d/tree/main/skeleton", index);
    char *body = dry_run_body(json_pack("[{s:s, s:s, s:{s:s}}]", "id", "fetch", "action",
                                        "fetch:plain", "input", "url", url));

    free(url);
    return body;
}

/* Returns the CSRF token of the import form (caller frees). */
static char *import_csrf(const fixture *fx)
{
    const char *marker = "name=\"csrf\" value=\"";
    char *url = gr_xasprintf("%s/catalog-import", fx->server.base_url);
    const char *headers[] = {"Authorization: Bearer " TOKEN, NULL};
    gr_test_output res = gr_test_http("GET", url, headers, NULL);
    const char *start = res.out != NULL ? strstr(res.out, marker) : NULL;
    char *token;

    assert_int_equal(res.status, 200);
    assert_non_null(start);
    start += strlen(marker);
    token = gr_xstrndup(start, strcspn(start, "\""));
    gr_test_output_free(&res);
    free(url);
    return token;
}

/* Returns the review form that imports catalog file `index` from the silent source. */
static char *slow_review_form(const fixture *fx, const char *csrf, int index)
{
    return gr_xasprintf("csrf=%s&target=http://127.0.0.1:%d/catalog-%d.yaml", csrf, fx->port,
                        index);
}

/* Dry runs that fetch from a silent source run on job threads, not on the HTTP threads. */
static void dry_runs_leave_threads_free(void **state)
{
    fixture *fx = *state;
    int count = slow_count(fx);
    int busy = count < (int)fx->http_threads ? count : (int)fx->http_threads;

    for (int i = 0; i < count; i++)
        slow_start(fx, fx->dry_run_url, SCAFFOLDER_JSON, slow_dry_run_body(i));
    assert_true(silent_wait(fx, busy) >= busy);

    assert_int_equal(get_quickly(fx, "/.backstage/health/v1/readiness"), 200);
    assert_int_equal(get_quickly(fx, "/api/scaffolder/v2/actions"), 200);
    assert_int_equal(silent_wait(fx, count), count);

    /* A fetch that fails is a failed step, so the dry run itself succeeds. */
    slow_finish(fx);
    for (int i = 0; i < count; i++) {
        const gr_test_output *out = &fx->requests[i].out;

        assert_int_equal(out->status, 200);
        assert_non_null(strstr(out->out, "\"status\":\"failed\""));
    }
}

/* Import reviews of a silent URL run on job threads, not on the HTTP threads. */
static void import_reviews_leave_threads_free(void **state)
{
    fixture *fx = *state;
    int count = slow_count(fx);
    int busy = count < (int)fx->http_threads ? count : (int)fx->http_threads;
    char *csrf = import_csrf(fx);

    for (int i = 0; i < count; i++)
        slow_start(fx, fx->analyze_url, FORM, slow_review_form(fx, csrf, i));
    assert_true(silent_wait(fx, busy) >= busy);

    assert_int_equal(get_quickly(fx, "/.backstage/health/v1/readiness"), 200);
    assert_int_equal(get_quickly(fx, "/catalog-import"), 200);
    assert_int_equal(silent_wait(fx, count), count);

    /* A target that cannot be read is a review that shows the failure. */
    slow_finish(fx);
    for (int i = 0; i < count; i++) {
        const gr_test_output *out = &fx->requests[i].out;

        assert_int_equal(out->status, 200);
        assert_non_null(strstr(out->out, "Review the location"));
        assert_non_null(strstr(out->out, "could not be read"));
    }
    free(csrf);
}

/*
 * With every job thread taken, an import review gets the portal's 503 page
 * and a dry run gets 503, both with Retry-After. A rejected dry run gives
 * its dry-run slot back, so later dry runs still run.
 */
static void over_max_jobs_rejected(void **state)
{
    fixture *fx = *state;
    char *csrf = import_csrf(fx);
    char *form = slow_review_form(fx, csrf, GR_HTTP_MAX_DEFERRED_JOBS);
    char *quick = dry_run_body(json_pack("[{s:s, s:s, s:{s:s}}]", "id", "log", "action",
                                         "debug:log", "input", "message", "quick"));
    gr_test_output res;

    for (int i = 0; i < GR_HTTP_MAX_DEFERRED_JOBS; i++)
        slow_start(fx, fx->analyze_url, FORM, slow_review_form(fx, csrf, i));
    assert_int_equal(silent_wait(fx, GR_HTTP_MAX_DEFERRED_JOBS), GR_HTTP_MAX_DEFERRED_JOBS);

    res = post(fx->analyze_url, FORM, form);
    assert_int_equal(res.status, 503);
    assert_non_null(strcasestr(res.err, "Content-Type: text/html"));
    assert_non_null(strcasestr(res.err, "Retry-After: 5"));
    assert_non_null(strstr(res.out, "maximum of 8 background jobs"));
    gr_test_output_free(&res);

    /* More rejected dry runs than scaffolder.dryRun.concurrency allows at once. */
    for (int i = 0; i < GR_HTTP_MAX_DEFERRED_JOBS + 1; i++) {
        res = post(fx->dry_run_url, SCAFFOLDER_JSON, quick);
        assert_int_equal(res.status, 503);
        assert_non_null(strstr(res.out, "ServiceUnavailableError"));
        assert_non_null(strcasestr(res.err, "Retry-After: 5"));
        gr_test_output_free(&res);
    }

    /* A job thread frees its slot after it hands the connection back, so a 503 can still come. */
    slow_finish(fx);
    res = post(fx->dry_run_url, SCAFFOLDER_JSON, quick);
    for (int tries = 0; res.status == 503 && tries < 50; tries++) {
        gr_test_output_free(&res);
        poll(NULL, 0, 20);
        res = post(fx->dry_run_url, SCAFFOLDER_JSON, quick);
    }
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"status\":\"completed\""));
    gr_test_output_free(&res);
    free(quick);
    free(form);
    free(csrf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(dry_runs_leave_threads_free, setup, teardown),
        cmocka_unit_test_setup_teardown(import_reviews_leave_threads_free, setup, teardown),
        cmocka_unit_test_setup_teardown(over_max_jobs_rejected, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
