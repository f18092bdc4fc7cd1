/* SPDX-License-Identifier: MIT */
/* The user lookup of sign-in, read from the catalog's tables catalog_final_entities and catalog_search. */
#include "plugins/auth/catalog_lookup.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/store/migrate.h"

/* Users read for one resolver query at most. Two already make a conflict. */
#define LOOKUP_LIMIT "16"

static char *ascii_lower(const char *text)
{
    char *copy = gr_xstrdup(text);

    for (char *p = copy; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

/* Returns 1 when the catalog's migrations ran on this database, 0 when not, or an error. */
static int catalog_present(gr_db *db)
{
    int64_t version = 0;
    int rc = gr_db_schema_version(db, "catalog", &version);

    return rc < 0 ? rc : version > 0;
}

/* Runs `sql` with text parameters and appends the parsed final_entity of each row to `out`. */
static int query_entities(gr_db *db, const char *sql, const char *const *params, size_t count,
                          json_t *out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0)
        return rc;
    rc = gr_db_prepare(conn, sql, &stmt);
    for (size_t i = 0; rc == GR_OK && i < count; i++)
        rc = gr_db_bind_text(stmt, (int)i + 1, params[i]);
    while (rc >= 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *text = gr_db_column_text(stmt, 0);
        json_t *entity = text ? json_loads(text, 0, NULL) : NULL;

        if (entity != NULL)
            json_array_append_new(out, entity);
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc < 0 ? rc : GR_OK;
}

static int find_users(void *payload, const char *field, const char *value, json_t **out)
{
    gr_db *db = payload;
    char *key = ascii_lower(field);
    char *lowered = ascii_lower(value);
    const char *params[] = {key, lowered};
    int rc = catalog_present(db);

    *out = json_array();
    if (rc == 1)
        rc = query_entities(db,
                            "SELECT final_entity FROM catalog_final_entities WHERE entity_id IN"
                            " (SELECT entity_id FROM catalog_search WHERE key = ? AND value = ?)"
                            " AND entity_id IN (SELECT entity_id FROM catalog_search"
                            " WHERE key = 'kind' AND value = 'user')"
                            " ORDER BY entity_ref LIMIT " LOOKUP_LIMIT,
                            params, 2, *out);
    free(key);
    free(lowered);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return rc;
    }
    return GR_OK;
}

static int get_entity(void *payload, const char *ref, json_t **out)
{
    gr_db *db = payload;
    char *lowered = ascii_lower(ref);
    const char *params[] = {ref, lowered};
    json_t *found = json_array();
    int rc = catalog_present(db);

    *out = NULL;
    if (rc == 1)
        rc = query_entities(db,
                            "SELECT final_entity FROM catalog_final_entities"
                            " WHERE entity_ref = ? OR entity_ref = ?",
                            params, 2, found);
    if (rc >= 0 && json_array_size(found) == 0)
        rc = gr_error_set(GR_ENOTFOUND, "no entity '%s' in the catalog", ref);
    else if (rc >= 0)
        *out = json_incref(json_array_get(found, 0));
    json_decref(found);
    free(lowered);
    return rc < 0 ? rc : GR_OK;
}

void gr_auth_catalog_lookup(gr_db *db, gr_auth_user_lookup *out)
{
    out->find_users = find_users;
    out->get_entity = get_entity;
    out->payload = db;
}
