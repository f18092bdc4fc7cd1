/* SPDX-License-Identifier: MIT */
/* `greenroom template run`: runs a template from a file, without a server. */
#include "plugins/scaffolder/cli_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/yaml/yaml.h"
#include "plugins/scaffolder/runner.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/spec.h"
#include "plugins/scaffolder/store.h"
#include "plugins/scaffolder/template/cli.h"
#include "plugins/scaffolder/workspace.h"

static const char run_usage[] =
    "usage: greenroom template run TEMPLATE --values FILE [options]\n"
    "       greenroom template render [options] TEMPLATE\n"
    "\n"
    "`run` runs the software template in the file TEMPLATE (a template.yaml with a\n"
    "scaffolder.backstage.io/v1beta3 Template) with the values in FILE, a JSON or\n"
    "YAML object, as the portal would after its form. The values are validated\n"
    "against the template's parameters first. Progress goes to standard error, and\n"
    "the template's output to standard output as JSON.\n"
    "\n"
    "Options of run:\n"
    "  --values FILE         values of the template's parameters (required)\n"
    "  --secrets FILE        secrets (JSON or YAML object), masked in every log line\n"
    "  --dry-run             run only the actions that change nothing outside the\n"
    "                        workspace; the others are skipped with a log line\n"
    "  -o, --output DIR      keep the workspace in DIR (created when missing);\n"
    "                        without it a temporary workspace is removed at the end\n"
    "  --template-root DIR   also allow relative fetch URLs that lead into DIR\n"
    "  --config FILE         app-config.yaml to read integrations and scaffolder\n"
    "                        settings from (repeatable)\n"
    "\n"
    "`render` renders one Nunjucks template file; run it without arguments for its\n"
    "options.\n"
    "\n"
    "Exit status: 0 completed, 1 the values are invalid or the task failed, 2 usage,\n"
    "configuration or file error.\n";

typedef struct {
    const char *template_path;
    const char *values_path;
    const char *secrets_path;
    const char *output_dir;
    const char **roots;
    size_t root_count;
    bool dry_run;
} run_args;

static int parse_args(int argc, char **argv, run_args *args)
{
    args->roots = gr_xcalloc((size_t)argc + 1, sizeof(char *));
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        bool has_next = i + 1 < argc;

        if (strcmp(opt, "--values") == 0 && has_next)
            args->values_path = argv[++i];
        else if (strcmp(opt, "--secrets") == 0 && has_next)
            args->secrets_path = argv[++i];
        else if ((strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0) && has_next)
            args->output_dir = argv[++i];
        else if (strcmp(opt, "--template-root") == 0 && has_next)
            args->roots[args->root_count++] = argv[++i];
        else if (strcmp(opt, "--config") == 0 && has_next)
            i++; /* read by gr_config_load_args() */
        else if (strncmp(opt, "--config=", 9) == 0)
            continue;
        else if (strcmp(opt, "--dry-run") == 0)
            args->dry_run = true;
        else if (opt[0] == '-')
            return gr_error_set(GR_EINVALID, "unknown option or missing value: %s", opt);
        else if (args->template_path == NULL)
            args->template_path = opt;
        else
            return gr_error_set(GR_EINVALID, "more than one template given: %s", opt);
    }
    if (args->template_path == NULL)
        return gr_error_set(GR_EINVALID, "no template file given");
    if (args->values_path == NULL)
        return gr_error_set(GR_EINVALID, "--values FILE is required");
    return 0;
}

/* Reads a JSON or YAML object from a file. */
static int load_object(const char *path, json_t **out)
{
    gr_buf text = GR_BUF_INIT;
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    int rc;

    *out = NULL;
    rc = gr_scaffolder_read_file(path, GR_SCAFFOLDER_MAX_VALUES_BYTES, &text);
    if (rc == 0)
        rc = gr_yaml_parse(path, gr_buf_cstr(&text), text.len, NULL, &docs, &count);
    if (rc == 0 && (count != 1 || !json_is_object(gr_yaml_doc_root(docs[0]))))
        rc = gr_error_set(GR_EINVALID, "%s must hold one object", path);
    if (rc == 0)
        *out = json_deep_copy(gr_yaml_doc_root(docs[0]));
    gr_yaml_docs_free(docs, count);
    gr_buf_free(&text);
    return rc;
}

/* Prints events as they come: "[step] message". */
static void print_event(void *payload, const char *type, json_t *body)
{
    const char *message = json_string_value(json_object_get(body, "message"));
    const char *step = json_string_value(json_object_get(body, "stepId"));
    const char *status = json_string_value(json_object_get(body, "status"));

    (void)payload;
    if (strcmp(type, "completion") == 0 && json_object_get(body, "error") != NULL) {
        fprintf(stderr, "%s: %s\n", message ? message : "",
                json_string_value(json_object_get(json_object_get(body, "error"), "message")));
        return;
    }
    if (step != NULL && status != NULL)
        fprintf(stderr, "[%s] %s (%s)\n", step, message ? message : "", status);
    else if (step != NULL)
        fprintf(stderr, "[%s] %s\n", step, message ? message : "");
    else
        fprintf(stderr, "%s\n", message ? message : "");
}

