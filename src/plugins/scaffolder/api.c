/* SPDX-License-Identifier: MIT */
/* The REST API under /api/scaffolder/v2: templates, actions, tasks, events and dry runs. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "plugins/catalog/model/ref.h"
#include "plugins/scaffolder/creator.h"
#include "plugins/scaffolder/plugin.h"
#include "plugins/scaffolder/runner.h"
#include "plugins/scaffolder/spec.h"
#include "plugins/scaffolder/store.h"
#include "plugins/scaffolder/task_user.h"
#include "plugins/scaffolder/workspace.h"

/* Seconds after which a client may retry a dry run rejected as one too many (Retry-After). */
#define DRY_RUN_RETRY_AFTER_S 5
/* Maximum total size of the files a dry run returns, in bytes. */
#define DRY_RUN_MAX_RESULT_BYTES (8u * 1024 * 1024)
/* Time between two reads of new events for an event stream, in milliseconds. */
#define STREAM_POLL_MS 200
/* Time after which an idle event stream sends a comment line, in milliseconds. */
#define STREAM_KEEPALIVE_MS 15000

static json_t *parse_body(gr_request *req)
{
    size_t len = 0;
    const char *body = gr_req_body(req, &len);
    json_error_t error;
    json_t *value;

    if (len > 0 && gr_req_json_body_check(req) != GR_OK)
        return NULL;
    value = json_loadb(body, len, 0, &error);
    if (!json_is_object(value)) {
        json_decref(value);
        gr_error_set(GR_EINVALID, "the request body must be a JSON object%s%s",
                     error.text[0] ? ": " : "", error.text);
        return NULL;
    }
    return value;
}

static int get_parameter_schema(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    char *ref = gr_xasprintf("%s:%s/%s", gr_req_param(req, "kind"), gr_req_param(req, "namespace"),
                             gr_req_param(req, "name"));
    json_t *entity = NULL;
    int rc;

    rc = gr_scaffolder_find_template(plugin, req, ref, &entity);
    free(ref);
    if (rc < 0)
        return rc;
    if ((rc = gr_scaffolder_template_check(entity)) < 0) {
        json_decref(entity);
        return rc;
    }
    if ((rc = gr_scaffolder_authorize_entity(plugin, req, "scaffolder.template.parameter.read",
                                             entity)) < 0) {
        json_decref(entity);
        return rc;
    }
    rc = gr_res_json(res, 200, gr_scaffolder_parameter_schema(entity));
    json_decref(entity);
    return rc;
}

static int get_actions(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;

    (void)req;
    return gr_res_json(res, 200, gr_scaffolder_actions_list(plugin->scaffolder->actions));
}

/* Sends Backstage's 400 body for invalid values: {errors: [...]}. */
static int values_error(gr_response *res, json_t *errors)
{
    return gr_res_json(res, 400, json_pack("{s:o}", "errors", errors));
}

static int check_sizes(const json_t *values, const json_t *secrets)
{
    char *a = json_dumps(values, JSON_COMPACT);
    char *b = secrets ? json_dumps(secrets, JSON_COMPACT) : NULL;
    size_t total = (a ? strlen(a) : 0) + (b ? strlen(b) : 0);

    free(a);
    free(b);
    if (total > GR_SCAFFOLDER_MAX_VALUES_BYTES)
        return gr_error_set(GR_ELIMIT, "values and secrets are larger than %d bytes",
                            GR_SCAFFOLDER_MAX_VALUES_BYTES);
    return 0;
}

