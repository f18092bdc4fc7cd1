/* SPDX-License-Identifier: MIT */
/* Rate limits of a real server: sign-in, failed credentials, location registration, allow list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "support/gr_test.h"
#include "auth_support.h"

#define SERVICE_TOKEN "rate-limit-service-5127"
#define SERVICE_AUTH "Authorization: Bearer " SERVICE_TOKEN

/* The config without its rate limits, with a service token and guest sign-in. */
static const char config_head[] = "app:\n"
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
                                  "        options: { token: " SERVICE_TOKEN
                                  ", subject: ci-bot }\n"
                                  "auth:\n"
                                  "  environment: development\n"
                                  "  providers:\n"
                                  "    guest: {}\n"
                                  "catalog:\n"
                                  "  allowedLocationTypes: [file]\n";

typedef struct {
    char *dir;
    gr_test_server server;
} running;

/* Starts a server whose backend.rateLimit has the YAML lines `rate_limit`,
 * given in a second config file so that the first needs no change. */
static void start(running *run, const char *name, const char *rate_limit)
{
    const char *const configs[] = {"app-config.yaml", "app-config.limits.yaml", NULL};
    char *limits = gr_xasprintf("backend:\n  rateLimit:\n%s", rate_limit);

    run->dir = gr_test_tmpdir(name);
    gr_test_write_file(run->dir, "app-config.yaml", config_head);
    gr_test_write_file(run->dir, "app-config.limits.yaml", limits);
    free(limits);
    if (gr_test_server_start_configs(&run->server, run->dir, configs, 30000) != 0)
        fail_msg("greenroom did not start in %s", run->dir);
}

static void stop(running *run)
{
    gr_test_server_stop(&run->server);
    gr_test_rmtree(run->dir);
    free(run->dir);
}

static gr_test_output call(const running *run, const char *method, const char *path,
                           const char *auth, const char *body)
{
    char *url = gr_xasprintf("%s%s", run->server.base_url, path);
    const char *headers[] = {"X-Requested-With: XMLHttpRequest",
                             "Content-Type: application/json", auth, NULL};
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    return res;
}

/* Checks that `res` is Backstage's 429: Retry-After and the JSON error body. */
static void assert_limited(const gr_test_output *res)
{
    json_t *body = json_loads(res->out != NULL ? res->out : "", 0, NULL);
    json_t *error = json_object_get(body, "error");
    const char *retry = res->err != NULL ? strcasestr(res->err, "\nRetry-After: ") : NULL;

    assert_int_equal(res->status, 429);
    assert_non_null(retry);
    assert_true(atoi(retry + strlen("\nRetry-After: ")) >= 1);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(error, "name")), "Error");
    assert_non_null(strstr(json_string_value(json_object_get(error, "message")),
                           "Too many requests"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(body, "response"), "statusCode")),
        429);
    json_decref(body);
}

/* Returns how many lines of the server's log contain `text`. */
static int log_count(const running *run, const char *text)
{
    FILE *log = fopen(run->server.log_path, "r");
    char line[4096];
    int count = 0;

    if (log == NULL)
        return -1;
    while (fgets(line, sizeof(line), log) != NULL) {
        if (strstr(line, text) != NULL)
            count++;
    }
    fclose(log);
    return count;
}

static void sign_in_flood_limited(void **state)
{
    running run;
    gr_test_output res;

    (void)state;
    start(&run, "rate-sign-in", "    signInLimit: 5\n");
    for (int i = 0; i < 5; i++) {
        res = call(&run, "GET", "/api/auth/guest/refresh", NULL, NULL);
        if (res.status != 200)
            fail_msg("guest sign-in %d: status %d, expected 200: %s", i + 1, res.status, res.out);
        gr_test_output_free(&res);
    }
    res = call(&run, "GET", "/api/auth/guest/refresh", NULL, NULL);
    assert_limited(&res);
    gr_test_output_free(&res);
    res = call(&run, "GET", "/api/auth/guest/start", NULL, NULL);
    assert_limited(&res);
    gr_test_output_free(&res);
    /* Other routes do not share the sign-in budget. */
    res = call(&run, "GET", "/api/catalog/entities", SERVICE_AUTH, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    res = call(&run, "GET", "/metrics", SERVICE_AUTH, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "http_rate_limited_total{limit=\"sign_in\"} 2"));
    assert_non_null(strstr(res.out, "status=\"429\""));
    gr_test_output_free(&res);
    stop(&run);
}

