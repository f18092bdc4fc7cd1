/* SPDX-License-Identifier: MIT */
/* Unit test of the task tables' migrations, declared in the scaffolder's plugin info. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit/store/db_fixture.h"

#include <string.h>

#include "host/store/migrate.h"
#include "plugins/scaffolder/plugin.h"
#include "plugins/scaffolder/store.h"

/* A task row as an earlier release stored it. */
#define OLD_TASK                                                                                   \
    "INSERT INTO scaffolder_tasks (id, spec, status, created_by, created_at) VALUES "              \
    "('old-task', '{}', 'completed', 'user:default/jane', 1)"

static int64_t version_of(gr_db *db, const char *component)
{
    int64_t version = -1;

    assert_int_equal(gr_db_schema_version(db, component, &version), GR_OK);
    return version;
}

static int64_t count_rows(gr_db *db, const char *sql)
{
    gr_db_conn *conn = NULL;
    int64_t count = -1;

    assert_int_equal(gr_db_acquire(db, GR_DB_READ, &conn), GR_OK);
    assert_int_equal(gr_db_query_int64(conn, sql, NULL, 0, &count), GR_OK);
    gr_db_release(conn);
    return count;
}

/* Applies the task migrations under the component an earlier release used, and stores a task. */
static void migrate_as_earlier_release(gr_db *db)
{
    gr_db_migration earlier[GR_TASK_STORE_MIGRATION_COUNT];
    gr_db_conn *conn = NULL;

    memset(earlier, 0, sizeof(earlier));
    for (size_t i = 0; i < GR_TASK_STORE_MIGRATION_COUNT; i++) {
        earlier[i].version = gr_task_store_migrations[i].version;
        earlier[i].description = gr_task_store_migrations[i].description;
        earlier[i].sql = gr_task_store_migrations[i].sql;
        earlier[i].sql_sqlite = gr_task_store_migrations[i].sql_sqlite;
        earlier[i].sql_pg = gr_task_store_migrations[i].sql_pg;
    }
    assert_int_equal(gr_db_migrate(db, "scaffolder", earlier, GR_TASK_STORE_MIGRATION_COUNT),
                     GR_OK);
    assert_int_equal(gr_db_acquire(db, GR_DB_WRITE, &conn), GR_OK);
    assert_int_equal(gr_db_exec(conn, OLD_TASK), GR_OK);
    gr_db_release(conn);
}

/* A database of an earlier release keeps its tasks, and its history moves to the plugin. */
static void earlier_history_adopted(void **state)
{
    db_fixture *fixture = *state;
    gr_host host = {.db = fixture->db};

    migrate_as_earlier_release(fixture->db);
    assert_int_equal(gr_scaffolder_plugin_migrate(&host), GR_OK);
    assert_int_equal(version_of(fixture->db, "plugin:scaffolder"), GR_TASK_STORE_MIGRATION_COUNT);
    assert_int_equal(version_of(fixture->db, "scaffolder"), 0);
    assert_int_equal(count_rows(fixture->db, "SELECT count(*) FROM scaffolder_tasks WHERE id = "
                                             "'old-task'"),
                     1);
}

/* A new database gets every version under the plugin's component, and a second run adds none. */
static void fresh_database_migrated(void **state)
{
    db_fixture *fixture = *state;

    assert_int_equal(gr_task_store_migrate(fixture->db), GR_OK);
    assert_int_equal(gr_task_store_migrate(fixture->db), GR_OK);
    assert_int_equal(version_of(fixture->db, "plugin:scaffolder"), GR_TASK_STORE_MIGRATION_COUNT);
    assert_int_equal(count_rows(fixture->db, "SELECT count(*) FROM schema_migrations WHERE "
                                             "component = 'plugin:scaffolder'"),
                     GR_TASK_STORE_MIGRATION_COUNT);
    assert_int_equal(count_rows(fixture->db, "SELECT count(*) FROM scaffolder_tasks"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(earlier_history_adopted),
        DB_TEST_BOTH(fresh_database_migrated),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
