/* SPDX-License-Identifier: MIT */
/* Tests of the Nunjucks replace filter on inputs of megabytes, checked against a plain search. */
#include "scaffolder_test.h"

#include "plugins/scaffolder/template/template.h"

#define LARGE_LEN (4u * 1024 * 1024)

/* Renders `source` with {"text": text, "old": old, "new": replacement} and returns the output. */
static char *render_replace(const char *source, const char *text, const char *old,
                            const char *replacement, size_t *out_len)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(NULL);
    json_t *context = json_pack("{s:s, s:s, s:s}", "text", text, "old", old, "new", replacement);
    gr_tmpl *tmpl = NULL;
    char *out = NULL;

    if (gr_tmpl_compile(engine, "replace", source, strlen(source), &tmpl) != GR_OK ||
        gr_tmpl_render(tmpl, context, &out, out_len) != GR_OK)
        fail_msg("rendering %s failed: %s", source, gr_error_last());
    gr_tmpl_free(tmpl);
    json_decref(context);
    gr_tmpl_engine_free(engine);
    return out;
}

/*
 * Replaces every non-overlapping `old`, leftmost first, by comparing at each
 * position. It is slow for long search strings but plainly right.
 */
static char *replace_by_scan(const char *text, const char *old, const char *replacement)
{
    size_t len = strlen(text);
    size_t old_len = strlen(old);
    gr_buf out = GR_BUF_INIT;
    size_t i = 0;

    while (i < len) {
        if (i + old_len <= len && memcmp(text + i, old, old_len) == 0) {
            gr_buf_puts(&out, replacement);
            i += old_len;
        } else {
            gr_buf_putc(&out, text[i]);
            i++;
        }
    }
    return out.data ? gr_buf_detach(&out) : gr_xstrdup("");
}

/* Fills `len` bytes with letters a and b from a fixed linear congruential sequence. */
static char *random_ab(size_t len, uint32_t seed)
{
    char *text = gr_xmalloc(len + 1);

    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        text[i] = (seed >> 16) & 1 ? 'a' : 'b';
    }
    text[len] = '\0';
    return text;
}

static void replace_every_match(void **state)
{
    char *text = gr_xmalloc(LARGE_LEN + 1);
    char *out;
    size_t out_len = 0;

    (void)state;
    for (size_t i = 0; i < LARGE_LEN; i += 2)
        memcpy(text + i, "ab", 2);
    text[LARGE_LEN] = '\0';
    out = render_replace("${{ text | replace(old, new) }}", text, "ab", "x", &out_len);
    assert_int_equal(out_len, LARGE_LEN / 2);
    assert_int_equal(strspn(out, "x"), LARGE_LEN / 2);
    free(out);
    free(text);
}

static void replace_overlapping_runs(void **state)
{
    char *text = gr_xmalloc(LARGE_LEN + 2);
    char *out;
    size_t out_len = 0;

    (void)state;
    /* In an odd run of a, the pairs become b and the last a stays. */
    memset(text, 'a', LARGE_LEN + 1);
    text[LARGE_LEN + 1] = '\0';
    out = render_replace("${{ text | replace(old, new) }}", text, "aa", "b", &out_len);
    assert_int_equal(out_len, LARGE_LEN / 2 + 1);
    assert_int_equal(strspn(out, "b"), LARGE_LEN / 2);
    assert_int_equal(out[LARGE_LEN / 2], 'a');
    free(out);
    free(text);
}

static void replace_near_misses(void **state)
{
    size_t old_len = 4096;
    char *text = gr_xmalloc(LARGE_LEN + 1);
    char *old = gr_xmalloc(old_len + 1);
    char *out;
    size_t out_len = 0;

    (void)state;
    /* Every position matches all but the last byte of the long search string. */
    memset(text, 'a', LARGE_LEN);
    text[LARGE_LEN] = '\0';
    memset(old, 'a', old_len - 1);
    old[old_len - 1] = 'b';
    old[old_len] = '\0';
    out = render_replace("${{ text | replace(old, new) }}", text, old, "x", &out_len);
    assert_int_equal(out_len, LARGE_LEN);
    assert_memory_equal(out, text, LARGE_LEN);
    free(out);
    free(old);
    free(text);
}

static void replace_matches_scan(void **state)
{
    static const char *const needles[] = {"a", "ab", "aab", "abab", "aabaab", "abaababa", "bbbbb"};
    char *text = random_ab(1024 * 1024, 7);

    (void)state;
    for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
        char *expected = replace_by_scan(text, needles[i], "<>");
        size_t out_len = 0;
        char *out = render_replace("${{ text | replace(old, new) }}", text, needles[i], "<>",
                                   &out_len);

        if (out_len != strlen(expected) || memcmp(out, expected, out_len) != 0)
            fail_msg("replace(\"%s\") differs from the plain scan", needles[i]);
        free(out);
        free(expected);
    }
    free(text);
}

static void replace_count_limit(void **state)
{
    char *text = gr_xmalloc(LARGE_LEN + 1);
    char *out;
    size_t out_len = 0;

    (void)state;
    memset(text, 'a', LARGE_LEN);
    text[LARGE_LEN] = '\0';
    out = render_replace("${{ text | replace(old, new, 1000) }}", text, "a", "b", &out_len);
    assert_int_equal(out_len, LARGE_LEN);
    assert_int_equal(strspn(out, "b"), 1000);
    assert_int_equal(strspn(out + 1000, "a"), LARGE_LEN - 1000);
    free(out);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replace_every_match),   cmocka_unit_test(replace_overlapping_runs),
        cmocka_unit_test(replace_near_misses),   cmocka_unit_test(replace_matches_scan),
        cmocka_unit_test(replace_count_limit),
    };

    return cmocka_run_group_tests_name("replace", tests, NULL, NULL);
}
