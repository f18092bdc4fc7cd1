/* SPDX-License-Identifier: MIT */
/* Attribute lists (`{: #id .class key=value }`) read as Python-Markdown's attr_list extension does.
 */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_ATTR_LIST_H
#define GR_PLUGINS_TECHDOCS_BUILD_ATTR_LIST_H

#include <stddef.h>

#include "host/common/buf.h"

/** One attribute of an element: its name and its unescaped value. */
typedef struct {
    char *name;
    char *value;
} gr_techdocs_attribute;

/** The attributes of one element, each name once; free with gr_techdocs_attributes_free(). */
typedef struct {
    gr_techdocs_attribute *items;
    size_t count;
    size_t cap;
} gr_techdocs_attributes;

#define GR_TECHDOCS_ATTRIBUTES_INIT                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/** Sets `name` to `value` (both copied), replacing an earlier value of the same name. */
void gr_techdocs_attributes_set(gr_techdocs_attributes *attrs, const char *name, const char *value);

/** Returns the value of `name` (borrowed), or NULL. */
const char *gr_techdocs_attributes_get(const gr_techdocs_attributes *attrs, const char *name);

/**
 * Applies the inside of an attribute list (without the braces and the
 * optional ':') to `attrs` as attr_list's assign_attrs does, in order:
 * `#x` and `id=x` set the id, `.x` appends a class, `class=x` replaces the
 * classes, `key=value`, `key="value"` and `key='value'` set an attribute,
 * and a bare `key` sets key="key". Attributes the raw HTML sanitizer drops
 * (event handlers, script URLs, names with other characters) are left out.
 */
void gr_techdocs_attributes_apply(gr_techdocs_attributes *attrs, const char *text, size_t len);

/**
 * Appends ` name="value"` for each attribute, sorted by name as
 * Python-Markdown's HTML serializer writes them, with values HTML-escaped.
 */
void gr_techdocs_attributes_write(gr_buf *out, const gr_techdocs_attributes *attrs);

/** Frees every attribute and empties the list. NULL-safe. */
void gr_techdocs_attributes_free(gr_techdocs_attributes *attrs);

/**
 * Matches an attribute list at the start of `text`, as attr_list's
 * INLINE_RE does after an image or a link: '{', an optional ':', spaces,
 * then text without '}' or a newline that does not start with a space,
 * and '}'. Returns the length of the match and stores where the inside
 * starts and its length without trailing spaces, or returns 0.
 */
size_t gr_techdocs_attribute_list_match(const char *text, size_t len, size_t *inner_from,
                                        size_t *inner_len);

#endif
