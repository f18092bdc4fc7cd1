/* SPDX-License-Identifier: MIT */
/* Published docs sites: the site index and the files, in the database or in a folder. */
#ifndef GR_PLUGINS_TECHDOCS_STORE_H
#define GR_PLUGINS_TECHDOCS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "host/store/db.h"
#include "plugins/techdocs/entity.h"

/*
 * Every published site has a row in techdocs_sites (entity_ref, the
 * generation being served, where it came from, the source hash it was built
 * from, the metadata etag). Its files live either
 *   - in techdocs_files (path, content type, etag, content) under the
 *     generation, so every instance sharing the database serves the same
 *     docs; a publish writes a new generation, then switches the site row to
 *     it and deletes the old one in one transaction, or
 *   - under a folder, at <folder>/<namespace>/<kind>/<name>/ as Backstage's
 *     local publisher lays them out; that path is a symbolic link to
 *     <name>.g<generation> switched with one rename, so readers never see a
 *     half-written site.
 */

typedef struct gr_techdocs_store gr_techdocs_store;

typedef enum {
    GR_TECHDOCS_STORE_DATABASE = 1,
    GR_TECHDOCS_STORE_FOLDER = 2,
} gr_techdocs_store_kind;

/** Maximum number of files in one published site. */
#define GR_TECHDOCS_MAX_SITE_FILES 100000
/** Maximum size of one published file, in bytes. */
#define GR_TECHDOCS_MAX_SITE_FILE_BYTES ((size_t)64 << 20)
/** Files written per transaction while publishing to the database. */
#define GR_TECHDOCS_PUBLISH_BATCH_FILES 256
/** Bytes written per transaction while publishing to the database (a batch ends after it). */
#define GR_TECHDOCS_PUBLISH_BATCH_BYTES ((size_t)16 << 20)

/** A site row. Free with gr_techdocs_site_free(). */
typedef struct {
    char *entity_ref;
    int64_t generation;
    char *origin;      /* "build" (built by greenroom) or "publish" (`techdocs publish`) */
    char *source_hash; /* the hash of the docs source it was built from; NULL for "publish" */
    char *etag;        /* techdocs_metadata.json's etag, or NULL */
    char *site_name;
    int64_t build_timestamp;
    int64_t published_at; /* ms since the epoch */
} gr_techdocs_site;

/** A file read from a site. Free with gr_techdocs_blob_free(). */
typedef struct {
    char *content_type;
    char *etag;          /* without quotes */
    unsigned char *data; /* NULL when not asked for; NUL-terminated otherwise */
    size_t size;
} gr_techdocs_blob;

/** The component under which the host records the techdocs plugin's migrations. */
#define GR_TECHDOCS_MIGRATION_COMPONENT "plugin:techdocs"

/**
 * Opens the store on `db`, whose TechDocs tables the plugin's migrations
 * made (gr_techdocs_migrate() in plugins/techdocs/plugin.h). `folder`
 * (copied) is required for GR_TECHDOCS_STORE_FOLDER and created when
 * missing. `db` is borrowed and must outlive the store. Returns GR_OK and
 * *out (free with gr_techdocs_store_free()), GR_EINVALID (also for a
 * database without the tables) or GR_EBACKEND.
 */
int gr_techdocs_store_new(gr_techdocs_store **out, gr_db *db, gr_techdocs_store_kind kind,
                          const char *folder);

/** Frees the store. NULL-safe. */
void gr_techdocs_store_free(gr_techdocs_store *store);

/**
 * Publishes every regular file under `site_dir` as the new content of the
 * site of `triplet`; names starting with '.' and symbolic links are left
 * out. `origin` is "build" or "publish"; the HTML files of a "publish"
 * site were made by another tool, so they are stored after going through
 * the Markdown sanitizer. `source_hash` may be NULL. The
 * caller holds the build lease of the site (see lease.h), so that two
 * publishes of one site never interleave. Stores the new generation in
 * *generation_out (may be NULL). Returns GR_OK; GR_ELIMIT past
 * GR_TECHDOCS_MAX_SITE_FILES or GR_TECHDOCS_MAX_SITE_FILE_BYTES; GR_EINVALID
 * when `site_dir` has no index.html; GR_EBACKEND for a read, write or
 * database failure (the previous site keeps being served). Thread-safe.
 */
int gr_techdocs_store_publish(gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                              const char *site_dir, const char *origin, const char *source_hash,
                              int64_t *generation_out);

/**
 * Reads the site row of `entity_ref` (lower case). Returns GR_OK,
 * GR_ENOTFOUND when no site was published or when its files are not in this
 * store (it was published before techdocs.publisher changed), or a database
 * error.
 */
int gr_techdocs_store_site(gr_techdocs_store *store, const char *entity_ref,
                           gr_techdocs_site *out);

/**
 * Reads the file `path` (already normalized: no ".", ".." or empty segments,
 * no leading '/') of the site of `triplet`. With `with_data` zero only the
 * content type, etag and size are read. Returns GR_OK, GR_ENOTFOUND when
 * the site or file does not exist, or GR_EBACKEND. Thread-safe.
 */
int gr_techdocs_store_read(gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                           const char *path, int with_data, gr_techdocs_blob *out);

/** Frees the strings of `site`. NULL-safe. */
void gr_techdocs_site_free(gr_techdocs_site *site);

/** Frees what `blob` holds. NULL-safe. */
void gr_techdocs_blob_free(gr_techdocs_blob *blob);

#endif
