/* SPDX-License-Identifier: MIT */
/* Unit tests for filters in SQL, pages with cursors, fields and facets, on SQLite and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/store/db_fixture.h"
#include "catalog_fixture.h"
#include "plugins/catalog/api/cursor.h"
#include "plugins/catalog/api/filter_sql.h"
#include "plugins/catalog/api/predicate.h"
#include "plugins/catalog/api/query.h"
#include "plugins/catalog/api/read.h"

#define assert_ok(expr) assert_int_equal((expr), GR_OK)

/* Entities in entity id order; names sort differently from ids on purpose. */
static const char *const seed[] = {
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{\"name\":"
    "\"m-service\",\"namespace\":\"default\",\"uid\":\"uid-01\",\"tags\":[\"java\",\"web\"],"
    "\"annotations\":{\"backstage.io/techdocs-ref\":\"dir:.\"}},\"spec\":{\"type\":\"service\","
    "\"lifecycle\":\"production\",\"owner\":\"team-a\"},\"relations\":[{\"type\":\"ownedBy\","
    "\"targetRef\":\"group:default/team-a\"}]}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{\"name\":"
    "\"b-website\",\"namespace\":\"default\",\"uid\":\"uid-02\",\"tags\":[\"js\"]},\"spec\":{"
    "\"type\":\"website\",\"lifecycle\":\"experimental\",\"owner\":\"team-b\"},\"relations\":[{"
    "\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-b\"}]}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{\"name\":"
    "\"z-library\",\"namespace\":\"other\",\"uid\":\"uid-03\"},\"spec\":{\"type\":\"library\","
    "\"lifecycle\":\"production\",\"owner\":\"team-a\"}}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"API\",\"metadata\":{\"name\":"
    "\"payments-api\",\"namespace\":\"default\",\"uid\":\"uid-04\",\"tags\":[\"java\"]},\"spec\":"
    "{\"type\":\"openapi\",\"lifecycle\":\"production\",\"owner\":\"team-a\"}}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"API\",\"metadata\":{\"name\":"
    "\"orders-api\",\"namespace\":\"default\",\"uid\":\"uid-05\",\"title\":\"Orders API\"},"
    "\"spec\":{\"type\":\"grpc\",\"lifecycle\":\"deprecated\",\"owner\":\"team-b\"}}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\",\"metadata\":{\"name\":"
    "\"team-a\",\"namespace\":\"default\",\"uid\":\"uid-06\"},\"spec\":{\"type\":\"team\"},"
    "\"relations\":[{\"type\":\"hasMember\",\"targetRef\":\"user:default/alice\"}]}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\",\"metadata\":{\"name\":"
    "\"team-b\",\"namespace\":\"default\",\"uid\":\"uid-07\"},\"spec\":{\"type\":\"team\"}}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"User\",\"metadata\":{\"name\":"
    "\"alice\",\"namespace\":\"default\",\"uid\":\"uid-08\"},\"spec\":{\"memberOf\":[\"team-a\"]},"
    "\"relations\":[{\"type\":\"memberOf\",\"targetRef\":\"group:default/team-a\"}]}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"User\",\"metadata\":{\"name\":\"bob\","
    "\"namespace\":\"default\",\"uid\":\"uid-09\"},\"spec\":{}}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Resource\",\"metadata\":{\"name\":"
    "\"db\",\"namespace\":\"default\",\"uid\":\"uid-10\",\"annotations\":{"
    "\"backstage.io/orphan\":\"true\"}},\"spec\":{\"type\":\"database\",\"owner\":\"team-b\"}}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"System\",\"metadata\":{\"name\":"
    "\"sys\",\"namespace\":\"default\",\"uid\":\"uid-11\"},\"spec\":{\"owner\":\"team-b\"}}",
    "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{\"name\":"
    "\"Upper-Case\",\"namespace\":\"default\",\"uid\":\"uid-12\"},\"spec\":{\"type\":\"Service\","
    "\"lifecycle\":\"production\",\"owner\":\"team-a\"}}",
};

static void seed_catalog(db_fixture *fixture)
{
    catalog_fixture_schema(fixture->db);
    catalog_fixture_insert(fixture->db, seed, sizeof(seed) / sizeof(seed[0]));
}

/* Returns the names (entity id order) that `predicate` selects, comma-joined; caller frees. */
static char *select_names(gr_db *db, const json_t *predicate, int *rc_out)
{
    gr_catalog_sql sql = GR_CATALOG_SQL_INIT;
    gr_buf names = GR_BUF_INIT;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *result;
    int rc;

    gr_catalog_sql_puts(&sql, "SELECT fe.name FROM catalog_final_entities fe WHERE ");
    rc = gr_catalog_filter_to_sql(predicate, "fe.entity_id", &sql);
    gr_catalog_sql_puts(&sql, " ORDER BY fe.entity_id");
    *rc_out = rc;
    if (rc != GR_OK) {
        gr_catalog_sql_free(&sql);
        return NULL;
    }
    assert_ok(gr_db_acquire(db, GR_DB_READ, &conn));
    if (gr_db_prepare(conn, gr_buf_cstr(&sql.text), &stmt) != GR_OK)
        fail_msg("%s: %s", gr_buf_cstr(&sql.text), gr_error_last());
    assert_ok(gr_catalog_sql_bind(&sql, stmt, 1));
    while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
        if (names.len > 0)
            gr_buf_putc(&names, ',');
        gr_buf_puts(&names, gr_db_column_text(stmt, 0));
    }
    assert_int_equal(rc, GR_DB_DONE);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_catalog_sql_free(&sql);
    result = gr_xstrdup(gr_buf_cstr(&names));
    gr_buf_free(&names);
    return result;
}

typedef struct {
    const char *predicate;
    const char *names;
} sql_case;

static const sql_case sql_cases[] = {
    {"{\"kind\":\"component\"}", "m-service,b-website,z-library,upper-case"},
    {"{\"kind\":\"COMPONENT\"}", "m-service,b-website,z-library,upper-case"},
    {"{\"spec.type\":\"service\"}", "m-service,upper-case"},
    {"{\"kind\":\"component\",\"spec.type\":\"service\"}", "m-service,upper-case"},
    {"{\"kind\":{\"$in\":[\"api\",\"GROUP\"]}}", "payments-api,orders-api,team-a,team-b"},
    {"{\"kind\":{\"$in\":[]}}", ""},
    {"{\"spec.lifecycle\":{\"$exists\":true}}",
     "m-service,b-website,z-library,payments-api,orders-api,upper-case"},
    {"{\"spec.lifecycle\":{\"$exists\":false}}", "team-a,team-b,alice,bob,db,sys"},
    {"{\"$not\":{\"kind\":\"component\"}}",
     "payments-api,orders-api,team-a,team-b,alice,bob,db,sys"},
    {"{\"$any\":[{\"kind\":\"user\"},{\"kind\":\"group\"}]}", "team-a,team-b,alice,bob"},
    {"{\"$all\":[{\"kind\":\"component\"},{\"$not\":{\"spec.lifecycle\":\"production\"}}]}",
     "b-website"},
    {"{\"$all\":[]}",
     "m-service,b-website,z-library,payments-api,orders-api,team-a,team-b,alice,bob,db,sys,"
     "upper-case"},
    {"{\"$any\":[]}", ""},
    {"{}",
     "m-service,b-website,z-library,payments-api,orders-api,team-a,team-b,alice,bob,db,sys,"
     "upper-case"},
    {"{\"metadata.tags\":\"java\"}", "m-service,payments-api"},
    {"{\"metadata.tags.java\":{\"$exists\":true}}", "m-service,payments-api"},
    {"{\"metadata.tags.java\":true}", "m-service,payments-api"},
    {"{\"metadata.tags\":{\"$contains\":\"JAVA\"}}", "m-service,payments-api"},
    {"{\"metadata.annotations.backstage.io/techdocs-ref\":\"dir:.\"}", "m-service"},
    {"{\"metadata.annotations.backstage.io/orphan\":\"true\"}", "db"},
    {"{\"metadata.namespace\":\"other\"}", "z-library"},
    {"{\"metadata.namespace\":\"default\",\"kind\":\"component\"}", "m-service,b-website,upper-case"},
    {"{\"metadata.name\":{\"$hasPrefix\":\"pay\"}}", "payments-api"},
    {"{\"metadata.name\":{\"$hasPrefix\":\"m_\"}}", ""},
    {"{\"metadata.name\":{\"$hasPrefix\":\"\"}}",
     "m-service,b-website,z-library,payments-api,orders-api,team-a,team-b,alice,bob,db,sys,"
     "upper-case"},
    {"{\"metadata.title\":\"orders api\"}", "orders-api"},
    {"{\"metadata.uid\":\"uid-07\"}", "team-b"},
    {"{\"relations.ownedby\":\"group:default/team-a\"}", "m-service"},
    {"{\"relations\":{\"$contains\":{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-b\"}}}",
     "b-website"},
    {"{\"relations\":{\"$contains\":{\"type\":\"ownedBy\"}}}", "m-service,b-website"},
    {"{\"relations\":{\"$contains\":{\"type\":\"memberOf\",\"targetRef\":{\"$in\":["
     "\"group:default/team-a\",\"group:default/x\"]}}}}",
     "alice"},
    {"{\"spec.memberOf\":\"team-a\"}", "alice"},
    {"{\"spec.owner\":\"team-b\",\"spec.type\":{\"$exists\":false}}", "sys"},
    {"{\"no.such.key\":{\"$exists\":false}}",
     "m-service,b-website,z-library,payments-api,orders-api,team-a,team-b,alice,bob,db,sys,"
     "upper-case"},
};

