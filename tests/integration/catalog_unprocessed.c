/* SPDX-License-Identifier: MIT */
/* Integration tests of the unprocessed-entity routes on a real server and catalog file. */
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
#include "host/common/error.h"
#include "host/store/db.h"
#include "plugins/catalog/api/unprocessed.h"
#include "support/gr_test.h"

/*
 * Static tokens, one per kind of caller. admin-bot may do everything.
 * deleter-bot reads every entity and deletes unprocessed ones. blind-bot
 * deletes unprocessed entities but reads nothing. reader-bot reads every
 * entity. partial-bot reads only components, a conditional decision.
 * nobody-bot has no permission.
 */
#define ADMIN "admin-token-70412"
#define DELETER "deleter-token-70412"
#define BLIND "blind-token-70412"
#define READER "reader-token-70412"
#define PARTIAL "partial-token-70412"
#define NOBODY "nobody-token-70412"

/* Time the tests wait for the catalog to process a change, in ms. */
#define WAIT_MS 60000

#define STATIC_TOKEN(TOKEN, SUBJECT)                                                               \
    "      - type: static\n"                                                                       \
    "        options: { token: " TOKEN ", subject: " SUBJECT " }\n"

static const char config_yaml[] =
    "app:\n"
    "  baseUrl: http://127.0.0.1:${GREENROOM_PORT}\n"
    "backend:\n"
    "  listen:\n"
    "    port: ${GREENROOM_PORT}\n"
    "  database:\n"
    "    client: better-sqlite3\n"
    "    connection: ./greenroom.sqlite\n"
    "  auth:\n"
    "    externalAccess:\n" STATIC_TOKEN(ADMIN, "admin-bot") STATIC_TOKEN(DELETER, "deleter-bot")
        STATIC_TOKEN(BLIND, "blind-bot") STATIC_TOKEN(READER, "reader-bot")
            STATIC_TOKEN(PARTIAL, "partial-bot") STATIC_TOKEN(NOBODY, "nobody-bot")
    "catalog:\n"
    "  rules:\n"
    "    - allow: [Component, Group, Location]\n"
    "  locations:\n"
    "    - type: file\n"
    "      target: ./catalog.yaml\n"
    "permission:\n"
    "  enabled: true\n"
    "  rules:\n"
    "    - allow: \"*\"\n"
    "      when: { isService: [external:admin-bot] }\n"
    "    - allow: [catalog.entity.read, catalog.entities.unprocessed.delete]\n"
    "      when: { isService: [external:deleter-bot] }\n"
    "    - allow: [catalog.entities.unprocessed.delete]\n"
    "      when: { isService: [external:blind-bot] }\n"
    "    - allow: [catalog.entity.read]\n"
    "      when: { isService: [external:reader-bot] }\n"
    "    - allow: [catalog.entity.read]\n"
    "      when: { isService: [external:partial-bot], kindIs: [component] }\n";

static const char readonly_yaml[] = "catalog:\n"
                                    "  readonly: true\n";

#define GOOD_SVC                                                                                   \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata: { name: good-svc }\n"                                                               \
    "spec: { type: service, lifecycle: production, owner: team-a }\n"

/* A group without members or parents has no relations and no child entities. */
#define LONE_TEAM                                                                                  \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Group\n"                                                                                \
    "metadata: { name: lone-team }\n"                                                              \
    "spec: { type: team, children: [] }\n"

/* Components without spec.lifecycle fail validation, so they never get a final entity. */
#define BROKEN_SVC                                                                                 \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata: { name: broken-svc }\n"                                                             \
    "spec: { type: service, lifecyle: production, owner: team-b }\n"

#define BROKEN_WEB                                                                                 \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata: { name: broken-web }\n"                                                             \
    "spec: { type: website, owner: team-a }\n"

/* An owner with a non-ASCII letter, double quotes and a single quote (doubled in YAML). */
#define BROKEN_QUOTED                                                                              \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata: { name: broken-quoted }\n"                                                          \
    "spec: { type: service, owner: '\xc3\xa9quipe \"q\" o''brien' }\n"

/* The query parameter of that owner, percent-encoded. */
#define QUOTED_OWNER_QUERY "%C3%A9quipe%20%22q%22%20o%27brien"

static const char catalog_yaml[] =
    GOOD_SVC "---\n" LONE_TEAM "---\n" BROKEN_SVC "---\n" BROKEN_WEB "---\n" BROKEN_QUOTED;

