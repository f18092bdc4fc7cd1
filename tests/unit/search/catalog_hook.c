/* SPDX-License-Identifier: MIT */
/* Tests of search fed by the real catalog engine through its stitch hook, on both databases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>
#include <unistd.h>

#include "unit/engine/engine_fixture.h"

#include "host/auth/identity.h"
#include "host/permission/permission.h"
#include "plugins/search/access.h"
#include "plugins/search/plugin.h"
#include "plugins/search/search.h"

/* A stitched change must be searchable within this time, in ms. */
#define FRESHNESS_MS 1000
/* A change that another process stitches must be searchable within this
 * time, in ms: one history poll interval plus the collation. */
#define OTHER_PROCESS_MS (GR_SEARCH_HISTORY_POLL_MS + 2000)

static const char catalog_config[] =
    "{\"catalog\": {\"orphanStrategy\": \"delete\", \"rules\": [{\"allow\": [\"Component\", "
    "\"Location\"]}], \"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/catalog.yaml\"}]}}";

static const char shop_v1[] = "apiVersion: backstage.io/v1alpha1\n"
                              "kind: Component\n"
                              "metadata:\n"
                              "  name: shop\n"
                              "  title: Corner Shop\n"
                              "  description: Sells apples\n"
                              "spec:\n"
                              "  type: website\n"
                              "  lifecycle: production\n"
                              "  owner: team-a\n";

static const char shop_v2[] = "apiVersion: backstage.io/v1alpha1\n"
                              "kind: Component\n"
                              "metadata:\n"
                              "  name: shop\n"
                              "  title: Corner Shop\n"
                              "  description: Sells pears\n"
                              "spec:\n"
                              "  type: website\n"
                              "  lifecycle: production\n"
                              "  owner: team-a\n";

static const char other_only[] = "apiVersion: backstage.io/v1alpha1\n"
                                 "kind: Component\n"
                                 "metadata:\n"
                                 "  name: kiosk\n"
                                 "spec:\n"
                                 "  type: website\n"
                                 "  lifecycle: production\n"
                                 "  owner: team-a\n";

static int64_t monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int64_t count_of(gr_search *search, const char *term)
{
    gr_search_request request = {.term = term};
    json_t *result = NULL;
    int64_t count;

    if (gr_search_query(search, &request, NULL, &result) != 0)
        fail_msg("query failed: %s", gr_error_last());
    count = json_integer_value(json_object_get(result, "numberOfResults"));
    json_decref(result);
    return count;
}

/* Waits until `term` has `want` results; returns the ms it took, or -1 after 5 s. */
static int64_t wait_count(gr_search *search, const char *term, int64_t want)
{
    int64_t start = monotonic_ms();

    while (count_of(search, term) != want) {
        if (monotonic_ms() - start > 5000)
            return -1;
        usleep(2000);
    }
    return monotonic_ms() - start;
}

static void stitch_hook_keeps_index_fresh(void **state)
{
    engine_fixture *fixture = *state;
    gr_search *search = NULL;
    int64_t elapsed;

    engine_write(fixture, "catalog.yaml", shop_v1);
    engine_start(fixture, catalog_config);
    assert_int_equal(gr_search_migrate(fixture->db->db), 0);
    assert_int_equal(gr_search_new_builtin(&search, fixture->db->db, NULL, "test"), 0);
    assert_int_equal(gr_catalog_on_stitched(fixture->catalog, gr_search_on_entity_stitched,
                                            search),
                     0);
    assert_int_equal(gr_search_start(search), 0);

    /* Every change below is stitched on this thread; the clock starts when
     * stitching is done, so it measures the way from the hook to the index. */
    engine_idle(fixture);
    elapsed = wait_count(search, "apples", 1);
    assert_in_range(elapsed, 0, FRESHNESS_MS);

    engine_write(fixture, "catalog.yaml", shop_v2);
    assert_int_equal(gr_catalog_refresh(fixture->catalog, "component:default/shop"), 0);
    engine_idle(fixture);
    elapsed = wait_count(search, "pears", 1);
    assert_in_range(elapsed, 0, FRESHNESS_MS);
    assert_int_equal(count_of(search, "apples"), 0);

    engine_write(fixture, "catalog.yaml", other_only);
    assert_int_equal(gr_catalog_refresh(fixture->catalog, "component:default/shop"), 0);
    engine_idle(fixture);
    elapsed = wait_count(search, "corner", 0);
    assert_in_range(elapsed, 0, FRESHNESS_MS);
    assert_int_equal(wait_count(search, "kiosk", 1) >= 0, 1);

    gr_search_free(search);
}

