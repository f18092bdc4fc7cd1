/* SPDX-License-Identifier: MIT */
/* Integration tests of the catalog routes that go through the engine, over HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/http/http.h"
#include "host/permission/permission.h"
#include "plugins/catalog/api/api.h"
#include "unit/engine/engine_fixture.h"
#include "support/silent_source.h"
#include "catalog_api_auth.h"

#define TOKEN "catalog-api-engine-token"

static const char root_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Location\n"
    "metadata:\n  name: root\n"
    "spec:\n  targets:\n    - ./org.yaml\n";

static const char org_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Group\n"
    "metadata:\n  name: team-a\n"
    "spec:\n  type: team\n  children: []\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n  name: shop\n"
    "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";

static const char config[] =
    "{\"backend\": {\"reading\": {\"allow\": [{\"host\": \"127.0.0.1:9\"}]}},"
    " \"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"API\", \"Location\", \"Group\", "
    "\"User\", \"System\", \"Domain\", \"Resource\"]}],"
    " \"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/root.yaml\"}]}}";

typedef struct slow_reads slow_reads;

/* The engine, its catalog and a server with every catalog route. */
typedef struct {
    engine_fixture *engine;
    gr_http_server *server;
    gr_catalog_api *api;
    catalog_api_authenticator *auth;
    char *base;
    slow_reads *slow; /* the silent source and the clients of slow_reads_* tests, or NULL */
    gr_permission_policy *policy; /* the routes' policy, or NULL for none */
} api_fixture;


/* The same configuration with catalog.readonly set. */
static const char readonly_config[] =
    "{\"backend\": {\"reading\": {\"allow\": [{\"host\": \"127.0.0.1:9\"}]}},"
    " \"catalog\": {\"readonly\": true, \"rules\": [{\"allow\": [\"Component\", \"API\", "
    "\"Location\", \"Group\", \"User\", \"System\", \"Domain\", \"Resource\"]}],"
    " \"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/root.yaml\"}]}}";

/* The same configuration with file locations allowed for registration. */
static const char file_locations_config[] =
    "{\"backend\": {\"reading\": {\"allow\": [{\"host\": \"127.0.0.1:9\"}]}},"
    " \"catalog\": {\"allowedLocationTypes\": [\"url\", \"file\"], \"rules\": [{\"allow\": "
    "[\"Component\", \"API\", \"Location\", \"Group\", \"User\", \"System\", \"Domain\", "
    "\"Resource\"]}],"
    " \"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/root.yaml\"}]}}";

static int setup_with(void **state, const char *engine_config, const gr_http_options *opts)
{
    api_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));

    if (engine_setup(state) != 0) {
        free(fixture);
        return -1;
    }
    fixture->engine = *state;
    engine_write(fixture->engine, "root.yaml", root_yaml);
    engine_write(fixture->engine, "org.yaml", org_yaml);
    engine_start(fixture->engine, engine_config);
    engine_idle(fixture->engine);
    if (gr_http_server_new(&fixture->server, opts) != GR_OK)
        return -1;
    fixture->auth = catalog_api_auth(fixture->server, fixture->engine->dir, TOKEN);
    if (fixture->auth == NULL)
        return -1;
    if (gr_catalog_api_register(fixture->engine->catalog, fixture->server, NULL,
                                &fixture->api) != GR_OK ||
        gr_http_server_start(fixture->server) != GR_OK)
        return -1;
    fixture->base =
        gr_xasprintf("http://127.0.0.1:%d/api/catalog", gr_http_server_port(fixture->server));
    *state = fixture;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, config, NULL);
}

static int setup_readonly(void **state)
{
    return setup_with(state, readonly_config, NULL);
}

static int setup_file_locations(void **state)
{
    return setup_with(state, file_locations_config, NULL);
}

#define ADMIN_TOKEN "catalog-history-admin-token"
#define READER_TOKEN "catalog-history-reader-token"

/* Two static tokens: "external:admin-bot" and "external:reader". */
static const char history_auth_yaml[] = "backend:\n"
                                        "  auth:\n"
                                        "    externalAccess:\n"
                                        "      - type: static\n"
                                        "        options:\n"
                                        "          token: " ADMIN_TOKEN "\n"
                                        "          subject: admin-bot\n"
                                        "      - type: static\n"
                                        "        options:\n"
                                        "          token: " READER_TOKEN "\n"
                                        "          subject: reader\n";

/* The admin bot may do everything, others read and refresh what is not marked secret. */
static const char history_policy[] =
    "{\"enabled\": true, \"rules\": ["
    "{\"allow\": \"*\", \"when\": {\"isService\": [\"external:admin-bot\"]}},"
    "{\"allow\": [\"catalog.entity.read\", \"catalog.entity.refresh\"], \"when\": {\"not\": "
    "{\"hasAnnotation\": {\"annotation\": \"example.com/secret\", \"value\": \"true\"}}}}]}";

/* Formats org.yaml with a third entity, the component vault with `metadata` (YAML lines) in its metadata. */
static char *org_with_vault(const char *metadata)
{
    return gr_xasprintf("%s---\n"
                        "apiVersion: backstage.io/v1alpha1\n"
                        "kind: Component\n"
                        "metadata:\n  name: vault\n%s"
                        "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
                        org_yaml, metadata);
}

