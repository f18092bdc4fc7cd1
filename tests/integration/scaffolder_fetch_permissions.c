/* SPDX-License-Identifier: MIT */
/* Integration tests: catalog:fetch in a task reads the catalog with its creator's permissions. */
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

/*
 * Users sign in through oauth2Proxy's trusted header: alice is in team-a,
 * bob in team-b, and a user reads only templates, users, groups and the
 * entities their user or team owns. Of the static tokens, admin-bot may do
 * everything (the test uses it to wait for the catalog), reader-bot may read
 * every entity, and ci-bot falls under the owner rule with no ownership.
 */
#define ADMIN_TOKEN "fetch-admin-token-1234"
#define READER_TOKEN "fetch-reader-token-5678"
#define CI_TOKEN "fetch-ci-token-9012"
#define WAIT_MS 30000

#define ALICE "alice@example.com"
#define BOB "bob@example.com"
#define BETA_REF "component:default/beta-svc"
#define MISSING_REF "component:default/no-such-svc"

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
    "    externalAccess:\n"
    "      - type: static\n"
    "        options: { token: " ADMIN_TOKEN ", subject: admin-bot }\n"
    "      - type: static\n"
    "        options: { token: " READER_TOKEN ", subject: reader-bot }\n"
    "      - type: static\n"
    "        options: { token: " CI_TOKEN ", subject: ci-bot }\n"
    "auth:\n"
    "  providers:\n"
    "    oauth2Proxy:\n"
    "      userHeader: x-forwarded-email\n"
    "      dangerouslyTrustUserHeader: true\n"
    "      signIn:\n"
    "        resolvers:\n"
    "          - resolver: emailMatchingUserEntityProfileEmail\n"
    "catalog:\n"
    "  rules:\n"
    "    - allow: [Component, Template, User, Group]\n"
    "  locations:\n"
    "    - type: file\n"
    "      target: ./catalog.yaml\n"
    "scaffolder:\n"
    "  workingDirectory: ./work\n"
    "permission:\n"
    "  enabled: true\n"
    "  rules:\n"
    "    - allow: \"*\"\n"
    "      when: { isService: [external:admin-bot] }\n"
    "    - allow: [\"scaffolder.*\"]\n"
    "    - allow: [catalog.entity.read]\n"
    "      when: { isService: [external:reader-bot] }\n"
    "    - allow: [catalog.entity.read]\n"
    "      when:\n"
    "        anyOf:\n"
    "          - kindIs: [template, user, group]\n"
    "          - isEntityOwner: true\n";

/* Turns the permission policy off, so every identity may read every entity. */
static const char disabled_yaml[] = "permission:\n"
                                    "  enabled: false\n";

/* Keeps every task open, so that a later server claims it. */
static const char paused_yaml[] = "scaffolder:\n"
                                  "  concurrentTasksLimit: 0\n";

#define USER(NAME, TEAM)                                                                           \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: User\n"                                                                                 \
    "metadata: { name: " NAME " }\n"                                                               \
    "spec:\n"                                                                                      \
    "  profile: { email: " NAME "@example.com }\n"                                                 \
    "  memberOf: [" TEAM "]\n"                                                                     \
    "---\n"                                                                                        \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Group\n"                                                                                \
    "metadata: { name: " TEAM " }\n"                                                               \
    "spec: { type: team, children: [] }\n"                                                         \
    "---\n"

#define COMPONENT(NAME, TEAM)                                                                      \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata: { name: " NAME " }\n"                                                               \
    "spec: { type: service, lifecycle: production, owner: group:default/" TEAM " }\n"              \
    "---\n"

/* Both steps fetch parameters.entityRef, once as entityRef and once in entityRefs. */
static const char catalog_yaml[] =
    USER("alice", "team-a") USER("bob", "team-b") COMPONENT("alpha-svc", "team-a")
        COMPONENT("beta-svc", "team-b") "apiVersion: scaffolder.backstage.io/v1beta3\n"
                                        "kind: Template\n"
                                        "metadata: { name: fetch-entity }\n"
                                        "spec:\n"
                                        "  owner: group:default/team-a\n"
                                        "  type: service\n"
                                        "  parameters:\n"
                                        "    - properties:\n"
                                        "        entityRef: { type: string }\n"
                                        "        optional: { type: boolean }\n"
                                        "  steps:\n"
                                        "    - id: one\n"
                                        "      action: catalog:fetch\n"
                                        "      input:\n"
                                        "        entityRef: ${{ parameters.entityRef }}\n"
                                        "        optional: ${{ parameters.optional }}\n"
                                        "    - id: many\n"
                                        "      action: catalog:fetch\n"
                                        "      input:\n"
                                        "        entityRefs: ['${{ parameters.entityRef }}']\n"
                                        "        optional: ${{ parameters.optional }}\n"
                                        "  output:\n"
                                        "    entity: ${{ steps.one.output.entity }}\n"
                                        "    entities: ${{ steps.many.output.entities }}\n";

