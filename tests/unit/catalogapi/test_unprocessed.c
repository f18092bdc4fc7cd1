/* SPDX-License-Identifier: MIT */
/* Unit tests of listing and deleting unprocessed entities, on SQLite and PostgreSQL. */
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
#include "host/common/buf.h"
#include "host/log/log.h"
#include "plugins/catalog/api/unprocessed.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/engine/util.h"

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
    const char *entity_id;
    int rc;
    gr_catalog_unprocessed_outcome outcome;
    char *ref;
} delete_call;

static void *delete_thread(void *payload)
{
    delete_call *call = payload;

    call->rc = gr_catalog_unprocessed_delete(call->db, call->entity_id, &call->outcome, &call->ref);
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

/* A delete that runs while another transaction locks rows it needs. */
typedef struct {
    gr_db *processing; /* the other transaction's database handle */
    gr_db_conn *writer;
    pthread_t thread;
    delete_call call;
} blocked_delete;

/*
 * Opens a transaction on a second handle that runs `first_sql`, then starts
 * the delete of `entity_id` on a thread and waits until it waits for that
 * transaction.
 */
static void blocked_delete_start(const db_fixture *fixture, blocked_delete *run,
                                 const char *entity_id, const char *first_sql)
{
    int64_t holder_pid = 0;

    run->call = (delete_call){.db = fixture->db, .entity_id = entity_id, .rc = -1};
    assert_ok(db_fixture_open(fixture, 2, &run->processing));
    assert_ok(gr_db_acquire(run->processing, GR_DB_WRITE, &run->writer));
    assert_ok(gr_db_begin(run->writer));
    assert_ok(gr_db_exec(run->writer, first_sql));
    if (fixture->engine == GR_DB_POSTGRES)
        assert_ok(gr_db_query_int64(run->writer, "SELECT pg_backend_pid()", NULL, 0, &holder_pid));

    assert_int_equal(pthread_create(&run->thread, NULL, delete_thread, &run->call), 0);
    wait_for_delete(fixture, run->processing, holder_pid);
}

/* Runs `last_sql` in the other transaction, commits it and waits for the delete. */
static void blocked_delete_finish(blocked_delete *run, const char *last_sql)
{
    assert_ok(gr_db_exec(run->writer, last_sql));
    assert_ok(gr_db_commit(run->writer));
    gr_db_release(run->writer);
    pthread_join(run->thread, NULL);
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
    blocked_delete run;
    delete_call *call = &run.call;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db, seed_sql);

    blocked_delete_start(fixture, &run, "loc-1",
                         "UPDATE catalog_refresh_state SET processed_entity = '{}', "
                         "errors = '[]' WHERE entity_id = 'loc-1'");
    blocked_delete_finish(&run, children_sql);

    assert_ok(call->rc);
    if (call->outcome != GR_CATALOG_UNPROCESSED_LINKED)
        fail_msg("the delete returned outcome %d, not LINKED (%d): it did not see the child "
                 "that processing committed while the delete ran",
                 (int)call->outcome, (int)GR_CATALOG_UNPROCESSED_LINKED);
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
    free(call->ref);
    gr_db_close(run.processing);
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
    delete_call call = {.db = fixture->db, .entity_id = "loc-1", .rc = -1};
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

/* Returns whether the SQLite query plan of `sql` reads the partial index of failed rows. */
static bool plan_reads_failed_index(const db_fixture *fixture, const char *sql, int params)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *explain = gr_xasprintf("EXPLAIN QUERY PLAN %s", sql);
    bool uses_index = false;
    int rc;

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn, explain, &stmt));
    assert_ok(gr_db_bind_text(stmt, 1, ""));
    if (params == 3)
        assert_ok(gr_db_bind_text(stmt, 2, "team-a"));
    assert_ok(gr_db_bind_int64(stmt, params, 10));
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *detail = gr_db_column_text(stmt, 3);

        if (detail != NULL && strstr(detail, "USING INDEX catalog_refresh_state_failed") != NULL)
            uses_index = true;
    }
    assert_int_equal(rc, GR_DB_DONE);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(explain);
    return uses_index;
}

