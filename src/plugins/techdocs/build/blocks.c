/* SPDX-License-Identifier: MIT */
/* The block extensions md4c lacks: admonitions, details, definition lists, footnotes. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/techdocs/build/page.h"

/*
 * Python-Markdown finds these constructs per line before any inline parsing,
 * so this pass splits the page at them. Plain runs between them go to md4c;
 * each construct's body is dedented by four spaces and rendered again by
 * this pass, so constructs nest. Lines inside fenced code are never split.
 */

typedef struct {
    const char *text;
    size_t len;
} line_span;

typedef struct {
    line_span *lines;
    size_t count;
} line_list;

static void split_lines(const char *text, size_t len, line_list *out)
{
    size_t cap = 16;
    size_t pos = 0;

    out->lines = gr_xmalloc(cap * sizeof(line_span));
    out->count = 0;
    while (pos < len) {
        const char *newline = memchr(text + pos, '\n', len - pos);
        size_t end = newline ? (size_t)(newline - text) : len;
        size_t line_len = end - pos;

        if (line_len > 0 && text[end - 1] == '\r')
            line_len--;
        if (out->count == cap) {
            cap *= 2;
            out->lines = gr_xrealloc(out->lines, cap * sizeof(line_span));
        }
        out->lines[out->count].text = text + pos;
        out->lines[out->count].len = line_len;
        out->count++;
        pos = newline ? end + 1 : len;
    }
}

static int is_blank(line_span line)
{
    for (size_t i = 0; i < line.len; i++) {
        if (!isspace((unsigned char)line.text[i]))
            return 0;
    }
    return 1;
}

static int is_indented(line_span line)
{
    return (line.len >= 4 && strncmp(line.text, "    ", 4) == 0) ||
           (line.len >= 1 && line.text[0] == '\t');
}

static size_t leading_spaces(line_span line)
{
    size_t count = 0;

    while (count < line.len && line.text[count] == ' ')
        count++;
    return count;
}

static int is_option_key(const char *text, size_t len)
{
    return (len == 8 && strncmp(text, "hl_lines", 8) == 0) ||
           (len == 8 && strncmp(text, "linenums", 8) == 0) ||
           (len == 5 && strncmp(text, "title", 5) == 0);
}

/* Python-Markdown opens a fence only when its info string is a language,
 * {attributes}, or a language and the options superfences validates
 * (hl_lines, linenums, title); anything else leaves the line as text. */
