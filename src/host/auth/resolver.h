/* SPDX-License-Identifier: MIT */
/* Sign-in resolvers: from a provider's profile to a User entity of the catalog and its groups. */
#ifndef GR_HOST_AUTH_RESOLVER_H
#define GR_HOST_AUTH_RESOLVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/** Maximum number of resolvers configured for one provider. */
#define GR_AUTH_MAX_RESOLVERS 8
/** Maximum depth followed from a group to its parent groups. */
#define GR_AUTH_MAX_GROUP_DEPTH 16

/*
 * How sign-in finds User entities, installed with gr_auth_set_user_lookup().
 * The auth plugin installs one that reads the catalog's tables, unless another
 * was installed first. Entities are JSON as the catalog API returns them, with
 * "relations". Both functions run on server threads, several at once.
 */
typedef struct {
    /*
     * Finds User entities whose `field` equals `value` case-insensitively.
     * `field` is "metadata.name", "spec.profile.email" or
     * "metadata.annotations.<annotation>". Stores a new JSON array (empty when
     * none match) in *out. Returns 0 or an error code.
     */
    int (*find_users)(void *payload, const char *field, const char *value, json_t **out);
    /* Stores the entity with `ref` ("group:default/team-a") in *out (new
     * reference). Returns 0, GR_ENOTFOUND, or an error code. */
    int (*get_entity)(void *payload, const char *ref, json_t **out);
    void *payload;
} gr_auth_user_lookup;

/** What a sign-in provider tells about the person signing in. Strings borrowed; any may be NULL. */
typedef struct {
    const char *email;
    const char *username; /* preferred_username, or the proxy's user name */
    const char *display_name;
    const char *picture;
} gr_auth_profile;

/** Resolver kinds, named in the config as Backstage names them. */
typedef enum {
    GR_RESOLVER_EMAIL_MATCHING_PROFILE_EMAIL,  /* emailMatchingUserEntityProfileEmail */
    GR_RESOLVER_EMAIL_LOCAL_PART_MATCHING_NAME, /* emailLocalPartMatchingUserEntityName */
    GR_RESOLVER_USERNAME_MATCHING_NAME,         /* usernameMatchingUserEntityName */
    GR_RESOLVER_EMAIL_MATCHING_ANNOTATION,      /* emailMatchingUserEntityAnnotation */
} gr_auth_resolver_kind;

typedef struct {
    gr_auth_resolver_kind kind;
    char *annotation;        /* annotation resolver: the annotation compared */
    char **allowed_domains;  /* email local-part resolver: allowed email domains, or NULL */
    size_t allowed_domain_count;
    bool allow_without_catalog; /* dangerouslyAllowSignInWithoutUserInCatalog */
} gr_auth_resolver;

typedef struct {
    gr_auth_resolver items[GR_AUTH_MAX_RESOLVERS];
    size_t count;
    bool include_parent_groups; /* ownership follows childOf relations upward */
} gr_auth_resolvers;

/** A resolved user: its entity ref and ownership refs (the ref itself first). */
typedef struct {
    char *user_ref;
    char **ownership;
    size_t ownership_count;
} gr_auth_user;

/**
 * Reads `signIn.resolvers` of a provider's config object `provider` (named
 * `path` in errors). `default_annotation` is the annotation resolver's
 * default (may be NULL, which makes `annotation` required). Returns 0 and
 * fills *out (clear with gr_auth_resolvers_clear()), or GR_EINVALID naming
 * the entry and the fix.
 */
int gr_auth_resolvers_parse(const json_t *provider, const char *path,
                            const char *default_annotation, gr_auth_resolvers *out);

/** Frees what gr_auth_resolvers_parse() allocated. Safe on a zeroed struct. */
void gr_auth_resolvers_clear(gr_auth_resolvers *resolvers);

/**
 * Tries each resolver in order and stops at the first that finds exactly one
 * User entity (or falls back, when it allows sign-in without a catalog user,
 * to user:default/<name>). `lookup` may be NULL when no catalog is installed:
 * then only fallbacks can succeed. Returns 0 and *out (free with
 * gr_auth_user_free()), GR_ENOTFOUND when no resolver matched, GR_ECONFLICT
 * when a resolver matched several users, GR_EDENIED for an email domain that
 * is not allowed, or GR_EINVALID when the profile lacks what the resolvers
 * need. The message names the resolver and the reason.
 */
int gr_auth_resolve(const gr_auth_resolvers *resolvers, const gr_auth_user_lookup *lookup,
                    const gr_auth_profile *profile, gr_auth_user **out);

/**
 * Builds the ownership refs of a User entity: its own ref, then the groups of
 * its memberOf relations (or spec.memberOf when it has no relations), then,
 * when `include_parents`, their parent groups through childOf relations up to
 * GR_AUTH_MAX_GROUP_DEPTH levels, without repeats and at most
 * GR_AUTH_MAX_OWNERSHIP refs. Returns 0 and *out, or GR_EINVALID for an
 * entity without kind or name.
 */
int gr_auth_user_from_entity(const json_t *entity, const gr_auth_user_lookup *lookup,
                             bool include_parents, gr_auth_user **out);

/**
 * Makes a user from a ref and optional extra ownership refs (guest and
 * fallback sign-ins); the ref itself is always the first ownership ref.
 */
gr_auth_user *gr_auth_user_new(const char *user_ref, const char *const *ownership, size_t count);

/** Frees a user. NULL-safe. */
void gr_auth_user_free(gr_auth_user *user);

/**
 * Writes the entity ref of `kind`/`ns`/`name` into a new string (caller
 * frees): kind and namespace lower-cased, "default" for a NULL namespace.
 */
char *gr_auth_entity_ref(const char *kind, const char *ns, const char *name);

#endif
