/* SPDX-License-Identifier: MIT */
/* Tests of index freshness on both engines: incremental updates, changes of other processes,
 * TechDocs sites, rebuilds under load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "search_fixture.h"

#include "host/common/alloc.h"
#include "host/common/error.h"

/* Changes must be searchable within this time, in ms. */
#define FRESHNESS_MS 1000
/* Changes that another process stitches must be searchable within this time,
 * in ms: one history poll interval plus the collation. */
#define OTHER_PROCESS_MS (GR_SEARCH_HISTORY_POLL_MS + 2000)

static char *component_json(const char *name, const char *description)
{
    return gr_xasprintf("{\"kind\":\"Component\",\"metadata\":{\"name\":\"%s\",\"description\":"
                        "\"%s\",\"annotations\":{\"backstage.io/techdocs-ref\":\"dir:.\"}},"
                        "\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\","
                        "\"owner\":\"team-a\"},\"relations\":[{\"type\":\"ownedBy\","
                        "\"targetRef\":\"group:default/team-a\"}]}",
                        name, description);
}

static void put_component(search_fixture *fixture, const char *name, const char *description)
{
    char *json = component_json(name, description);

    free(put_entity(fixture->db->db, json));
    free(json);
}

/* Polls until `term` finds (or, with want 0, no longer finds) `location`;
 * returns the milliseconds it took, or -1 after `limit_ms`. */
static int64_t wait_for(gr_search *search, const char *term, const char *location, int want,
                        int limit_ms)
{
    int64_t start = fixture_now_ms();

    for (;;) {
        int64_t elapsed = fixture_now_ms() - start;

        if (has_location(search, term, location) == want)
            return elapsed;
        if (elapsed > limit_ms)
            return -1;
        usleep(5000);
    }
}

static void entity_change_searchable_within_second(void **state)
{
    search_fixture *fixture = *state;
    const char *location = "/catalog/default/component/orders";
    int64_t elapsed;

    assert_int_equal(gr_search_start(fixture->search), 0);

    put_component(fixture, "orders", "Keeps the order book");
    gr_search_on_entity_stitched("Component:default/orders", 0, fixture->search);
    elapsed = wait_for(fixture->search, "book", location, 1, 5000);
    assert_in_range(elapsed, 0, FRESHNESS_MS);

    put_component(fixture, "orders", "Keeps the basket");
    gr_search_on_entity_stitched("component:default/orders", 0, fixture->search);
    elapsed = wait_for(fixture->search, "basket", location, 1, 5000);
    assert_in_range(elapsed, 0, FRESHNESS_MS);
    assert_false(has_location(fixture->search, "book", location));

    delete_entity(fixture->db->db, "component:default/orders");
    gr_search_on_entity_stitched("component:default/orders", 1, fixture->search);
    elapsed = wait_for(fixture->search, "basket", location, 0, 5000);
    assert_in_range(elapsed, 0, FRESHNESS_MS);
}

/* Another process writes through its own database handle and calls no stitch hook of ours. */
static void other_process_change_searchable(void **state)
{
    search_fixture *fixture = *state;
    const char *location = "/catalog/default/component/ledger";
    gr_db *other = NULL;
    char *json;
    int64_t elapsed;

    assert_int_equal(gr_search_start(fixture->search), 0);
    assert_int_equal(db_fixture_open(fixture->db, 1, &other), 0);

    json = component_json("ledger", "Balances the accounts");
    free(put_entity(other, json));
    free(json);
    elapsed = wait_for(fixture->search, "accounts", location, 1, 10000);
    assert_in_range(elapsed, 0, OTHER_PROCESS_MS);

    delete_entity(other, "component:default/ledger");
    elapsed = wait_for(fixture->search, "accounts", location, 0, 10000);
    assert_in_range(elapsed, 0, OTHER_PROCESS_MS);
    gr_db_close(other);
}

/* Changes stitched while no worker ran are collated when one starts, from
 * the position saved in search_state, without a rebuild. */
static void restart_collates_missed_changes(void **state)
{
    search_fixture *fixture = *state;
    gr_search *restarted = NULL;

    put_component(fixture, "orders", "Keeps the order book");
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);
    assert_int_equal(gr_search_start(fixture->search), 0);
    gr_search_stop(fixture->search);

    put_component(fixture, "orders", "Keeps the basket");
    put_component(fixture, "invoices", "Sends the invoices");
    assert_int_equal(gr_search_new_builtin(&restarted, fixture->db->db, fixture->config, "test"),
                     0);
    assert_int_equal(gr_search_start(restarted), 0);
    assert_in_range(wait_for(restarted, "basket", "/catalog/default/component/orders", 1, 10000), 0,
                    OTHER_PROCESS_MS);
    assert_in_range(
        wait_for(restarted, "invoices", "/catalog/default/component/invoices", 1, 10000), 0,
        OTHER_PROCESS_MS);
    assert_false(has_location(restarted, "book", "/catalog/default/component/orders"));
    gr_search_free(restarted);
}