/* The first version of vault: secret, with a value only admins may see. */
static const char vault_secret[] = "  description: TOPSECRET-PASSWORD-123\n"
                                   "  annotations:\n    example.com/secret: \"true\"\n";

/* The catalog of setup() with vault, the two tokens and the policy above. */
static int setup_history(void **state)
{
    api_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));
    json_t *policy = json_loads(history_policy, 0, NULL);
    char *org = org_with_vault(vault_secret);
    int rc;

    if (engine_setup(state) != 0) {
        free(fixture);
        json_decref(policy);
        free(org);
        return -1;
    }
    fixture->engine = *state;
    *state = fixture;
    engine_write(fixture->engine, "root.yaml", root_yaml);
    engine_write(fixture->engine, "org.yaml", org);
    free(org);
    engine_start(fixture->engine, config);
    engine_idle(fixture->engine);
    rc = gr_permission_policy_from_json(&fixture->policy, policy);
    json_decref(policy);
    if (rc != GR_OK || gr_http_server_new(&fixture->server, NULL) != GR_OK)
        return -1;
    fixture->auth = catalog_api_auth_yaml(fixture->server, fixture->engine->dir,
                                          history_auth_yaml);
    if (fixture->auth == NULL ||
        gr_catalog_api_register(fixture->engine->catalog, fixture->server, fixture->policy,
                                &fixture->api) != GR_OK ||
        gr_http_server_start(fixture->server) != GR_OK)
        return -1;
    fixture->base =
        gr_xasprintf("http://127.0.0.1:%d/api/catalog", gr_http_server_port(fixture->server));
    return 0;
}

static void slow_reads_free(slow_reads *slow);

static int teardown(void **state)
{
    api_fixture *fixture = *state;
    void *engine_state = fixture->engine;

    /* Before the server stops, because stop waits for the reads of the silent source. */
    slow_reads_free(fixture->slow);
    gr_http_server_free(fixture->server);
    gr_catalog_api_free(fixture->api);
    gr_permission_policy_free(fixture->policy);
    catalog_api_auth_free(fixture->auth);
    free(fixture->base);
    free(fixture);
    return engine_teardown(&engine_state);
}

static gr_test_output call(api_fixture *fixture, const char *method, const char *path,
                           const char *body)
{
    const char *headers[] = {"Authorization: Bearer " TOKEN, "Content-Type: application/json",
                             NULL};
    char *url = gr_xasprintf("%s%s", fixture->base, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    return res;
}

/* Checks status, error name and message (when given) of Backstage's error body. */
static void assert_error(const gr_test_output *res, int status, const char *name,
                         const char *message)
{
    json_t *body = json_loads(res->out, 0, NULL);
    const json_t *error = json_object_get(body, "error");

    assert_int_equal(res->status, status);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(error, "name")), name);
    if (message != NULL)
        assert_string_equal(json_string_value(json_object_get(error, "message")), message);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(body, "response"), "statusCode")),
        status);
    json_decref(body);
}

static json_t *body_of(const gr_test_output *res)
{
    json_t *body = json_loads(res->out, JSON_DECODE_ANY, NULL);

    if (body == NULL)
        fail_msg("not JSON (status %d): %s", res->status, res->out);
    return body;
}

static void locations_lifecycle(void **state)
{
    api_fixture *fixture = *state;
    gr_test_output res = call(fixture, "GET", "/locations", NULL);
    json_t *body = body_of(&res);
    char *path;
    char *id;

    /* Configured locations are not listed, as in Backstage. */
    assert_int_equal(res.status, 200);
    assert_int_equal(json_array_size(body), 0);
    json_decref(body);
    gr_test_output_free(&res);

    res = call(fixture, "POST", "/locations?dryRun=true", "{\"type\":\"nope\",\"target\":\"x\"}");
    assert_error(&res, 400, "InputError", NULL);
    gr_test_output_free(&res);

    /* presence takes Backstage's two values only. */
    res = call(fixture, "POST", "/locations",
               "{\"type\":\"url\",\"target\":\"http://127.0.0.1:9/a.yaml\",\"presence\":\"bogus\"}");
    assert_error(&res, 400, "InputError",
                 "Malformed request: presence must be \"required\" or \"optional\"");
    gr_test_output_free(&res);

    res = call(fixture, "POST", "/locations",
               "{\"type\":\"url\",\"target\":\"http://127.0.0.1:9/catalog-info.yaml\"}");
    body = body_of(&res);
    assert_int_equal(res.status, 201);
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "location"),
                                                          "type")),
                        "url");
    assert_non_null(json_object_get(json_object_get(body, "location"), "entityRef"));
    assert_null(json_object_get(json_object_get(body, "location"), "origin"));
    assert_int_equal(json_array_size(json_object_get(body, "entities")), 0);
    id = gr_xstrdup(json_string_value(json_object_get(json_object_get(body, "location"), "id")));
    json_decref(body);
    gr_test_output_free(&res);

    res = call(fixture, "POST", "/locations",
               "{\"type\":\"url\",\"target\":\"http://127.0.0.1:9/catalog-info.yaml\"}");
    assert_error(&res, 409, "ConflictError",
                 "Location url:http://127.0.0.1:9/catalog-info.yaml already exists");
    gr_test_output_free(&res);

    res = call(fixture, "GET", "/locations", NULL);
    body = body_of(&res);
    assert_int_equal(json_array_size(body), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(body, 0), "data"), "id")),
        id);
    json_decref(body);
    gr_test_output_free(&res);

    path = gr_xasprintf("/locations/%s", id);
    res = call(fixture, "GET", path, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    res = call(fixture, "DELETE", path, NULL);
    assert_int_equal(res.status, 204);
    gr_test_output_free(&res);
    res = call(fixture, "GET", path, NULL);
    {
        char *message = gr_xasprintf("Found no location with ID %s", id);

        assert_error(&res, 404, "NotFoundError", message);
        free(message);
    }
    gr_test_output_free(&res);
    free(path);
    free(id);

    res = call(fixture, "POST", "/locations", "");
    assert_error(&res, 400, "InputError", "Empty request body");
    gr_test_output_free(&res);
}