/* The failed list reads the partial index of failed rows, not the whole table, with and
 * without the owner filter. */
static void failed_list_reads_failed_index(void **state)
{
    db_fixture *fixture = *state;
    const char *all =
        gr_catalog_unprocessed_page_sql(GR_DB_SQLITE, GR_CATALOG_UNPROCESSED_FAILED, false);
    const char *by_owner =
        gr_catalog_unprocessed_page_sql(GR_DB_SQLITE, GR_CATALOG_UNPROCESSED_FAILED, true);

    assert_ok(gr_catalog_migrate(fixture->db));
    assert_true(plan_reads_failed_index(fixture, all, 2));
    assert_true(plan_reads_failed_index(fixture, by_owner, 3));
}

/* Number of failed rows of the paging tests, and every how many rows one is owned by team-x. */
#define PAGING_ROWS 1800
#define PAGING_EVERY 3

/*
 * Inserts PAGING_ROWS failed rows component:default/row-0000 and on, where
 * every PAGING_EVERY-th row (from row-0000) has spec.owner team-x and the
 * others team-y, in one statement.
 */
static void insert_paging_rows(gr_db *db)
{
    gr_buf sql = GR_BUF_INIT;

    gr_buf_puts(&sql, "INSERT INTO catalog_refresh_state (entity_id, entity_ref, "
                      "unprocessed_entity, errors, next_update_at) VALUES ");
    for (int i = 0; i < PAGING_ROWS; i++)
        gr_buf_printf(&sql,
                      "%s('row-%d', 'component:default/row-%04d', "
                      "'{\"kind\":\"Component\",\"spec\":{\"owner\":\"%s\"}}', "
                      "'[{\"name\":\"InputError\",\"message\":\"invalid\"}]', 0)",
                      i > 0 ? ", " : "", i, i, i % PAGING_EVERY == 0 ? "team-x" : "team-y");
    db_fixture_exec(db, gr_buf_cstr(&sql));
    gr_buf_free(&sql);
}

/*
 * The owner statement fills a page with matching rows only: the first page
 * of the failed rows owned by team-x contains GR_CATALOG_UNPROCESSED_PAGE of
 * them, although they are one row in PAGING_EVERY of the table.
 */
static void owner_statement_pages_matches(void **state)
{
    db_fixture *fixture = *state;
    const char *sql =
        gr_catalog_unprocessed_page_sql(fixture->engine, GR_CATALOG_UNPROCESSED_FAILED, true);
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int64_t rows = 0;
    int rc;

    assert_ok(gr_catalog_migrate(fixture->db));
    insert_paging_rows(fixture->db);

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn, sql, &stmt));
    assert_ok(gr_db_bind_text(stmt, 1, ""));
    assert_ok(gr_db_bind_text(stmt, 2, "team-x"));
    assert_ok(gr_db_bind_int64(stmt, 3, GR_CATALOG_UNPROCESSED_PAGE));
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        char *expected = gr_xasprintf("component:default/row-%04d", (int)rows * PAGING_EVERY);

        assert_string_equal(gr_db_column_text(stmt, 1), expected);
        free(expected);
        rows++;
    }
    assert_int_equal(rc, GR_DB_DONE);
    assert_int_equal(rows, GR_CATALOG_UNPROCESSED_PAGE);
    gr_db_finalize(stmt);
    gr_db_release(conn);
}

/*
 * A list filtered by owner has every matching row, in order, across more
 * than one page of matches, and a maximum cuts it at the right row.
 */
