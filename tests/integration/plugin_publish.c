/* SPDX-License-Identifier: MIT */
/* Integration test of the services plugins publish and look up (ABI 1.2), and of 1.1 plugins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../unit/plugin/plain_host.h"
#include "greenroom/plugin.h"
#include "host/plugin/plugin.h"
#include "plugin_test.h"

/* Defines `name`, the gr_plugin_init() of a plugin compiled into this program. */
#define PLUGIN_ENTRY(name, info)                                                                   \
    static int name(const gr_host_api *host, const gr_plugin_info **out)                           \
    {                                                                                              \
        (void)host;                                                                                \
        *out = &(info);                                                                            \
        return GR_PLUGIN_OK;                                                                       \
    }

/* The service the publisher offers: a header, then its own members. */
typedef struct {
    gr_plugin_service header;
    int (*twice)(int value);
    const char *owner;
} counter_service;

/* What the consumer plugins saw, reset by each test. */
typedef struct {
    int lookup_rc;
    int twice_of_21;
    char message[256];
    int start_publish_rc;
    int has_service_publish;
} seen_state;

static seen_state seen;
static const char *publish_name = "test.counter";
static const char *lookup_name = "test.counter";
static size_t lookup_size = sizeof(counter_service);
static int publisher_fails;

static int twice(int value)
{
    return 2 * value;
}

static counter_service counter = {
    .header = {.struct_size = sizeof(counter_service), .version = 1},
    .twice = twice,
    .owner = "publisher",
};

/* Keeps host and ctx in a static, so its start hook can try to publish too late. */
static const gr_host_api *publisher_host;
static gr_plugin_ctx *publisher_ctx;

static int publisher_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    int rc = host->service_publish(ctx, publish_name, &counter.header);

    publisher_host = host;
    publisher_ctx = ctx;
    *out = NULL;
    if (rc == GR_PLUGIN_OK && publisher_fails)
        return host->error_set(GR_PLUGIN_ERROR, "publisher failed on purpose");
    return rc;
}

static int publisher_start(void *payload)
{
    (void)payload;
    seen.start_publish_rc =
        publisher_host->service_publish(publisher_ctx, "test.late", &counter.header);
    return GR_PLUGIN_OK;
}

static const gr_plugin_info publisher_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "publisher",
    .version = "1.0.0",
    .description = "publishes test.counter",
    .setup = publisher_setup,
    .start = publisher_start,
};

PLUGIN_ENTRY(publisher_entry, publisher_info)

static int consumer_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    const gr_plugin_service *found = (const gr_plugin_service *)&seen;

    *out = NULL;
    seen.lookup_rc = host->service_lookup(ctx, lookup_name, lookup_size, &found);
    snprintf(seen.message, sizeof(seen.message), "%s", host->error_last());
    if (seen.lookup_rc == GR_PLUGIN_OK)
        seen.twice_of_21 = ((const counter_service *)found)->twice(21);
    else if (found != NULL)
        seen.twice_of_21 = -1; /* *out must be NULL on error */
    return GR_PLUGIN_OK;
}

static const gr_plugin_info consumer_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "consumer",
    .version = "1.0.0",
    .description = "looks up a service",
    .setup = consumer_setup,
};

PLUGIN_ENTRY(consumer_entry, consumer_info)

/* A plugin built against ABI 1.1, which has no services. */
static int old_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    *out = NULL;
    seen.has_service_publish = GR_PLUGIN_HOST_HAS(host, service_publish);
    return host->job_add(ctx, "tick", 60000, 60000, 0, NULL, NULL) == GR_PLUGIN_EINVALID
               ? GR_PLUGIN_OK
               : host->error_set(GR_PLUGIN_ERROR, "job_add accepted a job without a function");
}

static const gr_plugin_info old_info = {
    .abi_version = GR_PLUGIN_ABI_MAKE(1, 1),
    .struct_size = offsetof(gr_plugin_info, migration_count) + sizeof(size_t),
    .id = "old",
    .version = "0.9.0",
    .description = "built for ABI 1.1",
    .setup = old_setup,
};

