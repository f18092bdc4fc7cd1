/* SPDX-License-Identifier: MIT */
/* Tests that cross the UI limits: sidebar, tabs, cards, theme, table pages, facets, graphs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include "ui_fixture.h"

#include <fcntl.h>
#include <unistd.h>

#include "host/common/error.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"

#define assert_contains(text, part)                                                                \
    do {                                                                                           \
        if (strstr((text), (part)) == NULL)                                                        \
            fail_msg("\"%s\" does not contain \"%s\"", (text), (part));                            \
    } while (0)

/* The bounds of the graph page in graph.c. */
#define GRAPH_NODES_MAX 100
#define GRAPH_DEPTH_MAX 4
#define GRAPH_ROOTS_MAX 10
/* How Graphviz writes a node, and a root node, into the page's SVG. */
#define ANY_NODE "class=\"node\""
#define ROOT_NODE "id=\"gr&#45;root&#45;"
#define NODE_LINK "xlink:href=\"/catalog/default/component/"
/* UI_THEME_MAX_FILE_BYTES of theme.c. */
#define THEME_FILE_MAX_BYTES ((size_t)2 << 20)

/* Runs one statement on the writer, failing with the database's message. */
static void run_sql(ui_fixture *fx, const char *sql)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    assert_int_equal(gr_db_acquire(fx->host.db, GR_DB_WRITE, &conn), 0);
    rc = gr_db_prepare(conn, sql, &stmt);
    if (rc == 0)
        rc = gr_db_step(stmt) == GR_DB_DONE ? 0 : -1;
    if (rc != 0)
        fail_msg("%s: %s", sql, gr_error_last());
    gr_db_finalize(stmt);
    gr_db_release(conn);
}

/*
 * Adds `count` components bulk-0, bulk-1... to the final entities in one
 * statement, each with spec.type "type-N" in catalog_search.
 */
static void add_bulk(ui_fixture *fx, int count)
{
    char *entities = gr_xasprintf(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %d)"
        " INSERT INTO catalog_final_entities (entity_id, entity_ref, hash, final_entity,"
        " last_updated_at, kind, namespace, name)"
        " SELECT 'bulk-' || i, 'component:default/bulk-' || i, 'h',"
        " '{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":"
        "{\"name\":\"bulk-' || i || '\",\"namespace\":\"default\"},\"spec\":{\"type\":\"type-'"
        " || i || '\"}}', 0, 'component', 'default', 'bulk-' || i FROM n",
        count);
    char *state = gr_xasprintf(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %d)"
        " INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity,"
        " next_update_at) SELECT 'bulk-' || i, 'component:default/bulk-' || i, '{}', 0 FROM n",
        count);
    char *search = gr_xasprintf(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %d)"
        " INSERT INTO catalog_search (entity_id, key, original_value, value, ordinal)"
        " SELECT 'bulk-' || i, 'spec.type', 'type-' || i, 'type-' || i, 0 FROM n",
        count);

    run_sql(fx, state);
    run_sql(fx, entities);
    run_sql(fx, search);
    free(state);
    free(entities);
    free(search);
}

/* The sidebar takes GR_UI_MAX_NAV entries, but the next one is rejected. */
static void nav_over_max(void **state)
{
    ui_fixture fx;
    gr_ui *ui;
    int rc = 0;

    (void)state;
    ui_fixture_init(&fx, "", "");
    ui = fx.ui_state;
    for (int i = 0; i <= GR_UI_MAX_NAV && rc == 0; i++) {
        char label[16];
        gr_ui_nav_entry entry = {.label = label, .path = "/extra"};

        snprintf(label, sizeof(label), "Extra %d", i);
        rc = gr_ui_nav_add(ui, &entry);
    }
    assert_int_equal(rc, GR_ELIMIT);
    assert_string_equal(gr_error_last(), "more than 32 sidebar entries");
    assert_int_equal(ui->nav_count, GR_UI_MAX_NAV);
    ui_fixture_stop(&fx);
}

static int empty_tab(gr_ui_page *page, void *payload)
{
    (void)page;
    (void)payload;
    return 0;
}

static int empty_card(gr_ui_page *page, gr_buf *out, void *payload)
{
    (void)page;
    (void)out;
    (void)payload;
    return GR_UI_CARD_EMPTY;
}

/* The entity page takes GR_UI_MAX_TABS tabs, but the next one is rejected. */
static void tabs_over_max(void **state)
{
    ui_fixture fx;
    gr_ui *ui;
    int rc = 0;

    (void)state;
    ui_fixture_init(&fx, "", "");
    ui = fx.ui_state;
    for (int i = 0; i <= GR_UI_MAX_TABS && rc == 0; i++) {
        char id[16];
        gr_ui_tab tab = {.id = id, .label = "Extra", .template_name = "extra", .render = empty_tab};

        snprintf(id, sizeof(id), "extra-%d", i);
        rc = gr_ui_tab_add(ui, &tab);
    }
    assert_int_equal(rc, GR_ELIMIT);
    assert_string_equal(gr_error_last(), "more than 32 entity tabs");
    assert_int_equal(ui->tab_count, GR_UI_MAX_TABS);
    ui_fixture_stop(&fx);
}

