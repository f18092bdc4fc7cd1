/* SPDX-License-Identifier: MIT */
/* Template entities (scaffolder.backstage.io/v1beta3): parameters, values and task specs. */
#include "plugins/scaffolder/spec.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/model/model.h"
#include "plugins/scaffolder/jsonschema.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/workspace.h"

static int check_steps(const json_t *steps)
{
    size_t index;
    json_t *step;

    if (!json_is_array(steps))
        return gr_error_set(GR_EINVALID, "spec.steps must be a list of steps");
    if (json_array_size(steps) > GR_SCAFFOLDER_MAX_STEPS)
        return gr_error_set(GR_EINVALID, "spec.steps has %zu steps, more than the limit of %d",
                            json_array_size(steps), GR_SCAFFOLDER_MAX_STEPS);
    json_array_foreach(steps, index, step)
    {
        json_t *id = json_object_get(step, "id");

        if (!json_is_object(step))
            return gr_error_set(GR_EINVALID, "spec.steps[%zu] must be an object", index);
        if (!json_is_string(json_object_get(step, "action")))
            return gr_error_set(GR_EINVALID, "spec.steps[%zu].action must be a string", index);
        if (id != NULL && !json_is_string(id))
            return gr_error_set(GR_EINVALID, "spec.steps[%zu].id must be a string", index);
        for (size_t k = 0; id != NULL && k < index; k++)
            if (json_equal(id, json_object_get(json_array_get(steps, k), "id")))
                return gr_error_set(GR_EINVALID, "spec.steps[%zu].id '%s' is used twice", index,
                                    json_string_value(id));
        if (json_object_get(step, "input") != NULL &&
            !json_is_object(json_object_get(step, "input")))
            return gr_error_set(GR_EINVALID, "spec.steps[%zu].input must be an object", index);
    }
    return 0;
}

int gr_scaffolder_template_check(const json_t *entity)
{
    const json_t *spec = json_object_get(entity, "spec");
    const json_t *parameters = json_object_get(spec, "parameters");
    const char *kind = json_string_value(json_object_get(entity, "kind"));
    const char *api = json_string_value(json_object_get(entity, "apiVersion"));

    if (kind == NULL || strcmp(kind, "Template") != 0)
        return gr_error_set(GR_EINVALID, "the entity is a %s, not a Template", kind ? kind : "?");
    if (api == NULL || strcmp(api, GR_SCAFFOLDER_API_VERSION) != 0)
        return gr_error_set(GR_EINVALID,
                            "apiVersion '%s' is not supported; use " GR_SCAFFOLDER_API_VERSION,
                            api ? api : "");
    if (!json_is_object(spec))
        return gr_error_set(GR_EINVALID, "spec must be an object");
    if (parameters != NULL && !json_is_object(parameters) && !json_is_array(parameters))
        return gr_error_set(GR_EINVALID, "spec.parameters must be an object or a list");
    if (json_is_array(parameters)) {
        size_t index;
        json_t *step;

        json_array_foreach(parameters, index, step) if (!json_is_object(step)) return gr_error_set(
            GR_EINVALID, "spec.parameters[%zu] must be an object", index);
    }
    return check_steps(json_object_get(spec, "steps"));
}

json_t *gr_scaffolder_parameter_steps(const json_t *entity)
{
    json_t *parameters = json_object_get(json_object_get(entity, "spec"), "parameters");

    if (json_is_array(parameters))
        return json_incref(parameters);
    if (json_is_object(parameters))
        return json_pack("[O]", parameters);
    return json_array();
}

