/* SPDX-License-Identifier: MIT */
/* Tests of the catalog life cycle: orphans, conflicts, broken sources, deletions, no-op refreshes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit/engine/engine_fixture.h"
#include "host/log/log.h"

static const char two_components[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: alpha\n"
    "spec: {type: service, lifecycle: production, owner: team}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: beta\n"
    "spec: {type: service, lifecycle: production, owner: team}\n";

static const char one_component[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: alpha\n"
    "spec: {type: service, lifecycle: production, owner: team}\n";

static const char location_config[] =
    "{\"catalog\": {%s\"locations\": [{\"type\": \"file\", \"target\": \"@DIR@/a.yaml\"}]}}";

static char *config_with(const char *extra)
{
    return gr_xasprintf(location_config, extra);
}

/* Makes every entity due now, as if the refresh interval had passed. */
static void make_all_due(engine_fixture *fixture)
{
    db_fixture_exec(fixture->db->db, "UPDATE catalog_refresh_state SET next_update_at = 0");
}

static void orphan_keeps_entity(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    json_t *beta;

    engine_write(fixture, "a.yaml", two_components);
    engine_start(fixture, config);
    engine_idle(fixture);
    beta = engine_final(fixture, "component:default/beta");
    assert_non_null(beta);
    assert_null(engine_annotation(beta, "backstage.io/orphan"));
    json_decref(beta);

    engine_write(fixture, "a.yaml", one_component);
    make_all_due(fixture);
    engine_idle(fixture);
    beta = engine_final(fixture, "component:default/beta");
    assert_non_null(beta);
    assert_string_equal(engine_annotation(beta, "backstage.io/orphan"), "true");
    json_decref(beta);
    beta = engine_final(fixture, "component:default/alpha");
    assert_non_null(beta);
    assert_null(engine_annotation(beta, "backstage.io/orphan"));
    json_decref(beta);

    /* Emitted again, it loses the annotation. */
    engine_write(fixture, "a.yaml", two_components);
    make_all_due(fixture);
    engine_idle(fixture);
    beta = engine_final(fixture, "component:default/beta");
    assert_non_null(beta);
    assert_null(engine_annotation(beta, "backstage.io/orphan"));
    json_decref(beta);
    free(config);
}

static void orphan_delete_strategy(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("\"orphanStrategy\": \"delete\", ");
    json_t *history = NULL;
    json_t *last;

    engine_write(fixture, "a.yaml", two_components);
    engine_start(fixture, config);
    engine_idle(fixture);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_final_entities", NULL),
                     3);

    engine_write(fixture, "a.yaml", one_component);
    make_all_due(fixture);
    engine_idle(fixture);
    assert_false(engine_exists(fixture, "component:default/beta"));
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_refresh_state "
                                           "WHERE entity_ref = ?",
                                  "component:default/beta"),
                     0);

    /* Nothing is lost: the history keeps the last version. */
    assert_int_equal(gr_catalog_history(fixture->catalog, "component:default/beta", &history),
                     GR_OK);
    assert_true(json_array_size(history) >= 2);
    last = json_array_get(history, json_array_size(history) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "change")), "deleted");
    assert_string_equal(json_string_value(json_object_get(last, "cause")), "orphan-cleanup");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(json_array_get(json_object_get(last, "diff"), 0), "old"),
                            "metadata"),
            "name")),
        "beta");
    json_decref(history);
    free(config);
}

/* Guards the counts of the log sinks below, because the workers log from their own threads. */
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;
static int conflict_lines;

static void conflict_sink(gr_log_level level, const char *line, void *payload)
{
    (void)payload;
    if (level != GR_LOG_WARN || strstr(line, "msg=\"entity conflict\"") == NULL ||
        strstr(line, "component:default/alpha") == NULL)
        return;
    pthread_mutex_lock(&failure_lock);
    conflict_lines++;
    pthread_mutex_unlock(&failure_lock);
}

