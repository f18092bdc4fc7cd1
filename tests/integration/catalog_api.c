/* SPDX-License-Identifier: MIT */
/* Integration tests of the catalog routes over HTTP: bodies, status codes and error bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/api/cursor.h"
#include "unit/store/db_fixture.h"
#include "catalog_api_auth.h"
#include "unit/catalogapi/catalog_fixture.h"

/* Response shapes captured from Backstage's catalog backend, relative to the repository. */
#define SHAPES "../shared/anchors/backstage/shapes"
#define TOKEN "catalog-api-test-token"

/* The server of one test group: a database with entities and the catalog routes. */
typedef struct {
    char *dir;
    gr_db *db;
    gr_http_server *server;
    gr_catalog_api *api;
    catalog_api_authenticator *auth;
    char *base;
} api_server;

static api_server srv;


static char *read_text(const char *path)
{
    FILE *file = fopen(path, "rb");
    gr_buf text = GR_BUF_INIT;
    char chunk[4096];
    size_t got;

    if (file == NULL)
        return NULL;
    while ((got = fread(chunk, 1, sizeof(chunk), file)) > 0)
        gr_buf_append(&text, chunk, got);
    fclose(file);
    return gr_buf_detach(&text);
}

/* Loads a captured body, or NULL when the shapes are not available. */
static json_t *load_shape(const char *name)
{
    char *path = gr_xasprintf("%s/%s.json", SHAPES, name);
    char *text = read_text(path);
    json_t *shape = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

    if (text == NULL)
        fprintf(stderr, "note: %s is missing; comparing with the built-in expectations only\n",
                path);
    free(text);
    free(path);
    return shape;
}

/* Inserts the captured entity of catalog_by_name_component plus generated ones. */
static void seed(gr_db *db)
{
    json_t *captured = load_shape("catalog_by_name_component");
    char *captured_text = captured ? json_dumps(captured, JSON_COMPACT) : NULL;
    const char *entities[40];
    char *owned[40] = {NULL};
    size_t count = 0;

    if (captured_text != NULL)
        entities[count++] = captured_text;
    for (int i = 0; i < 30; i++) {
        const char *kind = i % 3 == 0 ? "Group" : i % 3 == 1 ? "User" : "Component";

        owned[i] = gr_xasprintf(
            "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"%s\",\"metadata\":{\"name\":"
            "\"%s-%02d\",\"namespace\":\"default\",\"uid\":\"uid-%02d\",\"etag\":\"e\"},"
            "\"spec\":{\"type\":\"%s\",\"lifecycle\":\"%s\"},\"relations\":[]}",
            kind, i % 3 == 2 ? "payments-svc" : "entity", i, i, i % 2 ? "service" : "website",
            i % 4 ? "production" : "experimental");
        entities[count++] = owned[i];
    }
    catalog_fixture_insert(db, entities, count);
    for (int i = 0; i < 30; i++)
        free(owned[i]);
    free(captured_text);
    json_decref(captured);
}

static int group_setup(void **state)
{
    gr_db_options db_opts = {.client = "sqlite"};
    gr_http_options http_opts = {.port = 0};
    char *path;

    (void)state;
    srv.dir = gr_test_tmpdir("catalog-api");
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

/* Sends a request with the token; `path` is below /api/catalog. */
static gr_test_output call(const char *method, const char *path, const char *body)
{
    const char *headers[] = {"Authorization: Bearer " TOKEN, "Content-Type: application/json",
                             NULL};
    char *url = gr_xasprintf("%s%s", srv.base, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    return res;
}

static json_t *body_json(const gr_test_output *res)
{
    json_t *body = json_loads(res->out, JSON_DECODE_ANY, NULL);

    if (body == NULL)
        fail_msg("response body is not JSON: %s", res->out);
    return body;
}

/* Checks Backstage's error body: name, message, request and statusCode. */
static void assert_error_body(const gr_test_output *res, int status, const char *name,
                              const char *message, const char *method, const char *url)
{
    json_t *body = body_json(res);

    assert_int_equal(res->status, status);
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "error"), "name")),
                        name);
    if (message != NULL)
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(body, "error"), "message")),
            message);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "request"), "method")), method);
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "request"), "url")),
                        url);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(body, "response"), "statusCode")),
        status);
    json_decref(body);
}

