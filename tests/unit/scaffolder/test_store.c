/* SPDX-License-Identifier: MIT */
/* Tests of the task queue on SQLite and PostgreSQL: claims, heartbeats, events, cancel, retry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "../store/db_fixture.h"
#include "plugins/scaffolder/store.h"

static json_t *sample_spec(void)
{
    return json_pack("{s:s, s:[{s:s, s:s}], s:{}}", "apiVersion", "scaffolder.backstage.io/v1beta3",
                     "steps", "id", "a", "action", "debug:log", "parameters");
}

static void create_then_get(void **state)
{
    db_fixture *f = *state;
    json_t *spec = sample_spec();
    json_t *secrets = json_pack("{s:s}", "TOKEN", "x");
    json_t *jane = json_pack("{s:s, s:s, s:[s]}", "type", "user", "userEntityRef",
                             "user:default/jane", "ownershipEntityRefs", "user:default/jane");
    json_t *task = NULL;
    char id[GR_SCAFFOLDER_ID_SIZE];

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    assert_int_equal(gr_task_create(f->db, spec, secrets, jane, "template:default/t", id), 0);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(gr_task_get(f->db, id, &task), 0);
    assert_string_equal(json_string_value(json_object_get(task, "status")), "open");
    assert_string_equal(json_string_value(json_object_get(task, "createdBy")), "user:default/jane");
    assert_true(json_equal(json_object_get(task, "spec"), spec));
    assert_null(json_object_get(task, "secrets"));
    assert_int_equal(strlen(json_string_value(json_object_get(task, "createdAt"))), 24);
    json_decref(task);
    assert_int_equal(gr_task_get(f->db, "missing", &task), GR_ENOTFOUND);
    json_decref(spec);
    json_decref(secrets);
    json_decref(jane);
}

/* Stores an open task created by the user `ref`. */
static int create_as(gr_db *db, const json_t *spec, const char *ref, char id[GR_SCAFFOLDER_ID_SIZE])
{
    json_t *creator = json_pack("{s:s, s:s, s:[s]}", "type", "user", "userEntityRef", ref,
                                "ownershipEntityRefs", ref);
    int rc = gr_task_create(db, spec, NULL, creator, NULL, id);

    json_decref(creator);
    return rc;
}

static void claim_returns_creator(void **state)
{
    db_fixture *f = *state;
    json_t *spec = sample_spec();
    json_t *service = json_pack("{s:s, s:s}", "type", "service", "subject", "external:ci-bot");
    gr_task_claim claim = {0};
    json_t *task = NULL;
    char id[GR_SCAFFOLDER_ID_SIZE];

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    assert_int_equal(gr_task_create(f->db, spec, NULL, service, NULL, id), 0);
    assert_int_equal(gr_task_claim_next(f->db, "one", 60000, &claim), 0);
    assert_true(json_equal(claim.creator, service));
    gr_task_claim_clear(&claim);
    /* A service has no user entity, so the task has no createdBy. */
    assert_int_equal(gr_task_get(f->db, id, &task), 0);
    assert_true(json_is_null(json_object_get(task, "createdBy")));
    json_decref(task);

    assert_int_equal(create_as(f->db, spec, "user:default/a", id), 0);
    assert_int_equal(gr_task_claim_next(f->db, "two", 60000, &claim), 0);
    assert_string_equal(json_string_value(json_object_get(claim.creator, "userEntityRef")),
                        "user:default/a");
    gr_task_claim_clear(&claim);

    assert_int_equal(gr_task_create(f->db, spec, NULL, NULL, NULL, id), 0);
    assert_int_equal(gr_task_claim_next(f->db, "three", 60000, &claim), 0);
    assert_true(json_is_null(claim.creator));
    gr_task_claim_clear(&claim);
    json_decref(service);
    json_decref(spec);
}

