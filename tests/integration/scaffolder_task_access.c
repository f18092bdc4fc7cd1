/* SPDX-License-Identifier: MIT */
/* Integration tests: under isTaskOwner a user reads and cancels only the tasks they created. */
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
 * bob in team-b and carol in admins. Users read templates, users, groups and
 * what their team owns, so only bob may read beta-svc. Ordinary users read
 * and cancel their own tasks (isTaskOwner); admins have a rule without the
 * condition. admin-bot, a static token, waits for the catalog.
 */
#define ADMIN_TOKEN "access-admin-token-1234"
#define WAIT_MS 30000

#define BETA_REF "component:default/beta-svc"
#define MISSING_ID "00000000-0000-4000-8000-000000000000"

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
    "    - allow: \"*\"\n"
    "      when: { isGroupMember: [group:default/admins] }\n"
    "    - allow: [scaffolder.task.read, scaffolder.task.cancel]\n"
    "      when: { isTaskOwner: true }\n"
    "    - allow: [scaffolder.task.create, scaffolder.template.execute,\n"
    "              scaffolder.template.parameter.read, scaffolder.template.step.read,\n"
    "              scaffolder.action.execute]\n"
    "    - allow: [catalog.entity.read]\n"
    "      when:\n"
    "        anyOf:\n"
    "          - kindIs: [template, user, group]\n"
    "          - isEntityOwner: true\n";

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

static const char catalog_yaml[] = USER("alice", "team-a") USER("bob", "team-b")
    USER("carol", "admins") COMPONENT("alpha-svc", "team-a") COMPONENT(
        "beta-svc",
        "team-b") "apiVersion: scaffolder.backstage.io/v1beta3\n"
                  "kind: Template\n"
                  "metadata: { name: fetch-entity }\n"
                  "spec:\n"
                  "  owner: group:default/team-a\n"
                  "  type: service\n"
                  "  parameters:\n"
                  "    - properties:\n"
                  "        entityRef: { type: string }\n"
                  "  steps:\n"
                  "    - id: one\n"
                  "      action: catalog:fetch\n"
                  "      input:\n"
                  "        entityRef: ${{ parameters.entityRef }}\n"
                  "    - id: say\n"
                  "      action: debug:log\n"
                  "      input:\n"
                  "        message: fetched ${{ steps.one.output.entity.metadata.name }}\n"
                  "  output:\n"
                  "    entity: ${{ steps.one.output.entity }}\n";

/* The sender of a request: a user through the proxy header, or the static token. */
typedef struct {
    const char *email;
    const char *token;
} caller;

static const caller alice = {.email = "alice@example.com"};
static const caller bob = {.email = "bob@example.com"};
static const caller carol = {.email = "carol@example.com"};
static const caller admin = {.token = ADMIN_TOKEN};

