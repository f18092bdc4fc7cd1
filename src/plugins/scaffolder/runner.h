/* SPDX-License-Identifier: MIT */
/* Running a task spec: steps in order with `if` and `each`, a workspace, events and the output. */
#ifndef GR_SCAFFOLDER_RUNNER_H
#define GR_SCAFFOLDER_RUNNER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "plugins/scaffolder/scaffolder.h"

/*
 * The runner follows Backstage's workflow runner for v1beta3 templates.
 * The template context is {parameters, steps: {<id>: {output}}, secrets,
 * user, context: {task: {id}}}, plus `each: {key, value}` inside a step
 * with `each`. Step inputs are rendered with `${{ }}` expressions; a step
 * whose `if` renders falsy is skipped. Before the first step every action
 * is looked up, so a template naming an action that is not installed fails
 * at once, before any step changed anything.
 *
 * Events (types as Backstage's): "log" with body {message, stepId?,
 * status?}, where status is processing, completed, failed or skipped;
 * then one "completion" event {message, output?, error?} or a "cancelled"
 * event. Every event body is masked: the task's secrets and every
 * integration token become "***".
 */

/** Final states of a task. */
typedef enum {
    GR_TASK_COMPLETED = 1,
    GR_TASK_FAILED = 2,
    GR_TASK_CANCELLED = 3,
} gr_task_result;

/** Where a run sends its events. */
typedef struct {
    /* Receives one event; `body` is borrowed. */
    void (*event)(void *payload, const char *type, json_t *body);
    /* Returns true once the task should stop. May be NULL. */
    bool (*cancelled)(void *payload);
    void *payload;
} gr_scaffolder_sink;

/** What to run. */
typedef struct {
    const char *task_id;
    const json_t *spec;    /* TaskSpecV1beta3, borrowed */
    const json_t *secrets; /* object, borrowed, may be NULL */
    bool dry_run;
    /* An existing folder to run in, kept afterwards (the CLI's -o, dry runs).
     * NULL: a fresh folder below the configured working directory, removed
     * when the run ends. */
    const char *workspace;
    const gr_scaffolder_sink *sink;
    int64_t timeout_ms; /* 0: scaffolder.taskTimeoutSeconds */
    /* Config key of timeout_ms, named in messages; NULL: scaffolder.taskTimeoutSeconds. */
    const char *timeout_setting;
    /* The task's creator, whose permissions decide what catalog:fetch may read (borrowed).
     * With NULL, an enabled permission policy denies every read. */
    const gr_identity *creator;
} gr_scaffolder_run_params;

/** The outcome of a run. Free with gr_scaffolder_result_clear(). */
typedef struct {
    gr_task_result status;
    json_t *output; /* rendered spec.output, masked; {} when none */
    json_t *steps;  /* {<step id>: "completed" | "failed" | "skipped" | "open"} */
    char *error;    /* the failure, masked; NULL unless failed */
    bool limit_exceeded; /* failed on the template budget or the time limit */
} gr_scaffolder_result;

/**
 * Runs a task to its end on the calling thread. Returns 0 with the outcome
 * in *out (completed, failed or cancelled, each also sent as events), or an
 * error code when the run could not start at all (the workspace cannot be
 * made), with nothing in *out.
 */
int gr_scaffolder_run(gr_scaffolder *scaffolder, const gr_scaffolder_run_params *params,
                      gr_scaffolder_result *out);

void gr_scaffolder_result_clear(gr_scaffolder_result *result);

/** Returns "completed", "failed" or "cancelled". */
const char *gr_task_result_name(gr_task_result result);

#endif
