/* SPDX-License-Identifier: MIT */
/* Unit test of migrations that a built-in declares with the component an earlier release used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit/store/db_fixture.h"

#include "greenroom/plugin.h"
#include "host/host.h"
#include "host/plugin/ctx.h"
#include "host/plugin/migrate.h"
#include "host/plugin/plugin.h"
#include "host/store/migrate.h"

#define CREATE_NOTES "CREATE TABLE legacy_notes (id INTEGER PRIMARY KEY, body TEXT)"
#define CREATE_TAGS "CREATE TABLE legacy_tags (id INTEGER PRIMARY KEY, name TEXT)"

/* The schema as the earlier release applied it, under its own component. */
static const gr_db_migration earlier[] = {
    {.version = 1, .description = "create legacy_notes", .sql = CREATE_NOTES},
};

/* The same first version and one more, now declared in the plugin's info. */
static const gr_plugin_migration declared[] = {
    {.version = 1, .description = "create legacy_notes", .sql = CREATE_NOTES},
    {.version = 2, .description = "create legacy_tags", .sql = CREATE_TAGS},
};

static const gr_plugin_info notes_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "notes",
    .version = "1.0.0",
    .description = "a built-in whose migrations moved onto the ABI",
    .migrations = declared,
    .migration_count = 2,
    .migration_legacy_id = "notes-legacy",
};

static int notes_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &notes_info;
    return GR_PLUGIN_OK;
}

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

static void exec_sql(gr_db *db, const char *sql)
{
    gr_db_conn *conn = NULL;

    assert_int_equal(gr_db_acquire(db, GR_DB_WRITE, &conn), GR_OK);
    assert_int_equal(gr_db_exec(conn, sql), GR_OK);
    gr_db_release(conn);
}

static int migrate(gr_db *db)
{
    struct gr_host host;

    memset(&host, 0, sizeof(host));
    host.db = db;
    return gr_plugin_adapter_migrate(&host, notes_entry);
}

/* History under the old component is renamed, so version 1 does not run again. */
static void legacy_history_renamed(void **state)
{
    db_fixture *fixture = *state;

    assert_int_equal(gr_db_migrate(fixture->db, "notes-legacy", earlier, 1), GR_OK);
    assert_int_equal(migrate(fixture->db), GR_OK);
    assert_int_equal(version_of(fixture->db, "plugin:notes"), 2);
    assert_int_equal(version_of(fixture->db, "notes-legacy"), 0);
    assert_int_equal(count_rows(fixture->db, "SELECT count(*) FROM legacy_tags"), 0);
}

/* The rename keeps the description and time the earlier release recorded. */
static void legacy_history_kept(void **state)
{
    db_fixture *fixture = *state;

    assert_int_equal(gr_db_migrate(fixture->db, "notes-legacy", earlier, 1), GR_OK);
    assert_int_equal(migrate(fixture->db), GR_OK);
    assert_int_equal(count_rows(fixture->db,
                                "SELECT count(*) FROM schema_migrations WHERE component = "
                                "'plugin:notes' AND version = 1 AND description = "
                                "'create legacy_notes' AND applied_at <> ''"),
                     1);
}

/* A database without the old component gets every declared version. */
static void fresh_database_migrated(void **state)
{
    db_fixture *fixture = *state;

    assert_int_equal(migrate(fixture->db), GR_OK);
    assert_int_equal(version_of(fixture->db, "plugin:notes"), 2);
    assert_int_equal(count_rows(fixture->db, "SELECT count(*) FROM legacy_notes"), 0);
}

/* Running again changes nothing and fails on nothing. */
static void second_run_unchanged(void **state)
{
    db_fixture *fixture = *state;

    assert_int_equal(gr_db_migrate(fixture->db, "notes-legacy", earlier, 1), GR_OK);
    assert_int_equal(migrate(fixture->db), GR_OK);
    assert_int_equal(migrate(fixture->db), GR_OK);
    assert_int_equal(version_of(fixture->db, "plugin:notes"), 2);
    assert_int_equal(count_rows(fixture->db, "SELECT count(*) FROM schema_migrations WHERE "
                                             "component = 'plugin:notes'"),
                     2);
}

/* History under the plugin's own component wins: the old rows stay where they are. */
static void own_history_not_merged(void **state)
{
    db_fixture *fixture = *state;

    assert_int_equal(migrate(fixture->db), GR_OK);
    exec_sql(fixture->db, "INSERT INTO schema_migrations (component, version, description, "
                          "applied_at) VALUES ('notes-legacy', 1, 'create legacy_notes', "
                          "'2026-01-01T00:00:00Z')");
    assert_int_equal(migrate(fixture->db), GR_OK);
    assert_int_equal(version_of(fixture->db, "plugin:notes"), 2);
    assert_int_equal(version_of(fixture->db, "notes-legacy"), 1);
}

/* A shared-library plugin may not claim another component's history. */
static void library_legacy_rejected(void **state)
{
    db_fixture *fixture = *state;
    gr_plugin_ctx *ctx = gr_plugin__ctx_new("notes");

    ctx->info = &notes_info;
    ctx->path = gr_xstrdup("plugins/notes.so");
    assert_int_equal(gr_plugin__migrate_declared(ctx, fixture->db), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "built-in plugins only"));
    assert_int_equal(version_of(fixture->db, "plugin:notes"), 0);
    gr_plugin__ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(legacy_history_renamed), DB_TEST_BOTH(legacy_history_kept),
        DB_TEST_BOTH(fresh_database_migrated), DB_TEST_BOTH(second_run_unchanged),
        DB_TEST_BOTH(own_history_not_merged), DB_TEST_SQLITE(library_legacy_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
