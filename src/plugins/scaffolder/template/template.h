/* SPDX-License-Identifier: MIT */
/* The scaffolder's template engine: Nunjucks-compatible templates over JSON values. */
#ifndef GR_SCAFFOLDER_TEMPLATE_TEMPLATE_H
#define GR_SCAFFOLDER_TEMPLATE_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Templates follow Nunjucks 3.2 as Backstage's scaffolder configures it
 * (autoescape off). A template is compiled once to a syntax tree and can be
 * rendered many times, from several threads at once: a compiled template is
 * read-only while rendering. Templates cannot run code, read files or loop
 * without bound; the limits below stop a render with GR_ELIMIT.
 *
 * Every error message starts with "NAME:LINE:COLUMN: " (from 1), naming the
 * template and the place of the tag or expression at fault.
 */

/** Maximum template source size, in bytes. */
#define GR_TMPL_MAX_SOURCE (4u * 1024 * 1024)
/** Maximum rendered output of one render, in bytes; also caps any string built meanwhile. */
#define GR_TMPL_MAX_OUTPUT (16u * 1024 * 1024)
/** Maximum loop iterations and generated list items (range, batch...) in one render. */
#define GR_TMPL_MAX_ITERATIONS 1000000u
/** Maximum nesting of tags and of expressions (brackets, calls, filters) in a template. */
#define GR_TMPL_MAX_DEPTH 100
/** Maximum depth of nested arrays and objects that a filter walks (dump, sort...). */
#define GR_TMPL_MAX_VALUE_DEPTH 256

/** Number of counted iterations between two reads of the clock for a budget's deadline. */
#define GR_TMPL_CLOCK_CHECK_ITERATIONS 4096u

typedef struct gr_tmpl_engine gr_tmpl_engine;

/**
 * A limit on the work of several renders together, such as every render of
 * one task run. A render that uses a budget fails with GR_ELIMIT once the
 * budget's iterations are used up or its deadline has passed, and marks the
 * budget exhausted. gr_tmpl_render_value() then fails too, where it keeps
 * the text of other template errors. One budget serves one thread at a time.
 */
typedef struct {
    uint64_t iterations_left;       /* loop iterations and generated items still allowed */
    uint64_t iterations_total;      /* the budget's size, for messages */
    int64_t deadline_ms;            /* CLOCK_MONOTONIC milliseconds; 0 for no deadline */
    const char *iterations_setting; /* config key of the size, named in messages; may be NULL */
    const char *deadline_setting; /* config key of the time limit, named in messages; may be NULL */
    bool exhausted;
    /* Receives each template error that gr_tmpl_render_value() keeps the text for; may be NULL. */
    void (*on_kept_error)(void *payload, const char *message);
    void *payload;
} gr_tmpl_budget;
typedef struct gr_tmpl gr_tmpl;

/** The delimiters of `{{ output }}` tags. Block `{% %}` and comment `{# #}` tags never change. */
typedef enum {
    /* `${{ expr }}`: template.yaml values and fetch:template skeleton files (the default). */
    GR_TMPL_DELIMITERS_BACKSTAGE,
    /* `{{ expr }}`: plain Nunjucks, and Backstage's cookiecutter compatibility mode. */
    GR_TMPL_DELIMITERS_NUNJUCKS,
} gr_tmpl_delimiters;

typedef struct {
    gr_tmpl_delimiters delimiters;
    /* Nunjucks trimBlocks: drop the first newline after a block tag. */
    bool trim_blocks;
    /* Nunjucks lstripBlocks: drop spaces and tabs before a block tag at a line start. */
    bool lstrip_blocks;
    /* Nunjucks throwOnUndefined: printing undefined or null is an error. */
    bool throw_on_undefined;
    /* gr_tmpl_render_value() fails on a template error, where Backstage keeps the text. */
    bool strict_values;
} gr_tmpl_options;

/**
 * A filter added by a plugin: `value | name(args...)`. `value` and `args[i]`
 * are borrowed and may be NULL for an undefined value; keyword arguments
 * arrive as one trailing JSON object. Stores a new reference in `*out`, or
 * NULL for undefined, and returns GR_OK; on failure sets a message with
 * gr_error_set() and returns its code. Called from rendering threads.
 */
typedef int (*gr_tmpl_filter_fn)(void *payload, json_t *value, json_t *const *args, size_t nargs,
                                 json_t **out);