/* Sends PUT /locations/`id` with `body` and returns the response. */
static gr_test_output put_location(api_fixture *fixture, const char *id, const char *body)
{
    char *path = gr_xasprintf("/locations/%s", id);
    gr_test_output res = call(fixture, "PUT", path, body);

    free(path);
    return res;
}

static int status_of(api_fixture *fixture, const char *path)
{
    gr_test_output res = call(fixture, "GET", path, NULL);
    int status = res.status;

    gr_test_output_free(&res);
    return status;
}

/* PUT /locations/:id moves a location to a new target: what only the old one supplied goes. */
static void location_update_replaces_entities(void **state)
{
    api_fixture *fixture = *state;
    const char *dir = fixture->engine->dir;
    json_t *locations = NULL;
    const char *config_id = NULL;
    size_t index;
    json_t *item;
    char *request;
    char *id;
    json_t *body;
    gr_test_output res;

    engine_write(fixture->engine, "alpha.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: alpha\n"
                 "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n");
    engine_write(fixture->engine, "beta.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: beta\n"
                 "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n");
    request = gr_xasprintf("{\"type\":\"file\",\"target\":\"%s/alpha.yaml\"}", dir);
    res = call(fixture, "POST", "/locations", request);
    body = body_of(&res);
    assert_int_equal(res.status, 201);
    id = gr_xstrdup(json_string_value(json_object_get(json_object_get(body, "location"), "id")));
    json_decref(body);
    gr_test_output_free(&res);
    free(request);
    engine_idle(fixture->engine);
    assert_int_equal(status_of(fixture, "/entities/by-name/component/default/alpha"), 200);

    request = gr_xasprintf("{\"type\":\"file\",\"target\":\"%s/beta.yaml\"}", dir);
    res = put_location(fixture, id, request);
    body = body_of(&res);
    assert_int_equal(res.status, 200);
    assert_string_equal(json_string_value(json_object_get(body, "id")), id);
    assert_string_equal(json_string_value(json_object_get(body, "type")), "file");
    assert_non_null(strstr(json_string_value(json_object_get(body, "target")), "/beta.yaml"));
    assert_null(json_object_get(body, "origin"));
    json_decref(body);
    gr_test_output_free(&res);
    free(request);
    engine_idle(fixture->engine);
    assert_int_equal(status_of(fixture, "/entities/by-name/component/default/alpha"), 404);
    assert_int_equal(status_of(fixture, "/entities/by-name/component/default/beta"), 200);

    /* The target of another location, here the configured one, is a conflict. */
    request = gr_xasprintf("{\"type\":\"file\",\"target\":\"%s/root.yaml\"}", dir);
    res = put_location(fixture, id, request);
    assert_error(&res, 409, "ConflictError", NULL);
    gr_test_output_free(&res);
    free(request);

    /* A configured location is changed in the config, not through the API. */
    assert_int_equal(gr_catalog_list_locations(fixture->engine->catalog, &locations), GR_OK);
    json_array_foreach(locations, index, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "origin")), "config") == 0)
            config_id = json_string_value(json_object_get(item, "id"));
    }
    assert_non_null(config_id);
    res = put_location(fixture, config_id,
                       "{\"type\":\"url\",\"target\":\"http://127.0.0.1:9/x.yaml\"}");
    assert_error(&res, 403, "NotAllowedError", NULL);
    gr_test_output_free(&res);
    json_decref(locations);

    res = put_location(fixture, "00000000-0000-4000-8000-000000000000",
                       "{\"type\":\"url\",\"target\":\"http://127.0.0.1:9/x.yaml\"}");
    assert_error(&res, 404, "NotFoundError",
                 "Found no location with ID 00000000-0000-4000-8000-000000000000");
    gr_test_output_free(&res);
    res = put_location(fixture, id, "{\"type\":\"url\"}");
    assert_error(&res, 400, "InputError", NULL);
    gr_test_output_free(&res);
    res = put_location(fixture, id, "{\"target\":\"http://127.0.0.1:9/x.yaml\",\"extra\":1}");
    assert_error(&res, 400, "InputError", NULL);
    gr_test_output_free(&res);
    res = put_location(fixture, id, "{\"type\":\"nope\",\"target\":\"x\"}");
    assert_error(&res, 400, "InputError", NULL);
    gr_test_output_free(&res);
    free(id);
}

