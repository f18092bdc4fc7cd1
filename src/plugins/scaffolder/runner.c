/* SPDX-License-Identifier: MIT */
/* Running a task spec: steps in order with `if` and `each`, a workspace, events and the output. */
#include "plugins/scaffolder/runner.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/scaffolder/ctx.h"
#include "plugins/scaffolder/jsonschema.h"
#include "plugins/scaffolder/mask.h"
#include "plugins/scaffolder/workspace.h"

const char *gr_task_result_name(gr_task_result result)
{
    switch (result) {
    case GR_TASK_COMPLETED:
        return "completed";
    case GR_TASK_FAILED:
        return "failed";
    case GR_TASK_CANCELLED:
        return "cancelled";
    }
    return "failed";
}

void gr_scaffolder_result_clear(gr_scaffolder_result *result)
{
    if (result == NULL)
        return;
    json_decref(result->output);
    json_decref(result->steps);
    free(result->error);
    memset(result, 0, sizeof(*result));
}

int64_t gr_scaffolder__now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Masks and sends an event without checking the event limit. */
static void send_event(gr_run_state *run, const char *type, json_t *body)
{
    json_t *masked;

    run->events++;
    masked = gr_scaffolder_mask_json(run->mask, body);
    if (run->params->sink != NULL && run->params->sink->event != NULL)
        run->params->sink->event(run->params->sink->payload, type, masked);
    json_decref(masked);
}

void gr_scaffolder__emit(gr_run_state *run, const char *type, json_t *body)
{
    /* Ordinary log lines stop one event short of the limit, so the notice of dropped lines fits. */
    if (strcmp(type, "log") == 0 && run->events >= GR_SCAFFOLDER_MAX_EVENTS - 1) {
        run->dropped_events++;
        return;
    }
    send_event(run, type, body);
}

/* Logs how many lines were dropped, as the run's last log event. */
static void log_dropped_lines(gr_run_state *run)
{
    char *message;
    json_t *body;

    if (run->dropped_events == 0)
        return;
    message = gr_xasprintf(
        "%zu log %s dropped because a task keeps at most %d log events", run->dropped_events,
        run->dropped_events == 1 ? "line was" : "lines were", GR_SCAFFOLDER_MAX_EVENTS);
    body = json_pack("{s:s}", "message", message);
    send_event(run, "log", body);
    json_decref(body);
    free(message);
}

void gr_scaffolder__log(gr_run_state *run, const char *step_id, const char *status, const char *fmt,
                        ...)
{
    gr_buf message = GR_BUF_INIT;
    json_t *body;
    va_list args;

    va_start(args, fmt);
    gr_buf_vprintf(&message, fmt, args);
    va_end(args);
    if (message.len > GR_SCAFFOLDER_MAX_LOG_BYTES) {
        size_t cut = GR_SCAFFOLDER_MAX_LOG_BYTES;

        while (cut > 0 && ((unsigned char)message.data[cut] & 0xc0) == 0x80)
            cut--;
        message.data[cut] = '\0';
        message.len = cut;
        gr_buf_puts(&message, " ... (cut)");
    }
    body = json_pack("{s:s}", "message", gr_buf_cstr(&message));
    if (body == NULL) /* invalid UTF-8 from a tool: keep the event, lose the text */
        body = json_pack("{s:s}", "message", "(log line is not valid UTF-8)");
    if (step_id != NULL)
        json_object_set_new(body, "stepId", json_string(step_id));
    if (status != NULL)
        json_object_set_new(body, "status", json_string(status));
    gr_scaffolder__emit(run, "log", body);
    json_decref(body);
    gr_buf_free(&message);
}

bool gr_scaffolder__stopping(gr_run_state *run)
{
    const gr_scaffolder_sink *sink = run->params->sink;

    if (run->cancelled || run->timed_out)
        return true;
    if (gr_scaffolder__now_ms() > run->deadline_ms) {
        run->timed_out = true;
        return true;
    }
    if (sink != NULL && sink->cancelled != NULL && sink->cancelled(sink->payload))
        run->cancelled = true;
    return run->cancelled;
}

/* JavaScript truthiness of a rendered value (NULL is undefined). */
static bool is_truthy(const json_t *value)
{
    if (value == NULL || json_is_null(value) || json_is_false(value))
        return false;
    if (json_is_string(value))
        return json_string_length(value) > 0;
    if (json_is_number(value))
        return json_number_value(value) != 0;
    return true;
}

