/* SPDX-License-Identifier: MIT */
/* Unit tests for config validation, defaults, overrides, masking and accessors. */
#include "config_fixture.h"

static void defaults_without_files(void **state)
{
    gr_config *cfg = NULL;
    const char *file = NULL;
    int line = -1;

    (void)state;
    assert_int_equal(fixture_load(&cfg, NULL, 0), GR_OK);

    assert_string_equal(gr_config_string(cfg, "backend.listen.host", NULL), "127.0.0.1");
    assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 7007);
    assert_string_equal(gr_config_string(cfg, "backend.database.client", NULL), "better-sqlite3");
    assert_string_equal(gr_config_string(cfg, "backend.database.connection", NULL),
                        "./data/greenroom.sqlite");
    assert_string_equal(gr_config_string(cfg, "backend.baseUrl", NULL), "http://127.0.0.1:7007");
    assert_string_equal(gr_config_string(cfg, "app.baseUrl", NULL), "http://127.0.0.1:7007");
    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "greenroom");
    assert_string_equal(gr_config_string(cfg, "organization.name", NULL), "My Company");
    assert_string_equal(gr_config_string(cfg, "backend.log.level", NULL), "info");
    assert_int_equal(json_array_size(gr_config_node(cfg, "backend.reading.allow")), 0);
    assert_int_equal(json_array_size(gr_config_node(cfg, "backend.auth.externalAccess")), 0);
    assert_int_equal(gr_config_int(cfg, "test.count", 0), 3);
    assert_int_equal(gr_config_origin(cfg, "backend.listen.port", &file, &line), GR_OK);
    assert_string_equal(file, "default");
    assert_int_equal(line, 0);
    assert_int_equal(fixture_warning_count, 0);
    gr_config_free(cfg);
}

static void base_url_follows_listen(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("app.yaml", "backend:\n  listen: 0.0.0.0:8080\n");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "backend.listen.host", NULL), "0.0.0.0");
    assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 8080);
    assert_string_equal(gr_config_string(cfg, "backend.baseUrl", NULL), "http://localhost:8080");
    gr_config_free(cfg);
}

static void listen_string_forms(void **state)
{
    gr_config *cfg;
    const char *file = NULL;
    int line = 0;

    (void)state;
    fixture_write("port.yaml", "backend:\n  listen: '7010'\n");
    fixture_write("ipv6.yaml", "backend:\n  listen: '[::1]:7011'\n");
    fixture_write("bad.yaml", "backend:\n  listen: 'localhost:http'\n");

    cfg = fixture_load_one("port.yaml");
    assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 7010);
    assert_string_equal(gr_config_string(cfg, "backend.listen.host", NULL), "127.0.0.1");
    assert_int_equal(gr_config_origin(cfg, "backend.listen.port", &file, &line), GR_OK);
    assert_string_equal(file, "port.yaml");
    assert_int_equal(line, 2);
    gr_config_free(cfg);

    cfg = fixture_load_one("ipv6.yaml");
    assert_string_equal(gr_config_string(cfg, "backend.listen.host", NULL), "::1");
    assert_string_equal(gr_config_string(cfg, "backend.baseUrl", NULL), "http://[::1]:7011");
    gr_config_free(cfg);

    assert_int_equal(fixture_load_bad("bad.yaml"), GR_EINVALID);
    assert_error_has("bad.yaml:2: backend.listen: must be <port> or <host>:<port>");
}

static void listen_host_rejects_names(void **state)
{
    (void)state;
    fixture_write("object.yaml", "backend:\n  listen:\n    host: localhost\n    port: 7010\n");
    fixture_write("string.yaml", "backend:\n  listen: 'localhost:7010'\n");
    fixture_write("bracketed.yaml", "backend:\n  listen:\n    host: '[::1]'\n");

    assert_int_equal(fixture_load_bad("object.yaml"), GR_EINVALID);
    assert_error_has("object.yaml:3: backend.listen.host: must be an IPv4 or IPv6 address, found "
                     "\"localhost\"");
    assert_error_has("Write 127.0.0.1 or ::1");
    assert_error_has("or 0.0.0.0 or :: to accept them on every interface");

    assert_int_equal(fixture_load_bad("string.yaml"), GR_EINVALID);
    assert_error_has("string.yaml:2: backend.listen.host: must be an IPv4 or IPv6 address, found "
                     "\"localhost\"");

    assert_int_equal(fixture_load_bad("bracketed.yaml"), GR_EINVALID);
    assert_error_has("bracketed.yaml:3: backend.listen.host: must be an IPv4 or IPv6 address, "
                     "found \"[::1]\"");
}