static void owner_filter_spans_pages(void **state)
{
    static const struct {
        size_t max;
        size_t expected;
        bool truncated;
    } cases[] = {
        {GR_CATALOG_UNPROCESSED_MAX, PAGING_ROWS / PAGING_EVERY, false},
        {PAGING_ROWS / PAGING_EVERY, PAGING_ROWS / PAGING_EVERY, false},
        {PAGING_ROWS / PAGING_EVERY - 1, PAGING_ROWS / PAGING_EVERY - 1, true},
        {GR_CATALOG_UNPROCESSED_PAGE + 1, GR_CATALOG_UNPROCESSED_PAGE + 1, true},
    };
    db_fixture *fixture = *state;

    assert_true(PAGING_ROWS / PAGING_EVERY > GR_CATALOG_UNPROCESSED_PAGE);
    assert_ok(gr_catalog_migrate(fixture->db));
    insert_paging_rows(fixture->db);

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        json_t *items = NULL;
        bool truncated = !cases[c].truncated;

        assert_ok(gr_catalog_unprocessed_list(fixture->db, GR_CATALOG_UNPROCESSED_FAILED,
                                              "team-x", cases[c].max, &items, &truncated));
        if (json_array_size(items) != cases[c].expected)
            fail_msg("case %zu: %zu items, expected %zu", c, json_array_size(items),
                     cases[c].expected);
        assert_int_equal(truncated, cases[c].truncated);
        for (size_t i = 0; i < json_array_size(items); i++) {
            const json_t *item = json_array_get(items, i);
            char *expected = gr_xasprintf("component:default/row-%04d", (int)(i * PAGING_EVERY));

            assert_string_equal(json_string_value(json_object_get(item, "entity_ref")), expected);
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(json_object_get(item, "unprocessed_entity"),
                                                    "spec"),
                                    "owner")),
                                "team-x");
            free(expected);
        }
        json_decref(items);
    }
}

/* Returns the entity_ref values of a list, joined by spaces (caller frees). */
static char *joined_refs(const json_t *items)
{
    gr_buf refs = GR_BUF_INIT;
    const json_t *item;
    size_t i;

    json_array_foreach(items, i, item)
    {
        gr_buf_printf(&refs, "%s%s", i > 0 ? " " : "",
                      json_string_value(json_object_get(item, "entity_ref")));
    }
    return gr_buf_detach(&refs);
}

/* Returns the refs of the failed list with `owner` (caller frees), failing on an error. */
static char *failed_refs(gr_db *db, const char *owner)
{
    json_t *items = NULL;
    bool truncated = true;
    char *refs;

    if (gr_catalog_unprocessed_list(db, GR_CATALOG_UNPROCESSED_FAILED, owner, 100, &items,
                                    &truncated) != GR_OK)
        fail_msg("listing with owner '%s' failed: %s", owner != NULL ? owner : "(none)",
                 gr_error_last());
    assert_false(truncated);
    refs = joined_refs(items);
    json_decref(items);
    return refs;
}

/*
 * The owner filter compares spec.owner as a string, exactly: quotes,
 * backslashes and JSON escapes of non-ASCII characters are decoded first,
 * case and LIKE wildcards count as themselves, and a number or an object
 * never matches. Of a key that an object repeats, the last copy counts, as
 * jansson reads it.
 */
