/* SPDX-License-Identifier: MIT */
/* The flattened key/value rows of a final entity, by Backstage's buildEntitySearch rules. */
#include "plugins/catalog/engine/search.h"

#include <math.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "host/common/alloc.h"
#include "host/common/arena.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/util.h"

/* Paths buildEntitySearch skips; name, namespace and uid are added back at the end. */
static const char *const special_keys[] = {
    "attachments",        "relations",    "status",        "metadata.name",
    "metadata.namespace", "metadata.uid", "metadata.etag",
};

/* A row before lower-casing: `value` NULL stands for null. The strings live in the arena. */
typedef struct {
    const char *key;   /* the path as the entity spells it */
    const char *lower; /* `key` in lower case */
    const char *value;
} raw_row;

/*
 * The state of one flattening. Every string it makes comes from `arena`,
 * and keep_strings() copies the ones the rows keep into one block. A
 * stitched entity has about 30 rows of three strings each, and freeing them
 * one by one took about 0.4 s of a first load of 100,000 entities, more
 * than lower-casing them.
 */
typedef struct {
    raw_row *items;
    size_t count;
    size_t cap;
    const char **seen_item_keys; /* lower-case "<path>.<item>" keys pushed for string items */
    size_t seen_count;
    size_t seen_cap;
    locale_t ctype;
    gr_arena *arena;
} traversal;

static const char *lower_in(gr_arena *arena, const char *text, locale_t ctype);

/* Adds a row with copies of `key` and `value`. `lower` is the key in lower case from the arena,
 * or NULL to compute it. */
static void raw_push_lower(traversal *state, const char *key, const char *lower, const char *value)
{
    raw_row *row;

    if (state->count == state->cap) {
        state->cap = state->cap ? state->cap * 2 : 32;
        state->items = gr_xrealloc(state->items, state->cap * sizeof(*state->items));
    }
    row = &state->items[state->count++];
    row->key = gr_arena_strdup(state->arena, key);
    row->lower = lower != NULL ? lower : lower_in(state->arena, row->key, state->ctype);
    row->value = value != NULL ? gr_arena_strdup(state->arena, value) : NULL;
}

static void raw_push(traversal *state, const char *key, const char *value)
{
    raw_push_lower(state, key, NULL, value);
}

static int utf8_decode(const unsigned char *s, uint32_t *out)
{
    if (s[0] < 0x80) {
        *out = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
        *out = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        return 2;
    }
    if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *out = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        return 3;
    }
    if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
        (s[3] & 0xc0) == 0x80) {
        *out = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
               ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        return 4;
    }
    *out = s[0];
    return 1;
}

