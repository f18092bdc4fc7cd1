/* SPDX-License-Identifier: MIT */
/* Tests of read access on both engines: TechDocs sections follow their entity's read permission. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "search_fixture.h"

#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/permission/permission.h"
#include "plugins/search/access.h"

/* The docs site that every component below publishes. Both sections mention "ledger". */
static const char site_json[] =
    "{\"config\":{},\"docs\":["
    "{\"location\":\"\",\"title\":\"Ledger notes\",\"text\":\"How the ledger closes a day\"},"
    "{\"location\":\"setup/#install\",\"title\":\"Install\","
    "\"text\":\"Point the service at the ledger database\"}]}";

/* Sections per site in site_json. */
#define SECTIONS 2

static const char *const team_a_refs[] = {"user:default/jane", "group:default/team-a"};
static const gr_identity jane = {.type = "user", .subject = "user:default/jane",
                                 .ownership = team_a_refs, .ownership_count = 2};

static const char *const team_c_refs[] = {"user:default/bob", "group:default/team-c"};
static const gr_identity bob = {.type = "user", .subject = "user:default/bob",
                                .ownership = team_c_refs, .ownership_count = 2};

static void put_owned_component(search_fixture *fixture, const char *name, const char *team)
{
    char *json = gr_xasprintf(
        "{\"kind\":\"Component\",\"metadata\":{\"name\":\"%s\",\"annotations\":"
        "{\"backstage.io/techdocs-ref\":\"dir:.\"}},\"spec\":{\"type\":\"service\","
        "\"lifecycle\":\"production\",\"owner\":\"%s\"},\"relations\":[{\"type\":\"ownedBy\","
        "\"targetRef\":\"group:default/%s\"}]}",
        name, team, team);

    free(put_entity(fixture->db->db, json));
    free(json);
}

/* Parses a policy given as JSON text and fails the test if it is invalid (caller frees). */
static gr_permission_policy *policy_from_text(const char *text)
{
    json_t *json = json_loads(text, 0, NULL);
    gr_permission_policy *policy = NULL;

    if (json == NULL || gr_permission_policy_from_json(&policy, json) != 0)
        fail_msg("invalid test policy: %s", gr_error_last());
    json_decref(json);
    return policy;
}

/* Indexes "shop" (team-a) and "vault" (team-b) with one docs site each and
 * returns a policy that lets owners read their entities (caller frees). */
static gr_permission_policy *seed_owned_sites(search_fixture *fixture)
{
    gr_permission_policy *policy =
        policy_from_text("{\"enabled\": true, \"rules\": [{\"allow\": \"search.query\"}, {\"allow\": "
                         "[\"catalog.entity.read\"], \"when\": {\"isEntityOwner\": true}}]}");

    put_owned_component(fixture, "shop", "team-a");
    put_owned_component(fixture, "vault", "team-b");
    put_site(fixture, "component", "shop", site_json);
    put_site(fixture, "component", "vault", site_json);
    if (gr_search_reindex(fixture->search, NULL) != 0)
        fail_msg("reindex failed: %s", gr_error_last());
    return policy;
}

/* Runs a TechDocs query for `caller` and fails the test on error. The caller releases the result. */
static json_t *docs_query(search_fixture *fixture, const char *term, int page_limit,
                          const gr_identity *caller)
{
    const char *types[] = {"techdocs"};
    gr_search_request request = {.term = term, .types = types, .type_count = 1,
                                 .page_limit = page_limit};
    json_t *result = NULL;

    if (gr_search_query(fixture->search, &request, caller, &result) != 0)
        fail_msg("query '%s' failed: %s", term, gr_error_last());
    return result;
}

/* Counts the results on the page whose location is in the docs of `name`. */
static size_t docs_of(const json_t *result, const char *name)
{
    char *prefix = gr_xasprintf("/docs/default/component/%s/", name);
    size_t count = 0;

    for (size_t i = 0; i < json_array_size(json_object_get(result, "results")); i++) {
        const char *location = result_field(result, i, "location");

        if (location != NULL && strncmp(location, prefix, strlen(prefix)) == 0)
            count++;
    }
    free(prefix);
    return count;
}

static void docs_hidden_with_term(void **state)
{
    search_fixture *fixture = *state;
    gr_permission_policy *policy = seed_owned_sites(fixture);
    json_t *result;

    /* Without the hook both sites are found, so the checks below can fail. */
    result = docs_query(fixture, "ledger", 0, &bob);
    assert_int_equal(result_count(result), 2 * SECTIONS);
    json_decref(result);

    gr_search_set_access(fixture->search, gr_search_permission_access, policy);
    result = docs_query(fixture, "ledger", 0, &jane);
    assert_int_equal(result_count(result), SECTIONS);
    assert_int_equal(docs_of(result, "shop"), SECTIONS);
    assert_int_equal(docs_of(result, "vault"), 0);
    json_decref(result);

    result = docs_query(fixture, "ledger", 0, &bob);
    assert_int_equal(result_count(result), 0);
    assert_int_equal(docs_of(result, "vault"), 0);
    json_decref(result);

    /* Without an identity, search.query is denied outright. */
    {
        gr_search_request request = {.term = "ledger"};

        result = NULL;
        assert_int_equal(gr_search_query(fixture->search, &request, NULL, &result), GR_EDENIED);
        assert_null(result);
    }
    gr_permission_policy_free(policy);
}

