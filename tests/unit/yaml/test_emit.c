/* SPDX-License-Identifier: MIT */
/* Unit tests for the YAML writer: quoting, block layout and parse(emit(x)) == x. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "support/gr_test.h"

/* Catalog files from public repositories, some invalid on purpose. */
#define CORPUS_DIR "../shared/corpus/catalog"

/* Emits `value`, parses the text back and returns 1 when the result equals `value`. */
static int round_trips(json_t *value, gr_buf *text)
{
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    int same = 0;

    gr_buf_reset(text);
    if (gr_yaml_emit(value, text) != GR_OK)
        return 0;
    if (gr_yaml_parse("emitted.yaml", gr_buf_cstr(text), text->len, NULL, &docs, &count) == GR_OK &&
        count == 1)
        same = json_equal(value, gr_yaml_doc_root(docs[0]));
    if (!same)
        print_message("emitted:\n%s\nerror: %s\n", gr_buf_cstr(text), gr_error_last());
    gr_yaml_docs_free(docs, count);
    return same;
}

static void emit_block_layout(void **state)
{
    json_t *value = json_pack("{s:s, s:{s:s, s:[s, s], s:{}, s:[]}, s:[{s:i, s:i}, [i, i]]}",
                              "kind", "Component", "metadata", "name", "demo", "tags", "a", "b",
                              "labels", "links", "spec", "x", 1, "y", 2, 3, 4);
    gr_buf out = GR_BUF_INIT;

    (void)state;
    assert_int_equal(gr_yaml_emit(value, &out), GR_OK);
    assert_string_equal(gr_buf_cstr(&out), "kind: Component\n"
                                           "metadata:\n"
                                           "  name: demo\n"
                                           "  tags:\n"
                                           "    - a\n"
                                           "    - b\n"
                                           "  labels: {}\n"
                                           "  links: []\n"
                                           "spec:\n"
                                           "  - x: 1\n"
                                           "    y: 2\n"
                                           "  - - 3\n"
                                           "    - 4\n");
    json_decref(value);
    gr_buf_free(&out);
}

static void emit_quotes_typed_strings(void **state)
{
    static const struct {
        const char *string;
        const char *yaml;
    } cases[] = {
        {"yes", "yes\n"},
        {"true", "\"true\"\n"},
        {"1.0", "\"1.0\"\n"},
        {"null", "\"null\"\n"},
        {"", "\"\"\n"},
        {"a: b", "\"a: b\"\n"},
        {"a #b", "\"a #b\"\n"},
        {"- x", "\"- x\"\n"},
        {"-x", "-x\n"},
        {"*x", "\"*x\"\n"},
        {" lead", "\" lead\"\n"},
        {"0x1F", "\"0x1F\"\n"},
        {"~", "\"~\"\n"},
        {"---", "\"---\"\n"},
        {"tab\there", "\"tab\\there\"\n"},
        {"http://x/y", "http://x/y\n"},
        {"caf\xC3\xA9", "caf\xC3\xA9\n"},
        {"two\nlines", "|-\n  two\n  lines\n"},
        {"end\n", "|\n  end\n"},
        {"keep\n\n", "|+\n  keep\n\n"},
        {" indented\nx", "|2-\n   indented\n  x\n"},
        {"\ttabbed\nx", "|2-\n  \ttabbed\n  x\n"},
        {"trailing \nspace", "\"trailing \\nspace\"\n"},
        {"bell\a", "\"bell\\a\"\n"},
    };
    gr_buf out = GR_BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *value = json_string(cases[i].string);
        gr_buf_reset(&out);
        assert_int_equal(gr_yaml_emit(value, &out), GR_OK);
        assert_string_equal(gr_buf_cstr(&out), cases[i].yaml);
        assert_true(round_trips(value, &out));
        json_decref(value);
    }
    gr_buf_free(&out);
}

