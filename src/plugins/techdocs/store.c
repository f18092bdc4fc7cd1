/* SPDX-License-Identifier: MIT */
/* Published docs sites: the site index and the files, in the database or in a folder. */
#include "plugins/techdocs/store.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/migrate.h"
#include "plugins/techdocs/build/sanitize.h"
#include "plugins/techdocs/files.h"
#include "plugins/techdocs/mime.h"

struct gr_techdocs_store {
    gr_db *db;
    gr_techdocs_store_kind kind;
    char *folder;
};

/* The fields of techdocs_metadata.json that the site row keeps. */
typedef struct {
    char *etag;
    char *site_name;
    int64_t build_timestamp;
} site_metadata;

/* Fails with a clear message when the plugin's migrations have not run on `db`: the host
 * applies them before the plugin's setup, and commands call gr_techdocs_migrate(). */
static int check_schema(gr_db *db)
{
    int64_t version = 0;
    int rc = gr_db_schema_version(db, GR_TECHDOCS_MIGRATION_COMPONENT, &version);

    if (rc == GR_OK && version == 0)
        rc = gr_error_set(GR_EINVALID, "the TechDocs tables are missing: run `greenroom db "
                                       "migrate` or start `greenroom serve`, which create them");
    return rc;
}

int gr_techdocs_store_new(gr_techdocs_store **out, gr_db *db, gr_techdocs_store_kind kind,
                          const char *folder)
{
    gr_techdocs_store *store;
    int rc;

    *out = NULL;
    if (kind == GR_TECHDOCS_STORE_FOLDER && (folder == NULL || folder[0] == '\0'))
        return gr_error_set(GR_EINVALID, "the local publisher needs "
                                         "techdocs.publisher.local.publishDirectory");
    if ((rc = check_schema(db)) != GR_OK)
        return rc;
    if (kind == GR_TECHDOCS_STORE_FOLDER && (rc = gr_techdocs_make_dirs(folder)) != GR_OK)
        return rc;
    store = gr_xcalloc(1, sizeof(*store));
    store->db = db;
    store->kind = kind;
    store->folder = folder ? gr_xstrdup(folder) : NULL;
    *out = store;
    return GR_OK;
}

void gr_techdocs_store_free(gr_techdocs_store *store)
{
    if (store == NULL)
        return;
    free(store->folder);
    free(store);
}

/* Reads one file of a site being published. HTML of sites built elsewhere
 * goes through the sanitizer, because the docs pages embed it.
 * TODO: a page built by MkDocs is a whole document with its theme. Keep
 * only its main content (Material's article.md-content__inner), so that the
 * docs page does not embed a second header and nav. */
static int load_site_file(const char *site_dir, const char *rel, int sanitize, unsigned char **data,
                          size_t *size)
{
    char *path = gr_xasprintf("%s/%s", site_dir, rel);
    size_t len = strlen(rel);
    int rc = gr_techdocs_read_file(path, GR_TECHDOCS_MAX_SITE_FILE_BYTES, data, size);

    free(path);
    if (rc == GR_OK && sanitize && len > 5 && strcmp(rel + len - 5, ".html") == 0) {
        gr_techdocs_sanitizer sanitizer = GR_TECHDOCS_SANITIZER_INIT;
        gr_buf clean = GR_BUF_INIT;

        gr_techdocs_sanitize_feed(&sanitizer, (const char *)*data, *size, &clean);
        gr_techdocs_sanitize_finish(&sanitizer, &clean);
        free(*data);
        *size = clean.len;
        *data = (unsigned char *)(clean.data ? gr_buf_detach(&clean) : gr_xstrdup(""));
    }
    return rc;
}

static void read_metadata(const char *site_dir, site_metadata *out)
{
    char *path = gr_xasprintf("%s/techdocs_metadata.json", site_dir);
    json_t *root = json_load_file(path, 0, NULL);
    json_t *timestamp = json_object_get(root, "build_timestamp");
    const char *etag = json_string_value(json_object_get(root, "etag"));
    const char *name = json_string_value(json_object_get(root, "site_name"));

    memset(out, 0, sizeof(*out));
    out->etag = etag ? gr_xstrdup(etag) : NULL;
    out->site_name = name ? gr_xstrdup(name) : NULL;
    out->build_timestamp = json_is_integer(timestamp) ? (int64_t)json_integer_value(timestamp) : 0;
    json_decref(root);
    free(path);
}

