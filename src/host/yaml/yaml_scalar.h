/* SPDX-License-Identifier: MIT */
/* Resolution of YAML scalars to typed values by the YAML 1.2 core schema. */
#ifndef GR_HOST_YAML_YAML_SCALAR_H
#define GR_HOST_YAML_YAML_SCALAR_H

#include <jansson.h>
#include <stddef.h>

#include "host/common/buf.h"

typedef enum {
    GR_YAML__STRING,
    GR_YAML__NULL,
    GR_YAML__BOOL,
    GR_YAML__NUMBER,
} gr_yaml__type;

/** A resolved scalar, holding what JavaScript would hold for it. */
typedef struct {
    gr_yaml__type type;
    int boolean;
    double number;     /* the JavaScript number (NaN and infinities included) */
    int exact;         /* the literal is an integer that fits in long long */
    long long integer; /* its exact value when `exact` is set */
} gr_yaml__value;

/** How the scalar was written: plain, or quoted / block (which are always strings untagged). */
typedef enum {
    GR_YAML__PLAIN,
    GR_YAML__QUOTED,
} gr_yaml__style;

/**
 * Resolves `text` (length `len`, may contain NUL) written in `style` with the
 * explicit tag `tag` (libyaml's full form, e.g. "tag:yaml.org,2002:int"; NULL
 * when untagged). Returns GR_OK, or GR_EINVALID for a YAML 1.1 tag that the
 * core schema does not resolve to JSON (binary, timestamp, set, omap, pairs);
 * the caller adds the position to the message, which is set without one.
 */
int gr_yaml__resolve(const char *text, size_t len, const char *tag, gr_yaml__style style,
                     gr_yaml__value *out);

/** Returns true when the plain scalar `text` would resolve to something other than a string. */
int gr_yaml__plain_is_typed(const char *text, size_t len);

/** Makes the JSON value for a resolved scalar (new reference; never NULL). */
json_t *gr_yaml__value_json(const gr_yaml__value *value, const char *text, size_t len);

/**
 * Appends the mapping-key form of a resolved scalar: JavaScript's String(value),
 * with "" for null, which is how the `yaml` package turns keys into object keys.
 */
void gr_yaml__value_key(const gr_yaml__value *value, const char *text, size_t len, gr_buf *out);

/** Size of the gr_yaml__format_number() buffer, including the NUL. */
#define GR_YAML__NUMBER_MAX 64

/** Formats a double like JavaScript's Number.prototype.toString(), with gr_js_number_format(). */
void gr_yaml__format_number(double number, char out[GR_YAML__NUMBER_MAX]);

#endif