/*
 * Compares key sets and value types down to `depth` levels; arrays by their
 * first items. Entities differ in their own fields, so callers stop above them.
 */
static void assert_same_shape(const json_t *got, const json_t *want, const char *where, int depth)
{
    const char *key;
    json_t *value;

    if (json_typeof(got) != json_typeof(want) &&
        !(json_is_number(got) && json_is_number(want)) &&
        !(json_is_boolean(got) && json_is_boolean(want)))
        fail_msg("%s: type %d, expected %d", where, json_typeof(got), json_typeof(want));
    if (depth == 0)
        return;
    if (json_is_object(want)) {
        json_object_foreach((json_t *)want, key, value)
        {
            char *inner = gr_xasprintf("%s.%s", where, key);

            if (json_object_get(got, key) == NULL)
                fail_msg("%s is missing", inner);
            assert_same_shape(json_object_get(got, key), value, inner, depth - 1);
            free(inner);
        }
        json_object_foreach((json_t *)got, key, value)
        {
            if (json_object_get(want, key) == NULL)
                fail_msg("%s.%s is not in the captured shape", where, key);
        }
    } else if (json_is_array(want) && json_array_size(want) > 0 && json_array_size(got) > 0) {
        assert_same_shape(json_array_get(got, 0), json_array_get(want, 0), where, depth - 1);
    }
}

static void auth_required(void **state)
{
    char *url = gr_xasprintf("%s/entities?limit=1", srv.base);
    const char *wrong[] = {"Authorization: Bearer nope", NULL};
    gr_test_output res = gr_test_http("GET", url, NULL, NULL);

    (void)state;
    assert_error_body(&res, 401, "AuthenticationError", NULL, "GET", "/entities?limit=1");
    gr_test_output_free(&res);
    res = gr_test_http("GET", url, wrong, NULL);
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    free(url);
}

static void by_name_found(void **state)
{
    json_t *captured = load_shape("catalog_by_name_component");
    gr_test_output res = call("GET", "/entities/by-name/component/default/report-proxy-0257", NULL);
    json_t *body;

    (void)state;
    if (captured == NULL) {
        gr_test_output_free(&res);
        skip();
    }
    assert_int_equal(res.status, 200);
    assert_non_null(strcasestr(res.err, "content-type: application/json; charset=utf-8"));
    body = body_json(&res);
    assert_true(json_equal(body, captured));
    json_decref(body);
    gr_test_output_free(&res);

    /* Kind, namespace and name match in any case. */
    res = call("GET", "/entities/by-name/Component/DEFAULT/Report-Proxy-0257", NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    json_decref(captured);
}

static void by_name_missing(void **state)
{
    json_t *captured = load_shape("catalog_by_name_404");
    gr_test_output res = call("GET", "/entities/by-name/component/default/does-not-exist", NULL);
    json_t *body = body_json(&res);

    (void)state;
    assert_error_body(&res, 404, "NotFoundError",
                      "No entity named 'does-not-exist' found, with kind 'component' in "
                      "namespace 'default'",
                      "GET", "/entities/by-name/component/default/does-not-exist");
    if (captured != NULL)
        assert_true(json_equal(body, captured));
    json_decref(body);
    json_decref(captured);
    gr_test_output_free(&res);
}

static void by_uid_routes(void **state)
{
    gr_test_output res = call("GET", "/entities/by-uid/uid-03", NULL);
    json_t *body = body_json(&res);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "metadata"), "name")), "entity-03");
    json_decref(body);
    gr_test_output_free(&res);

    res = call("GET", "/entities/by-uid/nope", NULL);
    assert_error_body(&res, 404, "NotFoundError", "No entity with uid nope", "GET",
                      "/entities/by-uid/nope");
    gr_test_output_free(&res);
}

/* Decodes a cursor string from a response. */
static json_t *decode_cursor(const json_t *encoded)
{
    size_t len = 0;
    char *text = gr_catalog_base64_decode(json_string_value(encoded), &len);
    json_t *cursor = json_loadb(text, len, 0, NULL);

    free(text);
    assert_non_null(cursor);
    return cursor;
}

