/* SPDX-License-Identifier: MIT */
/* Tests of running templates: fetch, fs and debug actions, if/each, limits, secrets, dry runs. */
#include "scaffolder_test.h"

#include <limits.h>
#include <unistd.h>

#include "host/config/config.h"

#define HEAD                                                                                       \
    "apiVersion: scaffolder.backstage.io/v1beta3\n"                                                \
    "kind: Template\n"                                                                             \
    "metadata: {name: t}\n"                                                                        \
    "spec:\n"                                                                                      \
    "  owner: group:default/team\n"                                                                \
    "  type: service\n"

static void fetch_template_renders(void **state)
{
    run_fixture *f = *state;
    char *text;

    write_template(f, HEAD "  steps:\n"
                           "    - id: fetch\n"
                           "      action: fetch:template\n"
                           "      input:\n"
                           "        url: ./skeleton\n"
                           "        values: {name: '${{ parameters.name }}', port: 8080}\n");
    gr_test_write_file(f->dir, "skeleton/${{ values.name }}/README.md",
                       "# ${{ values.name }}\n{% if values.port > 80 %}port ${{ values.port }}"
                       "{% endif %}\n");
    gr_test_write_file(f->dir, "skeleton/static.txt", "no expressions");

    assert_int_equal(run_with(f, "{\"name\":\"shop\"}", NULL, false), GR_TASK_COMPLETED);
    text = workspace_file(f, "shop/README.md");
    assert_non_null(text);
    assert_string_equal(text, "# shop\nport 8080\n");
    free(text);
    text = workspace_file(f, "static.txt");
    assert_string_equal(text, "no expressions");
    free(text);
}

static void copy_without_templating(void **state)
{
    run_fixture *f = *state;
    char *text;

    write_template(f, HEAD "  steps:\n"
                           "    - id: fetch\n"
                           "      action: fetch:template\n"
                           "      input:\n"
                           "        url: ./skeleton\n"
                           "        copyWithoutTemplating: ['.github/workflows/']\n"
                           "        values: {name: app}\n");
    gr_test_write_file(f->dir, "skeleton/.github/workflows/${{ values.name }}.yml",
                       "run: ${{ github.sha }}");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    text = workspace_file(f, ".github/workflows/app.yml");
    assert_non_null(text);
    assert_string_equal(text, "run: ${{ github.sha }}");
    free(text);
}

static void copy_without_render(void **state)
{
    run_fixture *f = *state;
    char *text;

    write_template(f, HEAD "  steps:\n"
                           "    - id: fetch\n"
                           "      action: fetch:template\n"
                           "      input:\n"
                           "        url: ./skeleton\n"
                           "        copyWithoutRender: ['raw/*']\n"
                           "        values: {name: app}\n");
    gr_test_write_file(f->dir, "skeleton/raw/${{ values.name }}.txt", "${{ values.name }}");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    text = workspace_file(f, "raw/${{ values.name }}.txt");
    assert_non_null(text);
    assert_string_equal(text, "${{ values.name }}");
    free(text);
}

static void template_file_extension(void **state)
{
    run_fixture *f = *state;
    char *text;

    write_template(f, HEAD "  steps:\n"
                           "    - id: fetch\n"
                           "      action: fetch:template\n"
                           "      input:\n"
                           "        url: ./skeleton\n"
                           "        templateFileExtension: true\n"
                           "        targetPath: docs/${{ parameters.n }}\n"
                           "        values: {n: '${{ parameters.n }}'}\n");
    gr_test_write_file(f->dir, "skeleton/index.md.njk", "RFC-${{ values.n }}");
    gr_test_write_file(f->dir, "skeleton/plain.md", "RFC-${{ values.n }}");
    assert_int_equal(run_with(f, "{\"n\":\"7\"}", NULL, false), GR_TASK_COMPLETED);
    text = workspace_file(f, "docs/7/index.md");
    assert_string_equal(text, "RFC-7");
    free(text);
    text = workspace_file(f, "docs/7/plain.md");
    assert_string_equal(text, "RFC-${{ values.n }}");
    free(text);
}

