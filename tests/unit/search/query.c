/* SPDX-License-Identifier: MIT */
/* Tests of search queries on both engines: ranking, prefixes, folding, highlights, filters, paging, access. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "search_fixture.h"

#include "host/common/alloc.h"
#include "host/common/error.h"

static const char *const catalog_entities[] = {
    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"payments-api\",\"title\":\"Payments API\","
    "\"description\":\"Takes card charges from the shop.\",\"tags\":[\"java\"]},"
    "\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\",\"owner\":\"team-a\"}}",

    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"ledger\",\"description\":\"Stores "
    "payments for the books.\"},\"spec\":{\"type\":\"service\",\"lifecycle\":\"experimental\","
    "\"owner\":\"team-b\"}}",

    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"cafe-menu\",\"title\":\"Café Menu\","
    "\"description\":\"Lists the drinks of the crème brûlée bar.\"},"
    "\"spec\":{\"type\":\"website\",\"lifecycle\":\"production\",\"owner\":\"team-b\"}}",

    "{\"kind\":\"Group\",\"metadata\":{\"name\":\"team-a\",\"description\":\"Builds checkout\"},"
    "\"spec\":{\"type\":\"team\",\"profile\":{\"displayName\":\"Team Alpha\"}}}",

    "{\"kind\":\"API\",\"metadata\":{\"name\":\"billing-api\",\"description\":\"Sends invoices\"},"
    "\"spec\":{\"type\":\"openapi\",\"lifecycle\":\"production\",\"owner\":\"team-a\"}}",
};

/* 60 more entities for paging: "worker service number N". */
#define WORKER_COUNT 60

static void seed(search_fixture *fixture)
{
    for (size_t i = 0; i < sizeof(catalog_entities) / sizeof(catalog_entities[0]); i++)
        free(put_entity(fixture->db->db, catalog_entities[i]));
    for (int i = 0; i < WORKER_COUNT; i++) {
        char *json = gr_xasprintf("{\"kind\":\"Component\",\"metadata\":{\"name\":\"worker-%02d\","
                                  "\"description\":\"Worker service number %d\"},\"spec\":{"
                                  "\"type\":\"%s\",\"lifecycle\":\"production\",\"owner\":"
                                  "\"team-c\"}}",
                                  i, i, i % 2 ? "service" : "website");

        free(put_entity(fixture->db->db, json));
        free(json);
    }
    if (gr_search_reindex(fixture->search, NULL) != 0)
        fail_msg("reindex failed: %s", gr_error_last());
}

static void ranking_title_above_text(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;

    seed(fixture);
    result = query_term(fixture->search, "payments");
    assert_int_equal(result_count(result), 2);
    assert_string_equal(result_field(result, 0, "title"), "Payments API");
    assert_string_equal(result_field(result, 1, "title"), "ledger");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(result, "results"), 1), "rank")),
                     2);
    json_decref(result);
}

static void document_has_backstage_fields(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;

    seed(fixture);
    result = query_term(fixture->search, "checkout");
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "title"), "team-a");
    assert_string_equal(result_field(result, 0, "text"), "Builds checkout : Team Alpha");
    assert_string_equal(result_field(result, 0, "location"), "/catalog/default/group/team-a");
    assert_string_equal(result_field(result, 0, "kind"), "Group");
    assert_string_equal(result_field(result, 0, "namespace"), "default");
    assert_string_equal(result_field(result, 0, "type"), "team");
    assert_string_equal(result_field(result, 0, "componentType"), "team");
    assert_string_equal(result_field(result, 0, "lifecycle"), "");
    assert_string_equal(result_field(result, 0, "owner"), "");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(result, "results"), 0), "type")),
                        "software-catalog");
    json_decref(result);
}

static void prefix_matches_type_ahead(void **state)
{
    search_fixture *fixture = *state;

    seed(fixture);
    assert_true(has_location(fixture->search, "paym", "/catalog/default/component/payments-api"));
    assert_true(has_location(fixture->search, "pa", "/catalog/default/component/payments-api"));
    assert_true(has_location(fixture->search, "ledg", "/catalog/default/component/ledger"));
    assert_true(has_location(fixture->search, "invoi", "/catalog/default/api/billing-api"));
    assert_false(has_location(fixture->search, "paymentsx", "/catalog/default/component/payments-api"));
}

static void words_are_anded(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;

    seed(fixture);
    result = query_term(fixture->search, "card shop");
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "title"), "Payments API");
    json_decref(result);
    result = query_term(fixture->search, "card drinks");
    assert_int_equal(result_count(result), 0);
    json_decref(result);
}

static void keywords_match_name_and_tags(void **state)
{
    search_fixture *fixture = *state;

    seed(fixture);
    assert_true(has_location(fixture->search, "java", "/catalog/default/component/payments-api"));
    assert_true(has_location(fixture->search, "worker-07", "/catalog/default/component/worker-07"));
}

