/* SPDX-License-Identifier: MIT */
/* Unit tests of deleting unprocessed entities while the engine writes, on SQLite and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/store/db_fixture.h"
#include "plugins/catalog/api/unprocessed.h"
#include "plugins/catalog/engine/catalog.h"

#define assert_ok(expr) assert_int_equal((expr), GR_OK)

/* Time the test waits for the delete to block on the processing transaction, in ms. */
#define BLOCK_WAIT_MS 10000

/* A Location entity that was never processed. */
static const char seed_sql[] =
    "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, "
    "next_update_at) VALUES ('loc-1', 'location:default/team-files', "
    "'{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Location\","
    "\"metadata\":{\"name\":\"team-files\"},\"spec\":{\"target\":\"./c.yaml\"}}', 0)";

/* What a first successful processing of loc-1 writes after its UPDATE. */
static const char children_sql[] =
    "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, "
    "next_update_at) VALUES ('child-1', 'component:default/child', '{}', 0);"
    "INSERT INTO catalog_refs (source_key, source_entity_ref, target_entity_ref) "
    "VALUES (NULL, 'location:default/team-files', 'component:default/child');"
    "INSERT INTO catalog_relations (originating_entity_id, source_entity_ref, type, "
    "target_entity_ref) VALUES ('loc-1', 'location:default/team-files', 'hasPart', "
    "'component:default/child')";

typedef struct {
    gr_db *db;
    int rc;
    gr_catalog_unprocessed_outcome outcome;
    char *ref;
} delete_call;

static void *delete_thread(void *payload)
{
    delete_call *call = payload;

    call->rc = gr_catalog_unprocessed_delete(call->db, "loc-1", &call->outcome, &call->ref);
    return NULL;
}

/*
 * Waits until a PostgreSQL backend waits for a lock that the backend `holder_pid`
 * holds. pg_stat_activity is read on `watch`, outside any transaction, because a
 * transaction keeps its first view of it. Returns whether one did in time.
 */
static bool pg_wait_blocked(gr_db_conn *watch, int64_t holder_pid)
{
    static const char sql[] =
        "SELECT count(*) FROM pg_stat_activity WHERE ? = ANY (pg_blocking_pids(pid))";

    for (int waited = 0; waited < BLOCK_WAIT_MS; waited += 20) {
        int64_t blocked = 0;

        assert_ok(gr_db_query_int64(watch, sql, &holder_pid, 1, &blocked));
        if (blocked > 0)
            return true;
        poll(NULL, 0, 20);
    }
    return false;
}

/*
 * Waits until the delete started on `fixture` waits for the transaction of
 * the PostgreSQL backend `holder_pid`, whose handle `other` has a free
 * connection. SQLite shows no such wait, so the test gives the delete time
 * to reach its BEGIN IMMEDIATE, which waits for the other write transaction.
 */
static void wait_for_delete(const db_fixture *fixture, gr_db *other, int64_t holder_pid)
{
    gr_db_conn *watch = NULL;

    if (fixture->engine != GR_DB_POSTGRES) {
        poll(NULL, 0, 200);
        return;
    }
    assert_ok(gr_db_acquire(other, GR_DB_READ, &watch));
    if (!pg_wait_blocked(watch, holder_pid))
        fail_msg("the delete did not wait for the other transaction within %d ms", BLOCK_WAIT_MS);
    gr_db_release(watch);
}

/*
 * A delete that starts while processing writes the row's first result must
 * see that result: the row gained a child and a relation, so it is kept
 * (LINKED). On PostgreSQL the delete blocks on the row until processing
 * commits. Deleting it after the check read the old row would leave the
 * child's ref pointing from a row that no longer exists, so the child would
 * never become an orphan. On SQLite both write transactions take the one
 * write lock, so the delete runs after processing commits.
 */