/* The same file without broken-web, which makes broken-web an orphan. */
static const char catalog_without_web_yaml[] =
    GOOD_SVC "---\n" LONE_TEAM "---\n" BROKEN_SVC "---\n" BROKEN_QUOTED;

/* The failed list of catalog_yaml, in entity_ref order. */
#define ALL_FAILED                                                                                 \
    "component:default/broken-quoted component:default/broken-svc component:default/broken-web"

typedef struct {
    char *dir;
    gr_test_server server;
} fixture;

static fixture fx;

static gr_test_output request(const gr_test_server *server, const char *token, const char *method,
                              const char *path, const char *body)
{
    char *authorization = token != NULL ? gr_xasprintf("Authorization: Bearer %s", token) : NULL;
    const char *headers[] = {"Content-Type: application/json", authorization, NULL};
    char *url = gr_xasprintf("%s%s", server->base_url, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    free(authorization);
    return res;
}

static json_t *body_of(const gr_test_output *res)
{
    json_t *body = res->out != NULL ? json_loads(res->out, 0, NULL) : NULL;

    if (body == NULL)
        fail_msg("status %d, body is not JSON: %.400s", res->status, res->out ? res->out : "");
    return body;
}

/* Lists `set` ("failed" or "pending") with `query` ("" or "?owner=...") as `token`; fails unless 200. */
static json_t *list(const char *token, const char *set, const char *query)
{
    char *path = gr_xasprintf("/api/catalog/entities/unprocessed/%s%s", set, query);
    gr_test_output res = request(&fx.server, token, "GET", path, NULL);
    json_t *body;

    if (res.status != 200)
        fail_msg("GET %s: status %d: %.400s", path, res.status, res.out ? res.out : "");
    body = body_of(&res);
    assert_string_equal(json_string_value(json_object_get(body, "type")), set);
    assert_true(json_is_array(json_object_get(body, "entities")));
    gr_test_output_free(&res);
    free(path);
    return body;
}

/* Returns the entity_ref values of a list body, joined by spaces (caller frees). */
static char *refs_of(const json_t *body)
{
    const json_t *item;
    size_t index;
    char *joined = gr_xstrdup("");

    json_array_foreach(json_object_get(body, "entities"), index, item)
    {
        char *next = gr_xasprintf("%s%s%s", joined, index > 0 ? " " : "",
                                  json_string_value(json_object_get(item, "entity_ref")));

        free(joined);
        joined = next;
    }
    return joined;
}

/* Returns the refs that `set` with `query` lists for `token` (caller frees). */
static char *listed_refs(const char *token, const char *set, const char *query)
{
    json_t *body = list(token, set, query);
    char *refs = refs_of(body);

    json_decref(body);
    return refs;
}

/* Returns the item of `ref` in a list body (borrowed), or NULL. */
static const json_t *item_of(const json_t *body, const char *ref)
{
    const json_t *item;
    size_t index;

    json_array_foreach(json_object_get(body, "entities"), index, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "entity_ref")), ref) == 0)
            return item;
    }
    return NULL;
}

/* Returns the entity_id of `ref` in the failed list (caller frees), or fails. */
static char *failed_id(const char *ref)
{
    json_t *body = list(ADMIN, "failed", "");
    const json_t *item = item_of(body, ref);
    char *id;

    if (item == NULL)
        fail_msg("%s is not in the failed list", ref);
    id = gr_xstrdup(json_string_value(json_object_get(item, "entity_id")));
    json_decref(body);
    return id;
}

/* Returns metadata.uid of a stitched entity (caller frees), or fails. */
static char *entity_uid(const char *kind, const char *name)
{
    char *path = gr_xasprintf("/api/catalog/entities/by-name/%s/default/%s", kind, name);
    gr_test_output res = request(&fx.server, ADMIN, "GET", path, NULL);
    json_t *body = body_of(&res);
    char *uid;

    assert_int_equal(res.status, 200);
    uid = gr_xstrdup(json_string_value(json_object_get(json_object_get(body, "metadata"), "uid")));
    json_decref(body);
    gr_test_output_free(&res);
    free(path);
    return uid;
}