/* The catalog runs without our stitch hook, as `greenroom catalog import`
 * in another process does, and search uses a database handle of its own. */
static void other_process_stitches_reach_index(void **state)
{
    engine_fixture *fixture = *state;
    gr_db *own = NULL;
    gr_search *search = NULL;

    engine_write(fixture, "catalog.yaml", shop_v1);
    engine_start(fixture, catalog_config);
    engine_idle(fixture);
    assert_int_equal(gr_search_migrate(fixture->db->db), 0);
    assert_int_equal(db_fixture_open(fixture->db, 0, &own), 0);
    assert_int_equal(gr_search_new_builtin(&search, own, NULL, "test"), 0);
    assert_int_equal(gr_search_reindex(search, NULL), 0);
    assert_int_equal(gr_search_start(search), 0);
    assert_int_equal(count_of(search, "apples"), 1);

    engine_write(fixture, "catalog.yaml", shop_v2);
    assert_int_equal(gr_catalog_refresh(fixture->catalog, "component:default/shop"), 0);
    engine_idle(fixture);
    assert_in_range(wait_count(search, "pears", 1), 0, OTHER_PROCESS_MS);
    assert_int_equal(count_of(search, "apples"), 0);

    /* The location stops emitting the shop, whose orphan is then deleted. */
    engine_write(fixture, "catalog.yaml", other_only);
    assert_int_equal(gr_catalog_refresh(fixture->catalog, "component:default/shop"), 0);
    engine_idle(fixture);
    assert_in_range(wait_count(search, "corner", 0), 0, OTHER_PROCESS_MS);
    assert_in_range(wait_count(search, "kiosk", 1), 0, OTHER_PROCESS_MS);

    gr_search_free(search);
    gr_db_close(own);
}

static void reindex_reads_engine_tables(void **state)
{
    engine_fixture *fixture = *state;
    gr_search *search = NULL;
    gr_search_reindex_stats stats;
    gr_search_request request = {.term = "apples"};
    json_t *result = NULL;
    const json_t *document;

    engine_write(fixture, "catalog.yaml", shop_v1);
    engine_start(fixture, catalog_config);
    engine_idle(fixture);
    assert_int_equal(gr_search_migrate(fixture->db->db), 0);
    assert_int_equal(gr_search_new_builtin(&search, fixture->db->db, NULL, "test"), 0);
    assert_int_equal(gr_search_reindex(search, &stats), 0);
    /* The component and the location entity that emitted it. */
    assert_int_equal(stats.documents, 2);

    assert_int_equal(gr_search_query(search, &request, NULL, &result), 0);
    document = json_object_get(json_array_get(json_object_get(result, "results"), 0), "document");
    assert_string_equal(json_string_value(json_object_get(document, "title")), "Corner Shop");
    assert_string_equal(json_string_value(json_object_get(document, "location")),
                        "/catalog/default/component/shop");
    assert_string_equal(json_string_value(json_object_get(document, "owner")), "team-a");
    json_decref(result);
    gr_search_free(search);
}

static const char two_owners[] = "apiVersion: backstage.io/v1alpha1\n"
                                 "kind: Component\n"
                                 "metadata:\n"
                                 "  name: orchard\n"
                                 "  description: Sells fruit\n"
                                 "spec:\n"
                                 "  type: website\n"
                                 "  lifecycle: production\n"
                                 "  owner: team-a\n"
                                 "---\n"
                                 "apiVersion: backstage.io/v1alpha1\n"
                                 "kind: Component\n"
                                 "metadata:\n"
                                 "  name: market\n"
                                 "  description: Sells fruit too\n"
                                 "  annotations:\n"
                                 "    example.com/tier: Gold\n"
                                 "spec:\n"
                                 "  type: website\n"
                                 "  lifecycle: production\n"
                                 "  owner: team-b\n";

