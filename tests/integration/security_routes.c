/* SPDX-License-Identifier: MIT */
/* Route security of the real server on the demo data: credentials, permissions and CSRF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "support/gr_test.h"

#define DEMO_TOKEN "security-demo-token-5821"

/*
 * The demo's static token (subject demo-scripts) may do everything. The
 * guest user "tester" of group routing-team may read, refresh and read the
 * docs of what its ownership refs own, and nothing else.
 */
static const char policy_config[] =
    "auth:\n"
    "  providers:\n"
    "    guest:\n"
    "      userEntityRef: user:default/tester\n"
    "      ownershipEntityRefs: [user:default/tester, group:default/routing-team]\n"
    "permission:\n"
    "  enabled: true\n"
    "  rules:\n"
    "    - allow: \"*\"\n"
    "      when: { isService: true }\n"
    "    - allow: [catalog.entity.read, catalog.entity.refresh, techdocs.read]\n"
    "      when: { isEntityOwner: true }\n"
    "    - allow: [search.query, catalog.location.read, scaffolder.task.read]\n";

/* Every route served without credentials, as `greenroom routes` prints it. */
static const char *const public_routes[] = {
    "GET /.backstage/health/v1/liveness public",
    "GET /.backstage/health/v1/readiness public",
    "GET /api/auth/.well-known/jwks.json public",
    "GET /api/auth/.well-known/openid-configuration public",
    "GET /api/auth/:provider/handler/frame public",
    "GET /api/auth/:provider/refresh public",
    "GET /api/auth/:provider/start public",
    "GET /api/auth/sign-in public",
    "POST /api/auth/:provider/logout public",
    "GET /signin public",
    "GET /static/:file public",
    "GET /create/static/:file public",
    "GET /docs/techdocs.css public",
};

#define PUBLIC_ROUTE_COUNT (sizeof(public_routes) / sizeof(public_routes[0]))

/* One line of `greenroom routes`, with a path that fills the pattern's parameters. */
typedef struct {
    char *method;
    char *pattern;
    char *path;
    int is_public;
} route;

typedef struct {
    char *dir;
    char *data_dir;
    gr_test_server server;
    json_t *routes;    /* ["METHOD PATTERN public|signed-in", ...] */
    route *route_list; /* the same lines, parsed */
    size_t route_count;
    char *token;      /* the guest user's identity token */
    json_t *readable; /* lower-case refs of the entities routing-team owns */
    int64_t total;    /* number of entities in the catalog */
} fixture;

static fixture fx;

static const char *const *service_auth(void)
{
    static const char *const headers[] = {"Authorization: Bearer " DEMO_TOKEN,
                                          "Content-Type: application/json", NULL};

    return headers;
}

