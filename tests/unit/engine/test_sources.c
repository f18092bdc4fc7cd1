/* SPDX-License-Identifier: MIT */
/* Tests of location sources (git repositories, URLs through an integration) and of leases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/common/cancel.h"
#include "plugins/catalog/engine/settings.h"
#include "plugins/catalog/engine/store.h"
#include "support/silent_source.h"
#include "unit/engine/engine_fixture.h"

static const char component_yaml[] =
    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: %s\n"
    "  description: %s\nspec: {type: service, lifecycle: production, owner: team}\n";

/* Runs a shell command in `dir`; fails the test when it fails. */
static void run_in(const char *dir, const char *command)
{
    char *line = gr_xasprintf("cd '%s' && %s >/dev/null 2>&1", dir, command);

    if (system(line) != 0)
        fail_msg("command failed: %s", line);
    free(line);
}

static void write_component(const char *dir, const char *file, const char *name,
                            const char *description)
{
    char *text = gr_xasprintf(component_yaml, name, description);

    gr_test_write_file(dir, file, text);
    free(text);
}

static const char *description_of(const json_t *entity)
{
    return json_string_value(json_object_get(json_object_get(entity, "metadata"), "description"));
}

static void git_branch_and_new_commit(void **state)
{
    engine_fixture *fixture = *state;
    char *repo = gr_xasprintf("%s/repo", fixture->dir);
    char *config;
    json_t *entity;

    gr_test_write_file(repo, ".keep", "");
    run_in(repo, "git init -q -b main . && git config user.email t@example.com && "
                 "git config user.name test");
    write_component(repo, "catalog-info.yaml", "on-main", "from main");
    run_in(repo, "git add -A && git commit -q -m main");
    run_in(repo, "git checkout -q -b feature");
    write_component(repo, "catalog-info.yaml", "on-feature", "first commit");
    run_in(repo, "git add -A && git commit -q -m feature && git checkout -q main");

    config = gr_xasprintf("{\"catalog\": {\"locations\": [{\"type\": \"git\", \"target\": "
                          "\"%s?ref=feature&path=catalog-info.yaml\"}]}}",
                          repo);
    engine_start(fixture, config);
    engine_idle(fixture);
    assert_false(engine_exists(fixture, "component:default/on-main"));
    entity = engine_final(fixture, "component:default/on-feature");
    assert_non_null(entity);
    assert_string_equal(description_of(entity), "first commit");
    json_decref(entity);

    /* A new commit on the branch is read on the next refresh; the work tree stays on main. */
    run_in(repo, "git checkout -q feature");
    write_component(repo, "catalog-info.yaml", "on-feature", "second commit");
    run_in(repo, "git commit -q -am second && git checkout -q main");
    assert_int_equal(gr_catalog_refresh(fixture->catalog, "component:default/on-feature"), GR_OK);
    engine_idle(fixture);
    entity = engine_final(fixture, "component:default/on-feature");
    assert_non_null(entity);
    assert_string_equal(description_of(entity), "second commit");
    json_decref(entity);
    free(config);
    free(repo);
}

/* Expects the stored errors that mention `where` to contain `text`. */
static void expect_error(engine_fixture *fixture, const char *where, const char *text)
{
    char *pattern = gr_xasprintf("%%%s%%", where);
    char *errors = engine_text(fixture,
                               "SELECT errors FROM catalog_refresh_state WHERE errors LIKE ?",
                               pattern);

    assert_non_null(errors);
    assert_non_null(strstr(errors, text));
    free(errors);
    free(pattern);
}

static void git_missing_ref_is_error(void **state)
{
    engine_fixture *fixture = *state;
    char *repo = gr_xasprintf("%s/repo", fixture->dir);
    char *config;

    gr_test_write_file(repo, ".keep", "");
    gr_test_write_file(repo, "services/orders/catalog-info.yaml", "");
    run_in(repo, "git init -q -b main . && git config user.email t@example.com && "
                 "git config user.name test && git add -A && git commit -q -m init");
    config = gr_xasprintf("{\"catalog\": {\"locations\": [{\"type\": \"git\", \"target\": "
                          "\"%s?ref=nope&path=catalog-info.yaml\"}, {\"type\": \"git\", "
                          "\"target\": \"%s?ref=main&path=services/orders\"}]}}",
                          repo, repo);
    engine_start(fixture, config);
    engine_idle(fixture);
    expect_error(fixture, "nope", "ref 'nope' does not exist");
    /* A folder is named as one, with what to write instead. */
    expect_error(fixture, "orders",
                 "services/orders is a folder at ref 'main', not a file; name a file, or a glob "
                 "such as services/orders/*.yaml");
    free(config);
    free(repo);
}