static void sql_filter_results(void **state)
{
    db_fixture *fixture = *state;

    seed_catalog(fixture);
    for (size_t i = 0; i < sizeof(sql_cases) / sizeof(sql_cases[0]); i++) {
        json_t *input = json_loads(sql_cases[i].predicate, 0, NULL);
        json_t *predicate = NULL;
        char *names;
        int rc;

        assert_non_null(input);
        if (gr_catalog_predicate_check(input, &predicate) != GR_OK)
            fail_msg("case %zu: %s", i, gr_error_last());
        names = select_names(fixture->db, predicate, &rc);
        if (rc != GR_OK)
            fail_msg("case %zu (%s): %s", i, sql_cases[i].predicate, gr_error_last());
        if (strcmp(names, sql_cases[i].names) != 0)
            fail_msg("case %zu (%s): got [%s], expected [%s]", i, sql_cases[i].predicate, names,
                     sql_cases[i].names);
        free(names);
        json_decref(predicate);
        json_decref(input);
    }
}

static void sql_filter_params(void **state)
{
    db_fixture *fixture = *state;
    const char *filters[] = {"kind=component,kind=api", "kind=user,spec.memberOf=team-a"};
    json_t *predicate = NULL;
    char *names;
    int rc;

    seed_catalog(fixture);
    assert_ok(gr_catalog_filter_parse(filters, 2, &predicate));
    names = select_names(fixture->db, predicate, &rc);
    assert_ok(rc);
    assert_string_equal(names, "m-service,b-website,z-library,payments-api,orders-api,alice,"
                               "upper-case");
    free(names);
    json_decref(predicate);
}

static void sql_contains_object_rejected(void **state)
{
    db_fixture *fixture = *state;
    json_t *predicate = json_loads("{\"spec\":{\"$contains\":{\"a\":\"b\"}}}", 0, NULL);
    char *names;
    int rc;

    seed_catalog(fixture);
    names = select_names(fixture->db, predicate, &rc);
    assert_int_equal(rc, GR_EINVALID);
    assert_null(names);
    assert_string_equal(gr_error_last(),
                        "Object form of $contains is not supported for field \"spec\"");
    json_decref(predicate);
}

/*
 * As many conditions in one list as a statement may hold. NOTE: the test runs on SQLite only,
 * because PostgreSQL 15 plans such queries slowly: on a 2-core machine, EXPLAIN of 100 ANDed
 * subqueries took 1.4 s.
 */
#define MANY_CONDITIONS (GR_CATALOG_FILTER_MAX_CONDITIONS - 1)

/* Checks the names that `predicate` selects, failing with the database's message. */
static void assert_selects(gr_db *db, const json_t *predicate, const char *expected)
{
    char *names;
    int rc;

    names = select_names(db, predicate, &rc);
    if (rc != GR_OK)
        fail_msg("%s", gr_error_last());
    assert_string_equal(names, expected);
    free(names);
}

static void sql_filter_many_conditions(void **state)
{
    db_fixture *fixture = *state;
    json_t *all = json_array();
    json_t *any = json_array();
    json_t *expression = json_object();
    json_t *predicate;

    seed_catalog(fixture);
    for (int i = 0; i < MANY_CONDITIONS; i++) {
        char key[32];
        char name[32];

        snprintf(key, sizeof(key), "no.such.key%d", i);
        snprintf(name, sizeof(name), "missing-%d", i);
        json_array_append_new(all, json_pack("{s:s}", "kind", "api"));
        json_array_append_new(any, json_pack("{s:s}", "metadata.name", name));
        json_object_set_new(expression, key, json_pack("{s:b}", "$exists", 0));
    }
    json_array_append_new(any, json_pack("{s:s}", "metadata.name", "bob"));
    json_object_set_new(expression, "kind", json_string("group"));

    predicate = json_pack("{s:o}", "$all", all);
    assert_selects(fixture->db, predicate, "payments-api,orders-api");
    json_decref(predicate);
    predicate = json_pack("{s:o}", "$any", any);
    assert_selects(fixture->db, predicate, "bob");
    json_decref(predicate);
    assert_selects(fixture->db, expression, "team-a,team-b");
    json_decref(expression);
}

/* One condition more than a statement may hold is rejected before any SQL runs. */
static void sql_filter_conditions_over_max(void **state)
{
    db_fixture *fixture = *state;
    json_t *all = json_array();
    json_t *predicate;
    char *names;
    int rc = GR_OK;

    seed_catalog(fixture);
    for (int i = 0; i <= GR_CATALOG_FILTER_MAX_CONDITIONS; i++)
        json_array_append_new(all, json_pack("{s:s}", "kind", "api"));
    predicate = json_pack("{s:o}", "$all", all);
    names = select_names(fixture->db, predicate, &rc);
    assert_null(names);
    assert_int_equal(rc, GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "more than 100 filter conditions"));
    json_decref(predicate);
}

/* Collects metadata.name of every item of a page into `names`, comma-joined. */
static void page_names(const gr_catalog_page *page, gr_buf *names)
{
    char *text = gr_xasprintf("[%s]", gr_buf_cstr(&page->items));
    json_t *items = json_loads(text, 0, NULL);
    size_t index;
    json_t *item;

    assert_non_null(items);
    json_array_foreach(items, index, item)
    {
        if (names->len > 0)
            gr_buf_putc(names, ',');
        gr_buf_puts(names,
                    json_string_value(json_object_get(json_object_get(item, "metadata"), "name")));
    }
    json_decref(items);
    free(text);
}

/* Round-trips a cursor through its encoded form, as a client would. */
static json_t *through_client(const json_t *cursor)
{
    char *encoded = gr_catalog_cursor_encode(cursor);
    json_t *decoded = NULL;

    assert_ok(gr_catalog_cursor_decode(encoded, &decoded));
    free(encoded);
    return decoded;
}

/* A forged cursor whose totalItems is not an integer is rejected, not converted. */
static void cursor_total_not_integer(void **state)
{
    static const char *const totals[] = {"1e300", "-1e300", "2.5"};

    (void)state;
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
        char *text = gr_xasprintf("{\"orderFields\":[],\"isPrevious\":false,"
                                  "\"orderFieldValues\":[],\"totalItems\":%s}",
                                  totals[i]);
        json_t *raw = json_loads(text, 0, NULL);
        char *encoded;
        json_t *decoded = NULL;

        assert_non_null(raw);
        encoded = gr_catalog_cursor_encode(raw);
        assert_int_equal(gr_catalog_cursor_decode(encoded, &decoded), GR_EINVALID);
        assert_null(decoded);
        assert_string_equal(gr_error_last(), "Malformed cursor: totalItems must be an integer");
        free(encoded);
        json_decref(raw);
        free(text);
    }
}