static void owner_filter_exact_values(void **state)
{
    static const char rows_sql[] =
        "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, errors, "
        "next_update_at) VALUES "
        "('q', 'component:default/quoted', "
        "'{\"spec\":{\"owner\":\"team \\\"q\\\" o''brien\"}}', '[1]', 0), "
        "('ue', 'component:default/unicode-escaped', "
        "'{\"spec\":{\"owner\":\"\\u00e9quipe-\\u00fc\"}}', '[1]', 0), "
        "('ur', 'component:default/unicode-raw', "
        "'{\"spec\":{\"owner\":\"\xc3\xa9quipe-\xc3\xbc\"}}', '[1]', 0), "
        "('em', 'component:default/emoji', "
        "'{\"spec\":{\"owner\":\"\\ud83d\\ude00\"}}', '[1]', 0), "
        "('bs', 'component:default/backslash', "
        "'{\"spec\":{\"owner\":\"a\\\\b\"}}', '[1]', 0), "
        "('nu', 'component:default/number', '{\"spec\":{\"owner\":5}}', '[1]', 0), "
        "('ob', 'component:default/object', "
        "'{\"spec\":{\"owner\":{\"name\":\"x\"}}}', '[1]', 0), "
        "('du', 'component:default/duplicate', "
        "'{\"spec\":{\"owner\":\"first\",\"owner\":\"last\"}}', '[1]', 0), "
        "('ta', 'component:default/team-a', '{\"spec\":{\"owner\":\"team-a\"}}', '[1]', 0), "
        "('md', 'component:default/metadata-owner', "
        "'{\"metadata\":{\"owner\":\"team-a\"},\"spec\":{}}', '[1]', 0), "
        "('sa', 'component:default/spec-array', '{\"spec\":[\"team-a\"]}', '[1]', 0)";
    static const struct {
        const char *owner;
        const char *expected;
    } cases[] = {
        {"team \"q\" o'brien", "component:default/quoted"},
        {"team \"q\" o", ""},
        {"\xc3\xa9quipe-\xc3\xbc",
         "component:default/unicode-escaped component:default/unicode-raw"},
        {"\xc3\x89quipe-\xc3\xbc", ""},
        {"\xf0\x9f\x98\x80", "component:default/emoji"},
        {"a\\b", "component:default/backslash"},
        {"a\\\\b", ""},
        {"5", ""},
        {"{\"name\":\"x\"}", ""},
        {"last", "component:default/duplicate"},
        {"first", ""},
        {"team-a", "component:default/team-a"},
        {"Team-A", ""},
        {"team-_", ""},
        {"team-%", ""},
        {"%", ""},
    };
    db_fixture *fixture = *state;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db, rows_sql);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *refs = failed_refs(fixture->db, cases[i].owner);

        if (strcmp(refs, cases[i].expected) != 0)
            fail_msg("case %zu: owner '%s' listed '%s', expected '%s'", i, cases[i].owner, refs,
                     cases[i].expected);
        free(refs);
    }
}

/* Log lines captured while a test runs. */
typedef struct {
    gr_buf lines;
} log_capture;

static void capture_line(gr_log_level level, const char *line, void *payload)
{
    log_capture *capture = payload;

    (void)level;
    gr_buf_printf(&capture->lines, "%s\n", line);
}

/*
 * A row whose unprocessed entity is not JSON matches no owner, and the rows
 * around it that match are still listed, on both databases. Without the
 * filter it is listed with null. SQLite skips it in the statement, so it is
 * never parsed and logged. PostgreSQL cannot skip it, so the list goes on
 * with the filter in C and logs a warning.
 */
static void owner_filter_skips_invalid_json(void **state)
{
    db_fixture *fixture = *state;
    log_capture capture = {GR_BUF_INIT};
    const char *lines;
    json_t *items = NULL;
    bool truncated = true;
    char *refs;
    int rc;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db,
                    "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, "
                    "errors, next_update_at) VALUES "
                    "('a', 'component:default/a', '{\"spec\":{\"owner\":\"team-a\"}}', '[1]', 0), "
                    "('b', 'component:default/b-broken', '{\"spec\":{\"owner\":\"team-a\"', "
                    "'[1]', 0), "
                    "('c', 'component:default/c', '{\"spec\":{\"owner\":\"team-a\"}}', '[1]', 0), "
                    "('d', 'component:default/d', '{\"spec\":{\"owner\":\"team-b\"}}', '[1]', 0)");

    /* The sink is restored before any check, because a failed check leaves the function. */
    gr_log_set_sink(capture_line, &capture);
    rc = gr_catalog_unprocessed_list(fixture->db, GR_CATALOG_UNPROCESSED_FAILED, "team-a", 100,
                                     &items, &truncated);
    gr_log_set_sink(NULL, NULL);
    lines = gr_buf_cstr(&capture.lines);
    if (rc != GR_OK)
        fail_msg("listing with the owner filter failed: %s", gr_error_last());
    refs = joined_refs(items);
    json_decref(items);
    assert_string_equal(refs, "component:default/a component:default/c");
    free(refs);
    if (fixture->engine == GR_DB_SQLITE && lines[0] != '\0')
        fail_msg("SQLite logged while listing with the owner filter: %s", lines);
    if (fixture->engine == GR_DB_POSTGRES &&
        strstr(lines, "filtering unprocessed entities by owner in the database failed") == NULL)
        fail_msg("PostgreSQL did not log that it filters in C: %s", lines);
    gr_buf_free(&capture.lines);

    refs = failed_refs(fixture->db, "team-b");
    assert_string_equal(refs, "component:default/d");
    free(refs);

    assert_ok(gr_catalog_unprocessed_list(fixture->db, GR_CATALOG_UNPROCESSED_FAILED, NULL, 100,
                                          &items, &truncated));
    assert_int_equal(json_array_size(items), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "entity_id")),
                        "b");
    assert_true(json_is_null(json_object_get(json_array_get(items, 1), "unprocessed_entity")));
    json_decref(items);
}

