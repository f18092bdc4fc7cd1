/* SPDX-License-Identifier: MIT */
/* Integration tests of GET /api/search/query and `greenroom search` against a real server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/common/buf.h"

#define TOKEN "search-test-token-1234"
#define PAYMENT_SERVICES 30

static const char config_text[] =
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
    "          token: " TOKEN "\n"
    "          subject: search-test\n"
    "catalog:\n"
    "  locations:\n"
    "    - type: file\n"
    "      target: ./catalog.yaml\n"
    "techdocs:\n"
    "  publisher:\n"
    "    local:\n"
    "      publishDirectory: ./sites\n";

static const char *const auth_headers[] = {"Authorization: Bearer " TOKEN, NULL};

typedef struct {
    char *dir;
    gr_test_server server;
} api_fixture;

static void append_component(gr_buf *yaml, const char *name, const char *description,
                             const char *lifecycle)
{
    gr_buf_printf(yaml,
                  "---\n"
                  "apiVersion: backstage.io/v1alpha1\n"
                  "kind: Component\n"
                  "metadata:\n"
                  "  name: %s\n"
                  "  description: %s\n"
                  "spec:\n"
                  "  type: service\n"
                  "  lifecycle: %s\n"
                  "  owner: team-a\n",
                  name, description, lifecycle);
}

/* Waits until the catalog has stitched every component and search holds them. */
static int wait_catalog_indexed(const gr_test_server *server)
{
    char *url = gr_xasprintf("%s/api/search/query?term=payments&pageLimit=100", server->base_url);
    int found = 0;

    for (int waited = 0; waited < 20000 && !found; waited += 100) {
        gr_test_output res = gr_test_http("GET", url, auth_headers, NULL);
        char expected[64];

        snprintf(expected, sizeof(expected), "\"numberOfResults\":%d", PAYMENT_SERVICES);
        found = res.status == 200 && strstr(res.out, expected) != NULL;
        gr_test_output_free(&res);
        if (!found)
            usleep(100 * 1000);
    }
    free(url);
    if (!found)
        fprintf(stderr, "search did not index the %d payment services in time\n",
                PAYMENT_SERVICES);
    return found ? 0 : -1;
}

/* Writes a catalog file, starts the server on it and waits until the catalog
 * engine has stitched the entities and search has indexed them. */
static int api_setup(void **state)
{
    api_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));
    gr_buf yaml = GR_BUF_INIT;

    fixture->dir = gr_test_tmpdir("search-api");
    gr_test_write_file(fixture->dir, "app-config.yaml", config_text);
    for (int i = 0; i < PAYMENT_SERVICES; i++) {
        char *name = gr_xasprintf("payments-%02d", i);

        append_component(&yaml, name, "Moves payments around",
                         i % 3 ? "production" : "experimental");
        free(name);
    }
    append_component(&yaml, "ledger", "Keeps the books", "production");
    gr_test_write_file(fixture->dir, "catalog.yaml", gr_buf_cstr(&yaml));
    gr_buf_free(&yaml);

    *state = fixture;
    if (gr_test_server_start(&fixture->server, fixture->dir, "app-config.yaml", 15000) != 0)
        return -1;
    return wait_catalog_indexed(&fixture->server);
}

static int api_teardown(void **state)
{
    api_fixture *fixture = *state;

    gr_test_server_stop(&fixture->server);
    gr_test_rmtree(fixture->dir);
    free(fixture->dir);
    free(fixture);
    return 0;
}

/* Sends GET /api/search/query?<query> and parses the body; *status gets the HTTP status. */
static json_t *get(const api_fixture *fixture, const char *query, int *status)
{
    char *url = gr_xasprintf("%s/api/search/query?%s", fixture->server.base_url, query);
    gr_test_output res = gr_test_http("GET", url, auth_headers, NULL);
    json_t *body = json_loads(res.out ? res.out : "", 0, NULL);

    *status = res.status;
    gr_test_output_free(&res);
    free(url);
    return body;
}

static int64_t count_of(const json_t *body)
{
    return json_integer_value(json_object_get(body, "numberOfResults"));
}

/* The first rebuild runs a second after start-up; waits for it. */
static void wait_indexed(const api_fixture *fixture)
{
    for (int i = 0; i < 200; i++) {
        int status = 0;
        json_t *body = get(fixture, "term=ledger", &status);
        int64_t count = count_of(body);

        json_decref(body);
        if (status == 200 && count == 1)
            return;
        usleep(50 * 1000);
    }
    fail_msg("the index was not built within 10 s");
}

static void query_needs_identity(void **state)
{
    api_fixture *fixture = *state;
    char *url = gr_xasprintf("%s/api/search/query?term=payments", fixture->server.base_url);
    gr_test_output res = gr_test_http("GET", url, NULL, NULL);

    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    free(url);
}

