/* SPDX-License-Identifier: MIT */
/* Light highlighting of GraphQL SDL and protobuf: keywords, strings and comments, all escaped. */
#include <ctype.h>
#include <string.h>

#include "plugins/apidocs/apidocs_internal.h"

static const char *const graphql_keywords[] = {
    "type",   "query",  "mutation", "subscription", "input",     "enum",   "interface",
    "union",  "scalar", "schema",   "extend",       "implements", "directive", "fragment",
    "on",     "repeatable", NULL,
};

static const char *const proto_keywords[] = {
    "syntax",   "package", "import", "option", "message", "service",  "rpc",   "returns",
    "enum",     "repeated", "optional", "required", "map", "oneof",  "stream", "reserved",
    "extend",   "edition", NULL,
};

static void put_escaped(gr_buf *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (text[i]) {
        case '&': gr_buf_puts(out, "&amp;"); break;
        case '<': gr_buf_puts(out, "&lt;"); break;
        case '>': gr_buf_puts(out, "&gt;"); break;
        case '"': gr_buf_puts(out, "&quot;"); break;
        case '\'': gr_buf_puts(out, "&#39;"); break;
        default: gr_buf_putc(out, text[i]); break;
        }
    }
}

static void put_span(gr_buf *out, const char *cls, const char *text, size_t len)
{
    gr_buf_puts(out, "<span class=\"");
    gr_buf_puts(out, cls);
    gr_buf_puts(out, "\">");
    put_escaped(out, text, len);
    gr_buf_puts(out, "</span>");
}

static int is_keyword(const char *const *keywords, const char *word, size_t len)
{
    for (const char *const *k = keywords; *k != NULL; k++) {
        if (strlen(*k) == len && memcmp(*k, word, len) == 0)
            return 1;
    }
    return 0;
}

/* Length of the comment starting at `p`, or 0. */
static size_t comment_length(const char *p, int is_proto)
{
    const char *end;

    if (!is_proto && *p == '#')
        return strcspn(p, "\n");
    if (is_proto && p[0] == '/' && p[1] == '/')
        return strcspn(p, "\n");
    if (is_proto && p[0] == '/' && p[1] == '*') {
        end = strstr(p + 2, "*/");
        return end != NULL ? (size_t)(end + 2 - p) : strlen(p);
    }
    return 0;
}

/* Length of the string literal starting at `p` (GraphQL block strings too), or 0. */
static size_t string_length(const char *p)
{
    char quote = *p;
    size_t i;

    if (quote != '"' && quote != '\'')
        return 0;
    if (quote == '"' && strncmp(p, "\"\"\"", 3) == 0) {
        const char *end = strstr(p + 3, "\"\"\"");

        return end != NULL ? (size_t)(end + 3 - p) : strlen(p);
    }
    for (i = 1; p[i] != '\0' && p[i] != '\n'; i++) {
        if (p[i] == '\\' && p[i + 1] != '\0')
            i++;
        else if (p[i] == quote)
            return i + 1;
    }
    return i;
}

void gr_apidocs__highlight(gr_buf *out, const char *text, int is_proto)
{
    const char *const *keywords = is_proto ? proto_keywords : graphql_keywords;
    const char *p = text;

    while (*p != '\0') {
        size_t len;

        if ((len = comment_length(p, is_proto)) > 0) {
            put_span(out, "hl-comment", p, len);
        } else if ((len = string_length(p)) > 0) {
            put_span(out, "hl-string", p, len);
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            len = 1;
            while (isalnum((unsigned char)p[len]) || p[len] == '_')
                len++;
            if (is_keyword(keywords, p, len))
                put_span(out, "hl-keyword", p, len);
            else
                put_escaped(out, p, len);
        } else {
            len = 1;
            put_escaped(out, p, len);
        }
        p += len;
    }
}
