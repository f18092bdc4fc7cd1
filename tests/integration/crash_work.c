/* SPDX-License-Identifier: MIT */
/* Crash consistency: SIGKILL the server during a TechDocs build and a template run, restart it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db.h"

/*
 * `greenroom serve` (the real binary) reads three file locations: a small
 * docs site, a large docs site and a template whose only step is debug:wait.
 * The first server stitches them and publishes the small site. Then a task
 * of the template starts, and a view of the large site starts its build.
 * The test kills the server with SIGKILL while both run, at a random moment
 * of the build, and checks that:
 *   - PRAGMA integrity_check returns "ok";
 *   - every entity stitched and every site published before the kill is
 *     still there, the small site with all of its files.
 * After a restart in the same folder, it checks that:
 *   - a sync of the large site builds it again and publishes it, once the
 *     dead server's build lease (techdocs.build.leaseMs) has expired;
 *   - the task the dead server ran is marked failed, with a completion
 *     event naming the missing heartbeats, once its claim
 *     (scaffolder.taskLeaseSeconds) has expired.
 * The leases are short (3 and 4 s) so the test takes well under a minute.
 * GR_CRASH_SEED=N repeats the random delay; GR_CRASH_KEEP=1 keeps the folder.
 * The database is SQLite: PostgreSQL has no integrity_check.
 */

#define TOKEN "crash-work-token-1234"
#define START_MS 30000
#define BIG_PAGES 1500
#define WAIT_MS 30000
#define POLL_MS 20
/* The kill comes this long, at most, after the build was seen running. */
#define MAX_KILL_DELAY_MS 400

static const char *const auth_headers[] = {"Authorization: Bearer " TOKEN,
                                           "Content-Type: application/json", NULL};

static const char config_text[] =
    "backend:\n"
    "  listen:\n"
    "    port: ${GREENROOM_PORT}\n"
    "  database:\n"
    "    client: better-sqlite3\n"
    "    connection: ./data/greenroom.sqlite\n"
    "  auth:\n"
    "    externalAccess:\n"
    "      - type: static\n"
    "        options:\n"
    "          token: " TOKEN "\n"
    "          subject: crash-work\n"
    "catalog:\n"
    "  rules:\n"
    "    - allow: [Component, Template, Location]\n"
    "  locations:\n"
    "    - {type: file, target: ./small/catalog-info.yaml}\n"
    "    - {type: file, target: ./big/catalog-info.yaml}\n"
    "    - {type: file, target: ./slow/template.yaml}\n"
    "techdocs:\n"
    "  build:\n"
    "    waitMs: 100\n"
    "    leaseMs: 3000\n"
    "    checkIntervalMs: 600000\n"
    "scaffolder:\n"
    "  taskLeaseSeconds: 4\n";

static const char template_text[] =
    "apiVersion: scaffolder.backstage.io/v1beta3\n"
    "kind: Template\n"
    "metadata:\n"
    "  name: slow\n"
    "spec:\n"
    "  owner: group:default/team\n"
    "  type: service\n"
    "  parameters:\n"
    "    properties: {}\n"
    "  steps:\n"
    "    - id: wait\n"
    "      name: Wait\n"
    "      action: debug:wait\n"
    "      input:\n"
    "        seconds: 300\n";

typedef struct {
    char *dir;
    char *db_path;
    gr_test_server server;
} crash_fixture;

/* Writes a docs source with `pages` pages below `dir`/`name`. */
static void write_site(const char *dir, const char *name, int pages)
{
    char *root = gr_xasprintf("%s/%s", dir, name);
    char *entity = gr_xasprintf("apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                                "metadata:\n  name: %s\n  annotations:\n"
                                "    backstage.io/techdocs-ref: dir:.\n"
                                "spec:\n  type: service\n  lifecycle: production\n"
                                "  owner: team-a\n",
                                name);
    char *mkdocs = gr_xasprintf("site_name: %s docs\n", name);
    gr_buf page = GR_BUF_INIT;

    gr_test_write_file(root, "catalog-info.yaml", entity);
    gr_test_write_file(root, "mkdocs.yml", mkdocs);
    gr_test_write_file(root, "docs/index.md", "# Home\n\nThe first page.\n");
    for (int i = 1; i < pages; i++) {
        char *file = gr_xasprintf("docs/page-%04d.md", i);

        gr_buf_reset(&page);
        gr_buf_printf(&page, "# Page %d\n\n", i);
        for (int p = 0; p < 20; p++)
            gr_buf_printf(&page, "## Part %d\n\nParagraph %d of page %d, with `code` and "
                                 "*emphasis*.\n\n- one\n- two\n\n",
                          p, p, i);
        gr_test_write_file(root, file, gr_buf_cstr(&page));
        free(file);
    }
    gr_buf_free(&page);
    free(mkdocs);
    free(entity);
    free(root);
}