static void listen_host_accepts_addresses(void **state)
{
    static const char *const cases[][2] = {
        {"backend:\n  listen: ':7010'\n", "127.0.0.1"},
        {"backend:\n  listen: '0.0.0.0:7010'\n", "0.0.0.0"},
        {"backend:\n  listen: '[::]:7010'\n", "::"},
        {"backend:\n  listen:\n    host: 10.1.2.3\n    port: 7010\n", "10.1.2.3"},
        {"backend:\n  listen:\n    host: '::1'\n    port: 7010\n", "::1"},
        {"backend:\n  listen:\n    host: ''\n    port: 7010\n", "127.0.0.1"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gr_config *cfg;

        fixture_write("app.yaml", cases[i][0]);
        cfg = fixture_load_one("app.yaml");
        assert_string_equal(gr_config_string(cfg, "backend.listen.host", NULL), cases[i][1]);
        assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 7010);
        gr_config_free(cfg);
    }
}

static void wrong_type_names_line(void **state)
{
    (void)state;
    fixture_write("app.yaml", "backend:\n  listen:\n    port: seven\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:3: backend.listen.port: must be an integer, found the string "
                     "\"seven\"");
}

static void wrong_type_for_parent(void **state)
{
    (void)state;
    fixture_write("app.yaml", "app: My portal\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:1: app: must be an object, found the string \"My portal\"");
}

static void secret_value_not_shown(void **state)
{
    (void)state;
    fixture_write("app.yaml", "test:\n  key: [hunter2]\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:2: test.key: must be a string, found an array");
    fixture_write("app.yaml", "backend:\n  database:\n    connection:\n      password: 1234\n");
    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("password: must be a string, found an integer");
    assert_null(strstr(gr_error_last(), "1234"));
}

static void strings_coerced(void **state)
{
    gr_config *cfg;

    (void)state;
    setenv("GR_TEST_PORT", "7123", 1);
    fixture_write("app.yaml", "backend:\n  listen:\n    port: ${GR_TEST_PORT}\n"
                              "test:\n  ratio: '2.5'\n  enabled: 'TRUE'\n  count: 4.0\n");
    cfg = fixture_load_one("app.yaml");

    assert_true(json_is_integer(gr_config_node(cfg, "backend.listen.port")));
    assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 7123);
    assert_true(gr_config_double(cfg, "test.ratio", 0) == 2.5);
    assert_true(gr_config_bool(cfg, "test.enabled", false));
    assert_int_equal(gr_config_int(cfg, "test.count", 0), 4);
    gr_config_free(cfg);
    unsetenv("GR_TEST_PORT");
}

static void value_not_allowed(void **state)
{
    (void)state;
    fixture_write("app.yaml", "backend:\n  database:\n    client: mysql\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:3: backend.database.client: must be one of better-sqlite3, "
                     "sqlite3, pg, postgres, postgresql; found \"mysql\"");
}

static void array_item_not_allowed(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("good.yaml", "test:\n  color: [red, green]\n");
    fixture_write("bad.yaml", "test:\n  color: [red, blue]\n");

    cfg = fixture_load_one("good.yaml");
    assert_int_equal(json_array_size(gr_config_node(cfg, "test.color")), 2);
    gr_config_free(cfg);
    assert_int_equal(fixture_load_bad("bad.yaml"), GR_EINVALID);
    assert_error_has("bad.yaml:2: test.color: item 1 must be one of red, green; found \"blue\"");
}

static void missing_required_key(void **state)
{
    (void)state;
    fixture_write("app.yaml", "backend:\n  reading:\n    allow:\n"
                              "      - host: ok.example\n      - paths: [/docs/]\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:5: backend.reading.allow[1].host: missing required key");
}

