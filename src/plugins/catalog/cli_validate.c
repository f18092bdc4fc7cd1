/* SPDX-License-Identifier: MIT */
/* `greenroom catalog validate`: checks catalog files the way Backstage's catalog would. */
#include "plugins/catalog/cli_validate.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/cli_validate_rules.h"
#include "plugins/catalog/engine/read.h"
#include "plugins/catalog/engine/util.h"
#include "plugins/catalog/model/location.h"
#include "plugins/catalog/model/model.h"
#include "plugins/catalog/model/placeholder.h"
#include "plugins/catalog/model/relations.h"

/* Maximum size of one catalog file, in bytes. */
#define VALIDATE_MAX_FILE_BYTES ((size_t)8 << 20)

/* Maximum depth of folders searched below a folder given on the command line. */
#define VALIDATE_MAX_FOLDER_DEPTH 32

const char gr_catalog_validate_usage[] =
    "usage: greenroom catalog validate [--format text|json] [--follow] [--root DIR]\n"
    "                                  [--config FILE]... PATH...\n"
    "\n"
    "Checks catalog files the way Backstage's catalog does before it stores an entity:\n"
    "YAML syntax, the entity envelope, metadata formats (name, namespace, labels,\n"
    "annotations, tags, links), the schema of each kind (Component, API, Resource,\n"
    "System, Domain, Group, User, Location in backstage.io/v1alpha1 and v1beta1;\n"
    "Template in scaffolder.backstage.io/v1beta3), placeholders ($text, $json, $yaml)\n"
    "and the entity references that become relations.\n"
    "\n"
    "PATH is a file or a folder. A file is always checked. A folder is searched,\n"
    "recursively, for *.yaml, *.yml and *.json files, skipping hidden folders and\n"
    "node_modules and template skeletons (folders named skeleton, whose files hold\n"
    "${{ }} expressions until a template renders them); a file found that way is\n"
    "checked only when one of its documents has apiVersion and kind (so mkdocs.yml\n"
    "or package.json are left alone), or when it is named catalog-info.yaml or\n"
    "catalog-info.yml.\n"
    "\n"
    "Placeholders that name a URL are not fetched: they are reported on stderr and\n"
    "count as valid, because reading them needs the server's integrations.\n"
    "\n"
    "With --config, the kind of each entity must also be allowed by the catalog's\n"
    "rules, as the server checks them: catalog.rules (when it is not set, Backstage's\n"
    "default rules, which allow Component, API and Location), and the rules of each\n"
    "file entry of catalog.locations whose target names the checked file (relative\n"
    "targets start from the current folder, as for the server, and may be globs).\n"
    "A file that --follow reaches gets the rules of the file that led to it. A kind\n"
    "that is not allowed is a problem with the rule catalog-rules.\n"
    "\n"
    "Options:\n"
    "  --format text   one line per problem: FILE:LINE:COLUMN: ENTITY-REF: message (default)\n"
    "  --format json   one JSON report on stdout: entities, their problems and relations\n"
    "  --follow        also check the files that Location entities point to (file targets,\n"
    "                  relative to the Location's file; globs as in the catalog; not URLs)\n"
    "  --root DIR      folder that placeholders and followed targets must stay inside\n"
    "                  (default: the current folder when every PATH is inside it,\n"
    "                  else the folder of the first PATH)\n"
    "  --config FILE   app-config.yaml to read catalog.rules and catalog.locations from,\n"
    "                  loaded as 'greenroom serve' loads it: ${VAR} substitution,\n"
    "                  includes and APP_CONFIG_ overrides; repeat it to merge several\n"
    "                  files, later ones winning. Only the catalog section is read and\n"
    "                  checked, so variables that other sections name may be unset\n"
    "\n"
    "Exit status: 0 when every entity is valid, 1 when any problem was found,\n"
    "2 for a usage error, a PATH that does not exist or an invalid --config file.\n";

typedef enum { FORMAT_TEXT, FORMAT_JSON } output_format;

typedef struct {
    gr_model *model;
    output_format format;
    int follow;
    char root[PATH_MAX];
    gr_catalog_validate_rules *rules; /* NULL without --config */
    json_t *visited;  /* object: real path -> true */
    json_t *entities; /* JSON report: entities */
    json_t *files;    /* JSON report: files with file-level problems */
    size_t file_count;
    size_t entity_count;
    size_t invalid_count;
} validation_run;

