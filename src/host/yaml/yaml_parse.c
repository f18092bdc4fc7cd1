/* SPDX-License-Identifier: MIT */
/* Builds JSON trees with source positions from libyaml's parser events. */
#include "host/yaml/yaml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/yaml/yaml_doc.h"
#include "host/yaml/yaml_emit.h"
#include "host/yaml/yaml_scalar.h"

/*
 * Maximum length of the text made for a mapping key that is a mapping or a
 * sequence. Such keys are rare, and nesting them makes the text grow
 * exponentially, because each level quotes its inner keys again.
 */
#define MAX_COLLECTION_KEY_BYTES 65536

/* Kinds of scalar key seen under one key string, for duplicate checks. */
enum {
    SEEN_STRING = 1,
    SEEN_NUMBER = 2,
    SEEN_NULL = 4,
    SEEN_BOOL = 8,
};

/* A child of an open collection, copied into the document arena when the collection closes. */
typedef struct {
    const char *key;
    size_t key_len;
    gr_yaml__node *node;
    unsigned seen;    /* SEEN_ bits of the explicit scalar keys written for this key */
    int seen_line[4]; /* where each kind of key was first written */
} open_child;

/* The kinds of mapping key, which decide how a key is compared and used. */
typedef enum {
    KEY_SCALAR, /* a scalar written in place: duplicates are errors */
    KEY_OTHER,  /* an alias or a collection: never a duplicate, a later one replaces */
    KEY_MERGE,  /* the plain scalar << with merge keys on */
} key_kind;

/* A mapping or sequence whose end event has not come yet. */
typedef struct {
    int is_map;
    json_t *value; /* owned */
    gr_yaml__node *node;
    open_child *children;
    size_t count, cap;
    json_t *child_index; /* key -> child position; built at the first repeated key */
    long anchor;         /* anchor slot defined on this collection, or -1 */
    size_t *refs;        /* anchor slots aliased anywhere inside, for the alias count */
    size_t ref_count, ref_cap;
    int has_scalar; /* a scalar appears anywhere inside */
    size_t nodes_at_start, bytes_at_start;
    /* The key waiting for its value, in a mapping. */
    int have_key;
    char *key;
    size_t key_len;
    key_kind kind;
    gr_yaml__value key_value;
    int key_line, key_column;
} frame;

typedef struct {
    char *name;
    json_t *value; /* NULL while the anchored collection is still open */
    gr_yaml__node *node;
    size_t nodes, bytes; /* what one copy costs against the limits */
    char *key;           /* for a scalar: its mapping-key form */
    size_t key_len;
    size_t uses;        /* aliases that copied it, not counting merge sources */
    size_t alias_count; /* weight of one use (see alias_weight()); 0 until computed */
    size_t *refs;       /* anchor slots aliased inside the anchored value */
    size_t ref_count;
    int has_scalar;
} anchor;

/* A finished value on its way into its parent. */
typedef struct {
    json_t *json; /* owned */
    gr_yaml__node *node;
    key_kind kind;
    gr_yaml__value scalar; /* KEY_SCALAR: the resolved value */
    const char *key;       /* precomputed key form, or NULL */
    size_t key_len;
} item;

typedef struct {
    const char *source;
    gr_yaml_limits limits;
    const char *text;
    size_t len;
    yaml_parser_t parser;
    size_t nodes, bytes;
    size_t document_nodes_at_start; /* `nodes` when the current document began */
    /* The document being built. */
    gr_arena *arena;
    frame *frames;
    size_t depth, frame_cap;
    anchor *anchors;
    size_t anchor_count, anchor_cap;
    json_t *anchor_index; /* name -> slot in `anchors` */
    json_t *root;
    gr_yaml__node *root_node;
    int root_is_empty;
    int doc_line;
    size_t doc_index;
    /* Finished documents. */
    gr_yaml_doc **docs;
    size_t doc_count, doc_cap;
} stream_loader;

