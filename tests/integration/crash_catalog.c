/* SPDX-License-Identifier: MIT */
/* Crash consistency: SIGKILL the catalog engine during ingestion, restart it, check the database. */
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
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db.h"

/*
 * `greenroom serve` (the real binary) ingests a generated catalog of
 * CRASH_ENTITIES entities from one file location into SQLite. The test kills
 * it with SIGKILL at a random moment after it is ready, CRASH_KILLS times.
 * Just before each kill it reads the refs of the stitched entities from the
 * database, and after the kill it checks that:
 *   - PRAGMA integrity_check returns "ok";
 *   - every ref read before the kill is still a final entity;
 *   - the number of final entities never went down.
 * A last server runs until every generated entity is stitched, every row is
 * processed and the stitch queue is empty, and must then stop cleanly on
 * SIGTERM within CRASH_RESUME_MAX_MS: the restarted server releases the
 * leases of the killed one instead of waiting for them to end
 * (GR_CATALOG_LEASE_MS, 120 s).
 * The delays come from a seed printed at the start; GR_CRASH_SEED=N repeats
 * a run, GR_CRASH_KILLS=N sets the number of kills (0 ingests once), and
 * GR_CRASH_KEEP=1 keeps the folder with the database for a look.
 * integration_crash_work kills the server during a docs build and a task.
 */

#define CRASH_ENTITIES 3000
#define CRASH_KILLS 5
#define CRASH_MIN_DELAY_MS 50
#define CRASH_MAX_DELAY_MS 3000
/* Longer than GR_CATALOG_LEASE_MS (120 s) plus an ingestion under the sanitizers. */
#define CRASH_FINISH_TIMEOUT_MS 300000
/* Time the last server may take to finish, well below GR_CATALOG_LEASE_MS (120 s). */
#define CRASH_RESUME_MAX_MS 60000
#define CRASH_INTERVAL_S 20

typedef struct {
    char *dir;
    char *catalog_path;
    char *db_path;
    unsigned seed;
} crash_fixture;

static const char *const kinds[] = {"Group", "User", "System", "Resource", "API", "Component"};

/* Writes the catalog: per 100 entities 1 group, 1 system, 8 resources, 20 users, 20 APIs, 50
 * components, every reference resolving. Returns the entity count written. */
static size_t write_catalog(const char *path, size_t total)
{
    size_t per_kind[] = {total / 100, total / 100, total * 8 / 100, total / 5, total / 5, 0};
    size_t count = 0;
    FILE *out = fopen(path, "w");

    assert_non_null(out);
    per_kind[5] = total - per_kind[0] - per_kind[1] - per_kind[2] - per_kind[3] - per_kind[4];
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (size_t i = 0; i < per_kind[k]; i++) {
            fprintf(out,
                    "---\napiVersion: backstage.io/v1alpha1\nkind: %s\nmetadata:\n"
                    "  name: %c-%05zu\n  description: Entity %zu of the crash test.\n"
                    "  tags: [crash, kind-%zu]\nspec:\n",
                    kinds[k], kinds[k][0] + 32, i, i, k);
            if (k == 0)
                fprintf(out, "  type: team\n  children: []\n");
            else if (k == 1)
                fprintf(out, "  memberOf: [g-%05zu]\n", i % per_kind[0]);
            else
                fprintf(out, "  type: t%zu\n  lifecycle: production\n  owner: g-%05zu\n", k,
                        i % per_kind[0]);
            if (k == 4 || k == 5)
                fprintf(out, "  system: s-%05zu\n", i % per_kind[1]);
            if (k == 4)
                fprintf(out, "  definition: 'openapi: 3.0.0'\n");
            if (k == 5)
                fprintf(out, "  providesApis: [a-%05zu]\n  dependsOn: [resource:r-%05zu]\n",
                        i % per_kind[4], i % per_kind[2]);
            count++;
        }
    }
    assert_int_equal(fclose(out), 0);
    return count;
}

/* The app-config of the server: SQLite under data/, one file location, every kind allowed. */
static const char config_format[] =
    "backend:\n"
    "  listen:\n"
    "    port: ${GREENROOM_PORT}\n"
    "  database:\n"
    "    client: better-sqlite3\n"
    "    connection: ./data/greenroom.sqlite\n"
    "catalog:\n"
    "  rules:\n"
    "    - allow: [Component, API, Location, Group, User, System, Resource]\n"
    "  locations:\n"
    "    - type: file\n"
    "      target: ./catalog-info.yaml\n"
    "  processingInterval: {seconds: %d}\n";

