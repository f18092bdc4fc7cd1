/* SPDX-License-Identifier: MIT */
/* `greenroom template render`: renders a template file, or a batch of cases, with a JSON context.
 */
#include "plugins/scaffolder/template/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/template/template.h"

static const char template_usage[] =
    "usage: greenroom template render [options] TEMPLATE\n"
    "       greenroom template render --batch CASES.json\n"
    "\n"
    "Renders the template file TEMPLATE (\"-\" for standard input) to standard output,\n"
    "with Nunjucks syntax as Backstage's scaffolder uses it.\n"
    "\n"
    "Options:\n"
    "  --context FILE        JSON object with the template's variables (default: {})\n"
    "  --delimiters KIND     'backstage' for ${{ expr }} (default) or 'nunjucks' for {{ expr }}\n"
    "  --trim-blocks         drop the first newline after a block tag\n"
    "  --lstrip-blocks       drop the spaces before a block tag at the start of a line\n"
    "  --throw-on-undefined  fail when an expression prints undefined or null\n"
    "  --value               read TEMPLATE as JSON and render every string in it, as step\n"
    "                        inputs are rendered; prints the resulting JSON\n"
    "  --batch FILE          render a JSON array of cases {\"template\", \"context\",\n"
    "                        \"options\"} and print a JSON array of {\"output\"} or {\"error\"}\n"
    "\n"
    "Exit status: 0 rendered, 1 template error, 2 usage or file error.\n";

typedef struct {
    const char *context_path;
    const char *template_path;
    const char *batch_path;
    bool value;
    gr_tmpl_options options;
} render_args;

static int read_file(const char *path, gr_buf *out)
{
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char chunk[65536];
    size_t n;

    if (file == NULL)
        return gr_error_set(GR_EBACKEND, "cannot open %s: %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), file)) > 0) {
        gr_buf_append(out, chunk, n);
        if (out->len > GR_TMPL_MAX_SOURCE * 4u) {
            if (file != stdin)
                fclose(file);
            return gr_error_set(GR_ELIMIT, "%s is larger than %u bytes", path,
                                GR_TMPL_MAX_SOURCE * 4u);
        }
    }
    if (file != stdin)
        fclose(file);
    return GR_OK;
}

static int load_json(const char *path, json_t **out)
{
    json_error_t error;

    *out = json_load_file(path, JSON_DECODE_ANY, &error);
    /* Integers past 64 bits are valid JSON; template numbers are doubles anyway. */
    if (*out == NULL && json_error_code(&error) == json_error_numeric_overflow)
        *out = json_load_file(path, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &error);
    if (*out == NULL)
        return gr_error_set(GR_EINVALID, "%s:%d:%d: invalid JSON: %s", path, error.line,
                            error.column, error.text);
    return GR_OK;
}

static int parse_delimiters(const char *name, gr_tmpl_options *options)
{
    if (strcmp(name, "backstage") == 0)
        options->delimiters = GR_TMPL_DELIMITERS_BACKSTAGE;
    else if (strcmp(name, "nunjucks") == 0)
        options->delimiters = GR_TMPL_DELIMITERS_NUNJUCKS;
    else
        return gr_error_set(GR_EINVALID, "unknown delimiters '%s': use backstage or nunjucks",
                            name);
    return GR_OK;
}

static int parse_args(int argc, char **argv, render_args *args)
{
    args->options.delimiters = GR_TMPL_DELIMITERS_BACKSTAGE;
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        bool has_next = i + 1 < argc;

        if (strcmp(opt, "--context") == 0 && has_next)
            args->context_path = argv[++i];
        else if (strcmp(opt, "--batch") == 0 && has_next)
            args->batch_path = argv[++i];
        else if (strcmp(opt, "--delimiters") == 0 && has_next) {
            if (parse_delimiters(argv[++i], &args->options) != GR_OK)
                return GR_EINVALID;
        } else if (strcmp(opt, "--trim-blocks") == 0)
            args->options.trim_blocks = true;
        else if (strcmp(opt, "--lstrip-blocks") == 0)
            args->options.lstrip_blocks = true;
        else if (strcmp(opt, "--throw-on-undefined") == 0)
            args->options.throw_on_undefined = true;
        else if (strcmp(opt, "--value") == 0)
            args->value = true;
        else if (opt[0] == '-' && opt[1] != '\0')
            return gr_error_set(GR_EINVALID, "unknown option or missing value: %s", opt);
        else if (args->template_path == NULL)
            args->template_path = opt;
        else
            return gr_error_set(GR_EINVALID, "more than one template given: %s", opt);
    }
    if (args->batch_path == NULL && args->template_path == NULL)
        return gr_error_set(GR_EINVALID, "no template given");
    return GR_OK;
}

