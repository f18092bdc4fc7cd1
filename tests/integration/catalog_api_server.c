/* SPDX-License-Identifier: MIT */
/* A catalog API server over generated entities, for the client compatibility test and benchmarks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "catalog_api_auth.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/store/db.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/engine/catalog.h"
#include "unit/store/db_fixture.h"
#include "unit/catalogapi/catalog_fixture.h"

/*
 * Usage:
 *   integration_catalog_api_server                 self-test (ctest runs this)
 *   integration_catalog_api_server serve DB PORT TOKEN [COUNT]
 *       opens the SQLite file DB (creating and filling it with COUNT
 *       generated entities when it has no catalog tables yet), serves the
 *       catalog read routes on 127.0.0.1:PORT with bearer token TOKEN, prints
 *       "ready" and runs until SIGTERM or SIGINT.
 *   integration_catalog_api_server serve-engine DB PORT TOKEN CATALOG_FILE
 *       runs the catalog engine on the SQLite file DB with CATALOG_FILE as
 *       its configured location, waits until it is ingested and serves every
 *       catalog route.
 */

static const char *const words[] = {"payments", "billing", "checkout", "inventory", "search",
                                    "identity", "ledger",   "shipping", "orders",    "pricing",
                                    "profile",  "reviews",  "ranking",  "notify",    "gateway",
                                    "metrics",  "audit",    "export",   "report",    "invoice"};
static const char *const suffixes[] = {"service", "api", "worker", "web", "lib", "proxy"};
static const char *const lifecycles[] = {"production", "production", "production", "experimental",
                                         "deprecated"};
