/* SPDX-License-Identifier: MIT */
/* Tests of `greenroom db migrate` and `db copy` with `greenroom serve`, on both engines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin_test.h"
#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/store/migrate.h"
#include "gr_sql.h"
#include "unit/store/db_fixture.h"

/* Concurrent `db migrate` processes in migrate_runs_concurrently. */
#define CONCURRENT_MIGRATIONS 4
#define START_MS 15000

typedef struct {
    db_fixture *db; /* the database the config names */
    char *dir;      /* the folder commands and servers run in */
    char *config;   /* app-config.yaml in dir */
} migrate_fixture;

/* Writes app-config.yaml for `db`. */
static char *write_config(const char *dir, const db_fixture *db)
{
    gr_buf text = GR_BUF_INIT;

    gr_buf_puts(&text, "backend:\n  listen:\n    port: ${GREENROOM_PORT:-7007}\n"
                       "  database:\n");
    if (db->engine == GR_DB_SQLITE)
        gr_buf_printf(&text, "    client: better-sqlite3\n    connection: '%s'\n", db->path);
    else
        gr_buf_printf(&text, "    client: pg\n    connection: '%s'\n", db->url);
    gr_test_write_file(dir, "app-config.yaml", text.data);
    gr_buf_free(&text);
    return gr_xasprintf("%s/app-config.yaml", dir);
}

static int setup(void **state)
{
    migrate_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));
    void *db_state = *state;

    if (db_fixture_setup(&db_state) != 0)
        return -1;
    fixture->db = db_state;
    fixture->dir = gr_test_tmpdir("db-migrate");
    fixture->config = write_config(fixture->dir, fixture->db);
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    migrate_fixture *fixture = *state;
    void *db_state = fixture->db;

    db_fixture_teardown(&db_state);
    gr_test_rmtree(fixture->dir);
    free(fixture->dir);
    free(fixture->config);
    free(fixture);
    return 0;
}

static gr_test_output run_db(const migrate_fixture *fixture, const char *subcommand)
{
    const char *const argv[] = {"db", subcommand, "--config", fixture->config, NULL};
    gr_test_output res = gr_test_run(fixture->dir, argv);

    if (res.status != 0)
        fprintf(stderr, "db %s: status %d\n%s%s", subcommand, res.status, res.out, res.err);
    return res;
}

static int compare_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_text(const char *path)
{
    FILE *file = fopen(path, "rb");
    gr_buf text = GR_BUF_INIT;
    char chunk[4096];
    size_t got;

    while (file != NULL && (got = fread(chunk, 1, sizeof(chunk), file)) > 0)
        gr_buf_append(&text, chunk, got);
    if (file != NULL)
        fclose(file);
    gr_buf_puts(&text, "");
    return gr_buf_detach(&text);
}

static void migrate_records_versions(void **state)
{
    migrate_fixture *fixture = *state;
    gr_test_output res = run_db(fixture, "migrate");

    assert_int_equal(res.status, 0);
    assert_non_null(strstr(res.out, "migrated scheduler"));
    assert_non_null(strstr(res.out, "migrated auth"));
    assert_non_null(strstr(res.err, "applied migration auth version 1"));
    gr_test_output_free(&res);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM schema_migrations "
                                      "WHERE component IN ('scheduler', 'auth')"), 3);

    res = run_db(fixture, "status");
    assert_int_equal(res.status, 0);
    assert_non_null(strstr(res.out, "scheduler                   1"));
    gr_test_output_free(&res);
}

/* After `db migrate`, a server starts without applying any migration. */
static void migrate_leaves_serve_nothing(void **state)
{
    migrate_fixture *fixture = *state;
    gr_test_server server;
    gr_test_output res = run_db(fixture, "migrate");
    char *log;

    assert_int_equal(res.status, 0);
    gr_test_output_free(&res);
    assert_int_equal(gr_test_server_start(&server, fixture->dir, "app-config.yaml", START_MS), 0);
    log = read_text(server.log_path);
    assert_non_null(strstr(log, "msg=ready"));
    /* The ready line names the address the server listens on, beside its public URL. */
    assert_non_null(strstr(log, " listen=http://127.0.0.1:"));
    assert_null(strstr(log, "applied migration"));
    free(log);
    assert_int_equal(gr_test_server_stop(&server), 0);
}

