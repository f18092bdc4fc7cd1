/* SPDX-License-Identifier: MIT */
/* The actions service the scaffolder publishes, which takes the actions of other plugins. */
#include "plugins/scaffolder/action_service.h"

#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

struct gr_scaffolder_plugin_action {
    char *id;
    char *description;
    char *input_schema;
    gr_plugin_action def;
};

static void plugin_action_free(gr_scaffolder_plugin_action *action)
{
    free(action->id);
    free(action->description);
    free(action->input_schema);
    free(action);
}

/* Runs a plugin's action on a task worker: the input goes out as JSON text, and each member of
 * the output object becomes a step output. */
static int run_plugin_action(gr_scaffolder_ctx *task, void *payload)
{
    const gr_scaffolder_plugin_action *action = payload;
    char *input = json_dumps(gr_scaffolder_ctx_input(task), JSON_COMPACT);
    char *output_text = NULL;
    json_t *output = NULL;
    const char *key;
    json_t *value;
    int rc;

    gr_error_clear();
    rc = action->def.run(input != NULL ? input : "{}", &output_text, action->def.payload);
    if (rc == GR_OK && output_text != NULL)
        output = json_loads(output_text, 0, NULL);
    /* json_is_object() reads its argument twice, so the value is loaded first. */
    if (rc == GR_OK && output_text != NULL && !json_is_object(output))
        rc = gr_error_set(GR_EINVALID, "action %s returned output that is not a JSON object",
                          action->id);
    else if (rc < 0 && gr_error_last()[0] == '\0')
        rc = gr_error_set(rc, "action %s failed with %d", action->id, rc);
    json_object_foreach(rc == GR_OK ? output : NULL, key, value)
    {
        if ((rc = gr_scaffolder_ctx_output(task, key, json_incref(value))) < 0)
            break;
    }
    json_decref(output);
    free(output_text);
    free(input);
    return rc;
}

static int service_add(const gr_plugin_service *self, const gr_plugin_action *def)
{
    gr_scaffolder_action_service *service = (gr_scaffolder_action_service *)self;
    gr_scaffolder_plugin_action *copy;
    gr_scaffolder_action action = {.run = run_plugin_action};
    int rc;

    if (def == NULL || def->struct_size < sizeof(gr_plugin_action) || def->id == NULL ||
        def->run == NULL)
        return gr_error_set(GR_EINVALID, "an action needs struct_size, an id and a function");
    copy = gr_xcalloc(1, sizeof(*copy));
    copy->id = gr_xstrdup(def->id);
    copy->description = gr_xstrdup(def->description != NULL ? def->description : "");
    copy->input_schema = def->input_schema != NULL ? gr_xstrdup(def->input_schema) : NULL;
    copy->def = *def;
    action.id = copy->id;
    action.description = copy->description;
    action.input_schema = copy->input_schema;
    action.supports_dry_run = def->supports_dry_run != 0;
    action.payload = copy;
    if ((rc = gr_scaffolder_actions_add(service->actions, &action)) < 0) {
        plugin_action_free(copy);
        return rc;
    }
    service->added =
        gr_xrealloc(service->added, (service->added_count + 1) * sizeof(*service->added));
    service->added[service->added_count++] = copy;
    return GR_OK;
}

void gr_scaffolder_action_service_init(gr_scaffolder_action_service *service,
                                       gr_scaffolder_actions *actions)
{
    service->published.header.struct_size = sizeof(*service);
    service->published.header.version = 1;
    service->published.add = service_add;
    service->actions = actions;
    service->added = NULL;
    service->added_count = 0;
}

void gr_scaffolder_action_service_clear(gr_scaffolder_action_service *service)
{
    if (service == NULL)
        return;
    for (size_t i = 0; i < service->added_count; i++)
        plugin_action_free(service->added[i]);
    free(service->added);
    service->added = NULL;
    service->added_count = 0;
}
