/* SPDX-License-Identifier: MIT */
/* Filter predicates as SQL over catalog_search, with their parameters. */
#ifndef GR_PLUGINS_CATALOG_API_FILTER_SQL_H
#define GR_PLUGINS_CATALOG_API_FILTER_SQL_H

#include <jansson.h>
#include <stddef.h>

#include "host/common/buf.h"
#include "host/store/db.h"

/**
 * Maximum number of conditions (subqueries on catalog_search) in one statement. Each is a
 * semi-join, and PostgreSQL 15 took about 1.4 s to plan 100 of them and over 2 minutes for
 * 400 on a 2-CPU machine, so one request could hold a database process that long.
 */
#define GR_CATALOG_FILTER_MAX_CONDITIONS 100

/** SQL text being built, and the text values of its `?` placeholders in order. */
typedef struct {
    gr_buf text;
    char **params;
    size_t count;
    size_t cap;
    size_t conditions; /* subqueries on catalog_search so far */
} gr_catalog_sql;

#define GR_CATALOG_SQL_INIT {GR_BUF_INIT, NULL, 0, 0, 0}

/** Appends a `?` to the text and a copy of `value` to the parameters. */
void gr_catalog_sql_param(gr_catalog_sql *sql, const char *value);

/** Appends literal SQL text. */
void gr_catalog_sql_puts(gr_catalog_sql *sql, const char *text);

/**
 * Binds every parameter to `stmt`, the first one at index `first` (1-based).
 * Returns 0 or the error of gr_db_bind_text().
 */
int gr_catalog_sql_bind(const gr_catalog_sql *sql, gr_db_stmt *stmt, int first);

/** Frees the text and the parameters. NULL-safe; the struct can be reused after. */
void gr_catalog_sql_free(gr_catalog_sql *sql);

/**
 * Appends to `sql` a boolean SQL expression that is true for the entities
 * that `predicate` matches, as Backstage's catalog evaluates it: every
 * condition is a subquery on catalog_search(entity_id, key, value) with the
 * key and the value in lower case, using the (key, value) index; no entity
 * is loaded. `id_column` names the column that holds the entity id in the
 * outer query (e.g. "fe.entity_id"); it is pasted into the text, so it must
 * be a trusted identifier. The predicate must have passed
 * gr_catalog_predicate_check() or come from gr_catalog_filter_parse().
 * A NULL predicate appends "1 = 1".
 *
 * Permission rules reuse this: AND the expression of a rule's conditions
 * into any query over entities.
 *
 * Returns 0, GR_EINVALID for operators that the catalog cannot match
 * ($contains with an object on a field other than `relations`), with
 * Backstage's message, or GR_ELIMIT (413) when `sql` then contains more than
 * GR_CATALOG_FILTER_MAX_CONDITIONS conditions. Thread-safe.
 */
int gr_catalog_filter_to_sql(const json_t *predicate, const char *id_column, gr_catalog_sql *sql);

/**
 * Splits off one `key: value` equality that every match of `predicate` must
 * satisfy (a top-level condition, or one inside a top-level $all), so a
 * query can walk the (key, value) index for it and test the rest per row.
 * Returns 1 with *key and *value in lower case (caller frees) and *rest the
 * remaining predicate (caller frees; NULL when nothing remains), or 0 when
 * there is no such condition.
 */
int gr_catalog_filter_split(const json_t *predicate, char **key, char **value, json_t **rest);

/** Lower-cases ASCII letters of `text` in place and returns it. */
char *gr_catalog_lower(char *text);

/**
 * Returns a lower-case copy of a search key or value, as the engine stores
 * it in catalog_search. It applies Unicode simple case mappings, so "ÄPFEL"
 * finds the stored "äpfel". Where the C.UTF-8 locale is missing, it changes
 * ASCII letters only, as the engine does. Caller frees.
 */
char *gr_catalog_lower_search(const char *text);

#endif
