/* SPDX-License-Identifier: MIT */
/* Measures search indexing time, query latency and HTTP throughput on the demo plus a generated
 * catalog. */
#include <dirent.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/auth/auth.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/plugin/plugin.h"
#include "host/store/db.h"
#include "host/yaml/yaml.h"
#include "plugins/search/api.h"
#include "plugins/search/entities.h"
#include "plugins/search/plugin.h"
#include "plugins/techdocs/build/build.h"

extern char **environ;

static const char bench_usage[] =
    "usage: bench_search [--count N] [--queries N] [--seconds N] [--pg URL] [--no-wrk]\n"
    "\n"
    "Loads the demo catalog (examples/demo/catalog, with its TechDocs sites built)\n"
    "and a generated catalog of N entities into catalog tables, then measures:\n"
    "  - a full rebuild of the index, and an incremental update of one entity;\n"
    "  - in-process query latency (p50/p99) for several terms;\n"
    "  - GET /api/search/query?term=payments with wrk -t2 -c32 --latency on an\n"
    "    in-process HTTP server with token authentication (wrk must be on PATH).\n"
    "Runs on SQLite, and also on PostgreSQL when --pg names a server.\n"
    "  --count N    generated entities (default 10000)\n"
    "  --queries N  queries per term for the latency figures (default 2000)\n"
    "  --seconds N  length of the wrk run (default 10)\n";

#define BENCH_TOKEN "bench-search-token-1234"

typedef struct {
    int count;
    int queries;
    int seconds;
    const char *pg_url;
    int wrk;
} bench_options;

static double clock_ms(clockid_t clock)
{
    struct timespec now;

    clock_gettime(clock, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static void must(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "bench_search: %s failed: %s\n", what, gr_error_last());
        exit(1);
    }
}

static const char catalog_tables[] =
    "CREATE TABLE catalog_final_entities (entity_id TEXT PRIMARY KEY, entity_ref TEXT NOT NULL "
    "UNIQUE, hash TEXT NOT NULL, final_entity TEXT, last_updated_at BIGINT NOT NULL, kind TEXT "
    "NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL);"
    "CREATE TABLE catalog_search (entity_id TEXT NOT NULL, key TEXT NOT NULL, original_value "
    "TEXT, value TEXT);"
    "CREATE INDEX catalog_search_key_value_entity_original ON catalog_search (key, value, "
    "entity_id, original_value);"
    "CREATE INDEX catalog_search_entity_key_value ON catalog_search (entity_id, key, value)";

static void run_sql(gr_db_conn *conn, const char *sql, const char *const *params, int count)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, sql, &stmt);

    for (int i = 0; rc == 0 && i < count; i++)
        rc = gr_db_bind_text(stmt, i + 1, params[i]);
    if (rc == 0 && gr_db_step(stmt) < 0)
        rc = -1;
    gr_db_finalize(stmt);
    must(rc, sql);
}

/* Stores an entity as stitching leaves it, with its annotation rows. */
static void store_entity(gr_db_conn *conn, const json_t *entity)
{
    const char *kind = gr_search_entity_string(entity, "kind");
    const char *name = gr_search_entity_string(entity, "metadata.name");
    const char *namespace_ = gr_search_entity_string(entity, "metadata.namespace");
    const json_t *annotations = json_object_get(json_object_get(entity, "metadata"), "annotations");
    char *json = json_dumps(entity, JSON_COMPACT);
    char *lower_kind;
    char *ref;
    const char *key;
    json_t *value;

    if (kind == NULL || name == NULL || json == NULL) {
        free(json);
        return;
    }
    namespace_ = namespace_ ? namespace_ : "default";
    lower_kind = gr_search_ascii_lower(gr_xstrdup(kind));
    ref = gr_search_ascii_lower(gr_xasprintf("%s:%s/%s", kind, namespace_, name));
    {
        const char *params[] = {ref, ref, json, lower_kind, namespace_, name};

        run_sql(conn,
                "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash, final_entity, "
                "last_updated_at, kind, namespace, name) VALUES (?, ?, 'h', ?, 0, ?, ?, ?) "
                "ON CONFLICT (entity_id) DO NOTHING",
                params, 6);
    }
    json_object_foreach((json_t *)annotations, key, value)
    {
        char *full = gr_search_ascii_lower(gr_xasprintf("metadata.annotations.%s", key));
        const char *params[] = {ref, full, json_string_value(value), json_string_value(value)};

        if (json_is_string(value))
            run_sql(conn,
                    "INSERT INTO catalog_search (entity_id, key, original_value, value) "
                    "VALUES (?, ?, ?, ?)",
                    params, 4);
        free(full);
    }
    free(lower_kind);
    free(ref);
    free(json);
}

