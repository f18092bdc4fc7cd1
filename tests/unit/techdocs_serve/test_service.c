/* SPDX-License-Identifier: MIT */
/* Unit tests of the TechDocs service: first-view builds, rebuilds, external mode, leases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "../store/db_fixture.h"
#include "techdocs_fixture.h"
#include "plugins/techdocs/build/build.h"
#include "plugins/techdocs/collator.h"
#include "plugins/techdocs/lease.h"

#define assert_ok(expr) assert_int_equal((expr), GR_OK)

static int64_t build_count(gr_db *db, const char *entity_ref)
{
    gr_techdocs_build_state state;
    int64_t count;

    assert_ok(gr_techdocs_lease_state(db, entity_ref, &state));
    count = state.build_count;
    gr_techdocs_build_state_free(&state);
    return count;
}

/* Requests a check of the site and waits for it. Returns whether it published. */
static int run_check(gr_techdocs_service *service, const gr_techdocs_triplet *triplet)
{
    gr_techdocs_job *job = gr_techdocs_service_request(service, triplet);
    gr_techdocs_job_event event;
    size_t cursor = SIZE_MAX;
    int updated;

    assert_non_null(job);
    assert_true(gr_techdocs_job_wait(job, TECHDOCS_WAIT_MS));
    gr_techdocs_job_poll(job, &cursor, &event);
    assert_true(event.done);
    if (event.error != NULL)
        fail_msg("the job failed: %s", event.error);
    updated = event.updated;
    free(event.error);
    free(event.line);
    gr_techdocs_job_release(job);
    return updated;
}