static void docs_hidden_without_term(void **state)
{
    search_fixture *fixture = *state;
    gr_permission_policy *policy = seed_owned_sites(fixture);
    json_t *result;

    gr_search_set_access(fixture->search, gr_search_permission_access, policy);
    result = docs_query(fixture, "", 0, &jane);
    assert_int_equal(result_count(result), SECTIONS);
    assert_int_equal(docs_of(result, "shop"), SECTIONS);
    assert_int_equal(docs_of(result, "vault"), 0);
    json_decref(result);

    result = docs_query(fixture, "", 0, &bob);
    assert_int_equal(result_count(result), 0);
    json_decref(result);
    gr_permission_policy_free(policy);
}

/* A full first page makes the engines count the matches in a second query,
 * which must apply the same access condition. */
static void docs_count_skips_hidden(void **state)
{
    search_fixture *fixture = *state;
    gr_permission_policy *policy = seed_owned_sites(fixture);
    json_t *result;

    gr_search_set_access(fixture->search, gr_search_permission_access, policy);
    result = docs_query(fixture, "ledger", 1, &jane);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 1);
    assert_int_equal(docs_of(result, "shop"), 1);
    assert_int_equal(result_count(result), SECTIONS);
    json_decref(result);

    result = docs_query(fixture, "", 1, &jane);
    assert_int_equal(docs_of(result, "shop"), 1);
    assert_int_equal(result_count(result), SECTIONS);
    json_decref(result);
    gr_permission_policy_free(policy);
}

/* A caller denied search.query gets an error, not an empty result. */
static void search_query_denied(void **state)
{
    search_fixture *fixture = *state;
    gr_permission_policy *policy = seed_owned_sites(fixture);
    json_t *json = json_loads("{\"enabled\": true, \"rules\": [{\"deny\": \"search.query\", "
                              "\"when\": {\"isUser\": [\"user:default/bob\"]}}, "
                              "{\"allow\": \"*\"}]}",
                              0, NULL);
    gr_permission_policy *deny_bob = NULL;
    gr_search_request request = {.term = "ledger"};
    json_t *result = NULL;

    gr_permission_policy_free(policy);
    assert_int_equal(gr_permission_policy_from_json(&deny_bob, json), 0);
    json_decref(json);
    gr_search_set_access(fixture->search, gr_search_permission_access, deny_bob);

    assert_int_equal(gr_search_query(fixture->search, &request, &bob, &result), GR_EDENIED);
    assert_null(result);
    assert_int_equal(gr_search_query(fixture->search, &request, &jane, &result), 0);
    assert_int_equal(result_count(result), 2 * SECTIONS);
    json_decref(result);
    gr_permission_policy_free(deny_bob);
}

/* A condition on an annotation's value matches the stored value whether or not the search row
 * stores an original value beside the lower-cased one ("dir:." has none, "Dir:." has one). */
static void docs_by_annotation_value(void **state)
{
    search_fixture *fixture = *state;
    gr_permission_policy *owners = seed_owned_sites(fixture);
    gr_permission_policy *by_value = policy_from_text(
        "{\"enabled\": true, \"rules\": [{\"allow\": \"search.query\"}, "
        "{\"allow\": [\"catalog.entity.read\"], \"when\": {\"hasAnnotation\": "
        "{\"annotation\": \"backstage.io/techdocs-ref\", \"value\": \"dir:.\"}}}]}");
    json_t *result;

    gr_permission_policy_free(owners);
    free(put_entity(fixture->db->db,
                    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"vault\","
                    "\"annotations\":{\"backstage.io/techdocs-ref\":\"Dir:.\"}},"
                    "\"spec\":{\"type\":\"service\",\"owner\":\"team-b\"}}"));
    gr_search_set_access(fixture->search, gr_search_permission_access, by_value);

    result = docs_query(fixture, "ledger", 0, &bob);
    assert_int_equal(docs_of(result, "shop"), SECTIONS);
    assert_int_equal(docs_of(result, "vault"), 0);
    json_decref(result);
    gr_permission_policy_free(by_value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SEARCH_TEST_BOTH(docs_hidden_with_term),
        SEARCH_TEST_BOTH(docs_hidden_without_term),
        SEARCH_TEST_BOTH(docs_count_skips_hidden),
        SEARCH_TEST_BOTH(search_query_denied),
        SEARCH_TEST_BOTH(docs_by_annotation_value),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