/* A legacy filter in a cursor nested too deep is rejected, as a query is, before SQLite parses it. */
static void cursor_legacy_filter_too_deep(void **state)
{
    json_t *filter = json_pack("{s:s, s:[s]}", "key", "kind", "values", "component");
    json_t *raw;
    json_t *decoded = NULL;
    char *encoded;

    (void)state;
    for (int i = 0; i < 60; i++)
        filter = json_pack("{s:o}", "not", filter);
    raw = json_pack("{s:[], s:b, s:[], s:o}", "orderFields", "isPrevious", 0, "orderFieldValues",
                    "filter", filter);
    encoded = gr_catalog_cursor_encode(raw);
    assert_int_equal(gr_catalog_cursor_decode(encoded, &decoded), GR_EINVALID);
    assert_null(decoded);
    assert_non_null(strstr(gr_error_last(), "Malformed cursor"));
    assert_non_null(strstr(gr_error_last(), "nested deeper than 32 levels"));
    free(encoded);
    json_decref(raw);
}

/* A shallow legacy filter still decodes into the predicate that queries use. */
static void cursor_legacy_filter_converted(void **state)
{
    json_t *raw = json_loads("{\"orderFields\":[],\"isPrevious\":false,\"orderFieldValues\":[],"
                             "\"filter\":{\"not\":{\"anyOf\":[{\"key\":\"kind\","
                             "\"values\":[\"api\"]},{\"key\":\"spec.type\"}]}}}",
                             0, NULL);
    json_t *decoded = NULL;
    char *encoded;
    char *query;

    (void)state;
    assert_non_null(raw);
    encoded = gr_catalog_cursor_encode(raw);
    assert_ok(gr_catalog_cursor_decode(encoded, &decoded));
    query = json_dumps(json_object_get(decoded, "query"), JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(query,
                        "{\"$not\":{\"$any\":[{\"kind\":\"api\"},{\"spec.type\":{\"$exists\":true}}]}}");
    free(query);
    free(encoded);
    json_decref(decoded);
    json_decref(raw);
}

/* Pages forward through a query with `limit`; returns all names and the page count. */
static char *walk_forward(gr_db *db, json_t *filter, json_t *order, int64_t limit, size_t *pages,
                          int64_t *total)
{
    gr_catalog_query query = {0};
    gr_buf names = GR_BUF_INIT;
    char *result;

    gr_catalog_query_first(&query, filter, order, NULL);
    query.limit = limit;
    *pages = 0;
    for (;;) {
        gr_catalog_page page = GR_CATALOG_PAGE_INIT;
        json_t *next;

        if (gr_catalog_query_run(db, &query, NULL, &page) != GR_OK)
            fail_msg("query: %s", gr_error_last());
        if (*pages == 0)
            *total = page.total;
        else
            assert_int_equal(page.total, *total);
        assert_true(page.count <= (size_t)limit);
        page_names(&page, &names);
        (*pages)++;
        next = page.next ? through_client(page.next) : NULL;
        gr_catalog_page_free(&page);
        gr_catalog_query_free(&query);
        if (next == NULL)
            break;
        gr_catalog_query_continue(&query, next);
        query.limit = limit;
    }
    result = gr_buf_detach(&names);
    return result ? result : gr_xstrdup("");
}

static void cursor_pages_by_name(void **state)
{
    db_fixture *fixture = *state;
    size_t pages = 0;
    int64_t total = 0;
    char *names;

    seed_catalog(fixture);
    names = walk_forward(fixture->db, NULL,
                         json_loads("[{\"field\":\"metadata.name\",\"order\":\"asc\"}]", 0, NULL),
                         5, &pages, &total);
    assert_string_equal(names, "alice,b-website,bob,db,m-service,orders-api,payments-api,sys,"
                               "team-a,team-b,Upper-Case,z-library");
    assert_int_equal(pages, 3);
    assert_int_equal(total, 12);
    free(names);
}

static void cursor_pages_descending(void **state)
{
    db_fixture *fixture = *state;
    size_t pages = 0;
    int64_t total = 0;
    char *names;

    seed_catalog(fixture);
    names = walk_forward(fixture->db, json_loads("{\"kind\":\"component\"}", 0, NULL),
                         json_loads("[{\"field\":\"metadata.name\",\"order\":\"desc\"}]", 0, NULL),
                         1, &pages, &total);
    assert_string_equal(names, "z-library,Upper-Case,m-service,b-website");
    assert_int_equal(pages, 4);
    assert_int_equal(total, 4);
    free(names);
}

static void cursor_pages_by_uid(void **state)
{
    db_fixture *fixture = *state;
    size_t pages = 0;
    int64_t total = 0;
    char *names;

    seed_catalog(fixture);
    names = walk_forward(fixture->db, NULL, NULL, 4, &pages, &total);
    assert_string_equal(names, "m-service,b-website,z-library,payments-api,orders-api,team-a,"
                               "team-b,alice,bob,db,sys,Upper-Case");
    /* Each page reads one row more than it returns, so the full third page is the last. */
    assert_int_equal(pages, 3);
    assert_int_equal(total, 12);
    free(names);
}

static void cursor_order_field_missing(void **state)
{
    db_fixture *fixture = *state;
    size_t pages = 0;
    int64_t total = 0;
    char *names;

    seed_catalog(fixture);
    /* As in Backstage, entities without spec.lifecycle come after the others, by uid. */
    names = walk_forward(fixture->db, NULL,
                         json_loads("[{\"field\":\"spec.lifecycle\",\"order\":\"asc\"}]", 0, NULL),
                         2, &pages, &total);
    assert_string_equal(names, "orders-api,b-website,m-service,z-library,payments-api,Upper-Case,"
                               "team-a,team-b,alice,bob,db,sys");
    assert_int_equal(total, 12);
    free(names);

    /* A page of 4 crosses from the entities with a value to the others. */
    names = walk_forward(fixture->db, NULL,
                         json_loads("[{\"field\":\"spec.lifecycle\",\"order\":\"desc\"}]", 0, NULL),
                         4, &pages, &total);
    assert_string_equal(names, "Upper-Case,payments-api,z-library,m-service,b-website,orders-api,"
                               "sys,db,bob,alice,team-b,team-a");
    assert_int_equal(total, 12);
    free(names);
}

/* Runs one page of `query` and returns its names. */
static char *run_names(gr_db *db, gr_catalog_query *query, gr_catalog_page *page)
{
    gr_buf names = GR_BUF_INIT;
    char *result;

    if (gr_catalog_query_run(db, query, NULL, page) != GR_OK)
        fail_msg("query: %s", gr_error_last());
    page_names(page, &names);
    result = gr_buf_detach(&names);
    return result ? result : gr_xstrdup("");
}

/* Runs the page of `cursor` with `limit` and returns its names; the page stays in *page. */
static char *page_of(gr_db *db, const json_t *cursor, int64_t limit, gr_catalog_page *page)
{
    gr_catalog_query query = {0};
    gr_buf names = GR_BUF_INIT;
    char *result;

    gr_catalog_query_continue(&query, through_client(cursor));
    query.limit = limit;
    if (gr_catalog_query_run(db, &query, NULL, page) != GR_OK)
        fail_msg("query: %s", gr_error_last());
    page_names(page, &names);
    gr_catalog_query_free(&query);
    result = gr_buf_detach(&names);
    return result ? result : gr_xstrdup("");
}

/* Previous pages lead back from the entities without a value across to the others. */
static void cursor_previous_from_missing_values(void **state)
{
    db_fixture *fixture = *state;
    gr_catalog_query query = {0};
    gr_catalog_page pages[5] = {GR_CATALOG_PAGE_INIT, GR_CATALOG_PAGE_INIT, GR_CATALOG_PAGE_INIT,
                                GR_CATALOG_PAGE_INIT, GR_CATALOG_PAGE_INIT};
    char *names[5];

    seed_catalog(fixture);
    gr_catalog_query_first(&query, NULL,
                           json_loads("[{\"field\":\"spec.lifecycle\",\"order\":\"asc\"}]", 0, NULL),
                           NULL);
    query.limit = 5;
    names[0] = run_names(fixture->db, &query, &pages[0]);
    gr_catalog_query_free(&query);
    assert_string_equal(names[0], "orders-api,b-website,m-service,z-library,payments-api");
    names[1] = page_of(fixture->db, pages[0].next, 5, &pages[1]);
    assert_string_equal(names[1], "Upper-Case,team-a,team-b,alice,bob");
    names[2] = page_of(fixture->db, pages[1].next, 5, &pages[2]);
    assert_string_equal(names[2], "db,sys");
    assert_null(pages[2].next);

    /* Back from the last page, which starts among the entities without a value. */
    names[3] = page_of(fixture->db, pages[2].prev, 5, &pages[3]);
    assert_string_equal(names[3], names[1]);
    names[4] = page_of(fixture->db, pages[3].prev, 5, &pages[4]);
    assert_string_equal(names[4], names[0]);
    assert_null(pages[4].prev);

    for (size_t i = 0; i < 5; i++) {
        free(names[i]);
        gr_catalog_page_free(&pages[i]);
    }
}

/* An offset past the entities with a value continues among the others. */
static void offset_into_missing_values(void **state)
{
    db_fixture *fixture = *state;
    gr_catalog_query query = {0};
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    char *names;

    seed_catalog(fixture);
    gr_catalog_query_first(&query, NULL,
                           json_loads("[{\"field\":\"spec.lifecycle\",\"order\":\"asc\"}]", 0, NULL),
                           NULL);
    query.limit = 3;
    query.offset = 5;
    names = run_names(fixture->db, &query, &page);
    assert_string_equal(names, "Upper-Case,team-a,team-b");
    assert_int_equal(page.total, 12);
    free(names);
    gr_catalog_page_free(&page);

    query.offset = 8;
    names = run_names(fixture->db, &query, &page);
    assert_string_equal(names, "alice,bob,db");
    free(names);
    gr_catalog_page_free(&page);
    gr_catalog_query_free(&query);
}

/* Returns metadata.name of every item of a page as a JSON array. */
static json_t *name_list(const gr_catalog_page *page)
{
    char *text = gr_xasprintf("[%s]", gr_buf_cstr(&page->items));
    json_t *items = json_loads(text, 0, NULL);
    json_t *names = json_array();
    size_t index;
    json_t *item;

    if (items == NULL)
        fail_msg("page is not JSON: %.300s", text);
    json_array_foreach(items, index, item)
    {
        json_array_append(names, json_object_get(json_object_get(item, "metadata"), "name"));
    }
    json_decref(items);
    free(text);
    return names;
}

/* Runs a first request and returns the names of its page as a JSON array. */
static json_t *first_page(gr_db *db, const char *filter, const char *order, const char *full_text,
                          const json_t *access, int64_t limit, int64_t offset,
                          gr_catalog_page *page)
{
    gr_catalog_query query = {0};

    gr_catalog_query_first(&query, filter ? json_loads(filter, 0, NULL) : NULL,
                           json_loads(order, 0, NULL),
                           full_text ? json_loads(full_text, 0, NULL) : NULL);
    query.limit = limit;
    query.offset = offset;
    query.access = access;
    if (gr_catalog_query_run(db, &query, NULL, page) != GR_OK)
        fail_msg("query %s %s: %s", order, filter ? filter : "", gr_error_last());
    gr_catalog_query_free(&query);
    return name_list(page);
}

/* Runs the page of `cursor` with `limit`; returns its names as a JSON array. */
static json_t *cursor_page(gr_db *db, const json_t *cursor, const json_t *access, int64_t limit,
                           gr_catalog_page *page)
{
    gr_catalog_query query = {0};

    gr_catalog_query_continue(&query, through_client(cursor));
    query.limit = limit;
    query.access = access;
    if (gr_catalog_query_run(db, &query, NULL, page) != GR_OK)
        fail_msg("cursor query: %s", gr_error_last());
    gr_catalog_query_free(&query);
    return name_list(page);
}

/* Returns items [from, from + count) of `all`, as far as it has them. */
static json_t *slice(const json_t *all, size_t from, size_t count)
{
    json_t *part = json_array();

    for (size_t i = from; i < from + count && i < json_array_size(all); i++)
        json_array_append(part, json_array_get(all, i));
    return part;
}

/* Fails with both lists when `got` is not `expected`. */
static void assert_names(const json_t *got, const json_t *expected, const char *what,
                         const char *order, const char *filter, int64_t limit, int64_t offset)
{
    char *a, *b;

    if (json_equal(got, expected))
        return;
    a = json_dumps(got, JSON_COMPACT);
    b = json_dumps(expected, JSON_COMPACT);
    fail_msg("%s (order %s, filter %s, limit %lld, offset %lld): got %s, expected %s", what, order,
             filter ? filter : "none", (long long)limit, (long long)offset, a, b);
}

/*
 * Pages through a query with every limit and offset: forward pages join up
 * to the whole list, previous cursors return the same pages, and each
 * offset starts at its place in the whole list.
 */
static void check_paging(gr_db *db, const char *filter, const char *order, const char *full_text,
                         const json_t *access, size_t expected_total)
{
    gr_catalog_page whole = GR_CATALOG_PAGE_INIT;
    json_t *all = first_page(db, filter, order, full_text, access, 1000, 0, &whole);
    size_t n = json_array_size(all);

    assert_int_equal(whole.total, (int64_t)expected_total);
    assert_null(whole.next);
    for (int64_t limit = 1; limit <= (int64_t)n + 1; limit++) {
        gr_catalog_page pages[64];
        json_t *got[64];
        json_t *joined = json_array();
        size_t count = 1;

        pages[0] = (gr_catalog_page)GR_CATALOG_PAGE_INIT;
        got[0] = first_page(db, filter, order, full_text, access, limit, 0, &pages[0]);
        assert_int_equal(pages[0].total, (int64_t)expected_total);
        json_array_extend(joined, got[0]);
        while (pages[count - 1].next != NULL) {
            assert_true(count < 64);
            pages[count] = (gr_catalog_page)GR_CATALOG_PAGE_INIT;
            got[count] = cursor_page(db, pages[count - 1].next, access, limit, &pages[count]);
            assert_int_equal(pages[count].total, (int64_t)expected_total);
            json_array_extend(joined, got[count]);
            count++;
        }
        assert_names(joined, all, "forward pages", order, filter, limit, 0);

        /* Back from the last page by previous cursors. */
        for (size_t k = count - 1; k > 0; k--) {
            gr_catalog_page back = GR_CATALOG_PAGE_INIT;
            json_t *names;

            if (pages[k].prev == NULL)
                fail_msg("page %zu of limit %lld has no previous cursor (order %s)", k,
                         (long long)limit, order);
            names = cursor_page(db, pages[k].prev, access, limit, &back);
            assert_names(names, got[k - 1], "previous page", order, filter, limit, (int64_t)k);
            if (k == 1 && back.prev != NULL)
                fail_msg("the first page reached backwards has a previous cursor (order %s)",
                         order);
            json_decref(names);
            gr_catalog_page_free(&back);
        }
        assert_null(pages[0].prev);
        for (size_t k = 0; k < count; k++) {
            json_decref(got[k]);
            gr_catalog_page_free(&pages[k]);
        }
        json_decref(joined);

        /* Every offset, at and across the boundary. */
        for (int64_t offset = 0; offset <= (int64_t)n + 1; offset++) {
            gr_catalog_page page = GR_CATALOG_PAGE_INIT;
            json_t *names = first_page(db, filter, order, full_text, access, limit, offset, &page);
            json_t *expected = slice(all, (size_t)offset, (size_t)limit);

            assert_names(names, expected, "offset page", order, filter, limit, offset);
            json_decref(names);
            json_decref(expected);
            gr_catalog_page_free(&page);
        }
    }

    /* A limit of 0 returns no entities and the count. */
    {
        gr_catalog_page page = GR_CATALOG_PAGE_INIT;
        json_t *names = first_page(db, filter, order, full_text, access, 0, 3, &page);

        assert_int_equal(json_array_size(names), 0);
        assert_int_equal(page.total, (int64_t)expected_total);
        json_decref(names);
        gr_catalog_page_free(&page);
    }
    json_decref(all);
    gr_catalog_page_free(&whole);
}

/* Entities that lack the order field page like the others, whatever the query. */
static void paging_with_missing_values(void **state)
{
    db_fixture *fixture = *state;
    json_t *access = json_loads("{\"$not\":{\"kind\":\"group\"}}", 0, NULL);

    seed_catalog(fixture);
    check_paging(fixture->db, NULL, "[{\"field\":\"spec.lifecycle\",\"order\":\"asc\"}]", NULL,
                 NULL, 12);
    check_paging(fixture->db, NULL, "[{\"field\":\"spec.lifecycle\",\"order\":\"desc\"}]", NULL,
                 NULL, 12);
    check_paging(fixture->db, "{\"spec.owner\":\"team-b\"}",
                 "[{\"field\":\"spec.type\",\"order\":\"desc\"}]", NULL, NULL, 4);
    check_paging(fixture->db, "{\"kind\":\"component\"}",
                 "[{\"field\":\"metadata.title\",\"order\":\"asc\"}]", NULL, NULL, 4);
    check_paging(fixture->db, NULL, "[{\"field\":\"spec.owner\",\"order\":\"asc\"}]",
                 "{\"term\":\"a\",\"fields\":[\"metadata.name\"]}", NULL, 7);
    check_paging(fixture->db, NULL, "[{\"field\":\"spec.owner\",\"order\":\"asc\"}]",
                 "{\"term\":\"team\"}", NULL, 8);
    check_paging(fixture->db, NULL, "[{\"field\":\"spec.lifecycle\",\"order\":\"desc\"}]", NULL,
                 access, 10);
    check_paging(fixture->db, NULL, "[{\"field\":\"no.such.field\",\"order\":\"desc\"}]", NULL,
                 NULL, 12);
    json_decref(access);
}

/* An order field with several values lists an entity once per value, then the others. */
static void paging_with_several_values(void **state)
{
    db_fixture *fixture = *state;

    seed_catalog(fixture);
    check_paging(fixture->db, NULL, "[{\"field\":\"metadata.tags\",\"order\":\"asc\"}]", NULL,
                 NULL, 12);
    check_paging(fixture->db, "{\"kind\":\"component\"}",
                 "[{\"field\":\"metadata.tags\",\"order\":\"desc\"}]", NULL, NULL, 4);
}

/* Checks `got` as assert_names() does and frees `expected`. */
static void assert_names_taken(const json_t *got, json_t *expected, const char *what,
                               const char *order, const char *filter, int64_t limit,
                               int64_t offset)
{
    assert_names(got, expected, what, order, filter, limit, offset);
    json_decref(expected);
}

/* A value over the stored length has no search value, so its entity pages with the others. */
static void paging_with_long_values(void **state)
{
    db_fixture *fixture = *state;
    char long_value[260];
    char *entity;
    const char *entities[1];

    memset(long_value, 'x', sizeof(long_value) - 1);
    long_value[sizeof(long_value) - 1] = '\0';
    entity = gr_xasprintf("{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
                          "\"metadata\":{\"name\":\"long-life\",\"namespace\":\"default\","
                          "\"uid\":\"uid-00\"},\"spec\":{\"lifecycle\":\"%s\"}}",
                          long_value);
    entities[0] = entity;
    seed_catalog(fixture);
    catalog_fixture_insert(fixture->db, entities, 1);
    check_paging(fixture->db, NULL, "[{\"field\":\"spec.lifecycle\",\"order\":\"asc\"}]", NULL,
                 NULL, 13);
    free(entity);
}

/* Decodes a cursor written by hand, runs it and returns the result code. */
static int run_crafted(gr_db *db, const char *text, json_t **names)
{
    json_t *raw = json_loads(text, 0, NULL);
    char *encoded = gr_catalog_cursor_encode(raw);
    gr_catalog_query query = {0};
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    json_t *cursor = NULL;
    int rc;

    assert_non_null(raw);
    *names = NULL;
    rc = gr_catalog_cursor_decode(encoded, &cursor);
    if (rc == GR_OK) {
        gr_catalog_query_continue(&query, cursor);
        query.limit = 3;
        rc = gr_catalog_query_run(db, &query, NULL, &page);
        if (rc == GR_OK)
            *names = name_list(&page);
        gr_catalog_query_free(&query);
        gr_catalog_page_free(&page);
    }
    free(encoded);
    json_decref(raw);
    return rc;
}

/* Returns the total of the first page of a hand-written cursor `text`. */
static int64_t crafted_total(gr_db *db, const char *text)
{
    json_t *raw = json_loads(text, 0, NULL);
    char *encoded = gr_catalog_cursor_encode(raw);
    gr_catalog_query query = {0};
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    json_t *cursor = NULL;
    int64_t total;

    assert_non_null(raw);
    assert_ok(gr_catalog_cursor_decode(encoded, &cursor));
    gr_catalog_query_continue(&query, cursor);
    query.limit = 2;
    assert_ok(gr_catalog_query_run(db, &query, NULL, &page));
    total = page.total;
    gr_catalog_query_free(&query);
    gr_catalog_page_free(&page);
    free(encoded);
    json_decref(raw);
    return total;
}

/* A cursor without totalItems gets the counted total, as Backstage counts it; one with it keeps it. */
static void cursor_without_total_counted(void **state)
{
    db_fixture *fixture = *state;
    int64_t all;

    seed_catalog(fixture);
    all = db_fixture_int64(fixture->db, "SELECT count(*) FROM catalog_final_entities");
    assert_true(all > 2);
    assert_int_equal(crafted_total(fixture->db, "{\"orderFields\":[],\"isPrevious\":false,"
                                                "\"orderFieldValues\":[]}"),
                     all);
    assert_int_equal(crafted_total(fixture->db, "{\"orderFields\":[],\"isPrevious\":false,"
                                                "\"orderFieldValues\":[],\"totalItems\":42}"),
                     42);
}

/* Cursors written by hand into the entities without a value run or are rejected as malformed. */
static void cursor_crafted_null_values(void **state)
{
    static const char *const order = "\"orderFields\":[{\"field\":\"spec.lifecycle\","
                                     "\"order\":\"asc\"}]";
    db_fixture *fixture = *state;
    json_t *names;
    char *text;

    seed_catalog(fixture);

    /* An unknown id between uid-07 and uid-08 continues at uid-08. */
    text = gr_xasprintf("{%s,\"isPrevious\":false,\"orderFieldValues\":[null,\"uid-075\"]}", order);
    assert_ok(run_crafted(fixture->db, text, &names));
    assert_names_taken(names, json_pack("[s,s,s]", "alice", "bob", "db"), "unknown id", order, NULL,
                 3, 0);
    json_decref(names);
    free(text);

    /* Backwards from the same id. */
    text = gr_xasprintf("{%s,\"isPrevious\":true,\"orderFieldValues\":[null,\"uid-075\"]}", order);
    assert_ok(run_crafted(fixture->db, text, &names));
    assert_names_taken(names, json_pack("[s,s,s]", "Upper-Case", "team-a", "team-b"), "previous",
                 order, NULL, 3, 0);
    json_decref(names);
    free(text);

    /* Past the last id. */
    text = gr_xasprintf("{%s,\"isPrevious\":false,\"orderFieldValues\":[null,\"zzz\"]}", order);
    assert_ok(run_crafted(fixture->db, text, &names));
    assert_int_equal(json_array_size(names), 0);
    json_decref(names);
    free(text);
    /* Before the first id come the last entities with a value. */
    text = gr_xasprintf("{%s,\"isPrevious\":true,\"orderFieldValues\":[null,\"\"]}", order);
    assert_ok(run_crafted(fixture->db, text, &names));
    assert_names_taken(names, json_pack("[s,s,s]", "z-library", "payments-api", "Upper-Case"),
                 "before the first id", order, NULL, 3, 0);
    json_decref(names);
    free(text);

    /* [null, null] runs without an error. [null] alone lacks the id that an order field needs,
     * so it is malformed. */
    text = gr_xasprintf("{%s,\"isPrevious\":false,\"orderFieldValues\":[null]}", order);
    assert_int_equal(run_crafted(fixture->db, text, &names), GR_EINVALID);
    assert_null(names);
    free(text);
    text = gr_xasprintf("{%s,\"isPrevious\":true,\"orderFieldValues\":[null,null]}", order);
    assert_ok(run_crafted(fixture->db, text, &names));
    json_decref(names);
    free(text);

    /* An id that is not a string is malformed. */
    text = gr_xasprintf("{%s,\"isPrevious\":false,\"orderFieldValues\":[null,7]}", order);
    assert_int_equal(run_crafted(fixture->db, text, &names), GR_EINVALID);
    assert_null(names);
    free(text);
}

/* A full-text filter with an empty list of fields matches nothing, with or without nulls. */
static void full_text_no_fields(void **state)
{
    db_fixture *fixture = *state;
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    json_t *names;

    seed_catalog(fixture);
    names = first_page(fixture->db, NULL, "[{\"field\":\"spec.lifecycle\",\"order\":\"asc\"}]",
                       "{\"term\":\"a\",\"fields\":[]}", NULL, 5, 0, &page);
    assert_int_equal(json_array_size(names), 0);
    assert_int_equal(page.total, 0);
    json_decref(names);
    gr_catalog_page_free(&page);

    names = first_page(fixture->db, NULL, "[]", "{\"term\":\"a\",\"fields\":[]}", NULL, 5, 0,
                       &page);
    assert_int_equal(json_array_size(names), 0);
    assert_int_equal(page.total, 0);
    json_decref(names);
    gr_catalog_page_free(&page);
}

/* Invalid UTF-8, longer lower cases and long texts lower-case without reading past the end. */
static void lower_search_edge_cases(void **state)
{
    static const struct {
        const char *input;
        const char *expected;
    } cases[] = {
        {"\xc8\xba", "\xe2\xb1\xa5"},           /* U+023A lowers to the 3-byte U+2C65 */
        {"A\xc8\xba" "B", "a\xe2\xb1\xa5" "b"},
        {"\xc3", "\xc3\xa3"},                   /* a lone lead byte reads as U+00C3 */
        {"\xe2\x82", "\xc3\xa2\xc2\x82"},       /* a cut sequence reads byte by byte */
        {"\xff\xfe", "\xc3\xbf\xc3\xbe"},
        {"\xc3\x84PFEL", "\xc3\xa4pfel"},
    };
    size_t long_len = 300000;
    char *long_text = gr_xmalloc(long_len + 1);
    char *lower;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lower = gr_catalog_lower_search(cases[i].input);
        assert_string_equal(lower, cases[i].expected);
        free(lower);
    }
    for (size_t i = 0; i < long_len; i += 2) {
        long_text[i] = '\xc8';
        long_text[i + 1] = '\xba';
    }
    long_text[long_len] = '\0';
    lower = gr_catalog_lower_search(long_text);
    assert_int_equal(strlen(lower), long_len / 2 * 3);
    free(lower);
    free(long_text);
}

