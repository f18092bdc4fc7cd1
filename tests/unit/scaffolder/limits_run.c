/* SPDX-License-Identifier: MIT */
/* Tests that cross the scaffolder limits: files, folders, logs, outputs, actions, secrets. */
#include "scaffolder_test.h"

#include <fcntl.h>
#include <unistd.h>

#include "host/config/config.h"
#include "host/log/log.h"
#include "plugins/scaffolder/action.h"
#include "plugins/scaffolder/git.h"
#include "plugins/scaffolder/jsonschema.h"
#include "plugins/scaffolder/mask.h"

#define HEAD                                                                                       \
    "apiVersion: scaffolder.backstage.io/v1beta3\n"                                                \
    "kind: Template\n"                                                                             \
    "metadata: {name: t}\n"                                                                        \
    "spec:\n"                                                                                      \
    "  owner: group:default/team\n"                                                                \
    "  type: service\n"

/* FETCH_MAX_FILE_BYTES of act_fetch.c and GIT_MAX_FILE_BYTES of git.c. */
#define COPY_MAX_BYTES (64u * 1024 * 1024)
/* DEBUG_MAX_CONTENT_BYTES of act_fs.c. */
#define DEBUG_CONTENT_MAX_BYTES (256 * 1024)

/* Makes `dir`/`name` a sparse file of `size` bytes (no disk blocks are used). */
static void sparse_file(const char *dir, const char *name, off_t size)
{
    char *path = gr_xasprintf("%s/%s", dir, name);
    int fd;

    gr_test_write_file(dir, name, "");
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    close(fd);
    free(path);
}

/* Writes `size` bytes of 'x' to `dir`/`name`. */
static void filled_file(const char *dir, const char *name, size_t size)
{
    char *text = gr_xmalloc(size + 1);

    memset(text, 'x', size);
    text[size] = '\0';
    gr_test_write_file(dir, name, text);
    free(text);
}

/* A skeleton file one byte over the fetch limit fails the step, naming the file. */
static void fetch_file_over_max(void **state)
{
    run_fixture *f = *state;
    char *skeleton = gr_xasprintf("%s/skeleton", f->dir);

    write_template(f, HEAD "  steps:\n"
                           "    - {id: fetch, action: fetch:plain, input: {url: ./skeleton}}\n");
    gr_test_write_file(skeleton, "small.txt", "s");
    sparse_file(skeleton, "big.bin", (off_t)COPY_MAX_BYTES + 1);
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "big.bin is larger than 67108864 bytes");
    free(skeleton);
}

/*
 * Committing a folder into a branch of an existing repository (the pull
 * request actions) rejects a file one byte over the limit, naming it.
 */
static void git_file_over_max(void **state)
{
    run_fixture *f = *state;
    char *remote = gr_xasprintf("%s/remote.git", f->dir);
    char *command = gr_xasprintf("git init -q --bare -b main '%s'", remote);
    char *first = gr_xasprintf("%s/first", f->dir);
    char *source = gr_xasprintf("%s/source", f->dir);
    char *clone = gr_xasprintf("%s/clone", f->dir);
    gr_git_push push = {.remote_url = remote,
                        .branch = "main",
                        .message = "First",
                        .author_name = "Dev",
                        .author_email = "dev@example.com"};
    char *commit = NULL;

    assert_int_equal(system(command), 0);
    gr_test_write_file(first, "README.md", "first");
    assert_int_equal(gr_git_init_commit_push(first, &push, &commit), 0);
    free(commit);
    commit = NULL;

    sparse_file(source, "big.bin", (off_t)COPY_MAX_BYTES + 1);
    push.branch = "change";
    assert_int_equal(gr_git_branch_commit_push(clone, "main", source, "", &push, &commit),
                     GR_ELIMIT);
    assert_null(commit);
    assert_contains(gr_error_last(), "big.bin is larger than 67108864 bytes");
    free(clone);
    free(source);
    free(first);
    free(command);
    free(remote);
}