static void validate_file(validation_run *run, const char *path, int discovered,
                          const gr_catalog_validate_origins *inherited);

static int has_extension(const char *name)
{
    const char *dot = strrchr(name, '.');

    return dot != NULL &&
           (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 || strcmp(dot, ".json") == 0);
}

static int is_catalog_info_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;

    return strcmp(name, "catalog-info.yaml") == 0 || strcmp(name, "catalog-info.yml") == 0;
}

/* A document looks like an entity when its root is a mapping with apiVersion and kind. */
static int holds_entity(gr_yaml_doc **docs, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        json_t *root = gr_yaml_doc_root(docs[i]);

        if (json_object_get(root, "apiVersion") != NULL && json_object_get(root, "kind") != NULL)
            return 1;
    }
    return 0;
}

static int read_file(const char *path, char **text_out, size_t *len_out)
{
    FILE *file = fopen(path, "rb");
    gr_buf text = GR_BUF_INIT;
    char chunk[65536];
    size_t got;
    int rc = GR_OK;

    if (file == NULL)
        return gr_error_set(GR_EBACKEND, "cannot open: %s", strerror(errno));
    while ((got = fread(chunk, 1, sizeof(chunk), file)) > 0) {
        if (text.len + got > VALIDATE_MAX_FILE_BYTES) {
            rc = gr_error_set(GR_ELIMIT, "the file is larger than %zu bytes",
                              VALIDATE_MAX_FILE_BYTES);
            break;
        }
        gr_buf_append(&text, chunk, got);
    }
    if (rc == GR_OK && ferror(file))
        rc = gr_error_set(GR_EBACKEND, "cannot read: %s", strerror(errno));
    fclose(file);
    if (rc != GR_OK) {
        gr_buf_free(&text);
        return rc;
    }
    *len_out = text.len;
    *text_out = text.data ? gr_buf_detach(&text) : gr_xstrdup("");
    return GR_OK;
}

/* Reports a problem that belongs to a file, not to one entity. */
static void report_file_problem(validation_run *run, const char *path, int line, int column,
                                const char *message)
{
    run->invalid_count++;
    if (run->format == FORMAT_TEXT) {
        printf("%s:%d:%d: %s\n", path, line, column, message);
        return;
    }
    json_array_append_new(run->files,
                          json_pack("{s:s, s:[{s:i, s:i, s:s}]}", "file", path, "problems", "line",
                                    line, "column", column, "message", message));
}

/* Splits "<path>:<line>:<column>: <message>" from the YAML reader into its parts. */
static void report_yaml_error(validation_run *run, const char *path, const char *error)
{
    size_t prefix = strlen(path);
    int line = 1;
    int column = 1;
    int used = 0;

    if (strncmp(error, path, prefix) == 0 &&
        sscanf(error + prefix, ":%d:%d: %n", &line, &column, &used) == 2 && used > 0)
        error += prefix + (size_t)used;
    report_file_problem(run, path, line, column, error);
}

static void mark_of(const gr_yaml_doc *doc, const char *pointer, int *line, int *column)
{
    gr_yaml_mark mark = {0, 0, 0, 0};

    gr_yaml_doc_find_mark(doc, pointer, &mark);
    *line = mark.line > 0 ? mark.line : gr_yaml_doc_line(doc);
    *column = mark.column > 0 ? mark.column : 1;
}

static json_t *relations_json(const gr_model_relations *relations)
{
    json_t *list = json_array();

    for (size_t i = 0; i < relations->count; i++) {
        char *source = gr_model_ref_format(&relations->items[i].source);
        char *target = gr_model_ref_format(&relations->items[i].target);

        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "source", source, "type",
                                              relations->items[i].type, "target", target));
        free(source);
        free(target);
    }
    return list;
}

