/* SPDX-License-Identifier: MIT */
/* The config schema: declared keys from the host and features, kept as a tree of path segments. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/host_schema.h"
#include "host/config/internal.h"
#include "host/registry/registry.h"

/* The keys of one owner, in the order they were added. */
typedef struct {
    const char *owner;
    const gr_config_key *keys;
} schema_part;

struct gr_config_schema {
    gr_config__schema_node root;
    schema_part *parts;
    size_t part_count;
};

gr_config_schema *gr_config_schema_new(void)
{
    gr_config_schema *schema = gr_xcalloc(1, sizeof(*schema));

    schema->root.segment = gr_xstrdup("");
    return schema;
}

static void node_free_children(gr_config__schema_node *node)
{
    for (size_t i = 0; i < node->child_count; i++) {
        node_free_children(node->children[i]);
        free(node->children[i]->segment);
        free(node->children[i]);
    }
    free(node->children);
}

void gr_config_schema_free(gr_config_schema *schema)
{
    if (schema == NULL)
        return;
    node_free_children(&schema->root);
    free(schema->root.segment);
    free(schema->parts);
    free(schema);
}

static gr_config__schema_node *node_child(const gr_config__schema_node *node, const char *segment)
{
    for (size_t i = 0; i < node->child_count; i++) {
        if (strcmp(node->children[i]->segment, segment) == 0)
            return node->children[i];
    }
    return NULL;
}

static gr_config__schema_node *node_add_child(gr_config__schema_node *node, const char *segment)
{
    gr_config__schema_node *child = gr_xcalloc(1, sizeof(*child));

    child->segment = gr_xstrdup(segment);
    node->children = gr_xrealloc(node->children, (node->child_count + 1) * sizeof(*node->children));
    node->children[node->child_count++] = child;
    return child;
}

const gr_config__schema_node *gr_config__schema_root(const gr_config_schema *schema)
{
    return &schema->root;
}

const gr_config__schema_node *gr_config__schema_member(const gr_config__schema_node *node,
                                                       const char *name)
{
    const gr_config__schema_node *child;

    if (node == NULL)
        return NULL;
    child = node_child(node, name);
    if (child == NULL && strcmp(name, "[]") != 0)
        child = node_child(node, "*");
    return child;
}

const gr_config__schema_node *gr_config__schema_items(const gr_config__schema_node *node)
{
    return node != NULL ? node_child(node, "[]") : NULL;
}

/*
 * Splits a declared path into segments: names, `*` and `[]` (written after
 * a name, "locations[]", or alone). Returns a NULL-ended array (caller frees
 * each and the array), or NULL when the path is malformed.
 */
static char **split_path(const char *path)
{
    char **segments = NULL;
    size_t count = 0;
    const char *part = path;

    for (;;) {
        const char *end = strchr(part, '.');
        size_t len = end != NULL ? (size_t)(end - part) : strlen(part);
        size_t name_len = len;
        size_t items = 0;

        while (name_len >= 2 && strncmp(part + name_len - 2, "[]", 2) == 0) {
            name_len -= 2;
            items++;
        }
        if (name_len == 0 || memchr(part, '[', name_len) != NULL ||
            memchr(part, ']', name_len) != NULL ||
            (memchr(part, '*', name_len) != NULL && name_len != 1))
            goto malformed;
        segments = gr_xrealloc(segments, (count + items + 2) * sizeof(*segments));
        segments[count++] = gr_xstrndup(part, name_len);
        while (items-- > 0)
            segments[count++] = gr_xstrdup("[]");
        segments[count] = NULL;
        if (end == NULL)
            return segments;
        part = end + 1;
    }

malformed:
    for (size_t i = 0; i < count; i++)
        free(segments[i]);
    free(segments);
    return NULL;
}

static void free_segments(char **segments)
{
    for (size_t i = 0; segments != NULL && segments[i] != NULL; i++)
        free(segments[i]);
    free(segments);
}

/* Returns true when `value` has one of the types in `types`. */
static bool value_has_type(const json_t *value, unsigned types)
{
    if (json_is_string(value))
        return types & GR_CONFIG_STRING;
    if (json_is_integer(value))
        return types & (GR_CONFIG_INTEGER | GR_CONFIG_NUMBER);
    if (json_is_real(value))
        return types & GR_CONFIG_NUMBER;
    if (json_is_boolean(value))
        return types & GR_CONFIG_BOOLEAN;
    if (json_is_object(value))
        return types & GR_CONFIG_OBJECT;
    if (json_is_array(value))
        return types & GR_CONFIG_ARRAY;
    return false;
}

