/* SPDX-License-Identifier: MIT */
/* A host with a database and an HTTP server but no web UI, for adapter tests of plugins. */
#ifndef GR_TEST_PLUGIN_PLAIN_HOST_H
#define GR_TEST_PLUGIN_PLAIN_HOST_H

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/store/db.h"
#include "support/gr_test.h"

typedef struct {
    char *dir;
    char *db_path;
    gr_config_schema *schema;
    gr_config *config;
    struct gr_host host;
} plain_host;

/** Opens the database in a fresh folder and creates the server (not started yet). */
static inline void plain_host_open(plain_host *fx)
{
    gr_db_options db_options = {0};

    memset(fx, 0, sizeof(*fx));
    fx->dir = gr_test_tmpdir("plugin-plain");
    fx->db_path = gr_xasprintf("%s/plain.sqlite", fx->dir);
    db_options.path = fx->db_path;
    assert_int_equal(gr_config_schema_builtin(&fx->schema), GR_OK);
    assert_int_equal(gr_config_load(&fx->config, NULL, 0, fx->schema), GR_OK);
    fx->host.config = fx->config;
    fx->host.base_url = "http://127.0.0.1";
    fx->host.instance_id = "plain-test";
    assert_int_equal(gr_db_open(&fx->host.db, &db_options), GR_OK);
    assert_int_equal(gr_http_server_new(&fx->host.http, NULL), GR_OK);
}

/** Returns the URL of `path` on the started server (caller frees). */
static inline char *plain_host_url(const plain_host *fx, const char *path)
{
    return gr_xasprintf("http://127.0.0.1:%d%s", gr_http_server_port(fx->host.http), path);
}

/** Frees what plain_host_open() made; stop the server and destroy the plugins first. */
static inline void plain_host_close(plain_host *fx)
{
    gr_http_server_free(fx->host.http);
    gr_db_close(fx->host.db);
    gr_config_free(fx->config);
    gr_config_schema_free(fx->schema);
    gr_test_rmtree(fx->dir);
    free(fx->db_path);
    free(fx->dir);
}

#endif