PLUGIN_ENTRY(old_entry, old_info)

/* A plugin built against ABI 1.0, whose info ends after destroy. */
static const gr_plugin_info oldest_info = {
    .abi_version = GR_PLUGIN_ABI_MAKE(1, 0),
    .struct_size = offsetof(gr_plugin_info, destroy) + sizeof(void (*)(void *)),
    .id = "oldest",
    .version = "0.1.0",
    .description = "built for ABI 1.0",
    .setup = old_setup,
};

PLUGIN_ENTRY(oldest_entry, oldest_info)

/* A host with a database and an HTTP server, as `serve` gives built-ins. */
typedef plain_host fixture;

static int fixture_setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));

    plain_host_open(fx);
    memset(&seen, 0, sizeof(seen));
    publish_name = "test.counter";
    lookup_name = "test.counter";
    lookup_size = sizeof(counter_service);
    publisher_fails = 0;
    *state = fx;
    return 0;
}

static int fixture_teardown(void **state)
{
    plain_host_close(*state);
    free(*state);
    return 0;
}

static void lookup_finds(void **state)
{
    fixture *fx = *state;
    void *publisher = NULL;
    void *consumer = NULL;

    assert_int_equal(gr_plugin_adapter_init(&fx->host, publisher_entry, &publisher), GR_OK);
    assert_int_equal(gr_plugin_adapter_init(&fx->host, consumer_entry, &consumer), GR_OK);
    assert_int_equal(seen.lookup_rc, GR_PLUGIN_OK);
    assert_int_equal(seen.twice_of_21, 42);
    gr_plugin_adapter_destroy(consumer);
    gr_plugin_adapter_destroy(publisher);
}

static void lookup_missing(void **state)
{
    fixture *fx = *state;
    void *consumer = NULL;

    lookup_name = "test.absent";
    assert_int_equal(gr_plugin_adapter_init(&fx->host, consumer_entry, &consumer), GR_OK);
    assert_int_equal(seen.lookup_rc, GR_PLUGIN_ENOTFOUND);
    assert_int_equal(seen.twice_of_21, 0);
    assert_true(plugin_test_has(seen.message, "service test.absent not found"));
    gr_plugin_adapter_destroy(consumer);
}

static void lookup_too_small(void **state)
{
    fixture *fx = *state;
    void *publisher = NULL;
    void *consumer = NULL;

    lookup_size = sizeof(counter_service) + 8;
    assert_int_equal(gr_plugin_adapter_init(&fx->host, publisher_entry, &publisher), GR_OK);
    assert_int_equal(gr_plugin_adapter_init(&fx->host, consumer_entry, &consumer), GR_OK);
    assert_int_equal(seen.lookup_rc, GR_PLUGIN_EINVALID);
    assert_true(plugin_test_has(seen.message, "publisher is older"));
    gr_plugin_adapter_destroy(consumer);
    gr_plugin_adapter_destroy(publisher);
}

static void publish_twice(void **state)
{
    fixture *fx = *state;
    void *first = NULL;
    void *second = NULL;

    assert_int_equal(gr_plugin_adapter_init(&fx->host, publisher_entry, &first), GR_OK);
    /* A built-in's failed setup keeps the code of its failure. */
    assert_int_equal(gr_plugin_adapter_init(&fx->host, publisher_entry, &second), GR_ECONFLICT);
    assert_null(second);
    assert_true(plugin_test_has(gr_error_last(), "service test.counter is already published"));
    gr_plugin_adapter_destroy(first);
}

static void publish_bad_name(void **state)
{
    fixture *fx = *state;
    void *publisher = NULL;

    publish_name = "test counter";
    assert_int_equal(gr_plugin_adapter_init(&fx->host, publisher_entry, &publisher), GR_EINVALID);
    assert_true(plugin_test_has(gr_error_last(), "service name 'test counter'"));
}

