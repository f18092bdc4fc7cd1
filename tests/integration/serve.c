/* SPDX-License-Identifier: MIT */
/* Integration tests of `greenroom serve`: start-up, health, metrics, config errors, shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"

static const char base_config[] =
    "backend:\n"
    "  listen:\n"
    "    port: ${GREENROOM_PORT}\n"
    "  database:\n"
    "    client: better-sqlite3\n"
    "    connection: ./data/test.sqlite\n"
    "  auth:\n"
    "    externalAccess:\n"
    "      - type: static\n"
    "        options:\n"
    "          token: serve-test-token-1234\n"
    "          subject: serve-test\n";

static const char *const metrics_auth[] = {"Authorization: Bearer serve-test-token-1234", NULL};

static char *url_of(const gr_test_server *server, const char *path)
{
    return gr_xasprintf("%s%s", server->base_url, path);
}

static void serve_answers_health(void **state)
{
    char *dir = gr_test_tmpdir("serve-health");
    gr_test_server server;
    gr_test_output res;
    char *url;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", base_config);
    assert_int_equal(gr_test_server_start(&server, dir, "app-config.yaml", 10000), 0);

    url = url_of(&server, "/.backstage/health/v1/liveness");
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"status\""));
    gr_test_output_free(&res);
    free(url);

    url = url_of(&server, "/.backstage/health/v1/readiness");
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    free(url);

    url = url_of(&server, "/metrics");
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    res = gr_test_http("GET", url, metrics_auth, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "http_requests_total"));
    assert_non_null(strstr(res.out, "process_resident_memory_bytes"));
    gr_test_output_free(&res);
    free(url);

    assert_int_equal(gr_test_server_stop(&server), 0);
    gr_test_rmtree(dir);
    free(dir);
}

static void serve_unknown_route_is_404(void **state)
{
    char *dir = gr_test_tmpdir("serve-404");
    const char *const auth[] = {"Authorization: Bearer serve-test-token-1234", NULL};
    gr_test_server server;
    gr_test_output res;
    char *url;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", base_config);
    assert_int_equal(gr_test_server_start(&server, dir, "app-config.yaml", 10000), 0);

    url = url_of(&server, "/api/nothing-here/at-all");
    res = gr_test_http("GET", url, auth, NULL);
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.out, "\"NotFoundError\""));
    assert_non_null(strstr(res.out, "\"statusCode\":404"));
    gr_test_output_free(&res);
    free(url);

    assert_int_equal(gr_test_server_stop(&server), 0);
    gr_test_rmtree(dir);
    free(dir);
}

static void serve_bad_config_exits_2(void **state)
{
    static const char *const cases[][2] = {
        {"backend:\n  listen:\n    port: not-a-number\n", "backend.listen.port"},
        {"backend:\n  listen: [unclosed\n", "app-config.yaml:"},
        {"app:\n  $include: ./missing.yaml\n", "missing.yaml"},
        {"backend:\n  listen:\n    host: localhost\n",
         "app-config.yaml:3: backend.listen.host: must be an IPv4 or IPv6 address, found "
         "\"localhost\". Write 127.0.0.1 or ::1"},
        {"catalog:\n  locations:\n    - type: fil\n      target: ./catalog-info.yaml\n",
         "app-config.yaml:3: catalog.locations[0].type: must be one of file, url, git"},
    };
    const char *const argv[] = {"serve", "--config", "app-config.yaml", NULL};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *dir = gr_test_tmpdir("serve-bad");
        char *data_dir = gr_xasprintf("%s/data", dir);
        struct stat st;
        gr_test_output res;

        gr_test_write_file(dir, "app-config.yaml", cases[i][0]);
        res = gr_test_run(dir, argv);
        if (res.status != 2 || strstr(res.err, cases[i][1]) == NULL)
            fprintf(stderr, "case %zu: status %d, stderr: %s\n", i, res.status, res.err);
        assert_int_equal(res.status, 2);
        assert_non_null(strstr(res.err, cases[i][1]));
        assert_int_not_equal(stat(data_dir, &st), 0);
        gr_test_output_free(&res);
        gr_test_rmtree(dir);
        free(data_dir);
        free(dir);
    }
}

/* Returns the text of file `path` (caller frees), or NULL when it cannot be read. */
static char *read_text(const char *path)
{
    FILE *file = fopen(path, "rb");
    char *text;
    long size;

    if (file == NULL)
        return NULL;
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    rewind(file);
    text = gr_xcalloc((size_t)size + 1, 1);
    if (fread(text, 1, (size_t)size, file) != (size_t)size) {
        free(text);
        text = NULL;
    }
    fclose(file);
    return text;
}