/* Files of a git location read files of their own repository by relative path, and never
 * another repository on the host. */
static void git_stays_in_repository(void **state)
{
    engine_fixture *fixture = *state;
    char *repo = gr_xasprintf("%s/repo", fixture->dir);
    char *other = gr_xasprintf("%s/other", fixture->dir);
    char *text, *config, *errors;
    json_t *entity;

    gr_test_write_file(other, "secret.txt", "db-password=hunter2\n");
    write_component(other, "catalog-info.yaml", "from-other", "another repository");
    run_in(other, "git init -q -b main . && git config user.email t@example.com && "
                  "git config user.name test && git add -A && git commit -q -m secret");

    gr_test_write_file(repo, "definitions/api.yaml", "openapi: 3.0.0\n");
    write_component(repo, "teams/catalog-info.yaml", "in-subfolder", "relative target");
    text = gr_xasprintf(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: root\n"
        "spec:\n  targets: [teams/catalog-info.yaml]\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: local-api\n"
        "spec:\n  type: openapi\n  lifecycle: production\n  owner: team\n"
        "  definition: {$text: definitions/api.yaml}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: leaking-api\n"
        "spec:\n  type: openapi\n  lifecycle: production\n  owner: team\n"
        "  definition: {$text: '%s?ref=main&path=secret.txt'}\n",
        other);
    gr_test_write_file(repo, "catalog-info.yaml", text);
    free(text);
    text = gr_xasprintf("apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n"
                        "  name: escape\nspec:\n  target: '%s?ref=main&path=catalog-info.yaml'\n",
                        other);
    gr_test_write_file(repo, "escape.yaml", text);
    free(text);
    run_in(repo, "git init -q -b main . && git config user.email t@example.com && "
                 "git config user.name test && git add -A && git commit -q -m main");

    config = gr_xasprintf(
        "{\"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"API\", \"Location\"]}],"
        " \"locations\": [{\"type\": \"git\", \"target\": \"%s?ref=main&path=catalog-info.yaml\"},"
        " {\"type\": \"git\", \"target\": \"%s?ref=main&path=escape.yaml\"}]}}",
        repo, repo);
    engine_start(fixture, config);
    engine_idle(fixture);

    assert_true(engine_exists(fixture, "component:default/in-subfolder"));
    entity = engine_final(fixture, "api:default/local-api");
    assert_non_null(entity);
    assert_string_equal(json_string_value(json_object_get(json_object_get(entity, "spec"),
                                                          "definition")),
                        "openapi: 3.0.0\n");
    json_decref(entity);

    assert_false(engine_exists(fixture, "api:default/leaking-api"));
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state "
                         "WHERE entity_ref = 'api:default/leaking-api'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "is not a relative path"));
    assert_null(strstr(errors, "hunter2"));
    free(errors);

    assert_false(engine_exists(fixture, "component:default/from-other"));
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state "
                         "WHERE entity_ref = 'location:default/escape'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "a git location may point only at files of its own repository"));
    free(errors);
    free(config);
    free(repo);
    free(other);
}

/* A relative path in a git location is a file name, so a '&' in it cannot add a ref= or
 * path= parameter that reads another branch of the repository. */
