/* SPDX-License-Identifier: MIT */
/* Parsing a YAML stream one document at a time, so a large catalog file is never held parsed. */
#include "plugins/catalog/engine/yaml_stream.h"

#include <stdbool.h>
#include <string.h>

#include "host/common/error.h"

/* Returns the length of the line break at `p` (CRLF, CR or LF, as libyaml reads them), or 0. */
static size_t break_length(const char *p, const char *end)
{
    if (p < end && *p == '\n')
        return 1;
    if (p < end && *p == '\r')
        return p + 1 < end && p[1] == '\n' ? 2 : 1;
    return 0;
}

/* Whether `p` starts a line with the three characters `marker` followed by a blank or end. */
static bool is_marker(const char *p, const char *end, const char *marker)
{
    return end - p >= 3 && memcmp(p, marker, 3) == 0 &&
           (end - p == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\r' || p[3] == '\n');
}

/*
 * Whether cutting the text at document markers keeps its meaning and line
 * numbers: no directive or document end marker starts a line, and no
 * Unicode line break (NEL, LS, PS) would make libyaml count lines
 * differently from CR and LF.
 */
static bool can_cut(const char *text, size_t len)
{
    const char *end = text + len;
    bool line_start = true;

    for (const char *p = text; p < end; p++) {
        unsigned char c = (unsigned char)*p;

        if (line_start && (c == '%' || is_marker(p, end, "...")))
            return false;
        if (c == 0xc2 && p + 1 < end && (unsigned char)p[1] == 0x85)
            return false;
        if (c == 0xe2 && end - p >= 3 && (unsigned char)p[1] == 0x80 &&
            ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9))
            return false;
        line_start = c == '\n' || (c == '\r' && (p + 1 == end || p[1] != '\n'));
    }
    return true;
}

/* Returns the length of the piece starting at `text`: up to the next line that starts with a
 * document marker, not counting the piece's first line. Stores its line breaks in *lines. */
static size_t next_piece(const char *text, const char *end, int *lines)
{
    const char *p = text;

    *lines = 0;
    while (p < end) {
        size_t line_break = break_length(p, end);

        if (line_break == 0) {
            p++;
            continue;
        }
        p += line_break;
        (*lines)++;
        if (is_marker(p, end, "---"))
            break;
    }
    return (size_t)(p - text);
}

/* Adds what the parser charges for `value` to its limits: one value per node and per key, and
 * the bytes of keys and strings (other scalars are charged no bytes here). */
static void count_values(const json_t *value, size_t *nodes, size_t *bytes)
{
    const char *key;
    json_t *member;
    size_t index;

    (*nodes)++;
    if (json_is_string(value)) {
        *bytes += json_string_length(value);
    } else if (json_is_object(value)) {
        json_object_foreach ((json_t *)value, key, member) {
            (*nodes)++;
            *bytes += strlen(key);
            count_values(member, nodes, bytes);
        }
    } else if (json_is_array(value)) {
        json_array_foreach (value, index, member)
            count_values(member, nodes, bytes);
    }
}

/* Parses the whole text at once and passes every document to the sink. */
static int parse_whole(const char *source_name, const char *text, size_t len,
                       const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink)
{
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    int rc = gr_yaml_parse(source_name, text, len, limits, &docs, &count);

    for (size_t i = 0; i < count && rc == GR_OK; i++)
        sink->document(sink->payload, gr_yaml_doc_root(docs[i]), gr_yaml_doc_line(docs[i]));
    gr_yaml_docs_free(docs, count);
    return rc;
}

int gr_catalog__yaml_each(const char *source_name, const char *text, size_t len,
                          const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink)
{
    const char *end = text + len;
    const char *piece = text;
    gr_yaml_limits left = *limits;
    size_t nodes = 0, bytes = 0;
    int line_base = 0;

    if (!can_cut(text, len))
        return parse_whole(source_name, text, len, limits, sink);
    if (left.max_nodes == 0)
        left.max_nodes = GR_YAML_DEFAULT_MAX_NODES;
    if (left.max_total_scalar_bytes == 0)
        left.max_total_scalar_bytes = GR_YAML_DEFAULT_MAX_TOTAL_SCALAR_BYTES;
    while (piece < end) {
        gr_yaml_limits piece_limits = left;
        gr_yaml_doc **docs = NULL;
        size_t count = 0;
        int lines = 0;
        size_t piece_len = next_piece(piece, end, &lines);
        int rc;

        /* A zero limit means the default, so a spent budget is passed as one unit. */
        piece_limits.max_nodes = nodes < left.max_nodes ? left.max_nodes - nodes : 1;
        piece_limits.max_total_scalar_bytes =
            bytes < left.max_total_scalar_bytes ? left.max_total_scalar_bytes - bytes : 1;
        rc = gr_yaml_parse(source_name, piece, piece_len, &piece_limits, &docs, &count);
        if (rc != GR_OK) {
            /* The whole text gives the parser's own message and positions for the error. */
            sink->restart(sink->payload);
            return parse_whole(source_name, text, len, limits, sink);
        }
        for (size_t i = 0; i < count; i++) {
            count_values(gr_yaml_doc_root(docs[i]), &nodes, &bytes);
            sink->document(sink->payload, gr_yaml_doc_root(docs[i]),
                           line_base + gr_yaml_doc_line(docs[i]));
        }
        gr_yaml_docs_free(docs, count);
        line_base += lines;
        piece += piece_len;
    }
    return GR_OK;
}
