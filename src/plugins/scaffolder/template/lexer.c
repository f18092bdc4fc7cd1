/* SPDX-License-Identifier: MIT */
/* The template tokenizer, following the token rules of Nunjucks 3.2. */
#include "plugins/scaffolder/template/lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/scaffolder/template/value.h"

/* Characters that end a name or number inside a tag; each is also a token of its own. */
static const char delimiter_chars[] = "()[]{}%*-+~/#,:|.<>=!";

int gr_tmpl__fail(int code, const char *name, int line, int col, const char *fmt, ...)
{
    char message[GR_ERROR_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    return gr_error_set(code, "%s:%d:%d: %s", name, line + 1, col + 1, message);
}

void gr_tmpl__lexer_init(gr_lexer *lexer, gr_arena *arena, const char *name, const char *src,
                         size_t len, const gr_tmpl_tags *tags, bool trim_blocks, bool lstrip_blocks)
{
    *lexer = (gr_lexer){
        .arena = arena,
        .name = name,
        .src = src,
        .len = len,
        .trim_blocks = trim_blocks,
        .lstrip_blocks = lstrip_blocks,
        .tags = *tags,
    };
}

const char *gr_tmpl__token_name(gr_tok_type type)
{
    static const char *const names[] = {
        "end of file",    "data",         "comment",      "block-start",   "block-end",
        "variable-start", "variable-end", "string",       "int",           "float",
        "boolean",        "none",         "symbol",       "regex",         "operator",
        "left-paren",     "right-paren",  "left-bracket", "right-bracket", "left-curly",
        "right-curly",    "comma",        "colon",        "tilde",         "pipe",
    };

    return names[type];
}

static bool at_end(const gr_lexer *lexer)
{
    return lexer->pos >= lexer->len;
}

static char current(const gr_lexer *lexer)
{
    return at_end(lexer) ? '\0' : lexer->src[lexer->pos];
}

static void forward(gr_lexer *lexer)
{
    if (lexer->src[lexer->pos] == '\n') {
        lexer->line++;
        lexer->col = 0;
    } else {
        lexer->col++;
    }
    lexer->pos++;
}

static void forward_n(gr_lexer *lexer, size_t count)
{
    for (size_t i = 0; i < count && !at_end(lexer); i++)
        forward(lexer);
}

static bool matches(const gr_lexer *lexer, const char *str)
{
    size_t len = strlen(str);

    return lexer->pos + len <= lexer->len && memcmp(lexer->src + lexer->pos, str, len) == 0;
}

/* Matches `prefix` followed by `str` (either may be empty). */
static bool matches_pair(const gr_lexer *lexer, const char *prefix, const char *str)
{
    size_t prefix_len = strlen(prefix);
    size_t len = strlen(str);

    return lexer->pos + prefix_len + len <= lexer->len &&
           memcmp(lexer->src + lexer->pos, prefix, prefix_len) == 0 &&
           memcmp(lexer->src + lexer->pos + prefix_len, str, len) == 0;
}

/* Whitespace inside tags: space, tab, CR, LF and the no-break space U+00A0. */
static size_t code_space_len(const gr_lexer *lexer, size_t pos)
{
    unsigned char c = (unsigned char)lexer->src[pos];

    if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
        return 1;
    if (c == 0xC2 && pos + 1 < lexer->len && (unsigned char)lexer->src[pos + 1] == 0xA0)
        return 2;
    return 0;
}

static bool is_delimiter(char c)
{
    return c != '\0' && strchr(delimiter_chars, c) != NULL;
}

static void start_token(const gr_lexer *lexer, gr_token *token, gr_tok_type type)
{
    *token = (gr_token){
        .type = type,
        .text = lexer->src + lexer->pos,
        .line = lexer->line,
        .col = lexer->col,
    };
}

static void finish_token(const gr_lexer *lexer, gr_token *token)
{
    token->len = (size_t)(lexer->src + lexer->pos - token->text);
}

/* Reads a quoted string; backslash escapes \n, \t and \r, and keeps any other escaped byte. */
static void lex_string(gr_lexer *lexer, gr_token *token)
{
    char quote = current(lexer);
    gr_buf value = GR_BUF_INIT;

    start_token(lexer, token, GR_TOK_STRING);
    forward(lexer);
    while (!at_end(lexer) && current(lexer) != quote) {
        char c = current(lexer);

        if (c == '\\') {
            forward(lexer);
            if (at_end(lexer))
                break;
            c = current(lexer);
            gr_buf_putc(&value, c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c);
        } else {
            gr_buf_putc(&value, c);
        }
        forward(lexer);
    }
    forward_n(lexer, 1);
    finish_token(lexer, token);
    token->value_len = value.len;
    token->value = gr_arena_strndup(lexer->arena, gr_buf_cstr(&value), value.len);
    gr_buf_free(&value);
}

/* Reads r/body/flags; a slash preceded by a backslash does not end the body. */
static void lex_regex(gr_lexer *lexer, gr_token *token)
{
    gr_buf body = GR_BUF_INIT;

    start_token(lexer, token, GR_TOK_REGEX);
    forward_n(lexer, 2);
    while (!at_end(lexer)) {
        if (current(lexer) == '/' && lexer->src[lexer->pos - 1] != '\\') {
            forward(lexer);
            break;
        }
        gr_buf_putc(&body, current(lexer));
        forward(lexer);
    }
    gr_buf_putc(&body, '/');
    while (!at_end(lexer) && strchr("gimy", current(lexer)) != NULL) {
        gr_buf_putc(&body, current(lexer));
        forward(lexer);
    }
    finish_token(lexer, token);
    token->value_len = body.len;
    token->value = gr_arena_strndup(lexer->arena, body.data, body.len);
    gr_buf_free(&body);
}

static gr_tok_type delimiter_type(const char *text, size_t len)
{
    if (len > 1)
        return GR_TOK_OPERATOR;
    switch (text[0]) {
    case '(':
        return GR_TOK_LEFT_PAREN;
    case ')':
        return GR_TOK_RIGHT_PAREN;
    case '[':
        return GR_TOK_LEFT_BRACKET;
    case ']':
        return GR_TOK_RIGHT_BRACKET;
    case '{':
        return GR_TOK_LEFT_CURLY;
    case '}':
        return GR_TOK_RIGHT_CURLY;
    case ',':
        return GR_TOK_COMMA;
    case ':':
        return GR_TOK_COLON;
    case '~':
        return GR_TOK_TILDE;
    case '|':
        return GR_TOK_PIPE;
    default:
        return GR_TOK_OPERATOR;
    }
}

static bool is_operator(const char *text, size_t len)
{
    static const char *const operators[] = {"==", "===", "!=", "!==", "<=", ">=", "//", "**"};

    for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
        if (strlen(operators[i]) == len && memcmp(operators[i], text, len) == 0)
            return true;
    return false;
}

static void lex_delimiter(gr_lexer *lexer, gr_token *token)
{
    start_token(lexer, token, GR_TOK_OPERATOR);
    forward(lexer);
    if (!at_end(lexer) && is_operator(token->text, 2)) {
        forward(lexer);
        if (!at_end(lexer) && is_operator(token->text, 3))
            forward(lexer);
    }
    finish_token(lexer, token);
    token->type = delimiter_type(token->text, token->len);
}

static bool all_digits(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return len > 0;
}

static bool word_is(const gr_token *token, const char *word)
{
    return token->len == strlen(word) && memcmp(token->text, word, token->len) == 0;
}

/* Reads a name, number, boolean or none: everything up to whitespace or a delimiter. */
static void lex_word(gr_lexer *lexer, gr_token *token)
{
    start_token(lexer, token, GR_TOK_SYMBOL);
    while (!at_end(lexer) && code_space_len(lexer, lexer->pos) == 0 &&
           !is_delimiter(current(lexer)))
        forward(lexer);
    finish_token(lexer, token);

    if (all_digits(token->text, token->len)) {
        if (current(lexer) == '.') {
            forward(lexer);
            while (!at_end(lexer) && current(lexer) >= '0' && current(lexer) <= '9')
                forward(lexer);
            finish_token(lexer, token);
            token->type = GR_TOK_FLOAT;
        } else {
            token->type = GR_TOK_INT;
        }
    } else if (word_is(token, "true") || word_is(token, "false")) {
        token->type = GR_TOK_BOOLEAN;
    } else if (word_is(token, "none") || word_is(token, "null")) {
        token->type = GR_TOK_NONE;
    }
}

static int lex_code(gr_lexer *lexer, gr_token *token)
{
    size_t space;
    char c;

    while (!at_end(lexer) && (space = code_space_len(lexer, lexer->pos)) > 0)
        forward_n(lexer, space);
    if (at_end(lexer)) {
        start_token(lexer, token, GR_TOK_EOF);
        return GR_OK;
    }

    c = current(lexer);
    if (c == '"' || c == '\'') {
        lex_string(lexer, token);
        return GR_OK;
    }
    if (matches(lexer, lexer->tags.block_end) || matches_pair(lexer, "-", lexer->tags.block_end)) {
        start_token(lexer, token, GR_TOK_BLOCK_END);
        forward_n(lexer, strlen(lexer->tags.block_end) + (c == '-' ? 1 : 0));
        finish_token(lexer, token);
        lexer->in_code = false;
        if (lexer->trim_blocks) {
            if (matches(lexer, "\n"))
                forward(lexer);
            else if (matches(lexer, "\r\n"))
                forward_n(lexer, 2);
        }
        return GR_OK;
    }
    if (matches(lexer, lexer->tags.variable_end) ||
        matches_pair(lexer, "-", lexer->tags.variable_end)) {
        start_token(lexer, token, GR_TOK_VARIABLE_END);
        forward_n(lexer, strlen(lexer->tags.variable_end) + (c == '-' ? 1 : 0));
        finish_token(lexer, token);
        lexer->in_code = false;
        return GR_OK;
    }
    if (c == 'r' && lexer->pos + 1 < lexer->len && lexer->src[lexer->pos + 1] == '/') {
        lex_regex(lexer, token);
        return GR_OK;
    }
    if (is_delimiter(c)) {
        lex_delimiter(lexer, token);
        return GR_OK;
    }
    lex_word(lexer, token);
    return GR_OK;
}

static bool is_space_only(const char *text, size_t len)
{
    size_t pos = 0;

    if (len == 0)
        return false;
    while (pos < len)
        if (!gr_js_is_space(gr_utf8_next(text, len, &pos)))
            return false;
    return true;
}

static bool at_start_tag(const gr_lexer *lexer)
{
    return matches(lexer, lexer->tags.block_start) || matches(lexer, lexer->tags.variable_start) ||
           matches(lexer, lexer->tags.comment_start);
}

/* Reads template text up to the next tag, or a whole comment. */
static int lex_text(gr_lexer *lexer, gr_token *token)
{
    const char begin_chars[5] = {lexer->tags.block_start[0], lexer->tags.variable_start[0],
                                 lexer->tags.comment_start[0], lexer->tags.comment_end[0], '\0'};
    bool in_comment = matches(lexer, lexer->tags.comment_start);

    start_token(lexer, token, in_comment ? GR_TOK_COMMENT : GR_TOK_DATA);
    if (in_comment)
        forward_n(lexer, strlen(lexer->tags.comment_start));

    while (!at_end(lexer)) {
        while (!at_end(lexer) && strchr(begin_chars, current(lexer)) == NULL)
            forward(lexer);
        if (at_end(lexer))
            break;
        if (!in_comment && at_start_tag(lexer)) {
            size_t data_len = (size_t)(lexer->src + lexer->pos - token->text);
            size_t col = (size_t)lexer->col;

            /* lstripBlocks: drop the spaces between the line start and a block tag. */
            if (lexer->lstrip_blocks && matches(lexer, lexer->tags.block_start) && col > 0 &&
                col <= data_len && is_space_only(lexer->src + lexer->pos - col, col)) {
                if (data_len == col)
                    return gr_tmpl__lexer_next(lexer, token);
                token->len = data_len - col;
                return GR_OK;
            }
            break;
        }
        if (matches(lexer, lexer->tags.comment_end)) {
            if (!in_comment)
                return gr_tmpl__fail(GR_EINVALID, lexer->name, lexer->line, lexer->col,
                                     "unexpected end of comment '%s' outside a comment; write "
                                     "it inside a raw block to output it",
                                     lexer->tags.comment_end);
            forward_n(lexer, strlen(lexer->tags.comment_end));
            finish_token(lexer, token);
            return GR_OK;
        }
        forward(lexer);
    }
    if (in_comment)
        return gr_tmpl__fail(GR_EINVALID, lexer->name, token->line, token->col,
                             "comment is not closed: expected '%s' before the end of the template",
                             lexer->tags.comment_end);
    finish_token(lexer, token);
    return GR_OK;
}

int gr_tmpl__lexer_next(gr_lexer *lexer, gr_token *out)
{
    *out = (gr_token){.type = GR_TOK_EOF, .line = lexer->line, .col = lexer->col};
    if (lexer->in_code)
        return lex_code(lexer, out);
    if (at_end(lexer))
        return GR_OK;

    if (matches_pair(lexer, lexer->tags.block_start, "-") ||
        matches(lexer, lexer->tags.block_start)) {
        start_token(lexer, out, GR_TOK_BLOCK_START);
        forward_n(lexer, strlen(lexer->tags.block_start) +
                             (matches_pair(lexer, lexer->tags.block_start, "-") ? 1 : 0));
        finish_token(lexer, out);
        lexer->in_code = true;
        return GR_OK;
    }
    if (matches_pair(lexer, lexer->tags.variable_start, "-") ||
        matches(lexer, lexer->tags.variable_start)) {
        start_token(lexer, out, GR_TOK_VARIABLE_START);
        forward_n(lexer, strlen(lexer->tags.variable_start) +
                             (matches_pair(lexer, lexer->tags.variable_start, "-") ? 1 : 0));
        finish_token(lexer, out);
        lexer->in_code = true;
        return GR_OK;
    }
    return lex_text(lexer, out);
}

/* Matches `{%`, spaces, `name`, spaces and `%}` at `pos`; returns the end or 0. */
static size_t match_raw_tag(const gr_lexer *lexer, size_t pos, const char *name)
{
    const char *src = lexer->src;
    size_t len = lexer->len;
    size_t name_len = strlen(name);

    if (pos + 2 > len || src[pos] != '{' || src[pos + 1] != '%')
        return 0;
    pos += 2;
    while (pos < len) {
        size_t next = pos;
        if (!gr_js_is_space(gr_utf8_next(src, len, &next)))
            break;
        pos = next;
    }
    if (pos + name_len > len || memcmp(src + pos, name, name_len) != 0)
        return 0;
    pos += name_len;
    while (pos < len) {
        size_t next = pos;
        if (!gr_js_is_space(gr_utf8_next(src, len, &next)))
            break;
        pos = next;
    }
    if (pos + 2 > len || src[pos] != '%' || src[pos + 1] != '}')
        return 0;
    return pos + 2;
}

void gr_tmpl__lexer_raw(gr_lexer *lexer, const char *tag, gr_buf *out)
{
    char end_tag[32];
    int level = 1;

    snprintf(end_tag, sizeof(end_tag), "end%s", tag);
    /* Like Nunjucks, this looks for the literal `{%` whatever the block delimiters are. */
    for (size_t scan = lexer->pos; scan + 1 < lexer->len; scan++) {
        size_t end;
        bool opens;

        if (lexer->src[scan] != '{' || lexer->src[scan + 1] != '%')
            continue;
        end = match_raw_tag(lexer, scan, tag);
        opens = end != 0;
        if (!opens)
            end = match_raw_tag(lexer, scan, end_tag);
        if (end == 0)
            continue;

        level += opens ? 1 : -1;
        gr_buf_append(out, lexer->src + lexer->pos, (level == 0 ? scan : end) - lexer->pos);
        forward_n(lexer, end - lexer->pos);
        if (level == 0)
            return;
        scan = end - 1;
    }
}
