/* SPDX-License-Identifier: MIT */
/* Heading ids made the way Python-Markdown's toc extension makes them. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_SLUG_H
#define GR_PLUGINS_TECHDOCS_BUILD_SLUG_H

#include <stddef.h>

/**
 * Turns heading text into an id as Python-Markdown 3.4's default `slugify`
 * does: Unicode NFKD, drop every non-ASCII byte, drop characters that are not
 * word characters, whitespace or '-', strip surrounding whitespace, lower-case,
 * then replace each run of whitespace and `separator` with one `separator`.
 * `text` is UTF-8 of `len` bytes; invalid UTF-8 sequences are dropped.
 * Returns a caller-freed string, possibly empty. Thread-safe.
 */
char *gr_techdocs_slugify(const char *text, size_t len, char separator);

/** The ids already used on one page. */
typedef struct gr_techdocs_idset gr_techdocs_idset;

/** Returns an empty set; free with gr_techdocs_idset_free(). */
gr_techdocs_idset *gr_techdocs_idset_new(void);

/** Frees the set. NULL-safe. */
void gr_techdocs_idset_free(gr_techdocs_idset *set);

/** Records `id` (copied) as used. */
void gr_techdocs_idset_add(gr_techdocs_idset *set, const char *id);

/** Returns nonzero when `id` was recorded. */
int gr_techdocs_idset_contains(const gr_techdocs_idset *set, const char *id);

/**
 * Makes `id` unique in `set` and records it, as Python-Markdown's `unique`
 * does: while the id is empty or taken, "x_N" becomes "x_N+1" and any other
 * "x" becomes "x_1". Returns a caller-freed string.
 */
char *gr_techdocs_idset_unique(gr_techdocs_idset *set, const char *id);

#endif
