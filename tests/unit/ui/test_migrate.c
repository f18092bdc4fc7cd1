/* SPDX-License-Identifier: MIT */
/* Unit test of the UI's migrations, declared in its plugin info with the history of "ui" adopted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "unit/store/db_fixture.h"

#include "host/host.h"
#include "host/store/migrate.h"
#include "plugins/catalog/plugin.h"
#include "plugins/ui/ui.h"

/* The UI's tables as an earlier release made them, recording the versions under "ui". */
static const gr_db_migration earlier[] = {
    {.version = 1,
     .description = "create ui_stars and ui_secrets",
     .sql = "CREATE TABLE ui_stars (subject TEXT NOT NULL, entity_ref TEXT NOT NULL, "
            "created_at BIGINT NOT NULL, PRIMARY KEY (subject, entity_ref)); "
            "CREATE TABLE ui_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)"},
    {.version = 2,
     .description = "index catalog_final_entities by kind and name",
     .sql = "CREATE INDEX ui_final_entities_kind_name ON catalog_final_entities "
            "(kind, name, entity_ref); "
            "CREATE INDEX ui_final_entities_name ON catalog_final_entities (name, entity_ref)"},
};

/* Returns the number of versions recorded under `component`. */
#define VERSIONS_OF(component)                                                                     \
    "SELECT count(*) FROM schema_migrations WHERE component = '" component "'"

/* Applies the catalog's migrations, which the UI's second one needs, and returns the host. */
static struct gr_host host_with_catalog(gr_db *db)
{
    struct gr_host host;

    memset(&host, 0, sizeof(host));
    host.db = db;
    assert_int_equal(gr_catalog_plugin_migrate(&host), GR_OK);
    return host;
}

static void fresh_database_migrated(void **state)
{
    db_fixture *fixture = *state;
    struct gr_host host = host_with_catalog(fixture->db);

    assert_int_equal(gr_ui_plugin_migrate(&host), GR_OK);
    assert_int_equal(db_fixture_int64(fixture->db, VERSIONS_OF("plugin:ui")), 2);
    assert_int_equal(db_fixture_int64(fixture->db, VERSIONS_OF("ui")), 0);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM ui_stars"), 0);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT count(*) FROM ui_secrets"), 0);
}

/* A database of an earlier release keeps its tables: no version runs again. */
static void earlier_history_adopted(void **state)
{
    db_fixture *fixture = *state;
    struct gr_host host = host_with_catalog(fixture->db);

    assert_int_equal(gr_db_migrate(fixture->db, "ui", earlier, 2), GR_OK);
    assert_int_equal(gr_ui_plugin_migrate(&host), GR_OK);
    assert_int_equal(db_fixture_int64(fixture->db, VERSIONS_OF("plugin:ui")), 2);
    assert_int_equal(db_fixture_int64(fixture->db, VERSIONS_OF("ui")), 0);
    /* A second run finds every version applied. */
    assert_int_equal(gr_ui_plugin_migrate(&host), GR_OK);
    assert_int_equal(db_fixture_int64(fixture->db, VERSIONS_OF("plugin:ui")), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(fresh_database_migrated),
        DB_TEST_BOTH(earlier_history_adopted),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
