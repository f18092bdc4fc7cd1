/* SPDX-License-Identifier: MIT */
/* The search index MkDocs' search plugin writes: search/search_index.json. */
#include "plugins/techdocs/build/search.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"

/* The named references greenroom's own HTML uses, plus common ones in
 * Markdown. NOTE: other named references stay as written in the index. */
static const struct {
    const char *name;
    const char *text;
} named_references[] = {
    {"amp", "&"},      {"lt", "<"},          {"gt", ">"},          {"quot", "\""},
    {"apos", "'"},     {"nbsp", "\xC2\xA0"}, {"para", "\xC2\xB6"}, {"copy", "\xC2\xA9"},
    {"reg", "\xC2\xAE"}, {"trade", "\xE2\x84\xA2"}, {"hellip", "\xE2\x80\xA6"},
    {"mdash", "\xE2\x80\x94"}, {"ndash", "\xE2\x80\x93"}, {"laquo", "\xC2\xAB"},
    {"raquo", "\xC2\xBB"}, {"beta", "\xCE\xB2"},
};

/* Appends `text` with character references decoded, as html.parser does
 * with convert_charrefs. */
static void append_decoded(gr_buf *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        const char *semi;
        const char *amp = text[i] == '&' ? text + i : memchr(text + i, '&', len - i);

        /* Text up to the next '&' goes in one append. */
        if (amp == NULL) {
            gr_buf_append(out, text + i, len - i);
            break;
        }
        if (amp > text + i) {
            gr_buf_append(out, text + i, (size_t)(amp - (text + i)));
            i = (size_t)(amp - text);
        }
        if ((semi = memchr(text + i, ';', len - i)) == NULL || semi - (text + i) > 32) {
            gr_buf_putc(out, text[i]);
            continue;
        }
        const char *name = text + i + 1;
        size_t name_len = (size_t)(semi - name);
        int done = 0;
        if (name_len > 1 && name[0] == '#') {
            long value = (name[1] == 'x' || name[1] == 'X') ? strtol(name + 2, NULL, 16)
                                                             : strtol(name + 1, NULL, 10);
            utf8proc_uint8_t encoded[4];
            if (value > 0 && value <= 0x10FFFF && utf8proc_codepoint_valid((utf8proc_int32_t)value)) {
                utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)value, encoded);
                gr_buf_append(out, encoded, (size_t)n);
                done = 1;
            }
        } else {
            for (size_t k = 0; k < sizeof(named_references) / sizeof(named_references[0]); k++) {
                if (strlen(named_references[k].name) == name_len &&
                    strncmp(named_references[k].name, name, name_len) == 0) {
                    gr_buf_puts(out, named_references[k].text);
                    done = 1;
                    break;
                }
            }
        }
        if (done)
            i = (size_t)(semi - text);
        else
            gr_buf_putc(out, text[i]);
    }
}

/* One heading's section while the page is walked. */
typedef struct {
    char *id;
    gr_buf text; /* chunks joined by ' ' */
    int chunks;
} section;

static int heading_level_of(const char *tag, size_t len, int *closing)
{
    size_t pos = 1;

    *closing = 0;
    if (pos < len && tag[pos] == '/') {
        *closing = 1;
        pos++;
    }
    if (pos + 1 < len && (tag[pos] == 'h' || tag[pos] == 'H') && tag[pos + 1] >= '1' &&
        tag[pos + 1] <= '6' && (pos + 2 >= len || !isalnum((unsigned char)tag[pos + 2])))
        return tag[pos + 1] - '0';
    return 0;
}

static char *id_attribute(const char *tag, size_t len)
{
    for (size_t i = 1; i + 4 < len; i++) {
        if (isspace((unsigned char)tag[i - 1]) && strncasecmp(tag + i, "id=\"", 4) == 0) {
            const char *start = tag + i + 4;
            const char *end = memchr(start, '"', len - i - 4);
            if (end != NULL) {
                gr_buf id = GR_BUF_INIT;
                append_decoded(&id, start, (size_t)(end - start));
                gr_buf_puts(&id, "");
                return gr_buf_detach(&id);
            }
        }
    }
    return NULL;
}

/* How put_json_text treats each byte. */
enum { BYTE_PLAIN, BYTE_SPACE, BYTE_OTHER };

/* Classifies a byte: printable ASCII other than '"' and '\\' is copied as
 * it is, ASCII whitespace collapses, and the rest is escaped or decoded. */
static inline int byte_kind(unsigned char c)
{
    if (c > ' ' && c < 0x80 && c != '"' && c != '\\')
        return BYTE_PLAIN;
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return BYTE_SPACE;
    return BYTE_OTHER;
}

#define BYTES_ONES 0x0101010101010101ULL
#define BYTES_HIGH 0x8080808080808080ULL

