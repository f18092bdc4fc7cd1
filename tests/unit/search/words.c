/* SPDX-License-Identifier: MIT */
/* Tests of search text folding, schedule durations and location templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/search/collator_catalog.h"
#include "plugins/search/collator_techdocs.h"
#include "plugins/search/schedule.h"
#include "plugins/search/words.h"

static void fold_case_and_accents(void **state)
{
    static const char *const cases[][2] = {
        {"Café", "cafe"},
        {"CRÈME Brûlée", "creme brulee"},
        {"team-payments-0000", "team payments 0000"},
        {"  --a..b  ", "a b"},
        {"Straße", "strasse"},
        {"日本語 テキスト", "日本語 テキスト"},
        {"", ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *folded = gr_search_fold(cases[i][0]);

        assert_non_null(folded);
        assert_string_equal(folded, cases[i][1]);
        free(folded);
    }
}

static void fold_rejects_invalid_utf8(void **state)
{
    (void)state;
    assert_null(gr_search_fold("ok \xc3\x28"));
}

static void durations_parse(void **state)
{
    static const struct {
        const char *json;
        int64_t ms;
    } cases[] = {
        {"{\"minutes\": 10}", 600000},
        {"{\"hours\": 1, \"seconds\": 30}", 3630000},
        {"{\"milliseconds\": 1500}", 1500},
        {"\"PT10M\"", 600000},
        {"\"P1DT2H\"", 93600000},
        {"\"PT0.5S\"", 500},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *value = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        int64_t ms = -1;

        assert_int_equal(gr_search_duration_ms(value, &ms, NULL), 0);
        assert_int_equal(ms, cases[i].ms);
        json_decref(value);
    }
}

static void durations_reject_bad_input(void **state)
{
    static const char *const cases[] = {
        "{\"fortnights\": 1}", "{\"minutes\": -1}", "\"10 minutes\"", "\"P\"",
        "{\"cron\": \"*/5 * * * *\"}", "5", "\"PT5X\"",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *value = json_loads(cases[i], JSON_DECODE_ANY, NULL);
        gr_buf message = GR_BUF_INIT;
        int64_t ms = 0;

        assert_int_equal(gr_search_duration_ms(value, &ms, &message), GR_EINVALID);
        assert_true(message.len > 0);
        gr_buf_free(&message);
        json_decref(value);
    }
}

static void schedule_check_needs_frequency(void **state)
{
    json_t *good = json_pack("{s:{s:i},s:{s:i}}", "frequency", "minutes", 5, "timeout",
                             "minutes", 1);
    json_t *missing = json_pack("{s:{s:i}}", "timeout", "minutes", 1);
    json_t *unknown = json_pack("{s:{s:i},s:s}", "frequency", "minutes", 5, "every", "x");
    json_t *fast = json_pack("{s:{s:i}}", "frequency", "milliseconds", 10);
    gr_buf message = GR_BUF_INIT;

    (void)state;
    assert_int_equal(gr_search_schedule_check(&good, &message), 0);
    assert_int_equal(gr_search_schedule_check(&missing, &message), GR_EINVALID);
    assert_int_equal(gr_search_schedule_check(&unknown, &message), GR_EINVALID);
    assert_int_equal(gr_search_schedule_check(&fast, &message), GR_EINVALID);
    gr_buf_free(&message);
    json_decref(good);
    json_decref(missing);
    json_decref(unknown);
    json_decref(fast);
}

static void location_template_filled(void **state)
{
    char *catalog = gr_search_location(GR_SEARCH_CATALOG_LOCATION, "default", "component",
                                       "orders", NULL);
    char *docs = gr_search_location(GR_SEARCH_TECHDOCS_LOCATION, "default", "component",
                                    "orders", "setup/#install");

    (void)state;
    assert_string_equal(catalog, "/catalog/default/component/orders");
    assert_string_equal(docs, "/docs/default/component/orders/setup/#install");
    free(catalog);
    free(docs);
}

static void html_references_unescaped(void **state)
{
    char *text = gr_search_unescape_html("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &copy;");

    (void)state;
    assert_string_equal(text, "a & b <c> \"d\" 'e' &copy;");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fold_case_and_accents),
        cmocka_unit_test(fold_rejects_invalid_utf8),
        cmocka_unit_test(durations_parse),
        cmocka_unit_test(durations_reject_bad_input),
        cmocka_unit_test(schedule_check_needs_frequency),
        cmocka_unit_test(location_template_filled),
        cmocka_unit_test(html_references_unescaped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
