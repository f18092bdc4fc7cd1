/* SPDX-License-Identifier: MIT */
/* Unit tests for the search index text: whitespace collapsing and JSON escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/buf.h"
#include "plugins/techdocs/build/search.h"

/* Returns the "text" member of the one entry made from `html`. The caller frees it. */
static char *entry_text(const char *html)
{
    gr_techdocs_page_html page = {.html = (char *)html};
    gr_buf docs = GR_BUF_INIT;
    const char *start;
    const char *end;
    char *text;

    gr_techdocs_search_add_page(&docs, "p/", "T", &page);
    start = strstr(gr_buf_cstr(&docs), "\"text\":");
    end = strstr(gr_buf_cstr(&docs), ",\"title\":\"T\"}");
    assert_non_null(start);
    assert_non_null(end);
    start += strlen("\"text\":");
    text = strndup(start, (size_t)(end - start));
    gr_buf_free(&docs);
    return text;
}

static void check(const char *html, const char *expected)
{
    char *text = entry_text(html);

    assert_string_equal(text, expected);
    free(text);
}

static void spaces_collapse(void **state)
{
    (void)state;
    check(" lead  two   spaces\tand\ttabs end ", "\"lead two spaces and tabs end\"");
}

static void double_space_at_word_edges(void **state)
{
    (void)state;
    check("abcdefg  hijklmno pqrstuvw xyzabcde f  g",
          "\"abcdefg hijklmno pqrstuvw xyzabcde f g\"");
    check("abcdefgh abcdefg  abcdefgh  abcdefgh", "\"abcdefgh abcdefg abcdefgh abcdefgh\"");
    check("word12345678 words123 4567890a b", "\"word12345678 words123 4567890a b\"");
}

static void no_break_space_collapses(void **state)
{
    (void)state;
    check("nbsp\xC2\xA0here\xC2\xA0\xC2\xA0twice&nbsp;", "\"nbsp here twice\"");
}

static void escapes_like_jansson(void **state)
{
    (void)state;
    check("quote&quot; back\\slash \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80 bell\bx",
          "\"quote\\\" back\\\\slash \\u00E9t\\u00E9 \\uD83D\\uDE00 bell\\bx\"");
}

static void lines_join_with_one_space(void **state)
{
    (void)state;
    check("<p>first line\nsecond</p>\n<p>third &amp; last</p>\n",
          "\"first line second third & last\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spaces_collapse),
        cmocka_unit_test(double_space_at_word_edges),
        cmocka_unit_test(no_break_space_collapses),
        cmocka_unit_test(escapes_like_jansson),
        cmocka_unit_test(lines_join_with_one_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