/* Filters with invalid UTF-8 in keys and values run and match nothing. */
static void filter_invalid_utf8(void **state)
{
    db_fixture *fixture = *state;
    const char *filters[] = {"kind=\xff\xc8", "\xc3=\xe2\x82", "metadata.tags=\xc8\xba\xc3"};
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    gr_catalog_query query = {0};
    json_t *predicate = NULL;
    json_t *names;

    seed_catalog(fixture);
    assert_ok(gr_catalog_filter_parse(filters, 3, &predicate));
    gr_catalog_query_first(&query, predicate,
                           json_loads("[{\"field\":\"\xc8\xba\xff\",\"order\":\"asc\"}]", 0, NULL),
                           json_pack("{s:s}", "term", "\xc8\xba\xe2"));
    query.limit = 5;
    if (gr_catalog_query_run(fixture->db, &query, NULL, &page) != GR_OK)
        fail_msg("query: %s", gr_error_last());
    names = name_list(&page);
    assert_int_equal(json_array_size(names), 0);
    assert_int_equal(page.total, 0);
    json_decref(names);
    gr_catalog_page_free(&page);
    gr_catalog_query_free(&query);
}

static void cursor_previous_pages(void **state)
{
    db_fixture *fixture = *state;
    gr_catalog_query query = {0};
    gr_catalog_page first = GR_CATALOG_PAGE_INIT;
    gr_catalog_page second = GR_CATALOG_PAGE_INIT;
    gr_catalog_page back = GR_CATALOG_PAGE_INIT;
    char *first_names;
    char *second_names;
    char *back_names;

    seed_catalog(fixture);
    gr_catalog_query_first(&query, NULL,
                           json_loads("[{\"field\":\"metadata.name\",\"order\":\"asc\"}]", 0, NULL),
                           NULL);
    query.limit = 3;
    first_names = run_names(fixture->db, &query, &first);
    assert_string_equal(first_names, "alice,b-website,bob");
    assert_null(first.prev);
    assert_non_null(first.next);
    gr_catalog_query_free(&query);

    gr_catalog_query_continue(&query, through_client(first.next));
    query.limit = 3;
    second_names = run_names(fixture->db, &query, &second);
    assert_string_equal(second_names, "db,m-service,orders-api");
    assert_non_null(second.prev);
    assert_non_null(second.next);
    gr_catalog_query_free(&query);

    gr_catalog_query_continue(&query, through_client(second.prev));
    query.limit = 3;
    back_names = run_names(fixture->db, &query, &back);
    assert_string_equal(back_names, first_names);
    /* Back on the first page there is no page before, but a next one. */
    assert_null(back.prev);
    assert_non_null(back.next);
    gr_catalog_query_free(&query);

    free(first_names);
    free(second_names);
    free(back_names);
    gr_catalog_page_free(&first);
    gr_catalog_page_free(&second);
    gr_catalog_page_free(&back);
}

