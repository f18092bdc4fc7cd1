/* SPDX-License-Identifier: MIT */
/* Markdown pages to HTML fragments as MkDocs renders them with Python-Markdown. */
#include "plugins/techdocs/build/markdown.h"

#include <md4c.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/techdocs/build/attr_list.h"
#include "plugins/techdocs/build/page.h"
#include "plugins/techdocs/build/sanitize.h"

/* A start tag already written to `buf` at [start, end), kept so that an
 * attribute list after its element can rewrite it. */
typedef struct {
    gr_buf *buf; /* NULL when there is none */
    const char *name;
    size_t start;
    size_t end;
    gr_techdocs_attributes attrs;
} element_tag;

/* One md4c run over a piece of the page. */
typedef struct {
    gr_techdocs__page *page;
    gr_buf *out;
    const char *chunk;
    size_t chunk_len;
    int chunk_line;
    size_t search_from;
    size_t counted_to; /* newlines of chunk[0, counted_to) are in counted_line */
    int counted_line;
    gr_techdocs_sanitizer sanitizer;
    gr_buf pending; /* normal text not yet written, so a footnote reference or
                     * an attribute list split over callbacks is seen whole */
    int heading_level;
    gr_buf heading_html;
    gr_buf heading_slug_text; /* text the id is made from */
    gr_buf heading_toc_text;  /* text the table of contents shows */
    int image_depth;
    gr_buf image_alt;
    char *image_src;
    char *image_title;
    element_tag link;   /* the start tag of the open link */
    element_tag last;   /* the image or link just closed, which a `{...}` may follow */
} renderer;

static gr_buf *target(renderer *r)
{
    return r->heading_level > 0 ? &r->heading_html : r->out;
}

static char *attribute_string(const MD_ATTRIBUTE *attribute)
{
    return gr_xstrndup(attribute->text ? attribute->text : "", attribute->size);
}

/* Escapes &, < and > only, as Python-Markdown's code_escape does. */
static void put_code_escaped(gr_buf *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (text[i]) {
        case '&': gr_buf_puts(out, "&amp;"); break;
        case '<': gr_buf_puts(out, "&lt;"); break;
        case '>': gr_buf_puts(out, "&gt;"); break;
        default: gr_buf_putc(out, text[i]);
        }
    }
}

/* Appends `len` bytes of `text` HTML-escaped, in runs, without a copy. */
static void put_html_n(gr_buf *out, const char *text, size_t len)
{
    size_t run = 0;

    for (size_t i = 0; i < len; i++) {
        const char *entity;

        switch (text[i]) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        gr_buf_append(out, text + run, i - run);
        gr_buf_puts(out, entity);
        run = i + 1;
    }
    gr_buf_append(out, text + run, len - run);
}

/* Returns the line of the first occurrence of `needle` at or after the last
 * link found, so that links report the line they were written on. */
static int find_line(renderer *r, const char *needle)
{
    size_t needle_len = strlen(needle);
    const char *found = NULL;
    const char *base = r->chunk;
    size_t base_len = r->chunk_len;
    int line = r->chunk_line;

    if (needle_len > 0 && r->search_from < base_len)
        found = memmem(base + r->search_from, base_len - r->search_from, needle, needle_len);
    if (found == NULL && needle_len > 0)
        found = memmem(base, base_len, needle, needle_len);
    if (found == NULL && needle_len > 0) {
        base = r->page->document;
        base_len = r->page->document_len;
        line = r->page->document_line;
        found = memmem(base, base_len, needle, needle_len);
    }
    if (found == NULL)
        return r->chunk_line;
    if (base != r->chunk) {
        for (const char *p = base; p < found; p++)
            line += *p == '\n';
        return line;
    }
    /* Links come in document order, so counting resumes where it stopped. */
    r->search_from = (size_t)(found - base) + 1;
    if ((size_t)(found - base) < r->counted_to) {
        r->counted_to = 0;
        r->counted_line = r->chunk_line;
    }
    for (const char *p = base + r->counted_to; p < found; p++)
        r->counted_line += *p == '\n';
    r->counted_to = (size_t)(found - base);
    return r->counted_line;
}

