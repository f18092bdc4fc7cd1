/* SPDX-License-Identifier: MIT */
/* Crosses the limits on HTTP input of a real server and checks the status and the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/http/limits.h"
#include "host/permission/authorize.h"
#include "plugins/catalog/api/filter_sql.h"
#include "plugins/catalog/api/read.h"
#include "plugins/catalog/model/names.h"
#include "plugins/catalog/model/problems.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/search/search.h"
#include "plugins/techdocs/build/build.h"
#include "plugins/techdocs/build/files.h"
#include "plugins/techdocs/build/markdown.h"
#include "plugins/techdocs/entity.h"
#include "plugins/techdocs/path.h"
#include "plugins/techdocs/settings.h"

/*
 * One `greenroom serve` on SQLite serves every test. Each test sends the
 * request at the limit and one past it, and checks that only the second is
 * rejected, with the status and a message that names the limit. Handlers
 * return GR_ELIMIT as 413 PayloadTooLargeError, query parameters included.
 */

#define TOKEN "limits-test-token-1234"

static const char config_text[] = "backend:\n"
                                  "  listen:\n"
                                  "    port: ${GREENROOM_PORT}\n"
                                  "  database:\n"
                                  "    client: better-sqlite3\n"
                                  "    connection: ./data/greenroom.sqlite\n"
                                  "  auth:\n"
                                  "    externalAccess:\n"
                                  "      - type: static\n"
                                  "        options:\n"
                                  "          token: " TOKEN "\n"
                                  "          subject: limits-test\n"
                                  "catalog:\n"
                                  "  locations:\n"
                                  "    - {type: file, target: ./shop/catalog-info.yaml}\n";

static const char shop_entity[] = "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                                  "metadata:\n  name: shop\n  annotations:\n"
                                  "    backstage.io/techdocs-ref: dir:.\n"
                                  "spec:\n  type: service\n  lifecycle: production\n"
                                  "  owner: team-a\n";

static const char *const auth_headers[] = {"Authorization: Bearer " TOKEN,
                                           "Content-Type: application/json", NULL};

typedef struct {
    char *dir;
    gr_test_server server;
} limits_suite;

static limits_suite *S;

/* Waits until the catalog has stitched component:default/shop; returns 0 or -1 after 30 s. */
static int wait_for_shop(void)
{
    char *url = gr_xasprintf("%s/api/catalog/entities/by-name/component/default/shop",
                             S->server.base_url);
    struct timespec pause = {0, 100000000L};
    int status = 0;

    for (int i = 0; i < 300 && status != 200; i++) {
        gr_test_output res = gr_test_http("GET", url, auth_headers, NULL);

        status = res.status;
        gr_test_output_free(&res);
        if (status != 200)
            nanosleep(&pause, NULL);
    }
    free(url);
    return status == 200 ? 0 : -1;
}

static int suite_setup(void **state)
{
    limits_suite *suite = gr_xcalloc(1, sizeof(*suite));

    suite->dir = gr_test_tmpdir("limits-http");
    gr_test_write_file(suite->dir, "app-config.yaml", config_text);
    gr_test_write_file(suite->dir, "shop/catalog-info.yaml", shop_entity);
    if (gr_test_server_start(&suite->server, suite->dir, "app-config.yaml", 30000) != 0)
        return -1;
    S = suite;
    if (wait_for_shop() != 0)
        return -1;
    *state = suite;
    return 0;
}

static int suite_teardown(void **state)
{
    limits_suite *suite = *state;

    if (suite == NULL)
        return 0;
    gr_test_server_stop(&suite->server);
    gr_test_rmtree(suite->dir);
    free(suite->dir);
    free(suite);
    S = NULL;
    return 0;
}

/* Sends one request with the static token; the caller frees the output. */
static gr_test_output send(const char *method, const char *path, const char *body,
                           const char *const *headers)
{
    char *url = gr_xasprintf("%s%s", S->server.base_url, path);
    gr_test_output res = gr_test_http(method, url, headers ? headers : auth_headers, body);

    free(url);
    return res;
}