static gr_test_output request(const gr_test_server *server, const caller *sender,
                              const char *method, const char *path, const char *body)
{
    char *identity = sender->email != NULL
                         ? gr_xasprintf("X-Forwarded-Email: %s", sender->email)
                         : gr_xasprintf("Authorization: Bearer %s", sender->token);
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

/* Sends a request to `route` with its "{id}" replaced by a task id; returns the response. */
static gr_test_output request_task(const gr_test_server *server, const caller *sender,
                                   const char *method, const char *route, const char *id)
{
    const char *at = strstr(route, "{id}");
    char *path = gr_xasprintf("%.*s%s%s", (int)(at - route), route, id, at + 4);
    gr_test_output res = request(server, sender, method, path, NULL);

    free(path);
    return res;
}

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

/* Creates a task from fetch-entity for `ref` as `sender`; returns its id (caller frees). */
static char *create_task(const gr_test_server *server, const caller *sender, const char *ref)
{
    char *body = gr_xasprintf("{\"templateRef\":\"template:default/fetch-entity\","
                              "\"values\":{\"entityRef\":\"%s\"}}",
                              ref);
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

/* Waits until task `id` has ended, reading it as the admin. */
static void wait_done(const gr_test_server *server, const char *id)
{
    for (int waited = 0; waited < WAIT_MS; waited += 100) {
        gr_test_output res =
            request_task(server, &admin, "GET", "/api/scaffolder/v2/tasks/{id}", id);
        json_t *task = json_loads(res.out ? res.out : "", 0, NULL);
        const char *status = json_string_value(json_object_get(task, "status"));
        bool done =
            status != NULL && strcmp(status, "open") != 0 && strcmp(status, "processing") != 0;

        json_decref(task);
        gr_test_output_free(&res);
        if (done)
            return;
        usleep(100000);
    }
    fail_msg("task %s did not end in %d ms", id, WAIT_MS);
}

/* Returns `text` with every `id` replaced by MISSING_ID (caller frees). */
static char *as_missing(const char *text, const char *id)
{
    char *out = gr_xstrdup(text ? text : "");
    char *at;

    while ((at = strstr(out, id)) != NULL) {
        char *next = gr_xasprintf("%.*s%s%s", (int)(at - out), out, MISSING_ID, at + strlen(id));

        free(out);
        out = next;
    }
    return out;
}

/*
 * Checks that `sender` gets for task `id` exactly the response of a missing
 * task: 404, and the same body once the ids are swapped.
 */
static void expect_hidden(const gr_test_server *server, const caller *sender, const char *method,
                          const char *route, const char *id)
{
    gr_test_output hidden = request_task(server, sender, method, route, id);
    gr_test_output missing = request_task(server, sender, method, route, MISSING_ID);
    char *swapped = as_missing(hidden.out, id);

    if (hidden.status != 404)
        fail_msg("%s %s: status %d, expected 404; body %s", method, route, hidden.status,
                 hidden.out ? hidden.out : "");
    assert_int_equal(missing.status, 404);
    assert_string_equal(swapped, missing.out ? missing.out : "");
    assert_null(strstr(hidden.out ? hidden.out : "", "beta-svc"));
    free(swapped);
    gr_test_output_free(&missing);
    gr_test_output_free(&hidden);
}

static int expect_status(const gr_test_server *server, const caller *sender, const char *method,
                         const char *route, const char *id)
{
    gr_test_output res = request_task(server, sender, method, route, id);
    int status = res.status;

    gr_test_output_free(&res);
    return status;
}

/* Lists tasks at `path` as `sender`; returns the parsed body (new reference). */
static json_t *list(const gr_test_server *server, const caller *sender, const char *path)
{
    gr_test_output res = request(server, sender, "GET", path, NULL);
    json_t *parsed = json_loads(res.out ? res.out : "", 0, NULL);

    if (res.status != 200 || parsed == NULL)
        fail_msg("GET %s: status %d, body %s", path, res.status, res.out ? res.out : "");
    gr_test_output_free(&res);
    return parsed;
}

static json_int_t total(const json_t *answer)
{
    return json_integer_value(json_object_get(answer, "totalTasks"));
}

static size_t count(const json_t *answer)
{
    return json_array_size(json_object_get(answer, "tasks"));
}

/* Returns nonzero when every task of the response was created by `ref`. */
static int all_by(const json_t *answer, const char *ref)
{
    size_t index;
    const json_t *task;

    json_array_foreach(json_object_get(answer, "tasks"), index, task)
    {
        const char *creator = json_string_value(json_object_get(task, "createdBy"));

        if (creator == NULL || strcmp(creator, ref) != 0)
            return 0;
    }
    return 1;
}

typedef struct {
    char *dir;
    gr_test_server server;
    char *alice_first;
    char *alice_second;
    char *bob_task;
} fixture;

static int setup(void **state)
{
    fixture *f = gr_xcalloc(1, sizeof(*f));
    const char *const configs[] = {"app-config.yaml", NULL};

    f->dir = gr_test_tmpdir("scaffolder-task-access");
    gr_test_write_file(f->dir, "app-config.yaml", config_yaml);
    gr_test_write_file(f->dir, "catalog.yaml", catalog_yaml);
    if (gr_test_server_start_configs(&f->server, f->dir, configs, 30000) != 0)
        return -1;
    if (!wait_ok(&f->server, &admin, "/api/catalog/entities/by-name/component/default/beta-svc") ||
        !wait_ok(&f->server, &admin,
                 "/api/catalog/entities/by-name/template/default/fetch-entity") ||
        !wait_ok(&f->server, &alice, "/api/catalog/entities/by-name/user/default/alice") ||
        !wait_ok(&f->server, &bob, "/api/catalog/entities/by-name/user/default/bob") ||
        !wait_ok(&f->server, &carol, "/api/catalog/entities/by-name/user/default/carol"))
        return -1;
    f->alice_first = create_task(&f->server, &alice, "component:default/alpha-svc");
    f->bob_task = create_task(&f->server, &bob, BETA_REF);
    f->alice_second = create_task(&f->server, &alice, "component:default/alpha-svc");
    wait_done(&f->server, f->alice_first);
    wait_done(&f->server, f->bob_task);
    wait_done(&f->server, f->alice_second);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    if (f == NULL)
        return 0;
    gr_test_server_stop(&f->server);
    gr_test_rmtree(f->dir);
    free(f->alice_first);
    free(f->alice_second);
    free(f->bob_task);
    free(f->dir);
    free(f);
    return 0;
}

static void single_task_hidden(void **state)
{
    fixture *f = *state;
    const char *id = f->bob_task;

    expect_hidden(&f->server, &alice, "GET", "/api/scaffolder/v2/tasks/{id}", id);
    expect_hidden(&f->server, &alice, "GET", "/api/scaffolder/v2/tasks/{id}/events", id);
    expect_hidden(&f->server, &alice, "GET", "/api/scaffolder/v2/tasks/{id}/eventstream", id);
    expect_hidden(&f->server, &alice, "POST", "/api/scaffolder/v2/tasks/{id}/cancel", id);
    expect_hidden(&f->server, &alice, "POST", "/api/scaffolder/v2/tasks/{id}/retry", id);
}

static void own_task_readable(void **state)
{
    fixture *f = *state;
    gr_test_output res =
        request_task(&f->server, &bob, "GET", "/api/scaffolder/v2/tasks/{id}/events", f->bob_task);

    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out ? res.out : "", "beta-svc"));
    gr_test_output_free(&res);
    assert_int_equal(
        expect_status(&f->server, &alice, "GET", "/api/scaffolder/v2/tasks/{id}", f->alice_first),
        200);
    assert_int_equal(expect_status(&f->server, &alice, "GET",
                                   "/api/scaffolder/v2/tasks/{id}/eventstream", f->alice_first),
                     200);
    /* Her own task has ended: the cancel gets past the check and conflicts. */
    assert_int_equal(expect_status(&f->server, &alice, "POST",
                                   "/api/scaffolder/v2/tasks/{id}/cancel", f->alice_first),
                     409);
}