/* The sender of a request: a user through the proxy header, or a static token. */
typedef struct {
    const char *email;
    const char *token;
} caller;

static const caller alice = {.email = ALICE};
static const caller bob = {.email = BOB};
static const caller admin = {.token = ADMIN_TOKEN};
static const caller reader = {.token = READER_TOKEN};
static const caller ci = {.token = CI_TOKEN};

static gr_test_output request(const gr_test_server *server, const caller *sender,
                              const char *method, const char *path, const char *body)
{
    char *identity = sender->email != NULL
                         ? gr_xasprintf("X-Forwarded-Email: %s", sender->email)
                         : gr_xasprintf("Authorization: Bearer %s", sender->token);
    /* A proxy user's API write needs the portal's origin, as the portal's scripts send it. */
    char *origin = gr_xasprintf("Origin: %s", server->base_url);
    const char *headers[] = {identity, origin, "X-Requested-With: XMLHttpRequest",
                             "Content-Type: application/json", NULL};
    char *url = gr_xasprintf("%s%s", server->base_url, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    free(origin);
    free(identity);
    return res;
}

/* Waits until `path` returns 200 for `sender`, because the catalog may still be reading. */
static bool wait_ok(const gr_test_server *server, const caller *sender, const char *path)
{
    for (int waited = 0; waited < WAIT_MS; waited += 100) {
        gr_test_output res = request(server, sender, "GET", path, NULL);
        int status = res.status;

        gr_test_output_free(&res);
        if (status == 200)
            return true;
        usleep(100000);
    }
    fprintf(stderr, "GET %s did not return 200 in %d ms\n", path, WAIT_MS);
    return false;
}

/* Starts a server in `dir` (paused: without task workers) and waits for the catalog. */
static void start(gr_test_server *server, const char *dir, bool paused)
{
    const char *const plain[] = {"app-config.yaml", NULL};
    const char *const with_pause[] = {"app-config.yaml", "paused.yaml", NULL};

    assert_int_equal(gr_test_server_start_configs(server, dir, paused ? with_pause : plain, 30000),
                     0);
    assert_true(
        wait_ok(server, &admin, "/api/catalog/entities/by-name/component/default/beta-svc"));
    assert_true(
        wait_ok(server, &admin, "/api/catalog/entities/by-name/template/default/fetch-entity"));
    /* The proxy users resolve once their User entities are in the catalog. */
    assert_true(wait_ok(server, &alice, "/api/catalog/entities/by-name/user/default/alice"));
    assert_true(wait_ok(server, &bob, "/api/catalog/entities/by-name/user/default/bob"));
}

static char *make_dir(const char *name)
{
    char *dir = gr_test_tmpdir(name);

    gr_test_write_file(dir, "app-config.yaml", config_yaml);
    gr_test_write_file(dir, "paused.yaml", paused_yaml);
    gr_test_write_file(dir, "disabled.yaml", disabled_yaml);
    gr_test_write_file(dir, "catalog.yaml", catalog_yaml);
    return dir;
}

/* Creates a task from fetch-entity as `sender` and returns its id (caller frees). */
static char *create_task(const gr_test_server *server, const caller *sender, const char *ref,
                         bool optional)
{
    char *body = gr_xasprintf("{\"templateRef\":\"template:default/fetch-entity\","
                              "\"values\":{\"entityRef\":\"%s\",\"optional\":%s}}",
                              ref, optional ? "true" : "false");
    gr_test_output res = request(server, sender, "POST", "/api/scaffolder/v2/tasks", body);
    json_t *parsed;
    char *id;

    if (res.status != 201)
        fail_msg("creating a task for %s: status %d, body %s", ref, res.status,
                 res.out ? res.out : "");
    parsed = json_loads(res.out, 0, NULL);
    id = gr_xstrdup(json_string_value(json_object_get(parsed, "id")));
    json_decref(parsed);
    gr_test_output_free(&res);
    free(body);
    return id;
}

/* Reads the status of task `id` as the admin (caller frees). */
static char *task_status(const gr_test_server *server, const char *id)
{
    char *path = gr_xasprintf("/api/scaffolder/v2/tasks/%s", id);
    gr_test_output res = request(server, &admin, "GET", path, NULL);
    json_t *task = json_loads(res.out ? res.out : "", 0, NULL);
    char *status = gr_xstrdup(json_string_value(json_object_get(task, "status")) ?: "");

    json_decref(task);
    gr_test_output_free(&res);
    free(path);
    return status;
}

/* Waits for task `id` to end and returns its completion event's body (new reference). */
static json_t *completion(const gr_test_server *server, const char *id)
{
    char *path = gr_xasprintf("/api/scaffolder/v2/tasks/%s/events", id);
    json_t *body = NULL;

    for (int waited = 0; waited < WAIT_MS && body == NULL; waited += 100) {
        gr_test_output res = request(server, &admin, "GET", path, NULL);
        json_t *events = json_loads(res.out ? res.out : "", 0, NULL);
        size_t index;
        json_t *event;

        json_array_foreach(events, index, event)
        {
            if (strcmp(json_string_value(json_object_get(event, "type")) ?: "", "completion") == 0)
                body = json_incref(json_object_get(event, "body"));
        }
        json_decref(events);
        gr_test_output_free(&res);
        if (body == NULL)
            usleep(100000);
    }
    free(path);
    if (body == NULL)
        fail_msg("task %s did not complete in %d ms", id, WAIT_MS);
    return body;
}

static const char *error_message(const json_t *body)
{
    return json_string_value(json_object_get(json_object_get(body, "error"), "message"));
}

/* Runs fetch-entity for `ref` as `sender` and returns the completion body (new reference). */
static json_t *run_fetch(const gr_test_server *server, const caller *sender, const char *ref,
                         bool optional)
{
    char *id = create_task(server, sender, ref, optional);
    json_t *body = completion(server, id);

    free(id);
    return body;
}

/* Checks that a failed fetch gives exactly the message of a missing entity. */
static void expect_not_found(const json_t *body, const char *ref)
{
    char *expected = gr_xasprintf("Entity %s not found", ref);
    const char *message = error_message(body);

    if (message == NULL || strstr(message, expected) == NULL)
        fail_msg("expected an error with '%s', got '%s'", expected, message ? message : "(none)");
    free(expected);
}

static void expect_entity(const json_t *body, const char *name)
{
    const json_t *output = json_object_get(body, "output");
    const json_t *entity = json_object_get(output, "entity");
    const json_t *first = json_array_get(json_object_get(output, "entities"), 0);

    assert_null(error_message(body));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(entity, "metadata"), "name")), name);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "metadata"), "name")), name);
}