/* Sends the request and checks that the response is `status` with `message` in its body. */
static void expect_error(const char *method, const char *path, const char *body, int status,
                         const char *message)
{
    gr_test_output res = send(method, path, body, NULL);

    if (res.status != status)
        fail_msg("%s %.120s: expected %d, got %d: %.300s", method, path, status, res.status,
                 res.out ? res.out : "");
    if (res.out == NULL || strstr(res.out, message) == NULL)
        fail_msg("%s %.120s: the body lacks \"%s\": %.300s", method, path, message,
                 res.out ? res.out : "");
    gr_test_output_free(&res);
}

/* Sends the request and checks that the body does not contain `message`; returns the status. */
static int expect_no_limit(const char *method, const char *path, const char *body,
                           const char *message)
{
    gr_test_output res = send(method, path, body, NULL);
    int status = res.status;

    assert_true(status > 0);
    if (res.out != NULL && strstr(res.out, message) != NULL)
        fail_msg("%s %.120s at the limit was rejected: %.300s", method, path, res.out);
    gr_test_output_free(&res);
    return status;
}

/* Returns `path` with `count` query parameters, each `before`, its index and `after`. */
static char *repeated_params(const char *path, const char *before, const char *after, int count)
{
    gr_buf query = GR_BUF_INIT;

    gr_buf_puts(&query, path);
    for (int i = 0; i < count; i++)
        gr_buf_printf(&query, "%s%s%d%s", i == 0 ? "?" : "&", before, i, after);
    return gr_buf_detach(&query);
}

static char *repeated(char c, size_t count)
{
    char *text = gr_xmalloc(count + 1);

    memset(text, c, count);
    text[count] = '\0';
    return text;
}

static void catalog_by_refs_over_max(void **state)
{
    gr_buf body = GR_BUF_INIT;

    (void)state;
    gr_buf_puts(&body, "{\"entityRefs\":[");
    for (int i = 0; i < GR_CATALOG_BY_REFS_MAX; i++)
        gr_buf_printf(&body, "%s\"component:default/c%d\"", i ? "," : "", i);
    gr_buf_puts(&body, "]}");
    assert_int_equal(expect_no_limit("POST", "/api/catalog/entities/by-refs", gr_buf_cstr(&body),
                                     "Too many entityRefs"),
                     200);
    gr_buf_reset(&body);
    gr_buf_puts(&body, "{\"entityRefs\":[");
    for (int i = 0; i <= GR_CATALOG_BY_REFS_MAX; i++)
        gr_buf_printf(&body, "%s\"component:default/c%d\"", i ? "," : "", i);
    gr_buf_puts(&body, "]}");
    expect_error("POST", "/api/catalog/entities/by-refs", gr_buf_cstr(&body), 413,
                 "Too many entityRefs; at most 10000 per request");
    gr_buf_free(&body);
}

static void catalog_facets_over_max(void **state)
{
    char *at = repeated_params("/api/catalog/entity-facets", "facet=metadata.f", "",
                               GR_CATALOG_FACETS_MAX);
    char *over = repeated_params("/api/catalog/entity-facets", "facet=metadata.f", "",
                                 GR_CATALOG_FACETS_MAX + 1);

    (void)state;
    assert_int_equal(expect_no_limit("GET", at, NULL, "Too many facets"), 200);
    expect_error("GET", over, NULL, 413, "Too many facets; at most 50 per request");
    free(at);
    free(over);
}

static void catalog_filter_conditions_over_max(void **state)
{
    char *at = repeated_params("/api/catalog/entities/by-query", "filter=metadata.f", "",
                               GR_CATALOG_FILTER_MAX_CONDITIONS);
    char *over = repeated_params("/api/catalog/entities/by-query", "filter=metadata.f", "",
                                 GR_CATALOG_FILTER_MAX_CONDITIONS + 1);

    (void)state;
    assert_int_equal(expect_no_limit("GET", at, NULL, "filter conditions"), 200);
    expect_error("GET", over, NULL, 413,
                 "Invalid query: more than 100 filter conditions; use one key with several "
                 "values ($in, or key=a,key=b) instead of many conditions");
    free(at);
    free(over);
}

static void catalog_order_over_max(void **state)
{
    char *at = repeated_params("/api/catalog/entities", "order=asc:metadata.f", "",
                               GR_CATALOG_ORDER_MAX);
    char *over = repeated_params("/api/catalog/entities", "order=asc:metadata.f", "",
                                 GR_CATALOG_ORDER_MAX + 1);

    (void)state;
    assert_int_equal(expect_no_limit("GET", at, NULL, "Too many order"), 200);
    expect_error("GET", over, NULL, 413, "Too many order parameters; at most 8");
    free(at);
    free(over);
}

