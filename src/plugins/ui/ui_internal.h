/* SPDX-License-Identifier: MIT */
/* The UI plugin's state and the helpers its files share. */
#ifndef GR_PLUGINS_UI_UI_INTERNAL_H
#define GR_PLUGINS_UI_UI_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "host/common/buf.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/plugin/layout.h"
#include "host/store/db.h"
#include "plugins/ui/page.h"
#include "plugins/ui/template/template.h"
#include "plugins/ui/ui.h"

/** Static files the UI serves under /static/. */
typedef enum {
    UI_ASSET_CSS,
    UI_ASSET_JS,
    UI_ASSET_LOGO,
    UI_ASSET_COUNT,
} ui_asset_id;

typedef struct {
    char *data;         /* owned copy of the content */
    size_t len;
    const char *type;   /* Content-Type */
    char *url;          /* "/static/style.<hash>.css" */
    char *etag;         /* quoted content hash */
} ui_asset;

/** A registered page route. */
typedef struct {
    gr_ui *ui;
    gr_ui_page_fn fn;
    void *payload;
} ui_route;

/** Cached facet counts of the catalog index, keyed by catalog generation and kind. */
typedef struct {
    int64_t generation;
    char *kind;
    json_t *facets;
} ui_facet_cache_entry;

#define UI_FACET_CACHE_SIZE 16

/** A cached number of entities that match one catalog-table query at one catalog generation. */
typedef struct {
    int64_t generation;
    char *query; /* the WHERE clause and its parameters */
    int64_t count;
} ui_count_cache_entry;

#define UI_COUNT_CACHE_SIZE 64

/** A sort of the catalog table by a search key (catalog_search.key) other than the name. */
typedef struct {
    const char *name; /* the URL's sort=, e.g. "owner" */
    const char *key;  /* e.g. "spec.owner" */
} ui_sort_key;

#define UI_SORT_KEY_COUNT 4

/* entities.c: owner, type, lifecycle and system, in this order. */
extern const ui_sort_key gr_ui__sort_keys[UI_SORT_KEY_COUNT];

/** The ids of the entities without a value of one sort key, at one catalog generation. */
typedef struct {
    int64_t generation;
    json_t *ids; /* sorted ids, or NULL before the first read */
} ui_sort_gaps_entry;

/**
 * Maximum number of entities without a sort key's value that the cache keeps
 * as a list. Beyond it the table finds them by a NOT EXISTS scan in id
 * order, which is fast when they are common and slow when few match the
 * filters.
 */
#define UI_SORT_GAPS_MAX 1000

/**
 * Time for which the catalog page reuses its count of failed unprocessed
 * entities, in milliseconds. Counting reads the failed rows through their
 * partial index and parses the JSON of up to UI_UNPROCESSED_ROWS of them, so
 * page views within this time reuse the last count.
 */
#define UI_FAILED_COUNT_TTL_MS 5000

/** The count of failed unprocessed entities that the catalog page's notice shows. */
typedef struct {
    int valid;             /* a count is stored */
    int counting;          /* a request is counting now */
    int64_t counted_at_ms; /* CLOCK_MONOTONIC time of the stored count */
    uint64_t generation;   /* changes when a deletion makes the stored count stale */
    size_t count;
    size_t locations;      /* Location entities among the `count` */
    int more;              /* more entities failed than `count` */
} ui_failed_count;

/* A page, tab or card that a plugin added through the host (layout.c). */
typedef struct ui_layout_entry ui_layout_entry;

struct gr_ui {
    /* First, so that the published service's header is where the state starts. */
    gr_layout_provider layout;
    const gr_host_api *api;
    gr_plugin_ctx *ctx; /* the UI's own plugin context (borrowed) */
    gr_host *host;
    gr_db *db;
    const gr_config *config;
    gr_template_set *templates;
    const char *theme_dir; /* app.theme.dir, or NULL */
    const char *default_theme;
    ui_asset assets[UI_ASSET_COUNT];
    gr_ui_nav_entry nav[GR_UI_MAX_NAV]; /* strings owned */
    size_t nav_count;
    gr_ui_tab tabs[GR_UI_MAX_TABS]; /* strings owned */
    size_t tab_count;
    gr_ui_card cards[GR_UI_MAX_CARDS]; /* strings owned */
    size_t card_count;
    ui_route *routes[64];
    size_t route_count;
    unsigned char csrf_key[32];
    struct gr_catalog *catalog; /* engine handle for writes, or NULL */
    struct gr_search *search;   /* the search plugin's service, found at start, or NULL */
    pthread_mutex_t cache_lock;
    ui_facet_cache_entry facet_cache[UI_FACET_CACHE_SIZE];
    size_t facet_cache_next;
    ui_sort_gaps_entry sort_gaps[UI_SORT_KEY_COUNT]; /* guarded by cache_lock */
    ui_count_cache_entry count_cache[UI_COUNT_CACHE_SIZE]; /* guarded by cache_lock */
    size_t count_cache_next;
    ui_failed_count failed_count; /* guarded by cache_lock */
    ui_layout_entry **layout_entries; /* owned */
    size_t layout_entry_count;
};

/* theme.c: templates and static files, built-in or from app.theme.dir. */
int gr_ui__theme_load(gr_ui *ui);
void gr_ui__theme_free(gr_ui *ui);
int gr_ui__static_routes(gr_ui *ui);

/* layout.c: the layout provider that the UI publishes under GR_PLUGIN_SERVICE_LAYOUT. */
void gr_ui__layout_init(gr_ui *ui);
void gr_ui__layout_free(gr_ui *ui);

