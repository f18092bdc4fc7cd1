/* SPDX-License-Identifier: MIT */
/* The table of contents of a built page, read from the headings of its HTML fragment. */
#include "plugins/techdocs/toc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"

/* Appends the text of `html` between `start` and `end` without tags; the
 * permalink anchor (class "headerlink") is dropped with its content. */
static char *heading_text(const char *start, const char *end)
{
    gr_buf text = GR_BUF_INIT;
    const char *p = start;

    while (p < end) {
        if (*p != '<') {
            gr_buf_putc(&text, *p++);
            continue;
        }
        const char *close = memchr(p, '>', (size_t)(end - p));

        if (close == NULL)
            break;
        if ((size_t)(close - p) > 2 && strncmp(p, "<a ", 3) == 0 &&
            memmem(p, (size_t)(close - p), "headerlink", 10) != NULL) {
            const char *anchor_end = memmem(close, (size_t)(end - close), "</a>", 4);

            p = anchor_end ? anchor_end + 4 : end;
            continue;
        }
        p = close + 1;
    }
    return text.data ? gr_buf_detach(&text) : gr_xstrdup("");
}

void gr_techdocs_toc_read(const char *html, size_t len, gr_techdocs_toc *out)
{
    const char *p = html;
    const char *end = html + len;
    size_t cap = 0;

    memset(out, 0, sizeof(*out));
    while (p < end && out->count < GR_TECHDOCS_TOC_MAX_ENTRIES) {
        const char *open = memmem(p, (size_t)(end - p), "<h", 2);
        char closing[6];
        const char *id_start;
        const char *id_end;
        const char *tag_end;
        const char *body_end;
        int level;

        if (open == NULL || open + 8 > end)
            break;
        p = open + 2;
        level = open[2] - '0';
        if (level < 2 || level > GR_TECHDOCS_TOC_MAX_LEVEL || strncmp(open + 3, " id=\"", 5) != 0)
            continue;
        id_start = open + 8;
        id_end = memchr(id_start, '"', (size_t)(end - id_start));
        tag_end = id_end ? memchr(id_end, '>', (size_t)(end - id_end)) : NULL;
        snprintf(closing, sizeof(closing), "</h%d>", level);
        body_end = tag_end ? memmem(tag_end, (size_t)(end - tag_end), closing, 5) : NULL;
        if (body_end == NULL)
            break;
        if (out->count == cap) {
            cap = cap ? cap * 2 : 16;
            out->entries = gr_xrealloc(out->entries, cap * sizeof(*out->entries));
        }
        out->entries[out->count].level = level;
        out->entries[out->count].id = gr_xstrndup(id_start, (size_t)(id_end - id_start));
        out->entries[out->count].text = heading_text(tag_end + 1, body_end);
        out->count++;
        p = body_end + 5;
    }
}

void gr_techdocs_toc_free(gr_techdocs_toc *toc)
{
    if (toc == NULL)
        return;
    for (size_t i = 0; i < toc->count; i++) {
        free(toc->entries[i].id);
        free(toc->entries[i].text);
    }
    free(toc->entries);
    memset(toc, 0, sizeof(*toc));
}