/* Instances upgraded at the same moment take turns on the migration lock. */
static void migrate_runs_concurrently(void **state)
{
    migrate_fixture *fixture = *state;
    pid_t children[CONCURRENT_MIGRATIONS];

    for (int i = 0; i < CONCURRENT_MIGRATIONS; i++) {
        children[i] = fork();
        if (children[i] == 0) {
            gr_test_output res = run_db(fixture, "migrate");

            _exit(res.status);
        }
    }
    for (int i = 0; i < CONCURRENT_MIGRATIONS; i++) {
        int status = -1;

        assert_int_equal(waitpid(children[i], &status, 0), children[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM schema_migrations "
                                      "WHERE component = 'scheduler'"), 1);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM auth_secrets"), 1);
}

/* Log lines and outputs that only a plugin's init or setup produces. */
static void assert_no_plugin_init(const gr_test_output *res)
{
    assert_null(strstr(res->out, "through its init hook"));
    assert_null(strstr(res->err, "mod=ui msg=ready"));
    assert_null(strstr(res->err, "plugin loaded"));
}

/* A location that the given config does not list survives `db migrate`. */
static void migrate_keeps_locations(void **state)
{
    migrate_fixture *fixture = *state;
    gr_test_output res = run_db(fixture, "migrate");

    assert_int_equal(res.status, 0);
    assert_non_null(strstr(res.out, "migrated plugin catalog"));
    assert_no_plugin_init(&res);
    gr_test_output_free(&res);
    db_fixture_exec(fixture->db->db,
                    "INSERT INTO catalog_locations (id, type, target, origin, entity_ref, "
                    "created_at) VALUES ('kept-id', 'url', 'https://example.invalid/c.yaml', "
                    "'config', 'location:default/generated-kept', 0)");

    res = run_db(fixture, "migrate");
    assert_int_equal(res.status, 0);
    assert_no_plugin_init(&res);
    gr_test_output_free(&res);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM catalog_locations "
                                      "WHERE id = 'kept-id'"), 1);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM schema_migrations "
                                      "WHERE component = 'plugin:ui'"), 2);
}

/* A shared-library plugin's declared migrations apply, and its setup never runs. */
static void migrate_applies_plugin_tables(void **state)
{
    migrate_fixture *fixture = *state;
    char *plugin = plugin_test_path("scorecards");
    char *config = read_text(fixture->config);
    gr_buf text = GR_BUF_INIT;
    gr_test_output res;

    /* No `checks`: setup would fail on it, so a success shows setup did not run. */
    gr_buf_printf(&text, "%splugins:\n  - path: %s\n", config, plugin);
    gr_test_write_file(fixture->dir, "app-config.yaml", text.data);
    res = run_db(fixture, "migrate");
    assert_int_equal(res.status, 0);
    assert_non_null(strstr(res.out, "migrated plugin loader"));
    assert_no_plugin_init(&res);
    gr_test_output_free(&res);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM schema_migrations "
                                      "WHERE component = 'plugin:scorecards'"), 1);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM scorecards_results"),
                     0);
    gr_buf_free(&text);
    free(config);
    free(plugin);
}

/* A database from a newer greenroom is left alone, and the error asks for a newer greenroom. */
static void migrate_rejects_newer_schema(void **state)
{
    migrate_fixture *fixture = *state;
    gr_test_output res = run_db(fixture, "migrate");

    assert_int_equal(res.status, 0);
    gr_test_output_free(&res);
    db_fixture_exec(fixture->db->db, "INSERT INTO schema_migrations (component, version, "
                    "description, applied_at) VALUES ('scheduler', 99, 'from the future', "
                    "'2100-01-01T00:00:00.000Z')");
    res = run_db(fixture, "migrate");
    assert_int_equal(res.status, 1);
    assert_non_null(strstr(res.err, "scheduler is at version 99"));
    assert_non_null(strstr(res.err, "upgrade greenroom"));
    gr_test_output_free(&res);
}

/* The migrations of search and TechDocs as releases before the plugin ABI
 * applied them, under the components "search" and "techdocs". */
static void apply_previous_layout(gr_db *db)
{
    const gr_db_migration search[] = {
        {.version = 1, .description = "search state and pending changes",
         .sql = gr_sql_plugins_search_sql_001_state},
    };
    const gr_db_migration techdocs[] = {
        {.version = 1, .description = "create techdocs_sites, techdocs_files and techdocs_builds",
         .sql = gr_sql_plugins_techdocs_sql_001_sites_sqlite,
         .sql_pg = gr_sql_plugins_techdocs_sql_001_sites_pg},
        {.version = 2, .description = "index techdocs_sites by publish time",
         .sql = gr_sql_plugins_techdocs_sql_002_published_at},
    };

    assert_int_equal(gr_db_migrate(db, "search", search, 1), 0);
    assert_int_equal(gr_db_migrate(db, "techdocs", techdocs, 2), 0);
}