static void delete_waits_for_processing(void **state)
{
    db_fixture *fixture = *state;
    gr_db *processing = NULL;
    gr_db_conn *writer = NULL;
    delete_call call = {.db = fixture->db, .rc = -1};
    pthread_t thread;
    int64_t holder_pid = 0;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db, seed_sql);

    assert_ok(db_fixture_open(fixture, 2, &processing));
    assert_ok(gr_db_acquire(processing, GR_DB_WRITE, &writer));
    assert_ok(gr_db_begin(writer));
    assert_ok(gr_db_exec(writer, "UPDATE catalog_refresh_state SET processed_entity = '{}', "
                                 "errors = '[]' WHERE entity_id = 'loc-1'"));
    if (fixture->engine == GR_DB_POSTGRES)
        assert_ok(gr_db_query_int64(writer, "SELECT pg_backend_pid()", NULL, 0, &holder_pid));

    assert_int_equal(pthread_create(&thread, NULL, delete_thread, &call), 0);
    wait_for_delete(fixture, processing, holder_pid);
    assert_ok(gr_db_exec(writer, children_sql));
    assert_ok(gr_db_commit(writer));
    gr_db_release(writer);
    pthread_join(thread, NULL);

    assert_ok(call.rc);
    if (call.outcome != GR_CATALOG_UNPROCESSED_LINKED)
        fail_msg("the delete returned outcome %d, not LINKED (%d): it did not see the child "
                 "that processing committed while the delete ran",
                 (int)call.outcome, (int)GR_CATALOG_UNPROCESSED_LINKED);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_refresh_state "
                                                   "WHERE entity_id = 'loc-1'"),
                     1);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_refs WHERE "
                                                   "source_entity_ref = "
                                                   "'location:default/team-files'"),
                     1);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_relations "
                                                   "WHERE originating_entity_id = 'loc-1'"),
                     1);
    free(call.ref);
    gr_db_close(processing);
}

/*
 * A stitch that removed the row's queue entry before the delete started
 * finishes first, and the delete then finds the final entity (STITCHED).
 * The stitcher's insert into catalog_final_entities takes a key-share lock
 * on the row for its foreign key, and the delete's row lock must let it
 * pass. A lock that blocked it would deadlock, because the delete in turn
 * waits for the queue entry that the stitcher holds.
 */
static void delete_waits_for_stitching(void **state)
{
    db_fixture *fixture = *state;
    gr_db *stitching = NULL;
    gr_db_conn *writer = NULL;
    delete_call call = {.db = fixture->db, .rc = -1};
    pthread_t thread;
    int64_t holder_pid = 0;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db, seed_sql);
    db_fixture_exec(fixture->db,
                    "UPDATE catalog_refresh_state SET processed_entity = '{}' "
                    "WHERE entity_id = 'loc-1';"
                    "INSERT INTO catalog_stitch_queue (entity_ref, ticket, next_stitch_at) "
                    "VALUES ('location:default/team-files', 'ticket-1', 0)");

    assert_ok(db_fixture_open(fixture, 2, &stitching));
    assert_ok(gr_db_acquire(stitching, GR_DB_WRITE, &writer));
    assert_ok(gr_db_begin(writer));
    assert_ok(gr_db_exec(writer, "DELETE FROM catalog_stitch_queue WHERE entity_ref = "
                                 "'location:default/team-files' AND ticket = 'ticket-1'"));
    if (fixture->engine == GR_DB_POSTGRES)
        assert_ok(gr_db_query_int64(writer, "SELECT pg_backend_pid()", NULL, 0, &holder_pid));

    assert_int_equal(pthread_create(&thread, NULL, delete_thread, &call), 0);
    wait_for_delete(fixture, stitching, holder_pid);
    assert_ok(gr_db_exec(writer, "INSERT INTO catalog_final_entities (entity_id, entity_ref, "
                                 "hash, final_entity, last_updated_at, kind, namespace, name) "
                                 "VALUES ('loc-1', 'location:default/team-files', 'hash-1', "
                                 "'{}', 0, 'location', 'default', 'team-files')"));
    assert_ok(gr_db_commit(writer));
    gr_db_release(writer);
    pthread_join(thread, NULL);

    assert_ok(call.rc);
    if (call.outcome != GR_CATALOG_UNPROCESSED_STITCHED)
        fail_msg("the delete returned outcome %d, not STITCHED (%d)", (int)call.outcome,
                 (int)GR_CATALOG_UNPROCESSED_STITCHED);
    assert_string_equal(call.ref, "location:default/team-files");
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_final_entities "
                                                   "WHERE entity_id = 'loc-1'"),
                     1);
    free(call.ref);
    gr_db_close(stitching);
}

/*
 * A glob location can match a file whose name is not UTF-8, and SQLite stores
 * the location_key with those bytes. JSON cannot hold them, so the item shows
 * each byte that starts no valid UTF-8 sequence as U+FFFD instead of leaving
 * location_key out.
 */