static void conflict_first_owner_wins(void **state)
{
    engine_fixture *fixture = *state;
    json_t *entity, *second;
    char *errors;
    char *first_file = engine_expand(fixture, "file:@DIR@/a.yaml");
    char *second_file = engine_expand(fixture, "file:@DIR@/b.yaml");

    engine_write(fixture, "a.yaml", one_component);
    engine_write(fixture, "b.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: alpha\n"
                 "  description: the second copy\n"
                 "spec: {type: website, lifecycle: production, owner: team}\n");
    engine_start(fixture, "{\"catalog\": {\"locations\": [{\"type\": \"file\", \"target\": "
                          "\"@DIR@/a.yaml\"}]}}");
    engine_idle(fixture);
    gr_catalog_free(fixture->catalog);
    fixture->catalog = NULL;
    conflict_lines = 0;
    gr_log_set_sink(conflict_sink, NULL);
    engine_start(fixture, "{\"catalog\": {\"locations\": ["
                          "{\"type\": \"file\", \"target\": \"@DIR@/a.yaml\"},"
                          "{\"type\": \"file\", \"target\": \"@DIR@/b.yaml\"}]}}");
    engine_idle(fixture);

    /* The conflict is logged once, and not again while the input stays the same. */
    make_all_due(fixture);
    engine_idle(fixture);
    gr_log_set_sink(NULL, NULL);
    assert_int_equal(conflict_lines, 1);

    entity = engine_final(fixture, "component:default/alpha");
    assert_non_null(entity);
    assert_string_equal(engine_annotation(entity, "backstage.io/managed-by-location"), first_file);
    assert_null(json_object_get(json_object_get(entity, "metadata"), "description"));

    {
        char *name = NULL;
        char *type_target = engine_expand(fixture, "file:@DIR@/b.yaml");
        char *ref;

        /* The Location entity of b.yaml carries the error naming both files. */
        name = engine_text(fixture,
                           "SELECT entity_ref FROM catalog_refresh_state WHERE unprocessed_entity "
                           "LIKE '%b.yaml%' AND entity_ref LIKE 'location:%'",
                           NULL);
        assert_non_null(name);
        ref = name;
        errors = engine_text(fixture,
                             "SELECT errors FROM catalog_refresh_state WHERE entity_ref = ?", ref);
        assert_non_null(errors);
        assert_non_null(strstr(errors, "ConflictError"));
        assert_non_null(strstr(errors, first_file));
        assert_non_null(strstr(errors, second_file));
        second = engine_final(fixture, ref);
        assert_non_null(second);
        {
            char *status = json_dumps(json_object_get(second, "status"), 0);

            assert_non_null(status);
            assert_non_null(strstr(status, "backstage.io/catalog-processing"));
            free(status);
        }
        json_decref(second);
        free(type_target);
        free(errors);
        free(name);
    }
    json_decref(entity);
    free(first_file);
    free(second_file);
}

/*
 * Two files of one glob that define the same entity: the first file in path
 * order keeps it, as in Backstage, and the glob's Location entity shows a
 * ConflictError that names both files. Two documents of one file are no
 * conflict, and the later one wins.
 */
static void conflict_within_glob_first_file_wins(void **state)
{
    engine_fixture *fixture = *state;
    char *first_file = engine_expand(fixture, "file:@DIR@/a.yaml");
    char *second_file = engine_expand(fixture, "file:@DIR@/b.yaml");
    json_t *entity;
    char *errors;

    engine_write(fixture, "a.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: alpha\n"
                 "  description: first document\n"
                 "spec: {type: service, lifecycle: production, owner: team}\n---\n"
                 "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: alpha\n"
                 "  description: second document\n"
                 "spec: {type: service, lifecycle: production, owner: team}\n");
    engine_write(fixture, "b.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: alpha\n"
                 "  description: the other file\n"
                 "spec: {type: website, lifecycle: production, owner: team}\n");
    engine_start(fixture, "{\"catalog\": {\"locations\": [{\"type\": \"file\", \"target\": "
                          "\"@DIR@/*.yaml\"}]}}");
    engine_idle(fixture);

    entity = engine_final(fixture, "component:default/alpha");
    assert_non_null(entity);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(entity, "metadata"), "description")),
        "second document");
    assert_string_equal(engine_annotation(entity, "backstage.io/managed-by-location"), first_file);

    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE entity_ref LIKE "
                         "'location:%' AND unprocessed_entity LIKE '%*.yaml%'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "ConflictError"));
    assert_non_null(strstr(errors, "component:default/alpha"));
    if (strstr(errors, second_file) == NULL || strstr(errors, first_file) == NULL ||
        strstr(errors, second_file) > strstr(errors, first_file))
        fail_msg("the error does not name %s as the loser and %s as the keeper: %s", second_file,
                 first_file, errors);
    assert_null(strstr(errors, "first document"));

    json_decref(entity);
    free(errors);
    free(first_file);
    free(second_file);
}