static void emit_round_trip_table(void **state)
{
    static const char *const values[] = {
        "{\"a\": 1, \"b\": -2.5, \"c\": 1e300, \"d\": 1.5e-9, \"e\": null, \"f\": true}",
        "{\"keys\": {\"1\": 1, \"true\": 2, \"null\": 3, \"\": 4, \"<<\": 5, \"a: b\": 6}}",
        "{\"nested\": [[[1, [2, {\"x\": [3]}]]], {\"y\": {\"z\": {}}}], \"empty\": \"\"}",
        "[\"on\", \"off\", \"y\", \"n\", \"0o17\", \"0b1\", \".inf\", \"-.nan\", \"1e3\"]",
        "{\"text\": \"line 1\\nline 2\\n\\n  indented\\nlast\"}",
        "{\"quotes\": \"it's \\\"quoted\\\" \\\\ back\", \"nul\": \"a\\u0000b\"}",
        "{\"unicode\": \"\\u00e9\\u2028\\u0085\\ufeff\\u00a0\\ud83d\\ude00\"}",
        "{\"big\": 9007199254740993, \"real\": 1e20, \"neg\": -9223372036854775808}",
        "[1, \"1\", 1.5, \"1.5\", true, \"true\", null, \"null\"]",
        "\"just a string\"",
        "42",
        "[]",
        "{}",
        "null",
        "{\"description\": \"# not a comment\", \"a\": \"[not, a, list]\", \"b\": \"{x}\"}",
        "{\"multi\": \"\\n\\nstarts with newlines\", \"crlf\": \"a\\r\\nb\"}",
        "[{\"a\": [\"x\\ny\"]}, \"-\", \"?\", \":\", \"|\", \">\", \"%x\", \"@x\", \"`x\"]",
    };
    gr_buf text = GR_BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        json_error_t error;
        json_t *value = json_loads(values[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
        if (value == NULL)
            print_message("case %zu: %s\n", i, error.text);
        assert_non_null(value);
        assert_true(round_trips(value, &text));
        json_decref(value);
    }
    gr_buf_free(&text);
}

static void emit_long_key_explicit(void **state)
{
    char key[1500];
    json_t *value = json_object();
    gr_buf text = GR_BUF_INIT;

    (void)state;
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    json_object_set_new(value, key, json_pack("{s:i}", "x", 1));
    json_object_set_new(value, "short", json_string("v"));
    assert_true(round_trips(value, &text));
    assert_memory_equal(text.data, "? kkk", 5);
    json_decref(value);
    gr_buf_free(&text);
}

static void emit_invalid_utf8_rejected(void **state)
{
    json_t *value = json_pack("{s:o}", "a", json_stringn_nocheck("\xFF", 1));
    gr_buf out = GR_BUF_INIT;

    (void)state;
    assert_int_equal(gr_yaml_emit(value, &out), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "UTF-8"));
    json_decref(value);
    gr_buf_free(&out);
}

typedef struct {
    size_t files;
    size_t valid;
    size_t invalid;
    size_t documents;
    size_t failed_round_trips;
} corpus_stats;

static void check_corpus_file(const char *path, const char *text, size_t len, void *payload)
{
    corpus_stats *stats = payload;
    gr_buf emitted = GR_BUF_INIT;
    gr_yaml_doc **docs = NULL;
    size_t count = 0;

    stats->files++;
    if (gr_yaml_parse(path, text, len, NULL, &docs, &count) != GR_OK) {
        print_message("invalid: %s\n", gr_error_last());
        stats->invalid++;
    } else {
        stats->valid++;
        for (size_t i = 0; i < count; i++) {
            stats->documents++;
            if (!round_trips(gr_yaml_doc_root(docs[i]), &emitted)) {
                print_message("round trip failed: %s document %zu\n", path, i);
                stats->failed_round_trips++;
            }
        }
    }
    gr_yaml_docs_free(docs, count);
    gr_buf_free(&emitted);
}

static void emit_corpus_round_trips(void **state)
{
    corpus_stats stats = {0};

    (void)state;
    gr_test_each_yaml_file(CORPUS_DIR, check_corpus_file, &stats);
    print_message("corpus: %zu files, %zu valid, %zu invalid, %zu documents\n", stats.files,
                  stats.valid, stats.invalid, stats.documents);
    assert_true(stats.files > 0);
    assert_true(stats.valid > 0);
    assert_int_equal(stats.failed_round_trips, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(emit_block_layout),          cmocka_unit_test(emit_quotes_typed_strings),
        cmocka_unit_test(emit_round_trip_table),      cmocka_unit_test(emit_long_key_explicit),
        cmocka_unit_test(emit_invalid_utf8_rejected), cmocka_unit_test(emit_corpus_round_trips),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
