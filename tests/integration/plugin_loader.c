/* SPDX-License-Identifier: MIT */
/* Integration tests of the plugin loader: ABI checks, failing and optional plugins, config, `plugin list`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_test.h"

/** Maximum time a `serve` that must fail may run before the test gives up, in seconds. */
#define FAILING_SERVE_LIMIT_S 60

/* The end of every plugin source below: the entry point that returns its `info`. */
#define PLUGIN_ENTRY_SOURCE                                                                        \
    "int gr_plugin_init(const gr_host_api *host, const gr_plugin_info **out)\n"                  \
    "{\n"                                                                                          \
    "    (void)host;\n"                                                                           \
    "    *out = &info;\n"                                                                         \
    "    return GR_PLUGIN_OK;\n"                                                                  \
    "}\n"

/* Writes a config that loads `plugins_yaml` (the lines under `plugins:`). */
static char *write_config(const char *prefix, const char *plugins_yaml)
{
    char *dir = gr_test_tmpdir(prefix);
    char *text = gr_xasprintf("%splugins:\n%s", PLUGIN_TEST_BACKEND, plugins_yaml);

    gr_test_write_file(dir, "app-config.yaml", text);
    free(text);
    return dir;
}

/* Runs `greenroom serve` on a config that must fail, with an alarm so a wrong start cannot hang the test. */
static gr_test_output serve_failing(const char *dir)
{
    const char *const argv[] = {"serve", "--config", "app-config.yaml", NULL};
    gr_test_output res;

    alarm(FAILING_SERVE_LIMIT_S);
    res = gr_test_run(dir, argv);
    alarm(0);
    return res;
}

static void remove_dir(char *dir)
{
    gr_test_rmtree(dir);
    free(dir);
}

/* Compiles `source_text` into NAME.so in `dir`; the test fails when the compiler does. */
static void build_library(const char *dir, const char *name, const char *source_text)
{
    const char *root = getenv("GR_SOURCE_DIR");
    char *file = gr_xasprintf("%s.c", name);
    char *command = gr_xasprintf("cc -shared -fPIC -I%s/include -o %s/%s.so %s/%s.c",
                                 root != NULL ? root : ".", dir, name, dir, name);

    gr_test_write_file(dir, file, source_text);
    assert_int_equal(system(command), 0);
    free(command);
    free(file);
}

static void abi_major_mismatch_exits_1(void **state)
{
    char *path = plugin_test_path("fixture_abi_major");
    char *yaml = gr_xasprintf("  - path: %s\n", path);
    char *dir = write_config("plugin-abi-major", yaml);
    gr_test_output res = serve_failing(dir);

    (void)state;
    assert_int_equal(res.status, 1);
    assert_true(plugin_test_has(res.err, path));
    assert_true(plugin_test_has(res.err, "built for plugin ABI 2.0"));
    assert_true(plugin_test_has(res.err, "provides ABI " PLUGIN_TEST_ABI));
    gr_test_output_free(&res);
    remove_dir(dir);
    free(yaml);
    free(path);
}

static void abi_minor_newer_exits_1(void **state)
{
    char *path = plugin_test_path("fixture_abi_minor");
    char *yaml = gr_xasprintf("  - path: %s\n", path);
    char *dir = write_config("plugin-abi-minor", yaml);
    gr_test_output res = serve_failing(dir);
    char next[64];

    (void)state;
    assert_int_equal(res.status, 1);
    snprintf(next, sizeof(next), "built for plugin ABI %d.%d", GR_PLUGIN_ABI_MAJOR,
             GR_PLUGIN_ABI_MINOR + 1);
    assert_true(plugin_test_has(res.err, next));
    assert_true(plugin_test_has(res.err, "provides ABI " PLUGIN_TEST_ABI));
    gr_test_output_free(&res);
    remove_dir(dir);
    free(yaml);
    free(path);
}

