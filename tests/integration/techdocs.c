/* SPDX-License-Identifier: MIT */
/* Integration tests of TechDocs on a real server: pages, API shapes, sync, publish, traversal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../unit/store/db_fixture.h"
#include "../unit/techdocs_serve/techdocs_fixture.h"
#include "host/common/buf.h"

#define TOKEN "techdocs-test-token-1234"
#define START_MS 20000

static const char *const auth_headers[] = {"Authorization: Bearer " TOKEN, NULL};

/* One server with its folder, config and database. */
typedef struct {
    db_fixture *db;
    char *dir;
    gr_test_server server;
} td_server;

/* Writes the config for the fixture's database and starts the server. `extra`
 * is appended under `techdocs:`. */
static void start_server(td_server *td, const char *extra)
{
    gr_buf config = GR_BUF_INIT;

    gr_buf_puts(&config, "backend:\n  listen:\n    port: ${GREENROOM_PORT}\n  database:\n");
    if (td->db->engine == GR_DB_SQLITE)
        gr_buf_printf(&config, "    client: better-sqlite3\n    connection: '%s'\n",
                      td->db->path);
    else
        gr_buf_printf(&config, "    client: pg\n    connection: '%s'\n", td->db->url);
    gr_buf_puts(&config, "  auth:\n    externalAccess:\n      - type: static\n        options:\n"
                         "          token: " TOKEN "\n          subject: techdocs-test\n"
                         "techdocs:\n");
    gr_buf_puts(&config, extra);
    gr_test_write_file(td->dir, "app-config.yaml", gr_buf_cstr(&config));
    gr_buf_free(&config);
    if (gr_test_server_start(&td->server, td->dir, "app-config.yaml", START_MS) != 0)
        fail_msg("the server did not start");
}

static void setup_source(td_server *td, const char *home_text)
{
    char *source = gr_xasprintf("%s/source", td->dir);

    techdocs_write_source(source, home_text);
    free(source);
}

static void td_begin(td_server *td, void **state)
{
    char *source;

    memset(td, 0, sizeof(*td));
    td->db = *state;
    td->dir = gr_test_tmpdir("td-int");
    setup_source(td, "Hello from the shop.");
    source = gr_xasprintf("%s/source", td->dir);
    techdocs_add_entity(td->db->db, source);
    free(source);
}

static void td_end(td_server *td)
{
    assert_int_equal(gr_test_server_stop(&td->server), 0);
    gr_test_rmtree(td->dir);
    free(td->dir);
}

static gr_test_output get(td_server *td, const char *path, const char *const *headers)
{
    char *url = gr_xasprintf("%s%s", td->server.base_url, path);
    gr_test_output res = gr_test_http("GET", url, headers ? headers : auth_headers, NULL);

    free(url);
    return res;
}

/* Sends `path` exactly as written (curl would resolve dot segments) and returns the status. */
static int raw_status(td_server *td, const char *path, char **body)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(td->server.port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char *request = gr_xasprintf("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                                 TOKEN "\r\nConnection: close\r\n\r\n",
                                 path);
    gr_buf response = GR_BUF_INIT;
    char chunk[4096];
    ssize_t got;
    int status = 0;

    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof(address)), 0);
    assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
    while ((got = read(fd, chunk, sizeof(chunk))) > 0)
        gr_buf_append(&response, chunk, (size_t)got);
    close(fd);
    free(request);
    if (response.data != NULL)
        sscanf(response.data, "HTTP/1.1 %d", &status);
    *body = gr_buf_detach(&response);
    return status;
}

static json_t *parse_json(const char *text)
{
    json_error_t error;
    json_t *value = json_loads(text, 0, &error);

    if (value == NULL)
        fail_msg("invalid JSON (%s): %s", error.text, text);
    return value;
}