/* Writes a history row with a chosen id, as a PostgreSQL transaction that
 * took its id before a later one but committed after it leaves it. */
static void history_row_with_id(gr_db *db, int64_t id, const char *ref)
{
    char *text = gr_xasprintf("%lld", (long long)id);
    const char *params[] = {text, ref, ref};

    fixture_run(db,
                "INSERT INTO catalog_history (id, entity_ref, entity_id, changed_at, cause, "
                "change, diff) VALUES (CAST(? AS BIGINT), ?, ?, 0, 'test', 'updated', '[]')",
                params, 3);
    free(text);
}

static void write_component(search_fixture *fixture, const char *name, const char *description)
{
    char *json = component_json(name, description);

    free(write_entity(fixture->db->db, json));
    free(json);
}

static void late_commit_still_found(void **state)
{
    search_fixture *fixture = *state;
    int64_t newest;

    put_component(fixture, "orders", "Keeps the order book");
    assert_int_equal(gr_search_start(fixture->search), 0);
    newest = db_fixture_int64(fixture->db->db, "SELECT max(id) FROM catalog_history");

    /* The row of id newest + 10 is read first, which leaves newest + 1 to + 9
     * as gaps. The ids are written explicitly, so PostgreSQL's sequence stays
     * below them. */
    write_component(fixture, "early", "Commits first");
    history_row_with_id(fixture->db->db, newest + 10, "component:default/early");
    assert_in_range(
        wait_for(fixture->search, "commits", "/catalog/default/component/early", 1, 10000), 0,
        OTHER_PROCESS_MS);

    write_component(fixture, "late", "Arrives after the others");
    history_row_with_id(fixture->db->db, newest + 5, "component:default/late");
    assert_in_range(
        wait_for(fixture->search, "arrives", "/catalog/default/component/late", 1, 10000), 0,
        OTHER_PROCESS_MS);
}

typedef struct {
    atomic_int collations;
} counting_collator;

static int count_collate_all(void *payload, gr_search_sink *sink)
{
    (void)payload;
    (void)sink;
    return 0;
}

static int count_collate_source(void *payload, const char *source, gr_search_sink *sink)
{
    counting_collator *counter = payload;

    (void)sink;
    if (strcmp(source, "component:default/orders") == 0)
        atomic_fetch_add(&counter->collations, 1);
    return 0;
}

/* A change of this process reaches the worker through the stitch hook and
 * through catalog_history, and is collated once. */
static void own_change_collated_once(void **state)
{
    search_fixture *fixture = *state;
    counting_collator counter = {0};
    gr_search_collator collator = {.type = "counter",
                                   .collate_all = count_collate_all,
                                   .collate_source = count_collate_source,
                                   .follows_entities = 1,
                                   .payload = &counter};

    assert_int_equal(gr_search_register_collator(fixture->search, &collator), 0);
    assert_int_equal(gr_search_start(fixture->search), 0);

    put_component(fixture, "orders", "Keeps the order book");
    gr_search_on_entity_stitched("component:default/orders", 0, fixture->search);
    assert_int_equal(gr_search_wait_idle(fixture->search, 5000), 0);
    assert_true(has_location(fixture->search, "book", "/catalog/default/component/orders"));
    /* Two more history polls find nothing new. */
    usleep(2 * GR_SEARCH_HISTORY_POLL_MS * 1000 + 200 * 1000);
    assert_int_equal(gr_search_wait_idle(fixture->search, 5000), 0);
    assert_int_equal(atomic_load(&counter.collations), 1);
}

static void update_replaces_one_source(void **state)
{
    search_fixture *fixture = *state;
    json_t *result;

    put_component(fixture, "alpha", "First shared words");
    put_component(fixture, "beta", "Second shared words");
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);

    put_component(fixture, "alpha", "Renamed");
    assert_int_equal(gr_search_update(fixture->search, "software-catalog",
                                      "component:default/alpha"),
                     0);
    result = query_term(fixture->search, "shared");
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "title"), "beta");
    json_decref(result);
    assert_int_equal(gr_search_update(fixture->search, "nosuchtype", "x"), GR_ENOTFOUND);
}

static const char site_v1[] =
    "{\"config\":{},\"docs\":["
    "{\"location\":\"\",\"title\":\"Orders\",\"text\":\"Welcome to the orders docs\"},"
    "{\"location\":\"setup/#install\",\"title\":\"Install &amp; run\","
    "\"text\":\"Run the migrator first\"}]}";

