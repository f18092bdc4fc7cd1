/* SPDX-License-Identifier: MIT */
/* Ingests every catalog file of the shared corpus and compares the result with the validator. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>

#include "unit/engine/engine_fixture.h"

/*
 * `greenroom catalog validate` decides per document what Backstage's catalog
 * accepts (tests/compat/model.sh holds it to Backstage's own validators and
 * processors). Every file it checks becomes one config location here, with
 * rules that allow every kind. Then each entity it accepts must be in the
 * catalog with its relations, and each one it rejects must have a processing
 * error naming its file. The validator skips placeholders that name a URL
 * (it notes them on stderr, per file); the engine does not fetch them for
 * file locations, so an entity of such a file must be in the catalog or have
 * a processing error naming the file.
 */

#define CORPUS_DIR "../shared/corpus/catalog"

static const char all_kinds[] = "[\"Component\", \"API\", \"Location\", \"Group\", \"User\", "
                                "\"System\", \"Domain\", \"Resource\", \"Template\"]";

/* Returns every error text and location of the refresh state as one string. */
static char *all_errors(const engine_fixture *fixture)
{
    return engine_join(fixture, "SELECT COALESCE(errors, '') || ' ' || unprocessed_entity FROM "
                                "catalog_refresh_state WHERE errors IS NOT NULL AND errors <> '[]'");
}

static int count_entries(const json_t *entities, const char *ref, int valid)
{
    int count = 0;
    size_t index;
    json_t *entry;

    json_array_foreach (entities, index, entry) {
        if (strcmp(json_string_value(json_object_get(entry, "ref")), ref) == 0 &&
            (valid < 0 || json_is_true(json_object_get(entry, "valid")) == valid))
            count++;
    }
    return count;
}

static void check_accepted(engine_fixture *fixture, const json_t *entry, const char *errors,
                           int shared, const char *url_notes)
{
    const char *ref = json_string_value(json_object_get(entry, "ref"));
    const char *file = json_string_value(json_object_get(entry, "file"));
    json_t *entity;
    size_t index;
    json_t *relation;
    char *note = gr_xasprintf("%s: note: placeholder URL", file);

    if (strstr(url_notes, note) != NULL) {
        /* The note is per file, so this entity may or may not use the URL. */
        free(note);
        if (!engine_exists(fixture, ref) && strstr(errors, file) == NULL)
            fail_msg("%s from %s is neither in the catalog nor named by an error", ref, file);
        return;
    }
    free(note);
    entity = engine_final(fixture, ref);
    if (entity == NULL) {
        /* A Location whose targets cannot be read here (URLs of hosts that are
         * not configured) has errors instead, as in Backstage; an entity that
         * two files define may have been kept by the other file. */
        char *row = engine_text(fixture, "SELECT errors FROM catalog_refresh_state "
                                         "WHERE entity_ref = ?",
                                ref);

        if (strncmp(ref, "location:", 9) == 0 && row != NULL && strlen(row) > 2) {
            free(row);
            return;
        }
        if (shared && strstr(errors, ref) != NULL) {
            free(row);
            return;
        }
        fail_msg("%s from %s is valid but not in the catalog (errors: %s)", ref, file,
                 row ? row : "none");
    }
    if (shared && strstr(engine_annotation(entity, "backstage.io/managed-by-location"), file) ==
                      NULL) {
        /* The other file's definition was kept; it has its own relations. */
        json_decref(entity);
        return;
    }
    json_array_foreach (json_object_get(entry, "relations"), index, relation) {
        const char *source = json_string_value(json_object_get(relation, "source"));

        if (strcmp(source, ref) != 0)
            continue;
        if (!engine_has_relation(entity, json_string_value(json_object_get(relation, "type")),
                                 json_string_value(json_object_get(relation, "target"))))
            fail_msg("%s from %s lacks relation %s %s", ref, file,
                     json_string_value(json_object_get(relation, "type")),
                     json_string_value(json_object_get(relation, "target")));
    }
    json_decref(entity);
}

static void check_rejected(engine_fixture *fixture, const json_t *entry, const char *errors)
{
    const char *ref = json_string_value(json_object_get(entry, "ref"));
    const char *file = json_string_value(json_object_get(entry, "file"));
    json_t *entity = engine_final(fixture, ref);

    if (entity != NULL) {
        const char *location = engine_annotation(entity, "backstage.io/managed-by-location");

        if (location != NULL && strstr(location, file) != NULL)
            fail_msg("%s from %s is invalid but in the catalog", ref, file);
        json_decref(entity);
    }
    if (strstr(errors, file) == NULL)
        fail_msg("%s from %s is invalid but no processing error names the file", ref, file);
}

static void corpus_ingested(void **state)
{
    engine_fixture *fixture = *state;
    char corpus[PATH_MAX];
    const char *argv[] = {"catalog", "validate", "--format", "json", "--root", corpus, corpus, NULL};
    gr_test_output output;
    json_t *report, *entities, *locations, *config;
    json_error_t error;
    size_t index;
    json_t *entry;
    char *errors;
    gr_catalog_options options = {0};

    if (realpath(CORPUS_DIR, corpus) == NULL) {
        skip();
        return;
    }
    output = gr_test_run(NULL, argv);
    report = json_loads(output.out ? output.out : "", 0, &error);
    if (report == NULL)
        fail_msg("validate output is not JSON: %s: %s", error.text, output.err);
    entities = json_object_get(report, "entities");
    assert_true(json_array_size(entities) > 100);

    locations = json_array();
    json_array_foreach (entities, index, entry) {
        const char *file = json_string_value(json_object_get(entry, "file"));
        int seen = 0;

        for (size_t i = 0; i < json_array_size(locations) && !seen; i++)
            seen = strcmp(json_string_value(json_object_get(json_array_get(locations, i),
                                                            "target")),
                          file) == 0;
        if (!seen)
            json_array_append_new(locations, json_pack("{s:s, s:s}", "type", "file", "target",
                                                       file));
    }
    config = json_pack("{s:{s:[{s:o}], s:o}}", "catalog", "rules", "allow",
                       json_loads(all_kinds, 0, NULL), "locations", locations);
    options.db = fixture->db->db;
    options.config = config;
    options.instance_id = "corpus";
    assert_int_equal(gr_catalog_new(&fixture->catalog, &options), GR_OK);
    engine_idle(fixture);

    errors = all_errors(fixture);
    json_array_foreach (entities, index, entry) {
        const char *ref = json_string_value(json_object_get(entry, "ref"));
        int shared = count_entries(entities, ref, -1) > 1;

        if (json_is_true(json_object_get(entry, "valid")))
            check_accepted(fixture, entry, errors, shared, output.err ? output.err : "");
        else if (!shared || count_entries(entities, ref, 1) == 0)
            check_rejected(fixture, entry, errors);
    }
    free(errors);
    json_decref(config);
    json_decref(report);
    gr_test_output_free(&output);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ENGINE_TEST_BOTH(corpus_ingested),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