static int post_task(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    json_t *body = parse_body(req);
    json_t *entity = NULL;
    json_t *errors = NULL;
    json_t *spec = NULL;
    json_t *user = NULL;
    json_t *creator = NULL;
    gr_entity_ref ref = GR_ENTITY_REF_INIT;
    char *ref_text = NULL;
    char id[GR_SCAFFOLDER_ID_SIZE];
    json_t *values;
    json_t *secrets;
    int rc;

    if (body == NULL)
        return GR_EINVALID;
    values = json_object_get(body, "values");
    secrets = json_object_get(body, "secrets");
    if (!json_is_string(json_object_get(body, "templateRef"))) {
        rc = gr_error_set(GR_EINVALID, "templateRef must be a string such as "
                                       "template:default/my-template");
        goto done;
    }
    if (secrets != NULL && !json_is_object(secrets)) {
        rc = gr_error_set(GR_EINVALID, "secrets must be an object");
        goto done;
    }
    if ((rc = check_sizes(values, secrets)) < 0)
        goto done;
    rc = gr_model_ref_parse(json_string_value(json_object_get(body, "templateRef")), "template",
                            NULL, &ref);
    if (rc == 0)
        ref_text = gr_model_ref_format(&ref);
    if (rc == 0 && strcmp(ref.kind, "template") != 0 && strcmp(ref.kind, "Template") != 0)
        rc = gr_error_set(GR_EINVALID, "templateRef %s does not name a Template", ref_text);
    if (rc == 0)
        rc = gr_scaffolder_find_template(plugin, req, ref_text, &entity);
    if (rc == 0)
        rc = gr_scaffolder_template_check(entity);
    if (rc == 0)
        rc = gr_scaffolder_authorize_template(plugin, req, entity);
    if (rc < 0)
        goto done;
    if (gr_scaffolder_validate_values(entity, values ? values : json_null(), &errors) < 0) {
        rc = values_error(res, errors);
        goto done;
    }
    user = gr_scaffolder_request_user(plugin, req);
    spec = gr_scaffolder_task_spec(entity, values, user);
    creator = gr_scaffolder_creator_from_identity(gr_req_identity(req));
    rc = gr_task_create(plugin->host->db, spec, secrets, creator, ref_text, id);
    if (rc == 0) {
        gr_log_fields(GR_LOG_INFO, "scaffolder", "task created", "task", id, "template", ref_text,
                      NULL);
        gr_scaffolder_workers_notify(plugin->workers);
        rc = gr_res_json(res, 201, json_pack("{s:s}", "id", id));
    }
done:
    gr_entity_ref_free(&ref);
    free(ref_text);
    json_decref(creator);
    json_decref(user);
    json_decref(spec);
    json_decref(entity);
    json_decref(body);
    return rc;
}

static int get_tasks(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    size_t status_count = 0;
    const char **statuses = gr_req_query_all(req, "status", &status_count);
    const char *limit = gr_req_query(req, "limit");
    const char *offset = gr_req_query(req, "offset");
    gr_task_filter filter = {
        .created_by = gr_req_query(req, "createdBy"),
        .statuses = statuses,
        .status_count = status_count > 5 ? 5 : status_count,
        .limit = limit ? strtoll(limit, NULL, 10) : 0,
        .offset = offset ? strtoll(offset, NULL, 10) : 0,
    };
    json_t *list = NULL;
    json_t *access = NULL;
    int rc;

    if ((rc = gr_scaffolder_task_access(plugin, req, "scaffolder.task.read", &access)) < 0)
        return rc;
    if ((limit && filter.limit <= 0) || (offset && filter.offset < 0)) {
        json_decref(access);
        return gr_error_set(GR_EINVALID, "limit must be a positive and offset a non-negative "
                                         "integer");
    }
    filter.access = access;
    rc = gr_task_list(plugin->host->db, &filter, &list);
    json_decref(access);
    if (rc < 0)
        return rc;
    return gr_res_json(res, 200, list);
}

static int get_task(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    json_t *task = NULL;
    int rc = gr_scaffolder_task_get(plugin, req, "scaffolder.task.read",
                                    gr_req_param(req, "taskId"), &task);

    if (rc < 0)
        return rc;
    return gr_res_json(res, 200, task);
}

static int64_t after_param(gr_request *req)
{
    const char *after = gr_req_query(req, "after");
    const char *last = gr_req_header(req, "Last-Event-ID");

    if (after != NULL)
        return strtoll(after, NULL, 10);
    return last ? strtoll(last, NULL, 10) : 0;
}

static int get_events(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    const char *id = gr_req_param(req, "taskId");
    json_t *task = NULL;
    json_t *events = NULL;
    int rc;

    if ((rc = gr_scaffolder_task_get(plugin, req, "scaffolder.task.read", id, &task)) < 0)
        return rc;
    json_decref(task);
    if ((rc = gr_task_events(plugin->host->db, id, after_param(req), &events)) < 0)
        return rc;
    return gr_res_json(res, 200, events);
}