/* An example output from an action's output schema, for steps a dry run skips. */
static json_t *example_output(const json_t *schema, int depth)
{
    json_t *examples = json_object_get(schema, "examples");
    const char *type = json_string_value(json_object_get(schema, "type"));

    if (json_is_array(examples) && json_array_size(examples) > 0)
        return json_deep_copy(json_array_get(examples, 0));
    if (type == NULL || depth > 16)
        return json_string("<unknown>");
    if (strcmp(type, "object") == 0) {
        json_t *out = json_object();
        const char *key;
        json_t *property;

        json_object_foreach(json_object_get(schema, "properties"), key, property)
            json_object_set_new(out, key, example_output(property, depth + 1));
        return out;
    }
    if (strcmp(type, "array") == 0) {
        json_t *items = json_object_get(schema, "items");

        return items ? json_pack("[o]", example_output(items, depth + 1)) : json_array();
    }
    if (strcmp(type, "string") == 0)
        return json_string("<example>");
    if (strcmp(type, "number") == 0 || strcmp(type, "integer") == 0)
        return json_integer(0);
    if (strcmp(type, "boolean") == 0)
        return json_false();
    return json_string("<unknown>");
}

/*
 * Renders `value` (may be NULL) into *out, NULL when it renders to nothing.
 * A template error that leaves no value goes to the run's log. Only an
 * exhausted template budget fails the call, with GR_ELIMIT.
 */
static int render(gr_run_state *run, json_t *value, json_t **out)
{
    *out = NULL;
    if (value == NULL)
        return 0;
    if (gr_tmpl_render_value_budget(run->services->engine, value, run->context, &run->budget,
                                    out) == 0)
        return 0;
    *out = NULL;
    if (run->budget.exhausted)
        return GR_ELIMIT;
    gr_scaffolder__log(run, run->step_id, NULL, "Template error: %s", gr_error_last());
    return 0;
}

/* Shows a template error whose value keeps its text in the run's log, not only the server's. */
static void log_kept_error(void *payload, const char *message)
{
    gr_run_state *run = payload;

    gr_scaffolder__log(run, run->step_id, NULL, "Template error, the value keeps its text: %s",
                       message);
}

/* Sets the error of a run that was cancelled or ran out of time. */
static int stop_error(gr_run_state *run)
{
    if (run->cancelled)
        return gr_error_set(GR_ELIMIT, "the task was cancelled");
    return gr_error_set(GR_ELIMIT, "the run reached its time limit of %lld seconds (%s)",
                        (long long)(run->params->timeout_ms > 0 ? run->params->timeout_ms
                                                                : run->services->timeout_ms) /
                            1000,
                        run->budget.deadline_setting);
}

/* Runs the action of one iteration of a step. */
static int run_action(gr_run_state *run, const gr_scaffolder_action *action, const char *step_id,
                      json_t *input, json_t *step_output, bool each)
{
    const json_t *schema = gr_scaffolder_actions_input_schema(run->services->actions, action->id);
    gr_scaffolder_ctx ctx = {
        .run = run,
        .action = action,
        .input = input,
        .output = step_output,
        .step_id = step_id,
        .each = each,
    };
    json_t *errors;
    int rc;

    if (schema != NULL) {
        errors = json_array();
        if (gr_jsonschema_validate(schema, input, errors) > 0) {
            char *text = gr_jsonschema_errors_text(errors);

            rc = gr_error_set(GR_EINVALID, "Invalid input passed to action %s, %s", action->id,
                              text);
            free(text);
            json_decref(errors);
            return rc;
        }
        json_decref(errors);
    }
    run->workspace_used = gr_scaffolder_tree_bytes(run->workspace);
    gr_error_clear();
    rc = action->run(&ctx, action->payload);
    if (rc < 0 && gr_error_last()[0] == '\0')
        gr_error_set(rc, "action %s failed", action->id);
    if (rc == 0 && gr_scaffolder_tree_bytes(run->workspace) > run->services->workspace_bytes)
        rc = gr_error_set(GR_ELIMIT, "the workspace grew past the limit of %lld bytes",
                          (long long)run->services->workspace_bytes);
    return rc;
}

