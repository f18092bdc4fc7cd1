/* SPDX-License-Identifier: MIT */
/* Unit test of the built-in table: definitions made from the plugin info of ABI built-ins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "greenroom/plugin.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/plugin/plugin.h"

static int run_count;

static int count_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    run_count++;
    return 2;
}

static const gr_plugin_command commands[] = {
    {.name = "notes", .summary = "print the notes", .usage = "usage: notes\n", .run = count_run},
    {.name = NULL},
};

static const char *const orders[] = {"newest", "oldest", NULL};

static const gr_plugin_config_key top_keys[] = {
    {.path = "notes.limit",
     .types = GR_PLUGIN_CONFIG_INTEGER,
     .default_json = "5",
     .description = "How many notes a page shows."},
    {.path = "notes.owner", .types = GR_PLUGIN_CONFIG_STRING, .required = 1},
    {.path = "notes.order", .types = GR_PLUGIN_CONFIG_STRING, .allowed = orders},
    {.path = "notes.apiKey", .types = GR_PLUGIN_CONFIG_STRING, .secret = 1},
    {.path = NULL},
};

static int reject_all(json_t **value, gr_buf *message)
{
    (void)value;
    gr_buf_puts(message, "never valid");
    return GR_EINVALID;
}

static const gr_config_key checks[] = {
    {.path = "notes.owner", .check = reject_all},
    {.path = NULL},
};

static const gr_plugin_info notes_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "notes",
    .version = "1.0.0",
    .description = "notes kept by a built-in",
    .commands = commands,
    .top_config_keys = top_keys,
};

static const gr_plugin_migration older_migrations[] = {
    {.version = 1, .description = "create older_rows", .sql = "CREATE TABLE older_rows (id TEXT)"},
};

/* The same info as a 1.2 plugin built it: its struct ends before top_config_keys. */
static const gr_plugin_info older_info = {
    .abi_version = GR_PLUGIN_ABI_MAKE(1, 2),
    .struct_size = offsetof(gr_plugin_info, top_config_keys),
    .id = "older",
    .version = "1.0.0",
    .migrations = older_migrations,
    .migration_count = 1,
    .top_config_keys = top_keys,
};

static int notes_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &notes_info;
    return GR_PLUGIN_OK;
}

static int older_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &older_info;
    return GR_PLUGIN_OK;
}

static int notes_init(gr_host *host, void **state_out)
{
    return gr_plugin_adapter_init(host, notes_entry, state_out);
}

static int older_init(gr_host *host, void **state_out)
{
    return gr_plugin_adapter_init(host, older_entry, state_out);
}

static int notes_migrate(gr_host *host)
{
    (void)host;
    return GR_OK;
}

static const gr_plugin_def internal_def = {.id = "internal", .description = "kept as it is"};

static const gr_plugin_builtin list[] = {
    {.def = &internal_def},
    {.entry = notes_entry, .init = notes_init, .migrate = notes_migrate, .checks = checks},
    {.entry = older_entry, .init = older_init},
    {.def = NULL},
};

static void internal_kept(void **state)
{
    const gr_plugin_def *const *table = gr_plugin_builtin_table(list);

    (void)state;
    assert_ptr_equal(table[0], &internal_def);
    assert_null(table[3]);
}

static void made_from_info(void **state)
{
    const gr_plugin_def *def = gr_plugin_builtin_table(list)[1];

    (void)state;
    assert_string_equal(def->id, "notes");
    assert_string_equal(def->description, "notes kept by a built-in");
    assert_ptr_equal(def->init, notes_init);
    assert_ptr_equal(def->migrate, notes_migrate);
    assert_null(def->migrate_entry);
    assert_ptr_equal(def->start, gr_plugin_adapter_start);
    assert_ptr_equal(def->destroy, gr_plugin_adapter_destroy);
}

/* Without a migrate hook, `db migrate` applies the declared migrations through the entry. */
static void migrations_through_entry(void **state)
{
    const gr_plugin_def *def = gr_plugin_builtin_table(list)[2];

    (void)state;
    assert_string_equal(def->id, "older");
    assert_null(def->migrate);
    assert_ptr_equal(def->migrate_entry, older_entry);
}

static void commands_converted(void **state)
{
    const gr_plugin_def *def = gr_plugin_builtin_table(list)[1];
    char *argv[] = {"notes", NULL};

    (void)state;
    assert_string_equal(def->commands[0].name, "notes");
    assert_string_equal(def->commands[0].usage, "usage: notes\n");
    assert_int_equal(def->commands[0].run(1, argv), 2);
    assert_int_equal(run_count, 1);
    assert_null(def->commands[1].name);
}

static void keys_converted(void **state)
{
    const gr_config_key *keys = gr_plugin_builtin_table(list)[1]->config_keys;

    (void)state;
    assert_string_equal(keys[0].path, "notes.limit");
    assert_int_equal(keys[0].types, GR_CONFIG_INTEGER);
    assert_string_equal(keys[0].default_json, "5");
    assert_false(keys[0].required);
    assert_null(keys[0].check);
    assert_true(keys[1].required);
    assert_ptr_equal(keys[1].check, reject_all);
    assert_null(keys[1].allowed);
    assert_false(keys[1].secret);
    assert_ptr_equal(keys[2].allowed, orders);
    assert_false(keys[2].secret);
    assert_true(keys[3].secret);
    assert_null(keys[4].path);
}

static void keys_join_schema(void **state)
{
    gr_config_schema *schema = gr_config_schema_new();
    const gr_config_key *keys = gr_plugin_builtin_table(list)[1]->config_keys;

    (void)state;
    assert_int_equal(gr_config_schema_add(schema, "notes", keys), GR_OK);
    gr_config_schema_free(schema);
}

static void older_info_has_no_keys(void **state)
{
    const gr_plugin_def *def = gr_plugin_builtin_table(list)[2];

    (void)state;
    assert_null(gr_plugin__top_config_keys(&older_info));
    assert_null(def->config_keys);
    assert_null(def->commands[0].name);
}

/* Loads `text` as a config file against `schema`; returns the result code. */
static int load_text(const char *text, const gr_config_schema *schema)
{
    char path[] = "/tmp/gr-builtin-table-XXXXXX";
    const char *files[] = {path};
    gr_config *cfg = NULL;
    int fd = mkstemp(path);
    int rc;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    rc = gr_config_load(&cfg, files, 1, schema);
    gr_config_free(cfg);
    unlink(path);
    return rc;
}

static void allowed_values_checked(void **state)
{
    gr_config_schema *schema = gr_config_schema_new();
    const gr_config_key *keys = gr_plugin_builtin_table(list)[1]->config_keys;

    (void)state;
    /* From notes.order on: notes.owner's check rejects every value. */
    assert_int_equal(gr_config_schema_add(schema, "notes", &keys[2]), GR_OK);
    assert_int_equal(load_text("notes:\n  order: oldest\n", schema), GR_OK);
    assert_int_equal(load_text("notes:\n  order: random\n", schema), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "notes.order"));
    assert_non_null(strstr(gr_error_last(), "random"));
    gr_config_schema_free(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(internal_kept),      cmocka_unit_test(made_from_info),
        cmocka_unit_test(migrations_through_entry),
        cmocka_unit_test(commands_converted), cmocka_unit_test(keys_converted),
        cmocka_unit_test(keys_join_schema),   cmocka_unit_test(older_info_has_no_keys),
        cmocka_unit_test(allowed_values_checked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
