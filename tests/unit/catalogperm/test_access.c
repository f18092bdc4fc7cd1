/* SPDX-License-Identifier: MIT */
/* Unit tests for catalog permissions in SQL: criteria translation, queries, facets, checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/catalog/api/filter_sql.h"
#include "plugins/catalog/api/query.h"
#include "plugins/catalog/api/read.h"
#include "plugins/catalog/permission/access.h"
#include "unit/store/db_fixture.h"
/* catalog_fixture.h needs cmocka.h and db_fixture.h first. */
#include "unit/catalogapi/catalog_fixture.h"

#define assert_ok(expr) assert_int_equal((expr), GR_OK)

/* Entities in entity id order. */
static const char *const seed[] = {
    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"shop\",\"namespace\":\"default\","
    "\"uid\":\"uid-01\",\"labels\":{\"tier\":\"gold\"},\"annotations\":{"
    "\"backstage.io/techdocs-ref\":\"dir:.\"}},\"spec\":{\"type\":\"service\",\"owner\":"
    "\"team-a\"},\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-a\"}]}",
    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"vault\",\"namespace\":\"default\","
    "\"uid\":\"uid-02\",\"annotations\":{\"example.com/secret\":\"true\"}},\"spec\":{\"type\":"
    "\"service\",\"owner\":\"team-b\"},\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":"
    "\"group:default/team-b\"}]}",
    "{\"kind\":\"API\",\"metadata\":{\"name\":\"orders\",\"namespace\":\"default\",\"uid\":"
    "\"uid-03\",\"title\":\"Orders\"},\"spec\":{\"type\":\"openapi\",\"owner\":\"team-b\"},"
    "\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-b\"}]}",
    "{\"kind\":\"Group\",\"metadata\":{\"name\":\"team-a\",\"namespace\":\"default\",\"uid\":"
    "\"uid-04\"},\"spec\":{\"type\":\"team\"}}",
    "{\"kind\":\"User\",\"metadata\":{\"name\":\"jane\",\"namespace\":\"default\",\"uid\":"
    "\"uid-05\"},\"spec\":{},\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":"
    "\"user:default/jane\"}]}",
};

#define SEED_COUNT (sizeof(seed) / sizeof(seed[0]))

static void seed_catalog(db_fixture *fixture)
{
    catalog_fixture_schema(fixture->db);
    catalog_fixture_insert(fixture->db, seed, SEED_COUNT);
}

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *value = json_loads(text, 0, &error);

    if (value == NULL)
        fail_msg("invalid JSON in the test: %s: %s", text, error.text);
    return value;
}

/* Returns the names (entity id order) that `predicate` selects, comma-joined; caller frees. */
static char *select_names(gr_db *db, const json_t *predicate)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;
    gr_buf names = GR_BUF_INIT;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *result;
    int rc;

    gr_catalog_sql_puts(&sql, "SELECT fe.name FROM catalog_final_entities fe WHERE ");
    assert_ok(gr_catalog_filter_to_sql(predicate, "fe.entity_id", &sql));
    gr_catalog_sql_puts(&sql, " ORDER BY fe.entity_id");
    assert_ok(gr_db_acquire(db, GR_DB_READ, &conn));
    if (gr_db_prepare(conn, gr_buf_cstr(&sql.text), &stmt) != GR_OK)
        fail_msg("%s: %s", gr_buf_cstr(&sql.text), gr_error_last());
    assert_ok(gr_catalog_sql_bind(&sql, stmt, 1));
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        if (names.len > 0)
            gr_buf_putc(&names, ',');
        gr_buf_puts(&names, gr_db_column_text(stmt, 0));
    }
    assert_int_equal(rc, GR_DB_DONE);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_catalog_sql_free(&sql);
    result = gr_xstrdup(gr_buf_cstr(&names));
    gr_buf_free(&names);
    return result;
}

/* Returns the names of the seed entities that gr_permission_criteria_match() accepts. */
static char *match_names(const json_t *criteria)
{
    gr_buf names = GR_BUF_INIT;
    char *result;

    for (size_t i = 0; i < SEED_COUNT; i++) {
        json_t *entity = parse(seed[i]);

        if (gr_permission_criteria_match(criteria, entity)) {
            if (names.len > 0)
                gr_buf_putc(&names, ',');
            gr_buf_puts(&names, json_string_value(
                                    json_object_get(json_object_get(entity, "metadata"), "name")));
        }
        json_decref(entity);
    }
    result = gr_xstrdup(gr_buf_cstr(&names));
    gr_buf_free(&names);
    return result;
}