/* Asserts a status with Backstage's error body, its name, and a part of its message. */
static void assert_error(const gr_test_output *res, int status, const char *name,
                         const char *message_part)
{
    json_t *body;
    const json_t *error;
    const char *message;

    if (res->status != status)
        fail_msg("status %d, expected %d: %.400s", res->status, status, res->out ? res->out : "");
    body = body_of(res);
    error = json_object_get(body, "error");
    message = json_string_value(json_object_get(error, "message"));
    assert_string_equal(json_string_value(json_object_get(error, "name")), name);
    assert_non_null(message);
    if (strstr(message, message_part) == NULL)
        fail_msg("message '%s' does not contain '%s'", message, message_part);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(body, "response"), "statusCode")),
        status);
    json_decref(body);
}

/* Sends DELETE /entities/unprocessed/delete/`id` as `token`. */
static gr_test_output delete_unprocessed(const gr_test_server *server, const char *token,
                                         const char *id)
{
    char *path = gr_xasprintf("/api/catalog/entities/unprocessed/delete/%s", id);
    gr_test_output res = request(server, token, "DELETE", path, NULL);

    free(path);
    return res;
}

/* Waits until the failed list of `server` is exactly `expected`. */
static bool wait_failed(const gr_test_server *server, const char *expected)
{
    for (int waited = 0; waited < WAIT_MS; waited += 200) {
        gr_test_output res = request(server, ADMIN, "GET", "/api/catalog/entities/unprocessed/failed",
                                     NULL);
        json_t *body = res.status == 200 ? json_loads(res.out, 0, NULL) : NULL;
        char *refs = body != NULL ? refs_of(body) : NULL;
        bool done = refs != NULL && strcmp(refs, expected) == 0;

        free(refs);
        json_decref(body);
        gr_test_output_free(&res);
        if (done)
            return true;
        usleep(200 * 1000);
    }
    fprintf(stderr, "the failed list did not become '%s' within %d ms\n", expected, WAIT_MS);
    return false;
}

/* Waits until good-svc and lone-team are stitched and the broken components have failed. */
static bool wait_catalog(const gr_test_server *server)
{
    for (int waited = 0; waited < WAIT_MS; waited += 200) {
        gr_test_output res = request(server, ADMIN, "GET",
                                     "/api/catalog/entities/by-name/component/default/good-svc",
                                     NULL);
        gr_test_output group = request(server, ADMIN, "GET",
                                       "/api/catalog/entities/by-name/group/default/lone-team",
                                       NULL);
        int status = res.status == 200 ? group.status : res.status;

        gr_test_output_free(&res);
        gr_test_output_free(&group);
        if (status == 200)
            return wait_failed(server, ALL_FAILED);
        usleep(200 * 1000);
    }
    fprintf(stderr, "good-svc and lone-team were not stitched within %d ms\n", WAIT_MS);
    return false;
}

/* Starts a server in `dir` with the given extra config file (or NULL) and waits for the catalog. */
static int start_server(gr_test_server *server, const char *dir, const char *extra)
{
    const char *configs[] = {"app-config.yaml", extra, NULL};

    if (gr_test_server_start_configs(server, dir, configs, 30000) != 0)
        return -1;
    return wait_catalog(server) ? 0 : -1;
}

static char *make_dir(const char *name)
{
    char *dir = gr_test_tmpdir(name);

    gr_test_write_file(dir, "app-config.yaml", config_yaml);
    gr_test_write_file(dir, "readonly.yaml", readonly_yaml);
    gr_test_write_file(dir, "catalog.yaml", catalog_yaml);
    return dir;
}

static int group_setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof(fx));
    fx.dir = make_dir("catalog-unprocessed");
    return start_server(&fx.server, fx.dir, NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    gr_test_server_stop(&fx.server);
    gr_test_rmtree(fx.dir);
    free(fx.dir);
    return 0;
}

