/* SPDX-License-Identifier: MIT */
/* Tests of sign-in sessions: refresh until auth.sessionMaxAge, sign-out, and the config check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/auth/auth.h"
#include "host/auth/keystore.h"
#include "host/auth/resolver.h"
#include "host/auth/token.h"
#include "host/common/alloc.h"
#include "host/common/arena.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/store/db.h"
#include "support/gr_test.h"

#define DAY_S 86400
#define START_S 1800000000

/* One auth service over a fresh SQLite database, with a clock the test moves. */
typedef struct {
    char *dir;
    gr_config *config;
    gr_db *db;
    gr_auth *auth;
    gr_arena *arena;
    int64_t now;
} session_fixture;

static int64_t fixture_clock(void *payload)
{
    return *(const int64_t *)payload;
}

static int fixture_open(session_fixture *fx, const char *config_text)
{
    gr_config_schema *schema = NULL;
    gr_db_options db_options = {0};
    char *config_path;
    char *db_path;
    const char *files[1];
    int rc;

    memset(fx, 0, sizeof(*fx));
    fx->now = START_S;
    fx->dir = gr_test_tmpdir("session");
    gr_test_write_file(fx->dir, "app-config.yaml", config_text);
    config_path = gr_xasprintf("%s/app-config.yaml", fx->dir);
    files[0] = config_path;
    assert_int_equal(gr_config_schema_builtin(&schema), 0);
    assert_int_equal(gr_config_load(&fx->config, files, 1, schema), 0);
    gr_config_schema_free(schema);
    free(config_path);

    db_path = gr_xasprintf("%s/auth.sqlite", fx->dir);
    db_options.path = db_path;
    assert_int_equal(gr_db_open(&fx->db, &db_options), 0);
    free(db_path);

    rc = gr_auth_new(&fx->auth, fx->config, fx->db);
    if (rc == GR_OK)
        gr_auth_keys_set_clock(gr_auth_keys_get(fx->auth), fixture_clock, &fx->now);
    fx->arena = gr_arena_new();
    return rc;
}

static void fixture_close(session_fixture *fx)
{
    gr_arena_free(fx->arena);
    gr_auth_free(fx->auth);
    gr_db_close(fx->db);
    gr_config_free(fx->config);
    gr_test_rmtree(fx->dir);
    free(fx->dir);
}

/* Signs jane in and fills `identity` from the token, as a request would. */
static void sign_in(session_fixture *fx, gr_identity *identity)
{
    const char *ownership[] = {"user:default/jane"};
    gr_auth_user *user = gr_auth_user_new("user:default/jane", ownership, 1);
    char *token = NULL;

    assert_int_equal(gr_auth_issue(fx->auth, user, &token, NULL), 0);
    memset(identity, 0, sizeof(*identity));
    assert_int_equal(gr_auth_token_verify(gr_auth_keys_get(fx->auth), gr_auth_issuer(fx->auth),
                                          token, fx->arena, identity),
                     0);
    assert_non_null(identity->session_id);
    free(token);
    gr_auth_user_free(user);
}

static int refresh(session_fixture *fx, const gr_identity *identity)
{
    char *token = NULL;
    int rc = gr_auth_refresh(fx->auth, identity, &token, NULL);

    free(token);
    return rc;
}

static void refresh_within_max_age(void **state)
{
    session_fixture fx;
    gr_identity identity;

    (void)state;
    assert_int_equal(fixture_open(&fx, "auth:\n  sessionMaxAge: {days: 2}\n"), 0);
    sign_in(&fx, &identity);
    fx.now += DAY_S;
    assert_int_equal(refresh(&fx, &identity), 0);
    fx.now += DAY_S - 60;
    assert_int_equal(refresh(&fx, &identity), 0);
    fixture_close(&fx);
}

static void refresh_past_max_age_fails(void **state)
{
    session_fixture fx;
    gr_identity identity;

    (void)state;
    assert_int_equal(fixture_open(&fx, "auth:\n  sessionMaxAge: {days: 2}\n"), 0);
    sign_in(&fx, &identity);
    fx.now += DAY_S;
    assert_int_equal(refresh(&fx, &identity), 0);
    fx.now += DAY_S + 1;
    assert_int_equal(refresh(&fx, &identity), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "auth.sessionMaxAge"));
    fixture_close(&fx);
}

static void default_max_age_is_a_week(void **state)
{
    session_fixture fx;
    gr_identity identity;

    (void)state;
    assert_int_equal(fixture_open(&fx, "app:\n  title: t\n"), 0);
    sign_in(&fx, &identity);
    fx.now += 7 * DAY_S - 60;
    assert_int_equal(refresh(&fx, &identity), 0);
    fx.now += 120;
    assert_int_equal(refresh(&fx, &identity), GR_EUNAUTH);
    fixture_close(&fx);
}

static void refresh_after_sign_out_fails(void **state)
{
    session_fixture fx;
    gr_identity identity;

    (void)state;
    assert_int_equal(fixture_open(&fx, "app:\n  title: t\n"), 0);
    sign_in(&fx, &identity);
    assert_int_equal(gr_auth_sign_out(fx.auth, &identity), 0);
    assert_int_equal(refresh(&fx, &identity), GR_EUNAUTH);
    assert_non_null(strstr(gr_error_last(), "signed out"));
    fixture_close(&fx);
}

static void max_age_shorter_than_token_rejected(void **state)
{
    session_fixture fx;

    (void)state;
    assert_int_equal(fixture_open(&fx, "auth:\n  backstageTokenExpiration: {hours: 2}\n"
                                       "  sessionMaxAge: {hours: 1}\n"),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "auth.sessionMaxAge"));
    assert_non_null(strstr(gr_error_last(), "7200"));
    fixture_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refresh_within_max_age),
        cmocka_unit_test(refresh_past_max_age_fails),
        cmocka_unit_test(default_max_age_is_a_week),
        cmocka_unit_test(refresh_after_sign_out_fails),
        cmocka_unit_test(max_age_shorter_than_token_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
