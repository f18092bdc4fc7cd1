/* SPDX-License-Identifier: MIT */
/* Unit tests for YAML streams: documents, anchors, merge keys, errors, limits and positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"

typedef struct {
    gr_yaml_doc **docs;
    size_t count;
    int rc;
} parsed;

static parsed parse_with(const char *text, size_t len, const gr_yaml_limits *limits)
{
    parsed result = {NULL, 0, 0};

    result.rc = gr_yaml_parse("test.yaml", text, len, limits, &result.docs, &result.count);
    return result;
}

static parsed parse_text(const char *text)
{
    return parse_with(text, strlen(text), NULL);
}

static void parsed_free(parsed *result)
{
    gr_yaml_docs_free(result->docs, result->count);
}

/* Asserts that document `index` equals the JSON text `expected`. */
static void assert_doc_json(const parsed *result, size_t index, const char *expected)
{
    json_t *want = json_loads(expected, JSON_DECODE_ANY, NULL);
    json_t *got = gr_yaml_doc_root(result->docs[index]);

    assert_non_null(want);
    if (!json_equal(want, got)) {
        char *shown = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        print_message("got %s\nexpected %s\n", shown, expected);
        free(shown);
    }
    assert_true(json_equal(want, got));
    json_decref(want);
}

static void assert_error_contains(const char *text, int code, const char *fragment)
{
    parsed result = parse_text(text);

    if (strstr(gr_error_last(), fragment) == NULL)
        print_message("message: %s\nexpected to contain: %s\n", gr_error_last(), fragment);
    assert_int_equal(result.rc, code);
    assert_non_null(strstr(gr_error_last(), fragment));
    assert_null(result.docs);
    assert_int_equal(result.count, 0);
}

