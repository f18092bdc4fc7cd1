/* SPDX-License-Identifier: MIT */
/* Sign-in resolvers: from a provider's profile to a User entity of the catalog and its groups. */
#include "host/auth/resolver.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/error.h"

static const struct {
    const char *name;
    gr_auth_resolver_kind kind;
} resolver_names[] = {
    {"emailMatchingUserEntityProfileEmail", GR_RESOLVER_EMAIL_MATCHING_PROFILE_EMAIL},
    {"emailLocalPartMatchingUserEntityName", GR_RESOLVER_EMAIL_LOCAL_PART_MATCHING_NAME},
    {"usernameMatchingUserEntityName", GR_RESOLVER_USERNAME_MATCHING_NAME},
    {"emailMatchingUserEntityAnnotation", GR_RESOLVER_EMAIL_MATCHING_ANNOTATION},
};

#define RESOLVER_NAME_COUNT (sizeof(resolver_names) / sizeof(resolver_names[0]))

void gr_auth_resolvers_clear(gr_auth_resolvers *resolvers)
{
    for (size_t i = 0; i < resolvers->count; i++) {
        gr_auth_resolver *r = &resolvers->items[i];

        free(r->annotation);
        for (size_t d = 0; d < r->allowed_domain_count; d++)
            free(r->allowed_domains[d]);
        free(r->allowed_domains);
    }
    memset(resolvers, 0, sizeof(*resolvers));
}

static int parse_one(const json_t *entry, const char *path, size_t index,
                     const char *default_annotation, gr_auth_resolver *out)
{
    const char *name = json_string_value(json_object_get(entry, "resolver"));
    const json_t *domains = json_object_get(entry, "allowedDomains");
    const char *annotation = json_string_value(json_object_get(entry, "annotation"));
    size_t k;

    for (k = 0; k < RESOLVER_NAME_COUNT; k++) {
        if (name != NULL && strcmp(name, resolver_names[k].name) == 0)
            break;
    }
    if (k == RESOLVER_NAME_COUNT)
        return gr_error_set(GR_EINVALID,
                            "%s.signIn.resolvers[%zu].resolver: '%s' is not a known resolver; use "
                            "emailMatchingUserEntityProfileEmail, "
                            "emailLocalPartMatchingUserEntityName, usernameMatchingUserEntityName "
                            "or emailMatchingUserEntityAnnotation",
                            path, index, name ? name : "");
    out->kind = resolver_names[k].kind;
    out->allow_without_catalog =
        json_is_true(json_object_get(entry, "dangerouslyAllowSignInWithoutUserInCatalog"));

    if (out->kind == GR_RESOLVER_EMAIL_MATCHING_ANNOTATION) {
        if (annotation == NULL)
            annotation = default_annotation;
        if (annotation == NULL)
            return gr_error_set(GR_EINVALID,
                                "%s.signIn.resolvers[%zu].annotation: the annotation to compare "
                                "with the email is missing",
                                path, index);
        out->annotation = gr_xstrdup(annotation);
    }
    if (json_is_array(domains) && json_array_size(domains) > 0) {
        out->allowed_domains = gr_xcalloc(json_array_size(domains), sizeof(char *));
        for (size_t d = 0; d < json_array_size(domains); d++) {
            const char *domain = json_string_value(json_array_get(domains, d));

            if (domain != NULL)
                out->allowed_domains[out->allowed_domain_count++] = gr_xstrdup(domain);
        }
    }
    return GR_OK;
}

int gr_auth_resolvers_parse(const json_t *provider, const char *path,
                            const char *default_annotation, gr_auth_resolvers *out)
{
    const json_t *list = json_object_get(json_object_get(provider, "signIn"), "resolvers");
    const json_t *entry;
    size_t index;
    int rc;

    memset(out, 0, sizeof(*out));
    if (json_array_size(list) > GR_AUTH_MAX_RESOLVERS)
        return gr_error_set(GR_EINVALID, "%s.signIn.resolvers: at most %d resolvers are allowed",
                            path, GR_AUTH_MAX_RESOLVERS);
    json_array_foreach(list, index, entry)
    {
        if ((rc = parse_one(entry, path, index, default_annotation, &out->items[out->count])) <
            0) {
            out->count++;
            gr_auth_resolvers_clear(out);
            return rc;
        }
        out->count++;
    }
    return GR_OK;
}

char *gr_auth_entity_ref(const char *kind, const char *ns, const char *name)
{
    char *ref = gr_xasprintf("%s:%s/%s", kind, ns ? ns : "default", name);

    for (char *p = ref; *p != '/'; p++)
        *p = (char)tolower((unsigned char)*p);
    return ref;
}

void gr_auth_user_free(gr_auth_user *user)
{
    if (user == NULL)
        return;
    for (size_t i = 0; i < user->ownership_count; i++)
        free(user->ownership[i]);
    free(user->ownership);
    free(user->user_ref);
    free(user);
}

