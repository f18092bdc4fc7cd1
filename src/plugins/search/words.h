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
 * folded the same way (plugins/search/terms.h).
 */

/**
 * Folds UTF-8 `text` (case folding, diacritics removed by canonical
 * decomposition) and joins its words (runs of Unicode letters and digits)
 * with single spaces. Returns a new string (caller frees), or NULL when
 * `text` is not valid UTF-8.
 */
char *gr_search_fold(const char *text);

#endif