static void missing_required_names_variable(void **state)
{
    (void)state;
    unsetenv("GR_TEST_UNSET");
    fixture_write("app.yaml", "test:\n  items:\n    - id: ${GR_TEST_UNSET}\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:3: test.items[0].id: missing required key (its value was left out "
                     "because environment variable GR_TEST_UNSET is not set)");
}

/* A custom check that fails on a value an unset variable left out names that variable. */
static void failed_check_names_variable(void **state)
{
    (void)state;
    unsetenv("GR_TEST_UNSET_TOKEN");
    fixture_write("app.yaml", "backend:\n  auth:\n    externalAccess:\n"
                              "      - type: static\n        options:\n"
                              "          token: ${GR_TEST_UNSET_TOKEN}\n"
                              "          subject: ci-bot\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("backend.auth.externalAccess[0]: a static entry needs options.token "
                     "(environment variable GR_TEST_UNSET_TOKEN is not set, so "
                     "backend.auth.externalAccess[0].options.token was left out)");
}

/* A list item that an unset variable leaves out is logged, because the list silently shrinks. */
static void dropped_list_item_warns(void **state)
{
    const char *files[] = {"app.yaml"};
    gr_config *cfg = NULL;

    (void)state;
    unsetenv("GR_TEST_UNSET_KIND");
    fixture_write("app.yaml",
                  "catalog:\n  rules:\n    - allow: [Component, \"${GR_TEST_UNSET_KIND}\", API]\n");

    assert_int_equal(fixture_load(&cfg, files, 1), GR_OK);
    assert_int_equal(fixture_warning_count, 1);
    assert_non_null(strstr(gr_buf_cstr(&fixture_warnings),
                           "app.yaml:3: catalog.rules[0].allow[1]: the list item is left out "
                           "because environment variable GR_TEST_UNSET_KIND is not set"));
    gr_config_free(cfg);
}

static void pg_needs_connection(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("bad.yaml", "backend:\n  database:\n    client: pg\n");
    fixture_write("good.yaml", "backend:\n  database:\n    client: pg\n    connection:\n"
                               "      host: db.internal\n      port: '5433'\n"
                               "      user: portal\n      password: pw\n");

    assert_int_equal(fixture_load_bad("bad.yaml"), GR_EINVALID);
    assert_error_has("bad.yaml:2: backend.database: client pg needs a connection");
    cfg = fixture_load_one("good.yaml");
    assert_int_equal(gr_config_int(cfg, "backend.database.connection.port", 0), 5433);
    gr_config_free(cfg);
}

static void errors_listed_together(void **state)
{
    (void)state;
    fixture_write("app.yaml", "backend:\n  listen:\n    port: x\n"
                              "  database:\n    client: oracle\n"
                              "test:\n  enabled: maybe\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:3: backend.listen.port:");
    assert_error_has("app.yaml:5: backend.database.client:");
    assert_error_has("app.yaml:7: test.enabled: must be a boolean");
}

static void many_errors_capped(void **state)
{
    gr_buf text = GR_BUF_INIT;

    (void)state;
    gr_buf_puts(&text, "test:\n  items:\n");
    for (int i = 0; i < 40; i++)
        gr_buf_puts(&text, "    - label: no id here\n");
    fixture_write("app.yaml", gr_buf_cstr(&text));
    gr_buf_free(&text);

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:3: test.items[0].id: missing required key\n");
    assert_error_has("more errors not shown)");
    assert_true(strlen(gr_error_last()) < GR_ERROR_MAX - 1);
}

static void unknown_keys_warn_once(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("app.yaml", "app:\n  title: x\n  support:\n    url: http://help\n"
                              "backend:\n  cors:\n    origin: http://x\n    methods: [GET]\n"
                              "kubernetes:\n  clusters: []\n"
                              "test:\n  map:\n    one:\n      url: u\n      urll: v\n"
                              "  items:\n    - id: a\n      extra: 1\n"
                              "  free:\n    anything: [1, 2]\n");
    cfg = fixture_load_one("app.yaml");

    assert_int_equal(fixture_warning_count, 5);
    assert_warning_has("app.yaml:3: app.support: unknown key");
    assert_warning_has("app.yaml:6: backend.cors: unknown key");
    assert_warning_has("app.yaml:9: kubernetes: unknown key");
    assert_warning_has("app.yaml:15: test.map.one.urll: unknown key");
    assert_warning_has("app.yaml:18: test.items[0].extra: unknown key");
    gr_config_free(cfg);
}