/* Adds `ref` (taken) unless it is there already or the list is full. */
static void user_add_ref(gr_auth_user *user, char *ref)
{
    for (size_t i = 0; i < user->ownership_count; i++) {
        if (strcasecmp(user->ownership[i], ref) == 0) {
            free(ref);
            return;
        }
    }
    if (user->ownership_count == GR_AUTH_MAX_OWNERSHIP) {
        free(ref);
        return;
    }
    user->ownership[user->ownership_count++] = ref;
}

gr_auth_user *gr_auth_user_new(const char *user_ref, const char *const *ownership, size_t count)
{
    gr_auth_user *user = gr_xcalloc(1, sizeof(*user));

    user->user_ref = gr_xstrdup(user_ref);
    user->ownership = gr_xcalloc(GR_AUTH_MAX_OWNERSHIP, sizeof(char *));
    user_add_ref(user, gr_xstrdup(user_ref));
    for (size_t i = 0; i < count; i++)
        user_add_ref(user, gr_xstrdup(ownership[i]));
    return user;
}

/* Parses a spec.memberOf value ("team", "default/team", "group:ns/team") into a ref. */
static char *member_of_ref(const char *value, const char *user_ns)
{
    const char *colon = strchr(value, ':');
    const char *slash = strchr(value, '/');
    char *kind = colon ? gr_xstrndup(value, (size_t)(colon - value)) : gr_xstrdup("group");
    const char *rest = colon ? colon + 1 : value;
    char *ns;
    char *ref;

    slash = strchr(rest, '/');
    ns = slash ? gr_xstrndup(rest, (size_t)(slash - rest)) : gr_xstrdup(user_ns);
    ref = gr_auth_entity_ref(kind, ns, slash ? slash + 1 : rest);
    free(kind);
    free(ns);
    return ref;
}

/* Appends the targets of `entity`'s relations of `type` that are groups. */
static void add_relation_targets(gr_auth_user *user, const json_t *entity, const char *type)
{
    const json_t *relations = json_object_get(entity, "relations");
    const json_t *relation;
    size_t i;

    json_array_foreach(relations, i, relation)
    {
        const char *rel_type = json_string_value(json_object_get(relation, "type"));
        const char *target = json_string_value(json_object_get(relation, "targetRef"));

        if (rel_type != NULL && target != NULL && strcmp(rel_type, type) == 0 &&
            strncasecmp(target, "group:", 6) == 0)
            user_add_ref(user, member_of_ref(target, "default"));
    }
}

/* Follows childOf relations from each group already listed, breadth first. */
static void add_parent_groups(gr_auth_user *user, const gr_auth_user_lookup *lookup)
{
    size_t level_start = 1;

    for (int depth = 0; depth < GR_AUTH_MAX_GROUP_DEPTH && lookup != NULL; depth++) {
        size_t level_end = user->ownership_count;

        if (level_start == level_end)
            return;
        for (size_t i = level_start; i < level_end; i++) {
            json_t *group = NULL;

            if (lookup->get_entity(lookup->payload, user->ownership[i], &group) == GR_OK)
                add_relation_targets(user, group, "childOf");
            json_decref(group);
        }
        level_start = level_end;
    }
}

int gr_auth_user_from_entity(const json_t *entity, const gr_auth_user_lookup *lookup,
                             bool include_parents, gr_auth_user **out)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *kind = json_string_value(json_object_get(entity, "kind"));
    const char *name = json_string_value(json_object_get(metadata, "name"));
    const char *ns = json_string_value(json_object_get(metadata, "namespace"));
    const json_t *member_of = json_object_get(json_object_get(entity, "spec"), "memberOf");
    char *ref;
    gr_auth_user *user;

    if (kind == NULL || name == NULL)
        return gr_error_set(GR_EINVALID, "the catalog returned a user without kind or name");
    ref = gr_auth_entity_ref(kind, ns, name);
    user = gr_auth_user_new(ref, NULL, 0);
    free(ref);

    if (json_array_size(json_object_get(entity, "relations")) > 0) {
        add_relation_targets(user, entity, "memberOf");
    } else {
        for (size_t i = 0; i < json_array_size(member_of); i++) {
            const char *value = json_string_value(json_array_get(member_of, i));

            if (value != NULL)
                user_add_ref(user, member_of_ref(value, ns ? ns : "default"));
        }
    }
    if (include_parents)
        add_parent_groups(user, lookup);
    *out = user;
    return GR_OK;
}