/* Returns a validate-entity body for a Component named `name`. */
static char *validate_body(const char *name)
{
    return gr_xasprintf("{\"location\":\"url:https://example.com/catalog-info.yaml\","
                        "\"entity\":{\"apiVersion\":\"backstage.io/v1alpha1\","
                        "\"kind\":\"Component\",\"metadata\":{\"name\":\"%s\"},"
                        "\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\","
                        "\"owner\":\"team-a\"}}}",
                        name);
}

static void catalog_entity_name_over_max(void **state)
{
    char *name = repeated('a', GR_MODEL_NAME_MAX + 1);
    char *body;

    (void)state;
    name[GR_MODEL_NAME_MAX] = '\0';
    body = validate_body(name);
    assert_int_equal(expect_no_limit("POST", "/api/catalog/validate-entity", body, "metadata.name"),
                     200);
    free(body);
    name[GR_MODEL_NAME_MAX] = 'a';
    body = validate_body(name);
    expect_error("POST", "/api/catalog/validate-entity", body, 400, "metadata.name");
    free(body);
    free(name);
}

static void search_types_over_max(void **state)
{
    char *at = repeated_params("/api/search/query", "types[", "]=t", GR_SEARCH_MAX_QUERY_TYPES);
    char *over = repeated_params("/api/search/query", "types[", "]=t", GR_SEARCH_MAX_QUERY_TYPES + 1);

    (void)state;
    expect_no_limit("GET", at, NULL, "more than 32 types");
    expect_error("GET", over, NULL, 400, "Invalid query string: more than 32 types");
    free(at);
    free(over);
}

static void search_filters_over_max(void **state)
{
    char *at = repeated_params("/api/search/query", "filters[k", "]=v", GR_SEARCH_MAX_FILTERS);
    char *over = repeated_params("/api/search/query", "filters[k", "]=v", GR_SEARCH_MAX_FILTERS + 1);

    (void)state;
    assert_int_equal(expect_no_limit("GET", at, NULL, "filters"), 200);
    expect_error("GET", over, NULL, 400, "Invalid query string: more than 16 filters");
    free(at);
    free(over);
}

static void search_filter_values_over_max(void **state)
{
    char *at =
        repeated_params("/api/search/query", "filters[k][]=v", "", GR_SEARCH_MAX_FILTER_VALUES);
    char *over =
        repeated_params("/api/search/query", "filters[k][]=v", "", GR_SEARCH_MAX_FILTER_VALUES + 1);

    (void)state;
    assert_int_equal(expect_no_limit("GET", at, NULL, "values"), 200);
    expect_error("GET", over, NULL, 400, "Invalid query string: filter 'k' has more than 64 values");
    free(at);
    free(over);
}

static void search_filter_bytes_over_max(void **state)
{
    char *value = repeated('v', GR_SEARCH_MAX_FILTER_BYTES + 1);
    char *path;

    (void)state;
    value[GR_SEARCH_MAX_FILTER_BYTES] = '\0';
    path = gr_xasprintf("/api/search/query?filters[%s]=%s", value, value);
    assert_int_equal(expect_no_limit("GET", path, NULL, "longer than"), 200);
    free(path);
    value[GR_SEARCH_MAX_FILTER_BYTES] = 'v';
    path = gr_xasprintf("/api/search/query?filters[%s]=v", value);
    expect_error("GET", path, NULL, 400, "a filter key is empty or longer than 256 bytes");
    free(path);
    path = gr_xasprintf("/api/search/query?filters[k]=%s", value);
    expect_error("GET", path, NULL, 400, "longer than 256 bytes");
    free(path);
    free(value);
}