/* catalog.readonly rejects registering and deleting locations, as Backstage does, and still
 * serves reads and dry runs. */
static void readonly_rejects_location_writes(void **state)
{
    api_fixture *fixture = *state;
    json_t *location = NULL;
    char *path;
    gr_test_output res;

    res = call(fixture, "POST", "/locations",
               "{\"type\":\"url\",\"target\":\"http://127.0.0.1:9/catalog-info.yaml\"}");
    assert_error(&res, 403, "NotAllowedError", "This operation not allowed in readonly mode");
    gr_test_output_free(&res);

    /* A dry run reads the target. Nothing listens on port 9, so it fails on the read, not on
     * the readonly check. */
    res = call(fixture, "POST", "/locations?dryRun=true",
               "{\"type\":\"url\",\"target\":\"http://127.0.0.1:9/catalog-info.yaml\"}");
    if (res.status != 400)
        fprintf(stderr, "dry run: %d %s\n", res.status, res.out);
    assert_int_equal(res.status, 400);
    assert_null(strstr(res.out, "readonly"));
    assert_non_null(strstr(res.out, "127.0.0.1:9"));
    gr_test_output_free(&res);

    /* A location added by an operator (here straight through the engine) cannot be deleted. */
    assert_int_equal(gr_catalog_add_location(fixture->engine->catalog, "url",
                                             "http://127.0.0.1:9/other.yaml", 0, &location, NULL,
                                             NULL),
                     GR_OK);
    path = gr_xasprintf("/locations/%s",
                        json_string_value(json_object_get(location, "id")));
    res = call(fixture, "DELETE", path, NULL);
    assert_error(&res, 403, "NotAllowedError", "This operation not allowed in readonly mode");
    gr_test_output_free(&res);
    res = call(fixture, "PUT", path, "{\"type\":\"url\",\"target\":\"http://127.0.0.1:9/x.yaml\"}");
    assert_error(&res, 403, "NotAllowedError", "This operation not allowed in readonly mode");
    gr_test_output_free(&res);
    res = call(fixture, "GET", path, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    res = call(fixture, "GET", "/entities/by-name/component/default/shop", NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    free(path);
    json_decref(location);
}

static void location_by_entity_config(void **state)
{
    api_fixture *fixture = *state;
    gr_test_output res = call(fixture, "GET", "/locations/by-entity/component/default/shop", NULL);
    char *message = engine_expand(fixture->engine, "Found no location with type file and target "
                                                   "@DIR@/root.yaml");

    assert_error(&res, 404, "NotFoundError", message);
    free(message);
    gr_test_output_free(&res);
}

static void validate_entity_route(void **state)
{
    api_fixture *fixture = *state;
    gr_test_output res =
        call(fixture, "POST", "/validate-entity",
             "{\"location\":\"url:http://127.0.0.1/catalog-info.yaml\",\"entity\":{"
             "\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{"
             "\"name\":\"fine\"},\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\","
             "\"owner\":\"team-a\"}}}");
    json_t *body;

    assert_int_equal(res.status, 200);
    assert_int_equal(res.out_len, 0);
    gr_test_output_free(&res);

    res = call(fixture, "POST", "/validate-entity",
               "{\"location\":\"url:http://127.0.0.1/catalog-info.yaml\",\"entity\":{"
               "\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{"
               "\"name\":\"Not A Valid Name!\"},\"spec\":{\"type\":\"service\"}}}");
    body = body_of(&res);
    assert_int_equal(res.status, 400);
    assert_true(json_array_size(json_object_get(body, "errors")) > 0);
    assert_non_null(json_object_get(json_array_get(json_object_get(body, "errors"), 0), "name"));
    assert_non_null(
        json_object_get(json_array_get(json_object_get(body, "errors"), 0), "message"));
    json_decref(body);
    gr_test_output_free(&res);

    res = call(fixture, "POST", "/validate-entity", "{\"entity\":{\"kind\":\"Component\"}}");
    assert_error(&res, 400, "InputError", "request/body must have required property 'location'");
    gr_test_output_free(&res);

    /* A reference that does not parse fails here as it fails in processing. */
    res = call(fixture, "POST", "/validate-entity",
               "{\"location\":\"url:http://127.0.0.1/catalog-info.yaml\",\"entity\":{"
               "\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{"
               "\"name\":\"x\"},\"spec\":{\"type\":\"a\",\"lifecycle\":\"b\","
               "\"owner\":\"user:default/\"}}}");
    body = body_of(&res);
    assert_int_equal(res.status, 400);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(body, "errors"), 0), "name")),
                        "InputError");
    assert_non_null(strstr(res.out, "spec.owner"));
    assert_non_null(strstr(res.out, "user:default/"));
    json_decref(body);
    gr_test_output_free(&res);
}

/* Analysing reads the source, so it follows the registration rules: a file
 * path on the server is not readable through it. */