static void git_relative_path_keeps_ref(void **state)
{
    engine_fixture *fixture = *state;
    char *repo = gr_xasprintf("%s/repo", fixture->dir);
    char *config, *errors;
    json_t *entity;

    gr_test_write_file(repo, ".keep", "");
    run_in(repo, "git init -q -b main . && git config user.email t@example.com && "
                 "git config user.name test && git add -A && git commit -q -m init");
    run_in(repo, "git checkout -q -b secret");
    gr_test_write_file(repo, "notes.txt", "db-password=hunter2\n");
    write_component(repo, "hidden.yaml", "from-secret", "another branch");
    run_in(repo, "git add -A && git commit -q -m secret && git checkout -q main");

    gr_test_write_file(repo, "c++.txt", "plus signs\n");
    gr_test_write_file(
        repo, "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: root\n"
        "spec:\n  targets: ['hidden.yaml&ref=secret']\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: branch-api\n"
        "spec:\n  type: openapi\n  lifecycle: production\n  owner: team\n"
        "  definition: {$text: 'notes.txt&ref=secret'}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: plus-api\n"
        "spec:\n  type: openapi\n  lifecycle: production\n  owner: team\n"
        "  definition: {$text: 'c++.txt'}\n");
    run_in(repo, "git add -A && git commit -q -m main");

    config = gr_xasprintf(
        "{\"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"API\", \"Location\"]}],"
        " \"locations\": [{\"type\": \"git\", \"target\": \"%s?ref=main&path=catalog-info.yaml\"},"
        " {\"type\": \"git\", \"target\": \"%s?ref=main&path=hidden.yaml&ref=secret\"}]}}",
        repo, repo);
    engine_start(fixture, config);
    engine_idle(fixture);

    assert_false(engine_exists(fixture, "component:default/from-secret"));
    assert_false(engine_exists(fixture, "api:default/branch-api"));
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state "
                         "WHERE entity_ref = 'api:default/branch-api'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "notes.txt&ref=secret does not exist at ref 'main'"));
    assert_null(strstr(errors, "hunter2"));
    free(errors);
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state "
                         "WHERE entity_ref LIKE 'location:%' AND errors LIKE '%appears twice%'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "path=hidden.yaml&ref=secret'; the ref= parameter appears twice"));
    free(errors);

    entity = engine_final(fixture, "api:default/plus-api");
    assert_non_null(entity);
    assert_string_equal(json_string_value(json_object_get(json_object_get(entity, "spec"),
                                                          "definition")),
                        "plus signs\n");
    json_decref(entity);
    free(config);
    free(repo);
}

/* A stand-in for the GitHub raw-content host on 127.0.0.1, serving two paths. */
typedef struct {
    int listener;
    int port;
    char authorization[256];
    int requests;
    pthread_t thread;
} fake_github;

static void *fake_github_main(void *arg)
{
    fake_github *server = arg;

    for (;;) {
        char request[4096];
        ssize_t len;
        const char *auth;
        char *body = NULL;
        char *response;
        int client = accept(server->listener, NULL, NULL);

        if (client < 0)
            break;
        len = recv(client, request, sizeof(request) - 1, 0);
        request[len > 0 ? len : 0] = '\0';
        server->requests++;
        auth = strstr(request, "Authorization: ");
        if (auth != NULL)
            snprintf(server->authorization, sizeof(server->authorization), "%.*s",
                     (int)strcspn(auth, "\r\n"), auth);
        if (strncmp(request, "GET /raw/org/repo/main/catalog-info.yaml ", 41) == 0) {
            body = gr_xasprintf(component_yaml, "from-github", "served by the fake host");
            response = gr_xasprintf("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                                    "Connection: close\r\n\r\n%s",
                                    strlen(body), body);
        } else if (strncmp(request, "GET /raw/org/repo/main/moved.yaml ", 34) == 0) {
            response = gr_xstrdup("HTTP/1.1 302 Found\r\nLocation: http://not-allowed.example/x\r\n"
                                  "Content-Length: 0\r\nConnection: close\r\n\r\n");
        } else {
            response = gr_xstrdup("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                                  "Connection: close\r\n\r\n");
        }
        if (send(client, response, strlen(response), 0) < 0)
            perror("fake github send");
        free(response);
        free(body);
        close(client);
    }
    return NULL;
}

static void fake_github_start(fake_github *server)
{
    struct sockaddr_in address = {.sin_family = AF_INET};
    socklen_t size = sizeof(address);

    memset(server, 0, sizeof(*server));
    server->listener = socket(AF_INET, SOCK_STREAM, 0);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(server->listener, (struct sockaddr *)&address, sizeof(address)), 0);
    assert_int_equal(listen(server->listener, 16), 0);
    getsockname(server->listener, (struct sockaddr *)&address, &size);
    server->port = ntohs(address.sin_port);
    pthread_create(&server->thread, NULL, fake_github_main, server);
}

