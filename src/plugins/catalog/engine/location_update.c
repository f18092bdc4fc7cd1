/* SPDX-License-Identifier: MIT */
/* Changing the type and target of a registered location, as PUT /locations/:id does. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/engine/process.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/store.h"
#include "plugins/catalog/engine/util.h"

/* The stored row of a location. */
typedef struct {
    char *entity_ref;
    char *origin;
    char *type;
    char *target;
} location_row;

static void location_row_free(location_row *row)
{
    free(row->entity_ref);
    free(row->origin);
    free(row->type);
    free(row->target);
}

static int read_row(gr_db_conn *conn, const char *id, location_row *out)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_catalog__prepare(conn,
                                 "SELECT entity_ref, origin, type, target FROM catalog_locations "
                                 "WHERE id = ?",
                                 &stmt, "s", id);

    memset(out, 0, sizeof(*out));
    if (rc != GR_OK)
        return rc;
    rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        out->entity_ref = gr_catalog__column_dup(stmt, 0);
        out->origin = gr_catalog__column_dup(stmt, 1);
        out->type = gr_catalog__column_dup(stmt, 2);
        out->target = gr_catalog__column_dup(stmt, 3);
        rc = GR_OK;
    } else if (rc == GR_DB_DONE) {
        rc = gr_error_set(GR_ENOTFOUND, "Found no location with ID %s", id);
    }
    gr_db_finalize(stmt);
    return rc;
}

/* Checks that no other location has `type` and `target`. */
static int check_unique(gr_db_conn *conn, const char *id, const char *type, const char *target)
{
    char *other = NULL;
    int rc = gr_catalog__query_text(conn, &other,
                                    "SELECT id FROM catalog_locations WHERE type = ? AND "
                                    "target = ? AND id <> ?",
                                    "sss", type, target, id);

    free(other);
    if (rc == GR_OK)
        return gr_error_set(GR_ECONFLICT, "Location %s:%s already exists", type, target);
    return rc == GR_ENOTFOUND ? GR_OK : rc;
}

/*
 * Points the row of user location `id` at `type` and `target` in one
 * transaction, and stores the ref of its old Location entity in *old_ref
 * (caller frees; NULL when nothing changed).
 */
static int update_row(gr_catalog *catalog, const char *id, const char *type, const char *target,
                      const char *new_ref, char **old_ref)
{
    gr_db_conn *conn = NULL;
    location_row row;
    int64_t changed;
    int rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);

    *old_ref = NULL;
    memset(&row, 0, sizeof(row));
    if (rc == GR_OK)
        rc = gr_db_begin(conn);
    if (rc == GR_OK)
        rc = read_row(conn, id, &row);
    if (rc == GR_OK && strcmp(row.origin, "user") != 0)
        rc = gr_error_set(GR_EDENIED,
                          "Location %s comes from the config (catalog.locations); change it there",
                          id);
    if (rc == GR_OK && strcmp(row.type, type) == 0 && strcmp(row.target, target) == 0) {
        rc = gr_db_commit(conn);
        goto done;
    }
    if (rc == GR_OK)
        rc = check_unique(conn, id, type, target);
    if (rc == GR_OK) {
        changed = gr_catalog__exec(conn,
                                   "UPDATE catalog_locations SET type = ?, target = ?, "
                                   "entity_ref = ? WHERE id = ?",
                                   "ssss", type, target, new_ref, id);
        rc = changed < 0 ? (int)changed : GR_OK;
    }
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    else
        gr_db_rollback(conn);
    if (rc == GR_OK) {
        *old_ref = row.entity_ref;
        row.entity_ref = NULL;
    }
done:
    gr_db_release(conn);
    location_row_free(&row);
    return rc;
}

int gr_catalog_update_location(gr_catalog *catalog, const char *id, const char *type,
                               const char *target, json_t **location_out)
{
    char *name = gr_catalog__location_entity_name(type, target);
    char *new_ref = gr_xasprintf("location:default/%s", name);
    char *key = gr_xasprintf("%s:%s", type, target);
    char *cause = gr_xasprintf("location:%s", id);
    char *old_ref = NULL;
    int rc = gr_catalog__check_registered(catalog, type, target);

    if (rc == GR_OK)
        rc = update_row(catalog, id, type, target, new_ref, &old_ref);

    /* The old Location entity goes and the new one comes in one provider transaction. If it
     * fails, the next start supplies the user locations from their rows again. */
    if (rc == GR_OK && old_ref != NULL) {
        json_t *entity = gr_catalog__location_entity(type, target);
        gr_catalog_provided item;

        gr_catalog__provided_init(&item, entity, key);
        json_decref(entity);
        rc = gr_catalog__provider_delta(catalog, GR_CATALOG_USER_PROVIDER, &item, 1, &old_ref, 1,
                                        cause);
        gr_catalog__provided_free(&item);
        if (rc == GR_OK)
            gr_log_fields(GR_LOG_INFO, "catalog", "updated location", "id", id, "from", old_ref,
                          "to", new_ref, NULL);
    }
    if (rc == GR_OK && location_out != NULL)
        *location_out = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "type", type, "target",
                                  target, "entityRef", new_ref);
    free(old_ref);
    free(cause);
    free(key);
    free(new_ref);
    free(name);
    return rc;
}