static void diacritics_fold_both_ways(void **state)
{
    search_fixture *fixture = *state;
    const char *menu = "/catalog/default/component/cafe-menu";

    seed(fixture);
    assert_true(has_location(fixture->search, "cafe", menu));
    assert_true(has_location(fixture->search, "café", menu));
    assert_true(has_location(fixture->search, "CAFÉ", menu));
    assert_true(has_location(fixture->search, "creme brulee", menu));
    assert_true(has_location(fixture->search, "brûl", menu));
}

static void highlight_wraps_matches(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;
    const json_t *highlight;
    const char *pre;
    const char *post;
    char *expected;

    seed(fixture);
    result = query_term(fixture->search, "payments");
    highlight = json_object_get(json_array_get(json_object_get(result, "results"), 0), "highlight");
    pre = json_string_value(json_object_get(highlight, "preTag"));
    post = json_string_value(json_object_get(highlight, "postTag"));
    assert_non_null(pre);
    assert_non_null(post);
    assert_int_equal(pre[0], '<');
    assert_int_equal(strncmp(post, "</", 2), 0);
    assert_string_equal(post + 2, pre + 1);

    expected = gr_xasprintf("%sPayments%s API", pre, post);
    assert_string_equal(json_string_value(json_object_get(json_object_get(highlight, "fields"),
                                                          "title")),
                        expected);
    free(expected);
    /* The text of the first result does not match, so it has no highlight. */
    assert_null(json_object_get(json_object_get(highlight, "fields"), "text"));

    highlight = json_object_get(json_array_get(json_object_get(result, "results"), 1), "highlight");
    expected = gr_xasprintf("Stores %spayments%s for the books.", pre, post);
    assert_string_equal(json_string_value(json_object_get(json_object_get(highlight, "fields"),
                                                          "text")),
                        expected);
    free(expected);
    json_decref(result);
}

static void highlight_marks_accented_word(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;
    const json_t *highlight;
    char *expected;

    seed(fixture);
    result = query_term(fixture->search, "cafe");
    highlight = json_object_get(json_array_get(json_object_get(result, "results"), 0), "highlight");
    expected = gr_xasprintf("%sCafé%s Menu", json_string_value(json_object_get(highlight, "preTag")),
                            json_string_value(json_object_get(highlight, "postTag")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(highlight, "fields"),
                                                          "title")),
                        expected);
    free(expected);
    json_decref(result);
}

static void types_select_documents(void **state)
{
    search_fixture *fixture = *state;
    const char *catalog[] = {"software-catalog"};
    const char *techdocs[] = {"techdocs"};
    const char *unknown[] = {"wiki"};
    gr_search_request request = {.term = "payments", .types = catalog, .type_count = 1};
    json_t *result;

    seed(fixture);
    result = query_ok(fixture->search, &request);
    assert_int_equal(result_count(result), 2);
    json_decref(result);

    request.types = techdocs;
    result = query_ok(fixture->search, &request);
    assert_int_equal(result_count(result), 0);
    json_decref(result);

    request.types = unknown;
    result = NULL;
    assert_int_equal(gr_search_query(fixture->search, &request, NULL, &result), GR_EINVALID);
    assert_null(result);
    assert_non_null(strstr(gr_error_last(), "wiki"));
}

static void filters_match_fields(void **state)
{
    search_fixture *fixture = *state;
    const char *component[] = {"component"};
    const char *production[] = {"Production"};
    const char *kinds[] = {"Component", "api"};
    gr_search_filter filters[2] = {{"kind", component, 1}, {"lifecycle", production, 1}};
    gr_search_request request = {.term = "", .filters = filters, .filter_count = 2,
                                 .page_limit = 100};
    json_t *result;

    seed(fixture);
    result = query_ok(fixture->search, &request);
    /* payments-api, cafe-menu and the workers. */
    assert_int_equal(result_count(result), 2 + WORKER_COUNT);
    json_decref(result);

    request.term = "payments";
    result = query_ok(fixture->search, &request);
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "title"), "Payments API");
    json_decref(result);

    filters[0].values = kinds;
    filters[0].count = 2;
    request.term = "production";
    request.filter_count = 1;
    request.term = "invoices";
    result = query_ok(fixture->search, &request);
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "kind"), "API");
    json_decref(result);

    filters[0].key = "nosuchfield";
    result = query_ok(fixture->search, &request);
    assert_int_equal(result_count(result), 0);
    json_decref(result);
}