static int valid_fence_info(const char *text, size_t len)
{
    size_t pos = 0;

    while (pos < len && (text[pos] == ' ' || text[pos] == '\t'))
        pos++;
    while (len > pos && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (pos < len && text[pos] == '{')
        return text[len - 1] == '}';
    if (pos < len && text[pos] == '.')
        pos++;
    while (pos < len && (isalnum((unsigned char)text[pos]) || strchr("_#.+-", text[pos]) != NULL ||
                         (unsigned char)text[pos] >= 0x80))
        pos++;
    while (pos < len) {
        size_t key_from;
        while (pos < len && (text[pos] == ' ' || text[pos] == '\t'))
            pos++;
        key_from = pos;
        while (pos < len && (isalnum((unsigned char)text[pos]) || text[pos] == '_'))
            pos++;
        if (!is_option_key(text + key_from, pos - key_from))
            return 0;
        if (pos < len && text[pos] == '=') {
            char quote = pos + 1 < len ? text[pos + 1] : 0;
            const char *close;
            if (quote != '"' && quote != '\'')
                return 0;
            close = memchr(text + pos + 2, quote, len - pos - 2);
            if (close == NULL)
                return 0;
            pos = (size_t)(close - text) + 1;
        }
    }
    return 1;
}

/* Tracks fenced code: returns 1 while `line` is part of a fence, -1 for a
 * line md4c would open a fence at but Python-Markdown keeps as text, else 0. */
typedef struct {
    char fence_char;
    size_t fence_len;
} fence_state;

static int fence_step(fence_state *state, line_span line)
{
    size_t indent = leading_spaces(line);
    size_t run = 0;
    char c;

    if (indent > 3 || indent >= line.len) {
        return state->fence_char != 0;
    }
    c = line.text[indent];
    if (c != '`' && c != '~')
        return state->fence_char != 0;
    while (indent + run < line.len && line.text[indent + run] == c)
        run++;
    if (state->fence_char != 0) {
        if (c == state->fence_char && run >= state->fence_len) {
            line_span rest = {line.text + indent + run, line.len - indent - run};
            if (is_blank(rest))
                state->fence_char = 0;
        }
        return 1;
    }
    if (run < 3)
        return 0;
    if (c == '`' && memchr(line.text + indent + run, '`', line.len - indent - run) != NULL)
        return 0;
    if (!valid_fence_info(line.text + indent + run, line.len - indent - run))
        return -1;
    state->fence_char = c;
    state->fence_len = run;
    return 1;
}

/* Python-Markdown leaves a fence without a closing line as text, where
 * md4c would run it to the end; so an opening needs its closing line. */
static int fence_step_closed(fence_state *state, const line_list *lines, size_t index)
{
    int was_open = state->fence_char != 0;
    int result = fence_step(state, lines->lines[index]);

    if (result == 1 && !was_open) {
        fence_state probe = *state;
        for (size_t i = index + 1; i < lines->count && probe.fence_char != 0; i++)
            fence_step(&probe, lines->lines[i]);
        if (probe.fence_char != 0) {
            state->fence_char = 0;
            return -1;
        }
    }
    return result;
}

/* Counts the lines after `first` that belong to an indented body: indented
 * lines, and blank lines followed by more indented lines. */
static size_t body_length(const line_list *lines, size_t first)
{
    size_t end = first;
    size_t scan = first;

    while (scan < lines->count) {
        if (is_indented(lines->lines[scan])) {
            scan++;
            end = scan;
        } else if (is_blank(lines->lines[scan])) {
            scan++;
        } else {
            break;
        }
    }
    return end - first;
}

static void append_dedented(gr_buf *out, line_span line)
{
    if (line.len >= 4 && strncmp(line.text, "    ", 4) == 0)
        gr_buf_append(out, line.text + 4, line.len - 4);
    else if (line.len >= 1 && line.text[0] == '\t')
        gr_buf_append(out, line.text + 1, line.len - 1);
    else if (!is_blank(line))
        gr_buf_append(out, line.text, line.len);
    gr_buf_putc(out, '\n');
}

/* A parsed `!!! classes "title"` or `??? classes "title"` line. */
typedef struct {
    gr_buf classes;
    char *title; /* NULL: no title element */
    int open;    /* `???+` */
} block_header;

static int is_word_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c >= 0x80;
}

/* Parses what follows the marker. `need_class` is set for admonitions, which
 * must name a type; details may give only a quoted title. */
static int parse_header(const char *text, size_t len, int need_class, block_header *out)
{
    size_t pos = 0;
    int words = 0;

    if (pos < len && text[pos] == ' ')
        pos++;
    while (pos < len && is_word_char((unsigned char)text[pos])) {
        size_t start = pos;
        while (pos < len && is_word_char((unsigned char)text[pos]))
            pos++;
        if (words++ > 0)
            gr_buf_putc(&out->classes, ' ');
        for (size_t i = start; i < pos; i++)
            gr_buf_putc(&out->classes, (char)tolower((unsigned char)text[i]));
        size_t spaces = pos;
        while (spaces < len && text[spaces] == ' ')
            spaces++;
        if (spaces < len && spaces > pos && is_word_char((unsigned char)text[spaces]))
            pos = spaces;
        else
            break;
    }

    size_t rest = pos;
    while (rest < len && text[rest] == ' ')
        rest++;
    if (rest < len && text[rest] == '"' && (rest > pos || words == 0)) {
        size_t close = len;
        while (close > rest + 1 && text[close - 1] == ' ')
            close--;
        if (close <= rest + 1 || text[close - 1] != '"')
            return 0;
        out->title = gr_xstrndup(text + rest + 1, close - rest - 2);
        return words > 0 || !need_class;
    }
    if (rest != len || words == 0)
        return 0;
    /* No quoted title: the first class, capitalised, is the title. */
    size_t first_len = strcspn(gr_buf_cstr(&out->classes), " ");
    out->title = gr_xstrndup(out->classes.data, first_len);
    out->title[0] = (char)toupper((unsigned char)out->title[0]);
    return 1;
}

