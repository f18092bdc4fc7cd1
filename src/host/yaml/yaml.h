/* SPDX-License-Identifier: MIT */
/* YAML text to jansson trees with source positions, and jansson trees back to YAML. */
#ifndef GR_HOST_YAML_YAML_H
#define GR_HOST_YAML_YAML_H

#include <jansson.h>
#include <stddef.h>

#include "host/common/buf.h"

/*
 * Scalars resolve like the `yaml` npm package v2 with its default YAML 1.2
 * core schema, which Backstage uses for catalog files and configuration:
 *   null     ~  null  Null  NULL  and the empty value
 *   boolean  true True TRUE false False FALSE (yes, no, on, off, y, n stay strings)
 *   integer  [-+]?[0-9]+  0o[0-7]+  0x[0-9a-fA-F]+ (outside int64: a double, as in JS)
 *   float    1.5  .5  1.  1e3  -1.5E-3  .inf  -.Inf  .nan
 * Quoted and block scalars are strings. Finite floats with an integral value
 * of magnitude below 2^53 become JSON integers, because JavaScript has one
 * number type and JSON.stringify writes 1.0 as 1. Infinity and NaN have no
 * JSON form and become null, which is what JSON.stringify writes for them.
 */

/** Default maximum size of the input text, in bytes. */
#define GR_YAML_DEFAULT_MAX_INPUT_BYTES ((size_t)8 << 20)
/** Default maximum number of values produced per stream, counting every value copied for an
 * alias. With the byte limit below it bounds the memory that aliases can make a stream use. */
#define GR_YAML_DEFAULT_MAX_NODES ((size_t)1000000)
/** Default maximum bytes of scalar text produced per stream, counting alias copies. */
#define GR_YAML_DEFAULT_MAX_TOTAL_SCALAR_BYTES ((size_t)64 << 20)
/** Default maximum nesting of mappings and sequences (the root collection is depth 1). */
#define GR_YAML_DEFAULT_MAX_DEPTH 128
/** Default maximum length of one scalar, in bytes. */
#define GR_YAML_DEFAULT_MAX_SCALAR_BYTES ((size_t)4 << 20)
/**
 * Default limit on alias use, the `yaml` package's maxAliasCount (v2): an anchor
 * may be aliased while (uses x nested alias copies) stays within it, so a plain
 * anchor can be aliased 100 times and nested "billion laughs" aliases fail early.
 */
#define GR_YAML_DEFAULT_MAX_ALIAS_COUNT 100

/** Parse limits and options. A zero field takes its GR_YAML_DEFAULT_ value. */
typedef struct {
    size_t max_input_bytes;
    size_t max_nodes;
    size_t max_total_scalar_bytes;
    size_t max_depth;
    size_t max_scalar_bytes;
    size_t max_alias_count;
    /* Maximum number of values per document, counting alias copies; 0 leaves documents
     * limited by max_nodes only. It bounds the memory of one document of a long stream. */
    size_t max_document_nodes;
    /* Nonzero makes `<<` an ordinary key. Merge keys (YAML 1.1 merge) are on by
     * default here, while Backstage's catalog turns them on only with its
     * enableYamlMerge option. */
    int no_merge_keys;
} gr_yaml_limits;

/** One parsed YAML document: its JSON value and the source position of every value. */
typedef struct gr_yaml_doc gr_yaml_doc;

/** A position in the source text. Lines and columns are 1-based, and columns count characters. */
typedef struct {
    int line;
    int column;
    int key_line;   /* position of the key when the value is a mapping entry, else 0 */
    int key_column; /* 0 when there is no key */
} gr_yaml_mark;

/**
 * Parses a YAML stream (UTF-8, with or without a byte order mark) into one
 * document per non-empty YAML document. `source_name` (borrowed, e.g. a file
 * path) starts every error message: "<source>:<line>:<column>: <problem>".
 * `limits` may be NULL for the defaults.
 *
 * Anchored values are deep-copied at each alias, so callers may change any
 * tree. Empty documents (nothing between two `---`) are skipped; a document
 * holding only `~` or `null` is returned with a JSON null root.
 *
 * NOTE: libyaml, a YAML 1.1 parser, decides the syntax. It accepts a few
 * layouts that the `yaml` package rejects (a flow collection continued at a
 * lower indentation, "[?x]" as an explicit key) and reads a lone CR as a line
 * break, where the `yaml` package keeps it in the text.
 *
 * On success stores a caller-owned array of `*count_out` documents in
 * `*docs_out` (free with gr_yaml_docs_free(); NULL when the count is 0).
 * Returns GR_OK; GR_EINVALID for malformed YAML, invalid UTF-8, duplicate keys,
 * recursive aliases, unknown anchors and unsupported tags; GR_ELIMIT when a limit
 * is crossed. On error nothing is stored in the outputs and gr_error_last() has
 * the message. Thread-safe: it shares no state between calls.
 */
int gr_yaml_parse(const char *source_name, const char *text, size_t len,
                  const gr_yaml_limits *limits, gr_yaml_doc ***docs_out, size_t *count_out);

/** Returns the document's root value (borrowed; valid until gr_yaml_doc_free()). */
json_t *gr_yaml_doc_root(const gr_yaml_doc *doc);

/** Returns the 1-based line where the document starts (its `---`, or its first value). */
int gr_yaml_doc_line(const gr_yaml_doc *doc);

/** Returns the 0-based index of the document in its stream, counting empty documents. */
size_t gr_yaml_doc_index(const gr_yaml_doc *doc);

/**
 * Finds the source position of the value at an RFC 6901 JSON pointer such as
 * "/spec/owner" or "/metadata/tags/2" ("" is the root). A mapping entry also
 * gets the position of its key. A value copied from an alias has the alias's
 * position, and its children point into the anchored original.
 *
 * Returns GR_OK when the pointer names a value; GR_ENOTFOUND when it does
 * not, after storing the position of the nearest existing ancestor; GR_EINVALID
 * when the pointer is malformed (then the root's position is stored).
 * The error message is not set. Thread-safe for concurrent readers.
 */
int gr_yaml_doc_find_mark(const gr_yaml_doc *doc, const char *json_pointer, gr_yaml_mark *out);

/** Frees a document and its tree. NULL-safe. */
void gr_yaml_doc_free(gr_yaml_doc *doc);

/** Frees the array from gr_yaml_parse() and every document in it. NULL-safe. */
void gr_yaml_docs_free(gr_yaml_doc **docs, size_t count);

/**
 * Appends `value` (borrowed) to `out` as one block-style YAML document ending in
 * a newline. A string that would read back as another type ("true", "1.0",
 * "null", "") or that YAML syntax would change ("a: b", " x") is double-quoted,
 * multi-line text becomes a literal block where it reads back unchanged, and
 * reals take the shortest form that reads back to the same double. Parsing the
 * output yields a tree equal to any tree gr_yaml_parse() made.
 *
 * Returns GR_OK, or GR_EINVALID (message set) when a string or key is not
 * valid UTF-8. Thread-safe.
 */
int gr_yaml_emit(json_t *value, gr_buf *out);

#endif
