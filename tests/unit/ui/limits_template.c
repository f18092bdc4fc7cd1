/* SPDX-License-Identifier: MIT */
/* Tests that cross the limits of the UI's HTML templates: size, section nesting, render nesting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/ui/template/template.h"

#define assert_contains(text, part)                                                                \
    do {                                                                                           \
        if (strstr((text), (part)) == NULL)                                                        \
            fail_msg("\"%s\" does not contain \"%s\"", (text), (part));                            \
    } while (0)

static int add(gr_template_set *set, const char *name, const char *text, size_t len)
{
    return gr_template_add(set, name, text, len, "theme/page.html");
}

/* A template of GR_TEMPLATE_MAX_BYTES compiles, but one byte more is rejected with its size. */
static void template_bytes_over_max(void **state)
{
    gr_template_set *set = gr_template_set_new();
    char *text = gr_xmalloc(GR_TEMPLATE_MAX_BYTES + 2);

    (void)state;
    memset(text, 'x', GR_TEMPLATE_MAX_BYTES + 1);
    text[GR_TEMPLATE_MAX_BYTES + 1] = '\0';
    assert_int_equal(add(set, "at", text, GR_TEMPLATE_MAX_BYTES), 0);
    assert_int_equal(add(set, "over", text, GR_TEMPLATE_MAX_BYTES + 1), GR_ELIMIT);
    assert_contains(gr_error_last(), "theme/page.html: template is 1048577 bytes");
    assert_contains(gr_error_last(), "more than the maximum 1048576");
    assert_false(gr_template_exists(set, "over"));
    free(text);
    gr_template_set_free(set);
}

/* Returns `depth` nested sections "{{#a}}...{{/a}}" (caller frees). */
static char *nested_sections(int depth)
{
    gr_buf text = GR_BUF_INIT;

    for (int i = 0; i < depth; i++)
        gr_buf_puts(&text, "{{#a}}");
    gr_buf_puts(&text, "x");
    for (int i = 0; i < depth; i++)
        gr_buf_puts(&text, "{{/a}}");
    return gr_buf_detach(&text);
}

/* GR_TEMPLATE_MAX_DEPTH nested sections compile, but one more fails naming the file and line. */
static void section_depth_over_max(void **state)
{
    gr_template_set *set = gr_template_set_new();
    char *at = nested_sections(GR_TEMPLATE_MAX_DEPTH);
    char *over = nested_sections(GR_TEMPLATE_MAX_DEPTH + 1);

    (void)state;
    assert_int_equal(add(set, "at", at, strlen(at)), 0);
    assert_int_equal(add(set, "over", over, strlen(over)), GR_ELIMIT);
    assert_contains(gr_error_last(), "theme/page.html:1: sections nest deeper than 32");
    free(at);
    free(over);
    gr_template_set_free(set);
}

/*
 * Renders a chain of `partials` partials p0 -> p1 -> ... ending in "end".
 * The root context is the first level of the renderer's stack and each
 * partial adds one.
 */
static int render_chain(int partials, gr_buf *out)
{
    gr_template_set *set = gr_template_set_new();
    int rc;

    for (int i = 0; i <= partials; i++) {
        char *name = gr_xasprintf("p%d", i);
        char *text = i < partials ? gr_xasprintf("{{> p%d}}", i + 1) : gr_xstrdup("end");

        assert_int_equal(add(set, name, text, strlen(text)), 0);
        free(name);
        free(text);
    }
    rc = gr_template_render(set, "p0", NULL, out);
    gr_template_set_free(set);
    return rc;
}

static void render_depth_over_max(void **state)
{
    gr_buf out = GR_BUF_INIT;

    (void)state;
    assert_int_equal(render_chain(GR_TEMPLATE_MAX_RENDER_DEPTH - 1, &out), 0);
    assert_string_equal(gr_buf_cstr(&out), "end");
    gr_buf_free(&out);
    assert_int_equal(render_chain(GR_TEMPLATE_MAX_RENDER_DEPTH, &out), GR_ELIMIT);
    assert_contains(gr_error_last(), "templates nest deeper than 64 while rendering");
    gr_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(template_bytes_over_max),
        cmocka_unit_test(section_depth_over_max),
        cmocka_unit_test(render_depth_over_max),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
