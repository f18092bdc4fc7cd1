/* SPDX-License-Identifier: MIT */
/* Versioned schema migrations, recorded per component in schema_migrations. */
#include "host/store/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/db_internal.h"

#define CREATE_TABLE_SQL                                                                           \
    "CREATE TABLE IF NOT EXISTS schema_migrations ("                                               \
    " component TEXT NOT NULL,"                                                                    \
    " version BIGINT NOT NULL,"                                                                    \
    " description TEXT NOT NULL,"                                                                  \
    " applied_at TEXT NOT NULL,"                                                                   \
    " PRIMARY KEY (component, version))"

#define VERSION_SQL                                                                                \
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?"

static const char *migration_sql(gr_db *db, const gr_db_migration *migration)
{
    const char *variant =
        gr_db_dialect(db) == GR_DB_POSTGRES ? migration->sql_pg : migration->sql_sqlite;

    return variant != NULL ? variant : migration->sql;
}

static int check_list(gr_db *db, const char *component, const gr_db_migration *migrations,
                      size_t count)
{
    if (component == NULL || component[0] == '\0')
        return gr_error_set(GR_EINVALID, "migrations need a component name");
    for (size_t i = 0; i < count; i++) {
        const gr_db_migration *migration = &migrations[i];

        if (migration->version <= 0 || (i > 0 && migration->version <= migrations[i - 1].version))
            return gr_error_set(GR_EINVALID,
                                "migration %zu of %s has version %d; versions must be positive "
                                "and increase strictly",
                                i, component, migration->version);
        if (migration->description == NULL || migration_sql(db, migration) == NULL)
            return gr_error_set(GR_EINVALID,
                                "migration %s version %d lacks a description or SQL for %s",
                                component, migration->version,
                                gr_db_dialect(db) == GR_DB_POSTGRES ? "PostgreSQL" : "SQLite");
    }
    return GR_OK;
}

static int read_version(gr_db_conn *conn, const char *component, int64_t *out)
{
    gr_db_stmt *stmt = NULL;
    int rc;

    rc = gr_db_prepare(conn, VERSION_SQL, &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, component);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        *out = gr_db_column_int64(stmt, 0);
        rc = GR_OK;
    } else if (rc == GR_DB_DONE) {
        *out = 0;
        rc = GR_OK;
    }
    gr_db_finalize(stmt);
    return rc;
}

static int record(gr_db_conn *conn, const char *component, const gr_db_migration *migration)
{
    char *sql = gr_xasprintf("INSERT INTO schema_migrations (component, version, description, "
                             "applied_at) VALUES (?, ?, ?, %s)",
                             gr_db_sql_now_text(gr_db_conn_db(conn)));
    gr_db_stmt *stmt = NULL;
    int rc;

    rc = gr_db_prepare(conn, sql, &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, component);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, 2, migration->version);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 3, migration->description);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    gr_db_finalize(stmt);
    free(sql);
    return rc;
}

/* Runs one migration in its own transaction, unless another instance applied
 * it since the version was read. */
static int apply(gr_db_conn *conn, const char *component, const gr_db_migration *migration)
{
    int64_t current = 0;
    int rc;

    rc = gr_db_begin(conn);
    if (rc != GR_OK)
        goto done;
    rc = read_version(conn, component, &current);
    if (rc != GR_OK || current >= migration->version)
        goto done;

    rc = gr_db_exec(conn, migration_sql(gr_db_conn_db(conn), migration));
    if (rc == GR_OK)
        rc = record(conn, component, migration);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    if (rc == GR_OK)
        gr_info("db", "applied migration %s version %d (%s)", component, migration->version,
                migration->description);
done:
    if (rc != GR_OK) {
        gr_db_rollback(conn);
        return gr_error_wrap(rc, "migration %s version %d (%s) failed", component,
                             migration->version, migration->description);
    }
    return gr_db_rollback(conn);
}

static int migrate_locked(gr_db_conn *conn, const char *component,
                          const gr_db_migration *migrations, size_t count)
{
    int known = count > 0 ? migrations[count - 1].version : 0;
    int64_t current = 0;
    int rc;

    rc = gr_db_exec(conn, CREATE_TABLE_SQL);
    if (rc == GR_OK)
        rc = read_version(conn, component, &current);
    if (rc != GR_OK)
        return gr_error_wrap(rc, "reading the schema version of %s", component);
    if (current > known)
        return gr_error_set(GR_EINVALID,
                            "database schema for %s is at version %lld, this greenroom knows up "
                            "to %d; upgrade greenroom",
                            component, (long long)current, known);

    for (size_t i = 0; i < count; i++) {
        if (migrations[i].version <= current)
            continue;
        rc = apply(conn, component, &migrations[i]);
        if (rc != GR_OK)
            return rc;
    }
    return GR_OK;
}

int gr_db_migrate(gr_db *db, const char *component, const gr_db_migration *migrations,
                  size_t count)
{
    bool pg = gr_db_dialect(db) == GR_DB_POSTGRES;
    gr_db_conn *conn = NULL;
    char sql[96];
    int rc;

    rc = check_list(db, component, migrations, count);
    if (rc != GR_OK)
        return rc;
    rc = gr_db_acquire(db, GR_DB_WRITE, &conn);
    if (rc != GR_OK)
        return rc;

    if (pg) {
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%d)", GR_DB_MIGRATION_LOCK_KEY);
        rc = gr_db_exec(conn, sql);
        if (rc != GR_OK)
            goto done;
    }
    rc = migrate_locked(conn, component, migrations, count);
    if (pg) {
        gr_db__saved_error saved;

        gr_db__error_save(&saved);
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%d)", GR_DB_MIGRATION_LOCK_KEY);
        if (gr_db_exec(conn, sql) != GR_OK)
            gr_warn("db", "releasing the migration lock failed: %s", gr_error_last());
        gr_db__error_restore(&saved);
    }
done:
    gr_db_release(conn);
    return rc;
}

int gr_db_schema_version(gr_db *db, const char *component, int64_t *out)
{
    const char *exists_sql =
        gr_db_dialect(db) == GR_DB_POSTGRES
            ? "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END"
            : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
              "name = 'schema_migrations'";
    gr_db_conn *conn = NULL;
    int64_t exists = 0;
    int rc;

    *out = 0;
    rc = gr_db_acquire(db, GR_DB_READ, &conn);
    if (rc != GR_OK)
        return rc;
    rc = gr_db_query_int64(conn, exists_sql, NULL, 0, &exists);
    if (rc == GR_OK && exists)
        rc = read_version(conn, component, out);
    gr_db_release(conn);
    return rc;
}