/* Sends a request to `path` with the given headers (NULL-terminated, may be NULL). */
static gr_test_output call(const char *method, const char *path, const char *const *headers,
                           const char *body)
{
    char *url = gr_xasprintf("%s%s", fx.server.base_url, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    return res;
}

/* Sends a request as the guest user, with a header of `credential_prefix` and its token. */
static gr_test_output call_as_guest(const char *method, const char *path,
                                    const char *credential_prefix, const char *content_type,
                                    const char *body)
{
    char *credential = gr_xasprintf("%s%s", credential_prefix, fx.token);
    const char *headers[] = {credential, content_type, NULL};
    gr_test_output res = call(method, path, headers, body);

    free(credential);
    return res;
}

/* Sends a request with the guest user's token as a bearer token. */
static gr_test_output call_user(const char *method, const char *path, const char *body)
{
    return call_as_guest(method, path, "Authorization: Bearer ", "Content-Type: application/json",
                         body);
}

/* Sends a request as the guest user's browser session (cookie), with optional form body. */
static gr_test_output call_session(const char *method, const char *path, const char *form)
{
    return call_as_guest(method, path, "Cookie: greenroom-session=",
                         "Content-Type: application/x-www-form-urlencoded", form);
}

static json_t *body_json(const gr_test_output *res)
{
    json_t *value = res->out != NULL ? json_loads(res->out, 0, NULL) : NULL;

    if (value == NULL)
        fail_msg("status %d, body is not JSON: %.300s", res->status, res->out ? res->out : "");
    return value;
}

/* Returns the lower-case "kind:namespace/name" of an entity; caller frees. */
static char *entity_ref(const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *ns = json_string_value(json_object_get(metadata, "namespace"));
    char *ref =
        gr_xasprintf("%s:%s/%s", json_string_value(json_object_get(entity, "kind")),
                     ns ? ns : "default", json_string_value(json_object_get(metadata, "name")));

    for (char *p = ref; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return ref;
}

static int is_readable(const char *ref)
{
    return json_object_get(fx.readable, ref) != NULL;
}

/* Fills a path pattern's parameters with values that name a readable entity. */
static char *fill_pattern(const char *pattern)
{
    gr_buf path = GR_BUF_INIT;
    const char *p = pattern;
    char *result;

    while (*p != '\0') {
        if (*p == ':' || *p == '*') {
            size_t len = strcspn(p, "/");
            char *name = gr_xstrndup(p, len);

            if (strcmp(name, ":namespace") == 0)
                gr_buf_puts(&path, "default");
            else if (strcmp(name, ":kind") == 0)
                gr_buf_puts(&path, "component");
            else if (strcmp(name, ":name") == 0)
                gr_buf_puts(&path, "route-planner");
            else
                gr_buf_puts(&path, "x");
            free(name);
            p += len;
            continue;
        }
        gr_buf_putc(&path, *p++);
    }
    result = gr_xstrdup(gr_buf_cstr(&path));
    gr_buf_free(&path);
    return result;
}

/* Splits a routes line into method and pattern (caller frees both). */
static void split_route(const char *line, char **method, char **pattern, int *public_route)
{
    const char *space = strchr(line, ' ');
    const char *last = strrchr(line, ' ');

    *method = gr_xstrndup(line, (size_t)(space - line));
    *pattern = gr_xstrndup(space + 1, (size_t)(last - space - 1));
    *public_route = strcmp(last + 1, "public") == 0;
}

static int is_page(const char *pattern)
{
    return strncmp(pattern, "/api/", 5) != 0;
}

/* Lists the routes with `greenroom routes` and the same configuration as the server. */
static json_t *list_routes(const char *policy_path, const char *plugin_path)
{
    const char *argv[] = {"routes",
                          "--config",
                          "examples/demo/app-config.yaml",
                          "--config",
                          "examples/demo/app-config.test.yaml",
                          "--config",
                          policy_path,
                          "--config",
                          plugin_path,
                          NULL};
    gr_test_output out = gr_test_run(NULL, argv);
    json_t *lines = json_array();
    char *save = NULL;

    if (out.status != 0)
        fail_msg("greenroom routes failed (%d): %s", out.status, out.err);
    for (char *line = strtok_r(out.out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save))
        json_array_append_new(lines, json_string(line));
    gr_test_output_free(&out);
    return lines;
}

/* Waits until the demo catalog is processed: route-planner exists and the count is stable. */
static int wait_catalog(void)
{
    int64_t last = -1;
    int steady = 0;

    for (int i = 0; i < 600 && steady < 4; i++) {
        gr_test_output res =
            call("GET", "/api/catalog/entities/by-query?limit=0", service_auth(), NULL);
        gr_test_output found =
            call("GET", "/api/catalog/entities/by-name/component/default/route-planner",
                 service_auth(), NULL);
        json_t *body = res.status == 200 ? json_loads(res.out, 0, NULL) : NULL;
        int64_t total = json_integer_value(json_object_get(body, "totalItems"));

        steady = found.status == 200 && total > 0 && total == last ? steady + 1 : 0;
        last = total;
        fx.total = total;
        json_decref(body);
        gr_test_output_free(&res);
        gr_test_output_free(&found);
        usleep(250 * 1000);
    }
    return steady >= 4 ? 0 : -1;
}

/* Reads the refs of the entities routing-team owns, with the service token. */
static void load_readable(void)
{
    gr_test_output res = call("GET",
                              "/api/catalog/entities?filter=relations.ownedBy=group:default/"
                              "routing-team",
                              service_auth(), NULL);
    json_t *list = body_json(&res);
    json_t *entity;
    size_t i;

    fx.readable = json_object();
    json_array_foreach(list, i, entity)
    {
        char *ref = entity_ref(entity);

        json_object_set_new(fx.readable, ref, json_true());
        free(ref);
    }
    json_decref(list);
    gr_test_output_free(&res);
}

/* Signs in as the guest user and keeps its identity token. */
static void sign_in_guest(void)
{
    const char *headers[] = {"X-Requested-With: XMLHttpRequest", NULL};
    gr_test_output res = call("GET", "/api/auth/guest/refresh", headers, NULL);
    json_t *body = body_json(&res);
    const char *token =
        json_string_value(json_object_get(json_object_get(body, "backstageIdentity"), "token"));

    if (res.status != 200 || token == NULL)
        fail_msg("guest sign-in failed: %d %s", res.status, res.out);
    fx.token = gr_xstrdup(token);
    json_decref(body);
    gr_test_output_free(&res);
}

/* Returns 1 when the service finds a document at a location starting with `prefix`. */
static int service_finds(const char *path, const char *prefix)
{
    gr_test_output res = call("GET", path, service_auth(), NULL);
    json_t *body = res.status == 200 ? json_loads(res.out, 0, NULL) : NULL;
    const json_t *result;
    size_t i;
    int found = 0;

    json_array_foreach(json_object_get(body, "results"), i, result)
    {
        const char *location = json_string_value(
            json_object_get(json_object_get(result, "document"), "location"));

        if (location != NULL && strncmp(location, prefix, strlen(prefix)) == 0)
            found = 1;
    }
    json_decref(body);
    gr_test_output_free(&res);
    return found;
}

/*
 * Waits until search has indexed the catalog and the TechDocs sections of
 * service-chassis, which the user may not read, so that the search checks
 * below see hidden docs in the index. The server builds the demo's docs
 * sites after startup. On 2 cores at a load average of 15 the whole test
 * took 68 s, so the wait allows 120 s.
 */
static void wait_search(void)
{
    for (int i = 0; i < 1200; i++) {
        if (service_finds("/api/search/query?term=route&types%5B0%5D=software-catalog",
                          "/catalog/") &&
            service_finds("/api/search/query?term=chassis&types%5B0%5D=techdocs",
                          "/docs/default/component/service-chassis/"))
            return;
        usleep(100 * 1000);
    }
    fail_msg("search did not index the catalog and the service-chassis docs within 120 s");
}

/* Writes the config that loads the probe plugin, whose form page the CSRF checks post to, and
 * returns its path (caller frees). */
static char *write_plugin_config(void)
{
    const char *build = getenv("GR_BUILD_DIR");
    char *text = gr_xasprintf("plugins:\n"
                              "  - path: %s/plugins/fixture_probe.so\n"
                              "    config:\n"
                              "      greeting: hello\n",
                              build != NULL ? build : "build/check");

    gr_test_write_file(fx.dir, "app-config.plugin.yaml", text);
    free(text);
    return gr_xasprintf("%s/app-config.plugin.yaml", fx.dir);
}

static int group_setup(void **state)
{
    const char *configs[5];
    char *policy_path;
    char *plugin_path;

    (void)state;
    memset(&fx, 0, sizeof(fx));
    fx.dir = gr_test_tmpdir("security-routes");
    fx.data_dir = gr_xasprintf("%s/data", fx.dir);
    gr_test_write_file(fx.dir, "app-config.policy.yaml", policy_config);
    policy_path = gr_xasprintf("%s/app-config.policy.yaml", fx.dir);
    plugin_path = write_plugin_config();
    setenv("GREENROOM_DATA_DIR", fx.data_dir, 1);
    setenv("GREENROOM_DEMO_TOKEN", DEMO_TOKEN, 1);
    /* `routes` substitutes ${GREENROOM_PORT} too, though it listens on nothing. */
    setenv("GREENROOM_PORT", "7007", 1);

    fx.routes = list_routes(policy_path, plugin_path);
    fx.route_list = gr_xcalloc(json_array_size(fx.routes) + 1, sizeof(route));
    for (size_t i = 0; i < json_array_size(fx.routes); i++) {
        route *parsed = &fx.route_list[fx.route_count++];

        split_route(json_string_value(json_array_get(fx.routes, i)), &parsed->method,
                    &parsed->pattern, &parsed->is_public);
        parsed->path = fill_pattern(parsed->pattern);
    }
    configs[0] = "examples/demo/app-config.yaml";
    configs[1] = "examples/demo/app-config.test.yaml";
    configs[2] = policy_path;
    configs[3] = plugin_path;
    configs[4] = NULL;
    if (gr_test_server_start_configs(&fx.server, NULL, configs, 30000) != 0 ||
        wait_catalog() != 0) {
        free(policy_path);
        free(plugin_path);
        return -1;
    }
    free(policy_path);
    free(plugin_path);
    load_readable();
    sign_in_guest();
    wait_search();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    gr_test_server_stop(&fx.server);
    json_decref(fx.routes);
    for (size_t i = 0; i < fx.route_count; i++) {
        free(fx.route_list[i].method);
        free(fx.route_list[i].pattern);
        free(fx.route_list[i].path);
    }
    free(fx.route_list);
    json_decref(fx.readable);
    free(fx.token);
    gr_test_rmtree(fx.dir);
    free(fx.dir);
    free(fx.data_dir);
    return 0;
}

/* The routes command lists the plugins' routes and the built-in ones. */
static void routes_listed(void **state)
{
    static const char *const expected[] = {
        "GET /api/catalog/entities/by-query signed-in",
        "POST /api/catalog/entities/by-refs signed-in",
        "GET /api/catalog/entities/unprocessed/failed signed-in",
        "GET /api/catalog/entities/unprocessed/pending signed-in",
        "DELETE /api/catalog/entities/unprocessed/delete/:entity_id signed-in",
        "GET /api/search/query signed-in",
        "GET /api/techdocs/static/docs/:namespace/:kind/:name/* signed-in",
        "GET /catalog signed-in",
        "GET /catalog-unprocessed-entities signed-in",
        "POST /catalog-unprocessed-entities/delete/:entity_id signed-in",
        "GET /metrics signed-in",
    };
    json_t *line;
    size_t i;

    (void)state;
    assert_true(json_array_size(fx.routes) > 60);
    for (size_t k = 0; k < sizeof(expected) / sizeof(expected[0]); k++) {
        int found = 0;

        json_array_foreach(fx.routes, i, line) found |=
            strcmp(json_string_value(line), expected[k]) == 0;
        if (!found)
            fail_msg("greenroom routes does not list '%s'", expected[k]);
    }
}

/* Exactly the health checks, the sign-in flow, the keys and static files are public. */
static void public_routes_exact(void **state)
{
    json_t *line;
    size_t i;
    size_t public_count = 0;

    (void)state;
    json_array_foreach(fx.routes, i, line)
    {
        const char *text = json_string_value(line);
        int allowed = 0;

        if (strcmp(text + strlen(text) - 7, " public") != 0)
            continue;
        public_count++;
        for (size_t k = 0; k < PUBLIC_ROUTE_COUNT; k++)
            allowed |= strcmp(text, public_routes[k]) == 0;
        if (!allowed)
            fail_msg("route '%s' is public but not in the allowed list", text);
    }
    assert_int_equal(public_count, PUBLIC_ROUTE_COUNT);
}

/* Checks the response to a request without valid credentials: 401, or a redirect to sign-in. */
static void assert_rejected(const char *method, const char *path, int page,
                            const gr_test_output *res, const char *how)
{
    int redirect = (res->status == 302 || res->status == 303) && res->err != NULL &&
                   strcasestr(res->err, "Location: /signin") != NULL;

    if (res->status == 401 || (page && redirect))
        return;
    fail_msg("%s %s %s: status %d, expected 401%s", method, path, how, res->status,
             page ? " or a redirect to /signin" : "");
}

/* Every other route rejects requests without credentials and with bad ones. */
static void signed_in_routes_reject_anonymous(void **state)
{
    const char *bad_token[] = {"Authorization: Bearer not-a-token", NULL};
    const char *bad_jwt[] = {"Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyOmRl"
                             "ZmF1bHQvYWRtaW4ifQ.",
                             NULL};
    const char *bad_cookie[] = {"Cookie: greenroom-session=forged", NULL};
    size_t checked = 0;

    (void)state;
    for (size_t i = 0; i < fx.route_count; i++) {
        const route *r = &fx.route_list[i];
        int page = is_page(r->pattern);
        gr_test_output res;

        if (r->is_public)
            continue;
        res = call(r->method, r->path, NULL, NULL);
        assert_rejected(r->method, r->path, page, &res, "without credentials");
        gr_test_output_free(&res);
        res = call(r->method, r->path, bad_token, NULL);
        assert_rejected(r->method, r->path, page, &res, "with a bad token");
        gr_test_output_free(&res);
        res = call(r->method, r->path, bad_jwt, NULL);
        assert_rejected(r->method, r->path, page, &res, "with an unsigned token");
        gr_test_output_free(&res);
        res = call(r->method, r->path, bad_cookie, NULL);
        assert_rejected(r->method, r->path, page, &res, "with a forged cookie");
        gr_test_output_free(&res);
        checked++;
    }
    assert_true(checked > 50);
}

/* Metrics need a token by default, as Backstage publishes none. */
static void metrics_need_token(void **state)
{
    gr_test_output res = call("GET", "/metrics", NULL, NULL);

    (void)state;
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);
    res = call("GET", "/metrics", service_auth(), NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "http_requests_total"));
    gr_test_output_free(&res);
}