static void cursor_stable_under_inserts(void **state)
{
    db_fixture *fixture = *state;
    static const char *const later[] = {
        "{\"apiVersion\":\"v1\",\"kind\":\"Component\",\"metadata\":{\"name\":\"aa-early\","
        "\"uid\":\"uid-00\"},\"spec\":{}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Component\",\"metadata\":{\"name\":\"zz-late\","
        "\"uid\":\"uid-99\"},\"spec\":{}}",
    };
    gr_catalog_query query = {0};
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    gr_buf all = GR_BUF_INIT;
    char *names;

    seed_catalog(fixture);
    gr_catalog_query_first(&query, NULL,
                           json_loads("[{\"field\":\"metadata.name\",\"order\":\"asc\"}]", 0, NULL),
                           NULL);
    query.limit = 6;
    names = run_names(fixture->db, &query, &page);
    gr_buf_puts(&all, names);
    free(names);
    gr_catalog_query_free(&query);

    /* One entity sorts before the cursor and one after it. */
    catalog_fixture_insert(fixture->db, later, 2);
    gr_catalog_query_continue(&query, through_client(page.next));
    query.limit = 100;
    gr_catalog_page_free(&page);
    names = run_names(fixture->db, &query, &page);
    gr_buf_printf(&all, ",%s", names);
    free(names);

    assert_string_equal(gr_buf_cstr(&all), "alice,b-website,bob,db,m-service,orders-api,"
                                           "payments-api,sys,team-a,team-b,Upper-Case,"
                                           "z-library,zz-late");
    /* The total is the one counted for the first page. */
    assert_int_equal(page.total, 12);
    gr_buf_free(&all);
    gr_catalog_page_free(&page);
    gr_catalog_query_free(&query);
}

