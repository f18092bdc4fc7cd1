/* SPDX-License-Identifier: MIT */
/* Removes scripts, event handlers and script URLs from raw HTML in Markdown. */
#include "plugins/techdocs/build/sanitize.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"

/* Decodes the character references browsers accept inside a URL scheme
 * (numeric ones, &colon;, &tab;, &newline;) and drops whitespace and control
 * characters, so "java&#x09;script:" is seen as "javascript:". */
static size_t scheme_text(const char *url, size_t len, char *out, size_t cap)
{
    size_t used = 0;

    for (size_t i = 0; i < len && used + 1 < cap; i++) {
        unsigned char c = (unsigned char)url[i];

        if (c == '&' && i + 2 < len && url[i + 1] == '#') {
            /* Browsers end a numeric reference at its last digit, ';' or not. */
            int hex = url[i + 2] == 'x' || url[i + 2] == 'X';
            size_t end = i + 2 + (size_t)hex;
            long value = 0;

            while (end < len && (hex ? isxdigit((unsigned char)url[end])
                                     : isdigit((unsigned char)url[end]))) {
                if (value < 0x110000)
                    value = value * (hex ? 16 : 10) +
                            (isdigit((unsigned char)url[end])
                                 ? url[end] - '0'
                                 : tolower((unsigned char)url[end]) - 'a' + 10);
                end++;
            }
            if (end > i + 2 + (size_t)hex) {
                c = value < 128 ? (unsigned char)value : 0x80;
                i = end < len && url[end] == ';' ? end : end - 1;
            }
        } else if (c == '&') {
            size_t end = i + 1;
            while (end < len && end - i < 12 && url[end] != ';')
                end++;
            if (end < len && url[end] == ';') {
                const char *name = url + i + 1;
                size_t name_len = end - i - 1;
                long value = -1;
                if (name_len == 5 && strncasecmp(name, "colon", 5) == 0)
                    value = ':';
                else if (name_len == 3 && strncasecmp(name, "tab", 3) == 0)
                    value = '\t';
                else if (name_len == 7 && strncasecmp(name, "newline", 7) == 0)
                    value = '\n';
                if (value >= 0) {
                    c = value < 128 ? (unsigned char)value : 0x80;
                    i = end;
                }
            }
        }
        if (c <= 0x20 || c == 0x7f)
            continue;
        out[used++] = (char)tolower(c);
    }
    out[used] = '\0';
    return used;
}

int gr_techdocs_url_is_unsafe(const char *url, size_t len, int allow_data_image)
{
    char scheme[64];

    scheme_text(url, len, scheme, sizeof(scheme));
    if (strncmp(scheme, "javascript:", 11) == 0 || strncmp(scheme, "vbscript:", 9) == 0)
        return 1;
    if (strncmp(scheme, "data:", 5) == 0)
        return !(allow_data_image && strncmp(scheme, "data:image/", 11) == 0);
    return 0;
}

static int name_is(const char *name, size_t len, const char *expected)
{
    return strlen(expected) == len && strncasecmp(name, expected, len) == 0;
}

static int is_url_attribute(const char *name, size_t len)
{
    static const char *const names[] = {"href",     "src",    "action",   "formaction",
                                        "xlink:href", "data", "background", "poster",
                                        "codebase", "cite",   "ping",     "manifest",
                                        "icon",     "longdesc", "dynsrc", "lowsrc"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (name_is(name, len, names[i]))
            return 1;
    }
    return 0;
}

/* Returns the length of the tag name after "<" or "</". */
static size_t tag_name(const char *tag, size_t len, size_t from)
{
    size_t end = from;

    while (end < len && (isalnum((unsigned char)tag[end]) || tag[end] == '-' || tag[end] == ':'))
        end++;
    return end - from;
}

/* Attribute names of letters, digits, '-', '_', ':' and '.'; others are dropped. */
static int plain_name(const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!isalnum(c) && c != '-' && c != '_' && c != ':' && c != '.')
            return 0;
    }
    return 1;
}

int gr_techdocs_attribute_is_unsafe(const char *name, size_t name_len, const char *value,
                                    size_t value_len)
{
    if (!plain_name(name, name_len) || name_is(name, name_len, "srcdoc") ||
        (name_len > 2 && strncasecmp(name, "on", 2) == 0))
        return 1;
    return is_url_attribute(name, name_len) &&
           gr_techdocs_url_is_unsafe(value, value_len, name_is(name, name_len, "src"));
}




/* A tag name ends at white space, '/' or '>'. Any other character (such as
 * '<' in "<scr<script>") makes the piece text rather than a tag we check. */
