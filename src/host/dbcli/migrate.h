/* SPDX-License-Identifier: MIT */
/* Applies the migrations of the host and of every built-in plugin, without serving. */
#ifndef GR_HOST_DBCLI_MIGRATE_H
#define GR_HOST_DBCLI_MIGRATE_H

#include <stdio.h>

#include "host/store/db.h"

typedef struct gr_config gr_config;

/**
 * Brings the schema of `db` to this binary's version: first the host's own
 * components (scheduler, auth), then every built-in plugin with a `migrate`
 * hook, in table order. The loader's hook applies the migrations that the
 * shared-library plugins under `plugins:` declare. No plugin's init or
 * setup runs, so no location is read or deleted, no thread starts and no
 * socket opens. Besides the schema, this creates the auth signing keys.
 * Writes one line per component to `progress` (NULL: nothing).
 * `db` and `cfg` are borrowed. Returns 0, or the first error, prefixed with
 * the component that failed. Not thread-safe against itself; run one at a
 * time per process.
 */
int gr_dbcli_migrate_all(gr_db *db, const gr_config *cfg, FILE *progress);

/**
 * Prints every component recorded in schema_migrations with its highest
 * version and the number of applied migrations, one per line, ordered by
 * component. Returns 0, or a database error.
 */
int gr_dbcli_print_versions(gr_db *db, FILE *out);

#endif