static void add_link(renderer *r, const char *url, const char *written, char *target_path,
                     gr_techdocs_link_status status, int is_image)
{
    gr_techdocs__page *page = r->page;
    gr_techdocs_link *link;

    if (page->link_count == page->link_cap) {
        page->link_cap = page->link_cap ? page->link_cap * 2 : 16;
        page->link_list = gr_xrealloc(page->link_list, page->link_cap * sizeof(*link));
    }
    link = &page->link_list[page->link_count++];
    link->url = gr_xstrdup(url);
    link->written = gr_xstrdup(written);
    link->target = target_path;
    link->status = status;
    link->is_image = is_image;
    link->line = find_line(r, url);
}

/* Rewrites a link or image URL; returns the URL to write, or NULL when the
 * URL runs script and the attribute must be left out. */
static char *resolve_url(renderer *r, const char *url, int is_image)
{
    const gr_techdocs_link_context *context = r->page->links;
    char *written = NULL;
    char *target_path = NULL;
    gr_techdocs_link_status status;

    if (gr_techdocs_url_is_unsafe(url, strlen(url), is_image))
        return NULL;
    status = gr_techdocs_rewrite_link_at(url, context->src_uri, r->page->page_url,
                                         context->exists, context->payload, &written,
                                         &target_path);
    add_link(r, url, written, target_path, status, is_image);
    return written;
}

static void put_footnote_reference(renderer *r, gr_techdocs__footnote *note, gr_buf *out)
{
    size_t number = (size_t)(note - r->page->footnotes) + 1;

    note->references++;
    gr_buf_puts(out, "<sup id=\"fnref");
    if (note->references > 1)
        gr_buf_printf(out, "%d", note->references);
    gr_buf_puts(out, ":");
    gr_buf_put_html(out, note->label);
    gr_buf_puts(out, "\"><a class=\"footnote-ref\" href=\"#fn:");
    gr_buf_put_html(out, note->label);
    gr_buf_printf(out, "\">%zu</a></sup>", number);
}

/* Writes normal text, turning `[^label]` into footnote references. */
static void write_text(renderer *r, const char *text, size_t len)
{
    size_t pos = 0;
    gr_buf *out = target(r);

    while (pos < len) {
        const char *open = r->page->options->footnotes
                               ? memmem(text + pos, len - pos, "[^", 2)
                               : NULL;
        const char *close = open ? memchr(open + 2, ']', (size_t)(text + len - open - 2)) : NULL;
        gr_techdocs__footnote *note = NULL;
        size_t upto = open ? (size_t)(open - text) : len;

        if (close != NULL && close > open + 2)
            note = gr_techdocs__find_footnote(r->page, open + 2, (size_t)(close - open - 2));
        if (note == NULL && open != NULL)
            upto = (size_t)(open - text) + 2;

        put_html_n(out, text + pos, upto - pos);
        if (r->heading_level > 0) {
            gr_buf_append(&r->heading_slug_text, text + pos, upto - pos);
            put_code_escaped(&r->heading_toc_text, text + pos, upto - pos);
        }
        pos = upto;
        if (note != NULL) {
            put_footnote_reference(r, note, out);
            pos = (size_t)(close - text) + 1;
        }
    }
}

static void tag_forget(element_tag *tag)
{
    gr_techdocs_attributes_free(&tag->attrs);
    tag->buf = NULL;
}

/* Writes the start tag of `name` with `attrs` to `buf` and records where it is. */
static void tag_write(element_tag *tag, gr_buf *buf, const char *name,
                      const gr_techdocs_attributes *attrs, const char *end)
{
    tag->buf = buf;
    tag->name = name;
    tag->start = buf->len;
    gr_buf_putc(buf, '<');
    gr_buf_puts(buf, name);
    gr_techdocs_attributes_write(buf, attrs);
    gr_buf_puts(buf, end);
    tag->end = buf->len;
}

/* Writes the tag again with its changed attributes in place of the old one. */
static void tag_rewrite(element_tag *tag)
{
    gr_buf *buf = tag->buf;
    char *tail = gr_xstrndup(buf->data + tag->end, buf->len - tag->end);
    int is_void = strcmp(tag->name, "img") == 0;

    buf->len = tag->start;
    buf->data[buf->len] = '\0';
    tag_write(tag, buf, tag->name, &tag->attrs, is_void ? " />" : ">");
    gr_buf_puts(buf, tail);
    free(tail);
}

/* Applies an attribute list that starts the text after an image or a link
 * (attr_list's INLINE_RE) to that element and drops it from the text. */