/* The Overview tab takes GR_UI_MAX_CARDS cards, but the next one is rejected. */
static void cards_over_max(void **state)
{
    ui_fixture fx;
    gr_ui *ui;
    int rc = 0;

    (void)state;
    ui_fixture_init(&fx, "", "");
    ui = fx.ui_state;
    for (int i = 0; i <= GR_UI_MAX_CARDS && rc == 0; i++) {
        char id[16];
        gr_ui_card card = {.id = id, .label = "Extra", .render = empty_card};

        snprintf(id, sizeof(id), "extra-%d", i);
        rc = gr_ui_card_add(ui, &card);
    }
    assert_int_equal(rc, GR_ELIMIT);
    assert_string_equal(gr_error_last(), "more than 32 overview cards");
    assert_int_equal(ui->card_count, GR_UI_MAX_CARDS);
    ui_fixture_stop(&fx);
}

/* Loads the theme of `dir` again and returns the result of loading it. */
static int reload_theme(ui_fixture *fx, const char *dir)
{
    gr_ui *ui = fx->ui_state;
    const char *before = ui->theme_dir;
    int rc;

    gr_ui__theme_free(ui);
    ui->theme_dir = dir;
    rc = gr_ui__theme_load(ui);
    ui->theme_dir = before;
    return rc;
}

/* A stylesheet of the limit's size loads, but one byte more fails naming the file and size. */
static void theme_file_over_max(void **state)
{
    ui_fixture fx;
    char *dir;
    char *path;
    int fd;

    (void)state;
    ui_fixture_init(&fx, "", "");
    dir = gr_xasprintf("%s/theme", fx.dir);
    path = gr_xasprintf("%s/style.css", dir);
    gr_test_write_file(dir, "style.css", "");
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)THEME_FILE_MAX_BYTES), 0);
    assert_int_equal(reload_theme(&fx, dir), 0);
    assert_int_equal(ftruncate(fd, (off_t)THEME_FILE_MAX_BYTES + 1), 0);
    close(fd);
    assert_int_equal(reload_theme(&fx, dir), GR_ELIMIT);
    assert_contains(gr_error_last(), path);
    assert_contains(gr_error_last(), "2097153 bytes, more than the maximum 2097152");
    free(path);
    free(dir);
    ui_fixture_stop(&fx);
}

static size_t page_rows(gr_ui *ui, int limit)
{
    gr_ui_list_query query = {.kind = "component", .limit = limit};
    gr_ui_list_page page = {0};
    size_t rows;

    assert_int_equal(gr_ui_entity_list(ui, &query, &page), 0);
    rows = json_array_size(page.entities);
    gr_ui_list_page_free(&page);
    return rows;
}

/* A page of GR_UI_PAGE_SIZE_MAX rows is served whole, but a larger limit gives that many rows. */
static void page_size_over_max(void **state)
{
    ui_fixture fx;

    (void)state;
    ui_fixture_init(&fx, "", "");
    add_bulk(&fx, GR_UI_PAGE_SIZE_MAX + 5);
    assert_int_equal(page_rows(fx.ui_state, GR_UI_PAGE_SIZE_MAX), GR_UI_PAGE_SIZE_MAX);
    assert_int_equal(page_rows(fx.ui_state, GR_UI_PAGE_SIZE_MAX + 1), GR_UI_PAGE_SIZE_MAX);
    assert_int_equal(page_rows(fx.ui_state, 0), GR_UI_PAGE_SIZE);
    ui_fixture_stop(&fx);
}

/* One more related reference than GR_UI_MAX_RELATED loads GR_UI_MAX_RELATED entities. */
static void related_over_max(void **state)
{
    ui_fixture fx;
    json_t *refs = json_array();
    json_t *found = NULL;

    (void)state;
    ui_fixture_init(&fx, "", "");
    add_bulk(&fx, GR_UI_MAX_RELATED + 1);
    for (int i = 0; i <= GR_UI_MAX_RELATED; i++)
        json_array_append_new(refs, json_sprintf("component:default/bulk-%d", i));
    assert_int_equal(gr_ui_entities_get(fx.ui_state, refs, NULL, &found), 0);
    assert_int_equal(json_object_size(found), GR_UI_MAX_RELATED);
    assert_null(json_object_get(found, "component:default/bulk-500"));
    json_decref(found);
    json_decref(refs);
    ui_fixture_stop(&fx);
}

/* One more spec.type value than GR_UI_MAX_FACET_VALUES lists GR_UI_MAX_FACET_VALUES of them. */
static void facet_values_over_max(void **state)
{
    ui_fixture fx;
    json_t *facets = NULL;

    (void)state;
    ui_fixture_init(&fx, "", "");
    add_bulk(&fx, GR_UI_MAX_FACET_VALUES + 1);
    assert_int_equal(gr_ui_facets(fx.ui_state, NULL, NULL, &facets), 0);
    assert_int_equal(json_array_size(json_object_get(facets, "type")), GR_UI_MAX_FACET_VALUES);
    json_decref(facets);
    ui_fixture_stop(&fx);
}

