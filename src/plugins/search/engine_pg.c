/* SPDX-License-Identifier: MIT */
/* The PostgreSQL engine: a weighted tsvector per document with a GIN index, ranked with ts_rank. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/search/internal.h"

/*
 * The tsvector is built from text folded by gr_search_fold() with the
 * 'simple' configuration, so matching does not depend on extensions and
 * behaves as SQLite's unicode61 tokenizer does. The title has weight A,
 * keywords B and the text C, so a title match ranks above a text match.
 * ts_headline() works on the original text. It folds accents only with the
 * gr_search configuration (simple plus the unaccent dictionary), which setup
 * creates when the unaccent extension exists or may be created. Without it
 * highlights use 'simple' and miss accented words.
 */

/* Key of the advisory lock taken while the text search configuration is made ("grsc"). */
#define PG_SETUP_LOCK_KEY 0x67727363

/* Reads the first column of the first row as text into *out (caller frees;
 * NULL without a row). */
static int query_text(gr_db_conn *conn, const char *sql, char **out)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, sql, &stmt);

    *out = NULL;
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        const char *text = gr_db_column_text(stmt, 0);

        *out = text ? gr_xstrdup(text) : NULL;
        rc = 0;
    } else if (rc == GR_DB_DONE) {
        rc = 0;
    }
    gr_db_finalize(stmt);
    return rc;
}

/* Returns the schema of the unaccent extension, creating the extension when
 * allowed; NULL when it is not available. */
static char *unaccent_schema(gr_db_conn *conn)
{
    static const char find[] = "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                               "ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'";
    char *schema = NULL;

    if (query_text(conn, find, &schema) == 0 && schema != NULL)
        return schema;
    if (gr_db_begin(conn) < 0)
        return NULL;
    if (gr_db_exec(conn, "CREATE EXTENSION IF NOT EXISTS unaccent") < 0 ||
        gr_db_commit(conn) < 0) {
        gr_debug("search", "the unaccent extension cannot be created: %s", gr_error_last());
        gr_db_rollback(conn);
        return NULL;
    }
    if (query_text(conn, find, &schema) < 0)
        return NULL;
    return schema;
}

static char *quote_ident(const char *name)
{
    gr_buf out = GR_BUF_INIT;

    gr_buf_putc(&out, '"');
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '"')
            gr_buf_putc(&out, '"');
        gr_buf_putc(&out, *p);
    }
    gr_buf_putc(&out, '"');
    return gr_buf_detach(&out);
}

static int make_config(gr_db_conn *conn, const char *schema, const char *unaccent)
{
    char *quoted_schema = quote_ident(schema);
    char *quoted_unaccent = quote_ident(unaccent);
    int rc = gr_db_begin(conn);

    if (rc == 0)
        rc = gr_search__exec_free(conn, gr_xasprintf("SELECT pg_advisory_xact_lock(%d)", PG_SETUP_LOCK_KEY));
    if (rc == 0)
        rc = gr_search__exec_free(
            conn,
            gr_xasprintf("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_ts_config c JOIN "
                         "pg_namespace n ON n.oid = c.cfgnamespace WHERE c.cfgname = 'gr_search' "
                         "AND n.nspname = current_schema()) THEN "
                         "CREATE TEXT SEARCH CONFIGURATION %1$s.gr_search (COPY = pg_catalog.simple); "
                         "ALTER TEXT SEARCH CONFIGURATION %1$s.gr_search ALTER MAPPING FOR "
                         "asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, "
                         "hword_part, hword_numpart WITH %2$s.unaccent, pg_catalog.simple; "
                         "END IF; END $$",
                         quoted_schema, quoted_unaccent));
    if (rc == 0)
        rc = gr_db_commit(conn);
    if (rc < 0)
        gr_db_rollback(conn);
    free(quoted_schema);
    free(quoted_unaccent);
    return rc;
}

