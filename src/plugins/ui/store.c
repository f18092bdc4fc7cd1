/* SPDX-License-Identifier: MIT */
/* The UI's own tables: starred entities per user and the key that signs CSRF tokens. */
#include <openssl/rand.h>
#include <string.h>

#include "host/common/assets.h"
#include "host/common/error.h"
#include "host/store/migrate.h"
#include "plugins/ui/ui_internal.h"

int gr_ui_migrate(gr_db *db)
{
    const gr_asset *tables = gr_asset_find("plugins/ui/sql/001_ui.sql");
    const gr_asset *indexes = gr_asset_find("plugins/ui/sql/002_ui_indexes.sql");
    gr_db_migration migrations[2];

    if (tables == NULL || indexes == NULL)
        return gr_error_set(GR_ERROR, "a migration of the UI under plugins/ui/sql is missing");
    memset(migrations, 0, sizeof(migrations));
    migrations[0].version = 1;
    migrations[0].description = "create ui_stars and ui_secrets";
    migrations[0].sql = (const char *)tables->data;
    /* Needs the catalog tables, which the engine's migrations made first. */
    migrations[1].version = 2;
    migrations[1].description = "index catalog_final_entities by kind and name";
    migrations[1].sql = (const char *)indexes->data;
    return gr_db_migrate(db, "ui", migrations, 2);
}

int gr_ui__store_migrate(gr_ui *ui)
{
    return gr_ui_migrate(ui->db);
}

static int hex_decode(const char *text, unsigned char *out, size_t size)
{
    if (text == NULL || strlen(text) != 2 * size)
        return -1;
    for (size_t i = 0; i < size; i++) {
        unsigned int byte;

        if (sscanf(text + 2 * i, "%2x", &byte) != 1)
            return -1;
        out[i] = (unsigned char)byte;
    }
    return 0;
}

/* Every instance must sign CSRF tokens with the same key, so the first one
 * to start stores a random key and the others read it. */
int gr_ui__store_csrf_key(gr_ui *ui)
{
    unsigned char fresh[sizeof(ui->csrf_key)];
    char hex[2 * sizeof(fresh) + 1];
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int error;

    if (RAND_bytes(fresh, sizeof(fresh)) != 1)
        return gr_error_set(GR_ERROR, "no random bytes for the CSRF key");
    for (size_t i = 0; i < sizeof(fresh); i++)
        snprintf(hex + 2 * i, 3, "%02x", fresh[i]);

    if ((error = gr_db_acquire(ui->db, GR_DB_WRITE, &conn)) < 0)
        return error;
    error = gr_db_prepare(conn,
                          "INSERT INTO ui_secrets (name, value) VALUES ('csrf', ?)"
                          " ON CONFLICT (name) DO NOTHING",
                          &stmt);
    if (error == 0 && (error = gr_db_bind_text(stmt, 1, hex)) == 0)
        error = gr_db_step(stmt);
    gr_db_finalize(stmt);
    stmt = NULL;
    if (error < 0)
        goto done;

    if ((error = gr_db_prepare(conn, "SELECT value FROM ui_secrets WHERE name = 'csrf'",
                               &stmt)) < 0)
        goto done;
    if ((error = gr_db_step(stmt)) != GR_DB_ROW) {
        error = error < 0 ? error : gr_error_set(GR_ERROR, "the CSRF key was not stored");
        goto done;
    }
    if (hex_decode(gr_db_column_text(stmt, 0), ui->csrf_key, sizeof(ui->csrf_key)) != 0)
        error = gr_error_set(GR_EINVALID, "ui_secrets: the stored CSRF key is malformed; "
                                          "delete its row to make a new one");
    else
        error = 0;

done:
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return error;
}

int gr_ui__stars_list(gr_ui *ui, const char *subject, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *refs = json_array();
    int error;

    if ((error = gr_db_acquire(ui->db, GR_DB_READ, &conn)) < 0)
        goto done;
    /* At most 500 starred entities are listed for one user. */
    if ((error = gr_db_prepare(conn,
                               "SELECT entity_ref FROM ui_stars WHERE subject = ?"
                               " ORDER BY entity_ref LIMIT 500",
                               &stmt)) < 0 ||
        (error = gr_db_bind_text(stmt, 1, subject)) < 0)
        goto done;
    while ((error = gr_db_step(stmt)) == GR_DB_ROW)
        json_array_append_new(refs, json_string(gr_db_column_text(stmt, 0)));
    error = error == GR_DB_DONE ? 0 : error;

done:
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (error < 0) {
        json_decref(refs);
        return error;
    }
    *out = refs;
    return 0;
}

int gr_ui__star_get(gr_ui *ui, const char *subject, const char *entity_ref, int *starred)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int error;

    *starred = 0;
    if ((error = gr_db_acquire(ui->db, GR_DB_READ, &conn)) < 0)
        return error;
    if ((error = gr_db_prepare(conn,
                               "SELECT 1 FROM ui_stars WHERE subject = ? AND entity_ref = ?",
                               &stmt)) == 0 &&
        (error = gr_db_bind_text(stmt, 1, subject)) == 0 &&
        (error = gr_db_bind_text(stmt, 2, entity_ref)) == 0 &&
        (error = gr_db_step(stmt)) >= 0) {
        *starred = error == GR_DB_ROW;
        error = 0;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return error;
}

int gr_ui__star_set(gr_ui *ui, const char *subject, const char *entity_ref, int starred)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char sql[256];
    int error;

    if (starred)
        snprintf(sql, sizeof(sql),
                 "INSERT INTO ui_stars (subject, entity_ref, created_at) VALUES (?, ?, %s)"
                 " ON CONFLICT (subject, entity_ref) DO NOTHING",
                 gr_db_sql_now_ms(ui->db));
    else
        snprintf(sql, sizeof(sql), "DELETE FROM ui_stars WHERE subject = ? AND entity_ref = ?");

    if ((error = gr_db_acquire(ui->db, GR_DB_WRITE, &conn)) < 0)
        return error;
    if ((error = gr_db_prepare(conn, sql, &stmt)) == 0 &&
        (error = gr_db_bind_text(stmt, 1, subject)) == 0 &&
        (error = gr_db_bind_text(stmt, 2, entity_ref)) == 0 && (error = gr_db_step(stmt)) >= 0)
        error = 0;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return error;
}
