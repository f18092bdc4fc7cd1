/* SPDX-License-Identifier: MIT */
/* Unit tests for key declarations, the Markdown reference and the accessors. */
#include "config_fixture.h"

static const gr_config_key bad_path_keys[] = {
    {.path = "a..b", .types = GR_CONFIG_STRING},
    {.path = NULL},
};

static const gr_config_key bad_wildcard_keys[] = {
    {.path = "a.b*", .types = GR_CONFIG_STRING},
    {.path = NULL},
};

static const gr_config_key no_type_keys[] = {
    {.path = "a.b"},
    {.path = NULL},
};

static const gr_config_key bad_default_keys[] = {
    {.path = "a.b", .types = GR_CONFIG_INTEGER, .default_json = "\"seven\""},
    {.path = NULL},
};

static const gr_config_key twice_keys[] = {
    {.path = "a.b", .types = GR_CONFIG_STRING},
    {.path = "a.b", .types = GR_CONFIG_STRING},
    {.path = NULL},
};

static const gr_config_key host_clash_keys[] = {
    {.path = "backend.listen.port", .types = GR_CONFIG_INTEGER},
    {.path = NULL},
};

static const gr_config_key plugin_keys[] = {
    {.path = "inventory.locations[].type", .types = GR_CONFIG_STRING, .required = true},
    {.path = "inventory.locations[].target", .types = GR_CONFIG_STRING},
    {.path = NULL},
};

static void schema_rejects_malformed(void **state)
{
    gr_config_schema *schema = gr_config_schema_new();

    (void)state;
    assert_int_equal(gr_config_schema_add(schema, "p", bad_path_keys), GR_EINVALID);
    assert_error_has("p: config key 'a..b' has a malformed path");
    assert_int_equal(gr_config_schema_add(schema, "p", bad_wildcard_keys), GR_EINVALID);
    assert_int_equal(gr_config_schema_add(schema, "p", no_type_keys), GR_EINVALID);
    assert_error_has("has no valid type");
    assert_int_equal(gr_config_schema_add(schema, "p", bad_default_keys), GR_EINVALID);
    assert_error_has("has a default that is not JSON of its type");
    assert_int_equal(gr_config_schema_add(schema, "p", twice_keys), GR_ECONFLICT);
    assert_error_has("p declares config key 'a.b' twice");
    gr_config_schema_free(schema);
}

static void schema_rejects_clash(void **state)
{
    gr_config_schema *schema = NULL;

    (void)state;
    assert_int_equal(gr_config_schema_builtin(&schema), GR_OK);
    assert_int_equal(gr_config_schema_add(schema, "p", host_clash_keys), GR_ECONFLICT);
    assert_error_has("config key 'backend.listen.port' is declared by both host and p");
    gr_config_schema_free(schema);
}

static void undeclared_plugin_keys_warn(void **state)
{
    gr_config_schema *schema = NULL;
    const char *files[] = {"app.yaml"};
    gr_config *cfg = NULL;

    (void)state;
    fixture_write("app.yaml", "inventory:\n  locations:\n    - type: file\n      target: a.yaml\n");
    assert_int_equal(gr_config_schema_builtin(&schema), GR_OK);
    assert_int_equal(gr_config_load(&cfg, files, 1, schema), GR_OK);
    assert_int_equal(fixture_warning_count, 1);
    assert_warning_has("app.yaml:1: inventory: unknown key");
    gr_config_free(cfg);
    gr_config_schema_free(schema);
}

static void plugin_keys_accepted(void **state)
{
    gr_config_schema *schema = NULL;
    const char *files[] = {"app.yaml"};
    gr_config *cfg = NULL;

    (void)state;
    fixture_write("app.yaml", "inventory:\n  locations:\n    - type: file\n      target: a.yaml\n"
                              "    - target: b.yaml\n");
    assert_int_equal(gr_config_schema_builtin(&schema), GR_OK);
    assert_int_equal(gr_config_schema_add(schema, "inventory", plugin_keys), GR_OK);
    assert_int_equal(gr_config_load(&cfg, files, 1, schema), GR_EINVALID);
    assert_error_has("app.yaml:5: inventory.locations[1].type: missing required key");
    assert_null(cfg);
    gr_config_schema_free(schema);
}

static void markdown_lists_keys(void **state)
{
    gr_config_schema *schema = fixture_schema();
    gr_buf out = GR_BUF_INIT;
    const char *text;

    (void)state;
    gr_config_schema_markdown(schema, &out);
    text = gr_buf_cstr(&out);

    assert_non_null(strstr(text, "# Configuration reference\n"));
    assert_non_null(strstr(text, "## Keys read by the host\n"));
    assert_non_null(strstr(text, "### `backend.listen.port`\n"));
    assert_non_null(strstr(text, "- Type: integer\n- Default: `7007`\n"));
    assert_non_null(strstr(
        text, "- Allowed values: `better-sqlite3`, `sqlite3`, `pg`, `postgres`, `postgresql`\n"));
    assert_non_null(strstr(text, "## Keys read by the test plugin\n"));
    assert_non_null(strstr(text, "### `test.color`\n\n- Type: string or array\n"));
    assert_non_null(strstr(text, "### `test.key`\n\n- Type: string\n- Secret:"));
    assert_non_null(strstr(text, "### `test.items[].id`\n\n- Type: string\n- Required\n"));
    gr_buf_free(&out);
    gr_config_schema_free(schema);
}

static void accessors_read_paths(void **state)
{
    gr_config *cfg;
    const char *file = NULL;
    int line = 0;

    (void)state;
    fixture_write("app.yaml", "test:\n  name: portal\n  ratio: 0.25\n  enabled: false\n"
                              "  items:\n    - id: first\n    - id: second\n"
                              "  list: [[1, 2], [3]]\n");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "test.items[1].id", NULL), "second");
    assert_int_equal(gr_config_int(cfg, "test.list[0][1]", 0), 2);
    assert_true(gr_config_double(cfg, "test.ratio", 0) == 0.25);
    assert_true(gr_config_double(cfg, "test.count", 0) == 3.0);
    assert_false(gr_config_bool(cfg, "test.enabled", true));
    assert_string_equal(gr_config_string(cfg, "test.ratio", "fallback"), "fallback");
    assert_int_equal(gr_config_int(cfg, "test.name", -1), -1);
    assert_true(gr_config_bool(cfg, "test.absent", true));
    assert_null(gr_config_node(cfg, "test.items[9]"));
    assert_null(gr_config_node(cfg, "test.items[x]"));
    assert_null(gr_config_node(cfg, "test..name"));
    assert_true(json_is_object(gr_config_node(cfg, "")));
    assert_int_equal(gr_config_origin(cfg, "test.items[1].id", &file, &line), GR_OK);
    assert_string_equal(file, "app.yaml");
    assert_int_equal(line, 7);
    assert_int_equal(gr_config_origin(cfg, "test.absent", &file, &line), GR_ENOTFOUND);
    gr_config_free(cfg);
}

static void log_level_applied(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("app.yaml", "backend:\n  log:\n    level: error\n");
    cfg = fixture_load_one("app.yaml");

    assert_int_equal(gr_config_apply_log_level(cfg), GR_OK);
    assert_false(gr_log_enabled(GR_LOG_WARN));
    assert_true(gr_log_enabled(GR_LOG_ERROR));
    gr_log_set_level(GR_LOG_INFO);
    gr_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(schema_rejects_malformed, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(schema_rejects_clash, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(undeclared_plugin_keys_warn, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(plugin_keys_accepted, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(markdown_lists_keys, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(accessors_read_paths, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(log_level_applied, fixture_setup, fixture_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
