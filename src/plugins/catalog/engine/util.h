/* SPDX-License-Identifier: MIT */
/* Small helpers of the catalog engine: time, ids, hashes, location references, globs. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_UTIL_H
#define GR_PLUGINS_CATALOG_ENGINE_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/common/buf.h"

/** Length of a lower-case hex SHA-1 digest plus the NUL. */
#define GR_CATALOG_HASH_SIZE 41
/** Length of a UUID in text form plus the NUL. */
#define GR_CATALOG_UUID_SIZE 37

/* Annotations the engine writes besides the location ones of model/location.h,
 * as in @backstage/catalog-model. */
#define GR_ANNOTATION_VIEW_URL "backstage.io/view-url"
#define GR_ANNOTATION_EDIT_URL "backstage.io/edit-url"
#define GR_ANNOTATION_SOURCE_LOCATION "backstage.io/source-location"
#define GR_ANNOTATION_ORPHAN "backstage.io/orphan"

/** Returns the wall-clock time in milliseconds since the Unix epoch. */
int64_t gr_catalog__now_ms(void);

/** Writes a time-ordered random UUID (version 7) into `out`. */
void gr_catalog__uuid(char out[GR_CATALOG_UUID_SIZE]);

/** Writes the lower-case hex SHA-1 of `data` into `out`. */
void gr_catalog__sha1_hex(const void *data, size_t len, char out[GR_CATALOG_HASH_SIZE]);

/**
 * A SHA-1 over text appended piece by piece: `text` collects the pieces and
 * gr_catalog__sha1_flush() hashes and empties it, so a large input (the
 * children of a Location emitting 100,000 entities) is never held whole.
 */
typedef struct {
    void *context; /* EVP_MD_CTX */
    gr_buf text;
} gr_catalog_sha1;

/** Starts a hash. Aborts when OpenSSL cannot provide SHA-1, as on out of memory. */
void gr_catalog__sha1_begin(gr_catalog_sha1 *hash);

/** Hashes and empties `text` once it has grown past a few dozen KiB. */
void gr_catalog__sha1_flush(gr_catalog_sha1 *hash);

/** Hashes what is left, writes the lower-case hex digest into `out` and frees the hash. */
void gr_catalog__sha1_end(gr_catalog_sha1 *hash, char out[GR_CATALOG_HASH_SIZE]);

/**
 * Serializes `value` as compact JSON with object keys sorted, so that equal
 * trees give equal text whatever their key order. Caller frees.
 */
char *gr_catalog__stable_json(const json_t *value);

/** Writes the SHA-1 of gr_catalog__stable_json(value) into `out`. */
void gr_catalog__stable_hash(const json_t *value, char out[GR_CATALOG_HASH_SIZE]);

/** Serializes `value` as compact JSON in its own key order. Caller frees. */
char *gr_catalog__json_text(const json_t *value);

/** Lower-cases ASCII letters of `text` in place and returns it. */
char *gr_catalog__ascii_lower(char *text);

/**
 * Splits a location reference "type:target" (as in the managed-by-location
 * annotation) at the first ':'. Stores caller-owned copies. Returns 0, or
 * GR_EINVALID when there is no ':' or either side is empty.
 */
int gr_catalog__location_ref_parse(const char *ref, char **type, char **target);

/**
 * Returns the name Backstage gives the Location entity of a registered
 * location: "generated-" and the SHA-1 of "type:target". Caller frees.
 */
char *gr_catalog__location_entity_name(const char *type, const char *target);

/**
 * Matches `text` against a glob `pattern`: `*` is any run of characters
 * without '/', `**` as a whole path segment any run of segments (also none),
 * `?` one character but '/', `[abc]`, `[a-z]` and `[!a]` one character of a
 * set. As in node-glob without its `dot` option, which Backstage's file
 * locations use, a segment of `text` that begins with '.' (".github") is
 * matched only by a pattern segment that begins with a literal '.', and `**`
 * does not cross it.
 */
bool gr_catalog__glob_match(const char *pattern, const char *text, bool ignore_case);

/**
 * Matches as gr_catalog__glob_match(), except that wildcards also match a
 * leading '.', as minimatch's `dot` option does for Backstage's catalog rules.
 */
bool gr_catalog__glob_match_dots(const char *pattern, const char *text, bool ignore_case);

/** Sorts like qsort(), and accepts an empty or NULL array (which qsort() must not get). */
void gr_catalog__sort(void *base, size_t count, size_t size,
                      int (*compare)(const void *, const void *));

/** Returns true when `text` contains a glob special character (`*`, `?` or `[`). */
bool gr_catalog__has_glob(const char *text);

/** Returns the folder of an absolute file pattern before its first segment with a glob
 * character, or the folder of a path without one ("/" at the top). Caller frees. */
char *gr_catalog__glob_root(const char *pattern);

#endif