/* Returns the decoded nextCursor of a captured page, or NULL. */
static json_t *captured_cursor(const char *name, const char *which)
{
    json_t *shape = load_shape(name);
    json_t *cursor = NULL;

    if (shape != NULL)
        cursor = decode_cursor(json_object_get(json_object_get(shape, "pageInfo"), which));
    json_decref(shape);
    return cursor;
}

static void by_query_pages(void **state)
{
    gr_test_output res = call("GET", "/entities/by-query?filter=kind=component&limit=2"
                                     "&orderField=metadata.name,asc",
                              NULL);
    json_t *body = body_json(&res);
    json_t *shape = load_shape("catalog_by_query_first_page");
    json_t *want_cursor = captured_cursor("catalog_by_query_first_page", "nextCursor");
    json_t *cursor;
    char *next_path;
    json_t *second;

    (void)state;
    assert_int_equal(res.status, 200);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), 11);
    assert_int_equal(json_array_size(json_object_get(body, "items")), 2);
    assert_null(json_object_get(json_object_get(body, "pageInfo"), "prevCursor"));
    if (shape != NULL)
        assert_same_shape(body, shape, "body", 3);
    cursor = decode_cursor(json_object_get(json_object_get(body, "pageInfo"), "nextCursor"));
    if (want_cursor != NULL)
        assert_same_shape(cursor, want_cursor, "cursor", 4);
    assert_string_equal(json_string_value(json_array_get(json_object_get(cursor,
                                                                         "orderFieldValues"),
                                                         0)),
                        "payments-svc-05");

    next_path = gr_xasprintf("/entities/by-query?limit=2&cursor=%s",
                             json_string_value(json_object_get(json_object_get(body, "pageInfo"),
                                                               "nextCursor")));
    gr_test_output_free(&res);
    res = call("GET", next_path, NULL);
    second = body_json(&res);
    assert_int_equal(res.status, 200);
    assert_int_equal(json_integer_value(json_object_get(second, "totalItems")), 11);
    assert_non_null(json_object_get(json_object_get(second, "pageInfo"), "prevCursor"));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(json_object_get(second, "items"), 0),
                                            "metadata"),
                            "name")),
                        "payments-svc-08");
    json_decref(second);
    json_decref(cursor);
    json_decref(want_cursor);
    json_decref(shape);
    json_decref(body);
    free(next_path);
    gr_test_output_free(&res);
}

static void by_query_bad_cursor(void **state)
{
    gr_test_output res = call("GET", "/entities/by-query?cursor=notacursor", NULL);
    json_t *body = body_json(&res);
    const char *message =
        json_string_value(json_object_get(json_object_get(body, "error"), "message"));

    (void)state;
    assert_error_body(&res, 400, "InputError", NULL, "GET",
                      "/entities/by-query?cursor=notacursor");
    assert_int_equal(strncmp(message, "Malformed cursor: ", 18), 0);
    json_decref(body);
    gr_test_output_free(&res);

    /* {"orderFields":[{"field":"metadata.name","order":"asc"}],"orderFieldValues":["api-b"],
     *  "isPrevious":false,"totalItems":8}: the order field's value without the entity id. */
    res = call("GET",
               "/entities/by-query?cursor=eyJvcmRlckZpZWxkcyI6W3siZmllbGQiOiJtZXRhZGF0YS5uYW1lIiw"
               "ib3JkZXIiOiJhc2MifV0sIm9yZGVyRmllbGRWYWx1ZXMiOlsiYXBpLWIiXSwiaXNQcmV2aW91cyI6ZmFsc2"
               "UsInRvdGFsSXRlbXMiOjh9",
               NULL);
    body = body_json(&res);
    message = json_string_value(json_object_get(json_object_get(body, "error"), "message"));
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(message, "Malformed cursor: orderFieldValues must hold"));
    json_decref(body);
    gr_test_output_free(&res);
}

