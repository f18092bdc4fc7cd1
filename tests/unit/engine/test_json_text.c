/* SPDX-License-Identifier: MIT */
/* The engine's JSON writer gives jansson's compact text, sorted or not, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/engine/json_text.h"
#include "plugins/catalog/engine/util.h"
#include "support/gr_test.h"

/* Catalog files from public repositories, some invalid on purpose. */
#define CORPUS_DIR "../shared/corpus/catalog"

#define PLAIN_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))
#define SORTED_FLAGS (PLAIN_FLAGS | JSON_SORT_KEYS)

/* Fails the test unless the writer gives jansson's text for `value` in both orders. Returns
 * the number of comparisons made (2). */
static int expect_same_text(const json_t *value)
{
    for (int sorted = 0; sorted < 2; sorted++) {
        char *expected = json_dumps(value, sorted ? SORTED_FLAGS : PLAIN_FLAGS);
        gr_buf written = GR_BUF_INIT;

        assert_non_null(expected);
        assert_true(gr_catalog__json_write(&written, value, sorted, NULL, NULL));
        if (strcmp(gr_buf_cstr(&written), expected) != 0)
            fail_msg("sorted=%d\n  jansson: %s\n  written: %s", sorted, expected,
                     gr_buf_cstr(&written));
        free(expected);
        gr_buf_free(&written);
    }
    return 2;
}

/* Every byte below 0x80 alone and inside text, in values and in keys. */
static void ascii_escapes_match(void **state)
{
    (void)state;
    for (int c = 0; c < 0x80; c++) {
        char text[8] = {'a', (char)c, 'b', '\0'};
        size_t len = c == 0 ? 3 : strlen(text);
        json_t *value = json_object();

        json_object_set_new(value, "v", json_stringn(text, len));
        json_object_set_new(value, "alone", json_stringn(text + 1, 1));
        if (c != 0)
            json_object_set_new(value, text, json_integer(c));
        expect_same_text(value);
        json_decref(value);
    }
}

/* Two-, three- and four-byte characters, line and paragraph separators, and the largest code
 * point stay as they are. */
static void multibyte_text_matches(void **state)
{
    json_t *value = json_pack("{s:s, s:s, s:s, s:s, s:[s, s]}", "caf\xC3\xA9", "\xE2\x80\xA8\xE2\x80\xA9",
                              "emoji", "\xF0\x9F\x9A\x80 rocket", "max", "\xF4\x8F\xBF\xBF",
                              "\xC3\xA9t\xC3\xA9", "summer", "list", "\xEF\xBF\xBD",
                              "\xE6\x97\xA5\xE6\x9C\xAC");

    (void)state;
    assert_non_null(value);
    expect_same_text(value);
    json_decref(value);
}

/* Keys that sort by their bytes: prefixes, punctuation, upper case and non-ASCII; more members
 * than the writer keeps on its stack. */
static void key_order_matches(void **state)
{
    static const char *const keys[] = {"b", "a-b", "ab", "a", "", "A", "Z", "a.b", "~", "\xC3\xA9",
                                       "a b", "_", "10", "9", "\xE2\x82\xAC"};
    json_t *value = json_object();
    json_t *large = json_object();

    (void)state;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        json_object_set_new(value, keys[i], json_integer((json_int_t)i));
    for (int i = 99; i >= 0; i--) {
        char key[16];

        snprintf(key, sizeof(key), "k%d", i * 7 % 100);
        json_object_set_new(large, key, json_pack("{s:i, s:[]}", "z", i, "a"));
    }
    json_object_set_new(value, "large", large);
    expect_same_text(value);
    json_decref(value);
}

