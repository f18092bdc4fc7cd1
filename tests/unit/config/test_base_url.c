/* SPDX-License-Identifier: MIT */
/* Unit tests for the comparison of the origins of app.baseUrl and backend.baseUrl. */
#include "config_fixture.h"

typedef struct {
    const char *app;     /* app.baseUrl, or NULL to leave it unset */
    const char *backend; /* backend.baseUrl */
    bool differ;
} base_url_case;

static const base_url_case base_url_cases[] = {
    {"http://localhost:3000", "http://localhost:7007", true},
    {"https://portal.example.com", "http://portal.example.com", true},
    {"https://portal.example.com", "https://api.example.com", true},
    {"http://127.0.0.1:7007", "http://localhost:7007", true},
    {"http://[::1]:7007", "http://[::1]:7008", true},
    {"http://localhost:7007", "http://localhost:7007/", false},
    {"http://LocalHost:7007/portal", "HTTP://localhost:7007", false},
    {"http://portal.example.com", "http://portal.example.com:80/api", false},
    {"https://portal.example.com:443", "https://portal.example.com", false},
    {"http://user@portal.example.com:7007", "http://portal.example.com:7007", false},
    {"http://[::1]:7007", "http://[::1]:7007/", false},
    {NULL, "http://localhost:7007", false},
    {"portal.example.com", "http://localhost:7007", false},
    {"http://", "http://localhost:7007", false},
};

/* Loads a config with the URLs of `c` and returns whether their origins differ. */
static bool load_and_compare(const base_url_case *c, gr_buf *problem, gr_buf *fix)
{
    gr_buf text = GR_BUF_INIT;
    gr_config *cfg;
    bool differ;

    if (c->app != NULL)
        gr_buf_printf(&text, "app:\n  baseUrl: '%s'\n", c->app);
    gr_buf_printf(&text, "backend:\n  baseUrl: '%s'\n", c->backend);
    fixture_write("app.yaml", gr_buf_cstr(&text));
    cfg = fixture_load_one("app.yaml");
    differ = gr_config_base_urls_differ(cfg, problem, fix);
    gr_config_free(cfg);
    gr_buf_free(&text);
    return differ;
}

static void base_url_origins_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(base_url_cases) / sizeof(base_url_cases[0]); i++) {
        const base_url_case *c = &base_url_cases[i];
        gr_buf problem = GR_BUF_INIT;
        gr_buf fix = GR_BUF_INIT;
        bool differ = load_and_compare(c, &problem, &fix);

        if (differ != c->differ)
            fail_msg("app.baseUrl %s, backend.baseUrl %s: expected %s, found %s",
                     c->app ? c->app : "(unset)", c->backend, c->differ ? "differ" : "same",
                     differ ? "differ" : "same");
        assert_int_equal(problem.len == 0, !c->differ);
        assert_int_equal(fix.len == 0, !c->differ);
        gr_buf_free(&problem);
        gr_buf_free(&fix);
    }
}

static void base_url_warning_names_both(void **state)
{
    const base_url_case c = {"http://localhost:3000", "http://greenroom.example.com:7007", true};
    gr_buf problem = GR_BUF_INIT;
    gr_buf fix = GR_BUF_INIT;

    (void)state;
    assert_true(load_and_compare(&c, &problem, &fix));
    assert_non_null(strstr(gr_buf_cstr(&problem), "app.baseUrl http://localhost:3000"));
    assert_non_null(
        strstr(gr_buf_cstr(&problem), "backend.baseUrl http://greenroom.example.com:7007"));
    assert_non_null(strstr(gr_buf_cstr(&problem), "different origins"));
    assert_non_null(
        strstr(gr_buf_cstr(&fix), "Set app.baseUrl to http://greenroom.example.com:7007"));
    assert_non_null(strstr(gr_buf_cstr(&fix), "both URLs reach this greenroom server"));
    gr_buf_free(&problem);
    gr_buf_free(&fix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(base_url_origins_table, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(base_url_warning_names_both, fixture_setup,
                                        fixture_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