static void binary_files_copied(void **state)
{
    run_fixture *f = *state;
    const char gif[] = {'G', 'I', 'F', '8', '9', 'a', 0, '{', '%', ' ', 'x'};
    char *path = gr_xasprintf("%s/skeleton/rocket.gif", f->dir);
    char *out = gr_xasprintf("%s/rocket.gif", f->workspace);
    gr_buf data = GR_BUF_INIT;

    write_template(f, HEAD "  steps:\n"
                           "    - {id: fetch, action: fetch:template, input: {url: ./skeleton}}\n");
    assert_int_equal(gr_scaffolder_write_file(path, gif, sizeof(gif), 0644), 0);
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    assert_int_equal(gr_scaffolder_read_file(out, 1024, &data), 0);
    assert_int_equal(data.len, sizeof(gif));
    assert_memory_equal(data.data, gif, sizeof(gif));
    gr_buf_free(&data);
    free(path);
    free(out);
}

static void replace_existing_files(void **state)
{
    run_fixture *f = *state;
    char *text;

    gr_test_write_file(f->workspace, "a.txt", "old");
    write_template(f, HEAD "  steps:\n"
                           "    - {id: keep, action: fetch:template, input: {url: ./skeleton}}\n");
    gr_test_write_file(f->dir, "skeleton/a.txt", "new");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    text = workspace_file(f, "a.txt");
    assert_string_equal(text, "old");
    free(text);
    write_template(f, HEAD "  steps:\n"
                           "    - id: replace\n"
                           "      action: fetch:template\n"
                           "      input: {url: ./skeleton, replace: true}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    text = workspace_file(f, "a.txt");
    assert_string_equal(text, "new");
    free(text);
}

static void skeleton_symlink_rejected(void **state)
{
    run_fixture *f = *state;
    char *link = gr_xasprintf("%s/skeleton/passwd", f->dir);

    write_template(f, HEAD "  steps:\n"
                           "    - {id: fetch, action: fetch:plain, input: {url: ./skeleton}}\n");
    gr_test_write_file(f->dir, "skeleton/ok.txt", "ok");
    assert_int_equal(symlink("/etc/passwd", link), 0);
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "symbolic link");
    assert_null(workspace_file(f, "passwd"));
    free(link);
}

static void target_path_outside_rejected(void **state)
{
    run_fixture *f = *state;

    write_template(f, HEAD "  steps:\n"
                           "    - id: fetch\n"
                           "      action: fetch:template\n"
                           "      input: {url: ./skeleton, targetPath: ../escape}\n");
    gr_test_write_file(f->dir, "skeleton/a.txt", "a");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "outside the workspace");
    assert_int_equal(access(f->dir, F_OK), 0);
    {
        char *escaped = gr_xasprintf("%s/escape/a.txt", f->dir);

        assert_int_not_equal(access(escaped, F_OK), 0);
        free(escaped);
    }
}

