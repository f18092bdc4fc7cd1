/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the config loader's count limits: files read and errors listed. */
#include "config_fixture.h"

#include <stdio.h>

/* Writes app.yaml with `count` `$file` entries in test.list, all naming one small file. */
static void write_file_list(int count)
{
    gr_buf text = GR_BUF_INIT;

    gr_buf_puts(&text, "test:\n  list:\n");
    for (int i = 0; i < count; i++)
        gr_buf_puts(&text, "    - $file: value.txt\n");
    fixture_write("app.yaml", gr_buf_cstr(&text));
    fixture_write("value.txt", "x");
    gr_buf_free(&text);
}

static void files_at_max_loaded(void **state)
{
    gr_config *cfg;

    (void)state;
    /* app.yaml itself is one of the files read. */
    write_file_list(GR_CONFIG_MAX_FILES - 1);
    cfg = fixture_load_one("app.yaml");
    assert_int_equal(json_array_size(gr_config_node(cfg, "test.list")), GR_CONFIG_MAX_FILES - 1);
    gr_config_free(cfg);
}

static void files_over_max_rejected(void **state)
{
    (void)state;
    write_file_list(GR_CONFIG_MAX_FILES);
    assert_int_equal(fixture_load_bad("app.yaml"), GR_ELIMIT);
    assert_error_has("$file: more than 256 files read for one config");
    assert_error_has("test.list[255]");
}

/* Writes app.yaml with `count` items that each lack the required id. */
static void write_bad_items(int count)
{
    gr_buf text = GR_BUF_INIT;

    gr_buf_puts(&text, "test:\n  items:\n");
    for (int i = 0; i < count; i++)
        gr_buf_printf(&text, "    - label: item%d\n", i);
    fixture_write("app.yaml", gr_buf_cstr(&text));
    gr_buf_free(&text);
}

/* Returns the number of error lines shown plus the count in "(N more errors
 * not shown)", which must add up to every error found. */
static int errors_reported(void)
{
    const char *text = gr_error_last();
    const char *more = strstr(text, "more errors not shown)");
    const char *open = NULL;
    int lines = 0;

    for (const char *p = text; (p = strstr(p, ": missing required key")) != NULL; p++)
        lines++;
    if (more == NULL)
        return lines;
    for (const char *p = text; p < more; p++) {
        if (*p == '(')
            open = p;
    }
    return open ? lines + atoi(open + 1) : -1;
}

/* Each line here is about 50 bytes, so the 1024-byte error message keeps 18
 * of them even at the limit; the rest are counted. */
static void errors_at_max_counted(void **state)
{
    (void)state;
    write_bad_items(GR_CONFIG_MAX_ERRORS);
    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("test.items[0].id: missing required key");
    assert_int_equal(errors_reported(), GR_CONFIG_MAX_ERRORS);
}

/* Errors past the limit are not stored but still counted. */
static void errors_over_max_counted(void **state)
{
    (void)state;
    write_bad_items(GR_CONFIG_MAX_ERRORS + 5);
    assert_int_equal(fixture_load_bad("app.yaml"), GR_EINVALID);
    assert_error_has("test.items[0].id: missing required key");
    assert_null(strstr(gr_error_last(), "test.items[20]"));
    assert_error_has("more errors not shown)");
    assert_int_equal(errors_reported(), GR_CONFIG_MAX_ERRORS + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(files_at_max_loaded, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(files_over_max_rejected, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(errors_at_max_counted, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(errors_over_max_counted, fixture_setup, fixture_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