/* Asserts that every entity of a JSON array is readable and returns how many there are. */
static size_t assert_all_readable(const json_t *items, const char *where)
{
    const json_t *entity;
    size_t i;

    json_array_foreach(items, i, entity)
    {
        char *ref = entity_ref(entity);

        if (!is_readable(ref))
            fail_msg("%s returned %s, which the user may not read", where, ref);
        free(ref);
    }
    return json_array_size(items);
}

/* by-query and the legacy list give exactly the owned entities, and count only them. */
static void user_lists_owned_only(void **state)
{
    gr_test_output res;
    json_t *body;
    size_t readable_count = json_object_size(fx.readable);

    (void)state;
    assert_true(readable_count > 3);
    assert_true(fx.total > (int64_t)readable_count);

    res = call_user("GET", "/api/catalog/entities/by-query?limit=1000", NULL);
    assert_int_equal(res.status, 200);
    body = body_json(&res);
    assert_int_equal(assert_all_readable(json_object_get(body, "items"), "by-query"),
                     readable_count);
    assert_int_equal(json_integer_value(json_object_get(body, "totalItems")), readable_count);
    json_decref(body);
    gr_test_output_free(&res);

    res = call_user("POST", "/api/catalog/entities/by-query",
                    "{\"query\":{\"kind\":\"component\"},\"limit\":2}");
    assert_int_equal(res.status, 200);
    body = body_json(&res);
    assert_all_readable(json_object_get(body, "items"), "POST by-query");
    assert_true(json_integer_value(json_object_get(body, "totalItems")) < (int64_t)readable_count);
    json_decref(body);
    gr_test_output_free(&res);

    res = call_user("GET", "/api/catalog/entities", NULL);
    assert_int_equal(res.status, 200);
    body = body_json(&res);
    assert_int_equal(assert_all_readable(body, "the legacy list"), readable_count);
    json_decref(body);
    gr_test_output_free(&res);

    res = call_user("GET", "/api/catalog/entities?limit=2", NULL);
    assert_int_equal(res.status, 200);
    body = body_json(&res);
    assert_int_equal(assert_all_readable(body, "a legacy page"), 2);
    json_decref(body);
    gr_test_output_free(&res);
}

