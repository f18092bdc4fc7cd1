/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of the search plugin: the service state and the engine interface. */
#ifndef GR_PLUGINS_SEARCH_INTERNAL_H
#define GR_PLUGINS_SEARCH_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "host/common/buf.h"
#include "host/store/db.h"
#include "plugins/search/search.h"
#include "plugins/search/terms.h"
#include "plugins/search/words.h"

/* SQL text and the text values of its `?` placeholders, in order. */
typedef struct {
    gr_buf text;
    char **params;
    size_t count;
    size_t cap;
} gr_search__sql;

#define GR_SEARCH__SQL_INIT {GR_BUF_INIT, NULL, 0, 0}

void gr_search__sql_puts(gr_search__sql *sql, const char *text);
void gr_search__sql_printf(gr_search__sql *sql, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends a `?` and a copy of `value`. */
void gr_search__sql_param(gr_search__sql *sql, const char *value);
/* Appends SQL that has placeholders of its own, with their values. */
void gr_search__sql_append(gr_search__sql *sql, const char *text, char *const *params,
                           size_t count);
int gr_search__sql_bind(const gr_search__sql *sql, gr_db_stmt *stmt, int first);
void gr_search__sql_free(gr_search__sql *sql);

/* One field value that filters match, in lower case. */
typedef struct {
    char *key;
    char *value;
} gr_search__field;

/* A document ready to be written: copies, checked and with derived columns. */
typedef struct {
    char *type;
    char *source;
    char *title;
    char *text;
    char *keywords;
    char *location;
    char *resource_ref; /* lower case, or NULL */
    char *document;     /* the JSON document returned by queries */
    char *sort_key;     /* folded title, orders results of a query without term */
    gr_search__field *fields;
    size_t field_count;
} gr_search__doc;

void gr_search__doc_free(gr_search__doc *doc);

/* Case-folds `text` for filter matching. Returns a new string, or NULL when
 * `text` is not UTF-8. */
char *gr_search__lower(const char *text);

/* A query after validation, in the form the engines run. */
typedef struct {
    gr_search_terms terms; /* no parts: no term */
    const char **types;
    size_t type_count;
    gr_search_filter *filters; /* keys as given, values in lower case */
    size_t filter_count;
    int64_t offset;
    int limit;
    const gr_search_access *access;
    const char *pre_tag;
    const char *post_tag;
    bool suggest; /* type-ahead: cheap lookups, no highlights, no count */
} gr_search__query;

/* One result row. Highlights are NULL when the field did not match. */
typedef struct {
    char *type;
    char *document;
    char *title_highlight;
    char *text_highlight;
} gr_search__hit;

typedef struct {
    gr_search__hit *hits;
    size_t count;
    int64_t total; /* -1 when the page was empty and the total still has to be counted */
} gr_search__page;

void gr_search__page_free(gr_search__page *page);

/* Runs a page query whose rows are (id, type, document, title highlight,
 * text highlight, total) and reads at most `limit` hits. */
int gr_search__run_page(gr_db_conn *conn, const gr_search__sql *sql, gr_search__page *page,
                        int limit);
/* Runs a query whose first column is a count. */
int gr_search__run_count(gr_db_conn *conn, const gr_search__sql *sql, int64_t *out);

/* The operations that differ between SQLite FTS5 and PostgreSQL full-text search.
 * Table names are gr_search__table(generation, "docs" | "fields" | "fts"). */
typedef struct {
    int (*setup)(gr_search *search, gr_db_conn *conn);
    int (*create_generation)(gr_search *search, gr_db_conn *conn, int64_t generation);
    int (*drop_generation)(gr_db_conn *conn, int64_t generation);
    int (*insert)(gr_search *search, gr_db_conn *conn, int64_t generation,
                  const gr_search__doc *doc);
    int (*delete_source)(gr_db_conn *conn, int64_t generation, const char *type,
                         const char *source);
    /* Creates the indexes that only queries use. A rebuild creates them after
     * filling the tables, because building an index once costs less than
     * updating it row by row. Idempotent. */
    int (*create_query_indexes)(gr_db_conn *conn, int64_t generation);
    int (*finish_generation)(gr_db_conn *conn, int64_t generation);
    int (*query)(gr_search *search, gr_db_conn *conn, int64_t generation,
                 const gr_search__query *query, gr_search__page *page);
} gr_search__engine;

extern const gr_search__engine gr_search__sqlite_engine;
extern const gr_search__engine gr_search__pg_engine;

/* Highlight settings (search.pg.highlightOptions). */
typedef struct {
    int enabled;
    int max_words;
    int min_words;
    int short_word;
    int highlight_all;
    int max_fragments;
    char *fragment_delimiter;
} gr_search__highlight;

/* A queued change: re-collate `source` for `type` (NULL: every collator that follows entities). */
typedef struct {
    char *type;
    char *source;
} gr_search__change;

/* A catalog_history id that the history reader skipped because no row had it yet. */
typedef struct {
    int64_t id;
    int64_t noticed_ms; /* CLOCK_MONOTONIC */
} gr_search__history_gap;

struct gr_search {
    gr_db *db;
    const gr_config *config;
    char *instance_id;
    const gr_search__engine *engine;
    char *headline_config; /* PostgreSQL: regconfig for ts_headline */

    gr_search_collator collators[GR_SEARCH_MAX_COLLATORS];
    size_t collator_count;

    gr_search_access_fn access_fn;
    void *access_payload;

    char pre_tag[48];
    char post_tag[48];
    int max_page_limit;
    int max_term_length;
    gr_search__highlight highlight;

    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t idle;
    pthread_t thread;
    int started;
    int stopping;
    int busy;
    gr_search__change *queue;
    size_t queue_count;
    size_t queue_cap;
    size_t dropped;

    /* Following catalog_history (history.c). `follows_history` and
     * `history_due` are guarded by `lock`. The other fields belong to the
     * worker thread, and to gr_search_start() before the worker runs. */
    int follows_history;          /* the stitch hook only wakes the worker */
    int history_due;              /* the worker reads the history at once */
    int history_failing;          /* the last read failed and was logged */
    int64_t history_last;         /* newest id handled, -1 when not following */
    int64_t history_saved;        /* newest id written to search_state.history_id */
    gr_search__history_gap *gaps; /* oldest first */
    size_t gap_count;
    size_t gap_cap;
};

/* Config accessors that accept a NULL config and return the fallback. */
int64_t gr_search__config_int(const gr_config *cfg, const char *path, int64_t fallback);
int gr_search__config_bool(const gr_config *cfg, const char *path, int fallback);
const char *gr_search__config_string(const gr_config *cfg, const char *path,
                                     const char *fallback);

/* Returns the name of a generation's table ("search_g3_docs"); caller frees. */
char *gr_search__table(int64_t generation, const char *part);

/* Runs SQL without parameters and frees it. */
int gr_search__exec_free(gr_db_conn *conn, char *sql);

/* Writes the filter rows of document `id` into the generation's fields table. */
int gr_search__insert_fields(gr_db_conn *conn, int64_t generation, int64_t id,
                             const gr_search__doc *doc);

/* Finds a registered collator by type, or NULL. */
const gr_search_collator *gr_search__collator(const gr_search *search, const char *type);

/* Reads the active generation (and the one being built, or 0) on `conn`.
 * With `lock`, inside a transaction, the state row is locked against a
 * concurrent switch (PostgreSQL FOR SHARE; SQLite's writer lock does this). */
int gr_search__state(gr_db_conn *conn, int64_t *active, int64_t *building, int lock);

/* Makes a sink that collects prepared documents in memory. */
gr_search_sink *gr_search__sink_collect(gr_search *search, const char *type);
/* Makes a sink that writes documents to `generation` in transactions of
 * GR_SEARCH__BATCH documents; gr_search__sink_flush() writes the rest. */
gr_search_sink *gr_search__sink_write(gr_search *search, const char *type, int64_t generation);
int gr_search__sink_flush(gr_search_sink *sink);
/* Returns the documents a collecting sink contains (borrowed) and their count. */
gr_search__doc *gr_search__sink_docs(gr_search_sink *sink, size_t *count);
size_t gr_search__sink_written(const gr_search_sink *sink);
void gr_search__sink_free(gr_search_sink *sink);

/* Documents written per transaction during a rebuild. */
#define GR_SEARCH__BATCH 500
/* Sources re-collated per transaction by incremental updates and catch-up. */
#define GR_SEARCH__SOURCE_BATCH 100

/* catalog_history rows read per poll. */
#define GR_SEARCH__HISTORY_BATCH 1000
/* How long a skipped catalog_history id is looked for again, in ms. */
#define GR_SEARCH__HISTORY_GAP_MS 60000
/* Maximum number of skipped ids looked for again; the oldest are given up first. */
#define GR_SEARCH__HISTORY_MAX_GAPS 1000

/* Re-collates a batch of changes (taking ownership of the array and its
 * strings) in transactions of GR_SEARCH__SOURCE_BATCH sources. A failed
 * transaction is logged and skipped. Runs on the calling thread. */
void gr_search__apply_batch(gr_search *search, gr_search__change *changes, size_t count);

/* Finds where the worker starts reading catalog_history: the position in
 * search_state, which is set to the newest id when it has none. Leaves
 * history_last at -1 when the catalog has no history table. Called by
 * gr_search_start() before the worker runs. Returns 0 or a database error. */
int gr_search__history_start(gr_search *search);

/* Re-collates the entities of catalog_history rows not handled yet, at most
 * GR_SEARCH__HISTORY_BATCH new rows, and saves the position. Worker thread
 * only. Returns 1 when more rows wait, 0 when none do, or a database error. */
int gr_search__history_poll(gr_search *search);

/* Writes the collected documents of one source into `generation` in place
 * of the source's old ones. Runs inside the caller's transaction. */
int gr_search__replace_source(gr_search *search, gr_db_conn *conn, int64_t generation,
                              const char *type, const char *source, gr_search__doc *docs,
                              size_t count);

/* Appends the conditions every engine shares: types, filters and access.
 * `docs` and `fields` are the generation's tables, aliased `d` in the query. */
void gr_search__where(gr_search__sql *sql, const gr_search__query *query, const char *fields);

/* Returns the words of a type-ahead term joined by spaces, which is how the
 * folded title (sort_key) of a document whose title starts with the term
 * starts. Caller frees. */
char *gr_search__title_start(const gr_search_terms *terms);
/* Returns `start` followed by U+10FFFF, which sorts after every sort_key that
 * starts with `start` because sort_key holds only letters, digits and spaces.
 * Bounds a range scan of the (sort_key, id) index. Caller frees. */
char *gr_search__title_end(const char *start);
/* Appends `d.sort_key` in [start, end), without a leading AND. */
void gr_search__title_starts(gr_search__sql *sql, const char *start, const char *end);


#endif
