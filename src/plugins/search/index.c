/* SPDX-License-Identifier: MIT */
/* Index parts every engine shares: generation tables, the state row, source replacement, conditions. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/search/internal.h"

char *gr_search__table(int64_t generation, const char *part)
{
    return gr_xasprintf("search_g%" PRId64 "_%s", generation, part);
}

int gr_search__exec_free(gr_db_conn *conn, char *sql)
{
    int rc = gr_db_exec(conn, sql);

    free(sql);
    return rc;
}

static int step_done(gr_db_stmt *stmt)
{
    int rc = gr_db_step(stmt);

    return rc == GR_DB_DONE || rc == GR_DB_ROW ? 0 : rc;
}

int gr_search__insert_fields(gr_db_conn *conn, int64_t generation, int64_t id,
                         const gr_search__doc *doc)
{
    char *sql = gr_xasprintf("INSERT INTO search_g%" PRId64 "_fields (doc_id, key, value) "
                             "VALUES (?, ?, ?)",
                             generation);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < doc->field_count; i++) {
        gr_db_stmt *stmt = NULL;

        rc = gr_db_prepare(conn, sql, &stmt);
        if (rc == 0)
            rc = gr_db_bind_int64(stmt, 1, id);
        if (rc == 0)
            rc = gr_db_bind_text(stmt, 2, doc->fields[i].key);
        if (rc == 0)
            rc = gr_db_bind_text(stmt, 3, doc->fields[i].value);
        if (rc == 0)
            rc = step_done(stmt);
        gr_db_finalize(stmt);
    }
    free(sql);
    return rc;
}

const gr_search_collator *gr_search__collator(const gr_search *search, const char *type)
{
    for (size_t i = 0; i < search->collator_count; i++)
        if (strcmp(search->collators[i].type, type) == 0)
            return &search->collators[i];
    return NULL;
}

int gr_search__state(gr_db_conn *conn, int64_t *active, int64_t *building, int lock)
{
    const char *sql = "SELECT active_generation, COALESCE(building_generation, 0) "
                      "FROM search_state WHERE id = 1";
    const char *sql_locked = "SELECT active_generation, COALESCE(building_generation, 0) "
                             "FROM search_state WHERE id = 1 FOR SHARE";
    int use_lock = lock && gr_db_dialect(gr_db_conn_db(conn)) == GR_DB_POSTGRES;
    gr_db_stmt *stmt = NULL;
    int rc;

    if ((rc = gr_db_prepare(conn, use_lock ? sql_locked : sql, &stmt)) < 0)
        return rc;
    rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        *active = gr_db_column_int64(stmt, 0);
        if (building != NULL)
            *building = gr_db_column_int64(stmt, 1);
        rc = 0;
    } else if (rc == GR_DB_DONE) {
        rc = gr_error_set(GR_ENOTFOUND, "the search_state row is missing; the search "
                                        "migrations have not run");
    }
    gr_db_finalize(stmt);
    return rc;
}

int gr_search__replace_source(gr_search *search, gr_db_conn *conn, int64_t generation,
                              const char *type, const char *source, gr_search__doc *docs,
                              size_t count)
{
    int rc = search->engine->delete_source(conn, generation, type, source);

    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = search->engine->insert(search, conn, generation, &docs[i]);
    return rc;
}

static void where_access(gr_search__sql *sql, const gr_search_access *access)
{
    if (access == NULL || access->decision == GR_SEARCH_ALLOW)
        return;
    if (access->decision == GR_SEARCH_DENY) {
        gr_search__sql_puts(sql, " AND d.resource_ref IS NULL");
        return;
    }
    gr_search__sql_puts(sql, " AND (d.resource_ref IS NULL OR EXISTS (SELECT 1 FROM "
                             "catalog_final_entities fe WHERE fe.entity_ref = d.resource_ref "
                             "AND (");
    gr_search__sql_append(sql, gr_buf_cstr(&access->sql), access->params, access->param_count);
    gr_search__sql_puts(sql, ")))");
}

void gr_search__where(gr_search__sql *sql, const gr_search__query *query, const char *fields)
{
    if (query->type_count > 0) {
        gr_search__sql_puts(sql, " AND d.doc_type IN (");
        for (size_t i = 0; i < query->type_count; i++) {
            if (i > 0)
                gr_search__sql_puts(sql, ", ");
            gr_search__sql_param(sql, query->types[i]);
        }
        gr_search__sql_puts(sql, ")");
    }

    for (size_t i = 0; i < query->filter_count; i++) {
        const gr_search_filter *filter = &query->filters[i];

        gr_search__sql_printf(sql, " AND d.id IN (SELECT doc_id FROM %s WHERE key = ", fields);
        gr_search__sql_param(sql, filter->key);
        gr_search__sql_puts(sql, " AND value IN (");
        for (size_t j = 0; j < filter->count; j++) {
            if (j > 0)
                gr_search__sql_puts(sql, ", ");
            gr_search__sql_param(sql, filter->values[j]);
        }
        gr_search__sql_puts(sql, "))");
    }

    where_access(sql, query->access);
}

char *gr_search__title_start(const gr_search_terms *terms)
{
    gr_buf out = GR_BUF_INIT;

    for (size_t i = 0; i < terms->count; i++)
        for (size_t j = 0; j < terms->parts[i].count; j++)
            gr_buf_printf(&out, "%s%s", out.len > 0 ? " " : "", terms->parts[i].words[j]);
    return gr_buf_detach(&out);
}

char *gr_search__title_end(const char *start)
{
    return gr_xasprintf("%s\xf4\x8f\xbf\xbf", start); /* U+10FFFF sorts after any title */
}