static void search_term_over_max(void **state)
{
    char *term = repeated('t', GR_SEARCH_DEFAULT_MAX_TERM_LENGTH + 1);
    char *path;

    (void)state;
    term[GR_SEARCH_DEFAULT_MAX_TERM_LENGTH] = '\0';
    path = gr_xasprintf("/api/search/query?term=%s", term);
    assert_int_equal(expect_no_limit("GET", path, NULL, "term length"), 200);
    free(path);
    term[GR_SEARCH_DEFAULT_MAX_TERM_LENGTH] = 't';
    path = gr_xasprintf("/api/search/query?term=%s", term);
    expect_error("GET", path, NULL, 400, "the term length \\\"101\\\" is greater than \\\"100\\\"");
    free(path);
    free(term);
}

static void search_page_limit_over_max(void **state)
{
    (void)state;
    assert_int_equal(expect_no_limit("GET", "/api/search/query?pageLimit=100", NULL, "page limit"),
                     200);
    expect_error("GET", "/api/search/query?pageLimit=101", NULL, 400,
                 "the page limit \\\"101\\\" is greater than \\\"100\\\"");
}

/* Returns the page cursor of page `page` as the search API writes it. */
static char *page_cursor(long long page)
{
    char digits[32];
    unsigned char encoded[64];

    snprintf(digits, sizeof(digits), "%lld", page);
    EVP_EncodeBlock(encoded, (const unsigned char *)digits, (int)strlen(digits));
    return gr_xstrdup((const char *)encoded);
}

static void search_page_cursor_over_max(void **state)
{
    char *at = page_cursor(GR_SEARCH_MAX_PAGE);
    char *over = page_cursor(GR_SEARCH_MAX_PAGE + 1);
    char *path = gr_xasprintf("/api/search/query?pageCursor=%s", at);

    (void)state;
    assert_int_equal(expect_no_limit("GET", path, NULL, "pageCursor"), 200);
    free(path);
    path = gr_xasprintf("/api/search/query?pageCursor=%s", over);
    expect_error("GET", path, NULL, 400, "is not a cursor this service returned");
    free(path);
    free(at);
    free(over);
}

static void permission_items_over_max(void **state)
{
    gr_buf body = GR_BUF_INIT;

    (void)state;
    for (int count = GR_PERMISSION_MAX_AUTHORIZE_ITEMS; count <= GR_PERMISSION_MAX_AUTHORIZE_ITEMS + 1;
         count++) {
        gr_buf_reset(&body);
        gr_buf_puts(&body, "{\"items\":[");
        for (int i = 0; i < count; i++)
            gr_buf_printf(&body,
                          "%s{\"id\":\"%d\",\"permission\":{\"type\":\"basic\","
                          "\"name\":\"catalog.entity.create\",\"attributes\":{}}}",
                          i ? "," : "", i);
        gr_buf_puts(&body, "]}");
        if (count == GR_PERMISSION_MAX_AUTHORIZE_ITEMS)
            assert_int_equal(expect_no_limit("POST", "/api/permission/authorize",
                                             gr_buf_cstr(&body), "at most"),
                             200);
        else
            expect_error("POST", "/api/permission/authorize", gr_buf_cstr(&body), 413,
                         "at most 100 items may be authorized at once");
    }
    gr_buf_free(&body);
}

static void techdocs_name_over_max(void **state)
{
    char *name = repeated('n', GR_TECHDOCS_TRIPLET_PART_MAX + 1);
    char *path;

    (void)state;
    name[GR_TECHDOCS_TRIPLET_PART_MAX] = '\0';
    path = gr_xasprintf("/api/techdocs/metadata/entity/default/component/%s", name);
    assert_int_equal(expect_no_limit("GET", path, NULL, "longer than"), 404);
    free(path);
    name[GR_TECHDOCS_TRIPLET_PART_MAX] = 'n';
    path = gr_xasprintf("/api/techdocs/metadata/entity/default/component/%s", name);
    expect_error("GET", path, NULL, 400, "the name of the docs URL is longer than 253 bytes");
    free(path);
    free(name);
}

static void techdocs_path_over_max(void **state)
{
    char *file = repeated('p', GR_TECHDOCS_PATH_MAX + 1);
    char *path;

    (void)state;
    file[GR_TECHDOCS_PATH_MAX] = '\0';
    path = gr_xasprintf("/api/techdocs/static/docs/default/component/shop/%s", file);
    assert_int_equal(expect_no_limit("GET", path, NULL, "longer than"), 404);
    free(path);
    file[GR_TECHDOCS_PATH_MAX] = 'p';
    path = gr_xasprintf("/api/techdocs/static/docs/default/component/shop/%s", file);
    expect_error("GET", path, NULL, 400, "the docs path is longer than 1024 bytes");
    free(path);
    free(file);
}