/**
 * Creates an engine with Nunjucks' built-in filters, Backstage's
 * parseRepoUrl, parseEntityRef, pick and projectSlug, and the `now` filter
 * that Roadie's hosted Backstage adds. `options` may be NULL
 * for the Backstage delimiters with every flag off. Caller frees with
 * gr_tmpl_engine_free(), after every template compiled with it.
 */
gr_tmpl_engine *gr_tmpl_engine_new(const gr_tmpl_options *options);

void gr_tmpl_engine_free(gr_tmpl_engine *engine);

/**
 * Adds or replaces the filter `name`. Templates compiled earlier keep the
 * filter they had. Not thread-safe: register filters before compiling.
 * Returns GR_EINVALID when `name` is not a valid filter name.
 */
int gr_tmpl_register_filter(gr_tmpl_engine *engine, const char *name, gr_tmpl_filter_fn fn,
                            void *payload);

/**
 * Sets the SCM integrations that parseRepoUrl and projectSlug know, as a JSON
 * object from host to type ({"github.example.com": "github"}). The types
 * that change which query parameters are required are bitbucket, azure,
 * gitlab, gitea and gerrit; any other type requires owner and repo. The
 * default maps github.com, gitlab.com, bitbucket.org (bitbucketCloud) and
 * dev.azure.com, as Backstage does with no integrations configured.
 * `hosts` is borrowed (copied).
 */
int gr_tmpl_set_integrations(gr_tmpl_engine *engine, json_t *hosts);

/**
 * Compiles `len` bytes of template source. `name` names the template in
 * error messages. Returns GR_OK and the template in `*out` (caller frees
 * with gr_tmpl_free()), GR_EINVALID on a syntax error, GR_ELIMIT when the
 * source is too large or too deeply nested.
 */
int gr_tmpl_compile(gr_tmpl_engine *engine, const char *name, const char *source, size_t len,
                    gr_tmpl **out);

void gr_tmpl_free(gr_tmpl *tmpl);

/**
 * Renders a compiled template with `context` (a JSON object or NULL;
 * borrowed, never changed). Returns GR_OK with the NUL-terminated output in
 * `*out` (caller frees) and its length in `*out_len` (may be NULL), or
 * GR_EINVALID / GR_ELIMIT with a message.
 */
int gr_tmpl_render(const gr_tmpl *tmpl, json_t *context, char **out, size_t *out_len);

/** Like gr_tmpl_render(), charging the work to `budget` (may be NULL). */
int gr_tmpl_render_budget(const gr_tmpl *tmpl, json_t *context, gr_tmpl_budget *budget, char **out,
                          size_t *out_len);

/** Compiles and renders `source` once (see gr_tmpl_compile() and gr_tmpl_render()). */
int gr_tmpl_render_string(gr_tmpl_engine *engine, const char *name, const char *source,
                          json_t *context, char **out);

/** Like gr_tmpl_render_string(), charging the work to `budget` (may be NULL). */
int gr_tmpl_render_string_budget(gr_tmpl_engine *engine, const char *name, const char *source,
                                 json_t *context, gr_tmpl_budget *budget, char **out);

/**
 * Renders every string in a JSON tree as Backstage renders step inputs.
 * A string that is one `${{ expression }}` and nothing else keeps the
 * expression's JSON type (number, boolean, object, array). Other strings
 * are rendered to strings. A string that renders to nothing is dropped
 * from its object (Backstage removes the key), or becomes null in an array.
 * A string whose template fails to compile or render stays as it is, with
 * a warning logged, as in Backstage; with the strict_values option the
 * error is returned instead. Only the Backstage delimiters keep types.
 * `input` and `context` are borrowed; `*out` is a new reference, NULL when
 * the whole input rendered to nothing.
 */
int gr_tmpl_render_value(gr_tmpl_engine *engine, json_t *input, json_t *context, json_t **out);

/**
 * Like gr_tmpl_render_value(), charging the work to `budget` (may be NULL).
 * An exhausted budget fails the call, and every template error whose text
 * is kept also goes to the budget's on_kept_error.
 */
int gr_tmpl_render_value_budget(gr_tmpl_engine *engine, json_t *input, json_t *context,
                                gr_tmpl_budget *budget, json_t **out);

#endif