/* Returns how many times `needle` occurs in `text`. */
static int count_of(const char *text, const char *needle)
{
    int count = 0;

    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
        count++;
    return count;
}

/* A policy without rules and a UI URL on another origin start, with one log warning each. */
static void serve_warns_misleading_config(void **state)
{
    static const char extra[] = "app:\n"
                                "  baseUrl: http://localhost:3000\n"
                                "permission:\n"
                                "  enabled: true\n";
    const char *const authorize[] = {"Authorization: Bearer serve-test-token-1234",
                                     "Content-Type: application/json", NULL};
    char *dir = gr_test_tmpdir("serve-warnings");
    char *config = gr_xasprintf("%s%s", base_config, extra);
    gr_test_server server;
    gr_test_output res;
    char *url;
    char *log;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", config);
    assert_int_equal(gr_test_server_start(&server, dir, "app-config.yaml", 10000), 0);

    /* The warning changes nothing: every check is still denied. */
    url = url_of(&server, "/api/permission/authorize");
    res = gr_test_http("POST", url, authorize,
                       "{\"items\":[{\"id\":\"1\",\"permission\":{\"type\":\"basic\","
                       "\"name\":\"catalog.location.read\",\"attributes\":{}}}]}");
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"result\":\"DENY\""));
    gr_test_output_free(&res);
    free(url);

    /* The warnings come before readiness, and stopping the server removes its log. */
    log = read_text(server.log_path);
    assert_int_equal(gr_test_server_stop(&server), 0);
    assert_non_null(log);
    assert_int_equal(count_of(log, "lvl=warn mod=permission msg=\"permission.enabled is true but "
                                   "permission.rules lists no rule, so every permission check is "
                                   "denied"),
                     1);
    assert_non_null(strstr(log, "fix=\"To allow everything, as Backstage's allow-all policy "
                                "does, write the rule '- allow: \\\"*\\\"' under "
                                "permission.rules, or set permission.enabled: false\""));
    assert_int_equal(count_of(log, "lvl=warn mod=config msg=\"app.baseUrl "
                                   "http://localhost:3000 and backend.baseUrl "),
                     1);
    assert_non_null(strstr(log, "fix=\"Set app.baseUrl to http://127.0.0.1:"));
    free(log);
    free(config);
    gr_test_rmtree(dir);
    free(dir);
}

/* A setting that only the catalog plugin checks, while it sets up, still ends serve with status 2. */
static void serve_bad_catalog_setting_exits_2(void **state)
{
    const char *const argv[] = {"serve", "--config", "app-config.yaml", NULL};
    char *dir = gr_test_tmpdir("serve-bad-catalog");
    gr_test_output res;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", "catalog:\n  processingWorkers: 0\n");
    res = gr_test_run(dir, argv);
    if (res.status != 2)
        fprintf(stderr, "status %d, stderr: %s\n", res.status, res.err);
    assert_int_equal(res.status, 2);
    assert_non_null(strstr(res.err, "catalog.processingWorkers: expected an integer from 1 to 64"));
    gr_test_output_free(&res);
    gr_test_rmtree(dir);
    free(dir);
}

typedef struct {
    const char *url;
    int status;
} slow_request;