static void unknown_backstage_key_hints(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("app.yaml", "backend:\n  auth:\n    keys:\n      - secret: abc\n");
    cfg = fixture_load_one("app.yaml");

    assert_int_equal(fixture_warning_count, 1);
    assert_warning_has("app.yaml:3: backend.auth.keys: unknown key, greenroom does not read it. "
                       "Write each of its secrets as an entry of backend.auth.externalAccess "
                       "with type legacy");
    gr_config_free(cfg);
}

static void unknown_key_in_two_files_warns_once(void **state)
{
    const char *files[] = {"a.yaml", "b.yaml"};
    gr_config *cfg = NULL;

    (void)state;
    fixture_write("a.yaml", "kubernetes:\n  a: 1\n");
    fixture_write("b.yaml", "\nkubernetes:\n  b: 2\n");
    assert_int_equal(fixture_load(&cfg, files, 2), GR_OK);

    assert_int_equal(fixture_warning_count, 1);
    assert_warning_has("a.yaml:1: kubernetes: unknown key");
    gr_config_free(cfg);
}

static void defaults_fill_array_items(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("app.yaml", "test:\n  items:\n    - id: a\n    - id: b\n      label: B\n");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "test.items[0].label", NULL), "none");
    assert_string_equal(gr_config_string(cfg, "test.items[1].label", NULL), "B");
    gr_config_free(cfg);
}

static void null_value_takes_default(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("app.yaml", "app:\n  title:\n");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "greenroom");
    gr_config_free(cfg);
}

static void env_overrides_files(void **state)
{
    gr_config *cfg;
    const char *file = NULL;
    int line = -1;

    (void)state;
    setenv("APP_CONFIG_backend_listen_port", "7008", 1);
    setenv("APP_CONFIG_app_title", "\"Quoted\"", 1);
    setenv("APP_CONFIG_organization_name", "plain text", 1);
    setenv("APP_CONFIG_test_map", "{\"one\": {\"url\": \"u\"}}", 1);
    fixture_write("app.yaml", "backend:\n  listen:\n    port: 7001\n    host: 0.0.0.0\n");
    cfg = fixture_load_one("app.yaml");
    unsetenv("APP_CONFIG_backend_listen_port");
    unsetenv("APP_CONFIG_app_title");
    unsetenv("APP_CONFIG_organization_name");
    unsetenv("APP_CONFIG_test_map");

    assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 7008);
    assert_string_equal(gr_config_string(cfg, "backend.listen.host", NULL), "0.0.0.0");
    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "Quoted");
    assert_string_equal(gr_config_string(cfg, "organization.name", NULL), "plain text");
    assert_string_equal(gr_config_string(cfg, "test.map.one.url", NULL), "u");
    assert_int_equal(gr_config_origin(cfg, "backend.listen.port", &file, &line), GR_OK);
    assert_string_equal(file, "APP_CONFIG_backend_listen_port");
    assert_int_equal(line, 0);
    gr_config_free(cfg);
}

static void env_override_checked(void **state)
{
    gr_config *cfg = NULL;

    (void)state;
    setenv("APP_CONFIG_backend_listen_port", "\"abc\"", 1);
    assert_int_equal(fixture_load(&cfg, NULL, 0), GR_EINVALID);
    unsetenv("APP_CONFIG_backend_listen_port");
    assert_error_has("APP_CONFIG_backend_listen_port: backend.listen.port: must be an integer");

    setenv("APP_CONFIG_backend__port", "1", 1);
    assert_int_equal(fixture_load(&cfg, NULL, 0), GR_EINVALID);
    unsetenv("APP_CONFIG_backend__port");
    assert_error_has("APP_CONFIG_backend__port: invalid config key 'backend__port'");

    setenv("APP_CONFIG_test_name", "null", 1);
    assert_int_equal(fixture_load(&cfg, NULL, 0), GR_EINVALID);
    unsetenv("APP_CONFIG_test_name");
    assert_error_has("APP_CONFIG_test_name: the value must be valid UTF-8 and not null");
    assert_null(cfg);
}