static gr_permission_policy *policy_from(const char *text)
{
    json_t *json = json_loads(text, 0, NULL);
    gr_permission_policy *policy = NULL;

    if (json == NULL || gr_permission_policy_from_json(&policy, json) != 0)
        fail_msg("policy: %s", gr_error_last());
    json_decref(json);
    return policy;
}

/* Counts the results of `term` for `caller`, and checks that the page agrees with the count. */
static int64_t visible(gr_search *search, const char *term, const gr_identity *caller)
{
    gr_search_request request = {.term = term};
    json_t *result = NULL;
    int64_t count;

    if (gr_search_query(search, &request, caller, &result) != 0)
        fail_msg("query failed: %s", gr_error_last());
    count = json_integer_value(json_object_get(result, "numberOfResults"));
    assert_int_equal((int64_t)json_array_size(json_object_get(result, "results")), count);
    json_decref(result);
    return count;
}

static void permission_conditions_filter_results(void **state)
{
    engine_fixture *fixture = *state;
    const char *const jane_refs[] = {"user:default/jane", "group:default/team-a"};
    const char *const bob_refs[] = {"user:default/bob", "group:default/team-c"};
    gr_identity jane = {.type = "user", .subject = "user:default/jane", .ownership = jane_refs,
                        .ownership_count = 2};
    gr_identity bob = {.type = "user", .subject = "user:default/bob", .ownership = bob_refs,
                       .ownership_count = 2};
    gr_permission_policy *owners = policy_from(
        "{\"enabled\": true, \"rules\": [{\"allow\": \"search.query\"}, {\"allow\": [\"catalog.entity.read\"], "
        "\"when\": {\"isEntityOwner\": true}}]}");
    gr_permission_policy *gold = policy_from(
        "{\"enabled\": true, \"rules\": [{\"allow\": \"search.query\"}, {\"allow\": [\"catalog.entity.read\"], "
        "\"when\": {\"anyOf\": [{\"hasAnnotation\": {\"annotation\": \"example.com/tier\", "
        "\"value\": \"Gold\"}}, {\"not\": {\"kindIs\": \"Component\"}}]}}]}");
    gr_permission_policy *disabled = policy_from("{\"enabled\": false}");
    gr_search *search = NULL;

    engine_write(fixture, "catalog.yaml", two_owners);
    engine_start(fixture, catalog_config);
    engine_idle(fixture);
    assert_int_equal(gr_search_migrate(fixture->db->db), 0);
    assert_int_equal(gr_search_new_builtin(&search, fixture->db->db, NULL, "test"), 0);
    assert_int_equal(gr_search_reindex(search, NULL), 0);

    gr_search_set_access(search, gr_search_permission_access, owners);
    assert_int_equal(visible(search, "fruit", &jane), 1);
    assert_int_equal(visible(search, "fruit", &bob), 0);
    assert_int_equal(visible(search, "", &bob), 0);
    {
        gr_search_request request = {.term = "fruit"};
        json_t *result = NULL;

        /* Without an identity, search.query is denied outright. */
        assert_int_equal(gr_search_query(search, &request, NULL, &result), GR_EDENIED);
        assert_null(result);
    }

    gr_search_set_access(search, gr_search_permission_access, gold);
    assert_int_equal(visible(search, "fruit", &bob), 1);
    /* The location entity is not a component, so the not-kindIs branch admits it. */
    assert_int_equal(visible(search, "", &bob), 2);

    gr_search_set_access(search, gr_search_permission_access, disabled);
    assert_int_equal(visible(search, "fruit", &bob), 2);

    gr_search_free(search);
    gr_permission_policy_free(owners);
    gr_permission_policy_free(gold);
    gr_permission_policy_free(disabled);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ENGINE_TEST_BOTH(stitch_hook_keeps_index_fresh),
        ENGINE_TEST_BOTH(other_process_stitches_reach_index),
        ENGINE_TEST_BOTH(reindex_reads_engine_tables),
        ENGINE_TEST_BOTH(permission_conditions_filter_results),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
