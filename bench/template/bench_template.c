/* SPDX-License-Identifier: MIT */
/* Benchmark: renders a generated skeleton of 200 files with 50 expressions each. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/template/template.h"

#define FILES 200
#define EXPRESSIONS 50
#define ROUNDS 20

/* The expressions a skeleton file uses, in turn: lookups, filters, tests and blocks. */
static const char *const expressions[] = {
    "${{ values.name }}",
    "${{ values.owner | parseEntityRef | pick('name') }}",
    "${{ values.description | replace('\"', '\\\\\"') }}",
    "${{ values.name | upper }}",
    "${{ values.port + 1 }}",
    "${{ values.tags | join(', ') }}",
    "${{ values.repoUrl | parseRepoUrl | pick('repo') }}",
    "${{ values.labels | dump }}",
    "${{ values.name ~ '-' ~ values.env }}",
    "{% if values.enabled %}enabled{% else %}disabled{% endif %}",
    "{% for t in values.tags %}${{ loop.index }}:${{ t }} {% endfor %}",
    "${{ values.missing | default('none') }}",
    "${{ values.name | truncate(8, true, '') }}",
    "${{ values.replicas * 2 if values.enabled else 0 }}",
    "${{ values.java_package_name | replace('.', '/') }}",
};

static void make_file(gr_buf *out, int file)
{
    size_t count = sizeof(expressions) / sizeof(expressions[0]);

    gr_buf_printf(out, "# generated file %d\n", file);
    for (int i = 0; i < EXPRESSIONS; i++)
        gr_buf_printf(out, "line %d of file %d: %s\n", i, file,
                      expressions[(size_t)(file + i) % count]);
}

static json_t *make_context(void)
{
    return json_pack(
        "{s:{s:s, s:s, s:s, s:i, s:[s,s,s], s:s, s:{s:s,s:s}, s:s, s:b, s:i, s:s}}", "values",
        "name", "payments-service", "owner", "group:default/team-a", "description",
        "Handles \"payments\" for the shop", "port", 8080, "tags", "java", "grpc", "payments",
        "repoUrl", "github.com?owner=acme&repo=payments-service", "labels", "team", "a", "tier",
        "1", "env", "prod", "enabled", 1, "replicas", 3, "java_package_name", "com.acme.payments");
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes the skeleton and its context to `dir`, for the Nunjucks side of the comparison. */
static int dump_skeleton(const char *dir, gr_buf *files, json_t *context)
{
    char path[4096];

    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return gr_error_set(GR_EBACKEND, "cannot create %s: %s", dir, strerror(errno));
    for (int f = 0; f < FILES; f++) {
        FILE *out;

        snprintf(path, sizeof(path), "%s/file%03d.txt", dir, f);
        out = fopen(path, "wb");
        if (out == NULL)
            return gr_error_set(GR_EBACKEND, "cannot write %s: %s", path, strerror(errno));
        fwrite(files[f].data, 1, files[f].len, out);
        fclose(out);
    }
    snprintf(path, sizeof(path), "%s/context.json", dir);
    return json_dump_file(context, path, 0) == 0
               ? GR_OK
               : gr_error_set(GR_EBACKEND, "cannot write %s", path);
}

int main(int argc, char **argv)
{
    gr_buf files[FILES];
    gr_tmpl *compiled[FILES];
    json_t *context = make_context();
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    size_t input_bytes = 0;
    size_t output_bytes = 0;
    double start;
    double compile_render;
    double render_only;
    int status = 0;

    for (int f = 0; f < FILES; f++) {
        files[f] = (gr_buf)GR_BUF_INIT;
        make_file(&files[f], f);
        input_bytes += files[f].len;
    }
    if (argc == 3 && strcmp(argv[1], "--dump") == 0 && dump_skeleton(argv[2], files, context)) {
        fprintf(stderr, "bench_template: %s\n", gr_error_last());
        return 1;
    }

    /* A fetch:template run: each file is compiled and rendered once. */
    start = now_seconds();
    for (int round = 0; round < ROUNDS && status == 0; round++) {
        for (int f = 0; f < FILES && status == 0; f++) {
            char *out = NULL;
            size_t len = 0;
            gr_tmpl *tmpl = NULL;

            status = gr_tmpl_compile(engine, "file", files[f].data, files[f].len, &tmpl);
            if (status == 0)
                status = gr_tmpl_render(tmpl, context, &out, &len);
            output_bytes += len;
            free(out);
            gr_tmpl_free(tmpl);
        }
    }
    compile_render = now_seconds() - start;

    /* Compiled once, rendered many times. */
    for (int f = 0; f < FILES && status == 0; f++)
        status = gr_tmpl_compile(engine, "file", files[f].data, files[f].len, &compiled[f]);
    start = now_seconds();
    for (int round = 0; round < ROUNDS && status == 0; round++) {
        for (int f = 0; f < FILES && status == 0; f++) {
            char *out = NULL;

            status = gr_tmpl_render(compiled[f], context, &out, NULL);
            free(out);
        }
    }
    render_only = now_seconds() - start;
    if (status != 0) {
        fprintf(stderr, "bench_template: %s\n", gr_error_last());
        return 1;
    }

    printf("skeleton: %d files x %d expressions, %zu bytes in, %zu bytes out per run\n", FILES,
           EXPRESSIONS, input_bytes, output_bytes / ROUNDS);
    printf("greenroom compile+render: %.0f files/s, %.1f MB/s (output)\n",
           FILES * ROUNDS / compile_render, (double)output_bytes / compile_render / 1e6);
    printf("greenroom render only:    %.0f files/s, %.1f MB/s (output)\n",
           FILES * ROUNDS / render_only, (double)output_bytes / render_only / 1e6);

    for (int f = 0; f < FILES; f++) {
        gr_tmpl_free(compiled[f]);
        gr_buf_free(&files[f]);
    }
    gr_tmpl_engine_free(engine);
    json_decref(context);
    return 0;
}
