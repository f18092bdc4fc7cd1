/* SPDX-License-Identifier: MIT */
/* Tests of docs locations under url and git sources and of fetching them into a folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/settings.h"
#include "plugins/techdocs/entity.h"
#include "plugins/techdocs/files.h"
#include "plugins/techdocs/remote.h"
#include "plugins/techdocs/source.h"

/* An entity with the techdocs-ref `ref` managed by the location ref `managed_by`. */
static json_t *entity_with(const char *ref, const char *managed_by)
{
    return json_pack("{s:s, s:{s:s, s:{s:s, s:s}}}", "kind", "Component", "metadata", "name", "svc",
                     "annotations", "backstage.io/techdocs-ref", ref,
                     "backstage.io/managed-by-location", managed_by);
}

/* Resolves `ref` under `managed_by`; returns the error code and stores the location. */
static int locate(const char *ref, const char *managed_by, gr_techdocs_location *out)
{
    json_t *entity = entity_with(ref, managed_by);
    int rc = gr_techdocs_entity_location(entity, out);

    json_decref(entity);
    return rc;
}

static void git_dir_dot_is_file_folder(void **state)
{
    gr_techdocs_location location;

    (void)state;
    assert_int_equal(
        locate("dir:.", "git:/srv/repo.git?ref=main&path=svc/catalog-info.yaml", &location), GR_OK);
    assert_string_equal(location.type, "git");
    assert_string_equal(location.target, "/srv/repo.git?ref=main&path=svc");
    gr_techdocs_location_free(&location);
}

static void git_dir_at_repository_root(void **state)
{
    gr_techdocs_location location;

    (void)state;
    assert_int_equal(locate("dir:.", "git:/srv/repo.git?path=catalog-info.yaml", &location), GR_OK);
    assert_string_equal(location.target, "/srv/repo.git?path=.");
    gr_techdocs_location_free(&location);
}

static void git_dir_parent_and_encoding(void **state)
{
    gr_techdocs_location location;

    (void)state;
    assert_int_equal(locate("dir:../docs a+b", "git:/srv/r?path=svc/x.yaml&ref=v1", &location),
                     GR_OK);
    assert_string_equal(location.target, "/srv/r?path=docs a%2Bb&ref=v1");
    gr_techdocs_location_free(&location);
}

static void git_dir_outside_repository(void **state)
{
    gr_techdocs_location location;

    (void)state;
    assert_int_equal(
        locate("dir:../../etc", "git:/srv/r?ref=main&path=svc/catalog-info.yaml", &location),
        GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "outside the repository"));
}

static void git_source_without_path(void **state)
{
    gr_techdocs_location location;

    (void)state;
    assert_int_equal(locate("dir:.", "git:/srv/r?ref=main", &location), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "path="));
}

static void url_dir_resolves_against_folder(void **state)
{
    gr_techdocs_location location;

    (void)state;
    assert_int_equal(locate("dir:./site",
                            "url:https://github.com/o/r/blob/main/svc/catalog-info.yaml",
                            &location),
                     GR_OK);
    assert_string_equal(location.type, "url");
    assert_string_equal(location.target, "https://github.com/o/r/blob/main/svc/site");
    gr_techdocs_location_free(&location);
}

/* Runs a shell command in `dir`; fails the test when it fails. */
static void run_in(const char *dir, const char *command)
{
    char *line = gr_xasprintf("cd '%s' && %s >/dev/null 2>&1", dir, command);

    if (system(line) != 0)
        fail_msg("command failed: %s", line);
    free(line);
}

static char *read_text(const char *dir, const char *name)
{
    char *path = gr_xasprintf("%s/%s", dir, name);
    unsigned char *data = NULL;
    size_t size = 0;

    if (gr_techdocs_read_file(path, 1 << 20, &data, &size) != GR_OK)
        fail_msg("%s: %s", path, gr_error_last());
    free(path);
    return (char *)data;
}