static int prepare_output_dir(const char *dir)
{
    struct stat st;

    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return gr_error_set(GR_EINVALID, "%s exists and is not a folder", dir);
    return gr_scaffolder_mkdirs(dir);
}

/* Validates the values and runs the task; returns the exit status. */
static int run_template(gr_scaffolder *scaffolder, const run_args *args, json_t *entity,
                        json_t *values, json_t *secrets)
{
    gr_scaffolder_sink sink = {.event = print_event};
    gr_scaffolder_run_params params = {0};
    gr_scaffolder_result result = {0};
    json_t *errors = NULL;
    json_t *spec;
    char id[GR_SCAFFOLDER_ID_SIZE];
    int status;

    if (gr_scaffolder_validate_values(entity, values, &errors) < 0) {
        size_t index;
        json_t *error;

        fprintf(stderr, "greenroom template run: %s: the values are invalid:\n", args->values_path);
        json_array_foreach(errors, index, error)
            fprintf(stderr, "  %s\n", json_string_value(json_object_get(error, "stack")));
        json_decref(errors);
        return 1;
    }
    gr_scaffolder_new_id(id);
    spec = gr_scaffolder_task_spec(entity, values, NULL);
    params.task_id = id;
    params.spec = spec;
    params.secrets = secrets;
    params.dry_run = args->dry_run;
    params.workspace = args->output_dir;
    params.sink = &sink;
    if (gr_scaffolder_run(scaffolder, &params, &result) < 0) {
        fprintf(stderr, "greenroom template run: %s\n", gr_error_last());
        json_decref(spec);
        return 2;
    }
    if (result.status == GR_TASK_COMPLETED) {
        char *text = json_dumps(result.output, JSON_INDENT(2) | JSON_SORT_KEYS);

        printf("%s\n", text ? text : "{}");
        free(text);
    }
    status = result.status == GR_TASK_COMPLETED ? 0 : 1;
    gr_scaffolder_result_clear(&result);
    json_decref(spec);
    return status;
}

int gr_scaffolder_cli_run(int argc, char **argv)
{
    run_args args = {0};
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    gr_scaffolder *scaffolder = NULL;
    json_t *entity = NULL;
    json_t *values = NULL;
    json_t *secrets = NULL;
    char *work_dir = NULL;
    bool work_made = false;
    int status = 2;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(run_usage, stdout);
            return 0;
        }
    }
    if (parse_args(argc, argv, &args) < 0) {
        fprintf(stderr, "greenroom template run: %s\n\n%s", gr_error_last(), run_usage);
        free(args.roots);
        return 2;
    }
    if (gr_config_schema_builtin(&schema) < 0 ||
        gr_config_load_args(&config, argc, argv, schema) < 0 ||
        gr_scaffolder_new(&scaffolder, config, NULL) < 0 ||
        gr_scaffolder_template_load(args.template_path, &entity) < 0 ||
        load_object(args.values_path, &values) < 0 ||
        (args.secrets_path != NULL && load_object(args.secrets_path, &secrets) < 0) ||
        (args.output_dir != NULL && prepare_output_dir(args.output_dir) < 0)) {
        fprintf(stderr, "greenroom template run: %s\n", gr_error_last());
        goto done;
    }
    /* TODO: open the configured database and a catalog engine, so that catalog:fetch and
     * catalog:register work from the command line too; they fail with a message now. */
    scaffolder->allow_any_local_remote = true;
    /* The CLI's scratch folders (workspace, downloads, clones) go to a private temporary
     * folder, not below the current folder. */
    work_dir =
        gr_xasprintf("%s/greenroom-template-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(work_dir) == NULL) {
        fprintf(stderr, "greenroom template run: cannot create a folder in %s\n",
                getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        goto done;
    }
    work_made = true;
    free(scaffolder->work_dir);
    scaffolder->work_dir = gr_xstrdup(work_dir);
    for (size_t i = 0; i < args.root_count; i++)
        gr_scaffolder_add_template_root(scaffolder, args.roots[i]);
    status = run_template(scaffolder, &args, entity, values, secrets);
done:
    if (work_made)
        gr_scaffolder_rmtree(work_dir);
    free(work_dir);
    json_decref(entity);
    json_decref(values);
    json_decref(secrets);
    gr_scaffolder_free(scaffolder);
    gr_config_free(config);
    gr_config_schema_free(schema);
    free(args.roots);
    return status;
}

/* `greenroom template ...`: `run` is handled here, everything else by the template engine. */
static int template_command(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return gr_scaffolder_cli_run(argc, argv);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(run_usage, stdout);
        return 0;
    }
    return gr_tmpl_cli_commands[0].run(argc, argv);
}

const gr_plugin_command gr_scaffolder_commands[] = {
    {
        .name = "template",
        .summary = "run a software template, or render a Nunjucks template",
        .usage = run_usage,
        .run = template_command,
    },
    {.name = NULL},
};