static char *read_text(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    gr_buf text = GR_BUF_INIT;
    char chunk[8192];
    size_t got;

    if (file == NULL)
        return NULL;
    while ((got = fread(chunk, 1, sizeof(chunk), file)) > 0)
        gr_buf_append(&text, chunk, got);
    fclose(file);
    *len = text.len;
    return gr_buf_detach(&text);
}

/* Loads every catalog YAML file under `dir`, skipping template skeletons. */
static size_t load_demo_dir(gr_db_conn *conn, const char *dir)
{
    DIR *handle = opendir(dir);
    struct dirent *entry;
    size_t count = 0;

    if (handle == NULL)
        return 0;
    while ((entry = readdir(handle)) != NULL) {
        char *path;
        struct stat info;
        size_t len = strlen(entry->d_name);

        if (entry->d_name[0] == '.' || strcmp(entry->d_name, "skeleton") == 0)
            continue;
        path = gr_xasprintf("%s/%s", dir, entry->d_name);
        if (stat(path, &info) == 0 && S_ISDIR(info.st_mode)) {
            count += load_demo_dir(conn, path);
        } else if (len > 5 && strcmp(entry->d_name + len - 5, ".yaml") == 0) {
            size_t text_len = 0;
            char *text = read_text(path, &text_len);
            gr_yaml_doc **docs = NULL;
            size_t doc_count = 0;

            if (text != NULL && gr_yaml_parse(path, text, text_len, NULL, &docs, &doc_count) == 0) {
                for (size_t i = 0; i < doc_count; i++) {
                    const json_t *root = gr_yaml_doc_root(docs[i]);

                    if (json_is_object(root) && json_object_get(root, "kind") != NULL) {
                        store_entity(conn, root);
                        count++;
                    }
                }
                gr_yaml_docs_free(docs, doc_count);
            }
            free(text);
        }
        free(path);
    }
    closedir(handle);
    return count;
}

/* Creates `path` and its missing parents. */
static void make_dirs(const char *path)
{
    char *copy = gr_xstrdup(path);

    for (char *p = copy + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(copy, 0755);
        *p = '/';
    }
    mkdir(copy, 0755);
    free(copy);
}

/* Builds the demo repositories' TechDocs sites into the publish folder. */
static size_t build_demo_sites(const char *publish_dir)
{
    static const char *const sites[] = {"route-planner", "service-chassis"};
    size_t built = 0;

    for (size_t i = 0; i < 2; i++) {
        char *src = gr_xasprintf("examples/demo/catalog/repos/%s", sites[i]);
        char *out = gr_xasprintf("%s/default/component/%s", publish_dir, sites[i]);
        gr_techdocs_report report;

        make_dirs(out);
        if (gr_techdocs_build(src, out, NULL, &report) == 0)
            built++;
        else
            fprintf(stderr, "bench_search: building %s failed: %s\n", src, gr_error_last());
        gr_techdocs_report_free(&report);
        free(src);
        free(out);
    }
    return built;
}

static const char *const words[] = {
    "payments", "billing",  "checkout", "inventory", "search",    "catalog", "identity", "auth",
    "ledger",   "shipping", "orders",   "pricing",   "profile",   "reviews", "ranking",  "notify",
    "email",    "gateway",  "router",   "metrics",   "logging",   "tracing", "audit",    "export",
    "import",   "report",   "invoice",  "refund",    "cart",      "media",   "upload",   "storage",
    "cache",    "session",  "token",    "fraud",     "risk",      "tax",     "currency", "maps",
    "feed",     "chat",     "batch",    "stream",    "warehouse", "portal",  "support",  "crm",
};
static const char *const suffixes[] = {"service", "api", "worker", "web",   "lib",     "sdk",
                                       "engine",  "hub", "proxy",  "store", "manager", "bridge"};
static const char *const lifecycles[] = {"production", "production", "production", "experimental",
                                         "deprecated"};

