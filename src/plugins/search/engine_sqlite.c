/* SPDX-License-Identifier: MIT */
/* The SQLite engine: an FTS5 table over each generation's documents, ranked with bm25. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/search/internal.h"

/*
 * The FTS5 table is an external-content table over search_g<N>_docs: it
 * stores only the index, and highlight() and snippet() read the text from
 * the docs table. Rows are removed with FTS5's 'delete' command, which
 * needs the indexed values, before the docs rows go.
 *
 * bm25 weights: a match in the title counts ten times a match in the text,
 * and the keywords (names, tags, owners) twice. Matches with equal scores
 * come in the order of FTS5's rank sort, which is the same for the same
 * index, so pages neither repeat nor skip results.
 */
#define SQLITE_BM25 "10.0, 1.0, 2.0"

static int sqlite_setup(gr_search *search, gr_db_conn *conn)
{
    (void)search;
    (void)conn;
    return 0;
}

static int sqlite_create_generation(gr_search *search, gr_db_conn *conn, int64_t generation)
{
    (void)search;
    return gr_search__exec_free(
        conn,
        gr_xasprintf(
            "CREATE TABLE IF NOT EXISTS search_g%1$" PRId64 "_docs ("
            " id INTEGER PRIMARY KEY, doc_type TEXT NOT NULL, source TEXT NOT NULL,"
            " resource_ref TEXT, title TEXT NOT NULL, text TEXT NOT NULL,"
            " keywords TEXT NOT NULL, location TEXT NOT NULL, document TEXT NOT NULL,"
            " sort_key TEXT NOT NULL);"
            "CREATE INDEX IF NOT EXISTS search_g%1$" PRId64 "_docs_source"
            " ON search_g%1$" PRId64 "_docs (doc_type, source);"
            "CREATE TABLE IF NOT EXISTS search_g%1$" PRId64 "_fields ("
            " doc_id BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);"
            "CREATE INDEX IF NOT EXISTS search_g%1$" PRId64 "_fields_doc"
            " ON search_g%1$" PRId64 "_fields (doc_id);"
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_g%1$" PRId64 "_fts USING fts5("
            " title, text, keywords, content='search_g%1$" PRId64 "_docs', content_rowid='id',"
            " tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
            generation));
}

/* The source and doc_id indexes stay in sqlite_create_generation() because
 * incremental updates replace sources of a generation that is being built. */
static int sqlite_create_query_indexes(gr_db_conn *conn, int64_t generation)
{
    return gr_search__exec_free(
        conn, gr_xasprintf("CREATE INDEX IF NOT EXISTS search_g%1$" PRId64 "_docs_sort"
                           " ON search_g%1$" PRId64 "_docs (sort_key, id);"
                           "CREATE INDEX IF NOT EXISTS search_g%1$" PRId64 "_fields_key"
                           " ON search_g%1$" PRId64 "_fields (key, value, doc_id)",
                           generation));
}

static int sqlite_drop_generation(gr_db_conn *conn, int64_t generation)
{
    return gr_search__exec_free(conn, gr_xasprintf("DROP TABLE IF EXISTS search_g%1$" PRId64 "_fts;"
                                        "DROP TABLE IF EXISTS search_g%1$" PRId64 "_fields;"
                                        "DROP TABLE IF EXISTS search_g%1$" PRId64 "_docs",
                                        generation));
}

/* Runs a statement that returns no rows; `sql` is freed. */
static int run_text(gr_db_conn *conn, char *sql, const char *const *params, size_t count)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, sql, &stmt);

    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = gr_db_bind_text(stmt, (int)i + 1, params[i]);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_DONE)
        rc = 0;
    else if (rc == GR_DB_ROW)
        rc = 0;
    gr_db_finalize(stmt);
    free(sql);
    return rc;
}