static void fake_github_stop(fake_github *server)
{
    shutdown(server->listener, SHUT_RDWR);
    close(server->listener);
    pthread_join(server->thread, NULL);
}

static void url_through_github_integration(void **state)
{
    engine_fixture *fixture = *state;
    fake_github server;
    char *config, *expected;
    json_t *entity;
    char *errors;

    fake_github_start(&server);
    config = gr_xasprintf(
        "{\"integrations\": {\"github\": [{\"host\": \"127.0.0.1:%d\", \"token\": \"s3cret\", "
        "\"rawBaseUrl\": \"http://127.0.0.1:%d/raw\"}]},"
        " \"catalog\": {\"locations\": ["
        "{\"type\": \"url\", \"target\": \"http://127.0.0.1:%d/org/repo/blob/main/catalog-info.yaml\"},"
        "{\"type\": \"url\", \"target\": \"http://127.0.0.1:%d/org/repo/blob/main/moved.yaml\"},"
        "{\"type\": \"url\", \"target\": \"http://unlisted.example/catalog-info.yaml\"}]}}",
        server.port, server.port, server.port, server.port);
    engine_start(fixture, config);
    engine_idle(fixture);

    entity = engine_final(fixture, "component:default/from-github");
    assert_non_null(entity);
    assert_string_equal(server.authorization, "Authorization: token s3cret");
    expected = gr_xasprintf("http://127.0.0.1:%d/org/repo/blob/main/catalog-info.yaml",
                            server.port);
    assert_string_equal(engine_annotation(entity, "backstage.io/view-url"), expected);
    free(expected);
    expected = gr_xasprintf("url:http://127.0.0.1:%d/org/repo/tree/main/", server.port);
    assert_string_equal(engine_annotation(entity, "backstage.io/source-location"), expected);
    free(expected);

    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE errors LIKE '%moved.yaml%'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "not an allowed host"));
    free(errors);
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE errors LIKE '%unlisted%'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "is not allowed"));
    free(errors);
    json_decref(entity);
    fake_github_stop(&server);
    free(config);
}

/* An absolute URL in a placeholder of a file location is read through the URL reader, so the
 * integration's token is sent and a host outside the config is rejected. */
static void file_placeholder_reads_url(void **state)
{
    engine_fixture *fixture = *state;
    fake_github server;
    char *config, *api;
    json_t *entity;
    char *errors;

    fake_github_start(&server);
    api = gr_xasprintf(
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: remote-api\n"
        "spec:\n  type: openapi\n  lifecycle: production\n  owner: team\n  definition:\n"
        "    $text: http://127.0.0.1:%d/org/repo/blob/main/catalog-info.yaml\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: unlisted-api\n"
        "spec:\n  type: openapi\n  lifecycle: production\n  owner: team\n  definition:\n"
        "    $text: http://unlisted.example/openapi.yaml\n",
        server.port);
    engine_write(fixture, "apis.yaml", api);
    config = gr_xasprintf(
        "{\"integrations\": {\"github\": [{\"host\": \"127.0.0.1:%d\", \"token\": \"s3cret\", "
        "\"rawBaseUrl\": \"http://127.0.0.1:%d/raw\"}]},"
        " \"catalog\": {\"rules\": [{\"allow\": [\"API\"]}], \"locations\": ["
        "{\"type\": \"file\", \"target\": \"@DIR@/apis.yaml\"}]}}",
        server.port, server.port);
    engine_start(fixture, config);
    engine_idle(fixture);

    entity = engine_final(fixture, "api:default/remote-api");
    assert_non_null(entity);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(entity, "spec"),
                                                             "definition")),
                           "served by the fake host"));
    assert_string_equal(server.authorization, "Authorization: token s3cret");
    json_decref(entity);

    assert_false(engine_exists(fixture, "api:default/unlisted-api"));
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state "
                         "WHERE entity_ref = 'api:default/unlisted-api'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "unlisted.example"));
    assert_non_null(strstr(errors, "is not allowed"));
    free(errors);
    fake_github_stop(&server);
    free(config);
    free(api);
}