static void *send_request(void *payload)
{
    slow_request *request = payload;
    gr_test_output res = gr_test_http("GET", request->url, metrics_auth, NULL);

    request->status = res.status;
    gr_test_output_free(&res);
    return NULL;
}

/* Requests sent while SIGTERM arrives either finish with a status or are
 * refused at connect; none is cut off halfway, and the exit status is 0. */
static void serve_stops_during_requests(void **state)
{
    enum { REQUESTS = 16 };
    char *dir = gr_test_tmpdir("serve-stop");
    gr_test_server server;
    pthread_t threads[REQUESTS];
    slow_request requests[REQUESTS];
    char *url;
    int pid;
    int status = 0;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", base_config);
    assert_int_equal(gr_test_server_start(&server, dir, "app-config.yaml", 10000), 0);
    url = url_of(&server, "/metrics");

    for (int i = 0; i < REQUESTS; i++) {
        requests[i].url = url;
        requests[i].status = -1;
        pthread_create(&threads[i], NULL, send_request, &requests[i]);
    }
    pid = server.pid;
    kill(pid, SIGTERM);
    for (int i = 0; i < REQUESTS; i++) {
        pthread_join(threads[i], NULL);
        assert_true(requests[i].status == 200 || requests[i].status == 0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    server.pid = 0;
    gr_test_server_stop(&server);
    free(url);
    gr_test_rmtree(dir);
    free(dir);
}

/* A second start on the same database applies no migration again. */
static void serve_restarts_on_existing_db(void **state)
{
    char *dir = gr_test_tmpdir("serve-restart");
    gr_test_server server;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", base_config);
    assert_int_equal(gr_test_server_start(&server, dir, "app-config.yaml", 10000), 0);
    assert_int_equal(gr_test_server_stop(&server), 0);

    assert_int_equal(gr_test_server_start(&server, dir, "app-config.yaml", 10000), 0);
    assert_int_equal(gr_test_server_stop(&server), 0);
    gr_test_rmtree(dir);
    free(dir);
}

/* A port in use stops start-up before the catalog starts its workers. */
static void serve_port_in_use_exits_1(void **state)
{
    char *dir = gr_test_tmpdir("serve-port-in-use");
    const char *const argv[] = {"serve", "--config", "second.yaml", NULL};
    char *database = gr_xasprintf("%s/data/second.sqlite", dir);
    gr_test_server server;
    gr_test_output res;
    struct stat st;
    char *second;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", base_config);
    assert_int_equal(gr_test_server_start(&server, dir, "app-config.yaml", 10000), 0);

    second = gr_xasprintf("backend:\n"
                          "  listen:\n"
                          "    port: %d\n"
                          "  database:\n"
                          "    client: better-sqlite3\n"
                          "    connection: ./data/second.sqlite\n",
                          server.port);
    gr_test_write_file(dir, "second.yaml", second);
    res = gr_test_run(dir, argv);
    if (res.status != 1 || strstr(res.err, "is in use") == NULL)
        fprintf(stderr, "status %d, stderr: %s\n", res.status, res.err);
    assert_int_equal(res.status, 1);
    assert_non_null(strstr(res.err, "is in use"));
    assert_null(strstr(res.err, "processing workers"));
    gr_test_output_free(&res);
    /* The failed start created no database. */
    assert_int_not_equal(stat(database, &st), 0);

    assert_int_equal(gr_test_server_stop(&server), 0);
    free(database);
    free(second);
    gr_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serve_answers_health),
        cmocka_unit_test(serve_unknown_route_is_404),
        cmocka_unit_test(serve_bad_config_exits_2),
        cmocka_unit_test(serve_bad_catalog_setting_exits_2),
        cmocka_unit_test(serve_warns_misleading_config),
        cmocka_unit_test(serve_stops_during_requests),
        cmocka_unit_test(serve_restarts_on_existing_db),
        cmocka_unit_test(serve_port_in_use_exits_1),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
