/* SPDX-License-Identifier: MIT */
/* Accessors of a parsed document and the lookup of source positions by JSON pointer. */
#include "host/yaml/yaml_doc.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

json_t *gr_yaml_doc_root(const gr_yaml_doc *doc)
{
    return doc->root;
}

int gr_yaml_doc_line(const gr_yaml_doc *doc)
{
    return doc->line;
}

size_t gr_yaml_doc_index(const gr_yaml_doc *doc)
{
    return doc->index;
}

static void store_mark(const gr_yaml__node *node, gr_yaml_mark *out)
{
    out->line = node->line;
    out->column = node->column;
    out->key_line = node->key_line;
    out->key_column = node->key_column;
}

/*
 * Decodes one reference token (up to the next '/' or the end) into `out`,
 * turning "~1" into '/' and "~0" into '~'. Returns the decoded length, or
 * -1 for a '~' followed by anything else.
 */
static long decode_token(const char *token, size_t len, char *out)
{
    size_t used = 0;

    for (size_t i = 0; i < len; i++) {
        if (token[i] != '~') {
            out[used++] = token[i];
            continue;
        }
        if (i + 1 >= len || (token[i + 1] != '0' && token[i + 1] != '1'))
            return -1;
        out[used++] = token[i + 1] == '0' ? '~' : '/';
        i++;
    }
    return (long)used;
}

/* Parses an array index token: digits without a leading zero. Returns -1 otherwise. */
static long parse_index(const char *token, size_t len)
{
    long index = 0;

    if (len == 0 || len > 9 || (len > 1 && token[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (token[i] < '0' || token[i] > '9')
            return -1;
        index = index * 10 + (token[i] - '0');
    }
    return index;
}

static const gr_yaml__node *find_child(const gr_yaml__node *node, int is_array, const char *key,
                                       size_t key_len)
{
    if (is_array) {
        long index = parse_index(key, key_len);
        if (index < 0 || (size_t)index >= node->count)
            return NULL;
        return node->children[index].node;
    }
    for (size_t i = 0; i < node->count; i++) {
        const gr_yaml__child *child = &node->children[i];
        if (child->key != NULL && child->key_len == key_len &&
            memcmp(child->key, key, key_len) == 0)
            return child->node;
    }
    return NULL;
}

int gr_yaml_doc_find_mark(const gr_yaml_doc *doc, const char *json_pointer, gr_yaml_mark *out)
{
    const gr_yaml__node *node = doc->marks;
    const json_t *value = doc->root;
    size_t pointer_len = strlen(json_pointer);
    char *token = NULL;
    int rc = GR_OK;

    store_mark(node, out);
    if (pointer_len == 0)
        return GR_OK;
    if (json_pointer[0] != '/')
        return GR_EINVALID;

    token = gr_xmalloc(pointer_len);
    const char *cursor = json_pointer + 1;
    for (;;) {
        const char *slash = strchr(cursor, '/');
        size_t raw_len = slash ? (size_t)(slash - cursor) : strlen(cursor);
        long len = decode_token(cursor, raw_len, token);
        if (len < 0) {
            rc = GR_EINVALID;
            store_mark(doc->marks, out);
            goto done;
        }

        const gr_yaml__node *child = NULL;
        if (json_is_array(value) || json_is_object(value))
            child = find_child(node, json_is_array(value), token, (size_t)len);
        if (child == NULL) {
            rc = GR_ENOTFOUND;
            goto done;
        }
        if (json_is_array(value))
            value = json_array_get(value, (size_t)parse_index(token, (size_t)len));
        else
            value = json_object_getn(value, token, (size_t)len);
        node = child;
        store_mark(node, out);
        if (slash == NULL)
            break;
        cursor = slash + 1;
    }

done:
    free(token);
    return rc;
}

void gr_yaml_doc_free(gr_yaml_doc *doc)
{
    if (doc == NULL)
        return;
    json_decref(doc->root);
    gr_arena_free(doc->arena);
    free(doc);
}

void gr_yaml_docs_free(gr_yaml_doc **docs, size_t count)
{
    if (docs == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        gr_yaml_doc_free(docs[i]);
    free(docs);
}