/* Returns `message` with the hidden ref replaced by the missing one (caller frees). */
static char *as_missing(const char *message)
{
    const char *at = strstr(message, BETA_REF);

    if (at == NULL)
        return gr_xstrdup(message);
    return gr_xasprintf("%.*s%s%s", (int)(at - message), message, MISSING_REF,
                        at + strlen(BETA_REF));
}

static void fetch_as_creator(void **state)
{
    char *dir = make_dir("scaffolder-fetch");
    gr_test_server server;
    json_t *hidden;
    json_t *missing;
    char *rewritten;

    (void)state;
    start(&server, dir, false);

    /* alice may not read team-b's service: the same failure as a missing entity. */
    hidden = run_fetch(&server, &alice, BETA_REF, false);
    missing = run_fetch(&server, &alice, MISSING_REF, false);
    expect_not_found(hidden, BETA_REF);
    expect_not_found(missing, MISSING_REF);
    rewritten = as_missing(error_message(hidden) ?: "");
    assert_string_equal(rewritten, error_message(missing));
    assert_null(json_object_get(json_object_get(hidden, "output"), "entity"));
    free(rewritten);
    json_decref(hidden);
    json_decref(missing);

    /* With optional: true both output nothing, and the same nothing. */
    hidden = run_fetch(&server, &alice, BETA_REF, true);
    missing = run_fetch(&server, &alice, MISSING_REF, true);
    assert_null(error_message(hidden));
    assert_null(error_message(missing));
    assert_true(json_is_null(json_object_get(json_object_get(hidden, "output"), "entity")));
    assert_true(json_is_null(
        json_array_get(json_object_get(json_object_get(hidden, "output"), "entities"), 0)));
    assert_true(json_equal(json_object_get(hidden, "output"), json_object_get(missing, "output")));
    json_decref(hidden);
    json_decref(missing);

    /* alice reads her own team's service; bob, in team-b, reads beta-svc. */
    hidden = run_fetch(&server, &alice, "component:default/alpha-svc", false);
    expect_entity(hidden, "alpha-svc");
    json_decref(hidden);
    hidden = run_fetch(&server, &bob, BETA_REF, false);
    expect_entity(hidden, "beta-svc");
    json_decref(hidden);

    /* Services are checked as services: reader-bot may read it, ci-bot owns nothing. */
    hidden = run_fetch(&server, &reader, BETA_REF, false);
    expect_entity(hidden, "beta-svc");
    json_decref(hidden);
    hidden = run_fetch(&server, &ci, BETA_REF, false);
    expect_not_found(hidden, BETA_REF);
    json_decref(hidden);

    assert_int_equal(gr_test_server_stop(&server), 0);
    gr_test_rmtree(dir);
    free(dir);
}