static void utf8_encode(gr_buf *out, uint32_t c)
{
    if (c < 0x80) {
        gr_buf_putc(out, (char)c);
    } else if (c < 0x800) {
        gr_buf_putc(out, (char)(0xc0 | (c >> 6)));
        gr_buf_putc(out, (char)(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        gr_buf_putc(out, (char)(0xe0 | (c >> 12)));
        gr_buf_putc(out, (char)(0x80 | ((c >> 6) & 0x3f)));
        gr_buf_putc(out, (char)(0x80 | (c & 0x3f)));
    } else {
        gr_buf_putc(out, (char)(0xf0 | (c >> 18)));
        gr_buf_putc(out, (char)(0x80 | ((c >> 12) & 0x3f)));
        gr_buf_putc(out, (char)(0x80 | ((c >> 6) & 0x3f)));
        gr_buf_putc(out, (char)(0x80 | (c & 0x3f)));
    }
}

/*
 * Returns `text` in lower case from the arena. Text without an ASCII upper-case letter and
 * without a byte outside ASCII is returned itself, so it must outlive the result.
 */
static const char *lower_in(gr_arena *arena, const char *text, locale_t ctype)
{
    bool changes = false;
    const char *p;
    char *copy;

    for (p = text; *p != '\0'; p++) {
        if ((unsigned char)*p >= 0x80)
            break;
        changes = changes || (*p >= 'A' && *p <= 'Z');
    }
    if (*p != '\0' && ctype != (locale_t)0) {
        char *lowered = gr_catalog__lower(text, ctype);

        copy = gr_arena_strdup(arena, lowered);
        free(lowered);
        return copy;
    }
    if (!changes && *p == '\0')
        return text;
    copy = gr_arena_strdup(arena, text);
    for (char *c = copy; *c != '\0'; c++) {
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    }
    return copy;
}

char *gr_catalog__lower(const char *text, locale_t ctype)
{
    const unsigned char *p = (const unsigned char *)text;
    gr_buf out = GR_BUF_INIT;
    bool ascii = true;

    for (const unsigned char *q = p; *q != '\0' && ascii; q++)
        ascii = *q < 0x80;
    if (ascii || ctype == (locale_t)0) {
        char *copy = gr_xstrdup(text);

        for (char *c = copy; *c != '\0'; c++) {
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        }
        return copy;
    }
    while (*p != '\0') {
        uint32_t c;
        int used = utf8_decode(p, &c);

        utf8_encode(&out, (uint32_t)towlower_l((wint_t)c, ctype));
        p += used;
    }
    return out.data ? gr_buf_detach(&out) : gr_xstrdup("");
}

/* Counts UTF-16 code units, as JavaScript's String length. */
static size_t js_length(const char *text)
{
    size_t units = 0;

    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if ((*p & 0xc0) == 0x80)
            continue;
        units += (*p & 0xf8) == 0xf0 ? 2 : 1;
    }
    return units;
}

/* Returns JavaScript's String(value) of a JSON scalar, or NULL for null: a string's own text, a
 * constant, or text made in the arena. Valid while `value` and the arena are. */
static const char *js_string(gr_arena *arena, const json_t *value)
{
    if (json_is_string(value))
        return json_string_value(value);
    if (json_is_integer(value))
        return gr_arena_printf(arena, "%lld", (long long)json_integer_value(value));
    if (json_is_real(value)) {
        double number = json_real_value(value);
        char text[64];

        if (isnan(number))
            return "NaN";
        if (isinf(number))
            return number > 0 ? "Infinity" : "-Infinity";
        /* The shortest text that reads back as the same double. */
        for (int digits = 1; digits <= 17; digits++) {
            snprintf(text, sizeof(text), "%.*g", digits, number);
            if (strtod(text, NULL) == number)
                break;
        }
        return gr_arena_strdup(arena, text);
    }
    if (json_is_true(value))
        return "true";
    if (json_is_false(value))
        return "false";
    return NULL;
}

static bool is_special(const char *path)
{
    for (size_t i = 0; i < sizeof(special_keys) / sizeof(special_keys[0]); i++) {
        if (strcmp(path, special_keys[i]) == 0)
            return true;
    }
    return false;
}

/* Returns whether `lower_key` was pushed before; remembers it when not. */
static bool seen_before(traversal *state, const char *lower_key)
{
    for (size_t i = 0; i < state->seen_count; i++) {
        if (strcmp(state->seen_item_keys[i], lower_key) == 0)
            return true;
    }
    if (state->seen_count == state->seen_cap) {
        state->seen_cap = state->seen_cap ? state->seen_cap * 2 : 16;
        state->seen_item_keys =
            gr_xrealloc(state->seen_item_keys, state->seen_cap * sizeof(*state->seen_item_keys));
    }
    state->seen_item_keys[state->seen_count++] = lower_key;
    return false;
}

/* Cuts `path` back to its first `len` bytes. */
static void path_cut(gr_buf *path, size_t len)
{
    path->len = len;
    if (path->data != NULL)
        path->data[len] = '\0';
}

/* Pushes the "<path>.<item>" row of a string item of an array, once per lower-case key. */
static void visit_string_item(traversal *state, gr_buf *path, const char *item)
{
    size_t mark = path->len;
    const char *lower;

    gr_buf_putc(path, '.');
    gr_buf_puts(path, item);
    lower = lower_in(state->arena, gr_buf_cstr(path), state->ctype);
    /* The path changes after this call, so a lower-case key that is the path itself is
     * copied. */
    if (lower == gr_buf_cstr(path))
        lower = gr_arena_strdup(state->arena, lower);
    if (!seen_before(state, lower))
        raw_push_lower(state, gr_buf_cstr(path), lower, "true");
    path_cut(path, mark);
}

/* Visits `current` at the dotted path in `path`, which it leaves as it found it. */
static void visit(traversal *state, gr_buf *path, const json_t *current)
{
    if (is_special(gr_buf_cstr(path)))
        return;
    if (!json_is_object(current) && !json_is_array(current)) {
        raw_push(state, gr_buf_cstr(path), js_string(state->arena, current));
        return;
    }
    if (json_is_array(current)) {
        size_t index;
        const json_t *item;

        json_array_foreach(current, index, item)
        {
            visit(state, path, item);
            if (json_is_string(item))
                visit_string_item(state, path, json_string_value(item));
        }
        return;
    }
    {
        const char *key;
        json_t *value;
        size_t mark = path->len;

        json_object_foreach((json_t *)current, key, value)
        {
            if (mark > 0)
                gr_buf_putc(path, '.');
            gr_buf_puts(path, key);
            visit(state, path, value);
            path_cut(path, mark);
        }
    }
}

/* Orders rows by lower-case key, then by key as spelled. */
static int compare_case(const void *a, const void *b)
{
    const raw_row *x = *(const raw_row *const *)a;
    const raw_row *y = *(const raw_row *const *)b;
    int c = strcmp(x->lower, y->lower);

    return c != 0 ? c : strcmp(x->key, y->key);
}

/* Fails like Backstage when two keys differ only in case. */
static int check_key_case(traversal *state)
{
    const raw_row **order = gr_xmalloc((state->count + 1) * sizeof(*order));
    const char *reported = NULL;
    gr_buf names = GR_BUF_INIT;
    int rc = GR_OK;

    for (size_t i = 0; i < state->count; i++)
        order[i] = &state->items[i];
    gr_catalog__sort(order, state->count, sizeof(*order), compare_case);
    for (size_t i = 1; i < state->count; i++) {
        if (strcmp(order[i]->lower, order[i - 1]->lower) != 0 ||
            strcmp(order[i]->key, order[i - 1]->key) == 0)
            continue;
        /* Each lower-case key is named once. */
        if (names.len < 200 && (reported == NULL || strcmp(reported, order[i]->lower) != 0))
            gr_buf_printf(&names, "%s'%s'", names.len ? ", " : "", order[i]->lower);
        reported = order[i]->lower;
    }
    if (reported != NULL)
        rc = gr_error_set(GR_EINVALID, "Entity has duplicate keys that vary only in casing, %s",
                          gr_buf_cstr(&names));
    gr_buf_free(&names);
    free(order);
    return rc;
}

typedef struct {
    size_t index;
    gr_catalog_search_row row;
} ordered_row;

static int compare_ordered(const void *a, const void *b)
{
    const ordered_row *x = a;
    const ordered_row *y = b;
    int c = strcmp(x->row.key, y->row.key);

    if (c == 0) {
        if (x->row.value == NULL || y->row.value == NULL)
            c = (x->row.value != NULL) - (y->row.value != NULL);
        else
            c = strcmp(x->row.value, y->row.value);
    }
    if (c == 0)
        c = x->index < y->index ? -1 : x->index > y->index;
    return c;
}

/* Bytes that gr_arena_strdup() takes for `text` in an arena: with its NUL, in units of the
 * alignment of max_align_t. */
static size_t arena_size(const char *text)
{
    size_t align = alignof(max_align_t);

    return text != NULL ? (strlen(text) + 1 + align - 1) / align * align : 0;
}

/*
 * Copies the strings of `rows` into an arena of their own size and points the rows at the
 * copies, so that rows waiting for their batch's write keep only their strings, without the
 * paths and spare room of the traversal.
 */
static void keep_strings(gr_catalog_search_rows *rows)
{
    size_t total = 0;

    for (size_t i = 0; i < rows->count; i++) {
        const gr_catalog_search_row *row = &rows->items[i];

        total += arena_size(row->key) + arena_size(row->original);
        if (row->value != row->original)
            total += arena_size(row->value);
    }
    rows->text = gr_arena_new_sized(total);
    for (size_t i = 0; i < rows->count; i++) {
        gr_catalog_search_row *row = &rows->items[i];
        bool shared = row->value == row->original;

        row->key = gr_arena_strdup(rows->text, row->key);
        if (row->original != NULL)
            row->original = gr_arena_strdup(rows->text, row->original);
        if (shared)
            row->value = row->original;
        else if (row->value != NULL)
            row->value = gr_arena_strdup(rows->text, row->value);
    }
}

/* Returns "relations.TYPE" in the arena. Every relation of every stitched entity makes one, and
 * gr_arena_printf() took about 1,400 instructions per key in a callgrind profile. */
static const char *relation_key(gr_arena *arena, const char *type)
{
    static const char prefix[] = "relations.";
    size_t len = strlen(type);
    char *key = gr_arena_alloc(arena, sizeof(prefix) + len);

    memcpy(key, prefix, sizeof(prefix) - 1);
    memcpy(key + sizeof(prefix) - 1, type, len + 1);
    return key;
}

int gr_catalog__search_rows(const json_t *entity, locale_t ctype, gr_catalog_search_rows *out)
{
    traversal state = {.ctype = ctype, .arena = gr_arena_new()};
    const json_t *metadata = json_object_get(entity, "metadata");
    const json_t *namespace = json_object_get(metadata, "namespace");
    ordered_row *rows = NULL;
    size_t row_count = 0;
    size_t index;
    const json_t *relation;
    int rc;

    memset(out, 0, sizeof(*out));
    {
        gr_buf path = GR_BUF_INIT;

        visit(&state, &path, entity);
        gr_buf_free(&path);
    }
    raw_push(&state, "metadata.name", js_string(state.arena, json_object_get(metadata, "name")));
    raw_push(&state, "metadata.namespace", js_string(state.arena, namespace));
    raw_push(&state, "metadata.uid", js_string(state.arena, json_object_get(metadata, "uid")));
    if (namespace == NULL || json_is_null(namespace) ||
        (json_is_string(namespace) && json_string_length(namespace) == 0))
        raw_push(&state, "metadata.namespace", "default");
    json_array_foreach(json_object_get(entity, "relations"), index, relation)
    {
        const char *type = json_string_value(json_object_get(relation, "type"));
        const char *key = relation_key(state.arena, type ? type : "undefined");

        raw_push(&state, key, js_string(state.arena, json_object_get(relation, "targetRef")));
    }

    rc = check_key_case(&state);
    if (rc == GR_OK) {
        rows = gr_xcalloc(state.count + 1, sizeof(*rows));
        for (size_t i = 0; i < state.count; i++) {
            raw_row *raw = &state.items[i];
            ordered_row *row = &rows[row_count];

            if (js_length(raw->lower) > GR_CATALOG_SEARCH_MAX_KEY)
                continue;
            row->index = i;
            row->row.key = raw->lower;
            if (raw->value != NULL && js_length(raw->value) <= GR_CATALOG_SEARCH_MAX_VALUE) {
                row->row.value = lower_in(state.arena, raw->value, ctype);
                row->row.original = raw->value;
            }
            row_count++;
        }
        gr_catalog__sort(rows, row_count, sizeof(*rows), compare_ordered);
        out->items = gr_xcalloc(row_count + 1, sizeof(*out->items));
        for (size_t i = 0; i < row_count; i++) {
            /* Compare with the last row kept, because equal rows follow each other. */
            const gr_catalog_search_row *kept = out->count ? &out->items[out->count - 1] : NULL;
            bool duplicate = kept != NULL && strcmp(rows[i].row.key, kept->key) == 0 &&
                             ((rows[i].row.value == NULL && kept->value == NULL) ||
                              (rows[i].row.value != NULL && kept->value != NULL &&
                               strcmp(rows[i].row.value, kept->value) == 0));

            if (!duplicate)
                out->items[out->count++] = rows[i].row;
        }
        out->cap = row_count + 1;
        keep_strings(out);
    }
    free(state.seen_item_keys);
    free(state.items);
    free(rows);
    gr_arena_free(state.arena);
    if (rc != GR_OK)
        gr_catalog__search_rows_free(out);
    return rc;
}

void gr_catalog__search_rows_push(gr_catalog_search_rows *rows, const char *key,
                                  const char *original, const char *value)
{
    gr_catalog_search_row *row;

    if (rows->text == NULL)
        rows->text = gr_arena_new();
    if (rows->count == rows->cap) {
        rows->cap = rows->cap ? rows->cap * 2 : 32;
        rows->items = gr_xrealloc(rows->items, rows->cap * sizeof(*rows->items));
    }
    row = &rows->items[rows->count++];
    row->key = gr_arena_strdup(rows->text, key);
    row->original = original != NULL ? gr_arena_strdup(rows->text, original) : NULL;
    row->value = value != NULL ? gr_arena_strdup(rows->text, value) : NULL;
}

void gr_catalog__search_rows_free(gr_catalog_search_rows *rows)
{
    if (rows == NULL)
        return;
    gr_arena_free(rows->text);
    free(rows->items);
    memset(rows, 0, sizeof(*rows));
}