/* Returns the applied_at times of `component`'s versions, one line each (caller frees). */
static char *applied_times(gr_db *db, const char *component)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    gr_buf text = GR_BUF_INIT;

    assert_int_equal(gr_db_acquire(db, GR_DB_READ, &conn), 0);
    assert_int_equal(gr_db_prepare(conn, "SELECT version, applied_at FROM schema_migrations "
                                         "WHERE component = ? ORDER BY version", &stmt), 0);
    assert_int_equal(gr_db_bind_text(stmt, 1, component), 0);
    while (gr_db_step(stmt) == GR_DB_ROW)
        gr_buf_printf(&text, "%lld %s\n", (long long)gr_db_column_int64(stmt, 0),
                      gr_db_column_text(stmt, 1));
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_buf_puts(&text, "");
    return gr_buf_detach(&text);
}

/* A database that search and TechDocs migrated before they declared their migrations in
 * their plugin infos serves without applying them again: the host moves the history. */
static void serve_adopts_previous_history(void **state)
{
    migrate_fixture *fixture = *state;
    gr_db *db = fixture->db->db;
    char *search_before;
    char *techdocs_before;
    char *search_after;
    char *techdocs_after;
    gr_test_server server;
    char *log;

    apply_previous_layout(db);
    db_fixture_exec(db, "INSERT INTO techdocs_sites (entity_ref, namespace, kind, name, "
                        "generation, origin, published_at) VALUES ('component:default/kept', "
                        "'default', 'component', 'kept', 1, 'test', 5)");
    search_before = applied_times(db, "search");
    techdocs_before = applied_times(db, "techdocs");
    assert_non_null(strstr(search_before, "1 "));
    assert_non_null(strstr(techdocs_before, "2 "));

    assert_int_equal(gr_test_server_start(&server, fixture->dir, "app-config.yaml", START_MS), 0);
    log = read_text(server.log_path);
    assert_int_equal(gr_test_server_stop(&server), 0);
    assert_non_null(strstr(log, "recorded 1 migrations of search under plugin:search"));
    assert_non_null(strstr(log, "recorded 2 migrations of techdocs under plugin:techdocs"));
    /* Search's later migrations are new to that database, so they run. */
    assert_null(strstr(log, "applied migration plugin:search version 1 "));
    assert_null(strstr(log, "applied migration plugin:techdocs"));

    search_after = applied_times(db, "plugin:search");
    techdocs_after = applied_times(db, "plugin:techdocs");
    assert_memory_equal(search_after, search_before, strlen(search_before));
    assert_string_equal(techdocs_after, techdocs_before);
    assert_int_equal(db_fixture_int64(db, "SELECT COUNT(*) FROM schema_migrations WHERE "
                                          "component IN ('search', 'techdocs')"), 0);
    assert_int_equal(db_fixture_int64(db, "SELECT COUNT(*) FROM techdocs_sites WHERE "
                                          "entity_ref = 'component:default/kept'"), 1);
    free(log);
    free(search_before);
    free(techdocs_before);
    free(search_after);
    free(techdocs_after);
}

/* `db migrate` moves the same history, and applies nothing of search or TechDocs again. */
static void migrate_adopts_previous_history(void **state)
{
    migrate_fixture *fixture = *state;
    gr_db *db = fixture->db->db;
    char *techdocs_before;
    char *techdocs_after;
    gr_test_output res;

    apply_previous_layout(db);
    techdocs_before = applied_times(db, "techdocs");
    res = run_db(fixture, "migrate");
    assert_int_equal(res.status, 0);
    assert_non_null(strstr(res.out, "migrated plugin search"));
    assert_non_null(strstr(res.out, "migrated plugin techdocs"));
    assert_null(strstr(res.err, "applied migration plugin:search version 1 "));
    assert_null(strstr(res.err, "applied migration plugin:techdocs"));
    gr_test_output_free(&res);

    techdocs_after = applied_times(db, "plugin:techdocs");
    assert_string_equal(techdocs_after, techdocs_before);
    assert_int_equal(db_fixture_int64(db, "SELECT COUNT(*) FROM schema_migrations WHERE "
                                          "component = 'plugin:search' AND version = 1"), 1);
    free(techdocs_before);
    free(techdocs_after);
}

