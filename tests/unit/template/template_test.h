/* SPDX-License-Identifier: MIT */
/* Helpers shared by the template engine's unit tests. */
#ifndef GR_TESTS_UNIT_TEMPLATE_TEST_H
#define GR_TESTS_UNIT_TEMPLATE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/scaffolder/template/template.h"

/*
 * Renders `source` with the JSON `context_text` (NULL for none) and options.
 * Returns the output (caller frees), or NULL with the error code in *status.
 */
static inline char *render_with(const gr_tmpl_options *options, const char *source,
                                const char *context_text, int *status)
{
    gr_tmpl_engine *engine = gr_tmpl_engine_new(options);
    json_t *context = context_text ? json_loads(context_text, 0, NULL) : NULL;
    char *out = NULL;

    *status = gr_tmpl_render_string(engine, "test", source, context, &out);
    json_decref(context);
    gr_tmpl_engine_free(engine);
    return out;
}

/* Renders with the Backstage delimiters and checks the output. */
#define assert_renders(source, context, expected)                                                  \
    do {                                                                                           \
        int status_;                                                                               \
        char *out_ = render_with(NULL, (source), (context), &status_);                             \
        if (status_ != GR_OK)                                                                      \
            fail_msg("render failed for %s: %s", (source), gr_error_last());                       \
        assert_string_equal(out_, (expected));                                                     \
        free(out_);                                                                                \
    } while (0)

/* Renders and checks that it fails with `code` and a message containing `part`. */
#define assert_render_fails(source, context, code, part)                                           \
    do {                                                                                           \
        int status_;                                                                               \
        char *out_ = render_with(NULL, (source), (context), &status_);                             \
        if (status_ == GR_OK)                                                                      \
            fail_msg("render of %s gave \"%s\", expected an error", (source), out_);               \
        assert_int_equal(status_, (code));                                                         \
        if (strstr(gr_error_last(), (part)) == NULL)                                               \
            fail_msg("error \"%s\" does not contain \"%s\"", gr_error_last(), (part));             \
    } while (0)

#endif
