/* SPDX-License-Identifier: MIT */
/* The entities that lack a sort field of the catalog table, cached per catalog generation. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/store/db.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"

/* Reads the ids of up to UI_SORT_GAPS_MAX + 1 entities without a non-null
 * value of `key`, in id order. NOT IN over the key's rows is one pass over
 * each side, where a NOT EXISTS per entity would seek once per entity. */
static int gaps_read(gr_ui *ui, const char *key, json_t **out)
{
    char sql[512];
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *ids = json_array();
    int error;

    snprintf(sql, sizeof(sql),
             "SELECT fe.entity_id FROM catalog_final_entities fe WHERE fe.entity_id NOT IN"
             " (SELECT entity_id FROM catalog_search WHERE key = ? AND value IS NOT NULL)"
             " ORDER BY fe.entity_id LIMIT %d",
             UI_SORT_GAPS_MAX + 1);
    if ((error = gr_db_acquire(ui->db, GR_DB_READ, &conn)) < 0)
        goto done;
    if ((error = gr_db_prepare(conn, sql, &stmt)) < 0 ||
        (error = gr_db_bind_text(stmt, 1, key)) < 0)
        goto done;
    while ((error = gr_db_step(stmt)) == GR_DB_ROW)
        json_array_append_new(ids, json_string(gr_db_column_text(stmt, 0)));
    error = error == GR_DB_DONE ? 0 : error;

done:
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (error < 0) {
        json_decref(ids);
        return error;
    }
    *out = ids;
    return 0;
}

int gr_ui__sort_gaps(gr_ui *ui, size_t sort_index, json_t **out)
{
    int64_t generation = gr_ui_catalog_generation(ui);
    ui_sort_gaps_entry *entry = &ui->sort_gaps[sort_index];
    json_t *ids = NULL;
    int error;

    pthread_mutex_lock(&ui->cache_lock);
    if (entry->ids != NULL && entry->generation == generation)
        ids = json_incref(entry->ids);
    pthread_mutex_unlock(&ui->cache_lock);
    if (ids == NULL) {
        if ((error = gaps_read(ui, gr_ui__sort_keys[sort_index].key, &ids)) < 0)
            return error;
        pthread_mutex_lock(&ui->cache_lock);
        json_decref(entry->ids);
        entry->ids = json_incref(ids);
        entry->generation = generation;
        pthread_mutex_unlock(&ui->cache_lock);
    }

    if (json_array_size(ids) > UI_SORT_GAPS_MAX) {
        json_decref(ids);
        ids = NULL;
    }
    *out = ids;
    return 0;
}