/* Facet counts add up to the readable entities and name no other owner. */
static void user_facets_count_owned(void **state)
{
    gr_test_output res;
    json_t *body;
    const json_t *value;
    int64_t sum = 0;
    size_t i;

    (void)state;
    res = call_user("GET", "/api/catalog/entity-facets?facet=kind&facet=relations.ownedBy", NULL);
    assert_int_equal(res.status, 200);
    body = body_json(&res);
    json_array_foreach(json_object_get(json_object_get(body, "facets"), "kind"), i, value) sum +=
        json_integer_value(json_object_get(value, "count"));
    assert_int_equal(sum, (int64_t)json_object_size(fx.readable));
    json_array_foreach(json_object_get(json_object_get(body, "facets"), "relations.ownedBy"), i,
                       value)
        assert_string_equal(json_string_value(json_object_get(value, "value")),
                            "group:default/routing-team");
    json_decref(body);
    gr_test_output_free(&res);
}

/* by-refs gives null for unreadable entities; single reads give 404 as for unknown ones. */
static void user_single_reads_hidden(void **state)
{
    gr_test_output res;
    json_t *body;
    json_t *items;
    const char *uid;

    (void)state;
    res = call_user("POST", "/api/catalog/entities/by-refs",
                    "{\"entityRefs\":[\"component:default/route-planner\","
                    "\"component:default/service-chassis\",\"component:default/no-such\"]}");
    assert_int_equal(res.status, 200);
    body = body_json(&res);
    items = json_object_get(body, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_true(json_is_object(json_array_get(items, 0)));
    assert_true(json_is_null(json_array_get(items, 1)));
    assert_true(json_is_null(json_array_get(items, 2)));
    json_decref(body);
    gr_test_output_free(&res);

    res = call_user("GET", "/api/catalog/entities/by-name/component/default/route-planner", NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    res = call_user("GET", "/api/catalog/entities/by-name/component/default/service-chassis", NULL);
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.out, "NotFoundError"));
    gr_test_output_free(&res);
    res = call_user(
        "GET", "/api/catalog/entities/by-name/component/default/service-chassis/ancestry", NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);
    res = call_user(
        "GET", "/api/catalog/entities/by-name/component/default/service-chassis/history", NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);

    res = call("GET", "/api/catalog/entities/by-name/component/default/service-chassis",
               service_auth(), NULL);
    assert_int_equal(res.status, 200);
    body = body_json(&res);
    uid = json_string_value(json_object_get(json_object_get(body, "metadata"), "uid"));
    gr_test_output_free(&res);
    {
        char *path = gr_xasprintf("/api/catalog/entities/by-uid/%s", uid);

        res = call_user("GET", path, NULL);
        assert_int_equal(res.status, 404);
        gr_test_output_free(&res);
        res = call_user("DELETE", path, NULL);
        assert_int_equal(res.status, 404);
        gr_test_output_free(&res);
        free(path);
    }
    json_decref(body);
}

