/* SPDX-License-Identifier: MIT */
/* Numbers written as JavaScript writes them, for output that must match Backstage's. */
#ifndef GR_HOST_COMMON_JS_NUMBER_H
#define GR_HOST_COMMON_JS_NUMBER_H

/** Size of a gr_js_number_format() buffer, including the NUL. No output is longer than 24
 * characters, as "-1.2345678901234567e-308" is. */
#define GR_JS_NUMBER_MAX 32

/**
 * Writes `value` as ECMAScript's Number::toString does: the fewest significant
 * digits that read back as the same double, without an exponent from 1e-6 up
 * to below 1e21, and as d.ddde+x outside that range. So 0.1 is "0.1", 1.0 is
 * "1", -0 is "0" and 1e21 is "1e+21". NaN is "NaN" and infinities are
 * "Infinity" and "-Infinity", which JSON output must replace with null, as
 * JSON.stringify() does. Thread-safe.
 */
void gr_js_number_format(double value, char out[GR_JS_NUMBER_MAX]);

#endif