static const char site_v2[] =
    "{\"config\":{},\"docs\":["
    "{\"location\":\"setup/#install\",\"title\":\"Install\",\"text\":\"Start the reconciler\"}]}";

static void techdocs_sections_indexed(void **state)
{
    search_fixture *fixture = *state;
    const char *types[] = {"techdocs"};
    gr_search_request request = {.term = "migrator", .types = types, .type_count = 1};
    json_t *result;

    put_component(fixture, "orders", "Keeps orders");
    put_site(fixture, "component", "orders", site_v1);
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);

    result = query_ok(fixture->search, &request);
    assert_int_equal(result_count(result), 1);
    assert_string_equal(result_field(result, 0, "title"), "Install & run");
    assert_string_equal(result_field(result, 0, "location"),
                        "/docs/default/component/orders/setup/#install");
    assert_string_equal(result_field(result, 0, "path"), "setup/#install");
    assert_string_equal(result_field(result, 0, "kind"), "component");
    assert_string_equal(result_field(result, 0, "name"), "orders");
    assert_string_equal(result_field(result, 0, "owner"), "team-a");
    assert_string_equal(result_field(result, 0, "lifecycle"), "production");
    json_decref(result);
}

static void techdocs_site_change_within_second(void **state)
{
    search_fixture *fixture = *state;
    const char *location = "/docs/default/component/orders/setup/#install";
    int64_t elapsed;

    put_component(fixture, "orders", "Keeps orders");
    put_component(fixture, "billing", "Sends bills");
    put_site(fixture, "component", "orders", site_v1);
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);
    assert_int_equal(gr_search_start(fixture->search), 0);
    /* The poller records the sites on its first scan, right after start. */
    usleep(300 * 1000);

    put_site(fixture, "component", "orders", site_v2);
    elapsed = wait_for(fixture->search, "reconciler", location, 1, 5000);
    assert_in_range(elapsed, 0, FRESHNESS_MS);
    assert_false(has_location(fixture->search, "migrator", location));

    put_site(fixture, "component", "billing", site_v1);
    elapsed = wait_for(fixture->search, "migrator", "/docs/default/component/billing/setup/#install",
                       1, 5000);
    assert_in_range(elapsed, 0, FRESHNESS_MS);
}

typedef struct {
    gr_search *search;
    atomic_int stop;
    atomic_int queries;
    atomic_int wrong;
    char last_error[256];
} reader_state;

/* Queries continuously; every result set must count all 40 documents. */
static void *reader_main(void *payload)
{
    reader_state *reader = payload;

    while (!atomic_load(&reader->stop)) {
        gr_search_request request = {.term = "reindexed"};
        json_t *result = NULL;

        if (gr_search_query(reader->search, &request, NULL, &result) != 0) {
            snprintf(reader->last_error, sizeof(reader->last_error), "%s", gr_error_last());
            atomic_fetch_add(&reader->wrong, 1);
        } else if (result_count(result) != 40) {
            snprintf(reader->last_error, sizeof(reader->last_error), "%lld results",
                     (long long)result_count(result));
            atomic_fetch_add(&reader->wrong, 1);
        }
        json_decref(result);
        atomic_fetch_add(&reader->queries, 1);
    }
    return NULL;
}

static void reindex_while_queries_run(void **state)
{
    search_fixture *fixture = *state;
    reader_state reader = {.search = fixture->search};
    pthread_t threads[3];
    gr_search_reindex_stats stats;

    for (int i = 0; i < 40; i++) {
        char *name = gr_xasprintf("svc-%02d", i);

        put_component(fixture, name, "A reindexed service");
        free(name);
    }
    assert_int_equal(gr_search_reindex(fixture->search, &stats), 0);
    assert_int_equal(stats.documents, 40);

    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, reader_main, &reader), 0);
    for (int round = 0; round < 4; round++) {
        int64_t before = stats.generation;

        assert_int_equal(gr_search_reindex(fixture->search, &stats), 0);
        assert_true(stats.generation > before);
    }
    atomic_store(&reader.stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(threads[i], NULL);

    if (atomic_load(&reader.wrong) != 0)
        fail_msg("%d of %d queries were wrong during rebuilds, last: %s",
                 atomic_load(&reader.wrong), atomic_load(&reader.queries), reader.last_error);
    assert_true(atomic_load(&reader.queries) > 0);
}

/* A collator that changes an entity in the middle of a rebuild, after the
 * catalog collator has read it, and applies the change incrementally. */
typedef struct {
    search_fixture *fixture;
    int runs;
} meddler;

