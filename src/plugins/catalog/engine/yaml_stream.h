/* SPDX-License-Identifier: MIT */
/* Parsing a YAML stream one document at a time, so a large catalog file is never held parsed. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_YAML_STREAM_H
#define GR_PLUGINS_CATALOG_ENGINE_YAML_STREAM_H

#include <jansson.h>
#include <stddef.h>

#include "host/yaml/yaml.h"

/** Receives the documents of a stream. */
typedef struct {
    /* Called for each document in order; `root` is borrowed for the call, `line` is the
     * 1-based line where the document starts in the whole text. */
    void (*document)(void *payload, json_t *root, int line);
    /* Called when the documents passed so far must be forgotten, because the stream is
     * read again from its start. */
    void (*restart)(void *payload);
    void *payload;
} gr_catalog_yaml_sink;

/**
 * Parses `text` as gr_yaml_parse() does and passes each document to
 * `sink`. The text is cut before every line that starts with a document
 * marker ("---" followed by a blank or the line end), which YAML forbids
 * inside any scalar. Each piece is parsed and released before the next, so
 * memory contains one document instead of the whole stream. The limits on
 * values and scalar bytes still apply to the whole stream, counted on the
 * documents made so far (scalars other than strings count no bytes).
 * A text with directives ("%YAML"), document end markers ("...") or Unicode
 * line breaks other than CR and LF is parsed whole, because cutting it could
 * change its meaning or its line numbers. When a piece fails, the whole text
 * is parsed again (after sink->restart), so errors read exactly as the
 * parser reports them for the whole stream.
 * Returns GR_OK, or the error of gr_yaml_parse() (message set); after an
 * error, the documents passed so far must be discarded.
 */
int gr_catalog__yaml_each(const char *source_name, const char *text, size_t len,
                          const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink);

#endif