/* Numbers at their limits, literals, empty containers and nesting. */
static void scalars_and_nesting_match(void **state)
{
    json_t *value = json_pack("{s:I, s:I, s:i, s:b, s:b, s:n, s:{}, s:[], s:[[[{s:[{}]}]]], s:s}",
                              "min", (json_int_t)INT64_MIN, "max", (json_int_t)INT64_MAX, "zero", 0,
                              "yes", 1, "no", 0, "nothing", "object", "array", "deep", "x",
                              "empty", "");

    (void)state;
    assert_non_null(value);
    expect_same_text(value);
    json_decref(value);
}

/* Returns whether `value` contains a real number, which the writer leaves to jansson. */
static bool has_real(const json_t *value)
{
    const char *key;
    json_t *member;
    size_t index;

    if (json_is_real(value))
        return true;
    json_object_foreach ((json_t *)value, key, member) {
        if (has_real(member))
            return true;
    }
    json_array_foreach (value, index, member) {
        if (has_real(member))
            return true;
    }
    return false;
}

typedef struct {
    size_t files;
    size_t documents;
    size_t compared;
    size_t (*check)(const json_t *root); /* returns the comparisons it made */
} corpus_count;

/* Runs the count's check on every document of a corpus file. */
static void check_file(const char *path, const char *text, size_t len, void *payload)
{
    corpus_count *count = payload;
    gr_yaml_doc **docs = NULL;
    size_t doc_count = 0;

    if (gr_yaml_parse(path, text, len, NULL, &docs, &doc_count) == 0) {
        for (size_t i = 0; i < doc_count; i++) {
            count->documents++;
            count->compared += count->check(gr_yaml_doc_root(docs[i]));
        }
    }
    gr_yaml_docs_free(docs, doc_count);
}

/* Compares the writer with jansson on a document without a real number. */
static size_t check_written(const json_t *root)
{
    if (root == NULL || has_real(root))
        return 0;
    return (size_t)expect_same_text(root);
}

/* Every document of the catalog corpus without a real number matches. */
static void corpus_documents_match(void **state)
{
    corpus_count count = {.check = check_written};

    (void)state;
    count.files = gr_test_each_yaml_file(CORPUS_DIR, check_file, &count);
    print_message("json text: %zu files, %zu documents, %zu texts compared\n", count.files,
                  count.documents, count.compared);
    assert_true(count.files > 50);
    assert_true(count.compared > 200);
}

/* Fails the test unless gr_catalog__json_read() gives what json_loads() gives for `text`. */
static void expect_same_read(const char *text)
{
    json_t *expected = json_loads(text, 0, NULL);
    json_t *got = gr_catalog__json_read(text);

    if (expected == NULL && got != NULL)
        fail_msg("read %s, which jansson rejects", text);
    if (expected != NULL && (got == NULL || !json_equal(expected, got)))
        fail_msg("read of %s differs from jansson's", text);
    json_decref(expected);
    json_decref(got);
}

/* Texts of every kind read as jansson reads them: the writer's own, other valid JSON that
 * jansson reads instead, and invalid JSON, which neither accepts. */