static unsigned next_random(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

#define PICK(array, seed) (array[next_random(seed) % (sizeof(array) / sizeof(array[0]))])

/* Makes entity `i` of the generated catalog: the kind mix of Backstage's
 * benchmark catalog (components, APIs, users, resources, groups, systems,
 * domains), with descriptions that name owners and systems. */
static json_t *generated_entity(int i, int count, unsigned *seed)
{
    const char *word = PICK(words, seed);
    const char *owner_word = PICK(words, seed);
    int teams = count * 3 / 100 + 1;
    char name[96];
    char text[256];
    char owner[64];
    const char *kind;
    int slot = i % 100;

    snprintf(owner, sizeof(owner), "team-%s-%04d", owner_word, (int)(next_random(seed) % teams));
    if (slot < 3) {
        kind = "Group";
        snprintf(name, sizeof(name), "team-%s-%04d", word, i);
        snprintf(text, sizeof(text), "The %s team", word);
        return json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:{s:s}}}", "apiVersion",
                         "backstage.io/v1alpha1", "kind", kind, "metadata", "name", name,
                         "description", text, "spec", "type", "team", "profile", "displayName",
                         name);
    }
    if (slot < 18) {
        snprintf(name, sizeof(name), "user-%s-%05d", word, i);
        return json_pack("{s:s,s:s,s:{s:s},s:{s:{s:s,s:s}}}", "apiVersion", "backstage.io/v1alpha1",
                         "kind", "User", "metadata", "name", name, "spec", "profile", "displayName",
                         name, "email", "someone@example.com");
    }
    if (slot < 21) {
        snprintf(name, sizeof(name), "%s-platform-%04d", word, i);
        snprintf(text, sizeof(text), "The %s platform", word);
        kind = "System";
    } else if (slot < 38) {
        snprintf(name, sizeof(name), "%s-api-%05d", word, i);
        snprintf(text, sizeof(text), "The %s API of %s", word, owner);
        kind = "API";
    } else if (slot < 48) {
        snprintf(name, sizeof(name), "%s-db-%05d", word, i);
        snprintf(text, sizeof(text), "Stores %s data", word);
        kind = "Resource";
    } else {
        const char *suffix = PICK(suffixes, seed);

        snprintf(name, sizeof(name), "%s-%s-%05d", word, suffix, i);
        snprintf(text, sizeof(text),
                 "%s %s owned by %s; part of %s-platform-%04d. Handles %s "
                 "traffic.",
                 word, suffix, owner, PICK(words, seed), (int)(next_random(seed) % 300), word);
        kind = "Component";
    }
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:[s]},s:{s:s,s:s,s:s}}", "apiVersion",
                     "backstage.io/v1alpha1", "kind", kind, "metadata", "name", name, "description",
                     text, "tags", word, "spec", "type", "service", "lifecycle",
                     PICK(lifecycles, seed), "owner", owner);
}