static void header_free(block_header *header)
{
    gr_buf_free(&header->classes);
    free(header->title);
}

/* Returns 1 for an admonition line, 2 for a details line, 0 otherwise. */
static int match_block_header(const gr_techdocs_markdown_options *options, line_span line,
                              block_header *header)
{
    memset(header, 0, sizeof(*header));
    if (options->admonition && line.len > 3 && strncmp(line.text, "!!!", 3) == 0) {
        if (parse_header(line.text + 3, line.len - 3, 1, header))
            return 1;
    } else if (options->details && line.len > 3 && strncmp(line.text, "???", 3) == 0) {
        size_t skip = 3;
        if (line.len > 3 && line.text[3] == '+') {
            header->open = 1;
            skip = 4;
        }
        if (parse_header(line.text + skip, line.len - skip, 0, header))
            return 2;
    }
    header_free(header);
    memset(header, 0, sizeof(*header));
    return 0;
}

/* Matches `[^label]:` with up to three spaces before it; returns the offset
 * after the colon, or 0. */
static size_t match_footnote(line_span line, size_t *label_from, size_t *label_len)
{
    size_t pos = leading_spaces(line);
    const char *close;

    if (pos > 3 || line.len < pos + 4 || line.text[pos] != '[' || line.text[pos + 1] != '^')
        return 0;
    close = memchr(line.text + pos + 2, ']', line.len - pos - 2);
    if (close == NULL || close == line.text + pos + 2)
        return 0;
    if ((size_t)(close - line.text) + 1 >= line.len || close[1] != ':')
        return 0;
    *label_from = pos + 2;
    *label_len = (size_t)(close - line.text) - pos - 2;
    return (size_t)(close - line.text) + 2;
}

static int is_reference_definition(line_span line)
{
    size_t pos = leading_spaces(line);
    const char *close;

    if (pos > 3 || pos >= line.len || line.text[pos] != '[' || pos + 1 >= line.len ||
        line.text[pos + 1] == '^')
        return 0;
    close = memchr(line.text + pos + 1, ']', line.len - pos - 1);
    return close != NULL && (size_t)(close - line.text) + 1 < line.len && close[1] == ':';
}

static void add_footnote(gr_techdocs__page *page, const char *label, size_t label_len,
                         char *body, int line)
{
    gr_techdocs__footnote *note;

    if (gr_techdocs__find_footnote(page, label, label_len) != NULL) {
        free(body);
        return;
    }
    if (page->footnote_count == page->footnote_cap) {
        page->footnote_cap = page->footnote_cap ? page->footnote_cap * 2 : 8;
        page->footnotes = gr_xrealloc(page->footnotes, page->footnote_cap * sizeof(*note));
    }
    note = &page->footnotes[page->footnote_count++];
    note->label = gr_xstrndup(label, label_len);
    note->body = body;
    note->line = line;
    note->references = 0;
}

/* Reads a footnote definition at `index`; returns how many lines it spans. */
static size_t read_footnote(gr_techdocs__page *page, const line_list *lines, size_t index,
                            int first_line, int store)
{
    line_span line = lines->lines[index];
    size_t label_from;
    size_t label_len;
    size_t after = match_footnote(line, &label_from, &label_len);
    size_t span = 1;
    gr_buf body = GR_BUF_INIT;

    while (after < line.len && line.text[after] == ' ')
        after++;
    gr_buf_append(&body, line.text + after, line.len - after);
    gr_buf_putc(&body, '\n');
    /* Lazy continuation lines of the first paragraph belong to it too. */
    while (index + span < lines->count && !is_blank(lines->lines[index + span]) &&
           !is_indented(lines->lines[index + span]) &&
           match_footnote(lines->lines[index + span], &label_from, &label_len) == 0) {
        gr_buf_append(&body, lines->lines[index + span].text, lines->lines[index + span].len);
        gr_buf_putc(&body, '\n');
        span++;
    }
    size_t more = body_length(lines, index + span);
    for (size_t i = 0; i < more; i++)
        append_dedented(&body, lines->lines[index + span + i]);
    span += more;

    if (store) {
        match_footnote(line, &label_from, &label_len);
        add_footnote(page, line.text + label_from, label_len, gr_buf_detach(&body),
                     first_line + (int)index);
    }
    gr_buf_free(&body);
    return span;
}

