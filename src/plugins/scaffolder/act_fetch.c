/* SPDX-License-Identifier: MIT */
/* The fetch actions: fetch:plain, fetch:plain:file and fetch:template. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/actions.h"
#include "plugins/scaffolder/fetch_source.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/workspace.h"

/* Maximum size of one file a fetch reads, in bytes. */
#define FETCH_MAX_FILE_BYTES (64u * 1024 * 1024)

static const char fetch_plain_input[] =
    "{\"type\":\"object\",\"required\":[\"url\"],\"properties\":{"
    "\"url\":{\"type\":\"string\",\"title\":\"Fetch URL\",\"description\":\"Relative path or "
    "absolute URL pointing to the directory tree to fetch\"},"
    "\"targetPath\":{\"type\":\"string\",\"title\":\"Target Path\",\"description\":\"Target path "
    "within the working directory to download the contents to.\"},"
    "\"token\":{\"type\":[\"string\",\"boolean\"],\"title\":\"Token\"}}}";

static const char fetch_plain_file_input[] =
    "{\"type\":\"object\",\"required\":[\"url\",\"targetPath\"],\"properties\":{"
    "\"url\":{\"type\":\"string\",\"title\":\"Fetch URL\",\"description\":\"Relative path or "
    "absolute URL pointing to the single file to fetch.\"},"
    "\"targetPath\":{\"type\":\"string\",\"title\":\"Target Path\",\"description\":\"Target path "
    "within the working directory to download the file as.\"},"
    "\"token\":{\"type\":[\"string\",\"boolean\"],\"title\":\"Token\"}}}";

static const char fetch_template_input[] =
    "{\"type\":\"object\",\"required\":[\"url\"],\"properties\":{"
    "\"url\":{\"type\":\"string\",\"title\":\"Fetch URL\",\"description\":\"Relative path or "
    "absolute URL pointing to the directory tree to fetch\"},"
    "\"targetPath\":{\"type\":\"string\",\"title\":\"Target Path\"},"
    "\"values\":{\"type\":\"object\",\"title\":\"Template Values\",\"description\":\"Values to "
    "pass on to the templating engine\"},"
    "\"copyWithoutRender\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":"
    "\"Globs of files and folders copied as they are: neither their names nor their contents "
    "are rendered. Deprecated: use copyWithoutTemplating.\"},"
    "\"copyWithoutTemplating\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
    "\"description\":\"Globs of files and folders whose contents are copied without "
    "rendering; their names are still rendered.\"},"
    "\"cookiecutterCompat\":{\"type\":\"boolean\",\"description\":\"Use {{ }} delimiters and a "
    "cookiecutter alias of values, for cookiecutter skeletons.\"},"
    "\"templateFileExtension\":{\"type\":[\"string\",\"boolean\"],\"description\":\"Render only "
    "files with this extension (true means .njk) and drop the extension.\"},"
    "\"replace\":{\"type\":\"boolean\",\"description\":\"Overwrite files that exist in the "
    "workspace.\"},"
    "\"trimBlocks\":{\"type\":\"boolean\"},\"lstripBlocks\":{\"type\":\"boolean\"},"
    "\"token\":{\"type\":[\"string\",\"boolean\"],\"title\":\"Token\"}}}";

/* Copies one local file into the workspace at `dest`. */
static int copy_file(gr_scaffolder_ctx *ctx, const char *src, const char *dest, mode_t mode)
{
    gr_buf data = GR_BUF_INIT;
    int rc;

    rc = gr_scaffolder_read_file(src, FETCH_MAX_FILE_BYTES, &data);
    if (rc == 0)
        rc = gr_scaffolder_ctx_charge(ctx, data.len);
    if (rc == 0)
        rc = gr_scaffolder_write_file(dest, data.data ? data.data : "", data.len, mode);
    gr_buf_free(&data);
    return rc;
}

/* Copies the tree at `src` into the folder `dest`, skipping nothing. */
static int copy_tree(gr_scaffolder_ctx *ctx, const char *src, const char *dest)
{
    gr_scaffolder_entries entries;
    int rc;

    if ((rc = gr_scaffolder_walk(src, 0, &entries)) < 0)
        return rc;
    rc = gr_scaffolder_mkdirs(dest);
    for (size_t i = 0; rc == 0 && i < entries.count; i++) {
        const gr_scaffolder_entry *entry = &entries.items[i];
        char *target = NULL;

        if ((rc = gr_scaffolder_path_resolve(dest, entry->path, &target)) < 0)
            break;
        if (entry->is_dir) {
            rc = gr_scaffolder_mkdirs(target);
        } else {
            char *from = gr_xasprintf("%s/%s", src, entry->path);

            rc = copy_file(ctx, from, target, entry->mode);
            free(from);
        }
        free(target);
    }
    gr_scaffolder_entries_free(&entries);
    return rc;
}