static const char *const component_types[] = {"service", "service", "service", "website",
                                              "library"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Returns entity number `i` of a generated catalog of `total` as JSON text (caller frees). */
static char *generate_entity(size_t i, size_t total)
{
    size_t groups = total / 33 + 1;
    size_t slot = i % 100;
    const char *word = words[i % COUNT_OF(words)];
    const char *suffix = suffixes[(i / 7) % COUNT_OF(suffixes)];
    size_t owner = (i * 7) % groups;
    char uid[40];

    snprintf(uid, sizeof(uid), "%08zx-%04zx-4%03zx-8%03zx-%012zx", i * 2654435761u % 0xffffffffu,
             i % 0xffff, i % 0xfff, (i / 3) % 0xfff, i);
    if (i < groups)
        return gr_xasprintf(
            "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\",\"metadata\":{"
            "\"name\":\"team-%zu\",\"namespace\":\"default\",\"uid\":\"%s\",\"etag\":\"e%zu\","
            "\"description\":\"Team %zu\",\"annotations\":{\"backstage.io/managed-by-location\":"
            "\"file:/catalog.yaml\"}},\"spec\":{\"type\":\"team\",\"profile\":{\"displayName\":"
            "\"Team %zu\"},\"children\":[]},\"relations\":[]}",
            i, uid, i, i, i);
    if (slot < 52)
        return gr_xasprintf(
            "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{"
            "\"name\":\"%s-%s-%06zu\",\"namespace\":\"default\",\"uid\":\"%s\",\"etag\":\"e%zu\","
            "\"title\":\"%s %s %zu\",\"description\":\"The %s %s, owned by team-%zu. Handles %s "
            "traffic for the company.\",\"tags\":[\"%s\",\"%s\"],\"links\":[{\"url\":"
            "\"https://%s-%zu.example.com\",\"title\":\"Homepage\"}],\"annotations\":{"
            "\"backstage.io/managed-by-location\":\"file:/catalog.yaml\","
            "\"backstage.io/managed-by-origin-location\":\"file:/catalog.yaml\","
            "\"backstage.io/source-location\":\"url:https://git.example.com/%s-%zu/\","
            "\"backstage.io/techdocs-ref\":\"dir:.\"}},\"spec\":{\"type\":\"%s\","
            "\"lifecycle\":\"%s\",\"owner\":\"team-%zu\",\"dependsOn\":[\"component:%s-%s-%06zu\"]},"
            "\"relations\":[{\"type\":\"dependsOn\",\"targetRef\":\"component:default/%s-%s-%06zu\"},"
            "{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-%zu\"}]}",
            word, suffix, i, uid, i, word, suffix, i, word, suffix, owner, word, word, suffix, word,
            i, word, i, component_types[i % COUNT_OF(component_types)],
            lifecycles[(i / 3) % COUNT_OF(lifecycles)], owner, word, suffix, i / 2, word, suffix,
            i / 2, owner);
    if (slot < 69)
        return gr_xasprintf(
            "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"API\",\"metadata\":{\"name\":"
            "\"%s-api-%06zu\",\"namespace\":\"default\",\"uid\":\"%s\",\"etag\":\"e%zu\","
            "\"description\":\"The %s API.\",\"tags\":[\"%s\"]},\"spec\":{\"type\":\"openapi\","
            "\"lifecycle\":\"%s\",\"owner\":\"team-%zu\",\"definition\":\"openapi: 3.0.0\\n"
            "info:\\n  title: %s\\n  version: 1.0.0\\npaths: {}\\n\"},\"relations\":[{\"type\":"
            "\"ownedBy\",\"targetRef\":\"group:default/team-%zu\"}]}",
            word, i, uid, i, word, word, lifecycles[i % COUNT_OF(lifecycles)], owner, word, owner);
    if (slot < 85)
        return gr_xasprintf(
            "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"User\",\"metadata\":{\"name\":"
            "\"user-%06zu\",\"namespace\":\"default\",\"uid\":\"%s\",\"etag\":\"e%zu\"},\"spec\":"
            "{\"profile\":{\"displayName\":\"User %zu\",\"email\":\"user-%zu@example.com\"},"
            "\"memberOf\":[\"team-%zu\"]},\"relations\":[{\"type\":\"memberOf\",\"targetRef\":"
            "\"group:default/team-%zu\"}]}",
            i, uid, i, i, i, owner, owner);
    if (slot < 97)
        return gr_xasprintf(
            "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Resource\",\"metadata\":{"
            "\"name\":\"%s-db-%06zu\",\"namespace\":\"default\",\"uid\":\"%s\",\"etag\":\"e%zu\"},"
            "\"spec\":{\"type\":\"database\",\"owner\":\"team-%zu\"},\"relations\":[{\"type\":"
            "\"ownedBy\",\"targetRef\":\"group:default/team-%zu\"}]}",
            word, i, uid, i, owner, owner);
    return gr_xasprintf(
        "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"System\",\"metadata\":{\"name\":"
        "\"%s-system-%06zu\",\"namespace\":\"default\",\"uid\":\"%s\",\"etag\":\"e%zu\"},\"spec\":"
        "{\"owner\":\"team-%zu\"},\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":"
        "\"group:default/team-%zu\"}]}",
        word, i, uid, i, owner, owner);
}

/* Fills the tables with `count` generated entities, in transactions of 1000. */
static void generate_catalog(gr_db *db, size_t count)
{
    for (size_t from = 0; from < count; from += 1000) {
        size_t to = from + 1000 < count ? from + 1000 : count;
        char **batch = gr_xcalloc(to - from, sizeof(*batch));

        for (size_t i = from; i < to; i++)
            batch[i - from] = generate_entity(i, count);
        catalog_fixture_insert(db, (const char *const *)batch, to - from);
        for (size_t i = from; i < to; i++)
            free(batch[i - from]);
        free(batch);
    }
}

static int has_tables(gr_db *db)
{
    gr_db_conn *conn = NULL;
    int64_t count = 0;
    int rc;

    if (gr_db_acquire(db, GR_DB_READ, &conn) != GR_OK)
        return 0;
    rc = gr_db_query_int64(conn,
                           "SELECT COUNT(*) FROM sqlite_master WHERE name = 'catalog_final_entities'",
                           NULL, 0, &count);
    gr_db_release(conn);
    return rc == GR_OK && count > 0;
}

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Opens the database, fills it when new, and starts a server. Returns 0 or -1. */
static int start_server(const char *path, int port, const char *token, size_t count, gr_db **db,
                        gr_http_server **server, gr_catalog_api **api,
                        catalog_api_authenticator **auth, const char *dir)
{
    gr_db_options db_opts = {.client = "sqlite", .path = path};
    gr_http_options http_opts = {.port = port};

    if (gr_db_open(db, &db_opts) != GR_OK) {
        fprintf(stderr, "opening %s failed: %s\n", path, gr_error_last());
        return -1;
    }
    if (!has_tables(*db)) {
        catalog_fixture_schema(*db);
        generate_catalog(*db, count);
    }
    if (gr_http_server_new(server, &http_opts) != GR_OK)
        return -1;
    *auth = catalog_api_auth(*server, dir, token);
    if (*auth == NULL)
        return -1;
    if (gr_catalog_api_register_reads(*db, *server, NULL, api) != GR_OK ||
        gr_http_server_start(*server) != GR_OK) {
        fprintf(stderr, "starting the server failed: %s\n", gr_error_last());
        return -1;
    }
    return 0;
}

/* The configuration of serve-engine: one file location, every kind, reading from loopback. */
static json_t *engine_config(const char *catalog_file)
{
    return json_pack("{s:{s:{s:[{s:s}]}},s:{s:[{s:[s,s,s,s,s,s,s,s]}],s:[{s:s,s:s}],"
                     "s:[s,s]}}",
                     "backend", "reading", "allow", "host", "127.0.0.1", "catalog", "rules",
                     "allow", "Component", "API", "Location", "Group", "User", "System", "Domain",
                     "Resource", "locations", "type", "file", "target", catalog_file,
                     "allowedLocationTypes", "url", "file");
}

static int serve_engine(char **argv)
{
    gr_db_options db_opts = {.client = "sqlite", .path = argv[2]};
    gr_http_options http_opts = {.port = atoi(argv[3])};
    json_t *config = engine_config(argv[5]);
    gr_catalog_options options = {.config = config};
    gr_catalog *catalog = NULL;
    gr_db *db = NULL;
    gr_http_server *server = NULL;
    gr_catalog_api *api = NULL;
    catalog_api_authenticator *auth = NULL;
    char *dir = gr_test_tmpdir("catalog-api-serve");
    int rc;

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rc = gr_db_open(&db, &db_opts);
    options.db = db;
    if (rc == GR_OK)
        rc = gr_catalog_new(&catalog, &options);
    if (rc == GR_OK)
        rc = gr_catalog_wait_idle(catalog, 120000);
    if (rc == GR_OK)
        rc = gr_http_server_new(&server, &http_opts);
    if (rc == GR_OK) {
        auth = catalog_api_auth(server, dir, argv[4]);
        rc = auth ? gr_catalog_api_register(catalog, server, NULL, &api) : GR_EINVALID;
    }
    if (rc == GR_OK)
        rc = gr_catalog_start(catalog);
    if (rc == GR_OK)
        rc = gr_http_server_start(server);
    if (rc == GR_OK) {
        printf("ready\n");
        fflush(stdout);
        while (!stopping)
            pause();
    } else {
        fprintf(stderr, "serve-engine failed: %s\n", gr_error_last());
    }
    gr_http_server_free(server);
    gr_catalog_api_free(api);
    catalog_api_auth_free(auth);
    gr_catalog_free(catalog);
    gr_db_close(db);
    json_decref(config);
    gr_test_rmtree(dir);
    free(dir);
    return rc == GR_OK ? 0 : 1;
}

static int serve(int argc, char **argv)
{
    gr_db *db = NULL;
    gr_http_server *server = NULL;
    gr_catalog_api *api = NULL;
    catalog_api_authenticator *auth = NULL;
    size_t count = argc > 5 ? strtoul(argv[5], NULL, 10) : 1000;
    char *dir = gr_test_tmpdir("catalog-api-serve");
    int rc;

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rc = start_server(argv[2], atoi(argv[3]), argv[4], count, &db, &server, &api, &auth, dir);
    if (rc == 0) {
        printf("ready\n");
        fflush(stdout);
        while (!stopping)
            pause();
    }
    gr_http_server_free(server);
    gr_catalog_api_free(api);
    catalog_api_auth_free(auth);
    gr_db_close(db);
    gr_test_rmtree(dir);
    free(dir);
    return rc == 0 ? 0 : 1;
}

static void server_self_test(void **state)
{
    char *dir = gr_test_tmpdir("catalog-api-server");
    char *path = gr_xasprintf("%s/catalog.sqlite", dir);
    int port = gr_test_free_port();
    gr_db *db = NULL;
    gr_http_server *server = NULL;
    gr_catalog_api *api = NULL;
    catalog_api_authenticator *auth = NULL;
    const char *headers[] = {"Authorization: Bearer secret-token", NULL};
    char *url;
    gr_test_output res;

    (void)state;
    assert_int_equal(start_server(path, port, "secret-token", 200, &db, &server, &api, &auth, dir), 0);
    assert_int_equal(db_fixture_int64(db, "SELECT COUNT(*) FROM catalog_final_entities"), 200);

    url = gr_xasprintf("http://127.0.0.1:%d/api/catalog/entities/by-name/group/default/team-1",
                       port);
    res = gr_test_http("GET", url, headers, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"name\":\"team-1\""));
    gr_test_output_free(&res);
    free(url);

    url = gr_xasprintf("http://127.0.0.1:%d/api/catalog/entities/by-query?filter=kind=component"
                       "&limit=5",
                       port);
    res = gr_test_http("GET", url, headers, NULL);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"totalItems\":"));
    gr_test_output_free(&res);
    free(url);

    gr_http_server_free(server);
    gr_catalog_api_free(api);
    catalog_api_auth_free(auth);
    gr_db_close(db);
    gr_test_rmtree(dir);
    free(path);
    free(dir);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(server_self_test),
    };

    if (argc >= 5 && strcmp(argv[1], "serve") == 0)
        return serve(argc, argv);
    if (argc == 6 && strcmp(argv[1], "serve-engine") == 0)
        return serve_engine(argv);
    if (argc > 1) {
        fprintf(stderr, "usage: %s [serve DB PORT TOKEN [COUNT] | serve-engine DB PORT TOKEN FILE]\n",
                argv[0]);
        return 2;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