static int pg_setup(gr_search *search, gr_db_conn *conn)
{
    char *schema = NULL;
    char *unaccent = NULL;
    int rc;

    free(search->headline_config);
    search->headline_config = gr_xstrdup("pg_catalog.simple");
    if ((rc = query_text(conn, "SELECT current_schema()", &schema)) < 0 || schema == NULL)
        return rc;

    unaccent = unaccent_schema(conn);
    if (unaccent != NULL && make_config(conn, schema, unaccent) == 0) {
        char *quoted = quote_ident(schema);

        free(search->headline_config);
        search->headline_config = gr_xasprintf("%s.gr_search", quoted);
        free(quoted);
    } else {
        gr_info("search", "highlights use the 'simple' text search configuration, so accented "
                          "words are matched but not highlighted; install the unaccent extension "
                          "to highlight them");
    }
    free(unaccent);
    free(schema);
    return 0;
}

static int pg_create_generation(gr_search *search, gr_db_conn *conn, int64_t generation)
{
    (void)search;
    return gr_search__exec_free(
        conn,
        gr_xasprintf(
            "CREATE TABLE IF NOT EXISTS search_g%1$" PRId64 "_docs ("
            " id BIGSERIAL PRIMARY KEY, doc_type TEXT NOT NULL, source TEXT NOT NULL,"
            " resource_ref TEXT, title TEXT NOT NULL, text TEXT NOT NULL,"
            " keywords TEXT NOT NULL, location TEXT NOT NULL, document TEXT NOT NULL,"
            " sort_key TEXT COLLATE \"C\" NOT NULL, tsv tsvector NOT NULL);"
            "CREATE INDEX IF NOT EXISTS search_g%1$" PRId64 "_docs_source"
            " ON search_g%1$" PRId64 "_docs (doc_type, source);"
            "CREATE TABLE IF NOT EXISTS search_g%1$" PRId64 "_fields ("
            " doc_id BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);"
            "CREATE INDEX IF NOT EXISTS search_g%1$" PRId64 "_fields_doc"
            " ON search_g%1$" PRId64 "_fields (doc_id)",
            generation));
}

/* The source and doc_id indexes stay in create_generation() because
 * incremental updates replace sources of a generation that is being built. */
static int pg_create_query_indexes(gr_db_conn *conn, int64_t generation)
{
    return gr_search__exec_free(
        conn, gr_xasprintf("CREATE INDEX IF NOT EXISTS search_g%1$" PRId64 "_docs_sort"
                           " ON search_g%1$" PRId64 "_docs (sort_key, id);"
                           "CREATE INDEX IF NOT EXISTS search_g%1$" PRId64 "_docs_tsv"
                           " ON search_g%1$" PRId64 "_docs USING GIN (tsv);"
                           "CREATE INDEX IF NOT EXISTS search_g%1$" PRId64 "_fields_key"
                           " ON search_g%1$" PRId64 "_fields (key, value, doc_id)",
                           generation));
}

static int pg_drop_generation(gr_db_conn *conn, int64_t generation)
{
    return gr_search__exec_free(conn, gr_xasprintf("DROP TABLE IF EXISTS search_g%1$" PRId64 "_fields;"
                                        "DROP TABLE IF EXISTS search_g%1$" PRId64 "_docs",
                                        generation));
}

static int step_done(gr_db_stmt *stmt)
{
    int rc = gr_db_step(stmt);

    return rc == GR_DB_DONE || rc == GR_DB_ROW ? 0 : rc;
}