/* Collects reference and footnote definitions of the whole page first,
 * because references may come before their definitions. */
static void collect_definitions(gr_techdocs__page *page, const line_list *lines, int first_line)
{
    fence_state fence = {0};

    for (size_t i = 0; i < lines->count; i++) {
        line_span line = lines->lines[i];
        size_t from;
        size_t len;

        if (fence_step_closed(&fence, lines, i) == 1)
            continue;
        if (page->options->footnotes && match_footnote(line, &from, &len) != 0) {
            i += read_footnote(page, lines, i, first_line, 1) - 1;
            continue;
        }
        /* A definition cannot interrupt a paragraph, so only lines that
         * start one count; a blank line after each keeps a malformed one
         * from joining the next. */
        if (is_reference_definition(line) &&
            (i == 0 || is_blank(lines->lines[i - 1]) ||
             is_reference_definition(lines->lines[i - 1]))) {
            gr_buf_append(&page->reference_definitions, line.text, line.len);
            gr_buf_puts(&page->reference_definitions, "\n\n");
        }
    }
}

static int flush_plain(gr_techdocs__page *page, gr_buf *plain, int plain_line, gr_buf *out)
{
    int rc = GR_OK;

    if (plain->len > 0)
        rc = gr_techdocs__render_md4c(page, plain->data, plain->len, plain_line, out);
    gr_buf_reset(plain);
    return rc;
}

/* Renders `text` and removes the paragraph around it when it is one
 * paragraph, for terms and tight definitions. */
static int render_inline(gr_techdocs__page *page, const char *text, size_t len, int line,
                         gr_buf *out)
{
    gr_buf html = GR_BUF_INIT;
    int rc = gr_techdocs__render_blocks(page, text, len, line, &html);
    const char *data = gr_buf_cstr(&html);
    size_t data_len = html.len;

    while (data_len > 0 && data[data_len - 1] == '\n')
        data_len--;
    if (data_len >= 7 && strncmp(data, "<p>", 3) == 0 &&
        strncmp(data + data_len - 4, "</p>", 4) == 0 && memmem(data + 3, data_len - 7, "<p>", 3) == NULL) {
        gr_buf_append(out, data + 3, data_len - 7);
    } else {
        gr_buf_append(out, data, data_len);
    }
    gr_buf_free(&html);
    return rc;
}

static int render_block_body(gr_techdocs__page *page, const line_list *lines, size_t first,
                             size_t count, int first_line, gr_buf *out)
{
    gr_buf body = GR_BUF_INIT;
    int rc;

    for (size_t i = 0; i < count; i++)
        append_dedented(&body, lines->lines[first + i]);
    rc = gr_techdocs__render_blocks(page, gr_buf_cstr(&body), body.len,
                                    first_line + (int)first, out);
    gr_buf_free(&body);
    return rc;
}

/* Renders a title's inline Markdown, as Python-Markdown does for admonition
 * titles and summaries. A backslash keeps a leading '#', '>', '-', '+', '*'
 * or "1." from starting a block. */
static void render_title(gr_techdocs__page *page, const char *title, int line, gr_buf *out)
{
    gr_buf text = GR_BUF_INIT;
    size_t digits = strspn(title, "0123456789");

    if (strchr("#>-+*=|`~", title[0]) != NULL && title[0] != '\0')
        gr_buf_putc(&text, '\\');
    if (digits > 0 && (title[digits] == '.' || title[digits] == ')')) {
        gr_buf_append(&text, title, digits);
        gr_buf_putc(&text, '\\');
        title += digits;
    }
    gr_buf_puts(&text, title);
    render_inline(page, text.data, text.len, line, out);
    gr_buf_free(&text);
}

