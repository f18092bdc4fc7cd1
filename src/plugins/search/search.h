/* SPDX-License-Identifier: MIT */
/* Search: collators turn catalog entities, docs pages and plugin data into an indexed, queryable set. */
#ifndef GR_PLUGINS_SEARCH_SEARCH_H
#define GR_PLUGINS_SEARCH_SEARCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "host/common/buf.h"
#include "host/store/db.h"

/*
 * Documents live in the shared database, in one generation of tables at a
 * time: SQLite FTS5 (bm25, prefix queries, highlight() and snippet()) or
 * PostgreSQL full-text search (tsvector with weights, GIN, ts_rank,
 * ts_headline), chosen by the database's engine. The row of search_state
 * names the active generation. A rebuild fills a new generation while the
 * active one keeps serving, then switches in one transaction.
 *
 * Incremental updates replace the documents of one source (for the built-in
 * collators, one entity) in the active generation. A change notified with
 * gr_search_notify() or gr_search_on_entity_stitched() is applied by a
 * worker thread, normally within milliseconds. The worker also reads the
 * catalog's history table every GR_SEARCH_HISTORY_POLL_MS, so entity changes
 * that other processes stitch (another instance, `greenroom catalog import`)
 * reach the index too.
 *
 * Threads: every function is thread-safe unless its contract states otherwise.
 */

typedef struct gr_search gr_search;
typedef struct gr_search_sink gr_search_sink;
typedef struct gr_config gr_config;

/** Maximum number of registered collators. */
#define GR_SEARCH_MAX_COLLATORS 32
/** Maximum length of a document type name, in bytes. */
#define GR_SEARCH_MAX_TYPE_BYTES 64
/** Maximum indexed size of a document's text, in bytes; longer text is cut at a character boundary. */
#define GR_SEARCH_MAX_TEXT_BYTES ((size_t)256 << 10)
/** Maximum size of a title, location, source or keyword list, in bytes; longer documents are rejected. */
#define GR_SEARCH_MAX_FIELD_BYTES ((size_t)16 << 10)
/** Maximum number of filter keys in one query, and of values per key. */
#define GR_SEARCH_MAX_FILTERS 16
#define GR_SEARCH_MAX_FILTER_VALUES 64
/** Maximum length of a filter key or value, in bytes. */
#define GR_SEARCH_MAX_FILTER_BYTES 256
/** Maximum number of types named in one query. */
#define GR_SEARCH_MAX_QUERY_TYPES 32
/** Results per page when the query names no page limit (as in Backstage). */
#define GR_SEARCH_DEFAULT_PAGE_LIMIT 25
/** Defaults of search.maxPageLimit and search.maxTermLength (as in Backstage). */
#define GR_SEARCH_DEFAULT_MAX_PAGE_LIMIT 100
#define GR_SEARCH_DEFAULT_MAX_TERM_LENGTH 100
/** Largest page number a cursor may name. */
#define GR_SEARCH_MAX_PAGE 100000
/** How often the worker calls the collators' poll hooks, in ms. */
#define GR_SEARCH_POLL_MS 250
/** How often the worker reads catalog_history for entity changes of other processes, in ms. */
#define GR_SEARCH_HISTORY_POLL_MS 1000
/** A rebuild whose owner has not written for this long is abandoned by the next one, in ms. */
#define GR_SEARCH_BUILD_LEASE_MS 120000
/** Maximum number of changes waiting for the worker; more are dropped with a warning. */
#define GR_SEARCH_MAX_QUEUE 100000

/**
 * One document as a collator emits it. Every string is borrowed for the
 * call to gr_search_sink_add(), which copies what it keeps.
 */
typedef struct {
    const char *source;       /* what the document derives from: incremental updates replace
                                 every document of a (type, source); for entities, the ref */
    const char *title;        /* required */
    const char *text;         /* may be NULL (empty) */
    const char *location;     /* required: a path ("/catalog/...") or an http(s) URL */
    const char *keywords;     /* further words that match but are not shown, or NULL */
    const char *resource_ref; /* entity ref whose read permission governs the document,
                                 or NULL for a document every caller may read */
    const json_t *fields;     /* further document fields (an object) for the response and
                                 for filters, or NULL; borrowed */
} gr_search_doc;