static void read_matches_jansson(void **state)
{
    static const char *const texts[] = {
        "{}",
        "[]",
        " { \"a\" : [ 1 , -2 , 0 , -0 ] ,\n\t\"b\" : { } }\r\n",
        "{\"kind\":\"Component\",\"metadata\":{\"name\":\"a\",\"tags\":[\"x\",\"y\"]}}",
        "{\"s\":\"quote \\\" backslash \\\\ slash \\/ b \\b f \\f n \\n r \\r t \\t end\"}",
        "{\"esc\\\"aped\\nkey\":\"and \\\"value\\\"\",\"next\":\"\\t\"}",
        "{\"a\":\"\\u00e9\",\"b\":\"\\ud83d\\ude00\"}",
        "{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
        "[true,false,null,\"\",[[]],{\"\":{}}]",
        "{\"d\":1,\"d\":2}",
        "[123456789012345678,-123456789012345678]",
        "[1234567890123456789,-9223372036854775808]",
        "[99999999999999999999]",
        "[1.5,2e3,-0.0]",
        "[01]",
        "[-]",
        "[tru]",
        "[nulls]",
        "{\"a\":1,}",
        "{\"a\":1;\"b\":2}",
        "[1;2]",
        "[1,]",
        "{\"a\" 1}",
        "{\"a\":1} x",
        "\"top-level string\"",
        "42",
        "{\"bad\":\"\xc3\x28\"}",
        "{\"bad\":\"\xed\xa0\x80\"}",
        "{\"ctrl\":\"a\tb\"}",
        "{\"nul\":\"\\u0000\"}",
        "{\"bad escape\":\"\\q\"}",
        "{\"open\":\"never closed}",
        "{\"a\":[1,2",
        "",
    };
    gr_buf deep = GR_BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        expect_same_read(texts[i]);

    /* Nesting deeper than the writer writes is read by jansson. */
    for (int i = 0; i < GR_CATALOG_JSON_WRITE_DEPTH + 10; i++)
        gr_buf_putc(&deep, '[');
    for (int i = 0; i < GR_CATALOG_JSON_WRITE_DEPTH + 10; i++)
        gr_buf_putc(&deep, ']');
    expect_same_read(gr_buf_cstr(&deep));
    gr_buf_free(&deep);
    assert_null(gr_catalog__json_read(NULL));
}

/* Reads the engine's text of an object document back and compares it with jansson's read. */
static size_t check_read_back(const json_t *root)
{
    char *written;

    if (!json_is_object(root))
        return 0;
    written = gr_catalog__json_text(root);
    expect_same_read(written);
    free(written);
    return 1;
}

/* The engine's text of every object document in the catalog corpus reads back as jansson
 * reads it. */
static void corpus_texts_read_back(void **state)
{
    corpus_count count = {.check = check_read_back};

    (void)state;
    count.files = gr_test_each_yaml_file(CORPUS_DIR, check_file, &count);
    print_message("json read: %zu files, %zu documents, %zu texts read\n", count.files,
                  count.documents, count.compared);
    assert_true(count.compared > 100);
}

/* Values the writer leaves to jansson, and the engine's text and hash of them still match
 * jansson's. */
static void declined_values_fall_back(void **state)
{
    json_t *deep = json_array();
    json_t *declined[3];
    gr_buf written = GR_BUF_INIT;

    (void)state;
    for (int i = 0; i < GR_CATALOG_JSON_WRITE_DEPTH + 10; i++)
        deep = json_pack("[o]", deep);
    declined[0] = deep;
    declined[1] = json_pack("{s:o}", "bad", json_stringn_nocheck("a\xFF" "b", 3));
    declined[2] = json_object();
    json_object_setn_new_nocheck(declined[2], "a\0b", 3, json_true());

    for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++) {
        char *expected_plain = json_dumps(declined[i], PLAIN_FLAGS);
        char *expected_sorted = json_dumps(declined[i], SORTED_FLAGS);
        char *plain = gr_catalog__json_text(declined[i]);
        char *sorted = gr_catalog__stable_json(declined[i]);
        char hash[GR_CATALOG_HASH_SIZE];
        char expected_hash[GR_CATALOG_HASH_SIZE];

        gr_buf_reset(&written);
        assert_false(gr_catalog__json_write(&written, declined[i], true, NULL, NULL));
        assert_string_equal(plain, expected_plain ? expected_plain : "null");
        assert_string_equal(sorted, expected_sorted ? expected_sorted : "null");
        gr_catalog__stable_hash(declined[i], hash);
        gr_catalog__sha1_hex(sorted, strlen(sorted), expected_hash);
        assert_string_equal(hash, expected_hash);
        free(expected_plain);
        free(expected_sorted);
        free(plain);
        free(sorted);
        json_decref(declined[i]);
    }
    gr_buf_free(&written);
}