static void failing_setup_exits_1(void **state)
{
    char *path = plugin_test_path("fixture_failing");
    char *yaml = gr_xasprintf("  - path: %s\n    config:\n      reason: the license server\n",
                              path);
    char *dir = write_config("plugin-failing", yaml);
    gr_test_output res = serve_failing(dir);

    (void)state;
    assert_int_equal(res.status, 1);
    assert_true(plugin_test_has(res.err, "plugin failing"));
    assert_true(plugin_test_has(res.err, "failed to set up"));
    assert_true(plugin_test_has(res.err, "cannot reach the license server"));
    gr_test_output_free(&res);
    remove_dir(dir);
    free(yaml);
    free(path);
}

static void missing_library_exits_1(void **state)
{
    char *dir = write_config("plugin-missing", "  - path: ./no-such-plugin.so\n");
    gr_test_output res = serve_failing(dir);

    (void)state;
    assert_int_equal(res.status, 1);
    assert_true(plugin_test_has(res.err, "no-such-plugin.so could not be loaded"));
    gr_test_output_free(&res);
    remove_dir(dir);
}

static void not_a_plugin_exits_1(void **state)
{
    char *dir = write_config("plugin-not", "  - path: ./plain.so\n");
    char *source = gr_xasprintf("%s/plain.c", dir);
    char *command = gr_xasprintf("cc -shared -fPIC -o %s/plain.so %s", dir, source);
    gr_test_output res;

    (void)state;
    gr_test_write_file(dir, "plain.c", "int plain_value(void) { return 7; }\n");
    assert_int_equal(system(command), 0);
    res = serve_failing(dir);
    assert_int_equal(res.status, 1);
    assert_true(plugin_test_has(res.err, "does not export gr_plugin_init()"));
    gr_test_output_free(&res);
    remove_dir(dir);
    free(source);
    free(command);
}

/* A shared-library plugin that declares top-level config keys is refused. */
static void library_top_keys_exit_1(void **state)
{
    static const char source_text[] =
        "#include \"greenroom/plugin.h\"\n"
        "static const gr_plugin_config_key keys[] = {\n"
        "    {.path = \"search.maxPageLimit\", .types = GR_PLUGIN_CONFIG_INTEGER},\n"
        "    {.path = 0},\n"
        "};\n"
        "static const gr_plugin_info info = {\n"
        "    .abi_version = GR_PLUGIN_ABI_VERSION, .struct_size = sizeof(gr_plugin_info),\n"
        "    .id = \"grabby\", .version = \"1.0.0\", .top_config_keys = keys,\n"
        "};\n"
        PLUGIN_ENTRY_SOURCE;
    char *dir = write_config("plugin-top-keys", "  - path: ./grabby.so\n");
    gr_test_output res;

    (void)state;
    build_library(dir, "grabby", source_text);
    res = serve_failing(dir);
    assert_int_equal(res.status, 1);
    assert_true(plugin_test_has(res.err, "top_config_keys are for built-in plugins only"));
    gr_test_output_free(&res);
    remove_dir(dir);
}

static void bad_plugin_config_exits_2(void **state)
{
    static const char *const cases[][2] = {
        {"    config:\n      limit: 3\n", "plugins[0].config.greeting: missing"},
        {"    config:\n      greeting: hi\n      limit: lots\n",
         "plugins[0].config.limit: expected integer"},
        {"    config:\n      greeting: hi\n      items: [a, 3]\n",
         "plugins[0].config.items[1]: expected string"},
    };
    char *path = plugin_test_path("fixture_probe");

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *yaml = gr_xasprintf("  - path: %s\n%s", path, cases[i][0]);
        char *dir = write_config("plugin-config", yaml);
        gr_test_output res = serve_failing(dir);

        assert_int_equal(res.status, 2);
        assert_true(plugin_test_has(res.err, cases[i][1]));
        assert_true(plugin_test_has(res.err, "app-config.yaml:"));
        gr_test_output_free(&res);
        remove_dir(dir);
        free(yaml);
    }
    free(path);
}