/* The failed list contains exactly the components that failed, with their rows and errors. */
static void failed_lists_failing_entities(void **state)
{
    json_t *body = list(ADMIN, "failed", "");
    const json_t *item = item_of(body, "component:default/broken-svc");
    const json_t *error = json_array_get(json_object_get(item, "errors"), 0);
    const char *message = json_string_value(json_object_get(error, "message"));
    const char *next_update = json_string_value(json_object_get(item, "next_update_at"));
    char *refs = refs_of(body);

    (void)state;
    assert_string_equal(refs, ALL_FAILED);
    assert_null(json_object_get(body, "truncated"));
    assert_non_null(item);
    assert_true(strlen(json_string_value(json_object_get(item, "entity_id"))) > 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(
                            json_object_get(item, "unprocessed_entity"), "metadata"), "name")),
                        "broken-svc");
    assert_true(json_is_string(json_object_get(item, "unprocessed_hash")));
    assert_true(json_is_null(json_object_get(item, "processed_entity")));
    assert_true(json_is_string(json_object_get(item, "result_hash")));
    assert_int_equal(json_array_size(json_object_get(item, "errors")), 1);
    assert_string_equal(json_string_value(json_object_get(error, "name")), "InputError");
    assert_non_null(message);
    if (strstr(message, "must have required property 'lifecycle'") == NULL)
        fail_msg("the error does not name the missing field: %s", message);
    if (strstr(message, "Did you mean 'lifecycle' instead of 'lifecyle'?") == NULL)
        fail_msg("the error does not point at the misspelt key: %s", message);
    assert_non_null(next_update);
    assert_int_equal(strlen(next_update), strlen("2024-05-01T10:00:00.000Z"));
    assert_int_equal(next_update[strlen(next_update) - 1], 'Z');
    assert_true(json_is_string(json_object_get(item, "last_discovery_at")));
    assert_non_null(strstr(json_string_value(json_object_get(item, "location_key")),
                           "catalog.yaml"));
    assert_null(json_object_get(item, "cache"));
    assert_null(json_object_get(item, "lease_owner"));
    free(refs);
    json_decref(body);
}

/* Stitched entities and the failed ones are not pending, and nothing else waits. */
static void pending_excludes_failed_and_stitched(void **state)
{
    char *refs = listed_refs(ADMIN, "pending", "");

    (void)state;
    assert_null(strstr(refs, "good-svc"));
    assert_null(strstr(refs, "lone-team"));
    assert_null(strstr(refs, "broken-svc"));
    assert_null(strstr(refs, "broken-web"));
    assert_string_equal(refs, "");
    free(refs);
}

/*
 * ?owner= keeps the entities whose unprocessed spec.owner equals it
 * exactly: case, quotes and non-ASCII letters count, and LIKE wildcards
 * match only themselves.
 */
static void owner_filter_exact(void **state)
{
    static const struct {
        const char *set;
        const char *query;
        const char *expected;
    } cases[] = {
        {"failed", "?owner=team-b", "component:default/broken-svc"},
        {"failed", "?owner=team-a", "component:default/broken-web"},
        {"failed", "?owner=Team-B", ""},
        {"failed", "?owner=group:default/team-b", ""},
        {"failed", "?owner=nobody", ""},
        {"failed", "?owner=", ALL_FAILED},
        {"failed", "?owner=" QUOTED_OWNER_QUERY, "component:default/broken-quoted"},
        {"failed", "?owner=%C3%89quipe%20%22q%22%20o%27brien", ""},
        {"failed", "?owner=%C3%A9quipe", ""},
        {"failed", "?owner=team-_", ""},
        {"failed", "?owner=team-%25", ""},
        {"failed", "?owner=%25", ""},
        {"pending", "?owner=team-a", ""},
        {"pending", "?owner=" QUOTED_OWNER_QUERY, ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *refs = listed_refs(ADMIN, cases[i].set, cases[i].query);

        if (strcmp(refs, cases[i].expected) != 0)
            fail_msg("%s%s listed '%s', expected '%s'", cases[i].set, cases[i].query, refs,
                     cases[i].expected);
        free(refs);
    }
}

/* Listing needs catalog.entity.read for every entity: a conditional or missing grant is 403. */
static void list_needs_full_read(void **state)
{
    static const char *const sets[] = {"failed", "pending"};
    char *refs;

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        char *path = gr_xasprintf("/api/catalog/entities/unprocessed/%s?owner=team-b", sets[i]);
        gr_test_output res = request(&fx.server, PARTIAL, "GET", path, NULL);

        assert_error(&res, 403, "NotAllowedError", "catalog.entity.read");
        assert_error(&res, 403, "NotAllowedError", "only for entities that match conditions");
        assert_null(strstr(res.out, "broken"));
        gr_test_output_free(&res);

        res = request(&fx.server, NOBODY, "GET", path, NULL);
        assert_error(&res, 403, "NotAllowedError", "You are not allowed to catalog.entity.read");
        assert_null(strstr(res.out, "broken"));
        gr_test_output_free(&res);

        res = request(&fx.server, BLIND, "GET", path, NULL);
        assert_error(&res, 403, "NotAllowedError", "catalog.entity.read");
        gr_test_output_free(&res);
        free(path);
    }

    /* The partial reader still reads components through the catalog's own routes. */
    {
        gr_test_output res = request(&fx.server, PARTIAL, "GET",
                                     "/api/catalog/entities/by-name/component/default/good-svc",
                                     NULL);

        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);
    }

    refs = listed_refs(READER, "failed", "");
    assert_string_equal(refs, ALL_FAILED);
    free(refs);
}

