/* SPDX-License-Identifier: MIT */
/* Workspace and debugging actions: fs:rename, fs:delete, debug:log and debug:wait. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/actions.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/workspace.h"

/* Maximum bytes of file contents debug:log writes with listWorkspace: with-contents. */
#define DEBUG_MAX_CONTENT_BYTES (256 * 1024)

static const char fs_rename_input[] =
    "{\"type\":\"object\",\"required\":[\"files\"],\"properties\":{\"files\":{\"type\":"
    "\"array\",\"title\":\"Files\",\"description\":\"A list of file and directory names that "
    "will be renamed\",\"items\":{\"type\":\"object\",\"required\":[\"from\",\"to\"],"
    "\"properties\":{\"from\":{\"type\":\"string\",\"title\":\"The source location of the file "
    "to be renamed\"},\"to\":{\"type\":\"string\",\"title\":\"The destination of the new "
    "file\"},\"overwrite\":{\"type\":\"boolean\",\"title\":\"Overwrite existing file or "
    "directory, default is false\"}}}}}}";

static const char fs_delete_input[] =
    "{\"type\":\"object\",\"required\":[\"files\"],\"properties\":{\"files\":{\"type\":"
    "\"array\",\"title\":\"Files\",\"description\":\"A list of files and directories that will "
    "be deleted; globs are allowed\",\"items\":{\"type\":\"string\"}}}}";

static const char debug_log_input[] =
    "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\",\"title\":\"Message "
    "to output.\"},\"listWorkspace\":{\"type\":[\"boolean\",\"string\"],\"enum\":[true,false,"
    "\"with-filenames\",\"with-contents\"],\"title\":\"List all files in the workspace, if true."
    "\"}}}";

static const char debug_wait_input[] =
    "{\"type\":\"object\",\"properties\":{\"minutes\":{\"type\":\"number\",\"title\":\"Waiting "
    "period in minutes.\"},\"seconds\":{\"type\":\"number\",\"title\":\"Waiting period in "
    "seconds.\"},\"milliseconds\":{\"type\":\"number\",\"title\":\"Waiting period in "
    "milliseconds.\"}}}";

/* Moves `from` to `to` inside the workspace, creating the parents of `to`. */
static int move_path(const char *from, const char *to, bool overwrite)
{
    struct stat st;
    char *parent = gr_xstrdup(to);
    char *slash = strrchr(parent, '/');
    int rc = 0;

    if (lstat(from, &st) != 0)
        rc = gr_error_set(GR_ENOTFOUND, "cannot rename %s: it does not exist", from);
    else if (lstat(to, &st) == 0 && !overwrite)
        rc = gr_error_set(GR_ECONFLICT,
                          "cannot rename to %s: the destination exists; set "
                          "overwrite: true to replace it",
                          to);
    else if (lstat(to, &st) == 0)
        rc = gr_scaffolder_rmtree(to);
    if (rc == 0 && slash != NULL) {
        *slash = '\0';
        rc = gr_scaffolder_mkdirs(parent);
    }
    if (rc == 0 && rename(from, to) != 0)
        rc = gr_error_set(GR_EBACKEND, "cannot rename %s to %s: %s", from, to, strerror(errno));
    free(parent);
    return rc;
}

