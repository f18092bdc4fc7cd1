/* SPDX-License-Identifier: MIT */
/* Turns `backend.database` into options for gr_db_open(). */
#include "host/serve/db_options.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"

#define SERVE_DB_DEFAULT_PATH "./data/greenroom.sqlite"

/* Maximum number of different inline CA certificates one process hands to libpq. */
#define SERVE_DB_MAX_CA_FILES 8

/*
 * libpq reads its CA certificates from a file named by sslrootcert, on every
 * new connection, and the pool opens connections for as long as the process
 * runs. So a CA given inline as PEM text goes into a memory file that stays
 * open until exit, and libpq gets its /proc/self/fd/N path. The same text
 * reuses its file.
 */
static pthread_mutex_t ca_files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char *pem;
    int fd;
} ca_files[SERVE_DB_MAX_CA_FILES];
static size_t ca_file_count;

static int serve_db_is_pg(const char *client)
{
    return strcmp(client, "pg") == 0 || strcmp(client, "postgres") == 0 ||
           strcmp(client, "postgresql") == 0;
}

/* Appends key='text' to a libpq conninfo string, escaping as libpq wants. */
static void serve_db_conninfo_put(gr_buf *out, const char *key, const char *text)
{
    gr_buf_printf(out, "%s%s='", out->len ? " " : "", key);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\'' || *p == '\\')
            gr_buf_putc(out, '\\');
        gr_buf_putc(out, *p);
    }
    gr_buf_putc(out, '\'');
}

/* Appends a string or integer config value; other types are skipped. */
static void serve_db_conninfo_add(gr_buf *out, const char *key, const json_t *value)
{
    char number[32];
    const char *text = json_string_value(value);

    if (json_is_integer(value)) {
        snprintf(number, sizeof(number), "%lld", (long long)json_integer_value(value));
        text = number;
    }
    if (text != NULL)
        serve_db_conninfo_put(out, key, text);
}

/* Stores in `path` a file name libpq can read the PEM text `pem` from. */
static int serve_db_ca_file(const char *pem, char *path, size_t size)
{
    size_t len = strlen(pem);
    int fd = -1;
    int rc = GR_OK;

    pthread_mutex_lock(&ca_files_lock);
    for (size_t i = 0; i < ca_file_count && fd < 0; i++) {
        if (strcmp(ca_files[i].pem, pem) == 0)
            fd = ca_files[i].fd;
    }
    if (fd < 0 && ca_file_count == SERVE_DB_MAX_CA_FILES) {
        rc = gr_error_set(GR_ELIMIT, "backend.database.connection.ssl.ca: more than %d "
                          "different CA certificates in one process", SERVE_DB_MAX_CA_FILES);
        goto done;
    }
    if (fd < 0) {
        fd = memfd_create("greenroom-pg-ca", MFD_CLOEXEC);
        if (fd < 0 || write(fd, pem, len) != (ssize_t)len) {
            rc = gr_error_set(GR_EBACKEND, "backend.database.connection.ssl.ca: storing the "
                              "CA certificate for libpq failed: %s", strerror(errno));
            if (fd >= 0)
                close(fd);
            goto done;
        }
        ca_files[ca_file_count].pem = gr_xstrdup(pem);
        ca_files[ca_file_count].fd = fd;
        ca_file_count++;
    }
    snprintf(path, size, "/proc/self/fd/%d", fd);
done:
    pthread_mutex_unlock(&ca_files_lock);
    return rc;
}

/*
 * Turns Backstage's `connection.ssl` (node-postgres TLS options) into libpq
 * settings. true or {} verifies the server's certificate and host name
 * against the system's CA bundle; {ca} verifies against that CA instead (PEM
 * text, as `$file` reads it, or a file name); {rejectUnauthorized: false}
 * encrypts without verifying; false turns TLS off. An explicit `sslmode`
 * key wins over the mode chosen here.
 */
