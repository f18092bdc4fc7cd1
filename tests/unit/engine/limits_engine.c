/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the engine's limits: hooks, dry runs, ancestors, search rows, settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "engine_fixture.h"
#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/engine/search.h"
#include "plugins/catalog/engine/settings.h"

static const char config_locations[] =
    "{\"catalog\": {\"allowedLocationTypes\": [\"file\"],"
    " \"rules\": [{\"allow\": [\"Component\", \"Location\"]}]%s}}";

static const char component_yaml[] = "apiVersion: backstage.io/v1alpha1\n"
                                     "kind: Component\n"
                                     "metadata:\n"
                                     "  name: %s\n"
                                     "spec: {type: service, lifecycle: production, owner: team}\n";

/* Writes l1.yaml .. l<levels>.yaml, each a Location that targets the next
 * file, and l<levels + 1>.yaml with the Component "leaf". */
static void write_location_chain(engine_fixture *fixture, int levels)
{
    char name[32];
    char *text;

    for (int i = 1; i <= levels; i++) {
        snprintf(name, sizeof(name), "l%d.yaml", i);
        text = gr_xasprintf("apiVersion: backstage.io/v1alpha1\nkind: Location\n"
                            "metadata:\n  name: level-%d\nspec:\n  target: ./l%d.yaml\n",
                            i, i + 1);
        engine_write(fixture, name, text);
        free(text);
    }
    snprintf(name, sizeof(name), "l%d.yaml", levels + 1);
    text = gr_xasprintf(component_yaml, "leaf");
    engine_write(fixture, name, text);
    free(text);
}

static void hooks_over_max_rejected(void **state)
{
    engine_fixture *fixture = *state;

    engine_start(fixture, NULL);
    for (int i = 0; i < GR_CATALOG_MAX_HOOKS; i++)
        assert_int_equal(gr_catalog_on_stitched(fixture->catalog, NULL, NULL), GR_OK);
    assert_int_equal(gr_catalog_on_stitched(fixture->catalog, NULL, NULL), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "at most 8 stitched hooks can be registered"));
}

/* Dry-runs @DIR@/l1.yaml and returns the code, with the entity count in *count. */
static int dry_run_chain(engine_fixture *fixture, size_t *count)
{
    char *target = engine_expand(fixture, "@DIR@/l1.yaml");
    json_t *entities = NULL;
    int rc = gr_catalog_add_location(fixture->catalog, "file", target, 1, NULL, &entities, NULL);

    *count = json_array_size(entities);
    json_decref(entities);
    free(target);
    return rc;
}

/* The registered location is depth 0 and l1.yaml's Location is depth 1. */
static void dry_run_depth_over_max_rejected(void **state)
{
    engine_fixture *fixture = *state;
    char *config = gr_xasprintf(config_locations, "");
    size_t count = 0;

    engine_start(fixture, config);
    write_location_chain(fixture, GR_CATALOG_DRY_RUN_MAX_DEPTH - 1);
    assert_int_equal(dry_run_chain(fixture, &count), GR_OK);
    /* The location itself, the Locations of l1..l9, and the leaf. */
    assert_int_equal(count, 1 + GR_CATALOG_DRY_RUN_MAX_DEPTH);

    write_location_chain(fixture, GR_CATALOG_DRY_RUN_MAX_DEPTH);
    assert_int_equal(dry_run_chain(fixture, &count), GR_ELIMIT);
    assert_int_equal(count, 0);
    assert_non_null(strstr(gr_error_last(), "Location entities are nested more than 10 deep"));
    assert_non_null(strstr(gr_error_last(), "location:default/level-10"));
    free(config);
}

static void dry_run_entities_over_max_rejected(void **state)
{
    engine_fixture *fixture = *state;
    char *config = gr_xasprintf(config_locations, "");
    char *target = engine_expand(fixture, "@DIR@/many.yaml");
    gr_buf text = GR_BUF_INIT;
    json_t *entities = NULL;
    char *message;
    char name[32];

    engine_start(fixture, config);
    /* With the location entity itself, this file makes one entity too many. */
    for (int i = 0; i < GR_CATALOG_DRY_RUN_MAX_ENTITIES; i++) {
        snprintf(name, sizeof(name), "c%05d", i);
        gr_buf_printf(&text, component_yaml, name);
        gr_buf_puts(&text, "---\n");
    }
    engine_write(fixture, "many.yaml", gr_buf_cstr(&text));
    assert_int_equal(
        gr_catalog_add_location(fixture->catalog, "file", target, 1, NULL, &entities, NULL),
        GR_ELIMIT);
    assert_null(entities);
    message = gr_xasprintf("The location file:%s emits more than 10000 entities; register its "
                           "files as several locations",
                           target);
    assert_string_equal(gr_error_last(), message);
    free(message);
    gr_buf_free(&text);
    free(target);
    free(config);
}