static int pg_insert(gr_search *search, gr_db_conn *conn, int64_t generation,
                     const gr_search__doc *doc)
{
    char *folded[3] = {gr_search_fold(doc->title), gr_search_fold(doc->keywords),
                       gr_search_fold(doc->text)};
    const char *values[] = {doc->type,     doc->source,   doc->resource_ref, doc->title,
                            doc->text,     doc->keywords, doc->location,     doc->document,
                            doc->sort_key, folded[0],     folded[1],         folded[2]};
    char *sql = gr_xasprintf(
        "INSERT INTO search_g%" PRId64 "_docs (doc_type, source, resource_ref, title, text, "
        "keywords, location, document, sort_key, tsv) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "setweight(to_tsvector('pg_catalog.simple', ?), 'A') || "
        "setweight(to_tsvector('pg_catalog.simple', ?), 'B') || "
        "setweight(to_tsvector('pg_catalog.simple', ?), 'C')) RETURNING id",
        generation);
    gr_db_stmt *stmt = NULL;
    int64_t id = 0;
    int rc;

    (void)search;
    rc = gr_db_prepare(conn, sql, &stmt);
    free(sql);
    for (size_t i = 0; rc == 0 && i < sizeof(values) / sizeof(values[0]); i++)
        rc = gr_db_bind_text(stmt, (int)i + 1, values[i]);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        id = gr_db_column_int64(stmt, 0);
        rc = 0;
    } else if (rc == GR_DB_DONE) {
        rc = gr_error_set(GR_EBACKEND, "inserting a search document returned no id");
    }
    gr_db_finalize(stmt);
    for (size_t i = 0; i < 3; i++)
        free(folded[i]);
    if (rc == 0)
        rc = gr_search__insert_fields(conn, generation, id, doc);
    return rc;
}

static int pg_delete_source(gr_db_conn *conn, int64_t generation, const char *type,
                            const char *source)
{
    char *sql[2] = {
        gr_xasprintf("DELETE FROM search_g%1$" PRId64 "_fields WHERE doc_id IN (SELECT id FROM "
                     "search_g%1$" PRId64 "_docs WHERE doc_type = ? AND source = ?)",
                     generation),
        gr_xasprintf("DELETE FROM search_g%" PRId64 "_docs WHERE doc_type = ? AND source = ?",
                     generation),
    };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < 2; i++) {
        gr_db_stmt *stmt = NULL;

        rc = gr_db_prepare(conn, sql[i], &stmt);
        if (rc == 0)
            rc = gr_db_bind_text(stmt, 1, type);
        if (rc == 0)
            rc = gr_db_bind_text(stmt, 2, source);
        if (rc == 0)
            rc = step_done(stmt);
        gr_db_finalize(stmt);
    }
    free(sql[0]);
    free(sql[1]);
    return rc;
}

/* Fresh statistics let the planner pick the GIN and filter indexes on the new tables. */
static int pg_finish_generation(gr_db_conn *conn, int64_t generation)
{
    return gr_search__exec_free(conn, gr_xasprintf("ANALYZE search_g%1$" PRId64 "_docs;"
                                        "ANALYZE search_g%1$" PRId64 "_fields",
                                        generation));
}

static void match_from(gr_search__sql *sql, const gr_search__query *query, int64_t generation,
                       int with_term)
{
    char *fields = gr_search__table(generation, "fields");

    gr_search__sql_printf(sql, " FROM search_g%" PRId64 "_docs d", generation);
    if (with_term)
        gr_search__sql_puts(sql, ", q WHERE d.tsv @@ q.query");
    else
        gr_search__sql_puts(sql, " WHERE 1 = 1");
    gr_search__where(sql, query, fields);
    free(fields);
}

/* Builds ts_headline() options. Values are double-quoted, so quotes inside
 * them are dropped. */
static char *headline_options(const gr_search *search, const gr_search__query *query,
                              int whole)
{
    const gr_search__highlight *options = &search->highlight;
    gr_buf out = GR_BUF_INIT;

    gr_buf_printf(&out, "StartSel=\"%s\", StopSel=\"%s\"", query->pre_tag, query->post_tag);
    if (whole || options->highlight_all) {
        gr_buf_puts(&out, ", HighlightAll=true");
        return gr_buf_detach(&out);
    }
    gr_buf_printf(&out, ", MaxWords=%d, MinWords=%d, ShortWord=%d, MaxFragments=%d",
                  options->max_words, options->min_words, options->short_word,
                  options->max_fragments);
    gr_buf_puts(&out, ", FragmentDelimiter=\"");
    for (const char *p = options->fragment_delimiter; *p != '\0'; p++)
        if (*p != '"')
            gr_buf_putc(&out, *p);
    gr_buf_putc(&out, '"');
    return gr_buf_detach(&out);
}

