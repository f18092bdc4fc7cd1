/* SPDX-License-Identifier: MIT */
/* Unit tests that cross TechDocs' prebuild batch and the page count of url locations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../store/db_fixture.h"
#include "techdocs_fixture.h"
#include "host/common/buf.h"
#include "plugins/techdocs/files.h"
#include "plugins/techdocs/prebuild.h"
#include "plugins/techdocs/remote.h"

/* One entity more than a prebuild pass queues. */
#define DOCUMENTED_ENTITIES (GR_TECHDOCS_PREBUILD_MAX + 1)
/* One page more than a url location fetches. */
#define NAV_PAGES (GR_TECHDOCS_REMOTE_MAX_PAGES + 1)

/* Writes `count` documented components doc-000 ... into `dir`/catalog-info.yaml.
 * Their docs folder is `dir`, which has no mkdocs.yml, so each build claims
 * its site and fails at once. */
static void write_documented(const char *dir, int count)
{
    gr_buf yaml = GR_BUF_INIT;

    for (int i = 0; i < count; i++)
        gr_buf_printf(&yaml,
                      "---\napiVersion: backstage.io/v1alpha1\nkind: Component\n"
                      "metadata:\n  name: doc-%03d\n  annotations:\n"
                      "    backstage.io/techdocs-ref: dir:.\n"
                      "spec: {type: service, lifecycle: production, owner: team}\n",
                      i);
    gr_test_write_file(dir, "catalog-info.yaml", gr_buf_cstr(&yaml));
    gr_buf_free(&yaml);
}

/* Waits until `count` builds have finished. Returns the number finished. */
static int64_t wait_finished(gr_db *db, int64_t count)
{
    int64_t finished = 0;

    for (int waited = 0; waited < 4 * TECHDOCS_WAIT_MS; waited += 50) {
        finished = db_fixture_int64(db, "SELECT COUNT(*) FROM techdocs_builds "
                                        "WHERE finished_at > 0");
        if (finished >= count)
            break;
        usleep(50 * 1000);
    }
    return finished;
}

static int64_t build_rows(gr_db *db, const char *ref)
{
    char *sql = gr_xasprintf("SELECT COUNT(*) FROM techdocs_builds WHERE entity_ref = '%s'", ref);
    int64_t count = db_fixture_int64(db, sql);

    free(sql);
    return count;
}

static void prebuild_over_max_next_pass(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-prebuild");
    gr_techdocs_settings settings = techdocs_test_settings(NULL);
    gr_techdocs_service *service;
    size_t queued = 0;

    write_documented(dir, DOCUMENTED_ENTITIES);
    techdocs_add_entity(fixture->db, dir);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM catalog_final_entities "
                                                   "WHERE entity_ref LIKE 'component:default/doc-%'"),
                     DOCUMENTED_ENTITIES);
    service = techdocs_start(fixture->db, &settings, "instance-a");

    /* The first pass queues the first 500 by ref and leaves the last one. */
    assert_int_equal(gr_techdocs_prebuild(service, &queued), GR_OK);
    assert_int_equal(queued, GR_TECHDOCS_PREBUILD_MAX);
    assert_int_equal(wait_finished(fixture->db, GR_TECHDOCS_PREBUILD_MAX),
                     GR_TECHDOCS_PREBUILD_MAX);
    assert_int_equal(build_rows(fixture->db, "component:default/doc-499"), 1);
    assert_int_equal(build_rows(fixture->db, "component:default/doc-500"), 0);

    /* The next pass takes the rest. */
    assert_int_equal(gr_techdocs_prebuild(service, &queued), GR_OK);
    assert_int_equal(queued, 1);
    assert_int_equal(wait_finished(fixture->db, DOCUMENTED_ENTITIES), DOCUMENTED_ENTITIES);
    assert_int_equal(build_rows(fixture->db, "component:default/doc-500"), 1);

    /* Nothing is left, and failed builds are not repeated. */
    assert_int_equal(gr_techdocs_prebuild(service, &queued), GR_OK);
    assert_int_equal(queued, 0);

    gr_techdocs_service_free(service);
    gr_test_rmtree(dir);
    free(dir);
}

/* A build whose docs folder is missing fails before it claims its site. The
 * failure is still recorded, so the next pass does not queue it again. */
static void prebuild_missing_source_once(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-prebuild-missing");
    gr_techdocs_settings settings = techdocs_test_settings(NULL);
    gr_techdocs_service *service;
    size_t queued = 0;

    gr_test_write_file(dir, "catalog-info.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata:\n  name: lost-docs\n  annotations:\n"
                       "    backstage.io/techdocs-ref: dir:./missing\n"
                       "spec: {type: service, lifecycle: production, owner: team}\n");
    techdocs_add_entity(fixture->db, dir);
    service = techdocs_start(fixture->db, &settings, "instance-a");

    assert_int_equal(gr_techdocs_prebuild(service, &queued), GR_OK);
    assert_int_equal(queued, 1);
    assert_int_equal(wait_finished(fixture->db, 1), 1);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM techdocs_builds "
                                                   "WHERE entity_ref = 'component:default/lost-docs'"
                                                   " AND error IS NOT NULL"),
                     1);
    assert_int_equal(gr_techdocs_prebuild(service, &queued), GR_OK);
    assert_int_equal(queued, 0);

    gr_techdocs_service_free(service);
    gr_test_rmtree(dir);
    free(dir);
}

