/* SPDX-License-Identifier: MIT */
/* The search query language: words, "phrases", prefix*, -exclusions and field:value filters. */
#ifndef GR_PLUGINS_SEARCH_TERMS_H
#define GR_PLUGINS_SEARCH_TERMS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A term is read left to right into parts separated by white space:
 *
 *   pay team        Every word must match, exactly or as the start of a
 *                   longer word (type-ahead). An exact match scores higher.
 *   "card charges"  The words must follow each other in this order.
 *   pay*            Words starting with "pay" match.
 *   -legacy         Documents containing the word (or "-the phrase") are
 *                   left out.
 *   kind:component  The document's field `kind` must be "component". The
 *                   field names are those of GR_SEARCH_TERM_FIELDS, in any
 *                   case, and a value may be quoted (owner:"team a").
 *
 * Everything else is text: words are folded as gr_search_fold() does, an
 * unknown `key:value` is the two words, and an unclosed quote runs to the
 * end of the term. No term is an error except invalid UTF-8.
 */

/** Field names a term may filter on with `name:value`. */
#define GR_SEARCH_TERM_FIELDS "kind", "type", "lifecycle", "owner", "namespace", "name", "tags"

/** Maximum number of words kept from a term, over all its parts; later words are ignored. */
#define GR_SEARCH_MAX_QUERY_WORDS 32

/** Maximum number of `field:value` filters kept from a term; later ones are ignored. */
#define GR_SEARCH_MAX_TERM_FILTERS 8

/** One word or phrase of a term. */
typedef struct {
    char **words;  /* folded, one or more */
    size_t count;
    bool excluded; /* written with a leading '-' */
    bool prefix;   /* written with a trailing '*': the last word matches as a prefix only */
    bool quoted;   /* written in quotes: words match exactly unless `prefix` */
} gr_search_part;

/** One `field:value` filter of a term. */
typedef struct {
    char *key;   /* one of GR_SEARCH_TERM_FIELDS */
    char *value; /* lower case */
} gr_search_term_filter;

/** A parsed term. */
typedef struct {
    gr_search_part *parts;
    size_t count;
    size_t included; /* parts that are not excluded */
    gr_search_term_filter *filters;
    size_t filter_count;
} gr_search_terms;

/**
 * Parses `term` (see above). Returns 0, or GR_EINVALID when `term` is not
 * valid UTF-8. Free `out` with gr_search_terms_free(), also after an error.
 */
int gr_search_terms_parse(const char *term, gr_search_terms *out);

/** Frees the parts and filters. NULL-safe; `terms` can be parsed into again. */
void gr_search_terms_free(gr_search_terms *terms);

/**
 * Makes the FTS5 MATCH expression of the included parts, with the excluded
 * ones after NOT: `("pay" OR "pay"*) AND "card charges" NOT ("legacy")`.
 * Returns NULL when no part is included (FTS5 has no NOT on its own; see
 * gr_search_terms_fts5_excluded()). Caller frees.
 */
char *gr_search_terms_fts5(const gr_search_terms *terms);

/**
 * Makes an FTS5 MATCH expression that matches the same rows as
 * gr_search_terms_fts5() but writes a plain word as its prefix alone
 * (`"pay"*`), for counting and for unranked lookups, where the extra exact
 * form only adds work. Returns NULL when no part is included. Caller frees.
 */
char *gr_search_terms_fts5_unscored(const gr_search_terms *terms);

/**
 * Makes the FTS5 MATCH expression of a type-ahead term: like
 * gr_search_terms_fts5_unscored(), but a plain word that another word
 * follows is whole (`"team" AND "pay"*`), because typing went past it.
 * Whole words avoid merging the doclists of every word they start, which
 * costs milliseconds for a common word. Returns NULL when no part is
 * included or a part is excluded. Caller frees.
 */
char *gr_search_terms_fts5_typeahead(const gr_search_terms *terms);

/**
 * Makes an FTS5 expression that matches any excluded part, for a term with
 * excluded parts only. Returns NULL when nothing is excluded. Caller frees.
 */
char *gr_search_terms_fts5_excluded(const gr_search_terms *terms);

/**
 * Makes the PostgreSQL tsquery (for the 'simple' configuration) of every
 * part: `(pay | pay:*) & (card <-> charges) & !legacy`. Returns NULL when the
 * term has no part. Caller frees.
 */
char *gr_search_terms_tsquery(const gr_search_terms *terms);

/**
 * Makes the tsquery of a type-ahead term, with the words that
 * gr_search_terms_fts5_typeahead() makes whole or prefixes: `(team) &
 * (pay:*)`. A nonempty `weight` ("A") restricts every word to the labels it
 * names. Returns NULL when no part is included or a part is excluded.
 * Caller frees.
 */
char *gr_search_terms_tsquery_typeahead(const gr_search_terms *terms, const char *weight);

#endif
