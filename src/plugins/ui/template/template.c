/* SPDX-License-Identifier: MIT */
/* HTML templates: a small mustache-like language compiled once, rendered with automatic escaping. */
#include "plugins/ui/template/template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

typedef enum {
    NODE_TEXT,
    NODE_VAR,
    NODE_RAW,
    NODE_SECTION,
    NODE_INVERTED,
    NODE_PARTIAL,
} node_type;

typedef enum {
    FILTER_NONE,
    FILTER_URL,
    FILTER_URI,
    FILTER_DATE,
    FILTER_LOWER,
    FILTER_COUNT,
} filter_type;

typedef struct {
    node_type type;
    int line;
    const char *text; /* NODE_TEXT: points into the template's copy of its text */
    size_t text_len;
    char **path;      /* names of a dotted path; NULL with path_len 0 is "." */
    size_t path_len;
    filter_type filter;
    char *name;       /* NODE_PARTIAL: the template to include */
    size_t end;       /* sections: index of the first node after the section */
} node;

typedef struct {
    char *name;
    char *origin;
    char *text;
    node *nodes;
    size_t count;
    size_t cap;
} template;

struct gr_template_set {
    template *items;
    size_t count;
    size_t cap;
};

static const struct {
    const char *name;
    filter_type type;
} filters[] = {
    {"url", FILTER_URL},   {"uri", FILTER_URI},     {"date", FILTER_DATE},
    {"lower", FILTER_LOWER}, {"count", FILTER_COUNT},
};

static void template_clear(template *tmpl)
{
    for (size_t i = 0; i < tmpl->count; i++) {
        for (size_t j = 0; j < tmpl->nodes[i].path_len; j++)
            free(tmpl->nodes[i].path[j]);
        free(tmpl->nodes[i].path);
        free(tmpl->nodes[i].name);
    }
    free(tmpl->nodes);
    free(tmpl->name);
    free(tmpl->origin);
    free(tmpl->text);
    memset(tmpl, 0, sizeof(*tmpl));
}

gr_template_set *gr_template_set_new(void)
{
    return gr_xcalloc(1, sizeof(gr_template_set));
}

void gr_template_set_free(gr_template_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->count; i++)
        template_clear(&set->items[i]);
    free(set->items);
    free(set);
}

static const template *set_find(const gr_template_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++) {
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    }
    return NULL;
}

int gr_template_exists(const gr_template_set *set, const char *name)
{
    return set_find(set, name) != NULL;
}

/* ---- compiling ---- */

typedef struct {
    template *tmpl;
    const char *origin;
    int line;
    size_t open[GR_TEMPLATE_MAX_DEPTH]; /* node index of each open section */
    size_t depth;
} compiler;

static node *compiler_push(compiler *c, node_type type)
{
    template *tmpl = c->tmpl;
    node *n;

    if (tmpl->count == tmpl->cap) {
        tmpl->cap = tmpl->cap ? tmpl->cap * 2 : 32;
        tmpl->nodes = gr_xrealloc(tmpl->nodes, tmpl->cap * sizeof(node));
    }
    n = &tmpl->nodes[tmpl->count++];
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->line = c->line;
    return n;
}

static void count_lines(compiler *c, const char *from, const char *to)
{
    for (const char *p = from; p < to; p++) {
        if (*p == '\n')
            c->line++;
    }
}

static int is_name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '-' || ch == '@' || ch == '$';
}

/* Splits "a.b.c" (already trimmed) into names; "." is the empty path. */
static int parse_path(compiler *c, const char *text, size_t len, node *n)
{
    size_t start = 0;

    if (len == 0)
        return gr_error_set(GR_EINVALID, "%s:%d: a tag names no value", c->origin, c->line);
    if (len == 1 && text[0] == '.')
        return 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '.') {
            if (!is_name_char(text[i]))
                return gr_error_set(GR_EINVALID, "%s:%d: invalid character '%c' in '%.*s'",
                                    c->origin, c->line, text[i], (int)len, text);
            continue;
        }
        if (i == start)
            return gr_error_set(GR_EINVALID, "%s:%d: empty name in '%.*s'", c->origin,
                                c->line, (int)len, text);
        n->path = gr_xrealloc(n->path, (n->path_len + 1) * sizeof(char *));
        n->path[n->path_len++] = gr_xstrndup(text + start, i - start);
        start = i + 1;
    }
    return 0;
}

