/* SPDX-License-Identifier: MIT */
/* The list of documented entities shown at /docs, filtered in SQL over the catalog tables. */
#include "plugins/techdocs/docs_list.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/api/filter_sql.h"

static char *lower(const char *text)
{
    char *copy = gr_xstrdup(text);

    for (char *p = copy; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

/* "team-a" -> "group:default/team-a", as the catalog stores owner relations. */
static char *owner_ref(const char *owner)
{
    const char *colon = strchr(owner, ':');
    const char *name = colon ? colon + 1 : owner;
    char *kind = colon ? gr_xstrndup(owner, (size_t)(colon - owner)) : gr_xstrdup("group");
    char *ref = strchr(name, '/') ? gr_xasprintf("%s:%s", kind, name)
                                  : gr_xasprintf("%s:default/%s", kind, name);
    char *result = lower(ref);

    free(kind);
    free(ref);
    return result;
}

static int present(const char *value)
{
    return value != NULL && value[0] != '\0';
}

/* Appends `value` as a parameter of the statement and frees it. */
static void put_param(gr_catalog_sql *sql, char *value)
{
    gr_catalog_sql_param(sql, value);
    free(value);
}

/* Builds the statement of the list: the filters in use, then the caller's access. */
static int build_sql(gr_db *db, const gr_techdocs_list_query *query, gr_catalog_sql *out)
{
    int rc = GR_OK;

    gr_catalog_sql_puts(out,
                        "SELECT f.final_entity, s.published_at FROM catalog_final_entities f"
                        " LEFT JOIN techdocs_sites s ON s.entity_ref = f.entity_ref"
                        " WHERE f.entity_id IN (SELECT entity_id FROM catalog_search"
                        " WHERE key = 'metadata.annotations.backstage.io/techdocs-ref')");
    if (present(query->kind)) {
        gr_catalog_sql_puts(out, " AND f.kind = ");
        put_param(out, lower(query->kind));
    }
    if (present(query->owner)) {
        gr_catalog_sql_puts(out, " AND f.entity_id IN (SELECT entity_id FROM catalog_search"
                                 " WHERE key = 'relations.ownedby' AND value = ");
        put_param(out, owner_ref(query->owner));
        gr_catalog_sql_puts(out, ")");
    }
    if (present(query->text)) {
        char *pattern = lower(query->text);
        char *like = gr_xasprintf(" %s ", gr_db_sql_ilike(db));

        gr_catalog_sql_puts(out, " AND (f.name");
        gr_catalog_sql_puts(out, like);
        put_param(out, gr_xasprintf("%%%s%%", pattern));
        gr_catalog_sql_puts(out, " OR f.entity_id IN (SELECT entity_id FROM catalog_search WHERE"
                                 " key IN ('metadata.title', 'metadata.description') AND value");
        gr_catalog_sql_puts(out, like);
        put_param(out, gr_xasprintf("%%%s%%", pattern));
        gr_catalog_sql_puts(out, "))");
        free(like);
        free(pattern);
    }
    if (query->access != NULL) {
        gr_catalog_sql_puts(out, " AND (");
        rc = gr_catalog_filter_to_sql(query->access, "f.entity_id", out);
        gr_catalog_sql_puts(out, ")");
    }
    gr_catalog_sql_puts(out, " ORDER BY f.name, f.entity_ref LIMIT ? OFFSET ?");
    return rc;
}

static void put_filter_form(gr_buf *out, const gr_techdocs_list_query *query)
{
    static const char *const names[] = {"owner", "kind", "text"};
    const char *values[] = {query->owner, query->kind, query->text};
    static const char *const labels[] = {"Owner", "Kind", "Text"};

    gr_buf_puts(out, "<form class=\"td-filters\" method=\"get\" action=\"/docs\">");
    for (int i = 0; i < 3; i++) {
        gr_buf_printf(out, "<label>%s <input name=\"%s\" value=\"", labels[i], names[i]);
        gr_buf_put_html(out, values[i] ? values[i] : "");
        gr_buf_puts(out, "\"></label>");
    }
    gr_buf_puts(out, "<button type=\"submit\">Filter</button></form>");
}

static void put_row(gr_buf *out, const json_t *entity, int built)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *kind = json_string_value(json_object_get(entity, "kind"));
    const char *namespace = json_string_value(json_object_get(metadata, "namespace"));
    const char *name = json_string_value(json_object_get(metadata, "name"));
    const char *title = json_string_value(json_object_get(metadata, "title"));
    const char *description = json_string_value(json_object_get(metadata, "description"));
    const char *owner = json_string_value(json_object_get(json_object_get(entity, "spec"), "owner"));
    char *lower_kind;
    char *lower_namespace;
    char *lower_name;

    if (kind == NULL || name == NULL)
        return;
    lower_kind = lower(kind);
    lower_namespace = lower(namespace ? namespace : "default");
    lower_name = lower(name);
    gr_buf_puts(out, "<tr><td><a href=\"/docs/");
    gr_buf_put_html(out, lower_namespace);
    gr_buf_putc(out, '/');
    gr_buf_put_html(out, lower_kind);
    gr_buf_putc(out, '/');
    gr_buf_put_html(out, lower_name);
    gr_buf_puts(out, "/\">");
    gr_buf_put_html(out, title ? title : name);
    gr_buf_puts(out, "</a></td><td>");
    gr_buf_put_html(out, description ? description : "");
    gr_buf_puts(out, "</td><td>");
    gr_buf_put_html(out, kind);
    gr_buf_puts(out, "</td><td>");
    gr_buf_put_html(out, owner ? owner : "");
    gr_buf_puts(out, built ? "</td><td>built</td></tr>" : "</td><td>not built yet</td></tr>");
    free(lower_kind);
    free(lower_namespace);
    free(lower_name);
}

static void put_pager(gr_buf *out, const gr_techdocs_list_query *query, int rows)
{
    static const char *const names[] = {"owner", "kind", "text"};
    const char *values[] = {query->owner, query->kind, query->text};

    for (int direction = -1; direction <= 1; direction += 2) {
        long offset = query->offset + direction * query->limit;

        if ((direction < 0 && query->offset == 0) || (direction > 0 && rows < query->limit))
            continue;
        gr_buf_printf(out, "<a rel=\"%s\" href=\"/docs?offset=%ld", direction < 0 ? "prev" : "next",
                      offset < 0 ? 0 : offset);
        for (int i = 0; i < 3; i++) {
            if (!present(values[i]))
                continue;
            gr_buf_printf(out, "&amp;%s=", names[i]);
            for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++) {
                if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.')
                    gr_buf_putc(out, (char)*p);
                else
                    gr_buf_printf(out, "%%%02X", *p);
            }
        }
        gr_buf_puts(out, direction < 0 ? "\">Previous</a> " : "\">Next</a>");
    }
}

