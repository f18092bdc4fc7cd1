/* SPDX-License-Identifier: MIT */
/* Words of search text: case and diacritics folded, split at everything but letters and digits. */
#ifndef GR_PLUGINS_SEARCH_WORDS_H
#define GR_PLUGINS_SEARCH_WORDS_H

#include <stddef.h>

/*
 * Both engines see the same words. SQLite's unicode61 tokenizer (with
 * remove_diacritics 2) splits and folds indexed text itself; for PostgreSQL
 * the text is folded here and handed to to_tsvector('simple', ...), so that
 * "Café-Menu" matches "cafe" and "menu" on both engines. Query words are
 * folded the same way before they become an FTS5 or tsquery expression.
 */

/** Maximum number of words taken from a query; later words are ignored. */
#define GR_SEARCH_MAX_QUERY_WORDS 32

/** The words of a query, folded. */
typedef struct {
    char **items;
    size_t count;
} gr_search_words;

/**
 * Folds UTF-8 `text` (case folding, diacritics removed by canonical
 * decomposition) and joins its words (runs of Unicode letters and digits)
 * with single spaces. Returns a new string (caller frees), or NULL when
 * `text` is not valid UTF-8.
 */
char *gr_search_fold(const char *text);

/**
 * Splits a query term into folded words, keeping at most
 * GR_SEARCH_MAX_QUERY_WORDS. A term without letters or digits gives no
 * words. Returns 0, or GR_EINVALID when `term` is not valid UTF-8.
 * Free `out` with gr_search_words_free().
 */
int gr_search_words_parse(const char *term, gr_search_words *out);

/** Frees the words. NULL-safe; `words` can be parsed into again. */
void gr_search_words_free(gr_search_words *words);

/**
 * Makes an FTS5 MATCH expression: every word must match, either exactly or
 * as the prefix of a longer word, and an exact match scores twice:
 * `("pay" OR "pay"*) AND ("team" OR "team"*)`. Caller frees. `words` must
 * not be empty.
 */
char *gr_search_words_fts5(const gr_search_words *words);

/**
 * Makes the same expression as a PostgreSQL tsquery for the 'simple'
 * configuration: `(pay | pay:*) & (team | team:*)`. Caller frees.
 */
char *gr_search_words_tsquery(const gr_search_words *words);

#endif