/* debug:log with-contents shows a file of the limit's size and only the name of a larger one. */
static void debug_contents_over_max(void **state)
{
    run_fixture *f = *state;
    char *log;

    filled_file(f->workspace, "a-over.txt", DEBUG_CONTENT_MAX_BYTES + 1);
    filled_file(f->workspace, "b-at.txt", DEBUG_CONTENT_MAX_BYTES);
    write_template(f, HEAD "  steps:\n"
                           "    - id: list\n"
                           "      action: debug:log\n"
                           "      input: {listWorkspace: with-contents}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    log = log_text(f);
    assert_contains(log, "Workspace:\n - a-over.txt\n - b-at.txt:\n```\nxxx");
    free(log);
}

/* debug:wait rejects one millisecond more than ten minutes before it waits. */
static void wait_over_max(void **state)
{
    run_fixture *f = *state;

    write_template(f, HEAD "  steps:\n"
                           "    - id: wait\n"
                           "      action: debug:wait\n"
                           "      input: {minutes: 10, milliseconds: 1}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "longer than the maximum threshold of 00:10:00");
}

/* A log message one byte over the limit is cut at the limit and marked. */
static void log_bytes_over_max(void **state)
{
    run_fixture *f = *state;
    char *yaml = gr_xasprintf(HEAD "  steps:\n"
                                   "    - id: a\n"
                                   "      action: debug:log\n"
                                   "      input: {message: \"${{ 'x' | indent(%d, true) }}\"}\n",
                              GR_SCAFFOLDER_MAX_LOG_BYTES);
    size_t index;
    json_t *event;
    const char *cut = NULL;

    write_template(f, yaml);
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    json_array_foreach(f->events, index, event)
    {
        const char *message =
            json_string_value(json_object_get(json_object_get(event, "body"), "message"));

        if (message != NULL && strstr(message, " ... (cut)") != NULL)
            cut = message;
    }
    assert_non_null(cut);
    assert_int_equal(strlen(cut), GR_SCAFFOLDER_MAX_LOG_BYTES + strlen(" ... (cut)"));
    free(yaml);
}

/* Logs `count` lines (the payload) from a test action. */
static int log_lines(gr_scaffolder_ctx *ctx, void *payload)
{
    int count = *(const int *)payload;

    for (int i = 0; i < count; i++)
        gr_scaffolder_ctx_log(ctx, "line %d", i);
    return 0;
}

/* Sets output "v" to a string of `length` (the payload) bytes from a test action. */
static int big_output(gr_scaffolder_ctx *ctx, void *payload)
{
    size_t length = *(const size_t *)payload;
    char *text = gr_xmalloc(length + 1);
    int rc;

    memset(text, 'x', length);
    text[length] = '\0';
    rc = gr_scaffolder_ctx_output(ctx, "v", json_string(text));
    free(text);
    return rc;
}

static void add_test_action(run_fixture *f, const char *id, gr_scaffolder_action_fn run,
                            void *payload)
{
    gr_scaffolder_action action = {.id = id, .description = "test", .run = run, .payload = payload};

    assert_int_equal(gr_scaffolder_actions_add(f->scaffolder->actions, &action), 0);
}

/* Returns the message of log event `index` of the last run, or NULL when it is not a log event. */
static const char *log_message(const run_fixture *f, size_t index)
{
    json_t *event = json_array_get(f->events, index);

    if (strcmp(json_string_value(json_object_get(event, "type")), "log") != 0)
        return NULL;
    return json_string_value(json_object_get(json_object_get(event, "body"), "message"));
}

/* Counts the log events of the last run. */
static size_t count_logs(const run_fixture *f)
{
    size_t logs = 0;

    for (size_t i = 0; i < json_array_size(f->events); i++)
        if (log_message(f, i) != NULL)
            logs++;
    return logs;
}

/*
 * Log lines past the event limit are dropped, the task still completes, and
 * the last log event, just before the completion, names the count dropped.
 */
static void events_over_max(void **state)
{
    run_fixture *f = *state;
    int count = GR_SCAFFOLDER_MAX_EVENTS + 1;
    size_t total;
    const char *notice;

    add_test_action(f, "test:lines", log_lines, &count);
    write_template(f, HEAD "  steps:\n"
                           "    - {id: many, action: 'test:lines'}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    total = json_array_size(f->events);
    assert_int_equal(count_logs(f), GR_SCAFFOLDER_MAX_EVENTS);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(f->events, total - 1), "type")),
        "completion");
    notice = log_message(f, total - 2);
    assert_non_null(notice);
    /*
     * "Beginning step", 10,001 lines and "Finished step" are 10,003 lines, and
     * 9,999 of them are kept, so that the notice is the 10,000th log event.
     */
    assert_string_equal(notice,
                        "4 log lines were dropped because a task keeps at most 10000 log events");
    assert_string_equal(log_message(f, total - 3), "line 9997");
}

