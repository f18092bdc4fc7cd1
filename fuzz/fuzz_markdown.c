/* SPDX-License-Identifier: MIT */
/* Fuzz target: render a Markdown page with every extension on and check that no script survives. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/techdocs/build/markdown.h"
#include "plugins/techdocs/build/meta.h"
#include "plugins/techdocs/html_check.h"
#include "plugins/techdocs/toc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every path a link names exists, so the link rewriting runs on all of them. */
static int any_file(const char *src_uri, void *payload)
{
    (void)payload;
    return src_uri[0] != 'x';
}

static void found_script(const char *at, const char *what, void *payload)
{
    const char *html = payload;

    fprintf(stderr, "%s survived at byte %zu: %.120s\n", what, (size_t)(at - html), at);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gr_techdocs_markdown_options options = {
        .toc_permalink = 1,
        .admonition = 1,
        .details = 1,
        .footnotes = 1,
        .def_list = 1,
        .attr_list = 1,
        .magiclink = 1,
    };
    gr_techdocs_link_context links = {"guide/page.md", any_file, NULL};
    gr_techdocs_page_html page = {0};
    gr_techdocs_meta meta = {0};
    gr_techdocs_toc toc;
    char *text = gr_xstrndup((const char *)data, size);
    size_t len = strlen(text);

    gr_techdocs_meta_split(text, len, &meta);
    if (gr_techdocs_render_markdown(text + meta.body_offset, len - meta.body_offset,
                                    meta.body_line, &options, &links, &page) == GR_OK) {
        if (page.html == NULL)
            abort();
        gr_techdocs_html_check(page.html, found_script, page.html);
        gr_techdocs_toc_read(page.html, strlen(page.html), &toc);
        gr_techdocs_toc_free(&toc);
    }
    gr_techdocs_page_html_free(&page);
    free(meta.title);
    free(text);
    return 0;
}
