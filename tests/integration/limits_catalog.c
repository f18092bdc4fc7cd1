/* SPDX-License-Identifier: MIT */
/* Integration tests that cross the catalog API's page sizes over HTTP and the validate CLI's
 * limits. */
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
#include "host/common/buf.h"
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

/* GETs `path` below /api/catalog and returns the JSON body, failing the test unless the status is
 * 200. */
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

    next_path =
        gr_xasprintf("/entities/by-query?fields=metadata.name&cursor=%s", next_cursor(body));
    json_decref(body);
    body = get_json(next_path);
    assert_int_equal(json_array_size(json_object_get(body, "items")), 1);
    assert_null(next_cursor(body));
    json_decref(body);
    free(next_path);
}

/* Runs `greenroom catalog validate --format json PATH` and returns its output. */
static gr_test_output validate(const char *path)
{
    const char *argv[] = {"catalog", "validate", "--format", "json", path, NULL};

    return gr_test_run(NULL, argv);
}

/* Writes a YAML file of `len` bytes: one component, then a comment that fills the rest. */
static void write_yaml_of_size(const char *dir, const char *name, size_t len)
{
    static const char entity[] = "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                                 "metadata: {name: big}\n"
                                 "spec: {type: service, lifecycle: production, owner: team}\n#";
    char *text = gr_xmalloc(len + 1);

    memset(text, 'x', len);
    memcpy(text, entity, sizeof(entity) - 1);
    text[len - 1] = '\n';
    text[len] = '\0';
    gr_test_write_file(dir, name, text);
    free(text);
}

static void validate_file_over_max_rejected(void **state)
{
    char *at_max = gr_xasprintf("%s/at-max.yaml", srv.dir);
    char *over_max = gr_xasprintf("%s/over-max.yaml", srv.dir);
    gr_test_output out;

    (void)state;
    write_yaml_of_size(srv.dir, "at-max.yaml", (size_t)8 << 20);
    write_yaml_of_size(srv.dir, "over-max.yaml", ((size_t)8 << 20) + 1);
    out = validate(at_max);
    assert_int_equal(out.status, 0);
    gr_test_output_free(&out);

    out = validate(over_max);
    assert_int_equal(out.status, 1);
    assert_non_null(strstr(out.out, over_max));
    assert_non_null(strstr(out.out, "the file is larger than 8388608 bytes"));
    gr_test_output_free(&out);
    free(over_max);
    free(at_max);
}

/* A folder more than 32 levels below the PATH given is not searched, with a note. */
static void validate_folder_over_max_noted(void **state)
{
    gr_buf rel = GR_BUF_INIT;
    char *root = gr_xasprintf("%s/deep", srv.dir);
    char *text = NULL;
    gr_test_output out;

    (void)state;
    gr_buf_puts(&rel, "deep");
    for (int i = 1; i <= 33; i++) {
        gr_buf_printf(&rel, "/d%d", i);
        if (i >= 32) {
            char *name = gr_xasprintf("%s/c%d.yaml", gr_buf_cstr(&rel), i);

            text = gr_xasprintf("apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                                "metadata: {name: c%d}\n"
                                "spec: {type: service, lifecycle: production, owner: team}\n",
                                i);
            gr_test_write_file(srv.dir, name, text);
            free(text);
            free(name);
        }
    }
    out = validate(root);
    assert_int_equal(out.status, 0);
    assert_non_null(strstr(out.out, "component:default/c32"));
    assert_null(strstr(out.out, "component:default/c33"));
    assert_non_null(strstr(out.err, "/d33: note: not searched, because it is more than 32 "
                                    "folders below the PATH given"));
    gr_test_output_free(&out);
    gr_buf_free(&rel);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_default_limit),
        cmocka_unit_test(query_limit_over_max_lowered),
        cmocka_unit_test(validate_file_over_max_rejected),
        cmocka_unit_test(validate_folder_over_max_noted),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
