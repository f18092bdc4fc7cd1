/* SPDX-License-Identifier: MIT */
/* The key/value rows of a final entity, checked row by row against Backstage's flattening rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <locale.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/search.h"

/* Writes the rows as "key=original|value" lines; "~" stands for NULL. */
static char *rows_text(const gr_catalog_search_rows *rows)
{
    gr_buf text = GR_BUF_INIT;

    for (size_t i = 0; i < rows->count; i++) {
        const gr_catalog_search_row *row = &rows->items[i];

        gr_buf_printf(&text, "%s=%s|%s\n", row->key, row->original ? row->original : "~",
                      row->value ? row->value : "~");
    }
    return text.data ? gr_buf_detach(&text) : gr_xstrdup("");
}

/* Flattens `json` with `ctype` and compares the rows with `expected`. */
static void expect_rows(const char *json, locale_t ctype, const char *expected)
{
    json_t *entity = json_loads(json, 0, NULL);
    gr_catalog_search_rows rows = {0};
    char *text;

    assert_non_null(entity);
    assert_int_equal(gr_catalog__search_rows(entity, ctype, &rows), GR_OK);
    text = rows_text(&rows);
    assert_string_equal(text, expected);
    free(text);
    gr_catalog__search_rows_free(&rows);
    json_decref(entity);
}

/*
 * Each leaf gets a row under its dotted path. An array gives one row per
 * item, and a string item also a "<path>.<item>" row, once per lower-case
 * key. Relations give a row per type. Name and uid always have a row; a
 * missing namespace gives a null row and a "default" row. Status and etag
 * give none. Rows come sorted by key and value, and rows equal in both are
 * kept once, with the original of the first.
 */
static void rows_follow_backstage_rules(void **state)
{
    (void)state;
    expect_rows("{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Component\","
                " \"metadata\": {\"name\": \"Svc-A\", \"uid\": \"u1\", \"etag\": \"e1\","
                "  \"tags\": [\"Java\", \"java\", \"go\"], \"annotations\": {\"a/B\": \"X\"}},"
                " \"spec\": {\"type\": \"service\", \"owner\": \"team-a\", \"n\": 3,"
                "  \"ok\": true, \"none\": null, \"ratio\": 0.5},"
                " \"relations\": [{\"type\": \"ownedBy\", \"targetRef\": \"group:default/team-a\"}],"
                " \"status\": {\"items\": []}}",
                (locale_t)0,
                "apiversion=backstage.io/v1alpha1|backstage.io/v1alpha1\n"
                "kind=Component|component\n"
                "metadata.annotations.a/b=X|x\n"
                "metadata.name=Svc-A|svc-a\n"
                "metadata.namespace=~|~\n"
                "metadata.namespace=default|default\n"
                "metadata.tags=go|go\n"
                "metadata.tags=Java|java\n"
                "metadata.tags.go=true|true\n"
                "metadata.tags.java=true|true\n"
                "metadata.uid=u1|u1\n"
                "relations.ownedby=group:default/team-a|group:default/team-a\n"
                "spec.n=3|3\n"
                "spec.none=~|~\n"
                "spec.ok=true|true\n"
                "spec.owner=team-a|team-a\n"
                "spec.ratio=0.5|0.5\n"
                "spec.type=service|service\n");
}

/* Nested objects inside arrays flatten under the array's path. */
static void rows_of_objects_in_arrays(void **state)
{
    (void)state;
    expect_rows("{\"kind\": \"Group\", \"metadata\": {\"name\": \"g\", \"namespace\": \"ns\"},"
                " \"spec\": {\"links\": [{\"url\": \"https://a\", \"title\": \"A\"},"
                "  {\"url\": \"https://b\"}], \"empty\": {}}}",
                (locale_t)0,
                "kind=Group|group\n"
                "metadata.name=g|g\n"
                "metadata.namespace=ns|ns\n"
                "metadata.uid=~|~\n"
                "spec.links.title=A|a\n"
                "spec.links.url=https://a|https://a\n"
                "spec.links.url=https://b|https://b\n");
}