static void view_builds_then_serves(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-src");
    gr_techdocs_settings settings = techdocs_test_settings(NULL);
    gr_techdocs_service *service;
    gr_techdocs_triplet triplet;
    gr_techdocs_view view;
    char *html;

    techdocs_write_source(dir, "Welcome to the shop.");
    techdocs_add_entity(fixture->db, dir);
    settings.check_interval_ms = 60000;
    service = techdocs_start(fixture->db, &settings, "instance-a");
    assert_ok(gr_techdocs_triplet_init(&triplet, "default", "Component", "shop"));

    assert_ok(gr_techdocs_service_view(service, &triplet, TECHDOCS_WAIT_MS, &view));
    assert_int_equal(view.state, GR_TECHDOCS_READY);
    assert_null(view.error);
    gr_techdocs_view_free(&view);
    assert_int_equal(build_count(fixture->db, triplet.ref), 1);
    assert_true(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM techdocs_files") >= 5);

    html = techdocs_read_text(service, &triplet, "index.html");
    assert_non_null(strstr(html, "Welcome to the shop."));
    free(html);
    html = techdocs_read_text(service, &triplet, "guide/index.html");
    assert_non_null(strstr(html, "Step one."));
    free(html);

    /* A second view within the check interval is served without a build. */
    assert_ok(gr_techdocs_service_view(service, &triplet, TECHDOCS_WAIT_MS, &view));
    assert_int_equal(view.state, GR_TECHDOCS_READY);
    assert_false(view.rebuilding);
    gr_techdocs_view_free(&view);
    assert_int_equal(build_count(fixture->db, triplet.ref), 1);

    gr_techdocs_service_free(service);
    gr_techdocs_triplet_free(&triplet);
    gr_test_rmtree(dir);
    free(dir);
}

static void changed_source_rebuilds(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-src");
    gr_techdocs_settings settings = techdocs_test_settings(NULL);
    gr_techdocs_service *service;
    gr_techdocs_triplet triplet;
    char *html;

    techdocs_write_source(dir, "First version.");
    techdocs_add_entity(fixture->db, dir);
    service = techdocs_start(fixture->db, &settings, "instance-a");
    assert_ok(gr_techdocs_triplet_init(&triplet, "default", "component", "shop"));

    assert_true(run_check(service, &triplet));
    assert_false(run_check(service, &triplet));
    assert_int_equal(build_count(fixture->db, triplet.ref), 1);

    techdocs_write_source(dir, "Second version.");
    assert_true(run_check(service, &triplet));
    assert_int_equal(build_count(fixture->db, triplet.ref), 2);
    html = techdocs_read_text(service, &triplet, "index.html");
    assert_non_null(strstr(html, "Second version."));
    assert_null(strstr(html, "First version."));
    free(html);
    /* Only the files of the served generation remain. */
    assert_int_equal(db_fixture_int64(fixture->db,
                                      "SELECT COUNT(DISTINCT generation) FROM techdocs_files"),
                     1);

    gr_techdocs_service_free(service);
    gr_techdocs_triplet_free(&triplet);
    gr_test_rmtree(dir);
    free(dir);
}

static void failed_build_reports_error(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-src");
    gr_techdocs_settings settings = techdocs_test_settings(NULL);
    gr_techdocs_service *service;
    gr_techdocs_triplet triplet;
    gr_techdocs_view view;
    char *config = gr_xasprintf("%s/mkdocs.yml", dir);

    techdocs_write_source(dir, "Never built.");
    unlink(config);
    free(config);
    techdocs_add_entity(fixture->db, dir);
    settings.check_interval_ms = 60000;
    service = techdocs_start(fixture->db, &settings, "instance-a");
    assert_ok(gr_techdocs_triplet_init(&triplet, "default", "component", "shop"));

    assert_ok(gr_techdocs_service_view(service, &triplet, TECHDOCS_WAIT_MS, &view));
    assert_int_equal(view.state, GR_TECHDOCS_FAILED);
    assert_non_null(view.error);
    assert_non_null(strstr(view.error, "mkdocs.yml"));
    gr_techdocs_view_free(&view);

    /* Within the check interval the error is shown again without a new attempt. */
    assert_ok(gr_techdocs_service_view(service, &triplet, 0, &view));
    assert_int_equal(view.state, GR_TECHDOCS_FAILED);
    gr_techdocs_view_free(&view);

    gr_techdocs_service_free(service);
    gr_techdocs_triplet_free(&triplet);
    gr_test_rmtree(dir);
    free(dir);
}

static void external_serves_published(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-src");
    char *site = gr_xasprintf("%s/out", dir);
    gr_techdocs_settings settings = techdocs_test_settings(NULL);
    gr_techdocs_service *service;
    gr_techdocs_triplet triplet;
    gr_techdocs_view view;
    gr_techdocs_report report;
    char *html;

    techdocs_write_source(dir, "Published by CI.");
    techdocs_add_entity(fixture->db, dir);
    settings.external = 1;
    service = techdocs_start(fixture->db, &settings, "instance-a");
    assert_ok(gr_techdocs_triplet_init(&triplet, "default", "component", "shop"));

    assert_ok(gr_techdocs_service_view(service, &triplet, TECHDOCS_WAIT_MS, &view));
    assert_int_equal(view.state, GR_TECHDOCS_MISSING);
    gr_techdocs_view_free(&view);
    assert_int_equal(build_count(fixture->db, triplet.ref), 0);

    assert_ok(gr_techdocs_build(dir, site, NULL, &report));
    gr_techdocs_report_free(&report);
    assert_ok(gr_techdocs_store_publish(gr_techdocs_service_store(service), &triplet, site,
                                        "publish", NULL, NULL));
    assert_ok(gr_techdocs_service_view(service, &triplet, TECHDOCS_WAIT_MS, &view));
    assert_int_equal(view.state, GR_TECHDOCS_READY);
    gr_techdocs_view_free(&view);
    html = techdocs_read_text(service, &triplet, "index.html");
    assert_non_null(strstr(html, "Published by CI."));
    free(html);
    assert_int_equal(build_count(fixture->db, triplet.ref), 0);

    gr_techdocs_service_free(service);
    gr_techdocs_triplet_free(&triplet);
    gr_test_rmtree(dir);
    free(site);
    free(dir);
}

static int collect_document(const json_t *document, void *payload)
{
    json_array_append((json_t *)payload, (json_t *)document);
    return 0;
}

static void collator_lists_sections(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-src");
    gr_techdocs_settings settings = techdocs_test_settings(NULL);
    gr_techdocs_service *service;
    gr_techdocs_triplet triplet;
    json_t *documents = json_array();
    json_t *guide = NULL;
    size_t i;
    json_t *document;

    techdocs_write_source(dir, "Collated text.");
    techdocs_add_entity(fixture->db, dir);
    service = techdocs_start(fixture->db, &settings, "instance-a");
    assert_ok(gr_techdocs_triplet_init(&triplet, "default", "component", "shop"));
    assert_true(run_check(service, &triplet));

    assert_ok(gr_techdocs_collate(service, collect_document, documents));
    assert_true(json_array_size(documents) >= 4);
    json_array_foreach(documents, i, document)
    {
        if (strcmp(json_string_value(json_object_get(document, "path")), "guide/") == 0)
            guide = document;
    }
    assert_non_null(guide);
    assert_string_equal(json_string_value(json_object_get(guide, "title")), "Guide");
    assert_string_equal(json_string_value(json_object_get(guide, "location")),
                        "/docs/default/component/shop/guide/");
    assert_string_equal(json_string_value(json_object_get(guide, "kind")), "Component");
    assert_string_equal(json_string_value(json_object_get(guide, "name")), "shop");
    assert_string_equal(json_string_value(json_object_get(guide, "entityTitle")), "Shop service");
    assert_string_equal(json_string_value(json_object_get(guide, "componentType")), "service");
    assert_string_equal(json_string_value(json_object_get(guide, "lifecycle")), "production");
    assert_string_equal(json_string_value(json_object_get(guide, "owner")), "team-a");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(guide, "authorization"), "resourceRef")),
                        "component:default/shop");
    assert_non_null(strstr(json_string_value(json_object_get(guide, "text")), "Step one."));

    json_decref(documents);
    gr_techdocs_service_free(service);
    gr_techdocs_triplet_free(&triplet);
    gr_test_rmtree(dir);
    free(dir);
}