/*
 * The owner statements parse the JSON of the list's rows only. A stitched
 * row whose unprocessed entity is not JSON would make the cast to jsonb
 * fail on PostgreSQL if the statement tested it, so both statements must
 * run without an error and find the pending row.
 */
static void owner_statement_skips_stitched_rows(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db,
                    "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, "
                    "processed_entity, errors, next_update_at) VALUES "
                    "('s', 'component:default/a-stitched', '{not json', '{}', '[]', 0), "
                    "('p', 'component:default/b-pending', '{\"spec\":{\"owner\":\"team-a\"}}', "
                    "NULL, NULL, 0);"
                    "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash, "
                    "final_entity, last_updated_at, kind, namespace, name) VALUES ('s', "
                    "'component:default/a-stitched', 'h', '{}', 0, 'component', 'default', "
                    "'a-stitched')");

    assert_ok(gr_db_acquire(fixture->db, GR_DB_READ, &conn));
    for (int set = GR_CATALOG_UNPROCESSED_FAILED; set <= GR_CATALOG_UNPROCESSED_PENDING; set++) {
        gr_db_stmt *stmt = NULL;
        int64_t rows = 0;
        int rc;

        assert_ok(gr_db_prepare(
            conn, gr_catalog_unprocessed_page_sql(fixture->engine, set, true), &stmt));
        assert_ok(gr_db_bind_text(stmt, 1, ""));
        assert_ok(gr_db_bind_text(stmt, 2, "team-a"));
        assert_ok(gr_db_bind_int64(stmt, 3, GR_CATALOG_UNPROCESSED_PAGE));
        while ((rc = gr_db_step(stmt)) == GR_DB_ROW)
            rows++;
        if (rc != GR_DB_DONE)
            fail_msg("set %d: the owner statement failed: %s", set, gr_error_last());
        assert_int_equal(rows, set == GR_CATALOG_UNPROCESSED_PENDING ? 1 : 0);
        gr_db_finalize(stmt);
    }
    gr_db_release(conn);
}

/* Rows of the reprocessing tests: a failed child with two parent Locations and a provider
 * ref, an unrelated row, and a stitched child of a third Location. */
static const char family_sql[] =
    "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity, "
    "processed_entity, result_hash, errors, next_update_at) VALUES "
    "('p1', 'location:default/parent-1', '{}', '{}', 'hash-p1', '[]', 9000000000000), "
    "('p2', 'location:default/parent-2', '{}', '{}', 'hash-p2', '[]', 9000000000000), "
    "('p3', 'location:default/parent-3', '{}', '{}', 'hash-p3', '[]', 9000000000000), "
    "('u', 'location:default/unrelated', '{}', '{}', 'hash-u', '[]', 9000000000000), "
    "('c', 'component:default/child', '{}', NULL, 'hash-c', '[1]', 9000000000000), "
    "('s', 'component:default/stitched', '{}', '{}', 'hash-s', '[]', 9000000000000);"
    "INSERT INTO catalog_refs (source_key, source_entity_ref, target_entity_ref) VALUES "
    "(NULL, 'location:default/parent-1', 'component:default/child'), "
    "(NULL, 'location:default/parent-2', 'component:default/child'), "
    "('provider-1', NULL, 'component:default/child'), "
    "(NULL, 'location:default/parent-3', 'component:default/stitched'), "
    "(NULL, 'location:default/unrelated', 'location:default/parent-1');"
    "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash, final_entity, "
    "last_updated_at, kind, namespace, name) VALUES ('s', 'component:default/stitched', 'h', "
    "'{}', 0, 'component', 'default', 'stitched')";