static void report_entity(validation_run *run, const char *path, const gr_yaml_doc *doc,
                          const char *ref, const gr_model_problems *problems,
                          const gr_model_relations *relations)
{
    json_t *list = NULL;
    int line;
    int column;

    run->entity_count++;
    if (problems->count > 0)
        run->invalid_count++;
    if (run->format == FORMAT_JSON)
        list = json_array();
    for (size_t i = 0; i < problems->count; i++) {
        const gr_model_problem *problem = &problems->items[i];

        mark_of(doc, problem->pointer, &line, &column);
        if (run->format == FORMAT_TEXT) {
            printf("%s:%d:%d: %s: %s%s%s (%s%s%s)\n", path, line, column, ref, problem->pointer,
                   problem->pointer[0] ? ": " : "", problem->message, problem->rule,
                   problem->value ? ", value " : "", problem->value ? problem->value : "");
            continue;
        }
        json_array_append_new(list, json_pack("{s:i, s:i, s:s, s:s, s:s, s:s?}", "line", line,
                                              "column", column, "pointer", problem->pointer,
                                              "rule", problem->rule, "message", problem->message,
                                              "value", problem->value));
    }
    if (run->format == FORMAT_JSON)
        json_array_append_new(
            run->entities,
            json_pack("{s:s, s:i, s:i, s:s, s:b, s:o, s:o}", "file", path, "document",
                      (int)gr_yaml_doc_index(doc), "line", gr_yaml_doc_line(doc), "ref", ref,
                      "valid", problems->count == 0, "problems", list, "relations",
                      problems->count == 0 ? relations_json(relations) : json_array()));
}

/* True when the real path of `path` lies inside the root folder. */
static int inside_root(const validation_run *run, const char *path)
{
    char real[PATH_MAX];
    size_t len = strlen(run->root);

    if (realpath(path, real) == NULL)
        return 0;
    if (strcmp(run->root, "/") == 0)
        return 1;
    return strncmp(real, run->root, len) == 0 && (real[len] == '\0' || real[len] == '/');
}

/*
 * Finds the files a Location's file target names, the way the catalog's
 * `file` reader finds them. A relative pattern is matched from the current
 * folder, and its matches are returned relative to it again. Stores the
 * paths in *paths_out (caller frees) and returns 0 or the reader's error.
 */
static int target_files(const char *pattern, char ***paths_out, size_t *count_out)
{
    char cwd[PATH_MAX];
    char *absolute;
    size_t skip = 0;
    int rc;

    *paths_out = NULL;
    *count_out = 0;
    if (!gr_catalog__has_glob(pattern)) {
        struct stat info;

        if (stat(pattern, &info) != 0 || !S_ISREG(info.st_mode))
            return GR_OK;
        *paths_out = gr_xcalloc(1, sizeof(char *));
        (*paths_out)[0] = gr_xstrdup(pattern);
        *count_out = 1;
        return GR_OK;
    }

    if (pattern[0] == '/') {
        absolute = gr_xstrdup(pattern);
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return gr_error_set(GR_ERROR, "cannot read the current folder: %s", strerror(errno));
        absolute = gr_xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, pattern);
        skip = strcmp(cwd, "/") == 0 ? 1 : strlen(cwd) + 1;
    }
    gr_catalog__normalize_path(absolute);
    rc = gr_catalog__glob_files(absolute, GR_CATALOG_GLOB_MAX_ENTRIES, paths_out, count_out);
    free(absolute);
    for (size_t i = 0; rc == GR_OK && skip > 0 && i < *count_out; i++) {
        char *match = (*paths_out)[i];

        if (strncmp(match, cwd, skip - 1) == 0 && match[skip - 1] == '/')
            memmove(match, match + skip, strlen(match + skip) + 1);
    }
    return rc;
}

/*
 * Checks the file targets of a Location entity: each must exist (unless the
 * Location is optional) and stay inside the root. With --follow the targets
 * are validated after the Location itself.
 */