/* The leaf of a chain of N Locations has N + 1 ancestors: the Locations and
 * the configured location. */
static void refresh_ancestors_over_max_rejected(void **state)
{
    engine_fixture *fixture = *state;
    char *config = gr_xasprintf(config_locations, ", \"locations\": [{\"type\": \"file\", "
                                                  "\"target\": \"@DIR@/l1.yaml\"}]");

    write_location_chain(fixture, GR_CATALOG_MAX_ANCESTOR_DEPTH);
    engine_start(fixture, config);
    engine_idle(fixture);
    assert_true(engine_exists(fixture, "component:default/leaf"));
    assert_int_equal(gr_catalog_refresh(fixture->catalog, "location:default/level-2"), GR_OK);
    assert_int_equal(gr_catalog_refresh(fixture->catalog, "component:default/leaf"), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "component:default/leaf has more than 32 ancestors"));
    free(config);
}

/* Returns the row of `key`, or NULL. */
static const gr_catalog_search_row *find_row(const gr_catalog_search_rows *rows, const char *key)
{
    for (size_t i = 0; i < rows->count; i++) {
        if (strcmp(rows->items[i].key, key) == 0)
            return &rows->items[i];
    }
    return NULL;
}

static char *repeated_text(const char *unit, size_t count)
{
    gr_buf text = GR_BUF_INIT;

    for (size_t i = 0; i < count; i++)
        gr_buf_puts(&text, unit);
    return gr_buf_detach(&text);
}

/* Lengths count UTF-16 code units: "é" is one and an emoji is two. */
static void search_value_over_max_nulled(void **state)
{
    char *at_max = repeated_text("\xc3\xa9", GR_CATALOG_SEARCH_MAX_VALUE);
    char *over_max = repeated_text("\xc3\xa9", GR_CATALOG_SEARCH_MAX_VALUE + 1);
    char *emoji = repeated_text("\xf0\x9f\x98\x80", GR_CATALOG_SEARCH_MAX_VALUE / 2 + 1);
    json_t *entity =
        json_pack("{s:s, s:{s:s}, s:{s:s, s:s, s:s}}", "kind", "Component", "metadata", "name", "x",
                  "spec", "atmax", at_max, "overmax", over_max, "emoji", emoji);
    gr_catalog_search_rows rows = {0};
    const gr_catalog_search_row *row;

    (void)state;
    assert_int_equal(gr_catalog__search_rows(entity, (locale_t)0, &rows), GR_OK);
    row = find_row(&rows, "spec.atmax");
    assert_non_null(row);
    assert_string_equal(row->original, at_max);
    row = find_row(&rows, "spec.overmax");
    assert_non_null(row);
    assert_null(row->original);
    assert_null(row->value);
    row = find_row(&rows, "spec.emoji");
    assert_non_null(row);
    assert_null(row->value);
    gr_catalog__search_rows_free(&rows);
    json_decref(entity);
    free(emoji);
    free(over_max);
    free(at_max);
}

static void search_key_over_max_dropped(void **state)
{
    /* "spec." is 5 units of the key. */
    char *at_max = repeated_text("k", GR_CATALOG_SEARCH_MAX_KEY - 5);
    char *over_max = repeated_text("o", GR_CATALOG_SEARCH_MAX_KEY - 4);
    json_t *entity = json_pack("{s:s, s:{s:s}, s:{s:s, s:s}}", "kind", "Component", "metadata",
                               "name", "x", "spec", at_max, "v", over_max, "v");
    gr_catalog_search_rows rows = {0};
    char *key;

    (void)state;
    assert_int_equal(gr_catalog__search_rows(entity, (locale_t)0, &rows), GR_OK);
    key = gr_xasprintf("spec.%s", at_max);
    assert_non_null(find_row(&rows, key));
    free(key);
    key = gr_xasprintf("spec.%s", over_max);
    assert_null(find_row(&rows, key));
    free(key);
    gr_catalog__search_rows_free(&rows);
    json_decref(entity);
    free(over_max);
    free(at_max);
}

