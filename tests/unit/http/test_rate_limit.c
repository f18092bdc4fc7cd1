/* SPDX-License-Identifier: MIT */
/* Unit tests of the token-bucket rate limiter and the rate limit options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/rate_limit.h"
#include "host/http/server.h"
#include "host/http/throttle.h"

/* A clock that only moves when the test moves it. */
static uint64_t test_clock(void *payload)
{
    return *(const uint64_t *)payload;
}

static gr_rate_limiter *limiter_at(unsigned limit, uint64_t window_ms, size_t keys,
                                   uint64_t *now)
{
    gr_rate_limiter *limiter = NULL;

    assert_int_equal(gr_rate_limiter_new(&limiter, "test", limit, window_ms, keys), GR_OK);
    gr_rate_limiter_set_clock(limiter, test_clock, now);
    return limiter;
}

static bool take(gr_rate_limiter *limiter, const char *key)
{
    gr_rate_limit_result result;

    gr_rate_limiter_take(limiter, key, &result);
    return result.allowed;
}

static void bucket_allows_burst(void **state)
{
    uint64_t now = 1000;
    gr_rate_limiter *limiter = limiter_at(3, 1000, 16, &now);
    gr_rate_limit_result result;

    (void)state;
    assert_true(take(limiter, "a"));
    assert_true(take(limiter, "a"));
    assert_true(take(limiter, "a"));
    gr_rate_limiter_take(limiter, "a", &result);
    assert_false(result.allowed);
    /* One token of three per second comes back after a third of a second. */
    assert_true(result.retry_after_ms >= 333);
    assert_true(result.retry_after_ms <= 334);
    assert_true(take(limiter, "b"));
    gr_rate_limiter_free(limiter);
}

static void bucket_refills_with_clock(void **state)
{
    uint64_t now = 5000;
    gr_rate_limiter *limiter = limiter_at(2, 1000, 16, &now);

    (void)state;
    assert_true(take(limiter, "a"));
    assert_true(take(limiter, "a"));
    assert_false(take(limiter, "a"));
    now += 400;
    assert_false(take(limiter, "a"));
    now += 100;
    assert_true(take(limiter, "a"));
    assert_false(take(limiter, "a"));
    /* A long pause refills the bucket to its limit, no further. */
    now += 60000;
    assert_true(take(limiter, "a"));
    assert_true(take(limiter, "a"));
    assert_false(take(limiter, "a"));
    gr_rate_limiter_free(limiter);
}

static void peek_takes_nothing(void **state)
{
    uint64_t now = 0;
    gr_rate_limiter *limiter = limiter_at(1, 1000, 16, &now);
    gr_rate_limit_result result;

    (void)state;
    gr_rate_limiter_peek(limiter, "a", &result);
    assert_true(result.allowed);
    assert_int_equal(gr_rate_limiter_count(limiter), 0);
    assert_true(take(limiter, "a"));
    gr_rate_limiter_peek(limiter, "a", &result);
    assert_false(result.allowed);
    now += 1000;
    gr_rate_limiter_peek(limiter, "a", &result);
    assert_true(result.allowed);
    gr_rate_limiter_peek(limiter, "a", &result);
    assert_true(result.allowed);
    gr_rate_limiter_free(limiter);
}

static void rejection_logged_once_per_window(void **state)
{
    uint64_t now = 0;
    gr_rate_limiter *limiter = limiter_at(1, 10000, 16, &now);
    gr_rate_limit_result result;

    (void)state;
    assert_true(take(limiter, "a"));
    gr_rate_limiter_take(limiter, "a", &result);
    assert_true(result.log);
    assert_int_equal(result.rejected, 1);
    for (int i = 0; i < 5; i++) {
        gr_rate_limiter_take(limiter, "a", &result);
        assert_false(result.allowed);
        assert_false(result.log);
    }
    now += 9999;
    gr_rate_limiter_take(limiter, "a", &result);
    assert_false(result.allowed);
    assert_false(result.log);
    now += 1;
    gr_rate_limiter_take(limiter, "a", &result);
    assert_true(result.allowed);
    gr_rate_limiter_take(limiter, "a", &result);
    assert_false(result.allowed);
    assert_true(result.log);
    assert_int_equal(result.rejected, 7);
    gr_rate_limiter_free(limiter);
}

