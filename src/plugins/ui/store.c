/* SPDX-License-Identifier: MIT */
/* The UI's own tables: starred entities per user and the key that signs CSRF tokens. */
#include <openssl/rand.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/ui/ui_internal.h"

/* The schema changes of the UI's tables, recorded under "plugin:ui". The host renames the history
 * that databases made by earlier releases keep under "ui" (the info's migration_legacy_id). The
 * SQL is the same for SQLite and PostgreSQL. */
const gr_plugin_migration gr_ui__migrations[UI_MIGRATION_COUNT] = {
    {
        .version = 1,
        .description = "create ui_stars and ui_secrets",
        .sql = "CREATE TABLE ui_stars (\n"
               "    subject TEXT NOT NULL,\n"
               "    entity_ref TEXT NOT NULL,\n"
               "    created_at BIGINT NOT NULL,\n"
               "    PRIMARY KEY (subject, entity_ref)\n"
               ");\n"
               "CREATE TABLE ui_secrets (\n"
               "    name TEXT PRIMARY KEY,\n"
               "    value TEXT NOT NULL\n"
               ");\n",
    },
    {
        /* Indexes the catalog's final entities for the catalog table's
         * default order (by name, within a kind or across kinds), so that a
         * page of it is read in index order instead of sorting every entity
         * of the kind. Needs the catalog tables, which the catalog plugin's
         * migrations, applied before the UI's, made. */
        .version = 2,
        .description = "index catalog_final_entities by kind and name",
        .sql = "CREATE INDEX ui_final_entities_kind_name ON catalog_final_entities "
               "(kind, name, entity_ref);\n"
               "CREATE INDEX ui_final_entities_name ON catalog_final_entities "
               "(name, entity_ref);\n",
    },
};

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
