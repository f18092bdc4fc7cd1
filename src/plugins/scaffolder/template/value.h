/* SPDX-License-Identifier: MIT */
/* Template values with JavaScript semantics (what Nunjucks computes) over jansson. */
#ifndef GR_SCAFFOLDER_TEMPLATE_VALUE_H
#define GR_SCAFFOLDER_TEMPLATE_VALUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/common/buf.h"
#include "host/common/js_number.h"

/*
 * Nunjucks evaluates templates as JavaScript, so a value is one of the
 * JavaScript types a JSON context can produce, plus `undefined`. Numbers are
 * doubles (NaN and Infinity included, which jansson cannot hold); strings,
 * arrays and objects are jansson values. A gr_tv owns one reference on
 * `json` when `json` is not NULL; gr_tv_release() drops it.
 */
typedef enum {
    GR_TV_UNDEFINED,
    GR_TV_NULL,
    GR_TV_BOOL,
    GR_TV_NUMBER,
    GR_TV_STRING,
    GR_TV_ARRAY,
    GR_TV_OBJECT,
} gr_tv_kind;

typedef struct {
    gr_tv_kind kind;
    bool boolean;
    double number;
    json_t *json; /* the string, array or object; NULL for the other kinds */
} gr_tv;

#define GR_TV_UNDEF ((gr_tv){.kind = GR_TV_UNDEFINED})

/* Formatted numbers fit in this many bytes, a NUL included. */
#define GR_TV_NUMBER_MAX GR_JS_NUMBER_MAX

gr_tv gr_tv_null(void);
gr_tv gr_tv_bool(bool value);
gr_tv gr_tv_number(double value);
/** Makes a string value from `len` bytes of valid UTF-8 (copied). */
gr_tv gr_tv_string(const char *str, size_t len);
/** Makes a string value that takes ownership of the gr_buf contents. */
gr_tv gr_tv_string_buf(gr_buf *buf);
/** Wraps a jansson value; takes the reference the caller passes (steals). */
gr_tv gr_tv_take_json(json_t *json);
/** Wraps a jansson value; adds a reference (the caller keeps its own). NULL gives undefined. */
gr_tv gr_tv_from_json(json_t *json);
/** Returns a new reference on a second gr_tv that shares the same data. */
gr_tv gr_tv_copy(const gr_tv *value);
void gr_tv_release(gr_tv *value);

/**
 * Converts to JSON for storing in an array or object or for handing out:
 * integral numbers become json_integer, NaN and Infinity become null (as
 * JSON.stringify does), undefined becomes null. Returns a new reference.
 */
json_t *gr_tv_to_json(const gr_tv *value);

/** Returns the string bytes of a GR_TV_STRING (borrowed) and its length. */
const char *gr_tv_str(const gr_tv *value, size_t *len);

/* JavaScript conversions and operators. */
bool gr_tv_truthy(const gr_tv *value);
double gr_tv_to_number(const gr_tv *value);
/** Appends String(value): undefined gives "undefined", arrays join with ",". */
void gr_tv_append_string(gr_buf *buf, const gr_tv *value);
/** Appends what `{{ value }}` prints: like String() but undefined and null print nothing. */
void gr_tv_append_output(gr_buf *buf, const gr_tv *value);
/** Returns String(value) as a new string value. */
gr_tv gr_tv_to_string(const gr_tv *value);
bool gr_tv_loose_equal(const gr_tv *a, const gr_tv *b);
bool gr_tv_strict_equal(const gr_tv *a, const gr_tv *b);
/** Evaluates a < b as JavaScript does (strings by code point, others as numbers). */
bool gr_tv_less(const gr_tv *a, const gr_tv *b, bool or_equal);
/** JavaScript `a + b`: concatenation when either side is a string, array or object. */
gr_tv gr_tv_add(const gr_tv *a, const gr_tv *b);
/** Returns the JavaScript typeof-style name of a kind, for messages. */
const char *gr_tv_kind_name(gr_tv_kind kind);

/** Formats a number as JavaScript's Number.prototype.toString() does. */
void gr_tv_format_number(double value, char out[GR_TV_NUMBER_MAX]);
/** Parses a whole string as JavaScript's Number(string) does (NaN when invalid). */
double gr_tv_parse_number(const char *str, size_t len);
/** JavaScript parseFloat(): the longest decimal prefix after leading whitespace. */
double gr_tv_parse_float(const char *str, size_t len);
/** JavaScript parseInt(str, radix); radix 0 means "10, or 16 after 0x". */
double gr_tv_parse_int(const char *str, size_t len, int radix);

/**
 * Appends JSON.stringify(value, null, indent) to `buf`. `indent` is "" for
 * compact output. Returns false, appending nothing, when the result is
 * undefined (the value is undefined).
 */
bool gr_tv_append_json(gr_buf *buf, const gr_tv *value, const char *indent);

/**
 * Lists an object's keys in JavaScript's property order: keys that are array
 * indexes ascending, then the others in insertion order. Returns an array the
 * caller frees; the strings are borrowed from the object.
 */
const char **gr_tv_object_keys(json_t *object, size_t *count);

/* UTF-8 helpers. Template sources and jansson strings are valid UTF-8. */
/** Decodes the code point at `*pos` and advances past it. */
uint32_t gr_utf8_next(const char *str, size_t len, size_t *pos);
/** Appends one code point as UTF-8. */
void gr_utf8_put(gr_buf *buf, uint32_t code_point);
/** Counts UTF-16 code units, which is what JavaScript's length returns. */
size_t gr_utf8_js_length(const char *str, size_t len);
/** Counts code points. */
size_t gr_utf8_count(const char *str, size_t len);
/** Returns the byte offset of the `index`-th code point, or `len` past the end. */
size_t gr_utf8_offset(const char *str, size_t len, size_t index);
/** Tells whether a code point is whitespace for JavaScript's \s and trim(). */
bool gr_js_is_space(uint32_t code_point);
/** Returns the offset of the first character at or after `pos` that is not JavaScript whitespace.
 */
size_t gr_js_skip_space(const char *str, size_t len, size_t pos);
/** Returns the end of `str[start..len)` without its trailing JavaScript whitespace. */
size_t gr_js_trim_end(const char *str, size_t start, size_t len);
/** Converts a code point to upper or lower case (ASCII, Latin-1, Greek, Cyrillic). */
uint32_t gr_js_to_upper(uint32_t code_point);
uint32_t gr_js_to_lower(uint32_t code_point);
/** Appends `str` with every letter case-mapped. */
void gr_js_append_case(gr_buf *buf, const char *str, size_t len, bool upper);

#endif