static void apply_inline_attributes(renderer *r)
{
    size_t inner_from;
    size_t inner_len;
    size_t used;

    if (r->last.buf == NULL || !r->page->options->attr_list || r->pending.len == 0)
        return;
    used = gr_techdocs_attribute_list_match(r->pending.data, r->pending.len, &inner_from,
                                            &inner_len);
    if (used == 0)
        return;
    gr_techdocs_attributes_apply(&r->last.attrs, r->pending.data + inner_from, inner_len);
    tag_rewrite(&r->last);
    memmove(r->pending.data, r->pending.data + used, r->pending.len - used + 1);
    r->pending.len -= used;
}

static void flush_pending(renderer *r)
{
    apply_inline_attributes(r);
    tag_forget(&r->last);
    if (r->pending.len == 0)
        return;
    write_text(r, r->pending.data, r->pending.len);
    gr_buf_reset(&r->pending);
}

/* Finds a trailing ` {: ...}` in the heading's last text (attr_list's
 * HEADER_RE). Returns the offset where it starts, or -1. */
static long find_heading_attributes(const char *text, size_t len, size_t *inner_from,
                                    size_t *inner_len)
{
    size_t end = len;
    size_t open;

    while (end > 0 && text[end - 1] == ' ')
        end--;
    if (end == 0 || text[end - 1] != '}')
        return -1;
    open = end - 1;
    while (open > 0 && text[open - 1] != '{' && text[open - 1] != '}' && text[open - 1] != '\n')
        open--;
    if (open == 0 || text[open - 1] != '{')
        return -1;
    open--;
    if (open == 0 || text[open - 1] != ' ')
        return -1;

    size_t from = open + 1;
    if (text[from] == ':')
        from++;
    while (from < end - 1 && text[from] == ' ')
        from++;
    if (from >= end - 1)
        return -1;
    size_t to = end - 1;
    while (to > from && text[to - 1] == ' ')
        to--;
    *inner_from = from;
    *inner_len = to - from;

    long start = (long)open;
    while (start > 0 && text[start - 1] == ' ')
        start--;
    return start;
}

static void record_heading(renderer *r, const char *id, const char *title)
{
    gr_techdocs__page *page = r->page;
    gr_techdocs_heading *heading;

    if (page->heading_count == page->heading_cap) {
        page->heading_cap = page->heading_cap ? page->heading_cap * 2 : 16;
        page->headings = gr_xrealloc(page->headings, page->heading_cap * sizeof(*heading));
    }
    heading = &page->headings[page->heading_count++];
    heading->level = r->heading_level;
    heading->id = gr_xstrdup(id);
    heading->title = gr_xstrdup(title);
}

static char *trimmed(const gr_buf *buf)
{
    const char *text = gr_buf_cstr(buf);
    size_t len = buf->len;

    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\n' || text[len - 1] == '\t'))
        len--;
    while (len > 0 && (*text == ' ' || *text == '\n' || *text == '\t')) {
        text++;
        len--;
    }
    return gr_xstrndup(text, len);
}