static void query_has_backstage_shape(void **state)
{
    api_fixture *fixture = *state;
    int status = 0;
    json_t *body;
    const json_t *first;

    wait_indexed(fixture);
    body = get(fixture, "term=payments", &status);
    assert_int_equal(status, 200);
    assert_int_equal(count_of(body), PAYMENT_SERVICES);
    assert_int_equal(json_array_size(json_object_get(body, "results")), 25);
    assert_string_equal(json_string_value(json_object_get(body, "nextPageCursor")), "MQ==");
    assert_null(json_object_get(body, "previousPageCursor"));

    first = json_array_get(json_object_get(body, "results"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "type")), "software-catalog");
    assert_int_equal(json_integer_value(json_object_get(first, "rank")), 1);
    assert_non_null(json_object_get(json_object_get(first, "document"), "location"));
    assert_non_null(json_object_get(json_object_get(first, "highlight"), "preTag"));
    assert_non_null(json_object_get(json_object_get(first, "highlight"), "postTag"));
    assert_non_null(json_object_get(json_object_get(json_object_get(first, "highlight"),
                                                    "fields"),
                                    "text"));
    json_decref(body);
}

static void query_second_page_and_types(void **state)
{
    api_fixture *fixture = *state;
    int status = 0;
    json_t *body;

    wait_indexed(fixture);
    body = get(fixture, "term=payments&types%5B0%5D=software-catalog&pageCursor=MQ%3D%3D",
               &status);
    assert_int_equal(status, 200);
    assert_int_equal(json_array_size(json_object_get(body, "results")), PAYMENT_SERVICES - 25);
    assert_string_equal(json_string_value(json_object_get(body, "previousPageCursor")), "MA==");
    assert_null(json_object_get(body, "nextPageCursor"));
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(body, "results"), 0), "rank")),
                     26);
    json_decref(body);

    body = get(fixture, "term=payments&types[]=techdocs", &status);
    assert_int_equal(status, 200);
    assert_int_equal(count_of(body), 0);
    json_decref(body);
}

static void query_filters_and_limits(void **state)
{
    api_fixture *fixture = *state;
    int status = 0;
    json_t *body;

    wait_indexed(fixture);
    body = get(fixture, "term=payments&filters%5Bkind%5D=Component&filters%5Blifecycle%5D="
                        "experimental&pageLimit=5",
               &status);
    assert_int_equal(status, 200);
    assert_int_equal(count_of(body), PAYMENT_SERVICES / 3);
    assert_int_equal(json_array_size(json_object_get(body, "results")), 5);
    json_decref(body);

    body = get(fixture, "filters[lifecycle][]=experimental&filters[lifecycle][]=production",
               &status);
    assert_int_equal(status, 200);
    assert_int_equal(count_of(body), PAYMENT_SERVICES + 1);
    json_decref(body);
}

static void query_rejects_bad_parameters(void **state)
{
    api_fixture *fixture = *state;
    static const char *const bad[] = {
        "term=x&pageLimit=101",
        "term=x&pageLimit=abc",
        "term=x&types[0]=wiki",
        "term=x&pageCursor=%21%21",
        "term=x&filters[a][b]=c",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int status = 0;
        json_t *body = get(fixture, bad[i], &status);

        assert_int_equal(status, 400);
        assert_string_equal(json_string_value(json_object_get(json_object_get(body, "error"),
                                                              "name")),
                            "InputError");
        json_decref(body);
    }
}

static void reindex_command_while_serving(void **state)
{
    api_fixture *fixture = *state;
    /* Under GR_TEST_DB=pg the server's database comes from an overlay config,
     * which the command must read too. */
    const char *overlay = fixture->server.overlay_path;
    const char *const argv[] = {"search", "reindex", "--config", "app-config.yaml",
                                overlay ? "--config" : NULL, overlay, NULL};
    gr_test_output out;
    int status = 0;
    json_t *body;

    wait_indexed(fixture);
    out = gr_test_run(fixture->dir, argv);
    assert_int_equal(out.status, 0);
    if (strstr(out.out, "indexed 32 documents") == NULL)
        fprintf(stderr, "reindex printed: %s\n", out.out);
    /* 31 components and the Location entity that the config location emits. */
    assert_non_null(strstr(out.out, "indexed 32 documents"));
    gr_test_output_free(&out);

    body = get(fixture, "term=payments", &status);
    assert_int_equal(status, 200);
    assert_int_equal(count_of(body), PAYMENT_SERVICES);
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(query_needs_identity, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(query_has_backstage_shape, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(query_second_page_and_types, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(query_filters_and_limits, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(query_rejects_bad_parameters, api_setup, api_teardown),
        cmocka_unit_test_setup_teardown(reindex_command_while_serving, api_setup, api_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
