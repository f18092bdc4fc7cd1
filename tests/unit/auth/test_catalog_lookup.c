/* SPDX-License-Identifier: MIT */
/* Tests of the sign-in user lookup over the catalog's stitched tables, on SQLite and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/store/migrate.h"
#include "plugins/auth/catalog_lookup.h"
#include "../store/db_fixture.h"

/* The columns of the catalog's tables that the lookup reads, with the catalog's table names.
 * The catalog's own migration creates more; this test needs only these. */
static const gr_db_migration catalog_subset[] = {
    {
        .version = 1,
        .description = "catalog tables read by sign-in",
        .sql = "CREATE TABLE catalog_final_entities (entity_id TEXT PRIMARY KEY,"
               " entity_ref TEXT NOT NULL UNIQUE, final_entity TEXT);"
               "CREATE TABLE catalog_search (entity_id TEXT NOT NULL, key TEXT NOT NULL,"
               " original_value TEXT, value TEXT)",
    },
};

static void add_entity(gr_db *db, const char *id, const char *ref, const char *json,
                       const char *const *search)
{
    char *sql = gr_xasprintf("INSERT INTO catalog_final_entities VALUES ('%s', '%s', '%s')", id,
                             ref, json);

    db_fixture_exec(db, sql);
    free(sql);
    for (size_t i = 0; search[i] != NULL; i += 2) {
        sql = gr_xasprintf("INSERT INTO catalog_search VALUES ('%s', '%s', '%s', '%s')", id,
                           search[i], search[i + 1], search[i + 1]);
        db_fixture_exec(db, sql);
        free(sql);
    }
}

static void seed(gr_db *db)
{
    static const char *const jane[] = {"kind", "user", "metadata.name", "jane",
                                       "spec.profile.email", "jane@example.com", NULL};
    static const char *const group[] = {"kind", "group", "metadata.name", "team-a",
                                        "spec.profile.email", "team-a@example.com", NULL};
    static const char *const parent[] = {"kind", "group", "metadata.name", "eng", NULL};

    assert_int_equal(gr_db_migrate(db, "catalog", catalog_subset, 1), GR_OK);
    add_entity(db, "1", "user:default/jane",
               "{\"kind\":\"User\",\"metadata\":{\"name\":\"jane\",\"namespace\":\"default\"},"
               "\"spec\":{\"profile\":{\"email\":\"Jane@Example.com\"}},\"relations\":"
               "[{\"type\":\"memberOf\",\"targetRef\":\"group:default/team-a\"}]}",
               jane);
    add_entity(db, "2", "group:default/team-a",
               "{\"kind\":\"Group\",\"metadata\":{\"name\":\"team-a\"},\"relations\":"
               "[{\"type\":\"childOf\",\"targetRef\":\"group:default/eng\"}]}",
               group);
    add_entity(db, "3", "group:default/eng", "{\"kind\":\"Group\",\"metadata\":{\"name\":\"eng\"}}",
               parent);
}

static void lookup_resolves_catalog_user(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_user_lookup lookup;
    json_t *provider = json_loads("{\"signIn\":{\"resolvers\":[{\"resolver\":"
                                  "\"emailMatchingUserEntityProfileEmail\"}]}}",
                                  0, NULL);
    gr_auth_resolvers resolvers;
    gr_auth_profile profile = {"JANE@example.com", NULL, NULL, NULL};
    gr_auth_user *user = NULL;

    seed(fixture->db);
    gr_auth_catalog_lookup(fixture->db, &lookup);
    assert_int_equal(gr_auth_resolvers_parse(provider, "p", NULL, &resolvers), GR_OK);
    resolvers.include_parent_groups = true;

    assert_int_equal(gr_auth_resolve(&resolvers, &lookup, &profile, &user), GR_OK);
    assert_string_equal(user->user_ref, "user:default/jane");
    assert_int_equal(user->ownership_count, 3);
    assert_string_equal(user->ownership[1], "group:default/team-a");
    assert_string_equal(user->ownership[2], "group:default/eng");
    gr_auth_user_free(user);
    user = NULL;

    /* A group with the same email is not a user. */
    profile.email = "team-a@example.com";
    assert_int_equal(gr_auth_resolve(&resolvers, &lookup, &profile, &user), GR_ENOTFOUND);
    assert_null(user);

    gr_auth_resolvers_clear(&resolvers);
    json_decref(provider);
}

static void lookup_without_catalog_finds_nothing(void **state)
{
    db_fixture *fixture = *state;
    gr_auth_user_lookup lookup;
    json_t *found = NULL;

    gr_auth_catalog_lookup(fixture->db, &lookup);
    assert_int_equal(lookup.find_users(lookup.payload, "metadata.name", "jane", &found), GR_OK);
    assert_int_equal(json_array_size(found), 0);
    json_decref(found);
    found = NULL;
    assert_int_equal(lookup.get_entity(lookup.payload, "user:default/jane", &found),
                     GR_ENOTFOUND);
    assert_null(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(lookup_resolves_catalog_user),
        DB_TEST_BOTH(lookup_without_catalog_finds_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
