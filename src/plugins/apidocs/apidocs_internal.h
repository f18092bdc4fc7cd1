/* SPDX-License-Identifier: MIT */
/* Shared pieces of the API definition renderers: the render state, schemas and $refs. */
#ifndef GR_PLUGINS_APIDOCS_APIDOCS_INTERNAL_H
#define GR_PLUGINS_APIDOCS_APIDOCS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "host/common/buf.h"
#include "plugins/apidocs/apidocs.h"

/** Rendering state of one definition. */
typedef struct {
    const json_t *root; /* the parsed definition (borrowed) */
    gr_buf *out;
    size_t nodes;       /* schema nodes rendered so far */
    const char *refs[GR_APIDOCS_MAX_SCHEMA_DEPTH * 4]; /* $refs being expanded, innermost last */
    size_t ref_depth;
} gr_apidocs__ctx;

/** Appends `text` HTML-escaped; NULL appends nothing. */
void gr_apidocs__text(gr_apidocs__ctx *ctx, const char *text);

/** Appends a description as escaped paragraphs (blank lines split paragraphs). */
void gr_apidocs__description(gr_apidocs__ctx *ctx, const json_t *value);

/**
 * Resolves a local `$ref` ("#/components/schemas/Pet") against the root.
 * Returns the target (borrowed) or NULL when it is not local or not found.
 */
const json_t *gr_apidocs__resolve(const gr_apidocs__ctx *ctx, const char *ref);

/** Follows `$ref`s of `value` (at most a few hops) and returns the target, or `value`. */
const json_t *gr_apidocs__deref(const gr_apidocs__ctx *ctx, const json_t *value);

/**
 * Returns true when `value`, a result of gr_apidocs__deref(), is still a
 * `$ref` that resolves, which means the chain is longer than the hops followed.
 */
bool gr_apidocs__ref_too_long(const gr_apidocs__ctx *ctx, const json_t *value);

/** Appends a note that the `$ref` chain at `value` is too long to show. */
void gr_apidocs__ref_note(gr_apidocs__ctx *ctx, const json_t *value);

/** Appends a schema as a nested list of properties with types, formats and enums. */
void gr_apidocs__schema(gr_apidocs__ctx *ctx, const json_t *schema, int depth);

/** Appends an example value as pretty-printed JSON in a <pre>. */
void gr_apidocs__example(gr_apidocs__ctx *ctx, const char *label, const json_t *value);

/** Appends the HTML id of a named schema ("schema-Pet"), escaped. */
void gr_apidocs__schema_anchor(gr_apidocs__ctx *ctx, const char *name);

/** Renders an OpenAPI 3.x or Swagger 2.0 document. Returns 0. */
int gr_apidocs__openapi(gr_apidocs__ctx *ctx);

/** Renders an AsyncAPI 2.x or 3.x document. Returns 0. */
int gr_apidocs__asyncapi(gr_apidocs__ctx *ctx);

/** Appends GraphQL SDL or protobuf text, escaped, with keywords, strings and comments marked. */
void gr_apidocs__highlight(gr_buf *out, const char *text, int is_proto);

#endif