/* An event stream: its own copy of what it needs, since it outlives the request. */
typedef struct {
    gr_db *db;
    char task_id[GR_SCAFFOLDER_ID_SIZE];
    int64_t after;
    gr_buf pending;
    size_t sent;
    bool finished;
    int64_t last_poll_ms;
    int64_t last_write_ms;
} event_stream;

static int64_t now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void stream_poll(event_stream *stream)
{
    json_t *events = NULL;
    size_t index;
    json_t *event;

    if (gr_task_events(stream->db, stream->task_id, stream->after, &events) < 0) {
        gr_log_fields(GR_LOG_WARN, "scaffolder", "reading task events failed", "task",
                      stream->task_id, "error", gr_error_last(), NULL);
        return;
    }
    json_array_foreach(events, index, event)
    {
        const char *type = json_string_value(json_object_get(event, "type"));
        char *text = json_dumps(event, JSON_COMPACT);

        stream->after = json_integer_value(json_object_get(event, "id"));
        gr_buf_printf(&stream->pending, "id: %lld\nevent: %s\ndata: %s\n\n",
                      (long long)stream->after, type, text ? text : "{}");
        free(text);
        if (strcmp(type, "completion") == 0 || strcmp(type, "cancelled") == 0)
            stream->finished = true;
    }
    json_decref(events);
}

static ssize_t stream_read(void *payload, char *buf, size_t max)
{
    event_stream *stream = payload;
    int64_t now = now_ms();
    size_t left;

    if (stream->sent == stream->pending.len) {
        gr_buf_reset(&stream->pending);
        stream->sent = 0;
        if (stream->finished)
            return GR_STREAM_END;
        if (now - stream->last_poll_ms >= STREAM_POLL_MS) {
            stream->last_poll_ms = now;
            stream_poll(stream);
        }
        if (stream->pending.len == 0 && now - stream->last_write_ms >= STREAM_KEEPALIVE_MS)
            gr_buf_puts(&stream->pending, ": keep-alive\n\n");
        if (stream->pending.len == 0)
            return 0;
    }
    left = stream->pending.len - stream->sent;
    if (left > max)
        left = max;
    memcpy(buf, stream->pending.data + stream->sent, left);
    stream->sent += left;
    stream->last_write_ms = now;
    return (ssize_t)left;
}

static void stream_free(void *payload)
{
    event_stream *stream = payload;

    gr_buf_free(&stream->pending);
    free(stream);
}

static int get_event_stream(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    const char *id = gr_req_param(req, "taskId");
    json_t *task = NULL;
    event_stream *stream;
    int rc;

    /* Checked once: a task's creator never changes while the stream runs. */
    if ((rc = gr_scaffolder_task_get(plugin, req, "scaffolder.task.read", id, &task)) < 0)
        return rc;
    json_decref(task);
    stream = gr_xcalloc(1, sizeof(*stream));
    stream->db = plugin->host->db;
    snprintf(stream->task_id, sizeof(stream->task_id), "%s", id);
    stream->after = after_param(req);
    stream->last_write_ms = now_ms();
    stream->last_poll_ms = stream->last_write_ms - STREAM_POLL_MS;
    gr_res_header(res, "X-Accel-Buffering", "no");
    return gr_res_stream(res, 200, "text/event-stream", stream_read, stream, stream_free);
}

static int post_cancel(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    const char *id = gr_req_param(req, "taskId");
    json_t *task = NULL;
    int rc = gr_scaffolder_task_get(plugin, req, "scaffolder.task.cancel", id, &task);

    json_decref(task);
    if (rc == 0)
        rc = gr_task_cancel(plugin->host->db, id);

    if (rc < 0)
        return rc;
    return gr_res_json(res, 200, json_pack("{s:s}", "status", "cancelled"));
}

static int post_retry(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    const char *id = gr_req_param(req, "taskId");
    json_t *task = NULL;
    int rc = gr_scaffolder_task_get(plugin, req, "scaffolder.task.cancel", id, &task);

    json_decref(task);
    if (rc == 0)
        rc = gr_task_retry(plugin->host->db, id);

    if (rc < 0)
        return rc;
    gr_scaffolder_workers_notify(plugin->workers);
    return gr_res_json(res, 201, json_pack("{s:s}", "id", id));
}