static void site_metadata_free(site_metadata *metadata)
{
    free(metadata->etag);
    free(metadata->site_name);
}

/* Highest generation the site row or any stored file has, so a new one is unused. */
static int last_generation(gr_db_conn *conn, const char *entity_ref, int64_t *out)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn,
                           "SELECT COALESCE(MAX(generation), 0) FROM ("
                           " SELECT generation FROM techdocs_sites WHERE entity_ref = ?"
                           " UNION ALL"
                           " SELECT generation FROM techdocs_files WHERE entity_ref = ?) AS g",
                           &stmt);

    *out = 0;
    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, entity_ref);
        gr_db_bind_text(stmt, 2, entity_ref);
        rc = gr_db_step(stmt);
    }
    if (rc == GR_DB_ROW) {
        *out = gr_db_column_int64(stmt, 0);
        rc = GR_OK;
    } else if (rc == GR_DB_DONE) {
        rc = GR_OK;
    }
    gr_db_finalize(stmt);
    return rc;
}

static int write_site_row(gr_db_conn *conn, const gr_techdocs_triplet *triplet, int64_t generation,
                          const char *origin, const char *source_hash,
                          const site_metadata *metadata)
{
    gr_db_stmt *stmt = NULL;
    char *sql = gr_xasprintf(
        "INSERT INTO techdocs_sites (entity_ref, namespace, kind, name, generation, origin,"
        " source_hash, etag, site_name, build_timestamp, published_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, %s)"
        " ON CONFLICT (entity_ref) DO UPDATE SET generation = excluded.generation,"
        " origin = excluded.origin, source_hash = excluded.source_hash, etag = excluded.etag,"
        " site_name = excluded.site_name, build_timestamp = excluded.build_timestamp,"
        " published_at = excluded.published_at",
        gr_db_sql_now_ms(gr_db_conn_db(conn)));
    int rc = gr_db_prepare(conn, sql, &stmt);

    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, triplet->ref);
        gr_db_bind_text(stmt, 2, triplet->namespace);
        gr_db_bind_text(stmt, 3, triplet->kind);
        gr_db_bind_text(stmt, 4, triplet->name);
        gr_db_bind_int64(stmt, 5, generation);
        gr_db_bind_text(stmt, 6, origin);
        gr_db_bind_text(stmt, 7, source_hash);
        gr_db_bind_text(stmt, 8, metadata->etag);
        gr_db_bind_text(stmt, 9, metadata->site_name);
        gr_db_bind_int64(stmt, 10, metadata->build_timestamp);
        rc = gr_db_step(stmt);
        rc = rc == GR_DB_DONE ? GR_OK : rc;
    }
    gr_db_finalize(stmt);
    free(sql);
    return rc;
}

static int delete_files(gr_db_conn *conn, const char *entity_ref, int64_t generation, int keep)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn,
                           keep ? "DELETE FROM techdocs_files WHERE entity_ref = ? AND generation <> ?"
                                : "DELETE FROM techdocs_files WHERE entity_ref = ? AND generation = ?",
                           &stmt);

    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, entity_ref);
        gr_db_bind_int64(stmt, 2, generation);
        rc = gr_db_step(stmt);
        rc = rc == GR_DB_DONE ? GR_OK : rc;
    }
    gr_db_finalize(stmt);
    return rc;
}

static int insert_file(gr_db_conn *conn, const char *entity_ref, int64_t generation,
                       const char *path, const unsigned char *data, size_t size)
{
    gr_db_stmt *stmt = NULL;
    char etag[65];
    int rc = gr_db_prepare(conn,
                           "INSERT INTO techdocs_files (entity_ref, generation, path, content_type,"
                           " etag, size, content) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           &stmt);

    gr_techdocs_sha256_hex(data, size, etag);
    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, entity_ref);
        gr_db_bind_int64(stmt, 2, generation);
        gr_db_bind_text(stmt, 3, path);
        gr_db_bind_text(stmt, 4, gr_techdocs_content_type(path));
        gr_db_bind_text_len(stmt, 5, etag, 32);
        gr_db_bind_int64(stmt, 6, (int64_t)size);
        gr_db_bind_blob(stmt, 7, data, size);
        rc = gr_db_step(stmt);
        rc = rc == GR_DB_DONE ? GR_OK : rc;
    }
    gr_db_finalize(stmt);
    return rc;
}

