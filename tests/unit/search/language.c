/* SPDX-License-Identifier: MIT */
/* Tests of the query language on both engines: phrases, prefixes, exclusions and field filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "search_fixture.h"

#include "host/common/error.h"

static const char *const entities[] = {
    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"payments-api\",\"description\":\"Takes "
    "card charges from the shop.\"},\"spec\":{\"type\":\"service\",\"lifecycle\":"
    "\"production\",\"owner\":\"team-a\"}}",

    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"refunds\",\"description\":\"Charges the "
    "card back for a legacy shop.\"},\"spec\":{\"type\":\"service\",\"lifecycle\":"
    "\"deprecated\",\"owner\":\"team-b\"}}",

    "{\"kind\":\"API\",\"metadata\":{\"name\":\"shop-api\",\"description\":\"The shop's card "
    "charges API.\"},\"spec\":{\"type\":\"openapi\",\"lifecycle\":\"production\","
    "\"owner\":\"team-a\"}}",
};

static void seed(search_fixture *fixture)
{
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
        free(put_entity(fixture->db->db, entities[i]));
    if (gr_search_reindex(fixture->search, NULL) != 0)
        fail_msg("reindex failed: %s", gr_error_last());
}

static int64_t count_of(search_fixture *fixture, const char *term)
{
    json_t *result = query_term(fixture->search, term);
    int64_t count = result_count(result);

    json_decref(result);
    return count;
}

static void phrase_needs_word_order(void **state)
{
    search_fixture *fixture = *state;

    seed(fixture);
    /* All three hold "card" and "charges"; one has "charges the card". */
    assert_int_equal(count_of(fixture, "card charges"), 3);
    assert_int_equal(count_of(fixture, "\"card charges\""), 2);
    assert_int_equal(count_of(fixture, "\"charges the card\""), 1);
    assert_true(has_location(fixture->search, "\"charges the card\"",
                             "/catalog/default/component/refunds"));
    assert_int_equal(count_of(fixture, "\"card charg\""), 0);
    assert_int_equal(count_of(fixture, "\"card charg\"*"), 2);
}

static void minus_leaves_out(void **state)
{
    search_fixture *fixture = *state;

    seed(fixture);
    assert_int_equal(count_of(fixture, "shop -legacy"), 2);
    assert_false(has_location(fixture->search, "shop -legacy",
                              "/catalog/default/component/refunds"));
    assert_int_equal(count_of(fixture, "shop -\"charges the card\""), 2);
    /* Only exclusions: everything else is listed. */
    assert_int_equal(count_of(fixture, "-legacy"), 2);
    assert_int_equal(count_of(fixture, "-legacy -payments"), 1);
}

static void field_filters_in_term(void **state)
{
    search_fixture *fixture = *state;
    const char *production[] = {"production"};
    gr_search_filter filter = {"lifecycle", production, 1};
    gr_search_request request = {.term = "kind:Component card", .filters = &filter,
                                 .filter_count = 1};
    json_t *result;

    seed(fixture);
    assert_int_equal(count_of(fixture, "kind:component"), 2);
    assert_int_equal(count_of(fixture, "kind:api card"), 1);
    assert_int_equal(count_of(fixture, "kind:api kind:component"), 3);
    assert_int_equal(count_of(fixture, "owner:team-b"), 1);
    assert_int_equal(count_of(fixture, "lifecycle:\"Deprecated\" shop"), 1);
    assert_int_equal(count_of(fixture, "kind:nothing"), 0);

    /* The term's filters and the request's apply together. */
    result = query_ok(fixture->search, &request);
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "location"),
                        "/catalog/default/component/payments-api");
    json_decref(result);
}

static void odd_terms_never_fail(void **state)
{
    search_fixture *fixture = *state;
    static const char *const terms[] = {
        "\"", "-", "*", "-*", "\"\"*", "kind:", ":", "a:b:c", "-\"", "NOT", "AND OR",
        "(x", "x)", "a & b | !c", "foo:*", "'", "\\", "^", "NEAR(a b)", "col:value",
        "kind:\"", "-kind:api", "--x", "\"a\"\"b\"",
    };

    seed(fixture);
    for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
        json_t *result = query_term(fixture->search, terms[i]);

        assert_non_null(result);
        json_decref(result);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SEARCH_TEST_BOTH(phrase_needs_word_order),
        SEARCH_TEST_BOTH(minus_leaves_out),
        SEARCH_TEST_BOTH(field_filters_in_term),
        SEARCH_TEST_BOTH(odd_terms_never_fail),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