static void query_offset_and_full_text(void **state)
{
    db_fixture *fixture = *state;
    gr_catalog_query query = {0};
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    char *names;

    seed_catalog(fixture);
    gr_catalog_query_first(&query, json_loads("{\"kind\":\"component\"}", 0, NULL), NULL,
                           json_loads("{\"term\":\" SERV \",\"fields\":[\"metadata.name\","
                                      "\"spec.type\"]}",
                                      0, NULL));
    names = run_names(fixture->db, &query, &page);
    assert_string_equal(names, "m-service,Upper-Case");
    assert_int_equal(page.total, 2);
    free(names);
    gr_catalog_page_free(&page);

    query.offset = 1;
    names = run_names(fixture->db, &query, &page);
    assert_string_equal(names, "Upper-Case");
    free(names);
    gr_catalog_page_free(&page);
    gr_catalog_query_free(&query);
}

/* The engine stores values lower-cased beyond ASCII ("Äpfel" as "äpfel"), so filters, full-text
 * terms and facet names lower-case the same way. */
static void non_ascii_capitals_matched(void **state)
{
    db_fixture *fixture = *state;
    const char *apples[] = {"{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
                            "\"metadata\":{\"name\":\"apples\",\"namespace\":\"default\","
                            "\"uid\":\"u-apples\"},\"spec\":{\"type\":\"Äpfel\","
                            "\"owner\":\"team-a\"}}"};
    const char *facets[] = {"SPEC.TYPE"};
    gr_catalog_query query = {0};
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    json_t *filter = json_loads("{\"spec.type\":\"ÄPFEL\"}", 0, NULL);
    json_t *out = NULL;
    char *names;

    catalog_fixture_schema(fixture->db);
    catalog_fixture_insert(fixture->db, apples, 1);
    db_fixture_exec(fixture->db, "UPDATE catalog_search SET value = 'äpfel' "
                                 "WHERE original_value = 'Äpfel'");
    assert_selects(fixture->db, filter, "apples");

    gr_catalog_query_first(&query, NULL, NULL,
                           json_loads("{\"term\":\"ÄPF\",\"fields\":[\"spec.type\"]}", 0, NULL));
    names = run_names(fixture->db, &query, &page);
    assert_string_equal(names, "apples");
    free(names);
    gr_catalog_page_free(&page);
    gr_catalog_query_free(&query);

    assert_ok(gr_catalog_read_facets(fixture->db, facets, 1, filter, &out));
    names = json_dumps(out, JSON_COMPACT);
    assert_string_equal(names, "{\"facets\":{\"SPEC.TYPE\":[{\"value\":\"Äpfel\",\"count\":1}]}}");
    free(names);
    json_decref(out);
    json_decref(filter);
}