/* Writes files [*next, end of list) in one transaction until a batch limit is reached. */
static int insert_batch(gr_techdocs_store *store, const char *entity_ref, int64_t generation,
                        const char *site_dir, const gr_techdocs_paths *paths, int sanitize,
                        size_t *next)
{
    gr_db_conn *conn = NULL;
    size_t files = 0;
    size_t bytes = 0;
    int rc = gr_db_acquire(store->db, GR_DB_WRITE, &conn);

    if (rc == GR_OK)
        rc = gr_db_begin(conn);
    while (rc == GR_OK && *next < paths->count && files < GR_TECHDOCS_PUBLISH_BATCH_FILES &&
           bytes < GR_TECHDOCS_PUBLISH_BATCH_BYTES) {
        unsigned char *data = NULL;
        size_t size = 0;

        rc = load_site_file(site_dir, paths->paths[*next], sanitize, &data, &size);
        if (rc == GR_OK)
            rc = insert_file(conn, entity_ref, generation, paths->paths[*next], data, size);
        free(data);
        files++;
        bytes += size;
        (*next)++;
    }
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    else if (conn != NULL)
        gr_db_rollback(conn);
    gr_db_release(conn);
    return rc;
}

static int switch_generation(gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                             int64_t generation, const char *origin, const char *source_hash,
                             const site_metadata *metadata, int delete_old)
{
    gr_db_conn *conn = NULL;
    int rc = gr_db_acquire(store->db, GR_DB_WRITE, &conn);

    if (rc == GR_OK)
        rc = gr_db_begin(conn);
    if (rc == GR_OK)
        rc = write_site_row(conn, triplet, generation, origin, source_hash, metadata);
    if (rc == GR_OK && delete_old)
        rc = delete_files(conn, triplet->ref, generation, 1);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    else if (conn != NULL)
        gr_db_rollback(conn);
    gr_db_release(conn);
    return rc;
}

static int next_generation(gr_techdocs_store *store, const char *entity_ref, int64_t *out)
{
    gr_db_conn *conn = NULL;
    int rc = gr_db_acquire(store->db, GR_DB_READ, &conn);

    if (rc == GR_OK)
        rc = last_generation(conn, entity_ref, out);
    gr_db_release(conn);
    (*out)++;
    return rc;
}

static void discard_generation(gr_techdocs_store *store, const char *entity_ref, int64_t generation)
{
    gr_db_conn *conn = NULL;

    if (gr_db_acquire(store->db, GR_DB_WRITE, &conn) == GR_OK)
        delete_files(conn, entity_ref, generation, 0);
    gr_db_release(conn);
}

static int publish_database(gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                            const char *site_dir, const gr_techdocs_paths *paths,
                            const char *origin, const char *source_hash,
                            const site_metadata *metadata, int64_t generation)
{
    size_t next = 0;
    int rc = GR_OK;

    while (rc == GR_OK && next < paths->count)
        rc = insert_batch(store, triplet->ref, generation, site_dir, paths,
                          strcmp(origin, "publish") == 0, &next);
    if (rc == GR_OK)
        rc = switch_generation(store, triplet, generation, origin, source_hash, metadata, 1);
    if (rc != GR_OK) {
        char message[GR_ERROR_MAX];

        snprintf(message, sizeof(message), "%s", gr_error_last());
        discard_generation(store, triplet->ref, generation);
        gr_error_set(rc, "%s", message);
    }
    return rc;
}

/* The folder of a site's generation: a hidden name no entity name can take. */
static char *generation_dir(const gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                            int64_t generation)
{
    return gr_xasprintf("%s/%s/%s/.%s.g%lld", store->folder, triplet->namespace, triplet->kind,
                        triplet->name, (long long)generation);
}