static int setup(void **state)
{
    crash_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));
    const char *seed = getenv("GR_CRASH_SEED");
    unsigned value = seed ? (unsigned)strtoul(seed, NULL, 10) : (unsigned)time(NULL);

    if (getenv("GR_TEST_DB") != NULL && strcmp(getenv("GR_TEST_DB"), "pg") == 0) {
        printf("crash_work: skipped under GR_TEST_DB=pg (the checks read SQLite)\n");
        free(fixture);
        *state = NULL;
        return 0;
    }
    printf("crash_work: seed %u (set GR_CRASH_SEED to repeat)\n", value);
    srand(value);
    fixture->dir = gr_test_tmpdir("crash-work");
    fixture->db_path = gr_xasprintf("%s/data/greenroom.sqlite", fixture->dir);
    gr_test_write_file(fixture->dir, "app-config.yaml", config_text);
    gr_test_write_file(fixture->dir, "slow/template.yaml", template_text);
    write_site(fixture->dir, "small", 2);
    write_site(fixture->dir, "big", BIG_PAGES);
    gr_log_set_level(GR_LOG_ERROR);
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    crash_fixture *fixture = *state;

    if (fixture == NULL)
        return 0;
    gr_test_server_stop(&fixture->server);
    if (getenv("GR_CRASH_KEEP") != NULL)
        printf("crash_work: kept %s\n", fixture->dir);
    else
        gr_test_rmtree(fixture->dir);
    free(fixture->dir);
    free(fixture->db_path);
    free(fixture);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&pause, NULL);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Sends a request with the static token; returns the status and, if `body_out`, the body. */
static int request(const crash_fixture *fixture, const char *method, const char *path,
                   const char *body, char **body_out)
{
    char *url = gr_xasprintf("%s%s", fixture->server.base_url, path);
    gr_test_output res = gr_test_http(method, url, auth_headers, body);
    int status = res.status;

    if (body_out != NULL) {
        *body_out = res.out;
        res.out = NULL;
    }
    gr_test_output_free(&res);
    free(url);
    return status;
}

/* Returns one text value of `sql` with optional `param` (caller frees), or NULL. */
static char *query_text(gr_db *db, const char *sql, const char *param)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *text = NULL;

    if (gr_db_acquire(db, GR_DB_READ, &conn) != GR_OK || gr_db_prepare(conn, sql, &stmt) != GR_OK)
        fail_msg("%s: %s", sql, gr_error_last());
    if (param != NULL)
        gr_db_bind_text(stmt, 1, param);
    if (gr_db_step(stmt) == GR_DB_ROW && gr_db_column_text(stmt, 0) != NULL)
        text = gr_xstrdup(gr_db_column_text(stmt, 0));
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return text;
}

static int64_t query_count(gr_db *db, const char *sql, const char *param)
{
    char *text = query_text(db, sql, param);
    int64_t count = text ? strtoll(text, NULL, 10) : -1;

    free(text);
    return count;
}

static gr_db *open_db(const crash_fixture *fixture)
{
    gr_db_options options = {.client = "sqlite", .path = fixture->db_path};
    gr_db *db = NULL;

    if (gr_db_open(&db, &options) != GR_OK)
        fail_msg("opening %s: %s", fixture->db_path, gr_error_last());
    return db;
}

/* Returns a JSON array of the rows of a one-column query. */
static json_t *query_column(gr_db *db, const char *sql)
{
    json_t *values = json_array();
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;

    if (gr_db_acquire(db, GR_DB_READ, &conn) != GR_OK || gr_db_prepare(conn, sql, &stmt) != GR_OK)
        fail_msg("%s: %s", sql, gr_error_last());
    while (gr_db_step(stmt) == GR_DB_ROW)
        json_array_append_new(values, json_string(gr_db_column_text(stmt, 0)));
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return values;
}