static void finish_heading(renderer *r)
{
    gr_techdocs_attributes attrs = GR_TECHDOCS_ATTRIBUTES_INIT;
    size_t inner_from;
    size_t inner_len;
    long start = -1;
    char *id;
    char *title;
    int level = r->heading_level;

    if (r->page->options->attr_list && r->pending.len > 0)
        start = find_heading_attributes(r->pending.data, r->pending.len, &inner_from, &inner_len);
    if (start >= 0) {
        gr_techdocs_attributes_apply(&attrs, r->pending.data + inner_from, inner_len);
        /* attr_list also drops closing '#'s left before the list. */
        size_t keep = (size_t)start;
        while (keep > 0 && r->pending.data[keep - 1] == '#')
            keep--;
        while (keep > 0 && r->pending.data[keep - 1] == ' ')
            keep--;
        r->pending.len = keep;
        r->pending.data[keep] = '\0';
    }
    flush_pending(r);

    title = trimmed(&r->heading_toc_text);
    if (gr_techdocs_attributes_get(&attrs, "id") != NULL) {
        id = gr_xstrdup(gr_techdocs_attributes_get(&attrs, "id"));
        gr_techdocs_idset_add(r->page->ids, id);
    } else {
        char *text = trimmed(&r->heading_slug_text);
        char *slug = gr_techdocs_slugify(text, strlen(text), '-');
        id = gr_techdocs_idset_unique(r->page->ids, slug);
        free(slug);
        free(text);
    }
    record_heading(r, id, title);

    r->heading_level = 0;
    gr_techdocs_attributes_set(&attrs, "id", id);
    gr_buf_puts(r->out, "<h");
    gr_buf_putc(r->out, (char)('0' + level));
    gr_techdocs_attributes_write(r->out, &attrs);
    gr_buf_putc(r->out, '>');
    gr_buf_append(r->out, r->heading_html.data ? r->heading_html.data : "", r->heading_html.len);
    if (r->page->options->toc_permalink) {
        const char *text = r->page->options->permalink_text;
        gr_buf_puts(r->out, "<a class=\"headerlink\" href=\"#");
        gr_buf_put_html(r->out, id);
        gr_buf_printf(r->out, "\" title=\"Permanent link\">%s</a>", text ? text : "&para;");
    }
    gr_buf_puts(r->out, "</h");
    gr_buf_putc(r->out, (char)('0' + level));
    gr_buf_puts(r->out, ">\n");

    gr_buf_reset(&r->heading_html);
    gr_buf_reset(&r->heading_slug_text);
    gr_buf_reset(&r->heading_toc_text);
    gr_techdocs_attributes_free(&attrs);
    free(id);
    free(title);
}

static void start_code_block(renderer *r, const MD_BLOCK_CODE_DETAIL *detail)
{
    gr_buf_puts(r->out, "<pre><code");
    if (detail->lang.size > 0) {
        char *lang = attribute_string(&detail->lang);
        gr_buf_puts(r->out, " class=\"language-");
        gr_buf_put_html(r->out, lang);
        gr_buf_putc(r->out, '"');
        free(lang);
    }
    gr_buf_putc(r->out, '>');
}

static const char *align_style(MD_ALIGN align)
{
    switch (align) {
    case MD_ALIGN_LEFT: return " style=\"text-align: left;\"";
    case MD_ALIGN_CENTER: return " style=\"text-align: center;\"";
    case MD_ALIGN_RIGHT: return " style=\"text-align: right;\"";
    default: return "";
    }
}

static int enter_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    renderer *r = userdata;
    gr_buf *out = r->out;

    flush_pending(r);
    switch (type) {
    case MD_BLOCK_QUOTE: gr_buf_puts(out, "<blockquote>\n"); break;
    case MD_BLOCK_UL: gr_buf_puts(out, "<ul>\n"); break;
    case MD_BLOCK_OL: {
        const MD_BLOCK_OL_DETAIL *ol = detail;
        if (ol->start == 1)
            gr_buf_puts(out, "<ol>\n");
        else
            gr_buf_printf(out, "<ol start=\"%u\">\n", ol->start);
        break;
    }
    case MD_BLOCK_LI: {
        const MD_BLOCK_LI_DETAIL *li = detail;
        if (li->is_task)
            gr_buf_printf(out, "<li class=\"task-list-item\"><input type=\"checkbox\" disabled%s/> ",
                          li->task_mark == ' ' ? "" : " checked");
        else
            gr_buf_puts(out, "<li>");
        break;
    }
    case MD_BLOCK_HR: gr_buf_puts(out, "<hr />\n"); break;
    case MD_BLOCK_H:
        r->heading_level = (int)((const MD_BLOCK_H_DETAIL *)detail)->level;
        break;
    case MD_BLOCK_CODE: start_code_block(r, detail); break;
    case MD_BLOCK_P: gr_buf_puts(out, "<p>"); break;
    case MD_BLOCK_TABLE: gr_buf_puts(out, "<table>\n"); break;
    case MD_BLOCK_THEAD: gr_buf_puts(out, "<thead>\n"); break;
    case MD_BLOCK_TBODY: gr_buf_puts(out, "<tbody>\n"); break;
    case MD_BLOCK_TR: gr_buf_puts(out, "<tr>\n"); break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
        gr_buf_puts(out, type == MD_BLOCK_TH ? "<th" : "<td");
        gr_buf_puts(out, align_style(((const MD_BLOCK_TD_DETAIL *)detail)->align));
        gr_buf_putc(out, '>');
        break;
    default: break;
    }
    return 0;
}