static int copy_site(const char *site_dir, const gr_techdocs_paths *paths, int sanitize,
                     const char *dest)
{
    int rc = gr_techdocs_make_dirs(dest);

    for (size_t i = 0; rc == GR_OK && i < paths->count; i++) {
        char *to = gr_xasprintf("%s/%s", dest, paths->paths[i]);
        unsigned char *data = NULL;
        size_t size = 0;

        rc = load_site_file(site_dir, paths->paths[i], sanitize, &data, &size);
        if (rc == GR_OK)
            rc = gr_techdocs_write_file(to, data, size);
        free(data);
        free(to);
    }
    return rc;
}

/* Points <name> at the generation folder with one rename. A real folder at
 * <name> (published by another tool) is moved aside first. */
static int swap_link(const gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                     int64_t generation, char **previous)
{
    char *base = gr_xasprintf("%s/%s/%s", store->folder, triplet->namespace, triplet->kind);
    char *link = gr_xasprintf("%s/%s", base, triplet->name);
    char *temp = gr_xasprintf("%s/.%s.link", base, triplet->name);
    char *target = gr_xasprintf(".%s.g%lld", triplet->name, (long long)generation);
    char current[PATH_MAX];
    ssize_t len = readlink(link, current, sizeof(current) - 1);
    int rc = GR_OK;

    *previous = NULL;
    if (len > 0) {
        current[len] = '\0';
        if (strchr(current, '/') == NULL && current[0] == '.')
            *previous = gr_xasprintf("%s/%s", base, current);
    }
    unlink(temp);
    if (symlink(target, temp) != 0) {
        rc = gr_error_set(GR_EBACKEND, "%s: cannot create link: %s", temp, strerror(errno));
    } else if (rename(temp, link) != 0) {
        char *aside = gr_xasprintf("%s/.%s.replaced", base, triplet->name);

        gr_techdocs_remove_tree(aside);
        if (rename(link, aside) != 0 || rename(temp, link) != 0)
            rc = gr_error_set(GR_EBACKEND, "%s: cannot switch to the new site: %s", link,
                              strerror(errno));
        else
            gr_techdocs_remove_tree(aside);
        free(aside);
    }
    unlink(temp);
    free(base);
    free(link);
    free(temp);
    free(target);
    return rc;
}

static int publish_folder(gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                          const char *site_dir, const gr_techdocs_paths *paths,
                          const char *origin, const char *source_hash,
                          const site_metadata *metadata, int64_t generation)
{
    char *dest = generation_dir(store, triplet, generation);
    char *previous = NULL;
    struct stat st;
    int rc;

    /* A crashed publish may have left this generation's folder behind. */
    if (lstat(dest, &st) == 0)
        gr_techdocs_remove_tree(dest);
    rc = copy_site(site_dir, paths, strcmp(origin, "publish") == 0, dest);
    if (rc == GR_OK)
        rc = swap_link(store, triplet, generation, &previous);
    if (rc == GR_OK)
        rc = switch_generation(store, triplet, generation, origin, source_hash, metadata, 0);
    if (rc != GR_OK)
        gr_techdocs_remove_tree(dest);
    else if (previous != NULL && strcmp(previous, dest) != 0)
        gr_techdocs_remove_tree(previous);
    free(previous);
    free(dest);
    return rc;
}