static void restart_keeps_creator(void **state)
{
    char *dir = make_dir("scaffolder-fetch-restart");
    gr_test_server server;
    char *alice_task;
    char *bob_task;
    char *ci_task;
    char *status;
    json_t *body;

    (void)state;
    /* The first server has no task workers, so every task is still open when it stops. */
    start(&server, dir, true);
    alice_task = create_task(&server, &alice, BETA_REF, false);
    bob_task = create_task(&server, &bob, BETA_REF, false);
    ci_task = create_task(&server, &ci, BETA_REF, false);
    status = task_status(&server, alice_task);
    assert_string_equal(status, "open");
    free(status);
    assert_int_equal(gr_test_server_stop(&server), 0);

    /* A new server claims them and runs each as its creator. */
    start(&server, dir, false);
    body = completion(&server, alice_task);
    expect_not_found(body, BETA_REF);
    json_decref(body);
    body = completion(&server, bob_task);
    expect_entity(body, "beta-svc");
    json_decref(body);
    body = completion(&server, ci_task);
    expect_not_found(body, BETA_REF);
    json_decref(body);

    assert_int_equal(gr_test_server_stop(&server), 0);
    gr_test_rmtree(dir);
    free(ci_task);
    free(bob_task);
    free(alice_task);
    free(dir);
}

/* A dry run of fetch-entity for `ref` as `sender`; returns the response body (caller frees). */
static char *dry_run_fetch(const gr_test_server *server, const caller *sender, const char *ref)
{
    char *body =
        gr_xasprintf("{\"template\":{\"apiVersion\":\"scaffolder.backstage.io/v1beta3\",\"kind\":"
                     "\"Template\",\"metadata\":{\"name\":\"dry-fetch\"},\"spec\":{\"owner\":"
                     "\"group:default/team-a\",\"type\":\"service\",\"steps\":[{\"id\":\"one\","
                     "\"action\":\"catalog:fetch\",\"input\":{\"entityRef\":\"%s\"}}],"
                     "\"output\":{\"entity\":\"${{ steps.one.output.entity }}\"}}},"
                     "\"values\":{},\"directoryContents\":[]}",
                     ref);
    gr_test_output res = request(server, sender, "POST", "/api/scaffolder/v2/dry-run", body);
    char *text;

    if (res.status != 200)
        fail_msg("dry run for %s: status %d, body %s", ref, res.status, res.out ? res.out : "");
    text = gr_xstrdup(res.out);
    gr_test_output_free(&res);
    free(body);
    return text;
}

static void dry_run_as_caller(void **state)
{
    char *dir = make_dir("scaffolder-fetch-dry");
    gr_test_server server;
    char *hidden;
    char *allowed;

    (void)state;
    start(&server, dir, false);
    hidden = dry_run_fetch(&server, &alice, BETA_REF);
    allowed = dry_run_fetch(&server, &bob, BETA_REF);
    assert_non_null(strstr(hidden, "\"status\":\"failed\""));
    assert_non_null(strstr(hidden, "Entity " BETA_REF " not found"));
    assert_null(strstr(hidden, "\"lifecycle\""));
    assert_non_null(strstr(allowed, "\"status\":\"completed\""));
    assert_non_null(strstr(allowed, "\"name\":\"beta-svc\""));
    free(allowed);
    free(hidden);
    assert_int_equal(gr_test_server_stop(&server), 0);
    gr_test_rmtree(dir);
    free(dir);
}

static void disabled_policy_reads_all(void **state)
{
    const char *const configs[] = {"app-config.yaml", "disabled.yaml", NULL};
    char *dir = make_dir("scaffolder-fetch-disabled");
    gr_test_server server;
    json_t *body;

    (void)state;
    assert_int_equal(gr_test_server_start_configs(&server, dir, configs, 30000), 0);
    assert_true(wait_ok(&server, &ci, "/api/catalog/entities/by-name/component/default/beta-svc"));
    assert_true(
        wait_ok(&server, &ci, "/api/catalog/entities/by-name/template/default/fetch-entity"));
    body = run_fetch(&server, &ci, BETA_REF, false);
    expect_entity(body, "beta-svc");
    json_decref(body);
    assert_true(wait_ok(&server, &alice, "/api/catalog/entities/by-name/user/default/alice"));
    body = run_fetch(&server, &alice, BETA_REF, false);
    expect_entity(body, "beta-svc");
    json_decref(body);
    assert_int_equal(gr_test_server_stop(&server), 0);
    gr_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fetch_as_creator),
        cmocka_unit_test(restart_keeps_creator),
        cmocka_unit_test(dry_run_as_caller),
        cmocka_unit_test(disabled_policy_reads_all),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