/* Writes `count` components named c-000 and on to `name`, those whose number is a multiple of
 * `step` (every one for step 1). */
static void write_components(const engine_fixture *fixture, const char *name, int count, int step)
{
    gr_buf text = GR_BUF_INIT;

    for (int i = 0; i < count; i += step)
        gr_buf_printf(&text,
                      "---\napiVersion: backstage.io/v1alpha1\nkind: Component\n"
                      "metadata: {name: c-%03d}\n"
                      "spec: {type: service, lifecycle: production, owner: team}\n",
                      i);
    engine_write(fixture, name, gr_buf_cstr(&text));
    gr_buf_free(&text);
}

/* A location of 250 children, 36 of them owned by another location already: each of the 36
 * gets one ConflictError, in the order of their refs, across the groups in which children are
 * looked up. */
static void conflicts_of_many_children(void **state)
{
    engine_fixture *fixture = *state;
    char *errors;
    const char *at;
    int conflicts = 0;
    int last = -1;

    write_components(fixture, "a.yaml", 250, 7);
    write_components(fixture, "b.yaml", 250, 1);
    engine_start(fixture, "{\"catalog\": {\"locations\": [{\"type\": \"file\", \"target\": "
                          "\"@DIR@/a.yaml\"}]}}");
    engine_idle(fixture);
    gr_catalog_free(fixture->catalog);
    fixture->catalog = NULL;
    engine_start(fixture, "{\"catalog\": {\"locations\": ["
                          "{\"type\": \"file\", \"target\": \"@DIR@/a.yaml\"},"
                          "{\"type\": \"file\", \"target\": \"@DIR@/b.yaml\"}]}}");
    engine_idle(fixture);

    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE entity_ref LIKE "
                         "'location:%' AND unprocessed_entity LIKE '%b.yaml%'",
                         NULL);
    assert_non_null(errors);
    for (at = strstr(errors, "ConflictError"); at != NULL; at = strstr(at + 1, "ConflictError")) {
        const char *name = strstr(at, "component:default/c-");
        int number;

        assert_non_null(name);
        number = atoi(name + strlen("component:default/c-"));
        assert_int_equal(number % 7, 0);
        assert_true(number > last);
        last = number;
        conflicts++;
    }
    assert_int_equal(conflicts, 36);
    assert_int_equal(engine_count(fixture,
                                  "SELECT COUNT(*) FROM catalog_final_entities "
                                  "WHERE entity_ref LIKE 'component:%'",
                                  NULL),
                     250);
    free(errors);
}

/* Counts the log lines of failed processing that name a YAML error; the
 * engine's workers write them from their own threads. */
static int yaml_failure_lines;

static void failure_sink(gr_log_level level, const char *line, void *payload)
{
    (void)payload;
    if (level != GR_LOG_WARN || strstr(line, "msg=\"processing failed\"") == NULL ||
        strstr(line, "YAML error") == NULL)
        return;
    pthread_mutex_lock(&failure_lock);
    yaml_failure_lines++;
    pthread_mutex_unlock(&failure_lock);
}

static void broken_source_keeps_last_good(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    json_t *before, *after, *location;
    char *errors;

    engine_write(fixture, "a.yaml", two_components);
    engine_start(fixture, config);
    engine_idle(fixture);
    before = engine_final(fixture, "component:default/alpha");
    assert_non_null(before);

    engine_write(fixture, "a.yaml", "apiVersion: backstage.io/v1alpha1\nkind: [unclosed\n");
    yaml_failure_lines = 0;
    gr_log_set_sink(failure_sink, NULL);
    make_all_due(fixture);
    engine_idle(fixture);

    /* The failure is logged once, and not again while the input stays the same. */
    make_all_due(fixture);
    engine_idle(fixture);
    gr_log_set_sink(NULL, NULL);
    assert_int_equal(yaml_failure_lines, 1);

    after = engine_final(fixture, "component:default/alpha");
    assert_non_null(after);
    assert_true(json_equal(before, after));
    assert_true(engine_exists(fixture, "component:default/beta"));
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE entity_ref LIKE 'location:%' "
                         "AND errors LIKE '%YAML error%'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "a.yaml"));
    location = NULL;
    {
        char *ref = engine_text(fixture,
                                "SELECT entity_ref FROM catalog_refresh_state WHERE errors LIKE "
                                "'%YAML error%'",
                                NULL);

        location = engine_final(fixture, ref);
        assert_non_null(location);
        assert_int_equal(json_array_size(json_object_get(json_object_get(location, "status"),
                                                         "items")),
                         1);
        free(ref);
    }
    json_decref(location);
    json_decref(before);
    json_decref(after);
    free(errors);
    free(config);
}