static void env_override_conflict(void **state)
{
    gr_config *cfg = NULL;

    (void)state;
    setenv("APP_CONFIG_test_free", "{\"a\": 1}", 1);
    setenv("APP_CONFIG_test_free_a", "2", 1);
    assert_int_equal(fixture_load(&cfg, NULL, 0), GR_ECONFLICT);
    unsetenv("APP_CONFIG_test_free");
    unsetenv("APP_CONFIG_test_free_a");
    assert_error_has("already sets key");
    assert_null(cfg);
}

static void log_level_from_env(void **state)
{
    gr_config *cfg = NULL;
    const char *file = NULL;

    (void)state;
    fixture_write("app.yaml", "backend:\n  log:\n    level: warn\n");
    setenv("GREENROOM_LOG_LEVEL", "debug", 1);
    cfg = fixture_load_one("app.yaml");
    assert_string_equal(gr_config_string(cfg, "backend.log.level", NULL), "debug");
    assert_int_equal(gr_config_origin(cfg, "backend.log.level", &file, NULL), GR_OK);
    assert_string_equal(file, "GREENROOM_LOG_LEVEL");
    gr_config_free(cfg);

    setenv("GREENROOM_LOG_LEVEL", "loud", 1);
    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    unsetenv("GREENROOM_LOG_LEVEL");
    assert_error_has("GREENROOM_LOG_LEVEL: backend.log.level: must be one of debug");
}

static void masked_hides_secrets(void **state)
{
    gr_config *cfg;
    json_t *masked;
    char *text;

    (void)state;
    fixture_write("app.yaml",
                  "backend:\n  database:\n    client: pg\n"
                  "    connection: postgresql://portal:p@ss@db.internal:5432/portal\n"
                  "  auth:\n    externalAccess:\n      - type: static\n"
                  "        options:\n          token: abcdefgh\n          subject: ci\n"
                  "test:\n  key: declared\n  free:\n    clientSecret: cs\n    apiKey: 42\n"
                  "    credentials:\n      privateKey: pk\n    visible: shown\n");
    cfg = fixture_load_one("app.yaml");
    masked = gr_config_masked(cfg);
    text = json_dumps(masked, JSON_COMPACT);

    assert_non_null(strstr(text, "\"connection\":\"postgresql://portal:<secret>@db.internal"));
    assert_non_null(strstr(text, "\"token\":\"<secret>\""));
    assert_non_null(strstr(text, "\"subject\":\"ci\""));
    assert_non_null(strstr(text, "\"key\":\"<secret>\""));
    assert_non_null(strstr(text, "\"clientSecret\":\"<secret>\""));
    assert_non_null(strstr(text, "\"apiKey\":\"<secret>\""));
    assert_non_null(strstr(text, "\"privateKey\":\"<secret>\""));
    assert_non_null(strstr(text, "\"visible\":\"shown\""));
    assert_null(strstr(text, "abcdefgh"));
    assert_null(strstr(text, "declared"));
    assert_null(strstr(text, "p@ss"));
    /* The config itself keeps the real values. */
    assert_string_equal(gr_config_string(cfg, "test.key", NULL), "declared");
    free(text);
    json_decref(masked);
    gr_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults_without_files, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(base_url_follows_listen, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(listen_string_forms, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(listen_host_rejects_names, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(listen_host_accepts_addresses, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(wrong_type_names_line, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(wrong_type_for_parent, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(secret_value_not_shown, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(strings_coerced, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(value_not_allowed, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(array_item_not_allowed, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(missing_required_key, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(missing_required_names_variable, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(dropped_list_item_warns, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(failed_check_names_variable, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(pg_needs_connection, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(errors_listed_together, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(many_errors_capped, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(unknown_keys_warn_once, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(unknown_backstage_key_hints, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(unknown_key_in_two_files_warns_once, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(defaults_fill_array_items, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(null_value_takes_default, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(env_overrides_files, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(env_override_checked, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(env_override_conflict, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(log_level_from_env, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(masked_hides_secrets, fixture_setup, fixture_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