static int setup(void **state)
{
    crash_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));
    const char *seed = getenv("GR_CRASH_SEED");
    char *config;

    fixture->dir = gr_test_tmpdir("crash-catalog");
    fixture->catalog_path = gr_xasprintf("%s/catalog-info.yaml", fixture->dir);
    fixture->db_path = gr_xasprintf("%s/data/greenroom.sqlite", fixture->dir);
    config = gr_xasprintf(config_format, CRASH_INTERVAL_S);
    gr_test_write_file(fixture->dir, "app-config.yaml", config);
    free(config);
    fixture->seed = seed ? (unsigned)strtoul(seed, NULL, 10) : (unsigned)time(NULL);
    printf("crash_catalog: seed %u (set GR_CRASH_SEED to repeat)\n", fixture->seed);
    srand(fixture->seed);
    gr_log_set_level(GR_LOG_ERROR);
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    crash_fixture *fixture = *state;

    if (getenv("GR_CRASH_KEEP") != NULL)
        printf("crash_catalog: kept %s\n", fixture->dir);
    else
        gr_test_rmtree(fixture->dir);
    free(fixture->dir);
    free(fixture->catalog_path);
    free(fixture->db_path);
    free(fixture);
    return 0;
}

/* Starts `greenroom serve` in the fixture's folder; fails the test when it does not start. */
static void server_start(const crash_fixture *fixture, gr_test_server *server)
{
    if (gr_test_server_start(server, fixture->dir, "app-config.yaml", 60000) != 0)
        fail_msg("greenroom serve did not start");
}

/* Returns the refs of every final entity, read in this process. */
static json_t *read_stitched(const crash_fixture *fixture)
{
    gr_db_options options = {.client = "sqlite", .path = fixture->db_path};
    json_t *refs = json_array();
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    gr_db *db = NULL;

    assert_int_equal(gr_db_open(&db, &options), GR_OK);
    if (gr_db_acquire(db, GR_DB_READ, &conn) != GR_OK ||
        gr_db_prepare(conn, "SELECT entity_ref FROM catalog_final_entities", &stmt) != GR_OK)
        fail_msg("reading the final entities: %s", gr_error_last());
    while (gr_db_step(stmt) == GR_DB_ROW)
        json_array_append_new(refs, json_string(gr_db_column_text(stmt, 0)));
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_db_close(db);
    return refs;
}

/* Opens the database in this process and returns one text value of `sql` (caller frees). */
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

static int64_t query_count(gr_db *db, const char *sql)
{
    char *text = query_text(db, sql, NULL);
    int64_t count = text ? strtoll(text, NULL, 10) : -1;

    free(text);
    return count;
}

/* Checks the database after a kill; returns the number of final entities. */
static int64_t check_after_kill(const crash_fixture *fixture, json_t *refs, int64_t before,
                                int round)
{
    gr_db_options options = {.client = "sqlite", .path = fixture->db_path};
    gr_db *db = NULL;
    char *integrity;
    int64_t final;
    size_t index;
    json_t *ref;

    assert_int_equal(gr_db_open(&db, &options), GR_OK);
    integrity = query_text(db, "PRAGMA integrity_check", NULL);
    assert_non_null(integrity);
    assert_string_equal(integrity, "ok");
    free(integrity);

    json_array_foreach(refs, index, ref) {
        char *found = query_text(db, "SELECT entity_ref FROM catalog_final_entities"
                                     " WHERE entity_ref = ?", json_string_value(ref));

        if (found == NULL)
            fail_msg("round %d: %s was stitched before the kill but is gone", round,
                     json_string_value(ref));
        free(found);
    }
    final = query_count(db, "SELECT count(*) FROM catalog_final_entities");
    assert_true(final >= before);
    printf("crash_catalog: round %d: %zu entities stitched before the kill, %lld after, ok\n",
           round, json_array_size(refs), (long long)final);
    gr_db_close(db);
    return final;
}