static void first_view_and_api_shapes(void **state)
{
    td_server td;
    gr_test_output res;
    json_t *body;
    char *etag_header;
    char etag[80] = "";
    const char *if_none_match[3] = {"Authorization: Bearer " TOKEN, NULL, NULL};

    td_begin(&td, state);
    start_server(&td, "  build:\n    waitMs: 20000\n    checkIntervalMs: 600000\n");

    /* The first view builds the site and shows its home page in the layout. */
    res = get(&td, "/docs/default/component/shop/", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "Hello from the shop."));
    assert_non_null(strstr(res.out, "<nav class=\"td-nav\""));
    assert_non_null(strstr(res.out, "href=\"#setup\""));
    assert_non_null(strstr(res.out, "https://github.com/example/shop/edit/main/docs/index.md"));
    assert_non_null(strstr(res.out, "rel=\"next\" href=\"/docs/default/component/shop/guide/\""));
    assert_non_null(strstr(res.out, "name=\"q\""));
    assert_non_null(strstr(res.err, "script-src 'none'"));
    /* The portal layout frames the page: its sidebar, header search and docs stylesheet. */
    assert_non_null(strstr(res.out, "<nav class=\"sidebar\" aria-label=\"Main\">"));
    assert_non_null(strstr(res.out, "id=\"header-search\""));
    assert_non_null(strstr(res.out, "href=\"/docs/techdocs.css\""));
    assert_non_null(strstr(res.out, "<a href=\"/docs\">Documentation</a>"));
    gr_test_output_free(&res);

    res = get(&td, "/docs/default/component/shop/guide/", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "Step one."));
    assert_non_null(strstr(res.out, "rel=\"prev\" href=\"/docs/default/component/shop/\""));
    gr_test_output_free(&res);

    res = get(&td, "/docs/default/component/shop/guide", NULL);
    assert_int_equal(res.status, 301);
    assert_non_null(strstr(res.err, "/docs/default/component/shop/guide/"));
    gr_test_output_free(&res);

    res = get(&td, "/docs/default/component/shop/?q=step", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "class=\"td-hits\""));
    assert_non_null(strstr(res.out, "/docs/default/component/shop/guide/"));
    gr_test_output_free(&res);

    res = get(&td, "/docs", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<nav class=\"sidebar\" aria-label=\"Main\">"));
    assert_non_null(strstr(res.out, "href=\"/docs/default/component/shop/\""));
    assert_non_null(strstr(res.err, "script-src 'none'"));
    /* The UI's fallback list gave way to the TechDocs list. */
    assert_null(strstr(res.out, "Entities with the backstage.io/techdocs-ref annotation."));
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/metadata/techdocs/default/component/shop", NULL);
    assert_int_equal(res.status, 200);
    body = parse_json(res.out);
    assert_string_equal(json_string_value(json_object_get(body, "site_name")), "Shop docs");
    assert_true(json_is_array(json_object_get(body, "files")));
    assert_true(json_is_integer(json_object_get(body, "build_timestamp")));
    assert_true(json_is_string(json_object_get(body, "etag")));
    json_decref(body);
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/metadata/entity/default/component/shop", NULL);
    assert_int_equal(res.status, 200);
    body = parse_json(res.out);
    assert_string_equal(json_string_value(json_object_get(body, "kind")), "Component");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "locationMetadata"), "type")),
        "dir");
    assert_non_null(strstr(
        json_string_value(json_object_get(json_object_get(body, "locationMetadata"), "target")),
        "/source"));
    json_decref(body);
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/static/docs/default/component/shop/index.html", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.err, "Content-Type: text/plain; charset=utf-8"));
    assert_non_null(strstr(res.out, "Hello from the shop."));
    etag_header = strstr(res.err, "ETag: ");
    assert_non_null(etag_header);
    sscanf(etag_header + 6, "%79[^\r\n]", etag);
    gr_test_output_free(&res);

    if_none_match[1] = gr_xasprintf("If-None-Match: %s", etag);
    res = get(&td, "/api/techdocs/static/docs/default/component/shop/index.html", if_none_match);
    assert_int_equal(res.status, 304);
    gr_test_output_free(&res);
    free((char *)if_none_match[1]);

    res = get(&td, "/api/techdocs/static/docs/default/component/shop/techdocs_nav.json", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.err, "Content-Type: application/json; charset=utf-8"));
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/static/docs/Default/Component/Shop/index.html", NULL);
    assert_int_equal(res.status, 301);
    assert_non_null(
        strstr(res.err, "Location: /api/techdocs/static/docs/default/component/shop/index.html"));
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/static/docs/default/component/shop/missing.html", NULL);
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.out, "\"NotFoundError\""));
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/metadata/techdocs/default/component/nobody", NULL);
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.out, "\"NotFoundError\""));
    gr_test_output_free(&res);

    /* Checked moments ago, so sync answers at once. */
    res = get(&td, "/api/techdocs/sync/default/component/shop", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.err, "text/event-stream"));
    assert_string_equal(res.out, "event: finish\ndata: {\"updated\":false}\n\n");
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/metadata/techdocs/default/component/shop",
              (const char *const[]){"X-No-Auth: 1", NULL});
    assert_int_equal(res.status, 401);
    gr_test_output_free(&res);

    td_end(&td);
}