static void full_table_evicts_idle(void **state)
{
    uint64_t now = 0;
    gr_rate_limiter *limiter = limiter_at(1, 60000, 4, &now);
    char key[16];

    (void)state;
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_true(take(limiter, key));
        now += 10;
    }
    assert_int_equal(gr_rate_limiter_count(limiter), 4);
    /* k0 is used again, so k1 is now idle longest and goes first. */
    assert_false(take(limiter, "k0"));
    assert_true(take(limiter, "new"));
    assert_int_equal(gr_rate_limiter_count(limiter), 4);
    assert_false(take(limiter, "k0"));
    assert_false(take(limiter, "k2"));
    assert_false(take(limiter, "k3"));
    assert_false(take(limiter, "new"));
    /* k1 lost its count with its entry. */
    assert_true(take(limiter, "k1"));
    assert_int_equal(gr_rate_limiter_count(limiter), 4);
    gr_rate_limiter_free(limiter);
}

static void long_keys_cut(void **state)
{
    uint64_t now = 0;
    gr_rate_limiter *limiter = limiter_at(1, 60000, 4, &now);
    char first[GR_RATE_LIMIT_MAX_KEY_BYTES + 11];
    char second[GR_RATE_LIMIT_MAX_KEY_BYTES + 11];

    (void)state;
    memset(first, 'x', sizeof(first) - 1);
    first[sizeof(first) - 1] = '\0';
    memcpy(second, first, sizeof(second));
    second[sizeof(second) - 2] = 'y';
    assert_true(take(limiter, first));
    assert_false(take(limiter, second));
    gr_rate_limiter_free(limiter);
}

static void zero_limit_rejected(void **state)
{
    gr_rate_limiter *limiter = NULL;

    (void)state;
    assert_int_equal(gr_rate_limiter_new(&limiter, "test", 0, 1000, 0), GR_EINVALID);
    assert_null(limiter);
    assert_int_equal(gr_rate_limiter_new(&limiter, "test", 1, 0, 0), GR_EINVALID);
    assert_null(limiter);
}

#define THREADS 4
#define TAKES_PER_THREAD 500

typedef struct {
    gr_rate_limiter *limiter;
    int allowed;
} worker;

static void *take_many(void *payload)
{
    worker *w = payload;
    char key[16];

    for (int i = 0; i < TAKES_PER_THREAD; i++) {
        snprintf(key, sizeof(key), "k%d", i % 40);
        if (take(w->limiter, "shared"))
            w->allowed++;
        take(w->limiter, key);
    }
    return NULL;
}

/* Several threads share one key with a frozen clock: exactly `limit` takes
 * succeed, and the table of 16 keys stays consistent under eviction. */
static void threads_share_limit(void **state)
{
    uint64_t now = 0;
    gr_rate_limiter *limiter = limiter_at(100, 60000, 16, &now);
    worker workers[THREADS];
    pthread_t threads[THREADS];
    int total = 0;

    (void)state;
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.limiter = limiter};
        assert_int_equal(pthread_create(&threads[i], NULL, take_many, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        total += workers[i].allowed;
    }
    assert_int_equal(total, 100);
    assert_int_equal(gr_rate_limiter_count(limiter), 16);
    gr_rate_limiter_free(limiter);
}

static void allow_list_matches(void **state)
{
    gr_rate_limit_options opts = {0};

    (void)state;
    assert_int_equal(gr_rate_limit_address_normalize("0:0:0:0:0:0:0:1", opts.allow_list[0]),
                     GR_OK);
    assert_int_equal(gr_rate_limit_address_normalize("10.0.0.5", opts.allow_list[1]), GR_OK);
    opts.allow_count = 2;
    assert_true(gr_rate_limit_address_allowed(&opts, "::1"));
    assert_true(gr_rate_limit_address_allowed(&opts, "10.0.0.5"));
    assert_true(gr_rate_limit_address_allowed(&opts, "::ffff:10.0.0.5"));
    assert_false(gr_rate_limit_address_allowed(&opts, "10.0.0.6"));
    assert_false(gr_rate_limit_address_allowed(&opts, "127.0.0.1"));
    assert_false(gr_rate_limit_address_allowed(&opts, ""));
}

/* Loads `yaml` and reads backend.rateLimit into *opts; returns the code. */
static int read_options(const char *yaml, gr_rate_limit_options *opts)
{
    char *dir = gr_test_tmpdir("rate-limit");
    char *path = gr_xasprintf("%s/app.yaml", dir);
    const char *files[] = {path};
    gr_config_schema *schema = gr_config_schema_new();
    gr_config *cfg = NULL;
    int rc;

    gr_test_write_file(dir, "app.yaml", yaml);
    if (gr_config_load(&cfg, files, 1, schema) != GR_OK)
        fail_msg("config: %s", gr_error_last());
    rc = gr_rate_limit_options_read(cfg, opts);
    gr_config_free(cfg);
    gr_config_schema_free(schema);
    gr_test_rmtree(dir);
    free(path);
    free(dir);
    return rc;
}