static void publish_after_setup(void **state)
{
    fixture *fx = *state;
    void *publisher = NULL;

    assert_int_equal(gr_plugin_adapter_init(&fx->host, publisher_entry, &publisher), GR_OK);
    assert_int_equal(gr_plugin_adapter_start(publisher), GR_OK);
    assert_int_equal(seen.start_publish_rc, GR_PLUGIN_EINVALID);
    gr_plugin_adapter_stop(publisher);
    gr_plugin_adapter_destroy(publisher);
}

static void gone_after_destroy(void **state)
{
    fixture *fx = *state;
    void *publisher = NULL;
    void *consumer = NULL;

    assert_int_equal(gr_plugin_adapter_init(&fx->host, publisher_entry, &publisher), GR_OK);
    gr_plugin_adapter_destroy(publisher);
    assert_int_equal(gr_plugin_adapter_init(&fx->host, consumer_entry, &consumer), GR_OK);
    assert_int_equal(seen.lookup_rc, GR_PLUGIN_ENOTFOUND);
    gr_plugin_adapter_destroy(consumer);
}

static void gone_after_failed_setup(void **state)
{
    fixture *fx = *state;
    void *publisher = NULL;
    void *consumer = NULL;

    publisher_fails = 1;
    assert_int_equal(gr_plugin_adapter_init(&fx->host, publisher_entry, &publisher), GR_ERROR);
    assert_int_equal(gr_plugin_adapter_init(&fx->host, consumer_entry, &consumer), GR_OK);
    assert_int_equal(seen.lookup_rc, GR_PLUGIN_ENOTFOUND);
    gr_plugin_adapter_destroy(consumer);
}

static void abi_1_1_loads(void **state)
{
    fixture *fx = *state;
    void *old = NULL;

    assert_int_equal(gr_plugin_adapter_init(&fx->host, old_entry, &old), GR_OK);
    assert_non_null(old);
    assert_true(seen.has_service_publish);
    gr_plugin_adapter_destroy(old);
}

/* A plugin that adds a collator, which the host rejects while no index is published. */
static int collate_none(gr_collator_run *run, void *payload)
{
    (void)run;
    (void)payload;
    return GR_PLUGIN_OK;
}

static int indexed_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    gr_plugin_collator collator = {
        .struct_size = sizeof(collator),
        .type = "scorecard",
        .run = collate_none,
    };

    *out = NULL;
    seen.lookup_rc = host->collator_add(ctx, &collator);
    snprintf(seen.message, sizeof(seen.message), "%s", host->error_last());
    return GR_PLUGIN_OK;
}

static const gr_plugin_info indexed_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "indexed",
    .version = "1.0.0",
    .description = "adds a collator",
    .setup = indexed_setup,
};

PLUGIN_ENTRY(indexed_entry, indexed_info)

static void abi_1_0_loads(void **state)
{
    fixture *fx = *state;
    void *oldest = NULL;

    assert_int_equal(gr_plugin_adapter_init(&fx->host, oldest_entry, &oldest), GR_OK);
    assert_non_null(oldest);
    gr_plugin_adapter_destroy(oldest);
}

static void collator_without_index(void **state)
{
    fixture *fx = *state;
    void *indexed = NULL;

    assert_int_equal(gr_plugin_adapter_init(&fx->host, indexed_entry, &indexed), GR_OK);
    assert_int_equal(seen.lookup_rc, GR_PLUGIN_EBACKEND);
    assert_true(plugin_test_has(seen.message, "no plugin keeps an index (service collators)"));
    gr_plugin_adapter_destroy(indexed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lookup_finds, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(lookup_missing, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(lookup_too_small, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(publish_twice, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(publish_bad_name, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(publish_after_setup, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(gone_after_destroy, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(gone_after_failed_setup, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(abi_1_1_loads, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(abi_1_0_loads, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(collator_without_index, fixture_setup, fixture_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
