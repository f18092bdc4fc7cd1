/* SPDX-License-Identifier: MIT */
/* HTML templates: a small mustache-like language compiled once, rendered with automatic escaping. */
#ifndef GR_PLUGINS_UI_TEMPLATE_TEMPLATE_H
#define GR_PLUGINS_UI_TEMPLATE_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "host/common/buf.h"

/*
 * Syntax (tags may have spaces inside the braces):
 *
 *   {{ path }}             the value at `path`, HTML-escaped
 *   {{ path | filter }}    the value passed through a filter, then escaped:
 *                            url    the value when its scheme is safe (none,
 *                                   http, https, mailto, tel), else "#"
 *                            uri    percent-encoded as one URL component
 *                            date   milliseconds since the epoch (or ISO 8601
 *                                   text) as "YYYY-MM-DD HH:MM UTC"
 *                            lower  ASCII lower case
 *                            count  the number of items of an array or object
 *   {{{ path }}}           the value without escaping, for HTML that the
 *                          server made itself (never for user text)
 *   {{# path }}...{{/ path }}  a section: rendered once per item of a
 *                          non-empty array, once with an object or another
 *                          truthy value as the current context, and not at
 *                          all for false, null, "", 0, [] and a missing path
 *   {{^ path }}...{{/ path }}  rendered only when the section would not be
 *   {{> name }}            the template `name` of the same set, with the
 *                          current context
 *   {{! text }}            a comment
 *
 * A path is `.` (the current context) or names joined by dots. The first
 * name is looked up from the innermost context outwards, the rest inside
 * what it found; a name of digits picks an array item (`items.0`). Numbers print in decimal, true prints "true", and false
 * and null print nothing.
 */

/** Maximum nesting of sections within one template. */
#define GR_TEMPLATE_MAX_DEPTH 32

/** Maximum nesting of partials and sections while rendering. */
#define GR_TEMPLATE_MAX_RENDER_DEPTH 64

/** Maximum size of one template's text, in bytes. */
#define GR_TEMPLATE_MAX_BYTES ((size_t)1 << 20)

/** A named set of compiled templates that may include each other. */
typedef struct gr_template_set gr_template_set;

/** Makes an empty set. Caller frees with gr_template_set_free(). */
gr_template_set *gr_template_set_new(void);

/** Frees the set and its templates. NULL-safe. */
void gr_template_set_free(gr_template_set *set);

/**
 * Compiles `text` (borrowed, `len` bytes) as the template `name`, replacing
 * a template of that name. `origin` names the source in error messages
 * (a file path). Returns 0, GR_EINVALID with "origin:line: message" for a
 * syntax error (unclosed tag or section, mismatched close, unknown filter),
 * or GR_ELIMIT past GR_TEMPLATE_MAX_BYTES or GR_TEMPLATE_MAX_DEPTH. On
 * error the set is unchanged. Not thread-safe: compile before rendering.
 */
int gr_template_add(gr_template_set *set, const char *name, const char *text, size_t len,
                    const char *origin);

/** Returns nonzero when the set holds a template called `name`. */
int gr_template_exists(const gr_template_set *set, const char *name);

/**
 * Checks that every partial that a template names exists. Returns 0, or
 * GR_EINVALID naming the template, its line and the missing partial.
 */
int gr_template_check(const gr_template_set *set);

/**
 * Renders template `name` with `context` (borrowed; may be NULL) and appends
 * the output to `out`. Returns 0, GR_ENOTFOUND for an unknown template or
 * partial, or GR_ELIMIT past GR_TEMPLATE_MAX_RENDER_DEPTH. Thread-safe once
 * compiling is done: several threads may render from one set at a time.
 */
int gr_template_render(const gr_template_set *set, const char *name, const json_t *context,
                       gr_buf *out);

/**
 * Returns nonzero when `url` is safe in an href or src: relative, or with
 * the scheme http, https, mailto or tel. Control characters and white space
 * are ignored while reading the scheme, as browsers ignore them, so
 * "java\tscript:" is unsafe too.
 */
int gr_template_url_is_safe(const char *url);

/** Appends `text` percent-encoded as one URL component (unreserved bytes stay). */
void gr_template_put_uri(gr_buf *out, const char *text);

/** Appends milliseconds since the Unix epoch as "YYYY-MM-DD HH:MM UTC". */
void gr_template_put_date(gr_buf *out, long long epoch_ms);

#endif
