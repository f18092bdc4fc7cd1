/* SPDX-License-Identifier: MIT */
/* Tests of the catalog table's sort orders and keyset paging through ties and missing fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui_fixture.h"

#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"

/* Entities with their spec.system (JSON) and spec.owner, "" for a missing field. The
 * fixture numbers entity ids in the order it adds entities, which is the order here. */
static const struct {
    const char *name;
    const char *system;
    const char *owner;
} catalog[] = {
    {"alpha", "\"shop\"", "team-b"},
    {"bravo", "", "team-a"},
    {"charlie", "\"Billing\"", "team-a"},
    {"delta", "\"shop\"", ""},
    {"echo", "\"billing\"", "team-c"},
    {"foxtrot", "", "team-b"},
    {"golf", "\"shop\"", "team-a"},
    {"hotel", "[\"zulu\", \"ads\"]", "team-a"},
    {"india", "", ""},
};

/* The order by system, then by entity id: missing systems sort first,
 * values compare without case, and a list sorts by its smallest value. */
static const char *const by_system[] = {
    "component:default/bravo",   "component:default/foxtrot", "component:default/india",
    "component:default/hotel",   "component:default/charlie", "component:default/echo",
    "component:default/alpha",   "component:default/delta",   "component:default/golf",
};

static const char *const by_owner[] = {
    "component:default/delta",   "component:default/india", "component:default/bravo",
    "component:default/charlie", "component:default/golf",  "component:default/hotel",
    "component:default/alpha",   "component:default/foxtrot", "component:default/echo",
};

#define CATALOG_SIZE (sizeof(catalog) / sizeof(catalog[0]))

static void add_catalog(ui_fixture *fx)
{
    for (size_t i = 0; i < CATALOG_SIZE; i++) {
        gr_buf spec = GR_BUF_INIT;
        char *json;

        gr_buf_puts(&spec, "\"type\":\"service\"");
        if (catalog[i].system[0] != '\0')
            gr_buf_printf(&spec, ",\"system\":%s", catalog[i].system);
        if (catalog[i].owner[0] != '\0')
            gr_buf_printf(&spec, ",\"owner\":\"%s\"", catalog[i].owner);
        json = gr_xasprintf("{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
                            "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},"
                            "\"spec\":{%s}}",
                            catalog[i].name, gr_buf_cstr(&spec));
        ui_fixture_add(fx, json);
        free(json);
        gr_buf_free(&spec);
    }
}

static char *entity_ref(const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");

    return gr_xasprintf("component:%s/%s",
                        json_string_value(json_object_get(metadata, "namespace")),
                        json_string_value(json_object_get(metadata, "name")));
}

/*
 * Pages through the table sorted by `sort` with pages of `limit` rows, first
 * forward with the next cursors, then back with the previous cursors, and
 * checks both walks against `expected` (read backwards when `descending`).
 */
static void walk(ui_fixture *fx, const char *sort, int descending, int limit,
                 const char *const *expected)
{
    char *seen[CATALOG_SIZE];
    size_t count = 0;
    char *cursor = NULL;
    char *last_prev = NULL;
    size_t last_rows = 0;
    int pages = 0;

    do {
        gr_ui_list_query query = {.sort = sort, .descending = descending, .limit = limit,
                                  .after = cursor};
        gr_ui_list_page page;

        assert_int_equal(gr_ui_entity_list(fx->ui_state, &query, &page), 0);
        assert_int_equal(page.total, (int64_t)CATALOG_SIZE);
        assert_true(json_array_size(page.entities) <= (size_t)limit);
        for (size_t i = 0; i < json_array_size(page.entities); i++) {
            assert_true(count < CATALOG_SIZE);
            seen[count++] = entity_ref(json_array_get(page.entities, i));
        }
        if (cursor == NULL)
            assert_null(page.prev);
        else
            assert_non_null(page.prev);
        free(cursor);
        cursor = page.next != NULL ? gr_xstrdup(page.next) : NULL;
        if (cursor == NULL) {
            last_prev = page.prev != NULL ? gr_xstrdup(page.prev) : NULL;
            last_rows = json_array_size(page.entities);
        }
        gr_ui_list_page_free(&page);
        pages++;
    } while (cursor != NULL);
    assert_int_equal(count, CATALOG_SIZE);
    assert_int_equal(pages, (int)((CATALOG_SIZE + (size_t)limit - 1) / (size_t)limit));
    for (size_t i = 0; i < CATALOG_SIZE; i++) {
        const char *want = expected[descending ? CATALOG_SIZE - 1 - i : i];

        if (strcmp(seen[i], want) != 0)
            fail_msg("sort %s%s, row %zu: got %s, expected %s", sort,
                     descending ? " desc" : "", i, seen[i], want);
    }

    /* Back from the last page: each page's previous cursor gives the rows before it. */
    {
        size_t end = CATALOG_SIZE - last_rows;

        while (last_prev != NULL) {
            gr_ui_list_query query = {.sort = sort, .descending = descending, .limit = limit,
                                      .before = last_prev};
            gr_ui_list_page page;
            size_t rows;

            assert_int_equal(gr_ui_entity_list(fx->ui_state, &query, &page), 0);
            rows = json_array_size(page.entities);
            assert_true(rows > 0);
            assert_true(rows <= end);
            end -= rows;
            for (size_t i = 0; i < rows; i++) {
                char *ref = entity_ref(json_array_get(page.entities, i));

                if (strcmp(ref, seen[end + i]) != 0)
                    fail_msg("sort %s%s, back to row %zu: got %s, expected %s", sort,
                             descending ? " desc" : "", end + i, ref, seen[end + i]);
                free(ref);
            }
            assert_non_null(page.next);
            free(last_prev);
            last_prev = page.prev != NULL ? gr_xstrdup(page.prev) : NULL;
            gr_ui_list_page_free(&page);
        }
        assert_int_equal(end, 0);
    }
    free(cursor);
    for (size_t i = 0; i < count; i++)
        free(seen[i]);
}