static void check_targets(validation_run *run, const char *path, const json_t *entity,
                          gr_model_problems *problems, json_t *follow)
{
    gr_model_location_target *targets = NULL;
    size_t count = 0;
    const char *slash = strrchr(path, '/');
    char *folder = slash ? gr_xstrndup(path, (size_t)(slash - path + 1)) : gr_xstrdup("");

    gr_model_location_targets(entity, "file", &targets, &count, problems);
    for (size_t i = 0; run->follow && i < count; i++) {
        char *pattern;
        char **matches = NULL;
        size_t match_count = 0;
        int rc;

        if (strcmp(targets[i].type, "file") != 0) {
            /* Reading needs the server's integrations and network access, as for placeholders. */
            fprintf(stderr, "%s: note: location target %s (type %s) was not followed\n", path,
                    targets[i].target, targets[i].type);
            continue;
        }
        pattern = targets[i].target[0] == '/' ? gr_xstrdup(targets[i].target)
                                              : gr_xasprintf("%s%s", folder, targets[i].target);
        rc = target_files(pattern, &matches, &match_count);
        if (rc != GR_OK)
            gr_model_problems_add(problems, targets[i].pointer, "location-target", NULL,
                                  "location target %s: %s", targets[i].target, gr_error_last());
        else if (match_count == 0 && !targets[i].optional)
            gr_model_problems_add(problems, targets[i].pointer, "location-target", NULL,
                                  "location target %s matches no file", targets[i].target);
        for (size_t m = 0; m < match_count; m++) {
            if (inside_root(run, matches[m]))
                json_array_append_new(follow, json_string(matches[m]));
            else
                gr_model_problems_add(problems, targets[i].pointer, "location-target", NULL,
                                      "location target %s is outside the root folder %s; "
                                      "widen it with --root",
                                      matches[m], run->root);
            free(matches[m]);
        }
        free(matches);
        free(pattern);
    }
    gr_model_location_targets_free(targets, count);
    free(folder);
}

/* Reads placeholder files; URLs are skipped with a note, because fetching them
 * needs the server's integrations and network access. */
static int read_offline(void *payload, const char *base, const char *target, char **text_out,
                        size_t *len_out)
{
    if (strstr(target, "://") != NULL) {
        fprintf(stderr, "%s: note: placeholder URL %s was not read\n", base, target);
        return GR_MODEL_READ_SKIPPED;
    }
    return gr_model_file_read(payload, base, target, text_out, len_out);
}

/* Runs the catalog's steps on one document, reports it and adds followed targets to `follow`.
 * `origins` is NULL without --config. */
static void validate_document(validation_run *run, const char *path, const char *location_ref,
                              const gr_catalog_validate_origins *origins, gr_yaml_doc *doc,
                              json_t *follow)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    gr_model_relations relations = GR_MODEL_RELATIONS_INIT;
    gr_model_file_reader files = {run->root};
    gr_model_placeholder_reader reader = {read_offline, &files, path};
    json_t *entity = gr_yaml_doc_root(doc);
    char *ref;

    /* Backstage skips documents that are empty or hold only null. */
    if (json_is_null(entity))
        return;
    ref = gr_model_entity_ref(entity);
    if (gr_model_check_envelope(run->model, entity, &problems) != GR_OK)
        goto done;
    /* As in the engine, the kind is checked as soon as the envelope is valid. */
    if (run->rules != NULL)
        gr_catalog_validate_rules_check(run->rules, origins, entity, &problems);
    if (gr_model_annotate_location(entity, location_ref, location_ref, &problems) != GR_OK)
        goto done;
    if (gr_model_resolve_placeholders(entity, &reader, &problems) != GR_OK)
        goto done;
    if (gr_model_validate(run->model, entity, &problems) != GR_OK)
        goto done;
    if (strcmp(json_string_value(json_object_get(entity, "kind")), "Location") == 0)
        check_targets(run, path, entity, &problems, follow);
    gr_model_emit_relations(entity, &relations, &problems);

done:
    report_entity(run, path, doc, ref, &problems, &relations);
    gr_model_relations_free(&relations);
    gr_model_problems_free(&problems);
    free(ref);
}

/*
 * Validates every document of one file. A file reached through a Location
 * entity inherits the origins of the file that led to it, as entities keep
 * their origin location in the engine. Otherwise `inherited` is NULL, and with
 * --config the origins come from catalog.locations.
 * NOTE: each file is checked once, so a file that a PATH or a folder search
 * reaches before the Location entity that leads to it keeps its own origins.
 */
