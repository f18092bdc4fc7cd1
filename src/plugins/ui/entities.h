/* SPDX-License-Identifier: MIT */
/* Catalog reads for the pages: entities by reference, filtered lists, facets, history. */
#ifndef GR_PLUGINS_UI_ENTITIES_H
#define GR_PLUGINS_UI_ENTITIES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/ui/ui.h"

/*
 * Reads go straight to the catalog engine's tables: catalog_final_entities
 * (entity_id, entity_ref, final_entity, kind, namespace, name, ...) and
 * catalog_search (entity_id, key, value, original_value) with lower-case keys
 * and values. Entity references are "kind:namespace/name" in lower case.
 */

/** Rows per page of the catalog table when the URL names none. */
#define GR_UI_PAGE_SIZE 20

/** Largest page of the catalog table, also given for a larger limit in the URL. */
#define GR_UI_PAGE_SIZE_MAX 100

/** Maximum number of related entities loaded for one page. */
#define GR_UI_MAX_RELATED 500

/** Maximum number of values listed in one facet. */
#define GR_UI_MAX_FACET_VALUES 500

/** The filters of the catalog table, as in the URL. Strings are borrowed. */
typedef struct {
    const char *kind;              /* lower case, or NULL for every kind */
    const char **types;            /* spec.type values (any of them) */
    size_t type_count;
    const char **owners;           /* owner entity refs */
    size_t owner_count;
    const char **lifecycles;
    size_t lifecycle_count;
    const char **tags;
    size_t tag_count;
    const char **namespaces;
    size_t namespace_count;
    const char *text;              /* substring of name, title or description */
    const char **owned_by;         /* "owned by me": the user's ownership refs */
    size_t owned_by_count;
    int owned_only;                /* restrict to owned_by (nothing matches when empty) */
    const char *starred_by;        /* restrict to the stars of this subject, or NULL */
    const char *annotation;        /* entities with this annotation key, or NULL */
    const char *sort;              /* "name", "owner", "type", "lifecycle", "system" */
    int descending;
    const char *after;             /* cursor of the row the page starts after, or NULL */
    const char *before;            /* cursor of the row the page ends before, or NULL */
    int limit;
    const json_t *access;          /* entities the caller may read (gr_ui_read_access()) */
} gr_ui_list_query;

/** One page of the catalog table. */
typedef struct {
    json_t *entities; /* array of final entities, in display order */
    char *next;       /* cursor for the next page, or NULL on the last (caller frees) */
    char *prev;       /* cursor for the previous page, or NULL on the first (caller frees) */
    int64_t total;    /* number of entities that match the filters */
} gr_ui_list_page;

/**
 * Returns the catalog.entity.read access predicate of the page's caller
 * (plugins/catalog/permission/access.h): NULL when every entity is
 * readable, else a filter predicate released with the page. A failed
 * evaluation gives the predicate that matches nothing.
 */
const json_t *gr_ui_read_access(gr_ui_page *page);

/**
 * Reads the final entity `entity_ref` (any case). Returns 0 and *out
 * (caller releases), GR_ENOTFOUND, or a database error.
 */
int gr_ui_entity_get(gr_ui *ui, const char *entity_ref, json_t **out);

/**
 * Reads the entities named by the strings of `refs` (at most
 * GR_UI_MAX_RELATED) into a new object from lower-case reference to final
 * entity; unknown references and entities `access` (may be NULL) does not
 * match are left out. Returns 0 or a database error.
 */
int gr_ui_entities_get(gr_ui *ui, const json_t *refs, const json_t *access, json_t **out);

/**
 * Returns a number that changes whenever a final entity changes or is
 * deleted: the newest id of catalog_history (0 when the table is empty or
 * missing). Used for ETags and caches.
 */
int64_t gr_ui_catalog_generation(gr_ui *ui);

/** Runs a catalog table query. Returns 0 and fills `page` (free with gr_ui_list_page_free()). */
int gr_ui_entity_list(gr_ui *ui, const gr_ui_list_query *query, gr_ui_list_page *page);

void gr_ui_list_page_free(gr_ui_list_page *page);

/**
 * Computes the filter values of kind `kind` (NULL: every kind) with their
 * counts: {"kinds": [...], "type": [...], "owner": [...], "lifecycle": [...],
 * "tag": [...], "namespace": [...]}, each an array of {value, label, count}
 * sorted by value, over the entities `access` (may be NULL) matches.
 * Without an access predicate the result is cached until the catalog
 * generation changes. Returns 0 and *out (caller releases) or a database
 * error.
 */
int gr_ui_facets(gr_ui *ui, const char *kind, const json_t *access, json_t **out);

/**
 * Counts the entities whose owner is `owner_ref` and that `access` (may be
 * NULL) matches, by kind: an array of {kind, count}. Returns 0 and *out
 * (caller releases), or a database error.
 */
int gr_ui_owned_counts(gr_ui *ui, const char *owner_ref, const json_t *access, json_t **out);

/**
 * Lists up to `limit` entities most recently changed that `access` (may be
 * NULL) matches, newest first, as final entities. Returns 0 and *out
 * (caller releases), or a database error.
 */
int gr_ui_recent_entities(gr_ui *ui, int limit, const json_t *access, json_t **out);

/**
 * Reads the history of an entity from catalog_history, newest first:
 * [{id, changedAt (ms), cause, change, diff (parsed JSON)}], at most `limit`.
 */
int gr_ui_entity_history(gr_ui *ui, const char *entity_ref, int limit, json_t **out);

/**
 * Computes the references that count as "owned by" `user_ref`: the user
 * and the groups it is a member of (memberOf relations). Returns a new array
 * (caller releases); just the user when its entity is unknown.
 */
json_t *gr_ui_ownership_refs(gr_ui *ui, const char *user_ref);

#endif