static void query_fields_selected(void **state)
{
    db_fixture *fixture = *state;
    gr_catalog_query query = {0};
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    const char *values[] = {"kind, metadata.name", "metadata.annotations.backstage.io/techdocs-ref"};

    seed_catalog(fixture);
    assert_ok(gr_catalog_fields_add(&fields, values, 2));
    gr_catalog_query_first(&query, json_loads("{\"metadata.name\":\"m-service\"}", 0, NULL), NULL,
                           NULL);
    assert_ok(gr_catalog_query_run(fixture->db, &query, &fields, &page));
    assert_string_equal(gr_buf_cstr(&page.items),
                        "{\"kind\":\"Component\",\"metadata\":{\"name\":\"m-service\","
                        "\"annotations\":{\"backstage.io/techdocs-ref\":\"dir:.\"}}}");
    gr_catalog_page_free(&page);
    gr_catalog_query_free(&query);
    gr_catalog_fields_free(&fields);
}

/* Index parts build arrays, as lodash's set() does in Backstage, with null in skipped items. */
static void fields_index_paths_build_arrays(void **state)
{
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    const char *values[] = {"relations.1.type, relations.0.targetRef, spec.0, relations.7.type"};
    json_t *entity = json_loads("{\"kind\":\"Component\",\"spec\":{\"0\":\"zero\"},"
                                "\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:a\"},"
                                "{\"type\":\"partOf\",\"targetRef\":\"system:b\"}]}",
                                0, NULL);
    json_t *selected;
    char *text;

    (void)state;
    assert_non_null(entity);
    assert_ok(gr_catalog_fields_add(&fields, values, 1));
    selected = gr_catalog_fields_select(&fields, entity);
    text = json_dumps(selected, JSON_COMPACT);
    assert_string_equal(text, "{\"relations\":[{\"targetRef\":\"group:a\"},{\"type\":\"partOf\"}],"
                              "\"spec\":[\"zero\"]}");
    free(text);
    json_decref(selected);
    json_decref(entity);
    gr_catalog_fields_free(&fields);
}

static void facets_counted(void **state)
{
    db_fixture *fixture = *state;
    const char *facets[] = {"kind", "spec.type", "metadata.tags"};
    json_t *filter = json_loads("{\"kind\":{\"$in\":[\"component\",\"api\"]}}", 0, NULL);
    json_t *out = NULL;
    char *text;

    seed_catalog(fixture);
    assert_ok(gr_catalog_read_facets(fixture->db, facets, 1, NULL, &out));
    text = json_dumps(out, JSON_COMPACT);
    assert_string_equal(text, "{\"facets\":{\"kind\":[{\"value\":\"API\",\"count\":2},"
                              "{\"value\":\"Component\",\"count\":4},{\"value\":\"Group\","
                              "\"count\":2},{\"value\":\"Resource\",\"count\":1},{\"value\":"
                              "\"System\",\"count\":1},{\"value\":\"User\",\"count\":2}]}}");
    free(text);
    json_decref(out);

    assert_ok(gr_catalog_read_facets(fixture->db, facets + 1, 2, filter, &out));
    text = json_dumps(out, JSON_COMPACT);
    assert_string_equal(text, "{\"facets\":{\"spec.type\":[{\"value\":\"Service\",\"count\":1},"
                              "{\"value\":\"grpc\",\"count\":1},{\"value\":\"library\",\"count\":"
                              "1},{\"value\":\"openapi\",\"count\":1},{\"value\":\"service\","
                              "\"count\":1},{\"value\":\"website\",\"count\":1}],"
                              "\"metadata.tags\":[{\"value\":\"java\",\"count\":2},{\"value\":"
                              "\"js\",\"count\":1},{\"value\":\"web\",\"count\":1}]}}");
    free(text);
    json_decref(out);
    json_decref(filter);
}

/* Facets read the same from rows that store no original value where it equals the
 * lower-cased one (as the engine writes them) as from rows that store both. */
static void facets_without_stored_originals(void **state)
{
    db_fixture *fixture = *state;
    const char *facets[] = {"kind", "spec.type", "metadata.tags"};
    json_t *filter = json_loads("{\"kind\":{\"$in\":[\"component\",\"api\"]}}", 0, NULL);
    json_t *out = NULL;
    char *both, *both_filtered, *text;

    seed_catalog(fixture);
    assert_ok(gr_catalog_read_facets(fixture->db, facets, 3, NULL, &out));
    both = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    assert_ok(gr_catalog_read_facets(fixture->db, facets, 3, filter, &out));
    both_filtered = json_dumps(out, JSON_COMPACT);
    json_decref(out);

    db_fixture_exec(fixture->db, "UPDATE catalog_search SET original_value = NULL "
                                 "WHERE original_value = value");
    assert_ok(gr_catalog_read_facets(fixture->db, facets, 3, NULL, &out));
    text = json_dumps(out, JSON_COMPACT);
    assert_string_equal(text, both);
    assert_non_null(strstr(text, "{\"value\":\"java\",\"count\":2}"));
    free(text);
    json_decref(out);
    assert_ok(gr_catalog_read_facets(fixture->db, facets, 3, filter, &out));
    text = json_dumps(out, JSON_COMPACT);
    assert_string_equal(text, both_filtered);
    free(text);
    json_decref(out);

    free(both);
    free(both_filtered);
    json_decref(filter);
}