/* Keys over 200 characters are dropped; values over 200 characters become null. */
static void rows_over_length_limits(void **state)
{
    char long_text[GR_CATALOG_SEARCH_MAX_KEY + 2];
    char *json;
    char *expected;

    (void)state;
    memset(long_text, 'k', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    json = gr_xasprintf("{\"kind\": \"K\", \"metadata\": {\"name\": \"n\", \"uid\": \"u\"},"
                        " \"spec\": {\"%s\": 1, \"v\": \"%s\"}}",
                        long_text, long_text);
    expected = gr_xstrdup("kind=K|k\nmetadata.name=n|n\nmetadata.namespace=~|~\n"
                          "metadata.namespace=default|default\nmetadata.uid=u|u\nspec.v=~|~\n");
    expect_rows(json, (locale_t)0, expected);
    free(expected);
    free(json);
}

/* With a UTF-8 locale, keys and values lower-case beyond ASCII. */
static void rows_lower_unicode(void **state)
{
    locale_t ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

    (void)state;
    if (ctype == (locale_t)0)
        skip();
    expect_rows("{\"kind\": \"K\", \"metadata\": {\"name\": \"n\", \"uid\": \"u\","
                " \"namespace\": \"x\"}, \"spec\": {\"\xc3\x84pfel\": \"\xc3\x9c" "ber\"}}",
                ctype,
                "kind=K|k\nmetadata.name=n|n\nmetadata.namespace=x|x\nmetadata.uid=u|u\n"
                "spec.\xc3\xa4pfel=\xc3\x9c" "ber|\xc3\xbc" "ber\n");
    freelocale(ctype);
}

/* Without a locale, only ASCII letters are lower-cased, also after a byte outside ASCII. */
static void rows_lower_ascii_without_locale(void **state)
{
    (void)state;
    expect_rows("{\"kind\": \"K\", \"metadata\": {\"name\": \"n\", \"uid\": \"u\","
                " \"namespace\": \"x\"}, \"spec\": {\"\xc3\x84P\": \"\xc3\x9c" "BER\"}}",
                (locale_t)0,
                "kind=K|k\nmetadata.name=n|n\nmetadata.namespace=x|x\nmetadata.uid=u|u\n"
                "spec.\xc3\x84p=\xc3\x9c" "BER|\xc3\x9c" "ber\n");
}

/* Two keys that differ only in case fail, and the message names the key once. */
static void keys_differing_in_case_fail(void **state)
{
    json_t *entity = json_loads("{\"kind\": \"K\", \"metadata\": {\"name\": \"n\"},"
                                " \"spec\": {\"foo\": 1, \"Foo\": 2, \"FOO\": 3, \"tags\": [\"a\", \"a\"]}}",
                                0, NULL);
    gr_catalog_search_rows rows = {0};

    (void)state;
    assert_int_equal(gr_catalog__search_rows(entity, (locale_t)0, &rows), GR_EINVALID);
    assert_string_equal(gr_error_last(),
                        "Entity has duplicate keys that vary only in casing, 'spec.foo'");
    assert_int_equal(rows.count, 0);
    json_decref(entity);
}

/* Only the exact special paths are skipped: longer, shorter and nested paths that share their
 * text keep their rows. */
static void rows_skip_exact_special_paths(void **state)
{
    (void)state;
    expect_rows("{\"kind\": \"K\", \"statuses\": \"s\", \"attachment\": \"a\","
                " \"metadata\": {\"name\": \"n\", \"uid\": \"u\", \"etags\": \"e\","
                "  \"namespaces\": \"x\"},"
                " \"spec\": {\"status\": \"up\", \"relations\": \"r\"}}",
                (locale_t)0,
                "attachment=a|a\n"
                "kind=K|k\n"
                "metadata.etags=e|e\n"
                "metadata.name=n|n\n"
                "metadata.namespace=~|~\n"
                "metadata.namespace=default|default\n"
                "metadata.namespaces=x|x\n"
                "metadata.uid=u|u\n"
                "spec.relations=r|r\n"
                "spec.status=up|up\n"
                "statuses=s|s\n");
}

/* Two spellings of a key fail beside a key over the length limit and an array of values that
 * differ only in case. The message names each key once, in key order. */
static void case_conflicts_named_in_order(void **state)
{
    char long_key[GR_CATALOG_SEARCH_MAX_KEY + 2];
    char *json;
    json_t *entity;
    gr_catalog_search_rows rows = {0};

    (void)state;
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    json = gr_xasprintf("{\"kind\": \"K\", \"metadata\": {\"name\": \"n\"},"
                        " \"spec\": {\"%s\": 1, \"Zed\": 1, \"zed\": 1, \"b\": [\"x\", \"X\"],"
                        " \"Alpha\": 2, \"alpha\": 3}}",
                        long_key);
    entity = json_loads(json, 0, NULL);
    assert_non_null(entity);
    assert_int_equal(gr_catalog__search_rows(entity, (locale_t)0, &rows), GR_EINVALID);
    assert_string_equal(gr_error_last(),
                        "Entity has duplicate keys that vary only in casing, 'spec.alpha', "
                        "'spec.zed'");
    assert_int_equal(rows.count, 0);
    json_decref(entity);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_follow_backstage_rules),
        cmocka_unit_test(rows_of_objects_in_arrays),
        cmocka_unit_test(rows_over_length_limits),
        cmocka_unit_test(rows_lower_unicode),
        cmocka_unit_test(rows_lower_ascii_without_locale),
        cmocka_unit_test(keys_differing_in_case_fail),
        cmocka_unit_test(rows_skip_exact_special_paths),
        cmocka_unit_test(case_conflicts_named_in_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