/* Returns the YAML of component `name`, whose description is read from the file `text`. */
static char *described_component(const char *name, const char *text)
{
    return gr_xasprintf("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                        "  name: %s\n  description:\n    $text: %s\nspec:\n  type: service\n"
                        "  lifecycle: production\n  owner: team\n",
                        name, text);
}

static void write_described(engine_fixture *fixture, const char *file, const char *name,
                            const char *text)
{
    char *yaml = described_component(name, text);

    engine_write(fixture, file, yaml);
    free(yaml);
}

static void expect_description(engine_fixture *fixture, const char *ref, const char *expected)
{
    json_t *entity = engine_final(fixture, ref);

    assert_non_null(entity);
    assert_string_equal(json_string_value(json_object_get(json_object_get(entity, "metadata"),
                                                          "description")),
                        expected);
    json_decref(entity);
}

/*
 * File placeholders read in the folder that a glob location names before
 * its pattern. A file that a Location entity points at outside its origin's
 * folder reads next to itself. Reads that leave both folders fail.
 */
static void file_placeholders_follow_location(void **state)
{
    engine_fixture *fixture = *state;

    write_described(fixture, "services/a/catalog-info.yaml", "svc-a", "./README.txt");
    write_described(fixture, "services/b/catalog-info.yaml", "svc-b", "../a/README.txt");
    write_described(fixture, "services/c/catalog-info.yaml", "svc-c", "../../outside.txt");
    engine_write(fixture, "services/a/README.txt", "service a");
    engine_write(fixture, "outside.txt", "outside");
    engine_write(fixture, "loc/all.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\n"
                 "spec:\n  targets:\n    - ../sib/catalog-info.yaml\n");
    write_described(fixture, "sib/catalog-info.yaml", "sibling", "./d.txt");
    engine_write(fixture, "sib/d.txt", "next to the sibling");
    engine_start(fixture, "{\"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"Location\"]}],"
                          " \"locations\": [{\"type\": \"file\", \"target\": "
                          "\"@DIR@/services/*/catalog-info.yaml\"},"
                          " {\"type\": \"file\", \"target\": \"@DIR@/loc/all.yaml\"}]}}");
    engine_idle(fixture);

    expect_description(fixture, "component:default/svc-a", "service a");
    expect_description(fixture, "component:default/svc-b", "service a");
    expect_description(fixture, "component:default/sibling", "next to the sibling");
    assert_false(engine_exists(fixture, "component:default/svc-c"));
    expect_error(fixture, "svc-c", "leaves the root folder");
}

/* Makes a named pipe `name` in the fixture's folder. */
static void make_fifo(const engine_fixture *fixture, const char *name)
{
    char *path = gr_xasprintf("%s/%s", fixture->dir, name);

    assert_int_equal(mkfifo(path, 0600), 0);
    free(path);
}

/* The named pipes of a test, and a watchdog that ends reads still waiting on them. */
typedef struct {
    const engine_fixture *fixture;
    const char *const *names;
    size_t count;
    pthread_mutex_t lock;
    pthread_cond_t done_changed;
    bool done;
    bool released; /* the watchdog had to release the pipes */
} fifo_watch;

/* Opens each pipe as a writer, which ends a read that waits in open(), removes it so that no
 * later read waits again, and closes it, which ends a read that waits for data. */
static void release_fifos(const fifo_watch *watch)
{
    int fds[8];

    for (size_t i = 0; i < watch->count && i < 8; i++) {
        char *path = gr_xasprintf("%s/%s", watch->fixture->dir, watch->names[i]);

        fds[i] = open(path, O_RDWR | O_NONBLOCK);
        unlink(path);
        free(path);
    }
    for (size_t i = 0; i < watch->count && i < 8; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
}

/* Releases the pipes when the test has not finished within 20 s, so that a read that blocks
 * fails the test instead of hanging it. */
static void *fifo_watchdog(void *arg)
{
    fifo_watch *watch = arg;
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&watch->lock);
    while (!watch->done) {
        if (pthread_cond_timedwait(&watch->done_changed, &watch->lock, &until) != 0)
            break;
    }
    watch->released = !watch->done;
    pthread_mutex_unlock(&watch->lock);
    if (watch->released)
        release_fifos(watch);
    return NULL;
}

