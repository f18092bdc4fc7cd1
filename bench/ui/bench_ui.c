/* SPDX-License-Identifier: MIT */
/* Page render times of the web UI (catalog index, entity page, relation graph) on a large catalog. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/auth/auth.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/store/db.h"
#include "host/plugin/plugin.h"
#include "plugins/catalog/engine/search.h"
#include "plugins/catalog/plugin.h"
#include "plugins/ui/ui.h"

/*
 * usage: bench_ui [ENTITIES] [REQUESTS]   (defaults 10000 and 300)
 * Fills a fresh SQLite catalog with ENTITIES stitched entities (components
 * in 100 systems owned by 50 groups, each with relations both ways), serves
 * the UI in-process on loopback and times REQUESTS sequential GETs of each
 * page over one keep-alive connection, from request to last byte.
 */

#define GROUPS 50
#define SYSTEMS 100

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_ui: %s: %s\n", what, gr_error_last());
    exit(1);
}

static void bind_all(gr_db_stmt *stmt, const char *const *values, int count)
{
    gr_db_reset(stmt);
    for (int i = 0; i < count; i++)
        gr_db_bind_text(stmt, i + 1, values[i]);
    if (gr_db_step(stmt) != GR_DB_DONE)
        die("insert");
}

typedef struct {
    gr_db_stmt *state;
    gr_db_stmt *final;
    gr_db_stmt *search;
    gr_db_stmt *history;
    int next_id;
} inserter;

static void insert_entity(inserter *ins, json_t *entity, const char *kind, const char *name)
{
    gr_catalog_search_rows rows = {0};
    char id[32];
    char *ref = gr_xasprintf("%s:default/%s", kind, name);
    char *text;

    snprintf(id, sizeof(id), "id-%08d", ins->next_id++);
    json_object_set_new(json_object_get(entity, "metadata"), "uid", json_string(id));
    text = json_dumps(entity, JSON_COMPACT);
    {
        const char *state[] = {id, ref, text};
        const char *final[] = {id, ref, text, kind, name};
        const char *history[] = {ref, id};

        bind_all(ins->state, state, 3);
        bind_all(ins->final, final, 5);
        bind_all(ins->history, history, 2);
    }
    if (gr_catalog__search_rows(entity, (locale_t)0, &rows) < 0)
        die("search rows");
    for (size_t i = 0; i < rows.count; i++) {
        char ordinal[24];
        const char *row[] = {id, rows.items[i].key, rows.items[i].original, rows.items[i].value,
                             ordinal};

        snprintf(ordinal, sizeof(ordinal), "%zu", i);
        bind_all(ins->search, row, 5);
    }
    gr_catalog__search_rows_free(&rows);
    free(text);
    free(ref);
}

static json_t *relation(const char *type, const char *target)
{
    return json_pack("{s:s, s:s}", "type", type, "targetRef", target);
}

static void fill(gr_db *db, int count)
{
    static const char *const types[] = {"service", "website", "library"};
    static const char *const lifecycles[] = {"production", "experimental", "deprecated"};
    gr_db_conn *conn = NULL;
    inserter ins = {0};
    int components = count - GROUPS - SYSTEMS;

    if (gr_db_acquire(db, GR_DB_WRITE, &conn) < 0 || gr_db_begin(conn) < 0)
        die("begin");
    if (gr_db_prepare(conn, "INSERT INTO catalog_refresh_state (entity_id, entity_ref,"
                            " unprocessed_entity, next_update_at) VALUES (?, ?, ?, 9e15)",
                      &ins.state) < 0 ||
        gr_db_prepare(conn, "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash,"
                            " final_entity, last_updated_at, kind, namespace, name)"
                            " VALUES (?, ?, 'h', ?, 0, ?, 'default', ?)",
                      &ins.final) < 0 ||
        gr_db_prepare(conn, "INSERT INTO catalog_search (entity_id, key, original_value, value,"
                            " ordinal) VALUES (?, ?, ?, ?, CAST(? AS INTEGER))",
                      &ins.search) < 0 ||
        gr_db_prepare(conn, "INSERT INTO catalog_history (entity_ref, entity_id, changed_at,"
                            " cause, change, diff) VALUES (?, ?, 0, 'bench', 'created', '[]')",
                      &ins.history) < 0)
        die("prepare");

    for (int g = 0; g < GROUPS; g++) {
        char name[32];
        json_t *entity;

        snprintf(name, sizeof(name), "team-%02d", g);
        entity = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:[]}, s:[]}", "apiVersion",
                           "backstage.io/v1alpha1", "kind", "Group", "metadata", "name", name,
                           "namespace", "default", "spec", "type", "team", "children",
                           "relations");
        insert_entity(&ins, entity, "group", name);
        json_decref(entity);
    }
    for (int s = 0; s < SYSTEMS; s++) {
        char name[32];
        char owner[48];
        json_t *relations = json_array();
        json_t *entity;

        snprintf(name, sizeof(name), "system-%03d", s);
        snprintf(owner, sizeof(owner), "group:default/team-%02d", s % GROUPS);
        json_array_append_new(relations, relation("ownedBy", owner));
        for (int c = s; c < components; c += SYSTEMS) {
            char part[48];

            snprintf(part, sizeof(part), "component:default/svc-%06d", c);
            json_array_append_new(relations, relation("hasPart", part));
        }
        entity = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:o}", "apiVersion",
                           "backstage.io/v1alpha1", "kind", "System", "metadata", "name", name,
                           "namespace", "default", "spec", "owner", owner, "relations",
                           relations);
        insert_entity(&ins, entity, "system", name);
        json_decref(entity);
    }
    for (int c = 0; c < components; c++) {
        char name[32];
        char owner[48];
        char system[48];
        char description[96];
        json_t *entity;

        snprintf(name, sizeof(name), "svc-%06d", c);
        snprintf(owner, sizeof(owner), "group:default/team-%02d", c % GROUPS);
        snprintf(system, sizeof(system), "system:default/system-%03d", c % SYSTEMS);
        snprintf(description, sizeof(description), "Component number %d of the benchmark", c);
        entity = json_pack(
            "{s:s, s:s, s:{s:s, s:s, s:s, s:[s, s]}, s:{s:s, s:s, s:s, s:s}, s:[o, o]}",
            "apiVersion", "backstage.io/v1alpha1", "kind", "Component", "metadata", "name", name,
            "namespace", "default", "description", description, "tags", "bench",
            types[c % 3], "spec", "type", types[c % 3], "lifecycle", lifecycles[c % 3], "owner",
            owner, "system", system, "relations", relation("ownedBy", owner),
            relation("partOf", system));
        insert_entity(&ins, entity, "component", name);
        json_decref(entity);
    }
    gr_db_finalize(ins.state);
    gr_db_finalize(ins.final);
    gr_db_finalize(ins.search);
    gr_db_finalize(ins.history);
    if (gr_db_commit(conn) < 0)
        die("commit");
    gr_db_exec(conn, "ANALYZE");
    gr_db_release(conn);
}

