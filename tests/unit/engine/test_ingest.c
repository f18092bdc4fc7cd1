/* SPDX-License-Identifier: MIT */
/* Tests of ingestion from file locations: entities, relations, annotations, search rows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <unistd.h>

#include "plugins/catalog/api/api.h"
#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/engine/process.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/stitch.h"
#include "plugins/catalog/engine/store.h"
#include "plugins/catalog/engine/util.h"
#include "unit/engine/engine_fixture.h"

static const char org_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Group\n"
    "metadata:\n"
    "  name: team-a\n"
    "spec:\n"
    "  type: team\n"
    "  children: []\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: User\n"
    "metadata:\n"
    "  name: ada\n"
    "spec:\n"
    "  memberOf: [team-a]\n";

/* Shop and its API, with shop's tags as a YAML flow sequence. */
#define COMPONENTS_YAML(tags)                                                                      \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: Component\n"                                                                            \
    "metadata:\n"                                                                                  \
    "  name: shop\n"                                                                               \
    "  tags: " tags "\n"                                                                           \
    "  annotations:\n"                                                                             \
    "    backstage.io/techdocs-ref: dir:.\n"                                                       \
    "spec:\n"                                                                                      \
    "  type: service\n"                                                                            \
    "  lifecycle: production\n"                                                                    \
    "  owner: team-a\n"                                                                            \
    "  providesApis: [shop-api]\n"                                                                 \
    "---\n"                                                                                        \
    "apiVersion: backstage.io/v1alpha1\n"                                                          \
    "kind: API\n"                                                                                  \
    "metadata:\n"                                                                                  \
    "  name: shop-api\n"                                                                           \
    "spec:\n"                                                                                      \
    "  type: openapi\n"                                                                            \
    "  lifecycle: production\n"                                                                    \
    "  owner: team-a\n"                                                                            \
    "  definition:\n"                                                                              \
    "    $text: ../definitions/shop-api.yaml\n"

static const char components_yaml[] = COMPONENTS_YAML("[java, web]");

static const char root_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Location\n"
    "metadata:\n"
    "  name: root\n"
    "spec:\n"
    "  targets:\n"
    "    - ./org.yaml\n"
    "    - ./components/*.yaml\n";

static const char config_all_kinds[] =
    "{\"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"API\", \"Location\", \"Group\", "
    "\"User\", \"System\", \"Domain\", \"Resource\", \"Template\"]}],"
    " \"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/root.yaml\"}]}}";

static void write_catalog(engine_fixture *fixture)
{
    engine_write(fixture, "root.yaml", root_yaml);
    engine_write(fixture, "org.yaml", org_yaml);
    engine_write(fixture, "components/shop.yaml", components_yaml);
    engine_write(fixture, "definitions/shop-api.yaml", "openapi: 3.0.0\n");
}

static void ingest_entities(void **state)
{
    engine_fixture *fixture = *state;
    json_t *shop, *api, *group, *user;

    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    engine_idle(fixture);

    shop = engine_final(fixture, "component:default/shop");
    api = engine_final(fixture, "api:default/shop-api");
    group = engine_final(fixture, "group:default/team-a");
    user = engine_final(fixture, "user:default/ada");
    assert_non_null(shop);
    assert_non_null(api);
    assert_non_null(group);
    assert_non_null(user);
    assert_true(engine_has_relation(shop, "ownedBy", "group:default/team-a"));
    assert_true(engine_has_relation(shop, "providesApi", "api:default/shop-api"));
    assert_true(engine_has_relation(group, "ownerOf", "component:default/shop"));
    assert_true(engine_has_relation(group, "hasMember", "user:default/ada"));
    assert_true(engine_has_relation(user, "memberOf", "group:default/team-a"));
    assert_true(engine_has_relation(api, "apiProvidedBy", "component:default/shop"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(api, "spec"),
                                                          "definition")),
                        "openapi: 3.0.0\n");
    assert_string_equal(json_string_value(json_object_get(json_object_get(shop, "metadata"),
                                                          "namespace")),
                        "default");
    assert_non_null(json_object_get(json_object_get(shop, "metadata"), "uid"));
    assert_non_null(json_object_get(json_object_get(shop, "metadata"), "etag"));
    assert_null(engine_annotation(shop, "backstage.io/orphan"));
    {
        char *expected = engine_expand(fixture, "file:@DIR@/components/shop.yaml");

        assert_string_equal(engine_annotation(shop, "backstage.io/managed-by-location"), expected);
        free(expected);
        expected = engine_expand(fixture, "file:@DIR@/root.yaml");
        assert_string_equal(engine_annotation(shop, "backstage.io/managed-by-origin-location"),
                            expected);
        free(expected);
    }
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_search s JOIN "
                                  "catalog_final_entities f ON f.entity_id = s.entity_id WHERE "
                                  "f.entity_ref = ? AND s.key = 'metadata.tags' AND s.value = 'java'",
                                  "component:default/shop"),
                     1);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_search s JOIN "
                                  "catalog_final_entities f ON f.entity_id = s.entity_id WHERE "
                                  "f.entity_ref = ? AND s.key = 'relations.ownedby' AND "
                                  "s.value = 'group:default/team-a'",
                                  "component:default/shop"),
                     1);
    json_decref(shop);
    json_decref(api);
    json_decref(group);
    json_decref(user);
}

/* Optional targets that name no file are skipped without an error, relative paths and URLs
 * included. A missing target that is not optional is a NotFoundError on the Location. */
static void optional_targets_skipped(void **state)
{
    engine_fixture *fixture = *state;
    char *errors;

    engine_write(fixture, "optional.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: optional\n"
                 "spec:\n  presence: optional\n  targets:\n    - ./missing.yaml\n"
                 "    - https://example.com/catalog-info.yaml\n    - ./components/*.yaml\n");
    engine_write(fixture, "required.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: required\n"
                 "spec:\n  targets: [./missing.yaml]\n");
    engine_write(fixture, "components/shop.yaml", components_yaml);
    engine_write(fixture, "definitions/shop-api.yaml", "openapi: 3.0.0\n");
    engine_start(fixture, "{\"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"API\", "
                          "\"Location\"]}], \"locations\": ["
                          "{\"type\": \"file\", \"target\": \"@DIR@/optional.yaml\"},"
                          "{\"type\": \"file\", \"target\": \"@DIR@/required.yaml\"}]}}");
    engine_idle(fixture);

    assert_true(engine_exists(fixture, "component:default/shop"));
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state "
                         "WHERE entity_ref = 'location:default/optional'",
                         NULL);
    assert_true(errors == NULL || strcmp(errors, "[]") == 0);
    free(errors);
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state "
                         "WHERE entity_ref = 'location:default/required'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "NotFoundError"));
    assert_non_null(strstr(errors, "missing.yaml"));
    free(errors);
}

static void default_rules_reject_groups(void **state)
{
    engine_fixture *fixture = *state;
    json_t *root;
    char *errors;

    write_catalog(fixture);
    engine_start(fixture, "{\"catalog\": {\"locations\": [{\"type\": \"file\", "
                          "\"target\": \"@DIR@/root.yaml\"}]}}");
    engine_idle(fixture);

    root = engine_final(fixture, "location:default/root");
    assert_false(engine_exists(fixture, "group:default/team-a"));
    assert_false(engine_exists(fixture, "component:default/shop"));
    errors = engine_text(fixture, "SELECT errors FROM catalog_refresh_state WHERE entity_ref = ?",
                         "location:default/root");
    assert_non_null(errors);
    assert_non_null(strstr(errors, "NotAllowedError"));
    assert_non_null(strstr(errors, "group:default/team-a"));
    assert_non_null(strstr(errors, "Allow Group in catalog.rules, or in the rules of the "
                                   "catalog.locations entry of file:"));
    /* A location that never processed cleanly has no final entity, as in Backstage. */
    assert_null(root);
    free(errors);
}

static const char search_index_sql[] =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?";
static const char relations_index[] = "catalog_relations_source_entity_ref";

/* On SQLite, the first load of an empty catalog builds the key/value indexes at its end. */
static void search_index_after_first_load(void **state)
{
    engine_fixture *fixture = *state;

    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    assert_int_equal(
        engine_count(fixture, search_index_sql, "catalog_search_key_value_entity_original"), 0);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 0);
    /* The rows of an entity sit together in the table itself, ordered by its primary key. */
    assert_int_equal(engine_count(fixture, search_index_sql, "catalog_search_entity_key_value"), 0);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM pragma_index_list('catalog_search') "
                                  "WHERE origin = 'pk'",
                                  NULL),
                     1);

    engine_idle(fixture);
    assert_int_equal(
        engine_count(fixture, search_index_sql, "catalog_search_key_value_entity_original"), 1);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 1);
    /* The two indexes that it replaced and the narrower ones that those began with are gone. */
    assert_int_equal(engine_count(fixture, search_index_sql, "catalog_search_key_value_entity"), 0);
    assert_int_equal(engine_count(fixture, search_index_sql, "catalog_search_key_original"), 0);
    assert_int_equal(engine_count(fixture, search_index_sql, "catalog_search_key_value"), 0);
    assert_int_equal(engine_count(fixture, search_index_sql, "catalog_search_entity_id"), 0);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_search WHERE key = "
                                  "'metadata.name' AND value = ?",
                                  "shop"),
                     1);

    /* A restart on a loaded catalog keeps the indexes. */
    engine_start(fixture, config_all_kinds);
    assert_int_equal(
        engine_count(fixture, search_index_sql, "catalog_search_key_value_entity_original"), 1);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 1);
}