typedef struct {
    const char *criteria;
    const char *predicate; /* compact JSON of the translation */
    const char *names;     /* the entities it selects */
} criteria_case;

static const criteria_case criteria_cases[] = {
    {"{\"rule\":\"IS_ENTITY_KIND\",\"params\":{\"kinds\":[\"component\",\"API\"]}}",
     "{\"kind\":{\"$in\":[\"component\",\"API\"]}}", "shop,vault,orders"},
    {"{\"rule\":\"IS_ENTITY_OWNER\",\"params\":{\"claims\":[\"user:default/jane\","
     "\"group:default/team-a\"]}}",
     "{\"relations.ownedBy\":{\"$in\":[\"user:default/jane\",\"group:default/team-a\"]}}",
     "shop,jane"},
    {"{\"rule\":\"IS_ENTITY_OWNER\",\"params\":{\"claims\":[]}}", "{\"$any\":[]}", ""},
    {"{\"rule\":\"HAS_ANNOTATION\",\"params\":{\"annotation\":\"example.com/secret\","
     "\"value\":\"true\"}}",
     "{\"metadata.annotations.example.com/secret\":\"true\"}", "vault"},
    {"{\"rule\":\"HAS_ANNOTATION\",\"params\":{\"annotation\":\"backstage.io/techdocs-ref\"}}",
     "{\"metadata.annotations.backstage.io/techdocs-ref\":{\"$exists\":true}}", "shop"},
    {"{\"rule\":\"HAS_LABEL\",\"params\":{\"label\":\"tier\"}}",
     "{\"metadata.labels.tier\":{\"$exists\":true}}", "shop"},
    {"{\"rule\":\"HAS_METADATA\",\"params\":{\"key\":\"title\",\"value\":\"Orders\"}}",
     "{\"metadata.title\":\"Orders\"}", "orders"},
    {"{\"rule\":\"HAS_SPEC\",\"params\":{\"key\":\"type\",\"value\":\"service\"}}",
     "{\"spec.type\":\"service\"}", "shop,vault"},
    {"{\"not\":{\"rule\":\"HAS_ANNOTATION\",\"params\":{\"annotation\":\"example.com/secret\","
     "\"value\":\"true\"}}}",
     "{\"$not\":{\"metadata.annotations.example.com/secret\":\"true\"}}",
     "shop,orders,team-a,jane"},
    {"{\"allOf\":[{\"rule\":\"IS_ENTITY_KIND\",\"params\":{\"kinds\":[\"component\"]}},"
     "{\"rule\":\"IS_ENTITY_OWNER\",\"params\":{\"claims\":[\"group:default/team-b\"]}}]}",
     "{\"$all\":[{\"kind\":{\"$in\":[\"component\"]}},"
     "{\"relations.ownedBy\":{\"$in\":[\"group:default/team-b\"]}}]}",
     "vault"},
    {"{\"anyOf\":[{\"rule\":\"IS_ENTITY_KIND\",\"params\":{\"kinds\":[\"group\"]}},"
     "{\"rule\":\"HAS_LABEL\",\"params\":{\"label\":\"tier\",\"value\":\"gold\"}}]}",
     "{\"$any\":[{\"kind\":{\"$in\":[\"group\"]}},{\"metadata.labels.tier\":\"gold\"}]}",
     "shop,team-a"},
    {"{\"rule\":\"NO_SUCH_RULE\",\"params\":{}}", "{\"$any\":[]}", ""},
    {"{\"rule\":\"HAS_SPEC\",\"params\":{\"key\":7}}", "{\"$any\":[]}", ""},
};

/* Each rule becomes the expected predicate, and SQL and in-memory matching agree. */
static void criteria_translated(void **state)
{
    db_fixture *fixture = *state;

    seed_catalog(fixture);
    for (size_t i = 0; i < sizeof(criteria_cases) / sizeof(criteria_cases[0]); i++) {
        json_t *criteria = parse(criteria_cases[i].criteria);
        json_t *predicate = gr_catalog_criteria_predicate(criteria);
        char *text = json_dumps(predicate, JSON_COMPACT);
        char *sql_names = select_names(fixture->db, predicate);
        char *memory_names = match_names(criteria);

        if (strcmp(text, criteria_cases[i].predicate) != 0)
            fail_msg("case %zu: predicate %s, expected %s", i, text, criteria_cases[i].predicate);
        if (strcmp(sql_names, criteria_cases[i].names) != 0)
            fail_msg("case %zu: SQL selects '%s', expected '%s'", i, sql_names,
                     criteria_cases[i].names);
        if (strcmp(memory_names, criteria_cases[i].names) != 0)
            fail_msg("case %zu: in-memory match selects '%s', expected '%s'", i, memory_names,
                     criteria_cases[i].names);
        free(memory_names);
        free(sql_names);
        free(text);
        json_decref(predicate);
        json_decref(criteria);
    }
}