static void trim(const char **text, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)**text)) {
        (*text)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*text)[*len - 1]))
        (*len)--;
}

static int parse_filter(compiler *c, const char *text, size_t len, node *n)
{
    trim(&text, &len);
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        if (strlen(filters[i].name) == len && memcmp(filters[i].name, text, len) == 0) {
            n->filter = filters[i].type;
            return 0;
        }
    }
    return gr_error_set(GR_EINVALID,
                        "%s:%d: unknown filter '%.*s' (known: url, uri, date, lower, count)",
                        c->origin, c->line, (int)len, text);
}

static int compile_var(compiler *c, node_type type, const char *text, size_t len)
{
    const char *bar = memchr(text, '|', len);
    node *n = compiler_push(c, type);
    size_t path_len = bar != NULL ? (size_t)(bar - text) : len;
    int error;

    trim(&text, &path_len);
    if (bar != NULL) {
        size_t rest = len - (size_t)(bar + 1 - text);

        if ((error = parse_filter(c, bar + 1, rest, n)) < 0)
            return error;
    }
    return parse_path(c, text, path_len, n);
}

static int compile_open(compiler *c, node_type type, const char *text, size_t len)
{
    node *n;

    if (c->depth == GR_TEMPLATE_MAX_DEPTH)
        return gr_error_set(GR_ELIMIT, "%s:%d: sections nest deeper than %d", c->origin,
                            c->line, GR_TEMPLATE_MAX_DEPTH);
    n = compiler_push(c, type);
    c->open[c->depth++] = c->tmpl->count - 1;
    return parse_path(c, text, len, n);
}

static int path_equals(const node *n, const char *text, size_t len)
{
    size_t pos = 0;

    if (n->path_len == 0)
        return len == 1 && text[0] == '.';
    for (size_t i = 0; i < n->path_len; i++) {
        size_t part = strlen(n->path[i]);

        if (i > 0) {
            if (pos >= len || text[pos] != '.')
                return 0;
            pos++;
        }
        if (pos + part > len || memcmp(text + pos, n->path[i], part) != 0)
            return 0;
        pos += part;
    }
    return pos == len;
}

static int compile_close(compiler *c, const char *text, size_t len)
{
    node *open;

    if (c->depth == 0)
        return gr_error_set(GR_EINVALID, "%s:%d: '{{/%.*s}}' closes no open section", c->origin,
                            c->line, (int)len, text);
    open = &c->tmpl->nodes[c->open[c->depth - 1]];
    if (!path_equals(open, text, len))
        return gr_error_set(GR_EINVALID, "%s:%d: '{{/%.*s}}' closes the section opened on line %d",
                            c->origin, c->line, (int)len, text, open->line);
    open->end = c->tmpl->count;
    c->depth--;
    return 0;
}

static int compile_partial(compiler *c, const char *text, size_t len)
{
    node *n;

    if (len == 0)
        return gr_error_set(GR_EINVALID, "%s:%d: '{{>}}' names no template", c->origin, c->line);
    n = compiler_push(c, NODE_PARTIAL);
    n->name = gr_xstrndup(text, len);
    return 0;
}

/* Compiles one tag; `text` is what lies between the braces. */
static int compile_tag(compiler *c, const char *text, size_t len, int triple)
{
    char sigil;

    trim(&text, &len);
    if (triple)
        return compile_var(c, NODE_RAW, text, len);

    sigil = len > 0 ? text[0] : '\0';
    if (sigil == '!')
        return 0;
    if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>') {
        text++;
        len--;
        trim(&text, &len);
    }
    switch (sigil) {
    case '#': return compile_open(c, NODE_SECTION, text, len);
    case '^': return compile_open(c, NODE_INVERTED, text, len);
    case '/': return compile_close(c, text, len);
    case '>': return compile_partial(c, text, len);
    default: return compile_var(c, NODE_VAR, text, len);
    }
}