/* Deleting needs catalog.entities.unprocessed.delete, and a denial keeps the row. */
static void delete_needs_permission(void **state)
{
    char *id = failed_id("component:default/broken-svc");
    gr_test_output res = delete_unprocessed(&fx.server, READER, id);
    char *refs;

    (void)state;
    assert_error(&res, 403, "NotAllowedError", "catalog.entities.unprocessed.delete");
    gr_test_output_free(&res);
    res = delete_unprocessed(&fx.server, PARTIAL, id);
    assert_error(&res, 403, "NotAllowedError", "catalog.entities.unprocessed.delete");
    gr_test_output_free(&res);

    refs = listed_refs(ADMIN, "failed", "");
    assert_string_equal(refs, ALL_FAILED);
    free(refs);
    free(id);
}

/*
 * A stitched entity is 409 for a caller who may read it and 404 for one who
 * may not, as an unknown id is. lone-team has no relations and no child
 * entities, so only its final entity keeps it from being deleted.
 */
static void delete_rejects_stitched_and_unknown(void **state)
{
    static const char *const stitched[][3] = {
        {"component", "good-svc", "component:default/good-svc"},
        {"group", "lone-team", "group:default/lone-team"},
    };
    gr_test_output res;

    (void)state;
    for (size_t i = 0; i < sizeof(stitched) / sizeof(stitched[0]); i++) {
        char *uid = entity_uid(stitched[i][0], stitched[i][1]);
        char *again;

        res = delete_unprocessed(&fx.server, DELETER, uid);
        assert_error(&res, 409, "ConflictError", "/api/catalog/entities/by-uid/");
        assert_error(&res, 409, "ConflictError", stitched[i][2]);
        gr_test_output_free(&res);

        res = delete_unprocessed(&fx.server, BLIND, uid);
        assert_error(&res, 404, "NotFoundError", "No unprocessed entity with entity_id");
        assert_null(strstr(res.out, stitched[i][1]));
        gr_test_output_free(&res);

        again = entity_uid(stitched[i][0], stitched[i][1]);
        assert_string_equal(again, uid);
        free(again);
        free(uid);
    }

    res = delete_unprocessed(&fx.server, DELETER, "00000000-0000-0000-0000-000000000000");
    assert_error(&res, 404, "NotFoundError",
                 "No unprocessed entity with entity_id 00000000-0000-0000-0000-000000000000");
    gr_test_output_free(&res);
}

/*
 * Waits until the failed list shows `ref` with an entity_id other than
 * `old_id`, and returns that item (caller frees), or NULL after WAIT_MS.
 */
static json_t *wait_failed_again(const char *ref, const char *old_id)
{
    for (int waited = 0; waited < WAIT_MS; waited += 200) {
        json_t *body = list(ADMIN, "failed", "");
        const json_t *item = item_of(body, ref);
        const char *id = json_string_value(json_object_get(item, "entity_id"));

        if (id != NULL && strcmp(id, old_id) != 0) {
            json_t *copy = json_deep_copy(item);

            json_decref(body);
            return copy;
        }
        json_decref(body);
        usleep(200 * 1000);
    }
    fprintf(stderr, "%s did not fail again with a new entity_id within %d ms\n", ref, WAIT_MS);
    return NULL;
}

/*
 * Deleting a failed row removes it, and its location, which still emits
 * it, processes again at once: the entity comes back as failed, with a new
 * entity_id and the same error, although its file did not change. A second
 * delete of the old id finds nothing. The stitched entity of the same file
 * keeps its uid, and deleting it through this route is still 409.
 */