static int exists(const char *dir, const char *name)
{
    char *path = gr_xasprintf("%s/%s", dir, name);
    struct stat st;
    int found = stat(path, &st) == 0;

    free(path);
    return found;
}

/* A repository with docs in svc/ (docs_dir "pages") on branch "release" and other files. */
static char *make_repo(const char *root)
{
    char *repo = gr_xasprintf("%s/repo", root);

    gr_test_write_file(repo, "README.md", "not part of the docs\n");
    gr_test_write_file(repo, "svc/mkdocs.yaml", "site_name: Svc\ndocs_dir: pages/\n");
    gr_test_write_file(repo, "svc/pages/index.md", "# Release\n");
    gr_test_write_file(repo, "svc/pages/img/a.png", "PNG");
    gr_test_write_file(repo, "svc/src/main.c", "int main(void) { return 0; }\n");
    run_in(repo, "git init -q -b main . && git config user.email t@example.com && "
                 "git config user.name test && git add -A && git commit -q -m one && "
                 "git checkout -q -b release");
    gr_test_write_file(repo, "svc/pages/index.md", "# Release two\n");
    run_in(repo, "git commit -q -am two && git checkout -q main");
    return repo;
}

static void git_fetch_copies_docs(void **state)
{
    char *root = gr_test_tmpdir("td-remote");
    char *repo = make_repo(root);
    gr_catalog_settings reading;
    gr_techdocs_location location;
    char *dir = NULL;
    char *text;

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&reading, NULL), GR_OK);
    location.type = gr_xstrdup("git");
    location.target = gr_xasprintf("%s?ref=release&path=svc", repo);
    assert_int_equal(gr_techdocs_remote_fetch(&reading, &location, &dir), GR_OK);
    assert_true(exists(dir, "mkdocs.yaml"));
    assert_true(exists(dir, "pages/img/a.png"));
    assert_false(exists(dir, "src/main.c"));
    assert_false(exists(dir, "README.md"));
    text = read_text(dir, "pages/index.md");
    assert_string_equal(text, "# Release two\n");
    free(text);

    gr_techdocs_remove_tree(dir);
    free(dir);
    gr_techdocs_location_free(&location);
    gr_catalog__settings_free(&reading);
    gr_test_rmtree(root);
    free(repo);
    free(root);
}

static void git_fetch_missing_config(void **state)
{
    char *root = gr_test_tmpdir("td-remote");
    char *repo = make_repo(root);
    gr_catalog_settings reading;
    gr_techdocs_location location;
    char *dir = NULL;

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&reading, NULL), GR_OK);
    location.type = gr_xstrdup("git");
    location.target = gr_xasprintf("%s?ref=main&path=.", repo);
    assert_int_equal(gr_techdocs_remote_fetch(&reading, &location, &dir), GR_ENOTFOUND);
    assert_null(dir);
    assert_non_null(strstr(gr_error_last(), "no mkdocs.yml or mkdocs.yaml"));

    gr_techdocs_location_free(&location);
    gr_catalog__settings_free(&reading);
    gr_test_rmtree(root);
    free(repo);
    free(root);
}

static void url_fetch_disallowed_host(void **state)
{
    gr_catalog_settings reading;
    gr_techdocs_location location = {NULL, NULL};
    gr_techdocs_source source;

    (void)state;
    assert_int_equal(gr_catalog__settings_read(&reading, NULL), GR_OK);
    location.type = gr_xstrdup("url");
    location.target = gr_xstrdup("https://docs.not-allowed.example/site/");
    assert_int_equal(gr_techdocs_source_open(&reading, &location, &source), GR_EDENIED);
    assert_null(source.dir);
    assert_non_null(strstr(gr_error_last(), "docs.not-allowed.example"));
    assert_non_null(strstr(gr_error_last(), "backend.reading.allow"));
    gr_techdocs_source_close(&source);
    gr_techdocs_location_free(&location);
    gr_catalog__settings_free(&reading);
}