static void by_query_fields_full_text(void **state)
{
    gr_test_output res = call("GET", "/entities/by-query?filter=kind=component&limit=2"
                                     "&fields=kind,metadata.name,spec.type"
                                     "&fullTextFilterTerm=PAYMENTS&fullTextFilterFields="
                                     "metadata.name",
                              NULL);
    json_t *body = body_json(&res);
    json_t *shape = load_shape("catalog_by_query_fields_and_fulltext");
    json_t *want_cursor = captured_cursor("catalog_by_query_fields_and_fulltext", "nextCursor");
    json_t *cursor;

    (void)state;
    assert_int_equal(res.status, 200);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), 10);
    if (shape != NULL)
        assert_same_shape(body, shape, "body", 3);
    cursor = decode_cursor(json_object_get(json_object_get(body, "pageInfo"), "nextCursor"));
    if (want_cursor != NULL)
        assert_same_shape(cursor, want_cursor, "cursor", 4);
    json_decref(cursor);
    json_decref(want_cursor);
    json_decref(shape);
    json_decref(body);
    gr_test_output_free(&res);
}

static void by_query_predicate_post(void **state)
{
    json_t *shape = load_shape("catalog_by_query_predicate_post");
    gr_test_output res = call("POST", "/entities/by-query",
                              "{\"query\":{\"$all\":[{\"kind\":\"component\"},{\"spec.type\":"
                              "{\"$in\":[\"website\"]}}]},\"limit\":2,\"fields\":[\"kind\","
                              "\"metadata.name\",\"spec.type\"]}");
    json_t *body = body_json(&res);
    json_t *cursor;

    (void)state;
    assert_int_equal(res.status, 200);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), 5);
    if (shape != NULL)
        assert_same_shape(body, shape, "body", 3);
    cursor = decode_cursor(json_object_get(json_object_get(body, "pageInfo"), "nextCursor"));
    assert_non_null(json_object_get(cursor, "query"));
    json_decref(cursor);
    json_decref(body);
    gr_test_output_free(&res);

    res = call("POST", "/entities/by-query", "{\"query\":{\"$nope\":1}}");
    assert_error_body(&res, 400, "InputError", NULL, "POST", "/entities/by-query");
    gr_test_output_free(&res);
    res = call("POST", "/entities/by-query", "{\"cursor\":\"\"}");
    assert_error_body(&res, 400, "InputError", "Cursor cannot be empty", "POST",
                      "/entities/by-query");
    gr_test_output_free(&res);
    json_decref(shape);
}

static void by_refs_batch(void **state)
{
    json_t *shape = load_shape("catalog_by_refs");
    gr_test_output res =
        call("POST", "/entities/by-refs",
             "{\"entityRefs\":[\"component:default/report-proxy-0257\","
             "\"component:default/does-not-exist\"],\"fields\":[\"kind\",\"metadata.name\"]}");
    json_t *body = body_json(&res);

    (void)state;
    assert_int_equal(res.status, 200);
    if (shape != NULL)
        assert_true(json_equal(body, shape));
    json_decref(body);
    gr_test_output_free(&res);

    res = call("POST", "/entities/by-refs", "{\"fields\":[]}");
    assert_error_body(&res, 400, "InputError", NULL, "POST", "/entities/by-refs");
    gr_test_output_free(&res);
    json_decref(shape);
}

/* A by-refs body that names one entity. */
#define BY_REFS_BODY "{\"entityRefs\":[\"component:default/report-proxy-0257\"]}"

/*
 * Posts `body` to by-refs with `type` as the Content-Type, or without one when NULL
 * ("Content-Type:" stops curl from adding its form type), and with `encoding` as the
 * Content-Encoding when not NULL.
 */
static gr_test_output by_refs_sent(const char *type, const char *encoding, const char *body)
{
    char *type_header = type ? gr_xasprintf("Content-Type: %s", type) : gr_xstrdup("Content-Type:");
    char *encoding_header = encoding ? gr_xasprintf("Content-Encoding: %s", encoding) : NULL;
    const char *headers[] = {"Authorization: Bearer " TOKEN, type_header, encoding_header, NULL};
    char *url = gr_xasprintf("%s/entities/by-refs", srv.base);
    gr_test_output res = gr_test_http("POST", url, headers, body);

    free(url);
    free(encoding_header);
    free(type_header);
    return res;
}