/* A task that logs one line less than the event limit keeps every line and has no notice. */
static void events_below_max(void **state)
{
    run_fixture *f = *state;
    /* "Beginning step" and "Finished step" are the other two lines. */
    int count = GR_SCAFFOLDER_MAX_EVENTS - 3;
    size_t total;

    add_test_action(f, "test:lines", log_lines, &count);
    write_template(f, HEAD "  steps:\n"
                           "    - {id: many, action: 'test:lines'}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    total = json_array_size(f->events);
    assert_int_equal(count_logs(f), GR_SCAFFOLDER_MAX_EVENTS - 1);
    assert_string_equal(log_message(f, total - 2), "Finished step test:lines");
}

/* A step output of exactly the limit as compact JSON is kept, but one byte more fails the step. */
static void output_bytes_over_max(void **state)
{
    run_fixture *f = *state;
    /* {"v":"..."} is 8 bytes around the string. */
    size_t at = GR_SCAFFOLDER_MAX_OUTPUT_BYTES - 8;
    size_t over = at + 1;

    add_test_action(f, "test:at", big_output, &at);
    add_test_action(f, "test:over", big_output, &over);
    write_template(f, HEAD "  steps:\n"
                           "    - {id: at, action: 'test:at'}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    write_template(f, HEAD "  steps:\n"
                           "    - {id: over, action: 'test:over'}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "output v makes the step output larger than 1048576 bytes");
}

/* The registry takes GR_SCAFFOLDER_MAX_ACTIONS actions in all, but one more is rejected. */
static void actions_over_max(void **state)
{
    static char ids[GR_SCAFFOLDER_MAX_ACTIONS + 1][24];
    gr_scaffolder_actions *actions = gr_scaffolder_actions_new();
    int count = 0;
    int rc = 0;

    (void)state;
    for (int i = 0; i <= GR_SCAFFOLDER_MAX_ACTIONS && rc == 0; i++) {
        gr_scaffolder_action action = {.id = ids[i], .description = "test", .run = log_lines};

        snprintf(ids[i], sizeof(ids[i]), "test:action-%d", i);
        if ((rc = gr_scaffolder_actions_add(actions, &action)) == 0)
            count++;
    }
    assert_int_equal(rc, GR_ELIMIT);
    assert_int_equal(count, GR_SCAFFOLDER_MAX_ACTIONS);
    assert_string_equal(gr_error_last(), "more than 256 actions");
    gr_scaffolder_actions_free(actions);
}

/* A folder tree one level deeper than the limit is rejected by the walk, naming the folder. */
static void depth_over_max(void **state)
{
    run_fixture *f = *state;
    gr_buf path = GR_BUF_INIT;
    gr_scaffolder_entries entries = {0};

    gr_buf_puts(&path, f->workspace);
    for (int i = 0; i < GR_SCAFFOLDER_MAX_DEPTH; i++)
        gr_buf_puts(&path, "/d");
    assert_int_equal(gr_scaffolder_mkdirs(gr_buf_cstr(&path)), 0);
    assert_int_equal(gr_scaffolder_walk(f->workspace, 0, &entries), 0);
    assert_int_equal(entries.count, GR_SCAFFOLDER_MAX_DEPTH);
    gr_scaffolder_entries_free(&entries);

    gr_buf_puts(&path, "/d");
    assert_int_equal(gr_scaffolder_mkdirs(gr_buf_cstr(&path)), 0);
    memset(&entries, 0, sizeof(entries));
    assert_int_equal(gr_scaffolder_walk(f->workspace, 0, &entries), GR_ELIMIT);
    assert_contains(gr_error_last(), "is nested deeper than 64 levels");
    gr_scaffolder_entries_free(&entries);
    gr_buf_free(&path);
}

/* A tree of GR_SCAFFOLDER_MAX_FILES + 1 entries is rejected by the walk, naming the root. */
static void files_over_max(void **state)
{
    run_fixture *f = *state;
    gr_scaffolder_entries entries = {0};
    char *message;

    for (int i = 0; i <= GR_SCAFFOLDER_MAX_FILES; i++) {
        char *path = gr_xasprintf("%s/f%d", f->workspace, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        assert_true(fd >= 0);
        close(fd);
        free(path);
    }
    assert_int_equal(gr_scaffolder_walk(f->workspace, 0, &entries), GR_ELIMIT);
    message = gr_xasprintf("more than 20000 files and folders below %s", f->workspace);
    assert_string_equal(gr_error_last(), message);
    free(message);
    gr_scaffolder_entries_free(&entries);
}

/* Returns "{a0,a1,...}" with `count` alternatives (caller frees). */
static char *alternatives(int count)
{
    gr_buf text = GR_BUF_INIT;

    gr_buf_putc(&text, '{');
    for (int i = 0; i < count; i++)
        gr_buf_printf(&text, "%sa%d", i > 0 ? "," : "", i);
    gr_buf_putc(&text, '}');
    return gr_buf_detach(&text);
}

/* The 64th alternative of a brace group still matches, but the 65th is never tried. */
static void glob_alternatives_over_max(void **state)
{
    char *at = alternatives(64);
    char *over = alternatives(65);

    (void)state;
    assert_true(gr_scaffolder_glob_match(at, "a63"));
    assert_true(gr_scaffolder_glob_match(over, "a63"));
    assert_false(gr_scaffolder_glob_match(over, "a64"));
    free(at);
    free(over);
}

/* A template file one byte over the limit is rejected before it is parsed, naming the file. */
static void template_bytes_over_max(void **state)
{
    run_fixture *f = *state;
    char *path = gr_xasprintf("%s/template.yaml", f->dir);
    json_t *entity = NULL;

    sparse_file(f->dir, "template.yaml", (off_t)4 * 1024 * 1024 + 1);
    assert_int_equal(gr_scaffolder_template_load(path, &entity), GR_ELIMIT);
    assert_null(entity);
    assert_contains(gr_error_last(), "template.yaml is larger than 4194304 bytes");
    free(path);
}

/* A workspace set to 1000 bytes by scaffolder.limits.workspaceBytes takes 1000 bytes, not 1001. */
static void workspace_bytes_over_max(void **state)
{
    run_fixture *f = *state;
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    char *config_path = gr_xasprintf("%s/app-config.yaml", f->dir);
    const char *files[] = {config_path};
    char *work_dir = gr_xstrdup(f->scaffolder->work_dir);

    gr_test_write_file(f->dir, "app-config.yaml",
                       "scaffolder:\n  limits:\n    workspaceBytes: 1000\n");
    assert_int_equal(gr_config_schema_builtin(&schema), 0);
    assert_int_equal(gr_config_load(&config, files, 1, schema), 0);
    gr_scaffolder_free(f->scaffolder);
    assert_int_equal(gr_scaffolder_new(&f->scaffolder, config, NULL), 0);
    free(f->scaffolder->work_dir);
    f->scaffolder->work_dir = work_dir;
    assert_int_equal(f->scaffolder->workspace_bytes, 1000);

    write_template(f, HEAD "  steps:\n"
                           "    - {id: fetch, action: fetch:plain, input: {url: ./skeleton}}\n");
    filled_file(f->dir, "skeleton/a.txt", 1000);
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    gr_test_rmtree(f->workspace);
    mkdir(f->workspace, 0755);
    filled_file(f->dir, "skeleton/a.txt", 1001);
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "limit of 1000 bytes");

    gr_scaffolder_free(f->scaffolder);
    f->scaffolder = NULL;
    gr_config_free(config);
    gr_config_schema_free(schema);
    free(config_path);
}

/* Returns a schema of `depth` nested "properties" of "a" around {"type": "string"}. */
static json_t *nested_schema(int depth)
{
    json_t *schema = json_pack("{s:s}", "type", "string");

    for (int i = 0; i < depth; i++)
        schema = json_pack("{s:{s:o}}", "properties", "a", schema);
    return schema;
}

static json_t *nested_value(int depth)
{
    json_t *value = json_string("x");

    for (int i = 0; i < depth; i++)
        value = json_pack("{s:o}", "a", value);
    return value;
}

/* A schema nested to the limit validates, but one level more is reported as an error. */
static void schema_depth_over_max(void **state)
{
    json_t *errors = json_array();
    json_t *schema = nested_schema(GR_JSONSCHEMA_MAX_DEPTH - 1);
    json_t *value = nested_value(GR_JSONSCHEMA_MAX_DEPTH - 1);
    char *text;

    (void)state;
    assert_int_equal(gr_jsonschema_validate(schema, value, errors), 0);
    json_decref(schema);
    json_decref(value);
    schema = nested_schema(GR_JSONSCHEMA_MAX_DEPTH);
    value = nested_value(GR_JSONSCHEMA_MAX_DEPTH);
    assert_int_equal(gr_jsonschema_validate(schema, value, errors), 1);
    text = gr_jsonschema_errors_text(errors);
    assert_contains(text, "is nested deeper than 64 levels");
    free(text);
    json_decref(schema);
    json_decref(value);
    json_decref(errors);
}

/* An instance with 101 errors gets 100 error objects. */
static void schema_errors_over_max(void **state)
{
    json_t *schema = json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string");
    json_t *value = json_array();
    json_t *errors = json_array();

    (void)state;
    for (int i = 0; i <= GR_JSONSCHEMA_MAX_ERRORS; i++)
        json_array_append_new(value, json_integer(i));
    gr_jsonschema_validate(schema, value, errors);
    assert_int_equal(json_array_size(errors), GR_JSONSCHEMA_MAX_ERRORS);
    json_decref(schema);
    json_decref(value);
    json_decref(errors);
}

static void keep_line(gr_log_level level, const char *line, void *payload)
{
    (void)level;
    gr_buf_printf(payload, "%s\n", line);
}

/* The secret after the 256th is not masked, and one warning reports it. */
static void secrets_over_max(void **state)
{
    gr_scaffolder_mask *mask = gr_scaffolder_mask_new();
    gr_buf lines = GR_BUF_INIT;
    char secret[32];
    char *text;

    (void)state;
    gr_log_set_sink(keep_line, &lines);
    for (int i = 0; i <= GR_SCAFFOLDER_MAX_SECRETS; i++) {
        snprintf(secret, sizeof(secret), "secret-%03d", i);
        gr_scaffolder_mask_add(mask, secret);
    }
    gr_log_set_sink(NULL, NULL);
    text = gr_scaffolder_mask_text(mask, "secret-255 secret-256");
    assert_string_equal(text, "*** secret-256");
    free(text);
    assert_contains(gr_buf_cstr(&lines), "more than 256 secret values; later ones are not masked");
    gr_buf_free(&lines);
    gr_scaffolder_mask_free(mask);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RUN_TEST(git_file_over_max),
        RUN_TEST(fetch_file_over_max),
        RUN_TEST(debug_contents_over_max),
        RUN_TEST(wait_over_max),
        RUN_TEST(log_bytes_over_max),
        RUN_TEST(events_over_max),
        RUN_TEST(events_below_max),
        RUN_TEST(output_bytes_over_max),
        RUN_TEST(depth_over_max),
        RUN_TEST(files_over_max),
        RUN_TEST(template_bytes_over_max),
        RUN_TEST(workspace_bytes_over_max),
        cmocka_unit_test(actions_over_max),
        cmocka_unit_test(glob_alternatives_over_max),
        cmocka_unit_test(schema_depth_over_max),
        cmocka_unit_test(schema_errors_over_max),
        cmocka_unit_test(secrets_over_max),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