/* An engine stopped during a first load leaves the indexes built. */
static void search_index_after_stop(void **state)
{
    engine_fixture *fixture = *state;

    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    assert_int_equal(
        engine_count(fixture, search_index_sql, "catalog_search_key_value_entity_original"), 0);

    gr_catalog_free(fixture->catalog);
    fixture->catalog = NULL;
    assert_int_equal(
        engine_count(fixture, search_index_sql, "catalog_search_key_value_entity_original"), 1);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 1);
}


/* A handle that only registers locations leaves the indexes to the engine's first load. */
static void search_index_left_to_engine(void **state)
{
    engine_fixture *fixture = *state;
    char *text = engine_expand(fixture, config_all_kinds);
    json_t *config = json_loads(text, 0, NULL);
    gr_catalog_options options = {.db = fixture->db->db, .config = config,
                                  .instance_id = "registering", .registers_only = true};
    gr_catalog *other = NULL;

    assert_non_null(config);
    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    assert_int_equal(
        engine_count(fixture, search_index_sql, "catalog_search_key_value_entity_original"), 0);

    assert_int_equal(gr_catalog_new(&other, &options), GR_OK);
    gr_catalog_free(other);
    assert_int_equal(
        engine_count(fixture, search_index_sql, "catalog_search_key_value_entity_original"), 0);

    engine_idle(fixture);
    assert_int_equal(
        engine_count(fixture, search_index_sql, "catalog_search_key_value_entity_original"), 1);
    json_decref(config);
    free(text);
}

/* Runs `sql` on the write connection or fails the test. */
static void exec_sql(engine_fixture *fixture, const char *sql)
{
    gr_db_conn *conn = NULL;

    if (gr_db_acquire(fixture->db->db, GR_DB_WRITE, &conn) != GR_OK || gr_db_exec(conn, sql) != GR_OK)
        fail_msg("%s: %s", sql, gr_error_last());
    gr_db_release(conn);
}

static int64_t index_count(engine_fixture *fixture, const char *name)
{
    const char *sql = gr_db_dialect(fixture->db->db) == GR_DB_SQLITE
                          ? search_index_sql
                          : "SELECT COUNT(*) FROM pg_indexes WHERE indexname = ? "
                            "AND schemaname = current_schema()";

    return engine_count(fixture, sql, name);
}

/* Ingests the test catalog and stops the engine, leaving the database for the test. */
static void ingest_and_stop(engine_fixture *fixture)
{
    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    engine_idle(fixture);
    gr_catalog_free(fixture->catalog);
    fixture->catalog = NULL;
}

/* A loaded catalog that lacks the index of relations by source, as after a crash during a
 * first load, gets it back when the engine starts. */
static void relations_index_restored_on_start(void **state)
{
    engine_fixture *fixture = *state;

    ingest_and_stop(fixture);
    exec_sql(fixture, "DROP INDEX catalog_relations_source_entity_ref");
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 0);

    engine_start(fixture, config_all_kinds);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 1);
}

/* A catalog made with the separate key/value and original-value indexes gets the covering
 * index in their place when it is migrated again. Its filters still match. */
static void search_index_merged_on_upgrade(void **state)
{
    engine_fixture *fixture = *state;

    ingest_and_stop(fixture);
    exec_sql(fixture, "DROP INDEX catalog_search_key_value_entity_original;"
                      "CREATE INDEX catalog_search_key_value_entity"
                      " ON catalog_search (key, value, entity_id);"
                      "CREATE INDEX catalog_search_key_original"
                      " ON catalog_search (key, original_value, entity_id);"
                      "DELETE FROM schema_migrations WHERE component = 'catalog' AND version >= 8;"
                      "DELETE FROM schema_migrations WHERE component = 'catalog_api'"
                      " AND version = 4");
    assert_int_equal(index_count(fixture, "catalog_search_key_value_entity"), 1);

    assert_int_equal(gr_catalog_migrate(fixture->db->db), GR_OK);
    assert_int_equal(gr_catalog_api_migrate(fixture->db->db), GR_OK);
    assert_int_equal(index_count(fixture, "catalog_search_key_value_entity_original"), 1);
    assert_int_equal(index_count(fixture, "catalog_search_key_value_entity"), 0);
    assert_int_equal(index_count(fixture, "catalog_search_key_original"), 0);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_search WHERE key = "
                                  "'metadata.name' AND value = ?",
                                  "shop"),
                     1);
}

static const char shop_search_sql[] =
    "SELECT COUNT(*) FROM catalog_search WHERE entity_id = "
    "(SELECT entity_id FROM catalog_refresh_state WHERE entity_ref = ?)";
static const char shop_relations_sql[] =
    "SELECT COUNT(*) FROM catalog_relations WHERE originating_entity_id = "
    "(SELECT entity_id FROM catalog_refresh_state WHERE entity_ref = ?)";
static const char any_search_sql[] = "SELECT COUNT(*) FROM catalog_search WHERE entity_id = ?";
static const char any_relations_sql[] =
    "SELECT COUNT(*) FROM catalog_relations WHERE originating_entity_id = ?";

/* Foreign keys declared on `table`. */
static int64_t foreign_key_count(engine_fixture *fixture, const char *table)
{
    const char *sql = gr_db_dialect(fixture->db->db) == GR_DB_SQLITE
                          ? "SELECT COUNT(*) FROM pragma_foreign_key_list(?)"
                          : "SELECT COUNT(*) FROM information_schema.table_constraints "
                            "WHERE constraint_type = 'FOREIGN KEY' AND table_name = ? "
                            "AND table_schema = current_schema()";

    return engine_count(fixture, sql, table);
}

/*
 * Deletes the refresh-state row of shop with `delete_sql`, as DELETE /entities/by-uid does, and
 * checks that its search rows and the relations it emitted went with it, through the delete
 * triggers that replace the foreign keys of catalog_search and catalog_relations.
 */
static void delete_shop_with(engine_fixture *fixture, const char *delete_sql)
{
    char *shop_id = NULL;
    gr_db_conn *conn = NULL;

    assert_int_equal(gr_db_acquire(fixture->db->db, GR_DB_READ, &conn), GR_OK);
    assert_int_equal(gr_catalog__query_text(conn, &shop_id,
                                            "SELECT entity_id FROM catalog_refresh_state "
                                            "WHERE entity_ref = ?",
                                            "s", "component:default/shop"),
                     GR_OK);
    gr_db_release(conn);
    assert_true(engine_count(fixture, shop_search_sql, "component:default/shop") > 10);
    assert_true(engine_count(fixture, shop_relations_sql, "component:default/shop") >= 4);

    exec_sql(fixture, delete_sql);

    assert_int_equal(engine_count(fixture, any_search_sql, shop_id), 0);
    assert_int_equal(engine_count(fixture, any_relations_sql, shop_id), 0);
    assert_true(engine_count(fixture, shop_search_sql, "api:default/shop-api") > 10);
    free(shop_id);
}

static void delete_shop_and_check_cascades(engine_fixture *fixture)
{
    delete_shop_with(fixture, "DELETE FROM catalog_refresh_state "
                              "WHERE entity_ref = 'component:default/shop'");
}

/* The search rows and relations carry no foreign key, and deleting an entity still deletes
 * its search rows and the relations it emitted. */
static void cascades_without_foreign_keys(void **state)
{
    engine_fixture *fixture = *state;

    ingest_and_stop(fixture);

    assert_int_equal(foreign_key_count(fixture, "catalog_search"), 0);
    assert_int_equal(foreign_key_count(fixture, "catalog_relations"), 0);
    assert_int_equal(foreign_key_count(fixture, "catalog_final_entities"), 1);
    delete_shop_and_check_cascades(fixture);
}

/* Puts back the foreign keys of catalog_search and catalog_relations that catalogs made before
 * migration 9 have, with their rows, and removes the record of that migration. */
