/* SPDX-License-Identifier: MIT */
/* Fuzz target: read a catalog file and run every model step on each entity in it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/model/location.h"
#include "plugins/catalog/model/model.h"
#include "plugins/catalog/model/placeholder.h"
#include "plugins/catalog/model/relations.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Placeholders read this fixed text, so that $text, $json and $yaml all run without files. */
static int read_fixed(void *payload, const char *base, const char *target, char **text_out,
                      size_t *len_out)
{
    (void)payload;
    (void)base;
    if (strcmp(target, "missing") == 0)
        return gr_error_set(GR_ENOTFOUND, "missing does not exist");
    *text_out = gr_xstrdup("{\"type\": \"service\", \"owner\": \"team-a\"}");
    *len_out = strlen(*text_out);
    return GR_OK;
}

static void check_problems(const gr_model_problems *problems, size_t before, int rc)
{
    if ((rc == GR_OK) != (problems->count == before)) {
        fprintf(stderr, "return code %d does not match %zu new problems\n", rc,
                problems->count - before);
        abort();
    }
    for (size_t i = 0; i < problems->count; i++) {
        if (problems->items[i].pointer == NULL || problems->items[i].rule == NULL ||
            problems->items[i].message == NULL || problems->items[i].message[0] == '\0')
            abort();
    }
}

static void check_entity(const gr_model *model, gr_yaml_doc *doc)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    gr_model_relations relations = GR_MODEL_RELATIONS_INIT;
    gr_model_placeholder_reader reader = {read_fixed, NULL, "fuzz.yaml"};
    json_t *entity = gr_yaml_doc_root(doc);
    char *ref = NULL;
    size_t before;
    int rc;

    if (gr_model_check_envelope(model, entity, &problems) != GR_OK)
        goto done;
    ref = gr_model_entity_ref(entity);
    if (gr_model_annotate_location(entity, "file:/fuzz.yaml", "file:/fuzz.yaml", &problems) !=
        GR_OK)
        goto done;
    gr_model_resolve_placeholders(entity, &reader, &problems);
    before = problems.count;
    rc = gr_model_validate(model, entity, &problems);
    check_problems(&problems, before, rc);
    for (size_t i = 0; i < problems.count; i++) {
        gr_yaml_mark mark;

        gr_yaml_doc_find_mark(doc, problems.items[i].pointer, &mark);
    }
    gr_model_emit_relations(entity, &relations, &problems);
    for (size_t i = 0; i < relations.count; i++) {
        char *text = gr_model_ref_format(&relations.items[i].target);

        free(text);
    }

done:
    free(ref);
    gr_model_relations_free(&relations);
    gr_model_problems_free(&problems);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gr_model *model;
    gr_yaml_limits limits = {0};
    gr_yaml_doc **docs = NULL;
    size_t count = 0;

    /* The model is read-only after creation, so one instance serves every input. */
    if (model == NULL && gr_model_new(&model) != GR_OK) {
        fprintf(stderr, "gr_model_new: %s\n", gr_error_last());
        abort();
    }
    limits.no_merge_keys = 1;
    limits.max_input_bytes = 1 << 20;
    if (gr_yaml_parse("fuzz.yaml", (const char *)data, size, &limits, &docs, &count) != GR_OK)
        return 0;
    for (size_t i = 0; i < count; i++)
        check_entity(model, docs[i]);
    gr_yaml_docs_free(docs, count);
    return 0;
}