static int workers_status(json_t *workers)
{
    json_t *config = json_pack("{s:{s:o}}", "catalog", "processingWorkers", workers);
    gr_catalog_settings settings;
    int rc = gr_catalog__settings_read(&settings, config);

    if (rc == GR_OK)
        gr_catalog__settings_free(&settings);
    json_decref(config);
    return rc;
}

static void workers_over_max_rejected(void **state)
{
    (void)state;
    assert_int_equal(workers_status(json_integer(GR_CATALOG_WORKERS_MAX)), GR_OK);
    assert_int_equal(workers_status(json_integer(GR_CATALOG_WORKERS_MAX + 1)), GR_EINVALID);
    assert_non_null(
        strstr(gr_error_last(), "catalog.processingWorkers: expected an integer from 1 to 64"));
    assert_int_equal(workers_status(json_integer(0)), GR_EINVALID);
}

/* Without catalog.processingWorkers the worker count is one more than the processors, kept
 * within 2..4. */
static void workers_default_clamped(void **state)
{
    gr_catalog_settings settings;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int expected = (int)cpus + 1;

    (void)state;
    if (expected < 2)
        expected = 2;
    if (expected > 4)
        expected = 4;
    assert_int_equal(gr_catalog__settings_read(&settings, NULL), GR_OK);
    assert_int_equal(settings.workers, expected);
    assert_true(settings.workers >= 2);
    assert_true(settings.workers <= 4);
    assert_int_equal(settings.interval_min_ms, GR_CATALOG_INTERVAL_MIN_DEFAULT_MS);
    assert_int_equal(settings.interval_max_ms, GR_CATALOG_INTERVAL_MAX_DEFAULT_MS);
    gr_catalog__settings_free(&settings);
}

/* An emitted entity whose ref is one byte over the maximum fails its location
 * with an error naming the file, the document's line and the limit, on both
 * databases (PostgreSQL's index would reject a ref over 2,704 bytes). */
static void entity_ref_over_max_rejected(void **state)
{
    engine_fixture *fixture = *state;
    size_t name_len = GR_CATALOG_MAX_ENTITY_REF_BYTES + 1 - strlen("component:default/");
    char *name = repeated_text("a", name_len);
    char *config = gr_xasprintf(config_locations,
                                ", \"locations\": [{\"type\": \"file\", "
                                "\"target\": \"@DIR@/long.yaml\"}]");
    char *file = engine_expand(fixture, "file:@DIR@/long.yaml:6");
    char *text = gr_xasprintf(component_yaml, "short");
    gr_buf yaml = GR_BUF_INIT;
    char *errors;

    gr_buf_printf(&yaml, "%s---\n", text);
    gr_buf_printf(&yaml, component_yaml, name);
    engine_write(fixture, "long.yaml", gr_buf_cstr(&yaml));
    engine_start(fixture, config);
    engine_idle(fixture);

    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE entity_ref LIKE "
                         "'location:%' AND errors IS NOT NULL",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, file));
    assert_non_null(strstr(errors, "has a ref of 1025 bytes, more than the maximum of 1024 "
                                   "bytes for kind, namespace and name together"));
    assert_null(strstr(errors, "index row size"));
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_refresh_state WHERE entity_ref "
                                  "LIKE 'component:%'",
                                  NULL),
                     0);
    free(errors);
    gr_buf_free(&yaml);
    free(text);
    free(file);
    free(config);
    free(name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ENGINE_TEST_SQLITE(hooks_over_max_rejected),
        ENGINE_TEST_SQLITE(dry_run_depth_over_max_rejected),
        ENGINE_TEST_SQLITE(dry_run_entities_over_max_rejected),
        ENGINE_TEST_SQLITE(refresh_ancestors_over_max_rejected),
        ENGINE_TEST_BOTH(entity_ref_over_max_rejected),
        cmocka_unit_test(search_value_over_max_nulled),
        cmocka_unit_test(search_key_over_max_dropped),
        cmocka_unit_test(workers_over_max_rejected),
        cmocka_unit_test(workers_default_clamped),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