static void analyze_location_rejects_file(void **state)
{
    api_fixture *fixture = *state;
    gr_test_output res =
        call(fixture, "POST", "/analyze-location",
             "{\"location\":{\"type\":\"file\",\"target\":\"/etc/hostname\"}}");

    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.out, "InputError"));
    assert_null(strstr(res.out, "entity"));
    gr_test_output_free(&res);

    /* A URL on a host that no setting allows gets the hint that registering gives. */
    res = call(fixture, "POST", "/analyze-location",
               "{\"location\":{\"type\":\"url\",\"target\":\"http://127.0.0.1:1/x.yaml\"}}");
    assert_int_equal(res.status, 403);
    assert_non_null(strstr(res.out, "Reading from 'http://127.0.0.1:1/x.yaml' is not allowed. "
                                    "You may need to configure an integration for the host or add "
                                    "it to backend.reading.allow"));
    gr_test_output_free(&res);

    /* An escaped NUL is named plainly, not by jansson's flag. */
    res = call(fixture, "POST", "/analyze-location",
               "{\"location\":{\"type\":\"url\",\"target\":\"a\\u0000b\"}}");
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(res.out, "strings must not contain NUL characters"));
    assert_null(strstr(res.out, "JSON_ALLOW_NUL"));
    gr_test_output_free(&res);
}

static void entity_routes(void **state)
{
    api_fixture *fixture = *state;
    gr_test_output res = call(fixture, "GET", "/entities/by-name/component/default/shop/ancestry",
                              NULL);
    json_t *body = body_of(&res);
    char *uid;
    char *path;

    assert_int_equal(res.status, 200);
    assert_string_equal(json_string_value(json_object_get(body, "rootEntityRef")),
                        "component:default/shop");
    assert_true(json_array_size(json_object_get(body, "items")) >= 2);
    json_decref(body);
    gr_test_output_free(&res);

    res = call(fixture, "GET", "/entities/by-name/component/default/shop/history", NULL);
    body = body_of(&res);
    assert_int_equal(res.status, 200);
    assert_true(json_array_size(json_object_get(body, "items")) >= 1);
    json_decref(body);
    gr_test_output_free(&res);

    res = call(fixture, "POST", "/refresh", "{\"entityRef\":\"component:default/shop\"}");
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    res = call(fixture, "POST", "/refresh", "{}");
    assert_error(&res, 400, "InputError", "request/body must have required property 'entityRef'");
    gr_test_output_free(&res);
    res = call(fixture, "POST", "/refresh", "{\"entityRef\":5}");
    assert_error(&res, 400, "InputError", "request/body/entityRef must be string");
    gr_test_output_free(&res);
    res = call(fixture, "POST", "/refresh", "{\"entityRef\":\"nope\"}");
    assert_error(&res, 404, "NotFoundError", "Failed to schedule nope for refresh");
    gr_test_output_free(&res);
    res = call(fixture, "POST", "/refresh",
               "{\"entityRef\":\"component:default/shop\",\"extra\":1}");
    assert_error(&res, 400, "InputError", "request/body must NOT have additional properties");
    gr_test_output_free(&res);
    res = call(fixture, "POST", "/refresh",
               "{\"entityRef\":\"component:default/shop\",\"authorizationToken\":1}");
    assert_error(&res, 400, "InputError", "request/body/authorizationToken must be string");
    gr_test_output_free(&res);
    res = call(fixture, "POST", "/refresh",
               "{\"entityRef\":\"component:default/shop\",\"authorizationToken\":\"t\"}");
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    res = call(fixture, "GET", "/entities/by-name/component/default/shop", NULL);
    body = body_of(&res);
    uid = gr_xstrdup(
        json_string_value(json_object_get(json_object_get(body, "metadata"), "uid")));
    json_decref(body);
    gr_test_output_free(&res);

    path = gr_xasprintf("/entities/by-uid/%s", uid);
    res = call(fixture, "DELETE", path, NULL);
    assert_int_equal(res.status, 204);
    gr_test_output_free(&res);
    res = call(fixture, "GET", path, NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);
    free(path);
    free(uid);
}