/* Asserts a 403 with Backstage's NotAllowedError body. */
static void assert_not_allowed(const gr_test_output *res, const char *what)
{
    json_t *body;

    if (res->status != 403)
        fail_msg("%s: status %d, expected 403: %.300s", what, res->status,
                 res->out ? res->out : "");
    body = body_json(res);
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "error"), "name")),
                        "NotAllowedError");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(body, "response"), "statusCode")), 403);
    json_decref(body);
}

/* Writes the policy does not grant are 403; a granted refresh works. */
static void user_writes_checked(void **state)
{
    gr_test_output res;
    json_t *body;
    char *path;

    (void)state;
    res = call_user("GET", "/api/catalog/entities/by-name/component/default/route-planner", NULL);
    body = body_json(&res);
    path =
        gr_xasprintf("/api/catalog/entities/by-uid/%s",
                     json_string_value(json_object_get(json_object_get(body, "metadata"), "uid")));
    json_decref(body);
    gr_test_output_free(&res);

    res = call_user("DELETE", path, NULL);
    assert_not_allowed(&res, "DELETE by-uid of a readable entity");
    gr_test_output_free(&res);
    free(path);

    res = call_user("POST", "/api/catalog/locations",
                    "{\"type\":\"url\",\"target\":\"https://example.com/catalog-info.yaml\"}");
    assert_not_allowed(&res, "POST /locations");
    gr_test_output_free(&res);
    res = call_user("DELETE", "/api/catalog/locations/00000000-0000-0000-0000-000000000000", NULL);
    assert_not_allowed(&res, "DELETE /locations/:id");
    gr_test_output_free(&res);
    res = call_user("PUT", "/api/catalog/locations/00000000-0000-0000-0000-000000000000",
                    "{\"type\":\"url\",\"target\":\"https://example.com/catalog-info.yaml\"}");
    assert_not_allowed(&res, "PUT /locations/:id");
    gr_test_output_free(&res);
    res = call_user("POST", "/api/catalog/validate-entity",
                    "{\"entity\":{},\"location\":\"url:https://example.com/x.yaml\"}");
    assert_not_allowed(&res, "POST /validate-entity");
    gr_test_output_free(&res);
    res = call_user("POST", "/api/catalog/analyze-location",
                    "{\"location\":{\"type\":\"url\",\"target\":\"https://example.com/x.yaml\"}}");
    assert_not_allowed(&res, "POST /analyze-location");
    gr_test_output_free(&res);

    res = call_user("POST", "/api/catalog/refresh",
                    "{\"entityRef\":\"component:default/route-planner\"}");
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    res = call_user("POST", "/api/catalog/refresh",
                    "{\"entityRef\":\"component:default/service-chassis\"}");
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);

    res = call_user("GET", "/api/catalog/locations", NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
}

/* Maps a search result location ("/catalog/ns/kind/name", "/docs/ns/kind/name/...") to a
 * lower-case ref; caller frees. */