static void sync_streams_rebuild(void **state)
{
    td_server td;
    gr_test_output res;

    td_begin(&td, state);
    start_server(&td, "  build:\n    checkIntervalMs: 1\n");

    res = get(&td, "/api/techdocs/sync/default/component/shop", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "event: log\ndata: \"Building the docs of"));
    assert_non_null(strstr(res.out, "event: finish\ndata: {\"updated\":true}\n\n"));
    gr_test_output_free(&res);

    /* Unchanged source: checked again, nothing rebuilt. */
    usleep(5000);
    res = get(&td, "/api/techdocs/sync/default/component/shop", NULL);
    assert_non_null(strstr(res.out, "are up to date"));
    assert_non_null(strstr(res.out, "event: finish\ndata: {\"updated\":false}\n\n"));
    gr_test_output_free(&res);

    setup_source(&td, "A changed page.");
    usleep(5000);
    res = get(&td, "/api/techdocs/sync/default/component/shop", NULL);
    assert_non_null(strstr(res.out, "event: finish\ndata: {\"updated\":true}\n\n"));
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/static/docs/default/component/shop/index.html", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "A changed page."));
    gr_test_output_free(&res);
    assert_int_equal(db_fixture_int64(td.db->db, "SELECT build_count FROM techdocs_builds"), 2);

    td_end(&td);
}

static int64_t now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Polls search for `term` among docs pages until `location` shows up; returns
 * the milliseconds that took, or -1 after `limit_ms`. */
static int64_t search_finds(td_server *td, const char *term, const char *location, int limit_ms)
{
    char *path = gr_xasprintf("/api/search/query?term=%s&types%%5B0%%5D=techdocs", term);
    char *needle = gr_xasprintf("\"location\":\"%s\"", location);
    int64_t start = now_ms();
    int64_t elapsed = -1;

    while (now_ms() - start <= limit_ms) {
        gr_test_output res = get(td, path, NULL);
        int found = res.status == 200 && strstr(res.out, needle) != NULL;

        gr_test_output_free(&res);
        if (found) {
            elapsed = now_ms() - start;
            break;
        }
        usleep(20 * 1000);
    }
    free(needle);
    free(path);
    return elapsed;
}

static void built_site_searchable_within_second(void **state)
{
    td_server td;
    gr_test_output res;
    int64_t elapsed;

    td_begin(&td, state);
    start_server(&td, "  build:\n    waitMs: 20000\n");
    /* The first view builds and publishes the site; search hears of it at once. */
    res = get(&td, "/docs/default/component/shop/", NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    elapsed = search_finds(&td, "step", "/docs/default/component/shop/guide/", 5000);
    assert_in_range(elapsed, 0, 1000);

    res = get(&td, "/search?query=step&type=techdocs", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "href=\"/docs/default/component/shop/guide/\""));
    assert_non_null(strstr(res.out, "<span class=\"badge\">Documentation</span>"));
    gr_test_output_free(&res);
    td_end(&td);
}

static void prebuild_builds_unviewed_sites(void **state)
{
    td_server td;
    int64_t elapsed;

    td_begin(&td, state);
    start_server(&td, "  build:\n    prebuild: true\n");
    /* Nobody opens the docs: the prebuild pass builds them and search finds the pages. */
    elapsed = search_finds(&td, "step", "/docs/default/component/shop/guide/", 20000);
    assert_in_range(elapsed, 0, 20000);
    assert_int_equal(db_fixture_int64(td.db->db, "SELECT COUNT(*) FROM techdocs_sites WHERE "
                                                 "entity_ref = 'component:default/shop'"),
                     1);
    td_end(&td);
}

static void sync_reports_build_error(void **state)
{
    td_server td;
    gr_test_output res;
    char *config;

    td_begin(&td, state);
    config = gr_xasprintf("%s/source/mkdocs.yml", td.dir);
    unlink(config);
    free(config);
    start_server(&td, "  build:\n    waitMs: 20000\n");

    res = get(&td, "/api/techdocs/sync/default/component/shop", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "event: error\ndata: \""));
    assert_non_null(strstr(res.out, "no mkdocs.yml"));
    assert_null(strstr(res.out, "event: finish"));
    gr_test_output_free(&res);

    res = get(&td, "/docs/default/component/shop/", NULL);
    assert_int_equal(res.status, 500);
    assert_non_null(strstr(res.out, "no mkdocs.yml"));
    gr_test_output_free(&res);

    td_end(&td);
}

