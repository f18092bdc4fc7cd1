/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the YAML module's limits: values per stream and implicit key length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"

/* Parses `text` with at most `max_nodes` values and returns the code. */
static int parse_with_max_nodes(const char *text, size_t max_nodes)
{
    gr_yaml_limits limits = {.max_nodes = max_nodes};
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    int rc = gr_yaml_parse("test.yaml", text, strlen(text), &limits, &docs, &count);

    gr_yaml_docs_free(docs, count);
    return rc;
}

/* The sequence itself is one value, so "[1, 2, 3]" makes four. */
static void nodes_over_max_rejected(void **state)
{
    (void)state;
    assert_int_equal(parse_with_max_nodes("[1, 2, 3]\n", 4), GR_OK);
    assert_int_equal(parse_with_max_nodes("[1, 2, 3, 4]\n", 4), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "test.yaml:1:"));
    assert_non_null(strstr(gr_error_last(), "the text makes more than 4 values"));
}

/* A document limit counts each document of a stream on its own. */
static void document_nodes_over_max_rejected(void **state)
{
    static const char fits[] = "[1, 2, 3]\n---\n[4, 5, 6]\n";
    static const char over[] = "[1, 2, 3]\n---\n[4, 5, 6, 7]\n";
    gr_yaml_limits limits = {.max_document_nodes = 4};
    gr_yaml_doc **docs = NULL;
    size_t count = 0;

    (void)state;
    assert_int_equal(gr_yaml_parse("test.yaml", fits, strlen(fits), &limits, &docs, &count),
                     GR_OK);
    assert_int_equal(count, 2);
    gr_yaml_docs_free(docs, count);

    assert_int_equal(gr_yaml_parse("test.yaml", over, strlen(over), &limits, &docs, &count),
                     GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "test.yaml:3:"));
    assert_non_null(strstr(gr_error_last(), "the document makes more than 4 values"));
}

/* Alias copies count like the values they copy, and keys count as values:
 * the first text makes 9 (mapping, 2 keys, sequence, 2 items, 3 copied). */
static void nodes_counts_alias_copies(void **state)
{
    (void)state;
    assert_int_equal(parse_with_max_nodes("a: &x [1, 2]\nb: *x\n", 9), GR_OK);
    assert_int_equal(parse_with_max_nodes("a: &x [1, 2]\nb: *x\nc: *x\n", 9), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "counting each alias copy"));
}

/* Emits {key: 1} where the key is `len` letters. Caller frees the text. */
static char *emit_long_key(size_t len)
{
    char *key = gr_xmalloc(len + 1);
    json_t *value = json_object();
    gr_buf out = GR_BUF_INIT;

    memset(key, 'k', len);
    key[len] = '\0';
    json_object_set_new(value, key, json_integer(1));
    if (gr_yaml_emit(value, &out) != GR_OK)
        fail_msg("emit: %s", gr_error_last());
    json_decref(value);
    free(key);
    return gr_buf_detach(&out);
}

/* Parses `text` and returns the length of the root mapping's only key, or 0. */
static size_t parsed_key_length(const char *text)
{
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    size_t len = 0;

    if (gr_yaml_parse("emitted.yaml", text, strlen(text), NULL, &docs, &count) == GR_OK &&
        count == 1) {
        void *iter = json_object_iter(gr_yaml_doc_root(docs[0]));

        if (iter != NULL)
            len = strlen(json_object_iter_key(iter));
    }
    gr_yaml_docs_free(docs, count);
    return len;
}

static void implicit_key_at_max(void **state)
{
    char *text = emit_long_key(1000);

    (void)state;
    assert_int_equal(text[0], 'k');
    assert_non_null(strstr(text, "k: 1"));
    assert_int_equal(parsed_key_length(text), 1000);
    free(text);
}

static void implicit_key_over_max_explicit(void **state)
{
    char *text = emit_long_key(1001);

    (void)state;
    assert_int_equal(strncmp(text, "? k", 3), 0);
    assert_non_null(strstr(text, "\n: 1"));
    assert_int_equal(parsed_key_length(text), 1001);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nodes_over_max_rejected),
        cmocka_unit_test(nodes_counts_alias_copies),
        cmocka_unit_test(document_nodes_over_max_rejected),
        cmocka_unit_test(implicit_key_at_max),
        cmocka_unit_test(implicit_key_over_max_explicit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