/* Reads the session secret of a SQLite file with the sqlite3 tool, or NULL. */
static char *sqlite_session_secret(const char *path)
{
    char *command = gr_xasprintf("sqlite3 '%s' \"SELECT value FROM auth_secrets "
                                 "WHERE name = 'session'\"", path);
    FILE *pipe = popen(command, "r");
    char line[256] = "";
    char *secret = NULL;

    if (pipe != NULL && fgets(line, sizeof(line), pipe) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        secret = gr_xstrdup(line);
    }
    if (pipe != NULL)
        pclose(pipe);
    free(command);
    return secret;
}

#define COPY_TOKEN "db-copy-test-token"
/* Entities in the catalog of copy_then_serve, besides its Location. */
#define COPY_ENTITIES 4

static const char copy_catalog[] =
    "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\n"
    "spec:\n  type: team\n  children: []\n"
    "---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: shop\n"
    "spec:\n  owner: team-a\n"
    "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: cart\n"
    "  annotations:\n    example.com/note: \"quotes ' and unicode \\u00fc\"\n"
    "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n  system: shop\n"
    "  providesApis: [cart-api]\n"
    "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: cart-api\n"
    "spec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n  system: shop\n"
    "  definition: 'openapi: 3.0.0'\n";

/* Writes copy.yaml in `dir`: the catalog of `catalog_dir` on the database `database_yaml`. */
static void write_copy_config(const char *dir, const char *catalog_dir, const char *database_yaml)
{
    char *text = gr_xasprintf(
        "backend:\n  listen:\n    port: ${GREENROOM_PORT}\n  database:\n%s"
        "  auth:\n    externalAccess:\n      - type: static\n        options:\n"
        "          token: " COPY_TOKEN "\n          subject: copy-test\n"
        "catalog:\n  rules:\n    - allow: [Component, API, System, Group, Location]\n"
        "  locations:\n    - type: file\n      target: %s/catalog.yaml\n",
        database_yaml, catalog_dir);

    gr_test_write_file(dir, "copy.yaml", text);
    free(text);
}

/* Returns the entities a server lists, as sorted "kind name" lines (caller frees). */
static char *served_entities(const gr_test_server *server)
{
    const char *const headers[] = {"Authorization: Bearer " COPY_TOKEN, NULL};
    char *url = gr_xasprintf("%s/api/catalog/entities?fields=kind,metadata.name,relations,"
                             "metadata.annotations", server->base_url);
    gr_test_output res = gr_test_http("GET", url, headers, NULL);
    json_t *list = json_loads(res.out != NULL ? res.out : "", 0, NULL);
    char **lines = gr_xcalloc(json_array_size(list) + 1, sizeof(char *));
    gr_buf out = GR_BUF_INIT;
    size_t count = json_array_size(list);

    for (size_t i = 0; i < count; i++)
        lines[i] = json_dumps(json_array_get(list, i), JSON_SORT_KEYS | JSON_COMPACT);
    qsort(lines, count, sizeof(char *), compare_text);
    for (size_t i = 0; i < count; i++) {
        gr_buf_printf(&out, "%s\n", lines[i]);
        free(lines[i]);
    }
    gr_buf_puts(&out, "");
    free(lines);
    json_decref(list);
    gr_test_output_free(&res);
    free(url);
    return gr_buf_detach(&out);
}

/* Waits until the server lists COPY_ENTITIES entities besides Locations; returns them. */
static char *wait_for_catalog(const gr_test_server *server)
{
    static const char location_kind[] = "\"kind\":\"Location\"";

    for (int attempt = 0; attempt < 300; attempt++) {
        char *entities = served_entities(server);
        int found = 0;

        for (const char *p = strstr(entities, "\"kind\":"); p != NULL;
             p = strstr(p + 1, "\"kind\":"))
            found += strncmp(p, location_kind, strlen(location_kind)) != 0;
        if (found == COPY_ENTITIES)
            return entities;
        if (attempt == 299)
            fail_msg("the catalog was not ingested within 30 s; the server lists:\n%s", entities);
        free(entities);
        usleep(100 * 1000);
    }
    return NULL;
}

/* Counts the rows of `table` in a SQLite file with the sqlite3 tool; -1 on failure. */
static int sqlite_count(const char *path, const char *table)
{
    char *command = gr_xasprintf("sqlite3 '%s' 'SELECT COUNT(*) FROM %s'", path, table);
    FILE *pipe = popen(command, "r");
    char line[64] = "";
    int count = -1;

    if (pipe != NULL && fgets(line, sizeof(line), pipe) != NULL)
        count = atoi(line);
    if (pipe != NULL)
        pclose(pipe);
    free(command);
    return count;
}