/*
 * Builds `source_text` as NAME.so, starts serve on a config whose plugins
 * part is `plugins_yaml` and checks that it exits with status 2 and prints
 * `message`. Returns the error output for further checks (caller frees).
 */
static gr_test_output serve_library_fails(const char *name, const char *source_text,
                                          const char *plugins_yaml, const char *message)
{
    char *dir = write_config(name, plugins_yaml);
    gr_test_output res;

    build_library(dir, name, source_text);
    res = serve_failing(dir);
    assert_int_equal(res.status, 2);
    assert_true(plugin_test_has(res.err, message));
    remove_dir(dir);
    return res;
}

/* A plugin whose only key allows two strings. */
static const char picky_source[] =
    "#include \"greenroom/plugin.h\"\n"
    "static const char *const modes[] = {\"fast\", \"safe\", 0};\n"
    "static const gr_plugin_config_key keys[] = {\n"
    "    {.path = \"mode\", .types = GR_PLUGIN_CONFIG_STRING, .allowed = modes},\n"
    "    {.path = 0},\n"
    "};\n"
    "static const gr_plugin_info info = {\n"
    "    .abi_version = GR_PLUGIN_ABI_VERSION, .struct_size = sizeof(gr_plugin_info),\n"
    "    .id = \"picky\", .version = \"1.0.0\", .config_keys = keys,\n"
    "};\n"
    PLUGIN_ENTRY_SOURCE;

/* A plugin built for ABI 1.3, whose config keys had five members. */
static const char elder_source[] =
    "#include \"greenroom/plugin.h\"\n"
    "typedef struct {\n"
    "    const char *path;\n"
    "    unsigned types;\n"
    "    int required;\n"
    "    const char *default_json;\n"
    "    const char *description;\n"
    "} key_1_3;\n"
    "static const key_1_3 keys[] = {\n"
    "    {.path = \"greeting\", .types = GR_PLUGIN_CONFIG_STRING, .default_json = \"\\\"hi\\\"\"},\n"
    "    {.path = \"limit\", .types = GR_PLUGIN_CONFIG_INTEGER},\n"
    "    {.path = 0},\n"
    "};\n"
    "static const gr_plugin_info info = {\n"
    "    .abi_version = GR_PLUGIN_ABI_MAKE(1, 3),\n"
    "    .struct_size = offsetof(gr_plugin_info, top_config_keys) + sizeof(void *),\n"
    "    .id = \"elder\", .version = \"1.3.0\",\n"
    "    .config_keys = (const gr_plugin_config_key *)(const void *)keys,\n"
    "};\n"
    PLUGIN_ENTRY_SOURCE;

static void config_allowed_values(void **state)
{
    gr_test_output res = serve_library_fails("picky", picky_source,
                                             "  - path: ./picky.so\n"
                                             "    config:\n"
                                             "      mode: reckless\n",
                                             "plugins[0].config.mode: \"reckless\" is not "
                                             "allowed; use one of fast, safe");

    (void)state;
    gr_test_output_free(&res);
}

/* Keys of a 1.3 plugin are read with the 1.3 layout: the second key is still found. */
static void config_keys_of_older_abi(void **state)
{
    gr_test_output res = serve_library_fails("elder", elder_source,
                                             "  - path: ./elder.so\n"
                                             "    config:\n"
                                             "      limit: lots\n",
                                             "plugins[0].config.limit: expected integer");

    (void)state;
    gr_test_output_free(&res);
}

/* A rule naming a permission that neither greenroom nor a loaded plugin declares stops serve. */
static void undeclared_permission_exits_2(void **state)
{
    char *path = plugin_test_path("fixture_probe");
    char *yaml = gr_xasprintf("  - path: %s\n"
                              "    config:\n"
                              "      greeting: hi\n"
                              "permission:\n"
                              "  enabled: true\n"
                              "  rules:\n"
                              "    - allow: [probe.admin, probe.nothing]\n",
                              path);
    char *dir = write_config("plugin-permission", yaml);
    gr_test_output res = serve_failing(dir);

    (void)state;
    assert_int_equal(res.status, 2);
    assert_true(plugin_test_has(res.err, "permission.rules[0].allow[1]: 'probe.nothing'"));
    assert_null(strstr(res.err, "'probe.admin'"));
    gr_test_output_free(&res);
    remove_dir(dir);
    free(yaml);
    free(path);
}

