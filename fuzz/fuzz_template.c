/* SPDX-License-Identifier: MIT */
/* libFuzzer target: compiles and renders arbitrary bytes as a template in both delimiter modes. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "plugins/scaffolder/template/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gr_tmpl_delimiters modes[] = {GR_TMPL_DELIMITERS_BACKSTAGE,
                                               GR_TMPL_DELIMITERS_NUNJUCKS};
    json_t *context = json_pack("{s:{s:s, s:[i,i], s:{s:b}}}", "values", "name", "svc", "list", 1,
                                2, "flags", "on", 1);

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        gr_tmpl_options options = {.delimiters = modes[i], .trim_blocks = size % 2 == 1};
        gr_tmpl_engine *engine = gr_tmpl_engine_new(&options);
        gr_tmpl *tmpl = NULL;
        char *out = NULL;

        if (gr_tmpl_compile(engine, "fuzz", (const char *)data, size, &tmpl) == 0)
            (void)gr_tmpl_render(tmpl, context, &out, NULL);
        free(out);
        gr_tmpl_free(tmpl);
        gr_tmpl_engine_free(engine);
    }
    json_decref(context);
    return 0;
}
