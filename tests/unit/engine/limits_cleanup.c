/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the engine's cleanup limits and the raised YAML limits of catalog files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "engine_fixture.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/engine/store.h"

/* The value of FOREIGN_ROW_MAX_AGE_MS in instances.c (24 hours). */
#define FOREIGN_ROW_MAX_AGE_MS (24 * 3600 * 1000LL)
/* How far the test rows sit from that age, in ms. */
#define AGE_MARGIN_MS (10 * 60 * 1000LL)

/* Alias copies in the YAML files below, within the YAML module's alias limit of 100. */
#define NODE_COPIES 90
#define NODE_ITEMS 12000
#define SCALAR_COPIES 65
#define SCALAR_BYTES ((size_t)1 << 20)
/* Sizes that cross the catalog's own limits (32 Mi values, 512 MiB of scalars). */
#define CATALOG_COPIES 100
#define CATALOG_NODE_ITEMS 340000
/* 19 documents of 300,000 items and 5 copies count 34.2 million values, each document under
 * 2 Mi. */
#define CATALOG_DOCUMENTS 19
#define DOCUMENT_NODE_ITEMS 300000
#define DOCUMENT_COPIES 5
#define CATALOG_SCALAR_BYTES ((size_t)3 << 20)

static const char chain_config[] =
    "{\"catalog\": {\"rules\": [{\"allow\": [\"Component\", \"Location\"]}],"
    " \"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/l1.yaml\"}]}}";

static const char file_config[] =
    "{\"catalog\": {\"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/%s\"}]}}";

static const char component_head[] = "apiVersion: backstage.io/v1alpha1\n"
                                     "kind: Component\n"
                                     "metadata:\n"
                                     "  name: %s\n"
                                     "spec:\n"
                                     "  type: service\n"
                                     "  lifecycle: production\n"
                                     "  owner: team\n";

static int64_t now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int64_t instance_rows(const engine_fixture *fixture, const char *instance_id)
{
    return engine_count(fixture, "SELECT COUNT(*) FROM catalog_instances WHERE instance_id = ?",
                        instance_id);
}

static int64_t entity_rows(const engine_fixture *fixture, const char *ref)
{
    return engine_count(fixture,
                        "SELECT COUNT(*) FROM catalog_refresh_state WHERE entity_ref = ?", ref);
}

/* Adds a registry row of another machine, registered at `registered_at`. */
static void add_foreign_row(engine_fixture *fixture, const char *instance_id,
                            int64_t registered_at)
{
    char *sql = gr_xasprintf("INSERT INTO catalog_instances (instance_id, host_key, pid, "
                             "start_ticks, registered_at) VALUES ('%s', 'other-boot-id/pid:[1]', "
                             "1, 1, %lld)",
                             instance_id, (long long)registered_at);

    db_fixture_exec(fixture->db->db, sql);
    free(sql);
}

static void foreign_rows_over_max_age_removed(void **state)
{
    engine_fixture *fixture = *state;
    int64_t now = now_ms();
    char *sql;

    engine_write(fixture, "l1.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                                     "metadata:\n  name: leaf\n"
                                     "spec: {type: service, lifecycle: production, owner: team}\n");
    engine_start(fixture, chain_config);
    engine_idle(fixture);
    if (instance_rows(fixture, "test-instance") != 1)
        skip(); /* without /proc the engine keeps no registry */

    add_foreign_row(fixture, "foreign-old", now - FOREIGN_ROW_MAX_AGE_MS - AGE_MARGIN_MS);
    add_foreign_row(fixture, "foreign-young", now - FOREIGN_ROW_MAX_AGE_MS + AGE_MARGIN_MS);
    add_foreign_row(fixture, "foreign-leased", now - FOREIGN_ROW_MAX_AGE_MS - AGE_MARGIN_MS);
    sql = gr_xasprintf("UPDATE catalog_refresh_state SET lease_owner = 'foreign-leased', "
                       "lease_until = %lld WHERE entity_ref = 'component:default/leaf'",
                       (long long)(now + AGE_MARGIN_MS));
    db_fixture_exec(fixture->db->db, sql);
    free(sql);

    /* Registering again at start removes the row past the age without a live lease. */
    engine_start(fixture, chain_config);
    assert_int_equal(instance_rows(fixture, "foreign-old"), 0);
    assert_int_equal(instance_rows(fixture, "foreign-young"), 1);
    assert_int_equal(instance_rows(fixture, "foreign-leased"), 1);
    assert_int_equal(instance_rows(fixture, "test-instance"), 1);
}

/* l1.yaml contains Location level-1, which reads l2.yaml with Location level-2,
 * which reads l3.yaml with Component leaf. */
static void write_chain(engine_fixture *fixture)
{
    engine_write(fixture, "l1.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\n"
                                     "metadata:\n  name: level-1\nspec:\n  target: ./l2.yaml\n");
    engine_write(fixture, "l2.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\n"
                                     "metadata:\n  name: level-2\nspec:\n  target: ./l3.yaml\n");
    engine_write(fixture, "l3.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                                     "metadata:\n  name: leaf\n"
                                     "spec: {type: service, lifecycle: production, owner: team}\n");
}

