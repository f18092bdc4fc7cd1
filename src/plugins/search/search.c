/* SPDX-License-Identifier: MIT */
/* The search service: settings, collator registry, incremental updates and the worker thread. */
#include "plugins/search/search.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"
#include "host/store/migrate.h"
#include "plugins/search/internal.h"

int64_t gr_search__config_int(const gr_config *cfg, const char *path, int64_t fallback)
{
    return cfg ? gr_config_int(cfg, path, fallback) : fallback;
}

int gr_search__config_bool(const gr_config *cfg, const char *path, int fallback)
{
    return cfg ? gr_config_bool(cfg, path, fallback) : fallback;
}

const char *gr_search__config_string(const gr_config *cfg, const char *path,
                                     const char *fallback)
{
    return cfg ? gr_config_string(cfg, path, fallback) : fallback;
}

static int read_settings(gr_search *search, const gr_config *cfg)
{
    gr_search__highlight *highlight = &search->highlight;

    search->max_page_limit =
        (int)gr_search__config_int(cfg, "search.maxPageLimit", GR_SEARCH_DEFAULT_MAX_PAGE_LIMIT);
    search->max_term_length =
        (int)gr_search__config_int(cfg, "search.maxTermLength", GR_SEARCH_DEFAULT_MAX_TERM_LENGTH);
    highlight->enabled = gr_search__config_bool(cfg, "search.pg.highlightOptions.useHighlight", 1);
    highlight->max_words = (int)gr_search__config_int(cfg, "search.pg.highlightOptions.maxWords", 35);
    highlight->min_words = (int)gr_search__config_int(cfg, "search.pg.highlightOptions.minWords", 15);
    highlight->short_word = (int)gr_search__config_int(cfg, "search.pg.highlightOptions.shortWord", 3);
    highlight->highlight_all =
        gr_search__config_bool(cfg, "search.pg.highlightOptions.highlightAll", 0);
    highlight->max_fragments =
        (int)gr_search__config_int(cfg, "search.pg.highlightOptions.maxFragments", 0);
    highlight->fragment_delimiter = gr_xstrdup(
        gr_search__config_string(cfg, "search.pg.highlightOptions.fragmentDelimiter", " ... "));

    if (search->max_page_limit < 1 || search->max_page_limit > 10000)
        return gr_error_set(GR_EINVALID, "search.maxPageLimit: %d is not between 1 and 10000",
                            search->max_page_limit);
    if (search->max_term_length < 1 || search->max_term_length > 10000)
        return gr_error_set(GR_EINVALID, "search.maxTermLength: %d is not between 1 and 10000",
                            search->max_term_length);
    if (highlight->max_words < 1 || highlight->min_words < 0 ||
        highlight->min_words >= highlight->max_words)
        return gr_error_set(GR_EINVALID,
                            "search.pg.highlightOptions: minWords (%d) must be below maxWords "
                            "(%d), and maxWords at least 1",
                            highlight->min_words, highlight->max_words);
    if (highlight->short_word < 0 || highlight->max_fragments < 0)
        return gr_error_set(GR_EINVALID, "search.pg.highlightOptions: shortWord and "
                                         "maxFragments must not be negative");
    return 0;
}

/* Highlight tags are a random UUID per process, as Backstage makes them, so
 * that they cannot occur in indexed text. */