static void validate_file(validation_run *run, const char *path, int discovered,
                          const gr_catalog_validate_origins *inherited)
{
    gr_catalog_validate_origins own_origins = GR_CATALOG_VALIDATE_ORIGINS_INIT;
    const gr_catalog_validate_origins *origins = inherited;
    gr_yaml_limits limits = {0};
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    char *text = NULL;
    size_t len = 0;
    char real[PATH_MAX];
    char *location_ref = NULL;
    json_t *follow = json_array();
    size_t i;
    json_t *target;

    if (realpath(path, real) == NULL) {
        report_file_problem(run, path, 1, 1, strerror(errno));
        goto done;
    }
    if (json_object_get(run->visited, real) != NULL)
        goto done;
    json_object_set_new(run->visited, real, json_true());
    if (read_file(path, &text, &len) != GR_OK) {
        report_file_problem(run, path, 1, 1, gr_error_last());
        goto done;
    }
    /* Backstage reads catalog files without YAML merge keys. */
    limits.no_merge_keys = 1;
    if (gr_yaml_parse(path, text, len, &limits, &docs, &count) != GR_OK) {
        if (!discovered || is_catalog_info_name(path) ||
            (strstr(text, "apiVersion") != NULL && strstr(text, "kind") != NULL)) {
            run->file_count++;
            report_yaml_error(run, path, gr_error_last());
        }
        goto done;
    }
    if (discovered && !is_catalog_info_name(path) && !holds_entity(docs, count))
        goto done;

    run->file_count++;
    location_ref = gr_xasprintf("file:%s", real);
    if (run->rules != NULL && origins == NULL) {
        gr_catalog_validate_rules_origins(run->rules, real, &own_origins);
        origins = &own_origins;
    }
    for (i = 0; i < count; i++)
        validate_document(run, path, location_ref, origins, docs[i], follow);
    json_array_foreach(follow, i, target)
        validate_file(run, json_string_value(target), 0, origins);

done:
    gr_catalog_validate_origins_free(&own_origins);
    json_decref(follow);
    gr_yaml_docs_free(docs, count);
    free(location_ref);
    free(text);
}