static int name_ends_tag(const char *piece, size_t len, size_t end)
{
    return end < len && (isspace((unsigned char)piece[end]) || piece[end] == '/' ||
                         piece[end] == '>');
}

/* Elements dropped as tags (their content stays): <base> redirects every
 * relative link, <meta> can refresh to a script URL, SVG animation
 * elements can set an href or an event handler to a script value, and
 * frames, objects and embeds load a document that the page's sanitizing
 * and CSP do not cover. Backstage's DOMPurify defaults drop the same.
 * TODO: no setting yet allows iframes from chosen hosts (video embeds). */
static int drops_element(const char *name, size_t len)
{
    static const char *const names[] = {
        "base",    "meta",  "animate", "set",    "animatemotion", "animatetransform",
        "handler", "listener", "iframe", "frame", "frameset",  "object",
        "embed",   "applet"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (name_is(name, len, names[i]))
            return 1;
    }
    return 0;
}

/* Appends `len` bytes of `text` HTML-escaped. */
static void put_escaped(gr_buf *out, const char *text, size_t len)
{
    char *copy = gr_xstrndup(text, len);

    gr_buf_put_html(out, copy);
    free(copy);
}

/* One attribute of a tag, as offsets into the tag's text. */
typedef struct {
    size_t name_start;
    size_t name_len;
    size_t value_start;
    size_t value_len;
    int has_value;
} tag_attribute;

typedef void (*attribute_fn)(const char *tag, const tag_attribute *attribute, void *payload);

/*
 * Reads the tag at text[0] ('<') as a browser's tokenizer does: the name
 * ends at white space, '/' or '>'; '/' and white space separate
 * attributes; a name ends at white space, '/', '>' or '='; a value after
 * '=' is quoted only when its first character is a quote, else it ends at
 * white space or '>'. Calls `fn` (may be NULL) for each attribute and
 * stores where the tag name ends. Returns the tag's length up to and
 * including its '>', or 0 when `len` bytes do not finish it.
 */
static size_t scan_tag(const char *text, size_t len, attribute_fn fn, void *payload,
                       size_t *name_end)
{
    size_t pos = 1;

    if (pos < len && text[pos] == '/')
        pos++;
    while (pos < len && !isspace((unsigned char)text[pos]) && text[pos] != '/' && text[pos] != '>')
        pos++;
    *name_end = pos;
    for (;;) {
        tag_attribute attribute = {0, 0, 0, 0, 0};
        size_t after_name;

        while (pos < len && (isspace((unsigned char)text[pos]) || text[pos] == '/'))
            pos++;
        if (pos >= len)
            return 0;
        if (text[pos] == '>')
            return pos + 1;
        attribute.name_start = pos++; /* a leading '=' belongs to the name */
        while (pos < len && !isspace((unsigned char)text[pos]) && text[pos] != '/' &&
               text[pos] != '>' && text[pos] != '=')
            pos++;
        attribute.name_len = pos - attribute.name_start;
        after_name = pos;
        while (pos < len && isspace((unsigned char)text[pos]))
            pos++;
        if (pos < len && text[pos] == '=') {
            pos++;
            while (pos < len && isspace((unsigned char)text[pos]))
                pos++;
            if (pos >= len)
                return 0;
            if (text[pos] == '"' || text[pos] == '\'') {
                const char *end = memchr(text + pos + 1, text[pos], len - pos - 1);

                if (end == NULL)
                    return 0;
                attribute.value_start = pos + 1;
                attribute.value_len = (size_t)(end - text) - pos - 1;
                pos = (size_t)(end - text) + 1;
            } else {
                attribute.value_start = pos;
                while (pos < len && !isspace((unsigned char)text[pos]) && text[pos] != '>')
                    pos++;
                attribute.value_len = pos - attribute.value_start;
            }
            attribute.has_value = 1;
        } else {
            pos = after_name;
        }
        if (fn != NULL)
            fn(text, &attribute, payload);
    }
}

/* Writes a safe attribute again, its value in double quotes with '"', '<'
 * and '>' escaped, so no value carries markup or ends early. */
static void put_attribute(const char *tag, const tag_attribute *attribute, void *payload)
{
    gr_buf *out = payload;

    if (gr_techdocs_attribute_is_unsafe(tag + attribute->name_start, attribute->name_len,
                                        tag + attribute->value_start, attribute->value_len))
        return;
    gr_buf_putc(out, ' ');
    gr_buf_append(out, tag + attribute->name_start, attribute->name_len);
    if (!attribute->has_value)
        return;
    gr_buf_puts(out, "=\"");
    for (size_t i = 0; i < attribute->value_len; i++) {
        char c = tag[attribute->value_start + i];

        if (c == '"')
            gr_buf_puts(out, "&quot;");
        else if (c == '<')
            gr_buf_puts(out, "&lt;");
        else if (c == '>')
            gr_buf_puts(out, "&gt;");
        else
            gr_buf_putc(out, c);
    }
    gr_buf_putc(out, '"');
}