/*
 * Rows with one original value and two lower-cased values give one facet
 * value with the count of both. C libraries that lower-case "Ä" differently
 * write such rows.
 */
static void facets_original_lowered_twice(void **state)
{
    db_fixture *fixture = *state;
    const char *facets[] = {"spec.type"};
    json_t *out = NULL;
    char *text;

    seed_catalog(fixture);
    db_fixture_exec(fixture->db, "UPDATE catalog_search SET original_value = 'Ä', value = 'ä' "
                                 "WHERE key = 'spec.type' AND original_value = 'grpc'");
    db_fixture_exec(fixture->db, "UPDATE catalog_search SET original_value = 'Ä', value = 'Ä' "
                                 "WHERE key = 'spec.type' AND original_value = 'openapi'");
    assert_ok(gr_catalog_read_facets(fixture->db, facets, 1, NULL, &out));
    text = json_dumps(json_object_get(json_object_get(out, "facets"), "spec.type"), JSON_COMPACT);
    assert_string_equal(text, "[{\"value\":\"Service\",\"count\":1},{\"value\":\"database\","
                              "\"count\":1},{\"value\":\"library\",\"count\":1},{\"value\":"
                              "\"service\",\"count\":1},{\"value\":\"team\",\"count\":2},"
                              "{\"value\":\"website\",\"count\":1},{\"value\":\"Ä\","
                              "\"count\":2}]");
    free(text);
    json_decref(out);
}

/* The same rows, in keys whose values are all spelled one way. */
static void facets_original_lowered_twice_one_spelling(void **state)
{
    db_fixture *fixture = *state;
    const char *facets[] = {"kind", "kind"};
    json_t *out = NULL;
    char *text;

    seed_catalog(fixture);
    db_fixture_exec(fixture->db, "UPDATE catalog_search SET original_value = 'Ä', value = 'ä' "
                                 "WHERE key = 'kind' AND original_value = 'Group'");
    db_fixture_exec(fixture->db, "UPDATE catalog_search SET original_value = 'Ä', value = 'Ä' "
                                 "WHERE key = 'kind' AND original_value = 'User'");
    assert_ok(gr_catalog_read_facets(fixture->db, facets, 2, NULL, &out));
    text = json_dumps(out, JSON_COMPACT);
    assert_string_equal(text, "{\"facets\":{\"kind\":[{\"value\":\"API\",\"count\":2},"
                              "{\"value\":\"Component\",\"count\":4},{\"value\":"
                              "\"Resource\",\"count\":1},{\"value\":\"System\",\"count\":1},"
                              "{\"value\":\"Ä\",\"count\":4}]}}");
    free(text);
    json_decref(out);
}

static void by_refs_in_request_order(void **state)
{
    db_fixture *fixture = *state;
    json_t *refs = json_loads("[\"group:default/team-b\",\"component:default/nope\","
                              "\"Component:Default/M-Service\",\"group:default/team-b\"]",
                              0, NULL);
    json_t *filter = json_loads("{\"kind\":\"group\"}", 0, NULL);
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    const char *values[] = {"metadata.name"};
    gr_buf out = GR_BUF_INIT;

    seed_catalog(fixture);
    assert_ok(gr_catalog_fields_add(&fields, values, 1));
    assert_ok(gr_catalog_read_by_refs(fixture->db, refs, NULL, &fields, &out));
    assert_string_equal(gr_buf_cstr(&out), "[{\"metadata\":{\"name\":\"team-b\"}},null,"
                                           "{\"metadata\":{\"name\":\"m-service\"}},"
                                           "{\"metadata\":{\"name\":\"team-b\"}}]");
    gr_buf_reset(&out);
    assert_ok(gr_catalog_read_by_refs(fixture->db, refs, filter, &fields, &out));
    assert_string_equal(gr_buf_cstr(&out), "[{\"metadata\":{\"name\":\"team-b\"}},null,null,"
                                           "{\"metadata\":{\"name\":\"team-b\"}}]");
    gr_buf_free(&out);
    gr_catalog_fields_free(&fields);
    json_decref(filter);
    json_decref(refs);
}

static void legacy_list_pages(void **state)
{
    db_fixture *fixture = *state;
    gr_catalog_list list = {NULL, NULL, 3, 0};
    json_t *order = json_loads("[{\"field\":\"spec.type\",\"order\":\"desc\"}]", 0, NULL);
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    const char *values[] = {"metadata.name"};
    gr_buf out = GR_BUF_INIT;
    int more = 0;

    seed_catalog(fixture);
    assert_ok(gr_catalog_fields_add(&fields, values, 1));
    /* Without an order the list is sorted by entity ref. */
    assert_ok(gr_catalog_read_list(fixture->db, &list, &fields, &out, &more));
    assert_string_equal(gr_buf_cstr(&out), "{\"metadata\":{\"name\":\"orders-api\"}},"
                                           "{\"metadata\":{\"name\":\"payments-api\"}},"
                                           "{\"metadata\":{\"name\":\"b-website\"}}");
    assert_true(more);

    /* Ordered by spec.type descending; entities without one follow by entity id. */
    gr_buf_reset(&out);
    list.order = order;
    list.limit = 20;
    list.offset = 4;
    assert_ok(gr_catalog_read_list(fixture->db, &list, &fields, &out, &more));
    assert_string_equal(gr_buf_cstr(&out), "{\"metadata\":{\"name\":\"Upper-Case\"}},"
                                           "{\"metadata\":{\"name\":\"payments-api\"}},"
                                           "{\"metadata\":{\"name\":\"z-library\"}},"
                                           "{\"metadata\":{\"name\":\"orders-api\"}},"
                                           "{\"metadata\":{\"name\":\"db\"}},"
                                           "{\"metadata\":{\"name\":\"alice\"}},"
                                           "{\"metadata\":{\"name\":\"bob\"}},"
                                           "{\"metadata\":{\"name\":\"sys\"}}");
    assert_false(more);
    gr_buf_free(&out);
    gr_catalog_fields_free(&fields);
    json_decref(order);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(sql_filter_results),
        DB_TEST_BOTH(non_ascii_capitals_matched),
        DB_TEST_BOTH(cursor_previous_from_missing_values),
        DB_TEST_BOTH(offset_into_missing_values),
        DB_TEST_BOTH(paging_with_missing_values),
        DB_TEST_BOTH(paging_with_several_values),
        DB_TEST_BOTH(paging_with_long_values),
        DB_TEST_BOTH(cursor_crafted_null_values),
        DB_TEST_BOTH(full_text_no_fields),
        cmocka_unit_test(lower_search_edge_cases),
        DB_TEST_BOTH(filter_invalid_utf8),
        DB_TEST_BOTH(sql_filter_params),
        DB_TEST_BOTH(sql_contains_object_rejected),
        DB_TEST_SQLITE(sql_filter_many_conditions),
        DB_TEST_BOTH(sql_filter_conditions_over_max),
        cmocka_unit_test(cursor_total_not_integer),
        DB_TEST_BOTH(cursor_without_total_counted),
        cmocka_unit_test(cursor_legacy_filter_too_deep),
        cmocka_unit_test(cursor_legacy_filter_converted),
        cmocka_unit_test(fields_index_paths_build_arrays),
        DB_TEST_BOTH(cursor_pages_by_name),
        DB_TEST_BOTH(cursor_pages_descending),
        DB_TEST_BOTH(cursor_pages_by_uid),
        DB_TEST_BOTH(cursor_order_field_missing),
        DB_TEST_BOTH(cursor_previous_pages),
        DB_TEST_BOTH(cursor_stable_under_inserts),
        DB_TEST_BOTH(query_offset_and_full_text),
        DB_TEST_BOTH(query_fields_selected),
        DB_TEST_BOTH(facets_counted),
        DB_TEST_BOTH(facets_without_stored_originals),
        DB_TEST_BOTH(facets_original_lowered_twice),
        DB_TEST_BOTH(facets_original_lowered_twice_one_spelling),
        DB_TEST_BOTH(by_refs_in_request_order),
        DB_TEST_BOTH(legacy_list_pages),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