static void paging_has_no_gaps(void **state)
{
    search_fixture *fixture = *state;
    char seen[WORKER_COUNT] = {0};
    char *cursor = NULL;
    int pages = 0;
    int total = 0;

    seed(fixture);
    do {
        gr_search_request request = {.term = "worker", .page_limit = 25, .page_cursor = cursor};
        json_t *result = query_ok(fixture->search, &request);
        const json_t *results = json_object_get(result, "results");
        const char *next = json_string_value(json_object_get(result, "nextPageCursor"));
        const char *previous = json_string_value(json_object_get(result, "previousPageCursor"));

        assert_int_equal(result_count(result), WORKER_COUNT);
        if (pages == 0) {
            assert_null(previous);
            assert_string_equal(next, "MQ==");
        } else if (pages == 1) {
            assert_string_equal(previous, "MA==");
            assert_string_equal(next, "Mg==");
        } else {
            assert_string_equal(previous, "MQ==");
            assert_null(next);
        }
        for (size_t i = 0; i < json_array_size(results); i++) {
            int number = atoi(result_field(result, i, "title") + strlen("worker-"));
            int64_t rank = json_integer_value(json_object_get(json_array_get(results, i), "rank"));

            assert_in_range(number, 0, WORKER_COUNT - 1);
            assert_int_equal(seen[number], 0);
            seen[number] = 1;
            assert_int_equal(rank, pages * 25 + (int64_t)i + 1);
            total++;
        }
        free(cursor);
        cursor = next ? gr_xstrdup(next) : NULL;
        json_decref(result);
        pages++;
    } while (cursor != NULL);
    assert_int_equal(pages, 3);
    assert_int_equal(total, WORKER_COUNT);
}

static void empty_term_lists_everything(void **state)
{
    search_fixture *fixture = *state;
    gr_search_request request = {.term = NULL, .page_limit = 10};
    json_t *result;

    seed(fixture);
    result = query_ok(fixture->search, &request);
    assert_int_equal(result_count(result), 5 + WORKER_COUNT);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 10);
    assert_int_equal(json_object_size(json_object_get(
                         json_object_get(json_array_get(json_object_get(result, "results"), 0),
                                         "highlight"),
                         "fields")),
                     0);
    json_decref(result);
}

static void page_past_end_keeps_count(void **state)
{
    search_fixture *fixture = *state;
    gr_search_request request = {.term = "worker", .page_limit = 25, .page_cursor = "OQ=="};
    json_t *result;

    seed(fixture);
    result = query_ok(fixture->search, &request);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 0);
    assert_int_equal(result_count(result), WORKER_COUNT);
    assert_null(json_object_get(result, "nextPageCursor"));
    json_decref(result);
}

static void invalid_requests_rejected(void **state)
{
    search_fixture *fixture = *state;
    char long_term[120];
    gr_search_request limit = {.term = "x", .page_limit = 101};
    gr_search_request cursor = {.term = "x", .page_cursor = "not a cursor"};
    gr_search_request term = {.term = long_term};
    gr_search_request utf8 = {.term = "\xff\xfe"};
    json_t *result = NULL;

    memset(long_term, 'a', sizeof(long_term) - 1);
    long_term[sizeof(long_term) - 1] = '\0';
    assert_int_equal(gr_search_query(fixture->search, &limit, NULL, &result), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "101"));
    assert_int_equal(gr_search_query(fixture->search, &cursor, NULL, &result), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "pageCursor"));
    assert_int_equal(gr_search_query(fixture->search, &term, NULL, &result), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "119"));
    assert_int_equal(gr_search_query(fixture->search, &utf8, NULL, &result), GR_EINVALID);
    assert_null(result);
}

static void punctuation_only_term_lists_all(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;

    seed(fixture);
    result = query_term(fixture->search, "\"*) (-- :");
    assert_int_equal(result_count(result), 5 + WORKER_COUNT);
    json_decref(result);
}

/* Lets a caller read only entities whose spec.owner is the caller's subject. */
static int owner_access(void *payload, const void *caller, const char *id_column,
                        gr_search_access *out)
{
    const char *owner = caller;

    (void)payload;
    if (owner == NULL) {
        out->decision = GR_SEARCH_DENY;
        return 0;
    }
    out->decision = GR_SEARCH_CONDITIONAL;
    gr_buf_printf(&out->sql,
                  "EXISTS (SELECT 1 FROM catalog_search s WHERE s.entity_id = %s AND "
                  "s.key = 'spec.owner' AND s.value = ?)",
                  id_column);
    gr_search_access_param(out, owner);
    return 0;
}