void gr_search__title_starts(gr_search__sql *sql, const char *start, const char *end)
{
    gr_search__sql_puts(sql, "d.sort_key >= ");
    gr_search__sql_param(sql, start);
    gr_search__sql_puts(sql, " AND d.sort_key < ");
    gr_search__sql_param(sql, end);
}

void gr_search__page_free(gr_search__page *page)
{
    if (page == NULL)
        return;
    for (size_t i = 0; i < page->count; i++) {
        free(page->hits[i].type);
        free(page->hits[i].document);
        free(page->hits[i].title_highlight);
        free(page->hits[i].text_highlight);
    }
    free(page->hits);
    page->hits = NULL;
    page->count = 0;
}

static char *column_dup(gr_db_stmt *stmt, int column)
{
    const char *text = gr_db_column_text(stmt, column);

    return text ? gr_xstrdup(text) : NULL;
}

/* Reads rows of (id, type, document, title highlight, text highlight, total). */
static int read_hits(gr_db_stmt *stmt, gr_search__page *page, int limit)
{
    int rc;

    page->hits = gr_xcalloc((size_t)limit + 1, sizeof(*page->hits));
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        gr_search__hit *hit = &page->hits[page->count];

        if (page->count >= (size_t)limit)
            continue;
        hit->type = column_dup(stmt, 1);
        hit->document = column_dup(stmt, 2);
        hit->title_highlight = column_dup(stmt, 3);
        hit->text_highlight = column_dup(stmt, 4);
        page->total = gr_db_column_int64(stmt, 5);
        page->count++;
    }
    return rc == GR_DB_DONE ? 0 : rc;
}

int gr_search__run_page(gr_db_conn *conn, const gr_search__sql *sql, gr_search__page *page,
                     int limit)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, gr_buf_cstr(&sql->text), &stmt);

    if (rc == 0)
        rc = gr_search__sql_bind(sql, stmt, 1);
    if (rc == 0)
        rc = read_hits(stmt, page, limit);
    gr_db_finalize(stmt);
    return rc;
}

int gr_search__run_count(gr_db_conn *conn, const gr_search__sql *sql, int64_t *out)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, gr_buf_cstr(&sql->text), &stmt);

    if (rc == 0)
        rc = gr_search__sql_bind(sql, stmt, 1);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        *out = gr_db_column_int64(stmt, 0);
        rc = 0;
    }
    gr_db_finalize(stmt);
    return rc;
}