static int compile(compiler *c, const char *text, size_t len)
{
    const char *p = text;
    const char *end = text + len;
    int error;

    while (p < end) {
        const char *open = memmem(p, (size_t)(end - p), "{{", 2);
        const char *close;
        int triple;

        if (open == NULL)
            open = end;
        if (open > p) {
            node *n = compiler_push(c, NODE_TEXT);

            n->text = p;
            n->text_len = (size_t)(open - p);
        }
        count_lines(c, p, open);
        if (open == end)
            break;

        triple = open + 2 < end && open[2] == '{';
        close = memmem(open, (size_t)(end - open), triple ? "}}}" : "}}", triple ? 3 : 2);
        if (close == NULL)
            return gr_error_set(GR_EINVALID, "%s:%d: '%s' is never closed", c->origin, c->line,
                                triple ? "{{{" : "{{");
        error = compile_tag(c, open + 2 + triple, (size_t)(close - open - 2 - triple), triple);
        if (error < 0)
            return error;
        count_lines(c, open, close);
        p = close + 2 + triple;
    }
    if (c->depth > 0) {
        const node *n = &c->tmpl->nodes[c->open[c->depth - 1]];

        return gr_error_set(GR_EINVALID, "%s:%d: the section opened here is never closed",
                            c->origin, n->line);
    }
    return 0;
}

int gr_template_add(gr_template_set *set, const char *name, const char *text, size_t len,
                    const char *origin)
{
    template tmpl;
    compiler c;
    int error;

    if (len > GR_TEMPLATE_MAX_BYTES)
        return gr_error_set(GR_ELIMIT, "%s: template is %zu bytes, more than the maximum %zu",
                            origin, len, GR_TEMPLATE_MAX_BYTES);
    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.text = gr_xstrndup(text, len);
    memset(&c, 0, sizeof(c));
    c.tmpl = &tmpl;
    c.origin = origin;
    c.line = 1;

    if ((error = compile(&c, tmpl.text, len)) < 0) {
        template_clear(&tmpl);
        return error;
    }
    tmpl.name = gr_xstrdup(name);
    tmpl.origin = gr_xstrdup(origin);

    for (size_t i = 0; i < set->count; i++) {
        if (strcmp(set->items[i].name, name) == 0) {
            template_clear(&set->items[i]);
            set->items[i] = tmpl;
            return 0;
        }
    }
    if (set->count == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 16;
        set->items = gr_xrealloc(set->items, set->cap * sizeof(template));
    }
    set->items[set->count++] = tmpl;
    return 0;
}

int gr_template_check(const gr_template_set *set)
{
    for (size_t i = 0; i < set->count; i++) {
        const template *tmpl = &set->items[i];

        for (size_t j = 0; j < tmpl->count; j++) {
            const node *n = &tmpl->nodes[j];

            if (n->type == NODE_PARTIAL && set_find(set, n->name) == NULL)
                return gr_error_set(GR_EINVALID, "%s:%d: partial '%s' does not exist",
                                    tmpl->origin, n->line, n->name);
        }
    }
    return 0;
}

/* ---- rendering ---- */

typedef struct {
    const gr_template_set *set;
    const json_t *stack[GR_TEMPLATE_MAX_RENDER_DEPTH];
    size_t depth;
    gr_buf *out;
} renderer;

/* Steps into an object member, or into an array item when `name` is all digits. */
static const json_t *child(const json_t *value, const char *name)
{
    char *end;
    unsigned long index;

    if (json_is_object(value))
        return json_object_get(value, name);
    if (!json_is_array(value) || !isdigit((unsigned char)name[0]))
        return NULL;
    index = strtoul(name, &end, 10);
    return *end == '\0' ? json_array_get(value, index) : NULL;
}

