/* SPDX-License-Identifier: MIT */
/* Tests that cross the limit of the task list on SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include "../store/db_fixture.h"
#include "plugins/scaffolder/store.h"

/* A list asking for one task more than GR_TASK_LIST_MAX gets GR_TASK_LIST_MAX and the full count.
 */
static void task_list_over_max(void **state)
{
    db_fixture *f = *state;
    json_t *spec =
        json_pack("{s:s, s:[{s:s, s:s}], s:{}}", "apiVersion", "scaffolder.backstage.io/v1beta3",
                  "steps", "id", "a", "action", "debug:log", "parameters");
    gr_task_filter filter = {.limit = GR_TASK_LIST_MAX + 1};
    json_t *creator = json_pack("{s:s, s:s, s:[s]}", "type", "user", "userEntityRef",
                                "user:default/a", "ownershipEntityRefs", "user:default/a");
    json_t *list = NULL;
    char id[GR_SCAFFOLDER_ID_SIZE];

    assert_int_equal(gr_task_store_migrate(f->db), 0);
    for (int i = 0; i <= GR_TASK_LIST_MAX; i++)
        assert_int_equal(gr_task_create(f->db, spec, NULL, creator, NULL, id), 0);
    assert_int_equal(gr_task_list(f->db, &filter, &list), 0);
    assert_int_equal(json_array_size(json_object_get(list, "tasks")), GR_TASK_LIST_MAX);
    assert_int_equal(json_integer_value(json_object_get(list, "totalTasks")), GR_TASK_LIST_MAX + 1);
    json_decref(list);
    json_decref(creator);
    json_decref(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_SQLITE(task_list_over_max),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