/* A loopback HTTP server: /site/mkdocs.yml returns `config`, any other path under
 * /site/docs/ a small page, and the rest 404. Counts the page requests. */
typedef struct {
    int listener;
    int port;
    const char *config;
    atomic_int page_requests;
    pthread_t thread;
} docs_server;

static char *docs_response(docs_server *server, const char *request)
{
    static const char page[] = "# Page\n";
    const char *body = NULL;

    if (strncmp(request, "GET /site/mkdocs.yml ", 21) == 0) {
        body = server->config;
    } else if (strncmp(request, "GET /site/docs/", 15) == 0) {
        body = page;
        atomic_fetch_add(&server->page_requests, 1);
    }
    if (body == NULL)
        return gr_xstrdup("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
    return gr_xasprintf("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                        strlen(body), body);
}

static void *docs_server_main(void *payload)
{
    docs_server *server = payload;
    int client;

    while ((client = accept(server->listener, NULL, NULL)) >= 0) {
        char request[2048];
        ssize_t len = recv(client, request, sizeof(request) - 1, 0);
        char *response;
        size_t sent = 0;

        request[len > 0 ? len : 0] = '\0';
        response = docs_response(server, request);
        while (sent < strlen(response)) {
            ssize_t n = send(client, response + sent, strlen(response) - sent, MSG_NOSIGNAL);

            if (n <= 0)
                break;
            sent += (size_t)n;
        }
        free(response);
        close(client);
    }
    return NULL;
}

static void docs_server_start(docs_server *server, const char *config)
{
    struct sockaddr_in address = {.sin_family = AF_INET};
    socklen_t size = sizeof(address);

    memset(server, 0, sizeof(*server));
    server->config = config;
    atomic_init(&server->page_requests, 0);
    server->listener = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(server->listener >= 0);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(server->listener, (struct sockaddr *)&address, sizeof(address)), 0);
    assert_int_equal(listen(server->listener, 16), 0);
    assert_int_equal(getsockname(server->listener, (struct sockaddr *)&address, &size), 0);
    server->port = ntohs(address.sin_port);
    assert_int_equal(pthread_create(&server->thread, NULL, docs_server_main, server), 0);
}

static void docs_server_stop(docs_server *server)
{
    shutdown(server->listener, SHUT_RDWR);
    close(server->listener);
    pthread_join(server->thread, NULL);
}

static int page_exists(const char *dir, int index)
{
    char *path = gr_xasprintf("%s/docs/p%04d.md", dir, index);
    struct stat st;
    int found = stat(path, &st) == 0;

    free(path);
    return found;
}

static void remote_pages_over_max_cut(void **state)
{
    gr_buf config = GR_BUF_INIT;
    docs_server server;
    gr_catalog_settings reading;
    gr_techdocs_location location;
    json_t *settings;
    char *text;
    char *dir = NULL;

    (void)state;
    gr_buf_puts(&config, "site_name: Many pages\nnav:\n");
    for (int i = 0; i < NAV_PAGES; i++)
        gr_buf_printf(&config, "  - p%04d.md\n", i);
    docs_server_start(&server, gr_buf_cstr(&config));
    text = gr_xasprintf("{\"backend\": {\"reading\": {\"allow\": [{\"host\": \"127.0.0.1:%d\"}]}}}",
                        server.port);
    settings = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(settings);
    assert_int_equal(gr_catalog__settings_read(&reading, settings), GR_OK);
    location.type = gr_xstrdup("url");
    location.target = gr_xasprintf("http://127.0.0.1:%d/site", server.port);

    assert_int_equal(gr_techdocs_remote_fetch(&reading, &location, &dir), GR_OK);
    docs_server_stop(&server);
    /* The first 1000 nav pages are fetched and the 1001st is not requested. */
    assert_int_equal(atomic_load(&server.page_requests), GR_TECHDOCS_REMOTE_MAX_PAGES);
    assert_true(page_exists(dir, 0));
    assert_true(page_exists(dir, GR_TECHDOCS_REMOTE_MAX_PAGES - 1));
    assert_false(page_exists(dir, GR_TECHDOCS_REMOTE_MAX_PAGES));

    gr_techdocs_remove_tree(dir);
    free(dir);
    gr_techdocs_location_free(&location);
    gr_catalog__settings_free(&reading);
    json_decref(settings);
    gr_buf_free(&config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_SQLITE(prebuild_over_max_next_pass),
        DB_TEST_SQLITE(prebuild_missing_source_once),
        cmocka_unit_test(remote_pages_over_max_cut),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