static const json_t *lookup(const renderer *r, const node *n)
{
    const json_t *value = NULL;

    if (n->path_len == 0)
        return r->depth > 0 ? r->stack[r->depth - 1] : NULL;

    for (size_t i = r->depth; i-- > 0;) {
        if (json_is_object(r->stack[i]) &&
            (value = json_object_get(r->stack[i], n->path[0])) != NULL)
            break;
    }
    for (size_t i = 1; i < n->path_len && value != NULL; i++)
        value = child(value, n->path[i]);
    return value;
}

static int is_truthy(const json_t *value)
{
    switch (value != NULL ? json_typeof(value) : JSON_NULL) {
    case JSON_STRING: return json_string_length(value) > 0;
    case JSON_INTEGER: return json_integer_value(value) != 0;
    case JSON_REAL: return json_real_value(value) != 0.0;
    case JSON_TRUE: return 1;
    case JSON_ARRAY: return json_array_size(value) > 0;
    case JSON_OBJECT: return 1;
    default: return 0;
    }
}

/* Formats a scalar as text into `tmp`; returns NULL for values that print nothing. */
static const char *scalar_text(const json_t *value, char *tmp, size_t size)
{
    switch (value != NULL ? json_typeof(value) : JSON_NULL) {
    case JSON_STRING: return json_string_value(value);
    case JSON_INTEGER:
        snprintf(tmp, size, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return tmp;
    case JSON_REAL: snprintf(tmp, size, "%g", json_real_value(value)); return tmp;
    case JSON_TRUE: return "true";
    default: return NULL;
    }
}

static void put_lower(gr_buf *out, const char *text, int escape)
{
    gr_buf lowered = GR_BUF_INIT;

    for (const char *p = text; *p != '\0'; p++)
        gr_buf_putc(&lowered, (char)tolower((unsigned char)*p));
    if (escape)
        gr_buf_put_html(out, gr_buf_cstr(&lowered));
    else
        gr_buf_puts(out, gr_buf_cstr(&lowered));
    gr_buf_free(&lowered);
}

static long long date_value(const json_t *value)
{
    if (json_is_integer(value))
        return (long long)json_integer_value(value);
    if (json_is_real(value))
        return (long long)json_real_value(value);
    if (json_is_string(value)) {
        struct tm tm;
        const char *rest;

        memset(&tm, 0, sizeof(tm));
        rest = strptime(json_string_value(value), "%Y-%m-%dT%H:%M:%S", &tm);
        if (rest != NULL)
            return (long long)timegm(&tm) * 1000;
    }
    return -1;
}

static void render_value(renderer *r, const node *n)
{
    const json_t *value = lookup(r, n);
    int escape = n->type == NODE_VAR;
    const char *text;
    char tmp[64];

    if (n->filter == FILTER_COUNT) {
        size_t count = json_is_array(value)    ? json_array_size(value)
                       : json_is_object(value) ? json_object_size(value)
                                               : 0;

        gr_buf_printf(r->out, "%zu", count);
        return;
    }
    if (n->filter == FILTER_DATE) {
        long long ms = date_value(value);

        if (ms >= 0)
            gr_template_put_date(r->out, ms);
        return;
    }
    if ((text = scalar_text(value, tmp, sizeof(tmp))) == NULL)
        return;

    switch (n->filter) {
    case FILTER_URL: text = gr_template_url_is_safe(text) ? text : "#"; break;
    case FILTER_URI: gr_template_put_uri(r->out, text); return;
    case FILTER_LOWER: put_lower(r->out, text, escape); return;
    default: break;
    }
    if (escape)
        gr_buf_put_html(r->out, text);
    else
        gr_buf_puts(r->out, text);
}

static int render_nodes(renderer *r, const template *tmpl, size_t from, size_t to);

static int push(renderer *r, const json_t *context)
{
    if (r->depth == GR_TEMPLATE_MAX_RENDER_DEPTH)
        return gr_error_set(GR_ELIMIT, "templates nest deeper than %d while rendering",
                            GR_TEMPLATE_MAX_RENDER_DEPTH);
    r->stack[r->depth++] = context;
    return 0;
}

static int render_section(renderer *r, const template *tmpl, size_t index)
{
    const node *n = &tmpl->nodes[index];
    const json_t *value = lookup(r, n);
    int truthy = is_truthy(value);
    int error = 0;

    if (n->type == NODE_INVERTED)
        return truthy ? 0 : render_nodes(r, tmpl, index + 1, n->end);
    if (!truthy)
        return 0;

    if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value) && error == 0; i++) {
            if ((error = push(r, json_array_get(value, i))) < 0)
                return error;
            error = render_nodes(r, tmpl, index + 1, n->end);
            r->depth--;
        }
        return error;
    }
    if ((error = push(r, value)) < 0)
        return error;
    error = render_nodes(r, tmpl, index + 1, n->end);
    r->depth--;
    return error;
}

