/* SPDX-License-Identifier: MIT */
/* Page metadata and titles, read the way MkDocs reads them. */
#include "plugins/techdocs/build/meta.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/yaml/yaml.h"
#include "plugins/techdocs/build/nav.h"
#include "plugins/techdocs/build/urls.h"

static size_t line_end(const char *text, size_t len, size_t pos)
{
    const char *newline = memchr(text + pos, '\n', len - pos);

    return newline ? (size_t)(newline - text) : len;
}

static int count_lines(const char *text, size_t upto)
{
    int lines = 1;

    for (size_t i = 0; i < upto; i++)
        lines += text[i] == '\n';
    return lines;
}

static int only_spaces_tabs(const char *text, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (text[i] != ' ' && text[i] != '\t')
            return 0;
    }
    return 1;
}

/* Matches the YAML_RE of mkdocs.utils.meta: returns the end of the closing
 * line (after its newline) and the span of the YAML, or 0. */
static size_t match_yaml_block(const char *text, size_t len, size_t *yaml_from, size_t *yaml_to)
{
    size_t pos;

    if (len < 4 || strncmp(text, "---", 3) != 0)
        return 0;
    pos = 3;
    while (pos < len && text[pos] == '-')
        pos++;
    size_t first_end = line_end(text, len, pos);
    if (first_end >= len || !only_spaces_tabs(text, pos, first_end))
        return 0;
    *yaml_from = first_end + 1;
    /* The YAML needs at least one line; the closing line starts a later line. */
    for (pos = line_end(text, len, *yaml_from) + 1; pos < len; pos = line_end(text, len, pos) + 1) {
        size_t end = line_end(text, len, pos);
        size_t marker = 0;
        if (end - pos >= 3 && (strncmp(text + pos, "---", 3) == 0 || strncmp(text + pos, "...", 3) == 0)) {
            char c = text[pos];
            marker = pos;
            while (marker < end && text[marker] == c)
                marker++;
            if (end < len && only_spaces_tabs(text, marker, end)) {
                *yaml_to = pos;
                return end + 1;
            }
        }
    }
    return 0;
}

static char *yaml_title(const char *yaml, size_t len, int *is_mapping)
{
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    char *title = NULL;

    *is_mapping = 0;
    if (gr_yaml_parse("front matter", yaml, len, NULL, &docs, &count) != 0)
        return NULL;
    if (count == 1 && json_is_object(gr_yaml_doc_root(docs[0]))) {
        json_t *value = json_object_get(gr_yaml_doc_root(docs[0]), "title");
        *is_mapping = 1;
        if (json_is_string(value))
            title = gr_xstrdup(json_string_value(value));
    }
    gr_yaml_docs_free(docs, count);
    return title;
}

/* Matches META_RE: up to three spaces, a key of [A-Za-z0-9_-], ':'. */
static int is_meta_line(const char *text, size_t from, size_t to, size_t *key_from,
                        size_t *key_to)
{
    size_t pos = from;

    while (pos < to && pos - from < 3 && text[pos] == ' ')
        pos++;
    *key_from = pos;
    while (pos < to && (isalnum((unsigned char)text[pos]) || text[pos] == '_' || text[pos] == '-'))
        pos++;
    *key_to = pos;
    return pos > *key_from && pos < to && text[pos] == ':';
}

static size_t skip_blank_lines(const char *text, size_t len, size_t pos)
{
    /* .lstrip('\n') */
    while (pos < len && text[pos] == '\n')
        pos++;
    return pos;
}

static void trim(const char *text, size_t *from, size_t *to)
{
    while (*from < *to && isspace((unsigned char)text[*from]))
        (*from)++;
    while (*to > *from && isspace((unsigned char)text[*to - 1]))
        (*to)--;
}

static void split_multimarkdown(const char *text, size_t len, gr_techdocs_meta *out)
{
    size_t pos = 0;
    int have_key = 0;
    int title_key = 0;

    while (pos < len) {
        size_t end = line_end(text, len, pos);
        size_t key_from;
        size_t key_to;

        if (only_spaces_tabs(text, pos, end) || (end > pos && text[end - 1] == '\r' &&
                                                 only_spaces_tabs(text, pos, end - 1))) {
            pos = end < len ? end + 1 : len;
            break;
        }
        if (is_meta_line(text, pos, end, &key_from, &key_to)) {
            size_t value_from = key_to + 1;
            size_t value_to = end;
            trim(text, &value_from, &value_to);
            have_key = 1;
            title_key = key_to - key_from == 5 && strncasecmp(text + key_from, "title", 5) == 0;
            if (title_key) {
                char *value = gr_xstrndup(text + value_from, value_to - value_from);
                if (out->title == NULL) {
                    out->title = value;
                } else {
                    char *joined = gr_xasprintf("%s %s", out->title, value);
                    free(out->title);
                    free(value);
                    out->title = joined;
                }
            }
        } else if (have_key && ((end - pos >= 4 && strncmp(text + pos, "    ", 4) == 0) ||
                                text[pos] == '\t')) {
            if (title_key) {
                size_t value_from = pos;
                size_t value_to = end;
                trim(text, &value_from, &value_to);
                char *joined = gr_xasprintf("%s %.*s", out->title, (int)(value_to - value_from),
                                            text + value_from);
                free(out->title);
                out->title = joined;
            }
        } else {
            break;
        }
        pos = end < len ? end + 1 : len;
    }
    out->body_offset = skip_blank_lines(text, len, pos);
}

void gr_techdocs_meta_split(const char *text, size_t len, gr_techdocs_meta *out)
{
    size_t yaml_from;
    size_t yaml_to;
    size_t block_end = match_yaml_block(text, len, &yaml_from, &yaml_to);

    memset(out, 0, sizeof(*out));
    if (block_end > 0) {
        int is_mapping;
        out->title = yaml_title(text + yaml_from, yaml_to - yaml_from, &is_mapping);
        if (is_mapping)
            out->body_offset = skip_blank_lines(text, len, block_end);
    } else {
        split_multimarkdown(text, len, out);
    }
    out->body_line = count_lines(text, out->body_offset);
}

char *gr_techdocs_markdown_title(const char *text, size_t len)
{
    size_t pos = 0;

    while (pos < len) {
        size_t end = line_end(text, len, pos);
        size_t from = pos;
        size_t to = end;

        trim(text, &from, &to);
        if (from < to) {
            if (to - from < 2 || strncmp(text + from, "# ", 2) != 0)
                return NULL;
            while (from < to && (text[from] == '#' || text[from] == ' '))
                from++;
            return gr_xstrndup(text + from, to - from);
        }
        pos = end + 1;
    }
    return NULL;
}

char *gr_techdocs_fallback_title(const char *src_uri, int is_homepage)
{
    char *name;
    char *title;

    if (is_homepage)
        return gr_xstrdup("Home");
    name = gr_techdocs_page_name(src_uri);
    title = gr_techdocs_dirname_to_title(name);
    free(name);
    return title;
}