/* Writes the directoryContents of a dry run into `dir`. */
static int write_contents(const char *dir, const json_t *contents)
{
    size_t index;
    json_t *file;

    if (contents != NULL && !json_is_array(contents))
        return gr_error_set(GR_EINVALID, "directoryContents must be an array");
    if (json_array_size(contents) > GR_SCAFFOLDER_MAX_FILES)
        return gr_error_set(GR_ELIMIT, "directoryContents has more than %d files",
                            GR_SCAFFOLDER_MAX_FILES);
    json_array_foreach(contents, index, file)
    {
        const char *path = json_string_value(json_object_get(file, "path"));
        const char *base64 = json_string_value(json_object_get(file, "base64Content"));
        size_t len = base64 ? strlen(base64) : 0;
        unsigned char *data;
        char *target = NULL;
        int decoded;
        int rc;

        if (path == NULL || base64 == NULL)
            return gr_error_set(GR_EINVALID,
                                "directoryContents[%zu] needs path and "
                                "base64Content",
                                index);
        if ((rc = gr_scaffolder_path_resolve(dir, path, &target)) < 0)
            return gr_error_wrap(rc, "directoryContents[%zu]", index);
        data = gr_xmalloc(len / 4 * 3 + 4);
        decoded = EVP_DecodeBlock(data, (const unsigned char *)base64, (int)len);
        if (decoded < 0) {
            free(data);
            free(target);
            return gr_error_set(GR_EINVALID,
                                "directoryContents[%zu].base64Content is not "
                                "base64",
                                index);
        }
        /* EVP_DecodeBlock counts the padding bytes as data. */
        while (len > 0 && base64[len - 1] == '=' && decoded > 0) {
            decoded--;
            len--;
        }
        rc = gr_scaffolder_write_file(target, data, (size_t)decoded,
                                      json_is_true(json_object_get(file, "executable")) ? 0755
                                                                                        : 0644);
        free(data);
        free(target);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Reads every file of the dry run's workspace as [{path, base64Content, executable}]. */
static int read_contents(const char *dir, json_t **out)
{
    gr_scaffolder_entries entries;
    size_t total = 0;
    int rc;

    *out = json_array();
    if ((rc = gr_scaffolder_walk(dir, GR_WALK_KEEP_LINKS, &entries)) < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < entries.count; i++) {
        const gr_scaffolder_entry *entry = &entries.items[i];
        char *full;
        gr_buf data = GR_BUF_INIT;
        char *encoded;

        if (entry->is_dir || entry->is_link)
            continue;
        full = gr_xasprintf("%s/%s", dir, entry->path);
        rc = gr_scaffolder_read_file(full, DRY_RUN_MAX_RESULT_BYTES, &data);
        free(full);
        total += data.len;
        /* The message names the limit and the workspace path, not the server's folder. */
        if (rc == GR_ELIMIT || (rc == 0 && total > DRY_RUN_MAX_RESULT_BYTES))
            rc = gr_error_set(GR_ELIMIT, "the dry run produced more than %u bytes of files",
                              DRY_RUN_MAX_RESULT_BYTES);
        if (rc == 0) {
            encoded = gr_xmalloc(data.len / 3 * 4 + 8);
            EVP_EncodeBlock((unsigned char *)encoded, (const unsigned char *)(data.data ?: ""),
                            (int)data.len);
            json_array_append_new(*out,
                                  json_pack("{s:s, s:b, s:s}", "path", entry->path, "executable",
                                            (entry->mode & 0100) != 0, "base64Content", encoded));
            free(encoded);
        }
        gr_buf_free(&data);
    }
    gr_scaffolder_entries_free(&entries);
    return rc;
}

static void collect_event(void *payload, const char *type, json_t *body)
{
    (void)type;
    json_array_append_new(payload, json_pack("{s:O}", "body", body));
}

/* Runs a dry run in `root` (a fresh folder): template files, then the workspace. */
static int run_dry(gr_scaffolder_plugin *plugin, gr_request *req, json_t *body, const char *root,
                   json_t **out)
{
    json_t *entity = json_deep_copy(json_object_get(body, "template"));
    json_t *values = json_object_get(body, "values");
    json_t *log = json_array();
    json_t *spec = NULL;
    json_t *user = NULL;
    json_t *errors = NULL;
    char *contents_dir = gr_xasprintf("%s/template", root);
    char *workspace = gr_xasprintf("%s/workspace", root);
    gr_scaffolder_sink sink = {.event = collect_event, .payload = log};
    gr_scaffolder_result result = {0};
    char id[GR_SCAFFOLDER_ID_SIZE];
    int rc;

    *out = NULL;
    if ((rc = check_sizes(values, json_object_get(body, "secrets"))) < 0 ||
        (rc = gr_scaffolder_template_check(entity)) < 0)
        goto done;
    if (gr_scaffolder_validate_values(entity, values ? values : json_null(), &errors) < 0) {
        *out = json_pack("{s:o}", "errors", errors);
        rc = GR_EINVALID;
        goto done;
    }
    if ((rc = gr_scaffolder_mkdirs(contents_dir)) < 0 || (rc = gr_scaffolder_mkdirs(workspace)) < 0)
        goto done;
    if ((rc = write_contents(contents_dir, json_object_get(body, "directoryContents"))) < 0)
        goto done;
    {
        /* Relative URLs of the template resolve against the uploaded files. */
        json_t *metadata = json_object_get(entity, "metadata");
        json_t *annotations = json_object_get(metadata, "annotations");
        char *location = gr_xasprintf("file:%s/template.yaml", contents_dir);

        if (!json_is_object(annotations)) {
            annotations = json_object();
            json_object_set_new(metadata, "annotations", annotations);
        }
        json_object_set_new(annotations, GR_SCAFFOLDER_LOCATION_ANNOTATION, json_string(location));
        free(location);
    }
    user = gr_scaffolder_request_user(plugin, req);
    spec = gr_scaffolder_task_spec(entity, values, user);
    gr_scaffolder_new_id(id);
    {
        gr_scaffolder_run_params params = {
            .task_id = id,
            .spec = spec,
            .secrets = json_object_get(body, "secrets"),
            .dry_run = true,
            .workspace = workspace,
            .sink = &sink,
            .timeout_ms = plugin->scaffolder->dry_run_timeout_ms,
            .timeout_setting = "scaffolder.dryRun.timeoutSeconds",
            .creator = gr_req_identity(req),
        };

        if ((rc = gr_scaffolder_run(plugin->scaffolder, &params, &result)) < 0)
            goto done;
    }
    /* A run stopped by a limit is the request's fault: 413 with the message naming the limit. */
    if (result.limit_exceeded) {
        rc = gr_error_set(GR_ELIMIT, "%s", result.error ? result.error : "a limit was exceeded");
        goto done;
    }
    {
        json_t *files = NULL;

        if ((rc = read_contents(workspace, &files)) < 0) {
            json_decref(files);
            goto done;
        }
        *out = json_pack("{s:O, s:o, s:O, s:O, s:s}", "log", log, "directoryContents", files,
                         "output", result.output, "steps", json_object_get(spec, "steps"), "status",
                         gr_task_result_name(result.status));
    }
done:
    gr_scaffolder_result_clear(&result);
    json_decref(entity);
    json_decref(log);
    json_decref(spec);
    json_decref(user);
    free(contents_dir);
    free(workspace);
    return rc;
}

/*
 * Sends 429 in Backstage's error body with a Retry-After header, for a dry
 * run beyond scaffolder.dryRun.concurrency.
 */
static int too_many_dry_runs(gr_scaffolder_plugin *plugin, gr_request *req, gr_response *res)
{
    char *message = gr_xasprintf("%d dry runs are running already, the limit of "
                                 "scaffolder.dryRun.concurrency; retry in %d seconds",
                                 plugin->dry_run_limit, DRY_RUN_RETRY_AFTER_S);
    char retry_after[16];
    char limit[16];
    json_t *body;
    int rc;

    snprintf(limit, sizeof(limit), "%d", plugin->dry_run_limit);
    gr_log_fields(GR_LOG_WARN, "scaffolder", "dry run rejected: too many at once", "path",
                  gr_req_path(req), "limit", limit, NULL);
    snprintf(retry_after, sizeof(retry_after), "%d", DRY_RUN_RETRY_AFTER_S);
    gr_res_header(res, "Retry-After", retry_after);
    body = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:i}}", "error", "name",
                     "TooManyRequestsError", "message", message, "request", "method",
                     gr_req_method(req), "url", "/v2/dry-run", "response", "statusCode", 429);
    rc = gr_res_json(res, 429, body);
    free(message);
    return rc;
}