static int meddler_collate_all(void *payload, gr_search_sink *sink)
{
    meddler *state = payload;

    (void)sink;
    if (state->runs++ > 0)
        return 0;
    put_component(state->fixture, "orders", "Now ships parcels");
    return gr_search_update(state->fixture->search, NULL, "component:default/orders");
}

static void reindex_keeps_changes_made_meanwhile(void **state)
{
    search_fixture *fixture = *state;
    meddler meddle = {.fixture = fixture};
    gr_search_collator collator = {.type = "meddler", .collate_all = meddler_collate_all,
                                   .payload = &meddle};
    gr_search_reindex_stats stats;
    const char *location = "/catalog/default/component/orders";

    put_component(fixture, "orders", "Keeps the order book");
    assert_int_equal(gr_search_register_collator(fixture->search, &collator), 0);
    assert_int_equal(gr_search_reindex(fixture->search, &stats), 0);
    assert_true(stats.catch_up >= 1);
    assert_true(has_location(fixture->search, "parcels", location));
    assert_false(has_location(fixture->search, "book", location));
}

static void reindex_respects_running_rebuild(void **state)
{
    search_fixture *fixture = *state;
    char *sql;
    json_t *result;

    put_component(fixture, "orders", "Keeps the order book");
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);

    sql = gr_xasprintf("UPDATE search_state SET building_generation = 99, building_owner = "
                       "'other', building_heartbeat_at = %s",
                       gr_db_sql_now_ms(fixture->db->db));
    db_fixture_exec(fixture->db->db, sql);
    free(sql);
    assert_int_equal(gr_search_reindex(fixture->search, NULL), GR_ECONFLICT);
    assert_non_null(strstr(gr_error_last(), "other"));

    /* An abandoned rebuild (old heartbeat) is taken over. */
    db_fixture_exec(fixture->db->db, "UPDATE search_state SET building_heartbeat_at = 1");
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);
    result = query_term(fixture->search, "book");
    assert_int_equal(result_count(result), 1);
    json_decref(result);
    assert_int_equal(db_fixture_int64(fixture->db->db,
                                      "SELECT count(*) FROM search_state WHERE "
                                      "building_generation IS NULL AND active_generation = 100"),
                     1);
}

static int failing_collate_all(void *payload, gr_search_sink *sink)
{
    (void)payload;
    (void)sink;
    return gr_error_set(GR_EBACKEND, "the wiki is down");
}

static void failed_rebuild_keeps_old_index(void **state)
{
    search_fixture *fixture = *state;
    gr_search_collator broken = {.type = "wiki", .collate_all = failing_collate_all};
    json_t *result;

    put_component(fixture, "orders", "Keeps the order book");
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);
    assert_int_equal(gr_search_register_collator(fixture->search, &broken), 0);
    assert_int_equal(gr_search_reindex(fixture->search, NULL), GR_EBACKEND);
    assert_non_null(strstr(gr_error_last(), "the wiki is down"));

    result = query_term(fixture->search, "book");
    assert_int_equal(result_count(result), 1);
    json_decref(result);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT count(*) FROM search_state "
                                                       "WHERE building_generation IS NULL"),
                     1);
}

static void missing_catalog_tables_give_no_documents(void **state)
{
    search_fixture *fixture = *state;
    gr_search_reindex_stats stats;

    db_fixture_exec(fixture->db->db, "DROP TABLE catalog_search");
    db_fixture_exec(fixture->db->db, "DROP TABLE catalog_final_entities");
    assert_int_equal(gr_search_reindex(fixture->search, &stats), 0);
    assert_int_equal(stats.documents, 0);
    assert_int_equal(gr_search_update(fixture->search, NULL, "component:default/x"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SEARCH_TEST_BOTH(entity_change_searchable_within_second),
        SEARCH_TEST_BOTH(other_process_change_searchable),
        SEARCH_TEST_BOTH(restart_collates_missed_changes),
        SEARCH_TEST_BOTH(late_commit_still_found),
        SEARCH_TEST_BOTH(own_change_collated_once),
        SEARCH_TEST_BOTH(update_replaces_one_source),
        SEARCH_TEST_BOTH(techdocs_sections_indexed),
        SEARCH_TEST_BOTH(techdocs_site_change_within_second),
        SEARCH_TEST_BOTH(reindex_while_queries_run),
        SEARCH_TEST_BOTH(reindex_keeps_changes_made_meanwhile),
        SEARCH_TEST_BOTH(reindex_respects_running_rebuild),
        SEARCH_TEST_BOTH(failed_rebuild_keeps_old_index),
        SEARCH_TEST_BOTH(missing_catalog_tables_give_no_documents),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
