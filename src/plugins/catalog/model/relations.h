/* SPDX-License-Identifier: MIT */
/* Relations between entities, derived from the spec fields of each built-in kind. */
#ifndef GR_PLUGINS_CATALOG_MODEL_RELATIONS_H
#define GR_PLUGINS_CATALOG_MODEL_RELATIONS_H

#include <jansson.h>
#include <stddef.h>

#include "plugins/catalog/model/problems.h"
#include "plugins/catalog/model/ref.h"

/**
 * One directed relation; `type` is a static string such as "ownedBy". The
 * strings of both references are owned by the list (one block per relation):
 * copy them with gr_entity_ref_copy() to keep them, never free them singly.
 */
typedef struct {
    gr_entity_ref source;
    const char *type;
    gr_entity_ref target;
} gr_model_relation;

typedef struct {
    gr_model_relation *items;
    size_t count;
    size_t cap;
} gr_model_relations;

#define GR_MODEL_RELATIONS_INIT {NULL, 0, 0}

/*
 * Relation types, as in @backstage/catalog-model. Each spec field yields a
 * pair: the forward relation from the entity and the reverse one back to it.
 */
#define GR_RELATION_OWNED_BY "ownedBy"
#define GR_RELATION_OWNER_OF "ownerOf"
#define GR_RELATION_CONSUMES_API "consumesApi"
#define GR_RELATION_API_CONSUMED_BY "apiConsumedBy"
#define GR_RELATION_PROVIDES_API "providesApi"
#define GR_RELATION_API_PROVIDED_BY "apiProvidedBy"
#define GR_RELATION_DEPENDS_ON "dependsOn"
#define GR_RELATION_DEPENDENCY_OF "dependencyOf"
#define GR_RELATION_PARENT_OF "parentOf"
#define GR_RELATION_CHILD_OF "childOf"
#define GR_RELATION_MEMBER_OF "memberOf"
#define GR_RELATION_HAS_MEMBER "hasMember"
#define GR_RELATION_PART_OF "partOf"
#define GR_RELATION_HAS_PART "hasPart"

/**
 * Appends the relations that Backstage's BuiltinKindsEntityProcessor (and,
 * for Template, the scaffolder's entity processor) emits for `entity`, both
 * directions, in field order:
 *   Component: owner, subcomponentOf (partOf/hasPart), providesApis,
 *              consumesApis, dependsOn, dependencyOf, system (partOf/hasPart)
 *   API: owner, system.  Resource: owner, dependsOn, dependencyOf, system.
 *   System: owner, domain.  Domain: owner, subdomainOf.
 *   Group: parent (childOf/parentOf), children (parentOf/childOf),
 *          members (hasMember/memberOf).  User: memberOf.
 *   Template (scaffolder.backstage.io/v1beta3): owner.
 * A field may hold one reference or a list; references without a kind get
 * the field's default kind and the entity's namespace. A reference that does
 * not parse adds a problem at its JSON pointer (rule "entity-ref") and is
 * skipped. Returns GR_OK, or GR_EINVALID when a problem was added.
 * `entity` is borrowed; it should already be valid.
 */
int gr_model_emit_relations(const json_t *entity, gr_model_relations *out,
                            gr_model_problems *problems);

/** Frees every relation and empties the list. NULL-safe. */
void gr_model_relations_free(gr_model_relations *list);

#endif
