/* SPDX-License-Identifier: MIT */
/* Applies the migrations of the host and of every built-in plugin, without serving. */
#include "host/dbcli/migrate.h"

#include <stdlib.h>
#include <string.h>

#include "host/auth/auth.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/dbcli/schema.h"
#include "host/host.h"
#include "host/plugin/plugin.h"
#include "host/registry/registry.h"
#include "host/sched/sched.h"

/* Lease owner name of the scheduler made for migrations; it never takes a lease. */
#define MIGRATE_INSTANCE_ID "greenroom-db-migrate"

/* Runs the migrate hook of one plugin, with a host holding only the config and the database. */
static int migrate_plugin(gr_host *host, const gr_plugin_def *def, FILE *progress)
{
    int rc;

    /* A plugin without the hook or declared migrations has no tables of its own. */
    if (def->migrate != NULL)
        rc = def->migrate(host);
    else if (def->migrate_entry != NULL)
        rc = gr_plugin_adapter_migrate(host, def->migrate_entry);
    else
        return GR_OK;
    if (rc < 0)
        return gr_error_wrap(rc, "plugin %s", def->id);
    if (progress != NULL)
        fprintf(progress, "migrated plugin %s\n", def->id);
    return GR_OK;
}

static char *migrate_base_url(const gr_config *cfg)
{
    const char *url = gr_config_string(cfg, "app.baseUrl", NULL);
    size_t len;

    if (url == NULL)
        return gr_xasprintf("http://%s:%d",
                            gr_config_string(cfg, "backend.listen.host", "127.0.0.1"),
                            (int)gr_config_int(cfg, "backend.listen.port", 7007));
    len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    return gr_xstrndup(url, len);
}

int gr_dbcli_migrate_all(gr_db *db, const gr_config *cfg, FILE *progress)
{
    struct gr_host host;
    gr_sched *sched = NULL;
    gr_auth *auth = NULL;
    char *base_url = migrate_base_url(cfg);
    int rc;

    memset(&host, 0, sizeof(host));
    host.config = cfg;
    host.db = db;
    host.instance_id = MIGRATE_INSTANCE_ID;
    host.base_url = base_url;

    /* The host's components migrate when they are created; neither starts a thread. */
    if ((rc = gr_sched_new(&sched, db, MIGRATE_INSTANCE_ID)) < 0) {
        rc = gr_error_wrap(rc, "scheduler");
        goto done;
    }
    if (progress != NULL)
        fprintf(progress, "migrated scheduler\n");
    if ((rc = gr_auth_new(&auth, cfg, db)) < 0) {
        rc = gr_error_wrap(rc, "auth");
        goto done;
    }
    if (progress != NULL)
        fprintf(progress, "migrated auth\n");

    for (const gr_plugin_def *const *def = gr_builtin_plugins(); *def != NULL; def++) {
        if ((rc = migrate_plugin(&host, *def, progress)) < 0)
            goto done;
    }
done:
    gr_sched_free(sched);
    gr_auth_free(auth);
    free(base_url);
    return rc;
}

int gr_dbcli_print_versions(gr_db *db, FILE *out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int exists = 0;
    int rc;

    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0)
        return rc;
    if ((rc = gr_dbcli__table_exists(conn, "schema_migrations", &exists)) < 0 || !exists) {
        if (rc == GR_OK)
            fprintf(out, "no migrations recorded: the database is empty\n");
        goto done;
    }
    rc = gr_db_prepare(conn,
                       "SELECT component, MAX(version), COUNT(*), MAX(applied_at) "
                       "FROM schema_migrations GROUP BY component ORDER BY component",
                       &stmt);
    if (rc < 0)
        goto done;
    fprintf(out, "%-20s %8s %10s  %s\n", "component", "version", "migrations", "last applied");
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW)
        fprintf(out, "%-20s %8lld %10lld  %s\n", gr_db_column_text(stmt, 0),
                (long long)gr_db_column_int64(stmt, 1), (long long)gr_db_column_int64(stmt, 2),
                gr_db_column_text(stmt, 3));
    rc = rc == GR_DB_DONE ? GR_OK : rc;
done:
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}