static void unchanged_input_writes_nothing(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    char *etags_before, *etags_after;
    int64_t history_before, updated_before;

    engine_write(fixture, "a.yaml", two_components);
    engine_start(fixture, config);
    engine_idle(fixture);
    etags_before = engine_join(fixture, "SELECT hash || CAST(last_updated_at AS TEXT) FROM "
                                        "catalog_final_entities ORDER BY entity_ref");
    history_before = engine_count(fixture, "SELECT COUNT(*) FROM catalog_history", NULL);
    updated_before = engine_count(fixture, "SELECT COUNT(*) FROM catalog_search", NULL);

    make_all_due(fixture);
    engine_idle(fixture);
    make_all_due(fixture);
    engine_idle(fixture);

    etags_after = engine_join(fixture, "SELECT hash || CAST(last_updated_at AS TEXT) FROM "
                                       "catalog_final_entities ORDER BY entity_ref");
    assert_string_equal(etags_before, etags_after);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_history", NULL),
                     history_before);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_search", NULL),
                     updated_before);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_stitch_queue", NULL), 0);
    free(etags_before);
    free(etags_after);
    free(config);
}

static void change_recorded_in_history(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    json_t *history = NULL, *change, *diff;
    int found = 0;

    engine_write(fixture, "a.yaml", one_component);
    engine_start(fixture, config);
    engine_idle(fixture);
    engine_write(fixture, "a.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: alpha\n"
                 "spec: {type: service, lifecycle: deprecated, owner: team}\n");
    assert_int_equal(gr_catalog_refresh(fixture->catalog, "component:default/alpha"), GR_OK);
    engine_idle(fixture);

    assert_int_equal(gr_catalog_history(fixture->catalog, "Component:default/Alpha", &history),
                     GR_OK);
    assert_int_equal(json_array_size(history), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(history, 0), "change")),
                        "created");
    change = json_array_get(history, 1);
    assert_string_equal(json_string_value(json_object_get(change, "change")), "updated");
    assert_string_equal(json_string_value(json_object_get(change, "cause")), "refresh");
    diff = json_object_get(change, "diff");
    for (size_t i = 0; i < json_array_size(diff); i++) {
        json_t *item = json_array_get(diff, i);

        if (strcmp(json_string_value(json_object_get(item, "path")), "/spec/lifecycle") == 0) {
            assert_string_equal(json_string_value(json_object_get(item, "old")), "production");
            assert_string_equal(json_string_value(json_object_get(item, "new")), "deprecated");
            found = 1;
        }
    }
    assert_true(found);
    json_decref(history);
    free(config);
}

static void stitched_hook_called(const char *entity_ref, int deleted, void *payload)
{
    int *calls = payload;

    (void)entity_ref;
    (void)deleted;
    (*calls)++;
}