/*
 * A dry run that runs on a job thread (gr_res_defer()), because a template
 * can run for up to scaffolder.dryRun.timeoutSeconds. It owns the request
 * body and one of the plugin's dry-run slots, which dry_run_free() releases.
 * `plugin` is borrowed, because the HTTP server stops and waits for every
 * job before the plugin is destroyed.
 */
typedef struct {
    gr_scaffolder_plugin *plugin;
    json_t *body;
} dry_run;

static void dry_run_free(void *payload)
{
    dry_run *job = payload;

    json_decref(job->body);
    atomic_fetch_sub(&job->plugin->dry_runs, 1);
    free(job);
}

/*
 * Runs the template in a fresh folder and sends its result, on a job thread.
 * run_dry() reads the caller's identity from `req`, which stays valid because
 * the request belongs to this thread until the job returns.
 */
static int dry_run_job(gr_request *req, gr_response *res, void *payload)
{
    const dry_run *job = payload;
    gr_scaffolder_plugin *plugin = job->plugin;
    char *root = gr_xasprintf("%s/dry-run-XXXXXX", plugin->scaffolder->work_dir);
    json_t *result = NULL;
    int rc;

    if (mkdtemp(root) == NULL) {
        rc = gr_error_set(GR_EBACKEND, "cannot create a dry-run folder");
    } else {
        rc = run_dry(plugin, req, job->body, root, &result);
        gr_scaffolder_rmtree(root);
    }
    free(root);
    if (rc == GR_EINVALID && result != NULL)
        return gr_res_json(res, 400, result);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    return gr_res_json(res, 200, result);
}