/* SQLite to PostgreSQL with the binary: a server on the copy serves the same catalog. */
static void copy_then_serve(void **state)
{
    migrate_fixture *fixture = *state;
    char *sqlite_dir = gr_test_tmpdir("db-copy-source");
    char *sqlite_path = gr_xasprintf("%s/data/greenroom.sqlite", sqlite_dir);
    char *from = gr_xasprintf("sqlite:%s", sqlite_path);
    char *to = gr_xasprintf("pg:%s", fixture->db->url);
    char *pg_database = gr_xasprintf("    client: pg\n    connection: '%s'\n", fixture->db->url);
    const char *const copy_argv[] = {"db", "copy", "--from", from, "--to", to, NULL};
    char *source_secret;
    char *before;
    char *after;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    gr_test_output res;
    gr_test_server server;

    gr_test_write_file(sqlite_dir, "catalog.yaml", copy_catalog);
    write_copy_config(sqlite_dir, sqlite_dir, "    client: better-sqlite3\n"
                                              "    connection: ./data/greenroom.sqlite\n");
    assert_int_equal(gr_test_server_start(&server, sqlite_dir, "copy.yaml", START_MS), 0);
    before = wait_for_catalog(&server);
    assert_int_equal(gr_test_server_stop(&server), 0);

    res = gr_test_run(sqlite_dir, copy_argv);
    if (res.status != 0)
        fprintf(stderr, "%s%s", res.out, res.err);
    assert_int_equal(res.status, 0);
    assert_non_null(strstr(res.out, "copied auth_secrets: 1 row"));
    assert_non_null(strstr(res.out, "copied catalog_final_entities: 5 rows"));
    gr_test_output_free(&res);

    /* The copy only reads its source: the catalog there is still whole. */
    assert_int_equal(sqlite_count(sqlite_path, "catalog_final_entities"), COPY_ENTITIES + 1);

    source_secret = sqlite_session_secret(sqlite_path);
    assert_non_null(source_secret);
    assert_int_equal(gr_db_acquire(fixture->db->db, GR_DB_READ, &conn), GR_OK);
    assert_int_equal(gr_db_prepare(conn, "SELECT value FROM auth_secrets WHERE name = 'session'",
                                   &stmt), GR_OK);
    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    assert_string_equal(gr_db_column_text(stmt, 0), source_secret);
    gr_db_finalize(stmt);
    gr_db_release(conn);

    write_copy_config(fixture->dir, sqlite_dir, pg_database);
    assert_int_equal(gr_test_server_start(&server, fixture->dir, "copy.yaml", START_MS), 0);
    /* The server's first processing round may run while the list is read, so the list is
     * read again until it matches, for at most 30 s. */
    after = served_entities(&server);
    for (int attempt = 0; attempt < 300 && strcmp(after, before) != 0; attempt++) {
        usleep(100 * 1000);
        free(after);
        after = served_entities(&server);
    }
    assert_int_equal(gr_test_server_stop(&server), 0);
    assert_string_equal(after, before);

    free(before);
    free(after);
    free(source_secret);
    gr_test_rmtree(sqlite_dir);
    free(sqlite_dir);
    free(sqlite_path);
    free(from);
    free(to);
    free(pg_database);
}

#define MIGRATE_TEST(fn, engine)                                                                   \
    {#engine ": " #fn, fn, setup, teardown, (void *)&db_fixture_##engine}

int main(void)
{
    const struct CMUnitTest tests[] = {
        MIGRATE_TEST(migrate_records_versions, sqlite),
        MIGRATE_TEST(migrate_records_versions, pg),
        MIGRATE_TEST(migrate_leaves_serve_nothing, sqlite),
        MIGRATE_TEST(migrate_leaves_serve_nothing, pg),
        MIGRATE_TEST(migrate_runs_concurrently, pg),
        MIGRATE_TEST(migrate_keeps_locations, sqlite),
        MIGRATE_TEST(migrate_keeps_locations, pg),
        MIGRATE_TEST(migrate_applies_plugin_tables, sqlite),
        MIGRATE_TEST(migrate_applies_plugin_tables, pg),
        MIGRATE_TEST(migrate_rejects_newer_schema, sqlite),
        MIGRATE_TEST(migrate_rejects_newer_schema, pg),
        MIGRATE_TEST(copy_then_serve, pg),
        MIGRATE_TEST(serve_adopts_previous_history, sqlite),
        MIGRATE_TEST(serve_adopts_previous_history, pg),
        MIGRATE_TEST(migrate_adopts_previous_history, sqlite),
        MIGRATE_TEST(migrate_adopts_previous_history, pg),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