/* Waits until the catalog API returns the three entities. */
static void wait_stitched(const crash_fixture *fixture)
{
    static const char *const paths[] = {
        "/api/catalog/entities/by-name/component/default/small",
        "/api/catalog/entities/by-name/component/default/big",
        "/api/catalog/entities/by-name/template/default/slow",
    };
    struct timespec start;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        while (request(fixture, "GET", paths[i], NULL, NULL) != 200) {
            if (seconds_since(&start) * 1000 > WAIT_MS)
                fail_msg("%s was not stitched in time", paths[i]);
            sleep_ms(100);
        }
    }
}

/* Syncs `name` until its site is published; returns the seconds that took. */
static double sync_until_published(const crash_fixture *fixture, gr_db *db, const char *name)
{
    char *path = gr_xasprintf("/api/techdocs/sync/default/component/%s", name);
    char *ref = gr_xasprintf("component:default/%s", name);
    struct timespec start;

    clock_gettime(CLOCK_MONOTONIC, &start);
    while (query_count(db, "SELECT count(*) FROM techdocs_sites WHERE entity_ref = ?", ref) != 1) {
        if (seconds_since(&start) * 1000 > WAIT_MS)
            fail_msg("the site of %s was not published in time", name);
        request(fixture, "GET", path, NULL, NULL);
        sleep_ms(100);
    }
    free(ref);
    free(path);
    return seconds_since(&start);
}

/* Starts a task of the slow template and waits until a worker runs it; returns its id. */
static char *start_task(const crash_fixture *fixture, gr_db *db)
{
    char *body = NULL;
    int status = request(fixture, "POST", "/api/scaffolder/v2/tasks",
                         "{\"templateRef\":\"template:default/slow\",\"values\":{}}", &body);
    json_t *created = json_loads(body ? body : "", 0, NULL);
    struct timespec start;
    char *id;

    if (status != 201 || json_string_value(json_object_get(created, "id")) == NULL)
        fail_msg("creating the task gave %d: %s", status, body ? body : "");
    id = gr_xstrdup(json_string_value(json_object_get(created, "id")));
    json_decref(created);
    free(body);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        char *task_status = query_text(db, "SELECT status FROM scaffolder_tasks WHERE id = ?", id);
        int processing = task_status != NULL && strcmp(task_status, "processing") == 0;

        free(task_status);
        if (processing)
            break;
        if (seconds_since(&start) * 1000 > WAIT_MS)
            fail_msg("task %s was not claimed in time", id);
        sleep_ms(POLL_MS);
    }
    return id;
}