static void orphan_rounds_over_max_left(void **state)
{
    engine_fixture *fixture = *state;
    size_t deleted = 0;

    write_chain(fixture);
    engine_start(fixture, chain_config);
    engine_idle(fixture);
    assert_int_equal(entity_rows(fixture, "component:default/leaf"), 1);

    /* With level-1 gone from l1.yaml, the chain is three generations of orphans. The
     * strategy is keep, so wait_idle leaves them to the calls below. */
    engine_write(fixture, "l1.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                                     "metadata:\n  name: other\n"
                                     "spec: {type: service, lifecycle: production, owner: team}\n");
    db_fixture_exec(fixture->db->db, "UPDATE catalog_refresh_state SET next_update_at = 0");
    engine_idle(fixture);
    assert_int_equal(entity_rows(fixture, "location:default/level-1"), 1);

    /* Two rounds delete two generations and leave the third. */
    assert_int_equal(gr_catalog__delete_orphans_rounds(fixture->catalog, 2, &deleted), GR_OK);
    assert_int_equal(deleted, 2);
    assert_int_equal(entity_rows(fixture, "location:default/level-1"), 0);
    assert_int_equal(entity_rows(fixture, "location:default/level-2"), 0);
    assert_int_equal(entity_rows(fixture, "component:default/leaf"), 1);

    /* The next call takes the rest. */
    assert_int_equal(gr_catalog__delete_orphans(fixture->catalog, &deleted), GR_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(entity_rows(fixture, "component:default/leaf"), 0);
    assert_int_equal(entity_rows(fixture, "component:default/other"), 1);
}

/* Parses `text` with the YAML module's default limits and returns the code. */
static int parse_with_defaults(const char *text)
{
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    int rc = gr_yaml_parse("test.yaml", text, strlen(text), NULL, &docs, &count);

    gr_yaml_docs_free(docs, count);
    return rc;
}

/* Writes `text` as `name`, reads it as the only location and returns the
 * number of processing errors. */
static int64_t ingest_file(engine_fixture *fixture, const char *name, const char *text)
{
    char *config = gr_xasprintf(file_config, name);
    json_t *errors = NULL;
    int64_t count;

    gr_test_write_file(fixture->dir, name, text);
    engine_start(fixture, config);
    engine_idle(fixture);
    assert_int_equal(gr_catalog_processing_errors(fixture->catalog, &errors), GR_OK);
    count = (int64_t)json_array_size(errors);
    json_decref(errors);
    free(config);
    return count;
}

/* Writes `anchor`_copies, a list of `copies` merges of the mapping anchored
 * as `anchor`. Each merge copies that mapping for this use alone and then
 * drops it, because the list item's own `k` wins, so the YAML counts every
 * copy while the entity stays small. */
static void append_merge_copies(gr_buf *yaml, const char *anchor, int copies)
{
    gr_buf_printf(yaml, "  %s_copies:\n", anchor);
    for (int i = 0; i < copies; i++)
        gr_buf_printf(yaml, "    - {k: 0, <<: *%s}\n", anchor);
}

/* Writes component `name` with spec.big, a mapping whose `k` is an array of
 * `items` zeros, and `copies` merges of it. */
static void write_values_yaml(gr_buf *yaml, const char *name, int items, int copies)
{
    gr_buf_printf(yaml, component_head, name);
    gr_buf_puts(yaml, "  big: &big\n    k: [0");
    for (int i = 1; i < items; i++)
        gr_buf_puts(yaml, ", 0");
    gr_buf_puts(yaml, "]\n");
    append_merge_copies(yaml, "big", copies);
}

/* Writes spec.`anchor`, a mapping whose `k` is the scalar `text`, and `copies` merges of it. */
static void append_scalar_copies(gr_buf *yaml, const char *anchor, const char *text, int copies)
{
    gr_buf_printf(yaml, "  %s: &%s\n    k: %s\n", anchor, anchor, text);
    append_merge_copies(yaml, anchor, copies);
}

static void yaml_nodes_over_default_accepted(void **state)
{
    engine_fixture *fixture = *state;
    gr_buf yaml = GR_BUF_INIT;
    json_t *entity;

    write_values_yaml(&yaml, "many-values", NODE_ITEMS, NODE_COPIES);

    assert_int_equal(parse_with_defaults(gr_buf_cstr(&yaml)), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "more than 1000000 values"));

    assert_int_equal(ingest_file(fixture, "values.yaml", gr_buf_cstr(&yaml)), 0);
    entity = engine_final(fixture, "component:default/many-values");
    assert_non_null(entity);
    assert_int_equal(json_array_size(json_object_get(json_object_get(entity, "spec"), "big_copies")),
                     NODE_COPIES);
    json_decref(entity);
    gr_buf_free(&yaml);
}

