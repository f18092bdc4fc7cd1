/* SPDX-License-Identifier: MIT */
/* Tests of task lists limited by permission criteria, in SQL on SQLite and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <string.h>

#include "../store/db_fixture.h"
#include "host/permission/permission.h"
#include "plugins/scaffolder/store.h"

#define ALICE "user:default/alice"
#define BOB "user:default/bob"
#define OWNER_ALICE                                                                                \
    "{\"rule\":\"IS_TASK_OWNER\",\"resourceType\":\"scaffolder-task\","                          \
    "\"params\":{\"createdBy\":[\"" ALICE "\"]}}"

static json_t *sample_spec(void)
{
    return json_pack("{s:s, s:[{s:s, s:s}], s:{}}", "apiVersion", "scaffolder.backstage.io/v1beta3",
                     "steps", "id", "a", "action", "debug:log", "parameters");
}

/* Stores a task by the user `ref`, or without a creator when `ref` is NULL. */
static void create_as(gr_db *db, const char *ref)
{
    json_t *spec = sample_spec();
    json_t *creator = ref ? json_pack("{s:s, s:s, s:[s]}", "type", "user", "userEntityRef", ref,
                                      "ownershipEntityRefs", ref)
                          : NULL;
    char id[GR_SCAFFOLDER_ID_SIZE];

    assert_int_equal(gr_task_create(db, spec, NULL, creator, NULL, id), 0);
    json_decref(creator);
    json_decref(spec);
}

/* Three tasks of alice, two of bob, one without a creator. */
static void seed(gr_db *db)
{
    assert_int_equal(gr_task_store_migrate(db), 0);
    create_as(db, ALICE);
    create_as(db, BOB);
    create_as(db, ALICE);
    create_as(db, BOB);
    create_as(db, ALICE);
    create_as(db, NULL);
}

/* Lists with `criteria` and checks the total, the page size and every task against it. */
static void expect_list(gr_db *db, const char *criteria, const char *created_by, int64_t limit,
                        int64_t offset, json_int_t total, size_t page)
{
    json_t *access = json_loads(criteria, 0, NULL);
    gr_task_filter filter = {.access = access, .created_by = created_by, .limit = limit,
                             .offset = offset};
    json_t *list = NULL;
    size_t index;
    json_t *task;

    assert_non_null(access);
    assert_int_equal(gr_task_list(db, &filter, &list), 0);
    if (json_integer_value(json_object_get(list, "totalTasks")) != total)
        fail_msg("%s: totalTasks %lld, expected %lld", criteria,
                 json_integer_value(json_object_get(list, "totalTasks")), total);
    assert_int_equal(json_array_size(json_object_get(list, "tasks")), page);
    json_array_foreach(json_object_get(list, "tasks"), index, task)
    {
        /* SQL and the in-memory check agree on each task. */
        assert_true(gr_permission_criteria_match(access, task));
    }
    json_decref(list);
    json_decref(access);
}

static void owner_only(void **state)
{
    db_fixture *f = *state;

    seed(f->db);
    expect_list(f->db, OWNER_ALICE, NULL, 0, 0, 3, 3);
    expect_list(f->db, OWNER_ALICE, NULL, 2, 0, 3, 2);
    expect_list(f->db, OWNER_ALICE, NULL, 2, 2, 3, 1);
    expect_list(f->db, OWNER_ALICE, BOB, 0, 0, 0, 0);
    expect_list(f->db, OWNER_ALICE, ALICE, 0, 0, 3, 3);
}

static void combined(void **state)
{
    db_fixture *f = *state;

    seed(f->db);
    /* A task without a creator is nobody's, so "not alice's" includes it. */
    expect_list(f->db, "{\"not\":" OWNER_ALICE "}", NULL, 0, 0, 3, 3);
    expect_list(f->db,
                "{\"anyOf\":[" OWNER_ALICE ",{\"rule\":\"IS_TASK_OWNER\","
                "\"params\":{\"createdBy\":[\"" BOB "\"]}}]}",
                NULL, 0, 0, 5, 5);
    expect_list(f->db, "{\"allOf\":[" OWNER_ALICE ",{\"not\":" OWNER_ALICE "}]}", NULL, 0, 0, 0,
                0);
    expect_list(f->db, "{\"rule\":\"NO_SUCH_RULE\",\"params\":{}}", NULL, 0, 0, 0, 0);
    expect_list(f->db, "{\"rule\":\"IS_TASK_OWNER\",\"params\":{\"createdBy\":[]}}", NULL, 0, 0,
                0, 0);
}

/* Values are bound, never pasted into the SQL. */
static void quoted_ref(void **state)
{
    db_fixture *f = *state;

    seed(f->db);
    expect_list(f->db,
                "{\"rule\":\"IS_TASK_OWNER\",\"params\":{\"createdBy\":[\"x' OR '1'='1\"]}}",
                NULL, 0, 0, 0, 0);
}

static void match_in_memory(void **state)
{
    json_t *owner = json_loads(OWNER_ALICE, 0, NULL);
    json_t *mine = json_pack("{s:s}", "createdBy", ALICE);
    json_t *other = json_pack("{s:s}", "createdBy", BOB);
    json_t *nobody = json_pack("{s:n}", "createdBy");
    json_t *upper = json_pack("{s:s}", "createdBy", "user:default/ALICE");

    (void)state;
    assert_int_equal(gr_permission_criteria_match(owner, mine), 1);
    assert_int_equal(gr_permission_criteria_match(owner, other), 0);
    assert_int_equal(gr_permission_criteria_match(owner, nobody), 0);
    assert_int_equal(gr_permission_criteria_match(owner, upper), 0);
    json_decref(upper);
    json_decref(nobody);
    json_decref(other);
    json_decref(mine);
    json_decref(owner);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(owner_only),
        DB_TEST_BOTH(combined),
        DB_TEST_BOTH(quoted_ref),
        cmocka_unit_test(match_in_memory),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