static void publish_sanitizes_html(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-site");
    gr_techdocs_settings settings = techdocs_test_settings(NULL);
    gr_techdocs_service *service;
    gr_techdocs_triplet triplet;
    char *html;

    gr_test_write_file(dir, "index.html",
                       "<p onclick=\"alert(1)\">Made elsewhere</p><script>alert(2)</script>");
    gr_test_write_file(dir, "app.js", "alert(3)");
    settings.external = 1;
    service = techdocs_start(fixture->db, &settings, "instance-a");
    assert_ok(gr_techdocs_triplet_init(&triplet, "default", "component", "shop"));
    assert_ok(gr_techdocs_store_publish(gr_techdocs_service_store(service), &triplet, dir,
                                        "publish", NULL, NULL));

    html = techdocs_read_text(service, &triplet, "index.html");
    assert_string_equal(html, "<p>Made elsewhere</p>");
    free(html);
    html = techdocs_read_text(service, &triplet, "app.js");
    assert_string_equal(html, "alert(3)");
    free(html);

    gr_techdocs_service_free(service);
    gr_techdocs_triplet_free(&triplet);
    gr_test_rmtree(dir);
    free(dir);
}

typedef struct {
    gr_techdocs_service *service;
    const gr_techdocs_triplet *triplet;
    int updated;
} check_thread;

static void *check_main(void *payload)
{
    check_thread *thread = payload;

    thread->updated = run_check(thread->service, thread->triplet);
    return NULL;
}