/* A loopback HTTP server with a fixed set of files; every other path is 404. */
typedef struct {
    int listener;
    int port;
    int requests;
    pthread_t thread;
} file_server;

static const char *const served[][2] = {
    {"/site/mkdocs.yml",
     "site_name: Site\nnav:\n  - Home: index.md\n  - Guide:\n"
     "    - guide/setup.md\n    - gone.md\n  - My notes.md\n  - https://example.com/\n"},
    {"/site/docs/index.md", "# Home\n\nServed over HTTP.\n"},
    {"/site/docs/guide/setup.md", "# Setup\n"},
    {"/site/docs/My%20notes.md", "# Notes\n"},
};

static void *file_server_main(void *payload)
{
    file_server *server = payload;
    int client;

    while ((client = accept(server->listener, NULL, NULL)) >= 0) {
        char request[4096];
        ssize_t len = recv(client, request, sizeof(request) - 1, 0);
        char *response = NULL;

        request[len > 0 ? len : 0] = '\0';
        server->requests++;
        for (size_t i = 0; i < sizeof(served) / sizeof(served[0]) && response == NULL; i++) {
            char *line = gr_xasprintf("GET %s ", served[i][0]);

            if (strncmp(request, line, strlen(line)) == 0)
                response = gr_xasprintf("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                                        "Connection: close\r\n\r\n%s",
                                        strlen(served[i][1]), served[i][1]);
            free(line);
        }
        if (response == NULL)
            response = gr_xstrdup("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                                  "Connection: close\r\n\r\n");
        if (send(client, response, strlen(response), 0) < 0)
            perror("file server send");
        free(response);
        close(client);
    }
    return NULL;
}

static void file_server_start(file_server *server)
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
    pthread_create(&server->thread, NULL, file_server_main, server);
}

static void file_server_stop(file_server *server)
{
    shutdown(server->listener, SHUT_RDWR);
    close(server->listener);
    pthread_join(server->thread, NULL);
}

static void url_fetch_copies_nav_pages(void **state)
{
    file_server server;
    gr_catalog_settings reading;
    gr_techdocs_location location;
    json_t *config;
    char *dir = NULL;
    char *text;

    (void)state;
    file_server_start(&server);
    text = gr_xasprintf("{\"backend\": {\"reading\": {\"allow\": "
                        "[{\"host\": \"127.0.0.1:%d\"}]}}}",
                        server.port);
    config = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(config);
    assert_int_equal(gr_catalog__settings_read(&reading, config), GR_OK);
    location.type = gr_xstrdup("url");
    location.target = gr_xasprintf("http://127.0.0.1:%d/site", server.port);

    assert_int_equal(gr_techdocs_remote_fetch(&reading, &location, &dir), GR_OK);
    assert_true(exists(dir, "mkdocs.yml"));
    text = read_text(dir, "docs/index.md");
    assert_string_equal(text, "# Home\n\nServed over HTTP.\n");
    free(text);
    assert_true(exists(dir, "docs/guide/setup.md"));
    assert_false(exists(dir, "docs/gone.md"));
    assert_true(exists(dir, "docs/My notes.md"));
    /* mkdocs.yml, then its four relative nav pages; the absolute nav URL is not read. */
    assert_int_equal(server.requests, 5);

    file_server_stop(&server);
    gr_techdocs_remove_tree(dir);
    free(dir);
    gr_techdocs_location_free(&location);
    gr_catalog__settings_free(&reading);
    json_decref(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(git_dir_dot_is_file_folder),
        cmocka_unit_test(git_dir_at_repository_root),
        cmocka_unit_test(git_dir_parent_and_encoding),
        cmocka_unit_test(git_dir_outside_repository),
        cmocka_unit_test(git_source_without_path),
        cmocka_unit_test(url_dir_resolves_against_folder),
        cmocka_unit_test(git_fetch_copies_docs),
        cmocka_unit_test(git_fetch_missing_config),
        cmocka_unit_test(url_fetch_disallowed_host),
        cmocka_unit_test(url_fetch_copies_nav_pages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
