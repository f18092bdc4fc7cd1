/* SPDX-License-Identifier: MIT */
/* The registry of scaffolder actions. */
#include "plugins/scaffolder/action.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

typedef struct {
    gr_scaffolder_action def;
    json_t *input_schema;  /* parsed, or NULL */
    json_t *output_schema; /* parsed, or NULL */
} registered_action;

struct gr_scaffolder_actions {
    registered_action items[GR_SCAFFOLDER_MAX_ACTIONS];
    size_t count;
};

gr_scaffolder_actions *gr_scaffolder_actions_new(void)
{
    return gr_xcalloc(1, sizeof(gr_scaffolder_actions));
}

void gr_scaffolder_actions_free(gr_scaffolder_actions *actions)
{
    if (actions == NULL)
        return;
    for (size_t i = 0; i < actions->count; i++) {
        json_decref(actions->items[i].input_schema);
        json_decref(actions->items[i].output_schema);
    }
    free(actions);
}

static int parse_schema(const char *id, const char *which, const char *text, json_t **out)
{
    json_error_t error;

    *out = NULL;
    if (text == NULL)
        return 0;
    *out = json_loads(text, 0, &error);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return gr_error_set(GR_EINVALID, "action %s: the %s schema is not a JSON object: %s", id,
                            which, error.text);
    }
    return 0;
}

int gr_scaffolder_actions_add(gr_scaffolder_actions *actions, const gr_scaffolder_action *action)
{
    registered_action entry = {.def = *action};
    int rc;

    if (action->id == NULL || action->id[0] == '\0' || action->run == NULL)
        return gr_error_set(GR_EINVALID, "an action needs an id and a run function");
    for (const char *p = action->id; *p; p++)
        if (isspace((unsigned char)*p))
            return gr_error_set(GR_EINVALID, "action id '%s' contains white space", action->id);
    if (gr_scaffolder_actions_find(actions, action->id) != NULL)
        return gr_error_set(GR_ECONFLICT, "action %s is registered already", action->id);
    if (actions->count >= GR_SCAFFOLDER_MAX_ACTIONS)
        return gr_error_set(GR_ELIMIT, "more than %d actions", GR_SCAFFOLDER_MAX_ACTIONS);

    if ((rc = parse_schema(action->id, "input", action->input_schema, &entry.input_schema)) < 0)
        return rc;
    if ((rc = parse_schema(action->id, "output", action->output_schema, &entry.output_schema)) <
        0) {
        json_decref(entry.input_schema);
        return rc;
    }
    actions->items[actions->count++] = entry;
    return 0;
}

static const registered_action *find_entry(const gr_scaffolder_actions *actions, const char *id)
{
    for (size_t i = 0; i < actions->count; i++)
        if (strcmp(actions->items[i].def.id, id) == 0)
            return &actions->items[i];
    return NULL;
}

const gr_scaffolder_action *gr_scaffolder_actions_find(const gr_scaffolder_actions *actions,
                                                       const char *id)
{
    const registered_action *entry = id ? find_entry(actions, id) : NULL;

    return entry ? &entry->def : NULL;
}

const json_t *gr_scaffolder_actions_input_schema(const gr_scaffolder_actions *actions,
                                                 const char *id)
{
    const registered_action *entry = find_entry(actions, id);

    return entry ? entry->input_schema : NULL;
}

const json_t *gr_scaffolder_actions_output_schema(const gr_scaffolder_actions *actions,
                                                  const char *id)
{
    const registered_action *entry = find_entry(actions, id);

    return entry ? entry->output_schema : NULL;
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp((*(const registered_action *const *)a)->def.id,
                  (*(const registered_action *const *)b)->def.id);
}

json_t *gr_scaffolder_actions_list(const gr_scaffolder_actions *actions)
{
    const registered_action **sorted = gr_xcalloc(actions->count + 1, sizeof(*sorted));
    json_t *list = json_array();

    for (size_t i = 0; i < actions->count; i++)
        sorted[i] = &actions->items[i];
    qsort(sorted, actions->count, sizeof(*sorted), compare_ids);
    for (size_t i = 0; i < actions->count; i++) {
        const registered_action *entry = sorted[i];
        json_t *schema = json_object();

        if (entry->input_schema)
            json_object_set(schema, "input", entry->input_schema);
        if (entry->output_schema)
            json_object_set(schema, "output", entry->output_schema);
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:[], s:o}", "id", entry->def.id, "description",
                                        entry->def.description ? entry->def.description : "",
                                        "examples", "schema", schema));
    }
    free(sorted);
    return list;
}
