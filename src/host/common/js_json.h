/* SPDX-License-Identifier: MIT */
/* JSON text as JavaScript's JSON.stringify() writes it, for pages that show JSON to people. */
#ifndef GR_HOST_COMMON_JS_JSON_H
#define GR_HOST_COMMON_JS_JSON_H

#include <jansson.h>

#include "host/common/buf.h"

/**
 * Appends `value` to `out` as JSON.stringify(value, null, indent) writes it.
 * Members keep their stored order. Numbers take JavaScript's shortest form
 * (gr_js_number_format()), so 0.1 is not 0.10000000000000001. With `indent`
 * above 0, each level is indented by that many spaces and keys are followed by
 * ": ". Strings escape quotes, backslashes and control characters and keep
 * other text as UTF-8. Nesting deeper than GR_JS_JSON_MAX_DEPTH is written as
 * null, so that a hostile document cannot exhaust the stack. Thread-safe.
 */
void gr_js_json_write(gr_buf *out, const json_t *value, int indent);

/** Deepest nesting that gr_js_json_write() writes out. */
#define GR_JS_JSON_MAX_DEPTH 256

#endif
