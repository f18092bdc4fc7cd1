/* SPDX-License-Identifier: MIT */
/* Tests of sign-in resolvers against a fake catalog lookup (the catalog plugin implements the real one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/auth/resolver.h"
#include "host/common/error.h"

/* A fake catalog: a fixed list of entities searched in memory. */
static const char catalog_json[] =
    "["
    "{\"kind\":\"User\",\"metadata\":{\"name\":\"jane\",\"namespace\":\"default\","
    " \"annotations\":{\"example.com/email\":\"jane@corp.example\"}},"
    " \"spec\":{\"profile\":{\"email\":\"jane@example.com\"}},"
    " \"relations\":[{\"type\":\"memberOf\",\"targetRef\":\"group:default/team-a\"},"
    "  {\"type\":\"ownerOf\",\"targetRef\":\"component:default/x\"}]},"
    "{\"kind\":\"User\",\"metadata\":{\"name\":\"bob\"},"
    " \"spec\":{\"profile\":{\"email\":\"bob@example.com\"}},"
    " \"relations\":[{\"type\":\"memberOf\",\"targetRef\":\"group:default/team-b\"}]},"
    "{\"kind\":\"User\",\"metadata\":{\"name\":\"dup1\"},"
    " \"spec\":{\"profile\":{\"email\":\"dup@example.com\"}}},"
    "{\"kind\":\"User\",\"metadata\":{\"name\":\"dup2\"},"
    " \"spec\":{\"profile\":{\"email\":\"dup@example.com\"}}},"
    "{\"kind\":\"User\",\"metadata\":{\"name\":\"carol\",\"namespace\":\"ops\"},"
    " \"spec\":{\"memberOf\":[\"team-c\",\"other/team-d\"]}},"
    "{\"kind\":\"Group\",\"metadata\":{\"name\":\"team-a\"},"
    " \"relations\":[{\"type\":\"childOf\",\"targetRef\":\"group:default/eng\"}]},"
    "{\"kind\":\"Group\",\"metadata\":{\"name\":\"eng\"},"
    " \"relations\":[{\"type\":\"childOf\",\"targetRef\":\"group:default/all-staff\"},"
    "  {\"type\":\"parentOf\",\"targetRef\":\"group:default/team-a\"}]},"
    "{\"kind\":\"Group\",\"metadata\":{\"name\":\"all-staff\"},"
    " \"relations\":[{\"type\":\"childOf\",\"targetRef\":\"group:default/eng\"}]}"
    "]";

static json_t *catalog;

static const json_t *field_of(const json_t *entity, const char *field)
{
    if (strcmp(field, "metadata.name") == 0)
        return json_object_get(json_object_get(entity, "metadata"), "name");
    if (strcmp(field, "spec.profile.email") == 0)
        return json_object_get(json_object_get(json_object_get(entity, "spec"), "profile"),
                               "email");
    if (strncmp(field, "metadata.annotations.", 21) == 0)
        return json_object_get(
            json_object_get(json_object_get(entity, "metadata"), "annotations"), field + 21);
    return NULL;
}

static int fake_find_users(void *payload, const char *field, const char *value, json_t **out)
{
    size_t i;
    json_t *entity;

    (void)payload;
    *out = json_array();
    json_array_foreach(catalog, i, entity)
    {
        const char *found = json_string_value(field_of(entity, field));

        if (strcmp(json_string_value(json_object_get(entity, "kind")), "User") == 0 &&
            found != NULL && strcasecmp(found, value) == 0)
            json_array_append(*out, entity);
    }
    return GR_OK;
}

static int fake_get_entity(void *payload, const char *ref, json_t **out)
{
    size_t i;
    json_t *entity;

    (void)payload;
    json_array_foreach(catalog, i, entity)
    {
        const json_t *metadata = json_object_get(entity, "metadata");
        const char *ns = json_string_value(json_object_get(metadata, "namespace"));
        char *own = gr_auth_entity_ref(json_string_value(json_object_get(entity, "kind")), ns,
                                       json_string_value(json_object_get(metadata, "name")));
        int match = strcasecmp(own, ref) == 0;

        free(own);
        if (match) {
            *out = json_incref(entity);
            return GR_OK;
        }
    }
    return GR_ENOTFOUND;
}

