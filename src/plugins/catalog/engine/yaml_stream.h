/* SPDX-License-Identifier: MIT */
/* Parsing a YAML stream one document at a time, so a large catalog file is never held parsed. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_YAML_STREAM_H
#define GR_PLUGINS_CATALOG_ENGINE_YAML_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "host/yaml/yaml.h"

/*
 * Texts of at least this many bytes are parsed on other threads while the
 * calling thread passes the documents to the sink. Measured on a 2-core
 * x86-64 machine, starting and joining a thread took about 35 microseconds
 * and parsing 1 MiB of the catalog benchmark's YAML about 30 milliseconds, so
 * a thread costs about 0.1% of the parse at this size. A location's
 * catalog-info.yaml of a few KiB, the common case, parses in well under a
 * millisecond and would gain little from a thread.
 */
#define GR_CATALOG_YAML_THREAD_MIN_BYTES ((size_t)1 << 20)
/* Parsing threads for a large text when at least that many processors are online. */
#define GR_CATALOG_YAML_PARSE_THREADS 2
/* Upper bound of gr_catalog_yaml_pipeline.parse_threads. */
#define GR_CATALOG_YAML_MAX_PARSE_THREADS 8
/* Maximum number of pieces (usually one document each) parsed ahead of the sink. */
#define GR_CATALOG_YAML_QUEUE_MAX_PIECES 64
/* Maximum bytes of text parsed ahead of the sink, though one piece is always parsed ahead. */
#define GR_CATALOG_YAML_QUEUE_MAX_BYTES ((size_t)1 << 20)

/** Receives the documents of a stream. */
typedef struct {
    /* Called for each document in order, always on the calling thread. `root` is borrowed for
     * the call, and `line` is the 1-based line where the document starts in the whole text. */
    void (*document)(void *payload, json_t *root, int line);
    /* Called when the documents passed so far must be forgotten, because the stream is
     * read again from its start. */
    void (*restart)(void *payload);
    void *payload;
} gr_catalog_yaml_sink;

/** Sizes of the parsing thread and its queue. A zero queue field means 1. */
typedef struct {
    size_t thread_min_bytes; /* texts shorter than this are parsed on the calling thread */
    size_t queue_max_pieces; /* pieces parsed ahead of the sink, not counting the sink's own */
    size_t queue_max_bytes;  /* text bytes of those pieces, though one piece always fits */
    int parse_threads;       /* 0 means 1; at most GR_CATALOG_YAML_MAX_PARSE_THREADS */
} gr_catalog_yaml_pipeline;

/** Counters of one gr_catalog__yaml_each_tuned() call, for tests and measurements. */
typedef struct {
    bool threaded;           /* parsing threads parsed the pieces */
    int parse_threads;       /* how many parsing threads started */
    size_t max_pieces_ahead; /* maximum pieces parsed or being parsed ahead of the sink */
    size_t max_bytes_ahead;  /* maximum text bytes of those pieces */
} gr_catalog_yaml_stats;

/**
 * Parses `text` as gr_yaml_parse() does and passes each document to
 * `sink`. The text is cut before every line that starts with a document
 * marker ("---" followed by a blank or the line end), which YAML forbids
 * inside any scalar. Each piece is released once the sink got its
 * documents, so memory contains one document, or with parsing threads
 * the few in their queue, instead of the whole stream. The limits on
 * values and scalar bytes still apply to the whole stream, counted on the
 * documents taken so far, in order (scalars other than strings count no
 * bytes).
 * A text with directives ("%YAML"), document end markers ("...") or Unicode
 * line breaks other than CR and LF is parsed whole, because cutting it could
 * change its meaning or its line numbers. When a piece fails, the whole text
 * is parsed again (after sink->restart), so errors read exactly as the
 * parser reports them for the whole stream.
 * A text of GR_CATALOG_YAML_THREAD_MIN_BYTES or more that can be cut is
 * parsed on GR_CATALOG_YAML_PARSE_THREADS threads when more than one
 * processor is online (see gr_catalog__yaml_each_tuned()).
 * Returns GR_OK, or the error of gr_yaml_parse() (message set); after an
 * error, the documents passed so far must be discarded.
 */
int gr_catalog__yaml_each(const char *source_name, const char *text, size_t len,
                          const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink);

/**
 * Does what gr_catalog__yaml_each() does with the given sizes, whatever the
 * number of processors. When `len` is at least pipeline->thread_min_bytes
 * and the text can be cut, pipeline->parse_threads threads parse the pieces,
 * with the same limits, into a queue of at most pipeline->queue_max_pieces
 * pieces and pipeline->queue_max_bytes bytes of text, while the calling
 * thread passes their documents to the sink in the order of the text. The
 * sink gets the same calls, in the same order and on the calling thread, as
 * without the threads. The threads end before the call returns. Without
 * threads (or when none starts) the calling thread parses each piece
 * itself. `stats` may be NULL.
 */
int gr_catalog__yaml_each_tuned(const char *source_name, const char *text, size_t len,
                                const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink,
                                const gr_catalog_yaml_pipeline *pipeline,
                                gr_catalog_yaml_stats *stats);

#endif