/* Returns the result_hash of `ref` (caller frees), or NULL when it is SQL NULL. */
static char *result_hash_of(gr_db *db, const char *ref)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *hash = NULL;

    assert_ok(gr_db_acquire(db, GR_DB_READ, &conn));
    assert_ok(gr_db_prepare(conn, "SELECT result_hash FROM catalog_refresh_state "
                                  "WHERE entity_ref = ?",
                            &stmt));
    assert_ok(gr_db_bind_text(stmt, 1, ref));
    assert_int_equal(gr_db_step(stmt), GR_DB_ROW);
    if (gr_db_column_text(stmt, 0) != NULL)
        hash = gr_xstrdup(gr_db_column_text(stmt, 0));
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return hash;
}

/*
 * Deleting a failed row makes each parent entity due at once with a result
 * hash that its next result cannot equal, so that the parent writes that
 * result and so the child again. The provider ref has no row to change,
 * and other rows keep their hash and time.
 */
static void delete_reprocesses_parents(void **state)
{
    static const char *const parents[] = {"location:default/parent-1",
                                          "location:default/parent-2"};
    static const char *const others[][2] = {{"location:default/parent-3", "hash-p3"},
                                            {"location:default/unrelated", "hash-u"}};
    db_fixture *fixture = *state;
    gr_catalog_unprocessed_outcome outcome = GR_CATALOG_UNPROCESSED_MISSING;
    char *ref = NULL;
    int64_t before;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db, family_sql);
    before = gr_catalog__now_ms();

    assert_ok(gr_catalog_unprocessed_delete(fixture->db, "c", &outcome, &ref));
    assert_int_equal(outcome, GR_CATALOG_UNPROCESSED_DELETED);
    assert_string_equal(ref, "component:default/child");
    free(ref);

    for (size_t i = 0; i < 2; i++) {
        char *hash = result_hash_of(fixture->db, parents[i]);
        char *sql = gr_xasprintf("SELECT next_update_at FROM catalog_refresh_state "
                                 "WHERE entity_ref = '%s'",
                                 parents[i]);
        int64_t due = db_fixture_int64(fixture->db, sql);

        assert_non_null(hash);
        assert_string_equal(hash, "child-was-deleted");
        if (due < before || due > gr_catalog__now_ms())
            fail_msg("%s is due at %lld, not at the time of the delete (%lld)", parents[i],
                     (long long)due, (long long)before);
        free(hash);
        free(sql);
    }
    for (size_t i = 0; i < 2; i++) {
        char *hash = result_hash_of(fixture->db, others[i][0]);

        assert_string_equal(hash, others[i][1]);
        free(hash);
    }
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_refs WHERE "
                                                   "target_entity_ref = 'component:default/child'"),
                     0);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_refresh_state "
                                                   "WHERE next_update_at < 9000000000000"),
                     2);
}

/*
 * Runs the delete of the failed child c of the family between `first_sql` and `last_sql` of
 * another transaction, and checks that both succeed and that the delete, which runs last,
 * removes the child.
 */
static void delete_child_between(db_fixture *fixture, const char *first_sql,
                                 const char *last_sql)
{
    blocked_delete run;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db, family_sql);

    blocked_delete_start(fixture, &run, "c", first_sql);
    blocked_delete_finish(&run, last_sql);

    assert_ok(run.call.rc);
    assert_int_equal(run.call.outcome, GR_CATALOG_UNPROCESSED_DELETED);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_refresh_state "
                                                   "WHERE entity_id = 'c'"),
                     0);
    free(run.call.ref);
    gr_db_close(run.processing);
}

/*
 * Processing locks a parent's row and then the rows of its children. A delete of a failed
 * child that starts in between must not lock the child while it waits for the parent,
 * because PostgreSQL would then abort one of the two transactions as a deadlock.
 */
static void delete_locks_parents_first(void **state)
{
    delete_child_between(*state,
                         "UPDATE catalog_refresh_state SET processed_entity = '{\"p\":1}' "
                         "WHERE entity_id = 'p1'",
                         "UPDATE catalog_refresh_state SET unprocessed_entity = '{\"c\":2}' "
                         "WHERE entity_id = 'c'");
}

