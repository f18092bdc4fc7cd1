/* SPDX-License-Identifier: MIT */
/* Scaffolder actions: the registry, and the context an action runs in. */
#ifndef GR_SCAFFOLDER_ACTION_H
#define GR_SCAFFOLDER_ACTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "host/auth/identity.h"
#include "plugins/scaffolder/template/template.h"

/*
 * An action is one step kind of a template (`action: fetch:template`). It
 * reads its rendered input, works inside the task's workspace, writes log
 * lines and sets named outputs that later steps read as
 * `${{ steps.<id>.output.<name> }}`. Built-in actions and actions from other
 * plugins are registered the same way, with gr_scaffolder_actions_add().
 */

typedef struct gr_scaffolder_actions gr_scaffolder_actions;
typedef struct gr_scaffolder_ctx gr_scaffolder_ctx;
typedef struct gr_scaffolder gr_scaffolder;

/**
 * Runs an action. Returns 0, or a negative GR_E* code after gr_error_set():
 * the message becomes the step's failure. Runs on a task worker thread;
 * several actions (of different tasks) run at once.
 */
typedef int (*gr_scaffolder_action_fn)(gr_scaffolder_ctx *ctx, void *payload);

/** An action definition. Strings are static data or outlive the registry. */
typedef struct {
    const char *id;            /* "fetch:template" */
    const char *description;   /* one or two sentences, listed by GET /v2/actions */
    const char *input_schema;  /* JSON Schema of the input, as JSON text; NULL for none */
    const char *output_schema; /* JSON Schema of the output, as JSON text; NULL for none */
    /* The action changes nothing outside the workspace, so a dry run may run it. */
    bool supports_dry_run;
    gr_scaffolder_action_fn run;
    void *payload; /* borrowed, passed to run */
} gr_scaffolder_action;

/** Maximum number of registered actions. */
#define GR_SCAFFOLDER_MAX_ACTIONS 256

/** Creates an empty registry. Caller frees with gr_scaffolder_actions_free(). */
gr_scaffolder_actions *gr_scaffolder_actions_new(void);

/** Frees a registry. NULL-safe. */
void gr_scaffolder_actions_free(gr_scaffolder_actions *actions);

/**
 * Adds an action; `action` is copied, its strings are borrowed. Returns 0;
 * GR_EINVALID when the id is empty, contains white space, or a schema is not
 * a JSON object; GR_ECONFLICT when the id is taken; GR_ELIMIT past
 * GR_SCAFFOLDER_MAX_ACTIONS. Not thread-safe: add actions before tasks run.
 */
int gr_scaffolder_actions_add(gr_scaffolder_actions *actions, const gr_scaffolder_action *action);

/** Finds an action by id (borrowed), or NULL. Thread-safe after registration. */
const gr_scaffolder_action *gr_scaffolder_actions_find(const gr_scaffolder_actions *actions,
                                                       const char *id);

/** Returns the parsed input schema of an action (borrowed), or NULL. */
const json_t *gr_scaffolder_actions_input_schema(const gr_scaffolder_actions *actions,
                                                 const char *id);

/** Returns the parsed output schema of an action (borrowed), or NULL. */
const json_t *gr_scaffolder_actions_output_schema(const gr_scaffolder_actions *actions,
                                                  const char *id);

/**
 * Lists every action as GET /api/scaffolder/v2/actions returns them:
 * [{id, description, examples: [], schema: {input, output}}], ordered by
 * id. Returns a new reference.
 */
json_t *gr_scaffolder_actions_list(const gr_scaffolder_actions *actions);

/** Adds the built-in actions. Returns 0 or the first error of gr_scaffolder_actions_add(). */
int gr_scaffolder_actions_add_builtin(gr_scaffolder_actions *actions);

/*
 * The context of one action run. Every pointer it returns is borrowed and
 * valid until the action returns.
 */

/** Returns the rendered input object (never NULL; {} without input). */
json_t *gr_scaffolder_ctx_input(gr_scaffolder_ctx *ctx);

/** Returns the string input `name`, or `fallback` when absent or not a string. */
const char *gr_scaffolder_ctx_string(gr_scaffolder_ctx *ctx, const char *name,
                                     const char *fallback);

/** Returns the boolean input `name`, or `fallback` when absent or not a boolean. */
bool gr_scaffolder_ctx_bool(gr_scaffolder_ctx *ctx, const char *name, bool fallback);

/** Returns the absolute path of the task's workspace folder. */
const char *gr_scaffolder_ctx_workspace(const gr_scaffolder_ctx *ctx);

/** Returns the id of the task and of the running step. */
const char *gr_scaffolder_ctx_task_id(const gr_scaffolder_ctx *ctx);
const char *gr_scaffolder_ctx_step_id(const gr_scaffolder_ctx *ctx);

/** Returns whether the task is a dry run. */
bool gr_scaffolder_ctx_dry_run(const gr_scaffolder_ctx *ctx);

/** Returns the task's secrets object (never NULL). */
const json_t *gr_scaffolder_ctx_secrets(const gr_scaffolder_ctx *ctx);

/** Returns the template's info: {entityRef, baseUrl} (never NULL). */
const json_t *gr_scaffolder_ctx_template_info(const gr_scaffolder_ctx *ctx);

/** Returns the user who started the task: {ref, entity?} (never NULL). */
const json_t *gr_scaffolder_ctx_user(const gr_scaffolder_ctx *ctx);

/**
 * Returns the identity of the task's creator (borrowed), whose permissions
 * decide what the step may read from the catalog; NULL when the run has none.
 */
const gr_identity *gr_scaffolder_ctx_creator(const gr_scaffolder_ctx *ctx);

/** Returns the scaffolder services (integrations, catalog, settings). */
const gr_scaffolder *gr_scaffolder_ctx_services(const gr_scaffolder_ctx *ctx);

/**
 * Returns the template budget of the run (borrowed), which an action that
 * renders templates passes to the gr_tmpl_*_budget() calls.
 */
gr_tmpl_budget *gr_scaffolder_ctx_budget(gr_scaffolder_ctx *ctx);

/**
 * Writes a log line of the step. Secrets of the task and integration tokens
 * are masked before the line is stored or shown.
 */
void gr_scaffolder_ctx_log(gr_scaffolder_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Sets output `name` of the step, stealing `value`. In a step with `each`,
 * the values of the iterations are collected in an array. Returns 0, or
 * GR_ELIMIT when the step's output grows past GR_SCAFFOLDER_MAX_OUTPUT_BYTES.
 */
int gr_scaffolder_ctx_output(gr_scaffolder_ctx *ctx, const char *name, json_t *value);

/** Marks `value` as a secret, so that logs mask it from now on (a token the action uses). */
void gr_scaffolder_ctx_add_secret(gr_scaffolder_ctx *ctx, const char *value);

/**
 * Counts `bytes` about to be written to the workspace against its size
 * limit. Returns 0, or GR_ELIMIT when the workspace would grow past it.
 */
int gr_scaffolder_ctx_charge(gr_scaffolder_ctx *ctx, size_t bytes);

/** Returns true once the task was cancelled or ran out of time; long actions poll it. */
bool gr_scaffolder_ctx_stopping(gr_scaffolder_ctx *ctx);

/**
 * Resolves `relative` inside the workspace (see gr_scaffolder_path_resolve()).
 * Returns 0 and a caller-freed absolute path, or GR_EINVALID naming the input.
 */
int gr_scaffolder_ctx_path(gr_scaffolder_ctx *ctx, const char *relative, char **out);

#endif