/* Nesting beyond the policy's limit matches nothing instead of recursing without bound. */
static void criteria_depth_bounded(void **state)
{
    json_t *criteria = parse("{\"rule\":\"IS_ENTITY_KIND\",\"params\":{\"kinds\":[\"api\"]}}");
    json_t *predicate;
    json_t *inner;
    int depth = 0;

    (void)state;
    for (int i = 0; i < GR_PERMISSION_MAX_DEPTH + 4; i++)
        criteria = json_pack("{s:o}", "not", criteria);
    predicate = gr_catalog_criteria_predicate(criteria);
    for (inner = predicate; json_object_get(inner, "$not") != NULL;
         inner = json_object_get(inner, "$not"))
        depth++;
    assert_true(depth <= GR_PERMISSION_MAX_DEPTH + 1);
    assert_non_null(json_object_get(inner, "$any"));
    json_decref(predicate);
    json_decref(criteria);
}

/* A policy where users read what their groups own, and no user reads secrets. */
static const char owner_policy[] =
    "{\"enabled\":true,\"rules\":["
    "{\"deny\":\"catalog.entity.read\",\"when\":{\"hasAnnotation\":{\"annotation\":"
    "\"example.com/secret\",\"value\":\"true\"}}},"
    "{\"allow\":[\"catalog.entity.read\",\"catalog.entity.refresh\"],"
    "\"when\":{\"isEntityOwner\":true}},"
    "{\"allow\":\"catalog.entity.read\",\"when\":{\"kindIs\":[\"group\",\"user\"]}},"
    "{\"allow\":\"catalog.entity.delete\",\"when\":{\"allOf\":[{\"isEntityOwner\":true},"
    "{\"kindIs\":\"component\"}]}}]}";

static const char *const jane_ownership[] = {"user:default/jane", "group:default/team-a"};
static const char *const bob_ownership[] = {"user:default/bob", "group:default/team-b"};

static gr_identity user_identity(const char *subject, const char *const *ownership, size_t count)
{
    gr_identity identity;

    memset(&identity, 0, sizeof(identity));
    identity.type = "user";
    identity.subject = subject;
    identity.ownership = ownership;
    identity.ownership_count = count;
    identity.source = "token";
    return identity;
}

static gr_permission_policy *load_policy(const char *text)
{
    json_t *config = parse(text);
    gr_permission_policy *policy = NULL;

    if (gr_permission_policy_from_json(&policy, config) != GR_OK)
        fail_msg("policy: %s", gr_error_last());
    json_decref(config);
    return policy;
}

/* Runs a first by-query page ordered by name with `access`; returns "names|total". */
static char *query_names(gr_db *db, const json_t *access, int64_t limit, json_t **next)
{
    gr_catalog_query query = {0};
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    json_t *items;
    gr_buf names = GR_BUF_INIT;
    char *text = NULL;
    char *result;
    size_t i;
    json_t *item;

    gr_catalog_query_first(&query, NULL, parse("[{\"field\":\"metadata.name\",\"order\":\"asc\"}]"),
                           NULL);
    query.limit = limit;
    query.access = access;
    assert_ok(gr_catalog_query_run(db, &query, &fields, &page));
    text = gr_xasprintf("[%s]", gr_buf_cstr(&page.items));
    items = parse(text);
    json_array_foreach(items, i, item)
    {
        if (names.len > 0)
            gr_buf_putc(&names, ',');
        gr_buf_puts(&names,
                    json_string_value(json_object_get(json_object_get(item, "metadata"), "name")));
    }
    result = gr_xasprintf("%s|%lld", gr_buf_cstr(&names), (long long)page.total);
    if (next != NULL)
        *next = json_incref(page.next);
    json_decref(items);
    free(text);
    gr_buf_free(&names);
    gr_catalog_page_free(&page);
    gr_catalog_query_free(&query);
    return result;
}

