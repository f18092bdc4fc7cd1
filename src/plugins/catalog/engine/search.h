/* SPDX-License-Identifier: MIT */
/* The flattened key/value rows of a final entity, by Backstage's buildEntitySearch rules. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_SEARCH_H
#define GR_PLUGINS_CATALOG_ENGINE_SEARCH_H

#include <jansson.h>
#include <locale.h>
#include <stddef.h>

#include "host/common/arena.h"

/** Maximum length of a key, in UTF-16 code units as JavaScript counts; longer keys are dropped. */
#define GR_CATALOG_SEARCH_MAX_KEY 200
/** Maximum length of a value; longer values are stored as NULL. */
#define GR_CATALOG_SEARCH_MAX_VALUE 200

/** One row of catalog_search; `original` and `value` are NULL together. The strings belong to
 * the gr_catalog_search_rows that contains the row, and `value` may be `original` itself. */
typedef struct {
    const char *key;      /* lower-case dotted path */
    const char *original; /* the value as String(value) writes it */
    const char *value;    /* `original` in lower case */
} gr_catalog_search_row;

typedef struct {
    gr_catalog_search_row *items;
    size_t count;
    size_t cap;
    gr_arena *text; /* the strings of the rows */
} gr_catalog_search_rows;

/**
 * Flattens a final entity into rows, as buildEntitySearch in
 * @backstage/plugin-catalog-backend 4.0 does: every leaf under its dotted
 * path (arrays give one row per item, and string items also a
 * "<path>.<item>" row with value true), relations as "relations.<type>"
 * rows, metadata.name, namespace (default "default") and uid, without
 * attachments, relations, status and metadata.etag. Keys and values are
 * lower-cased (Unicode simple case mapping through `ctype`, or ASCII only
 * when it is (locale_t)0). Rows with equal key and value are kept once.
 * Returns 0, or GR_EINVALID when two keys differ only in case (the message
 * names them), which Backstage rejects too. *out is then empty.
 */
int gr_catalog__search_rows(const json_t *entity, locale_t ctype, gr_catalog_search_rows *out);

/** Adds a row with copies of the strings (`original` and `value` NULL together). */
void gr_catalog__search_rows_push(gr_catalog_search_rows *rows, const char *key,
                                  const char *original, const char *value);

/** Frees the rows and their strings. NULL-safe. */
void gr_catalog__search_rows_free(gr_catalog_search_rows *rows);

/** Lower-cases UTF-8 text as JavaScript's toLowerCase does for simple mappings. Caller frees. */
char *gr_catalog__lower(const char *text, locale_t ctype);

#endif