static int render_admonition(gr_techdocs__page *page, int kind, block_header *header,
                             const line_list *lines, size_t first, size_t count, int first_line,
                             gr_buf *out)
{
    int line = first_line + (int)first - 1;
    int rc;

    if (kind == 1) {
        gr_buf_puts(out, "<div class=\"admonition ");
        gr_buf_put_html(out, gr_buf_cstr(&header->classes));
        gr_buf_puts(out, "\">\n");
        if (header->title != NULL && header->title[0] != '\0') {
            gr_buf_puts(out, "<p class=\"admonition-title\">");
            render_title(page, header->title, line, out);
            gr_buf_puts(out, "</p>\n");
        }
    } else {
        gr_buf_puts(out, "<details");
        if (header->classes.len > 0) {
            gr_buf_puts(out, " class=\"");
            gr_buf_put_html(out, header->classes.data);
            gr_buf_putc(out, '"');
        }
        gr_buf_puts(out, header->open ? " open=\"open\">\n<summary>" : ">\n<summary>");
        render_title(page, header->title ? header->title : "", line, out);
        gr_buf_puts(out, "</summary>\n");
    }
    rc = render_block_body(page, lines, first, count, first_line, out);
    gr_buf_puts(out, kind == 1 ? "</div>\n" : "</details>\n");
    return rc;
}

/* Matches `:` plus one to three spaces at the start of a definition;
 * returns the offset of the definition text, or 0. */
static size_t match_definition(line_span line)
{
    size_t pos = leading_spaces(line);
    size_t spaces = 0;

    if (pos > 3 || pos >= line.len || line.text[pos] != ':')
        return 0;
    pos++;
    while (pos + spaces < line.len && line.text[pos + spaces] == ' ')
        spaces++;
    if (spaces < 1 || pos + spaces >= line.len)
        return 0;
    return pos + (spaces > 3 ? 3 : spaces);
}

/* Returns the index of the definition line that turns the paragraph at
 * `first` into terms, or 0 when there is none. */
static size_t find_definition(const line_list *lines, size_t first)
{
    for (size_t i = first + 1; i < lines->count && !is_blank(lines->lines[i]); i++) {
        if (match_definition(lines->lines[i]) != 0)
            return i;
    }
    return 0;
}

/* Renders one `<dd>` starting at `index`; returns the lines it used. */
static size_t render_definition(gr_techdocs__page *page, const line_list *lines, size_t index,
                                int loose, int first_line, gr_buf *out, int *rc)
{
    line_span line = lines->lines[index];
    size_t offset = match_definition(line);
    size_t span = 1;
    gr_buf body = GR_BUF_INIT;

    gr_buf_append(&body, line.text + offset, line.len - offset);
    gr_buf_putc(&body, '\n');
    while (index + span < lines->count && !is_blank(lines->lines[index + span]) &&
           match_definition(lines->lines[index + span]) == 0) {
        append_dedented(&body, lines->lines[index + span]);
        span++;
    }
    size_t more = body_length(lines, index + span);
    for (size_t i = 0; i < more; i++)
        append_dedented(&body, lines->lines[index + span + i]);
    loose = loose || more > 0;
    span += more;

    gr_buf_puts(out, "<dd>");
    if (loose) {
        gr_buf_putc(out, '\n');
        *rc = gr_techdocs__render_blocks(page, body.data, body.len, first_line + (int)index, out);
    } else {
        *rc = render_inline(page, body.data, body.len, first_line + (int)index, out);
    }
    gr_buf_puts(out, "</dd>\n");
    gr_buf_free(&body);
    return span;
}

/* Renders a definition list starting with the terms at `first`; returns
 * the index of the first line after it. */