static void bad_tokens_limited(void **state)
{
    running run;
    gr_test_output res;

    (void)state;
    start(&run, "rate-tokens", "    failedCredentialLimit: 3\n");
    for (int i = 0; i < 3; i++) {
        res = call(&run, "GET", "/api/catalog/entities", "Authorization: Bearer wrong", NULL);
        assert_int_equal(res.status, 401);
        gr_test_output_free(&res);
    }
    for (int i = 0; i < 4; i++) {
        res = call(&run, "GET", "/api/catalog/entities", "Authorization: Bearer wrong", NULL);
        assert_limited(&res);
        gr_test_output_free(&res);
    }
    /* The client is blocked before its credential is checked, even a valid one. */
    res = call(&run, "GET", "/api/catalog/entities", SERVICE_AUTH, NULL);
    assert_limited(&res);
    gr_test_output_free(&res);
    /* A forged session cookie counts the same way. */
    res = call(&run, "GET", "/api/catalog/entities", "Cookie: greenroom-session=forged", NULL);
    assert_limited(&res);
    gr_test_output_free(&res);
    /* A request without any credential reveals nothing and is not limited. */
    res = call(&run, "GET", "/api/catalog/entities", NULL, NULL);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    /* Six rejections, one log line. */
    assert_int_equal(log_count(&run, "msg=\"rate limit reached\" limit=failed_credentials"), 1);
    stop(&run);
}

