/* SPDX-License-Identifier: MIT */
/* Masking secrets in task logs and events: every occurrence of a secret value becomes "***". */
#ifndef GR_SCAFFOLDER_MASK_H
#define GR_SCAFFOLDER_MASK_H

#include <jansson.h>

/** The text that replaces a secret. */
#define GR_SCAFFOLDER_MASK "***"

/** Maximum number of secret values one mask holds; later ones are ignored with a warning. */
#define GR_SCAFFOLDER_MAX_SECRETS 256

typedef struct gr_scaffolder_mask gr_scaffolder_mask;

/** Creates an empty mask. Caller frees with gr_scaffolder_mask_free(). */
gr_scaffolder_mask *gr_scaffolder_mask_new(void);

void gr_scaffolder_mask_free(gr_scaffolder_mask *mask);

/**
 * Adds a secret value. Empty strings are ignored. Every string inside an
 * object or array is added with gr_scaffolder_mask_add_json(). Not
 * thread-safe: one task adds and masks on its own thread.
 */
void gr_scaffolder_mask_add(gr_scaffolder_mask *mask, const char *secret);
void gr_scaffolder_mask_add_json(gr_scaffolder_mask *mask, const json_t *value);

/** Returns `text` with every secret replaced by GR_SCAFFOLDER_MASK. Caller frees. */
char *gr_scaffolder_mask_text(const gr_scaffolder_mask *mask, const char *text);

/**
 * Returns a deep copy of `value` in which every string (keys included) is
 * masked. A new reference.
 */
json_t *gr_scaffolder_mask_json(const gr_scaffolder_mask *mask, const json_t *value);

#endif