/*
 * A named pipe as a location target, as the target of a Location entity or
 * as a placeholder's file fails at once as not a regular file. Opening one
 * for reading would wait for a writer and hold a worker forever.
 */
static void named_pipes_fail_at_once(void **state)
{
    engine_fixture *fixture = *state;
    static const char *const pipes[] = {"pipe.yaml", "pipe2.yaml", "pipe3.txt"};
    fifo_watch watch = {.fixture = fixture, .names = pipes, .count = 3};
    pthread_t watchdog;
    int rc;

    for (size_t i = 0; i < 3; i++)
        make_fifo(fixture, pipes[i]);
    engine_write(fixture, "loc.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: loc\n"
                 "spec:\n  targets:\n    - ./pipe2.yaml\n");
    write_described(fixture, "comp.yaml", "comp", "./pipe3.txt");
    pthread_mutex_init(&watch.lock, NULL);
    pthread_cond_init(&watch.done_changed, NULL);
    assert_int_equal(pthread_create(&watchdog, NULL, fifo_watchdog, &watch), 0);
    engine_start(fixture, "{\"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"Location\"]}],"
                          " \"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/pipe.yaml\"},"
                          " {\"type\": \"file\", \"target\": \"@DIR@/loc.yaml\"},"
                          " {\"type\": \"file\", \"target\": \"@DIR@/comp.yaml\"}]}}");
    rc = gr_catalog_wait_idle(fixture->catalog, ENGINE_IDLE_TIMEOUT_MS);
    pthread_mutex_lock(&watch.lock);
    watch.done = true;
    pthread_cond_signal(&watch.done_changed);
    pthread_mutex_unlock(&watch.lock);
    pthread_join(watchdog, NULL);
    pthread_cond_destroy(&watch.done_changed);
    pthread_mutex_destroy(&watch.lock);

    assert_false(watch.released);
    assert_int_equal(rc, GR_OK);
    expect_error(fixture, "pipe.yaml", "pipe.yaml is not a regular file");
    expect_error(fixture, "pipe2.yaml", "pipe2.yaml is not a regular file");
    expect_error(fixture, "pipe3.txt", "is not a regular file");
    assert_false(engine_exists(fixture, "component:default/comp"));
}

typedef struct {
    gr_catalog *catalog;
    char **ids;
    size_t count;
    size_t cap;
} claimer;

static void *claim_all(void *arg)
{
    claimer *self = arg;

    for (;;) {
        gr_catalog_item *items = NULL;
        size_t count = 0;

        if (gr_catalog__claim(self->catalog, 7, &items, &count) != GR_OK)
            fail_msg("claim failed: %s", gr_error_last());
        for (size_t i = 0; i < count; i++) {
            if (self->count == self->cap) {
                self->cap = self->cap ? self->cap * 2 : 64;
                self->ids = gr_xrealloc(self->ids, self->cap * sizeof(char *));
            }
            self->ids[self->count++] = gr_xstrdup(items[i].entity_id);
            gr_catalog__item_free(&items[i]);
        }
        free(items);
        if (count == 0)
            break;
    }
    return NULL;
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void two_workers_never_share_rows(void **state)
{
    engine_fixture *fixture = *state;
    gr_buf file = GR_BUF_INIT;
    claimer first = {0}, second = {0};
    pthread_t threads[2];
    gr_db *other_db = NULL;
    gr_catalog *other = NULL;
    char **all;
    size_t total;
    int64_t rows;

    for (int i = 0; i < 300; i++)
        gr_buf_printf(&file, "---\n" "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                             "metadata: {name: c%03d}\nspec: {type: service, lifecycle: x, owner: t}\n",
                      i);
    engine_write(fixture, "a.yaml", file.data);
    gr_buf_free(&file);
    engine_start(fixture, "{\"catalog\": {\"locations\": [{\"type\": \"file\", "
                          "\"target\": \"@DIR@/a.yaml\"}]}}");
    engine_idle(fixture);
    db_fixture_exec(fixture->db->db, "UPDATE catalog_refresh_state SET next_update_at = 0, "
                                     "lease_owner = NULL, lease_until = NULL");
    rows = engine_count(fixture, "SELECT COUNT(*) FROM catalog_refresh_state", NULL);

    /* A second instance with its own connections and the same config, as another
     * process would have. */
    assert_int_equal(db_fixture_open(fixture->db, 0, &other_db), GR_OK);
    {
        char *text = engine_expand(fixture, "{\"catalog\": {\"locations\": [{\"type\": \"file\", "
                                            "\"target\": \"@DIR@/a.yaml\"}]}}");
        json_t *config = json_loads(text, 0, NULL);
        gr_catalog_options options = {.db = other_db, .config = config, .instance_id = "other"};

        assert_int_equal(gr_catalog_new(&other, &options), GR_OK);
        json_decref(config);
        free(text);
    }
    first.catalog = fixture->catalog;
    second.catalog = other;
    pthread_create(&threads[0], NULL, claim_all, &first);
    pthread_create(&threads[1], NULL, claim_all, &second);
    pthread_join(threads[0], NULL);
    pthread_join(threads[1], NULL);

    total = first.count + second.count;
    assert_int_equal(total, (size_t)rows);
    all = gr_xmalloc(total * sizeof(char *));
    for (size_t i = 0; i < first.count; i++)
        all[i] = first.ids[i];
    for (size_t i = 0; i < second.count; i++)
        all[first.count + i] = second.ids[i];
    qsort(all, total, sizeof(char *), compare_ids);
    for (size_t i = 1; i < total; i++)
        assert_string_not_equal(all[i - 1], all[i]);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_refresh_state "
                                           "WHERE lease_owner = 'other'",
                                  NULL),
                     (int64_t)second.count);
    for (size_t i = 0; i < total; i++)
        free(all[i]);
    free(all);
    free(first.ids);
    free(second.ids);
    gr_catalog_free(other);
    gr_db_close(other_db);
}