/* Returns the items of a step's `each` as a list of [key, value] pairs. */
static int each_items(gr_run_state *run, const json_t *step, json_t **out)
{
    json_t *each = json_object_get(step, "each");
    json_t *value = NULL;
    json_t *items;
    int rc;

    *out = NULL;
    if (!json_is_string(each))
        value = json_incref(each);
    else if ((rc = render(run, each, &value)) < 0)
        return rc;
    items = json_array();
    if (json_is_array(value)) {
        size_t index;
        json_t *item;

        json_array_foreach(value, index, item)
        {
            char key[32];

            snprintf(key, sizeof(key), "%zu", index);
            json_array_append_new(items, json_pack("[s,O]", key, item));
        }
    } else if (json_is_object(value)) {
        const char *key;
        json_t *item;

        json_object_foreach(value, key, item)
            json_array_append_new(items, json_pack("[s,O]", key, item));
    } else {
        json_decref(value);
        json_decref(items);
        return gr_error_set(GR_EINVALID, "each must render to a list or an object");
    }
    json_decref(value);
    if (json_array_size(items) > GR_SCAFFOLDER_MAX_EACH) {
        size_t count = json_array_size(items);

        json_decref(items);
        return gr_error_set(GR_ELIMIT, "each has %zu items, more than the limit of %d", count,
                            GR_SCAFFOLDER_MAX_EACH);
    }
    *out = items;
    return 0;
}

/* Runs every iteration of one step. Fills step_output. */
static int run_iterations(gr_run_state *run, const json_t *step, const gr_scaffolder_action *action,
                          const char *step_id, json_t *step_output)
{
    bool has_each = json_object_get(step, "each") != NULL;
    json_t *items = NULL;
    int rc = 0;

    if (has_each && (rc = each_items(run, step, &items)) < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < (has_each ? json_array_size(items) : 1); i++) {
        json_t *input;

        if (has_each) {
            json_t *pair = json_array_get(items, i);
            json_t *binding = json_pack("{s:O, s:O}", "key", json_array_get(pair, 0), "value",
                                        json_array_get(pair, 1));
            char *text = json_dumps(binding, JSON_COMPACT | JSON_SORT_KEYS);

            json_object_set_new(run->context, "each", binding);
            gr_scaffolder__log(run, step_id, NULL, "Running step each: %s", text ? text : "");
            free(text);
        }
        if ((rc = render(run, json_object_get(step, "input"), &input)) < 0)
            break;
        if (input == NULL)
            input = json_object();
        rc = run_action(run, action, step_id, input, step_output, has_each);
        json_decref(input);
        if (rc == 0 && gr_scaffolder__stopping(run))
            rc = stop_error(run);
    }
    json_object_del(run->context, "each");
    json_decref(items);
    return rc;
}

static void set_step_status(gr_run_state *run, const char *step_id, const char *status)
{
    json_object_set_new(run->result->steps, step_id, json_string(status));
}

/*
 * Logs the step's input as a dry run shows it, rendered with every secret
 * replaced by "[REDACTED]", as Backstage's dry run does before it runs or
 * skips the action.
 */
