/* SPDX-License-Identifier: MIT */
/* Module-internal state of a running task, shared by the runner and the action context. */
#ifndef GR_SCAFFOLDER_CTX_H
#define GR_SCAFFOLDER_CTX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/scaffolder/mask.h"
#include "plugins/scaffolder/runner.h"

/** One run of gr_scaffolder_run(). */
typedef struct {
    gr_scaffolder *services;
    const gr_scaffolder_run_params *params;
    gr_scaffolder_result *result;
    gr_scaffolder_mask *mask;
    json_t *context; /* the template context */
    char *workspace; /* absolute path */
    bool own_workspace;
    int64_t deadline_ms;    /* monotonic clock */
    int64_t workspace_used; /* bytes, counted by gr_scaffolder_ctx_charge() */
    gr_tmpl_budget budget;  /* template work of the whole run */
    const char *step_id;    /* the step running now, for log lines; may be NULL */
    bool cancelled;
    bool timed_out;
    size_t events;
    size_t dropped_events;
} gr_run_state;

struct gr_scaffolder_ctx {
    gr_run_state *run;
    const gr_scaffolder_action *action;
    json_t *input;
    json_t *output; /* the step's output object */
    const char *step_id;
    bool each;
};

/** Returns the monotonic clock in milliseconds. */
int64_t gr_scaffolder__now_ms(void);

/**
 * Masks and sends an event. A log line that would be log event
 * GR_SCAFFOLDER_MAX_EVENTS or later is counted as dropped and not sent.
 */
void gr_scaffolder__emit(gr_run_state *run, const char *type, json_t *body);

/** Sends a log event; `step_id` and `status` may be NULL. */
void gr_scaffolder__log(gr_run_state *run, const char *step_id, const char *status, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

/** Returns true once the run is cancelled or out of time. */
bool gr_scaffolder__stopping(gr_run_state *run);

#endif