static void list_holds_own_tasks(void **state)
{
    fixture *f = *state;
    json_t *answer;

    answer = list(&f->server, &alice, "/api/scaffolder/v2/tasks?createdBy=user:default/bob");
    assert_int_equal(total(answer), 0);
    assert_int_equal(count(answer), 0);
    json_decref(answer);

    answer = list(&f->server, &alice, "/api/scaffolder/v2/tasks");
    assert_int_equal(total(answer), 2);
    assert_int_equal(count(answer), 2);
    assert_true(all_by(answer, "user:default/alice"));
    json_decref(answer);

    /* Paging counts only her tasks. */
    answer = list(&f->server, &alice, "/api/scaffolder/v2/tasks?limit=1&offset=1");
    assert_int_equal(total(answer), 2);
    assert_int_equal(count(answer), 1);
    assert_true(all_by(answer, "user:default/alice"));
    json_decref(answer);
    answer = list(&f->server, &alice, "/api/scaffolder/v2/tasks?limit=1&offset=2");
    assert_int_equal(total(answer), 2);
    assert_int_equal(count(answer), 0);
    json_decref(answer);

    answer = list(&f->server, &bob, "/api/scaffolder/v2/tasks");
    assert_int_equal(total(answer), 1);
    assert_true(all_by(answer, "user:default/bob"));
    json_decref(answer);
}

static void admin_sees_all(void **state)
{
    fixture *f = *state;
    json_t *answer = list(&f->server, &carol, "/api/scaffolder/v2/tasks");
    gr_test_output res;

    assert_int_equal(total(answer), 3);
    assert_int_equal(count(answer), 3);
    json_decref(answer);
    answer = list(&f->server, &carol, "/api/scaffolder/v2/tasks?createdBy=user:default/bob");
    assert_int_equal(total(answer), 1);
    json_decref(answer);
    res = request_task(&f->server, &carol, "GET", "/api/scaffolder/v2/tasks/{id}/events",
                       f->bob_task);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out ? res.out : "", "beta-svc"));
    gr_test_output_free(&res);
    assert_int_equal(
        expect_status(&f->server, &carol, "GET", "/api/scaffolder/v2/tasks/{id}", f->alice_first),
        200);
    assert_int_equal(expect_status(&f->server, &carol, "POST",
                                   "/api/scaffolder/v2/tasks/{id}/cancel", f->bob_task),
                     409);
}