static void list_replaces_invalid_utf8(void **state)
{
    static const struct {
        const char *bytes;    /* SQL expression of the stored location_key */
        const char *expected; /* location_key in the item */
    } cases[] = {
        {"'file:/c/caf' || CAST(X'E9' AS TEXT) || '.yaml'", "file:/c/caf\xef\xbf\xbd.yaml"},
        {"CAST(X'C0AF' AS TEXT)", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"CAST(X'EDA080' AS TEXT)", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"'ok ' || CAST(X'E282ACE282' AS TEXT)", "ok \xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbd"},
        {"'file:/c/' || CAST(X'F09F9982' AS TEXT)", "file:/c/\xf0\x9f\x99\x82"},
    };
    db_fixture *fixture = *state;
    size_t count = sizeof(cases) / sizeof(cases[0]);
    json_t *items = NULL;
    bool truncated = true;

    assert_ok(gr_catalog_migrate(fixture->db));
    for (size_t i = 0; i < count; i++) {
        char *sql = gr_xasprintf(
            "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, "
            "errors, location_key, next_update_at) VALUES ('id-%zu', 'component:default/case-%zu', "
            "'{}', '[{\"name\":\"InputError\",\"message\":\"invalid\"}]', %s, 0)",
            i, i, cases[i].bytes);

        db_fixture_exec(fixture->db, sql);
        free(sql);
    }

    assert_ok(gr_catalog_unprocessed_list(fixture->db, GR_CATALOG_UNPROCESSED_FAILED, NULL, 10,
                                          &items, &truncated));
    assert_int_equal(json_array_size(items), count);
    assert_false(truncated);
    for (size_t i = 0; i < count; i++) {
        const json_t *key = json_object_get(json_array_get(items, i), "location_key");

        if (!json_is_string(key))
            fail_msg("case %zu: location_key is %s", i, key == NULL ? "missing" : "not a string");
        assert_string_equal(json_string_value(key), cases[i].expected);
    }
    json_decref(items);
}

/*
 * Text that is not JSON in a JSON column (a database edited by hand) is
 * listed as null, and the row stays in its list so that it can be deleted.
 */
static void list_keeps_rows_with_invalid_json(void **state)
{
    db_fixture *fixture = *state;
    json_t *items = NULL;
    bool truncated = true;
    const json_t *item;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db,
                    "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, "
                    "errors, next_update_at) VALUES ('bad-1', 'component:default/bad-input', "
                    "'{not json', '[{\"name\":\"InputError\",\"message\":\"invalid\"}]', 0);"
                    "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, "
                    "errors, next_update_at) VALUES ('bad-2', 'component:default/bad-errors', "
                    "'{}', 'oops', 0);"
                    "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, "
                    "processed_entity, next_update_at) VALUES ('bad-3', "
                    "'component:default/bad-processed', '{}', '[1,', 0)");

    assert_ok(gr_catalog_unprocessed_list(fixture->db, GR_CATALOG_UNPROCESSED_FAILED, NULL, 10,
                                          &items, &truncated));
    assert_int_equal(json_array_size(items), 2);
    item = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(item, "entity_ref")),
                        "component:default/bad-errors");
    assert_true(json_is_null(json_object_get(item, "errors")));
    assert_true(json_is_object(json_object_get(item, "unprocessed_entity")));
    item = json_array_get(items, 1);
    assert_string_equal(json_string_value(json_object_get(item, "entity_ref")),
                        "component:default/bad-input");
    assert_true(json_is_null(json_object_get(item, "unprocessed_entity")));
    assert_int_equal(json_array_size(json_object_get(item, "errors")), 1);
    json_decref(items);

    assert_ok(gr_catalog_unprocessed_list(fixture->db, GR_CATALOG_UNPROCESSED_PENDING, NULL, 10,
                                          &items, &truncated));
    assert_int_equal(json_array_size(items), 1);
    item = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(item, "entity_id")), "bad-3");
    assert_true(json_is_null(json_object_get(item, "processed_entity")));
    json_decref(items);
}

/* The failed list reads the partial index of failed rows, not the whole table. */
static void failed_list_reads_failed_index(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *sql = gr_xasprintf("EXPLAIN QUERY PLAN %s", gr_catalog_unprocessed_failed_sql);
    bool uses_index = false;
    int rc;

    assert_ok(gr_catalog_migrate(fixture->db));
    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn, sql, &stmt));
    assert_ok(gr_db_bind_text(stmt, 1, ""));
    assert_ok(gr_db_bind_int64(stmt, 2, 10));
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *detail = gr_db_column_text(stmt, 3);

        if (detail != NULL && strstr(detail, "USING INDEX catalog_refresh_state_failed") != NULL)
            uses_index = true;
    }
    assert_int_equal(rc, GR_DB_DONE);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(sql);
    assert_true(uses_index);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(delete_waits_for_processing),
        DB_TEST_BOTH(delete_waits_for_stitching),
        DB_TEST_SQLITE(list_replaces_invalid_utf8),
        DB_TEST_BOTH(list_keeps_rows_with_invalid_json),
        DB_TEST_SQLITE(failed_list_reads_failed_index),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