static void claims_are_exclusive(void **state)
{
    db_fixture *f = *state;
    json_t *spec = sample_spec();
    gr_task_claim first = {0};
    gr_task_claim second = {0};
    gr_task_claim none = {0};
    char a[GR_SCAFFOLDER_ID_SIZE];
    char b[GR_SCAFFOLDER_ID_SIZE];

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    assert_int_equal(gr_task_create(f->db, spec, NULL, NULL, NULL, a), 0);
    {
        json_t *empty = json_object();

        assert_int_equal(gr_task_create(f->db, spec, empty, NULL, NULL, b), 0);
        json_decref(empty);
    }
    assert_int_equal(gr_task_claim_next(f->db, "one", 60000, &first), 0);
    assert_int_equal(gr_task_claim_next(f->db, "two", 60000, &second), 0);
    assert_string_not_equal(first.id, second.id);
    assert_int_equal(gr_task_claim_next(f->db, "three", 60000, &none), GR_ENOTFOUND);
    assert_true(json_is_object(first.secrets));
    gr_task_claim_clear(&first);
    gr_task_claim_clear(&second);
    json_decref(spec);
}

typedef struct {
    gr_db *db;
    int claimed;
} claimer;

static void *claim_all(void *arg)
{
    claimer *c = arg;
    gr_task_claim claim = {0};

    while (gr_task_claim_next(c->db, "racer", 60000, &claim) == 0) {
        c->claimed++;
        gr_task_claim_clear(&claim);
    }
    return NULL;
}

/* Several threads (as several instances would) claim each task exactly once. */
static void concurrent_claims(void **state)
{
    db_fixture *f = *state;
    json_t *spec = sample_spec();
    claimer claimers[4];
    pthread_t threads[4];
    char id[GR_SCAFFOLDER_ID_SIZE];
    int total = 0;

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(gr_task_create(f->db, spec, NULL, NULL, NULL, id), 0);
    for (int i = 0; i < 4; i++) {
        claimers[i] = (claimer){.db = f->db};
        assert_int_equal(pthread_create(&threads[i], NULL, claim_all, &claimers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        total += claimers[i].claimed;
    }
    assert_int_equal(total, 40);
    assert_int_equal(
        db_fixture_int64(f->db, "SELECT COUNT(*) FROM scaffolder_tasks WHERE status = 'open'"), 0);
    json_decref(spec);
}

static void heartbeat_and_cancel(void **state)
{
    db_fixture *f = *state;
    json_t *spec = sample_spec();
    gr_task_claim claim = {0};
    bool cancel = true;
    char id[GR_SCAFFOLDER_ID_SIZE];

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    assert_int_equal(gr_task_create(f->db, spec, NULL, NULL, NULL, id), 0);
    assert_int_equal(gr_task_claim_next(f->db, "me", 60000, &claim), 0);
    assert_int_equal(gr_task_heartbeat(f->db, id, "me", 60000, &cancel), 0);
    assert_false(cancel);
    assert_int_equal(gr_task_heartbeat(f->db, id, "someone-else", 60000, &cancel), GR_ECONFLICT);
    assert_int_equal(gr_task_cancel(f->db, id), 0);
    assert_int_equal(gr_task_heartbeat(f->db, id, "me", 60000, &cancel), 0);
    assert_true(cancel);
    assert_int_equal(gr_task_finish(f->db, id, "cancelled"), 0);
    assert_int_equal(gr_task_cancel(f->db, id), GR_ECONFLICT);
    assert_int_equal(db_fixture_int64(f->db, "SELECT COUNT(*) FROM scaffolder_tasks "
                                             "WHERE secrets IS NOT NULL"),
                     0);
    gr_task_claim_clear(&claim);
    json_decref(spec);
}

static void cancel_open_task(void **state)
{
    db_fixture *f = *state;
    json_t *spec = sample_spec();
    json_t *events = NULL;
    json_t *task = NULL;
    char id[GR_SCAFFOLDER_ID_SIZE];

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    assert_int_equal(gr_task_create(f->db, spec, NULL, NULL, NULL, id), 0);
    assert_int_equal(gr_task_cancel(f->db, id), 0);
    assert_int_equal(gr_task_get(f->db, id, &task), 0);
    assert_string_equal(json_string_value(json_object_get(task, "status")), "cancelled");
    assert_int_equal(gr_task_events(f->db, id, 0, &events), 0);
    assert_int_equal(json_array_size(events), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "type")),
                        "cancelled");
    assert_int_equal(gr_task_retry(f->db, id), 0);
    json_decref(task);
    assert_int_equal(gr_task_get(f->db, id, &task), 0);
    assert_string_equal(json_string_value(json_object_get(task, "status")), "open");
    assert_int_equal(gr_task_retry(f->db, id), GR_ECONFLICT);
    json_decref(task);
    json_decref(events);
    json_decref(spec);
}