static int leave_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
    renderer *r = userdata;
    gr_buf *out = r->out;

    (void)detail;
    if (type == MD_BLOCK_H) {
        finish_heading(r);
        return 0;
    }
    flush_pending(r);
    switch (type) {
    case MD_BLOCK_QUOTE: gr_buf_puts(out, "</blockquote>\n"); break;
    case MD_BLOCK_UL: gr_buf_puts(out, "</ul>\n"); break;
    case MD_BLOCK_OL: gr_buf_puts(out, "</ol>\n"); break;
    case MD_BLOCK_LI: gr_buf_puts(out, "</li>\n"); break;
    case MD_BLOCK_CODE: gr_buf_puts(out, "</code></pre>\n"); break;
    case MD_BLOCK_HTML: gr_techdocs_sanitize_finish(&r->sanitizer, out); break;
    case MD_BLOCK_P: gr_buf_puts(out, "</p>\n"); break;
    case MD_BLOCK_TABLE: gr_buf_puts(out, "</table>\n"); break;
    case MD_BLOCK_THEAD: gr_buf_puts(out, "</thead>\n"); break;
    case MD_BLOCK_TBODY: gr_buf_puts(out, "</tbody>\n"); break;
    case MD_BLOCK_TR: gr_buf_puts(out, "</tr>\n"); break;
    case MD_BLOCK_TH: gr_buf_puts(out, "</th>\n"); break;
    case MD_BLOCK_TD: gr_buf_puts(out, "</td>\n"); break;
    default: break;
    }
    return 0;
}

static void start_link(renderer *r, const MD_SPAN_A_DETAIL *detail)
{
    char *href = attribute_string(&detail->href);
    char *written = resolve_url(r, href, 0);

    tag_forget(&r->link);
    if (written != NULL)
        gr_techdocs_attributes_set(&r->link.attrs, "href", written);
    if (detail->title.size > 0) {
        char *title = attribute_string(&detail->title);
        gr_techdocs_attributes_set(&r->link.attrs, "title", title);
        free(title);
    }
    tag_write(&r->link, target(r), "a", &r->link.attrs, ">");
    free(href);
    free(written);
}

static int enter_span(MD_SPANTYPE type, void *detail, void *userdata)
{
    renderer *r = userdata;
    gr_buf *out;

    flush_pending(r);
    if (r->image_depth > 0) {
        if (type == MD_SPAN_IMG)
            r->image_depth++;
        return 0;
    }
    out = target(r);
    switch (type) {
    case MD_SPAN_EM: gr_buf_puts(out, "<em>"); break;
    case MD_SPAN_STRONG: gr_buf_puts(out, "<strong>"); break;
    case MD_SPAN_A: start_link(r, detail); break;
    case MD_SPAN_IMG: {
        const MD_SPAN_IMG_DETAIL *img = detail;
        char *src = attribute_string(&img->src);
        r->image_depth = 1;
        gr_buf_reset(&r->image_alt);
        r->image_src = resolve_url(r, src, 1);
        r->image_title = img->title.size ? attribute_string(&img->title) : NULL;
        free(src);
        break;
    }
    case MD_SPAN_CODE: gr_buf_puts(out, "<code>"); break;
    case MD_SPAN_DEL: gr_buf_puts(out, "<del>"); break;
    case MD_SPAN_U: gr_buf_puts(out, "<u>"); break;
    default: break;
    }
    return 0;
}

static void finish_image(renderer *r)
{
    tag_forget(&r->last);
    gr_techdocs_attributes_set(&r->last.attrs, "alt", gr_buf_cstr(&r->image_alt));
    if (r->image_src != NULL)
        gr_techdocs_attributes_set(&r->last.attrs, "src", r->image_src);
    if (r->image_title != NULL)
        gr_techdocs_attributes_set(&r->last.attrs, "title", r->image_title);
    tag_write(&r->last, target(r), "img", &r->last.attrs, " />");
    free(r->image_src);
    free(r->image_title);
    r->image_src = NULL;
    r->image_title = NULL;
}

