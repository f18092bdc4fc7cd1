/* SPDX-License-Identifier: MIT */
/* Test harness: temporary folders, running the binary, a real server on loopback. */
#ifndef GR_TEST_H
#define GR_TEST_H

#include <stddef.h>

#include "host/store/db.h"

/** Result of a finished process or HTTP exchange; free with gr_test_output_free(). */
typedef struct {
    int status;   /* exit status, or HTTP status code */
    char *out;    /* stdout, or the response body */
    char *err;    /* stderr, or the response headers */
    size_t out_len;
} gr_test_output;

void gr_test_output_free(gr_test_output *output);

/** Creates a fresh empty folder under $TMPDIR; caller frees the path. */
char *gr_test_tmpdir(const char *prefix);

/** Removes a folder tree made by gr_test_tmpdir(). */
void gr_test_rmtree(const char *path);

/** Writes `text` to dir/name, creating parent folders. Aborts the test on failure. */
void gr_test_write_file(const char *dir, const char *name, const char *text);

/** Callback of gr_test_each_yaml_file(): a file's path and its contents (NUL-terminated). */
typedef void (*gr_test_file_fn)(const char *path, const char *text, size_t len, void *payload);

/**
 * Calls `fn` for each file under `dir` (recursively) whose name ends in .yaml
 * or .yml, in readdir order, and returns how many it read. Aborts when a
 * folder or file cannot be read.
 */
size_t gr_test_each_yaml_file(const char *dir, gr_test_file_fn fn, void *payload);

/** Path of the greenroom binary under test ($GREENROOM_BIN). Borrowed. */
const char *gr_test_binary(void);

/**
 * Runs the greenroom binary with `argv` (NULL-terminated, without argv[0])
 * in folder `cwd` (NULL: current). Captures stdout and stderr.
 */
gr_test_output gr_test_run(const char *cwd, const char *const *argv);

/** A greenroom server process started by the test. */
typedef struct {
    int pid;
    int port;
    char *base_url;     /* http://127.0.0.1:PORT */
    char *log_path;     /* its stderr */
    char *database_url; /* PostgreSQL database given to it under GR_TEST_DB=pg, else NULL */
    char *overlay_path; /* config file that selects that database, else NULL */
} gr_test_server;

/**
 * Starts `greenroom serve --config CONFIG` in `cwd` on a free port (passed as
 * GREENROOM_PORT in the environment; the config must use ${GREENROOM_PORT})
 * and waits until readiness answers 200 (at most `timeout_ms`).
 *
 * With GR_TEST_DB=pg in the environment, the server gets a PostgreSQL
 * database on the server named by GR_TEST_PG_URL instead of the config's
 * SQLite file, through a second --config file: one database per test
 * program and `cwd`, so a restart in the same folder finds its data. The
 * databases are dropped when the program exits. A config that chooses
 * client pg itself is left alone.
 * Returns 0, or -1 when it did not become ready (its log is printed).
 */
int gr_test_server_start(gr_test_server *server, const char *cwd, const char *config_path,
                         int timeout_ms);

/**
 * Returns the connection string of the PostgreSQL database the server was
 * given under GR_TEST_DB=pg (borrowed), or NULL when it uses its config's
 * database. Tests that read the server's database directly open this one.
 */
const char *gr_test_server_database(const gr_test_server *server);

/**
 * Opens the database of `server`: the PostgreSQL database of
 * gr_test_server_database(), else the SQLite file `sqlite_path`. Stores the
 * handle in *out (close it with gr_db_close()). Returns 0, or the error of
 * gr_db_open() with its message set.
 */
int gr_test_server_db_open(const gr_test_server *server, const char *sqlite_path, gr_db **out);

/**
 * Like gr_test_server_start() with several config files (NULL-terminated),
 * passed in order as `--config` arguments, later ones winning. Under
 * GR_TEST_DB=pg the database overlay comes last.
 */
int gr_test_server_start_configs(gr_test_server *server, const char *cwd,
                                 const char *const *config_paths, int timeout_ms);

/** Connects a TCP socket to 127.0.0.1:`port`. Returns the socket, or -1. */
int gr_test_connect_local(int port);

/** Sends SIGTERM, waits for exit; returns the exit status (or -1). */
int gr_test_server_stop(gr_test_server *server);

/**
 * Sends one HTTP request. `headers` is NULL-terminated ("Name: value") or NULL;
 * `body` may be NULL. status holds the HTTP status (0 on a transport error).
 */
gr_test_output gr_test_http(const char *method, const char *url, const char *const *headers,
                            const char *body);

/** Sends one HTTP request whose body is `body_len` bytes that may include NUL bytes. */
gr_test_output gr_test_http_bytes(const char *method, const char *url,
                                  const char *const *headers, const char *body, size_t body_len);

/** Returns a free TCP port on 127.0.0.1. */
int gr_test_free_port(void);

#endif
