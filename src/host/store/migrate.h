/* SPDX-License-Identifier: MIT */
/* Versioned schema migrations, recorded per component in schema_migrations. */
#ifndef GR_HOST_STORE_MIGRATE_H
#define GR_HOST_STORE_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include "host/store/db.h"

/* One schema change. The SQL may hold several statements. It runs inside a
 * transaction, so statements that refuse one (PostgreSQL's CREATE INDEX
 * CONCURRENTLY, SQLite's VACUUM) cannot be used. */
typedef struct {
    int version;             /* > 0, strictly increasing within a component */
    const char *description; /* short, recorded with the version */
    const char *sql;         /* for every engine that has no variant below */
    const char *sql_sqlite;  /* SQLite variant, or NULL */
    const char *sql_pg;      /* PostgreSQL variant, or NULL */
} gr_db_migration;

/* Key of the PostgreSQL advisory lock held while migrations run ("grmg"). */
#define GR_DB_MIGRATION_LOCK_KEY 0x67726d67

/**
 * Applies the migrations of `component` (e.g. "catalog") that the database
 * has not recorded yet, in order, each in its own transaction together with
 * its row in schema_migrations(component, version, description, applied_at).
 * Versions up to the highest recorded one count as applied. On PostgreSQL an
 * advisory lock makes instances that start together take turns. On SQLite
 * each migration re-reads the version after BEGIN IMMEDIATE.
 * `migrations` is borrowed and ordered by version.
 * Returns 0, or GR_EINVALID for a malformed list or when the database is at
 * a version newer than the last one in the list. When a migration fails, it
 * is rolled back and its error is returned, prefixed with its component,
 * version and description. Thread-safe.
 */
int gr_db_migrate(gr_db *db, const char *component, const gr_db_migration *migrations,
                  size_t count);

/**
 * Reads the highest applied migration version of `component` into *out
 * (0 when none is recorded). Returns 0 or an error from the database.
 */
int gr_db_schema_version(gr_db *db, const char *component, int64_t *out);

#endif