static int leave_span(MD_SPANTYPE type, void *detail, void *userdata)
{
    renderer *r = userdata;
    gr_buf *out;

    (void)detail;
    if (r->image_depth > 0) {
        if (type == MD_SPAN_IMG && --r->image_depth == 0)
            finish_image(r);
        return 0;
    }
    flush_pending(r);
    out = target(r);
    switch (type) {
    case MD_SPAN_EM: gr_buf_puts(out, "</em>"); break;
    case MD_SPAN_STRONG: gr_buf_puts(out, "</strong>"); break;
    case MD_SPAN_A:
        gr_buf_puts(out, "</a>");
        /* The closed link is what an attribute list right after it changes. */
        r->last = r->link;
        memset(&r->link, 0, sizeof(r->link));
        break;
    case MD_SPAN_CODE: gr_buf_puts(out, "</code>"); break;
    case MD_SPAN_DEL: gr_buf_puts(out, "</del>"); break;
    case MD_SPAN_U: gr_buf_puts(out, "</u>"); break;
    default: break;
    }
    return 0;
}

static void text_in_heading(renderer *r, MD_TEXTTYPE type, const char *text, size_t len)
{
    if (r->heading_level == 0)
        return;
    switch (type) {
    case MD_TEXT_CODE:
        gr_buf_append(&r->heading_slug_text, text, len);
        put_code_escaped(&r->heading_toc_text, text, len);
        break;
    case MD_TEXT_ENTITY:
        /* Python-Markdown keeps entities as raw HTML: the id drops them and
         * the table of contents shows them as written. */
        gr_buf_append(&r->heading_toc_text, text, len);
        break;
    case MD_TEXT_SOFTBR:
    case MD_TEXT_BR:
        gr_buf_putc(&r->heading_slug_text, '\n');
        gr_buf_putc(&r->heading_toc_text, '\n');
        break;
    default: break;
    }
}

static int on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *userdata)
{
    renderer *r = userdata;
    gr_buf *out;

    if (r->image_depth > 0) {
        if (type != MD_TEXT_HTML)
            gr_buf_append(&r->image_alt, text, size);
        return 0;
    }
    if (type == MD_TEXT_NORMAL) {
        if (!r->sanitizer.in_script)
            gr_buf_append(&r->pending, text, size);
        return 0;
    }
    flush_pending(r);
    out = target(r);
    text_in_heading(r, type, text, size);
    switch (type) {
    case MD_TEXT_NULLCHAR: gr_buf_puts(out, "\xEF\xBF\xBD"); break;
    case MD_TEXT_BR: gr_buf_puts(out, "<br />\n"); break;
    case MD_TEXT_SOFTBR: gr_buf_putc(out, '\n'); break;
    case MD_TEXT_HTML: gr_techdocs_sanitize_feed(&r->sanitizer, text, size, out); break;
    case MD_TEXT_ENTITY: gr_buf_append(out, text, size); break;
    default: put_html_n(out, text, size); break;
    }
    return 0;
}

int gr_techdocs__render_md4c(gr_techdocs__page *page, const char *text, size_t len, int first_line,
                             gr_buf *out)
{
    renderer r = {0};
    MD_PARSER parser = {0};
    gr_buf input = GR_BUF_INIT;
    int rc;

    r.page = page;
    r.out = out;
    r.chunk = text;
    r.chunk_len = len;
    r.chunk_line = first_line;
    r.counted_line = first_line;
    gr_buf_append(&input, text, len);
    if (page->reference_definitions.len > 0) {
        gr_buf_puts(&input, "\n\n");
        gr_buf_append(&input, page->reference_definitions.data, page->reference_definitions.len);
    }

    parser.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS |
                   MD_FLAG_PERMISSIVEATXHEADERS;
    if (page->options->magiclink)
        parser.flags |= MD_FLAG_PERMISSIVEAUTOLINKS;
    parser.enter_block = enter_block;
    parser.leave_block = leave_block;
    parser.enter_span = enter_span;
    parser.leave_span = leave_span;
    parser.text = on_text;

    rc = md_parse(input.data ? input.data : "", (MD_SIZE)input.len, &parser, &r);
    flush_pending(&r);
    gr_techdocs_sanitize_finish(&r.sanitizer, out);

    gr_buf_free(&input);
    gr_buf_free(&r.pending);
    gr_buf_free(&r.heading_html);
    gr_buf_free(&r.heading_slug_text);
    gr_buf_free(&r.heading_toc_text);
    gr_buf_free(&r.image_alt);
    tag_forget(&r.link);
    tag_forget(&r.last);
    free(r.image_src);
    free(r.image_title);
    if (rc != 0)
        return gr_error_set(GR_ELIMIT, "md4c failed to parse the page (out of memory?)");
    return GR_OK;
}

