/* SPDX-License-Identifier: MIT */
/* Tests of the search query language: parts, phrases, prefixes, exclusions, field filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/search/terms.h"

/* Parses `term` and checks both engine expressions; NULL expects none. */
static void check_term(const char *term, const char *fts5, const char *tsquery)
{
    gr_search_terms terms;
    char *got_fts5;
    char *got_tsquery;

    assert_int_equal(gr_search_terms_parse(term, &terms), 0);
    got_fts5 = gr_search_terms_fts5(&terms);
    got_tsquery = gr_search_terms_tsquery(&terms);
    if (fts5 == NULL)
        assert_null(got_fts5);
    else
        assert_string_equal(got_fts5, fts5);
    if (tsquery == NULL)
        assert_null(got_tsquery);
    else
        assert_string_equal(got_tsquery, tsquery);
    free(got_fts5);
    free(got_tsquery);
    gr_search_terms_free(&terms);
}

static void words_are_anded_with_prefixes(void **state)
{
    (void)state;
    check_term("Pay Team", "((\"pay\" OR \"pay\"*) AND (\"team\" OR \"team\"*))",
               "(pay | pay:*) & (team | team:*)");
    check_term("payments-a", "((\"payments\" OR \"payments\"*) AND (\"a\" OR \"a\"*))",
               "(payments | payments:*) & (a | a:*)");
}

/* Checks the forms for counting and for type-ahead of `term`. */
static void check_match_forms(const char *term, const char *unscored, const char *typeahead)
{
    gr_search_terms terms;
    char *got_unscored;
    char *got_typeahead;

    assert_int_equal(gr_search_terms_parse(term, &terms), 0);
    got_unscored = gr_search_terms_fts5_unscored(&terms);
    got_typeahead = gr_search_terms_fts5_typeahead(&terms);
    if (unscored == NULL)
        assert_null(got_unscored);
    else
        assert_string_equal(got_unscored, unscored);
    if (typeahead == NULL)
        assert_null(got_typeahead);
    else
        assert_string_equal(got_typeahead, typeahead);
    free(got_unscored);
    free(got_typeahead);
    gr_search_terms_free(&terms);
}

static void unscored_and_typeahead_forms(void **state)
{
    (void)state;
    check_match_forms("Pay Team", "((\"pay\"*) AND (\"team\"*))", "(\"pay\" AND (\"team\"*))");
    check_match_forms("team-payments-0000", "((\"team\"*) AND (\"payments\"*) AND (\"0000\"*))",
                      "(\"team\" AND \"payments\" AND (\"0000\"*))");
    check_match_forms("\"card charges\" pay*", "(\"card charges\" AND \"pay\"*)",
                      "(\"card charges\" AND \"pay\"*)");
    check_match_forms("service -legacy", "((\"service\"*)) NOT (\"legacy\")", NULL);
    check_match_forms("-legacy", NULL, NULL);
}

static void typeahead_tsquery_labels_words(void **state)
{
    gr_search_terms terms;
    char *any;
    char *in_title;

    (void)state;
    assert_int_equal(gr_search_terms_parse("team-pay \"card ch\"*", &terms), 0);
    any = gr_search_terms_tsquery_typeahead(&terms, "");
    in_title = gr_search_terms_tsquery_typeahead(&terms, "A");
    assert_string_equal(any, "(team) & (pay) & (card <-> ch:*)");
    assert_string_equal(in_title, "(team:A) & (pay:A) & (card:A <-> ch:*A)");
    free(any);
    free(in_title);
    gr_search_terms_free(&terms);

    assert_int_equal(gr_search_terms_parse("team pay", &terms), 0);
    any = gr_search_terms_tsquery_typeahead(&terms, "A");
    assert_string_equal(any, "(team:A) & (pay:*A)");
    free(any);
    gr_search_terms_free(&terms);
}