/* Checks one declaration. Returns 0 or GR_EINVALID with the message set. */
static int check_key(const char *owner, const gr_config_key *key)
{
    char **segments = split_path(key->path);
    json_t *fallback = NULL;
    int rc = GR_OK;

    if (segments == NULL)
        return gr_error_set(GR_EINVALID, "%s: config key '%s' has a malformed path", owner,
                            key->path);
    free_segments(segments);
    if ((key->types & GR_CONFIG_ANY) == 0 || (key->types & ~(unsigned)GR_CONFIG_ANY) != 0)
        return gr_error_set(GR_EINVALID, "%s: config key '%s' has no valid type", owner, key->path);
    if (key->default_json == NULL)
        return GR_OK;

    fallback = json_loads(key->default_json, JSON_DECODE_ANY, NULL);
    if (fallback == NULL || !value_has_type(fallback, key->types))
        rc = gr_error_set(GR_EINVALID,
                          "%s: config key '%s' has a default that is not JSON of its type: %s",
                          owner, key->path, key->default_json);
    json_decref(fallback);
    return rc;
}

/* Returns the node for `path`, creating it when `create` is set, or NULL. */
static gr_config__schema_node *find_node(gr_config_schema *schema, const char *path, bool create)
{
    char **segments = split_path(path);
    gr_config__schema_node *node = &schema->root;

    for (size_t i = 0; node != NULL && segments[i] != NULL; i++) {
        gr_config__schema_node *child = node_child(node, segments[i]);

        if (child == NULL && create)
            child = node_add_child(node, segments[i]);
        node = child;
    }
    free_segments(segments);
    return node;
}

int gr_config_schema_add(gr_config_schema *schema, const char *owner, const gr_config_key *keys)
{
    for (const gr_config_key *key = keys; key->path != NULL; key++) {
        const gr_config__schema_node *node;
        int rc = check_key(owner, key);

        if (rc != GR_OK)
            return rc;
        node = find_node(schema, key->path, false);
        if (node != NULL && node->key != NULL)
            return gr_error_set(GR_ECONFLICT, "config key '%s' is declared by both %s and %s",
                                key->path, node->owner, owner);
        for (const gr_config_key *earlier = keys; earlier < key; earlier++) {
            if (strcmp(earlier->path, key->path) == 0)
                return gr_error_set(GR_ECONFLICT, "%s declares config key '%s' twice", owner,
                                    key->path);
        }
    }

    for (const gr_config_key *key = keys; key->path != NULL; key++) {
        gr_config__schema_node *node = find_node(schema, key->path, true);

        node->key = key;
        node->owner = owner;
    }
    schema->parts = gr_xrealloc(schema->parts, (schema->part_count + 1) * sizeof(*schema->parts));
    schema->parts[schema->part_count++] = (schema_part){.owner = owner, .keys = keys};
    return GR_OK;
}

int gr_config_schema_builtin(gr_config_schema **out)
{
    gr_config_schema *schema = gr_config_schema_new();
    int rc = gr_config_schema_add(schema, "host", gr_config_host_keys);

    for (const gr_plugin_def *const *entry = gr_builtin_plugins(); rc == GR_OK && *entry != NULL;
         entry++) {
        if ((*entry)->config_keys != NULL)
            rc = gr_config_schema_add(schema, (*entry)->id, (*entry)->config_keys);
    }
    if (rc != GR_OK) {
        gr_config_schema_free(schema);
        schema = NULL;
    }
    *out = schema;
    return rc;
}

void gr_config__schema_each(const gr_config_schema *schema,
                            void (*fn)(const char *owner, const gr_config_key *key, void *payload),
                            void *payload)
{
    for (size_t i = 0; i < schema->part_count; i++) {
        for (const gr_config_key *key = schema->parts[i].keys; key->path != NULL; key++)
            fn(schema->parts[i].owner, key, payload);
    }
}

void gr_config__type_words(unsigned types, gr_buf *out)
{
    static const struct {
        unsigned type;
        const char *word;
    } words[] = {
        {GR_CONFIG_STRING, "string"}, {GR_CONFIG_INTEGER, "integer"},
        {GR_CONFIG_NUMBER, "number"}, {GR_CONFIG_BOOLEAN, "boolean"},
        {GR_CONFIG_OBJECT, "object"}, {GR_CONFIG_ARRAY, "array"},
    };
    size_t total = 0;
    size_t written = 0;

    /* A number includes the integers, so "integer or number" is written "number". */
    if (types & GR_CONFIG_NUMBER)
        types &= ~(unsigned)GR_CONFIG_INTEGER;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        total += (types & words[i].type) != 0;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if ((types & words[i].type) == 0)
            continue;
        if (written > 0)
            gr_buf_puts(out, written + 1 == total ? " or " : ", ");
        gr_buf_puts(out, words[i].word);
        written++;
    }
}