static void restore_foreign_keys(engine_fixture *fixture)
{
    if (gr_db_dialect(fixture->db->db) == GR_DB_SQLITE) {
        exec_sql(fixture,
                 "DROP TRIGGER catalog_search_follows_final_entities;"
                 "DROP TRIGGER catalog_relations_follow_refresh_state;"
                 "CREATE TABLE search_before (entity_id TEXT NOT NULL REFERENCES "
                 "catalog_final_entities (entity_id) ON DELETE CASCADE, key TEXT NOT NULL, "
                 "original_value TEXT, value TEXT);"
                 "INSERT INTO search_before SELECT entity_id, key, original_value, value "
                 "FROM catalog_search;"
                 "DROP TABLE catalog_search;"
                 "ALTER TABLE search_before RENAME TO catalog_search;"
                 "CREATE TABLE relations_before (originating_entity_id TEXT NOT NULL REFERENCES "
                 "catalog_refresh_state (entity_id) ON DELETE CASCADE, source_entity_ref TEXT "
                 "NOT NULL, type TEXT NOT NULL, target_entity_ref TEXT NOT NULL);"
                 "INSERT INTO relations_before SELECT originating_entity_id, source_entity_ref, "
                 "type, target_entity_ref FROM catalog_relations;"
                 "DROP TABLE catalog_relations;"
                 "ALTER TABLE relations_before RENAME TO catalog_relations;");
    } else {
        exec_sql(fixture,
                 "DROP TRIGGER catalog_search_follows_final_entities ON catalog_final_entities;"
                 "DROP TRIGGER catalog_relations_follow_refresh_state ON catalog_refresh_state;"
                 "ALTER TABLE catalog_search ADD FOREIGN KEY (entity_id) REFERENCES "
                 "catalog_final_entities (entity_id) ON DELETE CASCADE;"
                 "ALTER TABLE catalog_relations ADD FOREIGN KEY (originating_entity_id) "
                 "REFERENCES catalog_refresh_state (entity_id) ON DELETE CASCADE;");
    }
    exec_sql(fixture, "DELETE FROM schema_migrations WHERE component = 'catalog' AND version >= 9");
}

/* A catalog made before migration 9 keeps every search row and relation through it, loses the
 * two foreign keys and gets the triggers in their place, with its indexes. */
static void cascades_as_triggers_on_upgrade(void **state)
{
    engine_fixture *fixture = *state;
    int64_t search_rows, relations;

    ingest_and_stop(fixture);
    search_rows = engine_count(fixture, "SELECT COUNT(*) FROM catalog_search", NULL);
    relations = engine_count(fixture, "SELECT COUNT(*) FROM catalog_relations", NULL);
    restore_foreign_keys(fixture);
    assert_int_equal(foreign_key_count(fixture, "catalog_search"), 1);
    assert_int_equal(foreign_key_count(fixture, "catalog_relations"), 1);

    assert_int_equal(gr_catalog_migrate(fixture->db->db), GR_OK);
    assert_int_equal(foreign_key_count(fixture, "catalog_search"), 0);
    assert_int_equal(foreign_key_count(fixture, "catalog_relations"), 0);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_search", NULL),
                     search_rows);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_relations", NULL),
                     relations);
    assert_int_equal(index_count(fixture, "catalog_search_key_value_entity_original"), 1);
    assert_int_equal(index_count(fixture, "catalog_search_entity_key_value"),
                     gr_db_dialect(fixture->db->db) == GR_DB_SQLITE ? 0 : 1);
    assert_int_equal(index_count(fixture, "catalog_relations_source_entity_ref"), 1);
    assert_int_equal(index_count(fixture, "catalog_relations_originating_entity_id"), 1);
    delete_shop_and_check_cascades(fixture);
}

static const char search_snapshot_sql[] =
    "SELECT entity_id || '|' || key || '|' || COALESCE(original_value, '~') || '|' || "
    "COALESCE(value, '~') FROM catalog_search ORDER BY 1";
static const char ordinal_clash_sql[] =
    "SELECT COUNT(*) FROM (SELECT entity_id, key, ordinal FROM catalog_search "
    "GROUP BY entity_id, key, ordinal HAVING COUNT(*) > 1) clashes";

/* Puts back the search table of a catalog made before engine migration 10: no ordinal. */
static void restore_unnumbered_search(engine_fixture *fixture)
{
    if (gr_db_dialect(fixture->db->db) == GR_DB_SQLITE)
        exec_sql(fixture,
                 "DROP TRIGGER catalog_search_follows_final_entities;"
                 "CREATE TABLE search_before (entity_id TEXT NOT NULL, key TEXT NOT NULL, "
                 "original_value TEXT, value TEXT);"
                 "INSERT INTO search_before SELECT entity_id, key, original_value, value "
                 "FROM catalog_search;"
                 "DROP TABLE catalog_search;"
                 "ALTER TABLE search_before RENAME TO catalog_search;"
                 "CREATE INDEX catalog_search_entity_key_value "
                 "ON catalog_search (entity_id, key, value);"
                 "CREATE INDEX catalog_search_key_value_entity_original "
                 "ON catalog_search (key, value, entity_id, original_value);"
                 "CREATE TRIGGER catalog_search_follows_final_entities AFTER DELETE ON "
                 "catalog_final_entities BEGIN DELETE FROM catalog_search "
                 "WHERE entity_id = old.entity_id; END;");
    else
        exec_sql(fixture, "ALTER TABLE catalog_search DROP COLUMN ordinal");
    exec_sql(fixture, "DELETE FROM schema_migrations WHERE component = 'catalog' AND version >= 10;"
                      "DELETE FROM schema_migrations WHERE component = 'catalog_api'"
                      " AND version >= 5");
}

/*
 * A catalog made before engine migration 10 keeps every search row through it, and each row
 * gets a number that no other row of its entity and key has. On SQLite the table is then
 * ordered by entity, key and number, and the index by entity goes.
 */
static void search_rows_numbered_on_upgrade(void **state)
{
    engine_fixture *fixture = *state;
    bool sqlite = gr_db_dialect(fixture->db->db) == GR_DB_SQLITE;
    char *before, *after;

    ingest_and_stop(fixture);
    before = engine_join(fixture, search_snapshot_sql);
    restore_unnumbered_search(fixture);
    assert_int_equal(index_count(fixture, "catalog_search_entity_key_value"), 1);

    assert_int_equal(gr_catalog_migrate(fixture->db->db), GR_OK);
    assert_int_equal(gr_catalog_api_migrate(fixture->db->db), GR_OK);
    after = engine_join(fixture, search_snapshot_sql);
    assert_string_equal(after, before);
    assert_true(strlen(after) > 0);
    assert_int_equal(engine_count(fixture, ordinal_clash_sql, NULL), 0);
    assert_int_equal(
        engine_count(fixture, "SELECT COUNT(*) FROM catalog_search WHERE ordinal IS NULL", NULL),
        0);
    assert_int_equal(index_count(fixture, "catalog_search_entity_key_value"), sqlite ? 0 : 1);
    if (sqlite)
        assert_int_equal(engine_count(fixture,
                                      "SELECT COUNT(*) FROM pragma_index_list('catalog_search') "
                                      "WHERE origin = 'pk'",
                                      NULL),
                         1);
    free(before);
    free(after);
}

/* Counts the search rows of the shop component's `tag`: metadata.tags = tag and
 * metadata.tags.<tag> = true. */
static int64_t shop_tag_rows(engine_fixture *fixture, const char *tag)
{
    char *sql = gr_xasprintf("SELECT COUNT(*) FROM catalog_search WHERE (key = 'metadata.tags' "
                             "AND value = '%s' OR key = 'metadata.tags.%s') AND entity_id = "
                             "(SELECT entity_id FROM catalog_final_entities WHERE entity_ref = ?)",
                             tag, tag);
    int64_t rows = engine_count(fixture, sql, "component:default/shop");

    free(sql);
    return rows;
}

/* Writes the shop component's file and waits until it is stitched again. */
static void retag_shop(engine_fixture *fixture, const char *shop_yaml)
{
    engine_write(fixture, "components/shop.yaml", shop_yaml);
    assert_int_equal(gr_catalog_refresh(fixture->catalog, "component:default/shop"), GR_OK);
    engine_idle(fixture);
}

/*
 * A stitch that adds one search row to an entity and keeps the others gives the new row a
 * number that the entity's rows of that key do not use yet. The new tag sorts before the
 * two stored ones, so numbering it by its place among the rows would reuse the first tag's.
 */
static void search_row_added_with_new_ordinal(void **state)
{
    engine_fixture *fixture = *state;
    int64_t rows_before;

    ingest_and_stop(fixture);
    rows_before = engine_count(fixture, shop_search_sql, "component:default/shop");
    engine_start(fixture, config_all_kinds);
    retag_shop(fixture, COMPONENTS_YAML("[java, web, go]"));

    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_search WHERE key = "
                                  "'metadata.tags' AND value = ?",
                                  "go"),
                     1);
    /* metadata.tags = go and metadata.tags.go = true */
    assert_int_equal(engine_count(fixture, shop_search_sql, "component:default/shop"),
                     rows_before + 2);
    assert_int_equal(engine_count(fixture, ordinal_clash_sql, NULL), 0);
}

/*
 * A tag that goes away loses both of its search rows, and the other rows stay. This is true of
 * rows that store the original value only where it differs from the lower-cased value, as the
 * engine writes them now, and for rows that store it in every row, as earlier versions did.
 */