/* The value a resolver compares, and the field it compares it with. */
static int resolver_query(const gr_auth_resolver *r, const gr_auth_profile *profile,
                          char **field, char **value)
{
    const char *email = profile->email;
    const char *at = email ? strrchr(email, '@') : NULL;

    switch (r->kind) {
    case GR_RESOLVER_EMAIL_MATCHING_PROFILE_EMAIL:
    case GR_RESOLVER_EMAIL_MATCHING_ANNOTATION:
    case GR_RESOLVER_EMAIL_LOCAL_PART_MATCHING_NAME:
        if (email == NULL || at == NULL || at == email)
            return gr_error_set(GR_EINVALID, "the profile from the provider has no email address");
        break;
    case GR_RESOLVER_USERNAME_MATCHING_NAME:
        if (profile->username == NULL || profile->username[0] == '\0')
            return gr_error_set(GR_EINVALID, "the profile from the provider has no user name");
        *field = gr_xstrdup("metadata.name");
        *value = gr_xstrdup(profile->username);
        return GR_OK;
    }

    if (r->allowed_domain_count > 0) {
        size_t d;

        for (d = 0; d < r->allowed_domain_count; d++) {
            if (strcasecmp(at + 1, r->allowed_domains[d]) == 0)
                break;
        }
        if (d == r->allowed_domain_count)
            return gr_error_set(GR_EDENIED, "email domain '%s' is not allowed to sign in", at + 1);
    }
    if (r->kind == GR_RESOLVER_EMAIL_LOCAL_PART_MATCHING_NAME) {
        *field = gr_xstrdup("metadata.name");
        *value = gr_xstrndup(email, (size_t)(at - email));
    } else if (r->kind == GR_RESOLVER_EMAIL_MATCHING_ANNOTATION) {
        *field = gr_xasprintf("metadata.annotations.%s", r->annotation);
        *value = gr_xstrdup(email);
    } else {
        *field = gr_xstrdup("spec.profile.email");
        *value = gr_xstrdup(email);
    }
    return GR_OK;
}

/* Name of the fallback user: the user name, or the local part of the email. */
static char *fallback_name(const gr_auth_resolver *r, const gr_auth_profile *profile)
{
    const char *at;

    if (r->kind == GR_RESOLVER_USERNAME_MATCHING_NAME)
        return gr_xstrdup(profile->username);
    at = strrchr(profile->email, '@');
    return gr_xstrndup(profile->email, (size_t)(at - profile->email));
}

/*
 * Returns whether `name` is a valid entity name as the catalog requires it:
 * 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a
 * letter or digit. A fallback ref is made only from such a name.
 */
static bool entity_name_valid(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 63 || !isalnum((unsigned char)name[0]) ||
        !isalnum((unsigned char)name[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!isalnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

static int resolve_one(const gr_auth_resolver *r, const gr_auth_user_lookup *lookup,
                       bool include_parents, const gr_auth_profile *profile, gr_auth_user **out)
{
    char *field = NULL;
    char *value = NULL;
    json_t *matches = NULL;
    int rc;

    if ((rc = resolver_query(r, profile, &field, &value)) < 0)
        return rc;
    if (lookup != NULL)
        rc = lookup->find_users(lookup->payload, field, value, &matches);
    if (rc == GR_OK && json_array_size(matches) == 1)
        rc = gr_auth_user_from_entity(json_array_get(matches, 0), lookup, include_parents, out);
    else if (rc == GR_OK && json_array_size(matches) > 1)
        rc = gr_error_set(GR_ECONFLICT, "%zu users have %s '%s'; sign-in needs exactly one",
                          json_array_size(matches), field, value);
    else if (rc == GR_OK && r->allow_without_catalog) {
        char *name = fallback_name(r, profile);

        if (entity_name_valid(name)) {
            char *ref = gr_auth_entity_ref("user", NULL, name);

            *out = gr_auth_user_new(ref, NULL, 0);
            free(ref);
        } else {
            rc = gr_error_set(GR_EINVALID, "no user in the catalog has %s '%s', and it is not a "
                                           "valid entity name, so no user ref can be made from it",
                              field, value);
        }
        free(name);
    } else if (rc == GR_OK) {
        rc = gr_error_set(GR_ENOTFOUND, "no user in the catalog has %s '%s'", field, value);
    }
    json_decref(matches);
    free(field);
    free(value);
    return rc;
}

int gr_auth_resolve(const gr_auth_resolvers *resolvers, const gr_auth_user_lookup *lookup,
                    const gr_auth_profile *profile, gr_auth_user **out)
{
    int rc = gr_error_set(GR_ENOTFOUND, "no sign-in resolver is configured for this provider");

    *out = NULL;
    for (size_t i = 0; i < resolvers->count; i++) {
        rc = resolve_one(&resolvers->items[i], lookup, resolvers->include_parent_groups, profile,
                         out);
        if (rc == GR_OK || rc == GR_EDENIED || rc == GR_ECONFLICT)
            break;
    }
    if (rc < 0)
        gr_error_wrap(rc, "sign-in failed");
    return rc;
}
