/* SPDX-License-Identifier: MIT */
/* Spelling hints: the edit distance between two names, and the likely misspelling among several. */
#include "plugins/catalog/model/spelling.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"

static unsigned char ascii_lower(char c)
{
    unsigned char byte = (unsigned char)c;

    return byte >= 'A' && byte <= 'Z' ? (unsigned char)(byte - 'A' + 'a') : byte;
}

static size_t min_of(size_t a, size_t b)
{
    return a < b ? a : b;
}

/*
 * Fills the distance table row by row and keeps three rows. Row i contains the
 * distances between the first i bytes of `a` and every prefix of `b`. A swap
 * of two adjacent bytes looks back two rows.
 */
size_t gr_model_edit_distance(const char *a, const char *b)
{
    size_t a_len = strlen(a);
    size_t b_len = strlen(b);
    size_t *before_previous = gr_xcalloc(b_len + 1, sizeof(size_t));
    size_t *previous = gr_xcalloc(b_len + 1, sizeof(size_t));
    size_t *current = gr_xcalloc(b_len + 1, sizeof(size_t));
    size_t distance;

    for (size_t j = 0; j <= b_len; j++)
        previous[j] = j;
    for (size_t i = 1; i <= a_len; i++) {
        size_t *rotated = before_previous;

        current[0] = i;
        for (size_t j = 1; j <= b_len; j++) {
            int same = ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]);
            size_t best = min_of(previous[j] + 1, current[j - 1] + 1);

            best = min_of(best, previous[j - 1] + (same ? 0 : 1));
            if (i > 1 && j > 1 && ascii_lower(a[i - 1]) == ascii_lower(b[j - 2]) &&
                ascii_lower(a[i - 2]) == ascii_lower(b[j - 1]))
                best = min_of(best, before_previous[j - 2] + 1);
            current[j] = best;
        }
        before_previous = previous;
        previous = current;
        current = rotated;
    }
    distance = previous[b_len];
    free(before_previous);
    free(previous);
    free(current);
    return distance;
}

/* Whether `text` has a C0 control, DEL or a C1 control (U+0080 to U+009F, C2 80 to C2 9F in
 * UTF-8). A terminal may act on any of them when a message shows the key. */
static int has_control_character(const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
        if (*c < 0x20 || *c == 0x7f)
            return 1;
        if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
            return 1;
    }
    return 0;
}

size_t gr_model_spelling_closest(const char *name, const char *const *candidates, size_t count)
{
    size_t name_len = strlen(name);
    size_t best = GR_MODEL_SPELLING_NONE;
    size_t best_distance = GR_MODEL_SPELLING_MAX_DISTANCE + 1;

    for (size_t i = 0; i < count; i++) {
        size_t candidate_len = strlen(candidates[i]);
        size_t shorter = min_of(name_len, candidate_len);
        size_t longer = name_len + candidate_len - shorter;
        size_t distance;

        /* The lengths alone show that the distance is too large, without the table. */
        if (longer - shorter > GR_MODEL_SPELLING_MAX_DISTANCE ||
            has_control_character(candidates[i]))
            continue;
        distance = gr_model_edit_distance(name, candidates[i]);
        if (distance < best_distance && distance < shorter) {
            best = i;
            best_distance = distance;
        }
    }
    return best;
}