static void rendered_name_outside_rejected(void **state)
{
    run_fixture *f = *state;

    write_template(f, HEAD "  steps:\n"
                           "    - id: fetch\n"
                           "      action: fetch:template\n"
                           "      input: {url: ./skeleton, values: {n: '${{ parameters.n }}'}}\n");
    gr_test_write_file(f->dir, "skeleton/${{ values.n }}.txt", "x");
    assert_int_equal(run_with(f, "{\"n\":\"../../evil\"}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "outside the workspace");
}

static void fetch_outside_template_rejected(void **state)
{
    run_fixture *f = *state;

    write_template(f, HEAD "  steps:\n"
                           "    - {id: fetch, action: fetch:plain, input: {url: ../../etc}}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "scaffolder.templateRoots");
}

static void fs_rename_and_delete(void **state)
{
    run_fixture *f = *state;
    char *text;

    gr_test_write_file(f->workspace, "a/one.txt", "1");
    gr_test_write_file(f->workspace, "a/two.log", "2");
    gr_test_write_file(f->workspace, "b.log", "3");
    write_template(f, HEAD "  steps:\n"
                           "    - id: rename\n"
                           "      action: fs:rename\n"
                           "      input: {files: [{from: a/one.txt, to: c/uno.txt}]}\n"
                           "    - id: delete\n"
                           "      action: fs:delete\n"
                           "      input: {files: ['**/*.log']}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    text = workspace_file(f, "c/uno.txt");
    assert_string_equal(text, "1");
    free(text);
    assert_null(workspace_file(f, "a/one.txt"));
    assert_null(workspace_file(f, "a/two.log"));
    assert_null(workspace_file(f, "b.log"));
}

static void fs_rename_refuses_escape_and_overwrite(void **state)
{
    run_fixture *f = *state;

    gr_test_write_file(f->workspace, "x.txt", "x");
    gr_test_write_file(f->workspace, "y.txt", "y");
    write_template(f, HEAD "  steps:\n"
                           "    - id: rename\n"
                           "      action: fs:rename\n"
                           "      input: {files: [{from: x.txt, to: ../../x.txt}]}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "outside the workspace");
    write_template(f, HEAD "  steps:\n"
                           "    - id: rename\n"
                           "      action: fs:rename\n"
                           "      input: {files: [{from: x.txt, to: y.txt}]}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "overwrite");
}

static void if_and_each(void **state)
{
    run_fixture *f = *state;
    char *log;
    json_t *skipped;

    write_template(f,
                   HEAD "  steps:\n"
                        "    - id: skipped\n"
                        "      if: ${{ parameters.flag }}\n"
                        "      action: debug:log\n"
                        "      input: {message: never}\n"
                        "    - id: loop\n"
                        "      each: ${{ parameters.items }}\n"
                        "      action: catalog:write\n"
                        "      input:\n"
                        "        filePath: ${{ each.value }}.yaml\n"
                        "        entity: {kind: Component, metadata: {name: '${{ each.value }}'}}\n"
                        "  output:\n"
                        "    text: [{title: n, content: '${{ parameters.items | length }}'}]\n");
    assert_int_equal(run_with(f, "{\"flag\":false,\"items\":[\"a\",\"b\"]}", NULL, false),
                     GR_TASK_COMPLETED);
    log = log_text(f);
    assert_contains(log, "Skipping step skipped because its if condition was false");
    assert_not_contains(log, "never");
    assert_contains(log, "Running step each: {\"key\":\"1\",\"value\":\"b\"}");
    free(log);
    skipped = json_object_get(f->result.steps, "skipped");
    assert_string_equal(json_string_value(skipped), "skipped");
    log = workspace_file(f, "b.yaml");
    assert_non_null(log);
    assert_contains(log, "name: b");
    free(log);
    /* A value that is one expression keeps its type, as in Backstage. */
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(f->result.output, "text"), 0), "content")),
                     2);
}

static void missing_action_fails_first(void **state)
{
    run_fixture *f = *state;
    char *log;

    write_template(f, HEAD
                   "  steps:\n"
                   "    - {id: first, action: debug:log, input: {message: ran}}\n"
                   "    - {id: enable-pages, name: Enable Pages, action: github:pages:enable}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error,
                    "step 'enable-pages' (Enable Pages): action 'github:pages:enable' is not "
                    "installed");
    log = log_text(f);
    assert_not_contains(log, "ran\n");
    free(log);
    assert_string_equal(json_string_value(json_object_get(f->result.steps, "first")), "open");
}

static void dry_run_skips_publish(void **state)
{
    run_fixture *f = *state;
    char *log;

    write_template(f, HEAD "  steps:\n"
                           "    - {id: write, action: catalog:write, input: {entity: {a: 1}}}\n"
                           "    - id: publish\n"
                           "      action: publish:git\n"
                           "      input: {remoteUrl: 'https://example.com/x.git'}\n"
                           "  output:\n"
                           "    links: [{url: '${{ steps.publish.output.remoteUrl }}'}]\n");
    assert_int_equal(run_with(f, "{}", NULL, true), GR_TASK_COMPLETED);
    log = log_text(f);
    assert_contains(log, "Skipping because publish:git does not support dry-run");
    free(log);
    log = workspace_file(f, "catalog-info.yaml");
    assert_non_null(log);
    free(log);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(f->result.output, "links"), 0), "url")),
                        "<example>");
}

