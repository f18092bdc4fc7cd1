/* SPDX-License-Identifier: MIT */
/* Rendering a syntax tree, and the helpers that filters, tests and methods share. */
#ifndef GR_SCAFFOLDER_TEMPLATE_EVAL_H
#define GR_SCAFFOLDER_TEMPLATE_EVAL_H

#include "host/common/buf.h"
#include "plugins/scaffolder/template/ast.h"

/** Renders `tmpl` with `context` (borrowed), appending to `out`; `budget` may be NULL. */
int gr_tmpl__render(const gr_tmpl *tmpl, json_t *context, gr_tmpl_budget *budget, gr_buf *out);

/**
 * Sets "NAME:LINE:COL: MESSAGE" for an error at `node` of the template being
 * rendered and returns `code`.
 */
int gr_tmpl__error(gr_tmpl_eval *eval, const gr_node *node, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Prefixes the current error message with "NAME:LINE:COL: " and a formatted context. */
int gr_tmpl__error_wrap(gr_tmpl_eval *eval, const gr_node *node, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Returns the i-th argument after a filter's input (borrowed), or undefined. */
const gr_tv *gr_tmpl__arg(const gr_filter_call *call, size_t i);

/** Sets "NAME:LINE:COL: filter FILTER: MESSAGE" and returns GR_EINVALID. */
int gr_tmpl__filter_error(const gr_filter_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Returns the engine of the template being rendered (borrowed). */
const gr_tmpl_engine *gr_tmpl__engine(const gr_tmpl_eval *eval);

/**
 * Counts `count` iterations against GR_TMPL_MAX_ITERATIONS and the render's
 * budget, whose deadline it also checks; GR_ELIMIT when over.
 */
int gr_tmpl__count(gr_tmpl_eval *eval, const gr_node *node, size_t count);

/** Checks a string that is about to be built against GR_TMPL_MAX_OUTPUT. */
int gr_tmpl__check_length(gr_tmpl_eval *eval, const gr_node *node, size_t len);

/** JavaScript `target[key]` for JSON values: undefined when missing. */
gr_tv gr_tmpl__member(const gr_tv *target, const gr_tv *key);

/** `target[name]`, the same with a string key. */
gr_tv gr_tmpl__member_name(const gr_tv *target, const char *name);

/** Runs the test `name` (as in `value is name(args)`); GR_EINVALID when unknown. */
int gr_tmpl__test(gr_tmpl_eval *eval, const gr_node *node, const char *name, const gr_tv *value,
                  const gr_tv *args, size_t nargs, bool *result);

/**
 * Calls the JavaScript method `name` of a string, array or number value
 * (`"a,b".split(",")`). Sets `*found` to false, returning GR_OK, when the
 * value has no such method.
 */
int gr_tmpl__call_method(gr_tmpl_eval *eval, const gr_node *node, const gr_tv *target,
                         const char *name, const gr_tv *args, size_t nargs, gr_tv *out,
                         bool *found);

/** Calls a built-in or registered filter. */
int gr_tmpl__call_filter(gr_filter_call *call, const gr_tmpl_filter *filter, gr_tv *out);

/** Registers the built-in Nunjucks filters and Backstage's filters in a new engine. */
void gr_tmpl__add_builtin_filters(gr_tmpl_engine *engine);

/** Adds one built-in filter (used while creating an engine). */
void gr_tmpl__add_filter(gr_tmpl_engine *engine, const char *name, gr_builtin_filter_fn fn,
                         const char *rejected);

/** Registers parseRepoUrl, parseEntityRef, pick and projectSlug. */
void gr_tmpl__add_backstage_filters(gr_tmpl_engine *engine);

/** Registers `now`, which Roadie's hosted Backstage adds to Backstage's filters. */
void gr_tmpl__add_now_filter(gr_tmpl_engine *engine);

#endif
