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

int gr_search_words_parse(const char *term, gr_search_words *out)
{
    char *folded = gr_search_fold(term);
    char *save = NULL;

    memset(out, 0, sizeof(*out));
    if (folded == NULL)
        return gr_error_set(GR_EINVALID, "the search term is not valid UTF-8");

    out->items = gr_xcalloc(GR_SEARCH_MAX_QUERY_WORDS, sizeof(char *));
    for (char *word = strtok_r(folded, " ", &save);
         word != NULL && out->count < GR_SEARCH_MAX_QUERY_WORDS; word = strtok_r(NULL, " ", &save))
        out->items[out->count++] = gr_xstrdup(word);
    free(folded);
    return GR_OK;
}

void gr_search_words_free(gr_search_words *words)
{
    if (words == NULL)
        return;
    for (size_t i = 0; i < words->count; i++)
        free(words->items[i]);
    free(words->items);
    words->items = NULL;
    words->count = 0;
}

/* Words hold only letters and digits, so they need no quoting beyond the
 * double quotes FTS5 puts around a string. */
char *gr_search_words_fts5(const gr_search_words *words)
{
    gr_buf out = GR_BUF_INIT;

    for (size_t i = 0; i < words->count; i++) {
        if (i > 0)
            gr_buf_puts(&out, " AND ");
        gr_buf_printf(&out, "(\"%s\" OR \"%s\"*)", words->items[i], words->items[i]);
    }
    return gr_buf_detach(&out);
}

char *gr_search_words_tsquery(const gr_search_words *words)
{
    gr_buf out = GR_BUF_INIT;

    for (size_t i = 0; i < words->count; i++) {
        if (i > 0)
            gr_buf_puts(&out, " & ");
        gr_buf_printf(&out, "(%s | %s:*)", words->items[i], words->items[i]);
    }
    return gr_buf_detach(&out);
}