/* Sends a request with `token` as the bearer token. */
static gr_test_output call_as(api_fixture *fixture, const char *token, const char *method,
                              const char *path, const char *body)
{
    char *credential = gr_xasprintf("Authorization: Bearer %s", token);
    const char *headers[] = {credential, "Content-Type: application/json", NULL};
    char *url = gr_xasprintf("%s%s", fixture->base, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    free(credential);
    return res;
}

/* Rewrites vault with `metadata`, refreshes it with `token` and waits for the engine. */
static void change_vault(api_fixture *fixture, const char *token, const char *metadata)
{
    char *org = org_with_vault(metadata);
    gr_test_output res;

    engine_write(fixture->engine, "org.yaml", org);
    free(org);
    res = call_as(fixture, token, "POST", "/refresh", "{\"entityRef\":\"component:default/vault\"}");
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    engine_idle(fixture->engine);
}

/* Returns the items of vault's history as `token` reads it (caller frees), checking the secret. */
static json_t *vault_history(api_fixture *fixture, const char *token, bool secret_shown)
{
    gr_test_output res =
        call_as(fixture, token, "GET", "/entities/by-name/component/default/vault/history", NULL);
    json_t *body = body_of(&res);
    json_t *items = json_incref(json_object_get(body, "items"));

    assert_int_equal(res.status, 200);
    if (secret_shown)
        assert_non_null(strstr(res.out, "TOPSECRET-PASSWORD-123"));
    else
        assert_null(strstr(res.out, "TOPSECRET"));
    assert_true(json_is_array(items));
    json_decref(body);
    gr_test_output_free(&res);
    return items;
}

static const char *item_text(const json_t *items, size_t index, const char *member)
{
    return json_string_value(json_object_get(json_array_get(items, index), member));
}

/* Returns the `new` value of the change at `path` in history item `index`, or NULL. */
static const char *changed_to(const json_t *items, size_t index, const char *path)
{
    const json_t *change;
    size_t i;

    json_array_foreach(json_object_get(json_array_get(items, index), "diff"), i, change)
    {
        if (strcmp(json_string_value(json_object_get(change, "path")), path) == 0)
            return json_string_value(json_object_get(change, "new"));
    }
    return NULL;
}

/* A reader with conditions gets only changes between versions it may read, and no other caller. */
static void history_conditional_reader(void **state)
{
    api_fixture *fixture = *state;
    gr_test_output res = call_as(fixture, READER_TOKEN, "GET",
                                 "/entities/by-name/component/default/vault/history", NULL);
    json_t *items;

    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);

    change_vault(fixture, ADMIN_TOKEN, "  description: public now\n");
    items = vault_history(fixture, READER_TOKEN, false);
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);

    change_vault(fixture, ADMIN_TOKEN, "  description: public again\n");
    change_vault(fixture, READER_TOKEN, "  description: refreshed by the reader\n");
    items = vault_history(fixture, READER_TOKEN, false);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(item_text(items, 0, "change"), "updated");
    assert_string_equal(changed_to(items, 0, "/metadata/description"), "public again");
    assert_string_equal(item_text(items, 0, "cause"), "another caller");
    assert_string_equal(changed_to(items, 1, "/metadata/description"), "refreshed by the reader");
    assert_string_equal(item_text(items, 1, "cause"), "user:external:reader");
    json_decref(items);

    items = vault_history(fixture, ADMIN_TOKEN, true);
    assert_int_equal(json_array_size(items), 4);
    assert_string_equal(item_text(items, 0, "change"), "created");
    assert_string_equal(changed_to(items, 1, "/metadata/description"), "public now");
    assert_string_equal(item_text(items, 1, "cause"), "user:external:admin-bot");
    assert_string_equal(item_text(items, 2, "cause"), "user:external:admin-bot");
    assert_string_equal(item_text(items, 3, "cause"), "user:external:reader");
    json_decref(items);
}

/* Marking vault secret again hides the whole history from the reader, as a deleted entity. */
static void history_secret_again(void **state)
{
    api_fixture *fixture = *state;
    gr_test_output res;
    json_t *items;

    change_vault(fixture, ADMIN_TOKEN, "  description: public now\n");
    change_vault(fixture, ADMIN_TOKEN, vault_secret);
    res = call_as(fixture, READER_TOKEN, "GET",
                  "/entities/by-name/component/default/vault/history", NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);

    change_vault(fixture, ADMIN_TOKEN, "  description: public at last\n");
    items = vault_history(fixture, READER_TOKEN, false);
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);

    res = call_as(fixture, ADMIN_TOKEN, "GET", "/entities/by-name/component/default/vault", NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
}

/* Posts a by-query body and returns the response (caller frees with json_decref). */
static json_t *query_locations(api_fixture *fixture, const char *request, int status)
{
    gr_test_output res = call(fixture, "POST", "/locations/by-query", request);
    json_t *body = body_of(&res);

    assert_int_equal(res.status, status);
    gr_test_output_free(&res);
    return body;
}

static const char *item_target(const json_t *body, size_t index)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(body, "items"), index), "target"));
}

static void locations_by_query_filter(void **state)
{
    api_fixture *fixture = *state;
    const char *targets[] = {"http://127.0.0.1:9/a/catalog-info.yaml",
                             "http://127.0.0.1:9/b/catalog-info.yaml",
                             "http://127.0.0.1:9/c/other.yaml"};
    json_t *body;
    json_t *next;
    char *request;

    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        char *location = gr_xasprintf("{\"type\":\"url\",\"target\":\"%s\"}", targets[i]);
        gr_test_output res = call(fixture, "POST", "/locations", location);

        assert_int_equal(res.status, 201);
        gr_test_output_free(&res);
        free(location);
    }

    body = query_locations(fixture, "{\"query\":{\"target\":\"HTTP://127.0.0.1:9/B/catalog-info.yaml\"}}",
                           200);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), 1);
    assert_int_equal(json_array_size(json_object_get(body, "items")), 1);
    assert_string_equal(item_target(body, 0), targets[1]);
    json_decref(body);

    body = query_locations(fixture, "{\"query\":{\"$not\":{\"target\":{\"$hasPrefix\":"
                                    "\"http://127.0.0.1:9/c/\"}}}}",
                           200);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), 2);
    json_decref(body);

    body = query_locations(fixture, "{\"query\":{\"type\":\"file\"}}", 200);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), 0);
    assert_int_equal(json_array_size(json_object_get(body, "items")), 0);
    json_decref(body);

    /* The next page keeps the query and totalItems counts every match. */
    body = query_locations(fixture, "{\"limit\":1,\"query\":{\"target\":{\"$hasPrefix\":"
                                    "\"http://127.0.0.1:9/\"},\"type\":\"URL\"}}",
                           200);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), 3);
    assert_int_equal(json_array_size(json_object_get(body, "items")), 1);
    next = json_object_get(json_object_get(body, "pageInfo"), "nextCursor");
    assert_true(json_is_string(next));
    request = gr_xasprintf("{\"cursor\":\"%s\"}", json_string_value(next));
    json_decref(body);
    body = query_locations(fixture, request, 200);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), 3);
    assert_int_equal(json_array_size(json_object_get(body, "items")), 1);
    json_decref(body);
    free(request);

    body = query_locations(fixture, "{\"query\":{\"name\":\"x\"}}", 400);
    json_decref(body);
    body = query_locations(fixture, "{\"query\":[]}", 400);
    json_decref(body);
}

