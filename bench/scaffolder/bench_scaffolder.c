/* SPDX-License-Identifier: MIT */
/* Benchmark: runs a template with a 200-file skeleton end to end and prints the times. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/runner.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/spec.h"
#include "plugins/scaffolder/workspace.h"

#define FILES 200
#define FOLDERS 20
#define ROUNDS 10

/*
 * The template: fetch:template renders the skeleton (templated file and
 * folder names, about 40 expressions per file, one binary file),
 * catalog:write adds catalog-info.yaml, fs:rename moves a file, and
 * publish:git commits the workspace and pushes it to a local bare
 * repository. Each round runs in a fresh workspace and pushes to a fresh
 * repository, so the figure covers the whole task as a worker runs it.
 */
static const char template_yaml[] =
    "apiVersion: scaffolder.backstage.io/v1beta3\n"
    "kind: Template\n"
    "metadata: {name: bench}\n"
    "spec:\n"
    "  owner: group:default/team\n"
    "  type: service\n"
    "  parameters:\n"
    "    required: [name, remote]\n"
    "    properties:\n"
    "      name: {type: string, pattern: '^[a-z-]+$'}\n"
    "      remote: {type: string}\n"
    "  steps:\n"
    "    - id: fetch\n"
    "      action: fetch:template\n"
    "      input:\n"
    "        url: ./skeleton\n"
    "        values:\n"
    "          name: ${{ parameters.name }}\n"
    "          owner: group:default/team\n"
    "          port: 8080\n"
    "          tags: [a, b, c]\n"
    "          enabled: true\n"
    "    - id: write\n"
    "      action: catalog:write\n"
    "      input:\n"
    "        entity: {kind: Component, metadata: {name: '${{ parameters.name }}'}}\n"
    "    - id: rename\n"
    "      action: fs:rename\n"
    "      input: {files: [{from: README.md, to: docs/README.md}]}\n"
    "    - id: publish\n"
    "      action: publish:git\n"
    "      input: {remoteUrl: '${{ parameters.remote }}', defaultBranch: main}\n";

static const char *const lines[] = {
    "name: ${{ values.name }}\n",
    "owner: ${{ values.owner | parseEntityRef | pick('name') }}\n",
    "port: ${{ values.port + 1 }}\n",
    "tags: ${{ values.tags | join(', ') }}\n",
    "{% if values.enabled %}enabled{% else %}disabled{% endif %}\n",
    "{% for t in values.tags %}${{ loop.index }}:${{ t }} {% endfor %}\n",
    "upper: ${{ values.name | upper }}\n",
    "plain text line without expressions, as most of a skeleton is\n",
};

static double now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

static void write_or_die(const char *path, const char *data, size_t len)
{
    if (gr_scaffolder_write_file(path, data, len, 0644) != 0) {
        fprintf(stderr, "bench_scaffolder: %s\n", gr_error_last());
        exit(1);
    }
}

static void make_skeleton(const char *dir)
{
    unsigned char binary[4096];
    char *path;

    for (int file = 0; file < FILES - 2; file++) {
        gr_buf text = GR_BUF_INIT;

        for (int line = 0; line < 40; line++)
            gr_buf_puts(&text, lines[(file + line) % (sizeof(lines) / sizeof(lines[0]))]);
        path =
            gr_xasprintf("%s/skeleton/pkg%d/${{ values.name }}-%d.txt", dir, file % FOLDERS, file);
        write_or_die(path, text.data, text.len);
        free(path);
        gr_buf_free(&text);
    }
    for (size_t i = 0; i < sizeof(binary); i++)
        binary[i] = (unsigned char)(i * 31 + 7);
    path = gr_xasprintf("%s/skeleton/logo.bin", dir);
    write_or_die(path, (const char *)binary, sizeof(binary));
    free(path);
    path = gr_xasprintf("%s/skeleton/README.md", dir);
    write_or_die(path, "# ${{ values.name }}\n", 21);
    free(path);
    path = gr_xasprintf("%s/template.yaml", dir);
    write_or_die(path, template_yaml, strlen(template_yaml));
    free(path);
}

/* Prints when each step begins and ends, with GR_BENCH_STEPS set. */
static void print_step(void *payload, const char *type, json_t *body)
{
    const char *status = json_string_value(json_object_get(body, "status"));

    (void)payload;
    (void)type;
    if (status != NULL)
        fprintf(stderr, "%10.1f ms %s %s\n", now_ms(),
                json_string_value(json_object_get(body, "stepId")), status);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char *base = gr_xasprintf("%s/gr-bench-scaffolder-XXXXXX", tmp ? tmp : "/tmp");
    gr_scaffolder *scaffolder = NULL;
    json_t *entity = NULL;
    double times[ROUNDS];
    char *path;

    if (mkdtemp(base) == NULL || gr_scaffolder_new(&scaffolder, NULL, NULL) != 0)
        return 1;
    free(scaffolder->work_dir);
    scaffolder->work_dir = gr_xasprintf("%s/work", base);
    scaffolder->allow_any_local_remote = true;
    make_skeleton(base);
    path = gr_xasprintf("%s/template.yaml", base);
    if (gr_scaffolder_template_load(path, &entity) != 0) {
        fprintf(stderr, "bench_scaffolder: %s\n", gr_error_last());
        return 1;
    }
    free(path);

    for (int round = 0; round < ROUNDS; round++) {
        char *remote = gr_xasprintf("%s/remote-%d.git", base, round);
        char *command = gr_xasprintf("git init -q --bare '%s'", remote);
        json_t *values = json_pack("{s:s, s:s}", "name", "bench-app", "remote", remote);
        json_t *spec = gr_scaffolder_task_spec(entity, values, NULL);
        gr_scaffolder_sink sink = {.event = print_step};
        gr_scaffolder_run_params params = {.task_id = "bench", .spec = spec};
        gr_scaffolder_result result = {0};
        char id[32];
        double start;

        if (system(command) != 0)
            return 1;
        snprintf(id, sizeof(id), "bench-%d", round);
        params.task_id = id;
        if (getenv("GR_BENCH_STEPS") != NULL)
            params.sink = &sink;
        start = now_ms();
        if (gr_scaffolder_run(scaffolder, &params, &result) != 0 ||
            result.status != GR_TASK_COMPLETED) {
            fprintf(stderr, "bench_scaffolder: the run failed: %s\n",
                    result.error ? result.error : gr_error_last());
            return 1;
        }
        times[round] = now_ms() - start;
        gr_scaffolder_result_clear(&result);
        json_decref(spec);
        json_decref(values);
        free(command);
        free(remote);
    }
    qsort(times, ROUNDS, sizeof(times[0]), compare_doubles);
    printf("scaffolder: %d-file skeleton, fetch:template + catalog:write + fs:rename + "
           "publish:git to a local bare repository, in %s\n",
           FILES, tmp ? tmp : "/tmp");
    printf("scaffolder: end to end per task: median %.1f ms, min %.1f ms, max %.1f ms "
           "(%d rounds)\n",
           times[ROUNDS / 2], times[0], times[ROUNDS - 1], ROUNDS);
    json_decref(entity);
    gr_scaffolder_free(scaffolder);
    gr_scaffolder_rmtree(base);
    free(base);
    return 0;
}