static void window_passes_allows_again(void **state)
{
    running run;
    gr_test_output res;

    (void)state;
    start(&run, "rate-window", "    window: 1\n    failedCredentialLimit: 2\n");
    for (int i = 0; i < 2; i++) {
        res = call(&run, "GET", "/api/catalog/entities", "Authorization: Bearer wrong", NULL);
        assert_int_equal(res.status, 401);
        gr_test_output_free(&res);
    }
    res = call(&run, "GET", "/api/catalog/entities", SERVICE_AUTH, NULL);
    /* Two rejections within the second are the whole budget, unless the
     * machine took more than half a second to send them. */
    if (res.status != 200)
        assert_limited(&res);
    gr_test_output_free(&res);
    usleep(1100 * 1000);
    res = call(&run, "GET", "/api/catalog/entities", SERVICE_AUTH, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    res = call(&run, "GET", "/api/catalog/entities", "Authorization: Bearer wrong", NULL);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    stop(&run);
}

static void location_flood_limited(void **state)
{
    running run;
    gr_test_output res;
    char *body;

    (void)state;
    start(&run, "rate-locations", "    expensiveRequestLimit: 3\n");
    gr_test_write_file(run.dir, "extra.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata: { name: extra }\n"
                       "spec: { type: service, lifecycle: production, owner: team-a }\n");
    body = gr_xasprintf("{\"type\":\"file\",\"target\":\"%s/extra.yaml\"}", run.dir);
    for (int i = 0; i < 3; i++) {
        res = call(&run, "POST", "/api/catalog/locations?dryRun=true", SERVICE_AUTH, body);
        if (res.status != 201)
            fail_msg("registration %d: status %d, expected 201: %s", i + 1, res.status, res.out);
        gr_test_output_free(&res);
    }
    res = call(&run, "POST", "/api/catalog/locations", SERVICE_AUTH, body);
    assert_limited(&res);
    gr_test_output_free(&res);
    res = call(&run, "POST", "/api/catalog/analyze-location", SERVICE_AUTH, body);
    assert_limited(&res);
    gr_test_output_free(&res);
    res = call(&run, "POST", "/api/catalog/refresh", SERVICE_AUTH,
               "{\"entityRef\":\"component:default/extra\"}");
    assert_limited(&res);
    gr_test_output_free(&res);
    /* Reads are not expensive requests. */
    res = call(&run, "GET", "/api/catalog/locations", SERVICE_AUTH, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    assert_int_equal(log_count(&run, "msg=\"rate limit reached\" limit=expensive key=external:ci-bot"),
                     1);
    free(body);
    stop(&run);
}

/* Posts the portal's refresh form of component extra with session `cookie`. */
static gr_test_output refresh_form(const running *run, const char *cookie, const char *csrf)
{
    char *url = gr_xasprintf("%s/catalog/default/component/extra/refresh", run->server.base_url);
    char *cookie_header = gr_xasprintf("Cookie: %s", cookie);
    char *origin = gr_xasprintf("Origin: %s", run->server.base_url);
    char *body = gr_xasprintf("csrf=%s", csrf);
    const char *headers[] = {cookie_header, origin, "Content-Type: application/x-www-form-urlencoded",
                             NULL};
    gr_test_output res = gr_test_http("POST", url, headers, body);

    free(body);
    free(origin);
    free(cookie_header);
    free(url);
    return res;
}

/* The portal's refresh button is an expensive request too. */
static void refresh_form_flood_limited(void **state)
{
    running run;
    gr_test_output res;
    char *body;
    char *cookie;
    char *cookie_header;
    const char *start_csrf;
    char *csrf;

    (void)state;
    start(&run, "rate-refresh-form", "    expensiveRequestLimit: 2\n");
    gr_test_write_file(run.dir, "extra.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata: { name: extra }\n"
                       "spec: { type: service, lifecycle: production, owner: team-a }\n");
    body = gr_xasprintf("{\"type\":\"file\",\"target\":\"%s/extra.yaml\"}", run.dir);
    res = call(&run, "POST", "/api/catalog/locations", SERVICE_AUTH, body);
    assert_int_equal(res.status, 201);
    gr_test_output_free(&res);
    for (int waited = 0; waited < 20000; waited += 100) {
        res = call(&run, "GET", "/api/catalog/entities/by-name/component/default/extra",
                   SERVICE_AUTH, NULL);
        if (res.status == 200)
            break;
        gr_test_output_free(&res);
        usleep(100 * 1000);
    }
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    res = call(&run, "GET", "/api/auth/guest/start", NULL, NULL);
    cookie = set_cookie(res.err, "greenroom-session");
    assert_non_null(cookie);
    gr_test_output_free(&res);
    cookie_header = gr_xasprintf("Cookie: %s", cookie);
    {
        char *url = gr_xasprintf("%s/catalog/default/component/extra", run.server.base_url);
        const char *headers[] = {cookie_header, NULL};

        res = gr_test_http("GET", url, headers, NULL);
        free(url);
    }
    assert_int_equal(res.status, 200);
    start_csrf = strstr(res.out, "name=\"csrf\" value=\"");
    assert_non_null(start_csrf);
    start_csrf += strlen("name=\"csrf\" value=\"");
    csrf = gr_xstrndup(start_csrf, strcspn(start_csrf, "\""));
    gr_test_output_free(&res);

    for (int i = 0; i < 2; i++) {
        res = refresh_form(&run, cookie, csrf);
        if (res.status != 303)
            fail_msg("refresh form %d: status %d, expected 303: %s", i + 1, res.status, res.out);
        gr_test_output_free(&res);
    }
    res = refresh_form(&run, cookie, csrf);
    assert_int_equal(res.status, 429);
    assert_non_null(strcasestr(res.err, "\nRetry-After: "));
    assert_non_null(strstr(res.out, "Too many requests"));
    gr_test_output_free(&res);

    free(csrf);
    free(cookie_header);
    free(cookie);
    free(body);
    stop(&run);
}

static void allow_list_exempts_loopback(void **state)
{
    running run;
    gr_test_output res;

    (void)state;
    start(&run, "rate-allow",
          "    signInLimit: 2\n    failedCredentialLimit: 2\n    ipAllowList: ['127.0.0.1']\n");
    for (int i = 0; i < 6; i++) {
        res = call(&run, "GET", "/api/auth/guest/refresh", NULL, NULL);
        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);
        res = call(&run, "GET", "/api/catalog/entities", "Authorization: Bearer wrong", NULL);
        assert_int_equal(res.status, 401);
        gr_test_output_free(&res);
    }
    assert_int_equal(log_count(&run, "rate limit reached"), 0);
    stop(&run);
}

static void incoming_limit_applies(void **state)
{
    running run;
    gr_test_output res;

    (void)state;
    start(&run, "rate-incoming", "    incomingRequestLimit: 4\n");
    for (int i = 0; i < 4; i++) {
        res = call(&run, "GET", "/api/catalog/entities", SERVICE_AUTH, NULL);
        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);
    }
    res = call(&run, "GET", "/api/catalog/entities", SERVICE_AUTH, NULL);
    assert_limited(&res);
    gr_test_output_free(&res);
    /* Health checks stay out of the limit, so a load balancer can poll them. */
    res = call(&run, "GET", "/.backstage/health/v1/readiness", NULL, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    stop(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sign_in_flood_limited),
        cmocka_unit_test(bad_tokens_limited),
        cmocka_unit_test(window_passes_allows_again),
        cmocka_unit_test(location_flood_limited),
        cmocka_unit_test(refresh_form_flood_limited),
        cmocka_unit_test(allow_list_exempts_loopback),
        cmocka_unit_test(incoming_limit_applies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
