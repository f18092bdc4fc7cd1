/* SPDX-License-Identifier: MIT */
/* Query cursors: base64-encoded JSON in the layout of Backstage's catalog. */
#ifndef GR_PLUGINS_CATALOG_API_CURSOR_H
#define GR_PLUGINS_CATALOG_API_CURSOR_H

#include <jansson.h>
#include <stddef.h>

/*
 * A cursor is a JSON object, base64-encoded:
 *   orderFields          [{field, order: "asc"|"desc"}]
 *   isPrevious           true when it points at the page before
 *   query                the filter predicate (optional)
 *   fullTextFilter       {term, fields?} (optional)
 *   orderFieldValues     sort key of the row it continues from:
 *                        [value, entity id] with an order field, else [entity id]
 *   firstSortFieldValues sort key of the first row of the first page
 *   totalItems           the count computed for the first page
 * Clients treat it as opaque; Backstage's clients only look for `query`.
 */

/** Maximum length of an encoded cursor, in bytes. */
#define GR_CATALOG_CURSOR_MAX 65536

/**
 * Decodes and checks an encoded cursor. A cursor's older `filter` form is
 * converted into `query`. Returns 0 with the cursor object in *out (caller
 * frees), or GR_EINVALID with "Malformed cursor: ..." (a 400 InputError).
 */
int gr_catalog_cursor_decode(const char *encoded, json_t **out);

/** Encodes a cursor object. Returns a new string (caller frees). */
char *gr_catalog_cursor_encode(const json_t *cursor);

/** Appends standard base64 with padding of data[0..len) to a new string (caller frees). */
char *gr_catalog_base64_encode(const void *data, size_t len);

/**
 * Decodes base64 as Node's Buffer.from(text, "base64") does: both alphabets
 * (+/ and -_), white space ignored, input ends at the first '='. Returns the
 * bytes NUL-terminated (caller frees) with their count in *len, or NULL when
 * another character appears.
 */
char *gr_catalog_base64_decode(const char *text, size_t *len);

#endif