/* Returns how many times `part` occurs in `text`. */
static size_t occurrences(const char *text, const char *part)
{
    size_t count = 0;

    for (const char *p = strstr(text, part); p != NULL; p = strstr(p + 1, part))
        count++;
    return count;
}

/* Adds component `name` with dependsOn relations to each of `targets` (JSON array text). */
static void add_linked(ui_fixture *fx, const char *name, const char *relations)
{
    char *json = gr_xasprintf("{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
                              "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},"
                              "\"spec\":{\"type\":\"service\"},\"relations\":%s}",
                              name, relations);

    ui_fixture_add(fx, json);
    free(json);
}

static gr_test_output graph_page(ui_fixture *fx, const char *query)
{
    char *path = gr_xasprintf("/catalog-graph?%s", query);
    gr_test_output res = ui_fixture_request(fx, "GET", path, NULL, NULL, NULL);

    free(path);
    return res;
}

/* A root with 150 neighbours draws GRAPH_NODES_MAX nodes, itself included. */
static void graph_nodes_over_max(void **state)
{
    ui_fixture fx;
    gr_buf relations = GR_BUF_INIT;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    gr_buf_putc(&relations, '[');
    for (int i = 0; i < GRAPH_NODES_MAX + 50; i++)
        gr_buf_printf(&relations,
                      "%s{\"type\":\"dependsOn\",\"targetRef\":\"component:default/n-%d\"}",
                      i > 0 ? "," : "", i);
    gr_buf_putc(&relations, ']');
    add_linked(&fx, "hub", gr_buf_cstr(&relations));
    res = graph_page(&fx, "rootEntityRefs=component:default/hub&maxDepth=1");
    assert_int_equal(res.status, 200);
    assert_int_equal(occurrences(res.out, ROOT_NODE), 1);
    assert_int_equal(occurrences(res.out, ANY_NODE), GRAPH_NODES_MAX);
    gr_test_output_free(&res);
    gr_buf_free(&relations);
    ui_fixture_stop(&fx);
}

/* maxDepth one past GRAPH_DEPTH_MAX walks GRAPH_DEPTH_MAX levels of a longer chain. */
static void graph_depth_over_max(void **state)
{
    ui_fixture fx;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    for (int i = 0; i <= GRAPH_DEPTH_MAX + 1; i++) {
        char name[16];
        char *relations = gr_xasprintf(
            "[{\"type\":\"dependsOn\",\"targetRef\":\"component:default/c-%d\"}]", i + 1);

        snprintf(name, sizeof(name), "c-%d", i);
        add_linked(&fx, name, relations);
        free(relations);
    }
    res = graph_page(&fx, "rootEntityRefs=component:default/c-0&maxDepth=5");
    assert_int_equal(res.status, 200);
    assert_int_equal(occurrences(res.out, ANY_NODE), GRAPH_DEPTH_MAX + 1);
    assert_non_null(strstr(res.out, NODE_LINK "c-4\""));
    assert_null(strstr(res.out, NODE_LINK "c-5\""));
    gr_test_output_free(&res);
    ui_fixture_stop(&fx);
}

/* Eleven root entities in one request draw the first GRAPH_ROOTS_MAX. */
static void graph_roots_over_max(void **state)
{
    ui_fixture fx;
    gr_buf query = GR_BUF_INIT;
    gr_test_output res;

    (void)state;
    ui_fixture_start(&fx, "", "");
    gr_buf_puts(&query, "rootEntityRefs=");
    for (int i = 0; i <= GRAPH_ROOTS_MAX; i++) {
        char name[16];

        snprintf(name, sizeof(name), "r-%d", i);
        add_linked(&fx, name, "[]");
        gr_buf_printf(&query, "%scomponent:default/r-%d", i > 0 ? "," : "", i);
    }
    res = graph_page(&fx, gr_buf_cstr(&query));
    assert_int_equal(res.status, 200);
    assert_int_equal(occurrences(res.out, ROOT_NODE), GRAPH_ROOTS_MAX);
    assert_non_null(strstr(res.out, NODE_LINK "r-9\""));
    assert_null(strstr(res.out, NODE_LINK "r-10\""));
    gr_test_output_free(&res);
    gr_buf_free(&query);
    ui_fixture_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nav_over_max),          cmocka_unit_test(tabs_over_max),
        cmocka_unit_test(cards_over_max),        cmocka_unit_test(theme_file_over_max),
        cmocka_unit_test(page_size_over_max),    cmocka_unit_test(related_over_max),
        cmocka_unit_test(facet_values_over_max), cmocka_unit_test(graph_nodes_over_max),
        cmocka_unit_test(graph_depth_over_max),  cmocka_unit_test(graph_roots_over_max),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