static void portal_task_page(void **state)
{
    fixture *f = *state;
    gr_test_output res;

    expect_hidden(&f->server, &alice, "GET", "/create/tasks/{id}", f->bob_task);
    res = request_task(&f->server, &alice, "GET", "/create/tasks/{id}", f->alice_first);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out ? res.out : "", "alpha-svc"));
    gr_test_output_free(&res);
    res = request_task(&f->server, &carol, "GET", "/create/tasks/{id}", f->bob_task);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out ? res.out : "", "beta-svc"));
    gr_test_output_free(&res);
}

/* Asks POST /api/permission/authorize, as `sender`, about `permission` on the tasks `first` and
 * `second`, on a missing task and on no task. Returns the four results joined by spaces (caller
 * frees). */
static char *authorize_tasks(const gr_test_server *server, const caller *sender,
                             const char *permission, const char *first, const char *second)
{
    char *body = gr_xasprintf(
        "{\"items\":["
        "{\"id\":\"1\",\"permission\":{\"type\":\"resource\",\"name\":\"%s\","
        "\"resourceType\":\"scaffolder-task\",\"attributes\":{}},\"resourceRef\":\"%s\"},"
        "{\"id\":\"2\",\"permission\":{\"type\":\"resource\",\"name\":\"%s\","
        "\"resourceType\":\"scaffolder-task\",\"attributes\":{}},\"resourceRef\":\"%s\"},"
        "{\"id\":\"3\",\"permission\":{\"type\":\"resource\",\"name\":\"%s\","
        "\"resourceType\":\"scaffolder-task\",\"attributes\":{}},\"resourceRef\":\"%s\"},"
        "{\"id\":\"4\",\"permission\":{\"type\":\"resource\",\"name\":\"%s\","
        "\"resourceType\":\"scaffolder-task\",\"attributes\":{}}}]}",
        permission, first, permission, second, permission, MISSING_ID, permission);
    gr_test_output res = request(server, sender, "POST", "/api/permission/authorize", body);
    json_t *answer = json_loads(res.out ? res.out : "", 0, NULL);
    const json_t *items = json_object_get(answer, "items");
    const json_t *conditional = json_array_get(items, 3);
    char *results;

    if (res.status != 200 || json_array_size(items) != 4)
        fail_msg("POST /api/permission/authorize: status %d, body %s", res.status,
                 res.out ? res.out : "");
    results = gr_xasprintf(
        "%s %s %s %s", json_string_value(json_object_get(json_array_get(items, 0), "result")),
        json_string_value(json_object_get(json_array_get(items, 1), "result")),
        json_string_value(json_object_get(json_array_get(items, 2), "result")),
        json_string_value(json_object_get(conditional, "result")));
    if (strcmp(json_string_value(json_object_get(conditional, "result")), "CONDITIONAL") == 0) {
        assert_string_equal(json_string_value(json_object_get(conditional, "pluginId")),
                            "scaffolder");
        assert_string_equal(json_string_value(json_object_get(conditional, "resourceType")),
                            "scaffolder-task");
    }
    json_decref(answer);
    gr_test_output_free(&res);
    free(body);
    return results;
}

/* The permission API decides a task given as resourceRef by loading it: under isTaskOwner each
 * user is allowed their own task and denied the other's and a missing one. */
static void authorize_endpoint_loads_tasks(void **state)
{
    fixture *f = *state;
    char *results;

    results = authorize_tasks(&f->server, &alice, "scaffolder.task.read", f->alice_first,
                              f->bob_task);
    assert_string_equal(results, "ALLOW DENY DENY CONDITIONAL");
    free(results);
    results = authorize_tasks(&f->server, &bob, "scaffolder.task.read", f->alice_first,
                              f->bob_task);
    assert_string_equal(results, "DENY ALLOW DENY CONDITIONAL");
    free(results);
    results = authorize_tasks(&f->server, &bob, "scaffolder.task.cancel", f->bob_task,
                              f->alice_second);
    assert_string_equal(results, "ALLOW DENY DENY CONDITIONAL");
    free(results);
    /* The admins' rule has no condition, so no task needs loading. */
    results = authorize_tasks(&f->server, &carol, "scaffolder.task.read", f->alice_first,
                              f->bob_task);
    assert_string_equal(results, "ALLOW ALLOW ALLOW ALLOW");
    free(results);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_task_hidden),   cmocka_unit_test(own_task_readable),
        cmocka_unit_test(list_holds_own_tasks), cmocka_unit_test(admin_sees_all),
        cmocka_unit_test(portal_task_page),     cmocka_unit_test(authorize_endpoint_loads_tasks),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