static void external_serves_cli_publish(void **state)
{
    td_server td;
    gr_test_output res;
    char *source;
    char *site;

    td_begin(&td, state);
    start_server(&td, "  builder: external\n");
    source = gr_xasprintf("%s/source", td.dir);
    site = gr_xasprintf("%s/site", td.dir);

    res = get(&td, "/docs/default/component/shop/", NULL);
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.out, "greenroom techdocs publish"));
    gr_test_output_free(&res);
    res = get(&td, "/api/techdocs/sync/default/component/shop", NULL);
    assert_string_equal(res.out, "event: finish\ndata: {\"updated\":false}\n\n");
    gr_test_output_free(&res);

    res = gr_test_run(td.dir, (const char *const[]){"techdocs", "build", source, "-o", site, NULL});
    assert_int_equal(res.status, 0);
    gr_test_output_free(&res);
    res = gr_test_run(td.dir, (const char *const[]){"techdocs", "publish", "--entity",
                                                    "component:default/shop", "--config",
                                                    "app-config.yaml", site, NULL});
    if (res.status != 0)
        fail_msg("publish failed: %s", res.err);
    assert_non_null(strstr(res.err, "generation 1"));
    gr_test_output_free(&res);
    /* Another process published it: the search poller finds it in the database. */
    assert_in_range(search_finds(&td, "step", "/docs/default/component/shop/guide/", 5000), 0,
                    1000);

    res = get(&td, "/docs/default/component/shop/", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "Hello from the shop."));
    gr_test_output_free(&res);
    assert_int_equal(db_fixture_int64(td.db->db,
                                      "SELECT COUNT(*) FROM techdocs_sites WHERE origin = 'publish'"),
                     1);

    res = gr_test_run(td.dir, (const char *const[]){"techdocs", "publish", "--entity", "shop",
                                                    site, NULL});
    assert_int_equal(res.status, 2);
    assert_non_null(strstr(res.err, "--entity 'shop'"));
    gr_test_output_free(&res);

    free(source);
    free(site);
    td_end(&td);
}

/* Runs a shell command in `dir`; fails the test when it fails. */
static void run_in(const char *dir, const char *command)
{
    char *line = gr_xasprintf("cd '%s' && %s >/dev/null 2>&1", dir, command);

    if (system(line) != 0)
        fail_msg("command failed: %s", line);
    free(line);
}

/* Waits until the catalog serves `path` (an entity by name) with status 200. */
static void wait_for_entity(td_server *td, const char *path)
{
    int64_t deadline = now_ms() + START_MS;

    for (;;) {
        gr_test_output res = get(td, path, NULL);
        int status = res.status;

        gr_test_output_free(&res);
        if (status == 200)
            return;
        if (now_ms() > deadline)
            fail_msg("the catalog did not ingest %s in %d ms", path, START_MS);
        usleep(100 * 1000);
    }
}

/* A committed repository: "wiki" documents itself with dir:., "remote" points at a host
 * backend.reading.allow does not list. The work tree then differs from the commit. */
static char *make_docs_repo(const char *dir)
{
    char *repo = gr_xasprintf("%s/repo", dir);

    gr_test_write_file(repo, "catalog-info.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata:\n  name: wiki\n  annotations:\n"
                       "    backstage.io/techdocs-ref: dir:.\n"
                       "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
                       "---\napiVersion: backstage.io/v1alpha1\nkind: Component\n"
                       "metadata:\n  name: remote\n  annotations:\n"
                       "    backstage.io/techdocs-ref: url:https://docs.not-allowed.example/site/\n"
                       "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n");
    gr_test_write_file(repo, "mkdocs.yml", "site_name: Wiki\n");
    gr_test_write_file(repo, "docs/index.md", "# Wiki\n\nCommitted home page.\n");
    gr_test_write_file(repo, "docs/more/page.md", "# More\n\nA page in a subfolder.\n");
    gr_test_write_file(repo, "docs/more/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    run_in(repo, "git init -q -b main . && git config user.email t@example.com && "
                 "git config user.name test && git add -A && git commit -q -m docs");
    gr_test_write_file(repo, "docs/index.md", "# Wiki\n\nUncommitted change.\n");
    return repo;
}