static void make_tags(gr_search *search)
{
    unsigned char bytes[16];
    char uuid[37];

    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        for (size_t i = 0; i < sizeof(bytes); i++)
            bytes[i] = (unsigned char)(rand() & 0xff);
    bytes[6] = (unsigned char)((bytes[6] & 0x0f) | 0x40);
    bytes[8] = (unsigned char)((bytes[8] & 0x3f) | 0x80);
    snprintf(uuid, sizeof(uuid),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
             bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
             bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    snprintf(search->pre_tag, sizeof(search->pre_tag), "<%s>", uuid);
    snprintf(search->post_tag, sizeof(search->post_tag), "</%s>", uuid);
}

/* Fails with a clear message when the plugin's migrations have not run on `db`: the host
 * applies them before the plugin's setup, and commands call gr_search_migrate(). */
static int check_schema(gr_db *db)
{
    int64_t version = 0;
    int rc = gr_db_schema_version(db, GR_SEARCH_MIGRATION_COMPONENT, &version);

    if (rc == 0 && version == 0)
        rc = gr_error_set(GR_EINVALID, "the search tables are missing: run `greenroom db "
                                       "migrate` or start `greenroom serve`, which create them");
    return rc;
}

/* Makes sure the active generation's tables exist. The state row is locked
 * first, so instances that start together create them once. */
static int ensure_active(gr_search *search)
{
    gr_db_conn *conn = NULL;
    int64_t active = 0;
    int rc;

    if ((rc = gr_db_acquire(search->db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    if ((rc = search->engine->setup(search, conn)) < 0)
        goto done;
    if ((rc = gr_db_begin(conn)) < 0)
        goto done;
    if (gr_db_dialect(search->db) == GR_DB_POSTGRES)
        rc = gr_db_exec(conn, "SELECT id FROM search_state WHERE id = 1 FOR UPDATE");
    if (rc == 0)
        rc = gr_search__state(conn, &active, NULL, 0);
    if (rc == 0)
        rc = search->engine->create_generation(search, conn, active);
    if (rc == 0)
        rc = search->engine->create_query_indexes(conn, active);
    if (rc == 0)
        rc = gr_db_commit(conn);
    if (rc < 0)
        gr_db_rollback(conn);
done:
    gr_db_release(conn);
    return rc;
}

int gr_search_new(gr_search **out, const gr_search_options *options)
{
    gr_search *search;
    int rc;

    *out = NULL;
    if (options == NULL || options->db == NULL)
        return gr_error_set(GR_EINVALID, "gr_search_new needs a database");

    search = gr_xcalloc(1, sizeof(*search));
    search->db = options->db;
    search->config = options->config;
    search->engine = gr_db_dialect(options->db) == GR_DB_POSTGRES ? &gr_search__pg_engine
                                                                   : &gr_search__sqlite_engine;
    pthread_mutex_init(&search->lock, NULL);
    pthread_cond_init(&search->wake, NULL);
    pthread_cond_init(&search->idle, NULL);
    search->history_last = -1;
    search->history_saved = -1;
    make_tags(search);
    if (options->instance_id != NULL)
        search->instance_id = gr_xstrdup(options->instance_id);
    else
        search->instance_id = gr_xasprintf("search-%.8s", search->pre_tag + 1);

    if ((rc = read_settings(search, options->config)) < 0 || (rc = check_schema(search->db)) < 0 ||
        (rc = ensure_active(search)) < 0) {
        gr_search_free(search);
        return rc;
    }
    *out = search;
    return 0;
}

static int valid_type(const char *type)
{
    size_t len = type ? strlen(type) : 0;

    if (len == 0 || len > GR_SEARCH_MAX_TYPE_BYTES)
        return 0;
    for (const char *p = type; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return 0;
    return 1;
}

int gr_search_register_collator(gr_search *search, const gr_search_collator *collator)
{
    int rc = 0;

    pthread_mutex_lock(&search->lock);
    if (!valid_type(collator->type) || collator->collate_all == NULL)
        rc = gr_error_set(GR_EINVALID,
                          "search collator type '%s' is invalid: it needs collate_all and a "
                          "name of lower-case letters, digits, '-' and '_' of at most %d bytes",
                          collator->type ? collator->type : "", GR_SEARCH_MAX_TYPE_BYTES);
    else if (gr_search__collator(search, collator->type) != NULL)
        rc = gr_error_set(GR_ECONFLICT, "search collator type '%s' is registered already",
                          collator->type);
    else if (search->collator_count >= GR_SEARCH_MAX_COLLATORS)
        rc = gr_error_set(GR_ELIMIT, "more than %d search collators", GR_SEARCH_MAX_COLLATORS);
    if (rc == 0)
        search->collators[search->collator_count++] = *collator;
    pthread_mutex_unlock(&search->lock);

    if (rc < 0 && collator->free_payload != NULL)
        collator->free_payload(collator->payload);
    return rc;
}

void gr_search_set_access(gr_search *search, gr_search_access_fn fn, void *payload)
{
    search->access_fn = fn;
    search->access_payload = payload;
}

gr_db *gr_search_db(const gr_search *search)
{
    return search->db;
}

const gr_config *gr_search_config(const gr_search *search)
{
    return search->config;
}

void gr_search_free(gr_search *search)
{
    if (search == NULL)
        return;
    gr_search_stop(search);
    for (size_t i = 0; i < search->collator_count; i++)
        if (search->collators[i].free_payload != NULL)
            search->collators[i].free_payload(search->collators[i].payload);
    for (size_t i = 0; i < search->queue_count; i++) {
        free(search->queue[i].type);
        free(search->queue[i].source);
    }
    free(search->queue);
    free(search->gaps);
    free(search->highlight.fragment_delimiter);
    free(search->headline_config);
    free(search->instance_id);
    pthread_mutex_destroy(&search->lock);
    pthread_cond_destroy(&search->wake);
    pthread_cond_destroy(&search->idle);
    free(search);
}