/* A plugin that declares its permission in its info, without a setup hook. */
static const char declarer_source[] =
    "#include \"greenroom/plugin.h\"\n"
    "static const gr_plugin_permission permissions[] = {\n"
    "    {.struct_size = sizeof(gr_plugin_permission), .name = \"declarer.view\", .action = \"read\"},\n"
    "};\n"
    "static const gr_plugin_info info = {\n"
    "    .abi_version = GR_PLUGIN_ABI_VERSION, .struct_size = sizeof(gr_plugin_info),\n"
    "    .id = \"declarer\", .version = \"1.0.0\",\n"
    "    .permissions = permissions, .permission_count = 1,\n"
    "};\n"
    PLUGIN_ENTRY_SOURCE;

/* Permissions listed in the info are known to the policy: only the undeclared name fails. */
static void info_permissions_declared(void **state)
{
    gr_test_output res = serve_library_fails("declarer", declarer_source,
                                             "  - path: ./declarer.so\n"
                                             "permission:\n"
                                             "  enabled: true\n"
                                             "  rules:\n"
                                             "    - allow: [declarer.view]\n"
                                             "    - allow: [declarer.edit]\n",
                                             "permission.rules[1].allow[0]: 'declarer.edit'");

    (void)state;
    assert_null(strstr(res.err, "'declarer.view'"));
    gr_test_output_free(&res);
}

/* A plugin whose default lies outside its own allowed values. */
static const char sloppy_source[] =
    "#include \"greenroom/plugin.h\"\n"
    "static const char *const modes[] = {\"fast\", \"safe\", 0};\n"
    "static const gr_plugin_config_key keys[] = {\n"
    "    {.path = \"mode\", .types = GR_PLUGIN_CONFIG_STRING, .default_json = \"\\\"nope\\\"\",\n"
    "     .allowed = modes},\n"
    "    {.path = 0},\n"
    "};\n"
    "static const gr_plugin_info info = {\n"
    "    .abi_version = GR_PLUGIN_ABI_VERSION, .struct_size = sizeof(gr_plugin_info),\n"
    "    .id = \"sloppy\", .version = \"1.0.0\", .config_keys = keys,\n"
    "};\n"
    PLUGIN_ENTRY_SOURCE;

/* A plugin whose permission name has a space. */
static const char spaced_source[] =
    "#include \"greenroom/plugin.h\"\n"
    "static const gr_plugin_permission permissions[] = {\n"
    "    {.struct_size = sizeof(gr_plugin_permission), .name = \"spaced.a b\"},\n"
    "};\n"
    "static const gr_plugin_info info = {\n"
    "    .abi_version = GR_PLUGIN_ABI_VERSION, .struct_size = sizeof(gr_plugin_info),\n"
    "    .id = \"spaced\", .version = \"1.0.0\",\n"
    "    .permissions = permissions, .permission_count = 1,\n"
    "};\n"
    PLUGIN_ENTRY_SOURCE;

/* Mistakes in a plugin's own declarations name the plugin, not the operator's config. */
static void plugin_declaration_mistakes(void **state)
{
    gr_test_output res = serve_library_fails("sloppy", sloppy_source, "  - path: ./sloppy.so\n",
                                             "declares a default outside its allowed values");

    (void)state;
    gr_test_output_free(&res);
    res = serve_library_fails("spaced", spaced_source, "  - path: ./spaced.so\n",
                              "permission 'spaced.a b' is invalid");
    gr_test_output_free(&res);
}