static int post_dry_run(gr_request *req, gr_response *res, void *payload)
{
    gr_scaffolder_plugin *plugin = payload;
    json_t *body = parse_body(req);
    dry_run *job;
    int rc;

    if (body == NULL)
        return GR_EINVALID;
    if (!json_is_object(json_object_get(body, "template"))) {
        json_decref(body);
        return gr_error_set(GR_EINVALID, "template must be a Template entity object");
    }
    if ((rc = gr_scaffolder_authorize_template(plugin, req, json_object_get(body, "template"))) <
            0 ||
        (rc = gr_scaffolder_mkdirs(plugin->scaffolder->work_dir)) < 0) {
        json_decref(body);
        return rc;
    }
    /* Each dry run occupies one of the job threads, which other slow requests share, so only a
     * few run at once. */
    if (atomic_fetch_add(&plugin->dry_runs, 1) >= plugin->dry_run_limit) {
        atomic_fetch_sub(&plugin->dry_runs, 1);
        json_decref(body);
        return too_many_dry_runs(plugin, req, res);
    }
    job = gr_xcalloc(1, sizeof(*job));
    job->plugin = plugin;
    job->body = body;
    return gr_res_defer(res, dry_run_job, job, dry_run_free);
}

int gr_scaffolder_api_register(gr_scaffolder_plugin *plugin)
{
    /* Patterns are relative to the plugin's mount point, /api/scaffolder. */
    const struct {
        const char *method;
        const char *pattern;
        gr_plugin_handler handler;
    } routes[] = {
        {"GET", "/v2/templates/:namespace/:kind/:name/parameter-schema", get_parameter_schema},
        {"GET", "/v2/actions", get_actions},
        {"POST", "/v2/tasks", post_task},
        {"GET", "/v2/tasks", get_tasks},
        {"GET", "/v2/tasks/:taskId", get_task},
        {"GET", "/v2/tasks/:taskId/eventstream", get_event_stream},
        {"GET", "/v2/tasks/:taskId/events", get_events},
        {"POST", "/v2/tasks/:taskId/cancel", post_cancel},
        {"POST", "/v2/tasks/:taskId/retry", post_retry},
        {"POST", "/v2/dry-run", post_dry_run},
    };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(routes) / sizeof(routes[0]); i++)
        rc = plugin->api->route(plugin->ctx, routes[i].method, routes[i].pattern, 0,
                                routes[i].handler, plugin);
    return rc;
}
