/* SPDX-License-Identifier: MIT */
/* Helpers shared by the scaffolder's unit tests: a template folder, a run, its events. */
#ifndef GR_TESTS_UNIT_SCAFFOLDER_TEST_H
#define GR_TESTS_UNIT_SCAFFOLDER_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/runner.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/spec.h"
#include "plugins/scaffolder/workspace.h"
#include "support/gr_test.h"

/* One test's folder (template and files) and services. */
typedef struct {
    char *dir;       /* the test's temporary folder */
    char *workspace; /* dir/workspace, kept after the run */
    gr_scaffolder *scaffolder;
    json_t *events; /* [{type, body}] of the last run */
    gr_scaffolder_result result;
} run_fixture;

static inline int run_fixture_setup(void **state)
{
    run_fixture *f = gr_xcalloc(1, sizeof(*f));

    f->dir = gr_test_tmpdir("scaffolder");
    f->workspace = gr_xasprintf("%s/workspace", f->dir);
    mkdir(f->workspace, 0755);
    if (gr_scaffolder_new(&f->scaffolder, NULL, NULL) != 0)
        return -1;
    free(f->scaffolder->work_dir);
    f->scaffolder->work_dir = gr_xasprintf("%s/work", f->dir);
    f->events = json_array();
    *state = f;
    return 0;
}

static inline int run_fixture_teardown(void **state)
{
    run_fixture *f = *state;

    gr_scaffolder_result_clear(&f->result);
    json_decref(f->events);
    gr_scaffolder_free(f->scaffolder);
    gr_test_rmtree(f->dir);
    free(f->workspace);
    free(f->dir);
    free(f);
    return 0;
}

static inline void collect(void *payload, const char *type, json_t *body)
{
    json_array_append_new(payload, json_pack("{s:s, s:O}", "type", type, "body", body));
}

/* Writes template.yaml (and nothing else) into the fixture folder. */
static inline void write_template(run_fixture *f, const char *yaml)
{
    gr_test_write_file(f->dir, "template.yaml", yaml);
}

/*
 * Loads dir/template.yaml and runs it with `values_json` and `secrets_json`
 * (may be NULL) in f->workspace. Returns the result's status.
 */
static inline gr_task_result run_with(run_fixture *f, const char *values_json,
                                      const char *secrets_json, bool dry_run)
{
    char *path = gr_xasprintf("%s/template.yaml", f->dir);
    json_t *entity = NULL;
    json_t *values = json_loads(values_json ? values_json : "{}", 0, NULL);
    json_t *secrets = secrets_json ? json_loads(secrets_json, 0, NULL) : NULL;
    json_t *spec;
    gr_scaffolder_sink sink = {.event = collect, .payload = f->events};
    gr_scaffolder_run_params params = {0};

    if (gr_scaffolder_template_load(path, &entity) != 0)
        fail_msg("loading the template failed: %s", gr_error_last());
    spec = gr_scaffolder_task_spec(entity, values, NULL);
    gr_scaffolder_result_clear(&f->result);
    json_array_clear(f->events);
    params.task_id = "test-task";
    params.spec = spec;
    params.secrets = secrets;
    params.dry_run = dry_run;
    params.workspace = f->workspace;
    params.sink = &sink;
    if (gr_scaffolder_run(f->scaffolder, &params, &f->result) != 0)
        fail_msg("the run could not start: %s", gr_error_last());
    json_decref(spec);
    json_decref(entity);
    json_decref(values);
    json_decref(secrets);
    free(path);
    return f->result.status;
}

/* Returns every log message of the last run joined by newlines (caller frees). */
static inline char *log_text(run_fixture *f)
{
    gr_buf out = GR_BUF_INIT;
    size_t index;
    json_t *event;

    json_array_foreach(f->events, index, event)
    {
        const char *message =
            json_string_value(json_object_get(json_object_get(event, "body"), "message"));

        gr_buf_printf(&out, "%s\n", message ? message : "");
    }
    return gr_buf_detach(&out);
}

/* Reads a workspace file (caller frees), or NULL when it is missing. */
static inline char *workspace_file(run_fixture *f, const char *name)
{
    char *path = gr_xasprintf("%s/%s", f->workspace, name);
    gr_buf data = GR_BUF_INIT;
    char *out = NULL;

    if (gr_scaffolder_read_file(path, 1 << 26, &data) == 0)
        out = gr_xstrdup(gr_buf_cstr(&data));
    gr_buf_free(&data);
    free(path);
    return out;
}

#define assert_contains(text, part)                                                                \
    do {                                                                                           \
        if (strstr((text), (part)) == NULL)                                                        \
            fail_msg("\"%s\" does not contain \"%s\"", (text), (part));                            \
    } while (0)

#define assert_not_contains(text, part)                                                            \
    do {                                                                                           \
        if (strstr((text), (part)) != NULL)                                                        \
            fail_msg("\"%s\" contains \"%s\"", (text), (part));                                    \
    } while (0)

#define RUN_TEST(fn) cmocka_unit_test_setup_teardown(fn, run_fixture_setup, run_fixture_teardown)

#endif