static int fail_at(stream_loader *loader, int code, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(stream_loader *loader, int code, yaml_mark_t mark, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    char *problem = gr_xvasprintf(fmt, args);
    va_end(args);
    gr_error_set(code, "%s:%zu:%zu: %s", loader->source, mark.line + 1, mark.column + 1, problem);
    free(problem);
    return code;
}

static void apply_defaults(gr_yaml_limits *limits, const gr_yaml_limits *given)
{
    if (given != NULL)
        *limits = *given;
    else
        memset(limits, 0, sizeof(*limits));
    if (limits->max_input_bytes == 0)
        limits->max_input_bytes = GR_YAML_DEFAULT_MAX_INPUT_BYTES;
    if (limits->max_nodes == 0)
        limits->max_nodes = GR_YAML_DEFAULT_MAX_NODES;
    if (limits->max_total_scalar_bytes == 0)
        limits->max_total_scalar_bytes = GR_YAML_DEFAULT_MAX_TOTAL_SCALAR_BYTES;
    if (limits->max_depth == 0)
        limits->max_depth = GR_YAML_DEFAULT_MAX_DEPTH;
    if (limits->max_scalar_bytes == 0)
        limits->max_scalar_bytes = GR_YAML_DEFAULT_MAX_SCALAR_BYTES;
    if (limits->max_alias_count == 0)
        limits->max_alias_count = GR_YAML_DEFAULT_MAX_ALIAS_COUNT;
}

/* Counts `nodes` values and `bytes` of scalar text against the stream's limits. */
static int charge(stream_loader *loader, yaml_mark_t mark, size_t nodes, size_t bytes)
{
    loader->nodes += nodes;
    loader->bytes += bytes;
    if (loader->nodes > loader->limits.max_nodes)
        return fail_at(loader, GR_ELIMIT, mark,
                       "the text makes more than %zu values, counting each alias copy; "
                       "split the file or use fewer aliases (this limit stops alias bombs)",
                       loader->limits.max_nodes);
    if (loader->limits.max_document_nodes > 0 &&
        loader->nodes - loader->document_nodes_at_start > loader->limits.max_document_nodes)
        return fail_at(loader, GR_ELIMIT, mark,
                       "the document makes more than %zu values, counting each alias copy; "
                       "split it into smaller documents",
                       loader->limits.max_document_nodes);
    if (loader->bytes > loader->limits.max_total_scalar_bytes)
        return fail_at(loader, GR_ELIMIT, mark,
                       "the text makes more than %zu bytes of scalars, counting each alias "
                       "copy; split the file or use fewer aliases (this limit stops alias bombs)",
                       loader->limits.max_total_scalar_bytes);
    return GR_OK;
}

static int check_depth(stream_loader *loader, yaml_mark_t mark, size_t depth)
{
    if (depth <= loader->limits.max_depth)
        return GR_OK;
    return fail_at(loader, GR_ELIMIT, mark, "values are nested deeper than the limit of %zu levels",
                   loader->limits.max_depth);
}

static gr_yaml__node *new_node(stream_loader *loader, yaml_mark_t mark)
{
    gr_yaml__node *node = gr_arena_calloc(loader->arena, sizeof(*node));

    node->line = (int)mark.line + 1;
    node->column = (int)mark.column + 1;
    return node;
}

/* ---- Anchors ------------------------------------------------------------------------------ */

static long define_anchor(stream_loader *loader, const char *name)
{
    if (loader->anchor_count == loader->anchor_cap) {
        loader->anchor_cap = loader->anchor_cap ? loader->anchor_cap * 2 : 8;
        loader->anchors =
            gr_xrealloc(loader->anchors, loader->anchor_cap * sizeof(*loader->anchors));
    }
    anchor *slot = &loader->anchors[loader->anchor_count];
    memset(slot, 0, sizeof(*slot));
    slot->name = gr_xstrdup(name);
    json_object_set_new_nocheck(loader->anchor_index, name,
                                json_integer((json_int_t)loader->anchor_count));
    return (long)loader->anchor_count++;
}

static int compare_size(const void *a, const void *b)
{
    size_t left = *(const size_t *)a, right = *(const size_t *)b;

    return left < right ? -1 : left > right;
}

/* Sorts the frame's anchor references and drops repeats. */
static void unique_refs(frame *f)
{
    size_t kept = 0;

    if (f->ref_count == 0)
        return;
    qsort(f->refs, f->ref_count, sizeof(*f->refs), compare_size);
    for (size_t i = 0; i < f->ref_count; i++) {
        if (kept == 0 || f->refs[kept - 1] != f->refs[i])
            f->refs[kept++] = f->refs[i];
    }
    f->ref_count = kept;
}

static void add_ref(frame *f, size_t slot)
{
    if (f->ref_count == f->ref_cap) {
        f->ref_cap = f->ref_cap ? f->ref_cap * 2 : 4;
        f->refs = gr_xrealloc(f->refs, f->ref_cap * sizeof(*f->refs));
    }
    f->refs[f->ref_count++] = slot;
}

/* Records an anchor's contents; `f` is its frame when it is a collection. */
static void complete_anchor(stream_loader *loader, long slot, const item *it, size_t nodes,
                            size_t bytes, frame *f)
{
    anchor *target = &loader->anchors[slot];

    target->has_scalar = f ? f->has_scalar : 1;
    if (f != NULL && f->ref_count > 0) {
        target->refs = gr_xmalloc(f->ref_count * sizeof(*target->refs));
        memcpy(target->refs, f->refs, f->ref_count * sizeof(*target->refs));
        target->ref_count = f->ref_count;
    }

    target->value = json_incref(it->json);
    target->node = it->node;
    target->nodes = nodes;
    target->bytes = bytes;
    if (it->key != NULL) {
        target->key = gr_xstrndup(it->key, it->key_len);
        target->key_len = it->key_len;
    }
}

static void free_anchors(stream_loader *loader)
{
    for (size_t i = 0; i < loader->anchor_count; i++) {
        free(loader->anchors[i].name);
        free(loader->anchors[i].key);
        free(loader->anchors[i].refs);
        json_decref(loader->anchors[i].value);
    }
    loader->anchor_count = 0;
    json_object_clear(loader->anchor_index);
}

/* ---- Adding values to collections --------------------------------------------------------- */

static void push_child(frame *f, const char *key, size_t key_len, gr_yaml__node *node)
{
    if (f->count == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->children = gr_xrealloc(f->children, f->cap * sizeof(*f->children));
    }
    open_child *child = &f->children[f->count];
    memset(child, 0, sizeof(*child));
    child->key = key;
    child->key_len = key_len;
    child->node = node;
    if (f->child_index != NULL)
        json_object_setn_new_nocheck(f->child_index, key, key_len,
                                     json_integer((json_int_t)f->count));
    f->count++;
    if (node->height + 1 > f->node->height)
        f->node->height = node->height + 1;
}

/* Finds the open child with `key`, building the key index on first use. */
static open_child *find_open_child(frame *f, const char *key, size_t key_len)
{
    if (f->child_index == NULL) {
        f->child_index = json_object();
        for (size_t i = 0; i < f->count; i++)
            json_object_setn_new_nocheck(f->child_index, f->children[i].key, f->children[i].key_len,
                                         json_integer((json_int_t)i));
    }
    json_t *position = json_object_getn(f->child_index, key, key_len);
    return position ? &f->children[json_integer_value(position)] : NULL;
}

static int seen_slot(const gr_yaml__value *value)
{
    switch (value->type) {
    case GR_YAML__STRING:
        return 0;
    case GR_YAML__NUMBER:
        return 1;
    case GR_YAML__NULL:
        return 2;
    case GR_YAML__BOOL:
        break;
    }
    return 3;
}

/*
 * Records a scalar key in `child`. Two scalar keys are duplicates when their
 * values are equal, as the `yaml` package compares them: 1 and 1.0 are, but
 * the string "1" and the number 1 are not (the later one replaces the earlier).
 */
static int note_scalar_key(stream_loader *loader, frame *f, open_child *child)
{
    const gr_yaml__value *value = &f->key_value;
    int slot = seen_slot(value);

    if (value->type == GR_YAML__NUMBER && value->number != value->number)
        return GR_OK; /* NaN equals nothing, itself included */
    if (child->seen & (1u << slot)) {
        gr_buf shown = GR_BUF_INIT;
        gr_yaml__emit_key_text(f->key, f->key_len, &shown);
        yaml_mark_t key_mark = {0, (size_t)f->key_line - 1, (size_t)f->key_column - 1};
        int rc = fail_at(loader, GR_EINVALID, key_mark,
                         "duplicate mapping key %s (first defined at line %d); "
                         "remove or rename one of them",
                         gr_buf_cstr(&shown), child->seen_line[slot]);
        gr_buf_free(&shown);
        return rc;
    }
    child->seen |= 1u << slot;
    child->seen_line[slot] = f->key_line;
    return GR_OK;
}

static int add_pair(stream_loader *loader, frame *f, item *it)
{
    char *key = gr_arena_alloc(loader->arena, f->key_len + 1);
    open_child *child = NULL;
    int rc = GR_OK;

    memcpy(key, f->key, f->key_len + 1);
    it->node->key_line = f->key_line;
    it->node->key_column = f->key_column;
    if (json_object_getn(f->value, key, f->key_len) != NULL) {
        child = find_open_child(f, key, f->key_len);
        child->node = it->node;
        if (it->node->height + 1 > f->node->height)
            f->node->height = it->node->height + 1;
    } else {
        push_child(f, key, f->key_len, it->node);
        child = &f->children[f->count - 1];
    }
    json_object_setn_new_nocheck(f->value, key, f->key_len, it->json);
    it->json = NULL;
    if (f->kind == KEY_SCALAR)
        rc = note_scalar_key(loader, f, child);
    return rc;
}

/* Merges one source mapping into `f`: keys already present win, as in YAML 1.1 merge. */
static int merge_source(stream_loader *loader, frame *f, json_t *source, const gr_yaml__node *node,
                        yaml_mark_t mark)
{
    int rc = check_depth(loader, mark, loader->depth + node->height - 1);

    if (rc != GR_OK)
        return rc;
    for (size_t i = 0; i < node->count; i++) {
        const gr_yaml__child *child = &node->children[i];
        if (json_object_getn(f->value, child->key, child->key_len) != NULL)
            continue;
        json_t *value = json_object_getn(source, child->key, child->key_len);
        json_object_setn_nocheck(f->value, child->key, child->key_len, value);
        push_child(f, child->key, child->key_len, child->node);
    }
    return GR_OK;
}

/*
 * Applies a << entry. Its value was copied for this use alone (an alias is a
 * deep copy and an inline mapping is fresh), so the merged values are shared
 * with it instead of copied again.
 */
static int add_merge(stream_loader *loader, frame *f, item *it, yaml_mark_t mark)
{
    json_t *value = it->json;
    int rc = GR_OK;

    if (json_is_object(value))
        return merge_source(loader, f, value, it->node, mark);
    for (size_t i = 0; json_is_array(value) && i < json_array_size(value); i++) {
        if (!json_is_object(json_array_get(value, i))) {
            value = NULL;
            break;
        }
    }
    if (!json_is_array(value)) {
        yaml_mark_t at = {0, (size_t)it->node->line - 1, (size_t)it->node->column - 1};
        return fail_at(loader, GR_EINVALID, at,
                       "the merge key << needs a mapping, an alias of a mapping, or a sequence "
                       "of them; quote the key (\"<<\") to use it as an ordinary key");
    }
    for (size_t i = 0; rc == GR_OK && i < json_array_size(value); i++)
        rc = merge_source(loader, f, json_array_get(value, i), it->node->children[i].node, mark);
    return rc;
}

/* Turns a finished value into the pending key of mapping `f`. */
/*
 * Turns a finished value into the pending key of mapping `f`. A collection
 * key is written as flow YAML, and since nested collection keys quote the text
 * of their inner keys again at each level, its length is checked and charged.
 */
static int take_key(stream_loader *loader, frame *f, item *it)
{
    yaml_mark_t mark = {0, (size_t)it->node->line - 1, (size_t)it->node->column - 1};
    gr_buf key = GR_BUF_INIT;
    int rc = GR_OK;

    if (it->key != NULL) {
        gr_buf_append(&key, it->key, it->key_len);
    } else {
        gr_yaml__emit_flow(it->json, &key);
        if (key.len > MAX_COLLECTION_KEY_BYTES)
            rc = fail_at(loader, GR_ELIMIT, mark,
                         "a mapping key that is a collection makes a %zu-byte key, more than the "
                         "limit of %d bytes",
                         key.len, MAX_COLLECTION_KEY_BYTES);
        if (rc == GR_OK)
            rc = charge(loader, mark, 0, key.len);
    }
    f->key_len = key.len;
    f->key = key.data ? gr_buf_detach(&key) : gr_xstrdup("");
    f->have_key = 1;
    f->kind = it->kind;
    f->key_value = it->scalar;
    f->key_line = it->node->line;
    f->key_column = it->node->column;
    return rc;
}

static int add_value(stream_loader *loader, item *it, yaml_mark_t mark)
{
    frame *f = loader->depth ? &loader->frames[loader->depth - 1] : NULL;
    int rc = GR_OK;

    if (f == NULL) {
        loader->root = it->json;
        loader->root_node = it->node;
        it->json = NULL;
        return GR_OK;
    }
    if (!f->is_map) {
        push_child(f, NULL, 0, it->node);
        json_array_append_new(f->value, it->json);
        it->json = NULL;
        return GR_OK;
    }
    if (!f->have_key)
        return take_key(loader, f, it);
    if (f->kind == KEY_MERGE)
        rc = add_merge(loader, f, it, mark);
    else
        rc = add_pair(loader, f, it);
    free(f->key);
    f->key = NULL;
    f->have_key = 0;
    return rc;
}

/* ---- Events --------------------------------------------------------------------------------- */

static int on_scalar(stream_loader *loader, yaml_event_t *event)
{
    const char *text = (const char *)event->data.scalar.value;
    size_t len = event->data.scalar.length;
    const char *tag = (const char *)event->data.scalar.tag;
    int plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    gr_buf key = GR_BUF_INIT;
    item it = {0};
    int rc;

    if (len > loader->limits.max_scalar_bytes)
        return fail_at(loader, GR_ELIMIT, event->start_mark,
                       "a scalar of %zu bytes is longer than the limit of %zu bytes", len,
                       loader->limits.max_scalar_bytes);
    rc = charge(loader, event->start_mark, 1, len);
    if (rc != GR_OK)
        return rc;
    if (loader->depth > 0)
        loader->frames[loader->depth - 1].has_scalar = 1;
    rc = gr_yaml__resolve(text, len, tag, plain ? GR_YAML__PLAIN : GR_YAML__QUOTED, &it.scalar);
    if (rc != GR_OK)
        return fail_at(loader, rc, event->start_mark, "%s", gr_error_last());

    it.json = gr_yaml__value_json(&it.scalar, text, len);
    it.node = new_node(loader, event->start_mark);
    it.kind = KEY_SCALAR;
    /* As in the `yaml` package, a plain << is a merge key whatever its tag. */
    if (plain && !loader->limits.no_merge_keys && len == 2 && memcmp(text, "<<", 2) == 0)
        it.kind = KEY_MERGE;
    gr_yaml__value_key(&it.scalar, text, len, &key);
    it.key = gr_buf_cstr(&key);
    it.key_len = key.len;
    if (loader->depth == 0)
        loader->root_is_empty =
            plain && tag == NULL && len == 0 && event->data.scalar.anchor == NULL;
    if (event->data.scalar.anchor != NULL) {
        long slot = define_anchor(loader, (const char *)event->data.scalar.anchor);
        complete_anchor(loader, slot, &it, 1, len, NULL);
    }
    rc = add_value(loader, &it, event->start_mark);
    json_decref(it.json);
    gr_buf_free(&key);
    return rc;
}

/*
 * The `yaml` package's aliasCount of an anchored value: 1 for a scalar, and
 * for a collection the greatest weight inside it, where a nested alias of
 * anchor A weighs (uses of A) x (aliasCount of A) and an empty collection 0.
 */
static size_t alias_weight(const stream_loader *loader, const anchor *target)
{
    size_t weight = target->has_scalar ? 1 : 0;

    for (size_t i = 0; i < target->ref_count; i++) {
        const anchor *inner = &loader->anchors[target->refs[i]];
        size_t inner_weight = inner->uses * inner->alias_count;
        if (inner_weight > weight)
            weight = inner_weight;
    }
    return weight;
}

/* Returns true when the next value is a << value or an item of a << sequence. */
static int in_merge_value(const stream_loader *loader)
{
    const frame *top = loader->depth ? &loader->frames[loader->depth - 1] : NULL;
    const frame *below = loader->depth > 1 ? &loader->frames[loader->depth - 2] : NULL;

    if (top != NULL && top->is_map)
        return top->have_key && top->kind == KEY_MERGE;
    return top != NULL && below != NULL && below->is_map && below->have_key &&
           below->kind == KEY_MERGE;
}

/*
 * Applies the `yaml` package's maxAliasCount rule (v2, default 100), so that
 * documents Backstage rejects as "Excessive alias count" are rejected here
 * too: each use of an anchor must keep uses x aliasCount within the limit.
 * Merge sources do not count as uses there, so they do not here.
 */
static int count_alias_use(stream_loader *loader, anchor *target, const char *name,
                           yaml_mark_t mark)
{
    if (in_merge_value(loader))
        return GR_OK;
    target->uses++;
    if (target->alias_count == 0)
        target->alias_count = alias_weight(loader, target);
    if (target->alias_count > 0 &&
        target->uses > loader->limits.max_alias_count / target->alias_count)
        return fail_at(loader, GR_ELIMIT, mark,
                       "alias *%s makes too many copies: %zu uses x %zu nested alias copies is "
                       "more than %zu, the limit the `yaml` package also applies; write the value "
                       "out instead of aliasing it (this limit stops alias bombs)",
                       name, target->uses, target->alias_count, loader->limits.max_alias_count);
    return GR_OK;
}

static int on_alias(stream_loader *loader, yaml_event_t *event)
{
    const char *name = (const char *)event->data.alias.anchor;
    json_t *slot = json_object_get(loader->anchor_index, name);
    item it = {0};
    int rc;

    if (slot == NULL)
        return fail_at(loader, GR_EINVALID, event->start_mark,
                       "alias *%s has no anchor &%s before it in this document", name, name);
    anchor *target = &loader->anchors[json_integer_value(slot)];
    if (target->value == NULL)
        return fail_at(loader, GR_EINVALID, event->start_mark,
                       "alias *%s is inside the value anchored as &%s; recursive aliases have "
                       "no JSON form",
                       name, name);
    rc = count_alias_use(loader, target, name, event->start_mark);
    if (rc == GR_OK)
        rc = charge(loader, event->start_mark, target->nodes, target->bytes);
    if (rc == GR_OK)
        rc = check_depth(loader, event->start_mark, loader->depth + (size_t)target->node->height);
    if (rc != GR_OK)
        return rc;

    if (loader->depth > 0)
        add_ref(&loader->frames[loader->depth - 1], (size_t)json_integer_value(slot));
    it.json = json_deep_copy(target->value);
    it.node = new_node(loader, event->start_mark);
    it.node->count = target->node->count;
    it.node->children = target->node->children;
    it.node->height = target->node->height;
    it.kind = KEY_OTHER;
    it.key = target->key;
    it.key_len = target->key_len;
    if (loader->depth == 0)
        loader->root_is_empty = 0;
    rc = add_value(loader, &it, event->start_mark);
    json_decref(it.json);
    return rc;
}

static int on_collection_start(stream_loader *loader, yaml_event_t *event, int is_map)
{
    const char *anchor_name = is_map ? (const char *)event->data.mapping_start.anchor
                                     : (const char *)event->data.sequence_start.anchor;
    int rc = check_depth(loader, event->start_mark, loader->depth + 1);

    if (rc == GR_OK)
        rc = charge(loader, event->start_mark, 1, 0);
    if (rc != GR_OK)
        return rc;
    if (loader->depth == loader->frame_cap) {
        loader->frame_cap = loader->frame_cap ? loader->frame_cap * 2 : 16;
        loader->frames = gr_xrealloc(loader->frames, loader->frame_cap * sizeof(*loader->frames));
    }
    frame *f = &loader->frames[loader->depth++];
    memset(f, 0, sizeof(*f));
    f->is_map = is_map;
    f->value = is_map ? json_object() : json_array();
    f->node = new_node(loader, event->start_mark);
    f->node->height = 1;
    f->anchor = anchor_name ? define_anchor(loader, anchor_name) : -1;
    f->nodes_at_start = loader->nodes - 1;
    f->bytes_at_start = loader->bytes;
    return GR_OK;
}

static void free_frame(frame *f)
{
    json_decref(f->value);
    json_decref(f->child_index);
    free(f->children);
    free(f->refs);
    free(f->key);
}

/* JavaScript lists keys that are array indexes ("0" to "4294967294") first, in numeric order. */
static int array_index_key(const char *key, size_t len, uint32_t *index)
{
    uint64_t value = 0;

    if (len == 0 || len > 10 || (len > 1 && key[0] == '0'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (key[i] < '0' || key[i] > '9')
            return 0;
        value = value * 10 + (uint64_t)(key[i] - '0');
    }
    if (value >= UINT32_MAX)
        return 0;
    *index = (uint32_t)value;
    return 1;
}

static int compare_index_children(const void *a, const void *b)
{
    uint32_t left = 0, right = 0;

    array_index_key(((const open_child *)a)->key, ((const open_child *)a)->key_len, &left);
    array_index_key(((const open_child *)b)->key, ((const open_child *)b)->key_len, &right);
    return left < right ? -1 : left > right;
}

/*
 * Reorders a finished mapping the way a JavaScript object orders its keys,
 * so that JSON written from it matches what Backstage writes.
 */
static void order_like_javascript(frame *f)
{
    size_t index_count = 0;
    uint32_t unused;

    for (size_t i = 0; i < f->count; i++)
        index_count += (size_t)array_index_key(f->children[i].key, f->children[i].key_len, &unused);
    if (index_count == 0)
        return;

    open_child *ordered = gr_xmalloc(f->count * sizeof(*ordered));
    size_t front = 0, back = index_count;
    for (size_t i = 0; i < f->count; i++) {
        int is_index = array_index_key(f->children[i].key, f->children[i].key_len, &unused);
        ordered[is_index ? front++ : back++] = f->children[i];
    }
    qsort(ordered, index_count, sizeof(*ordered), compare_index_children);

    json_t *object = json_object();
    for (size_t i = 0; i < f->count; i++)
        json_object_setn_nocheck(object, ordered[i].key, ordered[i].key_len,
                                 json_object_getn(f->value, ordered[i].key, ordered[i].key_len));
    json_decref(f->value);
    f->value = object;
    free(f->children);
    f->children = ordered;
}

static int on_collection_end(stream_loader *loader, yaml_event_t *event)
{
    frame *f = &loader->frames[loader->depth - 1];
    item it = {0};
    int rc;

    if (f->is_map)
        order_like_javascript(f);
    f->node->count = f->count;
    f->node->children =
        gr_arena_alloc(loader->arena, (f->count ? f->count : 1) * sizeof(gr_yaml__child));
    for (size_t i = 0; i < f->count; i++) {
        f->node->children[i].key = f->children[i].key;
        f->node->children[i].key_len = f->children[i].key_len;
        f->node->children[i].node = f->children[i].node;
    }

    it.json = f->value;
    it.node = f->node;
    it.kind = KEY_OTHER;
    f->value = NULL;
    unique_refs(f);
    if (f->anchor >= 0)
        complete_anchor(loader, f->anchor, &it, loader->nodes - f->nodes_at_start,
                        loader->bytes - f->bytes_at_start, f);
    if (loader->depth > 1) {
        frame *parent = &loader->frames[loader->depth - 2];
        parent->has_scalar |= f->has_scalar;
        for (size_t i = 0; i < f->ref_count; i++)
            add_ref(parent, f->refs[i]);
    }
    free_frame(f);
    loader->depth--;
    if (loader->depth == 0)
        loader->root_is_empty = 0;
    rc = add_value(loader, &it, event->start_mark);
    json_decref(it.json);
    return rc;
}

/* ---- Documents ------------------------------------------------------------------------------ */

static void on_document_start(stream_loader *loader, yaml_event_t *event)
{
    loader->arena = gr_arena_new();
    loader->doc_line = (int)event->start_mark.line + 1;
    loader->document_nodes_at_start = loader->nodes;
    loader->root_is_empty = 0;
}

static void on_document_end(stream_loader *loader)
{
    if (loader->root != NULL && !loader->root_is_empty) {
        gr_yaml_doc *doc = gr_xcalloc(1, sizeof(*doc));
        doc->root = loader->root;
        doc->marks = loader->root_node;
        doc->arena = loader->arena;
        doc->line = loader->doc_line;
        doc->index = loader->doc_index;
        if (loader->doc_count == loader->doc_cap) {
            loader->doc_cap = loader->doc_cap ? loader->doc_cap * 2 : 4;
            loader->docs = gr_xrealloc(loader->docs, loader->doc_cap * sizeof(*loader->docs));
        }
        loader->docs[loader->doc_count++] = doc;
    } else {
        json_decref(loader->root);
        gr_arena_free(loader->arena);
    }
    loader->root = NULL;
    loader->root_node = NULL;
    loader->arena = NULL;
    loader->doc_index++;
    free_anchors(loader);
}

/* Converts a byte offset into the text into a 1-based line and character column. */
static void offset_position(const stream_loader *loader, size_t offset, size_t *line,
                            size_t *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset && i < loader->len; i++) {
        unsigned char c = (unsigned char)loader->text[i];
        if (c == '\n' || (c == '\r' && (i + 1 >= loader->len || loader->text[i + 1] != '\n'))) {
            (*line)++;
            *column = 1;
        } else if ((c & 0xC0) != 0x80 && c != '\r') {
            (*column)++;
        }
    }
}

static int libyaml_error(stream_loader *loader)
{
    const yaml_parser_t *parser = &loader->parser;
    const char *problem = parser->problem ? parser->problem : "malformed YAML";

    if (parser->error == YAML_MEMORY_ERROR)
        return gr_error_set(GR_ERROR, "%s: out of memory while parsing YAML", loader->source);
    if (parser->error == YAML_READER_ERROR) {
        size_t line = 0, column = 0;
        offset_position(loader, parser->problem_offset, &line, &column);
        const char *advice = strstr(problem, "UTF-8") ? "; save the file as UTF-8" : "";
        if (parser->problem_value >= 0)
            return gr_error_set(GR_EINVALID, "%s:%zu:%zu: %s (byte 0x%02X)%s", loader->source, line,
                                column, problem, parser->problem_value, advice);
        return gr_error_set(GR_EINVALID, "%s:%zu:%zu: %s%s", loader->source, line, column, problem,
                            advice);
    }
    if (parser->context != NULL)
        return gr_error_set(GR_EINVALID, "%s:%zu:%zu: %s (%s that starts at line %zu, column %zu)",
                            loader->source, parser->problem_mark.line + 1,
                            parser->problem_mark.column + 1, problem, parser->context,
                            parser->context_mark.line + 1, parser->context_mark.column + 1);
    return gr_error_set(GR_EINVALID, "%s:%zu:%zu: %s", loader->source,
                        parser->problem_mark.line + 1, parser->problem_mark.column + 1, problem);
}

static int on_event(stream_loader *loader, yaml_event_t *event)
{
    switch (event->type) {
    case YAML_DOCUMENT_START_EVENT:
        /* TODO: a %YAML 1.1 directive makes the `yaml` package use its YAML 1.1 schema
         * (yes/no booleans, 0777 octals); this reader always applies the 1.2 core schema. */
        on_document_start(loader, event);
        return GR_OK;
    case YAML_DOCUMENT_END_EVENT:
        on_document_end(loader);
        return GR_OK;
    case YAML_SCALAR_EVENT:
        return on_scalar(loader, event);
    case YAML_ALIAS_EVENT:
        return on_alias(loader, event);
    case YAML_SEQUENCE_START_EVENT:
        return on_collection_start(loader, event, 0);
    case YAML_MAPPING_START_EVENT:
        return on_collection_start(loader, event, 1);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_collection_end(loader, event);
    default:
        return GR_OK;
    }
}

static void free_loader(stream_loader *loader)
{
    for (size_t i = 0; i < loader->depth; i++)
        free_frame(&loader->frames[i]);
    free(loader->frames);
    free_anchors(loader);
    free(loader->anchors);
    json_decref(loader->anchor_index);
    json_decref(loader->root);
    gr_arena_free(loader->arena);
    gr_yaml_docs_free(loader->docs, loader->doc_count);
    yaml_parser_delete(&loader->parser);
}

static int run_parser(stream_loader *loader)
{
    yaml_event_t event;
    int done = 0;
    int rc = GR_OK;

    while (!done && rc == GR_OK) {
        if (!yaml_parser_parse(&loader->parser, &event))
            return libyaml_error(loader);
        rc = on_event(loader, &event);
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    return rc;
}

int gr_yaml_parse(const char *source_name, const char *text, size_t len,
                  const gr_yaml_limits *limits, gr_yaml_doc ***docs_out, size_t *count_out)
{
    char *with_newline = NULL;
    stream_loader loader;
    int rc;

    *docs_out = NULL;
    *count_out = 0;
    memset(&loader, 0, sizeof(loader));
    loader.source = source_name;
    apply_defaults(&loader.limits, limits);
    if (len > loader.limits.max_input_bytes)
        return gr_error_set(GR_ELIMIT,
                            "%s: the text is %zu bytes, more than the limit of %zu bytes",
                            source_name, len, loader.limits.max_input_bytes);
    /* libyaml skips a byte order mark only while guessing the encoding, which is
     * fixed to UTF-8 here so that UTF-16 input is rejected. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    /* The `yaml` package ends the last line of a block scalar at the end of the
     * text with a line feed even when the file lacks one; libyaml does not, so a
     * missing final line break is added. */
    if (len > 0 && text[len - 1] != '\n' && text[len - 1] != '\r') {
        with_newline = gr_xmalloc(len + 1);
        memcpy(with_newline, text, len);
        with_newline[len] = '\n';
        text = with_newline;
        len++;
    }
    loader.text = text;
    loader.len = len;
    loader.anchor_index = json_object();
    if (!yaml_parser_initialize(&loader.parser)) {
        free(with_newline);
        json_decref(loader.anchor_index);
        return gr_error_set(GR_ERROR, "%s: out of memory while parsing YAML", source_name);
    }
    yaml_parser_set_encoding(&loader.parser, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&loader.parser, (const unsigned char *)text, len);

    rc = run_parser(&loader);
    if (rc == GR_OK) {
        *docs_out = loader.docs;
        *count_out = loader.doc_count;
        loader.docs = NULL;
        loader.doc_count = 0;
    }
    free_loader(&loader);
    free(with_newline);
    return rc;
}