/**
 * Adds a document to the index being written. Returns 0; GR_EINVALID for a
 * document without title, location or source, a location that is neither a
 * path nor an http(s) URL, fields that are not an object, or text that is
 * not UTF-8 (the message names the document); GR_ELIMIT for a field past
 * GR_SEARCH_MAX_FIELD_BYTES; or a database error. A collator should skip a
 * document that fails with GR_EINVALID or GR_ELIMIT and log it, and stop on
 * other errors.
 */
int gr_search_sink_add(gr_search_sink *sink, const gr_search_doc *doc);

/** A source of documents of one type. */
typedef struct {
    const char *type; /* e.g. "software-catalog"; lower-case letters, digits, '-' and '_' */
    /* Emits every document of the type. Returns 0 or an error code. */
    int (*collate_all)(void *payload, gr_search_sink *sink);
    /* Emits the current documents of one source; emitting none removes the
     * source from the index. NULL when the type has no incremental updates. */
    int (*collate_source)(void *payload, const char *source, gr_search_sink *sink);
    /* Called on the worker thread every GR_SEARCH_POLL_MS to find changes and
     * report them with gr_search_notify(). May be NULL. */
    void (*poll)(void *payload, gr_search *search);
    /* Nonzero when sources are entity refs, so that a catalog entity change
     * re-collates the source named by the entity's ref. */
    int follows_entities;
    void *payload;                      /* passed to the hooks; owned by the collator */
    void (*free_payload)(void *payload); /* run by gr_search_free(), or NULL */
} gr_search_collator;

/** How to create the search service. */
typedef struct {
    gr_db *db;                /* borrowed; must outlive the service */
    const gr_config *config;  /* borrowed; NULL uses the defaults */
    const char *instance_id;  /* names this process as owner of a rebuild; NULL makes one */
} gr_search_options;

/** The component under which the host records the search plugin's migrations. */
#define GR_SEARCH_MIGRATION_COMPONENT "plugin:search"

/**
 * Creates the search service: makes sure the active generation's tables
 * exist and, on PostgreSQL, sets up the text search configuration that
 * ts_headline() uses (with the unaccent dictionary when the extension
 * exists or may be created). The plugin's migrations must have run on the
 * database (gr_search_migrate() in plugins/search/plugin.h).
 * Returns 0 and *out (free with gr_search_free()), GR_EINVALID for an
 * invalid setting or a database without the search tables, or a database
 * error.
 */
int gr_search_new(gr_search **out, const gr_search_options *options);

/**
 * Registers a collator; `collator` is copied and its payload is owned by
 * the service from now on, also when registration fails. Register before
 * gr_search_start(). Returns 0; GR_EINVALID for a bad type name or missing
 * collate_all; GR_ECONFLICT when the type is registered; GR_ELIMIT past
 * GR_SEARCH_MAX_COLLATORS.
 */
int gr_search_register_collator(gr_search *search, const gr_search_collator *collator);

/**
 * Starts the worker thread, which reads catalog_history from the position
 * saved in search_state (the newest id when none is saved). Returns 0, or
 * GR_EINVALID when started before. A failed read of the position is logged,
 * and the worker then learns of entity changes only through the stitch hook.
 */
int gr_search_start(gr_search *search);

/** Stops the worker thread after the change it is applying. Idempotent. */
void gr_search_stop(gr_search *search);

/** Stops the service if needed, frees the collators' payloads and the service. NULL-safe. */
void gr_search_free(gr_search *search);

/** Returns the database of the service (borrowed). */
gr_db *gr_search_db(const gr_search *search);

/** Returns the configuration given at creation (borrowed, may be NULL). */
const gr_config *gr_search_config(const gr_search *search);

/**
 * Queues the re-collation of `source` for collator `type`; NULL `type`
 * means every collator that follows entities. Returns at once; the worker
 * applies the change. Copies the strings.
 */
void gr_search_notify(gr_search *search, const char *type, const char *source);

/**
 * A catalog stitch hook (the signature of gr_catalog_stitched_fn). While the
 * worker reads catalog_history, it wakes the worker, which finds the change
 * there, so the change is collated once. Otherwise (before
 * gr_search_start(), after gr_search_stop(), or without a catalog_history
 * table) it queues `entity_ref` for every collator that follows entities.
 * `search` is the gr_search.
 */
void gr_search_on_entity_stitched(const char *entity_ref, int deleted, void *search);

/**
 * Re-collates one source now on the calling thread and writes it to the
 * active generation (and to a rebuild in progress). Returns 0,
 * GR_ENOTFOUND for an unknown type, or the collator's or database's error.
 */