static void optional_failures_are_skipped(void **state)
{
    char *failing = plugin_test_path("fixture_failing");
    char *major = plugin_test_path("fixture_abi_major");
    char *probe = plugin_test_path("fixture_probe");
    char *yaml = gr_xasprintf("  - path: %s\n    optional: true\n"
                              "  - path: %s\n    optional: true\n"
                              "  - path: ./missing.so\n    optional: true\n"
                              "  - path: %s\n    config:\n      greeting: still here\n"
                              "permission:\n"
                              "  rules:\n"
                              "    - allow: [missing.edit, catalog.entity.read]\n",
                              failing, major, probe);
    char *dir = write_config("plugin-optional", yaml);
    gr_test_server server;
    gr_test_output res;
    char *log;

    (void)state;
    assert_int_equal(gr_test_server_start(&server, dir, "app-config.yaml", 15000), 0);
    res = plugin_test_request(&server, "GET", "/api/probe/config", NULL);
    assert_int_equal(res.status, 200);
    assert_true(plugin_test_has(res.out, "\"greeting\":\"still here\""));
    gr_test_output_free(&res);
    /* The failed plugin's routes respond with 404, even the one it registered before
     * failing, because its state was destroyed. */
    res = plugin_test_request(&server, "GET", "/api/failing/anything", NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);
    res = plugin_test_request(&server, "GET", "/api/failing/before-failure", NULL);
    assert_int_equal(res.status, 404);
    gr_test_output_free(&res);
    /* `greenroom routes` leaves it out too. */
    {
        const char *const argv[] = {"routes", "--config", "app-config.yaml", NULL};

        res = gr_test_run(dir, argv);
        assert_int_equal(res.status, 0);
        assert_true(plugin_test_has(res.out, "GET /api/probe/config"));
        assert_false(plugin_test_has(res.out, "/api/failing/"));
        gr_test_output_free(&res);
    }

    log = plugin_test_read(server.log_path);
    assert_true(plugin_test_has(log, "optional plugin skipped"));
    assert_true(plugin_test_has(log, "cannot reach the moon"));
    assert_true(plugin_test_has(log, "built for plugin ABI 2.0"));
    assert_true(plugin_test_has(log, "missing.so could not be loaded"));
    /* A rule may name a permission of a skipped plugin; serve warns and starts. */
    assert_true(plugin_test_has(log, "permission.rules[0] names permissions that no loaded plugin"));
    free(log);
    assert_int_equal(gr_test_server_stop(&server), 0);
    remove_dir(dir);
    free(yaml);
    free(failing);
    free(major);
    free(probe);
}

static void relative_path_follows_config(void **state)
{
    char *probe = plugin_test_path("fixture_probe");
    char *dir = gr_test_tmpdir("plugin-relative");
    char *sub = gr_xasprintf("%s/conf", dir);
    char *link = gr_xasprintf("%s/conf/probe.so", dir);
    char *text = gr_xasprintf("%splugins:\n  - path: ./probe.so\n    config: {greeting: near}\n",
                              PLUGIN_TEST_BACKEND);
    gr_test_server server;
    gr_test_output res;

    (void)state;
    gr_test_write_file(dir, "conf/app-config.yaml", text);
    assert_int_equal(symlink(probe, link), 0);
    /* The server runs in `dir`, the config and plugin sit in dir/conf. */
    assert_int_equal(gr_test_server_start(&server, dir, "conf/app-config.yaml", 15000), 0);
    res = plugin_test_request(&server, "GET", "/api/probe/config", NULL);
    assert_int_equal(res.status, 200);
    assert_true(plugin_test_has(res.out, "\"greeting\":\"near\""));
    gr_test_output_free(&res);
    assert_int_equal(gr_test_server_stop(&server), 0);
    remove_dir(dir);
    free(sub);
    free(link);
    free(text);
    free(probe);
}

