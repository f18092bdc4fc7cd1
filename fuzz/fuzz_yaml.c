/* SPDX-License-Identifier: MIT */
/* Fuzz target: parse YAML, look up positions, emit each document and check it parses back equal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const gr_buf *emitted)
{
    fprintf(stderr, "fuzz_yaml: %s\nmessage: %s\nemitted:\n%s\n", what, gr_error_last(),
            emitted ? gr_buf_cstr(emitted) : "");
    abort();
}

/* Appends a JSON pointer reference token, escaping '~' and '/'. */
static void put_token(gr_buf *pointer, const char *key, size_t len)
{
    gr_buf_putc(pointer, '/');
    for (size_t i = 0; i < len; i++) {
        if (key[i] == '~')
            gr_buf_puts(pointer, "~0");
        else if (key[i] == '/')
            gr_buf_puts(pointer, "~1");
        else
            gr_buf_putc(pointer, key[i]);
    }
}

/* Walks down the last child at each level and checks that every step has a position. */
static void check_marks(const gr_yaml_doc *doc)
{
    const json_t *value = gr_yaml_doc_root(doc);
    gr_buf pointer = GR_BUF_INIT;
    gr_yaml_mark mark;

    gr_buf_puts(&pointer, "");
    for (;;) {
        if (gr_yaml_doc_find_mark(doc, gr_buf_cstr(&pointer), &mark) != GR_OK || mark.line < 1 ||
            mark.column < 1)
            fail("a value has no position", &pointer);
        if (json_is_array(value) && json_array_size(value) > 0) {
            size_t last = json_array_size(value) - 1;
            gr_buf_printf(&pointer, "/%zu", last);
            value = json_array_get(value, last);
        } else if (json_is_object(value) && json_object_size(value) > 0) {
            const char *key = NULL, *last_key = NULL;
            size_t key_len = 0, last_len = 0;
            json_t *child = NULL, *last_child = NULL;
            json_object_keylen_foreach((json_t *)value, key, key_len, child)
            {
                last_key = key;
                last_len = key_len;
                last_child = child;
            }
            if (memchr(last_key, '\0', last_len) != NULL)
                break;
            put_token(&pointer, last_key, last_len);
            value = last_child;
        } else {
            break;
        }
    }
    gr_yaml_doc_find_mark(doc, "/no such key/0", &mark);
    gr_buf_free(&pointer);
}

/* Compares like json_equal(), which looks object keys up by C string and so
 * finds keys holding a NUL byte (valid in YAML, kept by the parser) unequal
 * even to themselves. */
static int values_equal(const json_t *a, const json_t *b)
{
    const char *key;
    size_t key_len;
    json_t *value;

    if (!json_is_object(a) || !json_is_object(b)) {
        if (!json_is_array(a) || !json_is_array(b))
            return json_equal(a, b);
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_object_size(a) != json_object_size(b))
        return 0;
    json_object_keylen_foreach((json_t *)a, key, key_len, value)
    {
        if (!values_equal(value, json_object_getn(b, key, key_len)))
            return 0;
    }
    return 1;
}

static void check_round_trip(json_t *root)
{
    gr_yaml_limits generous = {0};
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    gr_buf text = GR_BUF_INIT;

    generous.max_input_bytes = (size_t)256 << 20;
    if (gr_yaml_emit(root, &text) != GR_OK)
        fail("emit failed", &text);
    if (gr_yaml_parse("emitted.yaml", gr_buf_cstr(&text), text.len, &generous, &docs, &count) !=
        GR_OK)
        fail("emitted YAML does not parse", &text);
    if (count != 1)
        fail("emitted YAML is not one document", &text);
    if (!values_equal(root, gr_yaml_doc_root(docs[0])))
        fail("emitted YAML parses to another value", &text);
    gr_yaml_docs_free(docs, count);
    gr_buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gr_yaml_limits limits = {0};
    gr_yaml_doc **docs = NULL;
    size_t count = 0;

    /* Smaller than the defaults so that each run stays fast. */
    limits.max_nodes = 100000;
    limits.max_total_scalar_bytes = (size_t)4 << 20;
    if (gr_yaml_parse("fuzz.yaml", (const char *)data, size, &limits, &docs, &count) != GR_OK) {
        if (strncmp(gr_error_last(), "fuzz.yaml", 9) != 0)
            fail("an error message does not start with the source name", NULL);
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        check_marks(docs[i]);
        check_round_trip(gr_yaml_doc_root(docs[i]));
    }
    gr_yaml_docs_free(docs, count);
    return 0;
}