static void search_rows_updated_in_both_layouts(void **state)
{
    engine_fixture *fixture = *state;
    int64_t rows_before;

    ingest_and_stop(fixture);
    rows_before = engine_count(fixture, shop_search_sql, "component:default/shop");
    assert_int_equal(shop_tag_rows(fixture, "web"), 2);
    engine_start(fixture, config_all_kinds);

    retag_shop(fixture, COMPONENTS_YAML("[java]"));
    assert_int_equal(shop_tag_rows(fixture, "web"), 0);
    assert_int_equal(engine_count(fixture, shop_search_sql, "component:default/shop"),
                     rows_before - 2);

    exec_sql(fixture, "UPDATE catalog_search SET original_value = value "
                      "WHERE original_value IS NULL AND value IS NOT NULL");
    retag_shop(fixture, COMPONENTS_YAML("[]"));
    assert_int_equal(shop_tag_rows(fixture, "java"), 0);
    assert_int_equal(engine_count(fixture, shop_search_sql, "component:default/shop"),
                     rows_before - 4);
    assert_int_equal(engine_count(fixture, ordinal_clash_sql, NULL), 0);
}

/*
 * An entity deleted after its stitch was computed and before it was written gets no final
 * entity, no search rows and no history row, and its stitch is not retried. A trigger deletes
 * the component when its stitch takes its queue row, inside the transaction that writes it.
 */
static void stitch_skips_entity_deleted_meanwhile(void **state)
{
    engine_fixture *fixture = *state;
    int64_t history_before;

    ingest_and_stop(fixture);
    exec_sql(fixture, "CREATE TRIGGER delete_shop AFTER DELETE ON catalog_stitch_queue "
                      "WHEN old.entity_ref = 'component:default/shop' BEGIN "
                      "DELETE FROM catalog_refresh_state WHERE entity_ref = old.entity_ref; END");
    history_before = engine_count(fixture, "SELECT COUNT(*) FROM catalog_history", NULL);
    engine_start(fixture, config_all_kinds);
    retag_shop(fixture, COMPONENTS_YAML("[java, web, go]"));

    assert_null(engine_final(fixture, "component:default/shop"));
    assert_int_equal(engine_count(fixture, shop_search_sql, "component:default/shop"), 0);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_stitch_queue", NULL), 0);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_history", NULL),
                     history_before);
}

/*
 * A session whose search_path leaves out the catalog's schema still deletes an entity's search
 * rows and relations with it, as the foreign keys did. An administrator's psql is such a
 * session when the connection URL puts the catalog in its own schema.
 */
static void cascades_with_other_search_path(void **state)
{
    engine_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    char *schema = NULL;
    char *sql;

    ingest_and_stop(fixture);
    assert_int_equal(gr_db_acquire(fixture->db->db, GR_DB_READ, &conn), GR_OK);
    assert_int_equal(gr_catalog__query_text(conn, &schema, "SELECT current_schema()", NULL),
                     GR_OK);
    gr_db_release(conn);

    sql = gr_xasprintf("BEGIN; SET LOCAL search_path TO pg_catalog; "
                       "DELETE FROM \"%s\".catalog_refresh_state "
                       "WHERE entity_ref = 'component:default/shop'; COMMIT",
                       schema);
    delete_shop_with(fixture, sql);
    free(sql);
    free(schema);
}

typedef struct {
    gr_catalog *catalog;
    const char *uid;
    int rc;
    char error[GR_ERROR_MAX]; /* the delete's error message */
} entity_delete_call;

static void *entity_delete_thread(void *payload)
{
    entity_delete_call *call = payload;

    call->rc = gr_catalog_delete_entity(call->catalog, call->uid);
    snprintf(call->error, sizeof(call->error), "%s", gr_error_last());
    return NULL;
}

/* Waits until a PostgreSQL backend waits for a lock of the backend `holder_pid`, for 10 s. */
static void wait_blocked_by(gr_db *db, int64_t holder_pid)
{
    gr_db_conn *watch = NULL;
    int64_t blocked = 0;

    assert_int_equal(gr_db_acquire(db, GR_DB_READ, &watch), GR_OK);
    for (int waited = 0; waited < 10000 && blocked == 0; waited += 20) {
        assert_int_equal(gr_db_query_int64(watch,
                                           "SELECT count(*) FROM pg_stat_activity "
                                           "WHERE ? = ANY (pg_blocking_pids(pid))",
                                           &holder_pid, 1, &blocked),
                         GR_OK);
        if (blocked == 0)
            poll(NULL, 0, 20);
    }
    gr_db_release(watch);
    if (blocked == 0)
        fail_msg("no transaction waited for the test's transaction within 10 s");
}

/*
 * A delete that PostgreSQL aborts to break a deadlock runs again and succeeds. The test's
 * transaction holds team-a's stitch queue row, which deleting shop marks for stitching, and
 * then updates shop's parent, whose row the delete locked first. The test's transaction waits
 * with a deadlock_timeout of 30 s, so PostgreSQL aborts the delete after its own 1 s.
 */
static void delete_retried_after_deadlock(void **state)
{
    engine_fixture *fixture = *state;
    entity_delete_call call = {0};
    gr_db *other = NULL;
    gr_db_conn *holder = NULL;
    pthread_t thread;
    int64_t holder_pid = 0;
    char *uid, *parent, *sql;

    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    engine_idle(fixture);
    uid = engine_text(fixture, "SELECT entity_id FROM catalog_refresh_state WHERE entity_ref = ?",
                      "component:default/shop");
    parent = engine_text(fixture,
                         "SELECT source_entity_ref FROM catalog_refs WHERE target_entity_ref = ?",
                         "component:default/shop");
    assert_non_null(uid);
    assert_non_null(parent);

    assert_int_equal(db_fixture_open(fixture->db, 2, &other), GR_OK);
    assert_int_equal(gr_db_acquire(other, GR_DB_WRITE, &holder), GR_OK);
    assert_int_equal(gr_db_begin(holder), GR_OK);
    assert_int_equal(gr_db_exec(holder, "SET LOCAL deadlock_timeout = '30s';"
                                        "INSERT INTO catalog_stitch_queue (entity_ref, ticket, "
                                        "next_stitch_at) VALUES ('group:default/team-a', 'held', 0) "
                                        "ON CONFLICT (entity_ref) DO UPDATE SET ticket = 'held'"),
                     GR_OK);
    assert_int_equal(gr_db_query_int64(holder, "SELECT pg_backend_pid()", NULL, 0, &holder_pid),
                     GR_OK);
    call = (entity_delete_call){.catalog = fixture->catalog, .uid = uid, .rc = -1};
    assert_int_equal(pthread_create(&thread, NULL, entity_delete_thread, &call), 0);
    wait_blocked_by(other, holder_pid);

    /* Waits for the delete until PostgreSQL aborts it. */
    sql = gr_xasprintf("UPDATE catalog_refresh_state SET next_update_at = next_update_at "
                       "WHERE entity_ref = '%s'",
                       parent);
    assert_int_equal(gr_db_exec(holder, sql), GR_OK);
    assert_int_equal(gr_db_commit(holder), GR_OK);
    gr_db_release(holder);
    pthread_join(thread, NULL);

    if (call.rc != GR_OK)
        fail_msg("the delete failed: %s", call.error);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_refresh_state WHERE entity_id = ?",
                                  uid),
                     0);
    gr_db_close(other);
    free(sql);
    free(parent);
    free(uid);
}

typedef struct {
    gr_catalog *catalog;
    int rc;
} refresh_call;

static void *refresh_thread(void *payload)
{
    refresh_call *call = payload;

    call->rc = gr_catalog_refresh(call->catalog, "component:default/shop");
    return NULL;
}

/*
 * A refresh makes the entity's Location ancestors due from the root down and the entity last,
 * the order in which processing a location updates its own row and then its children's. While
 * another transaction holds the parent location's row, the waiting refresh holds no lock on
 * the entity's row, so that transaction can still take it, and the two cannot deadlock.
 */
