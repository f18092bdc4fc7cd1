/* SPDX-License-Identifier: MIT */
/* API definitions rendered as HTML reference pages: OpenAPI, Swagger, AsyncAPI, GraphQL, gRPC. */
#ifndef GR_PLUGINS_APIDOCS_APIDOCS_H
#define GR_PLUGINS_APIDOCS_APIDOCS_H

#include "host/common/buf.h"

/*
 * The output is a fragment of HTML for the Definition tab of an API entity.
 * Every string from the definition is HTML-escaped, and only links whose
 * scheme is safe are made clickable, so a definition cannot inject markup
 * or script. CSS classes: apidoc-*, operation, method method-<verb>, path,
 * schema, schema-type, required, hl-keyword, hl-string, hl-comment.
 */

/** Maximum nesting of schemas shown; deeper levels are summarised. */
#define GR_APIDOCS_MAX_SCHEMA_DEPTH 12

/** Maximum number of schema nodes rendered for one definition, to bound the work on huge files. */
#define GR_APIDOCS_MAX_SCHEMA_NODES 20000

/** Maximum size of a definition that is rendered, in bytes. */
#define GR_APIDOCS_MAX_BYTES ((size_t)4 << 20)

/**
 * Appends the HTML reference of `definition` (spec.definition of an API
 * entity) for `type` (spec.type: "openapi", "asyncapi", "graphql", "grpc",
 * anything else as plain text). OpenAPI 3.x and Swagger 2.0 are read as
 * YAML or JSON, with local `$ref`s resolved and cycles shown as links to
 * the schema. A definition that cannot be read yields an error banner
 * naming the problem, followed by the escaped text.
 * Returns 0 when the definition was rendered, or GR_EINVALID / GR_ELIMIT
 * after appending the error banner. Thread-safe.
 */
int gr_apidocs_render(const char *type, const char *definition, gr_buf *out);

#endif