static int compare_names(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void search_folder(validation_run *run, const char *folder, int depth)
{
    struct dirent **entries = NULL;
    int count = scandir(folder, &entries, NULL, compare_names);

    if (count < 0) {
        report_file_problem(run, folder, 1, 1, strerror(errno));
        return;
    }
    for (int i = 0; i < count; i++) {
        const char *name = entries[i]->d_name;
        char *child = gr_xasprintf("%s%s%s", folder,
                                   folder[strlen(folder) - 1] == '/' ? "" : "/", name);
        struct stat info;

        if (name[0] != '.' && strcmp(name, "node_modules") != 0 && stat(child, &info) == 0) {
            /* Template skeletons are not catalog files until a template renders them. */
            int skeleton = S_ISDIR(info.st_mode) && strcmp(name, "skeleton") == 0;

            if (S_ISDIR(info.st_mode) && !skeleton && depth < VALIDATE_MAX_FOLDER_DEPTH)
                search_folder(run, child, depth + 1);
            else if (S_ISDIR(info.st_mode) && !skeleton)
                fprintf(stderr,
                        "%s: note: not searched, because it is more than %d folders below the "
                        "PATH given; pass it as a PATH to validate it\n",
                        child, VALIDATE_MAX_FOLDER_DEPTH);
            else if (S_ISREG(info.st_mode) && has_extension(name))
                validate_file(run, child, 1, NULL);
        }
        free(child);
        free(entries[i]);
    }
    free(entries);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
    va_list args;

    fputs("greenroom catalog validate: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputs("\nrun 'greenroom catalog validate --help' for usage\n", stderr);
}

static void print_summary(validation_run *run)
{
    if (run->format == FORMAT_JSON) {
        json_t *report = json_pack("{s:o, s:o, s:{s:i, s:i, s:i}}", "entities", run->entities,
                                   "files", run->files, "summary", "files", (int)run->file_count,
                                   "entities", (int)run->entity_count, "invalid",
                                   (int)run->invalid_count);

        run->entities = NULL;
        run->files = NULL;
        json_dumpf(report, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(report);
        return;
    }
    fprintf(stderr, "%zu %s checked, %zu %s, %zu %s\n", run->file_count,
            run->file_count == 1 ? "file" : "files", run->entity_count,
            run->entity_count == 1 ? "entity" : "entities", run->invalid_count,
            run->invalid_count == 1 ? "invalid entity or unreadable file"
                                    : "invalid entities or unreadable files");
}

/* Chooses the root when --root is absent: the current folder when every PATH
 * lies inside it, else the first PATH's folder (or the PATH itself when it is
 * a folder). Writes the real path into `out` and returns NULL, or returns "."
 * when a PATH cannot be resolved, so that the caller reports it. */
static const char *default_root(char **paths, size_t count, char out[PATH_MAX])
{
    char cwd[PATH_MAX];
    char real[PATH_MAX];
    size_t cwd_len;
    struct stat info;

    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return ".";
    cwd_len = strlen(cwd);
    for (size_t i = 0; i < count; i++) {
        if (realpath(paths[i], real) == NULL)
            return ".";
        if (strncmp(real, cwd, cwd_len) != 0 || (real[cwd_len] != '\0' && real[cwd_len] != '/'))
            goto outside;
    }
    memcpy(out, cwd, cwd_len + 1);
    return NULL;

outside:
    if (realpath(paths[0], real) == NULL)
        return ".";
    if (stat(real, &info) == 0 && !S_ISDIR(info.st_mode)) {
        char *slash = strrchr(real, '/');

        if (slash != NULL && slash != real)
            *slash = '\0';
    }
    memcpy(out, real, strlen(real) + 1);
    return NULL;
}

int gr_catalog_validate_run(int argc, char **argv)
{
    validation_run run = {0};
    const char *root = NULL;
    char **paths = gr_xcalloc((size_t)argc + 1, sizeof(*paths));
    size_t path_count = 0;
    const char **config_files = gr_xcalloc((size_t)argc + 1, sizeof(*config_files));
    size_t config_count = 0;
    int only_paths = 0;
    int status = 2;

    run.format = FORMAT_TEXT;
    /* argv[0] is "validate". */
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (only_paths || arg[0] != '-' || arg[1] == '\0') {
            paths[path_count++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            only_paths = 1;
        } else if (strcmp(arg, "--format") == 0 && i + 1 < argc) {
            arg = argv[++i];
            if (strcmp(arg, "text") == 0) {
                run.format = FORMAT_TEXT;
            } else if (strcmp(arg, "json") == 0) {
                run.format = FORMAT_JSON;
            } else {
                usage_error("unknown format '%s'; use text or json", arg);
                goto done;
            }
        } else if (strcmp(arg, "--follow") == 0) {
            run.follow = 1;
        } else if (strcmp(arg, "--root") == 0 && i + 1 < argc) {
            root = argv[++i];
        } else if (strcmp(arg, "--config") == 0 && i + 1 < argc) {
            config_files[config_count++] = argv[++i];
        } else if (strncmp(arg, "--config=", 9) == 0 && arg[9] != '\0') {
            config_files[config_count++] = arg + 9;
        } else {
            usage_error("unknown or incomplete option '%s'", arg);
            goto done;
        }
    }
    if (path_count == 0) {
        usage_error("%s", "no PATH given");
        goto done;
    }
    if (root == NULL)
        root = default_root(paths, path_count, run.root);
    if (root != NULL && realpath(root, run.root) == NULL) {
        usage_error("cannot use the root folder '%s'", root);
        goto done;
    }
    for (size_t i = 0; i < path_count; i++) {
        struct stat info;

        if (stat(paths[i], &info) != 0) {
            usage_error("'%s' does not exist", paths[i]);
            goto done;
        }
    }
    if (config_count > 0 &&
        gr_catalog_validate_rules_load(&run.rules, config_files, config_count) != GR_OK) {
        fprintf(stderr,
                "%s\ngreenroom catalog validate: the configuration given with --config is "
                "invalid\n",
                gr_error_last());
        goto done;
    }
    if (gr_model_new(&run.model) != GR_OK) {
        fprintf(stderr, "greenroom catalog validate: %s\n", gr_error_last());
        goto done;
    }

    run.visited = json_object();
    run.entities = json_array();
    run.files = json_array();
    for (size_t i = 0; i < path_count; i++) {
        struct stat info;

        if (stat(paths[i], &info) == 0 && S_ISDIR(info.st_mode))
            search_folder(&run, paths[i], 0);
        else
            validate_file(&run, paths[i], 0, NULL);
    }
    print_summary(&run);
    status = run.invalid_count > 0 ? 1 : 0;

done:
    json_decref(run.visited);
    json_decref(run.entities);
    json_decref(run.files);
    gr_model_free(run.model);
    gr_catalog_validate_rules_free(run.rules);
    free(config_files);
    free(paths);
    return status;
}
