/* SPDX-License-Identifier: MIT */
/* Tests of the review table that a template form shows before it runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "host/common/buf.h"
#include "plugins/scaffolder/form.h"

static const char step_json[] =
    "{\"properties\": {"
    "\"name\": {\"title\": \"Name\", \"type\": \"string\"},"
    "\"extras\": {\"title\": \"Extras\", \"type\": \"array\", \"items\": {\"type\": \"string\"}},"
    "\"tags\": {\"title\": \"Tags\", \"type\": \"array\", \"items\": {\"type\": \"string\"}},"
    "\"ports\": {\"title\": \"Ports\", \"type\": \"array\", \"items\": {\"type\": \"integer\"}},"
    "\"owners\": {\"title\": \"Owners\", \"type\": \"array\"},"
    "\"token\": {\"title\": \"Token\", \"type\": \"string\", \"ui:field\": \"Secret\"}}}";

static void review_lists_plain_values(void **state)
{
    json_t *step = json_loads(step_json, 0, NULL);
    json_t *values = json_loads("{\"name\": \"svc\", \"extras\": [], \"tags\": [\"a\", \"<b>\"],"
                                " \"ports\": [80, 443], \"owners\": [{\"team\": \"x\"}],"
                                " \"token\": \"s3cret\"}",
                                0, NULL);
    gr_buf out = GR_BUF_INIT;
    const char *html;

    (void)state;
    assert_non_null(step);
    assert_non_null(values);
    gr_form_render_review(&out, step, values);
    html = gr_buf_cstr(&out);

    assert_non_null(strstr(html, "<th scope=\"row\">Extras</th><td><span class=\"muted\">None"));
    assert_non_null(strstr(html, "<th scope=\"row\">Tags</th><td>a, &lt;b&gt;</td>"));
    assert_non_null(strstr(html, "<th scope=\"row\">Ports</th><td>80, 443</td>"));
    /* Lists of objects keep their JSON form, escaped. */
    assert_non_null(strstr(html, "<code>[{&quot;team&quot;:&quot;x&quot;}]</code>"));
    assert_null(strstr(html, "s3cret"));
    assert_null(strstr(html, "[]"));
    gr_buf_free(&out);
    json_decref(values);
    json_decref(step);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(review_lists_plain_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
