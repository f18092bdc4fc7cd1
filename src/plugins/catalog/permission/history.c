/* SPDX-License-Identifier: MIT */
/* The history of an entity as a caller whose read permission has conditions may see it. */
#include "plugins/catalog/permission/history.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/api/filter_sql.h"
#include "plugins/catalog/engine/history.h"

/*
 * Copies `value` with its strings in lower case, as catalog_search stores
 * them. With `keys`, object keys are lowered too, except below the top-level
 * "relations", whose types the owner rule compares exactly. Without it, the
 * value of a member "rule" stays as it is. Returns NULL when two keys of one
 * object differ only in case, which the catalog rejects as well.
 */
static json_t *lowered(const json_t *value, bool keys, int depth)
{
    json_t *out;
    const char *name;
    json_t *member;
    size_t i;

    if (json_is_string(value)) {
        char *text = gr_catalog_lower_search(json_string_value(value));

        out = json_string(text);
        free(text);
        return out;
    }
    if (json_is_array(value)) {
        out = json_array();
        json_array_foreach(value, i, member)
        {
            json_t *copy = lowered(member, keys, depth + 1);

            if (copy == NULL) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, copy);
        }
        return out;
    }
    if (!json_is_object(value))
        return json_deep_copy(value);
    out = json_object();
    json_object_foreach((json_t *)value, name, member)
    {
        bool as_is =
            keys ? depth == 0 && strcmp(name, "relations") == 0 : strcmp(name, "rule") == 0;
        char *key = keys ? gr_catalog_lower_search(name) : gr_xstrdup(name);
        json_t *copy = as_is ? json_deep_copy(member) : lowered(member, keys, depth + 1);

        if (copy == NULL || json_object_get(out, key) != NULL) {
            json_decref(copy);
            free(key);
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, key, copy);
        free(key);
    }
    return out;
}

/* The caller's conditions, exact and in lower case. */
typedef struct {
    const json_t *criteria;
    json_t *lower;
} conditions;

/*
 * Checks whether the conditions match `entity` both as
 * gr_permission_criteria_match() compares (exactly) and with keys and values
 * in lower case, as the catalog's SQL compares. Requiring both keeps a
 * version hidden when either comparison would hide it.
 * NOTE: the SQL reads a dotted key such as hasSpec "a.b" as a nested path.
 * Both comparisons here look for a member named "a.b" instead. So such a
 * rule under `not` may show a version that the catalog's SQL would hide.
 */
static bool conditions_match(const conditions *when, const json_t *entity)
{
    json_t *lower;
    bool match;

    if (entity == NULL || !gr_permission_criteria_match(when->criteria, entity))
        return false;
    lower = lowered(entity, true, 0);
    match = lower != NULL && gr_permission_criteria_match(when->lower, lower);
    json_decref(lower);
    return match;
}

/*
 * One reconstruction of past versions. A diff stores a missing member as
 * null, so two chains run side by side. One removes such members and the
 * other sets them to null. A version is readable only when both pass.
 */
typedef struct {
    json_t *version; /* NULL while the entity does not exist */
    bool known;      /* false once a diff did not fit */
    bool null_members;
} version_chain;

static bool chains_readable(const conditions *when, const version_chain *chains)
{
    for (int i = 0; i < 2; i++) {
        if (!chains[i].known || !conditions_match(when, chains[i].version))
            return false;
    }
    return true;
}

/* Moves a chain from the version after `item` to the version before it. */
static void chain_step(version_chain *chain, const json_t *item)
{
    const char *change = json_string_value(json_object_get(item, "change"));

    if (!chain->known)
        return;
    if (change != NULL && strcmp(change, "created") == 0) {
        json_decref(chain->version);
        chain->version = NULL;
        return;
    }
    if (gr_catalog__diff_revert(&chain->version, json_object_get(item, "diff"),
                                chain->null_members) != GR_OK) {
        gr_error_clear();
        json_decref(chain->version);
        chain->version = NULL;
        chain->known = false;
    }
}

/* Returns a copy of `item` whose cause names no user or service other than `subject`. */
static json_t *item_for(const json_t *item, const char *subject)
{
    json_t *copy = json_copy((json_t *)item);
    const char *cause = json_string_value(json_object_get(item, "cause"));

    if (cause != NULL && strncmp(cause, "user:", 5) == 0 &&
        (subject == NULL || strcmp(cause + 5, subject) != 0))
        json_object_set_new(copy, "cause", json_string(GR_CATALOG_HISTORY_OTHER_CAUSE));
    return copy;
}

/* Decides for each item, newest first, whether the versions around it are readable. */
static void mark_readable(const conditions *when, const json_t *items, const json_t *current,
                          bool *keep)
{
    version_chain chains[2] = {{NULL, true, false}, {NULL, true, true}};

    for (int c = 0; c < 2; c++)
        chains[c].version = current ? json_deep_copy(current) : NULL;
    for (size_t i = json_array_size(items); i-- > 0;) {
        const json_t *item = json_array_get(items, i);
        const char *change = json_string_value(json_object_get(item, "change"));
        bool after = chains_readable(when, chains);
        bool before;

        for (int c = 0; c < 2; c++)
            chain_step(&chains[c], item);
        before = chains_readable(when, chains);
        if (change != NULL && strcmp(change, "created") == 0)
            keep[i] = after;
        else if (change != NULL && strcmp(change, "deleted") == 0)
            keep[i] = before;
        else
            keep[i] = after && before;
    }
    for (int c = 0; c < 2; c++)
        json_decref(chains[c].version);
}

static json_t *filter_items(const json_t *criteria, const json_t *items, const json_t *current,
                            const char *subject)
{
    conditions when = {criteria, lowered(criteria, false, 0)};
    size_t count = json_array_size(items);
    bool *keep = gr_xcalloc(count ? count : 1, sizeof(*keep));
    json_t *out = json_array();

    if (when.lower != NULL)
        mark_readable(&when, items, current, keep);
    for (size_t i = 0; i < count; i++) {
        if (keep[i])
            json_array_append_new(out, item_for(json_array_get(items, i), subject));
    }
    free(keep);
    json_decref(when.lower);
    return out;
}

int gr_catalog_access_history(const gr_permission_policy *policy, const gr_identity *identity,
                              const json_t *current, json_t **items)
{
    gr_permission_decision decision;
    json_t *filtered = NULL;
    int rc;

    if (gr_permission_allows_all(policy, identity))
        return GR_OK;
    rc = gr_permission_evaluate(policy, identity, "catalog.entity.read", &decision);
    if (rc < 0)
        return rc;
    if (decision.result == GR_PERMISSION_DENY)
        filtered = json_array();
    else if (decision.result == GR_PERMISSION_CONDITIONAL)
        filtered =
            filter_items(decision.conditions, *items, current, identity ? identity->subject : NULL);
    gr_permission_decision_clear(&decision);
    if (filtered != NULL) {
        json_decref(*items);
        *items = filtered;
    }
    return GR_OK;
}
