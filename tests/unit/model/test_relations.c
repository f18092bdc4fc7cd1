/* SPDX-License-Identifier: MIT */
/* Unit tests for the relations each built-in kind emits from its spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/model/relations.h"

typedef struct {
    const char *label;
    const char *entity; /* JSON */
    /* Expected relations as "source type target" lines in emission order, "\n"-joined. */
    const char *expected;
} relation_case;

static const relation_case cases[] = {
    {"component all fields",
     "{\"kind\":\"Component\",\"metadata\":{\"name\":\"svc\",\"namespace\":\"ns\"},\"spec\":{"
     "\"owner\":\"team\",\"subcomponentOf\":\"parent\",\"providesApis\":[\"a\"],"
     "\"consumesApis\":[\"other/b\"],\"dependsOn\":[\"resource:db\"],"
     "\"dependencyOf\":[\"component:x/up\"],\"system\":\"sys\"}}",
     "component:ns/svc ownedBy group:ns/team\n"
     "group:ns/team ownerOf component:ns/svc\n"
     "component:ns/svc partOf component:ns/parent\n"
     "component:ns/parent hasPart component:ns/svc\n"
     "component:ns/svc providesApi api:ns/a\n"
     "api:ns/a apiProvidedBy component:ns/svc\n"
     "component:ns/svc consumesApi api:other/b\n"
     "api:other/b apiConsumedBy component:ns/svc\n"
     "component:ns/svc dependsOn resource:ns/db\n"
     "resource:ns/db dependencyOf component:ns/svc\n"
     "component:ns/svc dependencyOf component:x/up\n"
     "component:x/up dependsOn component:ns/svc\n"
     "component:ns/svc partOf system:ns/sys\n"
     "system:ns/sys hasPart component:ns/svc\n"},
    {"api owner user",
     "{\"kind\":\"API\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"owner\":\"user:jo\",\"system\":\"s\"}}",
     "api:default/a ownedBy user:default/jo\n"
     "user:default/jo ownerOf api:default/a\n"
     "api:default/a partOf system:default/s\n"
     "system:default/s hasPart api:default/a\n"},
    {"resource depends",
     "{\"kind\":\"Resource\",\"metadata\":{\"name\":\"r\"},\"spec\":{\"owner\":\"t\","
     "\"dependsOn\":[\"resource:r2\"],\"dependencyOf\":[\"component:c\"],\"system\":\"s\"}}",
     "resource:default/r ownedBy group:default/t\n"
     "group:default/t ownerOf resource:default/r\n"
     "resource:default/r dependsOn resource:default/r2\n"
     "resource:default/r2 dependencyOf resource:default/r\n"
     "resource:default/r dependencyOf component:default/c\n"
     "component:default/c dependsOn resource:default/r\n"
     "resource:default/r partOf system:default/s\n"
     "system:default/s hasPart resource:default/r\n"},
    {"system domain",
     "{\"kind\":\"System\",\"metadata\":{\"name\":\"s\"},\"spec\":{\"owner\":\"t\",\"domain\":\"d\"}}",
     "system:default/s ownedBy group:default/t\n"
     "group:default/t ownerOf system:default/s\n"
     "system:default/s partOf domain:default/d\n"
     "domain:default/d hasPart system:default/s\n"},
    {"domain subdomain",
     "{\"kind\":\"Domain\",\"metadata\":{\"name\":\"d\"},\"spec\":{\"owner\":\"t\",\"subdomainOf\":\"top\"}}",
     "domain:default/d ownedBy group:default/t\n"
     "group:default/t ownerOf domain:default/d\n"
     "domain:default/d partOf domain:default/top\n"
     "domain:default/top hasPart domain:default/d\n"},
    {"group tree",
     "{\"kind\":\"Group\",\"metadata\":{\"name\":\"g\"},\"spec\":{\"type\":\"team\","
     "\"parent\":\"org\",\"children\":[\"sub\"],\"members\":[\"jo\"]}}",
     "group:default/g childOf group:default/org\n"
     "group:default/org parentOf group:default/g\n"
     "group:default/g parentOf group:default/sub\n"
     "group:default/sub childOf group:default/g\n"
     "group:default/g hasMember user:default/jo\n"
     "user:default/jo memberOf group:default/g\n"},
    {"user memberOf",
     "{\"kind\":\"User\",\"metadata\":{\"name\":\"jo\",\"namespace\":\"hr\"},"
     "\"spec\":{\"memberOf\":[\"g\",\"default/h\"]}}",
     "user:hr/jo memberOf group:hr/g\n"
     "group:hr/g hasMember user:hr/jo\n"
     "user:hr/jo memberOf group:default/h\n"
     "group:default/h hasMember user:hr/jo\n"},
    {"template owner",
     "{\"apiVersion\":\"scaffolder.backstage.io/v1beta3\",\"kind\":\"Template\","
     "\"metadata\":{\"name\":\"t\"},\"spec\":{\"owner\":\"team\"}}",
     "template:default/t ownedBy group:default/team\n"
     "group:default/team ownerOf template:default/t\n"},
    {"template other version", "{\"apiVersion\":\"scaffolder.backstage.io/v1beta2\",\"kind\":"
                               "\"Template\",\"metadata\":{\"name\":\"t\"},\"spec\":{\"owner\":\"x\"}}",
     ""},
    {"location none", "{\"kind\":\"Location\",\"metadata\":{\"name\":\"l\"},\"spec\":{\"target\":\"x\"}}",
     ""},
    {"empty fields skipped",
     "{\"kind\":\"Component\",\"metadata\":{\"name\":\"c\"},\"spec\":{\"owner\":\"\",\"providesApis\":[]}}",
     ""},
    {"single value dependencyOf",
     "{\"kind\":\"Component\",\"metadata\":{\"name\":\"c\"},\"spec\":{\"dependencyOf\":\"resource:r\"}}",
     "component:default/c dependencyOf resource:default/r\n"
     "resource:default/r dependsOn component:default/c\n"},
};