static int log_dry_run_input(gr_run_state *run, const json_t *step, const char *action_id)
{
    json_t *secrets = json_incref(json_object_get(run->context, "secrets"));
    json_t *redacted = json_object();
    const char *key;
    json_t *value;
    json_t *input = NULL;
    char *text;
    int rc;

    json_object_foreach(secrets, key, value)
        json_object_set_new(redacted, key, json_string("[REDACTED]"));
    json_object_set_new(run->context, "secrets", redacted);
    rc = render(run, json_object_get(step, "input"), &input);
    text = input ? json_dumps(input, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : gr_xstrdup("{}");
    gr_scaffolder__log(run, json_string_value(json_object_get(step, "id")), NULL,
                       "Running %s in dry-run mode with inputs (secrets redacted): %s", action_id,
                       text ? text : "{}");
    if (secrets != NULL)
        json_object_set_new(run->context, "secrets", secrets);
    else
        json_object_del(run->context, "secrets");
    free(text);
    json_decref(input);
    return rc;
}

/* Marks a step failed with the current error, logs it and returns `rc`. */
static int fail_step(gr_run_state *run, const char *step_id, const char *name, int rc,
                     json_t *step_output)
{
    char *message = gr_xstrdup(gr_error_last());

    gr_scaffolder__log(run, step_id, "failed", "%s", message);
    set_step_status(run, step_id, "failed");
    gr_error_set(rc, "step '%s' (%s) failed: %s", step_id, name, message);
    free(message);
    json_decref(step_output);
    return rc;
}

/* Runs one step. Returns 0 when it completed or was skipped. */
static int run_step(gr_run_state *run, const json_t *step)
{
    const char *step_id = json_string_value(json_object_get(step, "id"));
    const char *name = json_string_value(json_object_get(step, "name"));
    const char *action_id = json_string_value(json_object_get(step, "action"));
    const gr_scaffolder_action *action =
        gr_scaffolder_actions_find(run->services->actions, action_id);
    json_t *condition = json_object_get(step, "if");
    json_t *step_output = json_object();
    json_t *steps = json_object_get(run->context, "steps");
    int rc = 0;

    run->step_id = step_id;
    if (condition != NULL) {
        json_t *value = NULL;
        bool run_it;

        if (!json_is_string(condition))
            value = json_incref(condition);
        else if ((rc = render(run, condition, &value)) < 0)
            return fail_step(run, step_id, name, rc, step_output);
        run_it = is_truthy(value);
        json_decref(value);
        if (!run_it) {
            gr_scaffolder__log(run, step_id, "skipped",
                               "Skipping step %s because its if condition was false", step_id);
            set_step_status(run, step_id, "skipped");
            json_decref(step_output);
            return 0;
        }
    }
    gr_scaffolder__log(run, step_id, "processing", "Beginning step %s", name);
    set_step_status(run, step_id, "processing");

    if (run->params->dry_run && (rc = log_dry_run_input(run, step, action->id)) < 0)
        return fail_step(run, step_id, name, rc, step_output);
    if (run->params->dry_run && !action->supports_dry_run) {
        const json_t *schema = NULL;

        gr_scaffolder__log(run, step_id, NULL, "Skipping because %s does not support dry-run",
                           action->id);
        schema = gr_scaffolder_actions_output_schema(run->services->actions, action->id);
        json_decref(step_output);
        step_output = schema ? example_output(schema, 0) : json_object();
    } else {
        rc = run_iterations(run, step, action, step_id, step_output);
    }
    if (rc < 0)
        return fail_step(run, step_id, name, rc, step_output);
    json_object_set_new(steps, step_id, json_pack("{s:o}", "output", step_output));
    gr_scaffolder__log(run, step_id, "completed", "Finished step %s", name);
    set_step_status(run, step_id, "completed");
    return 0;
}

/* Finds the first step whose action is not installed. */
static int check_actions(gr_run_state *run, const json_t *steps)
{
    size_t index;
    json_t *step;

    json_array_foreach(steps, index, step)
    {
        const char *action_id = json_string_value(json_object_get(step, "action"));
        const char *step_id = json_string_value(json_object_get(step, "id"));
        const char *name = json_string_value(json_object_get(step, "name"));

        if (gr_scaffolder_actions_find(run->services->actions, action_id) != NULL)
            continue;
        gr_error_set(GR_ENOTFOUND, "step '%s' (%s): action '%s' is not installed",
                     step_id ? step_id : "?", name ? name : "?", action_id ? action_id : "");
        gr_scaffolder__log(run, step_id, "failed", "%s", gr_error_last());
        if (step_id != NULL)
            set_step_status(run, step_id, "failed");
        return GR_ENOTFOUND;
    }
    return 0;
}

static json_t *object_or_empty(json_t *value)
{
    return json_is_object(value) ? json_incref(value) : json_object();
}

static json_t *make_context(const gr_scaffolder_run_params *params)
{
    json_t *spec = (json_t *)params->spec;
    json_t *info = json_object_get(spec, "templateInfo");

    return json_pack("{s:o, s:{}, s:o, s:o, s:{s:{s:s}}, s:o}", "parameters",
                     object_or_empty(json_object_get(spec, "parameters")), "steps", "secrets",
                     object_or_empty((json_t *)params->secrets), "user",
                     object_or_empty(json_object_get(spec, "user")), "context", "task", "id",
                     params->task_id ? params->task_id : "", "templateInfo",
                     info ? json_incref(info) : json_null());
}

static int make_workspace(gr_run_state *run)
{
    int rc;

    if (run->params->workspace != NULL) {
        run->workspace = realpath(run->params->workspace, NULL);
        if (run->workspace == NULL)
            return gr_error_set(GR_EBACKEND, "workspace %s: %s", run->params->workspace,
                                strerror(errno));
        return 0;
    }
    if ((rc = gr_scaffolder_mkdirs(run->services->work_dir)) < 0)
        return rc;
    {
        char *base = realpath(run->services->work_dir, NULL);

        if (base == NULL)
            return gr_error_set(GR_EBACKEND, "working directory %s: %s", run->services->work_dir,
                                strerror(errno));
        run->workspace = gr_xasprintf("%s/%s", base, run->params->task_id);
        free(base);
    }
    gr_scaffolder_rmtree(run->workspace);
    if (mkdir(run->workspace, 0700) != 0)
        return gr_error_set(GR_EBACKEND, "cannot create workspace %s: %s", run->workspace,
                            strerror(errno));
    run->own_workspace = true;
    return 0;
}

static void finish(gr_run_state *run, int rc)
{
    gr_scaffolder_result *result = run->result;
    json_t *body;
    char message[64];

    run->step_id = NULL;
    if (rc == 0) {
        json_t *output = NULL;
        char *text;

        rc = render(run, json_object_get(run->params->spec, "output"), &output);
        text = output ? json_dumps(output, JSON_COMPACT) : NULL;
        if (rc == 0 && text != NULL && strlen(text) > GR_SCAFFOLDER_MAX_OUTPUT_BYTES)
            rc = gr_error_set(GR_ELIMIT, "the template output is larger than %d bytes",
                              GR_SCAFFOLDER_MAX_OUTPUT_BYTES);
        else if (output != NULL)
            result->output = gr_scaffolder_mask_json(run->mask, output);
        free(text);
        json_decref(output);
    }
    /* The notice comes after the output, because rendering the output can log template errors. */
    log_dropped_lines(run);
    if (rc == 0) {
        result->status = GR_TASK_COMPLETED;
    } else if (run->cancelled) {
        result->status = GR_TASK_CANCELLED;
    } else {
        char *masked = gr_scaffolder_mask_text(run->mask, gr_error_last());

        result->status = GR_TASK_FAILED;
        result->error = masked;
        result->limit_exceeded = run->budget.exhausted || run->timed_out;
    }
    if (result->output == NULL)
        result->output = json_object();

    if (result->status == GR_TASK_CANCELLED) {
        body = json_pack("{s:s}", "message", "Run was cancelled");
        gr_scaffolder__emit(run, "cancelled", body);
        json_decref(body);
        return;
    }
    snprintf(message, sizeof(message), "Run completed with status: %s",
             gr_task_result_name(result->status));
    body = json_pack("{s:s, s:O}", "message", message, "output", result->output);
    if (result->error != NULL)
        json_object_set_new(body, "error",
                            json_pack("{s:s, s:s}", "name", "Error", "message", result->error));
    gr_scaffolder__emit(run, "completion", body);
    json_decref(body);
}

int gr_scaffolder_run(gr_scaffolder *scaffolder, const gr_scaffolder_run_params *params,
                      gr_scaffolder_result *out)
{
    gr_run_state run = {.services = scaffolder, .params = params, .result = out};
    json_t *steps = json_object_get(params->spec, "steps");
    json_t *tokens;
    size_t index;
    json_t *step;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = make_workspace(&run)) < 0) {
        free(run.workspace);
        return rc;
    }
    out->steps = json_object();
    json_array_foreach(steps, index, step)
    {
        const char *step_id = json_string_value(json_object_get(step, "id"));

        if (step_id != NULL)
            json_object_set_new(out->steps, step_id, json_string("open"));
    }
    run.mask = gr_scaffolder_mask_new();
    gr_scaffolder_mask_add_json(run.mask, params->secrets);
    tokens = gr_scaffolder_tokens(scaffolder);
    gr_scaffolder_mask_add_json(run.mask, tokens);
    json_decref(tokens);
    run.context = make_context(params);
    run.deadline_ms = gr_scaffolder__now_ms() +
                      (params->timeout_ms > 0 ? params->timeout_ms : scaffolder->timeout_ms);
    run.budget = (gr_tmpl_budget){
        .iterations_left = scaffolder->template_iterations,
        .iterations_total = scaffolder->template_iterations,
        .deadline_ms = run.deadline_ms,
        .iterations_setting = "scaffolder.limits.templateIterations",
        .deadline_setting =
            params->timeout_setting ? params->timeout_setting : "scaffolder.taskTimeoutSeconds",
        .on_kept_error = log_kept_error,
        .payload = &run,
    };

    rc = check_actions(&run, steps);
    json_array_foreach(steps, index, step)
    {
        if (rc < 0)
            break;
        if (gr_scaffolder__stopping(&run)) {
            rc = stop_error(&run);
            break;
        }
        rc = run_step(&run, step);
    }
    finish(&run, rc);

    if (run.own_workspace && gr_scaffolder_rmtree(run.workspace) < 0)
        gr_warn("scaffolder", "task %s: removing workspace %s failed: %s",
                params->task_id ? params->task_id : "", run.workspace, gr_error_last());
    gr_scaffolder_mask_free(run.mask);
    json_decref(run.context);
    free(run.workspace);
    return 0;
}
