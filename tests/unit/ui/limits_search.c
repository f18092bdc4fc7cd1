/* SPDX-License-Identifier: MIT */
/* Tests that cross the preview length of a document's text on the /search page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui_fixture.h"

#include "host/common/buf.h"
#include "plugins/search/plugin.h"
#include "plugins/search/search.h"

/* SEARCH_TEXT_PREVIEW_BYTES in search_results.c. */
#define PREVIEW_BYTES 240

/* Adds a component `name` with `description` as its search text. */
static void add_component(ui_fixture *fx, const char *name, const char *description)
{
    json_t *entity = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}", "apiVersion",
                               "backstage.io/v1alpha1", "kind", "Component", "metadata", "name",
                               name, "namespace", "default", "description", description, "spec",
                               "type", "service", "lifecycle", "production", "owner", "team-a");
    char *text = json_dumps(entity, JSON_COMPACT);

    ui_fixture_add(fx, text);
    free(text);
    json_decref(entity);
}

/* `count` bytes of "word " repeated, cut at `count`. Caller frees. */
static char *words(size_t count)
{
    char *text = gr_xmalloc(count + 1);

    for (size_t i = 0; i < count; i++)
        text[i] = "word "[i % 5];
    text[count] = '\0';
    return text;
}

/* Returns the search text shown for the result linking to `href`, or NULL. Caller frees. */
static char *preview_of(const char *html, const char *href)
{
    const char *start = strstr(html, href);
    const char *end;

    if (start == NULL || (start = strstr(start, "<p>")) == NULL)
        return NULL;
    start += 3;
    end = strstr(start, "</p>");
    return end != NULL ? gr_xstrndup(start, (size_t)(end - start)) : NULL;
}

static void search_preview_over_max_cut(void **state)
{
    ui_fixture fx;
    gr_search *search = NULL;
    gr_test_output res;
    char *at_max = words(PREVIEW_BYTES);
    char *over_max = words(PREVIEW_BYTES + 60);
    char *expected = gr_xasprintf("%.*s\u2026", PREVIEW_BYTES, over_max);
    gr_buf split = GR_BUF_INIT;
    char *preview;

    (void)state;
    /* A two-byte character whose second byte is byte 241. */
    gr_buf_append(&split, over_max, PREVIEW_BYTES - 1);
    gr_buf_puts(&split, "\u00e9 more words");

    ui_fixture_init(&fx, "", "");
    add_component(&fx, "preview-at-max", at_max);
    add_component(&fx, "preview-over-max", over_max);
    add_component(&fx, "preview-split", gr_buf_cstr(&split));
    assert_int_equal(gr_search_migrate(fx.host.db), 0);
    assert_int_equal(gr_search_new_builtin(&search, fx.host.db, fx.config, "ui-test"), 0);
    ui_fixture_publish_search(&fx, search);
    assert_int_equal(gr_search_reindex(search, NULL), 0);
    ui_fixture_serve(&fx);

    /* The query matches the names only, so each text is shown as a preview. */
    res = ui_fixture_request(&fx, "GET", "/search?query=preview", NULL, NULL, NULL);
    assert_int_equal(res.status, 200);

    preview = preview_of(res.out, "/catalog/default/component/preview-at-max\"");
    assert_non_null(preview);
    assert_string_equal(preview, at_max);
    free(preview);

    preview = preview_of(res.out, "/catalog/default/component/preview-over-max\"");
    assert_non_null(preview);
    assert_string_equal(preview, expected);
    free(preview);

    /* The cut moves back to the character boundary. */
    preview = preview_of(res.out, "/catalog/default/component/preview-split\"");
    assert_non_null(preview);
    assert_int_equal(strlen(preview), PREVIEW_BYTES - 1 + strlen("\u2026"));
    assert_memory_equal(preview, over_max, PREVIEW_BYTES - 1);
    assert_string_equal(preview + PREVIEW_BYTES - 1, "\u2026");
    free(preview);

    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
    gr_search_free(search);
    gr_buf_free(&split);
    free(expected);
    free(over_max);
    free(at_max);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_preview_over_max_cut),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