static void scaffolder_values_over_max(void **state)
{
    /* The JSON of the values is {"v":"..."}: 8 bytes around the string. */
    char *text = repeated('x', GR_SCAFFOLDER_MAX_VALUES_BYTES - 8 + 1);
    char *body;

    (void)state;
    text[GR_SCAFFOLDER_MAX_VALUES_BYTES - 8] = '\0';
    body = gr_xasprintf("{\"templateRef\":\"template:default/missing\",\"values\":{\"v\":\"%s\"}}",
                        text);
    expect_no_limit("POST", "/api/scaffolder/v2/tasks", body, "larger than");
    free(body);
    text[GR_SCAFFOLDER_MAX_VALUES_BYTES - 8] = 'x';
    body = gr_xasprintf("{\"templateRef\":\"template:default/missing\",\"values\":{\"v\":\"%s\"}}",
                        text);
    expect_error("POST", "/api/scaffolder/v2/tasks", body, 413,
                 "values and secrets are larger than 524288 bytes");
    free(body);
    free(text);
}

static void catalog_problem_value_cut(void **state)
{
    char *name = repeated('a', GR_MODEL_VALUE_MAX + 80);
    char *body = validate_body(name);
    /* The quoted value is the JSON text, opening quote included, cut to the limit. */
    char *quoted = gr_xasprintf("invalid metadata.name \\\"%.*s...:", GR_MODEL_VALUE_MAX - 1, name);
    gr_test_output res = send("POST", "/api/catalog/validate-entity", body, NULL);

    (void)state;
    assert_int_equal(res.status, 400);
    assert_non_null(res.out);
    if (strstr(res.out, quoted) == NULL)
        fail_msg("the problem does not quote the name cut to %d bytes: %.400s",
                 GR_MODEL_VALUE_MAX, res.out);
    gr_test_output_free(&res);
    free(quoted);
    free(body);
    free(name);
}

/* Returns a validate-entity body whose annotation key has a prefix of `length` bytes. */
static char *annotation_body(size_t length)
{
    char *prefix = repeated('d', length);
    char *body = gr_xasprintf("{\"location\":\"url:https://example.com/catalog-info.yaml\","
                              "\"entity\":{\"apiVersion\":\"backstage.io/v1alpha1\","
                              "\"kind\":\"Component\",\"metadata\":{\"name\":\"shop\","
                              "\"annotations\":{\"%s/key\":\"v\"}},"
                              "\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\","
                              "\"owner\":\"team-a\"}}}",
                              prefix);

    /* A DNS subdomain is made of labels of at most 63 characters. */
    for (size_t i = 60; i < length; i += 61)
        body[strlen("{\"location\":\"url:https://example.com/catalog-info.yaml\","
                    "\"entity\":{\"apiVersion\":\"backstage.io/v1alpha1\","
                    "\"kind\":\"Component\",\"metadata\":{\"name\":\"shop\","
                    "\"annotations\":{\"") +
             i] = '.';
    free(prefix);
    return body;
}

static void catalog_annotation_prefix_over_max(void **state)
{
    char *at = annotation_body(GR_MODEL_DNS_SUBDOMAIN_MAX);
    char *over = annotation_body(GR_MODEL_DNS_SUBDOMAIN_MAX + 1);

    (void)state;
    assert_int_equal(expect_no_limit("POST", "/api/catalog/validate-entity", at, "annotations"),
                     200);
    expect_error("POST", "/api/catalog/validate-entity", over, 400, "/metadata/annotations/");
    free(at);
    free(over);
}

/* Returns a dry-run body of a template with `steps` debug:log steps. */
static char *dry_run_body(int steps, const char *each)
{
    gr_buf body = GR_BUF_INIT;

    gr_buf_puts(&body, "{\"values\":{},\"directoryContents\":[],\"template\":{"
                       "\"apiVersion\":\"scaffolder.backstage.io/v1beta3\","
                       "\"kind\":\"Template\",\"metadata\":{\"name\":\"limits\"},"
                       "\"spec\":{\"type\":\"service\",\"parameters\":{},\"steps\":[");
    for (int i = 0; i < steps; i++)
        gr_buf_printf(&body,
                      "%s{\"id\":\"s%d\",\"action\":\"debug:log\",%s"
                      "\"input\":{\"message\":\"step %d\"}}",
                      i ? "," : "", i, each ? each : "", i);
    gr_buf_puts(&body, "]}}}");
    return gr_buf_detach(&body);
}