static int render_partial(renderer *r, const template *tmpl, const node *n)
{
    const template *partial = set_find(r->set, n->name);
    int error;

    if (partial == NULL)
        return gr_error_set(GR_ENOTFOUND, "%s:%d: partial '%s' does not exist", tmpl->origin,
                            n->line, n->name);
    /* The current context is pushed again so that the depth limit also
     * stops a partial that includes itself. */
    if ((error = push(r, r->depth > 0 ? r->stack[r->depth - 1] : NULL)) < 0)
        return error;
    error = render_nodes(r, partial, 0, partial->count);
    r->depth--;
    return error;
}

static int render_nodes(renderer *r, const template *tmpl, size_t from, size_t to)
{
    int error = 0;

    for (size_t i = from; i < to && error == 0; i++) {
        const node *n = &tmpl->nodes[i];

        switch (n->type) {
        case NODE_TEXT: gr_buf_append(r->out, n->text, n->text_len); break;
        case NODE_VAR:
        case NODE_RAW: render_value(r, n); break;
        case NODE_SECTION:
        case NODE_INVERTED:
            error = render_section(r, tmpl, i);
            i = n->end - 1;
            break;
        case NODE_PARTIAL: error = render_partial(r, tmpl, n); break;
        }
    }
    return error;
}

int gr_template_render(const gr_template_set *set, const char *name, const json_t *context,
                       gr_buf *out)
{
    const template *tmpl = set_find(set, name);
    renderer r;

    if (tmpl == NULL)
        return gr_error_set(GR_ENOTFOUND, "template '%s' does not exist", name);
    memset(&r, 0, sizeof(r));
    r.set = set;
    r.out = out;
    r.stack[r.depth++] = context;
    return render_nodes(&r, tmpl, 0, tmpl->count);
}

/* ---- helpers shared with the pages ---- */

int gr_template_url_is_safe(const char *url)
{
    static const char *const safe[] = {"http", "https", "mailto", "tel"};
    char scheme[16];
    size_t len = 0;
    int colon = 0;

    for (const char *p = url; *p != '\0' && !colon; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch <= 0x20 || ch == 0x7f)
            continue;
        if (ch == '/' || ch == '?' || ch == '#')
            return 1; /* a path, query or fragment before any ':' is relative */
        if (ch == ':') {
            colon = 1;
            continue;
        }
        if (len + 1 < sizeof(scheme))
            scheme[len] = (char)tolower(ch);
        len++;
    }
    if (!colon)
        return 1;
    if (len + 1 > sizeof(scheme))
        return 0; /* longer than any safe scheme */
    scheme[len] = '\0';
    for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++) {
        if (strcmp(scheme, safe[i]) == 0)
            return 1;
    }
    return 0;
}

void gr_template_put_uri(gr_buf *out, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            gr_buf_putc(out, (char)*p);
            continue;
        }
        gr_buf_putc(out, '%');
        gr_buf_putc(out, hex[*p >> 4]);
        gr_buf_putc(out, hex[*p & 15]);
    }
}

void gr_template_put_date(gr_buf *out, long long epoch_ms)
{
    time_t seconds = (time_t)(epoch_ms / 1000);
    struct tm tm;
    char text[32];

    if (gmtime_r(&seconds, &tm) == NULL)
        return;
    strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &tm);
    gr_buf_puts(out, text);
}
