/* SPDX-License-Identifier: MIT */
/* The parsed document: a JSON tree and a parallel tree of source positions. */
#ifndef GR_HOST_YAML_YAML_DOC_H
#define GR_HOST_YAML_YAML_DOC_H

#include <jansson.h>
#include <stddef.h>

#include "host/common/arena.h"
#include "host/yaml/yaml.h"

typedef struct gr_yaml__node gr_yaml__node;

/** One child of a mapping or sequence position node. */
typedef struct {
    const char *key; /* mapping key (may hold NUL bytes); NULL in a sequence */
    size_t key_len;
    gr_yaml__node *node;
} gr_yaml__child;

/*
 * Positions of one value and of its children, in the same order as the
 * children of its JSON value. Nodes live in the document's arena; a node made
 * for an alias shares the children of the anchored node.
 */
struct gr_yaml__node {
    int line, column;         /* 1-based start of the value */
    int key_line, key_column; /* 1-based start of its key; 0 outside a mapping */
    int height;               /* 0 for a scalar, else 1 + the greatest child height */
    size_t count;
    gr_yaml__child *children;
};

struct gr_yaml_doc {
    json_t *root;
    gr_yaml__node *marks;
    gr_arena *arena;
    int line;
    size_t index;
};

#endif