/* Pages and totals count only readable entities, and cursors never carry the access rules. */
static void query_applies_access(void **state)
{
    db_fixture *fixture = *state;
    gr_permission_policy *policy = load_policy(owner_policy);
    gr_identity jane = user_identity("user:default/jane", jane_ownership, 2);
    json_t *access = NULL;
    json_t *next = NULL;
    char *cursor_text;
    char *names;

    seed_catalog(fixture);
    assert_ok(gr_catalog_access_get(policy, &jane, "catalog.entity.read", &access));
    assert_non_null(access);

    names = query_names(fixture->db, access, 10, NULL);
    assert_string_equal(names, "jane,shop,team-a|3");
    free(names);

    names = query_names(fixture->db, access, 1, &next);
    assert_string_equal(names, "jane|3");
    free(names);
    assert_non_null(next);
    cursor_text = json_dumps(next, JSON_COMPACT);
    assert_null(strstr(cursor_text, "ownedBy"));
    assert_null(strstr(cursor_text, "secret"));
    free(cursor_text);

    names = query_names(fixture->db, NULL, 10, NULL);
    assert_string_equal(names, "jane,orders,shop,team-a,vault|5");
    free(names);

    json_decref(next);
    json_decref(access);
    gr_permission_policy_free(policy);
}

/* Facets count only readable entities; by-refs gives null and single reads not-found. */
static void reads_apply_access(void **state)
{
    db_fixture *fixture = *state;
    gr_permission_policy *policy = load_policy(owner_policy);
    gr_identity bob = user_identity("user:default/bob", bob_ownership, 2);
    const char *const facet_names[] = {"kind"};
    json_t *access = NULL;
    json_t *facets = NULL;
    json_t *refs = parse("[\"component:default/vault\",\"api:default/orders\","
                         "\"component:default/shop\",\"group:default/team-a\"]");
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    gr_buf out = GR_BUF_INIT;
    json_t *items;
    char *text;

    seed_catalog(fixture);
    assert_ok(gr_catalog_access_get(policy, &bob, "catalog.entity.read", &access));

    assert_ok(gr_catalog_read_facets(fixture->db, facet_names, 1, access, &facets));
    text = json_dumps(facets, JSON_COMPACT);
    assert_string_equal(text, "{\"facets\":{\"kind\":[{\"value\":\"API\",\"count\":1},"
                              "{\"value\":\"Group\",\"count\":1},"
                              "{\"value\":\"User\",\"count\":1}]}}");
    free(text);

    assert_ok(gr_catalog_read_by_refs(fixture->db, refs, access, &fields, &out));
    items = parse(gr_buf_cstr(&out));
    assert_true(json_is_null(json_array_get(items, 0)));
    assert_true(json_is_object(json_array_get(items, 1)));
    assert_true(json_is_null(json_array_get(items, 2)));
    assert_true(json_is_object(json_array_get(items, 3)));
    json_decref(items);

    gr_buf_reset(&out);
    assert_int_equal(gr_catalog_read_by_ref(fixture->db, "component:default/shop", access, &out),
                     GR_ENOTFOUND);
    assert_int_equal(gr_catalog_read_by_uid(fixture->db, "uid-02", access, &out), GR_ENOTFOUND);
    assert_ok(gr_catalog_read_by_uid(fixture->db, "uid-03", access, &out));
    assert_non_null(strstr(gr_buf_cstr(&out), "\"orders\""));

    gr_buf_free(&out);
    json_decref(refs);
    json_decref(facets);
    json_decref(access);
    gr_permission_policy_free(policy);
}

/* One-entity checks: 404 for unknown and unreadable, 403 for readable but not permitted. */
static void check_one_entity(void **state)
{
    db_fixture *fixture = *state;
    gr_permission_policy *policy = load_policy(owner_policy);
    gr_identity jane = user_identity("user:default/jane", jane_ownership, 2);
    gr_identity bob = user_identity("user:default/bob", bob_ownership, 2);

    seed_catalog(fixture);
    assert_ok(gr_catalog_permission_check(fixture->db, policy, &jane, "catalog.entity.delete",
                                          GR_CATALOG_BY_REF, "component:default/shop", NULL));
    assert_ok(gr_catalog_permission_check(fixture->db, policy, &jane, "catalog.entity.refresh",
                                          GR_CATALOG_BY_UID, "uid-01", NULL));
    assert_int_equal(gr_catalog_permission_check(fixture->db, policy, &jane,
                                                 "catalog.entity.delete", GR_CATALOG_BY_REF,
                                                 "group:default/team-a", NULL),
                     GR_EDENIED);
    assert_int_equal(gr_catalog_permission_check(fixture->db, policy, &jane,
                                                 "catalog.entity.delete", GR_CATALOG_BY_REF,
                                                 "api:default/orders", NULL),
                     GR_ENOTFOUND);
    assert_int_equal(gr_catalog_permission_check(fixture->db, policy, &jane,
                                                 "catalog.entity.delete", GR_CATALOG_BY_REF,
                                                 "component:default/missing", NULL),
                     GR_ENOTFOUND);
    /* team-b owns vault, but the secret annotation hides it from its owners too. */
    assert_int_equal(gr_catalog_permission_check(fixture->db, policy, &bob, "catalog.entity.delete",
                                                 GR_CATALOG_BY_UID, "uid-02", NULL),
                     GR_ENOTFOUND);
    assert_ok(gr_catalog_permission_check(fixture->db, NULL, &bob, "catalog.entity.delete",
                                          GR_CATALOG_BY_UID, "uid-02", NULL));
    gr_permission_policy_free(policy);
}

