/* SPDX-License-Identifier: MIT */
/* Fuzz target: the engine's JSON text, sorted and not, and its hash agree with jansson's for any
 * value. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/catalog/engine/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect_equal(const char *label, const char *expected, const char *got)
{
    if (strcmp(expected, got) == 0)
        return;
    fprintf(stderr, "fuzz_json_text: %s differs\njansson: %s\nengine:  %s\n", label, expected, got);
    abort();
}

/* Reads JSON text with every number as a double, or NULL for text jansson cannot read. */
static json_t *numbers_as_reals(const char *text)
{
    return json_loads(text, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
}

/*
 * Checks the compact text. The engine writes reals in JavaScript's shortest form, which reads
 * back as the same double as jansson's 17 digits, so a text that differs must contain the same
 * values once every number is read as a double.
 */
static void expect_same_values(const char *expected, const char *got)
{
    json_t *want;
    json_t *have;
    int same;

    if (strcmp(expected, got) == 0)
        return;
    want = numbers_as_reals(expected);
    have = numbers_as_reals(got);
    same = want != NULL && have != NULL && json_equal(want, have);
    json_decref(want);
    json_decref(have);
    if (!same)
        expect_equal("compact text", expected, got);
}

/* Compares the engine's texts and hash of `value` with jansson's. */
static void compare(const json_t *value)
{
    char *plain = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    char *sorted = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17) |
                                         JSON_SORT_KEYS);
    char *engine_plain = gr_catalog__json_text(value);
    char *engine_sorted = gr_catalog__stable_json(value);
    char hash[GR_CATALOG_HASH_SIZE];
    char expected_hash[GR_CATALOG_HASH_SIZE];

    expect_same_values(plain ? plain : "null", engine_plain);
    expect_equal("sorted text", sorted ? sorted : "null", engine_sorted);
    gr_catalog__stable_hash(value, hash);
    gr_catalog__sha1_hex(engine_sorted, strlen(engine_sorted), expected_hash);
    expect_equal("stable hash", expected_hash, hash);
    free(plain);
    free(sorted);
    free(engine_plain);
    free(engine_sorted);
}

/*
 * The input as JSON (NUL bytes allowed in strings). Its raw bytes also become a string and a
 * key without jansson's UTF-8 check, as text from a parser that skips the check would.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *parsed = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    json_t *raw = json_object();

    if (parsed != NULL)
        compare(parsed);
    json_object_set_new_nocheck(raw, "text", json_stringn_nocheck((const char *)data, size));
    json_object_setn_new_nocheck(raw, (const char *)data, size, json_integer((json_int_t)size));
    if (parsed != NULL)
        json_object_set(raw, "parsed", parsed);
    compare(raw);
    json_decref(parsed);
    json_decref(raw);
    return 0;
}
