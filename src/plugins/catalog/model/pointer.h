/* SPDX-License-Identifier: MIT */
/* JSON pointers (RFC 6901) built while walking an entity. */
#ifndef GR_PLUGINS_CATALOG_MODEL_POINTER_H
#define GR_PLUGINS_CATALOG_MODEL_POINTER_H

#include <stddef.h>

#include "host/common/buf.h"

/** Appends "/" and `segment` to `pointer`, escaping '~' as "~0" and '/' as "~1". */
void gr_model_pointer_push(gr_buf *pointer, const char *segment);

/** Appends "/" and the decimal `index`. */
void gr_model_pointer_push_index(gr_buf *pointer, size_t index);

/** Cuts `pointer` back to `len` bytes (a length saved before a push). */
void gr_model_pointer_pop(gr_buf *pointer, size_t len);

#endif