static void options_read_keys(void **state)
{
    gr_rate_limit_options opts = {0};

    (void)state;
    assert_int_equal(read_options("backend:\n  rateLimit:\n    window: 2m\n"
                                  "    incomingRequestLimit: 500\n    signInLimit: 0\n"
                                  "    failedCredentialLimit: 7\n    expensiveRequestLimit: 9\n"
                                  "    ipAllowList: ['127.0.0.1', '::1']\n",
                                  &opts),
                     GR_OK);
    assert_int_equal(opts.window_s, 120);
    assert_int_equal(opts.limits[GR_RATE_INCOMING], 500);
    assert_int_equal(opts.limits[GR_RATE_SIGN_IN], GR_RATE_LIMIT_OFF);
    assert_int_equal(opts.limits[GR_RATE_FAILED_CREDENTIALS], 7);
    assert_int_equal(opts.limits[GR_RATE_EXPENSIVE], 9);
    assert_int_equal(opts.allow_count, 2);
    assert_string_equal(opts.allow_list[0], "127.0.0.1");
    assert_string_equal(opts.allow_list[1], "::1");
}

static void options_bad_address_rejected(void **state)
{
    gr_rate_limit_options opts = {0};

    (void)state;
    assert_int_equal(read_options("backend:\n  rateLimit:\n    ipAllowList: ['10.0.0.0/8']\n",
                                  &opts),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "backend.rateLimit.ipAllowList[0]: '10.0.0.0/8' "
                                            "is not an IPv4 or IPv6 address"));
    assert_int_equal(read_options("backend:\n  rateLimit:\n    signInLimit: -1\n", &opts),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "backend.rateLimit.signInLimit: -1"));
    assert_int_equal(read_options("backend:\n  rateLimit:\n    window: 0\n", &opts),
                     GR_EINVALID);
}

static void options_over_max_rejected(void **state)
{
    gr_rate_limit_options opts = {0};
    char *yaml;
    char *list = gr_xstrdup("");

    (void)state;
    assert_int_equal(read_options("backend:\n  rateLimit:\n    window: 86400\n", &opts), GR_OK);
    assert_int_equal(read_options("backend:\n  rateLimit:\n    window: 86401\n", &opts),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "backend.rateLimit.window: 86401 seconds is outside "
                                            "the allowed range of 1 to 86400 seconds"));
    for (int i = 0; i <= GR_RATE_LIMIT_MAX_ALLOW_LIST; i++) {
        char *longer = gr_xasprintf("%s%s'10.0.0.%d'", list, i > 0 ? ", " : "", i);

        free(list);
        list = longer;
    }
    yaml = gr_xasprintf("backend:\n  rateLimit:\n    ipAllowList: [%s]\n", list);
    assert_int_equal(read_options(yaml, &opts), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "has 65 addresses, more than the limit of 64"));
    free(yaml);
    free(list);
}

static void throttle_defaults_filled(void **state)
{
    gr_http_throttle *throttle = NULL;
    gr_rate_limiter *sign_in;

    (void)state;
    assert_int_equal(gr_http_throttle_new(&throttle, NULL), GR_OK);
    assert_null(gr_http_throttle_limiter(throttle, GR_RATE_INCOMING));
    sign_in = gr_http_throttle_limiter(throttle, GR_RATE_SIGN_IN);
    assert_non_null(sign_in);
    assert_int_equal(gr_rate_limiter_limit(sign_in), GR_RATE_LIMIT_DEFAULT_SIGN_IN);
    assert_int_equal(gr_rate_limiter_window_ms(sign_in), GR_RATE_LIMIT_DEFAULT_WINDOW_S * 1000);
    assert_int_equal(
        gr_rate_limiter_limit(gr_http_throttle_limiter(throttle, GR_RATE_FAILED_CREDENTIALS)),
        GR_RATE_LIMIT_DEFAULT_FAILED_CREDENTIALS);
    assert_int_equal(gr_rate_limiter_limit(gr_http_throttle_limiter(throttle, GR_RATE_EXPENSIVE)),
                     GR_RATE_LIMIT_DEFAULT_EXPENSIVE);
    gr_http_throttle_free(throttle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_allows_burst),
        cmocka_unit_test(bucket_refills_with_clock),
        cmocka_unit_test(peek_takes_nothing),
        cmocka_unit_test(rejection_logged_once_per_window),
        cmocka_unit_test(full_table_evicts_idle),
        cmocka_unit_test(long_keys_cut),
        cmocka_unit_test(zero_limit_rejected),
        cmocka_unit_test(threads_share_limit),
        cmocka_unit_test(allow_list_matches),
        cmocka_unit_test(options_read_keys),
        cmocka_unit_test(options_bad_address_rejected),
        cmocka_unit_test(options_over_max_rejected),
        cmocka_unit_test(throttle_defaults_filled),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