static void two_instances_build_once(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-src");
    gr_techdocs_settings settings = techdocs_test_settings(NULL);
    gr_techdocs_service *first;
    gr_techdocs_service *second;
    gr_db *other_db = NULL;
    gr_techdocs_triplet triplet;
    check_thread threads[2];
    pthread_t ids[2];

    techdocs_write_source(dir, "Built once.");
    techdocs_add_entity(fixture->db, dir);
    assert_ok(db_fixture_open(fixture, 0, &other_db));
    first = techdocs_start(fixture->db, &settings, "instance-a");
    second = techdocs_start(other_db, &settings, "instance-b");
    assert_ok(gr_techdocs_triplet_init(&triplet, "default", "component", "shop"));

    threads[0] = (check_thread){first, &triplet, 0};
    threads[1] = (check_thread){second, &triplet, 0};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&ids[i], NULL, check_main, &threads[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(ids[i], NULL);

    assert_int_equal(build_count(fixture->db, triplet.ref), 1);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT generation FROM techdocs_sites"), 1);
    /* One built it. The other either waited for that build (and saw it) or
     * came after it and found the site up to date. */
    assert_true(threads[0].updated || threads[1].updated);

    gr_techdocs_service_free(first);
    gr_techdocs_service_free(second);
    gr_db_close(other_db);
    gr_techdocs_triplet_free(&triplet);
    gr_test_rmtree(dir);
    free(dir);
}

static void folder_store_switches_sites(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-src");
    char *publish = gr_xasprintf("%s/published", dir);
    char *link = gr_xasprintf("%s/default/component/shop", publish);
    gr_techdocs_settings settings = techdocs_test_settings(publish);
    gr_techdocs_service *service;
    gr_techdocs_triplet triplet;
    char target[256];
    ssize_t len;
    char *html;

    techdocs_write_source(dir, "In a folder.");
    techdocs_add_entity(fixture->db, dir);
    service = techdocs_start(fixture->db, &settings, "instance-a");
    assert_ok(gr_techdocs_triplet_init(&triplet, "default", "component", "shop"));

    assert_true(run_check(service, &triplet));
    len = readlink(link, target, sizeof(target) - 1);
    assert_true(len > 0);
    target[len] = '\0';
    assert_string_equal(target, ".shop.g1");
    html = techdocs_read_text(service, &triplet, "index.html");
    assert_non_null(strstr(html, "In a folder."));
    free(html);
    assert_int_equal(db_fixture_int64(fixture->db, "SELECT COUNT(*) FROM techdocs_files"), 0);

    techdocs_write_source(dir, "Moved on.");
    assert_true(run_check(service, &triplet));
    len = readlink(link, target, sizeof(target) - 1);
    assert_true(len > 0);
    target[len] = '\0';
    assert_string_equal(target, ".shop.g2");
    html = techdocs_read_text(service, &triplet, "index.html");
    assert_non_null(strstr(html, "Moved on."));
    free(html);

    gr_techdocs_service_free(service);
    gr_techdocs_triplet_free(&triplet);
    gr_test_rmtree(dir);
    free(link);
    free(publish);
    free(dir);
}

/* A site published to one store is built again after techdocs.publisher names the other. */
static void publisher_change_rebuilds(void **state)
{
    db_fixture *fixture = *state;
    char *dir = gr_test_tmpdir("td-src");
    char *publish = gr_xasprintf("%s/published", dir);
    gr_techdocs_settings database = techdocs_test_settings(NULL);
    gr_techdocs_settings folder = techdocs_test_settings(publish);
    gr_techdocs_service *service;
    gr_techdocs_triplet triplet;
    char *html;

    techdocs_write_source(dir, "Same source.");
    techdocs_add_entity(fixture->db, dir);
    assert_ok(gr_techdocs_triplet_init(&triplet, "default", "component", "shop"));
    service = techdocs_start(fixture->db, &database, "instance-a");
    assert_true(run_check(service, &triplet));
    assert_false(run_check(service, &triplet));
    gr_techdocs_service_free(service);

    service = techdocs_start(fixture->db, &folder, "instance-a");
    assert_true(run_check(service, &triplet));
    html = techdocs_read_text(service, &triplet, "index.html");
    assert_non_null(strstr(html, "Same source."));
    free(html);
    assert_false(run_check(service, &triplet));
    gr_techdocs_service_free(service);

    service = techdocs_start(fixture->db, &database, "instance-a");
    assert_true(run_check(service, &triplet));
    html = techdocs_read_text(service, &triplet, "index.html");
    assert_non_null(strstr(html, "Same source."));
    free(html);
    assert_int_equal(build_count(fixture->db, triplet.ref), 3);

    gr_techdocs_service_free(service);
    gr_techdocs_triplet_free(&triplet);
    gr_test_rmtree(dir);
    free(publish);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST_BOTH(view_builds_then_serves),    DB_TEST_BOTH(changed_source_rebuilds),
        DB_TEST_BOTH(failed_build_reports_error), DB_TEST_BOTH(external_serves_published),
        DB_TEST_BOTH(two_instances_build_once),   DB_TEST_BOTH(folder_store_switches_sites),
        DB_TEST_BOTH(publish_sanitizes_html),     DB_TEST_BOTH(collator_lists_sections),
        DB_TEST_BOTH(publisher_change_rebuilds),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