static char *location_ref(const char *location)
{
    char ns[128];
    char kind[128];
    char name[256];
    char *ref;

    if (location == NULL ||
        (sscanf(location, "/catalog/%127[^/]/%127[^/]/%255[^/?#]", ns, kind, name) != 3 &&
         sscanf(location, "/docs/%127[^/]/%127[^/]/%255[^/?#]", ns, kind, name) != 3))
        return NULL;
    ref = gr_xasprintf("%s:%s/%s", kind, ns, name);
    for (char *p = ref; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return ref;
}

/* Search shows the user only results about entities it may read. */
static void user_search_filtered(void **state)
{
    static const char *const terms[] = {"route", "service", "chassis", ""};

    (void)state;
    for (size_t k = 0; k < sizeof(terms) / sizeof(terms[0]); k++) {
        char *path = gr_xasprintf("/api/search/query?term=%s", terms[k]);
        gr_test_output res = call_user("GET", path, NULL);
        gr_test_output all = call("GET", path, service_auth(), NULL);
        json_t *body = body_json(&res);
        json_t *everything = body_json(&all);
        const json_t *result;
        size_t i;

        assert_int_equal(res.status, 200);
        json_array_foreach(json_object_get(body, "results"), i, result)
        {
            const char *location =
                json_string_value(json_object_get(json_object_get(result, "document"), "location"));
            char *ref = location_ref(location);

            if (ref == NULL || !is_readable(ref))
                fail_msg("search for '%s' returned %s, which the user may not read", terms[k],
                         location ? location : "(no location)");
            free(ref);
        }
        if (strcmp(terms[k], "chassis") == 0)
            assert_true(json_integer_value(json_object_get(everything, "numberOfResults")) > 0);
        assert_true(json_integer_value(json_object_get(body, "numberOfResults")) <
                    json_integer_value(json_object_get(everything, "numberOfResults")));
        json_decref(body);
        json_decref(everything);
        gr_test_output_free(&res);
        gr_test_output_free(&all);
        free(path);
    }
}

/* TechDocs serves the docs of readable entities only, and 404 for the others. */
static void user_techdocs_filtered(void **state)
{
    gr_test_output res;

    (void)state;
    res = call_user("GET", "/api/techdocs/metadata/entity/default/component/route-planner", NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    res = call_user("GET", "/api/techdocs/metadata/entity/default/component/service-chassis", NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);
    res = call_user("GET", "/api/techdocs/static/docs/default/component/service-chassis/index.html",
                    NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);
    res = call("GET", "/api/techdocs/metadata/entity/default/component/service-chassis",
               service_auth(), NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
}

/*
 * Fails when `html` links to an entity page of an entity the user may not
 * read. Groups may be skipped, because a readable entity names its owner.
 */
/* Returns the start of every link to the docs of `ref` ("kind:ns/name"), as href="/docs/ns/kind/name/. */
static char *docs_link(const char *ref)
{
    const char *colon = strchr(ref, ':');
    const char *slash = strchr(colon, '/');

    return gr_xasprintf("href=\"/docs/%.*s/%.*s/%s/", (int)(slash - colon - 1), colon + 1,
                        (int)(colon - ref), ref, slash + 1);
}

static void assert_no_hidden_links(const char *html, const char *page, int skip_groups)
{
    gr_test_output res = call("GET",
                              "/api/catalog/entities?fields=kind,metadata.name,"
                              "metadata.namespace",
                              service_auth(), NULL);
    json_t *list = body_json(&res);
    json_t *entity;
    size_t i;
    size_t hidden = 0;

    json_array_foreach(list, i, entity)
    {
        char *ref = entity_ref(entity);
        char *link;

        if (is_readable(ref) || (skip_groups && strncmp(ref, "group:", 6) == 0)) {
            free(ref);
            continue;
        }
        hidden++;
        {
            const char *colon = strchr(ref, ':');
            const char *slash = strchr(colon, '/');

            link = gr_xasprintf("href=\"/catalog/%.*s/%.*s/%s\"", (int)(slash - colon - 1),
                                colon + 1, (int)(colon - ref), ref, slash + 1);
        }
        if (strstr(html, link) != NULL)
            fail_msg("%s links to %s, which the user may not read", page, ref);
        free(link);
        link = docs_link(ref);
        if (strstr(html, link) != NULL)
            fail_msg("%s links to the docs of %s, which the user may not read", page, ref);
        free(link);
        free(ref);
    }
    assert_true(hidden > 10);
    json_decref(list);
    gr_test_output_free(&res);
}

/* Fails unless every suggestion of a /catalog-suggest response links to a readable entity. */
static void assert_suggestions_readable(const char *text)
{
    json_t *items = json_loads(text, 0, NULL);
    const json_t *item;
    size_t i;

    if (!json_is_array(items))
        fail_msg("the type-ahead returned no JSON array: %.300s", text);
    json_array_foreach(items, i, item)
    {
        const char *href = json_string_value(json_object_get(item, "href"));
        char *ref = location_ref(href);

        if (ref == NULL || !is_readable(ref))
            fail_msg("the type-ahead suggested %s, which the user may not read",
                     href ? href : "(no href)");
        free(ref);
    }
    json_decref(items);
}

/* The catalog page, its filters, the home page and the entity page show readable entities only. */
static void user_ui_filtered(void **state)
{
    gr_test_output res;

    (void)state;
    res = call_session("GET", "/catalog?filters%5Bkind%5D=all&limit=100", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "route-planner"));
    assert_null(strstr(res.out, "service-chassis"));
    assert_null(strstr(res.out, "checkout-team"));
    assert_null(strstr(res.out, "basket-service"));
    assert_no_hidden_links(res.out, "the catalog page", 1);
    gr_test_output_free(&res);

    res = call_session("GET", "/", NULL);
    assert_int_equal(res.status, 200);
    assert_no_hidden_links(res.out, "the home page", 0);
    gr_test_output_free(&res);

    res = call_session("GET", "/search?query=service", NULL);
    assert_int_equal(res.status, 200);
    assert_no_hidden_links(res.out, "the search page", 1);
    gr_test_output_free(&res);

    res = call_session("GET", "/catalog/default/component/service-chassis", NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);

    res = call_session("GET", "/catalog/default/component/route-planner", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "/refresh\""));
    assert_null(strstr(res.out, "/unregister\""));
    gr_test_output_free(&res);

    res = call_session("GET", "/catalog/default/component/route-planner/unregister", NULL);
    assert_int_equal(res.status, 403);
    gr_test_output_free(&res);

    /* The type-ahead suggests the route-planner docs pages, which mention the
     * service chassis, but nothing about service-chassis itself. */
    res = call_session("GET", "/catalog-suggest?q=chassis", NULL);
    assert_int_equal(res.status, 200);
    assert_suggestions_readable(res.out);
    assert_null(strstr(res.out, "/service-chassis"));
    gr_test_output_free(&res);
}

/* Every form route of the pages rejects a post without the CSRF token, and with a wrong one. */
static void ui_forms_need_csrf(void **state)
{
    size_t checked = 0;

    (void)state;
    for (size_t i = 0; i < fx.route_count; i++) {
        const route *r = &fx.route_list[i];
        gr_test_output res;

        if (r->is_public || strcmp(r->method, "POST") != 0 || !is_page(r->pattern))
            continue;
        res = call_session("POST", r->path, "target=x&starred=1&theme=dark");
        if (res.status != 403)
            fail_msg("POST %s without a CSRF token: status %d, expected 403", r->path, res.status);
        gr_test_output_free(&res);
        res = call_session("POST", r->path, "csrf=0123456789abcdef&_csrf=0123456789abcdef");
        if (res.status != 403)
            fail_msg("POST %s with a wrong CSRF token: status %d, expected 403", r->path,
                     res.status);
        gr_test_output_free(&res);
        checked++;
    }
    assert_true(checked >= 8);
}

/* Sends a form post to `path` as the guest user's browser session, with one extra header (or
 * NULL). */
static gr_test_output post_session(const char *path, const char *form, const char *header)
{
    char *cookie = gr_xasprintf("Cookie: greenroom-session=%s", fx.token);
    const char *headers[] = {cookie, "Content-Type: application/x-www-form-urlencoded", header,
                             NULL};
    gr_test_output res = call("POST", path, headers, form);

    free(cookie);
    return res;
}

/* Posts "note=a<NUL>b&more=1" to the probe's form page with the guest's bearer token. */
static gr_test_output post_raw_nul(void)
{
    static const char body[] = "note=a\0b&more=1";
    char *credential = gr_xasprintf("Authorization: Bearer %s", fx.token);
    char *url = gr_xasprintf("%s/probe/form", fx.server.base_url);
    const char *headers[] = {credential, "Content-Type: application/x-www-form-urlencoded", NULL};
    gr_test_output res = gr_test_http_bytes("POST", url, headers, body, sizeof(body) - 1);

    free(url);
    free(credential);
    return res;
}

/* Returns the value of the hidden CSRF field of a page's form (caller frees), or fails. */
static char *form_token(const char *html)
{
    const char *marker = "name=\"_csrf\" value=\"";
    const char *start = html != NULL ? strstr(html, marker) : NULL;
    const char *end;

    if (start == NULL)
        fail_msg("the form carries no CSRF field: %.500s", html != NULL ? html : "");
    start += strlen(marker);
    end = strchr(start, '"');
    assert_non_null(end);
    return gr_xstrndup(start, (size_t)(end - start));
}

/* Asserts a response's status, printing the body when it differs. */
static void assert_status(const gr_test_output *res, int status, const char *request)
{
    if (res->status != status)
        fail_msg("%s: status %d, expected %d: %.400s", request, res->status, status,
                 res->out != NULL ? res->out : "");
}

/* A plugin's form page is served only to a post that carries the session's CSRF token from the
 * portal's origin, and gets the decoded fields within the documented limits. */
static void plugin_form_page_checks(void **state)
{
    gr_test_output res;
    gr_buf many = GR_BUF_INIT;
    char *token;
    char *form;

    (void)state;
    res = call_session("GET", "/probe/form", NULL);
    assert_status(&res, 200, "GET /probe/form");
    token = form_token(res.out);
    gr_test_output_free(&res);

    res = post_session("/probe/form", "note=hello+there", NULL);
    assert_status(&res, 403, "a form post without the token");
    assert_null(strstr(res.out, "probe-form"));
    gr_test_output_free(&res);

    form = gr_xasprintf("_csrf=%s&note=hello+there%%21", token);
    res = post_session("/probe/form", form, NULL);
    assert_status(&res, 200, "a form post with the token");
    assert_non_null(strstr(res.out, "<p class=\"probe-form\">fields=2 note=hello there! "
                                    "last=note</p>"));
    gr_test_output_free(&res);

    res = post_session("/probe/form", form, "Origin: https://attacker.example");
    assert_status(&res, 403, "a form post with the token from another origin");
    gr_test_output_free(&res);
    free(form);

    /* A bearer token is not sent by browsers on their own, so it needs no CSRF token. */
    res = call_as_guest("POST", "/probe/form", "Authorization: Bearer ",
                        "Content-Type: application/x-www-form-urlencoded", "note=scripted");
    assert_status(&res, 200, "a form post with a bearer token");
    assert_non_null(strstr(res.out, "note=scripted"));
    gr_test_output_free(&res);
    res = call_user("POST", "/probe/form", "{\"note\":\"json\"}");
    assert_status(&res, 400, "a JSON post to a form page");
    gr_test_output_free(&res);

    form = gr_xasprintf("_csrf=%s&note=%%zz", token);
    res = post_session("/probe/form", form, NULL);
    assert_status(&res, 400, "a form post with a malformed escape");
    gr_test_output_free(&res);
    free(form);
    form = gr_xasprintf("_csrf=%s&note=a%%00b", token);
    res = post_session("/probe/form", form, NULL);
    assert_status(&res, 400, "a form post with an encoded NUL byte");
    gr_test_output_free(&res);
    free(form);
    res = post_raw_nul();
    assert_status(&res, 400, "a form post with a raw NUL byte");
    assert_null(strstr(res.out, "probe-form"));
    gr_test_output_free(&res);

    gr_buf_printf(&many, "_csrf=%s", token);
    for (int i = 1; i < 300; i++)
        gr_buf_printf(&many, "&f%d=x", i);
    res = post_session("/probe/form", gr_buf_cstr(&many), NULL);
    assert_status(&res, 413, "a form post with 300 fields");
    assert_null(strstr(res.out, "probe-form"));
    gr_test_output_free(&res);
    gr_buf_free(&many);
    free(token);
}

/*
 * The unprocessed lists need catalog.entity.read for every entity, which the
 * user's owner rule does not give, and deleting needs its own permission.
 */
static void user_unprocessed_denied(void **state)
{
    static const char *const lists[] = {"/api/catalog/entities/unprocessed/failed",
                                        "/api/catalog/entities/unprocessed/pending"};
    gr_test_output res;

    (void)state;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        res = call_user("GET", lists[i], NULL);
        assert_not_allowed(&res, lists[i]);
        assert_non_null(strstr(res.out, "catalog.entity.read"));
        assert_null(strstr(res.out, "\"entities\""));
        gr_test_output_free(&res);

        res = call("GET", lists[i], service_auth(), NULL);
        assert_status(&res, 200, lists[i]);
        gr_test_output_free(&res);
    }

    res = call_user("DELETE", "/api/catalog/entities/unprocessed/delete/x", NULL);
    assert_not_allowed(&res, "DELETE /entities/unprocessed/delete/:entity_id");
    assert_non_null(strstr(res.out, "catalog.entities.unprocessed.delete"));
    gr_test_output_free(&res);
    res = call("DELETE", "/api/catalog/entities/unprocessed/delete/x", service_auth(), NULL);
    assert_status(&res, 404, "DELETE /entities/unprocessed/delete/x as the service");
    gr_test_output_free(&res);
}

