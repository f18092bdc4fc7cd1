/* SPDX-License-Identifier: MIT */
/* Turns `backend.database` into options for gr_db_open(). */
#include "host/serve/db_options.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"

#define SERVE_DB_DEFAULT_PATH "./data/greenroom.sqlite"

static int serve_db_is_pg(const char *client)
{
    return strcmp(client, "pg") == 0 || strcmp(client, "postgres") == 0 ||
           strcmp(client, "postgresql") == 0;
}

/* Appends key='value' to a libpq conninfo string, escaping as libpq wants. */
static void serve_db_conninfo_add(gr_buf *out, const char *key, const json_t *value)
{
    char number[32];
    const char *text = json_string_value(value);

    if (json_is_integer(value)) {
        snprintf(number, sizeof(number), "%lld", (long long)json_integer_value(value));
        text = number;
    }
    if (text == NULL)
        return;

    gr_buf_printf(out, "%s%s='", out->len ? " " : "", key);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\'' || *p == '\\')
            gr_buf_putc(out, '\\');
        gr_buf_putc(out, *p);
    }
    gr_buf_putc(out, '\'');
}

static char *serve_db_pg_conninfo(const json_t *connection)
{
    static const char *const keys[][2] = {
        {"host", "host"},         {"port", "port"},
        {"user", "user"},         {"password", "password"},
        {"database", "dbname"},   {"sslmode", "sslmode"},
        {"application_name", "application_name"},
    };
    gr_buf out = GR_BUF_INIT;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        serve_db_conninfo_add(&out, keys[i][1], json_object_get(connection, keys[i][0]));
    return gr_buf_detach(&out);
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
        if (json_is_string(connection))
            storage->connection = gr_xstrdup(json_string_value(connection));
        else if (json_is_object(connection))
            storage->connection = serve_db_pg_conninfo(connection);
        else
            return gr_error_set(GR_EINVALID, "backend.database.connection: client 'pg' needs "
                                "a connection string or an object with host, user and database");
        opts->connection = storage->connection;
        return 0;
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
