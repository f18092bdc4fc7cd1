/* SPDX-License-Identifier: MIT */
/* Fuzz target: catalog filters, filter predicates, cursors and fields, run as queries on SQLite. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_catalog.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/api/cursor.h"
#include "plugins/catalog/api/fields.h"
#include "plugins/catalog/api/filter_sql.h"
#include "plugins/catalog/api/predicate.h"
#include "plugins/catalog/api/query.h"
#include "plugins/catalog/api/read.h"

/*
 * The first byte picks what the rest of the input is:
 *   0  `filter` parameter values, one per line
 *   1  a filter predicate as JSON (a POST by-query body's `query`)
 *   2  an older cursor filter as JSON ({key, values}, {anyOf}, ...)
 *   3  an encoded cursor
 *   4  `fields` values, one per line, applied to a stored entity
 *   5  facet names, one per line, counted over the catalog
 * Whatever is accepted must run on the database: a predicate that passed
 * the checks and then fails with GR_EBACKEND is a bug, so it aborts.
 */

#define MAX_LINES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const json_t *value)
{
    char *text = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

    fprintf(stderr, "fuzz_catalog_query: %s: %s\nvalue: %s\n", what, gr_error_last(),
            text ? text : "(none)");
    free(text);
    abort();
}

/* Splits `text` in place at newlines into at most MAX_LINES lines. */
static size_t split_lines(char *text, const char **lines)
{
    size_t count = 0;
    char *line = text;

    while (line != NULL && count < MAX_LINES) {
        char *end = strchr(line, '\n');

        if (end != NULL)
            *end = '\0';
        lines[count++] = line;
        line = end ? end + 1 : NULL;
    }
    return count;
}

/* Runs one page of `cursor` (stolen) and follows its next and previous cursors once. */
static void run_query(gr_db *db, json_t *cursor, int first, int depth)
{
    gr_catalog_query query = {0};
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    json_t *links[2];
    int rc;

    if (first) {
        gr_catalog_query_first(&query, json_incref(json_object_get(cursor, "query")),
                               NULL, NULL);
        json_decref(cursor);
    } else {
        gr_catalog_query_continue(&query, cursor);
    }
    query.limit = 2;
    rc = gr_catalog_query_run(db, &query, &fields, &page);
    if (rc == GR_EBACKEND)
        fail("a checked query failed in the database", query.cursor);
    links[0] = page.next;
    links[1] = page.prev;
    for (size_t i = 0; rc == GR_OK && depth < 2 && i < 2; i++) {
        char *encoded;
        json_t *decoded = NULL;

        if (links[i] == NULL)
            continue;
        encoded = gr_catalog_cursor_encode(links[i]);
        if (gr_catalog_cursor_decode(encoded, &decoded) != GR_OK)
            fail("a cursor the query made does not decode", links[i]);
        free(encoded);
        run_query(db, decoded, 0, depth + 1);
    }
    gr_catalog_page_free(&page);
    gr_catalog_query_free(&query);
}

/* Runs a checked predicate through every reader that takes one. */
static void run_predicate(gr_db *db, const json_t *predicate)
{
    static const char *const facets[] = {"kind", "spec.type", "metadata.tags"};
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    gr_catalog_list list = {predicate, NULL, 3, 1};
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;
    json_t *refs = json_pack("[s,s]", "component:default/payments", "group:default/team-a");
    json_t *facet_counts = NULL;
    json_t *rest = NULL;
    char *key = NULL;
    char *value = NULL;
    gr_buf out = GR_BUF_INIT;
    int more = 0;

    run_query(db, json_pack("{s:O}", "query", predicate), 1, 0);
    if (gr_catalog_read_facets(db, facets, 3, predicate, &facet_counts) == GR_EBACKEND)
        fail("facets of a checked predicate failed in the database", predicate);
    if (gr_catalog_read_list(db, &list, &fields, &out, &more) == GR_EBACKEND)
        fail("the list of a checked predicate failed in the database", predicate);
    gr_buf_reset(&out);
    if (gr_catalog_read_by_refs(db, refs, predicate, &fields, &out) == GR_EBACKEND)
        fail("by-refs with a checked predicate failed in the database", predicate);
    if (gr_catalog_filter_split(predicate, &key, &value, &rest) == 1 &&
        (key == NULL || value == NULL))
        fail("a split predicate has no key or value", predicate);
    (void)gr_catalog_filter_to_sql(predicate, "fe.entity_id", &sql);

    gr_catalog_sql_free(&sql);
    free(key);
    free(value);
    json_decref(rest);
    json_decref(facet_counts);
    json_decref(refs);
    gr_buf_free(&out);
}

