/* SPDX-License-Identifier: MIT */
/* Numbers written as JavaScript writes them, for output that must match Backstage's. */
#include "host/common/js_number.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Finds the fewest significant digits (at most 17, which always read back) of
 * a positive finite `value`. Writes them without a point or trailing zeros and
 * returns their count. *point is where the decimal point sits: value is
 * 0.d1d2...dk times 10 to the power *point.
 */
static int shortest_digits(double value, char digits[20], int *point)
{
    char scientific[40];
    int count = 0;

    for (int precision = 1; precision <= 17; precision++) {
        snprintf(scientific, sizeof(scientific), "%.*e", precision - 1, value);
        if (strtod(scientific, NULL) == value)
            break;
    }
    for (const char *c = scientific; *c != 'e'; c++) {
        if (*c >= '0' && *c <= '9')
            digits[count++] = *c;
    }
    while (count > 1 && digits[count - 1] == '0')
        count--;
    digits[count] = '\0';
    *point = atoi(strchr(scientific, 'e') + 1) + 1;
    return count;
}

/* Writes positive finite `value` at `out`, which has room for `room` bytes. The text is built in
 * a buffer large enough for every format below, so the compiler can see that none is cut. */
static void format_positive(double value, char *out, size_t room)
{
    char digits[20];
    char text[96];
    int point = 0;
    int count = shortest_digits(value, digits, &point);
    char sign = point - 1 < 0 ? '-' : '+';
    size_t len;

    if (count <= point && point <= 21)
        snprintf(text, sizeof(text), "%s%.*s", digits, point - count, "000000000000000000000");
    else if (0 < point && point <= 21)
        snprintf(text, sizeof(text), "%.*s.%s", point, digits, digits + point);
    else if (-6 < point && point <= 0)
        snprintf(text, sizeof(text), "0.%.*s%s", -point, "000000", digits);
    else if (count == 1)
        snprintf(text, sizeof(text), "%ce%c%d", digits[0], sign, abs(point - 1));
    else
        snprintf(text, sizeof(text), "%c.%se%c%d", digits[0], digits + 1, sign, abs(point - 1));
    len = strlen(text);
    if (len >= room)
        len = room - 1;
    memcpy(out, text, len);
    out[len] = '\0';
}

void gr_js_number_format(double value, char out[GR_JS_NUMBER_MAX])
{
    size_t pos = 0;

    if (isnan(value)) {
        snprintf(out, GR_JS_NUMBER_MAX, "NaN");
        return;
    }
    if (value == 0) {
        snprintf(out, GR_JS_NUMBER_MAX, "0");
        return;
    }
    if (value < 0) {
        out[pos++] = '-';
        value = -value;
    }
    if (isinf(value)) {
        snprintf(out + pos, GR_JS_NUMBER_MAX - pos, "Infinity");
        return;
    }
    format_positive(value, out + pos, GR_JS_NUMBER_MAX - pos);
}