static size_t render_definition_list(gr_techdocs__page *page, const line_list *lines,
                                     size_t first, int first_line, gr_buf *out, int *rc)
{
    size_t index = first;

    gr_buf_puts(out, "<dl>\n");
    while (*rc == GR_OK) {
        size_t definition = find_definition(lines, index);
        int loose = 0;

        for (; index < definition; index++) {
            gr_buf_puts(out, "<dt>");
            *rc = render_inline(page, lines->lines[index].text, lines->lines[index].len,
                                first_line + (int)index, out);
            gr_buf_puts(out, "</dt>\n");
        }
        while (*rc == GR_OK && index < lines->count) {
            index += render_definition(page, lines, index, loose, first_line, out, rc);
            size_t next = index;
            while (next < lines->count && is_blank(lines->lines[next]))
                next++;
            if (next < lines->count && match_definition(lines->lines[next]) != 0) {
                loose = next > index;
                index = next;
                continue;
            }
            break;
        }
        size_t next = index;
        while (next < lines->count && is_blank(lines->lines[next]))
            next++;
        if (next >= lines->count || find_definition(lines, next) == 0)
            break;
        index = next;
    }
    gr_buf_puts(out, "</dl>\n");
    return index;
}

int gr_techdocs__render_blocks(gr_techdocs__page *page, const char *text, size_t len,
                               int first_line, gr_buf *out)
{
    line_list lines;
    gr_buf plain = GR_BUF_INIT;
    int plain_line = first_line;
    fence_state fence = {0};
    int rc = GR_OK;

    if (page->depth >= GR_TECHDOCS_MAX_BLOCK_DEPTH)
        return gr_error_set(GR_ELIMIT, "line %d: blocks nest deeper than %d levels", first_line,
                            GR_TECHDOCS_MAX_BLOCK_DEPTH);
    page->depth++;
    split_lines(text, len, &lines);
    if (!page->definitions_collected) {
        page->definitions_collected = 1;
        collect_definitions(page, &lines, first_line);
    }

    for (size_t i = 0; i < lines.count && rc == GR_OK;) {
        line_span line = lines.lines[i];
        block_header header;
        size_t from;
        size_t label_len;
        int kind;

        if (plain.len == 0)
            plain_line = first_line + (int)i;
        int fenced = fence_step_closed(&fence, &lines, i);
        if (fenced == -1) {
            /* A backslash keeps md4c from opening the fence either. */
            gr_buf_putc(&plain, '\\');
            gr_buf_append(&plain, line.text, line.len);
            gr_buf_putc(&plain, '\n');
            i++;
            continue;
        }
        if (fenced == 1) {
            gr_buf_append(&plain, line.text, line.len);
            gr_buf_putc(&plain, '\n');
            i++;
            continue;
        }
        kind = match_block_header(page->options, line, &header);
        if (kind != 0) {
            size_t count = body_length(&lines, i + 1);
            rc = flush_plain(page, &plain, plain_line, out);
            if (rc == GR_OK)
                rc = render_admonition(page, kind, &header, &lines, i + 1, count, first_line, out);
            header_free(&header);
            i += 1 + count;
            continue;
        }
        if (page->options->footnotes && match_footnote(line, &from, &label_len) != 0) {
            rc = flush_plain(page, &plain, plain_line, out);
            i += read_footnote(page, &lines, i, first_line, 0);
            continue;
        }
        int paragraph_start = i == 0 || is_blank(lines.lines[i - 1]);
        if (page->options->def_list && paragraph_start && !is_blank(line) &&
            find_definition(&lines, i) != 0) {
            rc = flush_plain(page, &plain, plain_line, out);
            if (rc == GR_OK)
                i = render_definition_list(page, &lines, i, first_line, out, &rc);
            continue;
        }
        gr_buf_append(&plain, line.text, line.len);
        gr_buf_putc(&plain, '\n');
        i++;
    }
    if (rc == GR_OK)
        rc = flush_plain(page, &plain, plain_line, out);

    gr_buf_free(&plain);
    free(lines.lines);
    page->depth--;
    return rc;
}