/* ---- slow sources ------------------------------------------------------- */

/* HTTP threads of the server in the slow_reads tests, fewer than their slow reads. */
#define SLOW_HTTP_THREADS 2

/* Maximum number of connections the silent source keeps, and of slow clients. */
#define SLOW_MAX_CALLS (GR_HTTP_MAX_DEFERRED_JOBS + 4)

/* Time limit of a quick request while the slow reads wait, in ms. */
#define SLOW_QUICK_TIMEOUT_MS 2000L

/* The engine's config, allowing reads of the silent source on port %d. */
#define SLOW_CONFIG_FORMAT                                                                         \
    "{\"backend\": {\"reading\": {\"allow\": [{\"host\": \"127.0.0.1:%d\"}]}},"                    \
    " \"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"Location\", \"Group\"]}],"           \
    " \"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/root.yaml\"}]}}"

/* One client request of a slow_reads test, on its own thread. */
typedef struct {
    api_fixture *fixture;
    char *path;
    char *body;
    gr_test_output out;
    pthread_t thread;
} slow_call;

/*
 * A silent source on 127.0.0.1, so every catalog read of it waits until
 * slow_reads_close() closes its sockets, and then fails at once, and the
 * clients whose requests read it.
 */
struct slow_reads {
    gr_test_silent *source;
    int port;
    slow_call calls[SLOW_MAX_CALLS];
    int call_count;
    int calls_joined;
};

static slow_reads *slow_reads_new(void)
{
    slow_reads *slow = gr_xcalloc(1, sizeof(*slow));

    slow->source = gr_test_silent_start();
    assert_non_null(slow->source);
    slow->port = gr_test_silent_port(slow->source);
    return slow;
}

/* Closes the source's listener and every accepted connection, so the reads in progress fail. */
static void slow_reads_close(slow_reads *slow)
{
    gr_test_silent_close(slow->source);
}

static void slow_reads_join(slow_reads *slow)
{
    if (slow->calls_joined)
        return;
    slow->calls_joined = 1;
    for (int i = 0; i < slow->call_count; i++)
        pthread_join(slow->calls[i].thread, NULL);
}

static void slow_reads_free(slow_reads *slow)
{
    if (slow == NULL)
        return;
    slow_reads_close(slow);
    slow_reads_join(slow);
    for (int i = 0; i < slow->call_count; i++) {
        gr_test_output_free(&slow->calls[i].out);
        free(slow->calls[i].path);
        free(slow->calls[i].body);
    }
    gr_test_silent_free(slow->source);
    free(slow);
}

/* Waits up to 10 s until `count` reads are in progress, and returns how many are. */
static int slow_reads_wait(slow_reads *slow, int count)
{
    return gr_test_silent_wait(slow->source, count, 10000);
}

static void *slow_call_run(void *arg)
{
    slow_call *slow_request = arg;

    slow_request->out = call(slow_request->fixture, "POST", slow_request->path, slow_request->body);
    return NULL;
}

/* Starts a dry run of /slow-N.yaml, or with `analyze` an analysis of it, on a new thread. */
static void slow_call_start(api_fixture *fixture, int analyze)
{
    slow_reads *slow = fixture->slow;
    slow_call *slow_request = &slow->calls[slow->call_count];
    char *location;

    assert_true(slow->call_count < SLOW_MAX_CALLS);
    location = gr_xasprintf("{\"type\":\"url\",\"target\":\"http://127.0.0.1:%d/slow-%d.yaml\"}",
                            slow->port, slow->call_count);
    slow_request->fixture = fixture;
    if (analyze) {
        slow_request->path = gr_xstrdup("/analyze-location");
        slow_request->body = gr_xasprintf("{\"location\":%s}", location);
        free(location);
    } else {
        slow_request->path = gr_xstrdup("/locations?dryRun=true");
        slow_request->body = location;
    }
    assert_int_equal(pthread_create(&slow_request->thread, NULL, slow_call_run, slow_request), 0);
    slow->call_count++;
}

static size_t discard_body(char *data, size_t size, size_t count, void *payload)
{
    (void)data;
    (void)payload;
    return size * count;
}