static void user_location_removed(void **state)
{
    engine_fixture *fixture = *state;
    json_t *location = NULL, *entities = NULL, *history = NULL;
    char *target = engine_expand(fixture, "@DIR@/a.yaml");
    int calls = 0;
    int rc;

    engine_write(fixture, "a.yaml", two_components);
    engine_start(fixture, "{\"catalog\": {\"allowedLocationTypes\": [\"url\", \"file\"]}}");
    assert_int_equal(gr_catalog_on_stitched(fixture->catalog, stitched_hook_called, &calls), GR_OK);
    rc = gr_catalog_add_location(fixture->catalog, "file", target, 0, &location, &entities, NULL);
    assert_int_equal(rc, GR_OK);
    assert_int_equal(gr_catalog_add_location(fixture->catalog, "file", target, 0, NULL, NULL, NULL),
                     GR_ECONFLICT);
    engine_idle(fixture);
    assert_true(engine_exists(fixture, "component:default/alpha"));
    assert_int_equal(calls, 3);

    rc = gr_catalog_remove_location(fixture->catalog,
                                    json_string_value(json_object_get(location, "id")));
    assert_int_equal(rc, GR_OK);
    engine_idle(fixture);
    assert_false(engine_exists(fixture, "component:default/alpha"));
    assert_false(engine_exists(fixture, "component:default/beta"));
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_refresh_state", NULL), 0);
    assert_int_equal(calls, 6);
    assert_int_equal(gr_catalog_history(fixture->catalog, "component:default/beta", &history),
                     GR_OK);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(history, json_array_size(history) - 1), "change")),
                        "deleted");
    assert_int_equal(gr_catalog_remove_location(fixture->catalog, "no-such-id"), GR_ENOTFOUND);
    json_decref(history);
    json_decref(location);
    json_decref(entities);
    free(target);
}

static void add_location_type_rules(void **state)
{
    engine_fixture *fixture = *state;
    json_t *location = NULL, *entities = NULL, *exists = NULL;
    char *target = engine_expand(fixture, "@DIR@/a.yaml");

    engine_write(fixture, "a.yaml", two_components);
    engine_start(fixture, NULL);
    /* Backstage lets users register url locations only, unless configured. */
    assert_int_equal(gr_catalog_add_location(fixture->catalog, "file", target, 0, NULL, NULL, NULL),
                     GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "[\"url\"]"));
    assert_int_equal(gr_catalog_add_location(fixture->catalog, "url",
                                             "https://unknown.example.com/catalog-info.yaml", 0,
                                             NULL, NULL, NULL),
                     GR_EDENIED);
    engine_start(fixture, "{\"catalog\": {\"allowedLocationTypes\": [\"file\"]}}");
    assert_int_equal(gr_catalog_add_location(fixture->catalog, "file", target, 1, &location,
                                             &entities, &exists),
                     GR_OK);
    assert_int_equal(json_array_size(entities), 3);
    assert_true(json_is_false(exists));
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_refresh_state", NULL), 0);
    json_decref(location);
    json_decref(entities);
    json_decref(exists);
    free(target);
}

static void delete_entity_comes_back(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    char *uid, *uid_after;

    engine_write(fixture, "a.yaml", two_components);
    engine_start(fixture, config);
    engine_idle(fixture);
    uid = engine_text(fixture, "SELECT entity_id FROM catalog_final_entities WHERE entity_ref = ?",
                      "component:default/beta");
    assert_non_null(uid);
    assert_int_equal(gr_catalog_delete_entity_as(fixture->catalog, uid, "user:default/ada"), GR_OK);
    assert_int_equal(gr_catalog_delete_entity(fixture->catalog, uid), GR_ENOTFOUND);
    engine_idle(fixture);
    /* Its location still emits it, so it is back with a new uid. */
    uid_after = engine_text(fixture,
                            "SELECT entity_id FROM catalog_final_entities WHERE entity_ref = ?",
                            "component:default/beta");
    assert_non_null(uid_after);
    assert_string_not_equal(uid, uid_after);
    free(uid);
    free(uid_after);
    free(config);
}

