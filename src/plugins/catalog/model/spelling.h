/* SPDX-License-Identifier: MIT */
/* Spelling hints: the edit distance between two names, and the likely misspelling among several. */
#ifndef GR_PLUGINS_CATALOG_MODEL_SPELLING_H
#define GR_PLUGINS_CATALOG_MODEL_SPELLING_H

#include <stddef.h>

/** Maximum edit distance at which a name counts as a misspelling of another. */
#define GR_MODEL_SPELLING_MAX_DISTANCE 2

/** Return value of gr_model_spelling_closest() when no candidate is close enough. */
#define GR_MODEL_SPELLING_NONE ((size_t)-1)

/**
 * Computes the optimal string alignment distance between `a` and `b`: the
 * number of single-character insertions, deletions, substitutions and swaps
 * of two adjacent characters that turn one into the other, where no part is
 * edited twice (the restricted Damerau-Levenshtein distance). ASCII letters
 * compare without case. The distance counts bytes, so a character outside
 * ASCII that differs counts as one edit per byte.
 */
size_t gr_model_edit_distance(const char *a, const char *b);

/**
 * Finds which of `candidates` (borrowed, `count` of them) is a likely
 * misspelling of `name`: its edit distance is at most
 * GR_MODEL_SPELLING_MAX_DISTANCE and less than the length of the shorter of
 * the two, so that short names do not match anything. A candidate equal to
 * `name` but for case is at distance 0 and matches. Candidates with a control
 * character (C0, DEL or C1) never match. Returns the index of the closest
 * candidate, the first one on a tie, or GR_MODEL_SPELLING_NONE.
 */
size_t gr_model_spelling_closest(const char *name, const char *const *candidates, size_t count);

#endif