static void refresh_locks_parents_first(void **state)
{
    engine_fixture *fixture = *state;
    refresh_call call = {0};
    gr_db *other = NULL;
    gr_db_conn *holder = NULL, *probe = NULL;
    pthread_t thread;
    int64_t holder_pid = 0;
    int probe_rc;
    char probe_error[GR_ERROR_MAX];
    char *parent, *sql;

    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    engine_idle(fixture);
    parent = engine_text(fixture,
                         "SELECT source_entity_ref FROM catalog_refs WHERE target_entity_ref = ?",
                         "component:default/shop");
    assert_non_null(parent);
    assert_int_equal(strncmp(parent, "location:", 9), 0);

    assert_int_equal(db_fixture_open(fixture->db, 2, &other), GR_OK);
    assert_int_equal(gr_db_acquire(other, GR_DB_WRITE, &holder), GR_OK);
    assert_int_equal(gr_db_begin(holder), GR_OK);
    sql = gr_xasprintf("UPDATE catalog_refresh_state SET next_update_at = next_update_at "
                       "WHERE entity_ref = '%s'",
                       parent);
    assert_int_equal(gr_db_exec(holder, sql), GR_OK);
    assert_int_equal(gr_db_query_int64(holder, "SELECT pg_backend_pid()", NULL, 0, &holder_pid),
                     GR_OK);
    call = (refresh_call){.catalog = fixture->catalog, .rc = -1};
    assert_int_equal(pthread_create(&thread, NULL, refresh_thread, &call), 0);
    wait_blocked_by(other, holder_pid);

    assert_int_equal(gr_db_acquire(other, GR_DB_WRITE, &probe), GR_OK);
    assert_int_equal(gr_db_begin(probe), GR_OK);
    probe_rc = gr_db_exec(probe, "SELECT 1 FROM catalog_refresh_state "
                                 "WHERE entity_ref = 'component:default/shop' FOR UPDATE NOWAIT");
    snprintf(probe_error, sizeof(probe_error), "%s", gr_error_last());
    gr_db_rollback(probe);
    gr_db_release(probe);

    /* The refresh finishes in both cases, so a failure does not leave it waiting. */
    assert_int_equal(gr_db_commit(holder), GR_OK);
    gr_db_release(holder);
    pthread_join(thread, NULL);
    if (probe_rc != GR_OK)
        fail_msg("the waiting refresh held the entity's row: %s", probe_error);
    assert_int_equal(call.rc, GR_OK);
    gr_db_close(other);
    free(sql);
    free(parent);
}

/* Makes every write of a processed team-a fail, as a deadlock or a lost connection would. */
static void fail_team_a_writes(engine_fixture *fixture)
{
    if (gr_db_dialect(fixture->db->db) == GR_DB_SQLITE)
        exec_sql(fixture, "CREATE TRIGGER fail_team_a BEFORE UPDATE ON catalog_refresh_state "
                          "WHEN new.entity_ref = 'group:default/team-a' AND "
                          "new.processed_entity IS NOT NULL "
                          "BEGIN SELECT RAISE(ABORT, 'injected write failure'); END");
    else
        exec_sql(fixture, "CREATE FUNCTION fail_team_a() RETURNS trigger LANGUAGE plpgsql AS $$ "
                          "BEGIN IF NEW.entity_ref = 'group:default/team-a' AND "
                          "NEW.processed_entity IS NOT NULL THEN "
                          "RAISE EXCEPTION 'injected write failure'; END IF; RETURN NEW; END $$;"
                          "CREATE TRIGGER fail_team_a BEFORE UPDATE ON catalog_refresh_state "
                          "FOR EACH ROW EXECUTE FUNCTION fail_team_a()");
}

/*
 * A batch whose results cannot be written gives its rows back at once, due
 * again after GR_CATALOG_RETRY_MS, instead of keeping them leased for
 * GR_CATALOG_LEASE_MS (two minutes). Once writes work again, the entity is
 * processed and stitched within seconds.
 */
static void failed_write_retried_soon(void **state)
{
    static const char released_sql[] =
        "SELECT COUNT(*) FROM catalog_refresh_state WHERE entity_ref = ? AND "
        "lease_until IS NULL AND processed_entity IS NULL AND "
        "next_update_at > last_discovery_at AND next_update_at < last_discovery_at + 60000";
    static const char final_sql[] =
        "SELECT COUNT(*) FROM catalog_final_entities WHERE entity_ref = ?";
    engine_fixture *fixture = *state;
    bool stitched = false;

    assert_int_equal(gr_catalog_migrate(fixture->db->db), GR_OK);
    fail_team_a_writes(fixture);
    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    assert_int_not_equal(gr_catalog_wait_idle(fixture->catalog, ENGINE_IDLE_TIMEOUT_MS), GR_OK);
    assert_int_equal(engine_count(fixture, released_sql, "group:default/team-a"), 1);

    if (gr_db_dialect(fixture->db->db) == GR_DB_SQLITE)
        exec_sql(fixture, "DROP TRIGGER fail_team_a");
    else
        exec_sql(fixture, "DROP TRIGGER fail_team_a ON catalog_refresh_state");
    for (int waited = 0; waited < 20000 && !stitched; waited += 200) {
        usleep(200 * 1000);
        assert_int_equal(gr_catalog_wait_idle(fixture->catalog, ENGINE_IDLE_TIMEOUT_MS), GR_OK);
        stitched = engine_count(fixture, final_sql, "group:default/team-a") == 1;
    }
    if (!stitched)
        fail_msg("team-a was not stitched within 20 s after writes worked again");
}

/*
 * A processing result and a stitch that PostgreSQL aborts as deadlock victims are stored by
 * their next attempt: the engine goes idle without a failed round, and team-a is stitched.
 * The triggers abort the first write of each through a sequence, which a rollback does not
 * reset.
 */
static void aborted_writes_run_again(void **state)
{
    engine_fixture *fixture = *state;

    assert_int_equal(gr_catalog_migrate(fixture->db->db), GR_OK);
    exec_sql(fixture,
             "CREATE SEQUENCE abort_processing; CREATE SEQUENCE abort_stitch;"
             "CREATE FUNCTION abort_team_a_once() RETURNS trigger LANGUAGE plpgsql AS $$ "
             "BEGIN IF nextval(TG_ARGV[0]::regclass) = 1 THEN "
             "RAISE EXCEPTION 'injected deadlock' USING ERRCODE = '40P01'; END IF; "
             "RETURN NEW; END $$;"
             "CREATE TRIGGER abort_processing BEFORE UPDATE ON catalog_refresh_state "
             "FOR EACH ROW WHEN (NEW.entity_ref = 'group:default/team-a' AND "
             "NEW.processed_entity IS NOT NULL) "
             "EXECUTE FUNCTION abort_team_a_once('abort_processing');"
             "CREATE TRIGGER abort_stitch BEFORE INSERT ON catalog_final_entities "
             "FOR EACH ROW WHEN (NEW.entity_ref = 'group:default/team-a') "
             "EXECUTE FUNCTION abort_team_a_once('abort_stitch')");
    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    engine_idle(fixture);

    assert_true(engine_exists(fixture, "group:default/team-a"));
    assert_int_equal(engine_count(fixture, "SELECT last_value FROM abort_processing", NULL), 2);
    assert_int_equal(engine_count(fixture, "SELECT last_value FROM abort_stitch", NULL), 2);
}

/* Creates abort_once(sequence), a trigger function that raises a deadlock (40P01) when the
 * sequence named by its argument is first used, and passes every later call. */
static void create_abort_once(engine_fixture *fixture)
{
    exec_sql(fixture, "CREATE FUNCTION abort_once() RETURNS trigger LANGUAGE plpgsql AS $$ "
                      "BEGIN IF nextval(TG_ARGV[0]::regclass) = 1 THEN "
                      "RAISE EXCEPTION 'injected deadlock' USING ERRCODE = '40P01'; END IF; "
                      "RETURN NEW; END $$");
}

/* A refresh that PostgreSQL aborts as a deadlock victim runs again and succeeds. */
static void refresh_aborted_runs_again(void **state)
{
    engine_fixture *fixture = *state;

    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    engine_idle(fixture);
    create_abort_once(fixture);
    exec_sql(fixture, "CREATE SEQUENCE abort_refresh;"
                      "CREATE TRIGGER abort_refresh BEFORE UPDATE ON catalog_refresh_state "
                      "FOR EACH ROW WHEN (NEW.pending_cause = 'user:tester') "
                      "EXECUTE FUNCTION abort_once('abort_refresh')");

    assert_int_equal(gr_catalog_refresh_as(fixture->catalog, "component:default/shop", "tester"),
                     GR_OK);
    assert_true(engine_count(fixture, "SELECT last_value FROM abort_refresh", NULL) >= 2);
    engine_idle(fixture);
}

/*
 * A batch whose results cannot be written gives its leases back even when PostgreSQL aborts
 * the first release as a deadlock victim: the release runs again, and team-a is due within
 * GR_CATALOG_RETRY_MS instead of leased for GR_CATALOG_LEASE_MS.
 */
static void release_aborted_runs_again(void **state)
{
    static const char released_sql[] =
        "SELECT COUNT(*) FROM catalog_refresh_state WHERE entity_ref = ? AND "
        "lease_until IS NULL AND processed_entity IS NULL AND "
        "next_update_at > last_discovery_at AND next_update_at < last_discovery_at + 60000";
    engine_fixture *fixture = *state;

    assert_int_equal(gr_catalog_migrate(fixture->db->db), GR_OK);
    fail_team_a_writes(fixture);
    create_abort_once(fixture);
    exec_sql(fixture, "CREATE SEQUENCE abort_release;"
                      "CREATE TRIGGER abort_release BEFORE UPDATE ON catalog_refresh_state "
                      "FOR EACH ROW WHEN (NEW.entity_ref = 'group:default/team-a' AND "
                      "NEW.processed_entity IS NULL AND OLD.lease_owner IS NOT NULL AND "
                      "NEW.lease_owner IS NULL) "
                      "EXECUTE FUNCTION abort_once('abort_release')");
    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    assert_int_not_equal(gr_catalog_wait_idle(fixture->catalog, ENGINE_IDLE_TIMEOUT_MS), GR_OK);

    assert_int_equal(engine_count(fixture, released_sql, "group:default/team-a"), 1);
    assert_true(engine_count(fixture, "SELECT last_value FROM abort_release", NULL) >= 2);
}