static size_t discard(char *data, size_t size, size_t count, void *payload)
{
    (void)data;
    (void)payload;
    return size * count;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void measure(CURL *curl, const char *base, const char *label, const char *path,
                    int requests)
{
    double *times = gr_xcalloc((size_t)requests, sizeof(double));
    char *url = gr_xasprintf("%s%s", base, path);
    long status = 0;
    curl_off_t bytes = 0;

    curl_easy_setopt(curl, CURLOPT_URL, url);
    for (int i = 0; i < requests + 5; i++) {
        double start = now_ms();

        if (curl_easy_perform(curl) != CURLE_OK)
            die("request");
        if (i >= 5)
            times[i - 5] = now_ms() - start; /* the first 5 warm caches */
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &bytes);
    qsort(times, (size_t)requests, sizeof(double), compare_doubles);
    printf("%-14s status %ld  %7ld bytes  p50 %7.2f ms  p99 %7.2f ms  (%s)\n", label, status,
           (long)bytes, times[requests / 2], times[(requests * 99) / 100], path);
    free(times);
    free(url);
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 10000;
    int requests = argc > 2 ? atoi(argv[2]) : 300;
    char dir[] = "/tmp/bench-ui-XXXXXX";
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    struct gr_host host = {0};
    gr_db_options db_options = {0};
    gr_auth *auth = NULL;
    void *catalog_state = NULL;
    void *ui_state = NULL;
    char *db_path;
    char base[64];
    double start;
    CURL *curl;

    gr_log_set_level(GR_LOG_WARN);
    setvbuf(stdout, NULL, _IOLBF, 0); /* each figure shows as soon as it is measured */
    if (count < GROUPS + SYSTEMS + 10 || requests < 10 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "usage: bench_ui [ENTITIES >= 160] [REQUESTS >= 10]\n");
        return 2;
    }
    if (gr_config_schema_builtin(&schema) < 0 || gr_config_load(&config, NULL, 0, schema) < 0)
        die("config");
    gr_config_schema_free(schema);
    db_path = gr_xasprintf("%s/bench.sqlite", dir);
    db_options.path = db_path;
    if (gr_db_open(&host.db, &db_options) < 0 || gr_http_server_new(&host.http, NULL) < 0 ||
        gr_auth_new(&auth, config, host.db) < 0)
        die("open");
    host.config = config;
    host.instance_id = "bench";
    host.base_url = "http://127.0.0.1";
    /* Every request is anonymous, as with dangerouslyDisableDefaultAuthPolicy. */
    gr_http_set_authenticator(host.http, NULL, NULL);
    if (gr_catalog_plugin_init(&host, &catalog_state) < 0 ||
        gr_ui_plugin_init(&host, &ui_state) < 0 || gr_plugin_adapter_start(ui_state) < 0)
        die("plugins");

    start = now_ms();
    fill(host.db, count);
    printf("catalog: %d entities written in %.1f s (SQLite, %s)\n", count,
           (now_ms() - start) / 1000.0, db_path);
    if (gr_http_server_start(host.http) < 0)
        die("listen");
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", gr_http_server_port(host.http));

    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    measure(curl, base, "index", "/catalog", requests);
    measure(curl, base, "index filtered",
            "/catalog?filters%5Btype%5D=service&filters%5Bowners%5D=group%3Adefault%2Fteam-07",
            requests);
    measure(curl, base, "index by owner", "/catalog?filters%5Bkind%5D=all&sort=owner",
            requests);
    /* Three lifecycles: a third of the components tie on each value. */
    measure(curl, base, "index by life", "/catalog?sort=lifecycle&order=desc", requests);
    measure(curl, base, "entity", "/catalog/default/component/svc-004242", requests);
    measure(curl, base, "entity system", "/catalog/default/system/system-042", requests);
    measure(curl, base, "graph",
            "/catalog-graph?rootEntityRefs=component:default/svc-004242&maxDepth=1",
            requests);
    measure(curl, base, "home", "/", requests);
    curl_easy_cleanup(curl);
    curl_global_cleanup();

    gr_http_server_free(host.http);
    gr_plugin_adapter_destroy(ui_state);
    gr_plugin_adapter_destroy(catalog_state);
    gr_db_close(host.db);
    gr_auth_free(auth);
    gr_config_free(config);
    unlink(db_path);
    rmdir(dir);
    free(db_path);
    return 0;
}
