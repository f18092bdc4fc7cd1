/* SPDX-License-Identifier: MIT */
/* The template parser: tokens to a syntax tree, with the grammar of Nunjucks 3.2. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/scaffolder/template/ast.h"
#include "plugins/scaffolder/template/lexer.h"

/* Binary operators, filters and lookups in one expression; each adds a level to the tree. */
#define MAX_OPERATORS 1000

typedef struct {
    gr_lexer lexer;
    gr_arena *arena;
    const gr_tmpl_engine *engine;
    const char *name;
    gr_token peeked;
    bool has_peeked;
    bool drop_leading_space;     /* the last tag ended with `-` */
    const char *const *break_on; /* tag names that end the body being parsed */
    int depth;
    int operators;
    int status;
} parser;

/* A growable list of nodes, copied into the arena when complete. */
typedef struct {
    gr_node **items;
    size_t count;
    size_t cap;
} node_vec;

static void vec_push(node_vec *vec, gr_node *node)
{
    if (vec->count == vec->cap) {
        vec->cap = vec->cap ? vec->cap * 2 : 8;
        vec->items = gr_xrealloc(vec->items, vec->cap * sizeof(*vec->items));
    }
    vec->items[vec->count++] = node;
}

static gr_node **vec_finish(parser *p, node_vec *vec, size_t *count)
{
    gr_node **items = NULL;

    *count = vec->count;
    if (vec->count > 0) {
        items = gr_arena_alloc(p->arena, vec->count * sizeof(*items));
        memcpy(items, vec->items, vec->count * sizeof(*items));
    }
    free(vec->items);
    *vec = (node_vec){0};
    return items;
}

/* ---- tokens ----------------------------------------------------------- */