static int sqlite_insert(gr_search *search, gr_db_conn *conn, int64_t generation,
                         const gr_search__doc *doc)
{
    const char *values[] = {doc->type,     doc->source,   doc->resource_ref,
                            doc->title,    doc->text,     doc->keywords,
                            doc->location, doc->document, doc->sort_key};
    char *sql = gr_xasprintf("INSERT INTO search_g%" PRId64 "_docs (doc_type, source, "
                             "resource_ref, title, text, keywords, location, document, sort_key) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             generation);
    gr_db_stmt *stmt = NULL;
    int64_t id = 0;
    int rc;

    /* No RETURNING: with NOT NULL columns it makes the statement open a
     * savepoint, and FTS5 writes its pending terms to a new segment at every
     * savepoint, so a rebuild would write and merge one segment per document. */
    (void)search;
    rc = gr_db_prepare(conn, sql, &stmt);
    free(sql);
    for (size_t i = 0; rc == 0 && i < sizeof(values) / sizeof(values[0]); i++)
        rc = gr_db_bind_text(stmt, (int)i + 1, values[i]);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    if (rc == 0)
        rc = gr_db_query_int64(conn, "SELECT last_insert_rowid()", NULL, 0, &id);
    if (rc < 0)
        return rc;

    sql = gr_xasprintf("INSERT INTO search_g%" PRId64 "_fts (rowid, title, text, keywords) "
                       "VALUES (?, ?, ?, ?)",
                       generation);
    rc = gr_db_prepare(conn, sql, &stmt);
    free(sql);
    if (rc == 0)
        rc = gr_db_bind_int64(stmt, 1, id);
    if (rc == 0)
        rc = gr_db_bind_text(stmt, 2, doc->title);
    if (rc == 0)
        rc = gr_db_bind_text(stmt, 3, doc->text);
    if (rc == 0)
        rc = gr_db_bind_text(stmt, 4, doc->keywords);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);

    if (rc == 0)
        rc = gr_search__insert_fields(conn, generation, id, doc);
    return rc;
}

static int sqlite_delete_source(gr_db_conn *conn, int64_t generation, const char *type,
                                 const char *source)
{
    const char *params[] = {type, source};
    int rc;

    rc = run_text(conn,
                  gr_xasprintf("INSERT INTO search_g%1$" PRId64 "_fts (search_g%1$" PRId64
                               "_fts, rowid, title, text, keywords) SELECT 'delete', id, title, "
                               "text, keywords FROM search_g%1$" PRId64 "_docs "
                               "WHERE doc_type = ? AND source = ?",
                               generation),
                  params, 2);
    if (rc == 0)
        rc = run_text(conn,
                      gr_xasprintf("DELETE FROM search_g%1$" PRId64 "_fields WHERE doc_id IN "
                                   "(SELECT id FROM search_g%1$" PRId64 "_docs "
                                   "WHERE doc_type = ? AND source = ?)",
                                   generation),
                      params, 2);
    if (rc == 0)
        rc = run_text(conn,
                      gr_xasprintf("DELETE FROM search_g%" PRId64 "_docs "
                                   "WHERE doc_type = ? AND source = ?",
                                   generation),
                      params, 2);
    return rc;
}

/* Merges the FTS5 b-trees into one, which makes queries on a freshly
 * built generation faster. */
static int sqlite_finish_generation(gr_db_conn *conn, int64_t generation)
{
    return gr_search__exec_free(conn, gr_xasprintf("INSERT INTO search_g%1$" PRId64 "_fts (search_g%1$" PRId64
                                        "_fts) VALUES ('optimize')",
                                        generation));
}

/* A term with excluded parts only lists the documents that match none of
 * them; FTS5 has no NOT without something on its left. */
static void where_not_excluded(gr_search__sql *sql, const gr_search__query *query,
                               int64_t generation)
{
    char *excluded = gr_search_terms_fts5_excluded(&query->terms);

    if (excluded == NULL)
        return;
    gr_search__sql_printf(sql,
                          " AND d.id NOT IN (SELECT rowid FROM search_g%1$" PRId64 "_fts"
                          " WHERE search_g%1$" PRId64 "_fts MATCH ",
                          generation);
    gr_search__sql_param(sql, excluded);
    gr_search__sql_puts(sql, ")");
    free(excluded);
}

/* Builds the FROM and WHERE part that both the page and the count use. */
static void match_from(gr_search__sql *sql, const gr_search__query *query, int64_t generation,
                       const char *fts_query)
{
    char *fields = gr_search__table(generation, "fields");

    if (fts_query != NULL) {
        gr_search__sql_printf(sql,
                              " FROM search_g%1$" PRId64 "_fts JOIN search_g%1$" PRId64 "_docs d"
                              " ON d.id = search_g%1$" PRId64 "_fts.rowid"
                              " WHERE search_g%1$" PRId64 "_fts MATCH ",
                              generation);
        gr_search__sql_param(sql, fts_query);
    } else {
        gr_search__sql_printf(sql, " FROM search_g%" PRId64 "_docs d WHERE 1 = 1", generation);
        where_not_excluded(sql, query, generation);
    }
    gr_search__where(sql, query, fields);
    free(fields);
}