static void load_generated(gr_db *db, int count)
{
    gr_db_conn *conn = NULL;
    unsigned seed = 42;

    must(gr_db_acquire(db, GR_DB_WRITE, &conn), "acquire");
    must(gr_db_begin(conn), "begin");
    for (int i = 0; i < count; i++) {
        json_t *entity = generated_entity(i, count, &seed);

        store_entity(conn, entity);
        json_decref(entity);
    }
    must(gr_db_commit(conn), "commit");
    gr_db_release(conn);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Times gr_search_query() on `term`. With `suggest`, the query is the UI's
 * header type-ahead (8 results, no count, no highlights). */
static void time_queries(gr_search *search, const char *term, int suggest, int queries)
{
    double *samples = gr_xcalloc((size_t)queries, sizeof(double));
    double *cpu = gr_xcalloc((size_t)queries, sizeof(double));
    gr_search_request request = {.term = term, .suggest = suggest, .page_limit = suggest ? 8 : 0};
    int64_t results = 0;
    double total = 0;

    for (int i = 0; i < queries + 50; i++) {
        json_t *result = NULL;
        double start = now_ms();
        double cpu_start = clock_ms(CLOCK_THREAD_CPUTIME_ID);

        must(gr_search_query(search, &request, NULL, &result), "query");
        if (i >= 50) {
            samples[i - 50] = now_ms() - start;
            cpu[i - 50] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
            total += samples[i - 50];
        }
        results = json_integer_value(json_object_get(result, "numberOfResults"));
        json_decref(result);
    }
    qsort(samples, (size_t)queries, sizeof(double), compare_doubles);
    qsort(cpu, (size_t)queries, sizeof(double), compare_doubles);
    printf("  %s %-20s results=%-6lld p50=%.3f ms p99=%.3f ms (cpu p50=%.3f ms), "
           "%.0f queries/s on one thread\n",
           suggest ? "type-ahead" : "query", term[0] ? term : "(empty term)", (long long)results,
           samples[queries / 2], samples[queries * 99 / 100], cpu[queries / 2],
           1000.0 * queries / total);
    free(samples);
    free(cpu);
}

/* Times gr_search_update() of one source, which re-collates and rewrites it. */
static void time_update(gr_search *search, const char *ref, const char *what)
{
    double start = now_ms();
    double cpu_start = clock_ms(CLOCK_THREAD_CPUTIME_ID);

    for (int i = 0; i < 100; i++)
        must(gr_search_update(search, NULL, ref), "update");
    printf("  incremental update of %s: %.2f ms (cpu %.2f ms)\n", what, (now_ms() - start) / 100,
           (clock_ms(CLOCK_THREAD_CPUTIME_ID) - cpu_start) / 100);
}

/* Runs wrk with Backstage benchmark's settings and prints its summary lines. */
static void run_wrk(const char *url, int seconds)
{
    char duration[16];
    char *argv[] = {"wrk",       "-t2",       "-c32", "-d",
                    duration,    "--latency", "-H",   "Authorization: Bearer " BENCH_TOKEN,
                    (char *)url, NULL};
    posix_spawn_file_actions_t actions;
    gr_buf report = GR_BUF_INIT;
    char chunk[4096];
    int pipe_fds[2];
    int status = 0;
    ssize_t got;
    pid_t pid;

    snprintf(duration, sizeof(duration), "%ds", seconds);
    if (pipe(pipe_fds) != 0)
        return;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    if (posix_spawnp(&pid, "wrk", &actions, NULL, argv, environ) != 0) {
        printf("  wrk is not on PATH; HTTP throughput not measured\n");
        posix_spawn_file_actions_destroy(&actions);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    while ((got = read(pipe_fds[0], chunk, sizeof(chunk))) > 0)
        gr_buf_append(&report, chunk, (size_t)got);
    close(pipe_fds[0]);
    waitpid(pid, &status, 0);
    printf("  wrk -t2 -c32 -d%ds --latency %s\n", seconds, url);
    for (const char *line = gr_buf_cstr(&report); *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (strstr(line, "Requests/sec") == line || strstr(line, "     50%") == line ||
            strstr(line, "     99%") == line || strstr(line, "Non-2xx") != NULL ||
            strstr(line, "requests in") != NULL)
            printf("    %.*s\n", (int)len, line);
        line += len + (end ? 1 : 0);
    }
    gr_buf_free(&report);
}

static gr_config *bench_config(const char *dir)
{
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    char *text = gr_xasprintf("backend:\n  auth:\n    externalAccess:\n      - type: static\n"
                              "        options:\n          token: " BENCH_TOKEN "\n"
                              "          subject: bench\n"
                              "techdocs:\n  publisher:\n    local:\n"
                              "      publishDirectory: %s/sites\n",
                              dir);
    char *path = gr_xasprintf("%s/app-config.yaml", dir);
    const char *files[] = {path};
    FILE *file = fopen(path, "w");

    if (file == NULL)
        must(-1, "writing the config");
    fputs(text, file);
    fclose(file);
    must(gr_config_schema_builtin(&schema), "schema");
    must(gr_config_load(&config, files, 1, schema), "config");
    gr_config_schema_free(schema);
    free(text);
    free(path);
    return config;
}

static void bench_engine(const char *label, gr_db *db, const char *dir, const bench_options *opts)
{
    gr_config *config = bench_config(dir);
    char *publish_dir = gr_xasprintf("%s/sites", dir);
    gr_search *search = NULL;
    gr_search_reindex_stats stats;
    gr_db_conn *conn = NULL;
    size_t demo_entities;

    printf("== %s\n", label);
    must(gr_db_acquire(db, GR_DB_WRITE, &conn), "acquire");
    must(gr_db_exec(conn, catalog_tables), "catalog tables");
    must(gr_db_begin(conn), "begin");
    demo_entities = load_demo_dir(conn, "examples/demo/catalog");
    must(gr_db_commit(conn), "commit");
    gr_db_release(conn);
    printf("  demo catalog: %zu entities, %zu TechDocs sites built\n", demo_entities,
           build_demo_sites(publish_dir));

    must(gr_search_migrate(db), "search migrations");
    must(gr_search_new_builtin(&search, db, config, "bench"), "search");
    must(gr_search_reindex(search, &stats), "reindex");
    printf("  rebuild, demo catalog: %zu documents in %.1f ms\n", stats.documents,
           stats.seconds * 1000);

    load_generated(db, opts->count);
    {
        double cpu_start = clock_ms(CLOCK_THREAD_CPUTIME_ID);

        must(gr_search_reindex(search, &stats), "reindex");
        printf("  rebuild, demo + %d generated entities: %zu documents in %.1f ms (cpu of this "
               "process %.1f ms)\n",
               opts->count, stats.documents, stats.seconds * 1000,
               clock_ms(CLOCK_THREAD_CPUTIME_ID) - cpu_start);
    }

    time_update(search, "component:default/route-optimiser-worker",
                "route-optimiser-worker (one catalog document)");
    time_update(search, "component:default/route-planner",
                "route-planner (its catalog document and TechDocs sections)");

    time_queries(search, "payments", 0, opts->queries);
    time_queries(search, "pay", 0, opts->queries);
    time_queries(search, "payments worker", 0, opts->queries);
    time_queries(search, "team-payments-0000", 0, opts->queries);
    time_queries(search, "", 0, opts->queries);
    time_queries(search, "pay", 1, opts->queries);
    time_queries(search, "payments-a", 1, opts->queries);
    time_queries(search, "team-payments-0000", 1, opts->queries);

    if (opts->wrk) {
        gr_http_options http_options = {0};
        gr_http_server *server = NULL;
        gr_auth *auth = NULL;
        gr_search_api query = {gr_plugin_host_api(), search};
        char *url;

        must(gr_http_server_new(&server, &http_options), "http server");
        must(gr_auth_new(&auth, config, db), "auth");
        gr_http_set_authenticator(server, gr_auth_authenticate, auth);
        must(gr_http_route(server, "GET", "/api/search/query", 0, gr_search_api_handle, &query),
             "route");
        must(gr_http_server_start(server), "http start");
        url = gr_xasprintf("http://127.0.0.1:%d/api/search/query?term=payments",
                           gr_http_server_port(server));
        run_wrk(url, opts->seconds);
        gr_http_server_free(server);
        gr_auth_free(auth);
        free(url);
    }
    gr_search_free(search);
    gr_config_free(config);
    free(publish_dir);
}

static int parse_options(int argc, char **argv, bench_options *opts)
{
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(argv[i], "--no-wrk") == 0) {
            opts->wrk = 0;
        } else if (value != NULL && strcmp(argv[i], "--count") == 0) {
            opts->count = atoi(argv[++i]);
        } else if (value != NULL && strcmp(argv[i], "--queries") == 0) {
            opts->queries = atoi(argv[++i]);
        } else if (value != NULL && strcmp(argv[i], "--seconds") == 0) {
            opts->seconds = atoi(argv[++i]);
        } else if (value != NULL && strcmp(argv[i], "--pg") == 0) {
            opts->pg_url = argv[++i];
        } else {
            fputs(bench_usage, stderr);
            return 2;
        }
    }
    if (opts->count < 100 || opts->queries < 100 || opts->seconds < 1) {
        fprintf(stderr, "bench_search: --count and --queries must be at least 100, --seconds "
                        "at least 1\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_options opts = {.count = 10000, .queries = 2000, .seconds = 10, .wrk = 1};
    char dir[] = "/tmp/bench-search-XXXXXX";
    gr_db_options db_options = {.client = "sqlite"};
    gr_db *db = NULL;
    char *path;
    int rc = parse_options(argc, argv, &opts);

    if (rc != 0)
        return rc;
    if (mkdtemp(dir) == NULL) {
        perror("bench_search: mkdtemp");
        return 1;
    }
    gr_log_set_level(GR_LOG_WARN);
    {
        double load[3] = {0, 0, 0};

        getloadavg(load, 3);
        printf("bench_search: cpus=%ld load_average=%.2f generated=%d queries_per_term=%d\n",
               sysconf(_SC_NPROCESSORS_ONLN), load[0], opts.count, opts.queries);
    }

    path = gr_xasprintf("%s/sqlite/bench.sqlite", dir);
    db_options.path = path;
    must(gr_db_open(&db, &db_options), "opening SQLite");
    bench_engine("SQLite FTS5", db, dir, &opts);
    gr_db_close(db);
    free(path);

    if (opts.pg_url != NULL) {
        gr_db_options pg_options = {.client = "pg", .connection = opts.pg_url};

        must(gr_db_open(&db, &pg_options), "opening PostgreSQL");
        bench_engine("PostgreSQL full-text search", db, dir, &opts);
        gr_db_close(db);
    }
    if (getenv("GR_BENCH_KEEP") != NULL) {
        printf("bench_search: kept %s\n", dir);
    } else {
        char *command = gr_xasprintf("rm -rf '%s'", dir);

        if (system(command) != 0)
            fprintf(stderr, "bench_search: removing %s failed\n", dir);
        free(command);
    }
    return 0;
}
