/* SPDX-License-Identifier: MIT */
/* Applying a plugin's migrations, declared in its info or passed to host->db_migrate(). */
#include "host/plugin/migrate.h"

#include <stddef.h>
#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/migrate.h"

int gr_plugin__migrate(const char *id, gr_db *db, const gr_plugin_migration *migrations,
                       size_t count)
{
    gr_db_migration *copy;
    char *component;
    int rc;

    if (db == NULL)
        return gr_error_set(GR_EBACKEND, "plugin %s: no database is open", id);
    if (count > GR_PLUGIN_MAX_MIGRATIONS)
        return gr_error_set(GR_ELIMIT, "plugin %s: %zu migrations, more than the %d allowed", id,
                            count, GR_PLUGIN_MAX_MIGRATIONS);
    if (count > 0 && migrations == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: %zu migrations declared but the list is NULL",
                            id, count);
    copy = gr_xcalloc(count + 1, sizeof(*copy));
    for (size_t i = 0; i < count; i++) {
        copy[i].version = migrations[i].version;
        copy[i].description = migrations[i].description;
        copy[i].sql = migrations[i].sql;
        copy[i].sql_sqlite = migrations[i].sql_sqlite;
        copy[i].sql_pg = migrations[i].sql_pg;
    }
    component = gr_xasprintf("plugin:%s", id);
    rc = gr_db_migrate(db, component, copy, count);
    free(component);
    free(copy);
    return rc;
}

/* Returns the legacy component the info declares, or NULL, also for an info that ends before
 * the member. */
static const char *legacy_id(const gr_plugin_info *info)
{
    if (info->struct_size < offsetof(gr_plugin_info, migration_legacy_id) + sizeof(const char *))
        return NULL;
    return info->migration_legacy_id;
}

/* Renames the history under `legacy` to `component` when `component` has none. Running it
 * again, or on several instances at once, changes nothing more. */
static int adopt_history(gr_db *db, const char *legacy, const char *component)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int64_t legacy_version = 0;
    int64_t moved = 0;
    int rc;

    if ((rc = gr_db_schema_version(db, legacy, &legacy_version)) < 0 || legacy_version == 0)
        return rc;
    if ((rc = gr_db_acquire(db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    if ((rc = gr_db_begin(conn)) < 0)
        goto done;
    rc = gr_db_prepare(conn,
                       "UPDATE schema_migrations SET component = ? WHERE component = ? AND "
                       "NOT EXISTS (SELECT 1 FROM schema_migrations WHERE component = ?)",
                       &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, component);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 2, legacy);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 3, component);
    if (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_DONE) {
        moved = gr_db_changes(stmt);
        rc = gr_db_commit(conn);
    }
    if (rc == GR_OK && moved > 0)
        gr_info("db", "recorded %lld migrations of %s under %s", (long long)moved, legacy,
                component);
done:
    gr_db_finalize(stmt);
    if (rc != GR_OK) {
        gr_db_rollback(conn);
        rc = gr_error_wrap(rc, "moving the migration history of %s to %s", legacy, component);
    }
    gr_db_release(conn);
    return rc;
}

int gr_plugin__migrate_declared(const gr_plugin_ctx *ctx, gr_db *db)
{
    const gr_plugin_info *info = ctx->info;
    const char *legacy = legacy_id(info);
    char *component;
    int rc;

    if (legacy != NULL && ctx->path != NULL)
        return gr_error_set(GR_EINVALID,
                            "plugin %s: migration_legacy_id '%s' is for built-in plugins only; "
                            "remove it",
                            ctx->id, legacy);
    /* A 1.0 plugin's info ends before the list. */
    if (info->struct_size < offsetof(gr_plugin_info, migration_count) + sizeof(size_t))
        return GR_OK;
    if (info->migration_count == 0)
        return GR_OK;
    if (legacy != NULL && legacy[0] != '\0') {
        if (db == NULL)
            return gr_error_set(GR_EBACKEND, "plugin %s: no database is open", ctx->id);
        component = gr_xasprintf("plugin:%s", ctx->id);
        rc = adopt_history(db, legacy, component);
        free(component);
        if (rc < 0)
            return rc;
    }
    return gr_plugin__migrate(ctx->id, db, info->migrations, info->migration_count);
}
