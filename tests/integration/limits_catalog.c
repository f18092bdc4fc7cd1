/* SPDX-License-Identifier: MIT */
/* Integration tests that cross the catalog API's page size limits over HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/api/query.h"
#include "unit/store/db_fixture.h"
#include "catalog_api_auth.h"
#include "unit/catalogapi/catalog_fixture.h"

#define TOKEN "catalog-limits-test-token"

/* One entity more than the largest page. */
#define ENTITY_COUNT (GR_CATALOG_QUERY_MAX_LIMIT + 1)

static struct {
    char *dir;
    gr_db *db;
    gr_http_server *server;
    gr_catalog_api *api;
    catalog_api_authenticator *auth;
    char *base;
} srv;

/* Fills the tables with ENTITY_COUNT components, in transactions of 1000. */
static void seed(gr_db *db)
{
    for (int from = 0; from < ENTITY_COUNT; from += 1000) {
        int to = from + 1000 < ENTITY_COUNT ? from + 1000 : ENTITY_COUNT;
        char **batch = gr_xcalloc((size_t)(to - from), sizeof(*batch));

        for (int i = from; i < to; i++)
            batch[i - from] = gr_xasprintf(
                "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":"
                "{\"name\":\"c%05d\",\"namespace\":\"default\",\"uid\":\"uid-%05d\",\"etag\":"
                "\"e\"},\"spec\":{\"type\":\"service\"},\"relations\":[]}",
                i, i);
        catalog_fixture_insert(db, (const char *const *)batch, (size_t)(to - from));
        for (int i = from; i < to; i++)
            free(batch[i - from]);
        free(batch);
    }
}

static int group_setup(void **state)
{
    gr_db_options db_opts = {.client = "sqlite"};
    gr_http_options http_opts = {.port = 0};
    char *path;

    (void)state;
    srv.dir = gr_test_tmpdir("catalog-limits");
    path = gr_xasprintf("%s/catalog.sqlite", srv.dir);
    db_opts.path = path;
    if (gr_db_open(&srv.db, &db_opts) != GR_OK)
        return -1;
    free(path);
    catalog_fixture_schema(srv.db);
    seed(srv.db);
    if (gr_http_server_new(&srv.server, &http_opts) != GR_OK)
        return -1;
    srv.auth = catalog_api_auth(srv.server, srv.dir, TOKEN);
    if (srv.auth == NULL)
        return -1;
    if (gr_catalog_api_register_reads(srv.db, srv.server, NULL, &srv.api) != GR_OK ||
        gr_http_server_start(srv.server) != GR_OK)
        return -1;
    srv.base = gr_xasprintf("http://127.0.0.1:%d/api/catalog", gr_http_server_port(srv.server));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    gr_http_server_free(srv.server);
    gr_catalog_api_free(srv.api);
    catalog_api_auth_free(srv.auth);
    gr_db_close(srv.db);
    gr_test_rmtree(srv.dir);
    free(srv.dir);
    free(srv.base);
    return 0;
}

/* GETs `path` below /api/catalog and returns the JSON body; fails unless 200. */
static json_t *get_json(const char *path)
{
    const char *headers[] = {"Authorization: Bearer " TOKEN, NULL};
    char *url = gr_xasprintf("%s%s", srv.base, path);
    gr_test_output res = gr_test_http("GET", url, headers, NULL);
    json_t *body;

    if (res.status != 200)
        fail_msg("GET %s: status %d: %s", path, res.status, res.out);
    body = json_loads(res.out, 0, NULL);
    assert_non_null(body);
    gr_test_output_free(&res);
    free(url);
    return body;
}

static const char *next_cursor(const json_t *body)
{
    return json_string_value(json_object_get(json_object_get(body, "pageInfo"), "nextCursor"));
}

static void query_default_limit(void **state)
{
    json_t *body = get_json("/entities/by-query?fields=metadata.name");

    (void)state;
    assert_int_equal(json_array_size(json_object_get(body, "items")),
                     GR_CATALOG_QUERY_DEFAULT_LIMIT);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), ENTITY_COUNT);
    assert_non_null(next_cursor(body));
    json_decref(body);
}

/* A limit past the maximum is lowered to it, and the rest follows by cursor. */
static void query_limit_over_max_lowered(void **state)
{
    char path[128];
    json_t *body;
    char *next_path;

    (void)state;
    snprintf(path, sizeof(path), "/entities/by-query?fields=metadata.name&limit=%d",
             GR_CATALOG_QUERY_MAX_LIMIT + 1);
    body = get_json(path);
    assert_int_equal(json_array_size(json_object_get(body, "items")), GR_CATALOG_QUERY_MAX_LIMIT);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), ENTITY_COUNT);
    assert_non_null(next_cursor(body));

    next_path = gr_xasprintf("/entities/by-query?fields=metadata.name&cursor=%s",
                             next_cursor(body));
    json_decref(body);
    body = get_json(next_path);
    assert_int_equal(json_array_size(json_object_get(body, "items")), 1);
    assert_null(next_cursor(body));
    json_decref(body);
    free(next_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_default_limit),
        cmocka_unit_test(query_limit_over_max_lowered),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
