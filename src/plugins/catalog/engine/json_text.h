/* SPDX-License-Identifier: MIT */
/* Compact JSON text of entities, written in one pass into a buffer and read back. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_JSON_TEXT_H
#define GR_PLUGINS_CATALOG_ENGINE_JSON_TEXT_H

#include <jansson.h>
#include <stdbool.h>

#include "host/common/buf.h"

/** Deepest nesting that gr_catalog__json_write() writes itself. */
#define GR_CATALOG_JSON_WRITE_DEPTH 256

/*
 * Callback that gr_catalog__json_write() runs whenever `out` contains 64 KiB
 * or more, so that a caller that only hashes the text can consume and empty it.
 */
typedef void (*gr_catalog_json_drain_fn)(gr_buf *out, void *payload);

/**
 * Appends the compact JSON text of `value` to `out`. Unsorted, it is the text
 * that JSON.stringify() gives: numbers in JavaScript's shortest form
 * (gr_js_number_format()), so that 0.1 stays 0.1. Sorted, it is byte for byte
 * the text that json_dumps() gives with JSON_COMPACT | JSON_ENCODE_ANY |
 * JSON_REAL_PRECISION(17) | JSON_SORT_KEYS. The stored hashes of entities are
 * digests of the sorted text, so it must not change.
 *
 * Returns false for a value it leaves to jansson: a real number in sorted
 * text, a key with a NUL byte, a string that is not UTF-8, or nesting
 * deeper than GR_CATALOG_JSON_WRITE_DEPTH. `out` then contains a partial text,
 * of which `drain` (may be NULL) may have consumed a part, and callers start
 * again with jansson. Jansson's writer calls back for every token and sorts
 * keys through allocated arrays. In a first load of 100,000 entities this
 * writer took 2.6 s of about 30 CPU seconds off.
 */
bool gr_catalog__json_write(gr_buf *out, const json_t *value, bool sorted,
                            gr_catalog_json_drain_fn drain, void *payload);

/**
 * Returns what json_loads(text, 0, NULL) returns (NULL for NULL text). The
 * text that gr_catalog__json_write() makes, an object or array of strings
 * without \u escapes, integers of up to 18 digits, true, false and null, is
 * read here in one pass. Anything else (a real number, a \u escape, an
 * error) is read by jansson from the start. Processing and the stitch read
 * each entity back once: in a first load of 100,000 entities, json_loads()
 * took about 1.8 CPU seconds for that, and with this reader the time spent
 * in jansson fell by about 1.2 s.
 */
json_t *gr_catalog__json_read(const char *text);

#endif
