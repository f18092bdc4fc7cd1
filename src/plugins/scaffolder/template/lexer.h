/* SPDX-License-Identifier: MIT */
/* The template tokenizer: splits a template into text, tags and expression tokens. */
#ifndef GR_SCAFFOLDER_TEMPLATE_LEXER_H
#define GR_SCAFFOLDER_TEMPLATE_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "host/common/arena.h"
#include "host/common/buf.h"

typedef enum {
    GR_TOK_EOF,
    GR_TOK_DATA,
    GR_TOK_COMMENT,
    GR_TOK_BLOCK_START,
    GR_TOK_BLOCK_END,
    GR_TOK_VARIABLE_START,
    GR_TOK_VARIABLE_END,
    GR_TOK_STRING,
    GR_TOK_INT,
    GR_TOK_FLOAT,
    GR_TOK_BOOLEAN,
    GR_TOK_NONE,
    GR_TOK_SYMBOL,
    GR_TOK_REGEX,
    GR_TOK_OPERATOR,
    GR_TOK_LEFT_PAREN,
    GR_TOK_RIGHT_PAREN,
    GR_TOK_LEFT_BRACKET,
    GR_TOK_RIGHT_BRACKET,
    GR_TOK_LEFT_CURLY,
    GR_TOK_RIGHT_CURLY,
    GR_TOK_COMMA,
    GR_TOK_COLON,
    GR_TOK_TILDE,
    GR_TOK_PIPE,
} gr_tok_type;

/*
 * One token. `text` points into the template source (borrowed); string
 * literals also get their unescaped bytes in `value`, and regular
 * expressions their "body/flags", both allocated from the lexer's arena.
 * Lines and columns count from 0; columns count bytes.
 */
typedef struct {
    gr_tok_type type;
    const char *text;
    size_t len;
    const char *value;
    size_t value_len;
    int line;
    int col;
} gr_token;

/* The six delimiters of a template syntax, e.g. "${{" and "}}" for variables. */
typedef struct {
    const char *block_start;
    const char *block_end;
    const char *variable_start;
    const char *variable_end;
    const char *comment_start;
    const char *comment_end;
} gr_tmpl_tags;

typedef struct {
    gr_arena *arena;  /* where string values go (borrowed) */
    const char *name; /* template name for messages (borrowed) */
    const char *src;
    size_t len;
    size_t pos;
    int line;
    int col;
    bool in_code;
    bool trim_blocks;
    bool lstrip_blocks;
    gr_tmpl_tags tags;
} gr_lexer;

void gr_tmpl__lexer_init(gr_lexer *lexer, gr_arena *arena, const char *name, const char *src,
                         size_t len, const gr_tmpl_tags *tags, bool trim_blocks,
                         bool lstrip_blocks);

/**
 * Reads the next token into `out` (GR_TOK_EOF at the end; whitespace inside
 * tags is skipped). Returns GR_OK, or GR_EINVALID with a message naming the
 * template, line and column.
 */
int gr_tmpl__lexer_next(gr_lexer *lexer, gr_token *out);

/**
 * Reads the body of a raw block that starts at the current position, up to
 * the matching end tag (`{% endraw %}` for tag "raw"), nested raw blocks
 * included, and appends it to `out`. The end tag is consumed. When it is
 * missing, the body ends after the last raw or endraw tag found, as Nunjucks
 * does.
 */
void gr_tmpl__lexer_raw(gr_lexer *lexer, const char *tag, gr_buf *out);

/**
 * Sets the error message "NAME:LINE:COL: MESSAGE" (line and column counted
 * from 1, given from 0) and returns `code`.
 */
int gr_tmpl__fail(int code, const char *name, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Returns a short name for a token type, used in parse errors ("symbol", "block-end"). */
const char *gr_tmpl__token_name(gr_tok_type type);

#endif
