/* SPDX-License-Identifier: MIT */
/* Shared set-up of the config tests: a scratch folder, a test schema and a captured log. */
#ifndef GR_TESTS_UNIT_CONFIG_FIXTURE_H
#define GR_TESTS_UNIT_CONFIG_FIXTURE_H

/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"
#include "support/gr_test.h"

static const char *const fixture_colors[] = {"red", "green", NULL};

/* Keys of every kind, declared by an owner named "test" beside the host's keys. */
static const gr_config_key fixture_keys[] = {
    {.path = "test.name", .types = GR_CONFIG_STRING, .description = "A name."},
    {.path = "test.count", .types = GR_CONFIG_INTEGER, .default_json = "3"},
    {.path = "test.ratio", .types = GR_CONFIG_NUMBER},
    {.path = "test.enabled", .types = GR_CONFIG_BOOLEAN},
    {.path = "test.color", .types = GR_CONFIG_STRING_OR_ARRAY, .allowed = fixture_colors},
    {.path = "test.list", .types = GR_CONFIG_ARRAY},
    {.path = "test.items[].id", .types = GR_CONFIG_STRING, .required = true},
    {.path = "test.items[].label", .types = GR_CONFIG_STRING, .default_json = "\"none\""},
    {.path = "test.map.*.url", .types = GR_CONFIG_STRING},
    {.path = "test.free", .types = GR_CONFIG_OBJECT},
    {.path = "test.key", .types = GR_CONFIG_STRING, .secret = true},
    {.path = NULL},
};

/* Folder the test started in; each test runs in a fresh scratch folder. */
static char fixture_home[PATH_MAX];
static char *fixture_dir;

/* Every warning logged while a test runs, one per line. */
static gr_buf fixture_warnings = GR_BUF_INIT;
static int fixture_warning_count;

static inline void fixture_sink(gr_log_level level, const char *line, void *payload)
{
    (void)payload;
    if (level != GR_LOG_WARN)
        return;
    gr_buf_puts(&fixture_warnings, line);
    gr_buf_putc(&fixture_warnings, '\n');
    fixture_warning_count++;
}

static inline int fixture_setup(void **state)
{
    (void)state;
    assert_non_null(getcwd(fixture_home, sizeof(fixture_home)));
    fixture_dir = gr_test_tmpdir("config");
    assert_int_equal(chdir(fixture_dir), 0);
    gr_buf_reset(&fixture_warnings);
    fixture_warning_count = 0;
    gr_log_set_sink(fixture_sink, NULL);
    return 0;
}

static inline int fixture_teardown(void **state)
{
    (void)state;
    gr_log_set_sink(NULL, NULL);
    assert_int_equal(chdir(fixture_home), 0);
    gr_test_rmtree(fixture_dir);
    free(fixture_dir);
    fixture_dir = NULL;
    gr_buf_free(&fixture_warnings);
    return 0;
}

/* Writes `text` to `name` in the scratch folder. */
static inline void fixture_write(const char *name, const char *text)
{
    gr_test_write_file(".", name, text);
}

/* Makes the host schema plus fixture_keys; caller frees. */
static inline gr_config_schema *fixture_schema(void)
{
    gr_config_schema *schema = NULL;

    if (gr_config_schema_builtin(&schema) != GR_OK ||
        gr_config_schema_add(schema, "test", fixture_keys) != GR_OK)
        fail_msg("building the schema failed: %s", gr_error_last());
    return schema;
}

/* Loads `count` files with the fixture schema; returns the load's code. */
static inline int fixture_load(gr_config **cfg, const char *const *files, size_t count)
{
    gr_config_schema *schema = fixture_schema();
    int rc = gr_config_load(cfg, files, count, schema);

    gr_config_schema_free(schema);
    return rc;
}

/* Loads one file that must be valid. */
static inline gr_config *fixture_load_one(const char *name)
{
    gr_config *cfg = NULL;
    const char *files[] = {name};
    int rc = fixture_load(&cfg, files, 1);

    if (rc != GR_OK)
        fail_msg("loading %s failed: %s", name, gr_error_last());
    return cfg;
}

/* Loads one file that must be invalid; returns the code and keeps the message. */
static inline int fixture_load_bad(const char *name)
{
    gr_config *cfg = NULL;
    const char *files[] = {name};
    int rc = fixture_load(&cfg, files, 1);

    assert_null(cfg);
    return rc;
}

/* Asserts that the last error message contains `text`. */
#define assert_error_has(text)                                                                     \
    do {                                                                                           \
        if (strstr(gr_error_last(), (text)) == NULL)                                               \
            fail_msg("error message lacks \"%s\": %s", (text), gr_error_last());                   \
    } while (0)

/* Asserts that the captured warnings contain `text`. */
#define assert_warning_has(text)                                                                   \
    do {                                                                                           \
        if (strstr(gr_buf_cstr(&fixture_warnings), (text)) == NULL)                                \
            fail_msg("warnings lack \"%s\": %s", (text), gr_buf_cstr(&fixture_warnings));          \
    } while (0)

#endif
