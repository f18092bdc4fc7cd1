/* SPDX-License-Identifier: MIT */
/* Turns `backend.database` into options for gr_db_open(). */
#ifndef GR_HOST_SERVE_DB_OPTIONS_H
#define GR_HOST_SERVE_DB_OPTIONS_H

#include "host/store/db.h"

typedef struct gr_config gr_config;

/** Strings that gr_db_options points into; freed after gr_db_open(). */
typedef struct {
    char *path;
    char *connection;
} gr_serve_db_storage;

/**
 * Fills `opts` from `backend.database`: `client` (better-sqlite3, sqlite3 or
 * pg), `connection` (a string — a file name for SQLite, a connection
 * string for PostgreSQL — or an object with filename, or host, port, user,
 * password, database, sslmode and Backstage's `ssl`) and `pool.max`.
 * SQLite defaults to ./data/greenroom.sqlite.
 * An inline `ssl.ca` certificate is kept in a memory file until the process
 * exits, because libpq reads it by file name on every connect.
 * Returns 0, GR_EINVALID naming the key, or GR_ELIMIT / GR_EBACKEND when an
 * inline CA certificate cannot be stored. Thread-safe.
 */
int gr_serve_db_options(const gr_config *cfg, gr_db_options *opts, gr_serve_db_storage *storage);

void gr_serve_db_storage_free(gr_serve_db_storage *storage);

/**
 * Returns 0 when `opts` names a database that other processes can open, or
 * GR_EINVALID for an SQLite database in memory (":memory:", or a "file:" URI
 * of ":memory:" or with mode=memory), which lives inside one process: a
 * command run beside the server would see none of the server's data, and its
 * own writes would be gone when it exits.
 */
int gr_serve_db_check_shared(const gr_db_options *opts);

#endif