static void git_location_docs_build(void **state)
{
    td_server td;
    gr_test_output res;
    json_t *metadata;
    json_t *location;
    char *repo;
    char *extra;

    td_begin(&td, state);
    repo = make_docs_repo(td.dir);
    extra = gr_xasprintf("  build:\n    waitMs: 20000\ncatalog:\n  locations:\n"
                         "    - type: git\n      target: '%s?ref=main&path=catalog-info.yaml'\n",
                         repo);
    start_server(&td, extra);
    wait_for_entity(&td, "/api/catalog/entities/by-name/component/default/wiki");
    wait_for_entity(&td, "/api/catalog/entities/by-name/component/default/remote");

    /* The docs are read from the commit, not from the work tree. */
    res = get(&td, "/docs/default/component/wiki/", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "Committed home page."));
    assert_null(strstr(res.out, "Uncommitted change."));
    gr_test_output_free(&res);

    res = get(&td, "/docs/default/component/wiki/more/page/", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "A page in a subfolder."));
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/static/docs/default/component/wiki/index.html", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "Committed home page."));
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/static/docs/default/component/wiki/more/logo.svg", NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "<svg"));
    gr_test_output_free(&res);

    res = get(&td, "/api/techdocs/metadata/entity/default/component/wiki", NULL);
    assert_int_equal(res.status, 200);
    metadata = parse_json(res.out);
    location = json_object_get(metadata, "locationMetadata");
    assert_string_equal(json_string_value(json_object_get(location, "type")), "git");
    assert_non_null(strstr(json_string_value(json_object_get(location, "target")), "&path=."));
    json_decref(metadata);
    gr_test_output_free(&res);

    /* A url: ref to a host that is not allowed fails the build with the reason on the page. */
    res = get(&td, "/docs/default/component/remote/", NULL);
    assert_int_equal(res.status, 500);
    assert_non_null(strstr(res.out, "docs.not-allowed.example"));
    assert_non_null(strstr(res.out, "is not allowed"));
    assert_non_null(strstr(res.out, "backend.reading.allow"));
    gr_test_output_free(&res);

    free(extra);
    free(repo);
    td_end(&td);
}

static void traversal_is_rejected(void **state)
{
    static const char *const paths[] = {
        "/api/techdocs/static/docs/default/component/shop/../../../../secret.txt",
        "/api/techdocs/static/docs/default/component/shop/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/api/techdocs/static/docs/default/component/shop/..%2f..%2f..%2fsecret.txt",
        "/api/techdocs/static/docs/default/component/shop/%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/api/techdocs/static/docs/default/component/shop/..%5c..%5c..%5csecret.txt",
        "/api/techdocs/static/docs/default/component/%2e%2e/secret.txt",
        "/api/techdocs/static/docs/default/component/shop/%00secret.txt",
        "/docs/default/component/shop/../../../../secret.txt",
        "/docs/default/component/shop/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    };
    td_server td;
    char *secret_dir;
    gr_test_output res;

    td_begin(&td, state);
    secret_dir = gr_xasprintf("%s/published", td.dir);
    gr_test_write_file(secret_dir, "secret.txt", "TOP-SECRET-VALUE");
    gr_test_write_file(secret_dir, "default/secret.txt", "TOP-SECRET-VALUE");
    gr_test_write_file(secret_dir, "default/component/secret.txt", "TOP-SECRET-VALUE");
    start_server(&td, "  publisher:\n    type: local\n    local:\n"
                      "      publishDirectory: ./published\n  build:\n    waitMs: 20000\n");
    res = get(&td, "/docs/default/component/shop/", NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char *body = NULL;
        int status = raw_status(&td, paths[i], &body);

        if (status == 200 || status == 0 || strstr(body, "TOP-SECRET-VALUE") != NULL)
            fail_msg("%s: status %d, body %s", paths[i], status, body);
        assert_true(status >= 400 && status < 500);
        free(body);
    }
    free(secret_dir);
    td_end(&td);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(first_view_and_api_shapes), DB_TEST_BOTH(sync_streams_rebuild),
        DB_TEST_BOTH(sync_reports_build_error),  DB_TEST_BOTH(external_serves_cli_publish),
        DB_TEST_BOTH(traversal_is_rejected),    DB_TEST_BOTH(built_site_searchable_within_second),
        DB_TEST_BOTH(prebuild_builds_unviewed_sites), DB_TEST_BOTH(git_location_docs_build),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