static void *fail_at(parser *p, int code, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void *fail_at(parser *p, int code, int line, int col, const char *fmt, ...)
{
    char message[GR_ERROR_MAX];
    va_list args;

    if (p->status != GR_OK)
        return NULL;
    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    p->status = gr_tmpl__fail(code, p->name, line, col, "%s", message);
    return NULL;
}

static bool next(parser *p, gr_token *out)
{
    int status;

    if (p->has_peeked) {
        *out = p->peeked;
        p->has_peeked = false;
        return true;
    }
    if (p->status != GR_OK) {
        *out = (gr_token){.type = GR_TOK_EOF};
        return false;
    }
    status = gr_tmpl__lexer_next(&p->lexer, out);
    if (status != GR_OK) {
        p->status = status;
        *out = (gr_token){.type = GR_TOK_EOF};
        return false;
    }
    return true;
}

static const gr_token *peek(parser *p)
{
    if (!p->has_peeked) {
        next(p, &p->peeked);
        p->has_peeked = true;
    }
    return &p->peeked;
}

static void push_back(parser *p, const gr_token *token)
{
    if (p->has_peeked) {
        fail_at(p, GR_EINVALID, token->line, token->col, "unexpected '%.*s'", (int)token->len,
                token->text);
        return;
    }
    p->peeked = *token;
    p->has_peeked = true;
}

static bool token_is(const gr_token *token, gr_tok_type type, const char *text)
{
    return token->type == type && (text == NULL || (token->len == strlen(text) &&
                                                    memcmp(token->text, text, token->len) == 0));
}

static bool skip_value(parser *p, gr_tok_type type, const char *text)
{
    gr_token token;

    next(p, &token);
    if (token_is(&token, type, text))
        return true;
    push_back(p, &token);
    return false;
}

static bool skip(parser *p, gr_tok_type type)
{
    return skip_value(p, type, NULL);
}

static bool skip_symbol(parser *p, const char *word)
{
    return skip_value(p, GR_TOK_SYMBOL, word);
}

/* Prints a token in a message as "%.*s" with TOKEN_ARGS: its first 40 bytes, or "end of file". */
#define TOKEN_ARGS(token) token_shown_len(token), token_shown_text(token)

static int token_shown_len(const gr_token *token)
{
    if (token->type == GR_TOK_EOF)
        return (int)strlen("end of file");
    return (int)(token->len > 40 ? 40 : token->len);
}

static const char *token_shown_text(const gr_token *token)
{
    return token->type == GR_TOK_EOF ? "end of file" : token->text;
}

static char *token_dup(parser *p, const gr_token *token)
{
    return gr_arena_strndup(p->arena, token->text, token->len);
}

/* ---- nodes ------------------------------------------------------------ */

static gr_node *new_node(parser *p, gr_node_type type, int line, int col)
{
    gr_node *node = gr_arena_calloc(p->arena, sizeof(*node));

    node->type = type;
    node->line = line;
    node->col = col;
    return node;
}

static gr_node *new_binary(parser *p, gr_node_type type, gr_node *left, gr_node *right)
{
    gr_node *node;

    if (++p->operators > MAX_OPERATORS)
        return fail_at(p, GR_ELIMIT, left->line, left->col,
                       "expression has more than %d operators, filters and lookups; split it "
                       "with set tags",
                       MAX_OPERATORS);
    node = new_node(p, type, left->line, left->col);
    node->left = left;
    node->right = right;
    return node;
}

static gr_node *new_literal(parser *p, const gr_token *token, gr_tv value)
{
    gr_node *node = new_node(p, GR_NODE_LITERAL, token->line, token->col);

    node->literal = value;
    if (value.json != NULL)
        gr_arena_defer(p->arena, (void (*)(void *))json_decref, value.json);
    return node;
}

static bool enter(parser *p, const gr_token *token)
{
    if (++p->depth > GR_TMPL_MAX_DEPTH) {
        fail_at(p, GR_ELIMIT, token->line, token->col,
                "tags or expressions are nested more than %d levels deep", GR_TMPL_MAX_DEPTH);
        return false;
    }
    return true;
}

static void leave(parser *p)
{
    p->depth--;
}

/* ---- expressions ------------------------------------------------------ */

static gr_node *parse_expression(parser *p);
static gr_node *parse_primary(parser *p, bool no_postfix);
static gr_node *parse_unary(parser *p, bool no_filters);
static gr_node *parse_aggregate(parser *p);

/* Parses `(args, name=value)` into positional items and keyword arguments. */
static bool parse_signature(parser *p, gr_node *call)
{
    node_vec args = {0};
    node_vec kwargs = {0};
    const char **kw_names = NULL;
    size_t nkw_names = 0;
    bool check_comma = false;
    gr_token token;

    next(p, &token);
    if (token.type != GR_TOK_LEFT_PAREN) {
        fail_at(p, GR_EINVALID, token.line, token.col, "expected arguments, got '%.*s'",
                TOKEN_ARGS(&token));
        return false;
    }
    while (p->status == GR_OK) {
        const gr_token *ahead = peek(p);
        gr_node *arg;

        if (ahead->type == GR_TOK_RIGHT_PAREN) {
            next(p, &token);
            break;
        }
        if (check_comma && !skip(p, GR_TOK_COMMA)) {
            fail_at(p, GR_EINVALID, ahead->line, ahead->col,
                    "expected comma after expression, got '%.*s'", TOKEN_ARGS(peek(p)));
            break;
        }
        arg = parse_expression(p);
        if (arg == NULL)
            break;
        if (skip_value(p, GR_TOK_OPERATOR, "=")) {
            gr_node *value = parse_expression(p);

            if (value == NULL)
                break;
            if (arg->type != GR_NODE_SYMBOL) {
                fail_at(p, GR_EINVALID, arg->line, arg->col,
                        "keyword argument name must be a name");
                break;
            }
            kw_names = gr_xrealloc(kw_names, (nkw_names + 1) * sizeof(*kw_names));
            kw_names[nkw_names++] = arg->name;
            vec_push(&kwargs, value);
        } else {
            vec_push(&args, arg);
        }
        check_comma = true;
    }
    call->items = vec_finish(p, &args, &call->nitems);
    call->kwargs = vec_finish(p, &kwargs, &call->nkwargs);
    if (nkw_names > 0) {
        call->kw_names = gr_arena_alloc(p->arena, nkw_names * sizeof(*kw_names));
        memcpy(call->kw_names, kw_names, nkw_names * sizeof(*kw_names));
    }
    free(kw_names);
    return p->status == GR_OK;
}

static gr_node *parse_postfix(parser *p, gr_node *node)
{
    while (node != NULL && p->status == GR_OK) {
        const gr_token *ahead = peek(p);
        gr_token token;

        if (ahead->type == GR_TOK_LEFT_PAREN) {
            gr_node *call = new_binary(p, GR_NODE_CALL, node, NULL);

            if (call == NULL || !parse_signature(p, call))
                return NULL;
            node = call;
        } else if (ahead->type == GR_TOK_LEFT_BRACKET) {
            int line = ahead->line;
            int col = ahead->col;
            gr_node *index = parse_aggregate(p);

            if (index == NULL)
                return NULL;
            if (index->nitems != 1)
                return fail_at(p, GR_EINVALID, line, col,
                               "invalid index: write one expression "
                               "between the brackets");
            node = new_binary(p, GR_NODE_LOOKUP, node, index->items[0]);
        } else if (ahead->type == GR_TOK_OPERATOR && token_is(ahead, GR_TOK_OPERATOR, ".")) {
            gr_node *key;

            next(p, &token);
            next(p, &token);
            if (token.type != GR_TOK_SYMBOL)
                return fail_at(p, GR_EINVALID, token.line, token.col,
                               "expected name as lookup value, got '%.*s'", TOKEN_ARGS(&token));
            key = new_literal(p, &token, gr_tv_string(token.text, token.len));
            node = new_binary(p, GR_NODE_LOOKUP, node, key);
        } else {
            break;
        }
    }
    return node;
}

static gr_node *parse_aggregate(parser *p)
{
    gr_token open;
    gr_node *node;
    node_vec items = {0};
    const char **keys = NULL;
    size_t nkeys = 0;

    next(p, &open);
    switch (open.type) {
    case GR_TOK_LEFT_PAREN:
        node = new_node(p, GR_NODE_GROUP, open.line, open.col);
        break;
    case GR_TOK_LEFT_BRACKET:
        node = new_node(p, GR_NODE_ARRAY, open.line, open.col);
        break;
    case GR_TOK_LEFT_CURLY:
        node = new_node(p, GR_NODE_DICT, open.line, open.col);
        break;
    default:
        return fail_at(p, GR_EINVALID, open.line, open.col, "unexpected token: '%.*s'",
                       TOKEN_ARGS(&open));
    }
    if (!enter(p, &open))
        return NULL;

    while (p->status == GR_OK) {
        const gr_token *ahead = peek(p);
        gr_token token;

        if (ahead->type == GR_TOK_RIGHT_PAREN || ahead->type == GR_TOK_RIGHT_BRACKET ||
            ahead->type == GR_TOK_RIGHT_CURLY) {
            next(p, &token);
            break;
        }
        if (items.count > 0 && !skip(p, GR_TOK_COMMA)) {
            fail_at(p, GR_EINVALID, open.line, open.col,
                    "expected comma after expression, got '%.*s'", TOKEN_ARGS(peek(p)));
            break;
        }
        if (node->type == GR_NODE_DICT) {
            gr_node *key = parse_primary(p, false);
            gr_node *value;

            if (key == NULL)
                break;
            if (!skip(p, GR_TOK_COLON)) {
                fail_at(p, GR_EINVALID, open.line, open.col, "expected colon after dict key");
                break;
            }
            value = parse_expression(p);
            if (value == NULL)
                break;
            if (key->type != GR_NODE_SYMBOL &&
                !(key->type == GR_NODE_LITERAL && key->literal.kind == GR_TV_STRING)) {
                fail_at(p, GR_EINVALID, key->line, key->col, "dict keys must be strings or names");
                break;
            }
            keys = gr_xrealloc(keys, (nkeys + 1) * sizeof(*keys));
            keys[nkeys++] =
                key->type == GR_NODE_SYMBOL ? key->name : json_string_value(key->literal.json);
            vec_push(&items, value);
        } else {
            gr_node *item = parse_expression(p);

            if (item == NULL)
                break;
            vec_push(&items, item);
        }
    }
    leave(p);
    node->items = vec_finish(p, &items, &node->nitems);
    if (nkeys > 0) {
        node->names = gr_arena_alloc(p->arena, nkeys * sizeof(*keys));
        memcpy(node->names, keys, nkeys * sizeof(*keys));
        node->nnames = nkeys;
    }
    free(keys);
    return p->status == GR_OK ? node : NULL;
}

static gr_node *parse_primary(parser *p, bool no_postfix)
{
    gr_token token;
    gr_node *node = NULL;

    next(p, &token);
    if (p->status != GR_OK)
        return NULL;
    switch (token.type) {
    case GR_TOK_EOF:
        return fail_at(p, GR_EINVALID, token.line, token.col,
                       "expected expression, got end of file");
    case GR_TOK_STRING:
        node = new_literal(p, &token, gr_tv_string(token.value, token.value_len));
        break;
    case GR_TOK_INT:
        node = new_literal(p, &token, gr_tv_number(gr_tv_parse_int(token.text, token.len, 10)));
        break;
    case GR_TOK_FLOAT:
        node = new_literal(p, &token, gr_tv_number(gr_tv_parse_float(token.text, token.len)));
        break;
    case GR_TOK_BOOLEAN:
        node = new_literal(p, &token, gr_tv_bool(token.text[0] == 't'));
        break;
    case GR_TOK_NONE:
        node = new_literal(p, &token, gr_tv_null());
        break;
    case GR_TOK_REGEX:
        node = new_node(p, GR_NODE_REGEX, token.line, token.col);
        node->text = token.value;
        node->text_len = token.value_len;
        break;
    case GR_TOK_SYMBOL:
        node = new_node(p, GR_NODE_SYMBOL, token.line, token.col);
        node->name = token_dup(p, &token);
        break;
    default:
        push_back(p, &token);
        node = parse_aggregate(p);
        break;
    }
    if (node != NULL && !no_postfix)
        node = parse_postfix(p, node);
    return node;
}

static const char *parse_filter_name(parser *p, gr_token *first)
{
    gr_buf name = GR_BUF_INIT;
    gr_token token;
    const char *result;

    next(p, first);
    if (first->type != GR_TOK_SYMBOL) {
        fail_at(p, GR_EINVALID, first->line, first->col, "expected filter name, got '%.*s'",
                TOKEN_ARGS(first));
        return NULL;
    }
    gr_buf_append(&name, first->text, first->len);
    while (skip_value(p, GR_TOK_OPERATOR, ".")) {
        next(p, &token);
        if (token.type != GR_TOK_SYMBOL) {
            fail_at(p, GR_EINVALID, token.line, token.col, "expected symbol, got '%.*s'",
                    TOKEN_ARGS(&token));
            gr_buf_free(&name);
            return NULL;
        }
        gr_buf_putc(&name, '.');
        gr_buf_append(&name, token.text, token.len);
    }
    result = gr_arena_strndup(p->arena, name.data, name.len);
    gr_buf_free(&name);
    return result;
}

/* Makes a FILTER node for `input | name(args)`, resolving the filter now. */
static gr_node *parse_filter_call(parser *p, gr_node *input)
{
    gr_token first;
    const char *name = parse_filter_name(p, &first);
    gr_node *node;

    if (name == NULL)
        return NULL;
    node = input ? new_binary(p, GR_NODE_FILTER, input, NULL)
                 : new_node(p, GR_NODE_FILTER, first.line, first.col);
    if (node == NULL)
        return NULL;
    node->line = first.line;
    node->col = first.col;
    node->name = name;
    node->filter = gr_tmpl__find_filter(p->engine, name);
    if (node->filter != NULL && node->filter->rejected != NULL)
        return fail_at(p, GR_EINVALID, first.line, first.col, "filter '%s' is not allowed: %s",
                       name, node->filter->rejected);
    if (peek(p)->type == GR_TOK_LEFT_PAREN && !parse_signature(p, node))
        return NULL;
    return node;
}

static gr_node *parse_filters(parser *p, gr_node *node)
{
    while (node != NULL && skip(p, GR_TOK_PIPE))
        node = parse_filter_call(p, node);
    return node;
}

static gr_node *parse_unary(parser *p, bool no_filters)
{
    const gr_token *ahead = peek(p);
    gr_token token = *ahead;
    gr_node *node;

    if (p->status != GR_OK || !enter(p, &token))
        return NULL;
    if (skip_value(p, GR_TOK_OPERATOR, "-") || skip_value(p, GR_TOK_OPERATOR, "+")) {
        gr_node *target = parse_unary(p, true);
        gr_node_type type = token.text[0] == '-' ? GR_NODE_NEG : GR_NODE_POS;

        node = NULL;
        if (target != NULL && target->type == type) {
            /* Nunjucks emits `--x` or `++x`, which JavaScript rejects. */
            leave(p);
            return fail_at(p, GR_EINVALID, token.line, token.col,
                           "invalid expression '%c%c': put the second operand in parentheses",
                           token.text[0], token.text[0]);
        }
        if (target != NULL) {
            node = new_node(p, token.text[0] == '-' ? GR_NODE_NEG : GR_NODE_POS, token.line,
                            token.col);
            node->left = target;
        }
    } else {
        node = parse_primary(p, false);
    }
    if (!no_filters)
        node = parse_filters(p, node);
    leave(p);
    return node;
}

/* One level of left-associative binary operators: `next (op next)*`. */
typedef gr_node *(*parse_fn)(parser *p);

static gr_node *parse_binary_level(parser *p, parse_fn operand, gr_tok_type type, const char *op,
                                   gr_node_type node_type)
{
    gr_node *node = operand(p);

    while (node != NULL && skip_value(p, type, op)) {
        gr_node *right = operand(p);

        if (right == NULL)
            return NULL;
        if (node_type == GR_NODE_FLOOR) {
            /* Nunjucks emits Math.floor(left / right). */
            gr_node *division = new_binary(p, GR_NODE_DIV, node, right);

            if (division == NULL)
                return NULL;
            node = new_node(p, GR_NODE_FLOOR, node->line, node->col);
            node->left = division;
        } else {
            node = new_binary(p, node_type, node, right);
        }
    }
    return node;
}

static gr_node *parse_pow(parser *p)
{
    gr_node *node = parse_unary(p, false);

    while (node != NULL && skip_value(p, GR_TOK_OPERATOR, "**")) {
        gr_node *right = parse_unary(p, false);

        node = right ? new_binary(p, GR_NODE_POW, node, right) : NULL;
    }
    return node;
}

static gr_node *parse_mod(parser *p)
{
    return parse_binary_level(p, parse_pow, GR_TOK_OPERATOR, "%", GR_NODE_MOD);
}

static gr_node *parse_floor_div(parser *p)
{
    return parse_binary_level(p, parse_mod, GR_TOK_OPERATOR, "//", GR_NODE_FLOOR);
}

static gr_node *parse_div(parser *p)
{
    return parse_binary_level(p, parse_floor_div, GR_TOK_OPERATOR, "/", GR_NODE_DIV);
}

static gr_node *parse_mul(parser *p)
{
    return parse_binary_level(p, parse_div, GR_TOK_OPERATOR, "*", GR_NODE_MUL);
}

static gr_node *parse_sub(parser *p)
{
    return parse_binary_level(p, parse_mul, GR_TOK_OPERATOR, "-", GR_NODE_SUB);
}

static gr_node *parse_add(parser *p)
{
    return parse_binary_level(p, parse_sub, GR_TOK_OPERATOR, "+", GR_NODE_ADD);
}

static gr_node *parse_concat(parser *p)
{
    return parse_binary_level(p, parse_add, GR_TOK_TILDE, "~", GR_NODE_CONCAT);
}

static gr_node *parse_compare(parser *p)
{
    static const struct {
        const char *op;
        gr_node_type type;
    } ops[] = {
        {"==", GR_NODE_EQ},         {"===", GR_NODE_STRICT_EQ}, {"!=", GR_NODE_NE},
        {"!==", GR_NODE_STRICT_NE}, {"<", GR_NODE_LT},          {">", GR_NODE_GT},
        {"<=", GR_NODE_LE},         {">=", GR_NODE_GE},
    };
    gr_node *node = parse_concat(p);

    while (node != NULL) {
        gr_token token;
        size_t i;

        next(p, &token);
        for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
            if (token_is(&token, GR_TOK_OPERATOR, ops[i].op))
                break;
        if (i == sizeof(ops) / sizeof(ops[0])) {
            push_back(p, &token);
            break;
        }
        gr_node *right = parse_concat(p);
        node = right ? new_binary(p, ops[i].type, node, right) : NULL;
    }
    return node;
}

static gr_node *parse_is(parser *p)
{
    gr_node *node = parse_compare(p);
    gr_node *test;
    gr_node *is;
    bool negate;

    if (node == NULL || !skip_symbol(p, "is"))
        return node;
    negate = skip_symbol(p, "not");
    test = parse_compare(p);
    if (test == NULL)
        return NULL;
    is = new_binary(p, GR_NODE_IS, node, NULL);
    if (is == NULL)
        return NULL;
    if (test->type == GR_NODE_SYMBOL) {
        is->name = test->name;
    } else if (test->type == GR_NODE_CALL && test->left->type == GR_NODE_SYMBOL) {
        is->name = test->left->name;
        is->items = test->items;
        is->nitems = test->nitems;
    } else if (test->type == GR_NODE_LITERAL && test->literal.kind == GR_TV_NULL) {
        is->name = "null";
    } else {
        return fail_at(p, GR_EINVALID, test->line, test->col,
                       "expected a test name after 'is', such as 'defined' or 'divisibleby(3)'");
    }
    if (!negate)
        return is;
    node = new_node(p, GR_NODE_NOT, is->line, is->col);
    node->left = is;
    return node;
}

static gr_node *parse_in(parser *p)
{
    gr_node *node = parse_is(p);

    while (node != NULL && p->status == GR_OK) {
        gr_token token;
        bool invert;

        next(p, &token);
        invert = token_is(&token, GR_TOK_SYMBOL, "not");
        if (!invert)
            push_back(p, &token);
        if (skip_symbol(p, "in")) {
            gr_node *right = parse_is(p);

            if (right == NULL)
                return NULL;
            node = new_binary(p, GR_NODE_IN, node, right);
            if (node != NULL && invert) {
                gr_node *not_node = new_node(p, GR_NODE_NOT, node->line, node->col);
                not_node->left = node;
                node = not_node;
            }
        } else {
            if (invert)
                push_back(p, &token);
            break;
        }
    }
    return p->status == GR_OK ? node : NULL;
}

static gr_node *parse_not(parser *p)
{
    gr_token token = *peek(p);
    gr_node *node;

    if (!skip_symbol(p, "not"))
        return parse_in(p);
    if (!enter(p, &token))
        return NULL;
    node = new_node(p, GR_NODE_NOT, token.line, token.col);
    node->left = parse_not(p);
    leave(p);
    return node->left ? node : NULL;
}

static gr_node *parse_and(parser *p)
{
    gr_node *node = parse_not(p);

    while (node != NULL && skip_symbol(p, "and")) {
        gr_node *right = parse_not(p);

        node = right ? new_binary(p, GR_NODE_AND, node, right) : NULL;
    }
    return node;
}

static gr_node *parse_or(parser *p)
{
    gr_node *node = parse_and(p);

    while (node != NULL && skip_symbol(p, "or")) {
        gr_node *right = parse_and(p);

        node = right ? new_binary(p, GR_NODE_OR, node, right) : NULL;
    }
    return node;
}

static gr_node *parse_expression(parser *p)
{
    gr_node *node = parse_or(p);
    gr_node *inline_if;

    if (node == NULL || !skip_symbol(p, "if"))
        return node;
    inline_if = new_node(p, GR_NODE_INLINE_IF, node->line, node->col);
    inline_if->right = node;
    inline_if->left = parse_or(p);
    if (inline_if->left == NULL)
        return NULL;
    if (skip_symbol(p, "else")) {
        inline_if->other = parse_or(p);
        if (inline_if->other == NULL)
            return NULL;
    }
    return inline_if;
}

/* ---- JavaScript operator order --------------------------------------- */

/*
 * Nunjucks compiles +, -, *, /, %, ~ and the comparisons to JavaScript
 * operators without parentheses, so JavaScript's precedence decides how a
 * chain groups: `2 * 5 % 3` is (2 * 5) % 3 and `"x" ~ 1 + 2` is "x12".
 * These passes regroup each chain with JavaScript's precedence, and move a
 * `not` in front of a chain onto its first operand, as `!a == b` does.
 */
static bool is_chain(const gr_node *node)
{
    return node != NULL && node->type >= GR_NODE_ADD;
}

static int precedence(const gr_node *node)
{
    switch (node->type) {
    case GR_NODE_MUL:
    case GR_NODE_DIV:
    case GR_NODE_MOD:
        return 4;
    case GR_NODE_ADD:
    case GR_NODE_SUB:
    case GR_NODE_CONCAT:
        return 3;
    case GR_NODE_LT:
    case GR_NODE_GT:
    case GR_NODE_LE:
    case GR_NODE_GE:
        return 2;
    default:
        return 1;
    }
}

typedef struct {
    node_vec operands;
    node_vec operators;
    size_t next_operand;
    size_t next_operator;
} chain;

static void flatten(chain *c, gr_node *node)
{
    if (!is_chain(node)) {
        vec_push(&c->operands, node);
        return;
    }
    flatten(c, node->left);
    vec_push(&c->operators, node);
    flatten(c, node->right);
}

static gr_node *climb(chain *c, gr_node *left, int min_precedence)
{
    while (c->next_operator < c->operators.count &&
           precedence(c->operators.items[c->next_operator]) >= min_precedence) {
        gr_node *op = c->operators.items[c->next_operator++];
        gr_node *right = c->operands.items[c->next_operand++];

        while (c->next_operator < c->operators.count &&
               precedence(c->operators.items[c->next_operator]) > precedence(op))
            right = climb(c, right, precedence(op) + 1);
        op->left = left;
        op->right = right;
        left = op;
    }
    return left;
}

static gr_node *regroup(gr_node *node, bool in_chain);

static void regroup_children(gr_node *node)
{
    node->left = regroup(node->left, false);
    node->right = regroup(node->right, false);
    node->other = regroup(node->other, false);
    for (size_t i = 0; i < node->nitems; i++)
        node->items[i] = regroup(node->items[i], false);
    for (size_t i = 0; i < node->nkwargs; i++)
        node->kwargs[i] = regroup(node->kwargs[i], false);
}

static gr_node *regroup(gr_node *node, bool in_chain)
{
    chain c = {0};
    gr_node *top;

    if (node == NULL)
        return NULL;
    if (!is_chain(node)) {
        regroup_children(node);
        if (node->type == GR_NODE_NOT && is_chain(node->left)) {
            gr_node *first = node->left;
            gr_node *parent = NULL;

            top = node->left;
            while (is_chain(first)) {
                parent = first;
                first = first->left;
            }
            node->left = first;
            parent->left = node;
            return top;
        }
        return node;
    }
    node->left = regroup(node->left, true);
    node->right = regroup(node->right, true);
    if (in_chain)
        return node;

    flatten(&c, node);
    top = climb(&c, c.operands.items[c.next_operand++], 0);
    free(c.operands.items);
    free(c.operators.items);
    return top;
}

/* ---- statements ------------------------------------------------------- */

static gr_node *parse_nodes(parser *p);

static bool advance_after_block_end(parser *p, const char *name, gr_token *end)
{
    gr_token token;
    char tag[64];

    if (name == NULL) {
        const gr_token *ahead = peek(p);

        if (ahead->type == GR_TOK_EOF) {
            fail_at(p, GR_EINVALID, ahead->line, ahead->col, "unexpected end of file");
            return false;
        }
        if (ahead->type != GR_TOK_SYMBOL) {
            fail_at(p, GR_EINVALID, ahead->line, ahead->col, "expected a tag name, got '%.*s'",
                    TOKEN_ARGS(ahead));
            return false;
        }
        next(p, &token);
        snprintf(tag, sizeof(tag), "%.*s", (int)(token.len > 40 ? 40 : token.len), token.text);
        name = tag;
    }
    next(p, &token);
    if (token.type != GR_TOK_BLOCK_END) {
        fail_at(p, GR_EINVALID, token.line, token.col,
                "expected block end in %s statement, got '%.*s'", name, TOKEN_ARGS(&token));
        return false;
    }
    if (token.text[0] == '-')
        p->drop_leading_space = true;
    if (end != NULL)
        *end = token;
    return true;
}

static gr_node *parse_until(parser *p, const char *const *names)
{
    const char *const *saved = p->break_on;
    gr_node *body;

    p->break_on = names;
    body = parse_nodes(p);
    p->break_on = saved;
    return body;
}

static gr_node *parse_if(parser *p)
{
    static const char *const if_ends[] = {"elif", "elseif", "else", "endif", NULL};
    static const char *const else_ends[] = {"endif", NULL};
    gr_token tag;
    gr_node *node;
    const gr_token *ahead;

    next(p, &tag);
    if (!enter(p, &tag))
        return NULL;
    node = new_node(p, GR_NODE_IF, tag.line, tag.col);
    p->operators = 0;
    node->left = parse_expression(p);
    if (node->left == NULL || !advance_after_block_end(p, "if", NULL))
        return NULL;
    node->right = parse_until(p, if_ends);
    if (node->right == NULL)
        return NULL;

    ahead = peek(p);
    if (token_is(ahead, GR_TOK_SYMBOL, "elif") || token_is(ahead, GR_TOK_SYMBOL, "elseif")) {
        node->other = parse_if(p);
    } else if (token_is(ahead, GR_TOK_SYMBOL, "else")) {
        if (advance_after_block_end(p, NULL, NULL))
            node->other = parse_until(p, else_ends);
        if (node->other == NULL || !advance_after_block_end(p, NULL, NULL))
            return NULL;
    } else if (token_is(ahead, GR_TOK_SYMBOL, "endif")) {
        if (!advance_after_block_end(p, NULL, NULL))
            return NULL;
    } else {
        return fail_at(p, GR_EINVALID, tag.line, tag.col,
                       "if tag is not closed: expected elif, else or endif, got end of file");
    }
    leave(p);
    return p->status == GR_OK ? node : NULL;
}

static bool parse_names(parser *p, gr_node *node, const char *what)
{
    const char *names[64];
    size_t count = 0;

    do {
        gr_node *target = parse_primary(p, false);

        if (target == NULL)
            return false;
        if (target->type != GR_NODE_SYMBOL) {
            fail_at(p, GR_EINVALID, target->line, target->col, "%s: variable name expected", what);
            return false;
        }
        if (count == sizeof(names) / sizeof(names[0])) {
            fail_at(p, GR_ELIMIT, target->line, target->col, "%s: more than %zu names", what,
                    count);
            return false;
        }
        names[count++] = target->name;
    } while (skip(p, GR_TOK_COMMA));

    node->names = gr_arena_alloc(p->arena, count * sizeof(*names));
    memcpy(node->names, names, count * sizeof(*names));
    node->nnames = count;
    return true;
}

static gr_node *parse_for(parser *p)
{
    static const char *const body_ends[] = {"endfor", "else", NULL};
    static const char *const else_ends[] = {"endfor", NULL};
    gr_token tag;
    gr_node *node;

    next(p, &tag);
    node = new_node(p, GR_NODE_FOR, tag.line, tag.col);
    if (!parse_names(p, node, "for loop"))
        return NULL;
    if (!skip_symbol(p, "in"))
        return fail_at(p, GR_EINVALID, tag.line, tag.col, "for loop: expected \"in\" keyword");
    p->operators = 0;
    node->left = parse_expression(p);
    if (node->left == NULL || !advance_after_block_end(p, "for", NULL))
        return NULL;
    node->right = parse_until(p, body_ends);
    if (node->right == NULL)
        return NULL;
    if (skip_symbol(p, "else")) {
        if (!advance_after_block_end(p, "else", NULL))
            return NULL;
        node->other = parse_until(p, else_ends);
        if (node->other == NULL)
            return NULL;
    }
    if (!advance_after_block_end(p, NULL, NULL))
        return NULL;
    return node;
}

static gr_node *parse_set(parser *p)
{
    static const char *const body_ends[] = {"endset", NULL};
    gr_token tag;
    gr_node *node;

    next(p, &tag);
    node = new_node(p, GR_NODE_SET, tag.line, tag.col);
    if (!parse_names(p, node, "set tag"))
        return NULL;
    if (skip_value(p, GR_TOK_OPERATOR, "=")) {
        p->operators = 0;
        node->left = parse_expression(p);
        if (node->left == NULL || !advance_after_block_end(p, "set", NULL))
            return NULL;
        return node;
    }
    /* `{% set x %}...{% endset %}` captures the body; Nunjucks ignores a `-` here. */
    if (!skip(p, GR_TOK_BLOCK_END))
        return fail_at(p, GR_EINVALID, tag.line, tag.col,
                       "set tag: expected = or block end, got '%.*s'", TOKEN_ARGS(peek(p)));
    node->right = parse_until(p, body_ends);
    if (node->right == NULL || !advance_after_block_end(p, NULL, NULL))
        return NULL;
    return node;
}

static gr_node *parse_filter_block(parser *p)
{
    static const char *const body_ends[] = {"endfilter", NULL};
    gr_token tag;
    gr_node *node;

    next(p, &tag);
    node = new_node(p, GR_NODE_FILTER_BLOCK, tag.line, tag.col);
    p->operators = 0;
    node->left = parse_filter_call(p, NULL);
    if (node->left == NULL || !advance_after_block_end(p, "filter", NULL))
        return NULL;
    node->right = parse_until(p, body_ends);
    if (node->right == NULL || !advance_after_block_end(p, NULL, NULL))
        return NULL;
    return node;
}

static gr_node *parse_switch(parser *p)
{
    static const char *const case_ends[] = {"case", "default", "endswitch", NULL};
    static const char *const default_ends[] = {"endswitch", NULL};
    gr_token tag;
    gr_node *node;
    node_vec cases = {0};
    const gr_token *ahead;

    next(p, &tag);
    node = new_node(p, GR_NODE_SWITCH, tag.line, tag.col);
    p->operators = 0;
    node->left = parse_expression(p);
    if (node->left == NULL || !advance_after_block_end(p, "switch", NULL))
        return NULL;
    /* Text between the switch tag and its first case is dropped. */
    if (parse_until(p, case_ends) == NULL)
        return NULL;

    ahead = peek(p);
    while (p->status == GR_OK && token_is(ahead, GR_TOK_SYMBOL, "case")) {
        gr_node *item = new_node(p, GR_NODE_CASE, ahead->line, ahead->col);

        skip_symbol(p, "case");
        p->operators = 0;
        item->left = parse_expression(p);
        if (item->left == NULL || !advance_after_block_end(p, "case", NULL))
            break;
        item->right = parse_until(p, case_ends);
        if (item->right == NULL)
            break;
        vec_push(&cases, item);
        ahead = peek(p);
    }
    node->items = vec_finish(p, &cases, &node->nitems);
    if (p->status != GR_OK)
        return NULL;
    if (token_is(ahead, GR_TOK_SYMBOL, "default")) {
        if (!advance_after_block_end(p, NULL, NULL))
            return NULL;
        node->other = parse_until(p, default_ends);
        if (node->other == NULL || !advance_after_block_end(p, NULL, NULL))
            return NULL;
    } else if (token_is(ahead, GR_TOK_SYMBOL, "endswitch")) {
        if (!advance_after_block_end(p, NULL, NULL))
            return NULL;
    } else {
        return fail_at(p, GR_EINVALID, tag.line, tag.col,
                       "switch tag is not closed: expected case, default or endswitch");
    }
    return node;
}

static gr_node *parse_raw(parser *p, const char *tag)
{
    gr_token end;
    gr_buf body = GR_BUF_INIT;
    gr_node *node;

    if (!advance_after_block_end(p, NULL, &end))
        return NULL;
    gr_tmpl__lexer_raw(&p->lexer, tag, &body);
    node = new_node(p, GR_NODE_DATA, end.line, end.col);
    node->text = gr_arena_strndup(p->arena, gr_buf_cstr(&body), body.len);
    node->text_len = body.len;
    gr_buf_free(&body);
    return node;
}

static bool in_list(const char *const *names, const gr_token *token)
{
    for (; names != NULL && *names != NULL; names++)
        if (token_is(token, GR_TOK_SYMBOL, *names))
            return true;
    return false;
}

/* Returns the statement, or NULL with status GR_OK when the tag ends the current body. */
static gr_node *parse_statement(parser *p)
{
    static const char *const unsupported[] = {
        "extends", "include", "import",    "from",     "block", "macro",
        "call",    "ifAsync", "asyncEach", "asyncAll", NULL,
    };
    const gr_token *token = peek(p);

    if (p->status != GR_OK)
        return NULL;
    if (token->type != GR_TOK_SYMBOL)
        return fail_at(p, GR_EINVALID, token->line, token->col, "tag name expected, got '%.*s'",
                       TOKEN_ARGS(token));
    if (in_list(p->break_on, token))
        return NULL;
    if (token_is(token, GR_TOK_SYMBOL, "raw"))
        return parse_raw(p, "raw");
    if (token_is(token, GR_TOK_SYMBOL, "verbatim"))
        return parse_raw(p, "verbatim");
    if (token_is(token, GR_TOK_SYMBOL, "if"))
        return parse_if(p);
    if (token_is(token, GR_TOK_SYMBOL, "for"))
        return parse_for(p);
    if (token_is(token, GR_TOK_SYMBOL, "set"))
        return parse_set(p);
    if (token_is(token, GR_TOK_SYMBOL, "filter"))
        return parse_filter_block(p);
    if (token_is(token, GR_TOK_SYMBOL, "switch"))
        return parse_switch(p);
    if (in_list(unsupported, token))
        return fail_at(p, GR_EINVALID, token->line, token->col,
                       "the '%.*s' tag is not supported: templates cannot load other templates "
                       "or define macros",
                       TOKEN_ARGS(token));
    return fail_at(p, GR_EINVALID, token->line, token->col, "unknown block tag: %.*s",
                   TOKEN_ARGS(token));
}

/* Tells whether the token after some text trims the space before it (`{%-`, `{{-`, `{#-`). */
static bool trims_before(const parser *p, const gr_token *token)
{
    size_t start_len;

    switch (token->type) {
    case GR_TOK_BLOCK_START:
        return token->text[token->len - 1] == '-';
    case GR_TOK_VARIABLE_START:
        start_len = strlen(p->lexer.tags.variable_start);
        return token->len > start_len && token->text[start_len] == '-';
    case GR_TOK_COMMENT:
        start_len = strlen(p->lexer.tags.comment_start);
        return token->len > start_len && token->text[start_len] == '-';
    default:
        return false;
    }
}

static gr_node *parse_data(parser *p, const gr_token *token)
{
    gr_node *node = new_node(p, GR_NODE_DATA, token->line, token->col);
    const char *text = token->text;
    size_t len = token->len;

    if (p->drop_leading_space) {
        size_t skip_len = gr_js_skip_space(text, len, 0);
        text += skip_len;
        len -= skip_len;
        p->drop_leading_space = false;
    }
    if (trims_before(p, peek(p)))
        len = gr_js_trim_end(text, 0, len);
    node->text = text;
    node->text_len = len;
    return node;
}

static gr_node *parse_nodes(parser *p)
{
    node_vec items = {0};
    gr_node *list;
    gr_token token;

    while (p->status == GR_OK && next(p, &token) && token.type != GR_TOK_EOF) {
        gr_node *node = NULL;

        if (token.type == GR_TOK_DATA) {
            node = parse_data(p, &token);
        } else if (token.type == GR_TOK_BLOCK_START) {
            p->drop_leading_space = false;
            if (!enter(p, &token))
                break;
            node = parse_statement(p);
            leave(p);
            if (node == NULL)
                break;
        } else if (token.type == GR_TOK_VARIABLE_START) {
            gr_token end;

            p->operators = 0;
            node = new_node(p, GR_NODE_OUTPUT, token.line, token.col);
            node->left = parse_expression(p);
            if (node->left == NULL)
                break;
            p->drop_leading_space = false;
            next(p, &end);
            if (end.type != GR_TOK_VARIABLE_END) {
                fail_at(p, GR_EINVALID, end.line, end.col, "expected variable end, got '%.*s'",
                        TOKEN_ARGS(&end));
                break;
            }
            p->drop_leading_space = end.text[0] == '-';
        } else if (token.type == GR_TOK_COMMENT) {
            size_t end_len = strlen(p->lexer.tags.comment_end);
            p->drop_leading_space =
                token.len > end_len && token.text[token.len - end_len - 1] == '-';
            continue;
        } else {
            fail_at(p, GR_EINVALID, token.line, token.col, "unexpected token at top level: %s",
                    gr_tmpl__token_name(token.type));
            break;
        }
        vec_push(&items, node);
    }
    if (p->status != GR_OK) {
        free(items.items);
        return NULL;
    }
    list = new_node(p, GR_NODE_LIST, 0, 0);
    list->items = vec_finish(p, &items, &list->nitems);
    return list;
}

int gr_tmpl__parse(const gr_tmpl_engine *engine, gr_arena *arena, const char *name,
                   const char *source, size_t len, gr_node **out)
{
    static const gr_tmpl_tags nunjucks_tags = {"{%", "%}", "{{", "}}", "{#", "#}"};
    static const gr_tmpl_tags backstage_tags = {"{%", "%}", "${{", "}}", "{#", "#}"};
    parser p = {
        .arena = arena,
        .engine = engine,
        .name = name,
    };
    gr_node *root;

    gr_tmpl__lexer_init(&p.lexer, arena, name, source, len,
                        engine->options.delimiters == GR_TMPL_DELIMITERS_BACKSTAGE ? &backstage_tags
                                                                                   : &nunjucks_tags,
                        engine->options.trim_blocks, engine->options.lstrip_blocks);
    root = parse_nodes(&p);
    if (root == NULL)
        return p.status != GR_OK ? p.status : gr_error_set(GR_ERROR, "%s: parse failed", name);
    *out = regroup(root, false);
    return GR_OK;
}
