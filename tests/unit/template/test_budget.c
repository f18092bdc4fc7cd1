/* SPDX-License-Identifier: MIT */
/* Unit tests for template budgets: a limit on the work of several renders together. */
#include "template_test.h"

#include <time.h>

/*
 * About 500,000 counted iterations, because each item of a range and each
 * loop pass count: within the per-render limit, half of a budget of 1,000,000.
 */
#define LOOP "{% for i in range(0,499) %}{% for j in range(0,499) %}{% endfor %}{% endfor %}x"

static int64_t monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static gr_tmpl_budget make_budget(uint64_t iterations)
{
    gr_tmpl_budget budget = {
        .iterations_left = iterations,
        .iterations_total = iterations,
        .iterations_setting = "test.iterations",
        .deadline_setting = "test.deadline",
    };

    return budget;
}

static void budget_shared_across_renders(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    gr_tmpl_budget budget = make_budget(1000000);
    char *out = NULL;
    int rc = 0;
    int renders = 0;

    (void)state;
    while (renders < 10 &&
           (rc = gr_tmpl_render_string_budget(engine, "t", LOOP, NULL, &budget, &out)) == GR_OK) {
        assert_string_equal(out, "x");
        free(out);
        renders++;
    }
    assert_int_equal(rc, GR_ELIMIT);
    assert_int_equal(renders, 2);
    assert_true(budget.exhausted);
    assert_non_null(strstr(gr_error_last(), "test.iterations"));
    assert_non_null(strstr(gr_error_last(), "1000000"));
    gr_tmpl_engine_free(engine);
}

static void budget_deadline_stops_render(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    gr_tmpl_budget budget = make_budget(UINT64_MAX);
    char *out = NULL;
    int rc;

    (void)state;
    budget.deadline_ms = monotonic_ms() - 1;
    rc = gr_tmpl_render_string_budget(engine, "t", LOOP, NULL, &budget, &out);
    assert_int_equal(rc, GR_ELIMIT);
    assert_null(out);
    assert_true(budget.exhausted);
    assert_non_null(strstr(gr_error_last(), "test.deadline"));
    gr_tmpl_engine_free(engine);
}

static void budget_exhausted_fails_value(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    gr_tmpl_budget budget = make_budget(1000);
    json_t *input = json_pack("{s:s}", "message", LOOP);
    json_t *out = NULL;

    (void)state;
    /* A budget too small for one render fails the call, where other template errors keep the text.
     */
    assert_int_equal(gr_tmpl_render_value_budget(engine, input, NULL, &budget, &out), GR_ELIMIT);
    assert_null(out);
    assert_true(budget.exhausted);
    json_decref(input);
    gr_tmpl_engine_free(engine);
}

static void collect_message(void *payload, const char *message)
{
    json_array_append_new(payload, json_string(message));
}

static void budget_reports_kept_error(void **state)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    gr_tmpl_budget budget = make_budget(1000);
    json_t *messages = json_array();
    json_t *input = json_pack("{s:s}", "message", "a ${{ 1 | no_such_filter }} b");
    json_t *out = NULL;

    (void)state;
    budget.on_kept_error = collect_message;
    budget.payload = messages;
    assert_int_equal(gr_tmpl_render_value_budget(engine, input, NULL, &budget, &out), GR_OK);
    assert_true(json_equal(out, input));
    assert_int_equal(json_array_size(messages), 1);
    assert_non_null(strstr(json_string_value(json_array_get(messages, 0)), "no_such_filter"));
    assert_false(budget.exhausted);
    json_decref(out);
    json_decref(input);
    json_decref(messages);
    gr_tmpl_engine_free(engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_shared_across_renders),
        cmocka_unit_test(budget_deadline_stops_render),
        cmocka_unit_test(budget_exhausted_fails_value),
        cmocka_unit_test(budget_reports_kept_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