json_t *gr_scaffolder_parameter_schema(const json_t *entity)
{
    json_t *metadata = json_object_get(entity, "metadata");
    json_t *steps = gr_scaffolder_parameter_steps(entity);
    json_t *title = json_object_get(metadata, "title");
    json_t *options = json_object_get(metadata, "ui:options");
    json_t *out = json_object();
    json_t *list = json_array();
    size_t index;
    json_t *step;

    json_object_set(out, "title", title ? title : json_object_get(metadata, "name"));
    if (json_object_get(metadata, "description"))
        json_object_set(out, "description", json_object_get(metadata, "description"));
    if (options != NULL)
        json_object_set(out, "ui:options", options);
    json_array_foreach(steps, index, step)
    {
        json_t *item = json_object();
        json_t *step_title = json_object_get(step, "title");

        json_object_set_new(item, "title",
                            step_title ? json_incref(step_title)
                                       : json_string("Please enter the following information"));
        if (json_object_get(step, "description"))
            json_object_set(item, "description", json_object_get(step, "description"));
        json_object_set(item, "schema", step);
        json_array_append_new(list, item);
    }
    json_object_set_new(out, "steps", list);
    json_decref(steps);
    return out;
}

int gr_scaffolder_validate_values(const json_t *entity, const json_t *values, json_t **errors_out)
{
    json_t *steps = gr_scaffolder_parameter_steps(entity);
    json_t *errors = json_array();
    size_t index;
    json_t *step;
    int rc = 0;

    if (errors_out != NULL)
        *errors_out = NULL;
    if (!json_is_object(values)) {
        json_array_append_new(errors,
                              json_pack("{s:[], s:s, s:s, s:s, s:s}", "path", "property",
                                        "instance", "message", "is not of a type(s) object", "name",
                                        "type", "stack", "instance is not of a type(s) object"));
    } else {
        json_array_foreach(steps, index, step) gr_jsonschema_validate(step, values, errors);
    }
    if (json_array_size(errors) > 0) {
        char *text = gr_jsonschema_errors_text(errors);

        rc = gr_error_set(GR_EINVALID, "invalid values: %s", text);
        free(text);
    }
    if (rc < 0 && errors_out != NULL)
        *errors_out = json_incref(errors);
    json_decref(errors);
    json_decref(steps);
    return rc;
}

char *gr_scaffolder_template_base_url(const json_t *entity)
{
    json_t *annotations = json_object_get(json_object_get(entity, "metadata"), "annotations");
    const char *location =
        json_string_value(json_object_get(annotations, GR_SCAFFOLDER_LOCATION_ANNOTATION));

    if (location == NULL)
        return NULL;
    if (strncmp(location, "file:", 5) == 0) {
        const char *path = location + 5;

        if (strncmp(path, "//", 2) == 0)
            path += 2;
        if (path[0] != '/')
            return NULL;
        return gr_xasprintf("file://%s", path);
    }
    if (strncmp(location, "url:", 4) == 0)
        return gr_xstrdup(location + 4);
    return NULL;
}

char *gr_scaffolder_template_ref(const json_t *entity)
{
    return gr_model_entity_ref(entity);
}

/* Copies a step, giving it an id and a name when it has none. */
static json_t *normalize_step(const json_t *step, size_t index)
{
    json_t *copy = json_deep_copy(step);

    if (!json_is_string(json_object_get(copy, "id"))) {
        char id[32];

        snprintf(id, sizeof(id), "step-%zu", index + 1);
        json_object_set_new(copy, "id", json_string(id));
    }
    if (!json_is_string(json_object_get(copy, "name")))
        json_object_set(copy, "name", json_object_get(copy, "action"));
    return copy;
}