static int fs_rename(gr_scaffolder_ctx *ctx, void *payload)
{
    json_t *files = json_object_get(gr_scaffolder_ctx_input(ctx), "files");
    size_t index;
    json_t *file;

    (void)payload;
    json_array_foreach(files, index, file)
    {
        const char *from = json_string_value(json_object_get(file, "from"));
        const char *to = json_string_value(json_object_get(file, "to"));
        char *source = NULL;
        char *dest = NULL;
        int rc;

        if (from == NULL || to == NULL || from[0] == '\0' || to[0] == '\0')
            return gr_error_set(GR_EINVALID, "each file must have a from and to property");
        if ((rc = gr_scaffolder_ctx_path(ctx, from, &source)) < 0 ||
            (rc = gr_scaffolder_ctx_path(ctx, to, &dest)) < 0) {
            free(source);
            return rc;
        }
        if (strcmp(source, gr_scaffolder_ctx_workspace(ctx)) == 0 ||
            strcmp(dest, gr_scaffolder_ctx_workspace(ctx)) == 0)
            rc = gr_error_set(GR_EINVALID, "the workspace itself cannot be renamed");
        else
            rc = move_path(source, dest, json_is_true(json_object_get(file, "overwrite")));
        if (rc == 0)
            gr_scaffolder_ctx_log(ctx, "File %s renamed to %s successfully", from, to);
        free(source);
        free(dest);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Deletes what one glob names; returns the count in *deleted. */
static int delete_glob(gr_scaffolder_ctx *ctx, const char *pattern, size_t *deleted)
{
    const char *workspace = gr_scaffolder_ctx_workspace(ctx);
    gr_scaffolder_entries entries;
    char *checked = NULL;
    struct stat st;
    int rc;

    /* The pattern itself must stay inside the workspace, as a path would. */
    if ((rc = gr_scaffolder_ctx_path(ctx, pattern, &checked)) < 0)
        return rc;
    if (strcmp(checked, workspace) == 0) {
        free(checked);
        return gr_error_set(GR_EINVALID, "'%s' names the whole workspace", pattern);
    }
    if (strpbrk(pattern, "*?[{") == NULL && lstat(checked, &st) == 0) {
        rc = gr_scaffolder_rmtree(checked);
        *deleted += rc == 0;
        free(checked);
        return rc;
    }
    free(checked);
    if ((rc = gr_scaffolder_walk(workspace, GR_WALK_KEEP_LINKS, &entries)) < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < entries.count; i++) {
        const gr_scaffolder_entry *entry = &entries.items[i];
        char *full;

        if (entry->is_dir || !gr_scaffolder_glob_match(pattern, entry->path))
            continue;
        full = gr_xasprintf("%s/%s", workspace, entry->path);
        if (unlink(full) != 0 && errno != ENOENT)
            rc = gr_error_set(GR_EBACKEND, "cannot delete %s: %s", entry->path, strerror(errno));
        else
            (*deleted)++;
        free(full);
    }
    gr_scaffolder_entries_free(&entries);
    return rc;
}

static int fs_delete(gr_scaffolder_ctx *ctx, void *payload)
{
    json_t *files = json_object_get(gr_scaffolder_ctx_input(ctx), "files");
    size_t index;
    json_t *file;

    (void)payload;
    if (!json_is_array(files))
        return gr_error_set(GR_EINVALID, "files must be an array");
    json_array_foreach(files, index, file)
    {
        size_t deleted = 0;
        int rc;

        if (!json_is_string(file))
            return gr_error_set(GR_EINVALID, "files[%zu] must be a string", index);
        if ((rc = delete_glob(ctx, json_string_value(file), &deleted)) < 0)
            return rc;
        gr_scaffolder_ctx_log(ctx, "Deleted %zu file(s) matching %s", deleted,
                              json_string_value(file));
    }
    return 0;
}

static void list_workspace(gr_scaffolder_ctx *ctx, bool with_contents)
{
    gr_scaffolder_entries entries;
    gr_buf text = GR_BUF_INIT;

    if (gr_scaffolder_walk(gr_scaffolder_ctx_workspace(ctx), GR_WALK_KEEP_LINKS, &entries) < 0) {
        gr_scaffolder_ctx_log(ctx, "Cannot list the workspace: %s", gr_error_last());
        return;
    }
    gr_buf_puts(&text, "Workspace:");
    for (size_t i = 0; i < entries.count; i++) {
        const gr_scaffolder_entry *entry = &entries.items[i];

        if (entry->is_dir)
            continue;
        gr_buf_printf(&text, "\n - %s", entry->path);
        if (with_contents && !entry->is_link) {
            char *full = gr_xasprintf("%s/%s", gr_scaffolder_ctx_workspace(ctx), entry->path);
            gr_buf data = GR_BUF_INIT;

            if (gr_scaffolder_read_file(full, DEBUG_MAX_CONTENT_BYTES, &data) == 0 &&
                !gr_scaffolder_is_binary(data.data, data.len))
                gr_buf_printf(&text, ":\n```\n%s\n```", gr_buf_cstr(&data));
            gr_buf_free(&data);
            free(full);
        }
    }
    gr_scaffolder_ctx_log(ctx, "%s", gr_buf_cstr(&text));
    gr_buf_free(&text);
    gr_scaffolder_entries_free(&entries);
}

static int debug_log(gr_scaffolder_ctx *ctx, void *payload)
{
    const char *message = gr_scaffolder_ctx_string(ctx, "message", NULL);
    json_t *list = json_object_get(gr_scaffolder_ctx_input(ctx), "listWorkspace");

    (void)payload;
    if (message != NULL)
        gr_scaffolder_ctx_log(ctx, "%s", message);
    if (json_is_true(list) ||
        (json_is_string(list) && strcmp(json_string_value(list), "with-filenames") == 0))
        list_workspace(ctx, false);
    else if (json_is_string(list) && strcmp(json_string_value(list), "with-contents") == 0)
        list_workspace(ctx, true);
    return 0;
}

static int debug_wait(gr_scaffolder_ctx *ctx, void *payload)
{
    json_t *input = gr_scaffolder_ctx_input(ctx);
    double total_ms = json_number_value(json_object_get(input, "minutes")) * 60000.0 +
                      json_number_value(json_object_get(input, "seconds")) * 1000.0 +
                      json_number_value(json_object_get(input, "milliseconds"));
    struct timespec slice = {0, 50 * 1000 * 1000};
    double waited = 0;

    (void)payload;
    if (total_ms > GR_SCAFFOLDER_MAX_WAIT_MS)
        return gr_error_set(GR_EINVALID, "Waiting duration is longer than the maximum threshold "
                                         "of 00:10:00");
    if (total_ms < 0)
        return gr_error_set(GR_EINVALID, "the waiting period must not be negative");
    while (waited < total_ms) {
        if (gr_scaffolder_ctx_stopping(ctx))
            return gr_error_set(GR_ELIMIT, "the wait was stopped: the task was cancelled or ran "
                                           "out of time");
        if (total_ms - waited < 50)
            slice.tv_nsec = (long)((total_ms - waited) * 1e6);
        nanosleep(&slice, NULL);
        waited += (double)slice.tv_nsec / 1e6;
    }
    return 0;
}

int gr_scaffolder__add_fs_actions(gr_scaffolder_actions *actions)
{
    const gr_scaffolder_action defs[] = {
        {.id = "fs:rename",
         .description = "Renames files and directories within the workspace",
         .input_schema = fs_rename_input,
         .supports_dry_run = true,
         .run = fs_rename},
        {.id = "fs:delete",
         .description = "Deletes files and directories from the workspace",
         .input_schema = fs_delete_input,
         .supports_dry_run = true,
         .run = fs_delete},
    };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(defs) / sizeof(defs[0]); i++)
        rc = gr_scaffolder_actions_add(actions, &defs[i]);
    return rc;
}

int gr_scaffolder__add_debug_actions(gr_scaffolder_actions *actions)
{
    const gr_scaffolder_action defs[] = {
        {.id = "debug:log",
         .description = "Writes a message into the log and lists all files in the workspace.",
         .input_schema = debug_log_input,
         .supports_dry_run = true,
         .run = debug_log},
        {.id = "debug:wait",
         .description = "Waits for a certain period of time, at most ten minutes.",
         .input_schema = debug_wait_input,
         .supports_dry_run = true,
         .run = debug_wait},
    };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(defs) / sizeof(defs[0]); i++)
        rc = gr_scaffolder_actions_add(actions, &defs[i]);
    return rc;
}