/* Reads the options object of a batch case into `options`. */
static int case_options(json_t *spec, gr_tmpl_options *options)
{
    json_t *delimiters = json_object_get(spec, "delimiters");

    *options = (gr_tmpl_options){.delimiters = GR_TMPL_DELIMITERS_BACKSTAGE};
    if (json_is_string(delimiters) &&
        parse_delimiters(json_string_value(delimiters), options) != GR_OK)
        return GR_EINVALID;
    options->trim_blocks = json_is_true(json_object_get(spec, "trimBlocks"));
    options->lstrip_blocks = json_is_true(json_object_get(spec, "lstripBlocks"));
    options->throw_on_undefined = json_is_true(json_object_get(spec, "throwOnUndefined"));
    options->strict_values = json_is_true(json_object_get(spec, "strictValues"));
    return GR_OK;
}

static json_t *render_case(json_t *item)
{
    gr_tmpl_options options;
    gr_tmpl_engine *engine = NULL;
    json_t *template = json_object_get(item, "template");
    json_t *context = json_object_get(item, "context");
    json_t *result = NULL;
    char *text = NULL;
    size_t text_len = 0;
    int status = case_options(json_object_get(item, "options"), &options);

    if (status == GR_OK) {
        engine = gr_tmpl_engine_new(&options);
        if (json_is_string(template)) {
            gr_tmpl *tmpl = NULL;

            status = gr_tmpl_compile(engine, "case", json_string_value(template),
                                     json_string_length(template), &tmpl);
            if (status == GR_OK)
                status = gr_tmpl_render(tmpl, context, &text, &text_len);
            gr_tmpl_free(tmpl);
            if (status == GR_OK)
                result = json_pack("{s:s%}", "output", text, text_len);
        } else {
            json_t *value = NULL;

            status = gr_tmpl_render_value(engine, json_object_get(item, "value"), context, &value);
            if (status == GR_OK)
                result = json_pack("{s:o}", "value", value ? value : json_null());
        }
    }
    if (status != GR_OK)
        result = json_pack("{s:s}", "error", gr_error_last());
    free(text);
    gr_tmpl_engine_free(engine);
    return result;
}

static int run_batch(const char *path)
{
    json_t *cases = NULL;
    json_t *results;
    size_t index;
    json_t *item;
    int status = load_json(path, &cases);

    if (status != GR_OK) {
        fprintf(stderr, "greenroom template: %s\n", gr_error_last());
        return 2;
    }
    results = json_array();
    json_array_foreach(cases, index, item)
    {
        json_array_append_new(results, render_case(item));
    }
    json_dumpf(results, stdout, JSON_INDENT(1) | JSON_ENSURE_ASCII);
    fputc('\n', stdout);
    json_decref(results);
    json_decref(cases);
    return 0;
}

static int render_one(const render_args *args, gr_tmpl_engine *engine, json_t *context)
{
    gr_buf source = GR_BUF_INIT;
    char *text = NULL;
    size_t text_len = 0;
    int status;

    if (args->value) {
        json_t *input = NULL;
        json_t *output = NULL;

        status = load_json(args->template_path, &input);
        if (status == GR_OK)
            status = gr_tmpl_render_value(engine, input, context, &output);
        if (status == GR_OK) {
            json_dumpf(output ? output : json_null(), stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
            fputc('\n', stdout);
        }
        json_decref(input);
        json_decref(output);
        return status;
    }
    status = read_file(args->template_path, &source);
    if (status == GR_OK) {
        gr_tmpl *tmpl = NULL;

        status =
            gr_tmpl_compile(engine, args->template_path, gr_buf_cstr(&source), source.len, &tmpl);
        if (status == GR_OK)
            status = gr_tmpl_render(tmpl, context, &text, &text_len);
        gr_tmpl_free(tmpl);
    }
    if (status == GR_OK)
        fwrite(text, 1, text_len, stdout);
    free(text);
    gr_buf_free(&source);
    return status;
}

static int template_run(int argc, char **argv)
{
    render_args args = {0};
    gr_tmpl_engine *engine = NULL;
    json_t *context = NULL;
    int status;

    if (argc < 2 || strcmp(argv[1], "render") != 0) {
        fputs(template_usage, stderr);
        return 2;
    }
    if (parse_args(argc, argv, &args) != GR_OK) {
        fprintf(stderr, "greenroom template: %s\n\n%s", gr_error_last(), template_usage);
        return 2;
    }
    if (args.batch_path != NULL)
        return run_batch(args.batch_path);
    if (args.context_path != NULL && load_json(args.context_path, &context) != GR_OK) {
        fprintf(stderr, "greenroom template: %s\n", gr_error_last());
        return 2;
    }
    engine = gr_tmpl_engine_new(&args.options);
    status = render_one(&args, engine, context);
    if (status != GR_OK)
        fprintf(stderr, "greenroom template: %s\n", gr_error_last());
    gr_tmpl_engine_free(engine);
    json_decref(context);
    if (status == GR_EBACKEND)
        return 2;
    return status == GR_OK ? 0 : 1;
}

const gr_cli_command gr_tmpl_cli_commands[] = {
    {
        .name = "template",
        .summary = "render a Nunjucks template (${{ }} values) with a JSON context",
        .usage = template_usage,
        .run = template_run,
    },
    {.name = NULL},
};