/* Lists documents without a term in (sort_key, id) order, which the index
 * gives without sorting; the count is a separate query. */
static void list_sql(gr_search__sql *sql, const gr_search__query *query, int64_t generation)
{
    gr_search__sql_puts(sql, "SELECT d.id, d.doc_type, d.document, NULL, NULL, -1");
    match_from(sql, query, generation, NULL);
    gr_search__sql_printf(sql, " ORDER BY d.sort_key, d.id LIMIT %d OFFSET %" PRId64,
                          query->limit, query->offset);
}

/* Ranks the matches with bm25 through FTS5's rank column, so that FTS5 sorts
 * them itself and highlight() and snippet() run only for the rows of the page. */
static void match_sql(gr_search *search, gr_search__sql *sql, const gr_search__query *query,
                      int64_t generation, const char *fts_query)
{
    char max_words[16];
    char *fields = gr_search__table(generation, "fields");

    snprintf(max_words, sizeof(max_words), "%d",
             search->highlight.max_words > 64 ? 64 : search->highlight.max_words);
    gr_search__sql_puts(sql, "SELECT d.id, d.doc_type, d.document, ");
    if (search->highlight.enabled && !query->suggest) {
        gr_search__sql_printf(sql, "highlight(search_g%" PRId64 "_fts, 0, ", generation);
        gr_search__sql_param(sql, query->pre_tag);
        gr_search__sql_puts(sql, ", ");
        gr_search__sql_param(sql, query->post_tag);
        gr_search__sql_printf(sql, "), snippet(search_g%" PRId64 "_fts, 1, ", generation);
        gr_search__sql_param(sql, query->pre_tag);
        gr_search__sql_puts(sql, ", ");
        gr_search__sql_param(sql, query->post_tag);
        gr_search__sql_puts(sql, ", ");
        gr_search__sql_param(sql, search->highlight.fragment_delimiter);
        gr_search__sql_printf(sql, ", %s), -1", max_words);
    } else {
        gr_search__sql_puts(sql, "NULL, NULL, -1");
    }
    gr_search__sql_printf(sql,
                          " FROM search_g%1$" PRId64 "_fts JOIN search_g%1$" PRId64 "_docs d"
                          " ON d.id = search_g%1$" PRId64 "_fts.rowid"
                          " WHERE search_g%1$" PRId64 "_fts MATCH ",
                          generation);
    gr_search__sql_param(sql, fts_query);
    gr_search__sql_printf(sql,
                          " AND search_g%" PRId64 "_fts.rank MATCH 'bm25(" SQLITE_BM25 ")'",
                          generation);
    gr_search__where(sql, query, fields);
    gr_search__sql_printf(sql, " ORDER BY search_g%" PRId64 "_fts.rank LIMIT %d OFFSET %" PRId64,
                          generation, query->limit, query->offset);
    free(fields);
}

/* Appends one list of type-ahead candidates that FTS5 finds in rowid order,
 * without the titles of the first list. */
static void suggest_matches(gr_search__sql *sql, const gr_search__query *query,
                            int64_t generation, const char *fts_query, const char *start,
                            const char *end)
{
    char *fields = gr_search__table(generation, "fields");

    gr_search__sql_printf(sql,
                          " UNION ALL SELECT * FROM (SELECT d.id, d.doc_type, d.document, NULL,"
                          " NULL, -1 FROM search_g%1$" PRId64 "_fts JOIN search_g%1$" PRId64
                          "_docs d ON d.id = search_g%1$" PRId64 "_fts.rowid"
                          " WHERE search_g%1$" PRId64 "_fts MATCH ",
                          generation);
    gr_search__sql_param(sql, fts_query);
    gr_search__sql_puts(sql, " AND NOT (");
    gr_search__title_starts(sql, start, end);
    gr_search__sql_puts(sql, ")");
    gr_search__where(sql, query, fields);
    free(fields);
}

/*
 * A type-ahead query reads three lists one after the other. First come titles that
 * start with the term, in title order from the (sort_key, id) index, so an
 * exact name comes first. Then come other documents that match in the title,
 * and then the remaining matches, both in FTS5's rowid order. SQLite stops
 * when the page is full, and no list is ranked with bm25, which costs about
 * 1 us per match (measured on 100,000 documents).
 */