static void scaffolder_steps_over_max(void **state)
{
    char *at = dry_run_body(GR_SCAFFOLDER_MAX_STEPS, NULL);
    char *over = dry_run_body(GR_SCAFFOLDER_MAX_STEPS + 1, NULL);

    (void)state;
    assert_int_equal(expect_no_limit("POST", "/api/scaffolder/v2/dry-run", at, "more than"), 200);
    expect_error("POST", "/api/scaffolder/v2/dry-run", over, 400,
                 "spec.steps has 201 steps, more than the limit of 200");
    free(at);
    free(over);
}

/* Returns `"each":[0,1,...],` with `count` items. */
static char *each_list(int count)
{
    gr_buf each = GR_BUF_INIT;

    gr_buf_puts(&each, "\"each\":[");
    for (int i = 0; i < count; i++)
        gr_buf_printf(&each, "%s%d", i ? "," : "", i);
    gr_buf_puts(&each, "],");
    return gr_buf_detach(&each);
}

static void scaffolder_each_over_max(void **state)
{
    char *at_each = each_list(GR_SCAFFOLDER_MAX_EACH);
    char *over_each = each_list(GR_SCAFFOLDER_MAX_EACH + 1);
    char *at = dry_run_body(1, at_each);
    char *over = dry_run_body(1, over_each);
    gr_test_output res;

    (void)state;
    assert_int_equal(expect_no_limit("POST", "/api/scaffolder/v2/dry-run", at, "more than"), 200);
    res = send("POST", "/api/scaffolder/v2/dry-run", over, NULL);
    /* A dry run returns 200 and reports the failed step in its log. */
    assert_int_equal(res.status, 200);
    assert_non_null(res.out);
    if (strstr(res.out, "each has 1001 items, more than the limit of 1000") == NULL)
        fail_msg("the dry run does not report the each limit: %.400s", res.out);
    gr_test_output_free(&res);
    free(at);
    free(over);
    free(at_each);
    free(over_each);
}

/* Returns the X-Request-Id the server sent back for `id` (caller frees). */
static char *echoed_request_id(const char *id)
{
    char *header = gr_xasprintf("X-Request-Id: %s", id);
    const char *const headers[] = {"Authorization: Bearer " TOKEN, header, NULL};
    gr_test_output res = send("GET", "/api/catalog/entities?limit=1", NULL, headers);
    const char *found = res.err ? strcasestr(res.err, "x-request-id: ") : NULL;
    char *echoed = NULL;

    assert_int_equal(res.status, 200);
    assert_non_null(found);
    found += strlen("x-request-id: ");
    echoed = gr_xstrndup(found, strcspn(found, "\r\n"));
    gr_test_output_free(&res);
    free(header);
    return echoed;
}

static void request_id_over_max(void **state)
{
    char *id = repeated('r', GR_HTTP_MAX_REQUEST_ID + 1);
    char *echoed;

    (void)state;
    id[GR_HTTP_MAX_REQUEST_ID] = '\0';
    echoed = echoed_request_id(id);
    assert_string_equal(echoed, id);
    free(echoed);
    id[GR_HTTP_MAX_REQUEST_ID] = 'r';
    echoed = echoed_request_id(id);
    assert_string_not_equal(echoed, id);
    assert_true(strlen(echoed) <= GR_HTTP_MAX_REQUEST_ID);
    free(echoed);
    free(id);
}

/* Writes a docs source under the suite folder: mkdocs.yml and docs/index.md with `index`. */
static char *write_docs(const char *name, const char *index)
{
    char *root = gr_xasprintf("%s/%s", S->dir, name);

    gr_test_write_file(root, "mkdocs.yml", "site_name: Limits\n");
    gr_test_write_file(root, "docs/index.md", index);
    return root;
}