/*
 * One processing batch writes its items in the order of their next update, not of their
 * entity ids, so it may lock parent p2 before p1. A delete of their shared failed child that
 * starts in between must not deadlock with it.
 */
static void delete_two_parents_batch_order(void **state)
{
    delete_child_between(*state,
                         "UPDATE catalog_refresh_state SET lease_owner = NULL "
                         "WHERE entity_id = 'p2'",
                         "UPDATE catalog_refresh_state SET lease_owner = NULL "
                         "WHERE entity_id = 'p1'");
}

/* A stitched row stays, and the delete changes nothing of its parent. */
static void delete_keeps_stitched_parents(void **state)
{
    db_fixture *fixture = *state;
    gr_catalog_unprocessed_outcome outcome = GR_CATALOG_UNPROCESSED_MISSING;
    char *ref = NULL;
    char *hash;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db, family_sql);

    assert_ok(gr_catalog_unprocessed_delete(fixture->db, "s", &outcome, &ref));
    assert_int_equal(outcome, GR_CATALOG_UNPROCESSED_STITCHED);
    free(ref);
    hash = result_hash_of(fixture->db, "location:default/parent-3");
    assert_string_equal(hash, "hash-p3");
    free(hash);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_refresh_state "
                                                   "WHERE next_update_at < 9000000000000"),
                     0);
    assert_int_equal(db_fixture_int64(fixture->db,
                                      "SELECT count(*) FROM catalog_refs WHERE "
                                      "target_entity_ref = 'component:default/stitched'"),
                     1);
}

/*
 * A delete of a failed row that PostgreSQL aborts as a deadlock victim runs
 * again and removes the row. A trigger aborts the first delete of the row
 * through a sequence, which a rollback does not reset.
 */
static void delete_aborted_runs_again(void **state)
{
    db_fixture *fixture = *state;
    gr_catalog_unprocessed_outcome outcome = GR_CATALOG_UNPROCESSED_MISSING;
    char *ref = NULL;

    assert_ok(gr_catalog_migrate(fixture->db));
    db_fixture_exec(fixture->db, family_sql);
    db_fixture_exec(fixture->db,
                    "CREATE SEQUENCE abort_delete;"
                    "CREATE FUNCTION abort_delete_once() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN IF nextval('abort_delete') = 1 THEN "
                    "RAISE EXCEPTION 'injected deadlock' USING ERRCODE = '40P01'; END IF; "
                    "RETURN OLD; END $$;"
                    "CREATE TRIGGER abort_delete BEFORE DELETE ON catalog_refresh_state "
                    "FOR EACH ROW EXECUTE FUNCTION abort_delete_once()");

    assert_ok(gr_catalog_unprocessed_delete(fixture->db, "c", &outcome, &ref));
    assert_int_equal(outcome, GR_CATALOG_UNPROCESSED_DELETED);
    assert_string_equal(ref, "component:default/child");
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_refresh_state "
                                                   "WHERE entity_id = 'c'"),
                     0);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT last_value FROM abort_delete"), 2);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(delete_waits_for_processing),
        DB_TEST_BOTH(delete_waits_for_stitching),
        DB_TEST_SQLITE(list_replaces_invalid_utf8),
        DB_TEST_BOTH(list_keeps_rows_with_invalid_json),
        DB_TEST_SQLITE(failed_list_reads_failed_index),
        DB_TEST_BOTH(owner_statement_pages_matches),
        DB_TEST_BOTH(owner_filter_spans_pages),
        DB_TEST_BOTH(owner_filter_exact_values),
        DB_TEST_BOTH(owner_filter_skips_invalid_json),
        DB_TEST_BOTH(owner_statement_skips_stitched_rows),
        DB_TEST_BOTH(delete_reprocesses_parents),
        DB_TEST_BOTH(delete_keeps_stitched_parents),
        DB_TEST_BOTH(delete_locks_parents_first),
        DB_TEST_BOTH(delete_two_parents_batch_order),
        DB_TEST_PG(delete_aborted_runs_again),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
