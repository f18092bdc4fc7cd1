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
#include "host/http/http.h"
#include "host/permission/permission.h"
#include "host/registry/registry.h"
#include "host/sched/sched.h"

/* Lease owner name of the scheduler made for migrations; it never takes a lease. */
#define MIGRATE_INSTANCE_ID "greenroom-db-migrate"

/* The services a plugin's init may use, built as serve builds them but never started. */
typedef struct {
    struct gr_host host;
    gr_http_server *http;
    gr_auth *auth;
    gr_permission_policy *permissions;
    char *base_url;
} migrate_host;

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

/* Creates the HTTP server and the permission policy that plugin init hooks register with. */
static int migrate_host_complete(migrate_host *mh)
{
    gr_http_options opts = {.port = 0};
    int rc;

    if (mh->http != NULL)
        return GR_OK;
    if ((rc = gr_http_server_new(&mh->http, &opts)) < 0)
        return rc;
    if ((rc = gr_permission_policy_new(&mh->permissions, mh->host.config)) < 0)
        return rc;
    mh->host.http = mh->http;
    mh->host.auth = mh->auth;
    mh->host.permissions = mh->permissions;
    return GR_OK;
}

static int migrate_plugin(migrate_host *mh, const gr_plugin_def *def, FILE *progress)
{
    void *state = NULL;
    int rc;

    if (def->migrate != NULL) {
        /* The hook sees only the config and the database. */
        struct gr_host bare = {.config = mh->host.config, .db = mh->host.db,
                               .instance_id = MIGRATE_INSTANCE_ID,
                               .base_url = mh->base_url};

        if ((rc = def->migrate(&bare)) < 0)
            return gr_error_wrap(rc, "plugin %s", def->id);
        if (progress != NULL)
            fprintf(progress, "migrated plugin %s\n", def->id);
        return GR_OK;
    }
    if (def->init == NULL)
        return GR_OK;
    if ((rc = migrate_host_complete(mh)) < 0)
        return gr_error_wrap(rc, "preparing plugin %s", def->id);
    if ((rc = def->init(&mh->host, &state)) < 0)
        return gr_error_wrap(rc, "plugin %s", def->id);
    if (def->destroy != NULL)
        def->destroy(state);
    /* The plugin is gone, so are the services it published; later plugins
     * must not find them. */
    mh->host.service_count = 0;
    if (progress != NULL)
        fprintf(progress, "migrated plugin %s (through its init hook)\n", def->id);
    return GR_OK;
}

int gr_dbcli_migrate_all(gr_db *db, const gr_config *cfg, FILE *progress)
{
    migrate_host mh;
    gr_sched *sched = NULL;
    int rc;

    memset(&mh, 0, sizeof(mh));
    mh.base_url = migrate_base_url(cfg);
    mh.host.config = cfg;
    mh.host.db = db;
    mh.host.instance_id = MIGRATE_INSTANCE_ID;
    mh.host.base_url = mh.base_url;

    /* The host's components migrate when they are created. */
    if ((rc = gr_sched_new(&sched, db, MIGRATE_INSTANCE_ID)) < 0) {
        rc = gr_error_wrap(rc, "scheduler");
        goto done;
    }
    mh.host.sched = sched;
    if (progress != NULL)
        fprintf(progress, "migrated scheduler\n");
    if ((rc = gr_auth_new(&mh.auth, cfg, db)) < 0) {
        rc = gr_error_wrap(rc, "auth");
        goto done;
    }
    if (progress != NULL)
        fprintf(progress, "migrated auth\n");

    for (const gr_plugin_def *const *def = gr_builtin_plugins(); *def != NULL; def++) {
        if ((rc = migrate_plugin(&mh, *def, progress)) < 0)
            goto done;
    }
done:
    gr_http_server_free(mh.http);
    gr_sched_free(sched);
    gr_auth_free(mh.auth);
    gr_permission_policy_free(mh.permissions);
    free(mh.base_url);
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