/* Checks the database after the last server stopped: every entity processed and stitched. */
static void check_finished(const crash_fixture *fixture, size_t written)
{
    gr_db_options options = {.client = "sqlite", .path = fixture->db_path};
    gr_db *db = NULL;
    char *integrity;

    assert_int_equal(gr_db_open(&db, &options), GR_OK);
    /* The generated entities and the Location entity of the configured location. */
    assert_int_equal(query_count(db, "SELECT count(*) FROM catalog_final_entities"),
                     (int64_t)written + 1);
    assert_int_equal(query_count(db, "SELECT count(*) FROM catalog_refresh_state"),
                     (int64_t)written + 1);
    assert_int_equal(query_count(db, "SELECT count(*) FROM catalog_refresh_state"
                                     " WHERE processed_entity IS NULL"),
                     0);
    assert_int_equal(query_count(db, "SELECT count(*) FROM catalog_refresh_state WHERE errors"
                                     " IS NOT NULL AND errors <> '' AND errors <> '[]'"),
                     0);
    integrity = query_text(db, "PRAGMA integrity_check", NULL);
    assert_string_equal(integrity, "ok");
    free(integrity);
    gr_db_close(db);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/*
 * Polls the database while the server `pid` runs, until every entity of the
 * catalog file is stitched and nothing is queued. Returns 0, or -1 when the
 * server exits or CRASH_FINISH_TIMEOUT_MS passes first.
 */
static int wait_finished(const crash_fixture *fixture, pid_t pid, size_t written,
                         const struct timespec *start)
{
    gr_db_options options = {.client = "sqlite", .path = fixture->db_path};
    struct timespec pause = {1, 0};
    gr_db *db = NULL;
    int rc = -1;

    assert_int_equal(gr_db_open(&db, &options), GR_OK);
    while (seconds_since(start) * 1000 < CRASH_FINISH_TIMEOUT_MS) {
        int64_t final = query_count(db, "SELECT count(*) FROM catalog_final_entities");
        int64_t queued = query_count(db, "SELECT count(*) FROM catalog_stitch_queue");
        int64_t unprocessed = query_count(db, "SELECT count(*) FROM catalog_refresh_state"
                                              " WHERE processed_entity IS NULL");

        if (final == (int64_t)written + 1 && queued == 0 && unprocessed == 0) {
            rc = 0;
            break;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            fprintf(stderr, "crash_catalog: the last server exited before it finished\n");
            break;
        }
        nanosleep(&pause, NULL);
    }
    gr_db_close(db);
    return rc;
}

static void kill_during_ingestion(void **state)
{
    crash_fixture *fixture = *state;
    size_t written = write_catalog(fixture->catalog_path, CRASH_ENTITIES);
    const char *kills_env = getenv("GR_CRASH_KILLS");
    int kills = kills_env ? atoi(kills_env) : CRASH_KILLS;
    gr_test_server server;
    struct timespec start;
    int64_t final = 0;
    double finish_s;
    json_t *refs;
    int status;

    for (int round = 1; round <= kills; round++) {
        int delay_ms = CRASH_MIN_DELAY_MS + rand() % (CRASH_MAX_DELAY_MS - CRASH_MIN_DELAY_MS);
        struct timespec pause = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};

        server_start(fixture, &server);
        nanosleep(&pause, NULL);
        refs = read_stitched(fixture);
        kill(server.pid, SIGKILL);
        assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
        server.pid = 0;
        gr_test_server_stop(&server);
        /* The server runs until killed, so an exit of its own is a failure. */
        if (WIFEXITED(status))
            fail_msg("round %d: the server exited with status %d", round, WEXITSTATUS(status));
        printf("crash_catalog: round %d: killed %d ms after it was ready\n", round, delay_ms);
        final = check_after_kill(fixture, refs, final, round);
        json_decref(refs);
    }

    clock_gettime(CLOCK_MONOTONIC, &start);
    server_start(fixture, &server);
    status = wait_finished(fixture, server.pid, written, &start);
    finish_s = seconds_since(&start);
    printf("crash_catalog: the last server finished the ingestion in %.1f s\n", finish_s);
    refs = read_stitched(fixture);
    assert_int_equal(gr_test_server_stop(&server), 0);
    assert_int_equal(status, 0);
    assert_true(finish_s * 1000.0 < CRASH_RESUME_MAX_MS);
    check_after_kill(fixture, refs, final, kills + 1);
    json_decref(refs);
    check_finished(fixture, written);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(kill_during_ingestion, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