static void huge_each_rejected(void **state)
{
    run_fixture *f = *state;

    write_template(f, HEAD "  steps:\n"
                           "    - id: loop\n"
                           "      each: ${{ range(0, 5000) | list }}\n"
                           "      action: debug:log\n"
                           "      input: {message: x}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "more than the limit of 1000");
}

static void huge_output_rejected(void **state)
{
    run_fixture *f = *state;

    write_template(f, HEAD "  steps:\n"
                           "    - {id: a, action: debug:log, input: {message: x}}\n"
                           "  output:\n"
                           "    text: [{content: '${{ range(0, 300000) | join(\",\") }}'}]\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "output");
}

static void long_log_line_cut(void **state)
{
    run_fixture *f = *state;
    size_t index;
    json_t *event;
    size_t longest = 0;

    write_template(f, HEAD "  steps:\n"
                           "    - id: a\n"
                           "      action: debug:log\n"
                           "      input: {message: '${{ range(0, 40000) | join(\",\") }}'}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    json_array_foreach(f->events, index, event)
    {
        const char *message =
            json_string_value(json_object_get(json_object_get(event, "body"), "message"));

        if (message != NULL && strlen(message) > longest)
            longest = strlen(message);
    }
    assert_true(longest <= GR_SCAFFOLDER_MAX_LOG_BYTES + 16);
    assert_true(longest >= GR_SCAFFOLDER_MAX_LOG_BYTES);
}

static void secrets_masked_everywhere(void **state)
{
    run_fixture *f = *state;
    char *log;
    char *dump;

    write_template(f, HEAD "  steps:\n"
                           "    - id: echo\n"
                           "      action: debug:log\n"
                           "      input: {message: 'token=${{ secrets.TOKEN }}'}\n"
                           "    - id: bad\n"
                           "      action: fetch:plain\n"
                           "      input: {url: './${{ secrets.TOKEN }}'}\n"
                           "  output:\n"
                           "    text: [{content: '${{ secrets.TOKEN }}'}]\n");
    assert_int_equal(run_with(f, "{}", "{\"TOKEN\":\"hunter2-secret\"}", false), GR_TASK_FAILED);
    log = log_text(f);
    assert_contains(log, "token=***");
    assert_not_contains(log, "hunter2");
    free(log);
    dump = json_dumps(f->events, 0);
    assert_not_contains(dump, "hunter2");
    free(dump);
    assert_not_contains(f->result.error, "hunter2");
}

static void input_schema_checked(void **state)
{
    run_fixture *f = *state;

    write_template(f, HEAD "  steps:\n"
                           "    - {id: fetch, action: fetch:template, input: {targetPath: x}}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error,
                    "Invalid input passed to action fetch:template, instance requires property "
                    "\"url\"");
}

static void workspace_size_limit(void **state)
{
    run_fixture *f = *state;
    char big[4096];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    f->scaffolder->workspace_bytes = 1000;
    write_template(f, HEAD "  steps:\n"
                           "    - {id: fetch, action: fetch:plain, input: {url: ./skeleton}}\n");
    gr_test_write_file(f->dir, "skeleton/big.txt", big);
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "limit of 1000 bytes");
}

static void time_limit_stops_task(void **state)
{
    run_fixture *f = *state;

    f->scaffolder->timeout_ms = 300;
    write_template(f, HEAD "  steps:\n"
                           "    - {id: wait, action: debug:wait, input: {seconds: 20}}\n"
                           "    - {id: after, action: debug:log, input: {message: late}}\n");
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "out of time");
    assert_string_equal(json_string_value(json_object_get(f->result.steps, "after")), "open");
}

static bool cancel_now(void *payload)
{
    (void)payload;
    return true;
}

static void cancel_stops_task(void **state)
{
    run_fixture *f = *state;
    char *path = gr_xasprintf("%s/template.yaml", f->dir);
    json_t *entity = NULL;
    json_t *spec;
    json_t *events = json_array();
    gr_scaffolder_sink sink = {.event = collect, .cancelled = cancel_now, .payload = events};
    gr_scaffolder_run_params params = {.task_id = "c", .workspace = f->workspace, .sink = &sink};
    gr_scaffolder_result result = {0};

    write_template(f, HEAD "  steps:\n"
                           "    - {id: wait, action: debug:wait, input: {seconds: 20}}\n");
    assert_int_equal(gr_scaffolder_template_load(path, &entity), 0);
    spec = gr_scaffolder_task_spec(entity, NULL, NULL);
    params.spec = spec;
    assert_int_equal(gr_scaffolder_run(f->scaffolder, &params, &result), 0);
    assert_int_equal(result.status, GR_TASK_CANCELLED);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(events, json_array_size(events) - 1), "type")),
                        "cancelled");
    gr_scaffolder_result_clear(&result);
    json_decref(events);
    json_decref(spec);
    json_decref(entity);
    free(path);
}