int gr_techdocs_store_publish(gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                              const char *site_dir, const char *origin, const char *source_hash,
                              int64_t *generation_out)
{
    gr_techdocs_paths paths;
    site_metadata metadata;
    int64_t generation = 0;
    char *index = gr_xasprintf("%s/index.html", site_dir);
    int rc;

    if (access(index, R_OK) != 0) {
        rc = gr_error_set(GR_EINVALID, "%s has no index.html; is it a generated docs site?",
                          site_dir);
        free(index);
        return rc;
    }
    free(index);
    rc = gr_techdocs_list_files(site_dir, GR_TECHDOCS_MAX_SITE_FILES, &paths);
    if (rc != GR_OK)
        return rc;
    read_metadata(site_dir, &metadata);
    rc = next_generation(store, triplet->ref, &generation);
    if (rc == GR_OK && store->kind == GR_TECHDOCS_STORE_DATABASE)
        rc = publish_database(store, triplet, site_dir, &paths, origin, source_hash, &metadata,
                              generation);
    else if (rc == GR_OK)
        rc = publish_folder(store, triplet, site_dir, &paths, origin, source_hash, &metadata,
                            generation);
    if (rc == GR_OK && generation_out != NULL)
        *generation_out = generation;
    if (rc == GR_OK) {
        char count[32];
        char gen[32];

        snprintf(count, sizeof(count), "%zu", paths.count);
        snprintf(gen, sizeof(gen), "%lld", (long long)generation);
        gr_log_fields(GR_LOG_INFO, "techdocs", "site published", "entity", triplet->ref,
                      "files", count, "generation", gen, "origin", origin, NULL);
    }
    site_metadata_free(&metadata);
    gr_techdocs_paths_free(&paths);
    return rc;
}

/*
 * Returns whether this store has the files of a site row's generation. The row outlives a
 * change of techdocs.publisher.type, so a site published to the other store is missing here
 * and must be built again.
 */
static bool site_files_present(gr_techdocs_store *store, gr_db_conn *conn, gr_db_stmt *row)
{
    gr_db_stmt *stmt = NULL;
    bool present = false;

    if (store->kind == GR_TECHDOCS_STORE_FOLDER) {
        char *index =
            gr_xasprintf("%s/%s/%s/%s/index.html", store->folder, gr_db_column_text(row, 7),
                         gr_db_column_text(row, 8), gr_db_column_text(row, 9));

        present = access(index, R_OK) == 0;
        free(index);
        return present;
    }
    if (gr_db_prepare(conn,
                      "SELECT 1 FROM techdocs_files WHERE entity_ref = ? AND generation = ?"
                      " LIMIT 1",
                      &stmt) == GR_OK) {
        gr_db_bind_text(stmt, 1, gr_db_column_text(row, 10));
        gr_db_bind_int64(stmt, 2, gr_db_column_int64(row, 0));
        present = gr_db_step(stmt) == GR_DB_ROW;
    }
    gr_db_finalize(stmt);
    return present;
}