/* Backstage reads a body only when it is sent as application/json. */
static void body_needs_json_type(void **state)
{
    gr_test_output res = by_refs_sent("text/plain", NULL, BY_REFS_BODY);

    (void)state;
    assert_error_body(&res, 400, "InputError",
                      "The request body must be JSON with Content-Type application/json, not "
                      "text/plain",
                      "POST", "/entities/by-refs");
    gr_test_output_free(&res);

    res = by_refs_sent(NULL, NULL, BY_REFS_BODY);
    assert_error_body(&res, 400, "InputError",
                      "The request body needs the header Content-Type: application/json", "POST",
                      "/entities/by-refs");
    gr_test_output_free(&res);

    res = by_refs_sent("Application/JSON ; charset=utf-8", NULL, BY_REFS_BODY);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
}

/* A compressed body gets a message that names the encoding, not a JSON syntax error. */
static void body_encoding_named(void **state)
{
    gr_test_output res = by_refs_sent("application/json", "gzip", "\x1f\x8b\x08\x00");

    (void)state;
    assert_error_body(&res, 400, "InputError",
                      "The request body is sent with Content-Encoding gzip, which is not "
                      "supported. Send it uncompressed",
                      "POST", "/entities/by-refs");
    gr_test_output_free(&res);
}

static void legacy_list_paged(void **state)
{
    json_t *shape = load_shape("catalog_entities_legacy_list");
    gr_test_output res = call("GET", "/entities?filter=kind=group&limit=2", NULL);
    json_t *body = body_json(&res);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_int_equal(json_array_size(body), 2);
    if (shape != NULL)
        assert_same_shape(json_array_get(body, 0), json_array_get(shape, 0), "item", 1);
    assert_non_null(strcasestr(res.err, "link: </entities?filter=kind%3Dgroup&limit=2&after="
                                        "eyJsaW1pdCI6Miwib2Zmc2V0IjoyfQ%3D%3D>; rel=\"next\""));
    json_decref(body);
    json_decref(shape);
    gr_test_output_free(&res);

    res = call("GET", "/entities?filter=kind=group&after=eyJsaW1pdCI6Miwib2Zmc2V0IjoyfQ%3D%3D"
                      "&fields=metadata.name",
               NULL);
    body = body_json(&res);
    assert_int_equal(res.status, 200);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(body, 0), "metadata"), "name")),
                        "entity-06");
    json_decref(body);
    gr_test_output_free(&res);

    res = call("GET", "/entities?limit=0", NULL);
    assert_error_body(&res, 400, "InputError", "Invalid limit, must be greater than zero", "GET",
                      "/entities?limit=0");
    gr_test_output_free(&res);
    res = call("GET", "/entities?limit=abc", NULL);
    assert_error_body(&res, 400, "InputError", "request/query/limit must be integer", "GET",
                      "/entities?limit=abc");
    gr_test_output_free(&res);
}

/* The largest limits, from the query or an after cursor, page without overflow. */
static void legacy_list_extreme_limits(void **state)
{
    gr_test_output res = call("GET", "/entities?filter=kind=group&limit=9223372036854775807", NULL);
    json_t *body = body_json(&res);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_true(json_array_size(body) > 2);
    assert_null(strcasestr(res.err, "link:"));
    json_decref(body);
    gr_test_output_free(&res);

    res = call("GET", "/entities?filter=kind=group&limit=1&offset=9223372036854775807", NULL);
    body = body_json(&res);
    assert_int_equal(res.status, 200);
    assert_int_equal(json_array_size(body), 0);
    json_decref(body);
    gr_test_output_free(&res);

    res = call("GET", "/entities?filter=kind=group&after=eyJsaW1pdCI6OTIyMzM3MjAzNjg1NDc3NTgwNywib2Zmc2V0IjoxfQ%3D%3D", NULL);
    body = body_json(&res);
    assert_int_equal(res.status, 200);
    assert_true(json_array_size(body) > 1);
    json_decref(body);
    gr_test_output_free(&res);

    res = call("GET", "/entities?after=eyJsaW1pdCI6LTF9", NULL);
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.out, "Malformed after cursor, limit must be greater than zero"));
    gr_test_output_free(&res);
    res = call("GET", "/entities?after=eyJsaW1pdCI6Miwib2Zmc2V0IjotM30%3D", NULL);
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.out, "Malformed after cursor, offset must be >= 0"));
    gr_test_output_free(&res);

    /* A repeated limit is an array to Backstage's query parser, not an integer. */
    res = call("GET", "/entities?limit=1&limit=2", NULL);
    assert_error_body(&res, 400, "InputError", "request/query/limit must be integer", "GET",
                      "/entities?limit=1&limit=2");
    gr_test_output_free(&res);
    res = call("GET", "/entities/by-query?limit=1&limit=2", NULL);
    assert_error_body(&res, 400, "InputError", "request/query/limit must be integer", "GET",
                      "/entities/by-query?limit=1&limit=2");
    gr_test_output_free(&res);
    res = call("GET", "/entities?limit%5B%5D=1", NULL);
    assert_error_body(&res, 400, "InputError", "request/query/limit must be integer", "GET",
                      "/entities?limit%5B%5D=1");
    gr_test_output_free(&res);
}