/* Stored text writes reals as JSON.stringify() does; the hashed text keeps jansson's form. */
static void reals_written_as_javascript(void **state)
{
    json_t *value = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "ratio", 0.1, "weight", 51.4406,
                              "whole", 1.0, "big", 1e21, "small", 1e-7, "negative", -2.5);
    char *expected_sorted = json_dumps(value, SORTED_FLAGS);
    char *plain = gr_catalog__json_text(value);
    char *sorted = gr_catalog__stable_json(value);
    gr_buf written = GR_BUF_INIT;
    char hash[GR_CATALOG_HASH_SIZE];
    char expected_hash[GR_CATALOG_HASH_SIZE];

    (void)state;
    assert_string_equal(plain, "{\"ratio\":0.1,\"weight\":51.4406,\"whole\":1,\"big\":1e+21,"
                               "\"small\":1e-7,\"negative\":-2.5}");
    assert_string_equal(sorted, expected_sorted);
    assert_non_null(strstr(sorted, "0.10000000000000001"));
    assert_false(gr_catalog__json_write(&written, value, true, NULL, NULL));
    gr_catalog__stable_hash(value, hash);
    gr_catalog__sha1_hex(expected_sorted, strlen(expected_sorted), expected_hash);
    assert_string_equal(hash, expected_hash);
    gr_buf_free(&written);
    free(expected_sorted);
    free(plain);
    free(sorted);
    json_decref(value);
}

/* A whole real of 19 digits or more gets an exponent, so that jansson reads the stored text
 * back as a real of the same value instead of rejecting an integer beyond 64 bits. */
static void big_whole_reals_read_back(void **state)
{
    static const struct {
        double value;
        const char *text;
    } cases[] = {
        {1e20, "[1e+20]"},
        {-1.2345e20, "[-1.2345e+20]"},
        {9223372036854775808.0, "[9.223372036854776e+18]"},
        {123456789012345678.0, "[123456789012345680]"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *value = json_pack("[f]", cases[i].value);
        char *text = gr_catalog__json_text(value);
        json_t *back = gr_catalog__json_read(text);

        assert_string_equal(text, cases[i].text);
        assert_non_null(back);
        assert_true(json_equal(back, value) || json_number_value(json_array_get(back, 0)) ==
                                                   cases[i].value);
        json_decref(back);
        free(text);
        json_decref(value);
    }
}

typedef struct {
    gr_buf all;
    size_t calls;
} drained;

static void drain_into(gr_buf *out, void *payload)
{
    drained *sink = payload;

    gr_buf_append(&sink->all, out->data, out->len);
    gr_buf_reset(out);
    sink->calls++;
}

/* A value larger than the drain size reaches the callback in pieces that add up to the text. */
static void drained_pieces_add_up(void **state)
{
    json_t *value = json_array();
    drained sink = {GR_BUF_INIT, 0};
    gr_buf out = GR_BUF_INIT;
    char *expected;

    (void)state;
    for (int i = 0; i < 20000; i++)
        json_array_append_new(value, json_pack("{s:i, s:s}", "n", i, "text", "some words"));
    assert_true(gr_catalog__json_write(&out, value, true, drain_into, &sink));
    drain_into(&out, &sink);
    expected = json_dumps(value, SORTED_FLAGS);
    assert_true(sink.calls > 3);
    assert_string_equal(gr_buf_cstr(&sink.all), expected);
    free(expected);
    gr_buf_free(&sink.all);
    gr_buf_free(&out);
    json_decref(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ascii_escapes_match),      cmocka_unit_test(multibyte_text_matches),
        cmocka_unit_test(key_order_matches),        cmocka_unit_test(scalars_and_nesting_match),
        cmocka_unit_test(corpus_documents_match),   cmocka_unit_test(declined_values_fall_back),
        cmocka_unit_test(drained_pieces_add_up),    cmocka_unit_test(read_matches_jansson),
        cmocka_unit_test(corpus_texts_read_back),   cmocka_unit_test(reals_written_as_javascript),
        cmocka_unit_test(big_whole_reals_read_back),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