static int fetch_plain(gr_scaffolder_ctx *ctx, void *payload)
{
    const char *url = gr_scaffolder_ctx_string(ctx, "url", NULL);
    gr_fetch_source source;
    char *dest = NULL;
    struct stat st;
    int rc;

    (void)payload;
    if ((rc = gr_scaffolder_ctx_path(ctx, gr_scaffolder_ctx_string(ctx, "targetPath", "./"),
                                     &dest)) < 0)
        return gr_error_wrap(rc, "targetPath");
    gr_scaffolder_ctx_log(ctx, "Fetching plain content from remote URL");
    if ((rc = gr_fetch_source_open(ctx, url, &source)) < 0) {
        free(dest);
        return rc;
    }
    if (stat(source.path, &st) == 0 && !S_ISDIR(st.st_mode))
        rc = gr_error_set(GR_EINVALID,
                          "fetch:plain needs a folder, but %s is a file; use "
                          "fetch:plain:file",
                          url);
    else
        rc = copy_tree(ctx, source.path, dest);
    gr_fetch_source_clear(&source);
    free(dest);
    return rc;
}

static int fetch_plain_file(gr_scaffolder_ctx *ctx, void *payload)
{
    const char *url = gr_scaffolder_ctx_string(ctx, "url", NULL);
    const char *target = gr_scaffolder_ctx_string(ctx, "targetPath", NULL);
    gr_fetch_source source;
    char *dest = NULL;
    struct stat st;
    int rc;

    (void)payload;
    if (target == NULL || target[0] == '\0')
        return gr_error_set(GR_EINVALID, "targetPath must be given");
    if ((rc = gr_scaffolder_ctx_path(ctx, target, &dest)) < 0)
        return gr_error_wrap(rc, "targetPath");
    gr_scaffolder_ctx_log(ctx, "Fetching plain content from remote URL");
    if ((rc = gr_fetch_source_open(ctx, url, &source)) < 0) {
        free(dest);
        return rc;
    }
    if (lstat(source.path, &st) != 0 || !S_ISREG(st.st_mode))
        rc = gr_error_set(GR_EINVALID, "fetch:plain:file needs a file, but %s is not one", url);
    else
        rc = copy_file(ctx, source.path, dest, st.st_mode & 0777);
    gr_fetch_source_clear(&source);
    free(dest);
    return rc;
}

/* The cookiecutter `jsonify` filter: the value as JSON with two-space indentation. */
static int filter_jsonify(void *payload, json_t *value, json_t *const *args, size_t nargs,
                          json_t **out)
{
    char *text;

    (void)payload;
    (void)args;
    (void)nargs;
    text = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    *out = json_string(text ? text : "undefined");
    free(text);
    return 0;
}

/* Settings of one fetch:template run. */
typedef struct {
    gr_scaffolder_ctx *ctx;
    gr_tmpl_engine *engine;
    json_t *context;       /* {values} (and cookiecutter) */
    const char *extension; /* ".njk", or NULL */
    json_t *no_render;     /* copyWithoutRender or copyWithoutTemplating globs */
    bool render_names;     /* copyWithoutTemplating: names are rendered anyway */
    bool replace;
    const char *src;
    char *dest;
} template_run;

static bool matches_any(const json_t *globs, const char *path)
{
    size_t index;
    json_t *glob;

    json_array_foreach(globs, index, glob) if (json_is_string(glob) &&
                                               gr_scaffolder_glob_match(json_string_value(glob),
                                                                        path)) return true;
    return false;
}

static int render_text(template_run *t, const char *name, const char *text, char **out)
{
    return gr_tmpl_render_string_budget(t->engine, name, text, t->context,
                                        gr_scaffolder_ctx_budget(t->ctx), out);
}

/* Backstage skips an entry whose rendered path lost a segment: "", "/x" or "a//b". */
static bool path_was_skipped(const char *path)
{
    return path[0] == '\0' || path[0] == '/' || strstr(path, "//") != NULL;
}