static void stream_multiple_documents(void **state)
{
    parsed result = parse_text("a: 1\n---\nb: 2\n...\n---\n- 3\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_int_equal(result.count, 3);
    assert_doc_json(&result, 0, "{\"a\": 1}");
    assert_doc_json(&result, 1, "{\"b\": 2}");
    assert_doc_json(&result, 2, "[3]");
    assert_int_equal(gr_yaml_doc_line(result.docs[0]), 1);
    assert_int_equal(gr_yaml_doc_line(result.docs[1]), 2);
    assert_int_equal(gr_yaml_doc_line(result.docs[2]), 5);
    parsed_free(&result);
}

static void stream_empty_documents_skipped(void **state)
{
    parsed result = parse_text("---\n---\n# only a comment\n---\nname: x\n---\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_int_equal(result.count, 1);
    assert_doc_json(&result, 0, "{\"name\": \"x\"}");
    assert_int_equal(gr_yaml_doc_line(result.docs[0]), 4);
    assert_int_equal(gr_yaml_doc_index(result.docs[0]), 2);
    parsed_free(&result);
}

static void stream_empty_text(void **state)
{
    parsed result = parse_text("");
    parsed comments = parse_text("# nothing here\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_int_equal(result.count, 0);
    assert_int_equal(comments.rc, GR_OK);
    assert_int_equal(comments.count, 0);
}

static void stream_null_document_kept(void **state)
{
    parsed result = parse_text("--- ~\n--- ''\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_int_equal(result.count, 2);
    assert_true(json_is_null(gr_yaml_doc_root(result.docs[0])));
    assert_doc_json(&result, 1, "\"\"");
    parsed_free(&result);
}

static void stream_bom_accepted(void **state)
{
    parsed result = parse_text("\xEF\xBB\xBFname: caf\xC3\xA9\nbad: [\n");
    parsed ok = parse_text("\xEF\xBB\xBFname: caf\xC3\xA9\n");

    (void)state;
    assert_int_equal(result.rc, GR_EINVALID);
    assert_int_equal(ok.rc, GR_OK);
    assert_doc_json(&ok, 0, "{\"name\": \"caf\\u00e9\"}");
    parsed_free(&ok);
}

static void stream_invalid_utf8_rejected(void **state)
{
    (void)state;
    assert_error_contains("a: 1\nb: caf\xC3(\n", GR_EINVALID, "test.yaml:2:");
    assert_error_contains("a: 1\nb: caf\xC3(\n", GR_EINVALID, "UTF-8");
    assert_error_contains("a: \xFF\n", GR_EINVALID, "test.yaml:1:4:");
    assert_error_contains("\xFF\xFE"
                          "a: 1",
                          GR_EINVALID, "test.yaml:1:1:");
}

static void stream_nul_byte_rejected(void **state)
{
    parsed result = parse_with("a: b\0c\n", 7, NULL);

    (void)state;
    assert_int_equal(result.rc, GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "test.yaml:1:5:"));
}

static void stream_control_character_rejected(void **state)
{
    parsed result = parse_text("a: b\x01\n");

    (void)state;
    assert_int_equal(result.rc, GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "test.yaml:1:5: control characters are not allowed"));
    assert_null(strstr(gr_error_last(), "UTF-8"));
}

static void block_scalar_at_end_of_text(void **state)
{
    parsed clip = parse_text("a: |\n  last line");
    parsed strip = parse_text("a: |-\n  last line");
    parsed keep = parse_text("a: |+\n  last line");

    (void)state;
    assert_int_equal(clip.rc, GR_OK);
    assert_doc_json(&clip, 0, "{\"a\": \"last line\\n\"}");
    assert_int_equal(strip.rc, GR_OK);
    assert_doc_json(&strip, 0, "{\"a\": \"last line\"}");
    assert_int_equal(keep.rc, GR_OK);
    assert_doc_json(&keep, 0, "{\"a\": \"last line\\n\"}");
    parsed_free(&clip);
    parsed_free(&strip);
    parsed_free(&keep);
}

static void syntax_error_position(void **state)
{
    (void)state;
    assert_error_contains("a: 1\nb: [1, 2\n", GR_EINVALID, "test.yaml:3:1:");
    assert_error_contains("a:\n  b: 1\n c: 2\n", GR_EINVALID, "test.yaml:3:2:");
    assert_error_contains("key: \"unterminated\n", GR_EINVALID, "test.yaml:");
}

static void anchors_copy_values(void **state)
{
    parsed result = parse_text("base: &b {x: [1, 2]}\ncopy: *b\nname: &n hi\nagain: *n\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0,
                    "{\"base\": {\"x\": [1, 2]}, \"copy\": {\"x\": [1, 2]}, "
                    "\"name\": \"hi\", \"again\": \"hi\"}");
    json_t *root = gr_yaml_doc_root(result.docs[0]);
    /* Copies are independent: changing one leaves the other alone. */
    assert_ptr_not_equal(json_object_get(root, "base"), json_object_get(root, "copy"));
    json_array_append_new(json_object_get(json_object_get(root, "copy"), "x"), json_integer(3));
    assert_int_equal(json_array_size(json_object_get(json_object_get(root, "base"), "x")), 2);
    parsed_free(&result);
}

static void anchors_redefined_latest_wins(void **state)
{
    parsed result = parse_text("- &a one\n- *a\n- &a two\n- *a\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0, "[\"one\", \"one\", \"two\", \"two\"]");
    parsed_free(&result);
}

static void anchors_unknown_alias_rejected(void **state)
{
    (void)state;
    assert_error_contains("a: *missing\n", GR_EINVALID, "test.yaml:1:4: alias *missing");
    assert_error_contains("--- &a x\n--- *a\n", GR_EINVALID, "test.yaml:2:5:");
}

static void anchors_recursive_alias_rejected(void **state)
{
    (void)state;
    assert_error_contains("a: &a [1, *a]\n", GR_EINVALID, "recursive");
}

static double elapsed_ms(struct timespec start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start.tv_sec) * 1e3 + (double)(now.tv_nsec - start.tv_nsec) / 1e6;
}

static void anchors_alias_bomb_rejected(void **state)
{
    gr_buf bomb = GR_BUF_INIT;
    struct timespec start;

    (void)state;
    gr_buf_puts(&bomb, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int i = 1; i < 10; i++) {
        gr_buf_printf(&bomb, "a%d: &a%d [", i, i);
        for (int j = 0; j < 9; j++)
            gr_buf_printf(&bomb, "%s*a%d", j ? ", " : "", i - 1);
        gr_buf_puts(&bomb, "]\n");
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    parsed result = parse_with(bomb.data, bomb.len, NULL);
    double ms = elapsed_ms(start);

    print_message("alias bomb rejected in %.2f ms\n", ms);
    assert_int_equal(result.rc, GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "alias bombs"));
    assert_true(ms < 100.0);
    gr_buf_free(&bomb);
}

static void anchors_big_string_bomb_rejected(void **state)
{
    gr_buf text = GR_BUF_INIT;
    gr_yaml_limits limits = {0};

    (void)state;
    limits.max_total_scalar_bytes = 100000;
    gr_buf_puts(&text, "s: &s ");
    for (int i = 0; i < 10000; i++)
        gr_buf_putc(&text, 'x');
    gr_buf_puts(&text, "\nlist: [*s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s]\n");
    parsed result = parse_with(text.data, text.len, &limits);
    assert_int_equal(result.rc, GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "100000 bytes"));
    gr_buf_free(&text);
}

static void merge_single_map(void **state)
{
    parsed result = parse_text("base: &b {a: 1, b: 2}\n"
                               "x:\n  <<: *b\n  b: 20\n  c: 3\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0,
                    "{\"base\": {\"a\": 1, \"b\": 2}, \"x\": {\"a\": 1, \"b\": 20, \"c\": 3}}");
    parsed_free(&result);
}

static void merge_explicit_key_before_wins(void **state)
{
    parsed result = parse_text("base: &b {a: 1, b: 2}\nx:\n  b: 20\n  <<: *b\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0, "{\"base\": {\"a\": 1, \"b\": 2}, \"x\": {\"b\": 20, \"a\": 1}}");
    parsed_free(&result);
}

static void merge_list_first_wins(void **state)
{
    parsed result = parse_text("one: &one {a: 1, b: 1}\n"
                               "two: &two {b: 2, c: 2}\n"
                               "x:\n  <<: [*one, *two, {d: 4}]\n  c: 30\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    json_t *x = json_object_get(gr_yaml_doc_root(result.docs[0]), "x");
    json_t *want = json_pack("{s:i, s:i, s:i, s:i}", "a", 1, "b", 1, "c", 30, "d", 4);
    assert_true(json_equal(x, want));
    json_decref(want);
    parsed_free(&result);
}

static void merge_invalid_source_rejected(void **state)
{
    (void)state;
    assert_error_contains("x:\n  <<: 5\n", GR_EINVALID, "test.yaml:2:7: the merge key");
    assert_error_contains("x:\n  <<: [{a: 1}, 2]\n", GR_EINVALID, "merge key");
}

static void merge_quoted_key_is_plain(void **state)
{
    parsed result = parse_text("x:\n  \"<<\": {a: 1}\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0, "{\"x\": {\"<<\": {\"a\": 1}}}");
    parsed_free(&result);
}

static void merge_key_tag_ignored(void **state)
{
    parsed result = parse_text("x:\n  !!str <<: {a: 1}\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0, "{\"x\": {\"a\": 1}}");
    parsed_free(&result);
}

static void merge_disabled_by_option(void **state)
{
    const char *text = "b: &b {a: 1}\nx:\n  <<: *b\n";
    gr_yaml_limits limits = {0};

    (void)state;
    limits.no_merge_keys = 1;
    parsed result = parse_with(text, strlen(text), &limits);
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0, "{\"b\": {\"a\": 1}, \"x\": {\"<<\": {\"a\": 1}}}");
    parsed_free(&result);
}

static void duplicate_key_rejected(void **state)
{
    (void)state;
    assert_error_contains(
        "name: a\nother: 1\nname: b\n", GR_EINVALID,
        "test.yaml:3:1: duplicate mapping key \"name\" (first defined at line 1)");
    assert_error_contains("a:\n  1: x\n  1.0: y\n", GR_EINVALID, "test.yaml:3:3: duplicate");
    assert_error_contains("{a: 1, a: 2}\n", GR_EINVALID, "duplicate");
    assert_error_contains("? ~\n: 1\n? null\n: 2\n", GR_EINVALID, "duplicate");
}

static void duplicate_different_type_replaces(void **state)
{
    parsed result = parse_text("1: number\n\"1\": string\nb: x\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0, "{\"1\": \"string\", \"b\": \"x\"}");
    parsed_free(&result);
}

static void keys_non_string_converted(void **state)
{
    parsed result =
        parse_text("1: a\ntrue: b\n~: c\n1.5: d\n0x10: e\n.inf: f\n[1, x]: g\n{k: v}: h\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0,
                    "{\"1\": \"a\", \"16\": \"e\", \"true\": \"b\", \"\": \"c\", \"1.5\": \"d\", "
                    "\"Infinity\": \"f\", \"[ 1, x ]\": \"g\", \"{ k: v }\": \"h\"}");
    parsed_free(&result);
}

static void keys_template_placeholder(void **state)
{
    /* An unquoted Jinja-style placeholder is a flow mapping with one key. */
    parsed result = parse_text("host: {{ hostname }}\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_doc_json(&result, 0, "{\"host\": {\"{ hostname }\": null}}");
    parsed_free(&result);
}

static void keys_nested_collections_limited(void **state)
{
    gr_buf text = GR_BUF_INIT;

    (void)state;
    for (int i = 0; i < 40; i++)
        gr_buf_putc(&text, '{');
    for (int i = 0; i < 40; i++)
        gr_buf_putc(&text, '}');
    parsed result = parse_with(text.data, text.len, NULL);
    assert_int_equal(result.rc, GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "limit of 65536 bytes"));
    gr_buf_free(&text);
}

static void keys_javascript_order(void **state)
{
    /* 01 is the integer 1, so its key is "1". */
    parsed result = parse_text("b: 1\n10: 2\na: 3\n2: 4\n01: 5\n");
    const char *order[] = {"1", "2", "10", "b", "a"};
    const char *key;
    json_t *value;
    size_t i = 0;

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    json_object_foreach(gr_yaml_doc_root(result.docs[0]), key, value)
    {
        assert_string_equal(key, order[i]);
        i++;
    }
    assert_int_equal(i, 5);
    parsed_free(&result);
}

static void depth_limit_enforced(void **state)
{
    gr_buf deep = GR_BUF_INIT;
    gr_yaml_limits limits = {0};

    (void)state;
    for (int i = 0; i < 200; i++)
        gr_buf_putc(&deep, '[');
    for (int i = 0; i < 200; i++)
        gr_buf_putc(&deep, ']');
    parsed result = parse_with(deep.data, deep.len, NULL);
    assert_int_equal(result.rc, GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "test.yaml:1:129: values are nested deeper"));

    limits.max_depth = 3;
    parsed shallow = parse_with("a: {b: {c: 1}}", 14, &limits);
    assert_int_equal(shallow.rc, GR_OK);
    parsed_free(&shallow);
    parsed too_deep = parse_with("a: {b: {c: [1]}}", 16, &limits);
    assert_int_equal(too_deep.rc, GR_ELIMIT);
    gr_buf_free(&deep);
}

static void depth_limit_counts_aliases(void **state)
{
    const char *text = "a: &a {b: {c: 1}}\nd: {e: {f: *a}}\n";
    gr_yaml_limits limits = {0};

    (void)state;
    limits.max_depth = 4;
    parsed result = parse_with(text, strlen(text), &limits);
    assert_int_equal(result.rc, GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "test.yaml:2:12:"));
}

static void limits_input_and_scalar(void **state)
{
    gr_yaml_limits limits = {0};

    (void)state;
    limits.max_input_bytes = 10;
    parsed big = parse_with("name: 12345678\n", 15, &limits);
    assert_int_equal(big.rc, GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "test.yaml: the text is 15 bytes"));

    limits.max_input_bytes = 0;
    limits.max_scalar_bytes = 4;
    parsed long_scalar = parse_with("a: 12345\n", 9, &limits);
    assert_int_equal(long_scalar.rc, GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "test.yaml:1:4:"));

    limits.max_scalar_bytes = 0;
    limits.max_nodes = 3;
    parsed many = parse_with("[1, 2, 3]", 9, &limits);
    assert_int_equal(many.rc, GR_ELIMIT);
}

static void assert_mark(const gr_yaml_doc *doc, const char *pointer, int rc, int line, int column,
                        int key_line, int key_column)
{
    gr_yaml_mark mark;

    if (gr_yaml_doc_find_mark(doc, pointer, &mark) != rc || mark.line != line ||
        mark.column != column || mark.key_line != key_line || mark.key_column != key_column)
        print_message("%s: %d:%d key %d:%d\n", pointer, mark.line, mark.column, mark.key_line,
                      mark.key_column);
    assert_int_equal(gr_yaml_doc_find_mark(doc, pointer, &mark), rc);
    assert_int_equal(mark.line, line);
    assert_int_equal(mark.column, column);
    assert_int_equal(mark.key_line, key_line);
    assert_int_equal(mark.key_column, key_column);
}

static void marks_nested_paths(void **state)
{
    parsed result = parse_text("# header\n"
                               "apiVersion: v1\n"
                               "metadata:\n"
                               "  name: demo\n"
                               "  tags:\n"
                               "    - one\n"
                               "    - two\n"
                               "    - three\n"
                               "  a/b~c: 1\n"
                               "spec: {owner: team-a, list: [x, {y: 1}]}\n"
                               "---\n"
                               "second: 2\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    const gr_yaml_doc *doc = result.docs[0];
    assert_mark(doc, "", GR_OK, 2, 1, 0, 0);
    assert_mark(doc, "/apiVersion", GR_OK, 2, 13, 2, 1);
    assert_mark(doc, "/metadata", GR_OK, 4, 3, 3, 1);
    assert_mark(doc, "/metadata/name", GR_OK, 4, 9, 4, 3);
    assert_mark(doc, "/metadata/tags", GR_OK, 6, 5, 5, 3);
    assert_mark(doc, "/metadata/tags/2", GR_OK, 8, 7, 0, 0);
    assert_mark(doc, "/metadata/a~1b~0c", GR_OK, 9, 10, 9, 3);
    assert_mark(doc, "/spec/owner", GR_OK, 10, 15, 10, 8);
    assert_mark(doc, "/spec/list/1/y", GR_OK, 10, 37, 10, 34);
    /* Missing paths give the nearest existing ancestor. */
    assert_mark(doc, "/metadata/tags/3", GR_ENOTFOUND, 6, 5, 5, 3);
    assert_mark(doc, "/metadata/tags/01", GR_ENOTFOUND, 6, 5, 5, 3);
    assert_mark(doc, "/spec/owner/deeper", GR_ENOTFOUND, 10, 15, 10, 8);
    assert_mark(doc, "/nothing/here", GR_ENOTFOUND, 2, 1, 0, 0);
    assert_mark(doc, "no-slash", GR_EINVALID, 2, 1, 0, 0);
    assert_mark(doc, "/bad~2escape", GR_EINVALID, 2, 1, 0, 0);
    assert_mark(result.docs[1], "/second", GR_OK, 12, 9, 12, 1);
    parsed_free(&result);
}

static void marks_aliases_and_merges(void **state)
{
    parsed result = parse_text("base: &b\n"
                               "  x: 1\n"
                               "copy: *b\n"
                               "merged:\n"
                               "  <<: *b\n"
                               "  y: 2\n");

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    const gr_yaml_doc *doc = result.docs[0];
    assert_mark(doc, "/copy", GR_OK, 3, 7, 3, 1);
    assert_mark(doc, "/copy/x", GR_OK, 2, 6, 2, 3);
    assert_mark(doc, "/merged/x", GR_OK, 2, 6, 2, 3);
    assert_mark(doc, "/merged/y", GR_OK, 6, 6, 6, 3);
    parsed_free(&result);
}

static void json_input_parses(void **state)
{
    const char *json =
        "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\":\"Component\",\n"
        "\t\"metadata\": {\"name\": \"x\", \"tags\": [\"a\", \"b\"], \"n\": -1.5e3,\n"
        "\t\"ok\": true, \"none\": null, \"esc\": \"a\\\"b\\u00e9\\n\"}}";
    parsed result = parse_text(json);
    json_t *expected = json_loads(json, 0, NULL);

    (void)state;
    assert_int_equal(result.rc, GR_OK);
    assert_int_equal(result.count, 1);
    assert_non_null(expected);
    /* -1.5e3 is a whole number, which JavaScript and this reader store as an integer. */
    json_object_set_new(json_object_get(expected, "metadata"), "n", json_integer(-1500));
    assert_true(json_equal(expected, gr_yaml_doc_root(result.docs[0])));
    json_decref(expected);
    parsed_free(&result);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stream_multiple_documents),
        cmocka_unit_test(stream_empty_documents_skipped),
        cmocka_unit_test(stream_empty_text),
        cmocka_unit_test(stream_null_document_kept),
        cmocka_unit_test(stream_bom_accepted),
        cmocka_unit_test(stream_invalid_utf8_rejected),
        cmocka_unit_test(stream_nul_byte_rejected),
        cmocka_unit_test(stream_control_character_rejected),
        cmocka_unit_test(block_scalar_at_end_of_text),
        cmocka_unit_test(syntax_error_position),
        cmocka_unit_test(anchors_copy_values),
        cmocka_unit_test(anchors_redefined_latest_wins),
        cmocka_unit_test(anchors_unknown_alias_rejected),
        cmocka_unit_test(anchors_recursive_alias_rejected),
        cmocka_unit_test(anchors_alias_bomb_rejected),
        cmocka_unit_test(anchors_big_string_bomb_rejected),
        cmocka_unit_test(merge_single_map),
        cmocka_unit_test(merge_explicit_key_before_wins),
        cmocka_unit_test(merge_list_first_wins),
        cmocka_unit_test(merge_invalid_source_rejected),
        cmocka_unit_test(merge_quoted_key_is_plain),
        cmocka_unit_test(merge_key_tag_ignored),
        cmocka_unit_test(merge_disabled_by_option),
        cmocka_unit_test(duplicate_key_rejected),
        cmocka_unit_test(duplicate_different_type_replaces),
        cmocka_unit_test(keys_non_string_converted),
        cmocka_unit_test(keys_template_placeholder),
        cmocka_unit_test(keys_nested_collections_limited),
        cmocka_unit_test(keys_javascript_order),
        cmocka_unit_test(depth_limit_enforced),
        cmocka_unit_test(depth_limit_counts_aliases),
        cmocka_unit_test(limits_input_and_scalar),
        cmocka_unit_test(marks_nested_paths),
        cmocka_unit_test(marks_aliases_and_merges),
        cmocka_unit_test(json_input_parses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
