/* SPDX-License-Identifier: MIT */
/* Encoding, decoding and checking query cursors. */
#include "plugins/catalog/api/cursor.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/api/predicate.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *gr_catalog_base64_encode(const void *data, size_t len)
{
    const unsigned char *in = data;
    char *out = gr_xmalloc((len + 2) / 3 * 4 + 1);
    size_t o = 0;
    size_t i = 0;

    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

        out[o++] = base64_alphabet[v >> 18 & 63];
        out[o++] = base64_alphabet[v >> 12 & 63];
        out[o++] = base64_alphabet[v >> 6 & 63];
        out[o++] = base64_alphabet[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);

        out[o++] = base64_alphabet[v >> 18 & 63];
        out[o++] = base64_alphabet[v >> 12 & 63];
        out[o++] = i + 1 < len ? base64_alphabet[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

char *gr_catalog_base64_decode(const char *text, size_t *len)
{
    size_t cap = strlen(text) / 4 * 3 + 4;
    char *out = gr_xmalloc(cap);
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;

    for (const char *p = text; *p != '\0' && *p != '='; p++) {
        int v = base64_value(*p);

        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            continue;
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)(acc >> bits & 0xff);
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

static int malformed(const char *problem)
{
    return gr_error_set(GR_EINVALID, "Malformed cursor: %s", problem);
}

/* Checks an array whose items are strings or null. */
static int string_or_null_array(const json_t *value)
{
    size_t index;
    json_t *item;

    if (!json_is_array(value))
        return 0;
    json_array_foreach(value, index, item)
    {
        if (!json_is_string(item) && !json_is_null(item))
            return 0;
    }
    return 1;
}

static int check_order_fields(const json_t *value)
{
    size_t index;
    json_t *item;

    if (!json_is_array(value))
        return malformed("orderFields must be an array");
    json_array_foreach(value, index, item)
    {
        const char *order = json_string_value(json_object_get(item, "order"));

        if (!json_is_string(json_object_get(item, "field")))
            return malformed("orderFields items need a string field");
        if (order == NULL || (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0))
            return malformed("orderFields order must be asc or desc");
    }
    return GR_OK;
}

static int check_full_text(const json_t *value)
{
    const json_t *fields;
    size_t index;
    json_t *item;

    if (value == NULL)
        return GR_OK;
    if (!json_is_object(value) || !json_is_string(json_object_get(value, "term")))
        return malformed("fullTextFilter needs a string term");
    fields = json_object_get(value, "fields");
    if (fields == NULL)
        return GR_OK;
    if (!json_is_array(fields))
        return malformed("fullTextFilter fields must be an array of strings");
    json_array_foreach(fields, index, item)
    {
        if (!json_is_string(item))
            return malformed("fullTextFilter fields must be an array of strings");
    }
    return GR_OK;
}

/* Builds the checked cursor in the key order Backstage writes cursors it decoded. */
static int check_cursor(const json_t *raw, json_t **out)
{
    const json_t *query = json_object_get(raw, "query");
    const json_t *legacy = json_object_get(raw, "filter");
    const json_t *first = json_object_get(raw, "firstSortFieldValues");
    const json_t *total = json_object_get(raw, "totalItems");
    json_t *cursor = NULL;
    json_t *predicate = NULL;
    int rc;

    if (!json_is_object(raw))
        return malformed("expected an object");
    rc = check_order_fields(json_object_get(raw, "orderFields"));
    if (rc == GR_OK)
        rc = check_full_text(json_object_get(raw, "fullTextFilter"));
    if (rc != GR_OK)
        return rc;
    if (!string_or_null_array(json_object_get(raw, "orderFieldValues")))
        return malformed("orderFieldValues must be an array of strings");
    /* A page starts after the order field's value and the entity id, or after the id alone. */
    if (json_array_size(json_object_get(raw, "orderFieldValues")) > 0 &&
        json_array_size(json_object_get(raw, "orderFieldValues")) !=
            (json_array_size(json_object_get(raw, "orderFields")) > 0 ? 2u : 1u))
        return malformed("orderFieldValues must hold the order field's value and the entity id, "
                         "or the entity id alone without orderFields");
    if (!json_is_boolean(json_object_get(raw, "isPrevious")))
        return malformed("isPrevious must be a boolean");
    if (first != NULL && !string_or_null_array(first))
        return malformed("firstSortFieldValues must be an array of strings");
    /* The page reports totalItems as an int64_t. A real such as 1e300 has no int64_t value, and
     * converting it would be undefined behaviour. */
    if (total != NULL && !json_is_integer(total))
        return malformed("totalItems must be an integer");

    if (query != NULL && gr_catalog_predicate_check(query, &predicate) != GR_OK)
        return gr_error_wrap(GR_EINVALID, "Malformed cursor");
    if (legacy != NULL) {
        json_t *converted = NULL;
        json_t *checked = NULL;

        /* The converted filter goes through the same check as a query, so that its depth
         * stays within GR_CATALOG_PREDICATE_MAX_DEPTH. SQLite's parser fails on a filter
         * nested about 50 levels deep. */
        rc = gr_catalog_predicate_from_legacy(legacy, &converted);
        if (rc == GR_OK && gr_catalog_predicate_check(converted, &checked) != GR_OK)
            rc = gr_error_wrap(GR_EINVALID, "Malformed cursor");
        json_decref(converted);
        if (rc != GR_OK) {
            json_decref(predicate);
            return GR_EINVALID;
        }
        predicate = predicate ? json_pack("{s:[o,o]}", "$all", checked, predicate) : checked;
    }

    cursor = json_object();
    json_object_set(cursor, "orderFields", json_object_get(raw, "orderFields"));
    json_object_set(cursor, "isPrevious", json_object_get(raw, "isPrevious"));
    if (json_object_get(raw, "fullTextFilter") != NULL)
        json_object_set(cursor, "fullTextFilter", json_object_get(raw, "fullTextFilter"));
    json_object_set(cursor, "orderFieldValues", json_object_get(raw, "orderFieldValues"));
    if (predicate != NULL)
        json_object_set_new(cursor, "query", predicate);
    if (first != NULL)
        json_object_set(cursor, "firstSortFieldValues", (json_t *)first);
    if (total != NULL)
        json_object_set(cursor, "totalItems", (json_t *)total);
    *out = cursor;
    return GR_OK;
}

int gr_catalog_cursor_decode(const char *encoded, json_t **out)
{
    json_error_t error;
    json_t *raw;
    size_t len = 0;
    char *text;
    int rc;

    *out = NULL;
    if (strlen(encoded) > GR_CATALOG_CURSOR_MAX)
        return malformed("longer than the maximum length");
    text = gr_catalog_base64_decode(encoded, &len);
    if (text == NULL)
        return malformed("not base64");
    raw = json_loadb(text, len, 0, &error);
    free(text);
    if (raw == NULL)
        return gr_error_set(GR_EINVALID, "Malformed cursor: SyntaxError: %s", error.text);
    rc = check_cursor(raw, out);
    json_decref(raw);
    return rc;
}

char *gr_catalog_cursor_encode(const json_t *cursor)
{
    char *json = json_dumps(cursor, JSON_COMPACT);
    char *encoded = gr_catalog_base64_encode(json, strlen(json));

    free(json);
    return encoded;
}
