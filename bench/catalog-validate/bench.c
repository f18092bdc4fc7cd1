/* SPDX-License-Identifier: MIT */
/* Times catalog validation of a generated 100,000-entity file against bare libyaml parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/model/location.h"
#include "plugins/catalog/model/model.h"
#include "plugins/catalog/model/relations.h"

#define DEFAULT_ENTITIES 100000

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends entity number `i`; the kind cycles so every built-in kind is present. */
static void append_entity(gr_buf *out, unsigned i)
{
    static const char *const lifecycles[] = {"production", "experimental", "deprecated"};

    gr_buf_puts(out, "---\napiVersion: backstage.io/v1alpha1\n");
    switch (i % 6) {
    case 0:
    case 1:
        gr_buf_printf(out,
                      "kind: Component\nmetadata:\n  name: service-%u\n  namespace: team-%u\n"
                      "  title: Service %u\n  description: Handles requests of kind %u.\n"
                      "  labels:\n    tier: tier-%u\n  annotations:\n"
                      "    backstage.io/techdocs-ref: dir:.\n"
                      "    github.com/project-slug: example/service-%u\n"
                      "  tags: [java, lang:c++, team-%u]\n  links:\n"
                      "    - url: https://dashboards.example.com/d/%u\n      title: Dashboard\n"
                      "      icon: dashboard\nspec:\n  type: service\n  lifecycle: %s\n"
                      "  owner: group-%u\n  system: system-%u\n"
                      "  providesApis: [api-%u]\n  consumesApis: [api-%u, team-0/api-0]\n"
                      "  dependsOn: [resource:database-%u]\n",
                      i, i % 50, i, i % 7, i % 3, i, i % 50, i, lifecycles[i % 3], i % 200,
                      i % 300, i, (i + 1) % 1000, i % 500);
        break;
    case 2:
        gr_buf_printf(out,
                      "kind: API\nmetadata:\n  name: api-%u\n  namespace: team-%u\n"
                      "  tags: [rest]\nspec:\n  type: openapi\n  lifecycle: production\n"
                      "  owner: group-%u\n  system: system-%u\n  definition: |\n"
                      "    openapi: 3.0.0\n    info:\n      title: API %u\n      version: 1.0.0\n"
                      "    paths: {}\n",
                      i, i % 50, i % 200, i % 300, i);
        break;
    case 3:
        gr_buf_printf(out,
                      "kind: Group\nmetadata:\n  name: group-%u\nspec:\n  type: team\n"
                      "  profile:\n    displayName: Group %u\n    email: group-%u@example.com\n"
                      "  parent: group-%u\n  children: []\n  members: [user-%u, user-%u]\n",
                      i, i, i, i / 10, i, i + 1);
        break;
    case 4:
        gr_buf_printf(out,
                      "kind: User\nmetadata:\n  name: user-%u\nspec:\n  profile:\n"
                      "    displayName: User %u\n    email: user-%u@example.com\n"
                      "  memberOf: [group-%u]\n",
                      i, i, i, i % 200);
        break;
    default:
        gr_buf_printf(out,
                      "kind: Resource\nmetadata:\n  name: database-%u\nspec:\n  type: database\n"
                      "  owner: group-%u\n  system: system-%u\n  dependencyOf: [component:service-%u]\n",
                      i, i % 200, i % 300, i);
        break;
    }
}

/* Parses the text with libyaml's event API only, building nothing; returns the event count. */
static long bare_parse(const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t event;
    long events = 0;
    int done = 0;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            fprintf(stderr, "libyaml: %s\n", parser.problem ? parser.problem : "error");
            events = -1;
            break;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
        events++;
    }
    yaml_parser_delete(&parser);
    return events;
}

/* Validates every document as `catalog validate` does; returns the number of invalid ones. */
static size_t validate_all(const gr_model *model, gr_yaml_doc **docs, size_t count)
{
    size_t invalid = 0;

    for (size_t i = 0; i < count; i++) {
        gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
        gr_model_relations relations = GR_MODEL_RELATIONS_INIT;
        json_t *entity = gr_yaml_doc_root(docs[i]);

        if (gr_model_check_envelope(model, entity, &problems) == GR_OK &&
            gr_model_annotate_location(entity, "file:/bench/catalog.yaml",
                                       "file:/bench/catalog.yaml", &problems) == GR_OK &&
            gr_model_validate(model, entity, &problems) == GR_OK)
            gr_model_emit_relations(entity, &relations, &problems);
        if (problems.count > 0) {
            if (invalid == 0)
                fprintf(stderr, "document %zu: %s %s\n", i, problems.items[0].pointer,
                        problems.items[0].message);
            invalid++;
        }
        gr_model_relations_free(&relations);
        gr_model_problems_free(&problems);
    }
    return invalid;
}

int main(int argc, char **argv)
{
    unsigned entities = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : DEFAULT_ENTITIES;
    const char *path = argc > 2 ? argv[2] : "build/bench-catalog.yaml";
    gr_buf text = GR_BUF_INIT;
    gr_yaml_limits limits = {0};
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    gr_model *model = NULL;
    FILE *file;
    double start, bare, tree, check;
    size_t invalid;
    long events;

    for (unsigned i = 0; i < entities; i++)
        append_entity(&text, i);
    file = fopen(path, "wb");
    if (file == NULL || fwrite(text.data, 1, text.len, file) != text.len || fclose(file) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    printf("file: %s, %u entities, %.1f MB\n", path, entities, (double)text.len / 1e6);

    start = now_seconds();
    events = bare_parse(text.data, text.len);
    bare = now_seconds() - start;
    if (events < 0)
        return 1;

    limits.max_input_bytes = text.len + 1;
    limits.max_nodes = (size_t)entities * 200;
    limits.max_total_scalar_bytes = text.len * 2;
    limits.no_merge_keys = 1;
    start = now_seconds();
    if (gr_yaml_parse(path, text.data, text.len, &limits, &docs, &count) != GR_OK) {
        fprintf(stderr, "%s\n", gr_error_last());
        return 1;
    }
    tree = now_seconds() - start;

    if (gr_model_new(&model) != GR_OK) {
        fprintf(stderr, "%s\n", gr_error_last());
        return 1;
    }
    start = now_seconds();
    invalid = validate_all(model, docs, count);
    check = now_seconds() - start;

    printf("bare libyaml parse:        %7.3f s  %9.0f entities/s  (%ld events)\n", bare,
           entities / bare, events);
    printf("YAML to JSON trees:        %7.3f s  %9.0f entities/s\n", tree, entities / tree);
    printf("model checks only:         %7.3f s  %9.0f entities/s  (%zu invalid)\n", check,
           entities / check, invalid);
    printf("validation (trees+checks): %7.3f s  %9.0f entities/s\n", tree + check,
           entities / (tree + check));
    printf("ratio validation / bare parse: %.2fx (goal: at most 3x)\n", (tree + check) / bare);

    gr_yaml_docs_free(docs, count);
    gr_model_free(model);
    gr_buf_free(&text);
    return invalid == 0 ? 0 : 1;
}