static void events_after_id(void **state)
{
    db_fixture *f = *state;
    json_t *spec = sample_spec();
    json_t *events = NULL;
    char id[GR_SCAFFOLDER_ID_SIZE];
    int64_t first_id;

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    assert_int_equal(gr_task_create(f->db, spec, NULL, NULL, NULL, id), 0);
    for (int i = 0; i < 3; i++) {
        json_t *body = json_pack("{s:s, s:i}", "message", "line", "n", i);

        assert_int_equal(gr_task_add_event(f->db, id, "log", body), 0);
        json_decref(body);
    }
    assert_int_equal(gr_task_events(f->db, id, 0, &events), 0);
    assert_int_equal(json_array_size(events), 3);
    first_id = json_integer_value(json_object_get(json_array_get(events, 0), "id"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "taskId")),
                        id);
    json_decref(events);
    assert_int_equal(gr_task_events(f->db, id, first_id, &events), 0);
    assert_int_equal(json_array_size(events), 2);
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(json_array_get(events, 0), "body"), "n")),
                     1);
    json_decref(events);
    json_decref(spec);
}

static void list_filters_and_counts(void **state)
{
    db_fixture *f = *state;
    json_t *spec = sample_spec();
    json_t *list = NULL;
    const char *statuses[] = {"open"};
    gr_task_filter filter = {.created_by = "user:default/a"};
    char id[GR_SCAFFOLDER_ID_SIZE];

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    assert_int_equal(create_as(f->db, spec, "user:default/a", id), 0);
    assert_int_equal(create_as(f->db, spec, "user:default/a", id), 0);
    assert_int_equal(create_as(f->db, spec, "user:default/b", id), 0);
    assert_int_equal(gr_task_cancel(f->db, id), 0);
    assert_int_equal(gr_task_list(f->db, &filter, &list), 0);
    assert_int_equal(json_integer_value(json_object_get(list, "totalTasks")), 2);
    json_decref(list);
    filter = (gr_task_filter){.statuses = statuses, .status_count = 1, .limit = 1};
    assert_int_equal(gr_task_list(f->db, &filter, &list), 0);
    assert_int_equal(json_integer_value(json_object_get(list, "totalTasks")), 2);
    assert_int_equal(json_array_size(json_object_get(list, "tasks")), 1);
    json_decref(list);
    json_decref(spec);
}

static void expired_claims_fail(void **state)
{
    db_fixture *f = *state;
    json_t *spec = sample_spec();
    gr_task_claim claim = {0};
    json_t *task = NULL;
    json_t *events = NULL;
    int64_t count = 0;
    char id[GR_SCAFFOLDER_ID_SIZE];

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    assert_int_equal(gr_task_create(f->db, spec, NULL, NULL, NULL, id), 0);
    assert_int_equal(gr_task_claim_next(f->db, "gone", -1000, &claim), 0);
    assert_int_equal(gr_task_recover_expired(f->db, &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(gr_task_get(f->db, id, &task), 0);
    assert_string_equal(json_string_value(json_object_get(task, "status")), "failed");
    assert_int_equal(gr_task_events(f->db, id, 0, &events), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "type")),
                        "completion");
    json_decref(events);
    json_decref(task);
    gr_task_claim_clear(&claim);
    json_decref(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(create_then_get),         DB_TEST_BOTH(claims_are_exclusive),
        DB_TEST_BOTH(concurrent_claims),       DB_TEST_BOTH(heartbeat_and_cancel),
        DB_TEST_BOTH(cancel_open_task),        DB_TEST_BOTH(events_after_id),
        DB_TEST_BOTH(list_filters_and_counts), DB_TEST_BOTH(expired_claims_fail),
        DB_TEST_BOTH(claim_returns_creator),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
