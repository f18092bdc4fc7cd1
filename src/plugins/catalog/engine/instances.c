/* SPDX-License-Identifier: MIT */
/* The registry of running catalog instances, used to release the leases of dead processes. */
#include "plugins/catalog/engine/instances.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/util.h"

/* Time after which a registry row of another kernel or PID namespace without a live lease is
 * removed, in ms. Such a row only serves a restart on its own machine. */
#define FOREIGN_ROW_MAX_AGE_MS (24 * 3600 * 1000LL)

/* Bytes of /proc/<pid>/stat read: the start time is its 22nd field, well within this. */
#define STAT_READ_SIZE 1024

typedef enum { PROCESS_GONE, PROCESS_RUNNING, PROCESS_UNKNOWN } process_state;

static bool read_first_line(const char *path, char *out, size_t size)
{
    FILE *file = fopen(path, "r");
    bool ok = file != NULL && fgets(out, (int)size, file) != NULL;

    if (file != NULL)
        fclose(file);
    if (ok)
        out[strcspn(out, "\n")] = '\0';
    return ok && out[0] != '\0';
}

/*
 * Writes the kernel boot id and the PID namespace of this process into `out`. Two processes with
 * the same key see the same PIDs, so one can tell whether the other still runs.
 */
static bool make_host_key(char *out, size_t size)
{
    char boot_id[64];
    char namespace[64];
    ssize_t len = readlink("/proc/self/ns/pid", namespace, sizeof(namespace) - 1);

    if (len <= 0 || !read_first_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id)))
        return false;
    namespace[len] = '\0';
    return snprintf(out, size, "%s/%s", boot_id, namespace) < (int)size;
}

/* Reads the start time of process `pid` in clock ticks after boot (field 22 of its stat file). */
static process_state read_start_ticks(int64_t pid, int64_t *ticks)
{
    char path[64];
    char text[STAT_READ_SIZE];
    FILE *file;
    size_t len;
    char *field;

    snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
    file = fopen(path, "r");
    if (file == NULL)
        return errno == ENOENT ? PROCESS_GONE : PROCESS_UNKNOWN;
    len = fread(text, 1, sizeof(text) - 1, file);
    fclose(file);
    text[len] = '\0';

    /* The command name in brackets may contain spaces, so fields are counted after its ')'. */
    field = strrchr(text, ')');
    for (int index = 2; field != NULL && index < 22; index++)
        field = strchr(field + 1, ' ');
    if (field == NULL)
        return PROCESS_UNKNOWN;
    *ticks = strtoll(field + 1, NULL, 10);
    return PROCESS_RUNNING;
}

static bool is_gone(int64_t pid, int64_t start_ticks)
{
    int64_t ticks = 0;
    process_state state = read_start_ticks(pid, &ticks);

    /* A running process with another start time took over the PID of the registered one. */
    return state == PROCESS_GONE || (state == PROCESS_RUNNING && ticks != start_ticks);
}

/* Makes the rows leased by `instance_id` due now and ends its stitch leases. */
static int release_leases(gr_db_conn *conn, const char *instance_id, int64_t now)
{
    int64_t rows = gr_catalog__exec(conn,
                                    "UPDATE catalog_refresh_state SET lease_owner = NULL, "
                                    "lease_until = NULL, next_update_at = ? WHERE lease_owner = ?",
                                    "is", now, instance_id);
    int64_t stitches = rows < 0 ? rows
                                : gr_catalog__exec(conn,
                                                   "UPDATE catalog_stitch_queue SET "
                                                   "next_stitch_at = ?, lease_owner = NULL "
                                                   "WHERE lease_owner = ?",
                                                   "is", now, instance_id);
    int64_t removed = stitches < 0 ? stitches
                                   : gr_catalog__exec(conn,
                                                      "DELETE FROM catalog_instances "
                                                      "WHERE instance_id = ?",
                                                      "s", instance_id);

    if (removed < 0)
        return (int)removed;
    if (rows > 0 || stitches > 0)
        gr_info("catalog", "released %lld processing and %lld stitch leases of stopped instance %s",
                (long long)rows, (long long)stitches, instance_id);
    return GR_OK;
}

/* Releases the leases of every dead instance registered under `host_key`. */
static int release_dead(gr_db_conn *conn, const char *host_key, int64_t now)
{
    gr_db_stmt *stmt = NULL;
    char **dead = NULL;
    size_t count = 0;
    int rc = gr_catalog__prepare(conn,
                                 "SELECT instance_id, pid, start_ticks FROM catalog_instances "
                                 "WHERE host_key = ?",
                                 &stmt, "s", host_key);

    if (rc != GR_OK)
        return rc;
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        if (!is_gone(gr_db_column_int64(stmt, 1), gr_db_column_int64(stmt, 2)))
            continue;
        dead = gr_xrealloc(dead, (count + 1) * sizeof(*dead));
        dead[count++] = gr_xstrdup(gr_db_column_text(stmt, 0));
    }
    gr_db_finalize(stmt);
    rc = rc == GR_DB_DONE ? GR_OK : rc;
    for (size_t i = 0; i < count; i++) {
        if (rc == GR_OK)
            rc = release_leases(conn, dead[i], now);
        free(dead[i]);
    }
    free(dead);
    return rc;
}

int gr_catalog__instances_register(gr_catalog *catalog)
{
    char host_key[160];
    int64_t start_ticks = 0;
    int64_t now = gr_catalog__now_ms();
    int64_t pid = (int64_t)getpid();
    gr_db_conn *conn = NULL;
    int64_t changed;
    int rc;

    if (!make_host_key(host_key, sizeof(host_key)) ||
        read_start_ticks(pid, &start_ticks) != PROCESS_RUNNING) {
        gr_warn("catalog", "cannot identify this process through /proc, so the leases of a "
                           "killed instance end only after their lease time");
        return GR_OK;
    }
    rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc != GR_OK)
        return rc;
    rc = gr_db_begin(conn);
    if (rc == GR_OK)
        rc = release_dead(conn, host_key, now);
    if (rc == GR_OK) {
        changed = gr_catalog__exec(conn,
                                   "DELETE FROM catalog_instances WHERE instance_id = ? OR "
                                   "(host_key <> ? AND registered_at < ? AND NOT EXISTS (SELECT 1 "
                                   "FROM catalog_refresh_state s WHERE s.lease_owner = "
                                   "catalog_instances.instance_id AND s.lease_until >= ?))",
                                   "ssii", catalog->instance_id, host_key,
                                   now - FOREIGN_ROW_MAX_AGE_MS, now);
        if (changed >= 0)
            changed = gr_catalog__exec(conn,
                                       "INSERT INTO catalog_instances (instance_id, host_key, "
                                       "pid, start_ticks, registered_at) VALUES (?, ?, ?, ?, ?)",
                                       "ssiii", catalog->instance_id, host_key, pid, start_ticks,
                                       now);
        rc = changed < 0 ? (int)changed : GR_OK;
    }
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    else
        gr_db_rollback(conn);
    gr_db_release(conn);
    catalog->registered = rc == GR_OK;
    return rc;
}

void gr_catalog__instances_unregister(gr_catalog *catalog)
{
    gr_db_conn *conn = NULL;

    if (!catalog->registered)
        return;
    if (gr_db_acquire(catalog->db, GR_DB_WRITE, &conn) != GR_OK ||
        gr_catalog__exec(conn, "DELETE FROM catalog_instances WHERE instance_id = ?", "s",
                         catalog->instance_id) < 0)
        gr_warn("catalog", "removing instance %s from the registry failed: %s",
                catalog->instance_id, gr_error_last());
    gr_db_release(conn);
}