/* Sets the high bit of each zero byte of `word`. A byte above a zero byte
 * may be marked too, which callers treat as "look closer". */
static inline uint64_t zero_bytes(uint64_t word)
{
    return (word - BYTES_ONES) & ~word & BYTES_HIGH;
}

/* Returns nonzero when the 8 bytes at `p` are plain or single spaces and
 * the last one is plain, so they can be copied as they are when the byte
 * before them is plain. It may return 0 for such bytes, and the caller then
 * looks at them one by one. */
static inline int plain_word(const unsigned char *p)
{
    uint64_t word;
    uint64_t bad;
    uint64_t spaces;

    memcpy(&word, p, sizeof(word));
    bad = word & BYTES_HIGH;
    bad |= (word - BYTES_ONES * 0x20) & ~word & BYTES_HIGH; /* a byte below ' ' */
    bad |= zero_bytes(word ^ (BYTES_ONES * '"'));
    bad |= zero_bytes(word ^ (BYTES_ONES * '\\'));
    spaces = zero_bytes(word ^ (BYTES_ONES * ' '));
    return bad == 0 && (spaces & (spaces << 8)) == 0 && p[7] != ' ';
}

/* Appends the escaped form of the character at `p`, as jansson writes it
 * with JSON_ENSURE_ASCII: \uXXXX (upper-case hex, surrogate pairs above the
 * BMP) for control and non-ASCII characters. Returns the number of bytes
 * used, or 0 when they are not valid UTF-8 (jansson rejects such text). */
static size_t put_escaped(gr_buf *out, const unsigned char *p, utf8proc_ssize_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    utf8proc_int32_t codepoint;
    utf8proc_ssize_t used = utf8proc_iterate(p, len, &codepoint);
    char escape[12];
    size_t escape_len = 2;

    if (used <= 0)
        return 0;
    escape[0] = '\\';
    switch (codepoint) {
    case '"': escape[1] = '"'; break;
    case '\\': escape[1] = '\\'; break;
    case '\b': escape[1] = 'b'; break;
    case '\f': escape[1] = 'f'; break;
    case '\n': escape[1] = 'n'; break;
    case '\r': escape[1] = 'r'; break;
    case '\t': escape[1] = 't'; break;
    default: {
        utf8proc_int32_t units[2] = {codepoint, 0};
        size_t unit_count = 1;
        if (codepoint >= 0x10000) {
            units[0] = 0xD800 | ((codepoint - 0x10000) >> 10);
            units[1] = 0xDC00 | ((codepoint - 0x10000) & 0x3FF);
            unit_count = 2;
        }
        escape_len = 0;
        for (size_t i = 0; i < unit_count; i++) {
            escape[escape_len++] = '\\';
            escape[escape_len++] = 'u';
            for (int shift = 12; shift >= 0; shift -= 4)
                escape[escape_len++] = hex[(units[i] >> shift) & 15];
        }
    }
    }
    gr_buf_append(out, escape, escape_len);
    return (size_t)used;
}

/* Appends `text` as a JSON string. Returns 0 when it is not valid UTF-8. */
static int put_json_string(gr_buf *out, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    const unsigned char *run = p;

    gr_buf_putc(out, '"');
    while (*p != '\0') {
        size_t used;

        if (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
            p++;
            continue;
        }
        gr_buf_append(out, run, (size_t)(p - run));
        if ((used = put_escaped(out, p, -1)) == 0)
            return 0;
        p += used;
        run = p;
    }
    gr_buf_append(out, run, (size_t)(p - run));
    gr_buf_putc(out, '"');
    return 1;
}

/* Appends `len` bytes of `text` as a JSON string after collapsing its
 * whitespace as SearchIndex._add_entry does: runs of whitespace and
 * no-break spaces become one space, none at either end. The text ends at
 * its first NUL, as a C string would. Returns 0 when it is not valid UTF-8. */
static int put_json_text(gr_buf *out, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    const unsigned char *end = p + len;
    int space = 0;   /* whitespace was read since the last character written */
    int started = 0; /* a character was written */

    gr_buf_putc(out, '"');
    while (p < end) {
        unsigned char kind = byte_kind(*p);
        const unsigned char *q = p + 1;

        if (kind == BYTE_SPACE || (*p == 0xC2 && q < end && *q == 0xA0)) {
            space = started;
            p += kind == BYTE_SPACE ? 1 : 2;
            continue;
        }
        if (space)
            gr_buf_putc(out, ' ');
        space = 0;
        started = 1;
        if (*p == '\0')
            break;
        if (kind == BYTE_OTHER) {
            size_t used = put_escaped(out, p, end - p);
            if (used == 0)
                return 0;
            p += used;
            continue;
        }
        /* Words and the single spaces between them go in one append. The
         * byte before q is always a plain one. */
        for (;;) {
            while (end - q >= 8 && plain_word(q))
                q += 8;
            if (q < end && byte_kind(*q) == BYTE_PLAIN)
                q++;
            else if (end - q >= 2 && *q == ' ' && byte_kind(q[1]) == BYTE_PLAIN)
                q += 2;
            else
                break;
        }
        gr_buf_append(out, p, (size_t)(q - p));
        p = q;
    }
    gr_buf_putc(out, '"');
    return 1;
}