/* File targets of the config lose "." and ".." segments, as Backstage resolves them. */
static void file_targets_normalized(void **state)
{
    json_t *config = json_loads(
        "{\"catalog\": {\"locations\": ["
        "{\"type\": \"file\", \"target\": \"./app/../catalog/./all.yaml\"},"
        "{\"type\": \"file\", \"target\": \"/srv//teams/a/../b/*.yaml\"}]}}",
        0, NULL);
    char cwd[4096];
    char *expected;
    gr_catalog_settings settings;

    (void)state;
    assert_non_null(config);
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    expected = gr_xasprintf("%s/catalog/all.yaml", strcmp(cwd, "/") == 0 ? "" : cwd);

    assert_int_equal(gr_catalog__settings_read(&settings, config), GR_OK);
    assert_int_equal(settings.location_count, 2);
    assert_string_equal(settings.locations[0].target, expected);
    assert_string_equal(settings.locations[1].target, "/srv/teams/b/*.yaml");

    gr_catalog__settings_free(&settings);
    free(expected);
    json_decref(config);
}

/* Stop cuts a URL read that waits for a silent host, instead of waiting up to the 60 s read
 * timeout, and stores no processing error: the location is due again for the next start. */
static void stop_cuts_url_read(void **state)
{
    engine_fixture *fixture = *state;
    gr_test_silent *source = gr_test_silent_start();
    int port = gr_test_silent_port(source);
    struct timespec start, end;
    char *config;
    char *errors;

    config = gr_xasprintf(
        "{\"backend\": {\"reading\": {\"allow\": [{\"host\": \"127.0.0.1:%d\"}]}},"
        " \"catalog\": {\"locations\": [{\"type\": \"url\","
        " \"target\": \"http://127.0.0.1:%d/catalog-info.yaml\"}]}}",
        port, port);
    engine_start(fixture, config);
    assert_int_equal(gr_catalog_start(fixture->catalog), GR_OK);
    assert_int_equal(gr_test_silent_wait(source, 1, 30000), 1);
    poll(NULL, 0, 200);

    clock_gettime(CLOCK_MONOTONIC, &start);
    gr_catalog_stop(fixture->catalog);
    clock_gettime(CLOCK_MONOTONIC, &end);

    assert_true(end.tv_sec - start.tv_sec < 10);
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE errors LIKE '%stopping%'",
                         NULL);
    assert_null(errors);
    assert_int_equal(engine_count(fixture,
                                  "SELECT count(*) FROM catalog_refresh_state"
                                  " WHERE lease_owner IS NOT NULL",
                                  NULL),
                     0);
    assert_int_equal(engine_count(fixture,
                                  "SELECT count(*) FROM catalog_refresh_state"
                                  " WHERE entity_ref LIKE 'location:%' AND processed_entity IS NULL",
                                  NULL),
                     1);
    gr_test_silent_free(source);
    free(config);
}

