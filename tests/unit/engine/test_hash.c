/* SPDX-License-Identifier: MIT */
/* The stable hash of an entity: SHA-1 of its compact JSON with sorted keys, streamed or whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "plugins/catalog/engine/util.h"

/* Keys out of order, nesting, a real, an empty string and a non-ASCII character. */
static const char entity_json[] =
    "{\"c\": {\"e\": \"\", \"d\": 0.5}, \"b\": 1, \"a\": [true, null, \"x\xc3\xa9\"]}";

/* The digest of {"a":[true,null,"xé"],"b":1,"c":{"d":0.5,"e":""}} in UTF-8. */
static const char entity_sha1[] = "3e7b3c1705bf76d6a595d524364dadba3ea86ca7";

static void hash_of_sorted_text(void **state)
{
    json_t *entity = json_loads(entity_json, 0, NULL);
    char streamed[GR_CATALOG_HASH_SIZE];
    char whole[GR_CATALOG_HASH_SIZE];
    char *text;

    (void)state;
    assert_non_null(entity);
    text = gr_catalog__stable_json(entity);
    assert_string_equal(text, "{\"a\":[true,null,\"x\xc3\xa9\"],\"b\":1,\"c\":{\"d\":0.5,\"e\":\"\"}}");
    gr_catalog__sha1_hex(text, strlen(text), whole);
    gr_catalog__stable_hash(entity, streamed);
    assert_string_equal(whole, entity_sha1);
    assert_string_equal(streamed, entity_sha1);
    free(text);
    json_decref(entity);
}

/* A value larger than the hash's flush size is hashed across several flushes. */
static void hash_of_large_value(void **state)
{
    json_t *entity = json_object();
    char streamed[GR_CATALOG_HASH_SIZE];
    char whole[GR_CATALOG_HASH_SIZE];
    char *text;

    (void)state;
    for (int i = 0; i < 20000; i++) {
        char key[32];

        snprintf(key, sizeof(key), "key-%05d", i);
        json_object_set_new(entity, key, json_string("a value of some length"));
    }
    text = gr_catalog__stable_json(entity);
    assert_true(strlen(text) > 256 * 1024);
    gr_catalog__sha1_hex(text, strlen(text), whole);
    gr_catalog__stable_hash(entity, streamed);
    assert_string_equal(streamed, whole);
    free(text);
    json_decref(entity);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_of_sorted_text),
        cmocka_unit_test(hash_of_large_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
