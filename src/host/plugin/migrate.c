/* SPDX-License-Identifier: MIT */
/* Applying a plugin's migrations, declared in its info or passed to host->db_migrate(). */
#include "host/plugin/migrate.h"

#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
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

int gr_plugin__migrate_declared(const gr_plugin_ctx *ctx, gr_db *db)
{
    const gr_plugin_info *info = ctx->info;

    /* A 1.0 plugin's info ends before the list. */
    if (info->struct_size < offsetof(gr_plugin_info, migration_count) + sizeof(size_t))
        return GR_OK;
    if (info->migration_count == 0)
        return GR_OK;
    return gr_plugin__migrate(ctx->id, db, info->migrations, info->migration_count);
}