static void phrases_keep_word_order(void **state)
{
    (void)state;
    check_term("\"Card Charges\" shop",
               "(\"card charges\" AND (\"shop\" OR \"shop\"*))",
               "(card <-> charges) & (shop | shop:*)");
    check_term("\"unclosed phrase", "(\"unclosed phrase\")", "(unclosed <-> phrase)");
    check_term("\"\"", NULL, NULL);
}

static void star_marks_prefix_only(void **state)
{
    (void)state;
    check_term("pay*", "(\"pay\"*)", "(pay:*)");
    check_term("\"card char\"*", "(\"card char\"*)", "(card <-> char:*)");
    check_term("***", NULL, NULL);
}

static void minus_excludes(void **state)
{
    gr_search_terms terms;
    char *excluded;

    (void)state;
    check_term("service -legacy -\"old api\"",
               "((\"service\" OR \"service\"*)) NOT (\"legacy\" OR \"old api\")",
               "(service | service:*) & !(legacy) & !(old <-> api)");
    check_term("a - b", "((\"a\" OR \"a\"*) AND (\"b\" OR \"b\"*))", "(a | a:*) & (b | b:*)");
    check_term("-legacy", NULL, "!(legacy)");

    assert_int_equal(gr_search_terms_parse("-legacy -x-y", &terms), 0);
    assert_int_equal(terms.included, 0);
    excluded = gr_search_terms_fts5_excluded(&terms);
    assert_string_equal(excluded, "\"legacy\" OR \"x y\"");
    free(excluded);
    gr_search_terms_free(&terms);
}

static void known_fields_filter(void **state)
{
    gr_search_terms terms;

    (void)state;
    assert_int_equal(gr_search_terms_parse("KIND:Component owner:\"Team A\" pay http:x", &terms),
                     0);
    assert_int_equal(terms.filter_count, 2);
    assert_string_equal(terms.filters[0].key, "kind");
    assert_string_equal(terms.filters[0].value, "component");
    assert_string_equal(terms.filters[1].key, "owner");
    assert_string_equal(terms.filters[1].value, "team a");
    /* "pay", then the unknown field as the words "http" and "x". */
    assert_int_equal(terms.count, 3);
    assert_string_equal(terms.parts[1].words[0], "http");
    gr_search_terms_free(&terms);

    check_term("kind:", "((\"kind\" OR \"kind\"*))", "(kind | kind:*)");
    check_term("-kind:api", NULL, "!(kind <-> api)");
    check_term("\"shop\"", "(\"shop\")", "(shop)");
}

static void limits_and_bad_input(void **state)
{
    char term[(GR_SEARCH_MAX_QUERY_WORDS + 5) * 4 + 1] = "";
    gr_search_terms terms;
    size_t words = 0;

    (void)state;
    for (int i = 0; i < GR_SEARCH_MAX_QUERY_WORDS + 5; i++)
        strcat(term, "\"ab ");
    assert_int_equal(gr_search_terms_parse(term, &terms), 0);
    for (size_t i = 0; i < terms.count; i++)
        words += terms.parts[i].count;
    assert_int_equal(words, GR_SEARCH_MAX_QUERY_WORDS);
    gr_search_terms_free(&terms);

    assert_int_equal(gr_search_terms_parse("kind:a kind:b kind:c kind:d kind:e kind:f kind:g "
                                           "kind:h kind:i kind:j",
                                           &terms),
                     0);
    assert_int_equal(terms.filter_count, GR_SEARCH_MAX_TERM_FILTERS);
    gr_search_terms_free(&terms);

    assert_int_equal(gr_search_terms_parse("k\xff", &terms), GR_EINVALID);
    gr_search_terms_free(&terms);
    check_term("!!! ::: ' ( ) ~ ^", NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words_are_anded_with_prefixes),
        cmocka_unit_test(unscored_and_typeahead_forms),
        cmocka_unit_test(typeahead_tsquery_labels_words),
        cmocka_unit_test(phrases_keep_word_order),
        cmocka_unit_test(star_marks_prefix_only),
        cmocka_unit_test(minus_excludes),
        cmocka_unit_test(known_fields_filter),
        cmocka_unit_test(limits_and_bad_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
