/* SPDX-License-Identifier: MIT */
/* Tests of type-ahead queries (gr_search_request.suggest): order, paging, filters and what they leave out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "search_fixture.h"

#include "host/common/alloc.h"
#include "host/common/error.h"

/* Titles that start with "pay" (pay, pay-team, Payments API), a title with
 * the word later (Old Payments) and a match in the text only (ledger). */
static const char *const entities[] = {
    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"payments-api\",\"title\":\"Payments API\","
    "\"description\":\"Takes card charges.\"},"
    "\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\",\"owner\":\"team-a\"}}",

    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"ledger\",\"description\":\"Stores "
    "payments for the books.\"},\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\","
    "\"owner\":\"team-a\"}}",

    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"old-payments\",\"title\":\"Old Payments\","
    "\"description\":\"Retired.\"},"
    "\"spec\":{\"type\":\"service\",\"lifecycle\":\"deprecated\",\"owner\":\"team-a\"}}",

    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"pay\",\"description\":\"Short name.\"},"
    "\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\",\"owner\":\"team-a\"}}",

    "{\"kind\":\"Group\",\"metadata\":{\"name\":\"pay-team\",\"description\":\"Runs billing\"},"
    "\"spec\":{\"type\":\"team\"}}",
};

static void seed(search_fixture *fixture)
{
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
        free(put_entity(fixture->db->db, entities[i]));
    if (gr_search_reindex(fixture->search, NULL) != 0)
        fail_msg("reindex failed: %s", gr_error_last());
}

static json_t *suggest(gr_search *search, const char *term, int limit)
{
    gr_search_request request = {.term = term, .page_limit = limit, .suggest = 1};

    return query_ok(search, &request);
}

static void title_start_comes_first(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;

    seed(fixture);
    result = suggest(fixture->search, "pay", 8);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 5);
    assert_string_equal(result_field(result, 0, "title"), "pay");
    assert_string_equal(result_field(result, 1, "title"), "pay-team");
    assert_string_equal(result_field(result, 2, "title"), "Payments API");
    assert_string_equal(result_field(result, 3, "title"), "Old Payments");
    assert_string_equal(result_field(result, 4, "title"), "ledger");
    json_decref(result);
}

static void hyphenated_name_prefix(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;

    seed(fixture);
    result = suggest(fixture->search, "payments-a", 8);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 1);
    assert_string_equal(result_field(result, 0, "title"), "Payments API");
    json_decref(result);
}

static void page_has_no_count(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;
    const json_t *first;

    seed(fixture);
    result = suggest(fixture->search, "pay", 2);
    first = json_array_get(json_object_get(result, "results"), 0);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 2);
    assert_int_equal(result_count(result), 2);
    assert_null(json_object_get(result, "nextPageCursor"));
    assert_int_equal(json_object_size(json_object_get(json_object_get(first, "highlight"),
                                                      "fields")),
                     0);
    json_decref(result);
}

static void filters_apply(void **state)
{
    search_fixture *fixture = *state;
    const char *groups[] = {"group"};
    gr_search_filter kind = {"kind", groups, 1};
    gr_search_request request = {
        .term = "pay", .filters = &kind, .filter_count = 1, .page_limit = 8, .suggest = 1};
    json_t *result;

    seed(fixture);
    result = query_ok(fixture->search, &request);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 1);
    assert_string_equal(result_field(result, 0, "title"), "pay-team");
    json_decref(result);
}

static void excluded_word_applies(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;

    seed(fixture);
    result = suggest(fixture->search, "payments -ledger", 8);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 2);
    assert_string_not_equal(result_field(result, 0, "title"), "ledger");
    assert_string_not_equal(result_field(result, 1, "title"), "ledger");
    json_decref(result);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SEARCH_TEST_BOTH(title_start_comes_first),
        SEARCH_TEST_BOTH(hyphenated_name_prefix),
        SEARCH_TEST_BOTH(page_has_no_count),
        SEARCH_TEST_BOTH(filters_apply),
        SEARCH_TEST_BOTH(excluded_word_applies),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