static int serve_db_pg_ssl(const json_t *connection, gr_buf *out)
{
    const json_t *ssl = json_object_get(connection, "ssl");
    const json_t *ca = json_object_get(ssl, "ca");
    const char *explicit_mode = json_string_value(json_object_get(connection, "sslmode"));
    char ca_path[64];
    int verify;
    int rc;

    if (ssl == NULL || json_is_null(ssl))
        return GR_OK;
    if (json_is_false(ssl)) {
        if (explicit_mode == NULL)
            serve_db_conninfo_put(out, "sslmode", "disable");
        return GR_OK;
    }
    verify = !json_is_false(json_object_get(ssl, "rejectUnauthorized"));
    if (explicit_mode == NULL)
        serve_db_conninfo_put(out, "sslmode", verify ? "verify-full" : "require");
    /* libpq verifies whenever a root certificate file is given, even with
     * sslmode=require, so none is given when verification is off. */
    if (!verify)
        return GR_OK;
    if (json_is_string(ca) && strncmp(json_string_value(ca), "-----BEGIN", 10) == 0) {
        if ((rc = serve_db_ca_file(json_string_value(ca), ca_path, sizeof(ca_path))) < 0)
            return rc;
        serve_db_conninfo_put(out, "sslrootcert", ca_path);
    } else if (json_is_string(ca)) {
        serve_db_conninfo_put(out, "sslrootcert", json_string_value(ca));
    } else {
        serve_db_conninfo_put(out, "sslrootcert", X509_get_default_cert_file());
    }
    return GR_OK;
}

static int serve_db_pg_conninfo(const json_t *connection, char **out_text)
{
    static const char *const keys[][2] = {
        {"host", "host"},         {"port", "port"},
        {"user", "user"},         {"password", "password"},
        {"database", "dbname"},   {"sslmode", "sslmode"},
        {"application_name", "application_name"},
    };
    gr_buf out = GR_BUF_INIT;
    int rc;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        serve_db_conninfo_add(&out, keys[i][1], json_object_get(connection, keys[i][0]));
    if ((rc = serve_db_pg_ssl(connection, &out)) < 0) {
        gr_buf_free(&out);
        return rc;
    }
    *out_text = gr_buf_detach(&out);
    return GR_OK;
}

int gr_serve_db_options(const gr_config *cfg, gr_db_options *opts, gr_serve_db_storage *storage)
{
    const char *client = gr_config_string(cfg, "backend.database.client", "better-sqlite3");
    const json_t *connection = gr_config_node(cfg, "backend.database.connection");

    memset(opts, 0, sizeof(*opts));
    memset(storage, 0, sizeof(*storage));
    opts->client = client;
    opts->pool_size = (int)gr_config_int(cfg, "backend.database.pool.max", 0);

    if (serve_db_is_pg(client)) {
        int rc = GR_OK;

        if (json_is_string(connection))
            storage->connection = gr_xstrdup(json_string_value(connection));
        else if (json_is_object(connection))
            rc = serve_db_pg_conninfo(connection, &storage->connection);
        else
            rc = gr_error_set(GR_EINVALID, "backend.database.connection: client 'pg' needs "
                              "a connection string or an object with host, user and database");
        opts->connection = storage->connection;
        return rc;
    }

    if (json_is_string(connection))
        storage->path = gr_xstrdup(json_string_value(connection));
    else if (json_is_object(connection) && json_is_string(json_object_get(connection, "filename")))
        storage->path = gr_xstrdup(json_string_value(json_object_get(connection, "filename")));
    else
        storage->path = gr_xstrdup(SERVE_DB_DEFAULT_PATH);
    opts->path = storage->path;
    return 0;
}

void gr_serve_db_storage_free(gr_serve_db_storage *storage)
{
    free(storage->path);
    free(storage->connection);
    storage->path = NULL;
    storage->connection = NULL;
}

/* Returns whether SQLite keeps the database `path` in memory: ":memory:", or a URI filename
 * (which Debian's SQLite reads) of ":memory:" or with mode=memory. */
static bool serve_db_in_memory(const char *path)
{
    const char *query;

    if (strcmp(path, ":memory:") == 0)
        return true;
    if (strncmp(path, "file:", 5) != 0)
        return false;
    if (strncmp(path + 5, ":memory:", 8) == 0)
        return true;
    query = strchr(path, '?');
    return query != NULL &&
           (strstr(query, "?mode=memory") == query || strstr(query, "&mode=memory") != NULL);
}

int gr_serve_db_check_shared(const gr_db_options *opts)
{
    bool sqlite = opts->client == NULL || !serve_db_is_pg(opts->client);

    if (sqlite && opts->path != NULL && serve_db_in_memory(opts->path))
        return gr_error_set(GR_EINVALID,
                            "backend.database.connection is '%s', a database in memory that "
                            "lives inside one process, so this command cannot read or change the "
                            "server's data. Give a file name to share it between commands",
                            opts->path);
    return GR_OK;
}