/* Writes bulk.yaml with one Group and `count` Components that it owns. */
static void write_bulk(engine_fixture *fixture, int count)
{
    gr_buf text = GR_BUF_INIT;

    gr_buf_puts(&text, "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n"
                       "  name: owners\nspec:\n  type: team\n  children: []\n");
    for (int i = 0; i < count; i++)
        gr_buf_printf(&text,
                      "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                      "  name: bulk-%04d\nspec:\n  type: service\n  lifecycle: production\n"
                      "  owner: owners\n",
                      i);
    engine_write(fixture, "bulk.yaml", text.data);
    gr_buf_free(&text);
}

static const char config_bulk[] =
    "{\"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"Group\", \"Location\"]}],"
    " \"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/bulk.yaml\"}]}}";

static int64_t final_count(const engine_fixture *fixture)
{
    return engine_count(fixture, "SELECT COUNT(*) FROM catalog_final_entities", NULL);
}

/* Makes every stitch mark due now. */
static void marks_due(engine_fixture *fixture)
{
    db_fixture_exec(fixture->db->db, "UPDATE catalog_stitch_queue SET next_stitch_at = 0");
}

/*
 * During the first load of an empty SQLite catalog, a worker that processed a full batch of
 * new rows does not stitch, even marks that are due. Rows processed again end the wait, so a
 * refresh interval shorter than the load cannot keep entities from being stitched.
 */
static void first_load_stitches_after_full_batches(void **state)
{
    engine_fixture *fixture = *state;
    bool did_work = false;
    int64_t before;

    write_bulk(fixture, GR_CATALOG_PROCESS_BATCH * 2 + 100);
    fixture->catalog = engine_open(fixture, config_bulk, "test-instance");

    /* The Location, then a full batch of new rows. */
    assert_int_equal(gr_catalog__work_once(fixture->catalog, NULL, &did_work), GR_OK);
    assert_int_equal(gr_catalog__work_once(fixture->catalog, NULL, &did_work), GR_OK);
    before = final_count(fixture);

    /* Another full batch of new rows: the marks of the first are due but wait. */
    marks_due(fixture);
    assert_int_equal(gr_catalog__work_once(fixture->catalog, NULL, &did_work), GR_OK);
    assert_true(did_work);
    assert_int_equal(final_count(fixture), before);

    /* A full batch of rows processed before is followed by a stitch. */
    db_fixture_exec(fixture->db->db, "UPDATE catalog_refresh_state SET next_update_at = 0 "
                                     "WHERE result_hash IS NOT NULL");
    marks_due(fixture);
    assert_int_equal(gr_catalog__work_once(fixture->catalog, NULL, &did_work), GR_OK);
    assert_true(final_count(fixture) > before);

    engine_idle(fixture);
    assert_int_equal(final_count(fixture), GR_CATALOG_PROCESS_BATCH * 2 + 100 + 2);
}

/* Search rows keep the original value only where it differs from the lower-cased value. */
static void search_rows_keep_original_when_it_differs(void **state)
{
    engine_fixture *fixture = *state;

    write_catalog(fixture);
    engine_start(fixture, config_all_kinds);
    engine_idle(fixture);

    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_search "
                                  "WHERE original_value = value",
                                  NULL),
                     0);
    assert_true(engine_count(fixture,
                             "SELECT COUNT(*) FROM catalog_search "
                             "WHERE original_value IS NULL AND value IS NOT NULL",
                             NULL) > 0);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_search WHERE key = 'kind' "
                                  "AND value = 'component' AND original_value = 'Component'",
                                  NULL),
                     engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_final_entities "
                                  "WHERE kind = 'component'",
                                  NULL));
}

/* Flushes one mark of `ref` with `cause` through the catalog's write connection. */
static void mark_once(engine_fixture *fixture, const char *ref, const char *cause)
{
    gr_catalog_marks marks = {0};
    gr_db_conn *conn = NULL;

    gr_catalog__marks_push(&marks, ref, cause);
    assert_int_equal(gr_db_acquire(fixture->db->db, GR_DB_WRITE, &conn), GR_OK);
    assert_int_equal(gr_db_begin(conn), GR_OK);
    assert_int_equal(gr_catalog__marks_flush(fixture->catalog, conn, &marks), GR_OK);
    assert_int_equal(gr_db_commit(conn), GR_OK);
    gr_db_release(conn);
    gr_catalog__marks_free(&marks);
}

/* Writes a processing result's entity, errors and relations as one line of text. */
static char *result_text(const gr_catalog_result *result)
{
    char *entity = result->entity ? json_dumps(result->entity, JSON_COMPACT | JSON_SORT_KEYS)
                                   : strdup("null");
    char *errors = json_dumps(result->errors, JSON_COMPACT);
    gr_buf text = GR_BUF_INIT;

    gr_buf_printf(&text, "ok=%d entity=%s errors=%s", result->ok, entity, errors);
    for (size_t i = 0; i < result->relation_count; i++)
        gr_buf_printf(&text, " %s %s %s", result->relations[i].source, result->relations[i].type,
                      result->relations[i].target);
    free(entity);
    free(errors);
    return gr_buf_detach(&text);
}

/*
 * Processing an entity in place gives what processing a copy gives: an
 * entity from a URL location, whose annotations processing extends, one
 * that fails validation, one without location annotations and one that
 * fails the envelope check.
 */
static void process_in_place_matches_copy(void **state)
{
    static const char *const entities[] = {
        "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":"
        "{\"name\":\"a\",\"annotations\":{\"backstage.io/managed-by-location\":\"url:https://"
        "example.com/blob/main/catalog-info.yaml\",\"backstage.io/managed-by-origin-location\":"
        "\"url:https://example.com/blob/main/catalog-info.yaml\"}},\"spec\":{\"type\":\"service\","
        "\"lifecycle\":\"production\",\"owner\":\"team-a\",\"dependsOn\":[\"resource:z\","
        "\"resource:b\"],\"system\":\"s\"}}",
        "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":"
        "{\"name\":\"b\",\"annotations\":{\"backstage.io/managed-by-location\":\"file:/tmp/x.yaml\","
        "\"backstage.io/managed-by-origin-location\":\"file:/tmp/x.yaml\"}},\"spec\":{\"type\":"
        "\"service\",\"lifecycle\":\"production\"}}",
        "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\",\"metadata\":"
        "{\"name\":\"c\"},\"spec\":{\"type\":\"team\",\"children\":[]}}",
        "{\"kind\":\"Group\"}",
    };
    engine_fixture *fixture = *state;

    fixture->catalog = engine_open(fixture, NULL, "test-instance");
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
        json_t *entity = json_loads(entities[i], 0, NULL);
        gr_catalog_result copied;
        gr_catalog_result owned;
        char *expected;
        char *got;

        assert_non_null(entity);
        gr_catalog__process(fixture->catalog, entity, &copied);
        gr_catalog__process_owned(fixture->catalog, json_incref(entity), &owned);
        expected = result_text(&copied);
        got = result_text(&owned);
        assert_string_equal(got, expected);
        assert_int_equal(copied.ok, i == 0);
        free(expected);
        free(got);
        gr_catalog__result_free(&copied);
        gr_catalog__result_free(&owned);
        json_decref(entity);
    }
}

/*
 * While stitch batches come full, each write leases the next batch, so one call stores up to
 * GR_CATALOG_STITCH_ROUNDS batches and then leaves the rest. Queue rows of refs without an
 * entity are only taken off the queue, which keeps the batches cheap.
 */
static void stitch_leases_next_full_batch_in_write(void **state)
{
    static const char count_sql[] = "SELECT COUNT(*) FROM catalog_stitch_queue";
    const int64_t rounds_rows = (int64_t)GR_CATALOG_STITCH_ROUNDS * GR_CATALOG_STITCH_BATCH;
    engine_fixture *fixture = *state;
    bool did_work = false;
    char sql[512];

    fixture->catalog = engine_open(fixture, NULL, "test-instance");
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %lld) "
             "INSERT INTO catalog_stitch_queue (entity_ref, ticket, next_stitch_at, cause) "
             "SELECT 'component:default/ghost-' || i, 'queued', 0, 'test' FROM n",
             (long long)(rounds_rows + 5));
    exec_sql(fixture, sql);

    assert_int_equal(gr_catalog__stitch_batch(fixture->catalog, gr_catalog__now_ms(), &did_work),
                     GR_OK);
    assert_true(did_work);
    assert_int_equal(engine_count(fixture, count_sql, NULL), 5);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_stitch_queue "
                                  "WHERE lease_owner IS NOT NULL",
                                  NULL),
                     0);

    assert_int_equal(gr_catalog__stitch_batch(fixture->catalog, gr_catalog__now_ms(), &did_work),
                     GR_OK);
    assert_int_equal(engine_count(fixture, count_sql, NULL), 0);
}

