/* SPDX-License-Identifier: MIT */
/* Removes scripts, event handlers, script URLs and frames from raw HTML in docs. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_SANITIZE_H
#define GR_PLUGINS_TECHDOCS_BUILD_SANITIZE_H

#include <stddef.h>

#include "host/common/buf.h"

/*
 * Backstage's TechDocs reader passes every page through DOMPurify before it
 * shows it; greenroom cleans at build time instead. The sanitizer is a
 * stream: raw HTML arrives in pieces (one tag at a time, or one line of an
 * HTML block) and a tag may span pieces. It drops <script> elements with their
 * content; comments, doctypes and processing instructions; the tags of
 * <base>, <meta>, SVG animation elements, <iframe>, <frame>, <frameset>,
 * <object>, <embed> and <applet>; every attribute whose name
 * starts with "on" or has a character other than letters, digits, '-',
 * '_', ':' and '.', srcdoc attributes, and URL attributes (href, src,
 * action, formaction, xlink:href, data, background, poster, cite and the
 * like) whose URL uses the javascript:, vbscript:
 * or data: scheme (data:image/ is kept on src), with numeric character
 * references decoded with or without their ';'. Markup whose tag name holds
 * another character than letters, digits, '-' and ':' is written as text,
 * and '<' and '>' inside attribute values are escaped.
 * All other markup passes through unchanged.
 */
typedef struct {
    gr_buf pending;   /* an unfinished tag or comment */
    int in_script;    /* inside <script>...</script>: content is dropped */
} gr_techdocs_sanitizer;

#define GR_TECHDOCS_SANITIZER_INIT {GR_BUF_INIT, 0}

/** Cleans `len` bytes of raw HTML and appends the result to `out`. */
void gr_techdocs_sanitize_feed(gr_techdocs_sanitizer *sanitizer, const char *html, size_t len,
                               gr_buf *out);

/** Ends the stream: an unfinished tag is written as escaped text. Frees the state. */
void gr_techdocs_sanitize_finish(gr_techdocs_sanitizer *sanitizer, gr_buf *out);

/**
 * Returns nonzero when the sanitizer drops the attribute `name`=`value`
 * (lengths in bytes, value still entity-encoded): an event handler, srcdoc,
 * a name with other characters than letters, digits, '-', '_', ':' and '.',
 * or a URL attribute whose value runs script.
 */
int gr_techdocs_attribute_is_unsafe(const char *name, size_t name_len, const char *value,
                                    size_t value_len);

/** Returns nonzero when `url` (an attribute value, entities allowed) runs script. */
int gr_techdocs_url_is_unsafe(const char *url, size_t len, int allow_data_image);

#endif