int gr_search_update(gr_search *search, const char *type, const char *source);

/**
 * Waits until the worker's queue is empty, no change is being applied and
 * the worker has read the history rows that a stitch hook call announced.
 * Returns 0, or GR_ELIMIT after `timeout_ms`.
 */
int gr_search_wait_idle(gr_search *search, int timeout_ms);

/** Counts and timing of a rebuild. */
typedef struct {
    int64_t generation; /* the generation now active */
    size_t documents;   /* documents written by the full collation */
    size_t catch_up;    /* sources re-collated because they changed during the rebuild */
    double seconds;     /* wall-clock time of the whole rebuild */
} gr_search_reindex_stats;

/**
 * Rebuilds the index from every collator into a new generation, applies
 * the changes that arrived meanwhile, and makes it active in one
 * transaction. Queries keep using the old generation until then, and the
 * old tables are dropped after. `stats` may be NULL.
 * Returns 0; GR_ECONFLICT when another process is rebuilding (its lease is
 * younger than GR_SEARCH_BUILD_LEASE_MS); a collator's error; or a
 * database error. On error the new generation is dropped and the active
 * one is untouched.
 */
int gr_search_reindex(gr_search *search, gr_search_reindex_stats *stats);

/** Filter on one document field: the field equals one of `values` (case-insensitive). */
typedef struct {
    const char *key;
    const char **values;
    size_t count;
} gr_search_filter;

/** A query, with Backstage's parameters. Strings are borrowed. */
typedef struct {
    const char *term;            /* NULL or "" lists every readable document */
    const char **types;          /* NULL or empty: every type */
    size_t type_count;
    const gr_search_filter *filters; /* ANDed */
    size_t filter_count;
    const char *page_cursor;     /* NULL for the first page */
    int page_limit;              /* 0 for GR_SEARCH_DEFAULT_PAGE_LIMIT */
    int suggest;                 /* nonzero for type-ahead: titles that start with the term come
                                    first, then title matches, then other matches, unranked and
                                    without highlights or a count (numberOfResults is the end of
                                    the page, and there is no nextPageCursor). A plain word that
                                    another word follows matches whole, the last as a prefix. */
} gr_search_request;

/** The documents a caller may read, as the permission layer decides. */
typedef enum {
    GR_SEARCH_ALLOW = 0,       /* every document */
    GR_SEARCH_DENY = 1,        /* only documents without a resource_ref */
    GR_SEARCH_CONDITIONAL = 2, /* documents whose entity satisfies `sql` */
} gr_search_decision;

/**
 * A read decision. For GR_SEARCH_CONDITIONAL, `sql` is a boolean SQL
 * expression over the entity whose id (catalog_final_entities.entity_id)
 * is the column named in the call, with `?` placeholders whose text values
 * are `params` in order. It is evaluated inside the query, before paging,
 * so results, counts and cursors only ever reflect readable documents.
 */
typedef struct {
    gr_search_decision decision;
    gr_buf sql;
    char **params;
    size_t param_count;
} gr_search_access;

/** Appends a copy of `value` to the parameters of `access`. */
void gr_search_access_param(gr_search_access *access, const char *value);

/** Frees the SQL and parameters. NULL-safe; the struct can be reused after. */
void gr_search_access_free(gr_search_access *access);

/**
 * Decides what `caller` may read (the identity from gr_req_identity(), or
 * NULL when there is none), by filling `out` (zeroed on entry).
 * `id_column` names the entity id column the SQL must use. Returns 0 or an
 * error, which fails the query. Called on request threads.
 */
typedef int (*gr_search_access_fn)(void *payload, const void *caller, const char *id_column,
                                   gr_search_access *out);

/**
 * Sets the access hook (NULL: every caller reads everything). Call before
 * serving; `payload` is borrowed.
 */
void gr_search_set_access(gr_search *search, gr_search_access_fn fn, void *payload);

/**
 * Runs a query for `caller` and stores Backstage's result set in *out
 * (caller releases): {results: [{type, document, rank, highlight}],
 * numberOfResults, nextPageCursor?, previousPageCursor?}.
 * Returns 0; GR_EINVALID for a term longer than search.maxTermLength, an
 * unknown type, a bad cursor, a page limit above search.maxPageLimit, a
 * filter past the limits above, or text that is not UTF-8 (the message
 * names which); or a database error.
 */
int gr_search_query(gr_search *search, const gr_search_request *request, const void *caller,
                    json_t **out);

#endif