static void term_page_sql(gr_search *search, gr_search__sql *sql, const gr_search__query *query,
                          int64_t generation, const char *tsquery)
{
    char *title_options;
    char *text_options;

    gr_search__sql_puts(sql, "WITH q AS (SELECT to_tsquery('pg_catalog.simple', ");
    gr_search__sql_param(sql, tsquery);
    gr_search__sql_puts(sql, ") AS query), top AS MATERIALIZED (SELECT d.id AS id, "
                             "ts_rank(d.tsv, q.query) AS score, count(*) OVER () AS total");
    match_from(sql, query, generation, 1);
    gr_search__sql_printf(sql, " ORDER BY score DESC, d.id LIMIT %d OFFSET %" PRId64 ") ",
                          query->limit, query->offset);

    if (!search->highlight.enabled || query->suggest) {
        gr_search__sql_printf(sql,
                              "SELECT top.id, d.doc_type, d.document, NULL, NULL, top.total "
                              "FROM top JOIN search_g%" PRId64 "_docs d ON d.id = top.id "
                              "ORDER BY top.score DESC, top.id",
                              generation);
        return;
    }

    /* ts_headline runs only on the page's rows. */
    title_options = headline_options(search, query, 1);
    text_options = headline_options(search, query, 0);
    gr_search__sql_puts(sql, "SELECT top.id, d.doc_type, d.document, ts_headline(CAST(");
    gr_search__sql_param(sql, search->headline_config);
    gr_search__sql_puts(sql, " AS regconfig), d.title, q.query, ");
    gr_search__sql_param(sql, title_options);
    gr_search__sql_puts(sql, "), ts_headline(CAST(");
    gr_search__sql_param(sql, search->headline_config);
    gr_search__sql_puts(sql, " AS regconfig), d.text, q.query, ");
    gr_search__sql_param(sql, text_options);
    gr_search__sql_printf(sql,
                          "), top.total FROM top JOIN search_g%" PRId64 "_docs d ON d.id = top.id,"
                          " q ORDER BY top.score DESC, top.id",
                          generation);
    free(title_options);
    free(text_options);
}

/* Appends one list of type-ahead candidates that match `tsquery`, without
 * the titles of the first list, in id order. */
static void suggest_matches(gr_search__sql *sql, const gr_search__query *query,
                            int64_t generation, const char *tsquery, const char *start,
                            const char *end)
{
    char *fields = gr_search__table(generation, "fields");

    gr_search__sql_printf(sql,
                          " UNION ALL SELECT * FROM (SELECT d.id, d.doc_type, d.document,"
                          " NULL, NULL, -1 FROM search_g%" PRId64 "_docs d"
                          " WHERE d.tsv @@ to_tsquery('pg_catalog.simple', ",
                          generation);
    gr_search__sql_param(sql, tsquery);
    gr_search__sql_puts(sql, ") AND NOT (");
    gr_search__title_starts(sql, start, end);
    gr_search__sql_puts(sql, ")");
    gr_search__where(sql, query, fields);
    free(fields);
}

/* A type-ahead query reads the same three lists as on SQLite (engine_sqlite.c):
 * titles that start with the term, other title matches (weight A), then the
 * remaining matches. PostgreSQL's Append node stops when the page is full,
 * so no list is ranked with ts_rank or counted. */
