/* SPDX-License-Identifier: MIT */
/* Applying a plugin's migrations, declared in its info or passed to host->db_migrate(). */
#ifndef GR_HOST_PLUGIN_MIGRATE_H
#define GR_HOST_PLUGIN_MIGRATE_H

#include <stddef.h>

#include "greenroom/plugin.h"
#include "host/plugin/ctx.h"
#include "host/store/db.h"

/** Maximum number of migrations of one plugin. */
#define GR_PLUGIN_MAX_MIGRATIONS 1000

/**
 * Applies the migrations of plugin `id` not yet applied to `db`, under the
 * component "plugin:<id>". Everything is borrowed. Returns 0, GR_EBACKEND
 * without a database, GR_ELIMIT or GR_EINVALID for a bad list, or the
 * failed migration's error.
 */
int gr_plugin__migrate(const char *id, gr_db *db, const gr_plugin_migration *migrations,
                       size_t count);

/**
 * Applies the migrations that the info of `ctx` declares (ABI 1.1), and
 * nothing when it declares none or is a 1.0 info. A built-in's history
 * under its migration_legacy_id (ABI 1.2) is first renamed to
 * "plugin:<id>" when that has none. Runs no plugin code. Returns 0,
 * GR_EINVALID when a shared-library plugin declares a legacy id, or the
 * error of the rename or of a migration.
 */
int gr_plugin__migrate_declared(const gr_plugin_ctx *ctx, gr_db *db);

#endif