/* Appends ',' and one entry {"location", "text", "title"} (keys sorted, as
 * the index is written with JSON_SORT_KEYS). An entry with text that is not
 * valid UTF-8 is left out, as jansson leaves it out. */
static void add_entry(gr_buf *out, const char *title, const char *text, size_t len,
                      const char *location)
{
    size_t start = out->len;
    int ok;

    gr_buf_puts(out, ",{\"location\":");
    ok = put_json_string(out, location);
    gr_buf_puts(out, ",\"text\":");
    ok = ok && put_json_text(out, text != NULL ? text : "", text != NULL ? len : 0);
    gr_buf_puts(out, ",\"title\":");
    if (title == NULL)
        gr_buf_puts(out, "null");
    else
        ok = ok && put_json_string(out, title);
    gr_buf_putc(out, '}');
    if (!ok) {
        out->len = start;
        out->data[start] = '\0';
    }
}

static const gr_techdocs_heading *find_heading(const gr_techdocs_page_html *page, const char *id)
{
    for (size_t i = 0; id != NULL && i < page->heading_count; i++) {
        if (strcmp(page->headings[i].id, id) == 0)
            return &page->headings[i];
    }
    return NULL;
}

void gr_techdocs_search_add_page(gr_buf *docs, const char *page_url, const char *title,
                                 const gr_techdocs_page_html *page)
{
    const char *html = page->html ? page->html : "";
    size_t len = strlen(html);
    size_t pos = 0;
    gr_buf all = GR_BUF_INIT;
    section *sections = NULL;
    size_t section_count = 0;
    int in_heading = 0;
    int first_chunk = 1;

    while (pos < len) {
        const char *lt = memchr(html + pos, '<', len - pos);
        size_t end = lt ? (size_t)(lt - html) : len;

        if (end > pos) {
            size_t chunk_start;
            if (!first_chunk)
                gr_buf_putc(&all, '\n');
            first_chunk = 0;
            chunk_start = all.len;
            append_decoded(&all, html + pos, end - pos);
            if (section_count > 0 && !in_heading) {
                section *current = &sections[section_count - 1];
                size_t chunk_len = all.len - chunk_start;
                while (chunk_len > 0 && all.data[chunk_start + chunk_len - 1] == '\n')
                    chunk_len--;
                if (current->chunks++ > 0)
                    gr_buf_putc(&current->text, ' ');
                gr_buf_append(&current->text, all.data + chunk_start, chunk_len);
            }
        }
        if (lt == NULL)
            break;

        const char *gt = memchr(lt, '>', len - end);
        size_t tag_len = gt ? (size_t)(gt - lt) + 1 : len - end;
        int closing;
        int level = heading_level_of(lt, tag_len, &closing);
        if (level > 0 && !closing) {
            sections = gr_xrealloc(sections, (section_count + 1) * sizeof(section));
            memset(&sections[section_count], 0, sizeof(section));
            sections[section_count].id = id_attribute(lt, tag_len);
            section_count++;
            in_heading = 1;
        } else if (level > 0) {
            in_heading = 0;
        }
        pos = end + tag_len;
    }

    size_t all_len = all.len;
    while (all_len > 0 && all.data[all_len - 1] == '\n')
        all_len--;
    add_entry(docs, title, all.data, all_len, page_url);
    for (size_t i = 0; i < section_count; i++) {
        const gr_techdocs_heading *heading = find_heading(page, sections[i].id);
        if (heading != NULL) {
            char *location = gr_xasprintf("%s#%s", page_url, heading->id);
            add_entry(docs, heading->title, sections[i].text.data, sections[i].text.len,
                      location);
            free(location);
        }
        free(sections[i].id);
        gr_buf_free(&sections[i].text);
    }
    free(sections);
    gr_buf_free(&all);
}

void gr_techdocs_search_start(gr_buf *out)
{
    gr_buf_puts(out, "{\"config\":{\"indexing\":\"full\",\"lang\":[\"en\"],"
                     "\"min_search_length\":3,\"prebuild_index\":false,"
                     "\"separator\":\"[\\\\s\\\\-]+\"},\"docs\":[");
}

void gr_techdocs_search_finish(gr_buf *out)
{
    gr_buf_puts(out, "]}");
}
