/* SPDX-License-Identifier: MIT */
/* The syntax tree of a compiled template, and the engine internals it refers to. */
#ifndef GR_SCAFFOLDER_TEMPLATE_AST_H
#define GR_SCAFFOLDER_TEMPLATE_AST_H

#include <jansson.h>
#include <stddef.h>

#include "host/common/arena.h"
#include "plugins/scaffolder/template/template.h"
#include "plugins/scaffolder/template/value.h"

typedef enum {
    /* Statements. */
    GR_NODE_LIST,         /* items: statements in order */
    GR_NODE_DATA,         /* text, text_len: template text */
    GR_NODE_OUTPUT,       /* left: the expression to print */
    GR_NODE_IF,           /* left: condition, right: body, other: else (LIST or IF) */
    GR_NODE_FOR,          /* names: 1 or more, left: iterable, right: body, other: else */
    GR_NODE_SET,          /* names: targets, left: value, or right: body to capture */
    GR_NODE_FILTER_BLOCK, /* right: body; left: a FILTER node whose input is the body */
    GR_NODE_SWITCH,       /* left: subject, items: CASE nodes, other: default body */
    GR_NODE_CASE,         /* left: value, right: body */
    /* Expressions. */
    GR_NODE_LITERAL,   /* literal */
    GR_NODE_SYMBOL,    /* name */
    GR_NODE_LOOKUP,    /* left[right] and left.name */
    GR_NODE_CALL,      /* left(items, kwargs) */
    GR_NODE_FILTER,    /* left | name(items, kwargs); filter */
    GR_NODE_ARRAY,     /* [items] */
    GR_NODE_DICT,      /* {names[i]: items[i]} */
    GR_NODE_GROUP,     /* (items), whose value is the last item's */
    GR_NODE_INLINE_IF, /* right if left else other (other may be NULL) */
    GR_NODE_OR,
    GR_NODE_AND,
    GR_NODE_NOT,   /* left */
    GR_NODE_IN,    /* left in right */
    GR_NODE_IS,    /* left is name(items) */
    GR_NODE_NEG,   /* -left */
    GR_NODE_POS,   /* +left */
    GR_NODE_POW,   /* left ** right */
    GR_NODE_FLOOR, /* Math.floor(left), made from left // right */
    GR_NODE_REGEX, /* text: "body/flags" */
    /* Binary operators that Nunjucks emits as plain JavaScript operators. */
    GR_NODE_ADD,
    GR_NODE_SUB,
    GR_NODE_MUL,
    GR_NODE_DIV,
    GR_NODE_MOD,
    GR_NODE_CONCAT,
    GR_NODE_EQ,
    GR_NODE_NE,
    GR_NODE_STRICT_EQ,
    GR_NODE_STRICT_NE,
    GR_NODE_LT,
    GR_NODE_GT,
    GR_NODE_LE,
    GR_NODE_GE,
} gr_node_type;

typedef struct gr_node gr_node;
typedef struct gr_tmpl_eval gr_tmpl_eval;

/* The arguments of one filter call; every value is borrowed. */
typedef struct {
    gr_tmpl_eval *eval;
    const gr_node *node; /* the FILTER node, for error positions */
    gr_tv *value;
    gr_tv *args;
    size_t nargs;
    const char *const *kw_names;
    gr_tv *kw_values;
    size_t nkw;
} gr_filter_call;

/* A built-in filter: stores a new value in `*out` or returns an error code. */
typedef int (*gr_builtin_filter_fn)(gr_filter_call *call, gr_tv *out);

typedef struct {
    char *name;
    gr_builtin_filter_fn builtin; /* set for built-in filters */
    gr_tmpl_filter_fn external;   /* set for filters registered by plugins */
    void *payload;
    const char *rejected; /* why templates may not use it, or NULL */
    bool keyword_args;    /* reads keyword arguments by name; others get them as one object */
} gr_tmpl_filter;

struct gr_tmpl_engine {
    gr_tmpl_options options;
    gr_tmpl_filter **filters; /* each allocated alone, so that pointers stay valid */
    size_t nfilters;
    json_t *integrations; /* host -> SCM type */
};

struct gr_node {
    gr_node_type type;
    int line; /* from 0, as the lexer counts */
    int col;
    gr_node *left;
    gr_node *right;
    gr_node *other;
    gr_node **items;
    size_t nitems;
    gr_node **kwargs; /* keyword argument values; names in kw_names */
    const char **kw_names;
    size_t nkwargs;
    const char **names;
    size_t nnames;
    const char *name;
    const char *text;
    size_t text_len;
    gr_tv literal;
    const gr_tmpl_filter *filter;
};

struct gr_tmpl {
    gr_tmpl_engine *engine;
    gr_arena *arena; /* owns every node, string and literal of the tree */
    char *name;
    gr_node *root;
};

/**
 * Parses `source` into a tree allocated from `arena`. Returns GR_OK and the
 * root in `*out`, or an error code with the message set.
 */
int gr_tmpl__parse(const gr_tmpl_engine *engine, gr_arena *arena, const char *name,
                   const char *source, size_t len, gr_node **out);

/** Finds a filter by name in the engine (borrowed), or NULL. */
const gr_tmpl_filter *gr_tmpl__find_filter(const gr_tmpl_engine *engine, const char *name);

#endif
