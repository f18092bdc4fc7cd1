/* SPDX-License-Identifier: MIT */
/* Unit tests for reading config files: merging, substitution, $env, $file and $include. */
#include "config_fixture.h"

#include <stdio.h>

static void merge_later_file_wins(void **state)
{
    const char *files[] = {"a.yaml", "b.yaml"};
    gr_config *cfg = NULL;
    const char *file = NULL;
    int line = 0;

    (void)state;
    fixture_write("a.yaml", "app:\n  title: First\n"
                            "backend:\n  listen:\n    port: 7001\n"
                            "organization:\n  name: Acme\n");
    fixture_write("b.yaml", "app:\n  title: Second\n");
    assert_int_equal(fixture_load(&cfg, files, 2), GR_OK);

    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "Second");
    assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 7001);
    assert_string_equal(gr_config_string(cfg, "organization.name", NULL), "Acme");
    assert_int_equal(gr_config_origin(cfg, "app.title", &file, &line), GR_OK);
    assert_string_equal(file, "b.yaml");
    assert_int_equal(line, 2);
    assert_int_equal(gr_config_origin(cfg, "backend.listen.port", &file, &line), GR_OK);
    assert_string_equal(file, "a.yaml");
    assert_int_equal(line, 5);
    gr_config_free(cfg);
}

static void merge_arrays_replace(void **state)
{
    const char *files[] = {"a.yaml", "b.yaml"};
    gr_config *cfg = NULL;
    const json_t *allow;

    (void)state;
    fixture_write("a.yaml", "backend:\n  reading:\n    allow:\n"
                            "      - host: one.example\n      - host: two.example\n");
    fixture_write("b.yaml", "backend:\n  reading:\n    allow:\n      - host: three.example\n");
    assert_int_equal(fixture_load(&cfg, files, 2), GR_OK);

    allow = gr_config_node(cfg, "backend.reading.allow");
    assert_int_equal(json_array_size(allow), 1);
    assert_string_equal(gr_config_string(cfg, "backend.reading.allow[0].host", NULL),
                        "three.example");
    gr_config_free(cfg);
}

static void merge_scalar_replaces_object(void **state)
{
    const char *files[] = {"a.yaml", "b.yaml"};
    gr_config *cfg = NULL;

    (void)state;
    fixture_write("a.yaml", "backend:\n  listen:\n    host: 0.0.0.0\n    port: 7001\n");
    fixture_write("b.yaml", "backend:\n  listen: ':7009'\n");
    assert_int_equal(fixture_load(&cfg, files, 2), GR_OK);

    assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 7009);
    assert_string_equal(gr_config_string(cfg, "backend.listen.host", NULL), "127.0.0.1");
    gr_config_free(cfg);
}

static void substitute_variable(void **state)
{
    gr_config *cfg;

    (void)state;
    setenv("GR_TEST_HOST", "  example.org \n", 1);
    fixture_write("app.yaml", "app:\n  title: 'portal ${GR_TEST_HOST}!'\n"
                              "organization:\n  name: ${ GR_TEST_HOST }\n");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "portal example.org!");
    assert_string_equal(gr_config_string(cfg, "organization.name", NULL), "example.org");
    gr_config_free(cfg);
    unsetenv("GR_TEST_HOST");
}

static void substitute_escape(void **state)
{
    gr_config *cfg;

    (void)state;
    setenv("GR_TEST_HOST", "example.org", 1);
    fixture_write("app.yaml", "app:\n  title: 'a $${GR_TEST_HOST} b'\n"
                              "organization:\n  name: '$$${GR_TEST_HOST} ${GR_TEST_HOST'\n");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "a ${GR_TEST_HOST} b");
    assert_string_equal(gr_config_string(cfg, "organization.name", NULL),
                        "$${GR_TEST_HOST} ${GR_TEST_HOST");
    gr_config_free(cfg);
    unsetenv("GR_TEST_HOST");
}

static void substitute_fallback(void **state)
{
    gr_config *cfg;

    (void)state;
    unsetenv("GR_TEST_UNSET");
    setenv("GR_TEST_EMPTY", "", 1);
    fixture_write("app.yaml", "app:\n  title: '${GR_TEST_UNSET:- spare title }'\n"
                              "organization:\n  name: '${GR_TEST_EMPTY:-spare}'\n"
                              "test:\n  name: '${GR_TEST_UNSET:-}'\n");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "spare title");
    assert_string_equal(gr_config_string(cfg, "organization.name", NULL), "spare");
    assert_null(gr_config_node(cfg, "test.name"));
    gr_config_free(cfg);
    unsetenv("GR_TEST_EMPTY");
}