static const gr_auth_user_lookup fake_lookup = {fake_find_users, fake_get_entity, NULL};

typedef struct {
    const char *name;
    const char *resolvers; /* JSON of the provider object */
    int parents;
    const char *email;
    const char *username;
    int rc;
    const char *user_ref;
    const char *ownership; /* comma-separated, in order */
} resolver_case;

static const resolver_case cases[] = {
    {"email matches profile", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailMatchingUserEntityProfileEmail\"}]}}",
     0, "jane@example.com", NULL, GR_OK, "user:default/jane", "user:default/jane,group:default/team-a"},
    {"email match ignores case", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailMatchingUserEntityProfileEmail\"}]}}",
     0, "JANE@example.com", NULL, GR_OK, "user:default/jane", NULL},
    {"email not in catalog", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailMatchingUserEntityProfileEmail\"}]}}",
     0, "nobody@example.com", NULL, GR_ENOTFOUND, NULL, NULL},
    {"email on two users", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailMatchingUserEntityProfileEmail\"}]}}",
     0, "dup@example.com", NULL, GR_ECONFLICT, NULL, NULL},
    {"profile without email", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailMatchingUserEntityProfileEmail\"}]}}",
     0, NULL, "jane", GR_EINVALID, NULL, NULL},
    {"local part matches name", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailLocalPartMatchingUserEntityName\"}]}}",
     0, "bob@anything.example", NULL, GR_OK, "user:default/bob", "user:default/bob,group:default/team-b"},
    {"local part domain allowed", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailLocalPartMatchingUserEntityName\",\"allowedDomains\":[\"example.com\"]}]}}",
     0, "bob@example.com", NULL, GR_OK, "user:default/bob", NULL},
    {"local part domain refused", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailLocalPartMatchingUserEntityName\",\"allowedDomains\":[\"example.com\"]}]}}",
     0, "bob@evil.example", NULL, GR_EDENIED, NULL, NULL},
    {"username matches name", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"usernameMatchingUserEntityName\"}]}}",
     0, NULL, "jane", GR_OK, "user:default/jane", NULL},
    {"username missing", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"usernameMatchingUserEntityName\"}]}}",
     0, "jane@example.com", NULL, GR_EINVALID, NULL, NULL},
    {"annotation matches email", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailMatchingUserEntityAnnotation\",\"annotation\":\"example.com/email\"}]}}",
     0, "jane@corp.example", NULL, GR_OK, "user:default/jane", NULL},
    {"second resolver matches", "{\"signIn\":{\"resolvers\":["
     "{\"resolver\":\"emailMatchingUserEntityProfileEmail\"},"
     "{\"resolver\":\"usernameMatchingUserEntityName\"}]}}",
     0, "other@example.com", "bob", GR_OK, "user:default/bob", NULL},
    {"fallback without catalog user", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailMatchingUserEntityProfileEmail\","
     "\"dangerouslyAllowSignInWithoutUserInCatalog\":true}]}}",
     0, "newcomer@example.com", NULL, GR_OK, "user:default/newcomer", "user:default/newcomer"},
    {"fallback name with a newline", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"usernameMatchingUserEntityName\","
     "\"dangerouslyAllowSignInWithoutUserInCatalog\":true}]}}",
     0, NULL, "a\nb", GR_EINVALID, NULL, NULL},
    {"fallback name with a slash", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"usernameMatchingUserEntityName\","
     "\"dangerouslyAllowSignInWithoutUserInCatalog\":true}]}}",
     0, NULL, "../x", GR_EINVALID, NULL, NULL},
    {"fallback prefers the catalog", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailMatchingUserEntityProfileEmail\","
     "\"dangerouslyAllowSignInWithoutUserInCatalog\":true}]}}",
     0, "jane@example.com", NULL, GR_OK, "user:default/jane", "user:default/jane,group:default/team-a"},
    {"no resolver configured", "{}", 0, "jane@example.com", NULL, GR_ENOTFOUND, NULL, NULL},
    {"parent groups followed", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"emailMatchingUserEntityProfileEmail\"}]}}",
     1, "jane@example.com", NULL, GR_OK, "user:default/jane",
     "user:default/jane,group:default/team-a,group:default/eng,group:default/all-staff"},
    {"spec memberOf without relations", "{\"signIn\":{\"resolvers\":[{\"resolver\":"
     "\"usernameMatchingUserEntityName\"}]}}",
     0, NULL, "carol", GR_OK, "user:ops/carol", "user:ops/carol,group:ops/team-c,group:other/team-d"},
};