static void sort_name_pages(void **state)
{
    static const char *const by_name[] = {
        "component:default/alpha", "component:default/bravo", "component:default/charlie",
        "component:default/delta", "component:default/echo",  "component:default/foxtrot",
        "component:default/golf",  "component:default/hotel", "component:default/india",
    };
    ui_fixture fx;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_catalog(&fx);
    walk(&fx, "name", 0, 2, by_name);
    walk(&fx, "name", 1, 4, by_name);
    ui_fixture_stop(&fx);
}

static void sort_system_pages(void **state)
{
    ui_fixture fx;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_catalog(&fx);
    for (int limit = 1; limit <= 4; limit++) {
        walk(&fx, "system", 0, limit, by_system);
        walk(&fx, "system", 1, limit, by_system);
    }
    ui_fixture_stop(&fx);
}

static void sort_owner_pages(void **state)
{
    ui_fixture fx;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_catalog(&fx);
    for (int limit = 1; limit <= 4; limit++) {
        walk(&fx, "owner", 0, limit, by_owner);
        walk(&fx, "owner", 1, limit, by_owner);
    }
    ui_fixture_stop(&fx);
}

/* An entity added after a sorted read is listed: the cache of entities without a
 * value follows the catalog's changes. */
static void sort_sees_new_entity(void **state)
{
    gr_ui_list_query query = {.sort = "system", .limit = 20};
    gr_ui_list_page page;
    ui_fixture fx;
    char *ref;

    (void)state;
    ui_fixture_start(&fx, "", "");
    add_catalog(&fx);
    assert_int_equal(gr_ui_entity_list(fx.ui_state, &query, &page), 0);
    assert_int_equal(json_array_size(page.entities), CATALOG_SIZE);
    gr_ui_list_page_free(&page);

    ui_fixture_add(&fx, "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
                        "\"metadata\":{\"name\":\"juliet\",\"namespace\":\"default\"},"
                        "\"spec\":{\"type\":\"service\"}}");
    assert_int_equal(gr_ui_entity_list(fx.ui_state, &query, &page), 0);
    assert_int_equal(page.total, (int64_t)CATALOG_SIZE + 1);
    assert_int_equal(json_array_size(page.entities), CATALOG_SIZE + 1);
    ref = entity_ref(json_array_get(page.entities, 3));
    assert_string_equal(ref, "component:default/juliet");
    free(ref);
    gr_ui_list_page_free(&page);
    ui_fixture_stop(&fx);
}

/* With more entities lacking the field than the cached list holds, they are found by a
 * scan; paging still lists each entity once, in order. */
static void sort_pages_many_missing(void **state)
{
    const int without = UI_SORT_GAPS_MAX + 5;
    char *previous = gr_xstrdup("");
    char *cursor = NULL;
    int seen = 0;
    ui_fixture fx;

    (void)state;
    ui_fixture_start(&fx, "", "");
    for (int i = 0; i < without + 2; i++) {
        char *json = gr_xasprintf(
            "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\","
            "\"metadata\":{\"name\":\"svc-%04d\",\"namespace\":\"default\"},"
            "\"spec\":{\"type\":\"service\"%s}}",
            i, i >= without ? ",\"system\":\"core\"" : "");

        ui_fixture_add(&fx, json);
        free(json);
    }
    do {
        gr_ui_list_query query = {.sort = "system", .limit = 300, .after = cursor};
        gr_ui_list_page page;

        assert_int_equal(gr_ui_entity_list(fx.ui_state, &query, &page), 0);
        for (size_t i = 0; i < json_array_size(page.entities); i++) {
            char *ref = entity_ref(json_array_get(page.entities, i));

            /* Ids follow the names here, so the order is by name. */
            if (strcmp(previous, ref) >= 0)
                fail_msg("row %d: %s does not come after %s", seen, ref, previous);
            free(previous);
            previous = ref;
            seen++;
        }
        free(cursor);
        cursor = page.next != NULL ? gr_xstrdup(page.next) : NULL;
        gr_ui_list_page_free(&page);
    } while (cursor != NULL);
    assert_int_equal(seen, without + 2);
    assert_string_equal(previous, "component:default/svc-1006");
    free(previous);
    ui_fixture_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sort_name_pages),
        cmocka_unit_test(sort_system_pages),
        cmocka_unit_test(sort_owner_pages),
        cmocka_unit_test(sort_sees_new_entity),
        cmocka_unit_test(sort_pages_many_missing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