static void *cancel_after_connect(void *arg)
{
    void **pair = arg;

    if (gr_test_silent_wait(pair[0], 1, 30000) == 1)
        poll(NULL, 0, 200);
    gr_cancel_request(pair[1]);
    return NULL;
}

/* A dry run whose URL read a stopping server cut short fails as unavailable (503), not as
 * invalid input (400), so the client tries again instead of fixing its request. */
static void dry_run_cut_is_unavailable(void **state)
{
    engine_fixture *fixture = *state;
    gr_test_silent *source = gr_test_silent_start();
    int port = gr_test_silent_port(source);
    char *config = gr_xasprintf(
        "{\"backend\": {\"reading\": {\"allow\": [{\"host\": \"127.0.0.1:%d\"}]}}}", port);
    char *target = gr_xasprintf("http://127.0.0.1:%d/catalog-info.yaml", port);
    json_t *entities = NULL;
    gr_cancel cancel;
    void *pair[2] = {source, &cancel};
    pthread_t canceller;
    int rc;

    engine_start(fixture, config);
    gr_cancel_init(&cancel);
    gr_cancel_bind(&cancel);
    pthread_create(&canceller, NULL, cancel_after_connect, pair);
    rc = gr_catalog_add_location(fixture->catalog, "url", target, 1, NULL, &entities, NULL);
    pthread_join(canceller, NULL);
    gr_cancel_bind(NULL);

    assert_int_equal(rc, GR_EBACKEND);
    assert_non_null(strstr(gr_error_last(), "because the server is stopping"));
    assert_null(entities);
    gr_test_silent_free(source);
    free(target);
    free(config);
}

/* Registering a type that the settings leave out, or a url target that is no URL, names the
 * setting or the form to use. */
static void location_errors_name_fix(void **state)
{
    engine_fixture *fixture = *state;
    json_t *entities = NULL;

    engine_start(fixture, "{}");
    assert_int_equal(gr_catalog_add_location(fixture->catalog, "file", "/tmp/catalog-info.yaml", 1,
                                             NULL, &entities, NULL),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "Registered locations must be of an allowed type"));
    assert_non_null(
        strstr(gr_error_last(), "Add \"file\" to catalog.allowedLocationTypes to allow it"));
    /* The type is named first, also for a target that is no absolute path. */
    assert_int_equal(gr_catalog_add_location(fixture->catalog, "file", "./catalog-info.yaml", 1,
                                             NULL, &entities, NULL),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "catalog.allowedLocationTypes"));
    assert_int_equal(gr_catalog_add_location(fixture->catalog, "url", "catalog-info.yaml", 1, NULL,
                                             &entities, NULL),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "'catalog-info.yaml' is not an absolute http or https"));
    assert_non_null(strstr(gr_error_last(), "use type file"));
    assert_int_equal(gr_catalog_add_location(fixture->catalog, "url", "https://", 1, NULL,
                                             &entities, NULL),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "with a host"));
    assert_null(entities);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ENGINE_TEST_SQLITE(git_branch_and_new_commit),
        ENGINE_TEST_SQLITE(git_missing_ref_is_error),
        ENGINE_TEST_SQLITE(git_stays_in_repository),
        ENGINE_TEST_SQLITE(git_relative_path_keeps_ref),
        ENGINE_TEST_SQLITE(url_through_github_integration),
        ENGINE_TEST_SQLITE(file_placeholder_reads_url),
        ENGINE_TEST_SQLITE(file_placeholders_follow_location),
        ENGINE_TEST_SQLITE(named_pipes_fail_at_once),
        ENGINE_TEST_BOTH(two_workers_never_share_rows),
        ENGINE_TEST_SQLITE(stop_cuts_url_read),
        ENGINE_TEST_SQLITE(dry_run_cut_is_unavailable),
        ENGINE_TEST_SQLITE(location_errors_name_fix),
        cmocka_unit_test(file_targets_normalized),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