/*
 * Decisions that allow both permissions without conditions need no final
 * entity, so an entity whose first processing failed can still be refreshed
 * and the caller's own lookup reports a missing one. A condition on either
 * permission still needs the final entity.
 */
static void check_unconditional_allow(void **state)
{
    db_fixture *fixture = *state;
    gr_permission_policy *open = load_policy(
        "{\"enabled\":true,\"rules\":[{\"allow\":\"*\"}]}");
    gr_permission_policy *conditional = load_policy(
        "{\"enabled\":true,\"rules\":[{\"allow\":\"catalog.entity.read\"},"
        "{\"allow\":\"catalog.entity.refresh\",\"when\":{\"isEntityOwner\":true}}]}");
    gr_identity jane = user_identity("user:default/jane", jane_ownership, 2);

    seed_catalog(fixture);
    assert_ok(gr_catalog_permission_check(fixture->db, open, &jane, "catalog.entity.refresh",
                                          GR_CATALOG_BY_REF, "component:default/missing", NULL));
    assert_ok(gr_catalog_permission_check(fixture->db, open, &jane, "catalog.entity.refresh",
                                          GR_CATALOG_BY_REF, "component:default/shop", NULL));
    assert_int_equal(gr_catalog_permission_check(fixture->db, conditional, &jane,
                                                 "catalog.entity.refresh", GR_CATALOG_BY_REF,
                                                 "component:default/missing", NULL),
                     GR_ENOTFOUND);
    assert_ok(gr_catalog_permission_check(fixture->db, conditional, &jane,
                                          "catalog.entity.refresh", GR_CATALOG_BY_REF,
                                          "component:default/shop", NULL));
    gr_permission_policy_free(open);
    gr_permission_policy_free(conditional);
}

/* A disabled policy, and one that allows outright, give no predicate; no rule denies all. */
static void access_decisions(void **state)
{
    gr_permission_policy *disabled = load_policy("{\"enabled\":false}");
    gr_permission_policy *open = load_policy("{\"enabled\":true,\"rules\":[{\"allow\":\"*\"}]}");
    gr_permission_policy *closed = load_policy("{\"enabled\":true,\"rules\":[]}");
    gr_identity jane = user_identity("user:default/jane", jane_ownership, 2);
    json_t *access = NULL;
    char *text;

    (void)state;
    assert_ok(gr_catalog_access_get(disabled, &jane, "catalog.entity.read", &access));
    assert_null(access);
    assert_ok(gr_catalog_access_get(NULL, &jane, "catalog.entity.read", &access));
    assert_null(access);
    assert_ok(gr_catalog_access_get(open, &jane, "catalog.entity.read", &access));
    assert_null(access);
    assert_ok(gr_catalog_access_get(closed, &jane, "catalog.entity.read", &access));
    text = json_dumps(access, JSON_COMPACT);
    assert_string_equal(text, "{\"$any\":[]}");
    free(text);
    json_decref(access);
    assert_int_equal(gr_catalog_access_get(closed, &jane, "catalog.no.such", &access), GR_EINVALID);
    assert_int_equal(gr_catalog_permission_require(closed, &jane, "catalog.location.create",
                                                   "/api/catalog/locations"),
                     GR_EDENIED);
    assert_ok(gr_catalog_permission_require(open, &jane, "catalog.location.create", NULL));
    gr_permission_policy_free(disabled);
    gr_permission_policy_free(open);
    gr_permission_policy_free(closed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(criteria_translated),  cmocka_unit_test(criteria_depth_bounded),
        DB_TEST_BOTH(query_applies_access), DB_TEST_BOTH(reads_apply_access),
        DB_TEST_BOTH(check_one_entity),     cmocka_unit_test(access_decisions),
        DB_TEST_BOTH(check_unconditional_allow),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
