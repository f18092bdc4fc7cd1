/* SPDX-License-Identifier: MIT */
/* Folding and splitting of search text into words, with utf8proc. */
#include "plugins/search/words.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"

/* Letters, combining marks and digits are word characters, as in SQLite's
 * unicode61 tokenizer; everything else separates words. */
static int is_word_char(utf8proc_int32_t codepoint)
{
    utf8proc_category_t category = utf8proc_category(codepoint);

    return category >= UTF8PROC_CATEGORY_LU && category <= UTF8PROC_CATEGORY_NO;
}

char *gr_search_fold(const char *text)
{
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t len;
    gr_buf out = GR_BUF_INIT;
    int in_word = 0;

    len = utf8proc_map((const utf8proc_uint8_t *)text, 0, &folded,
                       UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE |
                           UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD);
    if (len < 0)
        return NULL;

    for (utf8proc_ssize_t i = 0; i < len;) {
        utf8proc_int32_t codepoint;
        utf8proc_ssize_t used = utf8proc_iterate(folded + i, len - i, &codepoint);

        if (used <= 0)
            break;
        if (is_word_char(codepoint)) {
            if (!in_word && out.len > 0)
                gr_buf_putc(&out, ' ');
            gr_buf_append(&out, folded + i, (size_t)used);
            in_word = 1;
        } else {
            in_word = 0;
        }
        i += used;
    }
    free(folded);
    return gr_buf_detach(&out);
}