static char *describe(const gr_model_relations *relations)
{
    gr_buf out = GR_BUF_INIT;

    for (size_t i = 0; i < relations->count; i++) {
        char *source = gr_model_ref_format(&relations->items[i].source);
        char *target = gr_model_ref_format(&relations->items[i].target);

        gr_buf_printf(&out, "%s %s %s\n", source, relations->items[i].type, target);
        free(source);
        free(target);
    }
    gr_buf_puts(&out, "");
    return gr_buf_detach(&out);
}

static void relations_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gr_model_relations relations = GR_MODEL_RELATIONS_INIT;
        gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
        json_t *entity = json_loads(cases[i].entity, 0, NULL);
        char *text;

        if (entity == NULL)
            fail_msg("case \"%s\": bad JSON in the test", cases[i].label);
        assert_int_equal(gr_model_emit_relations(entity, &relations, &problems), GR_OK);
        assert_int_equal(problems.count, 0);
        text = describe(&relations);
        if (strcmp(text, cases[i].expected) != 0)
            fail_msg("case \"%s\":\nexpected:\n%sgot:\n%s", cases[i].label, cases[i].expected, text);
        free(text);
        gr_model_relations_free(&relations);
        json_decref(entity);
    }
}

static void relations_bad_refs(void **state)
{
    gr_model_relations relations = GR_MODEL_RELATIONS_INIT;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    json_t *entity = json_loads("{\"kind\":\"Component\",\"metadata\":{\"name\":\"c\"},\"spec\":{"
                                "\"owner\":\"t\",\"dependsOn\":[\"db\",\"resource:ok\",\"x:/y\"]}}",
                                0, NULL);

    (void)state;
    assert_int_equal(gr_model_emit_relations(entity, &relations, &problems), GR_EINVALID);
    assert_int_equal(problems.count, 2);
    assert_string_equal(problems.items[0].pointer, "/spec/dependsOn/0");
    assert_string_equal(problems.items[0].rule, "entity-ref");
    assert_non_null(strstr(problems.items[0].message, "missing or empty kind"));
    assert_string_equal(problems.items[1].pointer, "/spec/dependsOn/2");
    assert_int_equal(relations.count, 4);
    gr_model_relations_free(&relations);
    gr_model_problems_free(&problems);
    json_decref(entity);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relations_table),
        cmocka_unit_test(relations_bad_refs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
