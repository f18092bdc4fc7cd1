/* SPDX-License-Identifier: MIT */
/* Module-internal parts of the YAML writer that the reader also uses. */
#ifndef GR_HOST_YAML_YAML_EMIT_H
#define GR_HOST_YAML_YAML_EMIT_H

#include <jansson.h>
#include <stddef.h>

#include "host/common/buf.h"

/**
 * Appends `value` as single-line flow YAML ("{ a: 1, b: [ x, y ] }"), the form
 * the `yaml` package gives a mapping key that is a collection.
 * NOTE: the `yaml` package writes each scalar as it was spelled in the source
 * (0x1f, Null, ''); this writes the resolved value (31, null, ""), so such keys
 * can differ.
 */
void gr_yaml__emit_flow(const json_t *value, gr_buf *out);

/** Appends `text` as a double-quoted YAML string, for messages that show a key. */
void gr_yaml__emit_key_text(const char *text, size_t len, gr_buf *out);

#endif