static void delete_reprocesses_failed_row(void **state)
{
    char *id = failed_id("component:default/broken-svc");
    char *good_uid = entity_uid("component", "good-svc");
    gr_test_output res = delete_unprocessed(&fx.server, DELETER, id);
    json_t *body;
    json_t *again;
    const char *message;
    char *uid_after;
    char *refs;

    (void)state;
    if (res.status != 204)
        fail_msg("DELETE: status %d: %.400s", res.status, res.out ? res.out : "");
    gr_test_output_free(&res);

    /* The entity may be back already, but never under the deleted id. */
    body = list(ADMIN, "failed", "");
    if (item_of(body, "component:default/broken-svc") != NULL)
        assert_string_not_equal(json_string_value(json_object_get(
                                     item_of(body, "component:default/broken-svc"), "entity_id")),
                                 id);
    json_decref(body);
    res = delete_unprocessed(&fx.server, DELETER, id);
    assert_error(&res, 404, "NotFoundError", id);
    gr_test_output_free(&res);

    again = wait_failed_again("component:default/broken-svc", id);
    assert_non_null(again);
    message = json_string_value(
        json_object_get(json_array_get(json_object_get(again, "errors"), 0), "message"));
    assert_non_null(message);
    if (strstr(message, "must have required property 'lifecycle'") == NULL)
        fail_msg("the entity came back with another error: %s", message);
    assert_true(json_is_null(json_object_get(again, "processed_entity")));
    json_decref(again);
    refs = listed_refs(ADMIN, "failed", "");
    assert_string_equal(refs, ALL_FAILED);
    free(refs);
    refs = listed_refs(ADMIN, "pending", "");
    assert_string_equal(refs, "");
    free(refs);

    uid_after = entity_uid("component", "good-svc");
    assert_string_equal(uid_after, good_uid);
    res = delete_unprocessed(&fx.server, DELETER, good_uid);
    assert_error(&res, 409, "ConflictError", "component:default/good-svc");
    gr_test_output_free(&res);
    free(uid_after);
    free(good_uid);
    free(id);
}

