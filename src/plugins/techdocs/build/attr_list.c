/* SPDX-License-Identifier: MIT */
/* Attribute lists (`{: #id .class key=value }`) read as Python-Markdown's attr_list extension does.
 */
#include "plugins/techdocs/build/attr_list.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "plugins/techdocs/build/sanitize.h"

void gr_techdocs_attributes_set(gr_techdocs_attributes *attrs, const char *name, const char *value)
{
    gr_techdocs_attribute *item;

    for (size_t i = 0; i < attrs->count; i++) {
        if (strcmp(attrs->items[i].name, name) == 0) {
            free(attrs->items[i].value);
            attrs->items[i].value = gr_xstrdup(value);
            return;
        }
    }
    if (attrs->count == attrs->cap) {
        attrs->cap = attrs->cap ? attrs->cap * 2 : 4;
        attrs->items = gr_xrealloc(attrs->items, attrs->cap * sizeof(*attrs->items));
    }
    item = &attrs->items[attrs->count++];
    item->name = gr_xstrdup(name);
    item->value = gr_xstrdup(value);
}

const char *gr_techdocs_attributes_get(const gr_techdocs_attributes *attrs, const char *name)
{
    for (size_t i = 0; i < attrs->count; i++) {
        if (strcmp(attrs->items[i].name, name) == 0)
            return attrs->items[i].value;
    }
    return NULL;
}

/* Appends a class to the class attribute, or sets it when it is empty, as assign_attrs does. */
static void add_class(gr_techdocs_attributes *attrs, const char *name, size_t len)
{
    const char *current = gr_techdocs_attributes_get(attrs, "class");
    char *value;

    if (current != NULL && current[0] != '\0')
        value = gr_xasprintf("%s %.*s", current, (int)len, name);
    else
        value = gr_xstrndup(name, len);
    gr_techdocs_attributes_set(attrs, "class", value);
    free(value);
}

/* Sets `key`=`value` unless the raw HTML sanitizer would drop it. */
static void set_pair(gr_techdocs_attributes *attrs, const char *key, size_t key_len,
                     const char *value, size_t value_len)
{
    char *name = gr_xstrndup(key, key_len);
    char *plain = gr_xstrndup(value, value_len);

    if (!gr_techdocs_attribute_is_unsafe(name, key_len, plain, value_len))
        gr_techdocs_attributes_set(attrs, name, plain);
    free(name);
    free(plain);
}

/* A word without '=': `.class`, `#id` or a bare name that becomes name="name". */
static void apply_word(gr_techdocs_attributes *attrs, const char *word, size_t len)
{
    if (word[0] == '.')
        add_class(attrs, word + 1, len - 1);
    else if (word[0] == '#')
        set_pair(attrs, "id", 2, word + 1, len - 1);
    else
        set_pair(attrs, word, len, word, len);
}

/*
 * Reads tokens as attr_list's re.Scanner does: `key="..."`, `key='...'`,
 * `key=value`, then a word, with spaces between them. The scanner stops
 * at the first character no rule matches (an '=' without a key).
 */
void gr_techdocs_attributes_apply(gr_techdocs_attributes *attrs, const char *text, size_t len)
{
    size_t pos = 0;

    while (pos < len) {
        size_t key_end = pos;
        size_t value_from;
        size_t value_end;

        if (text[pos] == ' ') {
            pos++;
            continue;
        }
        while (key_end < len && text[key_end] != ' ' && text[key_end] != '=')
            key_end++;
        if (key_end == pos)
            break;
        if (key_end == len || text[key_end] != '=') {
            apply_word(attrs, text + pos, key_end - pos);
            pos = key_end;
            continue;
        }
        value_from = key_end + 1;
        if (value_from < len && (text[value_from] == '"' || text[value_from] == '\'')) {
            const char *close =
                memchr(text + value_from + 1, text[value_from], len - value_from - 1);

            if (close != NULL) {
                set_pair(attrs, text + pos, key_end - pos, text + value_from + 1,
                         (size_t)(close - text) - value_from - 1);
                pos = (size_t)(close - text) + 1;
                continue;
            }
        }
        value_end = value_from;
        while (value_end < len && text[value_end] != ' ' && text[value_end] != '=')
            value_end++;
        if (value_end == value_from) {
            /* "key=" with no value: the word rule takes "key", then the scanner stops. */
            apply_word(attrs, text + pos, key_end - pos);
            break;
        }
        set_pair(attrs, text + pos, key_end - pos, text + value_from, value_end - value_from);
        pos = value_end;
    }
}

static int compare_names(const void *a, const void *b)
{
    const gr_techdocs_attribute *const *left = a;
    const gr_techdocs_attribute *const *right = b;

    return strcmp((*left)->name, (*right)->name);
}

void gr_techdocs_attributes_write(gr_buf *out, const gr_techdocs_attributes *attrs)
{
    const gr_techdocs_attribute *on_stack[8];
    const gr_techdocs_attribute **sorted = on_stack;

    if (attrs->count == 0)
        return;
    /* Most tags have one to three attributes: sort those without allocating. */
    if (attrs->count > sizeof(on_stack) / sizeof(on_stack[0]))
        sorted = gr_xcalloc(attrs->count, sizeof(*sorted));
    for (size_t i = 0; i < attrs->count; i++)
        sorted[i] = &attrs->items[i];
    if (attrs->count > 1)
        qsort(sorted, attrs->count, sizeof(*sorted), compare_names);
    for (size_t i = 0; i < attrs->count; i++) {
        gr_buf_putc(out, ' ');
        gr_buf_puts(out, sorted[i]->name);
        gr_buf_puts(out, "=\"");
        gr_buf_put_html(out, sorted[i]->value);
        gr_buf_putc(out, '"');
    }
    if (sorted != on_stack)
        free(sorted);
}

void gr_techdocs_attributes_free(gr_techdocs_attributes *attrs)
{
    if (attrs == NULL)
        return;
    for (size_t i = 0; i < attrs->count; i++) {
        free(attrs->items[i].name);
        free(attrs->items[i].value);
    }
    free(attrs->items);
    memset(attrs, 0, sizeof(*attrs));
}

size_t gr_techdocs_attribute_list_match(const char *text, size_t len, size_t *inner_from,
                                        size_t *inner_len)
{
    size_t pos = 1;
    size_t start;
    size_t end;

    if (len < 3 || text[0] != '{')
        return 0;
    if (text[pos] == ':')
        pos++;
    while (pos < len && text[pos] == ' ')
        pos++;
    if (pos >= len || text[pos] == '}' || text[pos] == '\n')
        return 0;
    start = pos;
    while (pos < len && text[pos] != '}' && text[pos] != '\n')
        pos++;
    if (pos >= len || text[pos] != '}')
        return 0;
    end = pos;
    while (end > start && text[end - 1] == ' ')
        end--;
    *inner_from = start;
    *inner_len = end - start;
    return pos + 1;
}