static void legacy_list_whole(void **state)
{
    gr_test_output res = call("GET", "/entities?filter=kind=user&fields=metadata.name", NULL);
    json_t *body = body_json(&res);

    (void)state;
    assert_int_equal(res.status, 200);
    assert_int_equal(json_array_size(body), 10);
    assert_null(strcasestr(res.err, "link:"));
    json_decref(body);
    gr_test_output_free(&res);

    res = call("GET", "/entities?filter==x", NULL);
    assert_error_body(&res, 400, "InputError",
                      "Invalid filter, '=x' is not a valid statement (expected a string on the "
                      "form a=b or a= or a)",
                      "GET", "/entities?filter==x");
    gr_test_output_free(&res);
}

static void facets_routes(void **state)
{
    json_t *shape = load_shape("catalog_entity_facets_multi_filtered");
    gr_test_output res = call("GET", "/entity-facets?facet=spec.type&facet=spec.lifecycle"
                                     "&filter=kind=component",
                              NULL);
    json_t *body = body_json(&res);
    char *text;

    (void)state;
    assert_int_equal(res.status, 200);
    if (shape != NULL)
        assert_same_shape(body, shape, "body", 3);
    text = json_dumps(body, JSON_COMPACT);
    assert_string_equal(text, "{\"facets\":{\"spec.type\":[{\"value\":\"service\",\"count\":6},"
                              "{\"value\":\"website\",\"count\":5}],\"spec.lifecycle\":[{"
                              "\"value\":\"deprecated\",\"count\":1},{\"value\":\"experimental\","
                              "\"count\":2},{\"value\":\"production\",\"count\":8}]}}");
    free(text);
    json_decref(body);
    json_decref(shape);
    gr_test_output_free(&res);

    res = call("GET", "/entity-facets", NULL);
    assert_error_body(&res, 400, "InputError", "Missing facet parameter", "GET",
                      "/entity-facets");
    gr_test_output_free(&res);
    res = call("POST", "/entity-facets", "{\"facets\":[\"kind\"],\"query\":{\"kind\":\"user\"}}");
    body = body_json(&res);
    assert_int_equal(res.status, 200);
    text = json_dumps(body, JSON_COMPACT);
    assert_string_equal(text, "{\"facets\":{\"kind\":[{\"value\":\"User\",\"count\":10}]}}");
    free(text);
    json_decref(body);
    gr_test_output_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auth_required),         cmocka_unit_test(by_name_found),
        cmocka_unit_test(by_name_missing),       cmocka_unit_test(by_uid_routes),
        cmocka_unit_test(by_query_pages),        cmocka_unit_test(by_query_bad_cursor),
        cmocka_unit_test(by_query_fields_full_text), cmocka_unit_test(by_query_predicate_post),
        cmocka_unit_test(by_refs_batch),         cmocka_unit_test(body_needs_json_type),
        cmocka_unit_test(body_encoding_named),
        cmocka_unit_test(legacy_list_paged),
        cmocka_unit_test(legacy_list_extreme_limits),
        cmocka_unit_test(legacy_list_whole),     cmocka_unit_test(facets_routes),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