static void suggest_sql(gr_search__sql *sql, const gr_search__query *query, int64_t generation,
                        const char *typeahead)
{
    int64_t max = query->offset + query->limit;
    char *start = gr_search__title_start(&query->terms);
    char *end = gr_search__title_end(start);
    char *in_title = gr_xasprintf("{title} : %s", typeahead);
    char *fields = gr_search__table(generation, "fields");

    gr_search__sql_printf(sql,
                          "SELECT * FROM (SELECT d.id, d.doc_type, d.document, NULL, NULL, -1"
                          " FROM search_g%" PRId64 "_docs d WHERE ",
                          generation);
    gr_search__title_starts(sql, start, end);
    gr_search__where(sql, query, fields);
    gr_search__sql_printf(sql, " ORDER BY d.sort_key, d.id LIMIT %" PRId64 ")", max);

    suggest_matches(sql, query, generation, in_title, start, end);
    gr_search__sql_printf(sql, " LIMIT %" PRId64 ")", max);

    suggest_matches(sql, query, generation, typeahead, start, end);
    gr_search__sql_printf(sql,
                          " AND d.id NOT IN (SELECT rowid FROM search_g%1$" PRId64 "_fts"
                          " WHERE search_g%1$" PRId64 "_fts MATCH ",
                          generation);
    gr_search__sql_param(sql, in_title);
    gr_search__sql_printf(sql, ") LIMIT %" PRId64 ") LIMIT %d OFFSET %" PRId64, max, query->limit,
                          query->offset);
    free(start);
    free(end);
    free(in_title);
    free(fields);
}

/* Counts the matches of `fts_query`, the unscored form. Without types,
 * filters or a read condition nothing needs the documents table, and
 * counting in the FTS5 index alone saves a row lookup per match. */
static void count_sql(gr_search__sql *sql, const gr_search__query *query, int64_t generation,
                      const char *fts_query)
{
    int plain = query->type_count == 0 && query->filter_count == 0 &&
                (query->access == NULL || query->access->decision == GR_SEARCH_ALLOW);

    if (fts_query == NULL || !plain) {
        gr_search__sql_puts(sql, "SELECT count(*)");
        match_from(sql, query, generation, fts_query);
        return;
    }
    gr_search__sql_printf(sql,
                          "SELECT count(*) FROM search_g%1$" PRId64 "_fts"
                          " WHERE search_g%1$" PRId64 "_fts MATCH ",
                          generation);
    gr_search__sql_param(sql, fts_query);
}

static int sqlite_query(gr_search *search, gr_db_conn *conn, int64_t generation,
                        const gr_search__query *query, gr_search__page *page)
{
    gr_search__sql sql = GR_SEARCH__SQL_INIT;
    char *fts_query = NULL;
    char *unscored = NULL;
    char *typeahead = NULL;
    int rc;

    memset(page, 0, sizeof(*page));
    fts_query = gr_search_terms_fts5(&query->terms);
    unscored = gr_search_terms_fts5_unscored(&query->terms);
    typeahead = query->suggest ? gr_search_terms_fts5_typeahead(&query->terms) : NULL;
    if (typeahead != NULL) {
        suggest_sql(&sql, query, generation, typeahead);
    } else if (fts_query != NULL) {
        match_sql(search, &sql, query, generation, fts_query);
    } else {
        list_sql(&sql, query, generation);
    }
    rc = gr_search__run_page(conn, &sql, page, query->limit);
    gr_search__sql_free(&sql);
    if (rc == 0 && query->suggest)
        page->total = query->offset + (int64_t)page->count;

    /* A page that is neither full nor empty ends the results, so its end is
     * the count; otherwise the matches are counted. */
    if (rc == 0 && page->total < 0 && page->count > 0 && page->count < (size_t)query->limit)
        page->total = query->offset + (int64_t)page->count;
    if (rc == 0 && !query->suggest &&
        (page->total < 0 || (page->count == 0 && query->offset > 0))) {
        count_sql(&sql, query, generation, unscored);
        rc = gr_search__run_count(conn, &sql, &page->total);
        gr_search__sql_free(&sql);
    }
    free(fts_query);
    free(unscored);
    free(typeahead);
    return rc;
}

const gr_search__engine gr_search__sqlite_engine = {
    .setup = sqlite_setup,
    .create_generation = sqlite_create_generation,
    .drop_generation = sqlite_drop_generation,
    .insert = sqlite_insert,
    .delete_source = sqlite_delete_source,
    .create_query_indexes = sqlite_create_query_indexes,
    .finish_generation = sqlite_finish_generation,
    .query = sqlite_query,
};