/* Without credentials every unprocessed route is 401. */
static void anonymous_rejected(void **state)
{
    static const char *const routes[][2] = {
        {"GET", "/api/catalog/entities/unprocessed/failed"},
        {"GET", "/api/catalog/entities/unprocessed/pending"},
        {"DELETE", "/api/catalog/entities/unprocessed/delete/x"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        gr_test_output res = request(&fx.server, NULL, routes[i][0], routes[i][1], NULL);

        assert_error(&res, 401, "AuthenticationError", "");
        gr_test_output_free(&res);
    }
}

/* Opens the database of the shared server, SQLite or the PostgreSQL one the harness gave it. */
static gr_db *open_server_db(void)
{
    char *path = gr_xasprintf("%s/greenroom.sqlite", fx.dir);
    gr_db *db = NULL;

    if (gr_test_server_db_open(&fx.server, path, &db) != GR_OK)
        fail_msg("opening the server's database failed: %s", gr_error_last());
    free(path);
    return db;
}

/* A list longer than its maximum is cut there and marked truncated. Of the failed
 * entities, only broken-web has the owner team-a. */
static void list_cut_at_max(void **state)
{
    gr_db *db = open_server_db();
    json_t *items = NULL;
    bool truncated = false;

    (void)state;
    assert_int_equal(gr_catalog_unprocessed_list(db, GR_CATALOG_UNPROCESSED_FAILED, NULL, 0,
                                                 &items, &truncated),
                     GR_OK);
    assert_int_equal(json_array_size(items), 0);
    assert_true(truncated);
    json_decref(items);

    assert_int_equal(gr_catalog_unprocessed_list(db, GR_CATALOG_UNPROCESSED_FAILED, "team-a", 1,
                                                 &items, &truncated),
                     GR_OK);
    assert_int_equal(json_array_size(items), 1);
    assert_false(truncated);
    json_decref(items);

    assert_int_equal(gr_catalog_unprocessed_list(db, GR_CATALOG_UNPROCESSED_FAILED, "nobody", 0,
                                                 &items, &truncated),
                     GR_OK);
    assert_int_equal(json_array_size(items), 0);
    assert_false(truncated);
    json_decref(items);
    gr_db_close(db);
}

/*
 * A hand-edited row whose unprocessed entity is not JSON is listed with
 * null and matches no owner. A list filtered by owner still shows the other
 * entities of that owner, also on PostgreSQL, whose cast of the text to
 * jsonb fails. The row can be deleted.
 */
static void invalid_json_row_listed(void **state)
{
    gr_db *db = open_server_db();
    gr_db_conn *conn = NULL;
    gr_test_output res;
    json_t *body;
    char *refs;

    (void)state;
    if (gr_db_acquire(db, GR_DB_WRITE, &conn) != GR_OK ||
        gr_db_exec(conn, "INSERT INTO catalog_refresh_state (entity_id, entity_ref, "
                         "unprocessed_entity, errors, next_update_at) VALUES ('hand-edited-1', "
                         "'component:default/broken-hand-edited', "
                         "'{\"spec\":{\"owner\":\"team-a\"', "
                         "'[{\"name\":\"InputError\",\"message\":\"invalid\"}]', "
                         "9000000000000)") != GR_OK)
        fail_msg("inserting the row failed: %s", gr_error_last());
    gr_db_release(conn);
    gr_db_close(db);

    body = list(ADMIN, "failed", "");
    assert_non_null(item_of(body, "component:default/broken-hand-edited"));
    assert_true(json_is_null(json_object_get(
        item_of(body, "component:default/broken-hand-edited"), "unprocessed_entity")));
    json_decref(body);
    refs = listed_refs(ADMIN, "failed", "?owner=team-a");
    assert_string_equal(refs, "component:default/broken-web");
    free(refs);
    refs = listed_refs(ADMIN, "failed", "?owner=team-b");
    assert_string_equal(refs, "component:default/broken-svc");
    free(refs);
    refs = listed_refs(ADMIN, "pending", "?owner=team-a");
    assert_string_equal(refs, "");
    free(refs);

    res = delete_unprocessed(&fx.server, DELETER, "hand-edited-1");
    assert_int_equal(res.status, 204);
    gr_test_output_free(&res);
    refs = listed_refs(ADMIN, "failed", "");
    assert_string_equal(refs, ALL_FAILED);
    free(refs);
}

/*
 * An entity its location stops emitting becomes an orphan: its errors are
 * cleared, so it moves from failed to pending.
 */
static void orphan_moves_to_pending(void **state)
{
    json_t *pending = NULL;
    gr_test_output res;

    (void)state;
    gr_test_write_file(fx.dir, "catalog.yaml", catalog_without_web_yaml);
    res = request(&fx.server, ADMIN, "POST", "/api/catalog/refresh",
                  "{\"entityRef\":\"component:default/good-svc\"}");
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    assert_true(
        wait_failed(&fx.server, "component:default/broken-quoted component:default/broken-svc"));
    pending = list(ADMIN, "pending", "");
    if (item_of(pending, "component:default/broken-web") == NULL)
        fail_msg("broken-web is not pending; pending lists '%s'", refs_of(pending));
    assert_true(json_is_null(json_object_get(item_of(pending, "component:default/broken-web"),
                                             "errors")));
    json_decref(pending);
}

/* With catalog.readonly, DELETE is 403 and the row stays, while the lists still work. */
static void readonly_rejects_delete(void **state)
{
    char *dir = make_dir("catalog-unprocessed-readonly");
    gr_test_server server = {0};
    gr_test_output res;
    char *id;

    (void)state;
    if (start_server(&server, dir, "readonly.yaml") != 0)
        fail_msg("the read-only server did not start");
    res = request(&server, ADMIN, "GET", "/api/catalog/entities/unprocessed/failed", NULL);
    assert_int_equal(res.status, 200);
    {
        json_t *body = body_of(&res);

        id = gr_xstrdup(json_string_value(json_object_get(json_array_get(
            json_object_get(body, "entities"), 0), "entity_id")));
        json_decref(body);
    }
    gr_test_output_free(&res);

    res = delete_unprocessed(&server, ADMIN, id);
    assert_error(&res, 403, "NotAllowedError", "readonly mode");
    gr_test_output_free(&res);
    assert_true(wait_failed(&server, ALL_FAILED));

    gr_test_server_stop(&server);
    gr_test_rmtree(dir);
    free(dir);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failed_lists_failing_entities),
        cmocka_unit_test(pending_excludes_failed_and_stitched),
        cmocka_unit_test(owner_filter_exact),
        cmocka_unit_test(list_needs_full_read),
        cmocka_unit_test(delete_needs_permission),
        cmocka_unit_test(delete_rejects_stitched_and_unknown),
        cmocka_unit_test(delete_reprocesses_failed_row),
        cmocka_unit_test(anonymous_rejected),
        cmocka_unit_test(list_cut_at_max),
        cmocka_unit_test(invalid_json_row_listed),
        cmocka_unit_test(orphan_moves_to_pending),
        cmocka_unit_test(readonly_rejects_delete),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