/* store.c: the UI's own tables. */
#define UI_MIGRATION_COUNT 2
extern const gr_plugin_migration gr_ui__migrations[UI_MIGRATION_COUNT];
int gr_ui__store_csrf_key(gr_ui *ui);
int gr_ui__stars_list(gr_ui *ui, const char *subject, json_t **out);
int gr_ui__star_set(gr_ui *ui, const char *subject, const char *entity_ref, int starred);
int gr_ui__star_get(gr_ui *ui, const char *subject, const char *entity_ref, int *starred);

/* settings.c: the caller's starred entities as entity views (caller releases *out). */
int gr_ui__starred_views(gr_ui_page *page, json_t **out);

/* catalog.c: renders a filtered entity table at `base` with `template_name`;
 * `annotation` (may be NULL) keeps only entities that have it. */
int gr_ui__catalog_table(gr_ui_page *page, const char *base, const char *default_kind,
                         const char *annotation, const char *template_name, const char *title);

/* sort_gaps.c: the ids of the entities without a value of gr_ui__sort_keys[sort_index],
 * as an array (caller releases) when at most UI_SORT_GAPS_MAX, else NULL. Cached until
 * the catalog generation changes. Returns 0 or a database error. Thread-safe. */
int gr_ui__sort_gaps(gr_ui *ui, size_t sort_index, json_t **out);

/* form.c: cookies, url-encoded forms, CSRF tokens. url_decode stores the decoded length in
 * *out_len (may be NULL), which is more than strlen() when the text escapes a NUL byte. */
char *gr_ui__url_decode(gr_arena *arena, const char *text, size_t len, size_t *out_len);
/* form.c: checks that `value` is valid UTF-8, or sets GR_EINVALID with a message that starts
 * with `label`, such as "The owner filter". */
int gr_ui__check_utf8(const char *label, const char *value);
/* form.c: checks every field of an application/x-www-form-urlencoded `body` (any body when
 * `content_type` is NULL): its name and decoded value must be valid UTF-8 without NUL bytes.
 * Returns 0, or GR_EINVALID with a message that names the field. */
int gr_ui__check_form(gr_arena *arena, const char *content_type, const char *body);
const char *gr_ui__form_field(gr_arena *arena, const char *body, const char *name);
const char *gr_ui__cookie(gr_arena *arena, const char *header, const char *name);
void gr_ui__csrf_token(const gr_ui *ui, const char *subject, char out[65]);
void gr_ui__sha256_hex(const void *data, size_t len, char out[65]);

/* page.c */
int gr_ui__page_begin(gr_ui *ui, gr_request *req, gr_response *res, gr_ui_page *page);
int gr_ui__page_error(gr_ui_page *page, int code);
/* Renders the error page with HTTP `status` and the last error message. Returns 0. */
int gr_ui__page_error_status(gr_ui_page *page, int status);
void gr_ui__page_put(gr_ui_page *page, const char *key, json_t *value);
/* Renders template `name` with the page context into a new JSON string in *out. */
int gr_ui__page_fragment(gr_ui_page *page, const char *name, json_t **out);

/* icons.c: inline SVG icons by name. */
const char *gr_ui__icon(const char *name);

/* Pages, one registration function per file. */
int gr_ui__home_init(gr_ui *ui);
int gr_ui__catalog_init(gr_ui *ui);
int gr_ui__entity_init(gr_ui *ui);
int gr_ui__entity_tabs_init(gr_ui *ui);
int gr_ui__apis_init(gr_ui *ui);
/* apis.c: the /docs and /create lists, on the paths no feature plugin took (start hook). */
int gr_ui__fallback_pages(gr_ui *ui);
int gr_ui__import_init(gr_ui *ui);
/* import.c: rejects registering or removing a location in readonly mode, as the catalog API
 * does. Returns GR_EDENIED (403) with the API's message when catalog.readonly is true, else 0. */
int gr_ui__reject_readonly(gr_ui_page *page);
int gr_ui__settings_init(gr_ui *ui);
int gr_ui__graph_init(gr_ui *ui);
/* graph.c: frees Graphviz's process-wide context at shutdown. */
void gr_ui__graph_release(void);
int gr_ui__search_init(gr_ui *ui);
/* unprocessed.c: the unprocessed-entities page. The readable check returns 1 when the caller
 * may list unprocessed entities (catalog.entity.read without conditions). The notice puts
 * `failedNotice` {text, detail, href} into the page context when such a caller has failed ones. */
int gr_ui__unprocessed_init(gr_ui *ui);
int gr_ui__unprocessed_readable(gr_ui_page *page);
void gr_ui__put_failed_notice(gr_ui_page *page);
/* unprocessed.c: puts `unprocessedHint` {text, link, href} into the page context when `ref`
 * has a refresh-state row without a final entity and the caller may list unprocessed
 * entities, so that a 404 page can link to the list that contains it. */
void gr_ui__put_unprocessed_hint(gr_ui_page *page, const char *ref);
/* unprocessed.c: the notice's sentence after its link text, for `count` failed entities
 * (more than `count` with `more`) of which `locations` are Location entities. */
const char *gr_ui__failed_notice_detail(gr_arena *arena, size_t count, size_t locations, int more);
/* signin.c: /signin, POST /signout and the redirect of signed-out page views to /signin. */
int gr_ui__signin_init(gr_ui *ui);
/** Registers the portal's 404 page for browsers that request an address no route matches. */
int gr_ui__not_found_init(gr_ui *ui);

/* Results per page of /search. */
#define UI_SEARCH_PAGE_SIZE 25

/* search_results.c: the search plugin's results for /search (filters, highlights, paging)
 * put into the page context, and up to 8 type-ahead suggestions as a new JSON array. */
int gr_ui__search_documents(gr_ui_page *page, const char *text);
int gr_ui__search_suggest(gr_ui_page *page, const char *text, json_t **out);

#endif