json_t *gr_scaffolder_task_spec(const json_t *entity, const json_t *values, const json_t *user)
{
    json_t *spec = json_object_get(entity, "spec");
    json_t *steps = json_array();
    json_t *template_info = json_object();
    json_t *task = json_object();
    char *ref = gr_scaffolder_template_ref(entity);
    char *base_url = gr_scaffolder_template_base_url(entity);
    size_t index;
    json_t *step;

    json_array_foreach(json_object_get(spec, "steps"), index, step)
        json_array_append_new(steps, normalize_step(step, index));

    json_object_set_new(template_info, "entityRef", json_string(ref));
    if (base_url != NULL)
        json_object_set_new(template_info, "baseUrl", json_string(base_url));
    json_object_set_new(template_info, "entity",
                        json_pack("{s:O}", "metadata", json_object_get(entity, "metadata")));

    json_object_set_new(task, "apiVersion", json_string(GR_SCAFFOLDER_API_VERSION));
    json_object_set_new(task, "steps", steps);
    json_object_set_new(task, "output",
                        json_is_object(json_object_get(spec, "output"))
                            ? json_deep_copy(json_object_get(spec, "output"))
                            : json_object());
    json_object_set_new(task, "parameters", values ? json_deep_copy(values) : json_object());
    json_object_set_new(task, "templateInfo", template_info);
    json_object_set_new(task, "user",
                        user ? json_deep_copy(user)
                             : json_pack("{s:s}", "ref", "user:default/guest"));
    free(ref);
    free(base_url);
    return task;
}

static int validate_entity(const char *path, const json_t *entity)
{
    gr_model *model = NULL;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    int rc;

    if ((rc = gr_model_new(&model)) < 0)
        return rc;
    if (gr_model_validate(model, entity, &problems) != GR_OK && problems.count > 0) {
        gr_buf text = GR_BUF_INIT;

        for (size_t i = 0; i < problems.count; i++)
            gr_buf_printf(&text, "%s%s: %s", i ? "; " : "",
                          problems.items[i].pointer[0] ? problems.items[i].pointer : "/",
                          problems.items[i].message);
        rc = gr_error_set(GR_EINVALID, "%s: invalid template: %s", path, gr_buf_cstr(&text));
        gr_buf_free(&text);
    }
    gr_model_problems_free(&problems);
    gr_model_free(model);
    return rc;
}

/* Picks the first Template of a parsed stream and checks it. */
static int pick_template(const char *path, gr_yaml_doc **docs, size_t count, json_t **out)
{
    for (size_t i = 0; i < count; i++) {
        json_t *root = gr_yaml_doc_root(docs[i]);
        const char *kind = json_string_value(json_object_get(root, "kind"));
        int rc;

        if (kind == NULL || strcmp(kind, "Template") != 0)
            continue;
        if ((rc = validate_entity(path, root)) < 0)
            return rc;
        if ((rc = gr_scaffolder_template_check(root)) < 0)
            return gr_error_wrap(rc, "%s", path);
        *out = json_deep_copy(root);
        return 0;
    }
    return gr_error_set(GR_ENOTFOUND, "%s holds no Template entity", path);
}

int gr_scaffolder_template_load(const char *path, json_t **out)
{
    gr_buf text = GR_BUF_INIT;
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    char absolute[PATH_MAX];
    json_t *metadata;
    json_t *annotations;
    char *location;
    int rc;

    *out = NULL;
    if (realpath(path, absolute) == NULL)
        return gr_error_set(GR_ENOTFOUND, "template file %s not found", path);
    if ((rc = gr_scaffolder_read_file(absolute, GR_SCAFFOLDER_MAX_TEMPLATE_BYTES, &text)) < 0)
        goto done;
    if ((rc = gr_yaml_parse(path, gr_buf_cstr(&text), text.len, NULL, &docs, &count)) < 0)
        goto done;
    if ((rc = pick_template(path, docs, count, out)) < 0)
        goto done;

    metadata = json_object_get(*out, "metadata");
    annotations = json_object_get(metadata, "annotations");
    if (!json_is_object(annotations)) {
        annotations = json_object();
        json_object_set_new(metadata, "annotations", annotations);
    }
    location = gr_xasprintf("file:%s", absolute);
    json_object_set_new(annotations, GR_SCAFFOLDER_LOCATION_ANNOTATION, json_string(location));
    free(location);
done:
    gr_yaml_docs_free(docs, count);
    gr_buf_free(&text);
    return rc;
}