static void missing_variable_leaves_key_out(void **state)
{
    gr_config *cfg;
    const json_t *list;
    const char *file = NULL;

    (void)state;
    unsetenv("GR_TEST_UNSET");
    fixture_write("app.yaml", "app:\n  title: 'x ${GR_TEST_UNSET} y'\n"
                              "test:\n  list: [a, '${GR_TEST_UNSET}', b]\n");
    cfg = fixture_load_one("app.yaml");

    /* The title is undefined, so the default fills it. */
    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "greenroom");
    assert_int_equal(gr_config_origin(cfg, "app.title", &file, NULL), GR_OK);
    assert_string_equal(file, "default");
    list = gr_config_node(cfg, "test.list");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(gr_config_string(cfg, "test.list[1]", NULL), "b");
    gr_config_free(cfg);
}

static void env_form_reads_variable(void **state)
{
    gr_config *cfg;

    (void)state;
    setenv("GR_TEST_NAME", " from env\n", 1);
    unsetenv("GR_TEST_UNSET");
    fixture_write("app.yaml", "app:\n  title:\n    $env: GR_TEST_NAME\n"
                              "test:\n  name: {$env: GR_TEST_UNSET}\n");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "from env");
    assert_null(gr_config_node(cfg, "test.name"));
    gr_config_free(cfg);
    unsetenv("GR_TEST_NAME");
}

static void file_form_relative(void **state)
{
    gr_config *cfg;
    const char *file = NULL;
    int line = 0;

    (void)state;
    fixture_write("conf/app.yaml", "test:\n  name:\n    $file: secrets/name.txt\n");
    fixture_write("conf/secrets/name.txt", "s3cret value \n\n");
    cfg = fixture_load_one("conf/app.yaml");

    assert_string_equal(gr_config_string(cfg, "test.name", NULL), "s3cret value");
    assert_int_equal(gr_config_origin(cfg, "test.name", &file, &line), GR_OK);
    assert_string_equal(file, "conf/app.yaml");
    assert_int_equal(line, 2);
    gr_config_free(cfg);
}

static void file_form_missing(void **state)
{
    (void)state;
    fixture_write("app.yaml", "test:\n  name:\n    $file: nope.txt\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_ENOTFOUND);
    assert_error_has("app.yaml:2: test.name: $file: cannot read nope.txt");
}

static void include_relative_and_nested(void **state)
{
    gr_config *cfg;
    const char *file = NULL;
    int line = 0;

    (void)state;
    fixture_write("conf/app.yaml", "backend:\n  $include: parts/backend.yaml\n");
    fixture_write("conf/parts/backend.yaml", "listen:\n  port: 7100\n"
                                             "database:\n  connection:\n"
                                             "    password: {$file: pg.txt}\n"
                                             "    host: db\n");
    fixture_write("conf/parts/pg.txt", "hunter2\n");
    cfg = fixture_load_one("conf/app.yaml");

    assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 7100);
    assert_string_equal(gr_config_string(cfg, "backend.database.connection.password", NULL),
                        "hunter2");
    assert_int_equal(gr_config_origin(cfg, "backend.listen.port", &file, &line), GR_OK);
    assert_string_equal(file, "conf/parts/backend.yaml");
    assert_int_equal(line, 2);
    gr_config_free(cfg);
}

static void include_fragment(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("app.yaml", "app:\n  title: {$include: 'data.json#names.portal'}\n"
                              "test:\n  free: {$include: 'data.json#names'}\n"
                              "  name: {$include: 'data.json#names.missing'}\n");
    fixture_write("data.json", "{\"names\": {\"portal\": \"Included\", \"other\": 1}}");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "Included");
    assert_int_equal(gr_config_int(cfg, "test.free.other", 0), 1);
    assert_null(gr_config_node(cfg, "test.name"));
    assert_warning_has("app.yaml:5: test.name: $include: data.json has no value at "
                       "'names.missing'");
    gr_config_free(cfg);
}

static void include_fragment_not_object(void **state)
{
    (void)state;
    fixture_write("app.yaml", "test:\n  free: {$include: 'data.yaml#a.b.c'}\n");
    fixture_write("data.yaml", "a:\n  b: text\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("value at 'a.b' in included file data.yaml is not an object");
}

static void include_substitutes_path(void **state)
{
    gr_config *cfg;

    (void)state;
    setenv("GR_TEST_STAGE", "prod", 1);
    fixture_write("app.yaml", "app:\n  title: {$include: 'titles-${GR_TEST_STAGE}.yaml#t'}\n");
    fixture_write("titles-prod.yaml", "t: Production\n");
    cfg = fixture_load_one("app.yaml");

    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "Production");
    gr_config_free(cfg);
    unsetenv("GR_TEST_STAGE");
}