static void access_filters_before_paging(void **state)
{
    search_fixture *fixture = *state;
    gr_search_request request = {.term = "payments", .page_limit = 1};
    json_t *result = NULL;

    seed(fixture);
    gr_search_set_access(fixture->search, owner_access, NULL);

    assert_int_equal(gr_search_query(fixture->search, &request, "team-b", &result), 0);
    assert_int_equal(result_count(result), 1);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 1);
    assert_string_equal(result_field(result, 0, "title"), "ledger");
    assert_null(json_object_get(result, "nextPageCursor"));
    json_decref(result);

    assert_int_equal(gr_search_query(fixture->search, &request, "team-a", &result), 0);
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "title"), "Payments API");
    json_decref(result);

    request.term = "";
    assert_int_equal(gr_search_query(fixture->search, &request, "team-a", &result), 0);
    assert_int_equal(result_count(result), 2);
    json_decref(result);

    assert_int_equal(gr_search_query(fixture->search, &request, NULL, &result), 0);
    assert_int_equal(result_count(result), 0);
    assert_int_equal(json_array_size(json_object_get(result, "results")), 0);
    assert_null(json_object_get(result, "nextPageCursor"));
    json_decref(result);
}

/* A plugin collator: two public FAQ entries and one with an unsafe location. */
static int faq_collate_all(void *payload, gr_search_sink *sink)
{
    json_t *fields = json_pack("{s:s}", "topic", "access");
    gr_search_doc docs[] = {
        {.source = "faq", .title = "How do I get access?", .text = "Ask your lead for access.",
         .location = "/faq#access", .fields = fields},
        {.source = "faq", .title = "Where are the payments dashboards?", .text = "In Grafana.",
         .location = "https://grafana.example.com/d/payments"},
    };
    gr_search_doc unsafe = {.source = "faq", .title = "Bad payments link",
                            .location = "javascript:alert(1)"};
    int *rejected = payload;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < 2; i++)
        rc = gr_search_sink_add(sink, &docs[i]);
    if (rc == 0 && gr_search_sink_add(sink, &unsafe) == GR_EINVALID)
        (*rejected)++;
    json_decref(fields);
    return rc;
}

static void plugin_collator_is_searchable(void **state)
{
    search_fixture *fixture = *state;
    int rejected = 0;
    gr_search_collator faq = {.type = "faq", .collate_all = faq_collate_all, .payload = &rejected};
    const char *types[] = {"faq"};
    const char *topic[] = {"ACCESS"};
    gr_search_filter filter = {"topic", topic, 1};
    gr_search_request request = {.term = "payments", .types = types, .type_count = 1};
    json_t *result = NULL;

    assert_int_equal(gr_search_register_collator(fixture->search, &faq), 0);
    assert_int_equal(gr_search_register_collator(fixture->search, &faq), GR_ECONFLICT);
    seed(fixture);
    assert_int_equal(rejected, 1);

    /* Documents without a resource are readable by everyone, also when entities are not. */
    gr_search_set_access(fixture->search, owner_access, NULL);
    assert_int_equal(gr_search_query(fixture->search, &request, NULL, &result), 0);
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "location"),
                        "https://grafana.example.com/d/payments");
    json_decref(result);

    request.term = "access";
    request.filters = &filter;
    request.filter_count = 1;
    assert_int_equal(gr_search_query(fixture->search, &request, NULL, &result), 0);
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "topic"), "access");
    json_decref(result);
}

static void collator_type_checked(void **state)
{
    search_fixture *fixture = *state;
    gr_search_collator bad = {.type = "Bad Type", .collate_all = faq_collate_all};
    gr_search_collator none = {.type = "ok"};

    assert_int_equal(gr_search_register_collator(fixture->search, &bad), GR_EINVALID);
    assert_int_equal(gr_search_register_collator(fixture->search, &none), GR_EINVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SEARCH_TEST_BOTH(ranking_title_above_text),
        SEARCH_TEST_BOTH(document_has_backstage_fields),
        SEARCH_TEST_BOTH(prefix_matches_type_ahead),
        SEARCH_TEST_BOTH(words_are_anded),
        SEARCH_TEST_BOTH(keywords_match_name_and_tags),
        SEARCH_TEST_BOTH(diacritics_fold_both_ways),
        SEARCH_TEST_BOTH(highlight_wraps_matches),
        SEARCH_TEST_BOTH(highlight_marks_accented_word),
        SEARCH_TEST_BOTH(types_select_documents),
        SEARCH_TEST_BOTH(filters_match_fields),
        SEARCH_TEST_BOTH(paging_has_no_gaps),
        SEARCH_TEST_BOTH(empty_term_lists_everything),
        SEARCH_TEST_BOTH(page_past_end_keeps_count),
        SEARCH_TEST_BOTH(invalid_requests_rejected),
        SEARCH_TEST_BOTH(punctuation_only_term_lists_all),
        SEARCH_TEST_BOTH(access_filters_before_paging),
        SEARCH_TEST_BOTH(plugin_collator_is_searchable),
        SEARCH_TEST_BOTH(collator_type_checked),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
