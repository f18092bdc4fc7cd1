/* SPDX-License-Identifier: MIT */
/* The identity of a task's creator: stored with the task and rebuilt when a worker runs it. */
#include "plugins/scaffolder/creator.h"

#include <stdlib.h>
#include <string.h>

#include "host/auth/restriction.h"
#include "host/common/alloc.h"

/* Permission whose access restriction decides whether a restricted service may read entities. */
#define READ_PERMISSION "catalog.entity.read"

static json_t *user_creator(const gr_identity *identity)
{
    json_t *ownership = json_array();
    size_t count = identity->ownership_count;

    if (count > GR_AUTH_MAX_OWNERSHIP)
        count = GR_AUTH_MAX_OWNERSHIP;
    for (size_t i = 0; i < count && identity->ownership != NULL; i++)
        if (identity->ownership[i] != NULL)
            json_array_append_new(ownership, json_string(identity->ownership[i]));
    return json_pack("{s:s, s:s?, s:o}", "type", "user", "userEntityRef", identity->subject,
                     "ownershipEntityRefs", ownership);
}

json_t *gr_scaffolder_creator_from_identity(const gr_identity *identity)
{
    json_t *creator;

    if (identity == NULL || identity->type == NULL || strcmp(identity->type, "none") == 0)
        return json_pack("{s:s}", "type", "none");
    if (strcmp(identity->type, "user") == 0)
        return user_creator(identity);
    creator = json_pack("{s:s, s:s?}", "type", identity->type, "subject", identity->subject);
    if (!gr_auth_restrictions_permit(identity, READ_PERMISSION, "read"))
        json_object_set_new(creator, "catalogEntityRead", json_false());
    return creator;
}

static void rebuild_ownership(gr_scaffolder_creator *out)
{
    const json_t *refs = json_object_get(out->stored, "ownershipEntityRefs");
    size_t count = json_array_size(refs);
    size_t index;
    json_t *ref;

    if (count > GR_AUTH_MAX_OWNERSHIP)
        count = GR_AUTH_MAX_OWNERSHIP;
    out->ownership = gr_xcalloc(count + 1, sizeof(*out->ownership));
    json_array_foreach(refs, index, ref)
    {
        if (out->identity.ownership_count == count)
            break;
        if (json_is_string(ref))
            out->ownership[out->identity.ownership_count++] = json_string_value(ref);
    }
    out->identity.ownership = out->ownership;
}

void gr_scaffolder_creator_rebuild(const json_t *stored, gr_scaffolder_creator *out)
{
    const char *type = json_string_value(json_object_get(stored, "type"));

    memset(out, 0, sizeof(*out));
    out->identity.source = "task";
    if (!json_is_object(stored) || type == NULL)
        return;
    out->stored = json_incref((json_t *)stored);
    if (strcmp(type, "user") == 0) {
        out->identity.subject = json_string_value(json_object_get(stored, "userEntityRef"));
        if (out->identity.subject == NULL)
            return;
        rebuild_ownership(out);
    } else if (strcmp(type, "service") == 0) {
        out->identity.subject = json_string_value(json_object_get(stored, "subject"));
        if (out->identity.subject == NULL ||
            json_is_false(json_object_get(stored, "catalogEntityRead")))
            return;
    } else if (strcmp(type, "none") != 0) {
        return;
    }
    out->identity.type = type;
}

void gr_scaffolder_creator_clear(gr_scaffolder_creator *creator)
{
    if (creator == NULL)
        return;
    free(creator->ownership);
    json_decref(creator->stored);
    memset(creator, 0, sizeof(*creator));
}