/* Emits alpha and a beta whose spec.type is a number, so beta fails processing. */
static const char alpha_and_broken_beta[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: alpha\n"
    "spec: {type: service, lifecycle: production, owner: team}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: beta\n"
    "spec: {type: 5, lifecycle: production, owner: team}\n";

static void orphan_error_removed(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    json_t *errors = NULL;
    gr_catalog_counts counts;

    engine_write(fixture, "a.yaml", alpha_and_broken_beta);
    engine_start(fixture, config);
    engine_idle(fixture);
    assert_int_equal(gr_catalog_processing_errors(fixture->catalog, &errors), GR_OK);
    assert_int_equal(json_array_size(errors), 1);
    json_decref(errors);

    /* The same error under the Location of a.yaml, and none under an unrelated ref. */
    {
        char *location = engine_text(fixture,
                                     "SELECT entity_ref FROM catalog_refresh_state "
                                     "WHERE entity_ref LIKE 'location:%'",
                                     NULL);

        assert_non_null(location);
        assert_int_equal(gr_catalog_processing_errors_under(fixture->catalog, location, &errors),
                         GR_OK);
        assert_int_equal(json_array_size(errors), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0),
                                                              "entityRef")),
                            "component:default/beta");
        json_decref(errors);
        assert_int_equal(gr_catalog_processing_errors_under(fixture->catalog,
                                                            "location:default/elsewhere", &errors),
                         GR_OK);
        assert_int_equal(json_array_size(errors), 0);
        json_decref(errors);
        free(location);
    }

    /* The source stops emitting beta, so its error goes with it. */
    engine_write(fixture, "a.yaml", one_component);
    make_all_due(fixture);
    engine_idle(fixture);
    assert_int_equal(gr_catalog_processing_errors(fixture->catalog, &errors), GR_OK);
    assert_int_equal(json_array_size(errors), 0);
    json_decref(errors);
    assert_int_equal(gr_catalog_counts_read(fixture->catalog, &counts), GR_OK);
    assert_int_equal(counts.errors, 0);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_refresh_state "
                                           "WHERE entity_ref = ? AND errors IS NOT NULL "
                                           "AND errors <> '[]'",
                                  "component:default/beta"),
                     0);

    /* Emitted again unchanged, it gets its error back. */
    engine_write(fixture, "a.yaml", alpha_and_broken_beta);
    make_all_due(fixture);
    engine_idle(fixture);
    assert_int_equal(gr_catalog_processing_errors(fixture->catalog, &errors), GR_OK);
    assert_int_equal(json_array_size(errors), 1);
    json_decref(errors);
    free(config);
}

/* Returns the PID of a child process that has already exited. */
static long exited_child_pid(void)
{
    pid_t pid = fork();
    int status;

    if (pid == 0)
        _exit(0);
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return (long)pid;
}

static void restart_releases_dead_leases(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    int64_t until = (int64_t)time(NULL) * 1000 + 600000;
    char *sql;

    engine_write(fixture, "a.yaml", two_components);
    engine_start(fixture, config);
    engine_idle(fixture);

    /* A killed run of this host left beta and a stitch leased. A live instance, registered with
     * this process's identity, has the lease of alpha. */
    sql = gr_xasprintf(
        "INSERT INTO catalog_instances (instance_id, host_key, pid, start_ticks, registered_at) "
        "SELECT 'killed-run', host_key, %ld, start_ticks, 0 FROM catalog_instances "
        "WHERE instance_id = 'test-instance'; "
        "INSERT INTO catalog_instances (instance_id, host_key, pid, start_ticks, registered_at) "
        "SELECT 'live-run', host_key, pid, start_ticks, 0 FROM catalog_instances "
        "WHERE instance_id = 'test-instance'; "
        "UPDATE catalog_refresh_state SET lease_owner = 'killed-run', lease_until = %lld, "
        "next_update_at = %lld WHERE entity_ref = 'component:default/beta'; "
        "UPDATE catalog_refresh_state SET lease_owner = 'live-run', lease_until = %lld "
        "WHERE entity_ref = 'component:default/alpha'; "
        "INSERT INTO catalog_stitch_queue (entity_ref, ticket, next_stitch_at, cause, lease_owner) "
        "VALUES ('component:default/beta', 'ticket', %lld, 'test', 'killed-run')",
        exited_child_pid(), (long long)until, (long long)until, (long long)until,
        (long long)until);
    db_fixture_exec(fixture->db->db, sql);
    free(sql);

    engine_start(fixture, config);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_refresh_state "
                                           "WHERE lease_owner = ?",
                                  "killed-run"),
                     0);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_stitch_queue "
                                           "WHERE lease_owner = ?",
                                  "killed-run"),
                     0);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_instances "
                                           "WHERE instance_id = ?",
                                  "killed-run"),
                     0);
    assert_int_equal(engine_count(fixture, "SELECT COUNT(*) FROM catalog_refresh_state "
                                           "WHERE lease_owner = ?",
                                  "live-run"),
                     1);
    /* Beta is due again at once, not at the end of the killed run's refresh interval. */
    sql = gr_xasprintf("SELECT COUNT(*) FROM catalog_refresh_state WHERE entity_ref = ? AND "
                       "lease_owner IS NULL AND next_update_at < %lld",
                       (long long)until);
    assert_int_equal(engine_count(fixture, sql, "component:default/beta"), 1);
    free(sql);
    free(config);
}