/* Works out the output path of one skeleton entry and whether its contents are rendered. */
static int output_path(template_run *t, const gr_scaffolder_entry *entry, char **out,
                       bool *render_contents)
{
    char *path = gr_xstrdup(entry->path);
    int rc = 0;

    *out = NULL;
    if (t->extension != NULL) {
        size_t len = strlen(path);
        size_t ext_len = strlen(t->extension);

        *render_contents =
            !entry->is_dir && len > ext_len && strcmp(path + len - ext_len, t->extension) == 0;
        if (*render_contents)
            path[len - ext_len] = '\0';
        rc = render_text(t, entry->path, path, out);
        free(path);
        return rc;
    }
    *render_contents = !matches_any(t->no_render, entry->path);
    if (t->render_names || *render_contents) {
        rc = render_text(t, entry->path, path, out);
        free(path);
        return rc;
    }
    *out = path;
    return 0;
}

static int template_file(template_run *t, const gr_scaffolder_entry *entry, const char *target,
                         bool render_contents)
{
    char *from = gr_xasprintf("%s/%s", t->src, entry->path);
    gr_buf data = GR_BUF_INIT;
    char *rendered = NULL;
    size_t rendered_len;
    int rc;

    rc = gr_scaffolder_read_file(from, FETCH_MAX_FILE_BYTES, &data);
    if (rc == 0 && (!render_contents || gr_scaffolder_is_binary(data.data, data.len))) {
        if (render_contents)
            gr_scaffolder_ctx_log(t->ctx,
                                  "Copying file binary or symbolic link at %s, to "
                                  "template output path.",
                                  entry->path);
        rc = gr_scaffolder_ctx_charge(t->ctx, data.len);
        if (rc == 0)
            rc =
                gr_scaffolder_write_file(target, data.data ? data.data : "", data.len, entry->mode);
    } else if (rc == 0) {
        gr_scaffolder_ctx_log(t->ctx, "Writing file %s to template output path with mode %o.",
                              entry->path, (unsigned)entry->mode | 0100000u);
        rc = render_text(t, entry->path, data.data ? data.data : "", &rendered);
        rendered_len = rendered ? strlen(rendered) : 0;
        if (rc == 0)
            rc = gr_scaffolder_ctx_charge(t->ctx, rendered_len);
        if (rc == 0)
            rc = gr_scaffolder_write_file(target, rendered, rendered_len, entry->mode);
    }
    free(rendered);
    gr_buf_free(&data);
    free(from);
    return rc;
}

static int template_entry(template_run *t, const gr_scaffolder_entry *entry)
{
    char *local = NULL;
    char *target = NULL;
    bool render_contents = false;
    struct stat st;
    int rc;

    if ((rc = output_path(t, entry, &local, &render_contents)) < 0)
        return rc;
    if (path_was_skipped(local)) {
        free(local);
        return 0;
    }
    if ((rc = gr_scaffolder_path_resolve(t->dest, local, &target)) < 0) {
        free(local);
        return gr_error_wrap(rc, "skeleton entry %s", entry->path);
    }
    if (lstat(target, &st) == 0 && !t->replace && !entry->is_dir) {
        free(local);
        free(target);
        return 0;
    }
    if (!render_contents && t->extension == NULL)
        gr_scaffolder_ctx_log(t->ctx, "Copying file/directory %s without processing.", entry->path);
    if (entry->is_dir)
        rc = gr_scaffolder_mkdirs(target);
    else
        rc = template_file(t, entry, target, render_contents);
    free(local);
    free(target);
    return rc;
}

static int read_extension(gr_scaffolder_ctx *ctx, const char **out)
{
    json_t *value = json_object_get(gr_scaffolder_ctx_input(ctx), "templateFileExtension");

    *out = NULL;
    if (json_is_true(value)) {
        *out = ".njk";
    } else if (json_is_string(value) && json_string_length(value) > 0) {
        *out = json_string_value(value);
        if ((*out)[0] != '.')
            return gr_error_set(GR_EINVALID,
                                "templateFileExtension must start with a dot, "
                                "got '%s'",
                                *out);
    }
    return 0;
}