int gr_techdocs_store_site(gr_techdocs_store *store, const char *entity_ref, gr_techdocs_site *out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = gr_db_acquire(store->db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn,
                           "SELECT generation, origin, source_hash, etag, site_name,"
                           " build_timestamp, published_at, namespace, kind, name, entity_ref"
                           " FROM techdocs_sites WHERE entity_ref = ?",
                           &stmt);
    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, entity_ref);
        rc = gr_db_step(stmt);
    }
    if (rc == GR_DB_ROW && !site_files_present(store, conn, stmt)) {
        rc = gr_error_set(GR_ENOTFOUND,
                          "the docs site of %s was published to another store than "
                          "techdocs.publisher names now",
                          entity_ref);
    } else if (rc == GR_DB_ROW) {
        const char *hash = gr_db_column_text(stmt, 2);
        const char *etag = gr_db_column_text(stmt, 3);
        const char *name = gr_db_column_text(stmt, 4);

        out->entity_ref = gr_xstrdup(entity_ref);
        out->generation = gr_db_column_int64(stmt, 0);
        out->origin = gr_xstrdup(gr_db_column_text(stmt, 1));
        out->source_hash = hash ? gr_xstrdup(hash) : NULL;
        out->etag = etag ? gr_xstrdup(etag) : NULL;
        out->site_name = name ? gr_xstrdup(name) : NULL;
        out->build_timestamp = gr_db_column_int64(stmt, 5);
        out->published_at = gr_db_column_int64(stmt, 6);
        rc = GR_OK;
    } else if (rc == GR_DB_DONE) {
        rc = gr_error_set(GR_ENOTFOUND, "no docs site is published for %s", entity_ref);
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

static int read_database(gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                         const char *path, int with_data, gr_techdocs_blob *out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_acquire(store->db, GR_DB_READ, &conn);

    if (rc == GR_OK)
        rc = gr_db_prepare(conn,
                           with_data
                               ? "SELECT f.content_type, f.etag, f.size, f.content"
                                 " FROM techdocs_files f JOIN techdocs_sites s"
                                 " ON s.entity_ref = f.entity_ref AND s.generation = f.generation"
                                 " WHERE f.entity_ref = ? AND f.path = ?"
                               : "SELECT f.content_type, f.etag, f.size"
                                 " FROM techdocs_files f JOIN techdocs_sites s"
                                 " ON s.entity_ref = f.entity_ref AND s.generation = f.generation"
                                 " WHERE f.entity_ref = ? AND f.path = ?",
                           &stmt);
    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, triplet->ref);
        gr_db_bind_text(stmt, 2, path);
        rc = gr_db_step(stmt);
    }
    if (rc == GR_DB_ROW) {
        out->content_type = gr_xstrdup(gr_db_column_text(stmt, 0));
        out->etag = gr_xstrdup(gr_db_column_text(stmt, 1));
        out->size = (size_t)gr_db_column_int64(stmt, 2);
        if (with_data) {
            size_t len = 0;
            const void *blob = gr_db_column_blob(stmt, 3, &len);

            out->data = gr_xmalloc(len + 1);
            if (len > 0)
                memcpy(out->data, blob, len);
            out->data[len] = '\0';
            out->size = len;
        }
        rc = GR_OK;
    } else if (rc == GR_DB_DONE) {
        rc = gr_error_set(GR_ENOTFOUND, "%s is not found in the docs of %s", path, triplet->ref);
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

/* Reads from the folder, refusing files whose real path leaves the site. */
static int read_folder(gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                       const char *path, int with_data, gr_techdocs_blob *out)
{
    char *site = gr_xasprintf("%s/%s/%s/%s", store->folder, triplet->namespace, triplet->kind,
                              triplet->name);
    char *file = gr_xasprintf("%s/%s", site, path);
    char site_real[PATH_MAX];
    char file_real[PATH_MAX];
    struct stat st;
    size_t site_len;
    int rc = GR_OK;

    if (realpath(site, site_real) == NULL || realpath(file, file_real) == NULL ||
        stat(file_real, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = gr_error_set(GR_ENOTFOUND, "%s is not found in the docs of %s", path, triplet->ref);
        goto done;
    }
    site_len = strlen(site_real);
    if (strncmp(file_real, site_real, site_len) != 0 || file_real[site_len] != '/') {
        rc = gr_error_set(GR_ENOTFOUND, "%s is not found in the docs of %s", path, triplet->ref);
        goto done;
    }
    out->content_type = gr_xstrdup(gr_techdocs_content_type(path));
    out->etag = gr_xasprintf("%llx-%llx-%lx", (unsigned long long)st.st_size,
                             (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
                                 (unsigned long long)st.st_mtim.tv_nsec,
                             (unsigned long)st.st_ino);
    out->size = (size_t)st.st_size;
    if (with_data)
        rc = gr_techdocs_read_file(file_real, GR_TECHDOCS_MAX_SITE_FILE_BYTES, &out->data,
                                   &out->size);

done:
    free(site);
    free(file);
    return rc;
}

int gr_techdocs_store_read(gr_techdocs_store *store, const gr_techdocs_triplet *triplet,
                           const char *path, int with_data, gr_techdocs_blob *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (store->kind == GR_TECHDOCS_STORE_DATABASE)
        rc = read_database(store, triplet, path, with_data, out);
    else
        rc = read_folder(store, triplet, path, with_data, out);
    if (rc != GR_OK)
        gr_techdocs_blob_free(out);
    return rc;
}

void gr_techdocs_site_free(gr_techdocs_site *site)
{
    if (site == NULL)
        return;
    free(site->entity_ref);
    free(site->origin);
    free(site->source_hash);
    free(site->etag);
    free(site->site_name);
    memset(site, 0, sizeof(*site));
}

void gr_techdocs_blob_free(gr_techdocs_blob *blob)
{
    if (blob == NULL)
        return;
    free(blob->content_type);
    free(blob->etag);
    free(blob->data);
    memset(blob, 0, sizeof(*blob));
}