static void include_missing_names_line(void **state)
{
    (void)state;
    fixture_write("app.yaml", "app:\n  title: x\nbackend:\n  $include: nope.yaml\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_ENOTFOUND);
    assert_error_has("app.yaml:3: backend: $include: cannot read nope.yaml");
}

static void include_cycle(void **state)
{
    (void)state;
    fixture_write("app.yaml", "test:\n  free: {$include: one.yaml}\n");
    fixture_write("one.yaml", "x: {$include: two.yaml}\n");
    fixture_write("two.yaml", "y: {$include: one.yaml}\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("two.yaml:1: test.free.x.y: $include: include cycle:");
}

static void include_depth_limit(void **state)
{
    char name[32];
    char text[64];

    (void)state;
    fixture_write("app.yaml", "test:\n  free: {$include: f0.yaml}\n");
    for (int i = 0; i <= GR_CONFIG_MAX_INCLUDE_DEPTH + 1; i++) {
        snprintf(name, sizeof(name), "f%d.yaml", i);
        snprintf(text, sizeof(text), "n: {$include: f%d.yaml}\n", i + 1);
        fixture_write(name, text);
    }

    assert_int_equal(fixture_load_bad("app.yaml"), GR_ELIMIT);
    assert_error_has("includes are nested more than 16 deep");
}

static void include_rejects_extension(void **state)
{
    (void)state;
    fixture_write("app.yaml", "test:\n  free: {$include: notes.txt}\n");
    fixture_write("notes.txt", "a: 1\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:2: test.free: $include: no parser for notes.txt");
}

static void include_rejects_adjacent_keys(void **state)
{
    (void)state;
    fixture_write("app.yaml", "test:\n  free:\n    $include: data.yaml\n    other: 1\n");
    fixture_write("data.yaml", "a: 1\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:2: test.free: $include cannot have other keys next to it");
}

static void include_bad_yaml(void **state)
{
    (void)state;
    fixture_write("app.yaml", "test:\n  free: {$include: data.yaml}\n");
    fixture_write("data.yaml", "a: [1, 2\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:2: test.free: $include: data.yaml:");
}

static void file_too_large(void **state)
{
    size_t size = GR_CONFIG_MAX_FILE_BYTES + 1;
    char *text = malloc(size + 1);

    (void)state;
    memset(text, '#', size);
    text[size] = '\0';
    fixture_write("big.yaml", text);
    free(text);

    assert_int_equal(fixture_load_bad("big.yaml"), GR_ELIMIT);
    assert_error_has("big.yaml is larger than the limit");
}

static void config_file_missing(void **state)
{
    (void)state;

    assert_int_equal(fixture_load_bad("absent.yaml"), GR_ENOTFOUND);
    assert_error_has("cannot read absent.yaml: No such file or directory");
}

static void config_invalid_yaml(void **state)
{
    (void)state;
    fixture_write("app.yaml", "app:\n  title: [x\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml:");
}

static void config_several_documents(void **state)
{
    (void)state;
    fixture_write("app.yaml", "app: {title: a}\n---\napp: {title: b}\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("several YAML documents");
}

static void config_top_level_list(void **state)
{
    (void)state;
    fixture_write("app.yaml", "- a\n- b\n");

    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("app.yaml: the top level must be a mapping");
}

static void config_empty_file(void **state)
{
    gr_config *cfg;

    (void)state;
    fixture_write("app.yaml", "# nothing yet\n");
    cfg = fixture_load_one("app.yaml");

    assert_int_equal(gr_config_int(cfg, "backend.listen.port", 0), 7007);
    gr_config_free(cfg);
}

static void load_args_collects_files(void **state)
{
    char *argv[] = {"serve", "--config", "a.yaml", "--verbose", "--config=b.yaml"};
    char *missing[] = {"serve", "--config"};
    gr_config_schema *schema = fixture_schema();
    gr_config *cfg = NULL;

    (void)state;
    fixture_write("a.yaml", "app:\n  title: A\norganization:\n  name: Org\n");
    fixture_write("b.yaml", "app:\n  title: B\n");

    assert_int_equal(gr_config_load_args(&cfg, 5, argv, schema), GR_OK);
    assert_string_equal(gr_config_string(cfg, "app.title", NULL), "B");
    assert_string_equal(gr_config_string(cfg, "organization.name", NULL), "Org");
    gr_config_free(cfg);
    cfg = NULL;
    assert_int_equal(gr_config_load_args(&cfg, 2, missing, schema), GR_EINVALID);
    assert_null(cfg);
    gr_config_schema_free(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(merge_later_file_wins, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(merge_arrays_replace, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(merge_scalar_replaces_object, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(substitute_variable, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(substitute_escape, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(substitute_fallback, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(missing_variable_leaves_key_out, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(env_form_reads_variable, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(file_form_relative, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(file_form_missing, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(include_relative_and_nested, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(include_fragment, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(include_fragment_not_object, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(include_substitutes_path, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(include_missing_names_line, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(include_cycle, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(include_depth_limit, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(include_rejects_extension, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(include_rejects_adjacent_keys, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(include_bad_yaml, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(file_too_large, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(config_file_missing, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(config_invalid_yaml, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(config_several_documents, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(config_top_level_list, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(config_empty_file, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(load_args_collects_files, fixture_setup, fixture_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