/* A YAML syntax error names the file once, with the line and column of the problem. */
static void yaml_error_names_file_once(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    char *location = engine_expand(fixture, "file:@DIR@/a.yaml");
    char *expected = gr_xasprintf("YAML error at %s, line 3, column 1: ", location);
    char *errors;

    engine_write(fixture, "a.yaml", "apiVersion: backstage.io/v1alpha1\nkind: [unclosed\n");
    engine_start(fixture, config);
    engine_idle(fixture);

    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE entity_ref LIKE "
                         "'location:%' AND errors LIKE '%YAML error%'",
                         NULL);
    assert_non_null(errors);
    if (strstr(errors, expected) == NULL)
        fail_msg("expected \"%s\" in %s", expected, errors);
    assert_null(strstr(strstr(errors, location) + 1, location));
    assert_non_null(strstr(errors, "did not find expected ',' or ']'"));
    free(errors);
    free(expected);
    free(location);
    free(config);
}

/* A URL target in a Location entity of a file location gets a hint to set spec.type: url. */
static void url_target_in_file_location_hinted(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    char *errors;

    engine_write(fixture, "a.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n"
                 "  name: remote\nspec:\n"
                 "  targets: [https://127.0.0.1:9/org/repo/blob/main/catalog-info.yaml]\n");
    engine_start(fixture, config);
    engine_idle(fixture);

    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE entity_ref = ?",
                         "location:default/remote");
    assert_non_null(errors);
    assert_non_null(strstr(errors, "Unable to read file, file https://127.0.0.1:9/org/repo/blob/"
                                   "main/catalog-info.yaml does not exist"));
    assert_non_null(strstr(errors, "The target is a URL, so set spec.type: url in the Location "
                                   "entity location:default/remote"));
    free(errors);
    free(config);
}

/* A NUL character written as the YAML escape \0 rejects the entity with an
 * error naming the file and field, instead of storing a ref cut at the NUL. */
static void nul_in_name_rejected(void **state)
{
    engine_fixture *fixture = *state;
    char *config = config_with("");
    char *errors;

    engine_write(fixture, "a.yaml",
                 "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                 "  name: \"nul\\0name\"\nspec: {type: service, lifecycle: production, "
                 "owner: team}\n---\n"
                 "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                 "  name: beta\n  annotations: {\"key\\0\": x}\n"
                 "spec: {type: service, lifecycle: production, owner: team}\n");
    engine_start(fixture, config);
    engine_idle(fixture);

    assert_false(engine_exists(fixture, "component:default/nul"));
    assert_false(engine_exists(fixture, "component:default/beta"));
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM catalog_refresh_state "
                                      "WHERE entity_ref LIKE 'component:%'"),
                     0);
    errors = engine_text(fixture,
                         "SELECT errors FROM catalog_refresh_state WHERE entity_ref LIKE "
                         "'location:%' AND errors LIKE '%NUL character%'",
                         NULL);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "a.yaml"));
    assert_non_null(strstr(errors, "/metadata/name"));
    assert_non_null(strstr(errors, "/metadata/annotations/key"));
    free(errors);
    free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ENGINE_TEST_BOTH(orphan_keeps_entity),
        ENGINE_TEST_BOTH(orphan_delete_strategy),
        ENGINE_TEST_BOTH(conflict_first_owner_wins),
        ENGINE_TEST_BOTH(conflict_within_glob_first_file_wins),
        ENGINE_TEST_BOTH(conflicts_of_many_children),
        ENGINE_TEST_BOTH(broken_source_keeps_last_good),
        ENGINE_TEST_BOTH(unchanged_input_writes_nothing),
        ENGINE_TEST_BOTH(change_recorded_in_history),
        ENGINE_TEST_BOTH(user_location_removed),
        ENGINE_TEST_SQLITE(add_location_type_rules),
        ENGINE_TEST_BOTH(delete_entity_comes_back),
        ENGINE_TEST_BOTH(orphan_error_removed),
        ENGINE_TEST_BOTH(restart_releases_dead_leases),
        ENGINE_TEST_BOTH(nul_in_name_rejected),
        ENGINE_TEST_SQLITE(yaml_error_names_file_once),
        ENGINE_TEST_SQLITE(url_target_in_file_location_hinted),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