/* Runs `greenroom techdocs build` on `root`; returns its exit status and, if given, stderr. */
static int build_docs(const char *root, char **err)
{
    char *out = gr_xasprintf("%s-site", root);
    gr_test_output res = gr_test_run(S->dir, (const char *const[]){"techdocs", "build", root, "-o",
                                                                    out, NULL});
    int status = res.status;

    if (err != NULL) {
        *err = res.err;
        res.err = NULL;
    }
    gr_test_output_free(&res);
    free(out);
    return status;
}

static void techdocs_page_over_max(void **state)
{
    char *page = repeated('x', GR_TECHDOCS_MAX_SOURCE_BYTES);
    char *root;
    char *err = NULL;

    (void)state;
    memcpy(page, "# Big\n", 6);
    page[GR_TECHDOCS_MAX_SOURCE_BYTES - 1] = '\n';
    root = write_docs("page-at", page);
    assert_int_equal(build_docs(root, NULL), 0);
    free(root);
    free(page);
    page = repeated('x', GR_TECHDOCS_MAX_SOURCE_BYTES + 1);
    memcpy(page, "# Big\n", 6);
    root = write_docs("page-over", page);
    assert_int_equal(build_docs(root, &err), 1);
    assert_non_null(err);
    if (strstr(err, "docs/index.md: larger than 8388608 bytes") == NULL)
        fail_msg("the build error does not name the page and the limit: %s", err);
    free(err);
    free(root);
    free(page);
}

/* Writes a page `depth` folders below docs_dir of `root`. */
static void write_deep_page(const char *root, int depth)
{
    gr_buf path = GR_BUF_INIT;

    gr_buf_puts(&path, "docs");
    for (int i = 0; i < depth; i++)
        gr_buf_puts(&path, "/f");
    gr_buf_puts(&path, "/deep.md");
    gr_test_write_file(root, gr_buf_cstr(&path), "# Deep\n");
    gr_buf_free(&path);
}

static void techdocs_folders_over_max(void **state)
{
    char *at = write_docs("deep-at", "# Home\n");
    char *over = write_docs("deep-over", "# Home\n");
    char *err = NULL;

    (void)state;
    write_deep_page(at, GR_TECHDOCS_MAX_DIR_DEPTH);
    write_deep_page(over, GR_TECHDOCS_MAX_DIR_DEPTH + 1);
    assert_int_equal(build_docs(at, NULL), 0);
    assert_int_equal(build_docs(over, &err), 1);
    assert_non_null(err);
    if (strstr(err, "folders nest deeper than 32 levels") == NULL)
        fail_msg("the build error does not name the folder limit: %s", err);
    free(err);
    free(at);
    free(over);
}

/* Returns a page of `count` admonitions, each nested in the one before. */
static char *nested_admonitions(int count)
{
    gr_buf page = GR_BUF_INIT;

    gr_buf_puts(&page, "# Nested\n\n");
    for (int i = 0; i < count; i++)
        gr_buf_printf(&page, "%*s!!! note \"Level %d\"\n\n", i * 4, "", i);
    gr_buf_printf(&page, "%*sThe innermost text.\n", count * 4, "");
    return gr_buf_detach(&page);
}

static void techdocs_blocks_over_max(void **state)
{
    /* The page itself is the first level, so one admonition fewer fits. */
    char *at_page = nested_admonitions(GR_TECHDOCS_MAX_BLOCK_DEPTH - 1);
    char *over_page = nested_admonitions(GR_TECHDOCS_MAX_BLOCK_DEPTH);
    char *at = write_docs("blocks-at", at_page);
    char *over = write_docs("blocks-over", over_page);
    char *err = NULL;

    (void)state;
    gr_test_write_file(at, "mkdocs.yml", "site_name: Limits\nmarkdown_extensions: [admonition]\n");
    gr_test_write_file(over, "mkdocs.yml",
                       "site_name: Limits\nmarkdown_extensions: [admonition]\n");
    assert_int_equal(build_docs(at, NULL), 0);
    assert_int_equal(build_docs(over, &err), 1);
    assert_non_null(err);
    if (strstr(err, "docs/index.md: line 66: blocks nest deeper than 32 levels") == NULL)
        fail_msg("the build error does not name the line and the limit: %s", err);
    free(err);
    free(at);
    free(over);
    free(at_page);
    free(over_page);
}