gr_techdocs__footnote *gr_techdocs__find_footnote(gr_techdocs__page *page, const char *label,
                                                  size_t len)
{
    for (size_t i = 0; i < page->footnote_count; i++) {
        if (strlen(page->footnotes[i].label) == len &&
            memcmp(page->footnotes[i].label, label, len) == 0)
            return &page->footnotes[i];
    }
    return NULL;
}

/* Writes the footnote list Python-Markdown's footnotes extension appends. */
static int render_footnotes(gr_techdocs__page *page, gr_buf *out)
{
    int rc = GR_OK;

    if (page->footnote_count == 0)
        return GR_OK;
    gr_buf_puts(out, "<div class=\"footnote\">\n<hr />\n<ol>\n");
    for (size_t i = 0; i < page->footnote_count && rc == GR_OK; i++) {
        gr_techdocs__footnote *note = &page->footnotes[i];
        gr_buf body = GR_BUF_INIT;
        gr_buf backref = GR_BUF_INIT;

        rc = gr_techdocs__render_blocks(page, note->body, strlen(note->body), note->line, &body);
        gr_buf_puts(&backref, "&#160;<a class=\"footnote-backref\" href=\"#fnref:");
        gr_buf_put_html(&backref, note->label);
        gr_buf_printf(&backref, "\" title=\"Jump back to footnote %zu in the text\">&#8617;</a>",
                      i + 1);

        gr_buf_puts(out, "<li id=\"fn:");
        gr_buf_put_html(out, note->label);
        gr_buf_puts(out, "\">\n");
        while (body.len > 0 && body.data[body.len - 1] == '\n')
            body.data[--body.len] = '\0';
        if (body.len >= 4 && strcmp(body.data + body.len - 4, "</p>") == 0) {
            gr_buf_append(out, body.data, body.len - 4);
            gr_buf_printf(out, "%s</p>\n", backref.data);
        } else {
            gr_buf_append(out, body.data ? body.data : "", body.len);
            gr_buf_printf(out, "%s<p>%s</p>\n", body.len ? "\n" : "", backref.data);
        }
        gr_buf_puts(out, "</li>\n");
        gr_buf_free(&body);
        gr_buf_free(&backref);
    }
    gr_buf_puts(out, "</ol>\n</div>\n");
    return rc;
}

static void page_free(gr_techdocs__page *page)
{
    free(page->page_url);
    gr_techdocs_idset_free(page->ids);
    gr_buf_free(&page->reference_definitions);
    for (size_t i = 0; i < page->footnote_count; i++) {
        free(page->footnotes[i].label);
        free(page->footnotes[i].body);
    }
    free(page->footnotes);
}

int gr_techdocs_render_markdown(const char *text, size_t len, int first_line,
                                const gr_techdocs_markdown_options *options,
                                const gr_techdocs_link_context *links, gr_techdocs_page_html *out)
{
    gr_techdocs__page page = {0};
    gr_buf html = GR_BUF_INIT;
    int rc;

    memset(out, 0, sizeof(*out));
    page.options = options;
    page.links = links;
    page.page_url = gr_techdocs_file_url(links->src_uri);
    page.ids = gr_techdocs_idset_new();
    page.document = text;
    page.document_len = len;
    page.document_line = first_line;

    rc = gr_techdocs__render_blocks(&page, text, len, first_line, &html);
    if (rc == GR_OK)
        rc = render_footnotes(&page, &html);

    gr_buf_puts(&html, "");
    out->html = gr_buf_detach(&html);
    out->headings = page.headings;
    out->heading_count = page.heading_count;
    out->links = page.link_list;
    out->link_count = page.link_count;
    page_free(&page);
    if (rc != GR_OK)
        gr_techdocs_page_html_free(out);
    return rc;
}

void gr_techdocs_page_html_free(gr_techdocs_page_html *page)
{
    if (page == NULL)
        return;
    free(page->html);
    for (size_t i = 0; i < page->heading_count; i++) {
        free(page->headings[i].id);
        free(page->headings[i].title);
    }
    free(page->headings);
    for (size_t i = 0; i < page->link_count; i++) {
        free(page->links[i].url);
        free(page->links[i].written);
        free(page->links[i].target);
    }
    free(page->links);
    memset(page, 0, sizeof(*page));
}