int gr_techdocs_list_render(gr_db *db, const gr_techdocs_list_query *query, gr_buf *out)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rows = 0;
    int rc;

    rc = build_sql(db, query, &sql);
    if (rc == GR_OK)
        rc = gr_db_acquire(db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, gr_buf_cstr(&sql.text), &stmt);
    if (rc == GR_OK)
        rc = gr_catalog_sql_bind(&sql, stmt, 1);
    if (rc == GR_OK) {
        gr_db_bind_int64(stmt, (int)sql.count + 1, query->limit);
        gr_db_bind_int64(stmt, (int)sql.count + 2, query->offset > 0 ? query->offset : 0);
    }
    put_filter_form(out, query);
    gr_buf_puts(out, "<table class=\"td-list\"><thead><tr><th>Name</th><th>Description</th>"
                     "<th>Kind</th><th>Owner</th><th>Docs</th></tr></thead><tbody>");
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        json_t *entity = json_loads(gr_db_column_text(stmt, 0) ? gr_db_column_text(stmt, 0) : "",
                                    0, NULL);

        put_row(out, entity, !gr_db_column_is_null(stmt, 1));
        json_decref(entity);
        rows++;
        rc = GR_OK;
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    gr_buf_puts(out, "</tbody></table>");
    if (rows == 0 && rc == GR_OK)
        gr_buf_puts(out, "<p>No documented entities match. Entities get docs with a "
                         "backstage.io/techdocs-ref annotation.</p>");
    put_pager(out, query, rows);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_catalog_sql_free(&sql);
    return rc;
}