/* Runs `greenroom config check` on `yaml`; checks the exit status 2 and `message` on stderr. */
static void expect_config_error(const char *yaml, const char *message)
{
    gr_test_output res;

    gr_test_write_file(S->dir, "check.yaml", yaml);
    res = gr_test_run(S->dir, (const char *const[]){"config", "check", "--config", "check.yaml",
                                                    NULL});
    if (res.status != 2 || res.err == NULL || strstr(res.err, message) == NULL)
        fail_msg("config check: expected status 2 and \"%s\", got %d: %.300s", message,
                 res.status, res.err ? res.err : "");
    gr_test_output_free(&res);
}

static void expect_config_ok(const char *yaml)
{
    gr_test_output res;

    gr_test_write_file(S->dir, "check.yaml", yaml);
    res = gr_test_run(S->dir, (const char *const[]){"config", "check", "--config", "check.yaml",
                                                    NULL});
    if (res.status != 0)
        fail_msg("config check at the limit failed with %d: %.300s", res.status,
                 res.err ? res.err : "");
    gr_test_output_free(&res);
}

static void config_static_token_too_short(void **state)
{
    static const char format[] = "backend:\n  auth:\n    externalAccess:\n      - type: static\n"
                                 "        options:\n          token: %s\n          subject: x\n";
    char *at = gr_xasprintf(format, "abcdefgh");
    char *under = gr_xasprintf(format, "abcdefg");

    (void)state;
    expect_config_ok(at);
    expect_config_error(under, "options.token needs at least 8 characters");
    free(at);
    free(under);
}

static void config_techdocs_workers_over_max(void **state)
{
    char *at = gr_xasprintf("techdocs:\n  build:\n    workers: %d\n", GR_TECHDOCS_WORKERS_MAX);
    char *over = gr_xasprintf("techdocs:\n  build:\n    workers: %d\n", GR_TECHDOCS_WORKERS_MAX + 1);

    (void)state;
    expect_config_ok(at);
    expect_config_error(over, "techdocs.build.workers: must be from 1 to 16");
    free(at);
    free(over);
}

static void config_techdocs_wait_over_max(void **state)
{
    char *at = gr_xasprintf("techdocs:\n  build:\n    waitMs: %d\n", GR_TECHDOCS_WAIT_MAX_MS);
    char *over = gr_xasprintf("techdocs:\n  build:\n    waitMs: %d\n", GR_TECHDOCS_WAIT_MAX_MS + 1);

    (void)state;
    expect_config_ok(at);
    expect_config_error(over, "techdocs.build.waitMs: must be from 0 to 30000 milliseconds");
    free(at);
    free(over);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalog_by_refs_over_max),
        cmocka_unit_test(catalog_facets_over_max),
        cmocka_unit_test(catalog_filter_conditions_over_max),
        cmocka_unit_test(catalog_order_over_max),
        cmocka_unit_test(catalog_entity_name_over_max),
        cmocka_unit_test(catalog_problem_value_cut),
        cmocka_unit_test(catalog_annotation_prefix_over_max),
        cmocka_unit_test(scaffolder_steps_over_max),
        cmocka_unit_test(scaffolder_each_over_max),
        cmocka_unit_test(search_types_over_max),
        cmocka_unit_test(search_filters_over_max),
        cmocka_unit_test(search_filter_values_over_max),
        cmocka_unit_test(search_filter_bytes_over_max),
        cmocka_unit_test(search_term_over_max),
        cmocka_unit_test(search_page_limit_over_max),
        cmocka_unit_test(search_page_cursor_over_max),
        cmocka_unit_test(permission_items_over_max),
        cmocka_unit_test(techdocs_name_over_max),
        cmocka_unit_test(techdocs_path_over_max),
        cmocka_unit_test(scaffolder_values_over_max),
        cmocka_unit_test(request_id_over_max),
        cmocka_unit_test(techdocs_page_over_max),
        cmocka_unit_test(techdocs_folders_over_max),
        cmocka_unit_test(techdocs_blocks_over_max),
        cmocka_unit_test(config_static_token_too_short),
        cmocka_unit_test(config_techdocs_workers_over_max),
        cmocka_unit_test(config_techdocs_wait_over_max),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