static void plugin_list_shows_versions(void **state)
{
    char *probe = plugin_test_path("fixture_probe");
    char *yaml = gr_xasprintf("  - path: %s\n    config: {greeting: x}\n", probe);
    char *dir = write_config("plugin-list", yaml);
    const char *const argv[] = {"plugin", "list", "--config", "app-config.yaml", NULL};
    gr_test_output res = gr_test_run(dir, argv);

    (void)state;
    assert_int_equal(res.status, 0);
    assert_true(plugin_test_has(res.out, "probe            0.0.1      " PLUGIN_TEST_ABI));
    assert_true(plugin_test_has(res.out, "fixture_probe.so: calls every host service"));
    assert_true(plugin_test_has(res.out, "techdocs"));
    assert_true(plugin_test_has(res.out, "built-in"));
    gr_test_output_free(&res);
    remove_dir(dir);
    free(yaml);
    free(probe);
}

static void plugin_list_reports_bad_library(void **state)
{
    char *major = plugin_test_path("fixture_abi_major");
    char *yaml = gr_xasprintf("  - path: %s\n", major);
    char *dir = write_config("plugin-list-bad", yaml);
    const char *const argv[] = {"plugin", "list", "--config", "app-config.yaml", NULL};
    gr_test_output res = gr_test_run(dir, argv);

    (void)state;
    assert_int_equal(res.status, 1);
    assert_true(plugin_test_has(res.out, "not loaded"));
    assert_true(plugin_test_has(res.out, "built for plugin ABI 2.0"));
    gr_test_output_free(&res);
    remove_dir(dir);
    free(yaml);
    free(major);
}

static void plugin_command_usage(void **state)
{
    static const struct {
        const char *argv[5];
        int status;
        const char *text;
    } cases[] = {
        {{"plugin", NULL}, 2, "a subcommand is required"},
        {{"plugin", "frob", NULL}, 2, "unknown subcommand 'frob'"},
        {{"plugin", "new", "Bad_Name", NULL}, 2, "'Bad_Name' is not a valid plugin id"},
        {{"plugin", "new", NULL}, 2, "takes NAME"},
        {{"plugin", "list", "--verbose", NULL}, 2, "unknown argument '--verbose'"},
    };
    const char *const help[] = {"plugin", "--help", NULL};
    gr_test_output res;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        res = gr_test_run(NULL, cases[i].argv);
        assert_int_equal(res.status, cases[i].status);
        assert_true(plugin_test_has(res.err, cases[i].text));
        gr_test_output_free(&res);
    }
    res = gr_test_run(NULL, help);
    assert_int_equal(res.status, 0);
    assert_true(plugin_test_has(res.out, "greenroom plugin new NAME [DIR]"));
    gr_test_output_free(&res);
}

static void plugin_new_refuses_existing_dir(void **state)
{
    char *dir = gr_test_tmpdir("plugin-new-exists");
    const char *const argv[] = {"plugin", "new", "demo", dir, NULL};
    gr_test_output res = gr_test_run(NULL, argv);

    (void)state;
    assert_int_equal(res.status, 1);
    assert_true(plugin_test_has(res.err, "choose a new folder"));
    gr_test_output_free(&res);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(abi_major_mismatch_exits_1),
        cmocka_unit_test(abi_minor_newer_exits_1),
        cmocka_unit_test(failing_setup_exits_1),
        cmocka_unit_test(missing_library_exits_1),
        cmocka_unit_test(not_a_plugin_exits_1),
        cmocka_unit_test(library_top_keys_exit_1),
        cmocka_unit_test(bad_plugin_config_exits_2),
        cmocka_unit_test(config_allowed_values),
        cmocka_unit_test(config_keys_of_older_abi),
        cmocka_unit_test(undeclared_permission_exits_2),
        cmocka_unit_test(info_permissions_declared),
        cmocka_unit_test(plugin_declaration_mistakes),
        cmocka_unit_test(optional_failures_are_skipped),
        cmocka_unit_test(relative_path_follows_config),
        cmocka_unit_test(plugin_list_shows_versions),
        cmocka_unit_test(plugin_list_reports_bad_library),
        cmocka_unit_test(plugin_command_usage),
        cmocka_unit_test(plugin_new_refuses_existing_dir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