static void check_ownership(const gr_auth_user *user, const char *expected, const char *name)
{
    char *copy = strdup(expected);
    char *save = NULL;
    size_t i = 0;

    for (char *ref = strtok_r(copy, ",", &save); ref != NULL; ref = strtok_r(NULL, ",", &save)) {
        if (i >= user->ownership_count || strcmp(user->ownership[i], ref) != 0)
            fail_msg("%s: ownership[%zu] is '%s', expected '%s'", name, i,
                     i < user->ownership_count ? user->ownership[i] : "(none)", ref);
        i++;
    }
    assert_int_equal(user->ownership_count, i);
    free(copy);
}

static void resolver_table(void **state)
{
    (void)state;
    catalog = json_loads(catalog_json, 0, NULL);
    assert_non_null(catalog);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const resolver_case *c = &cases[i];
        json_t *provider = json_loads(c->resolvers, 0, NULL);
        gr_auth_resolvers resolvers;
        gr_auth_profile profile = {c->email, c->username, NULL, NULL};
        gr_auth_user *user = NULL;
        int rc;

        assert_int_equal(gr_auth_resolvers_parse(provider, "auth.providers.test", NULL,
                                                 &resolvers),
                         GR_OK);
        resolvers.include_parent_groups = c->parents;
        rc = gr_auth_resolve(&resolvers, &fake_lookup, &profile, &user);
        if (rc != c->rc)
            fail_msg("%s: returned %d (%s), expected %d", c->name, rc, gr_error_last(), c->rc);
        if (c->user_ref != NULL)
            assert_string_equal(user->user_ref, c->user_ref);
        if (c->ownership != NULL)
            check_ownership(user, c->ownership, c->name);
        if (c->rc != GR_OK)
            assert_null(user);
        gr_auth_user_free(user);
        gr_auth_resolvers_clear(&resolvers);
        json_decref(provider);
    }
    json_decref(catalog);
}

/* Without a catalog lookup only the fallback can sign anyone in. */
static void resolver_without_catalog(void **state)
{
    json_t *provider = json_loads("{\"signIn\":{\"resolvers\":["
                                  "{\"resolver\":\"usernameMatchingUserEntityName\"}]}}",
                                  0, NULL);
    gr_auth_resolvers resolvers;
    gr_auth_profile profile = {NULL, "jane", NULL, NULL};
    gr_auth_user *user = NULL;

    (void)state;
    assert_int_equal(gr_auth_resolvers_parse(provider, "p", NULL, &resolvers), GR_OK);
    assert_int_equal(gr_auth_resolve(&resolvers, NULL, &profile, &user), GR_ENOTFOUND);
    assert_null(user);
    gr_auth_resolvers_clear(&resolvers);
    json_decref(provider);
}

static void resolver_config_errors(void **state)
{
    const char *bad[][2] = {
        {"{\"signIn\":{\"resolvers\":[{\"resolver\":\"nope\"}]}}", "'nope'"},
        {"{\"signIn\":{\"resolvers\":[{\"resolver\":\"emailMatchingUserEntityAnnotation\"}]}}",
         "annotation"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *provider = json_loads(bad[i][0], 0, NULL);
        gr_auth_resolvers resolvers;

        assert_int_equal(gr_auth_resolvers_parse(provider, "auth.providers.x", NULL, &resolvers),
                         GR_EINVALID);
        assert_non_null(strstr(gr_error_last(), bad[i][1]));
        assert_non_null(strstr(gr_error_last(), "auth.providers.x.signIn.resolvers[0]"));
        json_decref(provider);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resolver_table),
        cmocka_unit_test(resolver_without_catalog),
        cmocka_unit_test(resolver_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