/*
 * The portal's unprocessed-entities page follows the same rules: the user
 * gets the 403 page and no link from the catalog page, the service the list.
 */
static void user_unprocessed_page_denied(void **state)
{
    gr_test_output res;

    (void)state;
    res = call_session("GET", "/catalog-unprocessed-entities?type=pending", NULL);
    assert_status(&res, 403, "GET /catalog-unprocessed-entities as the user");
    assert_non_null(strstr(res.out, "catalog.entity.read"));
    assert_null(strstr(res.out, "unprocessed-title"));
    gr_test_output_free(&res);

    res = call_session("GET", "/catalog", NULL);
    assert_status(&res, 200, "GET /catalog as the user");
    assert_null(strstr(res.out, "/catalog-unprocessed-entities"));
    gr_test_output_free(&res);

    res = call("GET", "/catalog-unprocessed-entities", service_auth(), NULL);
    assert_status(&res, 200, "GET /catalog-unprocessed-entities as the service");
    assert_non_null(strstr(res.out, "unprocessed-title"));
    gr_test_output_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_listed),
        cmocka_unit_test(public_routes_exact),
        cmocka_unit_test(signed_in_routes_reject_anonymous),
        cmocka_unit_test(metrics_need_token),
        cmocka_unit_test(user_lists_owned_only),
        cmocka_unit_test(user_facets_count_owned),
        cmocka_unit_test(user_single_reads_hidden),
        cmocka_unit_test(user_writes_checked),
        cmocka_unit_test(user_unprocessed_denied),
        cmocka_unit_test(user_unprocessed_page_denied),
        cmocka_unit_test(user_search_filtered),
        cmocka_unit_test(user_techdocs_filtered),
        cmocka_unit_test(user_ui_filtered),
        cmocka_unit_test(ui_forms_need_csrf),
        cmocka_unit_test(plugin_form_page_checks),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
