/* SPDX-License-Identifier: MIT */
/* Heading ids made the way Python-Markdown's toc extension makes them. */
#include "plugins/techdocs/build/slug.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"

/* Python's str.isspace() for ASCII, which includes the separators 0x1c-0x1f. */
static int is_py_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int is_py_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Decomposes `text` (NFKD) and keeps the ASCII bytes, like
 * value.encode('ascii', 'ignore') after unicodedata.normalize('NFKD'). */
static void ascii_fold(const char *text, size_t len, gr_buf *out)
{
    size_t pos = 0;

    while (pos < len) {
        utf8proc_int32_t codepoint;
        utf8proc_int32_t decomposed[32];
        utf8proc_ssize_t used =
            utf8proc_iterate((const utf8proc_uint8_t *)text + pos, (utf8proc_ssize_t)(len - pos),
                             &codepoint);

        if (used <= 0) {
            pos++;
            continue;
        }
        pos += (size_t)used;
        if (codepoint < 0x80) {
            gr_buf_putc(out, (char)codepoint);
            continue;
        }

        utf8proc_ssize_t count = utf8proc_decompose_char(
            codepoint, decomposed, 32, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, NULL);
        for (utf8proc_ssize_t i = 0; i < count && i < 32; i++) {
            if (decomposed[i] < 0x80)
                gr_buf_putc(out, (char)decomposed[i]);
        }
    }
}

char *gr_techdocs_slugify(const char *text, size_t len, char separator)
{
    gr_buf folded = GR_BUF_INIT;
    gr_buf kept = GR_BUF_INIT;
    gr_buf out = GR_BUF_INIT;
    size_t start = 0;
    size_t end;

    ascii_fold(text, len, &folded);

    /* re.sub(r'[^\w\s-]', '', value) */
    for (size_t i = 0; i < folded.len; i++) {
        unsigned char c = (unsigned char)folded.data[i];
        if (is_py_word(c) || is_py_space(c) || c == '-')
            gr_buf_putc(&kept, (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    }

    /* .strip() */
    end = kept.len;
    while (start < end && is_py_space((unsigned char)kept.data[start]))
        start++;
    while (end > start && is_py_space((unsigned char)kept.data[end - 1]))
        end--;

    /* re.sub(r'[{sep}\s]+', sep, value) */
    gr_buf_puts(&out, "");
    for (size_t i = start; i < end; i++) {
        char c = kept.data[i];
        if (c == separator || is_py_space((unsigned char)c)) {
            while (i + 1 < end &&
                   (kept.data[i + 1] == separator || is_py_space((unsigned char)kept.data[i + 1])))
                i++;
            gr_buf_putc(&out, separator);
        } else {
            gr_buf_putc(&out, c);
        }
    }

    gr_buf_free(&folded);
    gr_buf_free(&kept);
    return gr_buf_detach(&out);
}

/* Open addressing over strings; a page has a few hundred ids at most. */
struct gr_techdocs_idset {
    char **slots;
    size_t cap;
    size_t count;
};

static size_t hash_id(const char *id)
{
    size_t hash = 14695981039346656037u;

    for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
        hash = (hash ^ *p) * 1099511628211u;
    return hash;
}

gr_techdocs_idset *gr_techdocs_idset_new(void)
{
    gr_techdocs_idset *set = gr_xcalloc(1, sizeof(*set));

    set->cap = 64;
    set->slots = gr_xcalloc(set->cap, sizeof(char *));
    return set;
}

void gr_techdocs_idset_free(gr_techdocs_idset *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->cap; i++)
        free(set->slots[i]);
    free(set->slots);
    free(set);
}

static size_t find_slot(char **slots, size_t cap, const char *id)
{
    size_t index = hash_id(id) & (cap - 1);

    while (slots[index] != NULL && strcmp(slots[index], id) != 0)
        index = (index + 1) & (cap - 1);
    return index;
}

int gr_techdocs_idset_contains(const gr_techdocs_idset *set, const char *id)
{
    return set->slots[find_slot(set->slots, set->cap, id)] != NULL;
}

static void grow(gr_techdocs_idset *set)
{
    size_t cap = set->cap * 2;
    char **slots = gr_xcalloc(cap, sizeof(char *));

    for (size_t i = 0; i < set->cap; i++) {
        if (set->slots[i] != NULL)
            slots[find_slot(slots, cap, set->slots[i])] = set->slots[i];
    }
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
}

void gr_techdocs_idset_add(gr_techdocs_idset *set, const char *id)
{
    size_t index;

    if ((set->count + 1) * 2 > set->cap)
        grow(set);
    index = find_slot(set->slots, set->cap, id);
    if (set->slots[index] != NULL)
        return;
    set->slots[index] = gr_xstrdup(id);
    set->count++;
}

/* Splits "x_N" (N all digits, at least one) into "x" and N, as IDCOUNT_RE does. */
static int split_count(const char *id, size_t *prefix_len, long *count)
{
    const char *underscore = strrchr(id, '_');
    const char *digits;

    if (underscore == NULL || underscore[1] == '\0')
        return 0;
    for (digits = underscore + 1; *digits != '\0'; digits++) {
        if (*digits < '0' || *digits > '9')
            return 0;
    }
    /* NOTE: counts past 18 digits are treated as plain text, where Python
     * would keep counting with big integers; no real page gets there. */
    if (digits - underscore - 1 > 18)
        return 0;
    *prefix_len = (size_t)(underscore - id);
    *count = strtol(underscore + 1, NULL, 10);
    return 1;
}

char *gr_techdocs_idset_unique(gr_techdocs_idset *set, const char *id)
{
    char *current = gr_xstrdup(id);

    while (current[0] == '\0' || gr_techdocs_idset_contains(set, current)) {
        size_t prefix_len;
        long count;
        char *next;

        if (split_count(current, &prefix_len, &count))
            next = gr_xasprintf("%.*s_%ld", (int)prefix_len, current, count + 1);
        else
            next = gr_xasprintf("%s_1", current);
        free(current);
        current = next;
    }
    gr_techdocs_idset_add(set, current);
    return current;
}