static void publish_git_local_remote(void **state)
{
    run_fixture *f = *state;
    char *remote = gr_xasprintf("%s/remote.git", f->dir);
    char *command = gr_xasprintf("git init -q --bare '%s'", remote);
    char *yaml;

    assert_int_equal(system(command), 0);
    gr_test_write_file(f->dir, "skeleton/main.c", "int main(void) { return 0; }\n");
    yaml = gr_xasprintf(HEAD "  steps:\n"
                             "    - {id: fetch, action: fetch:plain, input: {url: ./skeleton}}\n"
                             "    - id: publish\n"
                             "      action: publish:git\n"
                             "      input: {remoteUrl: '%s', defaultBranch: trunk,\n"
                             "              gitCommitMessage: 'First', gitAuthorName: Dev,\n"
                             "              gitAuthorEmail: dev@example.com}\n",
                        remote);
    write_template(f, yaml);

    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_FAILED);
    assert_contains(f->result.error, "scaffolder.publishGit.localRoots");

    f->scaffolder->allow_any_local_remote = true;
    assert_int_equal(run_with(f, "{}", NULL, false), GR_TASK_COMPLETED);
    free(command);
    command = gr_xasprintf("git --git-dir='%s' show --format='%%an %%s' --name-only trunk | "
                           "grep -c 'Dev First\\|main.c'",
                           remote);
    {
        FILE *pipe = popen(command, "r");
        char line[32] = "";

        assert_non_null(fgets(line, sizeof(line), pipe));
        pclose(pipe);
        assert_string_equal(line, "2\n");
    }
    free(yaml);
    free(command);
    free(remote);
}

/* A relative scaffolder.workingDirectory is made absolute against the current working directory. */
static void work_dir_made_absolute(void **state)
{
    run_fixture *f = *state;
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    gr_scaffolder *scaffolder = NULL;
    char *config_path = gr_xasprintf("%s/app-config.yaml", f->dir);
    const char *files[] = {config_path};
    char cwd[PATH_MAX];
    char *expected;

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    expected = gr_xasprintf("%s/tasks", cwd);
    gr_test_write_file(f->dir, "app-config.yaml",
                       "scaffolder:\n  workingDirectory: ./work/.././tasks/\n");
    assert_int_equal(gr_config_schema_builtin(&schema), 0);
    assert_int_equal(gr_config_load(&config, files, 1, schema), 0);
    assert_int_equal(gr_scaffolder_new(&scaffolder, config, NULL), 0);
    assert_string_equal(scaffolder->work_dir, expected);

    gr_scaffolder_free(scaffolder);
    gr_config_free(config);
    gr_config_schema_free(schema);
    free(expected);
    free(config_path);
}

static void values_validated_against_steps(void **state)
{
    const char *path = "../shared/corpus/templates/backstage__software-templates__docs-template/"
                       "scaffolder-templates/docs-template/template.yaml";
    json_t *entity = NULL;
    json_t *errors = NULL;
    json_t *good = json_pack("{s:s, s:s, s:s}", "name", "docs", "description", "d", "repoUrl",
                             "github.com?owner=o&repo=r");
    json_t *bad = json_pack("{s:s}", "name", "docs");
    json_t *schema;

    (void)state;
    assert_int_equal(gr_scaffolder_template_load(path, &entity), 0);
    assert_int_equal(gr_scaffolder_validate_values(entity, good, NULL), 0);
    assert_int_equal(gr_scaffolder_validate_values(entity, bad, &errors), GR_EINVALID);
    assert_int_equal(json_array_size(errors), 2);
    schema = gr_scaffolder_parameter_schema(entity);
    assert_string_equal(json_string_value(json_object_get(schema, "title")),
                        "Documentation Template");
    assert_int_equal(json_array_size(json_object_get(schema, "steps")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(schema, "steps"), 1), "title")),
                        "Choose a location");
    json_decref(schema);
    json_decref(errors);
    json_decref(good);
    json_decref(bad);
    json_decref(entity);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RUN_TEST(fetch_template_renders),
        RUN_TEST(copy_without_templating),
        RUN_TEST(copy_without_render),
        RUN_TEST(template_file_extension),
        RUN_TEST(binary_files_copied),
        RUN_TEST(replace_existing_files),
        RUN_TEST(skeleton_symlink_rejected),
        RUN_TEST(target_path_outside_rejected),
        RUN_TEST(rendered_name_outside_rejected),
        RUN_TEST(fetch_outside_template_rejected),
        RUN_TEST(fs_rename_and_delete),
        RUN_TEST(fs_rename_refuses_escape_and_overwrite),
        RUN_TEST(if_and_each),
        RUN_TEST(missing_action_fails_first),
        RUN_TEST(dry_run_skips_publish),
        RUN_TEST(huge_each_rejected),
        RUN_TEST(huge_output_rejected),
        RUN_TEST(long_log_line_cut),
        RUN_TEST(secrets_masked_everywhere),
        RUN_TEST(input_schema_checked),
        RUN_TEST(workspace_size_limit),
        RUN_TEST(time_limit_stops_task),
        RUN_TEST(cancel_stops_task),
        RUN_TEST(publish_git_local_remote),
        RUN_TEST(work_dir_made_absolute),
        cmocka_unit_test(values_validated_against_steps),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