static void check_and_run(gr_db *db, const json_t *predicate, int from_parser)
{
    json_t *checked = NULL;
    int rc = gr_catalog_predicate_check(predicate, &checked);

    if (rc != GR_OK && from_parser)
        fail("the filter parser made a predicate that does not pass the check", predicate);
    if (rc == GR_OK)
        run_predicate(db, checked);
    json_decref(checked);
}

static void fuzz_filters(gr_db *db, char *text)
{
    const char *lines[MAX_LINES];
    size_t count = split_lines(text, lines);
    json_t *predicate = NULL;

    if (gr_catalog_filter_parse(lines, count, &predicate) == GR_OK && predicate != NULL)
        check_and_run(db, predicate, 1);
    json_decref(predicate);
}

static void fuzz_predicate(gr_db *db, const char *text, size_t len, int legacy)
{
    json_t *value = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    json_t *converted = NULL;

    if (value == NULL)
        return;
    if (!legacy)
        check_and_run(db, value, 0);
    else if (gr_catalog_predicate_from_legacy(value, &converted) == GR_OK)
        check_and_run(db, converted, 0);
    json_decref(converted);
    json_decref(value);
}

static void fuzz_cursor(gr_db *db, const char *text)
{
    json_t *cursor = NULL;
    size_t len = 0;
    char *bytes = gr_catalog_base64_decode(text, &len);

    free(bytes);
    if (gr_catalog_cursor_decode(text, &cursor) != GR_OK)
        return;
    run_query(db, cursor, 0, 0);
}

static void fuzz_fields(gr_db *db, char *text)
{
    const char *lines[MAX_LINES];
    size_t count = split_lines(text, lines);
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    gr_buf entity = GR_BUF_INIT;
    gr_buf out = GR_BUF_INIT;

    if (gr_catalog_fields_add(&fields, lines, count) == GR_OK &&
        gr_catalog_read_by_ref(db, "component:default/payments", NULL, &entity) == GR_OK &&
        gr_catalog_fields_write(&fields, gr_buf_cstr(&entity), &out) != GR_OK)
        fail("selecting fields of a stored entity failed", NULL);
    gr_catalog_fields_free(&fields);
    gr_buf_free(&entity);
    gr_buf_free(&out);
}

static void fuzz_facets(gr_db *db, char *text)
{
    const char *lines[MAX_LINES];
    size_t count = split_lines(text, lines);
    json_t *out = NULL;

    if (gr_catalog_read_facets(db, lines, count, NULL, &out) == GR_EBACKEND)
        fail("counting facets failed in the database", NULL);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gr_db *db = gr_catalog_db(fuzz_catalog_get());
    char *text;

    if (size == 0)
        return 0;
    text = gr_xstrndup((const char *)data + 1, size - 1);
    switch (data[0] % 6) {
    case 0:
        fuzz_filters(db, text);
        break;
    case 1:
        fuzz_predicate(db, (const char *)data + 1, size - 1, 0);
        break;
    case 2:
        fuzz_predicate(db, (const char *)data + 1, size - 1, 1);
        break;
    case 3:
        fuzz_cursor(db, text);
        break;
    case 4:
        fuzz_fields(db, text);
        break;
    default:
        fuzz_facets(db, text);
        break;
    }
    free(text);
    return 0;
}
