/* SPDX-License-Identifier: MIT */
/* Unit tests for spelling hints: the edit distance and the choice of the closest name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "plugins/catalog/model/spelling.h"

typedef struct {
    const char *a;
    const char *b;
    size_t distance;
} distance_case;

static const distance_case distance_cases[] = {
    {"", "", 0},
    {"owner", "owner", 0},
    {"owner", "OWNER", 0},
    {"", "abc", 3},
    {"abc", "", 3},
    {"owner", "ownr", 1},      /* deletion */
    {"ownr", "owner", 1},      /* insertion */
    {"owner", "owmer", 1},     /* substitution */
    {"owner", "onwer", 1},     /* swap of two adjacent letters */
    {"lifecycle", "lifecyle", 1},
    {"lifecycle", "lifecylce", 1},
    {"kitten", "sitting", 3},
    {"ab", "ba", 1},
    /* No part is edited twice, so "ca" to "abc" takes three edits, not two. */
    {"ca", "abc", 3},
    {"caf\xc3\xa9", "cafe", 2}, /* distance counts bytes */
};

static void distance_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(distance_cases) / sizeof(distance_cases[0]); i++) {
        const distance_case *c = &distance_cases[i];
        size_t got = gr_model_edit_distance(c->a, c->b);

        if (got != c->distance)
            fail_msg("distance(\"%s\", \"%s\"): expected %zu, got %zu", c->a, c->b, c->distance,
                     got);
    }
}

static void closest_picks_smallest_distance(void **state)
{
    const char *const keys[] = {"owers", "ownr", "name"};

    (void)state;
    assert_int_equal(gr_model_spelling_closest("owner", keys, 3), 1);
}

static void closest_tie_takes_first(void **state)
{
    const char *const keys[] = {"ownar", "owne", "ownr"};

    (void)state;
    assert_int_equal(gr_model_spelling_closest("owner", keys, 3), 0);
}

static void closest_none_when_far(void **state)
{
    const char *const keys[] = {"team", "stage", "ownerz12"};

    (void)state;
    assert_int_equal(gr_model_spelling_closest("owner", keys, 3), GR_MODEL_SPELLING_NONE);
    assert_int_equal(gr_model_spelling_closest("owner", keys, 0), GR_MODEL_SPELLING_NONE);
}

/* A distance of 2 between names of 2 letters would match any two-letter name. */
static void closest_short_names_need_less(void **state)
{
    const char *const far[] = {"ab"};
    const char *const near[] = {"ib", "ID"};

    (void)state;
    assert_int_equal(gr_model_spelling_closest("id", far, 1), GR_MODEL_SPELLING_NONE);
    assert_int_equal(gr_model_spelling_closest("id", near, 1), 0);
    assert_int_equal(gr_model_spelling_closest("id", near, 2), 1);
}

static void closest_skips_control_characters(void **state)
{
    const char *const keys[] = {"own\ner", "owner\t"};
    /* C1 controls in UTF-8: CSI (U+009B) and NEL (U+0085). */
    const char *const c1_keys[] = {"owne\xc2\x9b", "owner\xc2\x85"};
    /* A no-break space (U+00A0) is no control character. */
    const char *const nbsp_keys[] = {"owne\xc2\xa0"};

    (void)state;
    assert_int_equal(gr_model_spelling_closest("owner", keys, 2), GR_MODEL_SPELLING_NONE);
    assert_int_equal(gr_model_spelling_closest("owner", c1_keys, 2), GR_MODEL_SPELLING_NONE);
    assert_int_equal(gr_model_spelling_closest("owner", nbsp_keys, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distance_table),
        cmocka_unit_test(closest_picks_smallest_distance),
        cmocka_unit_test(closest_tie_takes_first),
        cmocka_unit_test(closest_none_when_far),
        cmocka_unit_test(closest_short_names_need_less),
        cmocka_unit_test(closest_skips_control_characters),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