/* Writes one complete tag `<...>` again without its unsafe attributes. */
static void write_tag(const char *tag, size_t len, gr_buf *out)
{
    size_t name_end = 0;

    /* An end tag keeps only its name: browsers ignore anything after it. */
    if (tag[1] == '/') {
        gr_buf_append(out, tag, 2 + tag_name(tag, len, 2));
        gr_buf_putc(out, '>');
        return;
    }
    scan_tag(tag, len, NULL, NULL, &name_end);
    gr_buf_append(out, tag, name_end);
    scan_tag(tag, len, put_attribute, out, &name_end);
    gr_buf_puts(out, len >= 2 && tag[len - 2] == '/' ? " />" : ">");
}

/* Returns the length of the markup starting at `text` (a '<'), or 0 when it
 * is not finished within `len` bytes. */
static size_t markup_length(const char *text, size_t len)
{
    size_t name_end;

    if (len >= 4 && strncmp(text, "<!--", 4) == 0) {
        for (size_t i = 4; i + 2 < len; i++) {
            if (text[i] == '-' && text[i + 1] == '-' && text[i + 2] == '>')
                return i + 3;
        }
        return 0;
    }
    return scan_tag(text, len, NULL, NULL, &name_end);
}

/* Handles a complete tag or comment held in `piece`. */
static void handle_markup(gr_techdocs_sanitizer *sanitizer, const char *piece, size_t len,
                          gr_buf *out)
{
    int closing = len > 1 && piece[1] == '/';
    size_t name_from = closing ? 2 : 1;
    size_t name_len = tag_name(piece, len, name_from);
    int script = name_is(piece + name_from, name_len, "script");

    if (script) {
        /* A self-closing <script/> opens nothing in HTML, but drop it too. */
        sanitizer->in_script = !closing;
        return;
    }
    if (sanitizer->in_script)
        return;
    /* Comments, doctypes and processing instructions are dropped whole:
     * browsers end a comment at "<!-->", "<!--->" or "--!>" too, so
     * passing one through could let markup after those out. */
    if (piece[1] == '!' || piece[1] == '?')
        return;
    if (name_len == 0 || !name_ends_tag(piece, len, name_from + name_len))
        put_escaped(out, piece, len);
    else if (drops_element(piece + name_from, name_len))
        return;
    else
        write_tag(piece, len, out);
}


static int starts_markup(const char *text, size_t len)
{
    if (len < 2)
        return len == 1; /* a lone '<' at the end may start a tag in the next piece */
    return isalpha((unsigned char)text[1]) || text[1] == '/' || text[1] == '!' || text[1] == '?';
}

void gr_techdocs_sanitize_feed(gr_techdocs_sanitizer *sanitizer, const char *html, size_t len,
                               gr_buf *out)
{
    gr_buf work = GR_BUF_INIT;
    size_t pos = 0;

    gr_buf_append(&work, sanitizer->pending.data ? sanitizer->pending.data : "",
                  sanitizer->pending.len);
    gr_buf_append(&work, html, len);
    gr_buf_reset(&sanitizer->pending);

    while (pos < work.len) {
        const char *lt = memchr(work.data + pos, '<', work.len - pos);
        size_t text_end = lt ? (size_t)(lt - work.data) : work.len;

        if (!sanitizer->in_script)
            gr_buf_append(out, work.data + pos, text_end - pos);
        pos = text_end;
        if (lt == NULL)
            break;

        if (!starts_markup(work.data + pos, work.len - pos)) {
            /* Escaped, so that dropping markup after it cannot join it
             * with later text into a tag ("<</script>x" -> "<x"). */
            if (!sanitizer->in_script)
                gr_buf_puts(out, "&lt;");
            pos++;
            continue;
        }
        size_t markup = markup_length(work.data + pos, work.len - pos);
        if (markup == 0) {
            gr_buf_append(&sanitizer->pending, work.data + pos, work.len - pos);
            break;
        }
        handle_markup(sanitizer, work.data + pos, markup, out);
        pos += markup;
    }
    gr_buf_free(&work);
}

void gr_techdocs_sanitize_finish(gr_techdocs_sanitizer *sanitizer, gr_buf *out)
{
    if (sanitizer->pending.len > 0 && !sanitizer->in_script)
        gr_buf_put_html(out, sanitizer->pending.data);
    gr_buf_free(&sanitizer->pending);
    sanitizer->in_script = 0;
}