/* Sends GET `path` of the fixture's server with a time limit of
 * SLOW_QUICK_TIMEOUT_MS. Returns the status, or 0 when none came in time. */
static long get_quickly(api_fixture *fixture, const char *path)
{
    char *url = gr_xasprintf("http://127.0.0.1:%d%s", gr_http_server_port(fixture->server), path);
    struct curl_slist *headers = curl_slist_append(NULL, "Authorization: Bearer " TOKEN);
    CURL *curl = curl_easy_init();
    long status = 0;

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, SLOW_QUICK_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    free(url);
    return status;
}

static int setup_slow_reads(void **state)
{
    gr_http_options opts = {0};
    slow_reads *slow = slow_reads_new();
    char *engine_config = gr_xasprintf(SLOW_CONFIG_FORMAT, slow->port);
    int rc;

    opts.threads = SLOW_HTTP_THREADS;
    rc = setup_with(state, engine_config, &opts);
    free(engine_config);
    if (rc != 0) {
        slow_reads_free(slow);
        return rc;
    }
    ((api_fixture *)*state)->slow = slow;
    return 0;
}

/* Ends the slow reads, then checks that every client got the error of its read. */
static void slow_reads_finish(slow_reads *slow)
{
    slow_reads_close(slow);
    slow_reads_join(slow);
    for (int i = 0; i < slow->call_count; i++) {
        assert_true(slow->calls[i].out.status >= 400);
        assert_non_null(strstr(slow->calls[i].out.out, "could not be read"));
    }
}

/* Reads of a URL that never responds leave the HTTP threads free for other requests. */
static void slow_reads_leave_threads_free(void **state)
{
    api_fixture *fixture = *state;
    slow_reads *slow = fixture->slow;

    /* One read more than there are HTTP threads: dry runs and an analysis. */
    for (int i = 0; i < SLOW_HTTP_THREADS; i++)
        slow_call_start(fixture, 0);
    slow_call_start(fixture, 1);
    assert_true(slow_reads_wait(slow, SLOW_HTTP_THREADS) >= SLOW_HTTP_THREADS);

    assert_int_equal(get_quickly(fixture, "/.backstage/health/v1/readiness"), 200);
    assert_int_equal(get_quickly(fixture, "/api/catalog/locations"), 200);
    assert_int_equal(slow_reads_wait(slow, SLOW_HTTP_THREADS + 1), SLOW_HTTP_THREADS + 1);
    slow_reads_finish(slow);
}

/* Past GR_HTTP_MAX_DEFERRED_JOBS reads at once, a read gets 503 without waiting. */
static void slow_reads_over_max_rejected(void **state)
{
    api_fixture *fixture = *state;
    slow_reads *slow = fixture->slow;
    const char *headers[] = {"Authorization: Bearer " TOKEN, "Content-Type: application/json",
                             NULL};
    char *url = gr_xasprintf("%s/locations?dryRun=true", fixture->base);
    char *body = gr_xasprintf("{\"type\":\"url\",\"target\":\"http://127.0.0.1:%d/extra.yaml\"}",
                              slow->port);
    struct timespec start, end;
    gr_test_output res;

    for (int i = 0; i < GR_HTTP_MAX_DEFERRED_JOBS; i++)
        slow_call_start(fixture, i % 2);
    assert_int_equal(slow_reads_wait(slow, GR_HTTP_MAX_DEFERRED_JOBS), GR_HTTP_MAX_DEFERRED_JOBS);

    clock_gettime(CLOCK_MONOTONIC, &start);
    res = gr_test_http("POST", url, headers, body);
    clock_gettime(CLOCK_MONOTONIC, &end);
    assert_error(&res, 503, "ServiceUnavailableError", NULL);
    assert_non_null(strstr(res.out, "maximum of 8 background jobs"));
    assert_non_null(strstr(res.err, "Retry-After: 5"));
    assert_true(end.tv_sec - start.tv_sec < 2);
    assert_int_equal(get_quickly(fixture, "/.backstage/health/v1/readiness"), 200);

    slow_reads_finish(slow);
    gr_test_output_free(&res);
    free(body);
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(locations_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(readonly_rejects_location_writes, setup_readonly,
                                        teardown),
        cmocka_unit_test_setup_teardown(location_by_entity_config, setup, teardown),
        cmocka_unit_test_setup_teardown(location_update_replaces_entities, setup_file_locations,
                                        teardown),
        cmocka_unit_test_setup_teardown(validate_entity_route, setup, teardown),
        cmocka_unit_test_setup_teardown(analyze_location_rejects_file, setup, teardown),
        cmocka_unit_test_setup_teardown(entity_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(history_conditional_reader, setup_history, teardown),
        cmocka_unit_test_setup_teardown(history_secret_again, setup_history, teardown),
        cmocka_unit_test_setup_teardown(locations_by_query_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(slow_reads_leave_threads_free, setup_slow_reads, teardown),
        cmocka_unit_test_setup_teardown(slow_reads_over_max_rejected, setup_slow_reads, teardown),
    };

    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
        ((struct CMUnitTest *)&tests[i])->initial_state = (void *)&db_fixture_sqlite;
    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