/*
 * A mark of a queued row that no stitch has leased leaves the row as it is, except for a
 * missing cause. A mark of a leased row gives it a new ticket and the new cause, so the stitch
 * that leased it does not take it off the queue.
 */
static void mark_rewrites_only_leased_rows(void **state)
{
    static const char row_sql[] =
        "SELECT ticket || ' ' || COALESCE(cause, '-') FROM catalog_stitch_queue "
        "WHERE entity_ref = ?";
    engine_fixture *fixture = *state;
    char *row;

    fixture->catalog = engine_open(fixture, NULL, "test-instance");
    exec_sql(fixture, "INSERT INTO catalog_stitch_queue (entity_ref, ticket, next_stitch_at, "
                      "cause) VALUES ('component:default/a', 'queued', 0, 'first'), "
                      "('component:default/b', 'queued', 0, NULL), "
                      "('component:default/c', 'leased', 0, 'first')");
    exec_sql(fixture, "UPDATE catalog_stitch_queue SET lease_owner = 'other-instance' "
                      "WHERE entity_ref = 'component:default/c'");

    mark_once(fixture, "component:default/a", "second");
    mark_once(fixture, "component:default/b", "second");
    mark_once(fixture, "component:default/c", "second");

    row = engine_text(fixture, row_sql, "component:default/a");
    assert_string_equal(row, "queued first");
    free(row);
    row = engine_text(fixture, row_sql, "component:default/b");
    assert_true(strncmp(row, "test-instance:", 14) == 0);
    assert_non_null(strstr(row, " second"));
    free(row);
    row = engine_text(fixture, row_sql, "component:default/c");
    assert_true(strncmp(row, "test-instance:", 14) == 0);
    assert_non_null(strstr(row, " second"));
    free(row);
}

/*
 * The rows claimed in one batch share one due time for their next refresh, drawn between the
 * shortest and the longest interval after the claim. 1,100 components take three batches, so
 * they have at most three due times; a time drawn per row would give about 1,100.
 */
static void claimed_batch_shares_due_time(void **state)
{
    static const char due_times_sql[] =
        "SELECT COUNT(DISTINCT next_update_at) FROM catalog_refresh_state "
        "WHERE entity_ref LIKE 'component:%'";
    engine_fixture *fixture = *state;
    int64_t due_times;
    char *out_of_range_sql;

    write_bulk(fixture, GR_CATALOG_PROCESS_BATCH * 2 + 100);
    engine_start(fixture, config_bulk);
    engine_idle(fixture);

    due_times = engine_count(fixture, due_times_sql, NULL);
    assert_true(due_times >= 1);
    assert_true(due_times <= 3);
    out_of_range_sql = gr_xasprintf(
        "SELECT COUNT(*) FROM catalog_refresh_state WHERE entity_ref LIKE 'component:%%' AND "
        "(next_update_at < last_discovery_at + %d OR next_update_at > %lld)",
        GR_CATALOG_INTERVAL_MIN_DEFAULT_MS,
        (long long)(gr_catalog__now_ms() + GR_CATALOG_INTERVAL_MAX_DEFAULT_MS));
    assert_int_equal(engine_count(fixture, out_of_range_sql, NULL), 0);
    free(out_of_range_sql);
}

/* The orphan cleanup during a first load builds the index of relations by source first, since
 * each entity it deletes looks up the relations that point at it. */
static void relations_index_built_before_orphan_cleanup(void **state)
{
    engine_fixture *fixture = *state;
    bool did_work = false;
    size_t deleted = 0;

    write_bulk(fixture, GR_CATALOG_PROCESS_BATCH * 2 + 100);
    fixture->catalog = engine_open(fixture, config_bulk, "test-instance");
    for (int i = 0; i < 3; i++)
        assert_int_equal(gr_catalog__work_once(fixture->catalog, NULL, &did_work), GR_OK);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 0);

    assert_int_equal(gr_catalog__delete_orphans(fixture->catalog, &deleted), GR_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 1);
}

static const char config_bulk_user[] =
    "{\"catalog\": {\"allowedLocationTypes\": [\"file\"], \"rules\": [{\"allow\": "
    "[\"Component\", \"Group\", \"Location\"]}]}}";

/* Registers bulk.yaml as a user location of a new first load and processes the location and
 * two full batches, which store 2,000 relations and stitch nothing. Returns the location's id
 * (caller frees). */
static char *first_load_with_relations(engine_fixture *fixture)
{
    char *target = engine_expand(fixture, "@DIR@/bulk.yaml");
    json_t *location = NULL;
    bool did_work = false;
    char *id;

    write_bulk(fixture, GR_CATALOG_PROCESS_BATCH * 2 + 100);
    fixture->catalog = engine_open(fixture, config_bulk_user, "test-instance");
    assert_int_equal(
        gr_catalog_add_location(fixture->catalog, "file", target, 0, &location, NULL, NULL),
        GR_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(gr_catalog__work_once(fixture->catalog, NULL, &did_work), GR_OK);
    assert_int_equal(final_count(fixture), 0);
    assert_true(engine_count(fixture, "SELECT COUNT(*) FROM catalog_relations", NULL) >= 2000);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 0);

    id = gr_xstrdup(json_string_value(json_object_get(location, "id")));
    json_decref(location);
    free(target);
    return id;
}

/* A delete during a first load builds the index of relations by source first, since the
 * deleted entity looks up the relations that point at it. */
static void relations_index_built_before_delete(void **state)
{
    engine_fixture *fixture = *state;
    char *id = first_load_with_relations(fixture);
    char *uid = engine_text(fixture,
                            "SELECT entity_id FROM catalog_refresh_state WHERE entity_ref = ?",
                            "component:default/bulk-0001");

    assert_int_equal(gr_catalog_delete_entity(fixture->catalog, uid), GR_OK);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 1);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_refresh_state "
                                  "WHERE entity_ref = ?",
                                  "component:default/bulk-0001"),
                     0);
    free(uid);
    free(id);
}

/* Removing a user location during a first load builds the index first, because each of its
 * 1,101 entities looks up the relations that point at it. With scans, a location of 20,000
 * entities held the write connection for minutes. */
static void relations_index_built_before_location_removal(void **state)
{
    engine_fixture *fixture = *state;
    char *id = first_load_with_relations(fixture);

    assert_int_equal(gr_catalog_remove_location(fixture->catalog, id), GR_OK);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 1);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_refresh_state", NULL),
                     0);
    free(id);
}

/*
 * The first load of an empty SQLite catalog inserts relations without their index by source
 * and builds it before its first stitch, once the stitch would scan more relations than it
 * may. Each bulk component adds two relations (ownedBy and the group's ownerOf).
 */
static void relations_index_built_before_stitch(void **state)
{
    engine_fixture *fixture = *state;
    bool did_work = false;
    int components = GR_CATALOG_PROCESS_BATCH * 2 + 100;
    char *owners;

    write_bulk(fixture, components);
    fixture->catalog = engine_open(fixture, config_bulk, "test-instance");
    for (int i = 0; i < 3; i++)
        assert_int_equal(gr_catalog__work_once(fixture->catalog, NULL, &did_work), GR_OK);
    assert_int_equal(final_count(fixture), 0);
    assert_true(engine_count(fixture, "SELECT COUNT(*) FROM catalog_relations", NULL) >= 2000);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 0);

    marks_due(fixture);
    assert_int_equal(gr_catalog__work_once(fixture->catalog, NULL, &did_work), GR_OK);
    assert_true(final_count(fixture) > 0);
    assert_int_equal(engine_count(fixture, search_index_sql, relations_index), 1);

    engine_idle(fixture);
    owners = engine_text(fixture,
                         "SELECT CAST(json_array_length(final_entity, '$.relations') AS TEXT) "
                         "FROM catalog_final_entities WHERE entity_ref = ?",
                         "group:default/owners");
    assert_int_equal(atoi(owners), components);
    free(owners);
}

static const char leased_sql[] =
    "SELECT COUNT(*) FROM catalog_refresh_state WHERE lease_until IS NOT NULL";

/*
 * A round that processed a full batch claims the next batch in the transaction that stores
 * its results, and the next round processes those rows. Rows claimed ahead that a stopping
 * worker gives back are due again at once, with no lease.
 */