static int setup_template(gr_scaffolder_ctx *ctx, template_run *t)
{
    json_t *input = gr_scaffolder_ctx_input(ctx);
    json_t *values = json_object_get(input, "values");
    json_t *without_render = json_object_get(input, "copyWithoutRender");
    json_t *without_templating = json_object_get(input, "copyWithoutTemplating");
    bool cookiecutter = gr_scaffolder_ctx_bool(ctx, "cookiecutterCompat", false);
    gr_tmpl_options options = {
        .delimiters = cookiecutter ? GR_TMPL_DELIMITERS_NUNJUCKS : GR_TMPL_DELIMITERS_BACKSTAGE,
        .trim_blocks = gr_scaffolder_ctx_bool(ctx, "trimBlocks", false),
        .lstrip_blocks = gr_scaffolder_ctx_bool(ctx, "lstripBlocks", false),
    };
    int rc;

    if (without_render != NULL && without_templating != NULL)
        return gr_error_set(GR_EINVALID, "copyWithoutRender and copyWithoutTemplating can not "
                                         "be used at the same time");
    if ((rc = read_extension(ctx, &t->extension)) < 0)
        return rc;
    if (t->extension != NULL && (without_render != NULL || without_templating != NULL))
        return gr_error_set(GR_EINVALID, "input extension incompatible with copyWithoutRender/"
                                         "copyWithoutTemplating and cookiecutterCompat");
    t->ctx = ctx;
    t->no_render = without_templating ? without_templating : without_render;
    t->render_names = without_templating != NULL;
    t->replace = gr_scaffolder_ctx_bool(ctx, "replace", false);
    t->engine = gr_tmpl_engine_new(&options);
    {
        json_t *hosts = json_object();
        const gr_scaffolder *services = gr_scaffolder_ctx_services(ctx);

        for (size_t i = 0; i < services->github_count; i++)
            json_object_set_new(hosts, services->github[i].host, json_string("github"));
        for (size_t i = 0; i < services->gitlab_count; i++)
            json_object_set_new(hosts, services->gitlab[i].host, json_string("gitlab"));
        gr_tmpl_set_integrations(t->engine, hosts);
        json_decref(hosts);
    }
    gr_tmpl_register_filter(t->engine, "jsonify", filter_jsonify, NULL);
    t->context = json_pack("{s:o}", "values", values ? json_incref(values) : json_object());
    if (cookiecutter)
        json_object_set(t->context, "cookiecutter", json_object_get(t->context, "values"));
    return 0;
}

static int fetch_template(gr_scaffolder_ctx *ctx, void *payload)
{
    template_run t = {0};
    gr_fetch_source source = {0};
    gr_scaffolder_entries entries = {0};
    int rc;

    (void)payload;
    if ((rc = setup_template(ctx, &t)) < 0)
        goto done;
    if ((rc = gr_scaffolder_ctx_path(ctx, gr_scaffolder_ctx_string(ctx, "targetPath", "./"),
                                     &t.dest)) < 0) {
        rc = gr_error_wrap(rc, "targetPath");
        goto done;
    }
    gr_scaffolder_ctx_log(ctx, "Fetching template content from remote URL");
    if ((rc = gr_fetch_source_open(ctx, gr_scaffolder_ctx_string(ctx, "url", NULL), &source)) < 0)
        goto done;
    t.src = source.path;
    if ((rc = gr_scaffolder_walk(source.path, 0, &entries)) < 0)
        goto done;
    gr_scaffolder_ctx_log(ctx, "Processing %zu template files/directories with input values",
                          entries.count);
    if ((rc = gr_scaffolder_mkdirs(t.dest)) < 0)
        goto done;
    for (size_t i = 0; rc == 0 && i < entries.count; i++) {
        if (gr_scaffolder_ctx_stopping(ctx))
            rc = gr_error_set(GR_ELIMIT, "stopped while templating");
        else
            rc = template_entry(&t, &entries.items[i]);
    }
    if (rc == 0)
        gr_scaffolder_ctx_log(ctx, "Template result written to %s",
                              strcmp(t.dest, gr_scaffolder_ctx_workspace(ctx)) == 0
                                  ? "the workspace"
                                  : t.dest + strlen(gr_scaffolder_ctx_workspace(ctx)) + 1);
done:
    gr_scaffolder_entries_free(&entries);
    gr_fetch_source_clear(&source);
    json_decref(t.context);
    gr_tmpl_engine_free(t.engine);
    free(t.dest);
    return rc;
}

int gr_scaffolder__add_fetch_actions(gr_scaffolder_actions *actions)
{
    const gr_scaffolder_action defs[] = {
        {.id = "fetch:plain",
         .description = "Downloads content and places it in the workspace, or optionally in a "
                        "subdirectory specified by the targetPath input option.",
         .input_schema = fetch_plain_input,
         .supports_dry_run = true,
         .run = fetch_plain},
        {.id = "fetch:plain:file",
         .description = "Downloads single file and places it in the workspace.",
         .input_schema = fetch_plain_file_input,
         .supports_dry_run = true,
         .run = fetch_plain_file},
        {.id = "fetch:template",
         .description = "Downloads a skeleton, templates variables into file and directory "
                        "names and content, and places the result in the workspace, or "
                        "optionally in a subdirectory specified by the targetPath input option.",
         .input_schema = fetch_template_input,
         .supports_dry_run = true,
         .run = fetch_template},
    };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(defs) / sizeof(defs[0]); i++)
        rc = gr_scaffolder_actions_add(actions, &defs[i]);
    return rc;
}