static void suggest_sql(gr_search__sql *sql, const gr_search__query *query, int64_t generation,
                        const char *any, const char *in_title)
{
    int64_t max = query->offset + query->limit;
    char *start = gr_search__title_start(&query->terms);
    char *end = gr_search__title_end(start);
    char *fields = gr_search__table(generation, "fields");

    gr_search__sql_printf(sql,
                          "SELECT * FROM (SELECT d.id, d.doc_type, d.document, NULL, NULL, -1"
                          " FROM search_g%" PRId64 "_docs d WHERE ",
                          generation);
    gr_search__title_starts(sql, start, end);
    gr_search__where(sql, query, fields);
    gr_search__sql_printf(sql, " ORDER BY d.sort_key, d.id LIMIT %" PRId64 ") AS starts", max);

    suggest_matches(sql, query, generation, in_title, start, end);
    gr_search__sql_printf(sql, " ORDER BY d.id LIMIT %" PRId64 ") AS titles", max);

    suggest_matches(sql, query, generation, any, start, end);
    gr_search__sql_puts(sql, " AND NOT d.tsv @@ to_tsquery('pg_catalog.simple', ");
    gr_search__sql_param(sql, in_title);
    gr_search__sql_printf(sql, ") ORDER BY d.id LIMIT %" PRId64 ") AS others LIMIT %d OFFSET %" PRId64,
                          max, query->limit, query->offset);
    free(start);
    free(end);
    free(fields);
}

static int pg_query(gr_search *search, gr_db_conn *conn, int64_t generation,
                    const gr_search__query *query, gr_search__page *page)
{
    gr_search__sql sql = GR_SEARCH__SQL_INIT;
    char *tsquery = NULL;
    char *any = NULL;
    char *in_title = NULL;
    int rc;

    memset(page, 0, sizeof(*page));
    tsquery = gr_search_terms_tsquery(&query->terms);
    if (query->suggest) {
        any = gr_search_terms_tsquery_typeahead(&query->terms, "");
        in_title = gr_search_terms_tsquery_typeahead(&query->terms, "A");
    }
    if (any != NULL) {
        suggest_sql(&sql, query, generation, any, in_title);
    } else if (tsquery != NULL) {
        term_page_sql(search, &sql, query, generation, tsquery);
    } else {
        /* The (sort_key, id) index gives the order; the count is a separate query. */
        gr_search__sql_puts(&sql, "SELECT d.id, d.doc_type, d.document, NULL, NULL, -1");
        match_from(&sql, query, generation, 0);
        gr_search__sql_printf(&sql, " ORDER BY d.sort_key, d.id LIMIT %d OFFSET %" PRId64,
                              query->limit, query->offset);
    }
    rc = gr_search__run_page(conn, &sql, page, query->limit);
    gr_search__sql_free(&sql);

    /* A page that is neither full nor empty ends the results, so its end is
     * the count; otherwise the matches are counted. */
    if (rc == 0 && page->total < 0 && page->count > 0 && page->count < (size_t)query->limit)
        page->total = query->offset + (int64_t)page->count;
    if (rc == 0 && query->suggest)
        page->total = query->offset + (int64_t)page->count;
    if (rc == 0 && !query->suggest &&
        (page->total < 0 || (page->count == 0 && query->offset > 0))) {
        if (tsquery != NULL) {
            gr_search__sql_puts(&sql, "WITH q AS (SELECT to_tsquery('pg_catalog.simple', ");
            gr_search__sql_param(&sql, tsquery);
            gr_search__sql_puts(&sql, ") AS query) SELECT count(*)");
        } else {
            gr_search__sql_puts(&sql, "SELECT count(*)");
        }
        match_from(&sql, query, generation, tsquery != NULL);
        rc = gr_search__run_count(conn, &sql, &page->total);
        gr_search__sql_free(&sql);
    }
    free(any);
    free(in_title);
    free(tsquery);
    return rc;
}

const gr_search__engine gr_search__pg_engine = {
    .setup = pg_setup,
    .create_generation = pg_create_generation,
    .drop_generation = pg_drop_generation,
    .insert = pg_insert,
    .delete_source = pg_delete_source,
    .create_query_indexes = pg_create_query_indexes,
    .finish_generation = pg_finish_generation,
    .query = pg_query,
};