static void full_batch_claims_next_ahead(void **state)
{
    engine_fixture *fixture = *state;
    gr_catalog_claimed ahead = {0};
    bool did_work = false;
    char now[32];

    write_bulk(fixture, GR_CATALOG_PROCESS_BATCH * 2 + 100);
    fixture->catalog = engine_open(fixture, config_bulk, "test-instance");

    /* The Location alone is not a full batch. */
    assert_int_equal(gr_catalog__work_once(fixture->catalog, &ahead, &did_work), GR_OK);
    assert_int_equal(ahead.count, 0);

    /* A full batch, and the next one claimed with its results. */
    assert_int_equal(gr_catalog__work_once(fixture->catalog, &ahead, &did_work), GR_OK);
    assert_int_equal(ahead.count, GR_CATALOG_PROCESS_BATCH);
    assert_int_equal(engine_count(fixture, leased_sql, NULL), GR_CATALOG_PROCESS_BATCH);

    /* The rows claimed ahead are processed, and the last 101 rows are claimed ahead. */
    assert_int_equal(gr_catalog__work_once(fixture->catalog, &ahead, &did_work), GR_OK);
    assert_true(did_work);
    assert_int_equal(ahead.count, 101);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_refresh_state "
                                  "WHERE processed_entity IS NOT NULL",
                                  NULL),
                     GR_CATALOG_PROCESS_BATCH * 2 + 1);

    gr_catalog__claimed_release(fixture->catalog, &ahead);
    assert_int_equal(ahead.count, 0);
    assert_null(ahead.items);
    assert_int_equal(engine_count(fixture, leased_sql, NULL), 0);
    snprintf(now, sizeof(now), "%lld", (long long)gr_catalog__now_ms());
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_refresh_state "
                                  "WHERE processed_entity IS NULL AND next_update_at <= ?",
                                  now),
                     101);

    engine_idle(fixture);
    assert_int_equal(final_count(fixture), GR_CATALOG_PROCESS_BATCH * 2 + 100 + 2);
}


/* A full batch whose write finds no more due rows leaves nothing claimed ahead, not even an
 * empty array that the next full batch would overwrite. */
static void empty_claim_ahead_keeps_nothing(void **state)
{
    engine_fixture *fixture = *state;
    gr_catalog_claimed ahead = {0};
    bool did_work = false;

    /* The group and the components fill exactly one batch. */
    write_bulk(fixture, GR_CATALOG_PROCESS_BATCH - 1);
    fixture->catalog = engine_open(fixture, config_bulk, "test-instance");

    assert_int_equal(gr_catalog__work_once(fixture->catalog, &ahead, &did_work), GR_OK);
    assert_int_equal(gr_catalog__work_once(fixture->catalog, &ahead, &did_work), GR_OK);
    assert_true(did_work);

    assert_int_equal(ahead.count, 0);
    assert_null(ahead.items);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_refresh_state "
                                  "WHERE processed_entity IS NOT NULL",
                                  NULL),
                     GR_CATALOG_PROCESS_BATCH + 1);
}

/* Writes bulk.yaml with `count` Components of about 4 KiB each; `marker` ends the description
 * of the last one. */
static void write_large_bulk(engine_fixture *fixture, int count, const char *marker)
{
    gr_buf text = GR_BUF_INIT;

    for (int i = 0; i < count; i++) {
        gr_buf_printf(&text,
                      "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                      "  name: large-%04d\n  description: \"",
                      i);
        for (int k = 0; k < 160; k++)
            gr_buf_printf(&text, "component %04d line %03d ", i, k);
        gr_buf_printf(&text, "%s\"\nspec:\n  type: service\n  lifecycle: production\n"
                             "  owner: owners\n",
                      i == count - 1 ? marker : "");
    }
    engine_write(fixture, "bulk.yaml", text.data);
    gr_buf_free(&text);
}

static const char *description_of(const json_t *entity)
{
    return json_string_value(json_object_get(json_object_get(entity, "metadata"), "description"));
}

/* A location whose children's JSON passes GR_CATALOG_DEFERRED_MEMORY keeps the rest in a
 * temporary file: every child arrives whole, and a changed child is read back again. */
static void children_beyond_memory_spilled(void **state)
{
    engine_fixture *fixture = *state;
    int count = (int)(GR_CATALOG_DEFERRED_MEMORY / 4096) + 500;
    char ref[64];
    json_t *last;

    write_large_bulk(fixture, count, "first");
    fixture->catalog = engine_open(fixture, config_bulk, "test-instance");
    engine_idle(fixture);
    assert_int_equal(final_count(fixture), count + 1);
    snprintf(ref, sizeof(ref), "component:default/large-%04d", count - 1);
    last = engine_final(fixture, ref);
    assert_non_null(last);
    assert_non_null(strstr(description_of(last), "line 159 first"));
    assert_null(strstr(description_of(last), "component 0000"));
    json_decref(last);

    write_large_bulk(fixture, count, "second");
    db_fixture_exec(fixture->db->db, "UPDATE catalog_refresh_state SET next_update_at = 0 "
                                     "WHERE entity_ref LIKE 'location:%'");
    engine_idle(fixture);
    last = engine_final(fixture, ref);
    assert_non_null(last);
    assert_non_null(strstr(description_of(last), "line 159 second"));
    json_decref(last);
}

/*
 * When the temporary file stops growing (disk full, or here the file size
 * limit), the further children stay in memory and every child still arrives
 * whole. PostgreSQL only, because the limit applies to every file that the
 * process writes, and a SQLite database would pass it.
 */
static void children_spill_write_failure(void **state)
{
    engine_fixture *fixture = *state;
    int count = (int)(GR_CATALOG_DEFERRED_MEMORY / 4096) + 500;
    struct rlimit saved;
    struct rlimit limited;
    void (*saved_handler)(int);
    char ref[64];
    json_t *last;

    write_large_bulk(fixture, count, "first");
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    limited = saved;
    limited.rlim_cur = 256 * 1024;
    saved_handler = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limited), 0);

    fixture->catalog = engine_open(fixture, config_bulk, "test-instance");
    engine_idle(fixture);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, saved_handler);

    assert_int_equal(final_count(fixture), count + 1);
    snprintf(ref, sizeof(ref), "component:default/large-%04d", count - 1);
    last = engine_final(fixture, ref);
    assert_non_null(last);
    assert_non_null(strstr(description_of(last), "line 159 first"));
    json_decref(last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ENGINE_TEST_BOTH(ingest_entities),
        ENGINE_TEST_SQLITE(optional_targets_skipped),
        ENGINE_TEST_SQLITE(default_rules_reject_groups),
        ENGINE_TEST_SQLITE(search_index_after_first_load),
        ENGINE_TEST_SQLITE(search_index_after_stop),
        ENGINE_TEST_SQLITE(relations_index_restored_on_start),
        ENGINE_TEST_SQLITE(search_index_left_to_engine),
        ENGINE_TEST_BOTH(search_index_merged_on_upgrade),
        ENGINE_TEST_BOTH(cascades_without_foreign_keys),
        ENGINE_TEST_BOTH(cascades_as_triggers_on_upgrade),
        ENGINE_TEST_BOTH(search_rows_numbered_on_upgrade),
        ENGINE_TEST_BOTH(search_row_added_with_new_ordinal),
        ENGINE_TEST_BOTH(search_rows_updated_in_both_layouts),
        ENGINE_TEST_SQLITE(stitch_skips_entity_deleted_meanwhile),
        ENGINE_TEST_BOTH(failed_write_retried_soon),
        ENGINE_TEST_SQLITE(first_load_stitches_after_full_batches),
        ENGINE_TEST_BOTH(claimed_batch_shares_due_time),
        ENGINE_TEST_BOTH(mark_rewrites_only_leased_rows),
        ENGINE_TEST_BOTH(stitch_leases_next_full_batch_in_write),
        ENGINE_TEST_SQLITE(process_in_place_matches_copy),
        ENGINE_TEST_BOTH(search_rows_keep_original_when_it_differs),
        ENGINE_TEST_SQLITE(relations_index_built_before_stitch),
        ENGINE_TEST_SQLITE(relations_index_built_before_orphan_cleanup),
        ENGINE_TEST_SQLITE(relations_index_built_before_delete),
        ENGINE_TEST_SQLITE(relations_index_built_before_location_removal),
        ENGINE_TEST_BOTH(full_batch_claims_next_ahead),
        ENGINE_TEST_BOTH(empty_claim_ahead_keeps_nothing),
        ENGINE_TEST_SQLITE(children_beyond_memory_spilled),
        {"pg: children_spill_write_failure", children_spill_write_failure, engine_setup,
         engine_teardown, (void *)&db_fixture_pg},
        {"pg: cascades_with_other_search_path", cascades_with_other_search_path, engine_setup,
         engine_teardown, (void *)&db_fixture_pg},
        {"pg: delete_retried_after_deadlock", delete_retried_after_deadlock, engine_setup,
         engine_teardown, (void *)&db_fixture_pg},
        {"pg: aborted_writes_run_again", aborted_writes_run_again, engine_setup, engine_teardown,
         (void *)&db_fixture_pg},
        {"pg: refresh_aborted_runs_again", refresh_aborted_runs_again, engine_setup,
         engine_teardown, (void *)&db_fixture_pg},
        {"pg: refresh_locks_parents_first", refresh_locks_parents_first, engine_setup,
         engine_teardown, (void *)&db_fixture_pg},
        {"pg: release_aborted_runs_again", release_aborted_runs_again, engine_setup,
         engine_teardown, (void *)&db_fixture_pg},
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