static void yaml_scalar_bytes_over_default_accepted(void **state)
{
    engine_fixture *fixture = *state;
    gr_buf yaml = GR_BUF_INIT;
    char *blob = gr_xmalloc(SCALAR_BYTES + 1);
    json_t *entity;
    const char *stored;

    memset(blob, 'a', SCALAR_BYTES);
    blob[SCALAR_BYTES] = '\0';
    gr_buf_printf(&yaml, component_head, "many-bytes");
    append_scalar_copies(&yaml, "big", blob, SCALAR_COPIES);

    assert_int_equal(parse_with_defaults(gr_buf_cstr(&yaml)), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "more than 67108864 bytes of scalars"));

    assert_int_equal(ingest_file(fixture, "bytes.yaml", gr_buf_cstr(&yaml)), 0);
    entity = engine_final(fixture, "component:default/many-bytes");
    assert_non_null(entity);
    stored = json_string_value(
        json_object_get(json_object_get(json_object_get(entity, "spec"), "big"), "k"));
    assert_non_null(stored);
    assert_int_equal(strlen(stored), SCALAR_BYTES);
    json_decref(entity);
    gr_buf_free(&yaml);
    free(blob);
}

/* Returns the processing errors as JSON text. Caller frees. */
static char *errors_text(engine_fixture *fixture)
{
    json_t *errors = NULL;
    char *text;

    assert_int_equal(gr_catalog_processing_errors(fixture->catalog, &errors), GR_OK);
    text = json_dumps(errors, JSON_COMPACT);
    json_decref(errors);
    return text;
}

/* The anchored array is in each entity once, and each merge copy of it is
 * counted and then dropped, so the count passes 32 Mi values over the file's
 * documents while the memory in use stays near one copy. The document end
 * markers make the file parse whole, so that the parser counts the copies of
 * every document against the file's limit. */
static void yaml_nodes_over_catalog_max_rejected(void **state)
{
    engine_fixture *fixture = *state;
    gr_buf yaml = GR_BUF_INIT;
    char *errors;

    for (int i = 0; i < CATALOG_DOCUMENTS; i++) {
        char name[32];

        snprintf(name, sizeof(name), "too-many-values-%d", i);
        if (i > 0)
            gr_buf_puts(&yaml, "...\n---\n");
        write_values_yaml(&yaml, name, DOCUMENT_NODE_ITEMS, DOCUMENT_COPIES);
    }

    assert_int_equal(ingest_file(fixture, "values.yaml", gr_buf_cstr(&yaml)), 1);
    assert_false(engine_exists(fixture, "component:default/too-many-values-0"));
    errors = errors_text(fixture);
    assert_non_null(strstr(errors, "more than 33554432 values"));
    free(errors);
    gr_buf_free(&yaml);
}

/* One document past 2 Mi values fails the file, though the file stays under its own limit. */
static void yaml_document_nodes_over_catalog_max_rejected(void **state)
{
    engine_fixture *fixture = *state;
    gr_buf yaml = GR_BUF_INIT;
    char *errors;

    gr_buf_printf(&yaml, component_head, "small");
    gr_buf_puts(&yaml, "---\n");
    write_values_yaml(&yaml, "one-large-entity", CATALOG_NODE_ITEMS, 7);

    assert_int_equal(ingest_file(fixture, "values.yaml", gr_buf_cstr(&yaml)), 1);
    assert_false(engine_exists(fixture, "component:default/one-large-entity"));
    errors = errors_text(fixture);
    assert_non_null(strstr(errors, "the document makes more than 2097152 values"));
    free(errors);
    gr_buf_free(&yaml);
}

/* Two anchored scalars of 3 MiB, each merged 90 times, count 546 MiB of scalars. */
static void yaml_scalar_bytes_over_catalog_max_rejected(void **state)
{
    engine_fixture *fixture = *state;
    gr_buf yaml = GR_BUF_INIT;
    char *blob = gr_xmalloc(CATALOG_SCALAR_BYTES + 1);
    char *errors;

    memset(blob, 'a', CATALOG_SCALAR_BYTES);
    blob[CATALOG_SCALAR_BYTES] = '\0';
    gr_buf_printf(&yaml, component_head, "too-many-bytes");
    append_scalar_copies(&yaml, "big", blob, CATALOG_COPIES - 10);
    append_scalar_copies(&yaml, "other", blob, CATALOG_COPIES - 10);

    assert_int_equal(ingest_file(fixture, "bytes.yaml", gr_buf_cstr(&yaml)), 1);
    assert_false(engine_exists(fixture, "component:default/too-many-bytes"));
    errors = errors_text(fixture);
    assert_non_null(strstr(errors, "more than 536870912 bytes of scalars"));
    free(errors);
    gr_buf_free(&yaml);
    free(blob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ENGINE_TEST_BOTH(foreign_rows_over_max_age_removed),
        ENGINE_TEST_BOTH(orphan_rounds_over_max_left),
        ENGINE_TEST_SQLITE(yaml_nodes_over_default_accepted),
        ENGINE_TEST_SQLITE(yaml_scalar_bytes_over_default_accepted),
        ENGINE_TEST_SQLITE(yaml_nodes_over_catalog_max_rejected),
        ENGINE_TEST_SQLITE(yaml_document_nodes_over_catalog_max_rejected),
        ENGINE_TEST_SQLITE(yaml_scalar_bytes_over_catalog_max_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