/* Views the big site, which starts its build, and waits until the build is under way. */
static void start_big_build(const crash_fixture *fixture, gr_db *db)
{
    const char *sql = "SELECT count(*) FROM techdocs_builds WHERE entity_ref = ? AND "
                      "phase = 'build' AND lease_owner IS NOT NULL";
    struct timespec start;

    request(fixture, "GET", "/docs/default/component/big/", NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (query_count(db, sql, "component:default/big") != 1) {
        if (seconds_since(&start) * 1000 > WAIT_MS)
            fail_msg("the build of the big site did not start in time");
        sleep_ms(POLL_MS);
    }
}

static void kill_server(crash_fixture *fixture)
{
    int status = 0;

    kill(fixture->server.pid, SIGKILL);
    assert_int_equal(waitpid(fixture->server.pid, &status, 0), fixture->server.pid);
    fixture->server.pid = 0;
    gr_test_server_stop(&fixture->server);
    /* The server runs until killed, so an exit of its own is a failure. */
    if (WIFEXITED(status))
        fail_msg("the server exited with status %d before the kill", WEXITSTATUS(status));
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* Checks the database after the kill against what was stored before it. */
static void check_after_kill(gr_db *db, const json_t *refs, int64_t small_files)
{
    char *integrity = query_text(db, "PRAGMA integrity_check", NULL);
    size_t index;
    json_t *ref;

    assert_non_null(integrity);
    assert_string_equal(integrity, "ok");
    free(integrity);
    json_array_foreach(refs, index, ref) {
        if (query_count(db, "SELECT count(*) FROM catalog_final_entities WHERE entity_ref = ?",
                        json_string_value(ref)) != 1)
            fail_msg("%s was stitched before the kill but is gone", json_string_value(ref));
    }
    assert_int_equal(query_count(db, "SELECT count(*) FROM techdocs_sites WHERE entity_ref = ?",
                                 "component:default/small"),
                     1);
    assert_int_equal(query_count(db,
                                 "SELECT count(*) FROM techdocs_files f JOIN techdocs_sites s "
                                 "ON f.entity_ref = s.entity_ref AND f.generation = s.generation "
                                 "WHERE s.entity_ref = ?",
                                 "component:default/small"),
                     small_files);
}

/* Waits until the task is failed after its claim expired, and checks its completion event. */
static double wait_task_failed(gr_db *db, const char *id)
{
    struct timespec start;
    char *message;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        char *status = query_text(db, "SELECT status FROM scaffolder_tasks WHERE id = ?", id);
        int failed = status != NULL && strcmp(status, "failed") == 0;

        if (status == NULL || (strcmp(status, "processing") != 0 && !failed))
            fail_msg("task %s is %s after the restart", id, status ? status : "gone");
        free(status);
        if (failed)
            break;
        if (seconds_since(&start) * 1000 > WAIT_MS)
            fail_msg("task %s was not marked failed in time", id);
        sleep_ms(100);
    }
    message = query_text(db,
                         "SELECT body FROM scaffolder_task_events WHERE task_id = ? AND "
                         "event_type = 'completion' ORDER BY id DESC LIMIT 1",
                         id);
    assert_non_null(message);
    assert_non_null(strstr(message, "stopped sending heartbeats"));
    free(message);
    return seconds_since(&start);
}

static void kill_during_build_and_task(void **state)
{
    crash_fixture *fixture = *state;
    int delay_ms = rand() % MAX_KILL_DELAY_MS;
    int64_t small_files;
    int64_t building;
    double seconds;
    json_t *refs;
    char *task_id;
    gr_db *db;

    if (fixture == NULL)
        skip();
    if (gr_test_server_start(&fixture->server, fixture->dir, "app-config.yaml", START_MS) != 0)
        fail_msg("greenroom serve did not start");
    wait_stitched(fixture);
    db = open_db(fixture);
    sync_until_published(fixture, db, "small");
    small_files = query_count(db, "SELECT count(*) FROM techdocs_files WHERE entity_ref = ?",
                              "component:default/small");
    assert_true(small_files > 0);

    task_id = start_task(fixture, db);
    start_big_build(fixture, db);
    sleep_ms(delay_ms);
    refs = query_column(db, "SELECT entity_ref FROM catalog_final_entities");
    building = query_count(db, "SELECT count(*) FROM techdocs_builds WHERE entity_ref = ? AND "
                               "phase = 'build'",
                           "component:default/big");
    kill_server(fixture);
    printf("crash_work: killed %d ms after the build started (%s)\n", delay_ms,
           building == 1 ? "still building" : "build already over");
    /* A build that finished before the kill would leave nothing to check. */
    assert_int_equal(building, 1);
    check_after_kill(db, refs, small_files);
    /* A site is published in one step: the killed build left no site row. */
    assert_int_equal(query_count(db, "SELECT count(*) FROM techdocs_sites WHERE entity_ref = ?",
                                 "component:default/big"),
                     0);

    if (gr_test_server_start(&fixture->server, fixture->dir, "app-config.yaml", START_MS) != 0)
        fail_msg("greenroom serve did not start again");
    seconds = sync_until_published(fixture, db, "big");
    printf("crash_work: the interrupted build was published %.1f s after the restart\n", seconds);
    assert_int_equal(query_count(db, "SELECT count(*) FROM techdocs_files f JOIN techdocs_sites s "
                                     "ON f.entity_ref = s.entity_ref AND f.generation = "
                                     "s.generation WHERE s.entity_ref = ? AND f.path LIKE "
                                     "'page-%/index.html'",
                                 "component:default/big"),
                     BIG_PAGES - 1);
    seconds = wait_task_failed(db, task_id);
    printf("crash_work: the interrupted task was marked failed %.1f s later\n", seconds);
    assert_int_equal(gr_test_server_stop(&fixture->server), 0);
    check_after_kill(db, refs, small_files);

    json_decref(refs);
    free(task_id);
    gr_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(kill_during_build_and_task, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
